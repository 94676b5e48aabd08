//! Every example program, run through the binary: its text (the summary, and
//! the full report with `--explain`) and JSON output are snapshots, it exits 0,
//! and its JSON has the documented shape. The summary fits a screen.

mod common;
use carbon::render::{self, SummaryOptions};
use common::{carbon, rel};

#[test]
fn examples_run_text() {
    insta::glob!("../examples", "*.carbon", |path| {
        let out = carbon(&["run", &rel(path)]);
        assert_eq!(out.code, 0, "{} failed:\n{}", rel(path), out.stderr);
        insta::assert_snapshot!(out.stdout);
    });
}

/// The full report: every term's derivation.
#[test]
fn examples_run_explain() {
    insta::glob!("../examples", "*.carbon", |path| {
        let out = carbon(&["run", &rel(path), "--explain"]);
        assert_eq!(out.code, 0, "{} failed:\n{}", rel(path), out.stderr);
        assert!(out.stdout.contains("\nExplanation\n"), "{}", out.stdout);
        insta::assert_snapshot!(out.stdout);
    });
}

const YONGNING: &str = "examples/yongning.carbon";

#[test]
fn yongning_summary_fits_a_screen() {
    let out = carbon(&["run", YONGNING]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // The warnings are counted in the summary, not listed on stderr.
    assert_eq!(out.stderr, "");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines.len() <= 60, "{} lines:\n{}", lines.len(), out.stdout);
    for l in &lines {
        assert!(l.chars().count() <= 100, "wider than 100 columns: {l:?}");
    }
    let s = &out.stdout;
    // The qualified verdict, with six significant figures at most.
    assert!(
        s.contains("carbon neutral only if the flagged stocks (22079.8 tCO2e/a, 100 % of removals)"),
        "{s}"
    );
    assert!(
        s.contains("without them net = 20506.2 tCO2e: not carbon neutral"),
        "{s}"
    );
    assert!(
        !s.contains("20506.1763") && s.contains("  coal           energy     above     4067.33 tCO2e/a"),
        "{s}"
    );
    // Every expectation on one line; the numbers of one that does not pass.
    assert_eq!(s.matches("\n  ✓ pass   ").count(), 5, "{s}");
    assert!(
        s.contains("! known  published_sink    22079.8 vs 13060.7 tCO2e/a (+69.06 %), tolerance 1 %, line 195"),
        "{s}"
    );
    // One line per warning kind, with a count and where to see them.
    assert!(
        s.contains("Warnings: 4 — `carbon check examples/yongning.carbon` lists them"),
        "{s}"
    );
    assert!(
        s.contains("\n  2 × stated total not the sum of its stated parts (carbon::audit::components)\n"),
        "{s}"
    );
    let last = lines.last().copied().unwrap_or_default();
    assert!(
        last.contains("--explain") && last.contains("carbon explain examples/yongning.carbon TERM"),
        "{last}"
    );

    // `--explain`: the full report, the warnings in full.
    let full = carbon(&["run", YONGNING, "--explain"]);
    assert_eq!(full.code, 0);
    assert!(full.stdout.contains("net = 20506.1763 tCO2e") && full.stdout.contains("\nExplanation\n"));
    assert_eq!(
        full.stderr.matches("carbon::audit::components").count(),
        2,
        "{}",
        full.stderr
    );
}

/// The summary of `path` at `width` columns, through the library.
fn summary(path: &str, width: usize) -> String {
    let a = carbon::analyze(path, &std::fs::read(path).expect("read"), carbon::Options::default());
    let r = a.report().expect("a balance");
    let mut v = Vec::new();
    render::summary_stream(&mut v, &r, &a.diags, SummaryOptions { file: path, width }).expect("write");
    String::from_utf8(v).expect("UTF-8")
}

/// The lines of the section that starts with `heading`, up to a blank line.
fn section<'s>(s: &'s str, heading: &str) -> Vec<&'s str> {
    s.lines()
        .skip_while(|l| *l != heading)
        .take_while(|l| !l.is_empty())
        .collect()
}

