//! Stage 5 (evaluate): computes every symbol's value, in base units, in
//! dependency order. Non-finite results and division by zero are diagnostics.

use crate::check::{Code, Op, Program};
use crate::diag::Diag;
use crate::ir::{Func, Rule, SymId};
use crate::names::Symbol;
use crate::number::Sum;
use crate::source::Span;
use crate::syntax::ast::BinOp;

/// Values of all symbols in base units; `None` where the value could not be
/// computed (an error was reported for it or for something it reads). Kept as
/// NaN, which no value is (a non-finite result is an error): 8 bytes a symbol,
/// where an `Option<f64>` takes 16.
///
/// In an inventory over years, the values of one year, with the year and the
/// values of the year before (which `previous` reads; none in the year before
/// the span, evaluated only for `previous`).
#[derive(Clone, Debug, Default)]
pub struct Values(Vec<f64>, Option<Box<Year>>);

/// The year of [`Values`] (see `crate::years`).
#[derive(Clone, Debug)]
pub struct Year {
    pub year: i64,
    pub prev: Option<Values>,
}

impl Values {
    pub fn get(&self, id: SymId) -> Option<f64> {
        self.0.get(id as usize).copied().filter(|v| !v.is_nan())
    }

    /// The values of the year before, if these are of a year of an inventory
    /// over years (not of the year before the span).
    pub fn prev(&self) -> Option<&Values> {
        self.1.as_ref()?.prev.as_ref()
    }

    /// The year these are the values of, if the inventory is over years.
    pub fn year(&self) -> Option<i64> {
        self.1.as_ref().map(|y| y.year)
    }

    /// Values of `n` symbols, none computed yet, of `year` if given.
    pub fn empty(n: usize, year: Option<Year>) -> Values {
        Values(vec![f64::NAN; n], year.map(Box::new))
    }

    /// Sets the year (and the values of the year before).
    pub fn set_year(&mut self, year: Year) {
        self.1 = Some(Box::new(year));
    }

    /// The year's state, to change (the values of the year before).
    pub fn year_mut(&mut self) -> Option<&mut Year> {
        self.1.as_deref_mut()
    }

    /// Copies the value of `id` from `other`.
    pub fn copy_from(&mut self, other: &Values, id: SymId) {
        self.0[id as usize] = other.0[id as usize];
    }
}

pub fn evaluate(p: &Program) -> (Values, Vec<Diag>) {
    evaluate_in(p, None)
}

/// [`evaluate`] in a year of an inventory over years.
pub fn evaluate_in(p: &Program, year: Option<Year>) -> (Values, Vec<Diag>) {
    let mut vals = Values::empty(p.res.syms.len(), year);
    let mut diags = Vec::new();
    for &id in &p.res.order {
        eval_sym(p, &mut vals, id, &mut diags);
    }
    (vals, diags)
}

/// Re-evaluates the given symbols (already in dependency order).
pub fn reevaluate(p: &Program, vals: &mut Values, ids: &[SymId]) -> Vec<Diag> {
    let mut diags = Vec::new();
    for &id in ids {
        eval_sym(p, vals, id, &mut diags);
    }
    diags
}

pub(crate) fn eval_sym(p: &Program, vals: &mut Values, id: SymId, diags: &mut Vec<Diag>) {
    let v = match &p.checked[id as usize].code {
        Some(code) => match eval_code(code, vals, &p.res.syms) {
            Ok(v) if v.is_finite() => Some(v),
            Ok(v) => {
                let sym = &p.res.syms[id as usize];
                diags.push(
                    Diag::error(
                        "carbon::eval::not_finite",
                        format!(
                            "`{}` is {}",
                            sym.name,
                            if v.is_nan() { "not a number" } else { "infinite" }
                        ),
                    )
                    .at(code.span, "this evaluates to a number too large to represent")
                    .help("check the magnitudes and exponents of the inputs"),
                );
                None
            }
            Err(Some(d)) => {
                diags.push(d);
                None
            }
            Err(None) => None,
        },
        None => None,
    };
    vals.0[id as usize] = v.unwrap_or(f64::NAN);
}

