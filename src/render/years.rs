//! An inventory over years: one row a year, in text and JSON.

use crate::years::{Row, Years};
use serde_json::{json, Value};
use std::fmt::Write;

/// `x` with two decimals (no `-0.00`).
fn fixed2(x: f64) -> String {
    let s = format!("{x:.2}");
    match s.strip_prefix('-') {
        Some(rest) if rest.bytes().all(|b| b == b'0' || b == b'.') => rest.to_string(),
        _ => s,
    }
}

/// The table of every year (`carbon run FILE --by year`), then the first
/// neutral year and the saturation of the sinks.
pub fn years_text(y: &Years) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Years {}–{}{} ({}; cumulative net in {})",
        y.span.start,
        y.span.end,
        if y.span.horizon > y.span.end {
            format!(", projected to {}", y.span.horizon)
        } else {
            String::new()
        },
        y.unit,
        y.cumulative_unit
    );
    let cells: Vec<[String; 6]> = y
        .rows
        .iter()
        .map(|r| {
            [
                fixed2(r.emissions),
                fixed2(r.removals),
                fixed2(r.offsets),
                fixed2(r.net),
                fixed2(r.cumulative),
                verdict(r).to_string(),
            ]
        })
        .collect();
    let heads = ["emissions", "removals", "offsets", "net", "cumulative", "verdict"];
    let mut widths: Vec<usize> = heads.iter().map(|h| h.chars().count()).collect();
    for c in &cells {
        for (w, x) in widths.iter_mut().zip(c) {
            *w = (*w).max(x.chars().count());
        }
    }
    o.push_str("  year ");
    push_cells(&mut o, &heads, &widths);
    for (r, c) in y.rows.iter().zip(&cells) {
        let _ = write!(o, "  {}{}", r.year, if r.projected { "*" } else { " " });
        push_cells(&mut o, c, &widths);
    }
    if y.rows.iter().any(|r| r.projected) {
        let _ = writeln!(o, "  * projected (after {})", y.span.end);
    }
    let last = y.rows.last().map_or(y.span.horizon, |r| r.year);
    match y.neutral_from {
        Some(n) => {
            let _ = writeln!(o, "Neutral from {n} (the first year whose net is at most zero)");
        }
        None => {
            let _ = writeln!(o, "Not neutral in any year to {last}");
        }
    }
    match (y.peak, y.span.saturation) {
        (Some((py, pv)), Some(f)) => {
            let _ = write!(o, "Sinks: peak {} {} in {py}; ", fixed2(pv), y.unit);
            let share = crate::number::format_sig(f * 100.0, 6);
            let _ = match y.saturated_from {
                Some(s) => writeln!(o, "saturated from {s} (below {share} % of the peak)"),
                None => writeln!(o, "not saturated by {last} (never below {share} % of the peak)"),
            };
        }
        (Some((py, pv)), None) => {
            let _ = writeln!(
                o,
                "Sinks: peak {} {} in {py} (state `saturation 5 %` in the inventory for the year they saturate)",
                fixed2(pv),
                y.unit
            );
        }
        (None, _) => {}
    }
    o
}

/// A line's cells after its year: the figures right-aligned to `widths`, the
/// verdict (last) as it is.
fn push_cells(o: &mut String, cells: &[impl AsRef<str>], widths: &[usize]) {
    for (i, x) in cells.iter().enumerate() {
        let x = x.as_ref();
        let _ = match i + 1 == cells.len() {
            true => write!(o, "  {x}"),
            false => write!(o, "  {x:>w$}", w = widths[i]),
        };
    }
    o.push('\n');
}

fn verdict(r: &Row) -> &'static str {
    if r.neutral {
        "neutral"
    } else {
        "not neutral"
    }
}

/// The `years` array and the keys beside it in the JSON report.
pub fn years_json(y: &Years) -> [(&'static str, Value); 4] {
    let q = |v: f64, u: &str| json!({ "value": v, "unit": u });
    let rows: Vec<Value> = y
        .rows
        .iter()
        .map(|r| {
            json!({
                "year": r.year,
                "projected": r.projected,
                "emissions": q(r.emissions, &y.unit),
                "removals": q(r.removals, &y.unit),
                "offsets": q(r.offsets, &y.unit),
                "net": q(r.net, &y.unit),
                "cumulative": q(r.cumulative, &y.cumulative_unit),
                "neutral": r.neutral,
            })
        })
        .collect();
    let span = json!({ "start": y.span.start, "end": y.span.end, "horizon": y.span.horizon });
    let saturation = match y.peak {
        Some((py, pv)) => json!({
            "fraction": y.span.saturation,
            "peak_year": py,
            "peak": q(pv, &y.unit),
            "year": y.saturated_from,
        }),
        None => Value::Null,
    };
    [
        ("span", span),
        ("years", Value::Array(rows)),
        ("neutral_from", json!(y.neutral_from)),
        ("saturation", saturation),
    ]
}
