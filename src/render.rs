//! Stage 7 (render): the report as aligned text or as JSON.

use crate::audit::ExpectResult;
use crate::diag::{Diag, Severity};
use crate::explain::{Node, Report};
use crate::number;
use crate::source::SourceMap;
use serde_json::{json, Value};
use std::fmt::Write;

fn pct(x: Option<f64>) -> String {
    match x {
        Some(v) => format!("{:.1} %", v * 100.0),
        None => "—".into(),
    }
}

fn pad(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n >= w {
        s.to_string()
    } else {
        format!("{s}{}", " ".repeat(w - n))
    }
}

fn lpad(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n >= w {
        s.to_string()
    } else {
        format!("{}{s}", " ".repeat(w - n))
    }
}

fn q(v: f64, u: &str) -> String {
    if u.is_empty() {
        number::format(v)
    } else {
        format!("{} {u}", number::format(v))
    }
}

/// The balance, the terms table and every term's derivation.
pub fn text(r: &Report) -> String {
    let mut v = Vec::new();
    let _ = text_to(&mut v, r);
    String::from_utf8(v).unwrap_or_default()
}

/// [`text`], written to `w` as it is produced (each term's derivation in turn).
pub fn text_to(out: &mut impl std::io::Write, r: &Report) -> std::io::Result<()> {
    let mut o = String::new();
    let _ = writeln!(o, "{}", r.inventory);
    if let Some(s) = &r.site {
        let _ = writeln!(o, "  site    {s}");
    }
    let _ = writeln!(o, "  period  {}", q(r.period.value, &r.period.unit));
    let _ = writeln!(o, "  GWP     {}", r.gwp);
    let _ = writeln!(o);
    let _ = writeln!(o, "Balance (Eq. 1)");
    let w = r
        .groups
        .iter()
        .map(|g| g.title.chars().count())
        .max()
        .unwrap_or(20)
        .max(44)
        + 2;
    for g in &r.groups {
        let _ = writeln!(o, "  {}{}", pad(&g.title, w), lpad(&q(g.value, &g.unit), 24));
        for p in &g.parts {
            if p.value != 0.0 {
                let label = format!("  {} {}", p.symbol, p.name);
                let _ = writeln!(o, "  {}{}", pad(&label, w), lpad(&q(p.value, &p.unit), 24));
            }
        }
    }
    let _ = writeln!(
        o,
        "  {}{}",
        pad("total emissions C_above + C_under", w),
        lpad(&q(r.emissions.value, &r.emissions.unit), 24)
    );
    let _ = writeln!(
        o,
        "  {}{}",
        pad("net ∫₀ᵀ(C_above + C_under − C_min)dt + C_S − C_c", w),
        lpad(&q(r.balance.value, &r.balance.unit), 24)
    );
    let _ = writeln!(
        o,
        "  {}",
        if r.neutral {
            "carbon neutral: net ≤ 0".to_string()
        } else {
            format!(
                "not carbon neutral: net > 0 (emissions exceed removals by {})",
                q(r.balance.value, &r.balance.unit)
            )
        }
    );
    let _ = writeln!(o);
    let _ = writeln!(o, "Terms");
    let nw = r.terms.iter().map(|t| t.name.chars().count()).max().unwrap_or(4).max(4) + 2;
    let _ = writeln!(
        o,
        "  {}{}{}{}{}",
        pad("term", nw),
        pad("kind", 11),
        pad("group", 8),
        lpad("value", 26),
        lpad("of group   of total", 22)
    );
    for t in &r.terms {
        let _ = writeln!(
            o,
            "  {}{}{}{}{}{}",
            pad(&t.name, nw),
            pad(t.kind.as_deref().unwrap_or(""), 11),
            pad(t.group.as_deref().unwrap_or(""), 8),
            lpad(&q(t.value, &t.unit), 26),
            lpad(&pct(t.share), 11),
            lpad(&pct(t.share_of_total), 11)
        );
    }
    if !r.expectations.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "Expectations (published figures)");
        for e in &r.expectations {
            let _ = writeln!(o, "  {}", expectation_line(e));
            if e.status != "pass" {
                let _ = writeln!(
                    o,
                    "      full-precision difference: {} {}",
                    number::format_full(e.difference),
                    e.unit
                );
                if let Some(reason) = &e.reason {
                    let _ = writeln!(o, "      reason: {reason}");
                }
                if !e.contributors.is_empty() {
                    let list = e
                        .contributors
                        .iter()
                        .map(|c| match c.share {
                            Some(s) => format!("{} {} ({:.1} %)", c.name, q(c.value, &c.unit), s * 100.0),
                            None => format!("{} {}", c.name, q(c.value, &c.unit)),
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    let _ = writeln!(o, "      largest contributors: {list}");
                }
            }
        }
    }
    if !r.allowed.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "Warnings allowed on their declarations");
        for a in &r.allowed {
            let _ = writeln!(o, "  {} on {}: {}", a.code, a.target, a.reason);
        }
    }
    if !r.flags.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "Modelling choices flagged");
        for f in &r.flags {
            let _ = writeln!(o, "  ! {} ({}): {}", f.term, q(f.value, &f.unit), f.message);
        }
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "Explanation");
    out.write_all(o.as_bytes())?;
    // The terms in batches: each batch is rendered half on this thread, half on
    // another, and written in order.
    const BATCH: usize = 2048;
    let render = |terms: &[Node]| {
        let mut o = String::new();
        for t in terms {
            o.push('\n');
            o.push_str(&explain_text(t));
        }
        o
    };
    for batch in r.terms.chunks(BATCH) {
        if batch.len() < BATCH {
            out.write_all(render(batch).as_bytes())?;
            continue;
        }
        let (first, second) = batch.split_at(batch.len() / 2);
        let (a, b) = std::thread::scope(|scope| {
            let other = std::thread::Builder::new().spawn_scoped(scope, || render(second));
            let a = render(first);
            let b = other.ok().and_then(|h| h.join().ok());
            (a, b.unwrap_or_else(|| render(second)))
        });
        out.write_all(a.as_bytes())?;
        out.write_all(b.as_bytes())?;
    }
    Ok(())
}

