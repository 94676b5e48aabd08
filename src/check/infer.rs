//! Type inference of an expression: its dimension and display unit, compiled to
//! code as it goes (constants folded, operations on symbols read in place).

use super::*;

impl<T: Table> Checker<'_, T> {
    /// A binary operation on two operands.
    pub(super) fn infer_bin(&mut self, op: BinOp, a: &Ir, b: &Ir, span: Span) -> Inference {
        let ra = self.infer(a);
        let rb = self.infer(b);
        let (ia, ib) = (ra?, rb?);
        let (dim, du, precision) = self.bin_type(op, (&ia, a.span), (&ib, b.span), span)?;
        Ok(Inferred {
            precision,
            ..Inferred::new(self.pair_or_bin(op, ia.code, ib.code, span), span, dim, du)
        })
    }

    /// Operations of one level in a row, left to right: each operation typed as
    /// `infer_bin` types it, its left operand the operands before it.
    pub(super) fn infer_chain(&mut self, c: &Chained<Ir>, span: Span) -> Inference {
        // Every operand, so that each error is reported.
        let first = self.infer(&c.first);
        let rest: Vec<Inference> = c.rest.iter().map(|(_, x)| self.infer(x)).collect();
        let mut acc = first?;
        let mut codes = Vec::with_capacity(rest.len());
        let mut left = c.first.span;
        for ((op, x), r) in c.rest.iter().zip(rest) {
            let ib = r?;
            let here = left.to(x.span);
            let (dim, unit, precision) = self.bin_type(*op, (&acc, left), (&ib, x.span), here)?;
            (acc.dim, acc.unit, acc.precision) = (dim, unit, precision);
            codes.push((*op, ib.code));
            left = here;
        }
        let code = Code {
            op: Op::Chain(Box::new(Chained {
                first: acc.code,
                rest: codes.into(),
            })),
            span,
        };
        Ok(Inferred { code, ..acc })
    }

    /// The dimension, display unit and precision of `a op b` (operands with
    /// their spans) at `span`.
    pub(super) fn bin_type(
        &mut self,
        op: BinOp,
        (ia, a): (&Inferred, Span),
        (ib, b): (&Inferred, Span),
        span: Span,
    ) -> Result<(DimId, UnitId, Option<f64>), ()> {
        let (da, db, ua, ub) = (ia.dim, ib.dim, ia.unit, ib.unit);
        let mut precision = None;
        let (dim, du) = match op {
            BinOp::Add | BinOp::Sub => {
                if da != db {
                    let what = if op == BinOp::Add { "add" } else { "subtract" };
                    let (a_dim, b_dim) = (self.units.dim(da), self.units.dim(db));
                    let (a_unit, b_unit) = (self.units.dunit(ua).clone(), self.units.dunit(ub).clone());
                    self.mismatch(what, (a, &a_dim, &a_unit), (b, &b_dim, &b_unit));
                    return Err(());
                }
                if let (Some(pa), Some(pb)) = (ia.precision, ib.precision) {
                    precision = Some(pa + pb);
                }
                (da, if ua == UnitId::default() { ub } else { ua })
            }
            BinOp::Mul | BinOp::Div => {
                let div = op == BinOp::Div;
                let dim = self.units.dim_op_id(div, da, db);
                (self.dim_op(dim, span)?, self.units.dunit_op_id(div, ua, ub))
            }
            BinOp::Pow => {
                if db != self.one {
                    let s = self.units.format_dim(&self.units.dim(db));
                    self.diags.push(
                        Diag::error(
                            "carbon::units::exponent",
                            format!("an exponent must be a plain number, but this is {s}"),
                        )
                        .at(b, format!("this is {s}")),
                    );
                    return Err(());
                }
                if da == self.one {
                    (self.one, ua)
                } else {
                    let v = const_value(&ib.code);
                    let Some(e) = v.and_then(Rat::from_f64) else {
                        if let Some(v) = v {
                            self.diags.push(
                                Diag::error(
                                    "carbon::units::exponent",
                                    format!(
                                        "the exponent {} would make the unit inexact",
                                        crate::number::format(v)
                                    ),
                                )
                                .at(b, "not a whole number or a fraction with a denominator up to 12")
                                .help("write the exponent as a number, for example `^2` or `^(1/2)`, or remove the unit before raising it"),
                            );
                            return Err(());
                        }
                        self.diags.push(
                            Diag::error(
                                "carbon::units::exponent",
                                "a quantity with a unit can only be raised to a fixed whole number or simple fraction",
                            )
                            .at(b, "not a fixed number")
                            .help("write the exponent as a number, for example `^2` or `^(1/2)`"),
                        );
                        return Err(());
                    };
                    let dim = self.dim_op(self.units.dim(da).pow(e), span)?;
                    let du = self.units.dpow(self.units.dunit(ua), e);
                    (self.units.intern_dim(dim), self.units.intern_dunit(du))
                }
            }
        };
        Ok((dim, du, precision))
    }

    /// `a op b` at `span`: inline (`Op::Pair`) when both are symbols read where
    /// they are or where the pair is.
    pub(super) fn pair_or_bin(&self, op: BinOp, a: Code, b: Code, span: Span) -> Op {
        let at = |c: &Code| match c.op {
            Op::Sym(x) => At::of(c.span, self.res.syms.get(x as usize).map(|s| s.span), span).map(|at| (x, at)),
            _ => None,
        };
        match (at(&a), at(&b)) {
            (Some((x, ax)), Some((y, ay))) => Op::Pair(op, [x, y], [ax, ay]),
            _ => Op::Bin(op, Box::new([a, b])),
        }
    }

    pub(super) fn infer(&mut self, ir: &Ir) -> Inference {
        let span = ir.span;
        match &ir.op {
            IrOp::Lit { value, unit, precision } => match unit {
                None => Ok(Inferred {
                    precision: Some(*precision),
                    ..Inferred::new(Op::Const(*value, UnitId::default()), span, self.one, UnitId::default())
                }),
                Some(u) => match self.units.resolve_shared(u) {
                    Ok((scale, dim_id, display_id)) => {
                        let v = value * scale;
                        if !v.is_finite() {
                            self.diags.push(
                                Diag::error(
                                    "carbon::number::overflow",
                                    "this quantity is too large once converted to base units",
                                )
                                .at(span, "overflows"),
                            );
                            return Err(());
                        }
                        Ok(Inferred {
                            precision: Some(precision * scale.abs()),
                            ..Inferred::new(Op::Const(v, display_id), span, dim_id, display_id)
                        })
                    }
                    Err(d) => {
                        // The unit's spans are relative to where it is written.
                        let mut d = d.after(u.start_in(span));
                        if let (Some(rule), Some(UnitBase::Atom(a))) =
                            (self.want.take(), u.factors.first().map(|f| &f.base))
                        {
                            if d.code == "carbon::units::unknown" {
                                let (words, example) = rule_want(self.res, rule);
                                let unit = example.split_whitespace().nth(1).unwrap_or("");
                                // (Looked up once a spelling and kind: `fits` reads the
                                // checker, so the memo is filled after.)
                                let key = (a.to_string(), format!("{words} {unit}"));
                                let help = match self.units.unknown_help_memo(&key) {
                                    Some(h) => h,
                                    None => {
                                        let fits = |x: &Dim| self.rule_ok(rule, x);
                                        let h = self.units.unknown_unit_help(a, Some((words, unit, &fits)));
                                        self.units.remember_unknown_help(key, h.clone());
                                        h
                                    }
                                };
                                d = d.help(help);
                            }
                        }
                        if let Some(text) = d.message.split('`').nth(1).map(str::to_string) {
                            if self.res.scope.contains_key(text.as_str()) {
                                d = d.help(format!(
                                    "`{text}` is a declared name, but after a number it reads as a unit; to multiply, write `{} * {text}`, or start the next field on a new line",
                                    number::format(*value)
                                ));
                            }
                        }
                        self.diags.push(d);
                        Err(())
                    }
                },
            },
            IrOp::Sym(s) => {
                let c = self.checked.get(*s).ok_or(())?;
                match c.dim {
                    Some(d) => Ok(Inferred {
                        precision: c.precision(),
                        ..Inferred::new(Op::Sym(*s), span, d, c.dunit)
                    }),
                    None => Err(()),
                }
            }
            IrOp::Neg(x) => {
                let i = self.infer(x)?;
                Ok(Inferred {
                    code: Code {
                        op: Op::Neg(Box::new(i.code)),
                        span,
                    },
                    ..i
                })
            }
            IrOp::Bin(op, ab) => {
                let [a, b] = &**ab;
                self.infer_bin(*op, a, b, span)
            }
            IrOp::Chain(c) => self.infer_chain(c, span),
            IrOp::Call(f, args) => self.infer_call(*f, args, span),
            IrOp::Pair(op, [x, y], [ax, ay]) => {
                // The operands as written (see `IrOp::Pair`).
                let own = |id: SymId| self.res.syms.get(id as usize).map(|s| s.span);
                let a = Ir::sym(*x, ax.operand(own(*x), span));
                let b = Ir::sym(*y, ay.operand(own(*y), span));
                self.infer_bin(*op, &a, &b, span)
            }
            IrOp::Convert(x, u) => {
                let i = self.infer(x)?;
                let r = match self.units.resolve(u) {
                    Ok(r) => r,
                    Err(d) => {
                        self.diags.push(d);
                        return Err(());
                    }
                };
                if r.dim_id != i.dim {
                    let d = self.units.dim(i.dim);
                    let (dx, dt) = (self.units.describe_dim(&d), self.units.describe_dim(&r.dim));
                    let help = self.reconcile_help(&r.dim, &d);
                    self.diags.push(
                        Diag::error("carbon::units::conversion", format!("cannot convert {dx} to {dt}"))
                            .at(x.span, format!("this is {dx}"))
                            .also(u.span, format!("this unit is {dt}"))
                            .help(help),
                    );
                    return Err(());
                }
                Ok(Inferred {
                    unit: r.display_id,
                    ..i
                })
            }
            IrOp::Gwp(x) => {
                let i = self.infer(x)?;
                let d = self.units.dim(i.dim);
                let (_, rest) = self.split_time(&d);
                let Some(sub) = self.single_base(&rest) else {
                    let s = self.units.format_dim(&d);
                    self.diags.push(
                        Diag::error("carbon::units::not_a_gas", format!("expected an amount of one greenhouse gas, but this is {s}"))
                            .at(x.span, format!("this is {s}"))
                            .help("emissions and removals are amounts of one substance, such as tCO2, tCH4 or tCO2e (per period or per year)"),
                    );
                    return Err(());
                };
                if Some(sub) == self.bases.co2e {
                    return Ok(Inferred { precision: None, ..i });
                }
                if self.probing {
                    // A kind's formula: the factor is each use's to find; here
                    // only the dimension counts (CO2e, per time if x is).
                    let (t, _) = self.split_time(&d);
                    let co2e = self.bases.co2e.map(crate::units::Dim::base);
                    let dim = co2e.and_then(|c| match self.bases.time {
                        Some(tb) => c.times_base(tb, t),
                        None => Some(c),
                    });
                    let dim = self.dim_op(dim, span)?;
                    let dim = self.units.intern_dim(dim);
                    let du = self.units.dunit_for_dim_id(dim);
                    return Ok(Inferred::new(i.code.op, span, dim, du));
                }
                if self.gwp_name.is_empty() {
                    // No header or no `gwp` field: that error is already reported.
                    return Err(());
                }
                let name = self.units.bases[sub].name.as_str();
                let Some(g) = self.gwp_members.iter().find(|(n, _)| n == name).map(|(_, g)| *g) else {
                    let name = name.to_string();
                    let msg = format!("the GWP set `{}` has no factor for {name}", self.gwp_name);
                    let help = if Some(sub) == self.bases.c {
                        "carbon (C) is not a gas: convert it to CO2 first with `co2_per_c` (44/12 tCO2/tC)".to_string()
                    } else {
                        format!("add `{name} … tCO2e/t{name}` to the GWP set, or give the declaration a `gwp` field")
                    };
                    self.diags.push(
                        Diag::error("carbon::units::no_gwp", msg)
                            .at(x.span, format!("an amount of {name}"))
                            .help(help),
                    );
                    return Err(());
                };
                let gc = self.checked.get(g).ok_or(())?;
                let Some(gd) = gc.dim else {
                    return Err(());
                };
                let gu = gc.dunit;
                let dim = self.units.dim_op_id(false, i.dim, gd);
                let dim = self.dim_op(dim, span)?;
                let du = self.units.dunit_op_id(false, i.unit, gu);
                let code = self.pair_or_bin(BinOp::Mul, i.code, Code { op: Op::Sym(g), span }, span);
                Ok(Inferred::new(code, span, dim, du))
            }
            IrOp::PerPeriod(x) | IrOp::OverPeriod(x) => {
                let per = matches!(ir.op, IrOp::PerPeriod(_));
                let i = self.infer(x)?;
                let d = self.units.dim(i.dim);
                let (t, _) = self.split_time(&d);
                let keep = if per { t == Rat::int(-1) } else { t.is_zero() };
                let change = if per { t.is_zero() } else { t == Rat::int(-1) };
                if keep {
                    return Ok(Inferred { precision: None, ..i });
                }
                if !change {
                    let s = self.units.format_dim(&d);
                    self.diags.push(
                        Diag::error("carbon::units::time", format!("expected an amount or a rate per time, but this is {s}"))
                            .at(x.span, format!("this is {s}"))
                            .help("write an amount for the inventory period (e.g. `1695.2 t`) or a rate (e.g. `647.96 tCH4/a`)"),
                    );
                    return Err(());
                }
                let Some(p) = self.res.header.as_ref().and_then(|h| h.period) else {
                    return Err(());
                };
                let pc = self.checked.get(p).ok_or(())?;
                let Some(pd) = pc.dim else {
                    return Err(());
                };
                let pu = pc.dunit;
                // The period where it is written: a period of zero is labelled there.
                let pspan = self.res.syms.get(p as usize).map_or(span, |s| s.span);
                let pcode = Code {
                    op: Op::Sym(p),
                    span: pspan,
                };
                let dim = self.units.dim_op_id(per, i.dim, pd);
                let dim = self.dim_op(dim, span)?;
                let du = self.units.dunit_op_id(per, i.unit, pu);
                let op = if per { BinOp::Div } else { BinOp::Mul };
                Ok(Inferred::new(self.pair_or_bin(op, i.code, pcode, span), span, dim, du))
            }
            IrOp::Sum(xs) => {
                let mut dim = None;
                for (_, s) in xs {
                    let Some(d) = self.checked.get(*s).and_then(|c| c.dim) else {
                        return Err(());
                    };
                    dim.get_or_insert(d);
                }
                let dim = match dim {
                    Some(d) => d,
                    None => {
                        let d = self.units.dim_of(self.units.dunit(self.rate_unit));
                        self.units.intern_dim(d)
                    }
                };
                Ok(Inferred::new(
                    Op::Sum(Box::new(Terms(xs.as_slice().into()))),
                    span,
                    dim,
                    UnitId::default(),
                ))
            }
        }
    }
}
