//! Stage 7 (render): the report as aligned text or as JSON.

use crate::audit::{Allowed, ExpectResult};
use crate::diag::{Diag, Severity};
use crate::escape::next_hidden;
pub use crate::escape::{escape_controls, Escaping};
use crate::explain::{
    json_f64, json_key, json_newline, json_str, Completeness, Flag, FlagRef, JsonTerms, Live, Node, NotationReport,
    Outline, PartReport, Quantity, Report, Tree, Verdict,
};
use crate::number;
use crate::par;
use crate::source::SourceMap;
use rustc_hash::FxHashSet as HashSet;
use serde::Serialize;
use serde_json::{json, Value};
use std::fmt::Write;

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

/// What the text shows before the explanation, borrowed from a [`Report`] or an
/// [`Outline`].
struct Head<'r> {
    inventory: &'r str,
    site: Option<&'r str>,
    period: &'r Quantity,
    gwp: &'r str,
    balance: &'r Quantity,
    neutral: &'r Verdict,
    emissions: &'r Quantity,
    /// Title, value, unit and parts of each group.
    groups: Vec<(&'r str, f64, &'r str, &'r [PartReport])>,
    expectations: &'r [ExpectResult],
    allowed: &'r [Allowed],
    flags: Flags<'r>,
    notation_keys: &'r [NotationReport],
    completeness: &'r Completeness,
}

/// The flags of a report (owned) or of an outline (borrowed, each message
/// written here).
#[derive(Clone, Copy)]
enum Flags<'r> {
    Owned(&'r [Flag]),
    Outline(&'r [FlagRef<'r>]),
}

