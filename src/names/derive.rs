//! Each kind's derived values (Eq. 3–12) built from its fields, and the groups of the balance.

use super::*;

impl Namer {
    /// Builds the derived values and the term of one declaration.
    pub(super) fn derive(&mut self, did: DeclId) {
        use BinOp::*;
        // What the formulas need of the declaration (not a clone of its members).
        struct D {
            kind: Kind,
            name_span: Span,
            method: Option<&'static str>,
            ecosystem: Option<&'static str>,
            term: Option<SymId>,
        }
        let d = {
            let x = &self.decls[did as usize];
            D {
                kind: x.kind,
                name_span: x.name_span,
                method: x.method,
                ecosystem: x.ecosystem,
                term: x.term,
            }
        };
        // A field of this declaration as an expression (a short linear look-up).
        macro_rules! f {
            ($n:expr) => {
                self.f(did, $n)
            };
        }
        let term_ir: Option<Ir> = match d.kind {
            Kind::Energy | Kind::Transport => {
                let (Some(amount), Some(fold), Some(factor)) = (f!("amount"), f!("fold"), f!("factor")) else {
                    return;
                };
                let eqv = self.define(
                    did,
                    "equivalent",
                    self.bin(Mul, amount, fold),
                    "standard-coal equivalent K·E",
                    Some("Table 1"),
                    DimRule::CoalEquivalent,
                );
                let mut em = self.bin(Mul, Ir::sym(eqv, d.name_span), factor);
                if d.kind == Kind::Transport {
                    let Some(ex) = f!("excluded") else { return };
                    let one = Ir {
                        op: IrOp::Lit {
                            value: 1.0,
                            unit: None,
                            precision: 0.0,
                        },
                        span: ex.span,
                    };
                    em = self.bin(Mul, em, self.bin(Sub, one, ex));
                }
                let eq = if d.kind == Kind::Energy { "Eq. 3" } else { "Eq. 4" };
                let e = self.define(
                    did,
                    "emission",
                    em,
                    "emission of the energy use",
                    Some(eq),
                    DimRule::Substance,
                );
                Some(Ir::sym(e, d.name_span).wrap(IrOp::PerPeriod).wrap(IrOp::Gwp))
            }
            Kind::Gas => {
                let mass = match (f!("amount"), f!("volume"), f!("density")) {
                    (Some(a), _, _) => a,
                    (None, Some(v), Some(rho)) => {
                        let m = self.define(
                            did,
                            "mass",
                            self.bin(Mul, v, rho),
                            "mass of gas V·ρ",
                            Some("Eq. 5"),
                            DimRule::Substance,
                        );
                        Ir::sym(m, d.name_span)
                    }
                    _ => return,
                };
                let rate = mass.wrap(IrOp::PerPeriod);
                Some(match f!("gwp") {
                    Some(g) => self.bin(Mul, rate, g),
                    None => rate.wrap(IrOp::Gwp),
                })
            }
            Kind::Emission | Kind::Capture | Kind::Removal => {
                let Some(a) = f!("amount") else { return };
                Some(a.wrap(IrOp::PerPeriod).wrap(IrOp::Gwp))
            }
            Kind::Offset => {
                let a = f!("sold").or_else(|| f!("purchased"));
                let Some(a) = a else { return };
                Some(a.wrap(IrOp::OverPeriod).wrap(IrOp::Gwp))
            }
            Kind::Cover | Kind::Stand => {
                let Some(area) = f!("area") else { return };
                let (stock, density_now) = if d.kind == Kind::Cover {
                    let Some(density) = f!("density") else { return };
                    let eq = match d.ecosystem {
                        Some("farmland") => "Eq. 10",
                        Some("shrub") => "Eq. 11",
                        Some("grassland") => "Eq. 12",
                        _ => "Eq. 10–12",
                    };
                    let s = self.define(
                        did,
                        "stock",
                        self.bin(Mul, area.clone(), density.clone()),
                        "carbon stock S·Cρ",
                        Some(eq),
                        DimRule::CarbonStock,
                    );
                    (s, density)
                } else {
                    let (Some(v), Some(a), Some(b), Some(c)) = (f!("volume"), f!("a"), f!("b"), f!("carbon")) else {
                        return;
                    };
                    let bio = self.define(
                        did,
                        "biomass",
                        self.bin(Add, a, self.bin(Mul, b, v)),
                        "biomass per area B = a + b·V",
                        Some("Eq. 9"),
                        DimRule::MassPerArea,
                    );
                    let bio_ir = Ir::sym(bio, d.name_span);
                    let veg = self.define(
                        did,
                        "vegetation",
                        self.bin(Mul, self.bin(Mul, bio_ir, area.clone()), c),
                        "carbon in biomass B·S·Cρ",
                        Some("Eq. 8"),
                        DimRule::CarbonStock,
                    );
                    let mut stock = Ir::sym(veg, d.name_span);
                    if let Some(soil) = f!("soil") {
                        let s = self.define(
                            did,
                            "soil_stock",
                            self.bin(Mul, area.clone(), soil),
                            "soil carbon S·Cρ_s",
                            Some("Eq. 8"),
                            DimRule::CarbonStock,
                        );
                        stock = self.bin(Add, stock, Ir::sym(s, d.name_span));
                    }
                    let s = self.define(
                        did,
                        "stock",
                        stock,
                        "carbon stock B·S·Cρ + S·Cρ_s",
                        Some("Eq. 8"),
                        DimRule::CarbonStock,
                    );
                    // Stock per area, only where the method needs it (a stand of
                    // zero area is valid otherwise).
                    let dn = if d.method == Some("stock_difference") {
                        let dn = self.define(
                            did,
                            "density",
                            self.bin(Div, Ir::sym(s, d.name_span), area.clone()),
                            "carbon stock per area",
                            Some("Eq. 8"),
                            DimRule::CarbonDensity,
                        );
                        Ir::sym(dn, d.name_span)
                    } else {
                        Ir::sym(s, d.name_span)
                    };
                    (s, dn)
                };
                let Some(k) = self.co2_ratio(did) else { return };
                let stock_ir = Ir::sym(stock, d.name_span);
                let co2 = self.define(
                    did,
                    "co2",
                    self.bin(Mul, stock_ir, k.clone()),
                    "carbon stock as CO2 (× 44/12)",
                    Some(if d.kind == Kind::Stand { "Eq. 8" } else { "Eq. 10–12" }),
                    DimRule::Any,
                );
                let co2_ir = Ir::sym(co2, d.name_span);
                let rate = match d.method {
                    Some("stock_as_removal") => co2_ir.wrap(IrOp::PerPeriod),
                    Some("gain") => {
                        let Some(inc) = f!("increment") else { return };
                        self.bin(Mul, self.bin(Mul, area, inc), k)
                    }
                    Some("stock_difference") => {
                        let (Some(prev), Some(iv)) = (f!("previous"), f!("interval")) else {
                            return;
                        };
                        self.bin(
                            Mul,
                            self.bin(Div, self.bin(Mul, area, self.bin(Sub, density_now, prev)), iv),
                            k,
                        )
                    }
                    _ => return,
                };
                let r = self.define(did, "removal", rate, "annual removal", None, DimRule::Any);
                Some(Ir::sym(r, d.name_span).wrap(IrOp::Gwp))
            }
            Kind::Inventory | Kind::Gwp | Kind::Range | Kind::User(_) => None,
        };
        if let (Some(ir), Some(id)) = (term_ir, d.term) {
            self.irs[id as usize] = Some(ir);
            if d.kind == Kind::Cover {
                let eq = self.text(match d.ecosystem {
                    Some("farmland") => "Eq. 10",
                    Some("shrub") => "Eq. 11",
                    Some("grassland") => "Eq. 12",
                    _ => "Eq. 10–12",
                });
                self.syms[id as usize].eq = eq;
            }
        }
    }

