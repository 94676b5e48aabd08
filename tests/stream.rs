//! `carbon run` streams the derivations (`render::text_stream`, `render::json_stream`:
//! each term built while it is written, in batches on two threads); the output must
//! be the bytes of the whole report rendered at once (`render::text`, `render::json`).

#[path = "../benches/workload.rs"]
mod workload;

use carbon::{analyze, render, Analysis, Options};

fn same_output(a: &Analysis, what: &str) {
    let report = a.report().expect("a balance");
    let outline = a.outline().expect("a balance");
    let mut text = Vec::new();
    render::text_stream(&mut text, &outline).expect("write to a Vec");
    assert!(
        String::from_utf8(text).expect("UTF-8") == render::text(&report),
        "{what}: streamed text differs"
    );
    let mut json = Vec::new();
    render::json_stream(&mut json, Some(&outline), &a.diags, &a.sources).expect("write to a Vec");
    assert!(
        String::from_utf8(json).expect("UTF-8") == render::json(Some(&report), &a.diags, &a.sources),
        "{what}: streamed JSON differs"
    );
}

#[test]
fn streamed_output_is_the_whole_report() {
    // 1,500 terms: several batches on each thread.
    let (src, _) = workload::generate(1500, workload::DEFAULT_SEED);
    let a = analyze("w.carbon", src.as_bytes(), Options::default());
    same_output(&a, "W(1500)");
}

#[test]
fn streamed_examples_are_the_whole_report() {
    for name in ["yongning", "demo_park", "notation_keys"] {
        let path = format!("{}/examples/{name}.carbon", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).expect("the example");
        let a = analyze(&path, &bytes, Options::default());
        same_output(&a, name);
    }
}