#[test]
fn summary_wraps_prose_to_the_width_not_tables() {
    let wide = summary(YONGNING, 200);
    let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    for width in [50, 60, 80, 100] {
        let s = summary(YONGNING, width);
        // The tables are the same at any width; every other line fits.
        let tables: Vec<&str> = [
            section(&s, "Balance (Eq. 1)"),
            section(&s, "By scope and gas (offsets aside)"),
            section(&s, "Terms"),
        ]
        .concat();
        let rows = |s: &str| -> Vec<String> {
            let t = section(s, "Terms");
            t.iter().filter(|l| l.contains("   ")).map(|l| l.to_string()).collect()
        };
        assert_eq!(rows(&s), rows(&wide), "width {width}");
        assert_eq!(rows(&s).len(), 1 + 18, "width {width}");
        // (A table line has its columns apart; a line of prose has no three spaces.)
        for l in s.lines().filter(|l| !(tables.contains(l) && l.contains("   "))) {
            assert!(l.chars().count() <= width, "width {width}: {l:?}");
        }
        // Nothing is lost: the same words in the same order.
        assert_eq!(words(&s), words(&wide), "width {width}");
    }
    // The verdict is broken only where it is too long.
    assert!(wide.contains("are taken as this period's removal; without them net = 20506.2 tCO2e"));
}

#[test]
fn summary_width_is_fixed_when_not_a_terminal() {
    let run = |columns: &str| {
        let out = common::command()
            .args(["run", YONGNING])
            .env("COLUMNS", columns)
            .output()
            .expect("runs");
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    assert_eq!(run("40"), run("300"));
    assert_eq!(run("40"), carbon(&["run", YONGNING]).stdout);
}

#[test]
fn summary_of_a_large_inventory_lists_its_largest_terms() {
    let mut src = String::from("inventory \"Many\" { period 1 a from s; gwp SAR }\nsource s \"s\"\n");
    for i in 1..=60 {
        src.push_str(&format!(
            "cover c{i} {{ area {i} hm2 from s; density 1 tC/hm2 from s; method gain; increment 1 tC/hm2/a from s }}\n"
        ));
    }
    let a = carbon::analyze("many.carbon", src.as_bytes(), carbon::Options::default());
    let r = a.report().expect("a balance");
    let mut v = Vec::new();
    let opts = SummaryOptions {
        file: "many.carbon",
        width: 100,
    };
    render::summary_stream(&mut v, &r, &a.diags, opts).expect("write");
    let s = String::from_utf8(v).expect("UTF-8");
    let rows = section(&s, "Terms");
    // Headings, the 25 largest terms from the largest down, and a count of the rest.
    assert_eq!(rows.len(), 2 + 25 + 1, "{s}");
    assert!(rows[2].starts_with("  c60 ") && rows[26].starts_with("  c36 "), "{s}");
    assert!(
        rows[27].contains("… and 35 more terms (the 25 largest are shown"),
        "{s}"
    );
    assert!(s.lines().count() <= 60, "{s}");
}

#[test]
fn examples_run_json() {
    insta::glob!("../examples", "*.carbon", |path| {
        let out = carbon(&["run", &rel(path), "--format", "json"]);
        assert_eq!(out.code, 0, "{} failed:\n{}", rel(path), out.stderr);
        let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("valid JSON");
        for key in ["inventory", "period", "balance", "terms", "diagnostics"] {
            assert!(v.get(key).is_some(), "missing `{key}`");
        }
        assert!(v["balance"]["value"].is_number());
        assert!(v["balance"]["unit"].is_string());
        for t in v["terms"].as_array().expect("terms is an array") {
            for key in ["name", "value", "unit", "share", "formula", "sources", "children"] {
                assert!(t.get(key).is_some(), "term {} lacks `{key}`", t["name"]);
            }
        }
        insta::assert_snapshot!(out.stdout);
    });
}

#[test]
fn examples_check_clean() {
    insta::glob!("../examples", "*.carbon", |path| {
        let out = carbon(&["check", &rel(path)]);
        assert_eq!(out.code, 0, "{}:\n{}", rel(path), out.stderr);
    });
}

#[test]
fn without_a_balance_errors_are_in_full_and_warnings_counted() {
    let dir = std::env::temp_dir().join(format!("carbon-summary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let f = dir.join("bad.carbon");
    std::fs::write(
        &f,
        "inventory \"x\" { period 1 a from s; gwp SAR }\nsource s \"s\"\n\
         energy c { amount 5 t; fold 1 tce/t from s; factor 2 tCO2/tce from s }\n\
         cover g { area -5 hm2 from s; density 1 tC/hm2 from s; method gain; increment 1 tC/hm2/a from s }\n",
    )
    .expect("write");
    let path = f.to_string_lossy().into_owned();
    let out = carbon(&["run", &path]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "");
    let e = &out.stderr;
    assert!(
        e.contains("carbon::check::out_of_range") && e.contains("an area cannot be negative"),
        "{e}"
    );
    assert!(
        e.contains("\n  1 × value with no `from` or `assumed` (carbon::audit::no_provenance)\n"),
        "{e}"
    );
    assert!(!e.contains("⚠"), "a warning drawn in full:\n{e}");
}
