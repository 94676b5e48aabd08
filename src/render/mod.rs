//! Stage 7 (render): the report as aligned text or as JSON.

mod json;
mod summary;
mod years;

use crate::audit::{Allowed, ExpectResult};
use crate::diag::{Diag, Severity};
use crate::escape::next_hidden;
pub use crate::escape::{escape_controls, Escaping};
use crate::explain::{
    At, Completeness, Derivation, FlagRef, GasKey, KeepWith, Node, NotationReport, PartReport, Quantity, RawFlag,
    Report, ScopeKey, Subtotal, Verdict, Walker, RAW_JSON,
};
use crate::number;
use crate::par;
use crate::source::SourceMap;
pub use json::*;
use rustc_hash::FxHashSet as HashSet;
use serde::Serialize;
use serde_json::{json, Value};
use std::fmt::Write;
pub use summary::*;
pub use years::*;

/// Appends `s`, text from the file shown on one line, escaped
/// ([`escape_controls`]).
fn push_text(o: &mut String, s: &str) {
    o.push_str(&escape_controls(s, false));
}

/// Escapes `o[mark..]`, just written from the file, for one line, in place.
fn escape_tail(o: &mut String, mark: usize) {
    if next_hidden(&o.as_bytes()[mark..], 0, false).is_some() {
        let tail = escape_controls(&o[mark..], false).into_owned();
        o.truncate(mark);
        o.push_str(&tail);
    }
}

fn push_pct(o: &mut String, x: Option<f64>) {
    match x {
        Some(v) => {
            // `{:.1}`, by the integer path where it applies.
            if !number::fixed(v * 100.0, 1, o) {
                let _ = write!(o, "{:.1}", v * 100.0);
            }
            o.push_str(" %");
        }
        None => o.push('—'),
    }
}

fn spaces(o: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut n = n;
    while n > 0 {
        let k = n.min(SPACES.len());
        o.push_str(&SPACES[..k]);
        n -= k;
    }
}

/// Characters in `s` (its length when it is ASCII, as names usually are).
fn width(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// `s` padded with spaces to `w` characters.
fn pad_into(o: &mut String, s: &str, w: usize) {
    o.push_str(s);
    spaces(o, w.saturating_sub(width(s)));
}

/// `s` right-aligned in `w` characters.
fn lpad_into(o: &mut String, s: &str, w: usize) {
    spaces(o, w.saturating_sub(width(s)));
    o.push_str(s);
}

fn push_q(o: &mut String, v: f64, u: &str) {
    number::push_format(o, v);
    if !u.is_empty() {
        o.push(' ');
        o.push_str(u);
    }
}

fn q(v: f64, u: &str) -> String {
    let mut s = String::new();
    push_q(&mut s, v, u);
    s
}

/// A row of the terms table.
struct Row<'r> {
    name: &'r str,
    kind: &'r str,
    group: &'r str,
    value: f64,
    unit: &'r str,
    share: Option<f64>,
    share_of_total: Option<f64>,
    /// A notation key shown instead of the value (`NE`).
    key: Option<&'r str>,
}

/// What the text shows before the derivations, borrowed from a [`Report`].
struct Head<'r> {
    inventory: &'r str,
    site: Option<&'r str>,
    period: &'r Quantity,
    /// Of an inventory over years: the year shown, first and last reported,
    /// last projected.
    year: Option<(i64, crate::years::Span)>,
    gwp: &'r str,
    balance: &'r Quantity,
    neutral: &'r Verdict,
    emissions: &'r Quantity,
    /// Title, value, unit and parts of each group.
    groups: Vec<(&'r str, f64, &'r str, &'r [PartReport], bool)>,
    by_scope: &'r [Subtotal<ScopeKey>],
    by_gas: &'r [Subtotal<GasKey<'r>>],
    expectations: &'r [ExpectResult],
    allowed: &'r [Allowed],
    flags: &'r [FlagRef<'r>],
    notation_keys: &'r [NotationReport],
    completeness: &'r Completeness,
}

/// The line of a flag.
fn flag_line(f: &FlagRef<'_>, o: &mut String) {
    o.push_str("  ! ");
    let mark = o.len();
    o.push_str(f.term);
    o.push_str(" (");
    push_q(o, f.value, &f.unit);
    o.push_str("): ");
    f.push_message(o);
    escape_tail(o, mark);
    o.push('\n');
}

