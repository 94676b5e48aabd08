//! Analysis, the balance report, and both renderings (text and JSON), plus the
//! derivation of every top-level term: none may panic, the JSON must parse, and no
//! NaN or infinity may reach a balance that is reported (README, "Diagnostics and
//! limits").

#![no_main]

use carbon::{analyze, render, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let a = analyze("fuzz.carbon", data, Options::default());
    let report = a.report();
    let json = render::json(report.as_ref(), &a.diags, &a.sources);
    let v: serde_json::Value = serde_json::from_str(&json).expect("render::json prints valid JSON");
    assert!(v.is_object(), "render::json printed a non-object:\n{json}");
    if let Some(r) = &report {
        let _ = render::text(r);
        for q in [&r.balance, &r.emissions, &r.removals, &r.period] {
            assert!(
                q.value.is_finite(),
                "non-finite value {} {} in the report",
                q.value,
                q.unit
            );
        }
        assert!(v["balance"]["value"].is_number(), "balance is not a number in JSON");
        for t in &r.terms {
            assert!(t.value.is_finite(), "term `{}` is {}", t.name, t.value);
            if let Ok(n) = a.explain(&t.name) {
                let _ = render::explain_text(&n);
            }
        }
    }
});
