//! Diagnostics that scale (issue 15, points 7 and 8): one unknown name used many
//! times is one diagnostic, a long cycle is shown capped, and the count of syntax
//! errors is true. Not timed here: `benches/pipeline.rs`, group `unknown_uses`,
//! times the names stage on 8,000 uses.

use carbon::diag::{self, RenderOptions};
use carbon::{analyze, Analysis, Options};

const HEADER: &str = "inventory \"S\" {\n  period 1 a\n  gwp AR5\n}\n";

fn check(src: &str) -> Analysis {
    analyze("scale.carbon", src.as_bytes(), Options::default())
}

fn rendered(a: &Analysis) -> String {
    diag::render_all(&a.diags, &a.sources, RenderOptions::default())
}

/// `n` energy blocks whose factor is the undeclared `name`.
fn uses_of(name: &str, n: usize) -> String {
    let mut src = String::from(HEADER);
    src.push_str("let declared_x = 2.66 tCO2/tce\n");
    for i in 0..n {
        src.push_str(&format!(
            "energy e{i} {{\n  amount 1 t\n  fold 0.9 tce/t\n  factor {name}\n}}\n"
        ));
    }
    src
}

#[test]
fn eight_thousand_uses_of_one_unknown_name_are_one_diagnostic() {
    let a = check(&uses_of("undeclared_x", 8000));
    assert_eq!(
        a.diags.len(),
        1,
        "{:#?}",
        a.diags.iter().map(|d| &d.message).collect::<Vec<_>>()
    );
    let d = &a.diags[0];
    assert_eq!(d.code, "carbon::names::unknown");
    assert!(d.message.contains("8,000"), "{}", d.message);
    // The first use, and the next three as secondary labels.
    assert_eq!(d.labels.len(), 4, "{:?}", d.labels);
    assert!(d.labels[0].primary);
    assert!(d.labels.iter().any(|l| l.text.contains("7,996 more")), "{:?}", d.labels);
    // Did-you-mean still works.
    assert_eq!(d.help.as_deref(), Some("did you mean `declared_x`?"));
    let text = rendered(&a);
    assert!(text.len() < 3000, "{} bytes:\n{text}", text.len());
    assert!(text.ends_with("1 error\n"), "{text}");
}

#[test]
fn distinct_unknown_names_are_one_diagnostic_each() {
    let mut src = uses_of("undeclared_x", 3);
    for i in 0..3 {
        src.push_str(&format!("let y{i} = undeclared_y * 2 + other.thing\n"));
    }
    let a = check(&src);
    let messages: Vec<&str> = a.diags.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "unknown name `undeclared_x` (used 3 times)",
            "unknown name `undeclared_y` (used 3 times)",
            "unknown name `other.thing` (used 3 times)",
        ]
    );
}

#[test]
fn an_unknown_member_used_often_is_one_diagnostic() {
    let mut src = uses_of("e0.factr", 2000);
    src.push_str("let z = e1.factr\n");
    let a = check(&src);
    // `e1.factr` is another declaration's member: a diagnostic of its own.
    let messages: Vec<&str> = a.diags.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "`e0` has no value `factr` (used 2,000 times)",
            "`e1` has no value `factr`"
        ]
    );
    assert!(a.diags.iter().all(|d| d.code == "carbon::names::unknown_member"));
    assert_eq!(a.diags[0].help.as_deref(), Some("did you mean `e0.factor`?"));
}

#[test]
fn a_cycle_of_five_thousand_names_is_shown_capped() {
    let n = 5000;
    let mut src = String::from(HEADER);
    for i in 0..n {
        src.push_str(&format!("let v{i} = v{} * 1\n", (i + 1) % n));
    }
    let a = check(&src);
    assert_eq!(a.diags.len(), 1);
    let d = &a.diags[0];
    assert_eq!(d.code, "carbon::names::cycle");
    let path = &d.labels[0].text;
    assert!(path.len() < 200, "{path}");
    assert!(path.contains("(4,995 more)"), "{path}");
    assert!(path.starts_with("cycle: v0 → v1 → "), "{path}");
    assert!(path.ends_with(" → v4999 → v0"), "{path}");
    assert!(d.labels.len() <= 4, "{} labels", d.labels.len());
    let text = rendered(&a);
    assert!(text.len() < 3000, "{} bytes:\n{text}", text.len());
}

