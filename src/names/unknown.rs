//! Unknown words: one diagnostic per word, with its uses and a did-you-mean.

use super::*;

/// "unknown name", with the closest global name or member as did-you-mean (when
/// `suggest`), and how many names it looked at.
pub(super) fn unknown_name(
    scope: &HashMap<SmolStr, SymId>,
    syms: &[Symbol],
    decls: &[DeclInfo],
    full: &str,
    span: Span,
    suggest: bool,
) -> (Diag, usize) {
    let d = Diag::error("carbon::names::unknown", format!("unknown name `{full}`")).at(span, "not declared anywhere");
    if let Some(k) = ast::NotationKey::from_word(full) {
        let d = d.help(format!(
            "{} ({}) is a notation key: write it as a declaration's value with its reason in quotes, `amount {} \"why there is no figure\"`",
            k.word(),
            k.meaning(),
            k.word()
        ));
        return (d, 0);
    }
    if !suggest {
        return (d, 0);
    }
    // Only the names that may be close are given to `suggest::closest` (the
    // members' full names are made for those alone).
    let near = Near::new(full);
    let mut work = scope.len();
    let mut candidates: Vec<String> = scope
        .keys()
        .filter(|k| near.may_be(&[k.as_str()]))
        .map(|k| k.to_string())
        .collect();
    for d in decls {
        for (m, _) in members(syms, d) {
            work += 1;
            if near.may_be(&[d.name.as_str(), ".", m]) {
                candidates.push(format!("{}.{m}", d.name));
            }
        }
    }
    let d = match suggest::closest(full, candidates.iter().map(|s| s.as_str())) {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None => d,
    };
    (d, work)
}

/// A quick test of whether a name may be close to a word, before
/// `suggest::closest` computes the edit distance: their lengths differ by at most
/// its largest limit (3), and so do their letters counted as bags (the bag
/// distance, which is at most the edit distance; ASCII case folded, every other
/// character counted as one).
pub(super) struct Near {
    len: usize,
    /// How many times each (folded) character is in the word.
    bag: [u16; 128],
    chars: usize,
}

impl Near {
    const LIMIT: usize = 3;

    pub(super) fn new(word: &str) -> Near {
        let mut bag = [0u16; 128];
        let mut chars = 0;
        for c in word.chars() {
            let i = Near::slot(c);
            bag[i] = bag[i].saturating_add(1);
            chars += 1;
        }
        Near {
            len: word.len(),
            bag,
            chars,
        }
    }

    pub(super) fn slot(c: char) -> usize {
        if c.is_ascii() {
            c.to_ascii_lowercase() as usize
        } else {
            0
        }
    }

    /// Whether the name written as the concatenation of `parts` may be close.
    pub(super) fn may_be(&self, parts: &[&str]) -> bool {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len.abs_diff(self.len) > Near::LIMIT {
            return false;
        }
        let mut bag = self.bag;
        // Characters of the word not matched in the name, and of the name not in
        // the word.
        let mut left = self.chars;
        let mut extra = 0;
        for c in parts.iter().flat_map(|p| p.chars()) {
            let i = Near::slot(c);
            if bag[i] > 0 {
                bag[i] -= 1;
                left -= 1;
            } else {
                extra += 1;
                if extra > Near::LIMIT {
                    return false;
                }
            }
        }
        left <= Near::LIMIT
    }
}

/// `d` (about the first use of an unknown word) with the number of uses in its
/// message and the next `SHOWN_USES` uses as secondary labels.
pub(super) fn with_uses(d: Diag, u: &Unknown) -> Diag {
    crate::diag::with_uses(d, u.uses, &u.also)
}
