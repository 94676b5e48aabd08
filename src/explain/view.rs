//! A derivation, computed from the analysis while it is written: the text renderer
//! walks it ([`Walker`]), and JSON is serialised from it through serde ([`Node`],
//! [`Derivation`]). Nothing of a derivation is kept once it is written.

use super::*;
use crate::audit::ExpectResult;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use std::cell::RefCell;

/// A node of a derivation: a symbol and its depth below the root.
pub(crate) type At = (SymId, usize);

/// The derivation of one value (`carbon explain`, `:explain`): the root's value,
/// its shares when it is a term of the balance, and the expectations that read it.
/// Its operands are computed while it is written (`crate::render::explain_text`,
/// or serialised: the JSON object of `carbon explain`, without `diagnostics`).
#[derive(Clone)]
pub struct Derivation<'a> {
    pub explainer: Explainer<'a>,
    pub id: SymId,
    pub name: &'a str,
    /// The value in its display unit.
    pub value: f64,
    pub unit: Arc<str>,
    /// Share of its group (terms of the balance) — a fraction.
    pub share: Option<f64>,
    /// Share of total emissions (emission terms) or of total removals (sinks).
    pub share_of_total: Option<f64>,
    /// Expectations whose computed side depends on this value.
    pub expectations: Vec<ExpectResult>,
}

impl std::fmt::Debug for Derivation<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Derivation")
            .field("name", &self.name)
            .field("value", &self.value)
            .field("unit", &self.unit)
            .field("share", &self.share)
            .field("share_of_total", &self.share_of_total)
            .field("expectations", &self.expectations.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Explainer<'a> {
    /// The derivation of a symbol, without shares or expectations.
    pub fn derivation(&self, id: SymId) -> Derivation<'a> {
        let mut m = Memo::default();
        let (value, ui) = self.in_unit(&mut m, id);
        Derivation {
            explainer: *self,
            id,
            name: &self.p.res.syms[id as usize].name,
            value,
            unit: m.units[ui].name.clone(),
            share: None,
            share_of_total: None,
            expectations: Vec::new(),
        }
    }
}

/// Computes derivations while they are written, one term after another on one
/// thread, keeping what the terms repeat ([`Memo`]).
pub(crate) struct Walker<'a> {
    e: Explainer<'a>,
    m: Memo<'a>,
    /// Shares of the root (the term being written).
    shares: (Option<f64>, Option<f64>),
    scratch: String,
    /// Operands of the nodes being serialised, a range for each level.
    stack: Vec<SymId>,
}

impl<'a> Walker<'a> {
    pub(crate) fn new(e: Explainer<'a>) -> Self {
        Walker {
            e,
            m: Memo::default(),
            shares: (None, None),
            scratch: String::new(),
            stack: Vec::new(),
        }
    }

    /// Reads ahead the data of the next terms to be written (their symbols, code,
    /// values and operands), so that their cache misses overlap.
    pub(crate) fn warm(&mut self, terms: &[TermRow<'a>]) {
        let (a, b) = &mut self.m.warm;
        self.e.warm(terms, a, b);
    }

    /// Starts the derivation of a term of the report; returns its root.
    pub(crate) fn term(&mut self, t: &TermRow<'a>) -> At {
        self.e.begin(&mut self.m, t.id);
        self.shares = (t.share, t.share_of_total);
        (t.id, 0)
    }

    /// Starts a derivation; returns its root.
    pub(crate) fn root(&mut self, d: &Derivation<'a>) -> At {
        self.e.begin(&mut self.m, d.id);
        self.shares = (d.share, d.share_of_total);
        (d.id, 0)
    }

    pub(crate) fn name(&self, n: At) -> &'a str {
        &self.e.p.res.syms[n.0 as usize].name
    }

    /// Writes `value unit`.
    pub(crate) fn quantity(&mut self, n: At, out: &mut String) {
        out.push_str(self.e.shown(&mut self.m, n.0));
    }

    /// Writes the formula (with the values substituted if asked); false, writing
    /// nothing, for a literal input.
    pub(crate) fn formula(&mut self, n: At, substituted: bool, out: &mut String) -> bool {
        match self.e.formula_code(n.0) {
            Some(c) => {
                self.e.print(&mut self.m, c, n.0, substituted, 0, out);
                true
            }
            None => false,
        }
    }

