//! The pipeline's modules point one way: no module of `src/` (a file, or a folder
//! of files as one) reaches, through
//! `crate::…` paths, a module that reaches it back. Read from the sources (code
//! only: comments and strings are blanked), so a new back edge fails here with
//! the cycle named.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Blanks `//` comments and string literals (enough for this code base: no raw
/// strings hold `crate::`).
fn code_only(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut chars = src.chars().peekable();
    let mut in_str = false;
    while let Some(c) = chars.next() {
        if in_str {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '\'' => {
                // A char literal such as '"' must not open a string; a lifetime
                // ('a) has no closing quote within two characters.
                let rest: String = chars.clone().take(3).collect();
                let close = if let Some(escaped) = rest.strip_prefix('\\') {
                    escaped.find('\'').map(|i| i + 2)
                } else {
                    rest.char_indices()
                        .nth(1)
                        .filter(|&(_, c)| c == '\'')
                        .map(|(i, _)| i + 1)
                };
                if let Some(n) = close {
                    for _ in 0..n {
                        chars.next();
                    }
                }
                out.push(' ');
            }
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Each module of `src/` (the files of `src/syntax/` as one) and the modules it
/// names with `crate::`. The binary's files and the crate root are left out.
fn graph(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    // (module, file): a file of src/, or any file of a folder src/NAME/ as NAME.
    let mut files = Vec::new();
    for e in std::fs::read_dir(root.join("src")).expect("src exists").flatten() {
        let p = e.path();
        if p.is_dir() {
            let module = p.file_name().and_then(|s| s.to_str()).unwrap_or("").to_string();
            for f in std::fs::read_dir(&p).expect("a module folder").flatten() {
                if f.path().extension().is_some_and(|x| x == "rs") {
                    files.push((module.clone(), f.path()));
                }
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("").to_string();
            files.push((stem, p));
        }
    }
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, p) in &files {
        let module = module.clone();
        if matches!(module.as_str(), "main" | "repl" | "lib") {
            continue;
        }
        let text = code_only(&std::fs::read_to_string(p).expect("readable"));
        let deps = g.entry(module.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let name: String = text[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() && name != module {
                deps.insert(name);
            }
        }
    }
    let known: BTreeSet<String> = g.keys().cloned().collect();
    for deps in g.values_mut() {
        deps.retain(|d| known.contains(d));
    }
    g
}

/// A path from `from` back to `to`, if any (depth-first).
fn path(
    g: &BTreeMap<String, BTreeSet<String>>,
    from: &str,
    to: &str,
    seen: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if from == to {
        return Some(vec![to.to_string()]);
    }
    if !seen.insert(from.to_string()) {
        return None;
    }
    for d in g.get(from).into_iter().flatten() {
        if let Some(mut p) = path(g, d, to, seen) {
            p.insert(0, from.to_string());
            return Some(p);
        }
    }
    None
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let g = graph(Path::new(env!("CARGO_MANIFEST_DIR")));
    assert!(g.len() > 10, "found only {:?}", g.keys());
    let mut cycles = Vec::new();
    for (m, deps) in &g {
        for d in deps {
            if let Some(back) = path(&g, d, m, &mut BTreeSet::new()) {
                cycles.push(format!("{m} → {}", back.join(" → ")));
            }
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_reader_sees_a_back_edge() {
    // The check itself can fail: a cycle written into a copy of the graph is found.
    let mut g = graph(Path::new(env!("CARGO_MANIFEST_DIR")));
    g.get_mut("syntax").expect("a syntax module").insert("units".into());
    assert!(g.contains_key("names"), "src/names/ is read as one module");
    assert!(path(&g, "units", "syntax", &mut BTreeSet::new()).is_some());
    assert_eq!(
        code_only("a // crate::x\n\"crate::y\" '\"' crate::z"),
        "a \n   crate::z"
    );
}

/// Every file under `src/` (any depth), with its text.
fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for e in std::fs::read_dir(dir).expect("a source folder").flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if let Ok(text) = std::fs::read_to_string(&p) {
            out.push((p.display().to_string(), text));
        }
    }
}

/// The labels of Eq. 3–12 in `text` (`Eq. 3`, `Eq.10–12`, `Eqs. 8`), each as
/// written up to its number: the formulas of those equations belong to the
/// prelude's kinds, not to the interpreter.
fn kind_equations(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (i, _) in text.match_indices("Eq") {
        let rest = &text[i + 2..];
        let rest = rest.strip_prefix('s').unwrap_or(rest);
        let rest = rest.strip_prefix('.').unwrap_or(rest).trim_start_matches(' ');
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = digits.parse::<u32>() {
            if (3..=12).contains(&n) {
                found.push(format!("Eq. {n}"));
            }
        }
    }
    found
}

/// The titles of Eq. 1's groups name the equation each group's total is
/// (`C_under (Eq. 5)`): a name, not a formula.
const GROUP_TITLES: &[&str] = &["C_under (Eq. 5)", "C_min (Eq. 6)"];

/// The kinds of the balance, declared in prelude/kinds.carbon.
const PRELUDE_KINDS: [&str; 9] = common::NINE_KINDS;

/// The prelude's kind words `text` holds as string literals (`"stand"`).
fn kind_words(text: &str) -> Vec<&'static str> {
    PRELUDE_KINDS
        .iter()
        .copied()
        .filter(|k| text.contains(&format!("\"{k}\"")))
        .collect()
}

#[test]
fn src_holds_no_formula_and_no_list_of_the_prelude_kinds() {
    let mut files = Vec::new();
    sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    assert!(files.len() > 20, "found only {} files under src/", files.len());
    let mut wrong = Vec::new();
    for (path, text) in &files {
        let mut text = text.clone();
        for t in GROUP_TITLES {
            text = text.replace(t, "");
        }
        let eqs = kind_equations(&text);
        if !eqs.is_empty() {
            wrong.push(format!("{path}: {} (the prelude's kinds hold these)", eqs.join(", ")));
        }
        // One word may be something else (`gas` in `gas mass when volume`);
        // three are a list of kinds.
        let words = kind_words(&text);
        if words.len() >= 3 {
            wrong.push(format!(
                "{path}: the kinds {words:?} (declared in prelude/kinds.carbon)"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "src/ holds what belongs to the prelude's kinds:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_kind_checks_can_fail() {
    assert_eq!(kind_equations("Some(\"Eq. 3\")"), ["Eq. 3"]);
    assert_eq!(kind_equations("area S (Eq. 10–12)"), ["Eq. 10"]);
    assert_eq!(kind_equations("Eqs. 8–9, Eq.12"), ["Eq. 8", "Eq. 12"]);
    assert!(kind_equations("Eq. 1, Eq. 2, Eq. 13, Eq. 20, Equal 5").is_empty());
    assert_eq!(
        kind_words("Kind::Stand => \"stand\", Kind::Cover => \"cover\", Kind::Gas => \"gas\""),
        ["gas", "cover", "stand"]
    );
    assert!(kind_words("(\"gas\", PlaceWord::Gas), energy, stand").len() < 3);
}
