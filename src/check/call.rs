//! Type inference of a builtin function call: the dimension rules of `exp`,
//! `ln`, `log10` (a plain number), `sqrt` (halves the exponents), `min`, `max`,
//! `clamp` (arguments of one dimension) and `abs`; `year` (a plain number),
//! `previous` (its argument's) and a series (its values', all of one dimension).

use super::*;
use crate::ir::Func;

impl<T: Table> Checker<'_, T> {
    pub(super) fn infer_call(&mut self, f: Func, args: &[Ir], span: Span) -> Inference {
        // Every argument, so that each error is reported.
        let inferred: Vec<Inference> = args.iter().map(|a| self.infer(a)).collect();
        let inferred: Vec<Inferred> = inferred.into_iter().collect::<Result<_, ()>>()?;
        if f == Func::Year {
            return Ok(Inferred::new(
                Op::Call(Box::new(Called {
                    func: f,
                    args: Box::new([]),
                })),
                span,
                self.one,
                UnitId::default(),
            ));
        }
        // A series' values are its odd arguments (the even ones are its years).
        let series = matches!(f, Func::Series(_));
        let first = &inferred[usize::from(series)];
        let (dim, unit) = match f {
            Func::Exp | Func::Ln | Func::Log10 => {
                if first.dim != self.one {
                    let d = self.units.dim(first.dim);
                    let (desc, shown) = (self.units.describe_dim(&d), self.units.format_dim(&d));
                    let name = f.name();
                    self.diags.push(
                        Diag::error(
                            "carbon::call::dimension",
                            format!("`{name}` takes a plain number, but its argument is {desc}"),
                        )
                        .at(args[0].span, format!("this is {shown}"))
                        .help(format!(
                            "divide the argument by a reference quantity of the same dimension, so that it is a plain number (e.g. `{name}(x / (1 {}))`)",
                            self.units.format_dunit(self.units.dunit(first.unit))
                        )),
                    );
                    return Err(());
                }
                (self.one, UnitId::default())
            }
            Func::Sqrt => {
                let d = self.units.dim(first.dim);
                let half = Rat::new(1, 2).expect("1/2");
                let odd = d.factors().any(|(_, e)| e.denom() != 1 || e.numer() % 2 != 0);
                let halved = if odd { None } else { d.pow(half) };
                let Some(h) = halved else {
                    let shown = self.units.format_dim(&d);
                    self.diags.push(
                        Diag::error(
                            "carbon::call::sqrt",
                            format!("the square root of {shown} has no unit: an exponent is odd"),
                        )
                        .at(args[0].span, format!("this is {shown}"))
                        .help("`sqrt` halves every exponent of its argument's dimension (sqrt(4 m2) = 2 m), so each must be even"),
                    );
                    return Err(());
                };
                let du = self.units.dpow(self.units.dunit(first.unit), half);
                let dim = self.units.intern_dim(h);
                // A unit written as one atom (`m2`) halves to a fraction of it:
                // shown in the base units instead (`m`).
                let unit = if du.0.iter().all(|(_, e)| e.denom() == 1) {
                    self.units.intern_dunit(du)
                } else {
                    self.units.dunit_for_dim_id(dim)
                };
                (dim, unit)
            }
            Func::Previous => (first.dim, first.unit),
            Func::Year => (self.one, UnitId::default()), // (returned above: no argument)
            Func::Min | Func::Max | Func::Clamp | Func::Abs | Func::Series(_) => {
                let (from, step) = if series { (1, 2) } else { (0, 1) };
                let first_span = args[from].span;
                for (a, i) in args.iter().zip(&inferred).skip(from + step).step_by(step) {
                    if i.dim != first.dim {
                        let (da, db) = (self.units.dim(first.dim), self.units.dim(i.dim));
                        let (ua, ub) = (self.units.dunit(first.unit).clone(), self.units.dunit(i.unit).clone());
                        self.mismatch_as(
                            "carbon::call::mismatch",
                            "compare",
                            (first_span, &da, &ua),
                            (a.span, &db, &ub),
                        );
                        if let Some(d) = self.diags.last_mut() {
                            d.message.push_str(&format!(" in `{}`", f.name()));
                        }
                        return Err(());
                    }
                }
                (first.dim, first.unit)
            }
        };
        let codes: Vec<Code> = inferred.into_iter().map(|i| i.code).collect();
        let called = Called {
            func: f,
            args: codes.into_boxed_slice(),
        };
        Ok(Inferred::new(Op::Call(Box::new(called)), span, dim, unit))
    }
}
