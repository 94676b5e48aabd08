//! Dimension errors: mismatches with the help that reconciles the two sides,
//! expectations and statements that compare unlike quantities, and each field's
//! dimension rule.

use super::*;

impl<T: Table> Checker<'_, T> {
    pub(super) fn mismatch(&mut self, what: &str, a: (Span, &Dim, &DUnit), b: (Span, &Dim, &DUnit)) {
        self.mismatch_as("carbon::units::mismatch", what, a, b)
    }

    /// [`Self::mismatch`] with its code.
    pub(super) fn mismatch_as(
        &mut self,
        code: &'static str,
        what: &str,
        a: (Span, &Dim, &DUnit),
        b: (Span, &Dim, &DUnit),
    ) {
        let (da, db) = (self.units.describe_dim(a.1), self.units.describe_dim(b.1));
        let label = |units: &Units, d: &Dim, u: &DUnit, desc: &str| {
            let shown = units.format_dunit(u);
            if shown.is_empty() || d.is_one() {
                format!("this is {desc}")
            } else {
                format!("this is in {shown}: {desc}")
            }
        };
        let la = label(self.units, a.1, a.2, &da);
        let lb = label(self.units, b.1, b.2, &db);
        let help = self.reconcile_help(a.1, b.1);
        self.diags.push(
            Diag::error(code, format!("cannot {what} {da} and {db}"))
                .at(a.0, la)
                .also(b.0, lb)
                .help(help),
        );
    }

    /// How to turn the right side's dimension into the left side's.
    pub(super) fn reconcile_help(&mut self, left: &Dim, right: &Dim) -> String {
        let Some(ratio) = left.div(right) else {
            return "the two sides have different dimensions".into();
        };
        if let Some(t) = self.bases.time {
            if ratio == Dim::base(t) {
                return "the left side is a stock (an amount) and the right a flow (per time): multiply the flow by a duration (e.g. `* period`) or divide the stock by one".into();
            }
            if ratio == Dim::base(t).recip() {
                return "the left side is a flow (per time) and the right a stock (an amount): divide the stock by a duration (e.g. `/ period`) or, for a carbon stock, choose a removal `method`".into();
            }
        }
        let (l, r) = (self.units.dunit_for_dim(left), self.units.dunit_for_dim(right));
        let (l, r) = (self.units.format_dunit(&l), self.units.format_dunit(&r));
        let du = self.units.dunit_for_dim(&ratio);
        let unit = self.units.format_dunit(&du);
        // A declared constant of exactly that dimension, or of its inverse.
        let all = self.checked.all().unwrap_or_default();
        let find = |want: Dim| {
            let mut found: Vec<&str> = all
                .iter()
                .enumerate()
                .filter(|(i, c)| {
                    c.dim.is_some() && c.dim == self.units.dim_id(&want) && self.res.syms[*i].kind == SymKind::Let
                })
                .map(|(i, _)| &*self.res.syms[i].name)
                .collect();
            found.sort();
            found.first().map(|s| s.to_string())
        };
        let show = |name: &str| {
            if name == "co2_per_c" {
                "`co2_per_c` (44/12 tCO2/tC)".to_string()
            } else {
                format!("`{name}`")
            }
        };
        let b = self.bases;
        let substance = |d: &Dim| {
            let mut f = d.factors();
            let one = f.next();
            matches!((one, f.next()), (Some((i, e)), None) if e == Rat::ONE && ![b.mass, b.length, b.time].contains(&Some(i)))
        };
        if let Some(name) = find(ratio) {
            format!(
                "to turn {r} into {l}, multiply by a factor in {unit} such as {}",
                show(&name)
            )
        } else if let Some(name) = find(ratio.recip()) {
            format!(
                "to turn {r} into {l}, divide by a factor such as {} (its inverse is in {unit})",
                show(&name)
            )
        } else if substance(left) && substance(right) {
            format!("different substances: to turn {r} into {l}, multiply by an explicit factor in {unit} (a GWP, an emission factor or a folding coefficient)")
        } else {
            let (a, b) = (self.units.describe_dim(left), self.units.describe_dim(right));
            format!("{a} and {b} are different kinds of quantity: check the units of both sides")
        }
    }

    /// Expectations and second statements compare like with like: a published
    /// figure in t/a against a stock, or in tC against tCO2, is a unit error.
    pub(super) fn check_comparisons(&mut self) {
        let res = self.res;
        for e in &res.expects {
            let (Some(a), Some(p)) = (self.dim_at(e.actual), self.dim_at(e.published)) else {
                continue;
            };
            let (sa, sp) = (&res.syms[e.actual as usize], &res.syms[e.published as usize]);
            if a != p {
                let (da, dp) = (self.units.describe_dim(&a), self.units.describe_dim(&p));
                let help = self.reconcile_help(&a, &p);
                let du = self.checked.get(e.actual).map_or(UnitId::default(), |c| c.dunit);
                let ua = self.units.format_dunit(self.units.dunit(du));
                self.diags.push(
                    Diag::error("carbon::audit::expect_units", format!("expectation `{}` compares {da} with {dp}", e.name))
                        .at(sp.span, format!("the published figure is {dp}"))
                        .also(sa.span, format!("the computed value is {da} (in {ua})"))
                        .help(format!("state the published figure in the unit of the computed value, or compare the right quantity; {help}")),
                );
            }
            if let Some(t) = self.dim_at(e.tolerance) {
                if !t.is_one() && t != a {
                    let dt = self.units.describe_dim(&t);
                    self.diags.push(
                        Diag::error("carbon::audit::tolerance", format!("the tolerance of `{}` is {dt}", e.name))
                            .at(res.syms[e.tolerance as usize].span, "neither a share nor the unit of the values")
                            .help("write a relative tolerance (`within 1 %`) or an absolute one in the values' unit (`within 0.01 tce`)"),
                    );
                }
            }
        }
        for s in &res.statements {
            let (Some(a), Some(b)) = (self.dim_at(s.target), self.dim_at(s.other)) else {
                continue;
            };
            if a != b {
                let (da, db) = (self.units.describe_dim(&a), self.units.describe_dim(&b));
                let what = match s.kind {
                    crate::names::StatementKind::Parts => "the parts of",
                    crate::names::StatementKind::Also => "another statement of",
                };
                self.diags.push(
                    Diag::error(
                        "carbon::units::mismatch",
                        format!(
                            "{what} `{}` are {db}, but the value is {da}",
                            res.syms[s.target as usize].name
                        ),
                    )
                    .at(s.span, format!("this is {db}"))
                    .also(res.syms[s.target as usize].span, format!("this is {da}"))
                    .help("state both in units of the same kind"),
                );
            }
        }
    }

    pub(super) fn split_time(&self, d: &Dim) -> (Rat, Dim) {
        match self.bases.time {
            Some(t) => {
                let e = d.exp(t);
                let rest = d.times_base(t, e.negated()).unwrap_or(*d);
                (e, rest)
            }
            None => (Rat::ZERO, *d),
        }
    }

    pub(super) fn single_base(&self, d: &Dim) -> Option<usize> {
        d.single_base()
    }

    pub(super) fn dim_from(&self, parts: &[(Option<usize>, i16)]) -> Option<Dim> {
        let mut d = Dim::ONE;
        for (b, e) in parts {
            d = d.times_base((*b)?, Rat::int(*e))?;
        }
        Some(d)
    }

    pub(super) fn rule_ok(&self, rule: DimRule, d: &Dim) -> bool {
        let b = self.bases;
        let eq = |parts: &[(Option<usize>, i16)]| self.dim_from(parts).is_some_and(|x| x == *d);
        let (t, rest) = self.split_time(d);
        let amount_or_rate = t.is_zero() || t == Rat::int(-1);
        match rule {
            DimRule::Any => true,
            DimRule::Time => eq(&[(b.time, 1)]),
            DimRule::Co2eRate => eq(&[(b.co2e, 1), (b.time, -1)]),
            DimRule::Co2e => eq(&[(b.co2e, 1)]),
            DimRule::Pattern(i) => {
                let Some(p) = self.res.patterns.get(i as usize) else {
                    return true;
                };
                // `flow x`: x, or x per time.
                let per_time = |x: &Dim| match b.time {
                    Some(t) => x.times_base(t, Rat::int(-1)).is_some_and(|y| y == *d),
                    None => false,
                };
                match &p.what {
                    PatternDim::Any => true,
                    PatternDim::Substance => {
                        let d = if p.flow && amount_or_rate { rest } else { *d };
                        self.single_base(&d)
                            .is_some_and(|x| Some(x) != b.mass && Some(x) != b.length && Some(x) != b.time)
                    }
                    PatternDim::Dim(want) => *d == *want || (p.flow && per_time(want)),
                }
            }
        }
    }

    pub(super) fn rule_error(&mut self, id: SymId, ir: &Ir, d: &Dim) {
        let sym = &self.res.syms[id as usize];
        let (want, example) = rule_want(self.res, sym.rule);
        let got = self.units.describe_dim(d);
        let mut diag = if matches!(sym.kind, SymKind::Derived { .. }) {
            // Point at the operands the derived value is computed from.
            let formula = self.ir_text(ir, id);
            let mut diag = Diag::error(
                "carbon::units::wrong_kind",
                format!("`{}` = {formula} must be {want}, but it is {got}", sym.name),
            )
            .at(sym.name_span, format!("`{}` is {got}", sym.short()));
            let mut deps = Vec::new();
            ir.deps(&mut deps);
            for dep in deps {
                let ds = &self.res.syms[dep as usize];
                if let (Some(dd), SymKind::Field { .. }) = (self.dim_at(dep), &ds.kind) {
                    let du = self.checked.get(dep).map_or(UnitId::default(), |c| c.dunit);
                    let u = self.units.format_dunit(self.units.dunit(du));
                    let text = if u.is_empty() || dd.is_one() {
                        format!("`{}` is {}", ds.short(), self.units.describe_dim(&dd))
                    } else {
                        format!("`{}` is in {u}", ds.short())
                    };
                    diag = diag.also(ds.span, text);
                }
            }
            diag
        } else {
            Diag::error(
                "carbon::units::wrong_kind",
                format!("`{}` must be {want}, but it is {got}", sym.name),
            )
            .at(sym.span, format!("this is {got}"))
        };
        let declared_help = match sym.rule {
            DimRule::Pattern(i) => self.res.patterns.get(i as usize).map_or("", |p| p.help),
            _ => "",
        };
        if !declared_help.is_empty() {
            // A declared kind's value says what to check (`help "…"`).
            diag = diag.help(declared_help);
        } else if let SymKind::Derived { .. } | SymKind::Term { .. } = sym.kind {
            if !example.is_empty() {
                diag = diag.help(format!("for example `{example}`"));
            }
        } else if !example.is_empty() {
            diag = diag.help(format!("write it as {want}, for example `{example}`"));
        }
        self.diags.push(diag);
    }

    /// `amount × fold` for a derived value, in its declaration's short names.
    pub(super) fn ir_text(&self, ir: &Ir, ctx: SymId) -> String {
        let sym = |s: SymId| {
            let x = &self.res.syms[s as usize];
            let same = match (&x.kind, &self.res.syms[ctx as usize].kind) {
                (SymKind::Field { decl: a } | SymKind::Derived { decl: a }, SymKind::Derived { decl: b }) => a == b,
                _ => false,
            };
            if same {
                x.short().to_string()
            } else {
                x.name.to_string()
            }
        };
        match &ir.op {
            IrOp::Sym(s) => sym(*s),
            IrOp::Bin(op, ab) => format!(
                "{} {} {}",
                self.ir_text(&ab[0], ctx),
                op.symbol(),
                self.ir_text(&ab[1], ctx)
            ),
            IrOp::Pair(op, [x, y], _) => format!("{} {} {}", sym(*x), op.symbol(), sym(*y)),
            IrOp::Chain(c) => {
                let mut s = self.ir_text(&c.first, ctx);
                for (op, x) in c.rest.iter() {
                    s.push_str(&format!(" {} {}", op.symbol(), self.ir_text(x, ctx)));
                }
                s
            }
            IrOp::Lit { value, .. } => number::format(*value),
            IrOp::Call(f, xs) => {
                let args: Vec<String> = xs.iter().map(|x| self.ir_text(x, ctx)).collect();
                format!("{}({})", f.name(), args.join(", "))
            }
            _ => "…".into(),
        }
    }
}

/// What a rule asks for, in words, and an example value.
pub(super) fn rule_want(res: &Resolved, rule: DimRule) -> (&'static str, &'static str) {
    match rule {
        DimRule::Pattern(i) => res
            .patterns
            .get(i as usize)
            .map_or(("anything", ""), |p| (p.want, p.example)),
        DimRule::Any => ("anything", ""),
        DimRule::Time => ("a duration", "1 a"),
        DimRule::Co2eRate => ("CO2-equivalent per year", "100 tCO2e/a"),
        DimRule::Co2e => ("CO2-equivalent", "100 tCO2e"),
    }
}
