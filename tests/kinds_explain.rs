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

/// A file large enough to be named in pieces (streaming, over 256 KiB): the
/// citations of a kind's values and defaults, quoted or named after the kind,
/// are numbered as in a small file.
#[test]
fn citations_of_a_kind_in_a_streamed_file() {
    let kind = r#"inventory "P" { period 1 a assumed "a year"  gwp AR6 }
kind burner "fuel burnt" {
  field amount : flow mass "fuel burnt"
  field factor? : CO2/mass = 2 tCO2/t "emission factor" from "a quoted default, p. 9"
  value emission = amount * factor "emission" from guide
  value twice = emission * 2 "twice the emission" from "a quoted value, p. 4"
  term co2e(per_period(emission)) "burner term"
  group above
}
burner coal { amount 100 t/a assumed "log" }
"#;
    let mut big = kind.to_string();
    let mut i = 0;
    while big.len() < 300 * 1024 {
        big.push_str(&format!(
            "let pad_{i} = {i} t assumed \"padding, to stream the file in pieces\"\n"
        ));
        i += 1;
    }
    let tail = "source guide \"Boiler guide: Table 1\"\n";
    let dir = common::scratch("kinds_streamed");
    let small = dir.file("small.carbon", format!("{kind}{tail}"));
    let big = dir.file("big.carbon", format!("{big}{tail}"));
    let a = carbon(&["explain", &small, "coal"]);
    let b = carbon(&["explain", &big, "coal"]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert_eq!(b.code, 0, "{}", b.stderr);
    let body = |s: &str| s.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&a.stdout), body(&b.stdout));
    assert!(a.stdout.contains("· from \"a quoted default, p. 9\""), "{}", a.stdout);
    assert!(a.stdout.contains("· from guide"), "{}", a.stdout);
}