/// The balance, the terms table, the expectations, the allowed warnings and the
/// flags, up to the `Explanation` heading, written to `out` (through `o`, which is
/// left to write). The table has `rows` rows, `row(i)` each; its lines and those of
/// the flags are formatted in batches on two threads ([`crate::par::batched`]).
fn head_text<'r>(
    out: &mut dyn std::io::Write,
    o: &mut String,
    h: &Head<'r>,
    rows: usize,
    row: impl Fn(usize) -> Row<'r> + Sync,
) -> std::io::Result<()> {
    push_text(o, h.inventory);
    o.push('\n');
    if let Some(s) = h.site {
        o.push_str("  site    ");
        push_text(o, s);
        o.push('\n');
    }
    let _ = writeln!(o, "  period  {}", q(h.period.value, &h.period.unit));
    push_year(o, h);
    let _ = writeln!(o, "  GWP     {}", h.gwp);
    let _ = writeln!(o);
    let _ = writeln!(o, "Balance (Eq. 1)");
    push_balance(o, h, q, 24);
    let _ = writeln!(o, "  {}", verdict(h, q, "\n  "));
    push_subtotals(o, h, q);
    let _ = writeln!(o);
    let _ = writeln!(o, "Terms");
    let nw = (0..rows).map(|i| width(row(i).name)).max().unwrap_or(4).max(4) + 2;
    // The built-in kinds' words fit in 10; a declared kind's may not.
    let kw = (0..rows).map(|i| width(row(i).kind)).max().unwrap_or(0).max(10) + 1;
    o.push_str("  ");
    pad_into(o, "term", nw);
    pad_into(o, "kind", kw);
    pad_into(o, "group", 8);
    lpad_into(o, "value", 26);
    lpad_into(o, "of group  of emissions  of removals", 38);
    o.push('\n');
    out.write_all(o.as_bytes())?;
    o.clear();
    par::batched(
        out,
        rows,
        ROWS_BATCH,
        String::new,
        |cell: &mut String, range, o: &mut String| {
            o.clear();
            for i in range {
                let t = row(i);
                o.push_str("  ");
                pad_into(o, t.name, nw);
                pad_into(o, t.kind, kw);
                pad_into(o, t.group, 8);
                cell.clear();
                match t.key {
                    Some(k) => cell.push_str(k),
                    None => push_q(cell, t.value, t.unit),
                }
                lpad_into(o, cell, 26);
                // A notation key has no figure, so no share either (not 0 %).
                let shown = t.key.is_none();
                cell.clear();
                if shown {
                    push_pct(cell, t.share);
                }
                lpad_into(o, cell, 11);
                cell.clear();
                let sinks = t.group == "sinks";
                if shown && !sinks {
                    push_pct(cell, t.share_of_total);
                }
                lpad_into(o, cell, 14);
                cell.clear();
                if shown && sinks {
                    push_pct(cell, t.share_of_total);
                }
                lpad_into(o, cell, 13);
                o.truncate(o.trim_end_matches(' ').len());
                o.push('\n');
            }
        },
    )?;
    if !h.notation_keys.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "Not estimated and other notation keys");
        let nw = h.notation_keys.iter().map(|n| width(&n.term)).max().unwrap_or(4) + 2;
        let mw = h.notation_keys.iter().map(|n| width(n.meaning)).max().unwrap_or(4) + 2;
        for n in h.notation_keys {
            o.push_str("  ");
            pad_into(o, &n.term, nw);
            pad_into(o, n.key, 4);
            pad_into(o, n.meaning, mw);
            push_text(o, &n.reason);
            o.push('\n');
        }
        completeness_line(o, h.completeness);
    }
    if !h.expectations.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "Expectations (published figures)");
        for e in h.expectations {
            let _ = writeln!(o, "  {}", expectation_line(e));
            if e.status != "pass" {
                let _ = writeln!(
                    o,
                    "      full-precision difference: {} {}",
                    number::format_full(e.difference),
                    e.unit
                );
                if let Some(reason) = &e.reason {
                    o.push_str("      reason: ");
                    push_text(o, reason);
                    o.push('\n');
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
    if !h.allowed.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "Warnings allowed on their declarations");
        for a in h.allowed {
            let _ = write!(o, "  {} on {}: ", a.code, a.target);
            push_text(o, &a.reason);
            o.push('\n');
        }
    }
    if !h.flags.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "Modelling choices flagged");
        out.write_all(o.as_bytes())?;
        o.clear();
        par::batched(
            out,
            h.flags.len(),
            ROWS_BATCH,
            || (),
            |_, range, o: &mut String| {
                o.clear();
                for f in &h.flags[range] {
                    flag_line(f, o);
                }
            },
        )?;
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "Explanation");
    Ok(())
}