/// Evaluates compiled code against computed values (`syms` for where the
/// operands of an `Op::Pair` are). `Err(None)`: an input has no value (its
/// error is already reported).
pub fn eval_code(c: &Code, vals: &Values, syms: &[Symbol]) -> Result<f64, Option<Diag>> {
    Ok(match &c.op {
        Op::Const(v, _) => *v,
        Op::Sym(s) => vals.get(*s).ok_or(None)?,
        Op::Neg(x) => -eval_code(x, vals, syms)?,
        Op::Bin(op, ab) => {
            let [a, b] = &**ab;
            let x = eval_code(a, vals, syms)?;
            let y = eval_code(b, vals, syms)?;
            apply(*op, x, y, c.span, || (a.span, b.span))?
        }
        Op::Pair(op, [a, b], [at_a, at_b]) => {
            let x = vals.get(*a).ok_or(None)?;
            let y = vals.get(*b).ok_or(None)?;
            let own = |id: SymId| syms.get(id as usize).map(|s| s.span);
            apply(*op, x, y, c.span, || {
                (at_a.operand(own(*a), c.span), at_b.operand(own(*b), c.span))
            })?
        }
        Op::Chain(ch) => {
            let mut x = eval_code(&ch.first, vals, syms)?;
            let mut left = ch.first.span;
            for (op, b) in ch.rest.iter() {
                let y = eval_code(b, vals, syms)?;
                let here = left.to(b.span);
                x = apply(*op, x, y, here, || (left, b.span))?;
                left = here;
            }
            x
        }
        Op::Call(f) => call(f.func, &f.args, c.span, vals, syms)?,
        Op::Sum(xs) => {
            let mut s = Sum::default();
            for (neg, id) in xs.iter() {
                let v = vals.get(*id).ok_or(None)?;
                s.add(if *neg { -v } else { v });
            }
            s.value()
        }
    })
}

/// A builtin function of its arguments (in base units, as checked: a `%`
/// argument is its fraction). A value outside the function's domain and a
/// non-finite result are errors at the call.
fn call(f: Func, xs: &[Code], span: Span, vals: &Values, syms: &[Symbol]) -> Result<f64, Option<Diag>> {
    match f {
        Func::Year => return vals.year().map(|y| y as f64).ok_or_else(|| Some(needs_years(f, span))),
        Func::Previous => {
            let y = vals.1.as_deref().ok_or_else(|| Some(needs_years(f, span)))?;
            let Some(prev) = &y.prev else {
                // The year before the span is evaluated only for `previous`.
                return Err(None);
            };
            return match eval_code(&xs[0], prev, syms) {
                Err(None) => Err(Some(
                    Diag::error(
                        "carbon::eval::no_previous",
                        format!("`previous` reads a value that has none in {}", y.year - 1),
                    )
                    .at(xs[0].span, format!("no value in {}", y.year - 1))
                    .help(format!(
                        "the year before the span is evaluated for `previous`: give each series it reads a value for {}",
                        y.year - 1
                    )),
                )),
                r => r,
            };
        }
        Func::Series(rule) => return series(rule, xs, span, vals, syms),
        _ => {}
    }
    let mut v: smallvec::SmallVec<[f64; 3]> = smallvec::SmallVec::new();
    for x in xs {
        v.push(eval_code(x, vals, syms)?);
    }
    let x = v[0];
    let outside = |what: &str, label: String, help: &str| {
        Some(
            Diag::error("carbon::eval::domain", format!("`{}` of {what}", f.name()))
                .at(xs[0].span, label)
                .help(help.to_string()),
        )
    };
    let r = match f {
        Func::Exp => x.exp(),
        Func::Ln | Func::Log10 if x <= 0.0 => {
            return Err(outside(
                "a number that is not above zero",
                format!("this is {}", crate::number::format(x)),
                "a logarithm is defined only for numbers above zero; check the value it comes from",
            ))
        }
        Func::Ln => x.ln(),
        Func::Log10 => x.log10(),
        Func::Sqrt if x < 0.0 => {
            return Err(outside(
                "a negative number",
                "this is negative".into(),
                "a square root is defined only for numbers of zero or more; check the value it comes from",
            ))
        }
        Func::Sqrt => x.sqrt(),
        Func::Abs => x.abs(),
        Func::Min => v[1..].iter().fold(x, |a, &b| a.min(b)),
        Func::Max => v[1..].iter().fold(x, |a, &b| a.max(b)),
        Func::Clamp => {
            let (lo, hi) = (v[1], v[2]);
            if lo > hi {
                return Err(Some(
                    Diag::error(
                        "carbon::eval::domain",
                        "`clamp` with its lower bound above its upper bound",
                    )
                    .at(xs[1].span, "the lower bound")
                    .also(xs[2].span, "is above the upper bound")
                    .help("write `clamp(x, lo, hi)` with lo ≤ hi"),
                ));
            }
            x.clamp(lo, hi)
        }
        Func::Year | Func::Previous | Func::Series(_) => unreachable!("handled above"),
    };
    if !r.is_finite() {
        return Err(Some(
            Diag::error(
                "carbon::eval::not_finite",
                format!("`{}` gives a number too large to represent", f.name()),
            )
            .at(span, "this is infinite")
            .help("check the magnitudes of its arguments"),
        ));
    }
    Ok(r)
}