#[test]
fn a_short_cycle_is_shown_whole() {
    let src = format!("{HEADER}let a = b\nlet b = c\nlet c = a\n");
    let a = check(&src);
    assert_eq!(a.diags.len(), 1);
    assert_eq!(a.diags[0].labels[0].text, "cycle: a → b → c → a");
}

fn syntax_errors(n: usize) -> Analysis {
    let mut src = String::from(HEADER);
    for i in 0..n {
        src.push_str(&format!("let x{i} = = 1\n"));
    }
    check(&src)
}

#[test]
fn thirty_syntax_errors_are_all_counted() {
    let a = syntax_errors(30);
    assert_eq!(a.diags.len(), 30);
    let text = rendered(&a);
    assert!(text.ends_with("\n30 errors\n"), "{}", &text[text.len() - 300..]);
}

#[test]
fn five_thousand_syntax_errors_say_recovery_stopped() {
    let a = syntax_errors(5000);
    let errors = a.diags.iter().filter(|d| d.is_error()).count();
    assert_eq!(errors, carbon::syntax::MAX_SYNTAX_ERRORS);
    assert!(a
        .diags
        .iter()
        .all(|d| d.code == "carbon::syntax" || d.code == diag::RECOVERY_STOPPED));
    let stopped: Vec<_> = a.diags.iter().filter(|d| d.code == diag::RECOVERY_STOPPED).collect();
    assert_eq!(stopped.len(), 1);
    assert!(!stopped[0].is_error());
    let text = rendered(&a);
    // Line 55 is the 51st `let`, where checking stopped.
    assert!(
        text.ends_with("\n50 errors (recovery stopped at line 55 after the first syntax errors: there may be more)\n"),
        "{}",
        &text[text.len() - 300..]
    );
    assert!(text.contains("syntax error recovery stopped after 50 errors"), "{text}");
}

/// 2,000 uses in CI; 8,000 in the long run (`cargo test --release --test scale --
/// --ignored`).
#[test]
fn two_thousand_uses_of_one_unknown_unit_are_one_diagnostic() {
    uses_of_one_unknown_unit_are_one_diagnostic(2000, "2,000", "1,996");
}

#[test]
#[ignore = "long: cargo test --release --test scale -- --ignored"]
fn eight_thousand_uses_of_one_unknown_unit_are_one_diagnostic() {
    uses_of_one_unknown_unit_are_one_diagnostic(8000, "8,000", "7,996");
}

fn uses_of_one_unknown_unit_are_one_diagnostic(n: usize, uses: &str, more: &str) {
    let mut src = String::from(HEADER);
    for i in 0..n {
        src.push_str(&format!("let v{i} = 5 tonnez\n"));
    }
    src.push_str("let w = 2 kgz\nlet w2 = 3 kgz\nlet w3 = 1 gramz\n");
    let a = check(&src);
    let units: Vec<_> = a.diags.iter().filter(|d| d.code == "carbon::units::unknown").collect();
    assert_eq!(
        units.len(),
        3,
        "{:#?}",
        units.iter().map(|d| &d.message).collect::<Vec<_>>()
    );
    let d = units[0];
    assert_eq!(d.message, format!("unknown unit `tonnez` (used {uses} times)"));
    assert_eq!(d.labels.len(), 4, "{:?}", d.labels);
    assert!(d.labels[0].primary);
    assert!(d.labels[3].text.contains(&format!("{more} more")), "{:?}", d.labels);
    assert_eq!(units[1].message, "unknown unit `kgz` (used 2 times)");
    assert_eq!(units[1].labels.len(), 2, "{:?}", units[1].labels);
    assert_eq!(units[2].message, "unknown unit `gramz`");
    let text = rendered(&a);
    assert!(text.len() < 6000, "{} bytes:\n{text}", text.len());
}