    pub(super) fn co2_ratio(&mut self, did: DeclId) -> Option<Ir> {
        match self.scope.get("co2_per_c") {
            Some(&id) => Some(Ir::sym(id, self.decls[did as usize].name_span)),
            None => {
                self.diags.push(
                    Diag::error("carbon::names::unknown", "no `co2_per_c` (the 44/12 ratio) is defined")
                        .at(self.decls[did as usize].name_span, "needs the CO2:C mass ratio")
                        .help(
                            "the prelude defines it; if you replaced the prelude, add `let co2_per_c = 44/12 tCO2/tC`",
                        ),
                );
                None
            }
        }
    }

    pub(super) fn build_groups(&mut self) -> Option<GroupSyms> {
        // Declarations before names: group symbols referenced before they exist are
        // placeholders in `scope`; fill or create them.
        let has_terms = self.decls.iter().any(|d| d.term.is_some());
        if self.header.is_none() {
            if has_terms {
                let first = self
                    .decls
                    .iter()
                    .find(|d| d.term.is_some())
                    .map(|d| d.name_span)
                    .unwrap_or_default();
                self.diags.push(
                    Diag::error(
                        "carbon::check::missing_header",
                        "the inventory has no `inventory` header",
                    )
                    .at(first, "this term needs the inventory period and GWP set")
                    .help("add `inventory \"Site name\" { period 1 a  gwp AR6 }` at the top of the file"),
                );
            }
            return None;
        }
        let mut groups = Vec::new();
        for g in Group::ALL {
            let terms: Vec<(bool, SymId)> = self
                .decls
                .iter()
                .filter(|d| d.group == Some(g))
                .filter_map(|d| d.term)
                .map(|t| (false, t))
                .collect();
            let id = self.group_sym(
                g.name(),
                IrOp::Sum(terms),
                g.title(),
                if matches!(g, Group::Sold | Group::Purchased) {
                    DimRule::Co2e
                } else {
                    DimRule::Co2eRate
                },
            );
            groups.push((g, id));
        }
        let gid = |g: Group| groups.iter().find(|(x, _)| *x == g).map(|(_, i)| *i).unwrap_or(0);
        let emissions = self.group_sym(
            "emissions",
            IrOp::Sum(vec![(false, gid(Group::Above)), (false, gid(Group::Under))]),
            "total emissions C_above + C_under",
            DimRule::Co2eRate,
        );
        let span = self.header.as_ref().map(|h| h.span).unwrap_or_default();
        let period = self.header.as_ref().and_then(|h| h.period);
        let flows = self.group_sym(
            "flows",
            IrOp::Sum(vec![
                (false, gid(Group::Above)),
                (false, gid(Group::Under)),
                (true, gid(Group::Sinks)),
            ]),
            "C_above + C_under − C_min",
            DimRule::Co2eRate,
        );
        let integral = match period {
            Some(p) => Ir::bin(BinOp::Mul, Ir::sym(flows, span), Ir::sym(p, span)),
            None => Ir::sym(flows, span),
        };
        let integ = self.group_sym(
            "integrated",
            IrOp::Sum(vec![]),
            "∫₀ᵀ (C_above + C_under − C_min) dt",
            DimRule::Co2e,
        );
        self.irs[integ as usize] = Some(integral);
        let net = self.group_sym(
            "net",
            IrOp::Sum(vec![
                (false, integ),
                (false, gid(Group::Sold)),
                (true, gid(Group::Purchased)),
            ]),
            "net balance (Eq. 1)",
            DimRule::Co2e,
        );
        self.syms[net as usize].eq = self.text("Eq. 1");
        Some(GroupSyms { groups, emissions, net })
    }

