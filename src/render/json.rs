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

/// The JSON contract (see README): inventory, period, balance, terms, diagnostics.
pub fn json(r: Option<&Report>, diags: &[Diag], sources: &SourceMap) -> String {
    let mut v = Vec::new();
    let _ = json_to(&mut v, r, diags, sources);
    String::from_utf8(v).unwrap_or_default()
}

/// [`json`], serialised straight into `w`.
pub fn json_to(
    w: &mut impl std::io::Write,
    r: Option<&Report>,
    diags: &[Diag],
    sources: &SourceMap,
) -> std::io::Result<()> {
    /// The report and its diagnostics, serialised in one pass (no intermediate
    /// `Value` tree: the report of a large inventory is hundreds of megabytes).
    #[derive(serde::Serialize)]
    struct Out<'a> {
        #[serde(flatten)]
        report: &'a Report,
        diagnostics: Vec<Value>,
    }
    let diags: Vec<Value> = diags.iter().map(|d| diag_json(d, sources)).collect();
    match r {
        Some(report) => serde_json::to_writer_pretty(
            &mut *w,
            &Out {
                report,
                diagnostics: diags,
            },
        ),
        None => serde_json::to_writer_pretty(&mut *w, &json!({ "inventory": Value::Null, "diagnostics": diags })),
    }
    .map_err(std::io::Error::from)?;
    w.write_all(b"\n")
}

/// The JSON of `carbon explain`: the derivation `n` with the diagnostics, as
/// [`json_to`] writes them; `{"name": null, "diagnostics": [...]}` when there is
/// no derivation.
pub fn explain_json_to(
    w: &mut impl std::io::Write,
    n: Option<&crate::explain::Node>,
    diags: &[&Diag],
    sources: &SourceMap,
) -> std::io::Result<()> {
    #[derive(serde::Serialize)]
    struct Out<'a> {
        #[serde(flatten)]
        node: &'a crate::explain::Node,
        diagnostics: Vec<Value>,
    }
    let diagnostics: Vec<Value> = diags.iter().map(|d| diag_json(d, sources)).collect();
    match n {
        Some(node) => serde_json::to_writer_pretty(&mut *w, &Out { node, diagnostics }),
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
}

impl Pretty {
    fn indent<W: ?Sized + std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        const SPACES: &[u8; 128] = &[b' '; 128];
        let mut n = self.level * 2;
        while n > 0 {
            let k = n.min(SPACES.len());
            w.write_all(&SPACES[..k])?;
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
            w.write_all(b"\n")?;
            self.indent(w)?;
        }
        w.write_all(bracket)
    }
    /// Before an element or a key: a line of its own.
    fn item<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(w)
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
        self.item(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
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

/// The JSON of `run`: [`json_to`] of the outline's report, the same bytes, with each
/// term's derivation serialised only while it is written (on two threads, in
/// batches) and dropped after.
pub fn json_stream(
    w: &mut impl std::io::Write,
    r: Option<&Outline<'_>>,
    diags: &[Diag],
    sources: &SourceMap,
) -> std::io::Result<()> {
    let Some(r) = r else {
        return json_to(w, None, diags, sources);
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
    m.field("gwp", &r.gwp)?;
    m.field("balance", &r.balance)?;
    m.field("neutral", &r.neutral)?;
    m.field("emissions", &r.emissions)?;
    m.field("removals", &r.removals)?;
    m.field("groups", &r.groups)?;
    m.key("terms")?;
    if r.terms.is_empty() {
        w.write_all(b"[]")?;
    } else {
        w.write_all(b"[")?;
        par::batched(
            w,
            r.terms.len(),
            BATCH,
            || JsonTerms::new(r.explainer),
            |terms, range, buf: &mut Vec<u8>| {
                buf.clear();
                for i in range.clone() {
                    if (i - range.start) % WARM == 0 {
                        terms.warm(&r.terms[i..(i + WARM).min(range.end)]);
                    }
                    buf.extend_from_slice(if i == 0 { b"\n    " } else { b",\n    " });
                    terms.term(&r.terms[i], 2, buf);
                }
            },
        )?;
        w.write_all(b"\n  ]")?;
    }
    Members {
        w: &mut *w,
        first: false,
    }
    .key("flags")?;
    if r.flags.is_empty() {
        w.write_all(b"[]")?;
    } else {
        // As serde_json prints the list of `Flag`s, written in batches on two
        // threads (a large inventory flags tens of thousands of terms).
        w.write_all(b"[")?;
        par::batched(
            w,
            r.flags.len(),
            ROWS_BATCH,
            String::new,
            |message: &mut String, range, buf: &mut Vec<u8>| {
                buf.clear();
                for i in range {
                    let f = &r.flags[i];
                    if i > 0 {
                        buf.push(b',');
                    }
                    json_newline(buf, 2);
                    buf.push(b'{');
                    json_key(buf, 3, true, "term");
                    json_str(buf, f.term);
                    json_key(buf, 3, false, "message");
                    message.clear();
                    f.push_message(message);
                    json_str(buf, message);
                    json_key(buf, 3, false, "value");
                    json_f64(buf, Some(f.value));
                    json_key(buf, 3, false, "unit");
                    json_str(buf, &f.unit);
                    json_newline(buf, 2);
                    buf.push(b'}');
                }
            },
        )?;
        w.write_all(b"\n  ]")?;
    }
    let mut m = Members {
        w: &mut *w,
        first: false,
    };
    m.field("expectations", &r.expectations)?;
    m.field("allowed", &r.allowed)?;
    m.field("notation_keys", &r.notation_keys)?;
    m.field("completeness", &r.completeness)?;
    let diags: Vec<Value> = diags.iter().map(|d| diag_json(d, sources)).collect();
    m.field("diagnostics", &diags)?;
    w.write_all(b"\n}\n")
}
