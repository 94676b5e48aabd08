//! Kinds declared in the language, as `carbon explain` shows them: a derived
//! value cites the kind's source (`value … from SOURCE`) or its assumption, on
//! the line below it, like a field's.

mod common;
use common::carbon;

/// The line after the first line that contains `what`.
fn line_after<'a>(text: &'a str, what: &str) -> Option<&'a str> {
    let mut lines = text.lines();
    lines.by_ref().find(|l| l.contains(what))?;
    lines.next()
}

#[test]
fn derived_values_cite_the_kinds_sources() {
    let out = carbon(&["explain", "tests/programs/user_kind_sources.carbon", "coal"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let eq = line_after(&out.stdout, "coal.equivalent = ").unwrap_or_default();
    assert!(
        eq.trim_start_matches(['│', ' ']).starts_with("· from guide"),
        "{}",
        out.stdout
    );
    let em = line_after(&out.stdout, "coal.emission = ").unwrap_or_default();
    assert!(
        em.trim_start_matches(['│', ' '])
            .starts_with("· ASSUMED: the boiler's own formula"),
        "{}",
        out.stdout
    );
}
