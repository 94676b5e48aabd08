//! A large program is checked and audited on two threads.
//!
//! Check (`check::check_with`): the second half of the order on another thread
//! with a frozen copy of the unit registry, what it cannot do alone checked again
//! on the main thread. Property: the result is that of one thread — the same
//! code, dimensions and units (the same interned ids, naming the same dimensions
//! and units), the same diagnostics in the same order — whatever the program,
//! also when every symbol but the first is shared out (`quiet` 0) and so most of
//! them must be checked again.
//!
//! Audit (`audit::audit_on`): two groups of checks, the second on another
//! thread, their reports joined. Property: the same expectations, allowances and
//! diagnostics in the same order as one thread, strict or not.

mod common;
#[path = "../benches/workload.rs"]
mod workload;

#[path = "common/threads.rs"]
mod threads;

use threads::{audited, checked, shown};

fn same(name: &str, text: &str) {
    for strict in [false, true] {
        let one = audited(text, 1, strict);
        let two = audited(text, 2, strict);
        assert_eq!(
            one, two,
            "{name}, strict {strict}: the audit on two threads differs from one"
        );
    }
    let Some(one) = checked(text, 1, 0) else { return };
    let one = shown(&one);
    for quiet in [0, 1, 7, 256] {
        let Some(two) = checked(text, 2, quiet) else { return };
        let two = shown(&two);
        if two != one {
            let (t, o) = common::around_difference(&two, &one, 300);
            panic!("{name}, quiet {quiet}: two threads differ from one\ntwo: …{t}\none: …{o}");
        }
    }
}

#[test]
fn generated_workload() {
    let (text, _) = workload::generate(3000, workload::DEFAULT_SEED);
    same("W(3000)", &text);
}

/// Every example, and every program of the diagnostics folders (units errors,
/// missing fields, cycles, warnings, expectations).
#[test]
fn every_example_and_failing_program() {
    let mut n = 0;
    for path in common::carbon_files(&common::PROGRAM_FOLDERS) {
        // Invalid UTF-8 on purpose in one of them: not a program to check.
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        same(&path.display().to_string(), &text);
        n += 1;
    }
    assert!(n > 60, "only {n} programs");
}

/// A program whose later declarations read earlier ones (a `let` used by many,
/// a unit first written half-way through, an error late in the order, groups
/// over everything), so that the second half has symbols it must leave.
#[test]
fn second_half_reads_the_first() {
    let mut text = String::from(
        "inventory \"Mixed\" { period 1 a  gwp AR6 }\nsource s \"survey\"\nlet grid = 0.58 tCO2/MWh from s\n",
    );
    for i in 0..400 {
        text.push_str(&format!(
            "energy e{i} {{ amount {} t from s\n fold 0.7143 tce/t from s\n factor 2.66 tCO2/tce from s }}\n",
            100 + i
        ));
        text.push_str(&format!("let power{i} = {} MWh * grid from s\n", 10 + i));
        if i == 300 {
            text.push_str("let late = 5 kgCO2/kWh * 3 GWh from s\n");
            text.push_str("let wrong = 3 t + 2 a from s\n");
        }
        if i % 50 == 0 && i > 0 {
            text.push_str(&format!("let sum{i} = power{} + power{i} from s\n", i - 50));
        }
    }
    same("mixed", &text);
}

/// Tables made ahead for the check (`check::check_in`, as `carbon::analyze` makes
/// them for a large program while the names finish), shorter or longer than the
/// program, give what `check` gives on one thread: also at a size checked on two
/// threads, which use the room made for the second thread's results.
///
/// In CI, W(7000) with a table shorter, as long and longer than the program; the
/// long run (`cargo test --release --test threads -- --ignored`) with every size.
#[test]
fn table_made_ahead() {
    table_made_ahead_at(500, |n| vec![0, 1, n / 2, n - 1, n, n + 1, 2 * n]);
    // W(7000) has more than the 40,000 symbols checked on two threads.
    table_made_ahead_at(7000, |n| vec![1, n - 1, n, 2 * n]);
}

#[test]
#[ignore = "long: cargo test --release --test threads -- --ignored"]
fn long_run() {
    table_made_ahead_at(7000, |n| vec![0, 1, n / 2, n - 1, n, n + 1, 2 * n]);
}

fn table_made_ahead_at(decls: usize, sizes: impl Fn(usize) -> Vec<usize>) {
    let (text, _) = workload::generate(decls, workload::DEFAULT_SEED);
    let one = shown(&checked(&text, 1, 0).expect("the workload parses"));
    let n = one.lines().filter(|l| l.contains("Checked")).count();
    assert!(n > decls * 6, "only {n} symbols");
    for size in sizes(n) {
        let ahead = shown(&checked_in(&text, carbon::check::Results::new(size)));
        if ahead != one {
            let (a, o) = common::around_difference(&ahead, &one, 300);
            panic!("W({decls}), a table of {size} for {n} symbols: differs\nahead: …{a}\ncheck: …{o}");
        }
    }
}

/// As `threads::checked` on one thread, with a table made ahead.
fn checked_in(text: &str, table: carbon::check::Results) -> (carbon::check::Program, Vec<carbon::diag::Diag>) {
    let (r, units, mut diags) = threads::named(text).expect("no syntax error");
    let (p, d) = carbon::check::check_in(r, units, Some(table));
    diags.extend(d);
    (p, diags)
}