    pub(crate) fn equation(&self, n: At) -> Option<&'static str> {
        self.e.equation(n.0)
    }

    /// Each source's name (its citation up to the first `: `).
    pub(crate) fn sources(&mut self, n: At, mut f: impl FnMut(&str)) {
        let p = self.e.p;
        for &i in &p.res.syms[n.0 as usize].prov.sources {
            let src = &p.res.sources[i];
            if src.name.is_empty() {
                self.scratch.clear();
                Citation(src).push_to(&mut self.scratch);
                f(before_colon_space(&self.scratch));
            } else {
                f(before_colon_space(&src.name));
            }
        }
    }

    pub(crate) fn assumed(&self, n: At) -> Option<&'a str> {
        self.e.p.res.syms[n.0 as usize].prov.assumed()
    }

    /// Appends the operands shown below `n`.
    pub(crate) fn children(&mut self, n: At, out: &mut Vec<At>) {
        let first = self.stack.len();
        self.e.children_into(&mut self.m, n.0, n.1, &mut self.stack);
        out.extend(self.stack[first..].iter().map(|&d| (d, n.1 + 1)));
        self.stack.truncate(first);
    }

    pub(crate) fn kind(&self, n: At) -> Option<&'static str> {
        self.e.term_decl(n.0).map(|d| d.kind.word())
    }

    /// Writes `… K more levels: carbon explain FILE NAME` when the derivation is
    /// cut at this node; false, writing nothing, if not.
    pub(crate) fn cut(&mut self, n: At, out: &mut String) -> bool {
        let Some(k) = self.e.cut(n.0, n.1) else { return false };
        push_more_levels(out, k);
        self.e.continue_with(n.0, out);
        true
    }

    /// Writes the part of C_above; false, writing nothing, if none.
    pub(crate) fn part(&mut self, n: At, out: &mut String) -> bool {
        match self.e.term_decl(n.0).and_then(Explainer::part) {
            Some(x) => {
                x.push_to(out);
                true
            }
            None => false,
        }
    }

    /// Writes `file:line`, or nothing.
    pub(crate) fn location(&mut self, n: At, out: &mut String) {
        if let Some(l) = self.e.location_near(&mut self.m, n.0) {
            l.push_to(out);
        }
    }

    pub(crate) fn group(&self, n: At) -> Option<&'static str> {
        self.e.term_decl(n.0).and_then(|d| d.group).map(Group::name)
    }

    /// Share of the group and of the total (the root's only).
    pub(crate) fn shares(&self, n: At) -> (Option<f64>, Option<f64>) {
        if n.1 == 0 {
            self.shares
        } else {
            (None, None)
        }
    }

    /// The flags shown on a node: a flagged modelling choice, a notation key.
    pub(crate) fn flags(&mut self, n: At, mut f: impl FnMut(&str)) {
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
}

/// A node of a derivation as a JSON object, its operands serialised (and computed)
/// within it: `name`, `meaning`, `value`, `unit`, `share`, `share_of_emissions` or
/// `share_of_removals`, `formula`, `substituted`, `equation`, `sources`, `assumed`,
/// `flags`, `location`, `expectations`, `kind`, `group`, `part`, `more_levels`,
/// `continue_with`, `children` (the optional keys only when set).
pub(crate) struct Node<'w, 'a> {
    w: &'w RefCell<Walker<'a>>,
    at: At,
    expectations: &'w [ExpectResult],
}

impl<'w, 'a> Node<'w, 'a> {
    /// The root of the term `t` of a report, started on `w`.
    pub(crate) fn term(w: &'w RefCell<Walker<'a>>, t: &TermRow<'a>) -> Self {
        let at = w.borrow_mut().term(t);
        Node {
            w,
            at,
            expectations: &[],
        }
    }

    /// The root of `d`, started on `w`.
    pub(crate) fn root(w: &'w RefCell<Walker<'a>>, d: &'w Derivation<'a>) -> Self {
        let at = w.borrow_mut().root(d);
        Node {
            w,
            at,
            expectations: &d.expectations,
        }
    }

