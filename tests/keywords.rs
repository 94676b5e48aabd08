//! One keyword list (`carbon::syntax::keywords`), checked against the grammar
//! that defines the keywords (`grammar/carbon.pest`, read with `pest_meta`) and
//! against everything that must know them: the fast parser, the syntax help,
//! REPL completion and the fuzz dictionary. `build.rs` derives the list from the
//! grammar; these tests read the grammar independently, with pest's own parser.

use carbon::session::Session;
use carbon::source::SourceId;
use carbon::syntax::keywords::{is_keyword, CONTEXTUAL, DECLARATIONS, KEYWORDS};
use carbon::syntax::{parse_expr_fast_only, parse_expr_pest_only, parse_fast_only, parse_pest_only};
use pest_meta::ast::{Expr, Rule};
use std::collections::BTreeSet;
use std::path::Path;

const SRC: SourceId = SourceId(3);

fn read(path: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn grammar() -> Vec<Rule> {
    grammar_of(&read("grammar/carbon.pest"))
}

fn grammar_of(text: &str) -> Vec<Rule> {
    let pairs = pest_meta::parser::parse(pest_meta::parser::Rule::grammar_rules, text).expect("the grammar parses");
    pest_meta::parser::consume_rules(pairs).expect("the grammar is valid")
}

/// A literal that is a word (`"within"`, not `"=="`, `"10^"` or `"e"`).
fn is_word(s: &str) -> bool {
    s.len() >= 2 && s.chars().all(|c| c.is_ascii_alphabetic() || c == '_')
}

/// The word literals (`"…"`, case-sensitive) of the given rules.
fn words<'a>(rules: impl IntoIterator<Item = &'a Rule>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for r in rules {
        for e in r.expr.iter_top_down() {
            if let Expr::Str(s) = e {
                if is_word(&s) {
                    out.insert(s);
                }
            }
        }
    }
    out
}

fn set(words: &[&str]) -> BTreeSet<String> {
    words.iter().map(|w| w.to_string()).collect()
}

#[test]
fn the_list_is_every_word_of_the_grammar() {
    assert_eq!(set(KEYWORDS).len(), KEYWORDS.len(), "a keyword is listed twice");
    let all = words(&grammar());
    // The deliberate exceptions: words of the grammar that are not reserved.
    let contextual = set(CONTEXTUAL);
    assert!(
        contextual.is_subset(&all),
        "keywords::CONTEXTUAL names a word the grammar no longer has: {:?}",
        contextual.difference(&all).collect::<Vec<_>>()
    );
    let keywords: BTreeSet<String> = all.difference(&contextual).cloned().collect();
    assert_eq!(
        keywords,
        set(KEYWORDS),
        "the words of grammar/carbon.pest (left) and src/syntax/keywords.rs (right) differ: \
         a new keyword goes in KEYWORDS, a word that stays a name in CONTEXTUAL"
    );
}

/// The check below sees a word added to the grammar's `keyword` rule without
/// the `kw_` rule that parses it. (A keyword added with both reaches KEYWORDS,
/// the parsers, help, completion and the fuzz dictionary through build.rs.)
#[test]
fn a_keyword_without_its_rule_is_caught() {
    let text = read("grammar/carbon.pest");
    let more = text.replace(r#"| "override")"#, r#"| "override" | "between")"#);
    assert_ne!(more, text, "the `keyword` rule ends with \"override\"");
    let rules = grammar_of(&more);
    let reserved = words(rules.iter().find(|r| r.name == "keyword"));
    assert!(reserved.contains("between") && !rules.iter().any(|r| r.name == "kw_between"));
}

#[test]
fn the_grammar_reserves_every_keyword_with_its_own_rule() {
    let rules = grammar();
    let rule = |name: &str| rules.iter().find(|r| r.name == name);
    let reserved = words(rule("keyword"));
    assert_eq!(
        reserved,
        set(KEYWORDS),
        "the grammar's `keyword` rule (the words no name may be) differs from KEYWORDS"
    );
    for k in KEYWORDS {
        let r = rule(&format!("kw_{k}")).unwrap_or_else(|| panic!("no rule `kw_{k}` in the grammar"));
        assert_eq!(words([r]), set(&[k]), "kw_{k}");
    }
    for d in DECLARATIONS {
        assert!(KEYWORDS.contains(d), "{d}");
    }
    // The declarations: the keyword each `*_decl` rule begins with.
    let opening: BTreeSet<String> = rules
        .iter()
        .filter(|r| r.name.ends_with("_decl"))
        .filter_map(|r| {
            r.expr.iter_top_down().find_map(|e| match e {
                Expr::Ident(i) => Some(i),
                _ => None,
            })
        })
        .filter_map(|i| i.strip_prefix("kw_").map(str::to_string))
        .collect();
    assert_eq!(opening, set(DECLARATIONS), "the keywords that open a `*_decl` rule");
}

/// The entries of the libFuzzer dictionary `fuzz/dict.sh` writes (`"…"` lines;
/// keywords need no escape).
fn dictionary() -> BTreeSet<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/dict.sh");
    let out = std::process::Command::new("bash")
        .arg(&script)
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "fuzz/dict.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("the dictionary is UTF-8")
        .lines()
        .filter_map(|l| l.trim().strip_prefix('"')?.strip_suffix('"').map(str::to_string))
        .collect()
}

