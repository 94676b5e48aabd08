//! The nesting limits hold in process, on a test thread's small stack (2 MiB by
//! default, the default), in a debug build: every recursive pass is bounded by
//! the limit checked before it runs.

use carbon::{analyze, Options};

fn codes_on_small_stack(src: String) -> Vec<&'static str> {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let a = analyze("deep.carbon", src.as_bytes(), Options::default());
            // Explaining and rendering are recursive passes too.
            let _ = a.report().map(|r| carbon::render::json(Some(&r), &a.diags, &a.sources));
            a.diags.iter().map(|d| d.code).collect::<Vec<_>>()
        })
        .expect("a thread")
        .join()
        .expect("no stack overflow or panic")
}

#[test]
fn hundred_thousand_parentheses() {
    let src = format!("let x = {}1 t{}\n", "(".repeat(100_000), ")".repeat(100_000));
    assert_eq!(codes_on_small_stack(src), vec!["carbon::limits::depth"]);
}

#[test]
fn hundred_thousand_signs() {
    let src = format!("let x = {}1 t\n", "-".repeat(100_000));
    assert_eq!(codes_on_small_stack(src), vec!["carbon::limits::depth"]);
}

#[test]
fn hundred_thousand_powers() {
    let src = format!("let x = {}2\n", "2^".repeat(100_000));
    assert_eq!(codes_on_small_stack(src), vec!["carbon::limits::depth"]);
}

#[test]
fn just_under_the_limit_evaluates() {
    // 250 levels of parentheses and a 250-term sum: within the limits, evaluated,
    // explained and rendered without overflowing a 2 MiB stack.
    let nested = format!("{}1 t{}", "(".repeat(250), ")".repeat(250));
    let sum = vec!["1 t"; 250].join(" + ");
    let src = format!(
        "inventory \"L\" {{ period 1 a from s; gwp AR6 }}\nsource s \"test\"\nlet a = {nested} from s\nlet b = {sum} from s\nemission e {{ amount (a + b) * 1 tCO2/t / 1 a }}\n"
    );
    let codes = codes_on_small_stack(src);
    assert!(!codes.iter().any(|c| c.starts_with("carbon::limits")), "{codes:?}");
}

#[test]
fn a_long_chain_of_names_is_explained_without_recursing_through_it() {
    // 5,000 lets, each reading the previous: the dependency chain is long, but
    // ordering, evaluation and explanation do not recurse along it.
    let mut src =
        String::from("inventory \"C\" { period 1 a from s; gwp AR6 }\nsource s \"test\"\nlet v0 = 1 tCO2/a from s\n");
    for i in 1..5000 {
        src.push_str(&format!("let v{i} = v{} + 0 tCO2/a\n", i - 1));
    }
    src.push_str("emission e { amount v4999 }\n");
    let codes = codes_on_small_stack(src);
    assert!(
        !codes
            .iter()
            .any(|c| c.starts_with("carbon::limits") || *c == "carbon::eval::not_finite"),
        "{codes:?}"
    );
}