    pub(super) fn group_sym(&mut self, name: &str, op: IrOp, meaning: &'static str, rule: DimRule) -> SymId {
        let meaning = self.text(meaning);
        let bind = !matches!(name, "flows" | "integrated");
        let span = self.header.as_ref().map(|h| h.span).unwrap_or_default();
        let ir = Some(Ir { op, span });
        if let Some(&id) = self.scope.get(name).filter(|_| bind) {
            if self.syms[id as usize].kind == SymKind::Group {
                self.irs[id as usize] = ir;
                let s = &mut self.syms[id as usize];
                s.meaning = meaning;
                s.rule = rule;
                s.span = span;
                s.name_span = span;
                return id;
            }
        }
        let id = self.new_sym(Symbol {
            name: name.into(),
            short_at: 0,
            kind: SymKind::Group,
            span,
            name_span: span,
            value_at: NO_VALUE,
            prov: Prov::default(),
            meaning,
            eq: Text::NONE,
            rule,
            prelude: false,
        });
        self.irs[id as usize] = ir;
        if bind {
            self.scope.insert(SmolStr::new(name), id);
        }
        id
    }
}

impl Namer {
    pub(super) fn placeholder(&mut self, name: SmolStr, kind: SymKind, span: Span) -> SymId {
        let short = name.rsplit('.').next().unwrap_or(&name);
        let at = short_at(&name, short);
        self.new_sym(Symbol::bare(name, at, kind, span, false))
    }

    pub(super) fn group_placeholder(&mut self, name: &str) -> Option<SymId> {
        let id = self.placeholder(name.into(), SymKind::Group, Span::default());
        self.scope.insert(SmolStr::new(name), id);
        Some(id)
    }

