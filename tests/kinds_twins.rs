//! The oracle for moving the nine built-in kinds into the prelude (issue 17,
//! point 2): the kinds written in the language (tests/kinds/nine.carbon, the
//! text of docs/design/kinds.md §2, as twins `energy_k`, `transport_k`, …) give
//! every example the same numbers as the built-in kinds: each field, derived
//! value, term, group and the balance, symbol by symbol.

mod common;

use carbon::names::SymKind;
use carbon::{analyze, Options};

/// The program with each declaration of a built-in kind moved to its twin.
fn twin(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let rest = line.trim_start();
        let indent = &line[..line.len() - rest.len()];
        let word: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let after = &rest[word.len()..];
        if common::NINE_KINDS.contains(&word.as_str()) && after.starts_with(' ') {
            out.push_str(&format!("{indent}{word}_k{after}\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str(&std::fs::read_to_string("tests/kinds/nine.carbon").expect("the twins"));
    out
}

#[test]
fn the_nine_kinds_written_in_the_language_give_the_same_numbers() {
    let mut examples: Vec<_> = std::fs::read_dir("examples")
        .expect("examples")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "carbon"))
        .collect();
    examples.sort();
    let mut compared = 0;
    for path in examples {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path).expect("an example");
        let a = analyze(&name, text.as_bytes(), Options::default());
        let mut twinned = twin(&text);
        let mut b = analyze(&name, twinned.as_bytes(), Options::default());
        // A field its method does not use is an error with the twins (the
        // built-in kinds required it and ignored it): taken out, and the values
        // of that declaration compared where they still exist.
        let mut cut: Vec<String> = Vec::new();
        let mut unused: Vec<usize> = b
            .diags
            .iter()
            .filter(|d| d.code == "carbon::check::unused_field")
            .filter_map(|d| d.labels.first().map(|l| l.span.start as usize))
            .collect();
        if !unused.is_empty() {
            unused.sort_unstable_by(|x, y| y.cmp(x));
            for at in unused {
                let end = twinned[at..].find([';', '\n']).map_or(twinned.len(), |k| {
                    at + k + usize::from(twinned[at + k..].starts_with(';'))
                });
                let decl_start = twinned[..at]
                    .rfind('{')
                    .and_then(|k| twinned[..k].rfind('\n'))
                    .map_or(0, |k| k + 1);
                let decl: String = twinned[decl_start..]
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("")
                    .to_string();
                cut.push(decl);
                twinned.replace_range(at..end, "");
            }
            b = analyze(&name, twinned.as_bytes(), Options::default());
        }
        let errors: Vec<String> = b
            .diags
            .iter()
            .filter(|d| d.is_error())
            .map(|d| format!("{}: {}", d.code, d.message))
            .collect();
        assert!(errors.is_empty(), "{name} with the twins: {errors:#?}");
        let (pa, va) = (
            a.program.as_ref().expect("checks"),
            a.values.as_ref().expect("evaluates"),
        );
        let (pb, vb) = (
            b.program.as_ref().expect("checks"),
            b.values.as_ref().expect("evaluates"),
        );
        for (i, s) in pa.res.syms.iter().enumerate() {
            let counted = matches!(
                s.kind,
                SymKind::Field { .. } | SymKind::Derived { .. } | SymKind::Term { .. } | SymKind::Group
            );
            // (`flows` and `integrated` are not names of the program.)
            if s.prelude || !counted || pa.res.find(&s.name) != Some(i as u32) {
                continue;
            }
            let Some(x) = va.get(i as u32) else { continue };
            let of_cut = s.name.split('.').next().is_some_and(|d| cut.iter().any(|c| c == d)) && s.name.contains('.');
            let y = match pb.res.find(&s.name).and_then(|j| vb.get(j)) {
                Some(y) => y,
                // A value of a declaration whose unused fields were cut.
                None if of_cut => continue,
                None => panic!("{name}: `{}` is missing with the twins", s.name),
            };
            let close = (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1e-300);
            assert!(close, "{name}: `{}` = {x} built in, {y} with the twins", s.name);
            compared += 1;
        }
    }
    eprintln!("{compared} values compared");
    assert!(compared > 100, "only {compared} values compared");
}
