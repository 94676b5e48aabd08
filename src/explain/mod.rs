//! Stage 6 (explain): turns the evaluated program into the balance report: every
//! term with its formula, the values substituted, its unit, its shares, its sources
//! and assumption marks, and the derivation of each of its operands.

mod json;
mod live;

use crate::check::{code_deps, code_syms, Code, Op, Program};
use crate::domain::{Group, Kind, Land};
use crate::eval::Values;
use crate::ir::SymId;
use crate::names::{DeclId, DeclInfo, GroupSyms, NotationInfo, SourceInfo, SymKind};
use crate::number;
use crate::source::{SourceId, SourceMap};
use crate::syntax::ast::BinOp;
use crate::units::DUnit;
pub use json::JsonTerms;
pub(crate) use json::{json_f64, json_key, json_newline, json_str};
pub use live::Live;
pub(crate) use live::Tree;
use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;
use std::sync::Arc;

#[derive(Clone, Debug, Serialize)]
pub struct Node {
    pub name: String,
    /// What the value is.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub meaning: String,
    pub value: f64,
    pub unit: String,
    /// Share of its group (terms) — a fraction, not a percentage; null below terms.
    pub share: Option<f64>,
    /// Share of total emissions (emission terms) or of total removals (sinks);
    /// written as `share_of_emissions` or `share_of_removals`.
    #[serde(skip)]
    pub share_of_total: Option<f64>,
    /// Share of total emissions (emission terms only) — a fraction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_of_emissions: Option<f64>,
    /// Share of total removals (sinks only) — a fraction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_of_removals: Option<f64>,
    pub formula: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub substituted: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equation: Option<String>,
    pub sources: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assumed: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// `file:line` of the declaration.
    pub location: String,
    /// Expectations whose computed side depends on this value.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expectations: Vec<crate::audit::ExpectResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// Set when the derivation is cut here (at the depth limit): the levels left
    /// below this node, shown by `continue_with`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub more_levels: Option<usize>,
    /// The command that continues a cut derivation from this node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continue_with: Option<String>,
    pub children: Vec<Node>,
}

/// Whether the site is carbon neutral (`net ≤ 0`), and what that rests on.
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    pub value: bool,
    /// Set when flagged modelling choices decide the sign: without them the
    /// verdict would be the opposite. `null` when the verdict stands without them.
    pub depends_on: Option<DependsOn>,
}

/// The flagged choices a verdict depends on.
#[derive(Clone, Debug, Serialize)]
pub struct DependsOn {
    /// The flag's code (`stock_as_removal`).
    pub flag: &'static str,
    /// The flagged terms.
    pub terms: Vec<String>,
    /// Their sum, in the unit of the removals.
    pub removals: Quantity,
    /// Their share of the removals (a fraction).
    pub share_of_removals: f64,
    /// The balance without them, in the unit of the balance.
    pub net_without: Quantity,
}