    pub(super) fn derived_placeholder(&mut self, did: DeclId, name: &str) -> Option<SymId> {
        let d = &self.decls[did as usize];
        let known = match d.kind {
            Kind::User(_) => self.kind_members(d.kind).iter().any(|m| m == name),
            k => derived_names(k).contains(&name),
        };
        if !known {
            return None;
        }
        let full = dotted(&d.name, name);
        let span = d.name_span;
        let id = self.placeholder(full, SymKind::Derived { decl: did }, span);
        self.decls[did as usize].members.push(id);
        self.placeheld.insert(did);
        Some(id)
    }

    pub(super) fn member(&self, did: DeclId, name: &str) -> Option<SymId> {
        member(&self.syms, &self.decls[did as usize], name)
    }

    /// Defines (or fills the placeholder of) a derived value of a declaration.
    pub(super) fn define(
        &mut self,
        did: DeclId,
        short: &str,
        ir: Ir,
        meaning: &'static str,
        eq: Option<&'static str>,
        rule: DimRule,
    ) -> SymId {
        let meaning = self.text(meaning);
        let eq = eq.map_or(Text::NONE, |e| self.text(e));
        let d = &self.decls[did as usize];
        let (span, prelude) = (d.name_span, d.prelude);
        // Few declarations have a placeholder: look only in those.
        let placeholder = match self.placeheld.contains(&did) {
            true => self.member(did, short),
            false => None,
        };
        // `derive` defines each derived value of a declaration once.
        debug_assert!(placeholder.is_some() || self.member(did, short).is_none());
        if let Some(id) = placeholder {
            // The placeholder of a value read before it was defined.
            self.irs[id as usize] = Some(ir);
            let s = &mut self.syms[id as usize];
            s.meaning = meaning;
            s.eq = eq;
            s.rule = rule;
            s.prelude = prelude;
            return id;
        }
        let name = dotted(&d.name, short);
        let id = self.new_sym(Symbol {
            short_at: short_at(&name, short),
            name,
            kind: SymKind::Derived { decl: did },
            span,
            name_span: span,
            value_at: NO_VALUE,
            prov: Prov::default(),
            meaning,
            eq,
            rule,
            prelude,
        });
        self.irs[id as usize] = Some(ir);
        self.decls[did as usize].members.push(id);
        id
    }

    /// `Ir::bin`, inline (`IrOp::Pair`) when both operands are symbols read
    /// where they are or where the pair is (as `f`, the derived values' own
    /// references and `co2_ratio` read them).
    pub(super) fn bin(&self, op: BinOp, a: Ir, b: Ir) -> Ir {
        if let (IrOp::Sym(x), IrOp::Sym(y)) = (&a.op, &b.op) {
            let node = a.span.to(b.span);
            let own = |id: SymId| self.syms.get(id as usize).map(|s| s.span);
            if let (Some(ax), Some(ay)) = (At::of(a.span, own(*x), node), At::of(b.span, own(*y), node)) {
                return Ir {
                    op: IrOp::Pair(op, [*x, *y], [ax, ay]),
                    span: node,
                };
            }
        }
        Ir::bin(op, a, b)
    }

    pub(super) fn f(&self, did: DeclId, name: &str) -> Option<Ir> {
        let id = self.member(did, name)?;
        // Only fields with an expression count; a placeholder for a derived value
        // is not a field.
        if !matches!(self.syms[id as usize].kind, SymKind::Field { .. }) {
            return None;
        }
        Some(Ir::sym(id, self.syms[id as usize].span))
    }
}

/// `decl.member`, joined in place: inline, without an allocation, up to 23
/// bytes (`SmolStr::from_iter` is cheaper than joining on the stack and checking
/// the UTF-8 again, measured).
pub(super) fn dotted(decl: &str, member: &str) -> SmolStr {
    SmolStr::from_iter([decl, ".", member])
}

/// Derived values each kind computes (referencable as `decl.name`).
pub fn derived_names(k: Kind) -> &'static [&'static str] {
    match k {
        Kind::Energy | Kind::Transport => &["equivalent", "emission"],
        Kind::Gas => &["mass"],
        Kind::Cover => &["stock", "co2", "removal"],
        Kind::Stand => &[
            "biomass",
            "vegetation",
            "soil_stock",
            "stock",
            "density",
            "co2",
            "removal",
        ],
        _ => &[],
    }
}
