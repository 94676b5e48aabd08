//! The report and the diagnostics as JSON (`--format json`).

use super::*;

/// One diagnostic as JSON: code, severity, message, file, line, column, span.
pub fn diag_json(d: &Diag, sources: &SourceMap) -> Value {
    let loc = d.primary_span().map(|s| {
        let (line, col) = sources.line_col(s.src, s.start);
        json!({"file": sources.name(s.src), "line": line, "column": col, "span": {"start": s.start, "end": s.end}})
    });
    let mut v = json!({
        "code": d.code,
        "severity": match d.severity { Severity::Error => "error", Severity::Warning => "warning", Severity::Advice => "advice" },
        "message": d.message,
    });
    if let Some(Value::Object(m)) = loc {
        for (k, x) in m {
            v[k] = x;
        }
    }
    if let Some(h) = &d.help {
        v["help"] = json!(h);
    }
    v["labels"] = Value::Array(
        d.labels
            .iter()
            .map(|l| json!({"start": l.span.start, "end": l.span.end, "text": l.text, "primary": l.primary}))
            .collect(),
    );
    v
}

/// The JSON contract (see README): [`json_to`] as a string.
pub fn json(r: Option<&Report<'_>>, diags: &[Diag], sources: &SourceMap) -> String {
    let mut v = Vec::new();
    let _ = json_to(&mut v, r, diags, sources);
    String::from_utf8(v).unwrap_or_default()
}

/// The JSON of `carbon explain`: the derivation `d` (serialised through its
/// `Serialize`, its operands computed while they are written) with the
/// diagnostics; `{"name": null, "diagnostics": [...]}` when there is none.
pub fn explain_json_to(
    w: &mut impl std::io::Write,
    d: Option<&Derivation<'_>>,
    diags: &[&Diag],
    sources: &SourceMap,
) -> std::io::Result<()> {
    /// The derivation's keys, then `diagnostics`, in one object.
    struct Out<'d, 'a> {
        d: &'d Derivation<'a>,
        diagnostics: Vec<Value>,
    }
    impl Serialize for Out<'_, '_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let walker = std::cell::RefCell::new(Walker::new(self.d.explainer));
            let mut m = s.serialize_map(None)?;
            if let Some(y) = self.d.explainer.vals.year() {
                m.serialize_entry("year", &y)?;
            }
            Node::root(&walker, self.d).entries(&mut m)?;
            m.serialize_entry("diagnostics", &self.diagnostics)?;
            m.end()
        }
    }
    let diagnostics: Vec<Value> = diags.iter().map(|d| diag_json(d, sources)).collect();
    match d {
        Some(d) => serde_json::to_writer_pretty(&mut *w, &Out { d, diagnostics }),
        None => serde_json::to_writer_pretty(&mut *w, &json!({ "name": Value::Null, "diagnostics": diagnostics })),
    }
    .map_err(std::io::Error::from)?;
    w.write_all(b"\n")
}

/// serde_json's pretty printer (two-space indent) starting `level` levels deep, so
/// that a value serialised on its own can be spliced into a document that
/// `to_writer_pretty` would print: the same bytes.
pub(super) struct Pretty {
    level: usize,
    has_value: bool,
    /// Between the start of a key and its value: the key's quotes and the `: `
    /// after it are written with the line before it and as one.
    in_key: bool,
}

/// `,`, a newline and spaces: the start of an indented line, in one write.
const COMMA_NEWLINE_INDENT: [u8; 258] = {
    let mut t = [b' '; 258];
    t[0] = b',';
    t[1] = b'\n';
    t
};

impl Pretty {
    /// A newline and the indentation of the level, after a comma if `comma`.
    fn newline<W: ?Sized + std::io::Write>(&self, w: &mut W, comma: bool) -> std::io::Result<()> {
        let from = usize::from(!comma);
        let n = self.level * 2;
        if n + 2 <= COMMA_NEWLINE_INDENT.len() {
            return w.write_all(&COMMA_NEWLINE_INDENT[from..2 + n]);
        }
        w.write_all(&COMMA_NEWLINE_INDENT[from..2])?;
        let mut n = n;
        while n > 0 {
            let k = n.min(COMMA_NEWLINE_INDENT.len() - 2);
            w.write_all(&COMMA_NEWLINE_INDENT[2..2 + k])?;
            n -= k;
        }
        Ok(())
    }
}

impl Pretty {
    /// `[` or `{`: one level deeper, nothing in it yet.
    fn open<W: ?Sized + std::io::Write>(&mut self, w: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(bracket)
    }
    /// `]` or `}`, on its own line when something was written inside.
    fn close<W: ?Sized + std::io::Write>(&mut self, w: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.newline(w, false)?;
        }
        w.write_all(bracket)
    }
    /// Before an element or a key: a line of its own.
    fn item<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        self.newline(w, !first)
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        self.item(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        self.in_key = true;
        self.item(w, first)?;
        w.write_all(b"\"")
    }
    fn begin_string<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        if self.in_key {
            return Ok(());
        }
        w.write_all(b"\"")
    }
    fn end_string<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        if self.in_key {
            self.in_key = false;
            return w.write_all(b"\": ");
        }
        w.write_all(b"\"")
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        Ok(())
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    /// Bytes are a string that needs no escaping, written between quotes
    /// (`crate::explain::Walker::raw`), or, after a `RAW_JSON` byte, JSON text this
    /// formatter wrote before, written as it is (`crate::explain::Walker::keeping`);
    /// the report has no other bytes.
    fn write_byte_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W, value: &[u8]) -> std::io::Result<()> {
        match value.split_first() {
            Some((&RAW_JSON, json)) => w.write_all(json),
            _ => {
                w.write_all(b"\"")?;
                w.write_all(value)?;
                w.write_all(b"\"")
            }
        }
    }
}

