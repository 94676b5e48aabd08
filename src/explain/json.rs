//! Terms' derivations written as JSON while they are computed (`JsonTerms`), with the small JSON writers render shares.

use super::*;

/// Writes terms' derivations as JSON, byte for byte as serde_json's pretty printer
/// writes their [`Node`]s, computed from the analysis while they are written. The
/// subtree of a value outside the term being written (`period`, a GWP factor), which
/// many terms repeat, is written once per thread and copied after (a node's JSON
/// depends only on its symbol, depth and indentation, except for the root's shares).
pub struct JsonTerms<'a> {
    e: Explainer<'a>,
    m: Memo<'a>,
    scratch: String,
    stack: Vec<SymId>,
    kept: HashMap<(SymId, usize, usize), Box<[u8]>>,
    kept_bytes: usize,
    /// For each level, the line that starts each key of a node (`,`, newline,
    /// indentation, `"key": `), built when the level is first written.
    key_lines: Vec<Vec<Box<[u8]>>>,
}

/// The keys of a node's JSON object, in [`Node`]'s order.
#[derive(Clone, Copy)]
enum Key {
    Name,
    Meaning,
    Value,
    Unit,
    Share,
    ShareOfEmissions,
    ShareOfRemovals,
    Formula,
    Substituted,
    Equation,
    Sources,
    Assumed,
    Flags,
    Location,
    Kind,
    Group,
    Part,
    MoreLevels,
    ContinueWith,
    Children,
}

impl Key {
    const NAMES: [&'static str; 20] = [
        "name",
        "meaning",
        "value",
        "unit",
        "share",
        "share_of_emissions",
        "share_of_removals",
        "formula",
        "substituted",
        "equation",
        "sources",
        "assumed",
        "flags",
        "location",
        "kind",
        "group",
        "part",
        "more_levels",
        "continue_with",
        "children",
    ];
}

/// Bytes of JSON subtrees a [`JsonTerms`] keeps.
const JSON_KEPT_BYTES: usize = 4 << 20;

/// A newline and then spaces: the start of an indented JSON line.
const NEWLINE_INDENT: [u8; 257] = {
    let mut t = [b' '; 257];
    t[0] = b'\n';
    t
};

/// A newline and the indentation of `level` (two spaces a level).
pub(crate) fn json_newline(out: &mut Vec<u8>, level: usize) {
    let n = level * 2;
    if n < NEWLINE_INDENT.len() {
        out.extend_from_slice(&NEWLINE_INDENT[..1 + n]);
    } else {
        out.push(b'\n');
        json_spaces(out, n);
    }
}

fn json_spaces(out: &mut Vec<u8>, mut n: usize) {
    while n > 0 {
        let k = n.min(NEWLINE_INDENT.len() - 1);
        out.extend_from_slice(&NEWLINE_INDENT[1..1 + k]);
        n -= k;
    }
}

pub(crate) fn json_key(out: &mut Vec<u8>, level: usize, first: bool, key: &str) {
    if !first {
        out.push(b',');
    }
    json_newline(out, level);
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\": ");
}

/// Whether serde_json would escape a byte of `s`: a control character (below
/// 0x20), `"` or `\`. Eight bytes at a time.
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

