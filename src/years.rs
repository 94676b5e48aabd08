//! Stage 5b (an inventory over years): evaluates the program once for each year
//! from `start` to `end` (reported) and on to `horizon` (projected), and keeps
//! one row of results a year.
//!
//! Only the symbols whose value can change from year to year are evaluated again
//! each year: those that read `year()`, `previous(…)` or a series, and those that
//! read them. The year before `start` is evaluated first, for `previous` only: it
//! is not reported. Memory: the values of two years, and the rows.

use crate::check::{code_deps, Op, Program};
use crate::diag::Diag;
use crate::eval::{self, Values, Year};
use crate::ir::{Func, SymId};
use crate::names::SymKind;
use crate::number::Sum;

/// The years of an inventory over years.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Span {
    pub start: i64,
    /// The last year reported.
    pub end: i64,
    /// The last year projected (`end` when there is no projection).
    pub horizon: i64,
    /// The share of their peak below which the sinks count as saturated.
    pub saturation: Option<f64>,
}

/// The results of one year, in the unit of the balance.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub year: i64,
    /// After `end`: a projection.
    pub projected: bool,
    pub emissions: f64,
    pub removals: f64,
    /// Net offsets: the balance less emissions and removals (purchased offsets
    /// are negative, sold ones positive).
    pub offsets: f64,
    pub net: f64,
    /// The net of the years from `start` to this one (in the unit of the net
    /// times one year: each year's rate over its year).
    pub cumulative: f64,
    pub neutral: bool,
}

/// Every year's results.
#[derive(Clone, Debug)]
pub struct Years {
    pub span: Span,
    /// The unit of the rows' rates (the balance's), and of the cumulative net.
    pub unit: String,
    pub cumulative_unit: String,
    pub rows: Vec<Row>,
    /// The first year whose net is at most zero.
    pub neutral_from: Option<i64>,
    /// The first year after the peak of the removals in which they are below
    /// `saturation` times the peak, and the peak's year.
    pub saturated_from: Option<i64>,
    pub peak: Option<(i64, f64)>,
    /// The symbols that change from year to year and are not zero in some
    /// year (for the audit: a term zero in the year reported but not in every
    /// year is no missing figure).
    pub nonzero: rustc_hash::FxHashSet<SymId>,
}

/// Years a span may hold: a projection to 2100 from 1990 is well inside.
pub const MAX_YEARS: i64 = 1000;

/// The span of years the inventory states (`None` for an inventory of one
/// period), read from its `start`, `end`, `horizon` and `saturation` (each
/// written as a number: it is evaluated before any year).
pub fn span_of(p: &Program) -> Result<Option<Span>, Diag> {
    let Some(h) = p.res.header.as_ref() else {
        return Ok(None);
    };
    if h.years.iter().all(Option::is_none) {
        return Ok(None);
    }
    let mut vals = Values::empty(p.res.syms.len(), None);
    let mut ignored = Vec::new();
    for id in h.years.iter().chain([&h.period]).flatten() {
        eval::eval_sym(p, &mut vals, *id, &mut ignored);
    }
    let vals = &vals;
    let [start, end, horizon, saturation] = h.years;
    let year_of = |id: SymId, what: &str| -> Result<i64, Diag> {
        let s = &p.res.syms[id as usize];
        let plain = p.dim(id).is_some_and(|d| d.is_one());
        match vals.get(id) {
            Some(v) if plain && v.fract() == 0.0 && (1.0..=9999.0).contains(&v) => Ok(v as i64),
            _ => Err(
                Diag::error("carbon::years::year", format!("the inventory's `{what}` is not a year"))
                    .at(s.span, "a year is a whole plain number from 1 to 9999")
                    .help(format!("write `{what} 2025`")),
            ),
        }
    };
    let end_id = end;
    let (start, end) = match (start, end) {
        (None, None) => {
            return match horizon.or(saturation) {
                Some(id) => Err(
                    Diag::error("carbon::years::span", "a projection needs the inventory's years")
                        .at(p.res.syms[id as usize].span, "stated without `start` and `end`")
                        .help("add `start 2021` and `end 2025` (the first and last year reported) to the inventory"),
                ),
                None => Ok(None),
            };
        }
        (Some(s), Some(e)) => (year_of(s, "start")?, year_of(e, "end")?),
        (Some(id), None) | (None, Some(id)) => {
            return Err(Diag::error(
                "carbon::years::span",
                "the inventory's years need both `start` and `end`",
            )
            .at(p.res.syms[id as usize].span, "one of the two")
            .help("state the first year reported with `start` and the last with `end`"))
        }
    };
    let horizon_year = match horizon {
        Some(id) => year_of(id, "horizon")?,
        None => end,
    };
    let at = |id: Option<SymId>| p.res.syms[id.or(h.period).unwrap_or(0) as usize].span;
    if end < start || horizon_year < end {
        return Err(
            Diag::error("carbon::years::span", "the inventory's years are out of order")
                .at(
                    at(horizon.or(end_id)),
                    format!("start {start}, end {end}, horizon {horizon_year}"),
                )
                .help("`start` ≤ `end` ≤ `horizon`"),
        );
    }
    if horizon_year - start >= MAX_YEARS {
        return Err(Diag::error(
            "carbon::years::span",
            format!("{} years are too many", horizon_year - start + 1),
        )
        .at(at(horizon.or(end_id)), "the span")
        .help(format!("a span holds at most {MAX_YEARS} years")));
    }
    // One year a period: a series of amounts is per year of the series.
    if let Some(pid) = h.period {
        let year = p.units.scale_of_name("a");
        if vals.get(pid) != year {
            return Err(Diag::error(
                "carbon::years::period",
                "an inventory over years has a period of one year",
            )
            .at(p.res.syms[pid as usize].span, "not one year")
            .help("write `period 1 a`: each year of the span is one period"));
        }
    }
    let saturation = match saturation {
        None => None,
        Some(id) => match vals.get(id) {
            Some(v) if p.dim(id).is_some_and(|d| d.is_one()) && v > 0.0 && v < 1.0 => Some(v),
            _ => {
                return Err(Diag::error(
                    "carbon::years::saturation",
                    "the inventory's `saturation` is not a share",
                )
                .at(p.res.syms[id as usize].span, "a share between 0 and 100 %")
                .help("write `saturation 5 %`: the sinks count as saturated below 5 % of their peak"))
            }
        },
    };
    Ok(Some(Span {
        start,
        end,
        horizon: horizon_year,
        saturation,
    }))
}

