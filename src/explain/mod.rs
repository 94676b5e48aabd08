//! Stage 6 (explain): turns the evaluated program into the balance report: every
//! term with its formula, the values substituted, its unit, its shares, its sources
//! and assumption marks, and the derivation of each of its operands.

mod formula;
mod report;
mod view;

use crate::check::{code_deps, code_syms, Code, Op, Program};
use crate::domain::{Group, Kind, Land};
use crate::eval::Values;
use crate::ir::SymId;
use crate::names::{DeclId, DeclInfo, GroupSyms, NotationInfo, SourceInfo, SymKind};
use crate::number;
use crate::source::{SourceId, SourceMap};
use crate::syntax::ast::BinOp;
use crate::units::DUnit;
pub use report::*;
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;
pub use view::Derivation;
pub(crate) use view::{At, KeepWith, Node, RawFlag, Walker, RAW_JSON};

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
}

/// The flag of a stock reported as the period's removal, with the note if any.
struct StockFlag<'a>(Option<&'a str>);

impl StockFlag<'_> {
    const TEXT: &'static str = "stock treated as the period's removal: the carbon stock is reported as a removal over the inventory period (method stock_as_removal)";

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
    fn push_to(&self, out: &mut String) {
        out.push_str(self.0.key.word());
        out.push_str(" (");
        out.push_str(self.0.key.meaning());
        out.push_str("): ");
        out.push_str(&self.0.reason);
    }
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
}

impl<'a> Explainer<'a> {
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
}

/// `… K more levels: ` before the command that continues a cut derivation.
pub fn push_more_levels(out: &mut String, k: usize) {
    out.push_str("… ");
    out.push_str(&k.to_string());
    out.push_str(if k == 1 { " more level: " } else { " more levels: " });
}

#[cfg(test)]
mod tests {
    use super::{before_colon_space, count_newlines};

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
