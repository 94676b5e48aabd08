//! A term's derivation computed while it is printed (`Live`), and the `Tree` view the text renderer walks.

use super::*;

/// A derivation tree as the text renderer reads it: an owned [`Node`] tree
/// (`render::explain_text`), or a term's derivation computed from the analysis while it
/// is printed ([`Live`], for `render::text_stream`). `'t` is the lifetime
/// of the names. Defined here, with the views, so that render depends on
/// explain and not the other way.
pub(crate) trait Tree<'t> {
    type N: Copy;
    fn name(&self, n: Self::N) -> &'t str;
    /// Writes `value unit`.
    fn quantity(&mut self, n: Self::N, out: &mut String);
    /// Writes the formula (with the values substituted if asked); false, writing
    /// nothing, for a literal input.
    fn formula(&mut self, n: Self::N, substituted: bool, out: &mut String) -> bool;
    fn equation(&self, n: Self::N) -> Option<&'t str>;
    /// Each source's name (its citation up to the first `: `).
    fn sources(&mut self, n: Self::N, f: &mut dyn FnMut(&str));
    fn assumed(&self, n: Self::N) -> Option<&'t str>;
    /// Appends the operands shown below `n`.
    fn children(&mut self, n: Self::N, out: &mut Vec<Self::N>);
    fn kind(&self, n: Self::N) -> Option<&'t str>;
    /// Writes the part of C_above; false, writing nothing, if none.
    fn part(&mut self, n: Self::N, out: &mut String) -> bool;
    /// Writes `file:line`, or nothing.
    fn location(&mut self, n: Self::N, out: &mut String);
    fn group(&self, n: Self::N) -> Option<&'t str>;
    /// Share of the group and of the total.
    fn shares(&self, n: Self::N) -> (Option<f64>, Option<f64>);
    fn flags(&mut self, n: Self::N, f: &mut dyn FnMut(&str));
    /// Writes `… K more levels: carbon explain FILE NAME` when the derivation is
    /// cut at this node; false, writing nothing, if not.
    fn cut(&mut self, n: Self::N, out: &mut String) -> bool;
    fn expectations(&mut self, n: Self::N, f: &mut dyn FnMut(&str));
}

/// A term's derivation computed from the analysis while it is printed: the text
/// renderer walks it as it walks an owned [`Node`] tree
/// ([`Tree`]), without building one.
pub struct Live<'a> {
    e: Explainer<'a>,
    m: Memo<'a>,
    /// Shares of the root (the term being explained).
    shares: (Option<f64>, Option<f64>),
    scratch: String,
    kids: Vec<SymId>,
}

impl<'a> Live<'a> {
    pub fn new(e: Explainer<'a>) -> Self {
        Live {
            e,
            m: Memo::default(),
            shares: (None, None),
            scratch: String::new(),
            kids: Vec::new(),
        }
    }

    /// Reads ahead the data of the next terms to be written (their symbols, code,
    /// values and operands), so that their cache misses overlap.
    pub fn warm(&mut self, terms: &[TermRow<'a>]) {
        let (a, b) = &mut self.m.warm;
        self.e.warm(terms, a, b);
    }

    /// Starts the derivation of a term; returns its root.
    pub fn term(&mut self, t: &TermRow<'a>) -> (SymId, usize) {
        self.e.begin(&mut self.m, t.id);
        self.shares = (t.share, t.share_of_total);
        (t.id, 0)
    }
}

impl<'a> Tree<'a> for Live<'a> {
    type N = (SymId, usize);

    fn name(&self, n: Self::N) -> &'a str {
        let p = self.e.p;
        &p.res.syms[n.0 as usize].name
    }

    fn quantity(&mut self, n: Self::N, out: &mut String) {
        out.push_str(self.e.shown(&mut self.m, n.0));
    }

    fn formula(&mut self, n: Self::N, substituted: bool, out: &mut String) -> bool {
        match self.e.formula_code(n.0) {
            Some(c) => {
                self.e.print(&mut self.m, c, n.0, substituted, 0, out);
                true
            }
            None => false,
        }
    }

    fn equation(&self, n: Self::N) -> Option<&'a str> {
        self.e.equation(n.0)
    }

    fn sources(&mut self, n: Self::N, f: &mut dyn FnMut(&str)) {
        let p = self.e.p;
        for &i in &p.res.syms[n.0 as usize].prov.sources {
            let src = &p.res.sources[i];
            if src.name.is_empty() {
                // As the owned tree shows it: the citation up to its first ": ".
                self.scratch.clear();
                Citation(src).push_to(&mut self.scratch);
                f(before_colon_space(&self.scratch));
            } else {
                f(before_colon_space(&src.name));
            }
        }
    }

    fn assumed(&self, n: Self::N) -> Option<&'a str> {
        let p = self.e.p;
        p.res.syms[n.0 as usize].prov.assumed()
    }

    fn children(&mut self, n: Self::N, out: &mut Vec<Self::N>) {
        self.kids.clear();
        self.e.children_into(&mut self.m, n.0, n.1, &mut self.kids);
        out.extend(self.kids.iter().map(|&d| (d, n.1 + 1)));
    }

    fn kind(&self, n: Self::N) -> Option<&'a str> {
        self.e.term_decl(n.0).map(|d| d.kind.word())
    }

    fn cut(&mut self, n: Self::N, out: &mut String) -> bool {
        let Some(k) = self.e.cut(n.0, n.1) else { return false };
        push_more_levels(out, k);
        self.e.continue_with(n.0, out);
        true
    }

    fn part(&mut self, n: Self::N, out: &mut String) -> bool {
        match self.e.term_decl(n.0).and_then(Explainer::part) {
            Some(x) => {
                x.push_to(out);
                true
            }
            None => false,
        }
    }

    fn location(&mut self, n: Self::N, out: &mut String) {
        if let Some(l) = self.e.location_near(&mut self.m, n.0) {
            l.push_to(out);
        }
    }

    fn group(&self, n: Self::N) -> Option<&'a str> {
        self.e.term_decl(n.0).and_then(|d| d.group).map(Group::name)
    }

    fn shares(&self, n: Self::N) -> (Option<f64>, Option<f64>) {
        if n.1 == 0 {
            self.shares
        } else {
            (None, None)
        }
    }

    fn flags(&mut self, n: Self::N, f: &mut dyn FnMut(&str)) {
        if let Some(flag) = self.e.term_decl(n.0).and_then(Explainer::stock_flag) {
            self.scratch.clear();
            flag.push_to(&mut self.scratch);
            f(&self.scratch);
        }
        if let Some(flag) = self.e.key_flag(n.0) {
            self.scratch.clear();
            flag.push_to(&mut self.scratch);
            f(&self.scratch);
        }
    }

    fn expectations(&mut self, _: Self::N, _: &mut dyn FnMut(&str)) {}
}
