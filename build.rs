//! Derives the keyword list from the grammar, so a new keyword is written in one
//! file (`grammar/carbon.pest`): the words of its `keyword` rule become
//! `KEYWORDS`, and the keyword that opens each `*_decl` rule becomes one of
//! `DECLARATIONS`, and every other word literal one of `CONTEXTUAL` (see
//! `src/syntax/keywords.rs`, which includes the result).
//! `tests/keywords.rs` checks the result against the grammar read by `pest_meta`.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=grammar/carbon.pest");
    println!("cargo:rerun-if-changed=build.rs");
    let grammar = std::fs::read_to_string("grammar/carbon.pest").expect("grammar/carbon.pest is readable");
    let keywords = keyword_rule(&grammar);
    assert!(!keywords.is_empty(), "grammar/carbon.pest has no `keyword` rule");
    let declarations: Vec<String> = grammar
        .lines()
        .filter_map(|l| {
            let (name, body) = l.split_once('=')?;
            name.trim().strip_suffix("_decl")?;
            let first = body.trim_start().strip_prefix('{')?.split_whitespace().next()?;
            Some(first.strip_prefix("kw_")?.to_string())
        })
        .collect();
    let contextual = contextual_words(&grammar, &keywords);
    let mut out = String::new();
    let list = |out: &mut String, name: &str, doc: &str, words: &[String]| {
        let _ = writeln!(out, "{doc}\npub const {name}: &[&str] = &[");
        for w in words {
            let _ = writeln!(out, "    {w:?},");
        }
        out.push_str("];\n");
    };
    list(
        &mut out,
        "KEYWORDS",
        "/// The keywords: reserved, never a name or a unit atom (the grammar's\n/// `keyword` rule, in its order).",
        &keywords,
    );
    list(
        &mut out,
        "DECLARATIONS",
        "/// The keywords that begin a declaration (the first word of each `*_decl`\n/// rule): the REPL tells a declaration from an expression by them.",
        &declarations,
    );
    list(
        &mut out,
        "CONTEXTUAL",
        "/// Words the grammar writes that are not keywords: they stay names wherever a\n/// name fits (`display` in a dimension, the IPCC notation keys, the words of a\n/// kind's body). Every word literal of the grammar that is not a keyword.",
        &contextual,
    );
    let dir = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&dir).join("keywords.rs"), out).expect("OUT_DIR is writable");
}

/// The string literals of the rule `keyword = _{ (... | ...) ~ !(...) }`, up to the
/// `~` that ends the choice.
fn keyword_rule(grammar: &str) -> Vec<String> {
    let Some(start) = grammar
        .lines()
        .position(|l| l.trim_start().starts_with("keyword ") || l.starts_with("keyword="))
    else {
        return Vec::new();
    };
    let text: String = grammar.lines().skip(start).collect::<Vec<_>>().join("\n");
    let body = &text[text.find('{').map_or(0, |i| i + 1)..];
    let choice = &body[..body.find('~').unwrap_or(body.len())];
    choice.split('"').skip(1).step_by(2).map(str::to_string).collect()
}

/// The word literals of the grammar (two or more letters or `_`, comments left
/// out) that are not keywords, in the order they first appear.
fn contextual_words(grammar: &str, keywords: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in grammar.lines() {
        let code = line.split("//").next().unwrap_or("");
        for w in code.split('"').skip(1).step_by(2) {
            let word = w.len() >= 2 && w.chars().all(|c| c.is_ascii_alphabetic() || c == '_');
            if word && !keywords.iter().any(|k| k == w) && !out.iter().any(|o| o == w) {
                out.push(w.to_string());
            }
        }
    }
    out
}