impl Node {
    /// Sets the share of total emissions (emission terms) or removals (sinks).
    pub fn set_share_of_total(&mut self, v: Option<f64>) {
        self.share_of_total = v;
        if self.group.as_deref() == Some("sinks") {
            self.share_of_removals = v;
        } else {
            self.share_of_emissions = v;
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Quantity {
    pub value: f64,
    pub unit: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct GroupReport {
    pub name: String,
    pub title: String,
    pub value: f64,
    pub unit: String,
    /// Subtotals of C_above by part (P_M, P_R, P_S, P_A).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartReport>,
    pub terms: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PartReport {
    pub name: String,
    pub symbol: String,
    pub value: f64,
    pub unit: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Flag {
    pub term: String,
    pub message: String,
    pub value: f64,
    pub unit: String,
}

/// A [`Flag`] of an [`Outline`] (a stock reported as the period's removal, the
/// one choice an outline flags), borrowed from the analysis: its message is
/// written where it is shown (a large inventory flags hundreds of thousands of
/// terms, each with a sentence of its own).
#[derive(Clone, Debug)]
pub struct FlagRef<'a> {
    pub term: &'a str,
    /// The declaration's note, which the message ends with.
    pub note: Option<&'a str>,
    pub value: f64,
    pub unit: Arc<str>,
}

impl FlagRef<'_> {
    /// Appends the message (`Flag::message`) to `out`.
    pub fn push_message(&self, out: &mut String) {
        StockFlag(self.note).push_to(out);
    }

    /// The owned flag, as a [`Report`] has it.
    pub fn to_flag(&self) -> Flag {
        let mut message = String::new();
        self.push_message(&mut message);
        Flag {
            term: self.term.to_owned(),
            message,
            value: self.value,
            unit: self.unit.to_string(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub inventory: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    pub period: Quantity,
    pub gwp: String,
    pub balance: Quantity,
    pub neutral: Verdict,
    pub emissions: Quantity,
    pub removals: Quantity,
    pub groups: Vec<GroupReport>,
    pub terms: Vec<Node>,
    pub flags: Vec<Flag>,
    /// Published figures checked (filled in by the audit stage).
    pub expectations: Vec<crate::audit::ExpectResult>,
    /// Warnings silenced on their declarations, with the reasons.
    pub allowed: Vec<crate::audit::Allowed>,
    /// Terms written with a notation key (NE, NO, IE, NA) instead of a figure.
    pub notation_keys: Vec<NotationReport>,
    pub completeness: Completeness,
}

/// The balance without the derivations: everything `run` prints before them (and,
/// in JSON, around them). Each term's derivation is built from `explainer` only
/// while it is printed, and dropped after ([`crate::render::text_stream`],
/// [`crate::render::json_stream`]); [`Outline::report`] builds them all.
#[derive(Clone)]
pub struct Outline<'a> {
    pub explainer: Explainer<'a>,
    pub inventory: &'a str,
    pub site: Option<&'a str>,
    pub period: Quantity,
    pub gwp: &'a str,
    pub balance: Quantity,
    pub neutral: Verdict,
    pub emissions: Quantity,
    pub removals: Quantity,
    pub groups: Vec<GroupOutline<'a>>,
    pub terms: Vec<TermRow<'a>>,
    pub flags: Vec<FlagRef<'a>>,
    /// Published figures checked (filled in from the audit).
    pub expectations: &'a [crate::audit::ExpectResult],
    /// Warnings silenced on their declarations, with the reasons.
    pub allowed: &'a [crate::audit::Allowed],
    /// Terms written with a notation key (NE, NO, IE, NA) instead of a figure.
    pub notation_keys: Vec<NotationReport>,
    pub completeness: Completeness,
}

/// A [`GroupReport`] with the term names borrowed (serialised identically).
#[derive(Clone, Debug, Serialize)]
pub struct GroupOutline<'a> {
    pub name: &'static str,
    pub title: &'static str,
    pub value: f64,
    pub unit: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartReport>,
    pub terms: Vec<&'a str>,
}

/// One term of the balance, without its derivation: a row of the terms table.
#[derive(Clone, Debug)]
pub struct TermRow<'a> {
    pub id: SymId,
    pub name: &'a str,
    pub kind: Option<&'static str>,
    pub group: Option<&'static str>,
    pub value: f64,
    pub unit: Arc<str>,
    /// Share of its group — a fraction.
    pub share: Option<f64>,
    /// Share of total emissions (emission terms) or of total removals (sinks).
    pub share_of_total: Option<f64>,
    /// The notation key written instead of a figure, if any (`NE`).
    pub key: Option<&'static str>,
}

impl Outline<'_> {
    /// The full report: every term's derivation tree, built on two threads for a
    /// long list.
    pub fn report(&self) -> Report {
        let ids: Vec<SymId> = self.terms.iter().map(|t| t.id).collect();
        let nodes = self.explainer.nodes(&ids);
        let terms = nodes
            .into_iter()
            .zip(&self.terms)
            .map(|(mut n, t)| {
                n.share = t.share;
                n.set_share_of_total(t.share_of_total);
                n
            })
            .collect();
        Report {
            inventory: self.inventory.to_owned(),
            site: self.site.map(str::to_owned),
            period: self.period.clone(),
            gwp: self.gwp.to_owned(),
            balance: self.balance.clone(),
            neutral: self.neutral.clone(),
            emissions: self.emissions.clone(),
            removals: self.removals.clone(),
            groups: self
                .groups
                .iter()
                .map(|g| GroupReport {
                    name: g.name.into(),
                    title: g.title.into(),
                    value: g.value,
                    unit: g.unit.clone(),
                    parts: g.parts.clone(),
                    terms: g.terms.iter().map(|&t| t.to_owned()).collect(),
                })
                .collect(),
            terms,
            flags: self.flags.iter().map(FlagRef::to_flag).collect(),
            expectations: self.expectations.to_vec(),
            allowed: self.allowed.to_vec(),
            notation_keys: self.notation_keys.clone(),
            completeness: self.completeness.clone(),
        }
    }
}

/// Derivations never go deeper than this (a node this deep is shown without its
/// operands).
const MAX_DEPTH: usize = 64;
/// Display units kept by a [`Memo`] (a program has a few).
const UNITS_KEPT: usize = 64;
/// Values kept by a [`Memo`] of symbols outside the term being explained.
const SHOWN_KEPT: usize = 4096;

/// The strings that the derivations of many terms repeat, kept by one thread while
/// it explains them: the display units (a handful in a whole program), and the
/// values shown of symbols outside the term being explained (`period`, GWP
/// factors), which every term shows again. The values of the term's own members
/// are kept until the next term (each is shown on its own line and in its parent's
/// formula).
#[derive(Default)]
struct Memo<'a> {
    units: Vec<KeptUnit<'a>>,
    shown: HashMap<SymId, Box<str>>,
    /// Values shown of the current declaration's members: (id, range in `arena`).
    local: Vec<(SymId, usize, usize)>,
    arena: String,
    decl: Option<DeclId>,
    deps: Vec<SymId>,
    /// The last line found: source, offset (within the text), 1-based line.
    last_line: Option<(SourceId, usize, usize)>,
    /// Symbols read ahead ([`Explainer::warm`]), a level and the next.
    warm: (Vec<SymId>, Vec<SymId>),
}

/// A display unit kept by a [`Memo`].
struct KeptUnit<'a> {
    key: u64,
    unit: &'a DUnit,
    scale: f64,
    name: Arc<str>,
}

/// A cheap hash of a display unit, to find it among the few kept without comparing
/// each.
fn unit_key(du: &DUnit) -> u64 {
    struct Fx(u64);
    impl std::hash::Hasher for Fx {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, bytes: &[u8]) {
            for &b in bytes {
                self.write_u64(u64::from(b));
            }
        }
        fn write_u64(&mut self, x: u64) {
            self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
        fn write_u32(&mut self, x: u32) {
            self.write_u64(u64::from(x));
        }
        fn write_u16(&mut self, x: u16) {
            self.write_u64(u64::from(x));
        }
        fn write_i16(&mut self, x: i16) {
            self.write_u64(x as u16 as u64);
        }
        fn write_usize(&mut self, x: usize) {
            self.write_u64(x as u64);
        }
    }
    let mut h = Fx(0);
    std::hash::Hash::hash(&du.0, &mut h);
    h.0
}

/// The number of `\n` bytes in `b`, eight bytes at a time.
fn count_newlines(b: &[u8]) -> usize {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const NL: u64 = 0x0a0a_0a0a_0a0a_0a0a;
    let mut chunks = b.chunks_exact(8);
    let mut n = 0;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        // Exactly the bytes equal to `\n` get their high bit set.
        let t = u64::from_le_bytes(w) ^ NL;
        let zero = !(((t & LOW7) + LOW7) | t | LOW7);
        n += zero.count_ones() as usize;
    }
    n + chunks.remainder().iter().filter(|&&c| c == b'\n').count()
}