/// Whether compiled code reads the year.
fn reads_year(c: &crate::check::Code) -> bool {
    match &c.op {
        Op::Const(..) | Op::Sym(_) | Op::Pair(..) | Op::Sum(_) => false,
        Op::Neg(x) => reads_year(x),
        Op::Bin(_, ab) => ab.iter().any(reads_year),
        Op::Chain(ch) => ch.operands().any(reads_year),
        Op::Call(f) => matches!(f.func, Func::Year | Func::Previous | Func::Series(_)) || f.args.iter().any(reads_year),
    }
}

/// The symbols whose value can change from year to year, in evaluation order.
pub fn varying(p: &Program) -> Vec<SymId> {
    let mut varies = vec![false; p.res.syms.len()];
    let mut out = Vec::new();
    let mut deps = Vec::new();
    for &id in &p.res.order {
        let Some(c) = &p.checked[id as usize].code else {
            continue;
        };
        deps.clear();
        code_deps(c, &mut deps);
        if reads_year(c) || deps.iter().any(|&d| varies[d as usize]) {
            varies[id as usize] = true;
            out.push(id);
        }
    }
    out
}

/// Evaluates every year of `span`; returns the rows, the values of the year
/// `keep` (if in the span; else of `end`), and the errors, each once with the
/// first year it occurs in.
pub fn run(p: &Program, span: &Span, keep: Option<i64>) -> (Years, Values, Vec<Diag>) {
    let keep = keep.unwrap_or(span.end);
    // The year before the span, for `previous`: its errors are not reported.
    let (mut cur, _) = eval::evaluate_in(
        p,
        Some(Year {
            year: span.start - 1,
            prev: None,
        }),
    );
    let vary = varying(p);
    // The year before: every value, its year set each year below.
    let mut prev = cur.clone();
    let mut kept = None;
    let mut negative = vec![false; vary.len()];
    let mut warnings = Vec::new();
    let mut first_sign = vec![false; vary.len()];
    let mut nonzero = vec![false; vary.len()];
    let mut diags: Vec<Diag> = Vec::new();
    // Each error (its code and place) once: its index in `diags`, then its
    // first year and how many later years it occurs in (by hash: many can fail
    // every year).
    let mut seen: rustc_hash::FxHashMap<(&'static str, crate::source::Span), usize> = Default::default();
    let mut years_of: Vec<(i64, usize)> = Vec::new();
    let g = p.res.groups.as_ref();
    let unit_of = |id: SymId| {
        let du = p.units.dunit(p.checked[id as usize].dunit);
        (p.units.scale_of(du), p.units.format_dunit(du))
    };
    // Every column is an amount over its year, in the unit of the net (the
    // balance over one period, which is one year): the rates (emissions,
    // removals) times the period.
    let (scale, unit) = g.map_or((1.0, String::new()), |g| unit_of(g.net));
    let period = p.res.header.as_ref().and_then(|h| h.period);
    let sinks = g.and_then(|g| {
        g.groups
            .iter()
            .find(|(x, _)| *x == crate::domain::Group::Sinks)
            .map(|x| x.1)
    });
    let mut rows = Vec::with_capacity((span.horizon - span.start + 1) as usize);
    let mut cumulative = Sum::default();
    for year in span.start..=span.horizon {
        // The year before becomes `prev`; only what varies is evaluated again.
        for &id in &vary {
            prev.copy_from(&cur, id);
        }
        let mut before = std::mem::take(&mut prev);
        before.set_year(Year {
            year: year - 1,
            prev: None,
        });
        cur.set_year(Year {
            year,
            prev: Some(before),
        });
        let mut d = Vec::new();
        for &id in &vary {
            eval::eval_sym(p, &mut cur, id, &mut d);
        }
        // A field stated by a series that turns negative (a trend continued
        // past zero): each once, at the first year.
        for (k, &id) in vary.iter().enumerate() {
            let v = cur.get(id).unwrap_or(0.0);
            nonzero[k] |= v != 0.0;
            if v < 0.0 && !negative[k] && matches!(p.res.syms[id as usize].kind, SymKind::Field { .. }) {
                negative[k] = true;
                let s = &p.res.syms[id as usize];
                if first_sign[k] {
                    warnings.push(
                        Diag::warning("carbon::years::negative", format!("`{}` turns negative in {year}", s.name))
                            .at(s.span, format!("below zero from {year}"))
                            .help("a `trend` continues the line of its last two years, here past zero: end the series with the value it should keep (`linear` holds its last value), or state the later years"),
                    );
                }
            }
            if year == span.start {
                first_sign[k] = v >= 0.0;
            }
        }
        for x in d {
            let at = x.labels.first().map(|l| l.span).unwrap_or_default();
            match seen.entry((x.code, at)) {
                std::collections::hash_map::Entry::Occupied(e) => years_of[*e.get()].1 += 1,
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(diags.len());
                    years_of.push((year, 0));
                    diags.push(x);
                }
            }
        }
        // The year kept, with the values of the year before (which its
        // explanations show).
        if year == keep || (kept.is_none() && year == span.end && !(span.start..=span.horizon).contains(&keep)) {
            kept = Some(cur.clone());
        }
        // Take `prev` back from the year state.
        if let Some(y) = cur.year_mut() {
            if let Some(b) = y.prev.take() {
                prev = b;
            }
        }
        if let (Some(g), Some(t)) = (g, period.and_then(|id| cur.get(id))) {
            let rate = |id: SymId| cur.get(id).map(|v| v * t / scale);
            let (Some(net), Some(emissions)) = (cur.get(g.net).map(|v| v / scale), rate(g.emissions)) else {
                continue;
            };
            let removals = sinks.and_then(rate).unwrap_or(0.0);
            cumulative.add(net);
            rows.push(Row {
                year,
                projected: year > span.end,
                emissions,
                removals,
                offsets: net - emissions + removals,
                net,
                cumulative: cumulative.value(),
                neutral: net <= 0.0,
            });
        }
    }
    // Each error once, with the first year it occurs in and how many more.
    for (x, &(first, more)) in diags.iter_mut().zip(&years_of) {
        match more {
            0 => x.message.push_str(&format!(" (in {first})")),
            k => x.message.push_str(&format!(
                " (in {first} and {k} later year{})",
                if k == 1 { "" } else { "s" }
            )),
        }
    }
    diags.append(&mut warnings);
    let neutral_from = rows.iter().find(|r| r.neutral).map(|r| r.year);
    let peak = rows
        .iter()
        .filter(|r| r.removals > 0.0)
        .fold(None, |best: Option<(i64, f64)>, r| match best {
            Some((_, v)) if v >= r.removals => best,
            _ => Some((r.year, r.removals)),
        });
    let saturated_from = match (span.saturation, peak) {
        (Some(f), Some((py, pv))) => rows.iter().find(|r| r.year > py && r.removals < f * pv).map(|r| r.year),
        _ => None,
    };
    let cumulative_unit = unit.clone();
    let years = Years {
        span: *span,
        unit,
        cumulative_unit,
        rows,
        neutral_from,
        saturated_from,
        peak,
        nonzero: vary.iter().zip(&nonzero).filter(|x| *x.1).map(|x| *x.0).collect(),
    };
    (years, kept.unwrap_or(cur), diags)
}
