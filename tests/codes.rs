//! The catalog of diagnostic codes (`src/codes.rs`): every `"carbon::…"` code
//! written in `src/` is in it, every entry is used, every code is produced by a
//! program under `tests/` (or a named library call below), and `carbon
//! explain-code` explains them.

mod common;
use carbon::codes::{self, CODES, PREFIX};
use carbon::Options;
use common::{carbon, root};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Codes no program can produce, each with the reason (also in its explanation).
const UNREACHABLE: &[(&str, &str)] = &[
    (
        "carbon::units::not_a_gas",
        "every field fed to a GWP conversion is checked as one substance first (units::wrong_kind)",
    ),
    (
        "carbon::units::time",
        "every field integrated over the period is checked as an amount or a rate first (units::wrong_kind)",
    ),
    (
        "carbon::limits::complexity",
        "pest's call budget (1000 calls a byte): no known input exhausts it before limits::depth",
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("src/ is readable") {
        let p = e.expect("a directory entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every `"carbon::…"` string literal in `src/` outside the catalog, with where
/// it is written. Literals that end in `::` are prefixes, not codes.
fn literals_in_src() -> Vec<(String, String)> {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut found = Vec::new();
    for f in files {
        if f.ends_with("codes.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).expect("a source file is text");
        for (i, _) in text.match_indices("\"carbon::") {
            let rest = &text[i + 1..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            if !rest[end..].starts_with('"') || rest[..end].ends_with("::") {
                continue;
            }
            let line = text[..i].lines().count();
            let at = format!("{}:{line}", f.strip_prefix(root()).unwrap_or(&f).display());
            found.push((rest[..end].to_string(), at));
        }
    }
    found
}

#[test]
fn every_code_in_src_is_in_the_catalog_and_every_entry_is_used() {
    let literals = literals_in_src();
    let missing: Vec<String> = literals
        .iter()
        .filter(|(c, _)| codes::find(c).is_none())
        .map(|(c, at)| format!("{c} ({at})"))
        .collect();
    assert!(
        missing.is_empty(),
        "codes not in src/codes.rs:\n  {}",
        missing.join("\n  ")
    );
    let used: BTreeSet<&str> = literals.iter().map(|(c, _)| c.as_str()).collect();
    let unused: Vec<&str> = CODES.iter().map(|c| c.code).filter(|c| !used.contains(c)).collect();
    assert!(unused.is_empty(), "catalog entries no source file uses: {unused:?}");
}

#[test]
fn the_catalog_is_well_formed() {
    let mut seen = BTreeSet::new();
    for c in CODES {
        assert!(c.code.starts_with(PREFIX), "{}", c.code);
        assert!(seen.insert(c.code), "{} twice", c.code);
        assert!(
            !c.summary.is_empty() && !c.summary.contains('\n'),
            "{}: one line",
            c.code
        );
        assert!(!c.explain.is_empty(), "{}: no explanation", c.code);
        assert_eq!(codes::find(c.code).map(|x| x.code), Some(c.code));
        assert_eq!(codes::find(&c.code[PREFIX.len()..]).map(|x| x.code), Some(c.code));
    }
    for (c, why) in UNREACHABLE {
        assert!(codes::find(c).is_some(), "{c} is not in the catalog");
        assert!(!why.is_empty());
    }
}

fn codes_of(diags: &[carbon::diag::Diag], into: &mut BTreeSet<String>) {
    into.extend(diags.iter().map(|d| d.code.to_string()));
}

/// The codes that the programs under tests/ and examples/ produce, and those of
/// the library calls and commands that only other tests exercise.
fn produced() -> BTreeSet<String> {
    let mut got = BTreeSet::new();
    for p in common::carbon_files(&["tests/errors", "tests/warnings", "tests/expect", "examples"]) {
        let bytes = std::fs::read(&p).expect("readable");
        let a = carbon::analyze(&p.to_string_lossy(), &bytes, Options::default());
        codes_of(&a.diags, &mut got);
    }
    // `carbon explain` (tests/boundary.rs, explain_json_carries_its_errors).
    let bad = carbon::analyze("bad.carbon", b"let x = 1 t + 1 m\n", Options::default());
    got.insert(bad.explain("x").expect_err("errors").code.to_string());
    let good = carbon::analyze("good.carbon", b"let x = 1 t\n", Options::default());
    got.insert(good.explain("nosuch").expect_err("unknown").code.to_string());
    // Input errors (tests/boundary.rs).
    if let Err(d) = carbon::input::read("no/such/file.carbon", 1 << 20) {
        got.insert(d.code.to_string());
    }
    let yongning = root().join("examples/yongning.carbon");
    if let Err(d) = carbon::input::read(&yongning.to_string_lossy(), 10) {
        got.insert(d.code.to_string());
    }
    // Syntax error recovery stopped (tests/scale.rs).
    let many: String = (0..carbon::syntax::MAX_SYNTAX_ERRORS + 10)
        .map(|i| format!("let x{i} = = 1\n"))
        .collect();
    let a = carbon::analyze("many.carbon", many.as_bytes(), Options::default());
    codes_of(&a.diags, &mut got);
    // `carbon run` of a file without a header.
    let out = carbon(&["run", "--format", "json", "tests/codes/no_inventory.carbon"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    for d in v["diagnostics"].as_array().expect("a list") {
        got.insert(d["code"].as_str().expect("a code").to_string());
    }
    got
}

#[test]
fn every_code_is_produced_by_a_test_program() {
    let got = produced();
    let unreachable: BTreeSet<&str> = UNREACHABLE.iter().map(|(c, _)| *c).collect();
    let missing: Vec<&str> = CODES
        .iter()
        .map(|c| c.code)
        .filter(|c| !got.contains(*c) && !unreachable.contains(c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes no program under tests/ produces (add tests/errors/<stage>_<what>.carbon):\n  {}",
        missing.join("\n  ")
    );
    let reached: Vec<&&str> = unreachable.iter().filter(|c| got.contains(**c)).collect();
    assert!(reached.is_empty(), "listed as unreachable, but produced: {reached:?}");
    let strange: Vec<&String> = got.iter().filter(|c| codes::find(c).is_none()).collect();
    assert!(strange.is_empty(), "produced, not in the catalog: {strange:?}");
}

#[test]
fn run_without_a_header_is_a_diagnostic() {
    let out = carbon(&["run", "tests/codes/no_inventory.carbon"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("carbon::run::no_inventory"), "{}", out.stderr);
    assert!(out.stderr.contains("help: add `inventory"), "{}", out.stderr);
    let out = carbon(&["run", "--format", "json", "tests/codes/no_inventory.carbon"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.is_empty(),
        "in JSON the error is in the output:\n{}",
        out.stderr
    );
    assert!(out.stdout.contains("\"carbon::run::no_inventory\""), "{}", out.stdout);
    // `check` of the same file passes: definitions need no header.
    assert_eq!(carbon(&["check", "tests/codes/no_inventory.carbon"]).code, 0);
}

#[test]
fn explain_code_explains_a_code_with_or_without_the_prefix() {
    for name in ["units::mismatch", "carbon::units::mismatch"] {
        let out = carbon(&["explain-code", name]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(out.stdout.starts_with("carbon::units::mismatch: "), "{}", out.stdout);
        assert!(out.stdout.contains("Fix:"), "{}", out.stdout);
    }
    let out = carbon(&["explain-code", "units::mismach"]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains("did you mean `carbon::units::mismatch`?"),
        "{}",
        out.stderr
    );
    // The last part of a code names it, or the codes it may be.
    let out = carbon(&["explain-code", "no_gwp"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("did you mean `carbon::units::no_gwp`?"),
        "{}",
        out.stderr
    );
    let out = carbon(&["explain-code", "cycle"]);
    assert!(
        out.stderr.contains("`carbon::names::cycle` or `carbon::units::cycle`"),
        "{}",
        out.stderr
    );
    let out = carbon(&["explain-code", "--list"]);
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout.lines().count(), CODES.len());
    assert!(out.stdout.contains("carbon::audit::tolerance"), "{}", out.stdout);
    // A code or --list is required.
    assert_eq!(carbon(&["explain-code"]).code, 2);
}
