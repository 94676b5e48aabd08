//! Defining a declaration's derived values (`define`, with `bin` to build
//! their formulas; the formulas are the kinds', see instantiate.rs), the
//! placeholders of values read before they are defined, and the groups of the
//! balance (Eq. 1).

use super::*;

impl Namer {
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
        // Only a declared kind has derived values (its template's).
        if !self.kind_members(d.kind).iter().any(|m| m == name) {
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
    pub(super) fn define(&mut self, did: DeclId, short: &str, ir: Ir, meaning: Text, eq: Text, rule: DimRule) -> SymId {
        let d = &self.decls[did as usize];
        let (span, prelude) = (d.name_span, d.prelude);
        // Few declarations have a placeholder: look only in those.
        let placeholder = match self.placeheld.contains(&did) {
            true => self.member(did, short),
            false => None,
        };
        // Each derived value of a declaration is defined once.
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
    /// where they are or where the pair is (as a kind's formulas read fields,
    /// derived values and the prelude's constants).
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
}

/// `decl.member`, joined in place: inline, without an allocation, up to 23
/// bytes (`SmolStr::from_iter` is cheaper than joining on the stack and checking
/// the UTF-8 again, measured).
pub(super) fn dotted(decl: &str, member: &str) -> SmolStr {
    SmolStr::from_iter([decl, ".", member])
}
