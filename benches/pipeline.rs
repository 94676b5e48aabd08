//! `cargo bench`: the pipeline on the generated workload W(N) (benches/workload.rs),
//! and process start-up on the Yongning example. See benches/README.md.
//!
//! Groups (criterion ids are `GROUP/N`):
//! * `parse`: `carbon::syntax::parse` of the file (the fast parser; pest when it gives
//!   up), prelude excluded;
//! * `analyze`: `carbon::analyze`, i.e. prelude and file parsed, units, names,
//!   check, eval (the `Analysis` is dropped inside the timed loop, as in the binary);
//! * `names`, `check`, `evaluate`: each stage alone, on the whole file (not in the
//!   pieces `analyze` declares while they are parsed): `carbon::names::resolve` of
//!   the parsed prelude and file, `carbon::check::check` of the resolved program (the
//!   stages before it are run outside the timing, once a batch), and
//!   `carbon::eval::evaluate` of the checked program;
//! * `report`: `Analysis::report` (explain: the balance and the terms table);
//! * `json`: `carbon::render::json` of that report (each term's derivation
//!   computed while it is written);
//! * `binary`: the release binary end to end, `carbon run W.carbon --format json`
//!   (process start, read, analyze, report, render, write to /dev/null);
//! * `startup`: the binary on examples/yongning.carbon (`run`, `run --format json`,
//!   `check`) and `carbon --version` (bare process start);
//! * `unknown_uses`: the error path on 8,000 energy blocks that use one undeclared
//!   name (issue 15, point 7): `names` is `carbon::names::resolve` alone, `analyze`
//!   is `carbon::analyze` and `carbon::diag::render_all` of its diagnostic (one,
//!   checked before timing); `cycle` is the same on a cycle of 5,000 `let`s.
//!
//! Environment: `CARBON_BENCH_1M=1` adds N = 1M; `CARBON_BENCH_SIZES=1000,5000`
//! replaces the list of N. Before timing, each W(N) is analysed once and its balance
//! is checked against the generator's own f64 computation (relative 1e-9).

// The allocator the binary uses (src/main.rs), so that in-process figures match it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "workload.rs"]
mod workload;

use carbon::source::SourceMap;
use carbon::{render, Options};
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, SamplingMode, Throughput};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

const FILE_NAME: &str = "workload.carbon";
const YONGNING: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/yongning.carbon");
const BIN: &str = env!("CARGO_BIN_EXE_carbon");

struct Work {
    n: usize,
    text: String,
    /// The text written to disk, for the binary.
    path: PathBuf,
}

fn sizes() -> Vec<usize> {
    if let Ok(s) = std::env::var("CARBON_BENCH_SIZES") {
        let v: Vec<usize> = s.split(',').filter_map(|x| x.trim().parse().ok()).collect();
        if !v.is_empty() {
            return v;
        }
    }
    let mut v = vec![1_000, 10_000, 100_000];
    if std::env::var("CARBON_BENCH_1M").is_ok_and(|v| v == "1") {
        v.push(1_000_000);
    }
    v
}

fn label(n: usize) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

/// Every W(N), generated, written to disk and verified once.
fn works() -> &'static [Work] {
    static WORKS: OnceLock<Vec<Work>> = OnceLock::new();
    WORKS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("workloads");
        std::fs::create_dir_all(&dir).expect("create the workload directory");
        sizes()
            .into_iter()
            .map(|n| {
                let (text, expect) = workload::generate(n, workload::DEFAULT_SEED);
                let path = dir.join(format!("w{}.carbon", label(n)));
                std::fs::write(&path, &text).expect("write the workload");
                verify(n, &text, &expect);
                Work { n, text, path }
            })
            .collect()
    })
}

/// The interpreter's balance must be the generator's, to 1e-9 relative.
fn verify(n: usize, text: &str, e: &workload::Expect) {
    let a = carbon::analyze(FILE_NAME, text.as_bytes(), Options::default());
    assert!(
        !a.has_errors(),
        "W({n}) has errors: {:?}",
        a.diags.first().map(|d| d.message.clone())
    );
    let r = a.report().unwrap_or_else(|| panic!("W({n}) has no report"));
    let checks = [
        ("balance", r.balance.value, e.balance),
        ("emissions", r.emissions.value, e.emissions),
        ("removals", r.removals.value, e.sinks),
    ];
    for (what, got, want) in checks {
        assert!(
            workload::close(got, want, 1e-9),
            "W({n}) {what}: carbon computed {got:e}, the generator expects {want:e}"
        );
    }
    assert_eq!(r.terms.len(), n, "W({n}): one term a declaration");
    eprintln!(
        "verified W({}) ({} bytes): balance {} {} = generator's {:e} (rel 1e-9)",
        label(n),
        text.len(),
        r.balance.value,
        r.balance.unit,
        e.balance
    );
}

