//! A large file's names are declared piece by piece while the rest is parsed
//! (`names::Streaming`, used by `carbon::analyze` for files of 256 KB or more).
//! Property: the result is that of `names::resolve` over the whole files — the
//! same symbols, sources (in the same order), expectations, statements, order and
//! diagnostics — also when a citation comes before its source, names no source,
//! quotes a text, or cites a prelude source that the file declares again.

mod common;
#[path = "common/threads.rs"]
#[allow(dead_code)]
mod threads;
#[path = "../benches/workload.rs"]
mod workload;

use carbon::diag;
use carbon::names::{self, Resolved};
use carbon::source::{SourceId, SourceMap};
use carbon::syntax::{self, ast::File};
use carbon::units::Units;

/// Everything of a `Resolved` that later stages read, and the sorted diagnostics.
fn shown(r: &Resolved, mut diags: Vec<carbon::diag::Diag>) -> String {
    diag::sort(&mut diags);
    format!(
        "syms {:?}\nirs {:?}\ndecls {:?}\nsources {:?}\nheader {:?}\ngroups {:?}\norder {:?}\nexpects {:?}\nstatements {:?}\nranges {:?}\nco2 {:?}\ndiags {:?}",
        r.syms, r.irs, r.decls, r.sources, r.header, r.groups, r.order, r.expects, r.statements, r.ranges, r.co2_per_c, diags
    )
}

fn whole(text: &str) -> String {
    let (r, _, d) = threads::named(text).unwrap_or_else(|diags| panic!("{diags:?}"));
    shown(&r, d)
}

fn streamed(text: &str, piece: usize) -> String {
    let mut sm = SourceMap::new();
    let pid = sm.add("<prelude>", carbon::PRELUDE);
    let fid = sm.add("f.carbon", text);
    let mut st = names::Streaming::new(Some(pid), 8);
    drop(st.feed(pid, syntax::parse(pid, carbon::PRELUDE).file.decls));
    let ok = syntax::parse_stream(fid, text, piece, &mut |d| {
        drop(st.feed(fid, d));
        true
    });
    assert!(ok, "the pieces gave up");
    let files: Vec<&File> = st.unit_files().iter().collect();
    let (mut units, _) = Units::build(&files);
    drop(files);
    let bound = st.symbols_bound();
    let (r, d) = st.finish(&mut units);
    assert!(
        r.syms.len() <= bound,
        "{} symbols, more than the bound {bound}",
        r.syms.len()
    );
    shown(&r, d)
}

fn same(text: &str) {
    let w = whole(text);
    for piece in [1, 200, 5000, 1 << 20] {
        let s = streamed(text, piece);
        if s != w {
            let (s, w) = common::around_difference(&s, &w, 200);
            panic!("pieces of {piece}: different names\nstreamed: …{s}\nwhole:    …{w}");
        }
    }
}

#[test]
fn generated_workload() {
    let (text, _) = workload::generate(2000, workload::DEFAULT_SEED);
    same(&text);
}

#[test]
fn every_example() {
    for path in common::carbon_files(&["examples"]) {
        let text = std::fs::read_to_string(&path).expect("readable");
        same(&text);
    }
}

/// `Streaming::symbols_bound` (the size of the check stage's table made while
/// the names finish) is at least the symbols `finish` gives, also in programs
/// with errors, placeholders for derived values read before they are defined,
/// and group names read before the groups exist.
#[test]
fn symbols_bound_holds() {
    let mut n = 0;
    for path in common::carbon_files(&common::PROGRAM_FOLDERS) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if !syntax::parse(SourceId(1), &text).diags.is_empty() {
            continue;
        }
        // `streamed` asserts the bound.
        streamed(&text, 1 << 20);
        n += 1;
    }
    assert!(n > 50, "only {n} programs");
}