/// `✓ name: computed … = published … (within …)  file:line`
pub fn expectation_line(e: &ExpectResult) -> String {
    let mark = match e.status.as_str() {
        "pass" => "✓ pass",
        "known" => "! known discrepancy",
        _ => "✗ FAIL",
    };
    let rel = e
        .relative
        .map(|r| format!(" ({:+.2} %)", r * 100.0))
        .unwrap_or_default();
    format!(
        "{mark}  {}: computed {} vs published {}, difference {}{rel}, tolerance {}  {}",
        e.name,
        q(e.computed, &e.unit),
        q(e.published, &e.unit),
        q(e.difference, &e.unit),
        e.tolerance,
        e.location
    )
}

/// One term's derivation as a tree.
pub fn explain_text(n: &Node) -> String {
    let mut o = String::new();
    let mut head = n.name.clone();
    let mut tags = Vec::new();
    if let Some(k) = &n.kind {
        tags.push(k.clone());
    }
    if let Some(e) = &n.equation {
        tags.push(e.clone());
    }
    if let Some(p) = &n.part {
        tags.push(p.clone());
    }
    if !tags.is_empty() {
        head.push_str(&format!(" [{}]", tags.join(", ")));
    }
    if !n.location.is_empty() {
        head.push_str(&format!("  {}", n.location));
    }
    let _ = writeln!(o, "{head}");
    let mut line = format!("  = {}", q(n.value, &n.unit));
    if n.share.is_some() || n.share_of_total.is_some() {
        let total = match n.group.as_deref() {
            Some("sinks") => "removals",
            _ => "emissions",
        };
        line.push_str(&format!(
            "   ({} of {}, {} of {total})",
            pct(n.share),
            n.group.as_deref().unwrap_or("group"),
            pct(n.share_of_total)
        ));
    }
    let _ = writeln!(o, "{line}");
    if let (Some(f), Some(s)) = (&n.formula, &n.substituted) {
        let _ = writeln!(o, "  = {f}");
        let _ = writeln!(o, "  = {s}");
    }
    for f in &n.flags {
        let _ = writeln!(o, "  ! {f}");
    }
    for e in &n.expectations {
        let _ = writeln!(o, "  expectation {e}");
    }
    let count = n.children.len();
    let mut seen = std::collections::HashSet::new();
    for (i, c) in n.children.iter().enumerate() {
        child(&mut o, c, "  ", i + 1 == count, &mut seen);
    }
    o
}

fn child(o: &mut String, n: &Node, prefix: &str, last: bool, seen: &mut std::collections::HashSet<String>) {
    let branch = if last { "└─ " } else { "├─ " };
    let cont = if last { "   " } else { "│  " };
    let mut line = format!("{prefix}{branch}{}", n.name);
    let value = q(n.value, &n.unit);
    if !n.children.is_empty() && !seen.insert(n.name.clone()) {
        let _ = writeln!(o, "{line} = {value}  (derived above)");
        return;
    }
    match (&n.formula, &n.substituted) {
        (Some(f), Some(s)) if *s == value => line.push_str(&format!(" = {f} = {value}")),
        (Some(f), Some(s)) => line.push_str(&format!(" = {f} = {s} = {value}")),
        _ => line.push_str(&format!(" = {value}")),
    }
    if let Some(e) = &n.equation {
        line.push_str(&format!("  ({e})"));
    }
    let _ = writeln!(o, "{line}");
    let inner = format!("{prefix}{cont}");
    let mut notes = Vec::new();
    if !n.sources.is_empty() {
        let names: Vec<String> = n
            .sources
            .iter()
            .map(|s| s.split(": ").next().unwrap_or(s).to_string())
            .collect();
        notes.push(format!("from {}", names.join(", ")));
    }
    if let Some(a) = &n.assumed {
        notes.push(format!("ASSUMED: {a}"));
    }
    for note in notes {
        let _ = writeln!(o, "{inner}  · {note}");
    }
    let count = n.children.len();
    for (i, c) in n.children.iter().enumerate() {
        child(o, c, &inner, i + 1 == count, seen);
    }
}

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