/// `s` up to its first `": "` (all of it if there is none): the name of a
/// citation. A search for the byte `:` rather than for the two-byte pattern.
pub(crate) fn before_colon_space(s: &str) -> &str {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(k) = b[from..].iter().position(|&c| c == b':') {
        let at = from + k;
        if b.get(at + 1) == Some(&b' ') {
            return &s[..at];
        }
        from = at + 1;
    }
    s
}

/// Writes a value shown for display: `formatted unit`.
fn push_q(out: &mut String, v: f64, u: &str) {
    number::push_format(out, v);
    if !u.is_empty() {
        out.push(' ');
        out.push_str(u);
    }
}

/// A citation as the report shows it: `name: text`, or `"text"` when unnamed.
struct Citation<'a>(&'a SourceInfo);

impl Citation<'_> {
    /// Appends the citation.
    fn push_to(&self, out: &mut String) {
        let s = self.0;
        if s.name.is_empty() {
            out.push('"');
            out.push_str(&s.text);
            out.push('"');
        } else {
            out.push_str(&s.name);
            out.push_str(": ");
            out.push_str(&s.text);
        }
    }

    fn text(&self) -> String {
        let mut s = String::new();
        self.push_to(&mut s);
        s
    }
}

/// The flag of a stock reported as the period's removal, with the note if any.
struct StockFlag<'a>(Option<&'a str>);

impl StockFlag<'_> {
    const TEXT: &'static str = "stock treated as the period's removal: the carbon stock is reported as a removal over the inventory period (method stock_as_removal)";

    /// The flag's text.
    fn text(&self) -> String {
        let mut s = String::with_capacity(Self::TEXT.len() + self.0.map_or(0, |n| " — ".len() + n.len()));
        self.push_to(&mut s);
        s
    }

    /// Appends the flag's text to `out`.
    fn push_to(&self, out: &mut String) {
        out.push_str(Self::TEXT);
        if let Some(n) = self.0 {
            out.push_str(" — ");
            out.push_str(n);
        }
    }
}

/// A notation key written for a value, shown on it and on its term:
/// `NE (not estimated): the paper gives no figure`.
struct KeyFlag<'a>(&'a NotationInfo);

impl KeyFlag<'_> {
    fn text(&self) -> String {
        let mut s = String::new();
        self.push_to(&mut s);
        s
    }

    fn push_to(&self, out: &mut String) {
        out.push_str(self.0.key.word());
        out.push_str(" (");
        out.push_str(self.0.key.meaning());
        out.push_str("): ");
        out.push_str(&self.0.reason);
    }
}

/// A term written with a notation key instead of a figure.
#[derive(Clone, Debug, Serialize)]
pub struct NotationReport {
    pub term: String,
    /// The field that holds the key (`residential.amount`).
    pub field: String,
    pub key: &'static str,
    pub meaning: &'static str,
    pub reason: String,
}

/// How many of the balance's terms have a figure, and how many a notation key.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Completeness {
    pub terms: usize,
    pub estimated: usize,
    /// NE
    pub not_estimated: usize,
    /// NO
    pub not_occurring: usize,
    /// IE
    pub included_elsewhere: usize,
    /// NA
    pub not_applicable: usize,
}

/// The part of C_above a term belongs to: `P_M (mining)`.
struct Part(Land);

impl Part {
    /// Appends `symbol (name)`.
    fn push_to(&self, out: &mut String) {
        out.push_str(self.0.symbol());
        out.push_str(" (");
        out.push_str(self.0.name());
        out.push(')');
    }

    fn text(&self) -> String {
        let mut s = String::new();
        self.push_to(&mut s);
        s
    }
}

/// `file:line` of a declaration.
struct Location<'a>(&'a str, usize);

impl Location<'_> {
    /// Appends `file:line`.
    fn push_to(&self, out: &mut String) {
        out.push_str(self.0);
        out.push(':');
        number::push_uint(out, self.1 as u128);
    }
}

#[derive(Clone, Copy)]
pub struct Explainer<'a> {
    pub p: &'a Program,
    pub vals: &'a Values,
    pub sources: &'a SourceMap,
}

impl<'a> Explainer<'a> {
    /// The verdict on the balance: `net ≤ 0`, qualified when the removals counted
    /// by a flagged choice (`stock_as_removal`) decide its sign.
    pub fn verdict(&self) -> Option<Verdict> {
        self.verdict_from(self.flagged_stocks(), true)
    }

    /// The sum of the flagged stocks' terms (`method stock_as_removal`, in the
    /// unit of their group), and how many have a value.
    pub fn flagged_stocks(&self) -> (f64, usize) {
        let res = &self.p.res;
        let terms = res.stock_flagged.iter().filter_map(|&i| res.decls[i as usize].term);
        let values: Vec<f64> = terms.filter_map(|t| self.vals.get(t)).collect();
        (number::sum(values.iter().copied()), values.len())
    }