/// Citations the streaming namer cannot number when it reads them.
#[test]
fn citations_settled_at_the_end() {
    let text = r#"
inventory "Citations" { period 1 a  gwp AR5 }

energy coal {
  amount 10 t from later
  fold 0.7143 tce/t from "Table 2, quoted" from later
  factor 2.66 tCO2/tce from nowhere
}

gas vent { amount 1.5 tCH4/a from "a quoted text" from ipcc_ar5 }

let k = 2 from ipcc_ar5 also 2.0 from "another quote" from later

expect k_is_two: k == 2 within 1 % from later

cover field {
  area 10 hm2 from "survey" from later
  density 7 tC/hm2 from nowhere_either
  method stock_as_removal from later assumed "reported as the sink"
}

unit bale = 25 kg from later

source later "Declared after its first citations"
source ipcc_ar5 "The file's own IPCC AR5, declared again"
source later "Declared twice in one file"
"#;
    let w = whole(text);
    assert!(w.contains("unknown source `nowhere`"), "{w}");
    assert!(w.contains("unknown source `nowhere_either`"), "{w}");
    assert!(w.contains("the source `later` is declared twice"), "{w}");
    same(text);
}

/// `carbon::analyze` of a large file (parsed in pieces on two threads while the
/// names are declared) against the same file parsed whole: the same program,
/// values, audit and diagnostics. Also when a piece gives up (a syntax error near
/// the end, or a cut after a `let`), which falls back to the whole file.
///
/// W(2000) (320 KB: five pieces) in CI; W(4000) (650 KB) in the long run,
/// `cargo test --release --test names_stream -- --ignored`.
#[test]
fn analyze_in_pieces_equals_whole() {
    analyze_in_pieces_equals_whole_at(2000);
}

#[test]
#[ignore = "long: cargo test --release --test names_stream -- --ignored"]
fn long_run() {
    analyze_in_pieces_equals_whole_at(4000);
}

fn analyze_in_pieces_equals_whole_at(n: usize) {
    let (text, _) = workload::generate(n, workload::DEFAULT_SEED);
    // Files of 256 KB or more are parsed in pieces of at least 64 KB.
    assert!(text.len() > 256 * 1024, "several pieces");
    let mut late_error = text.clone();
    late_error.push_str("energy broken { amount 1 t from survey_1 fold }\n");
    let mut lets = text.clone();
    let at = lets.len() / 2;
    let cut = lets[at..].find("\n}\n").map_or(at, |i| at + i + 3);
    lets.insert_str(cut, "let early = 1 t from survey_2\n");
    for (what, t) in [
        ("W(N)", &text),
        ("a late syntax error", &late_error),
        ("a let mid-file", &lets),
    ] {
        let opts = carbon::Options::default();
        let a = carbon::analyze("w.carbon", t.as_bytes(), opts);
        let b = carbon::analyze("w.carbon", t.as_bytes(), carbon::Options { whole: true, ..opts });
        let show = |x: &carbon::Analysis| {
            format!(
                "{:?}\n{:?}\n{:?}\n{:?}",
                x.diags,
                x.values,
                x.program
                    .as_ref()
                    .map(|p| (&p.res.syms, &p.res.sources, &p.res.order, &p.checked)),
                x.audit.as_ref().map(|a| &a.diags)
            )
        };
        assert!(show(&a) == show(&b), "{what}: in pieces differs from whole");
    }
}

/// A large program's uses are found on a second thread while it is evaluated
/// (`audit::referenced`); the audit is the one that finds them itself.
#[test]
fn audit_with_uses_found_aside() {
    let (text, _) = workload::generate(8000, workload::DEFAULT_SEED);
    let mut text = text;
    text.push_str("let spare = 2 t from survey_1\n");
    let a = carbon::analyze("w.carbon", text.as_bytes(), carbon::Options::default());
    let (p, v) = (
        a.program.as_ref().expect("checked"),
        a.values.as_ref().expect("evaluated"),
    );
    assert!(
        p.res.syms.len() >= 50_000,
        "{} symbols: too few for the second thread",
        p.res.syms.len()
    );
    // The analysis moves the audit's diagnostics into its own, sorted.
    let mut alone = carbon::audit::audit(p, v, &a.sources, false).diags;
    diag::sort(&mut alone);
    let shown = |d: &[carbon::diag::Diag]| format!("{d:?}");
    assert_eq!(shown(&a.diags), shown(&alone));
    assert!(shown(&alone).contains("`spare` is declared but nothing uses it"));
}