    /// Writes the node's keys and values into `m`.
    pub(crate) fn entries<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
        let (id, depth) = self.at;
        let mut guard = self.w.borrow_mut();
        let w = &mut *guard;
        let e = w.e;
        let p = e.p;
        let s = &p.res.syms[id as usize];
        m.serialize_entry("name", &*s.name)?;
        let meaning = p.res.meaning(s);
        if !meaning.is_empty() {
            m.serialize_entry("meaning", meaning)?;
        }
        let (value, ui) = e.in_unit(&mut w.m, id);
        m.serialize_entry("value", &value)?;
        m.serialize_entry("unit", &*w.m.units[ui].name)?;
        let (share, of_total) = w.shares(self.at);
        m.serialize_entry("share", &share)?;
        if let Some(x) = of_total {
            let sinks = e.term_decl(id).and_then(|d| d.group) == Some(Group::Sinks);
            m.serialize_entry(
                if sinks {
                    "share_of_removals"
                } else {
                    "share_of_emissions"
                },
                &x,
            )?;
        }
        match e.formula_code(id) {
            Some(c) => {
                w.scratch.clear();
                e.print(&mut w.m, c, id, false, 0, &mut w.scratch);
                m.serialize_entry("formula", &*w.scratch)?;
                w.scratch.clear();
                e.print(&mut w.m, c, id, true, 0, &mut w.scratch);
                m.serialize_entry("substituted", &*w.scratch)?;
            }
            None => m.serialize_entry("formula", &None::<&str>)?,
        }
        if let Some(eq) = e.equation(id) {
            m.serialize_entry("equation", eq)?;
        }
        m.serialize_entry("sources", &Citations(e, &s.prov.sources))?;
        if let Some(a) = s.prov.assumed() {
            m.serialize_entry("assumed", a)?;
        }
        let flags = Flags(e.term_decl(id).and_then(Explainer::stock_flag), e.key_flag(id));
        if flags.0.is_some() || flags.1.is_some() {
            m.serialize_entry("flags", &flags)?;
        }
        w.scratch.clear();
        if let Some(l) = e.location_near(&mut w.m, id) {
            l.push_to(&mut w.scratch);
        }
        m.serialize_entry("location", &*w.scratch)?;
        if !self.expectations.is_empty() {
            m.serialize_entry("expectations", self.expectations)?;
        }
        if let Some(d) = e.term_decl(id) {
            m.serialize_entry("kind", d.kind.word())?;
            if let Some(g) = d.group {
                m.serialize_entry("group", g.name())?;
            }
            if let Some(Part(land)) = Explainer::part(d) {
                m.serialize_entry("part", &format_args!("{} ({})", land.symbol(), land.name()))?;
            }
        }
        if let Some(k) = e.cut(id, depth) {
            m.serialize_entry("more_levels", &k)?;
            w.scratch.clear();
            e.continue_with(id, &mut w.scratch);
            m.serialize_entry("continue_with", &*w.scratch)?;
        }
        let first = w.stack.len();
        e.children_into(&mut w.m, id, depth, &mut w.stack);
        let end = w.stack.len();
        // The operands serialise themselves with the walker: let it go.
        drop(guard);
        let children = Children {
            w: self.w,
            range: first..end,
            depth: depth + 1,
        };
        let done = m.serialize_entry("children", &children);
        self.w.borrow_mut().stack.truncate(first);
        done
    }
}

impl Serialize for Node<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        self.entries(&mut m)?;
        m.end()
    }
}

/// A symbol's citations, as strings: `name: text`, or `"text"` when unnamed.
struct Citations<'a>(Explainer<'a>, &'a [usize]);

impl Serialize for Citations<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.1.len()))?;
        for &i in self.1 {
            let c = &self.0.p.res.sources[i];
            if c.name.is_empty() {
                seq.serialize_element(&format_args!("\"{}\"", c.text))?;
            } else {
                seq.serialize_element(&format_args!("{}: {}", c.name, c.text))?;
            }
        }
        seq.end()
    }
}

/// The flags of a node, as strings: a flagged modelling choice, a notation key.
struct Flags<'a>(Option<StockFlag<'a>>, Option<KeyFlag<'a>>);

impl Serialize for Flags<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = usize::from(self.0.is_some()) + usize::from(self.1.is_some());
        let mut seq = s.serialize_seq(Some(n))?;
        if let Some(StockFlag(note)) = &self.0 {
            let sep = if note.is_some() { " — " } else { "" };
            let note = note.unwrap_or_default();
            seq.serialize_element(&format_args!("{}{sep}{note}", StockFlag::TEXT))?;
        }
        if let Some(KeyFlag(n)) = &self.1 {
            let (word, meaning) = (n.key.word(), n.key.meaning());
            seq.serialize_element(&format_args!("{word} ({meaning}): {}", n.reason))?;
        }
        seq.end()
    }
}

/// The operands of a node (symbols `range` of the walker's stack), each a [`Node`].
struct Children<'w, 'a> {
    w: &'w RefCell<Walker<'a>>,
    range: std::ops::Range<usize>,
    depth: usize,
}

impl Serialize for Children<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.range.len()))?;
        for k in self.range.clone() {
            let id = self.w.borrow().stack[k];
            seq.serialize_element(&Node {
                w: self.w,
                at: (id, self.depth),
                expectations: &[],
            })?;
        }
        seq.end()
    }
}

impl Serialize for Derivation<'_> {
    /// The derivation as `carbon explain` writes it (without its diagnostics).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let w = RefCell::new(Walker::new(self.explainer));
        Node::root(&w, self).serialize(s)
    }
}

impl Serialize for FlagRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let sep = if self.note.is_some() { " — " } else { "" };
        let note = self.note.unwrap_or_default();
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("term", self.term)?;
        m.serialize_entry("message", &format_args!("{}{sep}{note}", StockFlag::TEXT))?;
        m.serialize_entry("value", &self.value)?;
        m.serialize_entry("unit", &*self.unit)?;
        m.end()
    }
}
