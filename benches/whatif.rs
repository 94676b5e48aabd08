//! A REPL what-if on the generated workload W(N): one input changed, only its
//! dependents re-evaluated (issue 4's target: under 10 ms at N = 100k).
//! `cargo bench --bench whatif` (N = 100k; set CARBON_BENCH_N to change it).

// The allocator the binary uses (src/main.rs), so that in-process figures match it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "workload.rs"]
mod workload;

use carbon::session::Session;
use criterion::{criterion_group, criterion_main, Criterion};
use std::time::Duration;

fn whatif(c: &mut Criterion) {
    let n: usize = std::env::var("CARBON_BENCH_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let (text, _) = workload::generate(n, 2026);
    let mut s = Session::load("w.carbon", &text).expect("the workload loads");
    // An energy declaration's amount: changing it re-evaluates its term, its
    // group, the totals and the balance.
    let target = "energy_2.amount";
    let r = s.handle(&format!("{target} = 500 t"));
    assert!(r.errors.is_empty(), "{}", r.errors);
    let mut g = c.benchmark_group("repl");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    let mut flip = false;
    g.bench_function(format!("what-if W({n})"), |b| {
        b.iter(|| {
            flip = !flip;
            let r = s.handle(if flip {
                "energy_2.amount = 400 t"
            } else {
                "energy_2.amount = 500 t"
            });
            assert!(r.errors.is_empty());
            // Keep the undo stack from growing without bound.
            s.handle(":undo");
        })
    });
    g.finish();
}

criterion_group!(benches, whatif);
criterion_main!(benches);
