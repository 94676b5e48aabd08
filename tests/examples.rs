//! Every example program, run through the binary: its text and JSON output are
//! snapshots, it exits 0, and its JSON has the documented shape.

mod common;
use common::{carbon, rel};

#[test]
fn examples_run_text() {
    insta::glob!("../examples", "*.carbon", |path| {
        let out = carbon(&["run", &rel(path)]);
        assert_eq!(out.code, 0, "{} failed:\n{}", rel(path), out.stderr);
        insta::assert_snapshot!(out.stdout);
    });
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
