//! The nesting limits hold in process, on a test thread's small stack (2 MiB by
//! default, the default), in a debug build: every recursive pass is bounded by
//! the limit checked before it runs.
//!
//! The flat chains (`t0 + t1 + …`) are 30,000 terms long in CI: far deeper than a
//! recursion along them could go on a 2 MiB stack in a debug build. The long run,
//! 100,000 terms each, is `cargo test --release --test limits -- --ignored`.

/// Terms of a long chain in CI, and in the long run (`--ignored`).
const TERMS: usize = 30_000;
const LONG_TERMS: usize = 100_000;

use carbon::{analyze, Options};

fn codes_on_small_stack(src: String) -> Vec<&'static str> {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let a = analyze("deep.carbon", src.as_bytes(), Options::default());
            // Explaining and rendering are recursive passes too.
            let _ = a.report().map(|r| carbon::render::json(Some(&r), &a.diags, &a.sources));
            a.diags.iter().map(|d| d.code).collect::<Vec<_>>()
        })
        .expect("a thread")
        .join()
        .expect("no stack overflow or panic")
}

#[test]
fn hundred_thousand_parentheses() {
    let src = format!("let x = {}1 t{}\n", "(".repeat(100_000), ")".repeat(100_000));
    assert_eq!(codes_on_small_stack(src), vec!["carbon::limits::depth"]);
}

#[test]
fn hundred_thousand_signs() {
    let src = format!("let x = {}1 t\n", "-".repeat(100_000));
    assert_eq!(codes_on_small_stack(src), vec!["carbon::limits::depth"]);
}

#[test]
fn hundred_thousand_powers() {
    let src = format!("let x = {}2\n", "2^".repeat(100_000));
    assert_eq!(codes_on_small_stack(src), vec!["carbon::limits::depth"]);
}

#[test]
fn just_under_the_limit_evaluates() {
    // 250 levels of parentheses and a 250-term sum: within the limits, evaluated,
    // explained and rendered without overflowing a 2 MiB stack.
    let nested = format!("{}1 t{}", "(".repeat(250), ")".repeat(250));
    let sum = vec!["1 t"; 250].join(" + ");
    let src = format!(
        "inventory \"L\" {{ period 1 a from s; gwp AR6 }}\nsource s \"test\"\nlet a = {nested} from s\nlet b = {sum} from s\nemission e {{ amount (a + b) * 1 tCO2/t / 1 a }}\n"
    );
    let codes = codes_on_small_stack(src);
    assert!(!codes.iter().any(|c| c.starts_with("carbon::limits")), "{codes:?}");
}

#[test]
fn a_long_chain_of_names_is_explained_without_recursing_through_it() {
    // 5,000 lets, each reading the previous: the dependency chain is long, but
    // ordering, evaluation and explanation do not recurse along it.
    let mut src =
        String::from("inventory \"C\" { period 1 a from s; gwp AR6 }\nsource s \"test\"\nlet v0 = 1 tCO2/a from s\n");
    for i in 1..5000 {
        src.push_str(&format!("let v{i} = v{} + 0 tCO2/a\n", i - 1));
    }
    src.push_str("emission e { amount v4999 }\n");
    let codes = codes_on_small_stack(src);
    assert!(
        !codes
            .iter()
            .any(|c| c.starts_with("carbon::limits") || *c == "carbon::eval::not_finite"),
        "{codes:?}"
    );
}

/// A program whose `total` is one `let` of `n` terms joined by `ops` in turn.
fn long_total(n: usize, ops: &[&str], term: &str) -> String {
    let mut src = String::from("inventory \"County\" { period 1 a from s; gwp AR6 }\nsource s \"parcels\"\n");
    let mut total = String::from("let total = t0");
    for i in 0..n {
        src.push_str(&format!("let t{i} = {term} from s\n"));
        if i > 0 {
            total.push_str(&format!(" {} t{i}", ops[i % ops.len()]));
        }
    }
    src.push_str(&total);
    src.push_str("\nemission e { amount total }\n");
    src
}

