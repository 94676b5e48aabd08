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
    /// Whether strings are serialised as JSON text ([`Self::raw`]).
    raw: bool,
    /// Where a string of pieces is joined ([`Self::raw`]).
    quoted: Vec<u8>,
    /// Each source's citation, once found to need no escaping ([`Self::raw`]).
    cited: Vec<Option<Box<[u8]>>>,
    /// How a subtree is serialised to be kept, and the level of a root
    /// ([`Self::keeping`]).
    keep: Option<(KeepWith, usize)>,
    /// The JSON of subtrees kept, by symbol and depth; their size in bytes.
    kept: HashMap<At, Box<[u8]>>,
    kept_bytes: usize,
    /// Set while a subtree is serialised to be kept.
    keeping: bool,
}

/// Serialises a node into bytes as JSON text at a level (render's `Pretty`).
pub(crate) type KeepWith = fn(&mut Vec<u8>, usize, &Node<'_, '_>);

/// Bytes of JSON subtrees a [`Walker`] keeps.
const KEPT_BYTES: usize = 4 << 20;

impl<'a> Walker<'a> {
    pub(crate) fn new(e: Explainer<'a>) -> Self {
        Walker {
            e,
            m: Memo::default(),
            shares: (None, None),
            scratch: String::new(),
            stack: Vec::new(),
            raw: false,
            quoted: Vec::new(),
            cited: Vec::new(),
            keep: None,
            kept: HashMap::default(),
            kept_bytes: 0,
            keeping: false,
        }
    }

    /// A walker that serialises the subtree of a value outside the term being
    /// written (`period`, a GWP factor), which many terms repeat, once (by `with`,
    /// as JSON text `root + 2 × depth` levels deep), and then serialises those
    /// bytes, after a [`RAW_JSON`] byte, which the serializer writes as they are. A node's JSON depends only on its
    /// symbol and depth, except for the root's shares and expectations.
    pub(crate) fn keeping(mut self, with: KeepWith, root: usize) -> Self {
        self.keep = Some((with, root));
        self
    }

    /// A walker whose nodes serialise each string that needs no escaping as bytes,
    /// for a serializer that writes bytes as a string, unescaped (render's `Pretty`
    /// formatter): serde_json scans a string a byte at a time for characters to
    /// escape, which was most of the time spent writing a large report; this checks
    /// eight bytes at a time.
    pub(crate) fn raw(mut self) -> Self {
        self.raw = true;
        self
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

    /// A term's scope (1, 2, 3) and gas (`CO2`, `CH4`, `CO2e`, `mixed`).
    pub(crate) fn scope_gas(&self, n: At) -> Option<(Option<u8>, Option<&'a str>)> {
        let d = self.e.term_decl(n.0)?;
        Some((d.scope, self.e.p.gas(n.0)))
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
        let raw = w.raw;
        m.serialize_entry("name", &plain(raw, &s.name))?;
        let meaning = p.res.meaning(s);
        if !meaning.is_empty() {
            m.serialize_entry("meaning", &text(raw, meaning))?;
        }
        let (value, ui) = e.in_unit(&mut w.m, id);
        m.serialize_entry("value", &value)?;
        m.serialize_entry("unit", &text(raw, &w.m.units[ui].name))?;
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
                m.serialize_entry("formula", &text(raw, &w.scratch))?;
                w.scratch.clear();
                e.print(&mut w.m, c, id, true, 0, &mut w.scratch);
                m.serialize_entry("substituted", &text(raw, &w.scratch))?;
            }
            None => m.serialize_entry("formula", &None::<&str>)?,
        }
        if let Some(eq) = e.equation(id) {
            m.serialize_entry("equation", &plain(raw, eq))?;
        }
        let citations = Citations {
            e,
            of: &s.prov.sources,
            raw,
            cited: RefCell::new(std::mem::take(&mut w.cited)),
        };
        m.serialize_entry("sources", &citations)?;
        w.cited = citations.cited.into_inner();
        if let Some(a) = s.prov.assumed() {
            m.serialize_entry("assumed", &text(raw, a))?;
        }
        let flags = Flags {
            stock: e.term_decl(id).and_then(Explainer::stock_flag),
            key: e.key_flag(id),
            raw,
            buf: RefCell::new(std::mem::take(&mut w.quoted)),
        };
        if flags.stock.is_some() || flags.key.is_some() {
            m.serialize_entry("flags", &flags)?;
        }
        w.quoted = flags.buf.into_inner();
        w.scratch.clear();
        if let Some(l) = e.location_near(&mut w.m, id) {
            l.push_to(&mut w.scratch);
        }
        m.serialize_entry("location", &text(raw, &w.scratch))?;
        if !self.expectations.is_empty() {
            m.serialize_entry("expectations", self.expectations)?;
        }
        if let Some(d) = e.term_decl(id) {
            m.serialize_entry("kind", &plain(raw, d.kind.word()))?;
            if let Some(g) = d.group {
                m.serialize_entry("group", &plain(raw, g.name()))?;
            }
            if let Some(part) = Explainer::part(d) {
                w.scratch.clear();
                part.push_to(&mut w.scratch);
                m.serialize_entry("part", &plain(raw, &w.scratch))?;
            }
            m.serialize_entry("scope", &d.scope)?;
            if let Some(g) = e.p.gas(id) {
                m.serialize_entry("gas", &plain(raw, g))?;
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

impl Node<'_, '_> {
    /// How this node's subtree is kept, if it may be ([`Walker::keeping`]).
    fn may_keep(&self) -> Option<(KeepWith, usize)> {
        let w = self.w.borrow();
        let (id, depth) = self.at;
        let outside = w.m.decl.is_none() || w.e.decl_of(id) != w.m.decl;
        if w.keeping || depth == 0 || !outside {
            return None;
        }
        w.keep
    }

    /// Serialises this node's subtree with `with` and keeps it; the bytes if
    /// there was no room to keep them.
    fn keep(&self, with: KeepWith, root: usize) -> Option<Vec<u8>> {
        self.w.borrow_mut().keeping = true;
        let mut b = vec![RAW_JSON];
        with(&mut b, root + 2 * self.at.1, self);
        let mut w = self.w.borrow_mut();
        w.keeping = false;
        if w.kept_bytes + b.len() > KEPT_BYTES {
            return Some(b);
        }
        w.kept_bytes += b.len();
        w.kept.insert(self.at, b.into_boxed_slice());
        None
    }
}

impl Serialize for Node<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if let Some((with, root)) = self.may_keep() {
            if !self.w.borrow().kept.contains_key(&self.at) {
                if let Some(b) = self.keep(with, root) {
                    return s.serialize_bytes(&b);
                }
            }
            // Writing bytes does not reach the walker: it stays borrowed.
            let w = self.w.borrow();
            return s.serialize_bytes(&w.kept[&self.at]);
        }
        let mut m = s.serialize_map(None)?;
        self.entries(&mut m)?;
        m.end()
    }
}

/// A string of a node, as the walker serialises it ([`Walker::raw`]).
enum Text<'s> {
    Str(&'s str),
    /// A string that needs no escaping, serialised as bytes, which the serializer
    /// writes between quotes.
    Plain(&'s [u8]),
}

impl Serialize for Text<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Text::Str(x) => s.serialize_str(x),
            Text::Plain(b) => s.serialize_bytes(b),
        }
    }
}

