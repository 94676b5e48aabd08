//! The summary `carbon run` prints by default: the balance, the terms, the expectations and a line a warning kind, wrapped to the width.

use super::*;

/// How [`summary_stream`] lays the summary out.
#[derive(Clone, Copy, Debug)]
pub struct SummaryOptions<'a> {
    /// The file as named on the command line, for the commands the summary suggests.
    pub file: &'a str,
    /// Prose is wrapped to this many columns; tables are not broken.
    pub width: usize,
}

/// Significant figures of a computed number in the summary.
pub(super) const SUMMARY_SIG: usize = 6;
/// The summary's terms table lists at most this many terms (the largest).
pub(super) const SUMMARY_TERMS: usize = 25;

/// `value unit` with [`SUMMARY_SIG`] significant figures.
pub(super) fn qs(v: f64, u: &str) -> String {
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
pub(super) fn wrap_into(o: &mut String, text: &str, indent: usize, hang: usize, cols: usize) {
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
pub(super) fn warning_kind(code: &str) -> Option<&'static str> {
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
    r: &Report<'_>,
    diags: &[Diag],
    opts: SummaryOptions<'_>,
) -> std::io::Result<()> {
    let mut o = String::new();
    summary_into(&mut o, &head_of(r), r.terms.len(), |i| row_of(r, i), diags, opts);
    std::io::Write::write_all(&mut Escaping(out), o.as_bytes())
}

/// The lines of the balance (Eq. 1): each group with its parts, the total
/// emissions and the net, values formatted by `quantity` in a column `width` wide.
/// What the balance shows for a group with no term.
const NONE_DECLARED: &str = "none declared";

pub(super) fn push_balance(o: &mut String, h: &Head<'_>, quantity: fn(f64, &str) -> String, width: usize) {
    let w = h.groups.iter().map(|g| g.0.chars().count()).max().unwrap_or(20).max(44) + 2;
    let line = |o: &mut String, label: &str, v: f64, u: &str| {
        o.push_str("  ");
        pad_into(o, label, w);
        lpad_into(o, &quantity(v, u), width);
        o.push('\n');
    };
    for &(title, value, unit, parts, none) in &h.groups {
        if none {
            // No term in the group: say so, rather than a computed-looking 0.
            o.push_str("  ");
            pad_into(o, title, w);
            lpad_into(o, NONE_DECLARED, width);
            o.push('\n');
            continue;
        }
        line(o, title, value, unit);
        for p in parts {
            if p.value != 0.0 {
                let label = match p.symbol.is_empty() {
                    true => format!("  {}", p.name),
                    false => format!("  {} {}", p.symbol, p.name),
                };
                line(o, &label, p.value, &p.unit);
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

/// The subtotals by scope and by gas, one table after a blank line (nothing when
/// there is no emission or removal with a figure), values formatted by
/// `quantity`. Its columns state the sign: emissions − removals = net.
pub(super) fn push_subtotals(o: &mut String, h: &Head<'_>, quantity: fn(f64, &str) -> String) {
    fn cells<K>(s: &Subtotal<K>, quantity: fn(f64, &str) -> String) -> [String; 3] {
        [&s.emissions, &s.removals, &s.net].map(|x| quantity(x.value, &x.unit))
    }
    let rows: Vec<(String, [String; 3])> = h
        .by_scope
        .iter()
        .map(|s| (format!("scope {}", s.key.scope), cells(s, quantity)))
        .chain(h.by_gas.iter().map(|s| (s.key.gas.to_string(), cells(s, quantity))))
        .collect();
    if rows.is_empty() {
        return;
    }
    let lw = rows.iter().map(|(l, _)| width(l)).max().unwrap_or(0).max(7) + 2;
    let vw = rows
        .iter()
        .flat_map(|(_, c)| c.iter().map(|x| width(x)))
        .max()
        .unwrap_or(0)
        .max(10)
        + 2;
    let _ = writeln!(o);
    let _ = writeln!(o, "{SUBTOTALS}");
    spaces(o, 2 + lw);
    for h in ["emissions", "− removals", "= net"] {
        lpad_into(o, h, vw);
    }
    o.push('\n');
    for (label, c) in &rows {
        o.push_str("  ");
        pad_into(o, label, lw);
        for x in c {
            lpad_into(o, x, vw);
        }
        o.push('\n');
    }
}

/// The heading of the subtotals by scope and by gas.
const SUBTOTALS: &str = "By scope and gas (offsets aside)";

pub(super) fn summary_into<'r>(
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
    super::push_year(o, h);
    let _ = writeln!(o, "  GWP     {}", h.gwp);

    // The balance: as in the full text, with fewer figures.
    let _ = writeln!(o);
    let _ = writeln!(o, "Balance (Eq. 1)");
    push_balance(o, h, qs, 20);
    prose(o, &verdict(h, qs, " "));
    push_subtotals(o, h, qs);

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
    // The built-in kinds' words fit in 10; a declared kind's may not.
    let kw = cells.iter().map(|(t, _)| width(t.kind)).max().unwrap_or(0).max(10) + 1;
    o.push_str("  ");
    pad_into(o, "term", nw);
    pad_into(o, "kind", kw);
    pad_into(o, "group", 8);
    lpad_into(o, "value", vw);
    lpad_into(o, "of group  of emissions  of removals", 38);
    o.push('\n');
    let mut cell = String::new();
    for (t, value) in &cells {
        o.push_str("  ");
        pad_into(o, t.name, nw);
        pad_into(o, t.kind, kw);
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
        let names: Vec<&str> = h.flags.iter().take(3).map(|f| f.term).collect();
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