    /// The verdict, given [`Self::flagged_stocks`] (which the REPL keeps between
    /// what-ifs that leave the sinks unchanged); with `names` false,
    /// `depends_on.terms` is left empty.
    pub fn verdict_from(&self, (sum, flagged): (f64, usize), names: bool) -> Option<Verdict> {
        let res = &self.p.res;
        let g = res.groups.as_ref()?;
        let period = self.vals.get(res.header.as_ref()?.period?)?;
        let net = self.vals.get(g.net)?;
        let value = net <= 0.0;
        let sinks = g.groups.iter().find(|(x, _)| *x == Group::Sinks).map(|(_, i)| *i)?;
        let without = net + sum * period;
        if !value || flagged == 0 || without <= 0.0 {
            return Some(Verdict {
                value,
                depends_on: None,
            });
        }
        let scale = |id: SymId| {
            let c = &self.p.checked[id as usize];
            self.p.units.scale_of(self.p.units.dunit(c.dunit))
        };
        let (_, ru) = self.value_in_unit(sinks);
        let (_, bu) = self.value_in_unit(g.net);
        let removals = self.vals.get(sinks).unwrap_or(0.0);
        let terms = if names {
            let ids = res.stock_flagged.iter().filter_map(|&i| res.decls[i as usize].term);
            ids.filter(|&t| self.vals.get(t).is_some())
                .map(|t| res.syms[t as usize].name.to_string())
                .collect()
        } else {
            Vec::new()
        };
        Some(Verdict {
            value,
            depends_on: Some(DependsOn {
                flag: "stock_as_removal",
                terms,
                removals: Quantity {
                    value: sum / scale(sinks),
                    unit: ru,
                },
                share_of_removals: if removals != 0.0 { sum / removals } else { 1.0 },
                net_without: Quantity {
                    value: without / scale(g.net),
                    unit: bu,
                },
            }),
        })
    }

    fn value_in_unit(&self, id: SymId) -> (f64, String) {
        let c = &self.p.checked[id as usize];
        let v = self.vals.get(id).unwrap_or(f64::NAN);
        let scale = self.p.units.scale_of(self.p.units.dunit(c.dunit));
        (v / scale, self.p.units.format_dunit(self.p.units.dunit(c.dunit)))
    }

    pub fn show(&self, id: SymId) -> String {
        self.shown(&mut Memo::default(), id).to_owned()
    }

    /// The index in `m.units` of a display unit (its scale and its name).
    fn unit_ix(&self, m: &mut Memo<'a>, du: &'a DUnit) -> usize {
        let key = unit_key(du);
        if let Some(i) = m
            .units
            .iter()
            .position(|u| u.key == key && (std::ptr::eq(u.unit, du) || *u.unit == *du))
        {
            return i;
        }
        let entry = KeptUnit {
            key,
            unit: du,
            scale: self.p.units.scale_of(du),
            name: Arc::from(self.p.units.format_dunit(du)),
        };
        if m.units.len() < UNITS_KEPT {
            m.units.push(entry);
            m.units.len() - 1
        } else {
            m.units[UNITS_KEPT - 1] = entry;
            UNITS_KEPT - 1
        }
    }

    /// A symbol's value in its display unit, and the index of that unit in `m.units`.
    fn in_unit(&self, m: &mut Memo<'a>, id: SymId) -> (f64, usize) {
        let p = self.p;
        let c = &p.checked[id as usize];
        let v = self.vals.get(id).unwrap_or(f64::NAN);
        let i = self.unit_ix(m, p.units.dunit(c.dunit));
        (v / m.units[i].scale, i)
    }

    /// Starts the derivation of `root`: its declaration's members are kept until the
    /// next call.
    fn begin(&self, m: &mut Memo<'a>, root: SymId) {
        m.decl = self.decl_of(root);
        m.local.clear();
        m.arena.clear();
    }

    /// A symbol's value as shown: `formatted unit`.
    fn shown<'m>(&self, m: &'m mut Memo<'a>, id: SymId) -> &'m str {
        let local = m.decl.is_some() && self.decl_of(id) == m.decl;
        if local {
            if let Some(&(_, a, b)) = m.local.iter().find(|e| e.0 == id) {
                return &m.arena[a..b];
            }
        } else if m.shown.contains_key(&id) {
            return &m.shown[&id];
        }
        let (v, u) = self.in_unit(m, id);
        let a = m.arena.len();
        let Memo { units, arena, .. } = m;
        push_q(arena, v, &units[u].name);
        let b = m.arena.len();
        if !local && m.shown.len() < SHOWN_KEPT {
            let s: Box<str> = m.arena[a..b].into();
            m.arena.truncate(a);
            return m.shown.entry(id).or_insert(s);
        }
        m.local.push((id, a, b));
        &m.arena[a..b]
    }