/// The first byte of bytes that are JSON text to be written as they are (a kept
/// subtree, [`Walker::keeping`]), rather than a [`Text::Plain`] string, which
/// never holds a control character.
pub(crate) const RAW_JSON: u8 = 0;

/// `x` as a [`Text`]: plain when `raw` and it needs no escaping.
fn text(raw: bool, x: &str) -> Text<'_> {
    if raw && !needs_escape(x.as_bytes()) {
        Text::Plain(x.as_bytes())
    } else {
        Text::Str(x)
    }
}

/// `x`, an identifier or a word of the report's own (a name, a kind, a group, a
/// part, an equation), which needs no escaping, as a [`Text`]: plain when `raw`.
/// (A unit, and so a formula, may hold a tab from the file, as in `(10^4 kWh)`
/// written with a tab.)
fn plain(raw: bool, x: &str) -> Text<'_> {
    debug_assert!(!needs_escape(x.as_bytes()), "{x:?}");
    if raw {
        Text::Plain(x.as_bytes())
    } else {
        Text::Str(x)
    }
}

/// The pieces of a string, joined in `buf`, as a plain [`Text`]; `None` if some
/// piece needs escaping.
fn json_text<'b>(buf: &'b mut Vec<u8>, pieces: &[&str]) -> Option<Text<'b>> {
    if pieces.iter().any(|p| needs_escape(p.as_bytes())) {
        return None;
    }
    buf.clear();
    for p in pieces {
        buf.extend_from_slice(p.as_bytes());
    }
    Some(Text::Plain(buf))
}

/// Whether JSON escapes a byte of `s`: a control character (below 0x20), `"` or
/// `\\`. Eight bytes at a time.
fn needs_escape(s: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Some byte of `x` is below `n` (n <= 0x80); exact as a yes/no answer.
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH != 0;
    let word = |c: &[u8]| {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let x = u64::from_le_bytes(w);
        below(x, 0x20) || below(x ^ (ONES * u64::from(b'"')), 1) || below(x ^ (ONES * u64::from(b'\\')), 1)
    };
    if s.len() < 8 {
        return s.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
    }
    let mut chunks = s.chunks_exact(8);
    if chunks.any(word) {
        return true;
    }
    // The last eight bytes, overlapping the last whole chunk, cover the rest.
    !chunks.remainder().is_empty() && word(&s[s.len() - 8..])
}