fn configure(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, n: usize) {
    if n >= 10_000 {
        // Each iteration takes long: few samples, one iteration each.
        g.sample_size(10);
        g.sampling_mode(SamplingMode::Flat);
    } else {
        g.sample_size(20);
    }
}

fn bench_parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    for w in works() {
        configure(&mut g, w.n);
        g.throughput(Throughput::Bytes(w.text.len() as u64));
        let mut sources = SourceMap::new();
        let id = sources.add(FILE_NAME, w.text.as_str());
        g.bench_with_input(BenchmarkId::from_parameter(label(w.n)), &w.n, |b, _| {
            b.iter(|| {
                let p = carbon::syntax::parse(id, sources.text(id));
                black_box(p.file.decls.len())
            })
        });
    }
    g.finish();
}

fn bench_analyze(c: &mut Criterion) {
    let mut g = c.benchmark_group("analyze");
    for w in works() {
        configure(&mut g, w.n);
        g.throughput(Throughput::Bytes(w.text.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(label(w.n)), &w.n, |b, _| {
            b.iter(|| {
                let a = carbon::analyze(FILE_NAME, black_box(w.text.as_bytes()), Options::default());
                black_box(a.values.is_some())
            })
        });
    }
    g.finish();
}

/// The prelude and the file parsed, and the units they declare.
fn parsed(
    w: &Work,
) -> (
    Vec<carbon::syntax::ast::File>,
    carbon::units::Units,
    carbon::source::SourceId,
) {
    let mut sources = SourceMap::new();
    let pid = sources.add("<prelude>", carbon::PRELUDE);
    let fid = sources.add(FILE_NAME, w.text.as_str());
    let prelude = carbon::syntax::parse(pid, carbon::PRELUDE);
    let file = carbon::syntax::parse(fid, &w.text);
    let (units, _) = carbon::units::Units::build(&[&prelude.file, &file.file]);
    (vec![prelude.file, file.file], units, pid)
}

/// The names of the prelude and the file resolved.
fn resolved(w: &Work) -> (carbon::names::Resolved, carbon::units::Units) {
    let (files, mut units, pid) = parsed(w);
    let (r, _) = carbon::names::resolve(files, Some(pid), &mut units);
    (r, units)
}

fn bench_names(c: &mut Criterion) {
    let mut g = c.benchmark_group("names");
    for w in works() {
        configure(&mut g, w.n);
        g.throughput(Throughput::Bytes(w.text.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(label(w.n)), &w.n, |b, _| {
            b.iter_batched(
                || parsed(w),
                |(files, mut units, pid)| carbon::names::resolve(files, Some(pid), &mut units),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

fn bench_check(c: &mut Criterion) {
    let mut g = c.benchmark_group("check");
    for w in works() {
        configure(&mut g, w.n);
        g.throughput(Throughput::Bytes(w.text.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(label(w.n)), &w.n, |b, _| {
            b.iter_batched(
                || resolved(w),
                |(r, units)| carbon::check::check(r, units),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

fn bench_evaluate(c: &mut Criterion) {
    let mut g = c.benchmark_group("evaluate");
    for w in works() {
        configure(&mut g, w.n);
        g.throughput(Throughput::Bytes(w.text.len() as u64));
        let (r, units) = resolved(w);
        let (p, d) = carbon::check::check(r, units);
        assert!(d.iter().all(|d| !d.is_error()), "W({}) has errors", w.n);
        g.bench_with_input(BenchmarkId::from_parameter(label(w.n)), &w.n, |b, _| {
            b.iter(|| black_box(carbon::eval::evaluate(&p)).1.len())
        });
    }
    g.finish();
}

fn bench_report(c: &mut Criterion) {
    let mut g = c.benchmark_group("report");
    for w in works() {
        configure(&mut g, w.n);
        g.throughput(Throughput::Bytes(w.text.len() as u64));
        let a = carbon::analyze(FILE_NAME, w.text.as_bytes(), Options::default());
        g.bench_with_input(BenchmarkId::from_parameter(label(w.n)), &w.n, |b, _| {
            b.iter(|| black_box(a.report()).map(|r| r.terms.len()))
        });
    }
    g.finish();
}

fn bench_json(c: &mut Criterion) {
    let mut g = c.benchmark_group("json");
    for w in works() {
        configure(&mut g, w.n);
        g.throughput(Throughput::Bytes(w.text.len() as u64));
        let a = carbon::analyze(FILE_NAME, w.text.as_bytes(), Options::default());
        let r = a.report().expect("verified W(N) has a report");
        g.bench_with_input(BenchmarkId::from_parameter(label(w.n)), &w.n, |b, _| {
            b.iter(|| black_box(render::json(Some(&r), &a.diags, &a.sources)).len())
        });
    }
    g.finish();
}

/// Runs the binary to completion with output discarded; panics unless it exits
/// with one of `ok` (1 is "the program has errors or a failed expectation": the
/// run is still complete, so it is timed as it is).
fn run_bin(args: &[&str], ok: &[i32]) {
    let st = Command::new(BIN)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("start the carbon binary");
    assert!(
        st.code().is_some_and(|c| ok.contains(&c)),
        "carbon {args:?} failed: {st}"
    );
}

fn bench_binary(c: &mut Criterion) {
    let mut g = c.benchmark_group("binary");
    for w in works() {
        configure(&mut g, w.n);
        g.throughput(Throughput::Bytes(w.text.len() as u64));
        let path = w.path.to_str().expect("UTF-8 target path");
        g.bench_with_input(BenchmarkId::new("run_json", label(w.n)), &w.n, |b, _| {
            b.iter(|| run_bin(&["run", path, "--format", "json"], &[0]))
        });
    }
    g.finish();
}

fn bench_startup(c: &mut Criterion) {
    let mut g = c.benchmark_group("startup");
    g.sample_size(50);
    g.measurement_time(Duration::from_secs(3));
    g.bench_function("yongning/run", |b| b.iter(|| run_bin(&["run", YONGNING], &[0, 1])));
    g.bench_function("yongning/run_json", |b| {
        b.iter(|| run_bin(&["run", YONGNING, "--format", "json"], &[0, 1]))
    });
    g.bench_function("yongning/check", |b| b.iter(|| run_bin(&["check", YONGNING], &[0, 1])));
    g.bench_function("version", |b| b.iter(|| run_bin(&["--version"], &[0])));
    g.finish();
}

/// `n` energy blocks whose factor is the undeclared `undeclared_x` (a
/// did-you-mean, `declared_x`, is declared).
fn unknown_uses(n: usize) -> String {
    let mut src = String::from("inventory \"U\" {\n  period 1 a\n  gwp AR5\n}\nlet declared_x = 2.66 tCO2/tce\n");
    for i in 0..n {
        src.push_str(&format!(
            "energy e{i} {{\n  amount 1 t\n  fold 0.9 tce/t\n  factor undeclared_x\n}}\n"
        ));
    }
    src
}

/// A cycle of `n` lets.
fn let_cycle(n: usize) -> String {
    let mut src = String::from("inventory \"C\" {\n  period 1 a\n  gwp AR5\n}\n");
    for i in 0..n {
        src.push_str(&format!("let v{i} = v{} * 1\n", (i + 1) % n));
    }
    src
}

fn bench_unknown_uses(c: &mut Criterion) {
    let mut g = c.benchmark_group("unknown_uses");
    g.sample_size(20);
    let cases = [("8k", unknown_uses(8_000)), ("cycle_5k", let_cycle(5_000))];
    for (id, text) in &cases {
        let w = Work {
            n: 0,
            text: text.clone(),
            path: PathBuf::new(),
        };
        let a = carbon::analyze(FILE_NAME, text.as_bytes(), Options::default());
        assert_eq!(a.diags.len(), 1, "{id}: one diagnostic");
        let opts = carbon::diag::RenderOptions::default();
        assert!(carbon::diag::render_all(&a.diags, &a.sources, opts).len() < 4000);
        g.bench_function(BenchmarkId::new("names", id), |b| {
            b.iter_batched(
                || parsed(&w),
                |(files, mut units, pid)| carbon::names::resolve(files, Some(pid), &mut units),
                BatchSize::PerIteration,
            )
        });
        g.bench_function(BenchmarkId::new("analyze", id), |b| {
            b.iter(|| {
                let a = carbon::analyze(FILE_NAME, black_box(text.as_bytes()), Options::default());
                black_box(carbon::diag::render_all(&a.diags, &a.sources, opts).len())
            })
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_secs(1))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_startup, bench_unknown_uses, bench_parse, bench_names, bench_check, bench_evaluate, bench_analyze, bench_report, bench_json, bench_binary
}
criterion_main!(benches);
