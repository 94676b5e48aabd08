//! Symbols declared and bound: fields, `let`s, statements, `allow`s and
//! expectations, and the dimension rule of each field.

use super::*;

impl Namer {
    /// The symbol of field `f` of declaration `did` (of kind `kind`), named `full`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn field_sym(
        &mut self,
        full: SmolStr,
        f: &ast::Field,
        did: u32,
        prov: Prov,
        meaning: Text,
        kind: Kind,
        prelude: bool,
    ) -> SymId {
        let fname = f.name.name.as_str();
        self.new_sym(Symbol {
            short_at: short_at(&full, fname),
            name: full,
            kind: SymKind::Field { decl: did },
            span: f.span,
            name_span: f.name.span,
            value_at: NO_VALUE,
            prov,
            meaning,
            eq: Text::NONE,
            rule: field_rule(kind, fname),
            prelude,
        })
    }

    pub(super) fn new_sym(&mut self, s: Symbol) -> SymId {
        self.syms.push(s);
        self.irs.push(None);
        (self.syms.len() - 1) as SymId
    }

    /// Registers a global name; the user's file may override the prelude's.
    pub(super) fn bind(&mut self, name: &str, id: SymId, span: Span) {
        if RESERVED.contains(&name) {
            self.diags.push(
                Diag::error(
                    "carbon::names::reserved",
                    format!("`{name}` is a name of the balance itself"),
                )
                .at(span, "reserved name")
                .help(format!(
                    "`{name}` is one of {}; choose another name",
                    RESERVED.join(", ")
                )),
            );
            return;
        }
        if let Some(&prev) = self.scope.get(name) {
            let ps = self.syms[prev as usize].name_span;
            if ps.src == span.src {
                self.diags.push(
                    Diag::error("carbon::names::duplicate", format!("`{name}` is declared twice"))
                        .at(span, "declared again here")
                        .also(ps, "first declared here")
                        .help(
                            "declarations are order-independent, so each name may be declared once; rename one of them",
                        ),
                );
                return;
            }
            if self.syms[prev as usize].prelude && !self.syms[id as usize].prelude {
                self.shadows.push((id, prev));
            }
        }
        self.scope.insert(SmolStr::new(name), id);
    }

    pub(super) fn declare_let(&mut self, l: &mut ast::LetDecl) {
        let prov = self.prov(&l.prov);
        let id = self.new_sym(Symbol {
            name: l.name.name.as_str().into(),
            short_at: 0,
            kind: SymKind::Let,
            span: l.span,
            name_span: l.name.span,
            value_at: NO_VALUE,
            prov,
            meaning: Text::NONE,
            eq: Text::NONE,
            rule: DimRule::Any,
            prelude: self.is_prelude(l.span),
        });
        self.pending.push((id, take(&mut l.expr)));
        self.bind(&l.name.name, id, l.name.span);
        let mut allows = std::mem::take(&mut l.prov.allow);
        self.statements_of(id, &mut l.stmts, &mut allows);
        self.allow(&[id], &allows);
    }

    /// Records `parts`/`also` statements about a symbol; the `allow` clauses
    /// of `also` statements are added to `allows` (they silence a code on the
    /// symbol, as every `allow` of its declaration does).
    pub(super) fn statements_of(&mut self, target: SymId, stmts: &mut ast::Statements, allows: &mut Vec<ast::Allow>) {
        if stmts.parts.is_none() && stmts.also.is_empty() {
            return;
        }
        let base = self.syms[target as usize].name.clone();
        if let Some(p) = stmts.parts.take() {
            let span = p.span;
            let other = self.hidden(format!("{base} (parts)"), *p, target);
            self.statements.push(Statement {
                kind: StatementKind::Parts,
                target,
                other,
                span,
            });
        }
        for (i, (e, mut p)) in std::mem::take(&mut stmts.also).into_iter().enumerate() {
            allows.append(&mut p.allow);
            let span = e.span;
            let other = self.hidden(format!("{base} (also #{})", i + 1), e, target);
            self.syms[other as usize].prov = self.prov(&p);
            self.statements.push(Statement {
                kind: StatementKind::Also,
                target,
                other,
                span,
            });
        }
    }

    /// Silences each allowed code on every symbol of `targets` (the symbols of
    /// one declaration), and notes where the `allow` is written.
    pub(super) fn allow(&mut self, targets: &[SymId], allows: &[ast::Allow]) {
        for a in allows {
            if !WARNING_CODES.contains(&a.code.name.as_str()) {
                let mut d = Diag::error(
                    "carbon::names::unknown_warning",
                    format!("`{}` is not a warning code", a.code.name),
                )
                .at(a.code.span, "cannot be allowed");
                d = d.help(suggest::help(&a.code.name, WARNING_CODES.iter().copied(), || {
                    format!("the warning codes are: {}", WARNING_CODES.join(", "))
                }));
                self.diags.push(d);
                continue;
            }
            for &t in targets {
                self.allows
                    .entry(t)
                    .or_default()
                    .push((a.code.name.to_string(), a.reason.clone()));
            }
            self.allow_sites.push(AllowSite {
                code: a.code.name.clone(),
                span: a.code.span,
                targets: targets.to_vec(),
                prelude: self.is_prelude(a.code.span),
            });
        }
    }

    /// A symbol that is not a name of the program (the parts of a total, an
    /// expectation's sides), evaluated like any other.
    pub(super) fn hidden(&mut self, name: String, e: Expr, like: SymId) -> SymId {
        let prelude = self.syms[like as usize].prelude;
        let id = self.new_sym(Symbol::hidden(name.into(), 0, e.span, prelude));
        self.pending.push((id, e));
        id
    }

    pub(super) fn declare_expect(&mut self, e: &mut ast::ExpectDecl) {
        let name = match (&e.name, &e.actual.kind) {
            (Some(n), _) => n.name.to_string(),
            (None, ExprKind::Path(p)) => p.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join("."),
            _ => format!("expectation {}", self.expects.len() + 1),
        };
        let prelude = self.is_prelude(e.span);
        let side = |n: &mut Self, what: &str, x: Expr| {
            let full = format!("expect {name}: {what}");
            let at = short_at(&full, what);
            let id = n.new_sym(Symbol::hidden(full.into(), at, x.span, prelude));
            n.pending.push((id, x));
            id
        };
        let actual = side(self, "computed", take(&mut e.actual));
        let published = side(self, "published", take(&mut e.published));
        let tolerance = side(self, "tolerance", take(&mut e.tolerance));
        let prov = self.prov(&e.prov);
        // An expectation has no warning to silence: its `allow`s are reported.
        let allows = std::mem::take(&mut e.prov.allow);
        self.allow(&[], &allows);
        self.syms[published as usize].prov = prov.clone();
        self.expects.push(ExpectInfo {
            name,
            actual,
            published,
            tolerance,
            known: e.known.as_ref().map(|k| k.0.clone()),
            prov,
            span: e.span,
        });
    }
}

/// Moves an expression out of the syntax tree, leaving an empty path behind.
pub(super) fn take(e: &mut Expr) -> Expr {
    let span = e.span;
    std::mem::replace(
        e,
        Expr {
            kind: ExprKind::Path(Vec::new()),
            span,
        },
    )
}

/// The dimension rule of a field of a built-in form: the inventory's `period`
/// is a duration. A declared kind's field takes its template's (block.rs).
fn field_rule(kind: Kind, field: &str) -> DimRule {
    match (kind, field) {
        (Kind::Inventory, "period") => DimRule::Time,
        _ => DimRule::Any,
    }
}