#[test]
fn the_fuzz_dictionary_has_every_word() {
    let dict = dictionary();
    let kinds = carbon::domain::Kind::ALL.map(|k| k.word());
    let missing: Vec<&&str> = KEYWORDS
        .iter()
        .chain(CONTEXTUAL)
        .chain(&kinds)
        .filter(|w| !dict.contains(**w))
        .collect();
    assert!(missing.is_empty(), "the dictionary of fuzz/dict.sh lacks {missing:?}");
}

#[test]
fn completion_offers_every_keyword() {
    let offered: BTreeSet<String> = Session::empty().completions().into_iter().collect();
    let missing: Vec<&&str> = KEYWORDS.iter().filter(|k| !offered.contains(**k)).collect();
    assert!(missing.is_empty(), "REPL completion lacks {missing:?}");
}

/// Whether the fast parser and the pest path both accept `text`, or both refuse it.
fn agree(text: &str) -> bool {
    let fast = parse_fast_only(SRC, text);
    let pest = parse_pest_only(SRC, text);
    assert_eq!(
        fast.is_some(),
        pest.diags.is_empty(),
        "the parsers disagree on {text:?}: pest says {:?}",
        pest.diags
    );
    fast.is_some()
}

#[test]
fn a_keyword_is_no_name_and_no_unit_in_either_parser() {
    for k in KEYWORDS {
        for t in [
            "let {k} = 1\n",
            "let x = {k}\n",
            "let x = 2 * {k}.y\n",
            "source {k} \"t\"\n",
            "energy {k} { amount 1 t }\n",
            "energy e { {k} 1 t }\n",
            "unit {k} = 2 t\n",
            "let x = 1 t/{k}\n",
        ] {
            let text = t.replace("{k}", k);
            assert!(!agree(&text), "a keyword taken as a name or unit: {text:?}");
        }
        for t in [
            "let {k}x = 1\n",
            "let x_{k} = {k}2\n",
            "energy e { {k}_1 1 t }\n",
            "unit {k}s = 2 t\n",
        ] {
            let text = t.replace("{k}", k);
            assert!(
                agree(&text),
                "a word that only begins or ends with a keyword refused: {text:?}"
            );
        }
        assert!(
            parse_expr_fast_only(SRC, k).is_none() && parse_expr_pest_only(SRC, k).is_err(),
            "{k}"
        );
        assert!(is_keyword(k));
    }
    for w in CONTEXTUAL {
        assert!(agree(&format!("let {w} = 1\n")), "{w} is a name");
        assert!(!is_keyword(w));
    }
}

#[test]
fn every_keyword_as_a_name_gets_the_same_help() {
    for k in KEYWORDS {
        let text = format!("let {k} = 1\n");
        let p = parse_pest_only(SRC, &text);
        let help = p.diags.first().and_then(|d| d.help.as_deref());
        assert_eq!(
            help,
            Some(format!("`{k}` is a keyword of the language and cannot be used as a name").as_str()),
            "{text:?}: {:?}",
            p.diags
        );
    }
}