/// The verdict sentence, its numbers written by `q`; `break_at` is written after
/// the first clause of a qualified verdict.
fn verdict(h: &Head<'_>, q: fn(f64, &str) -> String, break_at: &str) -> String {
    if let Some(d) = &h.neutral.depends_on {
        format!(
            "carbon neutral only if the flagged {} ({}, {:.0} % of removals) are taken as this period's removal;{break_at}without them net = {}: not carbon neutral",
            if d.flag == "stock_as_removal" { "stocks" } else { d.flag },
            q(d.removals.value, &d.removals.unit),
            d.share_of_removals * 100.0,
            q(d.net_without.value, &d.net_without.unit)
        )
    } else if h.neutral.value {
        "carbon neutral: net ≤ 0".to_string()
    } else {
        format!(
            "not carbon neutral: net > 0 (emissions exceed removals by {})",
            q(h.balance.value, &h.balance.unit)
        )
    }
}

/// `  completeness: 3 of 18 terms not estimated (NE); 15 with a figure`
fn completeness_line(o: &mut String, c: &Completeness) {
    let _ = write!(
        o,
        "  completeness: {} of {} terms not estimated (NE)",
        c.not_estimated, c.terms
    );
    for (k, what, n) in [
        ("NO", "not occurring", c.not_occurring),
        ("IE", "included elsewhere", c.included_elsewhere),
        ("NA", "not applicable", c.not_applicable),
    ] {
        if n > 0 {
            let _ = write!(o, ", {n} {what} ({k})");
        }
    }
    let _ = writeln!(o, "; {} with a figure", c.estimated);
}

/// Terms per batch when the derivations are rendered on two threads.
const BATCH: usize = 256;
/// Terms whose data is read ahead together before they are written
/// ([`Walker::warm`]).
const WARM: usize = 32;
/// Lines per batch of the terms table and of the flags.
const ROWS_BATCH: usize = 2048;

/// The balance, the terms table and every term's derivation: [`text_to`] as a
/// string.
pub fn text(r: &Report<'_>) -> String {
    let mut v = Vec::new();
    let _ = text_to(&mut v, r);
    String::from_utf8(v).unwrap_or_default()
}

/// The text of `run --explain`: the balance, the terms table and every term's
/// derivation, written to `out` as it is produced, each derivation computed while
/// it is written (on two threads, in batches) and dropped after.
pub fn text_to(out: &mut impl std::io::Write, r: &Report<'_>) -> std::io::Result<()> {
    let out = &mut Escaping(out);
    let mut o = String::new();
    let head = head_of(r);
    let row = |i: usize| row_of(r, i);
    head_text(out, &mut o, &head, r.terms.len(), row)?;
    std::io::Write::write_all(out, o.as_bytes())?;
    drop(o);
    par::batched(
        out,
        r.terms.len(),
        BATCH,
        || (Walker::new(r.explainer), TextState::default()),
        |(walker, st), range, o: &mut String| {
            o.clear();
            let terms = &r.terms[range];
            for (k, t) in terms.iter().enumerate() {
                if k % WARM == 0 {
                    walker.warm(&terms[k..(k + WARM).min(terms.len())]);
                }
                o.push('\n');
                let root = walker.term(t);
                explain_tree(walker, root, &[], o, st);
            }
        },
    )
}

/// The balance, the terms table, the expectations and the flags: the text before
/// the derivations, ending with a blank line (`:balance` in the REPL).
pub fn balance_text(r: &Report<'_>) -> String {
    let mut v = Vec::new();
    let mut o = String::new();
    let _ = head_text(&mut Escaping(&mut v), &mut o, &head_of(r), r.terms.len(), |i| {
        row_of(r, i)
    });
    o.truncate(o.len() - "Explanation\n".len());
    let _ = std::io::Write::write_all(&mut Escaping(&mut v), o.as_bytes());
    String::from_utf8(v).unwrap_or_default()
}