/// The value of `total`, and the diagnostics, of a program analysed on a small stack.
fn total_on_small_stack(src: String) -> (Option<f64>, Vec<&'static str>) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let a = analyze("sum.carbon", src.as_bytes(), Options::default());
            let r = a.report();
            let _ = r.as_ref().map(|r| carbon::render::json(Some(r), &a.diags, &a.sources));
            let total = r
                .as_ref()
                .and_then(|r| r.terms.iter().find(|t| t.name == "e"))
                .map(|t| t.value);
            (total, a.diags.iter().map(|d| d.code).collect::<Vec<_>>())
        })
        .expect("a thread")
        .join()
        .expect("no stack overflow or panic")
}

#[test]
fn a_long_sum_evaluates() {
    a_sum_evaluates(TERMS);
}

fn a_sum_evaluates(long: usize) {
    // A flat sum is not nesting: 256 terms, 1,025 and `long` in one `let`.
    for n in [256, 1025, long] {
        let (total, codes) = total_on_small_stack(long_total(n, &["+"], "1 tCO2/a"));
        assert!(!codes.iter().any(|c| c.starts_with("carbon::limits")), "{n}: {codes:?}");
        // Within the rounding of 1 tCO2/a in base units (per second), summed.
        let t = total.unwrap_or_else(|| panic!("{n}: no total: {codes:?}"));
        assert!((t - n as f64).abs() < 1e-9 * n as f64, "{n}: {t}");
    }
}

#[test]
fn a_long_product_evaluates() {
    a_product_evaluates(TERMS);
}

fn a_product_evaluates(n: usize) {
    // 2 × 2 / 2 × 2 / …: plain numbers, `n` factors in one `let` (alternate
    // products and quotients after the first).
    let src = long_total(n, &["/", "*"], "2").replace("amount total", "amount total * 1 tCO2/a");
    let (total, codes) = total_on_small_stack(src);
    let t = total.unwrap_or_else(|| panic!("no total: {codes:?}"));
    let want = if n.is_multiple_of(2) { 4.0 } else { 2.0 };
    assert!((t - want).abs() < 1e-9, "{t}");
}

#[test]
fn a_long_chain_of_plus_and_minus_evaluates() {
    plus_and_minus_evaluate(TERMS + 1);
}

fn plus_and_minus_evaluate(n: usize) {
    // t0 + t1 − t2 + t3 − …: the terms cancel in pairs after the first (`n` odd).
    assert!(!n.is_multiple_of(2));
    for minus in ["−", "-"] {
        let (total, codes) = total_on_small_stack(long_total(n, &[minus, "+"], "1 tCO2/a"));
        let t = total.unwrap_or_else(|| panic!("no total: {codes:?}"));
        assert!((t - 1.0).abs() < 1e-9, "{t}");
    }
}

#[test]
fn a_long_chain_beside_a_syntax_error() {
    chain_beside_a_syntax_error(TERMS, 1000);
}

fn chain_beside_a_syntax_error(n: usize, names: usize) {
    // A syntax error elsewhere: the file goes through the prepass, pest and its
    // builder, which build the chain as the fast path does, without recursing
    // along it, and report only the error. The chain reads `names` distinct lets
    // in turn (each let costs the slow path time, the chain is what is tested).
    let mut src = long_total(names, &["+", "-"], "1 tCO2/a");
    let extra: String = (names..n)
        .map(|i| format!(" {} t{}", ["+", "-"][i % 2], i % names))
        .collect();
    let at = src.find("\nemission e").expect("the total");
    src.insert_str(at, &extra);
    src.push_str("let broken = = 1\n");
    let codes = codes_on_small_stack(src);
    assert!(codes.iter().all(|c| c.starts_with("carbon::syntax")), "{codes:?}");
    assert!(!codes.is_empty());
}

/// The long run: every chain 100,000 terms long, each term its own `let`.
#[test]
#[ignore = "long: cargo test --release --test limits -- --ignored"]
fn long_run() {
    a_sum_evaluates(LONG_TERMS);
    a_product_evaluates(LONG_TERMS);
    plus_and_minus_evaluate(LONG_TERMS + 1);
    chain_beside_a_syntax_error(LONG_TERMS, LONG_TERMS);
}
