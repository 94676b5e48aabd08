//! Sources and citations: `source` declarations, what a declaration cites
//! (numbered at once, or settled at the end when streaming), and the fixed texts
//! (meanings, equations) symbols keep by index.

use super::*;

/// Tags of the provisional indices a streaming namer gives citations it cannot
/// number yet (see [`Streaming`]): a named source not declared yet (index into
/// `Namer::cites`), and a quoted citation (index into `Namer::texts`).
const CITE_TAG: usize = 1 << (usize::BITS - 1);
const TEXT_TAG: usize = 1 << (usize::BITS - 2);

impl Namer {
    /// Streaming: numbers the citations that could not be numbered when they were
    /// read, as [`resolve`] numbers them (see [`Streaming`]).
    pub(super) fn settle_citations(&mut self) {
        if self.cites.is_empty() && self.texts.is_empty() && self.redeclared.is_empty() {
            return;
        }
        // A named source cited before it was declared, or not declared at all (the
        // same message as `prov` gives).
        let cites = std::mem::take(&mut self.cites);
        let mut named: Vec<Option<usize>> = Vec::with_capacity(cites.len());
        for id in &cites {
            named.push(self.source_ix.get(id.name.as_str()).copied());
            if named.last() == Some(&None) {
                self.unknown_source(id);
            }
        }
        let first_text = self.sources.len();
        let redeclared = std::mem::take(&mut self.redeclared);
        let fix = |i: usize| -> Option<usize> {
            if i & CITE_TAG != 0 {
                named.get(i & !CITE_TAG).copied().flatten()
            } else if i & TEXT_TAG != 0 {
                Some(first_text + (i & !TEXT_TAG))
            } else {
                // A source a later file declared again: citations read the later one.
                Some(redeclared.iter().find(|(old, _)| *old == i).map_or(i, |(_, new)| *new))
            }
        };
        for s in &mut self.syms {
            s.prov.sources.remap(fix);
        }
        for e in &mut self.expects {
            e.prov.sources.remap(fix);
        }
        let texts = std::mem::take(&mut self.texts);
        self.sources.extend(texts);
    }

    pub(super) fn declare_source(&mut self, s: &ast::SourceDecl) {
        if let Some(&i) = self.source_ix.get(s.name.name.as_str()) {
            let prev = self.sources[i].span;
            if prev.src == s.name.span.src {
                self.diags.push(
                    Diag::error(
                        "carbon::names::duplicate",
                        format!("the source `{}` is declared twice", s.name.name),
                    )
                    .at(s.name.span, "declared again here")
                    .also(prev, "first declared here")
                    .help("give each source its own name"),
                );
                return;
            }
        }
        if let Some(&earlier) = self.source_ix.get(s.name.name.as_str()) {
            // Declared again by a later file: that one is cited (see `Streaming`).
            if self.streaming {
                self.redeclared.push((earlier, self.sources.len()));
            }
        }
        self.source_ix.insert(s.name.name.to_string(), self.sources.len());
        self.sources.push(SourceInfo {
            name: s.name.name.to_string(),
            text: s.text.clone(),
            span: s.name.span,
        });
    }

    pub(super) fn prov(&mut self, p: &ast::Provenance) -> Prov {
        let mut out = Prov::default();
        for c in &p.from {
            match c {
                Citation::Name(id) => match self.source_ix.get(id.name.as_str()) {
                    Some(&i) => out.sources.push(i),
                    None if self.streaming => {
                        // Perhaps declared further on: settled at the end.
                        out.sources.push(CITE_TAG | self.cites.len());
                        self.cites.push(id.clone());
                    }
                    None => self.unknown_source(id),
                },
                Citation::Text(t, span) if self.streaming => {
                    // Numbered after every named source, as `resolve` does.
                    out.sources.push(TEXT_TAG | self.texts.len());
                    self.texts.push(SourceInfo {
                        name: String::new(),
                        text: t.clone(),
                        span: *span,
                    });
                }
                Citation::Text(t, span) => {
                    self.sources.push(SourceInfo {
                        name: String::new(),
                        text: t.clone(),
                        span: *span,
                    });
                    out.sources.push(self.sources.len() - 1);
                }
            }
        }
        out.assumed = p.assumed.as_ref().map(|a| Box::new(a.0.clone()));
        out
    }

    pub(super) fn unknown_source(&mut self, id: &ast::Ident) {
        self.note_unknown(UnknownKind::Source, &id.name, id.span);
    }

    /// The `Text` of a fixed text, by its address (a program has a few hundred).
    pub(super) fn text(&mut self, t: &'static str) -> Text {
        if t.is_empty() {
            return Text::NONE;
        }
        let key = (t.as_ptr() as usize, t.len());
        let class = (key.0 >> 3) % 64;
        if let Some(&(a, n, i)) = self.fixed_seen.get(class) {
            if (a, n) == key {
                return Text(i);
            }
        }
        if let Some(&i) = self.fixed_ix.get(&key) {
            self.fixed_seen[class] = (key.0, key.1, i);
            return Text(i);
        }
        // The texts are the binary's own: far fewer than 65,535.
        let Ok(i) = u16::try_from(self.fixed.len()) else {
            return Text::NONE;
        };
        self.fixed.push(t);
        self.fixed_ix.insert(key, i);
        self.fixed_seen[class] = (key.0, key.1, i);
        Text(i)
    }
}
