//! The audit: one small program per warning code (`tests/warnings/`) and per
//! expectation outcome (`tests/expect/`), each with its rendered output as a
//! snapshot; `--strict` and `--deny-warnings` exit codes through the binary.

mod common;
use common::{carbon, rel};

#[test]
fn warning_programs() {
    insta::glob!("warnings/*.carbon", |path| {
        let file = rel(path);
        let out = carbon(&["check", &file]);
        assert_eq!(out.code, 0, "{file}: warnings alone must not fail:\n{}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{file}:\n{}", out.stderr);
        // `allowed*.carbon`: every warning allowed, none left.
        let allowed_only = file.rsplit('/').next().is_some_and(|n| n.starts_with("allowed"));
        assert_eq!(out.stderr.contains('⚠'), !allowed_only, "{file}:\n{}", out.stderr);
        insta::assert_snapshot!(out.stderr);

        let strict = carbon(&["check", &file, "--strict"]);
        let deny = carbon(&["check", &file, "--deny-warnings"]);
        if allowed_only {
            assert_eq!(strict.code, 0, "{file} --strict:\n{}", strict.stderr);
            assert_eq!(deny.code, 0, "{file} --deny-warnings:\n{}", deny.stderr);
        } else {
            assert_eq!(strict.code, 1, "{file} --strict should fail:\n{}", strict.stderr);
            assert!(
                strict.stderr.contains("× "),
                "{file} --strict should print errors:\n{}",
                strict.stderr
            );
            assert_eq!(deny.code, 1, "{file} --deny-warnings should fail:\n{}", deny.stderr);
        }
    });
}

#[test]
fn expectation_programs() {
    insta::glob!("expect/*.carbon", |path| {
        let file = rel(path);
        let out = carbon(&["run", &file]);
        let want = if file.ends_with("fail.carbon") || file.ends_with("units.carbon") {
            1
        } else {
            0
        };
        assert_eq!(out.code, want, "{file}:\n{}", out.stderr);
        // The summary, and the full report (`--explain`).
        let full = carbon(&["run", &file, "--explain"]);
        assert_eq!(full.code, want, "{file} --explain:\n{}", full.stderr);
        let shown = format!(
            "exit status {}\n--- stdout\n{}--- stderr\n{}--- stdout with --explain\n{}--- stderr with --explain\n{}",
            out.code, out.stdout, out.stderr, full.stdout, full.stderr
        );
        insta::assert_snapshot!(shown);
    });
}

#[test]
fn json_diagnostics_carry_location() {
    let out = carbon(&["check", "tests/warnings/components.carbon", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "carbon::audit::components");
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["file"], "tests/warnings/components.carbon");
    assert_eq!(d["line"], 3);
    assert!(d["column"].as_u64().is_some_and(|c| c > 1));
    assert!(d["span"]["start"].as_u64().is_some() && d["span"]["end"].as_u64().is_some());
}

#[test]
fn failed_expectation_json_has_the_breakdown() {
    let out = carbon(&["run", "tests/expect/fail.carbon", "--format", "json"]);
    assert_eq!(out.code, 1);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let e = &v["expectations"][0];
    assert_eq!(e["status"], "fail");
    assert!(e["difference"].as_f64().is_some_and(|d| d < 0.0));
    assert_eq!(e["contributors"].as_array().map(Vec::len), Some(2));
    assert!(v["diagnostics"]
        .as_array()
        .is_some_and(|d| d.iter().any(|x| x["code"] == "carbon::audit::expect_failed")));
}

#[test]
fn explain_lists_the_expectations_of_a_term() {
    let out = carbon(&["explain", "examples/yongning.carbon", "methane"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("eq5_methane"), "{}", out.stdout);
    assert!(out.stdout.contains("eq5_total"), "{}", out.stdout);
    assert!(!out.stdout.contains("published_sink"), "{}", out.stdout);
}

#[test]
fn yongning_surfaces_the_papers_inconsistencies() {
    let out = carbon(&["check", "examples/yongning.carbon", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    for want in [
        "carbon::audit::components",
        "carbon::audit::disagree",
        "carbon::audit::stock_as_removal",
        "carbon::audit::known_discrepancy",
    ] {
        assert!(codes.contains(&want), "missing {want} in {codes:?}");
    }
    assert_eq!(
        codes.iter().filter(|c| **c == "carbon::audit::components").count(),
        2,
        "grassland and farmland"
    );
    assert_eq!(
        carbon(&["check", "examples/yongning.carbon", "--deny-warnings"]).code,
        1
    );
}
