//! `carbon run` writes the derivations in batches on two threads, each computed
//! while it is written (`render::text_to`, `render::json_to`); the output must be,
//! term by term, each term's derivation written on its own (`render::explain_text`,
//! and the serde serialisation of `explain::Derivation`).

#[path = "../benches/workload.rs"]
mod workload;

use carbon::{analyze, render, Analysis, Options};

fn same_output(a: &Analysis, what: &str) {
    let r = a.report().expect("a balance");
    let text = render::text(&r);
    let (head, _) = text.split_once("\nExplanation\n").expect("the derivations");
    let mut whole = format!("{head}\nExplanation\n");
    for t in &r.terms {
        let mut d = a.explain(t.name).expect("a term has a derivation");
        // The report shows the expectations apart, not on each term.
        d.expectations.clear();
        whole.push('\n');
        whole.push_str(&render::explain_text(&d));
    }
    assert!(text == whole, "{what}: the text of the terms differs");
    let json = render::json(Some(&r), &a.diags, &a.sources);
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let terms = v["terms"].as_array().expect("terms");
    assert_eq!(terms.len(), r.terms.len(), "{what}");
    for (t, got) in r.terms.iter().zip(terms) {
        let mut d = a.explain(t.name).expect("a term has a derivation");
        d.expectations.clear();
        // Both read back the same way (the parser may round the last digit), key
        // order kept.
        let want: serde_json::Value =
            serde_json::from_str(&serde_json::to_string_pretty(&d).expect("serialises")).expect("JSON");
        let (got, want) = (got.to_string(), want.to_string());
        assert!(got == want, "{what}: the JSON of `{}` differs:\n{got}\n{want}", t.name);
    }
}

#[test]
fn streamed_output_is_each_term_on_its_own() {
    // 1,500 terms: several batches on each thread.
    let (src, _) = workload::generate(1500, workload::DEFAULT_SEED);
    let a = analyze("w.carbon", src.as_bytes(), Options::default());
    same_output(&a, "W(1500)");
}

#[test]
fn streamed_examples_are_each_term_on_its_own() {
    for name in ["yongning", "demo_park", "notation_keys"] {
        let path = format!("{}/examples/{name}.carbon", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).expect("the example");
        let a = analyze(&path, &bytes, Options::default());
        same_output(&a, name);
    }
}