/// The year line of an inventory over years: `  year    2025 (of 2021–2025, projected to 2030)`.
fn push_year(o: &mut String, h: &Head<'_>) {
    if let Some((y, s)) = h.year {
        let _ = write!(o, "  year    {y} (of {}–{}", s.start, s.end);
        if s.horizon > s.end {
            let _ = write!(o, ", projected to {}", s.horizon);
        }
        o.push_str("; every year: --by year)\n");
    }
}

/// What the text shows of a report before the derivations.
fn head_of<'r>(r: &'r Report<'_>) -> Head<'r> {
    Head {
        inventory: r.inventory,
        site: r.site,
        period: &r.period,
        year: r.year.zip(r.years.map(|y| y.span)),
        gwp: r.gwp,
        balance: &r.balance,
        neutral: &r.neutral,
        emissions: &r.emissions,
        groups: r
            .groups
            .iter()
            .map(|g| (g.title, g.value, &*g.unit, &*g.parts, g.terms.is_empty()))
            .collect(),
        by_scope: &r.by_scope,
        by_gas: &r.by_gas,
        expectations: r.expectations,
        allowed: r.allowed,
        flags: &r.flags,
        notation_keys: &r.notation_keys,
        completeness: &r.completeness,
    }
}

/// Row `i` of a report's terms table.
fn row_of<'r>(r: &'r Report<'_>, i: usize) -> Row<'r> {
    let t = &r.terms[i];
    Row {
        name: t.name,
        kind: t.kind.unwrap_or(""),
        group: t.group.unwrap_or(""),
        value: t.value,
        unit: &t.unit,
        share: t.share,
        share_of_total: t.share_of_total,
        key: t.key,
    }
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

/// Buffers of the text renderer, reused from term to term.
#[derive(Default)]
struct TextState<'t> {
    stack: Vec<At>,
    seen: HashSet<&'t str>,
    prefix: String,
}

/// A derivation as a tree (`carbon explain`, `:explain`).
pub fn explain_text(d: &Derivation<'_>) -> String {
    let mut o = String::new();
    if let Some(y) = d.explainer.vals.year() {
        let _ = writeln!(o, "in {y}:");
    }
    let mut w = Walker::new(d.explainer);
    let root = w.root(d);
    explain_tree(&mut w, root, &d.expectations, &mut o, &mut TextState::default());
    match escape_controls(&o, true) {
        std::borrow::Cow::Borrowed(_) => o,
        std::borrow::Cow::Owned(x) => x,
    }
}