/// A symbol's citations, as strings: `name: text`, or `"text"` when unnamed.
struct Citations<'a> {
    e: Explainer<'a>,
    of: &'a [usize],
    raw: bool,
    /// The walker's citations found plain ([`Walker::raw`]).
    cited: RefCell<Vec<Option<Box<[u8]>>>>,
}

impl Serialize for Citations<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.of.len()))?;
        for &i in self.of {
            let c = &self.e.p.res.sources[i];
            if self.raw && !c.name.is_empty() {
                let mut cited = self.cited.borrow_mut();
                if cited.len() <= i {
                    cited.resize(i + 1, None);
                }
                if cited[i].is_none() {
                    let mut b = Vec::new();
                    if json_text(&mut b, &[&c.name, ": ", &c.text]).is_some() {
                        cited[i] = Some(b.into_boxed_slice());
                    }
                }
                if let Some(t) = &cited[i] {
                    seq.serialize_element(&Text::Plain(t))?;
                    continue;
                }
            }
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
struct Flags<'a> {
    stock: Option<StockFlag<'a>>,
    key: Option<KeyFlag<'a>>,
    raw: bool,
    /// Where a flag is written as JSON text ([`Walker::raw`]).
    buf: RefCell<Vec<u8>>,
}

impl Serialize for Flags<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = usize::from(self.stock.is_some()) + usize::from(self.key.is_some());
        let mut seq = s.serialize_seq(Some(n))?;
        let mut b = self.buf.borrow_mut();
        if let Some(StockFlag(note)) = &self.stock {
            let sep = if note.is_some() { " — " } else { "" };
            let note = note.unwrap_or_default();
            match json_text(&mut b, &[StockFlag::TEXT, sep, note]).filter(|_| self.raw) {
                Some(t) => seq.serialize_element(&t)?,
                None => seq.serialize_element(&format_args!("{}{sep}{note}", StockFlag::TEXT))?,
            }
        }
        if let Some(KeyFlag(n)) = &self.key {
            let (word, meaning) = (n.key.word(), n.key.meaning());
            match json_text(&mut b, &[word, " (", meaning, "): ", &n.reason]).filter(|_| self.raw) {
                Some(t) => seq.serialize_element(&t)?,
                None => seq.serialize_element(&format_args!("{word} ({meaning}): {}", n.reason))?,
            }
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
        RawFlag(self, false).serialize(s)
    }
}

/// A [`FlagRef`] serialised with its strings as JSON text when the flag is true
/// (as [`Walker::raw`] does).
pub(crate) struct RawFlag<'f, 'a>(pub &'f FlagRef<'a>, pub bool);

impl Serialize for RawFlag<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (f, raw) = (self.0, self.1);
        let sep = if f.note.is_some() { " — " } else { "" };
        let note = f.note.unwrap_or_default();
        let mut m = s.serialize_map(Some(4))?;
        let mut b = Vec::new();
        m.serialize_entry("term", &text(raw, f.term))?;
        match json_text(&mut b, &[StockFlag::TEXT, sep, note]).filter(|_| raw) {
            Some(t) => m.serialize_entry("message", &t)?,
            None => m.serialize_entry("message", &format_args!("{}{sep}{note}", StockFlag::TEXT))?,
        }
        m.serialize_entry("value", &f.value)?;
        m.serialize_entry("unit", &text(raw, &f.unit))?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::needs_escape;

    #[test]
    fn escapes_what_serde_json_escapes() {
        let pieces = [
            "",
            "a",
            "plain text of some length",
            "\"",
            "\\",
            "\n",
            "\t",
            "\u{1}",
            "\u{1f}",
            " ",
            "\u{7f}",
            "é",
            "→",
            "😀",
            "tCO2e/a",
            "x\"y\\z",
        ];
        let mut next = crate::number::tests::xorshift(0x9E37_79B9_7F4A_7C15u64);
        for _ in 0..20_000 {
            let mut s = String::new();
            for _ in 0..next() % 12 {
                s.push_str(pieces[(next() % pieces.len() as u64) as usize]);
            }
            let plain = serde_json::to_string(&s).unwrap() == format!("\"{s}\"");
            assert_eq!(needs_escape(s.as_bytes()), !plain, "{s:?}");
        }
        for b in 0u8..=127 {
            let s = (b as char).to_string().repeat(9);
            let plain = serde_json::to_string(&s).unwrap() == format!("\"{s}\"");
            assert_eq!(needs_escape(s.as_bytes()), !plain, "{s:?}");
        }
    }
}
