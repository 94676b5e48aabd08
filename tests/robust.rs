//! Robustness through the binary: inputs that are odd (a byte-order mark, CRLF line
//! ends, tabs), hostile (megabytes of garbage, 100,000 nested brackets or signs) or
//! numerically nasty (overflow, NaN, zero to a negative power, division by a zero
//! reached through a name). Each input is generated at test time into its own
//! temporary directory, removed afterwards. Every run must end with the expected
//! exit status (1 for a program with errors, 0 for a valid one) and never panic.
//!
//! The inputs of the default tests are sized so that a correct implementation
//! handles each in well under a few seconds in a debug build. The 50 MB and 10 MB
//! inputs are `#[ignore]`d: run them on an optimised build with
//! `cargo test --release --test robust -- --ignored`.

mod common;
use common::{carbon, close, root, scratch, Output, Rng};

use std::fs;
use std::path::Path;
use std::time::Instant;

/// At most `n` bytes of `s` (on a character boundary), for assertion messages: the
/// diagnostics of a 2 MB line quote the line.
fn head(s: &str, n: usize) -> &str {
    if s.len() <= n {
        return s;
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Runs `carbon ARGS`, reports how long it took, and checks that it did not panic
/// and exited with `code`.
fn expect(args: &[&str], code: i32, what: &str) -> Output {
    let start = Instant::now();
    let out = carbon(args);
    eprintln!("{what}: exit {} in {:.2?}", out.code, start.elapsed());
    assert!(
        !out.stderr.contains("panicked"),
        "{what}: carbon panicked:\n{}",
        head(&out.stderr, 4000)
    );
    assert!(
        !out.stderr.contains("stack overflow"),
        "{what}: carbon overflowed its stack:\n{}",
        head(&out.stderr, 4000)
    );
    assert_eq!(
        out.code,
        code,
        "{what}: expected exit status {code}, got {} (-1 is a signal)\nstderr:\n{}\nstdout:\n{}",
        out.code,
        head(&out.stderr, 4000),
        head(&out.stdout, 2000)
    );
    out
}

/// Like `expect` with status 1, and the diagnostic `code` named in the output.
fn expect_error(args: &[&str], code: &str, what: &str) -> Output {
    let out = expect(args, 1, what);
    assert!(
        out.stderr.contains(code),
        "{what}: expected a `{code}` diagnostic, got:\n{}",
        head(&out.stderr, 4000)
    );
    out
}

fn example(name: &str) -> String {
    fs::read_to_string(root().join("examples").join(name)).expect("the example exists")
}

/// The balance of `carbon run FILE --format json`, which must exit 0.
fn balance(file: &str, what: &str) -> f64 {
    let out = expect(&["run", file, "--format", "json"], 0, what);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("valid JSON");
    v["balance"]["value"].as_f64().expect("a numeric balance")
}

fn example_balance(name: &str) -> f64 {
    let p = Path::new("examples").join(name);
    balance(&p.to_string_lossy(), name)
}

const HEADER: &str = "inventory \"Robust\" {\n  period 1 a\n  gwp AR6\n}\n";

// ---- odd but valid text --------------------------------------------------------

#[test]
fn bom_prefixed_file_runs() {
    let dir = scratch("bom");
    let mut bytes = "\u{FEFF}".as_bytes().to_vec();
    bytes.extend_from_slice(example("yongning.carbon").as_bytes());
    let f = dir.file("yongning_bom.carbon", &bytes);
    expect(&["run", &f], 0, "BOM + yongning (text)");
    let b = balance(&f, "BOM + yongning (json)");
    let want = example_balance("yongning.carbon");
    assert!(close(b, want), "balance {b} with a BOM, {want} without");
}

#[test]
fn crlf_line_ends_run() {
    let dir = scratch("crlf");
    for name in ["yongning.carbon", "demo_park.carbon"] {
        let text = example(name).replace("\r\n", "\n").replace('\n', "\r\n");
        let f = dir.file(name, text.as_bytes());
        expect(&["check", &f], 0, &format!("{name} with CRLF (check)"));
        let b = balance(&f, &format!("{name} with CRLF"));
        let want = example_balance(name);
        assert!(close(b, want), "{name}: balance {b} with CRLF, {want} with LF");
    }
}

#[test]
fn cr_only_line_ends_run() {
    // Old Mac line ends (CR alone) are line ends: the file is read as with LF, and
    // a diagnostic names the right line and column.
    let dir = scratch("cr");
    for name in ["yongning.carbon", "demo_park.carbon"] {
        let text = example(name).replace("\r\n", "\n").replace('\n', "\r");
        let f = dir.file(name, text.as_bytes());
        expect(&["check", &f], 0, &format!("{name} with CR-only line ends (check)"));
        let b = balance(&f, &format!("{name} with CR-only line ends"));
        let want = example_balance(name);
        assert!(close(b, want), "{name}: balance {b} with CR, {want} with LF");
    }
    let f = dir.file("bad.carbon", b"// cr only\rlet x = 3 t\rlet y = x + 2 a\r");
    let out = expect(&["check", &f], 1, "a unit mismatch with CR-only line ends");
    assert!(
        out.stderr.contains("bad.carbon:3:"),
        "the error is on line 3:\n{}",
        out.stderr
    );
    assert!(!out.stderr.contains("declares nothing"), "{}", out.stderr);
}

#[test]
fn tabs_instead_of_spaces_run() {
    let dir = scratch("tabs");
    for name in ["yongning.carbon", "demo_park.carbon"] {
        // Every space becomes a tab: indentation, between a field and its value,
        // between a number and its unit, inside strings and comments.
        let text = example(name).replace(' ', "\t");
        let f = dir.file(name, text.as_bytes());
        let b = balance(&f, &format!("{name} with tabs"));
        let want = example_balance(name);
        assert!(close(b, want), "{name}: balance {b} with tabs, {want} with spaces");
    }
}

#[test]
fn bom_crlf_and_tabs_together_run() {
    let dir = scratch("bom_crlf_tabs");
    let text = format!(
        "\u{FEFF}{}",
        example("demo_park.carbon").replace(' ', "\t").replace('\n', "\r\n")
    );
    let f = dir.file("demo.carbon", text.as_bytes());
    let b = balance(&f, "BOM + CRLF + tabs");
    let want = example_balance("demo_park.carbon");
    assert!(close(b, want), "balance {b}, want {want}");
}

// ---- garbage -------------------------------------------------------------------

#[test]
fn five_megabytes_of_random_bytes() {
    let dir = scratch("garbage_bytes");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let bytes: Vec<u8> = (0..5_000_000).map(|_| rng.next() as u8).collect();
    let f = dir.file("garbage.carbon", &bytes);
    expect(&["check", &f], 1, "5 MB of random bytes (check)");
    expect(&["run", &f, "--format", "json"], 1, "5 MB of random bytes (run json)");
}

/// Random tokens of the language and some that are not, valid UTF-8, with no
/// brackets or quotes (so that the pre-pass does not stop at the first one and the
/// parser and its error recovery see all of it).
fn token_soup(bytes: usize, seed: u64) -> String {
    const TOKENS: &[&str] = &[
        "let",
        "x",
        "=",
        "1",
        "2.5e3",
        "t",
        "tCO2",
        "hm2",
        "/",
        "*",
        "+",
        "-",
        "^",
        "to",
        "from",
        "assumed",
        "energy",
        "cover",
        "amount",
        "area",
        "method",
        ";",
        ".",
        ",",
        "@",
        "$",
        "é",
        "−",
        "×",
        "²",
        "10^4",
        "\n",
        "\n",
        "\t",
        "0",
        "a",
        "inventory",
        "period",
        "gwp",
        "AR6",
    ];
    let mut rng = Rng(seed);
    let mut s = String::with_capacity(bytes + 16);
    while s.len() < bytes {
        s.push_str(TOKENS[rng.below(TOKENS.len())]);
        s.push(' ');
    }
    s
}

#[test]
fn five_megabytes_of_token_soup() {
    let dir = scratch("garbage_tokens");
    let f = dir.file("soup.carbon", token_soup(5_000_000, 42).as_bytes());
    expect(&["check", &f], 1, "5 MB of token soup (check)");
}

#[test]
fn five_megabytes_of_printable_ascii() {
    // Any printable character, brackets and quotes included.
    let dir = scratch("garbage_ascii");
    let mut rng = Rng(7);
    let bytes: Vec<u8> = (0..5_000_000)
        .map(|_| match rng.below(100) {
            0..=4 => b'\n',
            _ => b' ' + rng.below(95) as u8,
        })
        .collect();
    let f = dir.file("ascii.carbon", &bytes);
    expect(&["check", &f], 1, "5 MB of printable ASCII (check)");
}

// ---- nesting limits ----------------------------------------------------------------

#[test]
fn two_megabyte_line_of_additions_is_a_flat_sum() {
    // A million terms: a sum is not nesting (only its unused `x` is reported).
    let dir = scratch("plus_chain");
    let mut s = String::from("let x = 1");
    while s.len() < 2_000_000 {
        s.push_str("+1");
    }
    s.push('\n');
    let f = dir.file("plus.carbon", s.as_bytes());
    let out = expect(&["check", &f], 0, "2 MB of 1+1+…");
    assert!(!out.stderr.contains("carbon::limits"), "{}", head(&out.stderr, 2000));
}

#[test]
fn hundred_thousand_nested_parentheses() {
    let dir = scratch("parens");
    let n = 100_000;
    let s = format!("let x = {}1{}\n", "(".repeat(n), ")".repeat(n));
    let f = dir.file("parens.carbon", s.as_bytes());
    expect_error(&["check", &f], "carbon::limits::depth", "100,000 nested (");
}

#[test]
fn hundred_thousand_unclosed_parentheses() {
    let dir = scratch("open_parens");
    let s = format!("let x = {}1\n", "(".repeat(100_000));
    let f = dir.file("open.carbon", s.as_bytes());
    expect(&["check", &f], 1, "100,000 unclosed (");
}

#[test]
fn hundred_thousand_nested_braces() {
    let dir = scratch("braces");
    let n = 100_000;
    let s = format!("energy coal {}{}\n", "{".repeat(n), "}".repeat(n));
    let f = dir.file("braces.carbon", s.as_bytes());
    expect_error(&["check", &f], "carbon::limits::depth", "100,000 nested {");
}

#[test]
fn hundred_thousand_unary_minus_signs() {
    let dir = scratch("minus");
    let s = format!("let x = {}1\n", "-".repeat(100_000));
    let f = dir.file("minus.carbon", s.as_bytes());
    expect_error(&["check", &f], "carbon::limits::depth", "100,000 unary -");
}

#[test]
fn hundred_thousand_unary_minus_signs_on_separate_lines() {
    let dir = scratch("minus_lines");
    let s = format!("let x = {}1\n", "-\n".repeat(100_000));
    let f = dir.file("minus_lines.carbon", s.as_bytes());
    expect_error(&["check", &f], "carbon::limits::depth", "100,000 lines of unary -");
}

#[test]
fn hundred_thousand_unicode_minus_signs() {
    // U+2212 MINUS SIGN is also a `neg` in the grammar.
    let dir = scratch("unicode_minus");
    let s = format!("let x = {}1\n", "\u{2212}".repeat(100_000));
    let f = dir.file("uminus.carbon", s.as_bytes());
    expect_error(&["check", &f], "carbon::limits::depth", "100,000 unary − (U+2212)");
}

#[test]
fn hundred_thousand_powers_across_lines() {
    // `^` is right-associative; an expression may continue on the next line.
    let dir = scratch("pow_lines");
    let s = format!("let x = {}1\n", "2^\n".repeat(100_000));
    let f = dir.file("pow.carbon", s.as_bytes());
    expect_error(&["check", &f], "carbon::limits::depth", "100,000 lines of 2^");
}

#[test]
fn hundred_thousand_powers_on_one_line() {
    let dir = scratch("pow_line");
    let s = format!("let x = {}1\n", "2^".repeat(100_000));
    let f = dir.file("pow.carbon", s.as_bytes());
    expect_error(&["check", &f], "carbon::limits::depth", "100,000 2^ on one line");
}

#[test]
fn diagnostic_far_to_the_right_of_a_long_line() {
    // A syntax error at column 70,000: the diagnostic must still render.
    let dir = scratch("far_column");
    let s = format!("let x = 1 t{}@\n", " ".repeat(70_000));
    let f = dir.file("far.carbon", s.as_bytes());
    expect(&["check", &f], 1, "an error at column 70,000");
}

#[test]
fn long_unit_product_is_a_diagnostic() {
    // 40,000 units multiplied: the scale and the exponents overflow; the
    // diagnostic's label is 80,000 columns wide.
    let dir = scratch("unit_product");
    let s = format!("let x = 1 {}\n", vec!["t"; 40_000].join("*"));
    let f = dir.file("units.carbon", s.as_bytes());
    expect(&["check", &f], 1, "1 t*t*…*t (40,000 units)");
}

// ---- numbers ---------------------------------------------------------------------

/// A program whose only emission is `amount EXPR`, through `run --format json`:
/// exit 1, a `code` diagnostic, and no number for a balance.
fn bad_amount(lets: &str, amount: &str, code: &str, what: &str) {
    let dir = scratch("numbers");
    let src = format!("{HEADER}{lets}\nemission e {{\n  amount {amount}\n}}\n");
    let f = dir.file("n.carbon", src.as_bytes());
    expect_error(&["check", &f], code, what);
    let out = expect(&["run", &f, "--format", "json"], 1, what);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("valid JSON");
    assert!(
        !v["balance"]["value"].is_number(),
        "{what}: a balance was reported:\n{}",
        out.stdout
    );
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .expect("diagnostics is an array")
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert!(
        codes.iter().any(|c| c.contains(code)),
        "{what}: no `{code}` diagnostic in the JSON: {codes:?}"
    );
}

#[test]
fn overflow_to_infinity_is_a_diagnostic() {
    bad_amount("", "1e300 tCO2/a * 1e300", "carbon::eval", "1e300 tCO2/a * 1e300");
    bad_amount(
        "let big = 1e300 t * 1e300",
        "big / big * 1 tCO2/a",
        "carbon::eval",
        "inf/inf",
    );
}

#[test]
fn nan_is_a_diagnostic() {
    bad_amount(
        "let big = 1e300 tCO2/a * 1e300",
        "big - big",
        "carbon::eval",
        "inf - inf",
    );
}

#[test]
fn zero_to_a_negative_power_is_a_diagnostic() {
    bad_amount("", "0^-1 * 1 tCO2/a", "carbon::eval", "0^-1");
    bad_amount("let z = 0", "z^-1 * 1 tCO2/a", "carbon::eval", "z^-1 with z = 0");
}

#[test]
fn huge_power_of_ten_is_a_diagnostic() {
    bad_amount("", "10^999 tCO2/a", "carbon::number", "10^999");
    bad_amount("", "10^99999999999999999999 tCO2/a", "carbon::number", "10^(20 digits)");
    bad_amount("", "1e99999999999999999999 tCO2/a", "carbon::number", "1e(20 digits)");
}

#[test]
fn division_by_a_referenced_zero_is_a_diagnostic() {
    bad_amount(
        "let zero = 0 a\nlet also_zero = zero",
        "5 tCO2 / also_zero",
        "division_by_zero",
        "5 tCO2 / (a name that is 0 a)",
    );
    bad_amount(
        "let z = 1 a - 1 a",
        "5 tCO2 / z",
        "division_by_zero",
        "5 tCO2 / (1 a - 1 a)",
    );
}

#[test]
fn zero_period_is_a_diagnostic() {
    // Period amounts become rates by dividing by the period.
    let dir = scratch("zero_period");
    let src = "inventory \"Z\" {\n  period 0 a\n  gwp AR6\n}\nemission e {\n  amount 5 tCO2\n}\n";
    let f = dir.file("z.carbon", src.as_bytes());
    expect(&["run", &f, "--format", "json"], 1, "period 0 a");
}

#[test]
fn negative_cover_area_is_a_diagnostic() {
    let dir = scratch("negative_area");
    let src = format!(
        "{HEADER}cover c {{\n  area -10 hm2\n  density 7 tC/hm2\n  method stock_as_removal assumed \"test\"\n}}\n"
    );
    let f = dir.file("neg.carbon", src.as_bytes());
    expect(&["run", &f], 1, "cover with area -10 hm2");
}

#[test]
fn share_above_one_hundred_percent_is_a_diagnostic() {
    let dir = scratch("excluded_150");
    let src = format!(
        "{HEADER}transport trucks {{\n  amount 120 t/a\n  fold fold_diesel\n  factor 3.1 tCO2/tce\n  excluded 150 %\n}}\n"
    );
    let f = dir.file("excl.carbon", src.as_bytes());
    expect(&["run", &f], 1, "transport with excluded 150 %");
}

// ---- big inputs (release only) -------------------------------------------------------

/// About `bytes` of emission declarations of 1 tCO2/a each; returns the count.
fn many_emissions(bytes: usize, sep: &str) -> (String, usize) {
    let mut s = String::with_capacity(bytes + 200);
    s.push_str(HEADER);
    s.push_str("source meter \"meter readings\"\n");
    let mut n = 0;
    while s.len() < bytes {
        s.push_str(&format!("emission e{n} {{ amount 1 tCO2/a from meter }}{sep}"));
        n += 1;
    }
    s.push('\n');
    (s, n)
}

// Run with `cargo test --release --test robust -- --ignored`: a debug build parses
// tens of megabytes too slowly for the default test run.
#[test]
#[ignore = "50 MB: run with `cargo test --release --test robust -- --ignored`"]
fn fifty_megabytes_of_valid_declarations() {
    let dir = scratch("fifty_mb");
    let (src, n) = many_emissions(50_000_000, "\n");
    let f = dir.file("big.carbon", src.as_bytes());
    let b = balance(&f, "50 MB of emission declarations");
    assert!(close(b, n as f64), "balance {b}, want {n} tCO2e");
}

// Run with `cargo test --release --test robust -- --ignored`.
#[test]
#[ignore = "10 MB: run with `cargo test --release --test robust -- --ignored`"]
fn ten_megabyte_line_of_additions_hits_the_depth_limit() {
    let dir = scratch("ten_mb_line");
    let mut s = String::with_capacity(10_000_016);
    s.push_str("let x = 1");
    while s.len() < 10_000_000 {
        s.push_str("+1");
    }
    s.push('\n');
    let f = dir.file("plus10.carbon", s.as_bytes());
    expect_error(&["check", &f], "carbon::limits::depth", "10 MB of 1+1+…");
}

// Run with `cargo test --release --test robust -- --ignored`.
#[test]
#[ignore = "10 MB: run with `cargo test --release --test robust -- --ignored`"]
fn ten_megabyte_line_of_valid_declarations() {
    let dir = scratch("ten_mb_decls");
    let (src, n) = many_emissions(10_000_000, "; ");
    let f = dir.file("line10.carbon", src.as_bytes());
    let b = balance(&f, "10 MB line of emission declarations");
    assert!(close(b, n as f64), "balance {b}, want {n} tCO2e");
}