/// The derivation from `n` (a root), appended to `o`, with the lines of the
/// expectations that read it.
fn explain_tree<'t>(t: &mut Walker<'t>, n: At, expectations: &[ExpectResult], o: &mut String, st: &mut TextState<'t>) {
    st.stack.clear();
    st.seen.clear();
    st.prefix.clear();
    o.push_str(t.name(n));
    // Tags: kind, equation, part.
    let mark = o.len();
    o.push_str(" [");
    let mut tags = 0;
    if let Some(k) = t.kind(n) {
        o.push_str(k);
        tags += 1;
    }
    if let Some(e) = t.equation(n) {
        if tags > 0 {
            o.push_str(", ");
        }
        o.push_str(e);
        tags += 1;
    }
    let before = o.len();
    if tags > 0 {
        o.push_str(", ");
    }
    if t.part(n, o) {
        tags += 1;
    } else {
        o.truncate(before);
    }
    if let Some((scope, gas)) = t.scope_gas(n) {
        for tag in [scope.map(|s| format!("scope {s}")), gas.map(str::to_string)]
            .into_iter()
            .flatten()
        {
            if tags > 0 {
                o.push_str(", ");
            }
            o.push_str(&tag);
            tags += 1;
        }
    }
    if tags > 0 {
        o.push(']');
    } else {
        o.truncate(mark);
    }
    let mark = o.len();
    o.push_str("  ");
    t.location(n, o);
    if o.len() == mark + 2 {
        o.truncate(mark);
    }
    o.push('\n');
    o.push_str("  = ");
    t.quantity(n, o);
    let (share, share_of_total) = t.shares(n);
    if share.is_some() || share_of_total.is_some() {
        let group = t.group(n);
        let total = match group {
            Some("sinks") => "removals",
            _ => "emissions",
        };
        o.push_str("   (");
        push_pct(o, share);
        o.push_str(" of ");
        o.push_str(group.unwrap_or("group"));
        o.push_str(", ");
        push_pct(o, share_of_total);
        o.push_str(" of ");
        o.push_str(total);
        o.push(')');
    }
    o.push('\n');
    let mark = o.len();
    o.push_str("  = ");
    let f = o.len();
    if t.formula(n, false, o) {
        // The substituted formula, unless it reads as the formula (a series of
        // literals).
        let e = o.len();
        o.push_str("\n  = ");
        let s = o.len();
        t.formula(n, true, o);
        if o[f..e] == o[s..] {
            o.truncate(e);
        }
        o.push('\n');
    } else {
        o.truncate(mark);
    }
    t.flags(n, |f| {
        o.push_str("  ! ");
        push_text(o, f);
        o.push('\n');
    });
    for e in expectations {
        o.push_str("  expectation ");
        push_text(o, &expectation_line(e));
        o.push('\n');
    }
    t.children(n, &mut st.stack);
    let end = st.stack.len();
    st.prefix.push_str("  ");
    for i in 0..end {
        if crate::cancel::requested() {
            break; // Ctrl-C in the REPL: the caller drops the text
        }
        let c = st.stack[i];
        child(t, c, i + 1 == end, o, st);
    }
}

fn child<'t>(t: &mut Walker<'t>, n: At, last: bool, o: &mut String, st: &mut TextState<'t>) {
    let branch = if last { "└─ " } else { "├─ " };
    let cont = if last { "   " } else { "│  " };
    let name = t.name(n);
    o.push_str(&st.prefix);
    o.push_str(branch);
    o.push_str(name);
    let first = st.stack.len();
    t.children(n, &mut st.stack);
    let end = st.stack.len();
    o.push_str(" = ");
    if end > first && !st.seen.insert(name) {
        t.quantity(n, o);
        o.push_str("  (derived above)\n");
        st.stack.truncate(first);
        return;
    }
    let f = o.len();
    if t.formula(n, false, o) {
        // ` = formula = substituted = value`, without the substituted values when
        // they read as the value or as the formula.
        let e = o.len();
        o.push_str(" = ");
        let s = o.len();
        t.formula(n, true, o);
        let v = o.len();
        o.push_str(" = ");
        t.quantity(n, o);
        if o[s..v] == o[v + 3..] {
            o.truncate(v);
        } else if o[f..e] == o[s..v] {
            o.replace_range(e..v, "");
        }
    } else {
        t.quantity(n, o);
    }
    if let Some(e) = t.equation(n) {
        o.push_str("  (");
        o.push_str(e);
        o.push(')');
    }
    o.push('\n');
    let plen = st.prefix.len();
    st.prefix.push_str(cont);
    let mark = o.len();
    o.push_str(&st.prefix);
    o.push_str("  · from ");
    let mut count = 0;
    t.sources(n, |s| {
        if count > 0 {
            o.push_str(", ");
        }
        push_text(o, s);
        count += 1;
    });
    if count == 0 {
        o.truncate(mark);
    } else {
        o.push('\n');
    }
    if let Some(a) = t.assumed(n) {
        o.push_str(&st.prefix);
        o.push_str("  · ASSUMED: ");
        push_text(o, a);
        o.push('\n');
    }
    // A notation key written instead of a figure, with its reason.
    t.flags(n, |f| {
        o.push_str(&st.prefix);
        o.push_str("  · ");
        push_text(o, f);
        o.push('\n');
    });
    let mark = o.len();
    o.push_str(&st.prefix);
    o.push_str("  ");
    if t.cut(n, o) {
        o.push('\n');
    } else {
        o.truncate(mark);
    }
    for i in first..end {
        if crate::cancel::requested() {
            break; // Ctrl-C in the REPL: the caller drops the text
        }
        let c = st.stack[i];
        child(t, c, i + 1 == end, o, st);
    }
    st.stack.truncate(first);
    st.prefix.truncate(plen);
}