/// Serialises `v` pretty-printed as a value `level` levels deep.
pub(super) fn pretty_at<W: ?Sized + std::io::Write>(
    w: &mut W,
    level: usize,
    v: &impl Serialize,
) -> std::io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(
        w,
        Pretty {
            level,
            has_value: false,
            in_key: false,
        },
    );
    v.serialize(&mut ser).map_err(std::io::Error::from)
}

/// The members of the top-level object, written one by one.
pub(super) struct Members<'w, W: ?Sized> {
    w: &'w mut W,
    first: bool,
}

impl<W: ?Sized + std::io::Write> Members<'_, W> {
    fn key(&mut self, k: &str) -> std::io::Result<()> {
        self.w.write_all(if self.first { b"{\n  \"" } else { b",\n  \"" })?;
        self.first = false;
        self.w.write_all(k.as_bytes())?;
        self.w.write_all(b"\": ")
    }
    fn field(&mut self, k: &str, v: &impl Serialize) -> std::io::Result<()> {
        self.key(k)?;
        pretty_at(self.w, 1, v)
    }
}

/// The JSON of `run`: the report and the diagnostics, as serde_json's pretty
/// printer writes them (`{"inventory": null, "diagnostics": [...]}` without a
/// report). Each member is serialised through serde; the terms (each a [`Node`],
/// its derivation computed while it is serialised) and the flags are serialised in
/// batches on two threads and written in order, so memory stays flat however many
/// terms there are.
pub fn json_to(
    w: &mut impl std::io::Write,
    r: Option<&Report<'_>>,
    diags: &[Diag],
    sources: &SourceMap,
) -> std::io::Result<()> {
    let diags: Vec<Value> = diags.iter().map(|d| diag_json(d, sources)).collect();
    let Some(r) = r else {
        serde_json::to_writer_pretty(&mut *w, &json!({ "inventory": Value::Null, "diagnostics": diags }))
            .map_err(std::io::Error::from)?;
        return w.write_all(b"\n");
    };
    let mut m = Members {
        w: &mut *w,
        first: true,
    };
    m.field("inventory", &r.inventory)?;
    if let Some(site) = r.site {
        m.field("site", &site)?;
    }
    m.field("period", &r.period)?;
    if let Some(year) = r.year {
        m.field("year", &year)?;
    }
    m.field("gwp", &r.gwp)?;
    m.field("balance", &r.balance)?;
    m.field("neutral", &r.neutral)?;
    m.field("emissions", &r.emissions)?;
    m.field("removals", &r.removals)?;
    m.field("groups", &r.groups)?;
    m.field("by_scope", &r.by_scope)?;
    m.field("by_gas", &r.by_gas)?;
    m.key("terms")?;
    batched_list(
        m.w,
        r.terms.len(),
        BATCH,
        || {
            let keep: KeepWith = |b, level, node| {
                let _ = pretty_at(b, level, node);
            };
            std::cell::RefCell::new(Walker::new(r.explainer).raw().keeping(keep, 2))
        },
        |walker, range, buf| {
            for i in range.clone() {
                if (i - range.start) % WARM == 0 {
                    walker.borrow_mut().warm(&r.terms[i..(i + WARM).min(range.end)]);
                }
                pretty_item(buf, i == 0, &Node::term(walker, &r.terms[i]))?;
            }
            Ok(())
        },
    )?;
    m.key("flags")?;
    batched_list(
        m.w,
        r.flags.len(),
        ROWS_BATCH,
        || (),
        |_, range, buf| {
            for i in range {
                pretty_item(buf, i == 0, &RawFlag(&r.flags[i], true))?;
            }
            Ok(())
        },
    )?;
    m.field("expectations", &r.expectations)?;
    m.field("allowed", &r.allowed)?;
    m.field("notation_keys", &r.notation_keys)?;
    if let Some(y) = r.years {
        for (k, v) in super::years_json(y) {
            m.field(k, &v)?;
        }
    }
    m.field("completeness", &r.completeness)?;
    m.field("diagnostics", &diags)?;
    w.write_all(b"\n}\n")
}

/// A list of `n` items, a member of the top-level object, as serde_json's pretty
/// printer writes it; the items are serialised by `item` (into a buffer, a batch at
/// a time) on two threads ([`par::batched`]).
fn batched_list<S>(
    w: &mut (impl std::io::Write + ?Sized),
    n: usize,
    batch: usize,
    init: impl Fn() -> S + Sync,
    item: impl Fn(&S, std::ops::Range<usize>, &mut Vec<u8>) -> std::io::Result<()> + Sync,
) -> std::io::Result<()> {
    if n == 0 {
        return w.write_all(b"[]");
    }
    w.write_all(b"[")?;
    par::batched(w, n, batch, init, |state, range, buf: &mut Vec<u8>| {
        buf.clear();
        // Writing into a Vec fails only in serialisation, which these items do not.
        let _ = item(state, range, buf);
    })?;
    w.write_all(b"\n  ]")
}

/// An item of a list of the top-level object: its separator, its indentation,
/// and the item serialised two levels deep.
fn pretty_item(buf: &mut Vec<u8>, first: bool, v: &impl Serialize) -> std::io::Result<()> {
    buf.extend_from_slice(if first { b"\n    " } else { b",\n    " });
    pretty_at(buf, 2, v)
}