impl Flags<'_> {
    fn len(&self) -> usize {
        match self {
            Flags::Owned(f) => f.len(),
            Flags::Outline(f) => f.len(),
        }
    }

    /// The line of flag `i`.
    fn line(&self, i: usize, o: &mut String) {
        o.push_str("  ! ");
        let mark = o.len();
        match self {
            Flags::Owned(f) => {
                let f = &f[i];
                o.push_str(&f.term);
                o.push_str(" (");
                push_q(o, f.value, &f.unit);
                o.push_str("): ");
                o.push_str(&f.message);
            }
            Flags::Outline(f) => {
                let f = &f[i];
                o.push_str(f.term);
                o.push_str(" (");
                push_q(o, f.value, &f.unit);
                o.push_str("): ");
                f.push_message(o);
            }
        }
        escape_tail(o, mark);
        o.push('\n');
    }
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
    let _ = writeln!(o, "  GWP     {}", h.gwp);
    let _ = writeln!(o);
    let _ = writeln!(o, "Balance (Eq. 1)");
    push_balance(o, h, q, 24);
    let _ = writeln!(o, "  {}", verdict(h, q, "\n  "));
    let _ = writeln!(o);
    let _ = writeln!(o, "Terms");
    let nw = (0..rows).map(|i| width(row(i).name)).max().unwrap_or(4).max(4) + 2;
    o.push_str("  ");
    pad_into(o, "term", nw);
    pad_into(o, "kind", 11);
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
                pad_into(o, t.kind, 11);
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
    if h.flags.len() > 0 {
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
                for i in range {
                    h.flags.line(i, o);
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
/// ([`crate::explain::Live::warm`]).
const WARM: usize = 32;
/// Lines per batch of the terms table and of the flags.
const ROWS_BATCH: usize = 2048;

/// The balance, the terms table and every term's derivation.
pub fn text(r: &Report) -> String {
    let mut v = Vec::new();
    let _ = text_to(&mut v, r);
    String::from_utf8(v).unwrap_or_default()
}

/// [`text`], written to `w` as it is produced (each term's derivation in turn).
pub fn text_to(out: &mut impl std::io::Write, r: &Report) -> std::io::Result<()> {
    let out = &mut Escaping(out);
    let mut o = String::new();
    let head = Head {
        inventory: &r.inventory,
        site: r.site.as_deref(),
        period: &r.period,
        gwp: &r.gwp,
        balance: &r.balance,
        neutral: &r.neutral,
        emissions: &r.emissions,
        groups: r
            .groups
            .iter()
            .map(|g| (&*g.title, g.value, &*g.unit, &*g.parts))
            .collect(),
        expectations: &r.expectations,
        allowed: &r.allowed,
        flags: Flags::Owned(&r.flags),
        notation_keys: &r.notation_keys,
        completeness: &r.completeness,
    };
    let keys: rustc_hash::FxHashMap<&str, &str> = r.notation_keys.iter().map(|n| (&*n.term, n.key)).collect();
    let row = |i: usize| {
        let t = &r.terms[i];
        Row {
            name: &t.name,
            kind: t.kind.as_deref().unwrap_or(""),
            group: t.group.as_deref().unwrap_or(""),
            value: t.value,
            unit: &t.unit,
            share: t.share,
            share_of_total: t.share_of_total,
            key: keys.get(&*t.name).copied(),
        }
    };
    head_text(out, &mut o, &head, r.terms.len(), row)?;
    std::io::Write::write_all(out, o.as_bytes())?;
    par::batched(
        out,
        r.terms.len(),
        BATCH,
        TextState::default,
        |st: &mut TextState<&Node>, range, o: &mut String| {
            o.clear();
            for t in &r.terms[range] {
                o.push('\n');
                explain_tree(&mut Owned, t, o, st);
            }
        },
    )
}

/// The text of `run`: [`text_to`] of the outline's report, with each term's
/// derivation built only while it is written (on two threads, in batches) and
/// dropped after. The output is the same.
pub fn text_stream(out: &mut impl std::io::Write, r: &Outline<'_>) -> std::io::Result<()> {
    let out = &mut Escaping(out);
    let mut o = String::new();
    let head = outline_head(r);
    let row = |i: usize| outline_row(r, i);
    head_text(out, &mut o, &head, r.terms.len(), row)?;
    std::io::Write::write_all(out, o.as_bytes())?;
    drop(o);
    par::batched(
        out,
        r.terms.len(),
        BATCH,
        || (Live::new(r.explainer), TextState::default()),
        |(live, st), range, o: &mut String| {
            o.clear();
            let terms = &r.terms[range];
            for (k, t) in terms.iter().enumerate() {
                if k % WARM == 0 {
                    live.warm(&terms[k..(k + WARM).min(terms.len())]);
                }
                o.push('\n');
                let root = live.term(t);
                explain_tree(live, root, o, st);
            }
        },
    )
}

/// What the text shows of an outline before the derivations.
fn outline_head<'r>(r: &'r Outline<'_>) -> Head<'r> {
    Head {
        inventory: r.inventory,
        site: r.site,
        period: &r.period,
        gwp: r.gwp,
        balance: &r.balance,
        neutral: &r.neutral,
        emissions: &r.emissions,
        groups: r
            .groups
            .iter()
            .map(|g| (g.title, g.value, &*g.unit, &*g.parts))
            .collect(),
        expectations: r.expectations,
        allowed: r.allowed,
        flags: Flags::Outline(&r.flags),
        notation_keys: &r.notation_keys,
        completeness: &r.completeness,
    }
}

/// Row `i` of an outline's terms table.
fn outline_row<'r>(r: &'r Outline<'_>, i: usize) -> Row<'r> {
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

/// How [`summary_stream`] lays the summary out.
#[derive(Clone, Copy, Debug)]
pub struct SummaryOptions<'a> {
    /// The file as named on the command line, for the commands the summary suggests.
    pub file: &'a str,
    /// Prose is wrapped to this many columns; tables are not broken.
    pub width: usize,
}

/// Significant figures of a computed number in the summary.
const SUMMARY_SIG: usize = 6;
/// The summary's terms table lists at most this many terms (the largest).
const SUMMARY_TERMS: usize = 25;

/// `value unit` with [`SUMMARY_SIG`] significant figures.
fn qs(v: f64, u: &str) -> String {
    let mut s = String::new();
    number::push_sig(&mut s, v, SUMMARY_SIG);
    if !u.is_empty() {
        s.push(' ');
        s.push_str(u);
    }
    s
}

/// Appends `text` as lines of at most `cols` columns, broken at spaces: the
/// first line indented by `indent` spaces, the others by `hang`. The spaces
/// between words are kept, but where a line breaks. A word longer than a line
/// has a line of its own.
fn wrap_into(o: &mut String, text: &str, indent: usize, hang: usize, cols: usize) {
    let mut col = indent;
    spaces(o, indent);
    let mut start = true;
    let mut rest = text.trim_start_matches(' ');
    while !rest.is_empty() {
        // The spaces before the next word, and the word.
        let gap = rest.len() - rest.trim_start_matches(' ').len();
        let word_end = rest[gap..].find(' ').map_or(rest.len(), |i| gap + i);
        let word = &rest[gap..word_end];
        rest = &rest[word_end..];
        if word.is_empty() {
            break;
        }
        let w = width(word);
        if !start && col + gap + w > cols {
            o.push('\n');
            spaces(o, hang);
            col = hang;
        } else {
            spaces(o, gap);
            col += gap;
        }
        o.push_str(word);
        col += w;
        start = false;
    }
    o.push('\n');
}

/// A short name for a warning kind, for the summary's one line per kind.
fn warning_kind(code: &str) -> Option<&'static str> {
    Some(match code.strip_prefix("carbon::")? {
        "audit::no_provenance" => "value with no `from` or `assumed`",
        "audit::stock_as_removal" => "carbon stock counted as this period's removal",
        "audit::components" => "stated total not the sum of its stated parts",
        "audit::disagree" => "two stated values disagree",
        "audit::known_discrepancy" => "expectation that is a known discrepancy",
        "audit::implausible" => "value outside the plausible range",
        "audit::zero_term" => "term that is zero",
        "audit::unused" => "declaration nothing uses",
        "audit::unused_allow" => "`allow` that silences nothing",
        "audit::negative" => "negative value",
        "audit::shadows_prelude" => "name that replaces the prelude's",
        _ => return None,
    })
}

/// The warnings of `diags` as one line per kind, with a count and where to see
/// them in full (`carbon check FILE`), wrapped to `width`; empty when there is
/// none. `allowed` warnings, silenced with reasons, are counted after.
pub fn warning_summary(diags: &[Diag], allowed: usize, file: &str, width: usize) -> String {
    let mut kinds: Vec<(&'static str, usize, &Diag)> = Vec::new();
    let mut at: rustc_hash::FxHashMap<&'static str, usize> = Default::default();
    for d in diags.iter().filter(|d| d.severity == Severity::Warning) {
        match at.get(d.code) {
            Some(&i) => kinds[i].1 += 1,
            None => {
                at.insert(d.code, kinds.len());
                kinds.push((d.code, 1, d));
            }
        }
    }
    let mut o = String::new();
    let n: usize = kinds.iter().map(|k| k.1).sum();
    if n > 0 {
        let heading = format!(
            "Warnings: {n} — `carbon check {file}` lists {}",
            if n == 1 { "it" } else { "them" }
        );
        wrap_into(&mut o, &escape_controls(&heading, false), 0, 2, width);
        for (code, count, first) in &kinds {
            let what = match warning_kind(code) {
                Some(w) => w.to_string(),
                None if *count == 1 => escape_controls(&first.message, false).into_owned(),
                None => format!("{} …", escape_controls(&first.message, false)),
            };
            wrap_into(&mut o, &format!("{count} × {what} ({code})"), 2, 6, width);
        }
    }
    if allowed > 0 {
        if n == 0 {
            o.push_str("Warnings: none shown\n");
        }
        let line = format!(
            "{allowed} more allowed with reasons on their declarations (`--explain` lists {})",
            if allowed == 1 { "it" } else { "them" }
        );
        wrap_into(&mut o, &line, 2, 4, width);
    }
    o
}

/// The text of `run` without `--explain`: a summary that fits a screen — the
/// balance and its verdict, the terms table (the largest terms of a large
/// inventory), one line per expectation, one line per warning kind — and the
/// commands that show the derivations. Numbers have at most six significant
/// figures; prose is wrapped to `opts.width`.
pub fn summary_stream(
    out: &mut impl std::io::Write,
    r: &Outline<'_>,
    diags: &[Diag],
    opts: SummaryOptions<'_>,
) -> std::io::Result<()> {
    let mut o = String::new();
    summary_into(
        &mut o,
        &outline_head(r),
        r.terms.len(),
        |i| outline_row(r, i),
        diags,
        opts,
    );
    std::io::Write::write_all(&mut Escaping(out), o.as_bytes())
}

/// The lines of the balance (Eq. 1): each group with its parts, the total
/// emissions and the net, values formatted by `quantity` in a column `width` wide.
fn push_balance(o: &mut String, h: &Head<'_>, quantity: fn(f64, &str) -> String, width: usize) {
    let w = h.groups.iter().map(|g| g.0.chars().count()).max().unwrap_or(20).max(44) + 2;
    let line = |o: &mut String, label: &str, v: f64, u: &str| {
        o.push_str("  ");
        pad_into(o, label, w);
        lpad_into(o, &quantity(v, u), width);
        o.push('\n');
    };
    for &(title, value, unit, parts) in &h.groups {
        line(o, title, value, unit);
        for p in parts {
            if p.value != 0.0 {
                line(o, &format!("  {} {}", p.symbol, p.name), p.value, &p.unit);
            }
        }
    }
    line(
        o,
        "total emissions C_above + C_under",
        h.emissions.value,
        &h.emissions.unit,
    );
    line(
        o,
        "net ∫₀ᵀ(C_above + C_under − C_min)dt + C_S − C_c",
        h.balance.value,
        &h.balance.unit,
    );
}

fn summary_into<'r>(
    o: &mut String,
    h: &Head<'r>,
    rows: usize,
    row: impl Fn(usize) -> Row<'r>,
    diags: &[Diag],
    opts: SummaryOptions<'_>,
) {
    let cols = opts.width.max(40);
    let prose = |o: &mut String, text: &str| wrap_into(o, text, 2, 2, cols);
    push_text(o, h.inventory);
    o.push('\n');
    if let Some(s) = h.site {
        wrap_into(o, &format!("site    {}", escape_controls(s, false)), 2, 10, cols);
    }
    let _ = writeln!(o, "  period  {}", qs(h.period.value, &h.period.unit));
    let _ = writeln!(o, "  GWP     {}", h.gwp);

    // The balance: as in the full text, with fewer figures.
    let _ = writeln!(o);
    let _ = writeln!(o, "Balance (Eq. 1)");
    push_balance(o, h, qs, 20);
    prose(o, &verdict(h, qs, " "));

    // The terms table: every term, or the largest of a large inventory.
    let mut shown: Vec<usize> = (0..rows).collect();
    if rows > SUMMARY_TERMS {
        // By size: every term is in tCO2e (a flow, or an offset over the period).
        let size = |i: usize| row(i).value.abs();
        shown.select_nth_unstable_by(SUMMARY_TERMS - 1, |&a, &b| size(b).total_cmp(&size(a)));
        shown.truncate(SUMMARY_TERMS);
        shown.sort_unstable_by(|&a, &b| size(b).total_cmp(&size(a)).then(a.cmp(&b)));
    }
    let cells: Vec<(Row<'r>, String)> = shown
        .iter()
        .map(|&i| {
            let t = row(i);
            let cell = match t.key {
                Some(k) => k.to_string(),
                None => qs(t.value, t.unit),
            };
            (t, cell)
        })
        .collect();
    let _ = writeln!(o);
    let _ = writeln!(o, "Terms");
    let nw = cells.iter().map(|(t, _)| width(t.name)).max().unwrap_or(4).max(4) + 2;
    let vw = cells.iter().map(|(_, c)| width(c)).max().unwrap_or(5).max(5) + 2;
    o.push_str("  ");
    pad_into(o, "term", nw);
    pad_into(o, "kind", 11);
    pad_into(o, "group", 8);
    lpad_into(o, "value", vw);
    lpad_into(o, "of group  of emissions  of removals", 38);
    o.push('\n');
    let mut cell = String::new();
    for (t, value) in &cells {
        o.push_str("  ");
        pad_into(o, t.name, nw);
        pad_into(o, t.kind, 11);
        pad_into(o, t.group, 8);
        lpad_into(o, value, vw);
        let shown = t.key.is_none();
        let sinks = t.group == "sinks";
        for (on, share, w) in [
            (shown, t.share, 11),
            (shown && !sinks, t.share_of_total, 14),
            (shown && sinks, t.share_of_total, 13),
        ] {
            cell.clear();
            if on {
                push_pct(&mut cell, share);
            }
            lpad_into(o, &cell, w);
        }
        o.truncate(o.trim_end_matches(' ').len());
        o.push('\n');
    }
    if rows > cells.len() {
        prose(
            o,
            &format!(
                "… and {} more terms (the {} largest are shown; `--explain` or `--format json` lists all)",
                rows - cells.len(),
                cells.len()
            ),
        );
    }
    if !h.notation_keys.is_empty() {
        let mut line = String::new();
        completeness_line(&mut line, h.completeness);
        prose(o, line.trim());
    }

    // One line per expectation; the numbers when it does not pass.
    if !h.expectations.is_empty() {
        let count = |s: &str| h.expectations.iter().filter(|e| e.status == s).count();
        let (pass, known) = (count("pass"), count("known"));
        let fail = h.expectations.len() - pass - known;
        let mut heading = format!("Expectations (computed vs published): {pass} pass");
        if known > 0 {
            let _ = write!(
                heading,
                ", {known} known discrepanc{}",
                if known == 1 { "y" } else { "ies" }
            );
        }
        if fail > 0 {
            let _ = write!(heading, ", {fail} FAIL");
        }
        let _ = writeln!(o);
        wrap_into(o, &heading, 0, 2, cols);
        let ew = h.expectations.iter().map(|e| width(&e.name)).max().unwrap_or(4) + 2;
        for e in h.expectations {
            let mut l = String::new();
            l.push_str(match e.status.as_str() {
                "pass" => "✓ pass   ",
                "known" => "! known  ",
                _ => "✗ FAIL   ",
            });
            pad_into(&mut l, &e.name, ew);
            let at = e
                .location
                .strip_prefix(opts.file)
                .and_then(|l| l.strip_prefix(':'))
                .map_or_else(|| e.location.clone(), |n| format!("line {n}"));
            if e.status == "pass" {
                l.push_str(&at);
            } else {
                let rel = e
                    .relative
                    .map(|r| format!(" ({:+.2} %)", r * 100.0))
                    .unwrap_or_default();
                // `1529.07 vs 1529.0704 tce (+0.00 %), tolerance 0.00005 tce, line 183`
                let _ = write!(
                    l,
                    "{} vs {}{rel}, tolerance {}, {at}",
                    qs(e.computed, ""),
                    q(e.published, &e.unit),
                    e.tolerance
                );
            }
            wrap_into(o, &escape_controls(&l, false), 2, 11 + ew, cols);
        }
    }

    // One line per warning kind, and the flagged modelling choices.
    let warnings = warning_summary(diags, h.allowed.len(), opts.file, cols);
    if !warnings.is_empty() {
        let _ = writeln!(o);
        o.push_str(&warnings);
    }
    let flags = h.flags.len();
    if flags > 0 {
        let names: Vec<&str> = match h.flags {
            Flags::Owned(f) => f.iter().take(3).map(|f| &*f.term).collect(),
            Flags::Outline(f) => f.iter().take(3).map(|f| f.term).collect(),
        };
        let mut list = names.join(", ");
        if flags > names.len() {
            let _ = write!(list, ", … {} more", flags - names.len());
        }
        if warnings.is_empty() {
            let _ = writeln!(o);
        }
        prose(
            o,
            &format!(
                "! {flags} term{} flagged: stock counted as this period's removal ({list})",
                if flags == 1 { "" } else { "s" }
            ),
        );
    }

    let _ = writeln!(o);
    wrap_into(
        o,
        &format!(
            "Derivations: add `--explain` (every term), or `carbon explain {} TERM`",
            opts.file
        ),
        0,
        2,
        cols,
    );
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

/// The owned [`Node`] tree.
struct Owned;

impl<'t> Tree<'t> for Owned {
    type N = &'t Node;
    fn name(&self, n: &'t Node) -> &'t str {
        &n.name
    }
    fn quantity(&mut self, n: &'t Node, out: &mut String) {
        push_q(out, n.value, &n.unit);
    }
    fn formula(&mut self, n: &'t Node, substituted: bool, out: &mut String) -> bool {
        match (&n.formula, &n.substituted) {
            (Some(f), Some(s)) => {
                out.push_str(if substituted { s } else { f });
                true
            }
            _ => false,
        }
    }
    fn equation(&self, n: &'t Node) -> Option<&'t str> {
        n.equation.as_deref()
    }
    fn sources(&mut self, n: &'t Node, f: &mut dyn FnMut(&str)) {
        for s in &n.sources {
            f(crate::explain::before_colon_space(s));
        }
    }
    fn assumed(&self, n: &'t Node) -> Option<&'t str> {
        n.assumed.as_deref()
    }
    fn children(&mut self, n: &'t Node, out: &mut Vec<&'t Node>) {
        out.extend(&n.children);
    }
    fn kind(&self, n: &'t Node) -> Option<&'t str> {
        n.kind.as_deref()
    }
    fn cut(&mut self, n: &'t Node, out: &mut String) -> bool {
        match (n.more_levels, &n.continue_with) {
            (Some(k), Some(c)) => {
                crate::explain::push_more_levels(out, k);
                out.push_str(c);
                true
            }
            _ => false,
        }
    }
    fn part(&mut self, n: &'t Node, out: &mut String) -> bool {
        match &n.part {
            Some(p) => {
                out.push_str(p);
                true
            }
            None => false,
        }
    }
    fn location(&mut self, n: &'t Node, out: &mut String) {
        out.push_str(&n.location);
    }
    fn group(&self, n: &'t Node) -> Option<&'t str> {
        n.group.as_deref()
    }
    fn shares(&self, n: &'t Node) -> (Option<f64>, Option<f64>) {
        (n.share, n.share_of_total)
    }
    fn flags(&mut self, n: &'t Node, f: &mut dyn FnMut(&str)) {
        for x in &n.flags {
            f(x);
        }
    }
    fn expectations(&mut self, n: &'t Node, f: &mut dyn FnMut(&str)) {
        for x in &n.expectations {
            f(&expectation_line(x));
        }
    }
}

/// Buffers of the text renderer, reused from term to term.
struct TextState<'t, N> {
    stack: Vec<N>,
    seen: HashSet<&'t str>,
    prefix: String,
}

impl<N> Default for TextState<'_, N> {
    fn default() -> Self {
        TextState {
            stack: Vec::new(),
            seen: HashSet::default(),
            prefix: String::new(),
        }
    }
}

/// One term's derivation as a tree.
pub fn explain_text(n: &Node) -> String {
    let mut o = String::new();
    explain_tree(&mut Owned, n, &mut o, &mut TextState::default());
    match escape_controls(&o, true) {
        std::borrow::Cow::Borrowed(_) => o,
        std::borrow::Cow::Owned(x) => x,
    }
}

/// [`explain_text`] of any [`Tree`], appended to `o`.
fn explain_tree<'t, T: Tree<'t>>(t: &mut T, n: T::N, o: &mut String, st: &mut TextState<'t, T::N>) {
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
    if t.formula(n, false, o) {
        o.push_str("\n  = ");
        t.formula(n, true, o);
        o.push('\n');
    } else {
        o.truncate(mark);
    }
    t.flags(n, &mut |f| {
        o.push_str("  ! ");
        push_text(o, f);
        o.push('\n');
    });
    t.expectations(n, &mut |e| {
        o.push_str("  expectation ");
        push_text(o, e);
        o.push('\n');
    });
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

fn child<'t, T: Tree<'t>>(t: &mut T, n: T::N, last: bool, o: &mut String, st: &mut TextState<'t, T::N>) {
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
    if t.formula(n, false, o) {
        // ` = formula = substituted = value`, without the substituted values when
        // they read as the value.
        o.push_str(" = ");
        let s = o.len();
        t.formula(n, true, o);
        let v = o.len();
        o.push_str(" = ");
        t.quantity(n, o);
        if o[s..v] == o[v + 3..] {
            o.truncate(v);
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
    t.sources(n, &mut |s| {
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
    t.flags(n, &mut |f| {
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
        let c = st.stack[i];
        child(t, c, i + 1 == end, o, st);
    }
    st.stack.truncate(first);
    st.prefix.truncate(plen);
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
struct Pretty {
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
fn pretty_at<W: ?Sized + std::io::Write>(w: &mut W, level: usize, v: &impl Serialize) -> std::io::Result<()> {
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
struct Members<'w, W: ?Sized> {
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