/// `s` as a JSON string, as serde_json writes it.
pub(crate) fn json_str(out: &mut Vec<u8>, s: &str) {
    if needs_escape(s.as_bytes()) {
        // Writing into a Vec does not fail.
        let _ = serde_json::to_writer(&mut *out, s);
    } else {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

pub(crate) fn json_f64(out: &mut Vec<u8>, x: Option<f64>) {
    let _ = serde_json::to_writer(&mut *out, &x);
}

impl<'a> JsonTerms<'a> {
    pub fn new(e: Explainer<'a>) -> Self {
        JsonTerms {
            e,
            m: Memo::default(),
            scratch: String::new(),
            stack: Vec::new(),
            kept: HashMap::default(),
            kept_bytes: 0,
            key_lines: Vec::new(),
        }
    }

    /// Reads ahead the data of the next terms to be written (their symbols, code,
    /// values and operands), so that their cache misses overlap.
    pub fn warm(&mut self, terms: &[TermRow<'a>]) {
        let (a, b) = &mut self.m.warm;
        self.e.warm(terms, a, b);
    }

    /// Writes a term's derivation as a JSON object `level` levels deep (from its
    /// opening brace, which the caller has indented, to its closing brace).
    pub fn term(&mut self, t: &TermRow<'a>, level: usize, out: &mut Vec<u8>) {
        self.e.begin(&mut self.m, t.id);
        self.node(t.id, 0, level, (t.share, t.share_of_total), out);
    }

    /// [`json_key`] for a node's key: one copy of a line built once a level.
    fn key(&mut self, out: &mut Vec<u8>, level: usize, first: bool, k: Key) {
        if self.key_lines.len() <= level {
            self.key_lines.resize_with(level + 1, Vec::new);
        }
        let lines = &mut self.key_lines[level];
        if lines.is_empty() {
            lines.extend(Key::NAMES.iter().map(|name| {
                let mut line = Vec::new();
                json_key(&mut line, level, false, name);
                line.into_boxed_slice()
            }));
        }
        let line = &lines[k as usize];
        // The line starts with the comma that separates it from the previous key.
        out.extend_from_slice(if first { &line[1..] } else { line });
    }

    /// `scratch` as a JSON string.
    fn scratch_str(&mut self, out: &mut Vec<u8>, f: impl FnOnce(&mut String)) {
        self.scratch.clear();
        f(&mut self.scratch);
        json_str(out, &self.scratch);
    }

    fn node(&mut self, id: SymId, depth: usize, level: usize, shares: (Option<f64>, Option<f64>), out: &mut Vec<u8>) {
        let e = self.e;
        let keep = depth > 0 && (self.m.decl.is_none() || e.decl_of(id) != self.m.decl);
        if keep {
            if let Some(b) = self.kept.get(&(id, depth, level)) {
                out.extend_from_slice(b);
                return;
            }
        }
        let start = out.len();
        let p = e.p;
        let s = &p.res.syms[id as usize];
        let ind = level + 1;
        out.push(b'{');
        self.key(out, ind, true, Key::Name);
        json_str(out, &s.name);
        let meaning = p.res.meaning(s);
        if !meaning.is_empty() {
            self.key(out, ind, false, Key::Meaning);
            json_str(out, meaning);
        }
        let (value, ui) = e.in_unit(&mut self.m, id);
        self.key(out, ind, false, Key::Value);
        json_f64(out, Some(value));
        self.key(out, ind, false, Key::Unit);
        json_str(out, &self.m.units[ui].name);
        self.key(out, ind, false, Key::Share);
        json_f64(out, shares.0);
        if shares.1.is_some() {
            let sinks = e.decl_of(id).and_then(|d| p.res.decls[d as usize].group) == Some(Group::Sinks);
            self.key(
                out,
                ind,
                false,
                if sinks {
                    Key::ShareOfRemovals
                } else {
                    Key::ShareOfEmissions
                },
            );
            json_f64(out, shares.1);
        }
        self.key(out, ind, false, Key::Formula);
        match e.formula_code(id) {
            Some(c) => {
                self.scratch.clear();
                e.print(&mut self.m, c, id, false, 0, &mut self.scratch);
                json_str(out, &self.scratch);
                self.key(out, ind, false, Key::Substituted);
                self.scratch.clear();
                e.print(&mut self.m, c, id, true, 0, &mut self.scratch);
                json_str(out, &self.scratch);
            }
            None => out.extend_from_slice(b"null"),
        }
        if let Some(eq) = e.equation(id) {
            self.key(out, ind, false, Key::Equation);
            json_str(out, eq);
        }
        self.key(out, ind, false, Key::Sources);
        if s.prov.sources.is_empty() {
            out.extend_from_slice(b"[]");
        } else {
            out.push(b'[');
            for (k, &i) in s.prov.sources.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                json_newline(out, ind + 1);
                self.scratch_str(out, |o| {
                    Citation(&p.res.sources[i]).push_to(o);
                });
            }
            json_newline(out, ind);
            out.push(b']');
        }
        if let Some(a) = s.prov.assumed() {
            self.key(out, ind, false, Key::Assumed);
            json_str(out, a);
        }
        let td = e.term_decl(id);
        let stock = td.and_then(Explainer::stock_flag);
        let key = e.key_flag(id);
        if stock.is_some() || key.is_some() {
            self.key(out, ind, false, Key::Flags);
            out.push(b'[');
            if let Some(f) = stock {
                json_newline(out, ind + 1);
                self.scratch_str(out, |o| f.push_to(o));
            }
            if let Some(f) = key {
                if out.last() != Some(&b'[') {
                    out.push(b',');
                }
                json_newline(out, ind + 1);
                self.scratch_str(out, |o| f.push_to(o));
            }
            json_newline(out, ind);
            out.push(b']');
        }
        self.key(out, ind, false, Key::Location);
        self.scratch.clear();
        if let Some(l) = e.location_near(&mut self.m, id) {
            l.push_to(&mut self.scratch);
        }
        json_str(out, &self.scratch);
        if let Some(d) = td {
            self.key(out, ind, false, Key::Kind);
            json_str(out, d.kind.word());
            if let Some(g) = d.group {
                self.key(out, ind, false, Key::Group);
                json_str(out, g.name());
            }
            if let Some(part) = Explainer::part(d) {
                self.key(out, ind, false, Key::Part);
                self.scratch_str(out, |o| {
                    part.push_to(o);
                });
            }
        }
        if let Some(k) = e.cut(id, depth) {
            self.key(out, ind, false, Key::MoreLevels);
            out.extend_from_slice(k.to_string().as_bytes());
            self.key(out, ind, false, Key::ContinueWith);
            self.scratch_str(out, |o| e.continue_with(id, o));
        }
        self.key(out, ind, false, Key::Children);
        let first = self.stack.len();
        e.children_into(&mut self.m, id, depth, &mut self.stack);
        let end = self.stack.len();
        if first == end {
            out.extend_from_slice(b"[]");
        } else {
            out.push(b'[');
            for k in first..end {
                if k > first {
                    out.push(b',');
                }
                json_newline(out, ind + 1);
                let c = self.stack[k];
                self.node(c, depth + 1, ind + 1, (None, None), out);
            }
            json_newline(out, ind);
            out.push(b']');
        }
        self.stack.truncate(first);
        json_newline(out, level);
        out.push(b'}');
        if keep && self.kept_bytes + (out.len() - start) <= JSON_KEPT_BYTES {
            self.kept_bytes += out.len() - start;
            self.kept.insert((id, depth, level), out[start..].into());
        }
    }
}
