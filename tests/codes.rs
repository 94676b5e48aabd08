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
    (
        "carbon::repl::no_value",
        "a loaded session has computed every value (notation keys count as zero)",
    ),
    (
        "carbon::repl::terminal",
        "the line editor must fail to start or to read from a terminal",
    ),
];

/// A REPL script over examples/yongning.carbon: one line for each error of the
/// session and its front (tests/repl.rs shows them in transcripts).
const REPL_SCRIPT: &[&str] = &[
    ":frobnicate",                                         // repl::unknown_command
    ":explain",                                            // repl::usage
    "coal.amout = 3 t",                                    // repl::unknown_value
    "coal.equivalent = 3 tce",                             // repl::not_an_input
    ":seek coal.amount for net = 0 tCO2e in 0 t .. 100 t", // repl::no_solution
    ":save examples/yongning.carbon",                      // repl::overwrite
    ":save target/no-such-folder/saved.carbon",            // output::write
    "coal.amount = 1200 t",                                // repl::unsaved (a warning at the end)
    "\u{ff}",                                              // input::utf8 (a line that is not UTF-8)
];

/// Runs the binary with `input` on standard input.
fn carbon_piped(args: &[&str], input: &[u8]) -> common::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_carbon"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("carbon runs");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    stdin.write_all(input).expect("write the script");
    drop(stdin);
    let out = child.wait_with_output().expect("carbon ends");
    common::Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The codes of the diagnostics in a command's text output: a line that is a
/// code (as miette draws it) or starts `error[CODE]:` (a diagnostic without a
/// place), and every `"code"` of a JSON output.
fn codes_in_output(text: &str, into: &mut BTreeSet<String>) {
    let is_code =
        |s: &str| s.starts_with(PREFIX) && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
    for line in text.lines() {
        let t = line.trim();
        if is_code(t) {
            into.insert(t.to_string());
        } else if let Some(rest) = t.strip_prefix("error[").or_else(|| t.strip_prefix("warning[")) {
            if let Some((code, _)) = rest.split_once("]:") {
                into.insert(code.to_string());
            }
        } else if let Some(rest) = t.strip_prefix("\"code\": \"") {
            into.insert(rest.trim_end_matches(['"', ',']).to_string());
        }
    }
}

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
    // The errors of the REPL and of the command line (tests/repl.rs,
    // tests/repl_front.rs, tests/boundary.rs).
    let script: Vec<u8> = REPL_SCRIPT
        .iter()
        .flat_map(|l| {
            if *l == "\u{ff}" {
                vec![0xff, b'\n']
            } else {
                format!("{l}\n").into_bytes()
            }
        })
        .collect();
    let outputs = [
        carbon_piped(&["repl", "examples/yongning.carbon"], &script),
        carbon_piped(&["repl", "tests/codes/no_inventory.carbon"], b":balance\n"), // repl::no_balance
        carbon(&["repl", "tests/errors/check_field_type.carbon"]),                 // repl::has_errors
        carbon(&["explain-code", "units::mismach"]),                               // cli::unknown_code
        carbon(&["run", "examples/yongning.carbon", "--by", "year"]),              // cli::years
        carbon(&[
            "check",
            "examples/yongning.carbon",
            "--deny-warnings",
            "--format",
            "json",
        ]),
    ];
    for out in &outputs {
        assert_ne!(out.code, 0, "{}", out.stderr);
        codes_in_output(&out.stdout, &mut got);
        codes_in_output(&out.stderr, &mut got);
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
fn command_line_and_repl_errors_are_coded_diagnostics() {
    // A file that cannot be read: in JSON, the object with the code.
    let out = carbon(&["check", "/nope.carbon", "--format", "json"]);
    assert_eq!(out.code, 1);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(v["diagnostics"][0]["code"], "carbon::input::read", "{}", out.stdout);
    // `--deny-warnings`: in text the line that replaces `ok`, in JSON in the list.
    let out = carbon(&["check", "examples/yongning.carbon", "--deny-warnings"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.ends_with(
            "error[carbon::cli::deny_warnings]: examples/yongning.carbon has warnings and --deny-warnings is set\n"
        ),
        "{}",
        out.stderr
    );
    let out = carbon(&["run", "examples/yongning.carbon", "--deny-warnings", "--format", "json"]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("\"carbon::cli::deny_warnings\""), "{}", out.stdout);
    let out = carbon(&["check", "examples/yongning.carbon", "--format", "json"]);
    assert_eq!(out.code, 0);
    assert!(!out.stdout.contains("deny_warnings"), "{}", out.stdout);
    // The REPL: drawn as its other diagnostics, and the script fails.
    let out = carbon_piped(&["repl", "examples/yongning.carbon"], b":frobnicate\n");
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .starts_with("carbon::repl::unknown_command\n\n  × unknown command `:frobnicate`"),
        "{}",
        out.stderr
    );
    // Every new code is explained.
    for code in ["repl::unknown_command", "cli::deny_warnings", "output::write"] {
        let out = carbon(&["explain-code", code]);
        assert_eq!(out.code, 0, "{code}: {}", out.stderr);
    }
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
        out.stderr
            .starts_with("error[carbon::cli::unknown_code]: `units::mismach` is not a diagnostic code\n"),
        "{}",
        out.stderr
    );
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