    fn location(&self, id: SymId) -> Option<Location<'a>> {
        let s = &self.p.res.syms[id as usize];
        if s.kind == SymKind::Group {
            return None;
        }
        let span = s.name_span;
        let sources = self.sources;
        Some(Location(sources.name(span.src), sources.line(span.src, span.start)))
    }

    /// [`Self::location`], counting the lines from the last one found when it is
    /// near (a term's members follow it, and the terms follow one another) instead
    /// of searching all the lines of the file.
    fn location_near(&self, m: &mut Memo<'a>, id: SymId) -> Option<Location<'a>> {
        const NEAR: usize = 1 << 16;
        let s = &self.p.res.syms[id as usize];
        if s.kind == SymKind::Group {
            return None;
        }
        let span = s.name_span;
        let sources = self.sources;
        let text = sources.text(span.src).as_bytes();
        let off = (span.start as usize).min(text.len());
        let newlines = |a: usize, b: usize| count_newlines(&text[a..b]);
        let line = match m.last_line {
            Some((src, at, line)) if src == span.src && at <= off && off - at <= NEAR => line + newlines(at, off),
            Some((src, at, line)) if src == span.src && off < at && at - off <= NEAR => line - newlines(off, at),
            _ => sources.line(span.src, span.start),
        };
        m.last_line = Some((span.src, off, line));
        Some(Location(sources.name(span.src), line))
    }

    fn decl_of(&self, id: SymId) -> Option<DeclId> {
        match self.p.res.syms[id as usize].kind {
            SymKind::Field { decl } | SymKind::Derived { decl } | SymKind::Term { decl } => Some(decl),
            _ => None,
        }
    }

    /// The declaration of a term symbol.
    fn term_decl(&self, id: SymId) -> Option<&'a DeclInfo> {
        let p = self.p;
        match p.res.syms[id as usize].kind {
            SymKind::Term { decl } => Some(&p.res.decls[decl as usize]),
            _ => None,
        }
    }

    /// The modelling choice flagged on a term, if any.
    fn stock_flag(d: &DeclInfo) -> Option<StockFlag<'_>> {
        (d.method == Some("stock_as_removal")).then_some(StockFlag(d.note.as_deref()))
    }

    /// The notation key written for a value or its term, if any.
    fn key_flag(&self, id: SymId) -> Option<KeyFlag<'a>> {
        self.p.notation(id).map(KeyFlag)
    }

    fn part(d: &DeclInfo) -> Option<Part> {
        d.land.filter(|_| d.group == Some(Group::Above)).map(Part)
    }

    /// A symbol's code, unless it is a literal (which has no formula).
    fn formula_code(&self, id: SymId) -> Option<&'a Code> {
        let p = self.p;
        p.checked[id as usize]
            .code
            .as_ref()
            .filter(|c| !matches!(c.op, Op::Const(..)))
    }

    fn equation(&self, id: SymId) -> Option<&'static str> {
        self.p.res.eq(&self.p.res.syms[id as usize])
    }

    /// A symbol's name as seen from inside `ctx`'s declaration.
    fn name_from(&self, id: SymId, ctx: SymId) -> &'a str {
        let p = self.p;
        let s = &p.res.syms[id as usize];
        match (self.decl_of(id), self.decl_of(ctx)) {
            (Some(a), Some(b)) if a == b && !matches!(s.kind, SymKind::Term { .. }) => s.short(),
            _ => &s.name,
        }
    }

    pub fn formula(&self, code: &'a Code, ctx: SymId, substitute: bool) -> String {
        let mut out = String::new();
        self.print(&mut Memo::default(), code, ctx, substitute, 0, &mut out);
        out
    }

    /// A symbol in a formula: its name, or its value when substituted.
    fn print_sym(&self, m: &mut Memo<'a>, s: SymId, ctx: SymId, sub: bool, outer: u8, out: &mut String) {
        if sub {
            let shown = self.shown(m, s);
            let paren = shown.contains(' ') && outer >= 3;
            if paren {
                out.push('(');
            }
            out.push_str(shown);
            if paren {
                out.push(')');
            }
        } else {
            out.push_str(self.name_from(s, ctx));
        }
    }

    /// `a op b`, parenthesised when it binds less tightly than `outer`.
    #[allow(clippy::too_many_arguments)]
    fn print_bin(
        &self,
        m: &mut Memo<'a>,
        op: BinOp,
        ab: [Operand<'a>; 2],
        ctx: SymId,
        sub: bool,
        outer: u8,
        out: &mut String,
    ) {
        let p = prec(op);
        // Right operands of − and / bind tighter.
        let rp = if matches!(op, BinOp::Sub | BinOp::Div | BinOp::Pow) {
            p + 1
        } else {
            p
        };
        let paren = p < outer;
        if paren {
            out.push('(');
        }
        for (i, x) in ab.into_iter().enumerate() {
            if i == 1 {
                out.push_str(match op {
                    BinOp::Pow => "^",
                    BinOp::Add => " + ",
                    BinOp::Sub => " − ",
                    BinOp::Mul => " × ",
                    BinOp::Div => " / ",
                });
            }
            let at = if i == 0 { p } else { rp };
            match x {
                Operand::Code(c) => self.print(m, c, ctx, sub, at, out),
                Operand::Sym(s) => self.print_sym(m, s, ctx, sub, at, out),
            }
        }
        if paren {
            out.push(')');
        }
    }

    fn print(&self, m: &mut Memo<'a>, c: &'a Code, ctx: SymId, sub: bool, outer: u8, out: &mut String) {
        match &c.op {
            Op::Const(v, du) => {
                let i = self.unit_ix(m, self.p.units.dunit(*du));
                let (scale, u) = (m.units[i].scale, &*m.units[i].name);
                let paren = !u.is_empty() && outer >= 3;
                if paren {
                    out.push('(');
                }
                push_q(out, v / scale, u);
                if paren {
                    out.push(')');
                }
            }
            Op::Sym(s) => self.print_sym(m, *s, ctx, sub, outer, out),
            Op::Neg(x) => {
                out.push('−');
                self.print(m, x, ctx, sub, 3, out);
            }
            Op::Bin(op, ab) => {
                let [a, b] = &**ab;
                self.print_bin(m, *op, [Operand::Code(a), Operand::Code(b)], ctx, sub, outer, out);
            }
            Op::Pair(op, [a, b], _) => {
                self.print_bin(m, *op, [Operand::Sym(*a), Operand::Sym(*b)], ctx, sub, outer, out);
            }
            Op::Chain(ch) => {
                // As the operations nested to the left would print: one level,
                // parenthesised once.
                let p = ch.rest.first().map_or(1, |(op, _)| prec(*op));
                let paren = p < outer;
                if paren {
                    out.push('(');
                }
                self.print(m, &ch.first, ctx, sub, p, out);
                for (op, x) in ch.rest.iter() {
                    out.push_str(match op {
                        BinOp::Add => " + ",
                        BinOp::Sub => " − ",
                        BinOp::Mul => " × ",
                        BinOp::Div => " / ",
                        BinOp::Pow => "^",
                    });
                    // Right operands of − and / bind tighter.
                    let rp = if matches!(op, BinOp::Sub | BinOp::Div) {
                        p + 1
                    } else {
                        p
                    };
                    self.print(m, x, ctx, sub, rp, out);
                }
                if paren {
                    out.push(')');
                }
            }
            Op::Sum(xs) => {
                let paren = outer >= 1 && xs.len() > 1;
                if paren {
                    out.push('(');
                }
                if xs.is_empty() {
                    out.push('0');
                }
                for (i, (neg, s)) in xs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(if *neg { " − " } else { " + " });
                    } else if *neg {
                        out.push('−');
                    }
                    if sub {
                        out.push_str(self.shown(m, *s));
                    } else {
                        out.push_str(self.name_from(*s, ctx));
                    }
                }
                if paren {
                    out.push(')');
                }
            }
        }
    }

    /// Reads ahead what writing the derivations of `terms` will read: their
    /// symbols, names, checked code, values and declarations, and then those of
    /// their operands, a level at a time for all the terms together. In a large
    /// inventory each of these is a cache miss; read this way they overlap, where
    /// the writer would otherwise wait for each in turn. Nothing is kept: the values
    /// read only go into a black box.
    fn warm(&self, terms: &[TermRow<'a>], frontier: &mut Vec<SymId>, next: &mut Vec<SymId>) {
        /// The first byte of a string (which reads its text).
        fn first(s: &str) -> usize {
            usize::from(s.as_bytes().first().copied().unwrap_or(0))
        }
        /// Levels of operands read ahead (a term's derivation is rarely deeper).
        const LEVELS: usize = 8;
        /// At most this many symbols a level.
        const MOST: usize = 1 << 12;
        let p = self.p;
        let res = &p.res;
        let mut acc = 0usize;
        frontier.clear();
        frontier.extend(terms.iter().map(|t| t.id));
        for level in 0..LEVELS {
            for &id in frontier.iter() {
                let (Some(s), Some(c)) = (res.syms.get(id as usize), p.checked.get(id as usize)) else {
                    continue;
                };
                acc = acc
                    .wrapping_add(s.name.len())
                    .wrapping_add(s.prov.sources.len())
                    .wrapping_add(s.name_span.start as usize)
                    .wrapping_add(usize::from(c.code.is_some()))
                    .wrapping_add(p.units.dunit(c.dunit) as *const DUnit as usize)
                    .wrapping_add(self.vals.get(id).map_or(0, |v| v.to_bits() as usize));
            }
            next.clear();
            for &id in frontier.iter() {
                let Some(s) = res.syms.get(id as usize) else {
                    continue;
                };
                acc = acc
                    .wrapping_add(first(&s.name))
                    .wrapping_add(s.prov.assumed().map_or(0, first));
                if let SymKind::Term { decl } = s.kind {
                    if let Some(d) = res.decls.get(decl as usize) {
                        acc = acc
                            .wrapping_add(d.method.map_or(0, first))
                            .wrapping_add(d.note.as_deref().map_or(0, first));
                    }
                }
                if level + 1 < LEVELS && next.len() < MOST {
                    if let Some(c) = p.checked.get(id as usize).and_then(|c| c.code.as_ref()) {
                        code_syms(c, next);
                    }
                }
            }
            std::mem::swap(frontier, next);
            if frontier.is_empty() {
                break;
            }
        }
        std::hint::black_box(acc);
    }

    /// The levels of derivation left below `id` when the depth limit cuts it at
    /// `depth` (its operands are not shown); `None` when nothing is cut.
    pub fn cut(&self, id: SymId, depth: usize) -> Option<usize> {
        if depth < MAX_DEPTH {
            return None;
        }
        let c = self.p.checked[id as usize].code.as_ref()?;
        let mut deps = Vec::new();
        code_deps(c, &mut deps);
        if deps.is_empty() {
            return None;
        }
        // The height of the derivation below `id`: a post-order walk with an
        // explicit stack (the chain may be long), each symbol once.
        let mut height: HashMap<SymId, usize> = HashMap::default();
        let mut stack = vec![(id, false)];
        let mut kids = Vec::new();
        while let Some((x, done)) = stack.pop() {
            if height.contains_key(&x) {
                continue;
            }
            kids.clear();
            if let Some(c) = &self.p.checked[x as usize].code {
                code_deps(c, &mut kids);
            }
            if done {
                let h = kids
                    .iter()
                    .map(|k| height.get(k).map_or(0, |h| h + 1))
                    .max()
                    .unwrap_or(0);
                height.insert(x, h);
            } else {
                stack.push((x, true));
                stack.extend(kids.iter().filter(|k| !height.contains_key(k)).map(|&k| (k, false)));
            }
        }
        height.get(&id).copied()
    }

    /// `carbon explain FILE NAME`, which continues a derivation cut at `id`.
    pub fn continue_with(&self, id: SymId, out: &mut String) {
        let mut loc = String::new();
        if let Some(l) = self.location(id) {
            l.push_to(&mut loc);
        }
        let file = loc.rsplit_once(':').map_or("FILE", |(f, _)| f);
        out.push_str("carbon explain ");
        out.push_str(if file.is_empty() { "FILE" } else { file });
        out.push(' ');
        out.push_str(&self.p.res.syms[id as usize].name);
    }

    /// The operands of a symbol shown below it at `depth` (none at the depth limit).
    fn children_into(&self, m: &mut Memo<'a>, id: SymId, depth: usize, out: &mut Vec<SymId>) {
        if depth >= MAX_DEPTH {
            return;
        }
        if let Some(c) = &self.p.checked[id as usize].code {
            m.deps.clear();
            code_deps(c, &mut m.deps);
            out.extend_from_slice(&m.deps);
        }
    }

    /// The derivation tree of one symbol, down to its literal inputs.
    pub fn node(&self, id: SymId, depth: usize) -> Node {
        let mut m = Memo::default();
        self.begin(&mut m, id);
        self.node_in(&mut m, id, depth)
    }

    fn node_in(&self, m: &mut Memo<'a>, id: SymId, depth: usize) -> Node {
        let p = self.p;
        let s = &p.res.syms[id as usize];
        let (value, ui) = self.in_unit(m, id);
        let unit = m.units[ui].name.to_string();
        let code = self.formula_code(id);
        let mut formula = None;
        let mut substituted = None;
        if let Some(c) = code {
            let mut f = String::new();
            self.print(m, c, id, false, 0, &mut f);
            formula = Some(f);
            let mut f = String::new();
            self.print(m, c, id, true, 0, &mut f);
            substituted = Some(f);
        }
        let sources = s
            .prov
            .sources
            .iter()
            .map(|&i| Citation(&p.res.sources[i]).text())
            .collect();
        let mut flags = Vec::new();
        let (mut kind, mut group, mut part) = (None, None, None);
        if let Some(d) = self.term_decl(id) {
            kind = Some(d.kind.word().to_string());
            group = d.group.map(|g| g.name().to_string());
            part = Self::part(d).map(|x| x.text());
            flags.extend(Self::stock_flag(d).map(|f| f.text()));
        }
        flags.extend(self.key_flag(id).map(|f| f.text()));
        let mut deps = Vec::new();
        self.children_into(m, id, depth, &mut deps);
        // Ctrl-C in the REPL (`crate::cancel`): stop descending; the caller drops the tree.
        let children = deps
            .into_iter()
            .map_while(|d| (!crate::cancel::requested()).then(|| self.node_in(m, d, depth + 1)))
            .collect();
        let cut = self.cut(id, depth).map(|k| {
            let mut c = String::new();
            self.continue_with(id, &mut c);
            (k, c)
        });
        Node {
            name: s.name.to_string(),
            meaning: p.res.meaning(s).to_string(),
            value,
            unit,
            share: None,
            share_of_total: None,
            share_of_emissions: None,
            share_of_removals: None,
            formula,
            substituted,
            equation: self.equation(id).map(str::to_owned),
            sources,
            assumed: s.prov.assumed().map(str::to_owned),
            flags,
            location: self
                .location(id)
                .map(|l| {
                    let mut s = String::new();
                    l.push_to(&mut s);
                    s
                })
                .unwrap_or_default(),
            expectations: Vec::new(),
            kind,
            group,
            part,
            more_levels: cut.as_ref().map(|c| c.0),
            continue_with: cut.map(|c| c.1),
            children,
        }
    }

    /// The derivation trees of `ids`, in order; a long list is split between two
    /// threads.
    fn nodes(&self, ids: &[SymId]) -> Vec<Node> {
        const PARALLEL_FROM: usize = 1024;
        let run = |ids: &[SymId]| {
            let mut m = Memo::default();
            ids.iter()
                .map(|&t| {
                    self.begin(&mut m, t);
                    self.node_in(&mut m, t, 0)
                })
                .collect::<Vec<_>>()
        };
        if ids.len() < PARALLEL_FROM {
            return run(ids);
        }
        let (first, second) = ids.split_at(ids.len() / 2);
        let (mut out, rest) = crate::par::join(|| run(first), || run(second));
        out.extend(rest);
        out
    }

    /// The shares of a term: of its group, and of total emissions or removals.
    /// `None` unless `id` is a term of the balance with a value.
    pub fn term_shares(&self, id: SymId) -> Option<(Option<f64>, Option<f64>)> {
        let res = &self.p.res;
        // The same conditions as for the balance (`outline`).
        let h = res.header.as_ref()?;
        let g = res.groups.as_ref()?;
        h.period?;
        self.vals.get(g.net)?;
        g.groups.iter().find(|(x, _)| *x == Group::Sinks)?;
        let d = res
            .decls
            .iter()
            .find(|d| d.term == Some(id) && d.kind != Kind::Inventory)?;
        let grp = d.group?;
        let &(_, gid) = g.groups.iter().find(|(x, _)| *x == grp)?;
        let tv = self.vals.get(id)?;
        Some(self.shares(g, grp, gid, tv))
    }

    fn shares(&self, g: &GroupSyms, grp: Group, gid: SymId, tv: f64) -> (Option<f64>, Option<f64>) {
        let gv = self.vals.get(gid).unwrap_or(0.0);
        let emissions = self.vals.get(g.emissions).unwrap_or(0.0);
        let removals = g
            .groups
            .iter()
            .find(|(x, _)| *x == Group::Sinks)
            .and_then(|(_, id)| self.vals.get(*id))
            .unwrap_or(0.0);
        let share = (gv != 0.0).then(|| tv / gv);
        let of_total = match grp {
            Group::Above | Group::Under => (emissions != 0.0).then(|| tv / emissions),
            Group::Sinks => (removals != 0.0).then(|| tv / removals),
            _ => None,
        };
        (share, of_total)
    }

    /// The balance and its terms, without the derivations.
    pub fn outline(&self) -> Option<Outline<'a>> {
        let p = self.p;
        let res = &p.res;
        let h = res.header.as_ref()?;
        let g = res.groups.as_ref()?;
        let period_id = h.period?;
        let (pv, pu) = self.value_in_unit(period_id);
        let net_id = g.net;
        let net = self.vals.get(net_id)?;
        let (bv, bu) = self.value_in_unit(net_id);
        let (ev, eu) = self.value_in_unit(g.emissions);
        let sinks_id = g.groups.iter().find(|(x, _)| *x == Group::Sinks).map(|(_, i)| *i)?;
        let (rv, ru) = self.value_in_unit(sinks_id);
        let mut m = Memo::default();
        let mut terms = Vec::new();
        let mut flags = Vec::new();
        let mut notation_keys = Vec::new();
        let mut groups = Vec::new();
        // The declarations of each group, and the values of each part of C_above,
        // in the order of the file: one pass over the declarations.
        let group_ix = |grp: Group| Group::ALL.iter().position(|&x| x == grp);
        let mut by_group: [Vec<&DeclInfo>; Group::ALL.len()] = Default::default();
        let mut by_land: [Vec<f64>; Land::ALL.len()] = Default::default();
        for d in &res.decls {
            let Some(grp) = d.group else { continue };
            if grp == Group::Above {
                if let Some(l) = d.land.and_then(|land| Land::ALL.iter().position(|&x| x == land)) {
                    by_land[l].extend(d.term.and_then(|t| self.vals.get(t)));
                }
            }
            if d.kind != Kind::Inventory {
                if let Some(i) = group_ix(grp) {
                    by_group[i].push(d);
                }
            }
        }
        terms.reserve(by_group.iter().map(Vec::len).sum());
        for &(grp, gid) in &g.groups {
            let (v, u) = self.value_in_unit(gid);
            let mut names = Vec::with_capacity(group_ix(grp).map_or(0, |i| by_group[i].len()));
            let mut parts = Vec::new();
            if grp == Group::Above {
                for (land, vals) in Land::ALL.into_iter().zip(&by_land) {
                    let sum = number::sum(vals.iter().copied());
                    let scale = p.units.scale_of(p.units.dunit(p.checked[gid as usize].dunit));
                    parts.push(PartReport {
                        name: land.name().into(),
                        symbol: land.symbol().into(),
                        value: sum / scale,
                        unit: u.clone(),
                    });
                }
            }
            for &d in group_ix(grp).map_or(&[][..], |i| &by_group[i]) {
                let Some(t) = d.term else { continue };
                let Some(tv) = self.vals.get(t) else { continue };
                let name = &*res.syms[t as usize].name;
                let (value, ui) = self.in_unit(&mut m, t);
                let unit = m.units[ui].name.clone();
                let (share, share_of_total) = self.shares(g, grp, gid, tv);
                let td = self.term_decl(t);
                if let Some(f) = td.and_then(Self::stock_flag) {
                    flags.push(FlagRef {
                        term: name,
                        note: f.0,
                        value,
                        unit: unit.clone(),
                    });
                }
                let key = p.notation(t);
                if let Some(n) = key {
                    notation_keys.push(NotationReport {
                        term: name.to_owned(),
                        field: res.syms[n.field as usize].name.to_string(),
                        key: n.key.word(),
                        meaning: n.key.meaning(),
                        reason: n.reason.clone(),
                    });
                }
                names.push(name);
                terms.push(TermRow {
                    id: t,
                    name,
                    kind: td.map(|d| d.kind.word()),
                    group: td.and_then(|d| d.group).map(Group::name),
                    value,
                    unit,
                    share,
                    share_of_total,
                    key: key.map(|n| n.key.word()),
                });
            }
            groups.push(GroupOutline {
                name: grp.name(),
                title: grp.title(),
                value: v,
                unit: u,
                parts,
                terms: names,
            });
        }
        let gwp = h.gwp.map(|g| &*res.decls[g as usize].name).unwrap_or_default();
        let mut completeness = Completeness {
            terms: terms.len(),
            ..Completeness::default()
        };
        for n in &notation_keys {
            match n.key {
                "NE" => completeness.not_estimated += 1,
                "NO" => completeness.not_occurring += 1,
                "IE" => completeness.included_elsewhere += 1,
                _ => completeness.not_applicable += 1,
            }
        }
        completeness.estimated = completeness.terms - notation_keys.len();
        Some(Outline {
            explainer: *self,
            inventory: &h.name,
            site: h.site.as_deref(),
            period: Quantity { value: pv, unit: pu },
            gwp,
            balance: Quantity { value: bv, unit: bu },
            neutral: self.verdict().unwrap_or(Verdict {
                value: net <= 0.0,
                depends_on: None,
            }),
            emissions: Quantity { value: ev, unit: eu },
            removals: Quantity { value: rv, unit: ru },
            groups,
            terms,
            flags,
            expectations: &[],
            allowed: &[],
            notation_keys,
            completeness,
        })
    }

    pub fn report(&self) -> Option<Report> {
        Some(self.outline()?.report())
    }
}

