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

/// What kind of word is unknown.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum UnknownKind {
    /// A name (`undeclared_x`, `nothing.here`).
    Name,
    /// A member a declaration does not have (`coal.amout`).
    Member(DeclId),
    /// A cited source (`from tabel1`).
    Source,
}

/// One unknown word and its uses.
pub(super) struct Unknown {
    kind: UnknownKind,
    /// The word as written (`coal.amout`; for a member, the whole path).
    full: Box<str>,
    /// The first use.
    first: Span,
    /// The next uses shown, at most `SHOWN_USES`.
    also: Vec<Span>,
    uses: usize,
}

/// Uses of an unknown word shown besides the first.
pub(super) const SHOWN_USES: usize = 3;
/// Distinct unknown words given a did-you-mean at most.
pub(super) const SUGGESTED: usize = 100;
/// Names looked at, over all the did-you-means of the names stage: each looks
/// through every name of the program, so the first few unknown words of a large
/// program get one, and the stage stays linear however many there are.
pub(super) const SUGGEST_WORK: usize = 4_000_000;

impl Namer {
    pub(super) fn unknown_gwp(&mut self, name: &str, span: Span) {
        let sets: Vec<String> = self
            .decls
            .iter()
            .filter(|d| d.kind == Kind::Gwp)
            .map(|d| d.name.to_string())
            .collect();
        let mut d = Diag::error("carbon::names::unknown_gwp", format!("unknown GWP set `{name}`"))
            .at(span, "not a `gwp` declaration");
        d = d.help(suggest::help(name, sets.iter().map(|s| s.as_str()), || {
            format!("the GWP sets are: {}", sets.join(", "))
        }));
        self.diags.push(d);
    }

    /// Notes a use of an unknown word: one diagnostic for all its uses is made in
    /// `report_unknowns`.
    pub(super) fn note_unknown(&mut self, kind: UnknownKind, full: &str, span: Span) {
        let key = (kind, Box::<str>::from(full));
        match self.unknown_ix.get(&key) {
            Some(&i) => {
                let u = &mut self.unknowns[i];
                u.uses += 1;
                if u.also.len() < SHOWN_USES {
                    u.also.push(span);
                }
            }
            None => {
                self.unknown_ix.insert(key, self.unknowns.len());
                self.unknowns.push(Unknown {
                    kind,
                    full: full.into(),
                    first: span,
                    also: Vec::new(),
                    uses: 1,
                });
            }
        }
    }

    /// One diagnostic for each unknown word, at its first use, with the number of
    /// its uses and the next few of them. The first `SUGGESTED` words get a
    /// did-you-mean, so that this is linear in the size of the program.
    pub(super) fn report_unknowns(&mut self) {
        let unknowns = std::mem::take(&mut self.unknowns);
        self.unknown_ix = HashMap::default();
        let mut work = 0;
        for (k, u) in unknowns.iter().enumerate() {
            let suggest = k < SUGGESTED && work < SUGGEST_WORK;
            let full = &*u.full;
            let d = match u.kind {
                UnknownKind::Name => {
                    let (mut d, w) = unknown_name(&self.scope, &self.syms, &self.decls, full, u.first, suggest);
                    work += w;
                    if d.help.is_none() && self.source_ix.contains_key(full) {
                        d = d.help(format!("`{full}` is a source; cite it with `from {full}`"));
                    }
                    d
                }
                UnknownKind::Member(did) => {
                    let (decl, member) = full.split_once('.').unwrap_or((full, ""));
                    let d = &self.decls[did as usize];
                    let members = members(&self.syms, d).map(|(n, _)| n.to_string()).collect::<Vec<_>>();
                    let diag = Diag::error(
                        "carbon::names::unknown_member",
                        format!("`{decl}` has no value `{member}`"),
                    )
                    .at(u.first, "not a field or derived value of this declaration");
                    match suggest::closest(member, members.iter().map(|s| s.as_str())) {
                        Some(s) => diag.help(format!("did you mean `{decl}.{s}`?")),
                        None => diag.help(format!("`{decl}` has: {}", members.join(", "))),
                    }
                }
                UnknownKind::Source => {
                    let d = Diag::error("carbon::names::unknown_source", format!("unknown source `{full}`"))
                        .at(u.first, "no `source` declaration has this name");
                    let otherwise = || {
                        format!(
                            "declare it: `source {full} \"Author (year), title\"`, or cite a quoted text: `from \"…\"`"
                        )
                    };
                    d.help(if suggest {
                        work += self.source_ix.len();
                        suggest::help(full, self.source_ix.keys().map(|s| s.as_str()), otherwise)
                    } else {
                        otherwise()
                    })
                }
            };
            self.diags.push(with_uses(d, u));
        }
    }
}