/// `year()`, `previous(…)` or a series in an inventory of one year.
fn needs_years(f: Func, span: Span) -> Diag {
    Diag::error(
        "carbon::eval::needs_years",
        format!("`{}` needs an inventory over years", f.name()),
    )
    .at(span, "no year to evaluate this in")
    .help("add `start 2021` and `end 2025` (the first and last year) to the inventory")
}

/// The value of a series (arguments: year, value, year, value, …, years
/// rising, as lowered) in the year of `vals`.
fn series(rule: Rule, xs: &[Code], span: Span, vals: &Values, syms: &[Symbol]) -> Result<f64, Option<Diag>> {
    let Some(year) = vals.1.as_deref() else {
        return Err(Some(needs_years(Func::Series(rule), span)));
    };
    let y = year.year as f64;
    let key = |i: usize| match &xs[2 * i].op {
        Op::Const(v, _) => *v,
        _ => f64::NAN, // (lowered as a literal)
    };
    let n = xs.len() / 2;
    let value = |i: usize| eval_code(&xs[2 * i + 1], vals, syms);
    // The last year stated at or before this one.
    let Some(i) = (0..n).rev().find(|&i| key(i) <= y) else {
        if year.prev.is_none() {
            return Err(None); // the year before the span, for `previous` only
        }
        return Err(Some(
            Diag::error(
                "carbon::eval::series_start",
                format!("the series has no value in {}: its first year is {}", year.year, key(0)),
            )
            .at(xs[0].span, format!("its first year, after {}", year.year))
            .help(format!(
                "state a value for {} or before (a series has no value before its first year)",
                year.year
            )),
        ));
    };
    let at = |i: usize, j: usize| -> Result<f64, Option<Diag>> {
        let (y0, y1) = (key(i), key(j));
        let (v0, v1) = (value(i)?, value(j)?);
        Ok(v0 + (v1 - v0) * (y - y0) / (y1 - y0))
    };
    match rule {
        _ if key(i) == y => value(i),
        Rule::Hold => value(i),
        Rule::Linear | Rule::Trend if i + 1 < n => at(i, i + 1),
        Rule::Linear => value(i),
        Rule::Trend => at(n - 2, n - 1),
    }
}

/// `x op y`; `spans`: where the operands are (for a division by zero).
fn apply(op: BinOp, x: f64, y: f64, span: Span, spans: impl Fn() -> (Span, Span)) -> Result<f64, Option<Diag>> {
    Ok(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => {
            if y == 0.0 {
                let (a, b) = spans();
                return Err(Some(
                    Diag::error("carbon::eval::division_by_zero", "division by zero")
                        .at(b, "this is zero")
                        .also(a, "is divided by zero")
                        .help("a divisor must not be zero; check the value it comes from"),
                ));
            }
            x / y
        }
        BinOp::Pow => {
            if x == 0.0 && y < 0.0 {
                return Err(Some(
                    Diag::error("carbon::eval::division_by_zero", "zero raised to a negative power")
                        .at(span, "divides by zero")
                        .help("a negative power of zero is a division by zero"),
                ));
            }
            let r = x.powf(y);
            if r.is_nan() {
                return Err(Some(
                    Diag::error(
                        "carbon::eval::not_finite",
                        "a negative number raised to a fractional power",
                    )
                    .at(span, "not a real number"),
                ));
            }
            r
        }
    })
}