/// An operand of a binary operation in a formula: compiled code, or a symbol of
/// an inline pair (`Op::Pair`).
#[derive(Clone, Copy)]
enum Operand<'a> {
    Code(&'a Code),
    Sym(SymId),
}

/// How tightly an operator binds, for parentheses in a formula.
fn prec(op: BinOp) -> u8 {
    match op {
        BinOp::Add | BinOp::Sub => 1,
        BinOp::Mul | BinOp::Div => 2,
        BinOp::Pow => 4,
    }
}

/// `… K more levels: ` before the command that continues a cut derivation.
pub fn push_more_levels(out: &mut String, k: usize) {
    out.push_str("… ");
    out.push_str(&k.to_string());
    out.push_str(if k == 1 { " more level: " } else { " more levels: " });
}

#[cfg(test)]
mod tests {
    use super::{before_colon_space, count_newlines, json_newline, json_str};

    #[test]
    fn json_strings_as_serde_json_writes_them() {
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
            let mut out = Vec::new();
            json_str(&mut out, &s);
            assert_eq!(out, serde_json::to_vec(&s).unwrap(), "{s:?}");
        }
        for b in 0u8..=127 {
            let s = (b as char).to_string().repeat(9);
            let mut out = Vec::new();
            json_str(&mut out, &s);
            assert_eq!(out, serde_json::to_vec(&s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn citation_names_as_split_finds_them() {
        for s in [
            "",
            ":",
            ": ",
            "a: b",
            "a:b: c",
            "a:b",
            "::  ",
            "name: text: more",
            "é: x",
            "x:",
            "x :y",
            "ab:c:d: ",
        ] {
            assert_eq!(before_colon_space(s), s.split(": ").next().unwrap_or_default(), "{s:?}");
        }
    }

    #[test]
    fn json_newlines_indent_any_level() {
        for level in [0, 1, 2, 127, 128, 129, 300] {
            let mut out = Vec::new();
            json_newline(&mut out, level);
            assert_eq!(out, format!("\n{}", " ".repeat(level * 2)).into_bytes());
        }
    }

    #[test]
    fn counts_newlines_as_a_scan_does() {
        let text = "a\nbb\n\n\nccc\u{a0a}é\n\n\n\n\n\n\n\n\nx\n\r\n\u{8a}\u{10a0a}";
        let bytes = text.as_bytes();
        for a in 0..bytes.len() {
            for b in a..=bytes.len() {
                let s = &bytes[a..b];
                assert_eq!(count_newlines(s), s.iter().filter(|&&c| c == b'\n').count());
            }
        }
    }
}
