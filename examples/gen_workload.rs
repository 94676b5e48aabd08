//! Generates the benchmark workload W(N) (see benches/README.md).
//!
//! ```sh
//! cargo run --release --example gen_workload -- N [SEED] > w.carbon   # expectation on stderr
//! cargo run --release --example gen_workload -- N [SEED] --expect     # expectation only, JSON on stdout
//! ```
//!
//! N may be written `10000`, `10k` or `1M`. The expected balance is computed by the
//! generator itself, in f64, independently of the interpreter.

#[path = "../benches/workload.rs"]
mod workload;

use std::io::Write;
use std::process::ExitCode;

fn parse_n(s: &str) -> Option<usize> {
    let (num, mul) = match s.as_bytes().last()? {
        b'k' | b'K' => (&s[..s.len() - 1], 1_000),
        b'm' | b'M' => (&s[..s.len() - 1], 1_000_000),
        _ => (s, 1),
    };
    num.replace('_', "").parse::<usize>().ok()?.checked_mul(mul)
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: gen_workload N [SEED] [--expect]   (N like 1000, 10k, 1M; default seed {})",
        workload::DEFAULT_SEED
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut expect_only = false;
    let mut pos = Vec::new();
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--expect" => expect_only = true,
            "-h" | "--help" => return usage(),
            _ => pos.push(a),
        }
    }
    let Some(n) = pos.first().and_then(|s| parse_n(s)) else {
        return usage();
    };
    let seed = match pos.get(1) {
        None => workload::DEFAULT_SEED,
        Some(s) => match s.parse() {
            Ok(v) => v,
            Err(_) => return usage(),
        },
    };
    if pos.len() > 2 {
        return usage();
    }
    let (text, expect) = workload::generate(n, seed);
    let json = expect.to_json();
    if expect_only {
        println!("{json}");
        return ExitCode::SUCCESS;
    }
    let mut out = std::io::stdout().lock();
    if out.write_all(text.as_bytes()).and_then(|_| out.flush()).is_err() {
        eprintln!("gen_workload: cannot write the workload to standard output");
        return ExitCode::from(1);
    }
    eprintln!(
        "W({n}) seed {seed}: {} bytes; expected balance {:.17e} tCO2e",
        text.len(),
        expect.balance
    );
    eprintln!("expect {json}");
    ExitCode::SUCCESS
}
