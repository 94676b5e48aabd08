//! Uses of the kinds declared in the language: the selection of a use's values
//! and term by its words and fields ([`Namer::select_use`], with the errors of
//! missing and unused fields), its values and term built at `finish`
//! ([`Namer::instantiate`]: each formula lowered with the kind's names bound to
//! the use's members), and the probes that check each kind once
//! ([`Namer::probe_kinds`]).

use super::kinds::{Cond, PlaceVal, TItem, TShape, Template, Use};
use super::lower::Lookup;
use super::*;

impl Namer {
    /// Checks a use of a declared kind once its fields are declared: the words
    /// and fields given select its values and term; fields it needs and lacks,
    /// and fields it gives and does not use, are errors. Sets its place in Eq. 1.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn select_use(
        &mut self,
        tid: u16,
        did: DeclId,
        info: &mut DeclInfo,
        uname: &str,
        given: Vec<bool>,
        mut words: Vec<Option<&'static str>>,
        spans: &[Option<Span>],
        near: &[String],
    ) {
        let t = self.kinds[tid as usize].clone();
        let name = info.name_span;
        for (j, f) in t.fields.iter().enumerate() {
            if words[j].is_none() {
                words[j] = f.default_word;
            }
        }
        let holds = |g: &[Cond]| {
            g.iter().all(|c| match c.word {
                None => given[c.field],
                Some(w) => words[c.field] == Some(w),
            })
        };
        // The values that exist for this use: for each name, the first whose
        // guard holds.
        let mut values: Vec<usize> = Vec::new();
        for (i, v) in t.values.iter().enumerate() {
            if holds(&v.guard) && !values.iter().any(|&k| t.values[k].name == v.name) {
                values.push(i);
            }
        }
        let term = t.terms.iter().position(|x| holds(&x.guard));
        // What the term reads, through the values.
        let mut reads = vec![false; t.fields.len()];
        let mut stack: Vec<&TItem> = term.map(|i| &t.terms[i]).into_iter().collect();
        let mut seen_values: Vec<&str> = Vec::new();
        while let Some(it) = stack.pop() {
            for &r in &it.reads {
                reads[r] = true;
            }
            for v in &it.values {
                if seen_values.contains(&v.as_str()) {
                    continue;
                }
                seen_values.push(v);
                if let Some(&k) = values.iter().find(|&&k| t.values[k].name == *v) {
                    stack.push(&t.values[k]);
                }
            }
        }
        let mut lacking = false;
        for (j, f) in t.fields.iter().enumerate() {
            if given[j]
                || !matches!(f.shape, TShape::Quantity(_) | TShape::Words(_))
                || near.iter().any(|n| *n == f.name)
            {
                continue;
            }
            let needed = match f.shape {
                TShape::Words(_) => !f.optional && words[j].is_none(),
                // Read by this use's term, or (a required field) by no term at all.
                _ => f.default.is_none() && (reads[j] || (!f.optional && !f.read)),
            };
            if needed {
                lacking = true;
                let help = f
                    .help
                    .clone()
                    .unwrap_or_else(|| format!("add `{} …` inside the braces", f.name));
                self.diags.push(
                    Diag::error(
                        "carbon::check::missing_field",
                        format!("`{}` `{uname}` lacks the field `{}`", t.name, f.name),
                    )
                    .at(name, format!("needs `{}`: {}", f.name, f.meaning))
                    .help(help),
                );
            }
        }
        for o in &t.one_ofs {
            let full: Vec<bool> = o
                .sets
                .iter()
                .map(|s| {
                    s.iter()
                        .all(|f| t.fields.iter().position(|x| x.name == f.name).is_some_and(|j| given[j]))
                })
                .collect();
            let n = full.iter().filter(|x| **x).count();
            if n != 1 {
                lacking = true;
                let mut d = Diag::error(
                    if n == 0 {
                        "carbon::check::missing_field"
                    } else {
                        "carbon::check::conflicting_fields"
                    },
                    format!("`{}` `{uname}` {}", t.name, o.message.0),
                )
                .at(
                    name,
                    if n == 0 {
                        "none of them given"
                    } else {
                        "more than one given"
                    },
                );
                if let Some((h, _)) = &o.help {
                    d = d.help(h.clone());
                }
                self.diags.push(d);
            }
        }
        if term.is_none() && !lacking {
            self.diags.push(
                Diag::error(
                    "carbon::kinds::no_term",
                    format!("no term of `{}` applies to `{uname}`", t.name),
                )
                .at(name, "no term's `when` holds")
                .also(
                    Span {
                        end: t.span.start + 4,
                        ..t.span
                    },
                    "the kind",
                )
                .help({
                    let whens: Vec<String> = t
                        .terms
                        .iter()
                        .map(|x| {
                            let cs: Vec<String> = x
                                .guard
                                .iter()
                                .map(|c| match c.word {
                                    Some(w) => format!("{} = {w}", t.fields[c.field].name),
                                    None => t.fields[c.field].name.to_string(),
                                })
                                .collect();
                            format!("`when {}`", cs.join(", "))
                        })
                        .collect();
                    format!(
                        "the terms of `{}` apply {}: give what one of them needs, or add a last term without `when`",
                        t.name,
                        whens.join(" or ")
                    )
                }),
            );
        }
        // Unused: a quantity some term or value reads, given, that this use's
        // term does not read (another method's field).
        if term.is_some() {
            for (j, f) in t.fields.iter().enumerate() {
                if given[j] && f.read && !reads[j] && matches!(f.shape, TShape::Quantity(_)) {
                    let users: Vec<String> = t
                        .terms
                        .iter()
                        .chain(&t.values)
                        .filter(|x| x.reads.contains(&j))
                        .flat_map(|x| {
                            x.guard
                                .iter()
                                .filter_map(|c| c.word.map(|w| format!("`{} {w}`", t.fields[c.field].name)))
                        })
                        .collect();
                    let mut d = Diag::error(
                        "carbon::check::unused_field",
                        format!("`{}` `{uname}` gives `{}`, which its term does not use", t.name, f.name),
                    )
                    .at(spans[j].unwrap_or(name), "not used");
                    d = d.help(if users.is_empty() {
                        format!("remove `{}`", f.name)
                    } else {
                        format!("remove it, or choose what uses it: {}", dedup(users).join(", "))
                    });
                    self.diags.push(d);
                }
            }
        }
        let place = |list: &[(PlaceVal, Vec<Cond>)]| {
            list.iter().find(|(_, g)| holds(g)).and_then(|(p, _)| match p {
                PlaceVal::Word(w) => Some(*w),
                PlaceVal::Field(j) => words[*j],
            })
        };
        info.group = place(&t.groups).and_then(Group::from_word);
        info.land = if info.group == Some(Group::Above) {
            place(&t.parts).and_then(Land::from_word)
        } else {
            None
        };
        if t.flags.iter().any(|g| holds(g)) {
            info.method = Some("stock_as_removal");
        }
        self.uses.insert(
            did,
            Use {
                template: tid,
                given,
                values,
                term,
            },
        );
    }

    /// The names a use of a declared kind has besides its fields (its values, and
    /// fields it may get by default), for `decl.member` read before `finish`.
    pub(super) fn kind_members(&self, kind: Kind) -> Vec<SmolStr> {
        let Some(t) = self.template_of(kind) else {
            return Vec::new();
        };
        t.values
            .iter()
            .map(|v| v.name.clone())
            .chain(t.fields.iter().filter(|f| f.default.is_some()).map(|f| f.name.clone()))
            .collect()
    }

    /// The scope of a declaration's term unless it says `scope`.
    pub(super) fn default_scope(&self, kind: Kind) -> Option<u8> {
        match self.template_of(kind) {
            Some(t) => t.scope,
            None => kind.default_scope(),
        }
    }

    pub(super) fn template_of(&self, kind: Kind) -> Option<Arc<Template>> {
        match kind {
            Kind::User(w) => self.kind_ix.get(w.name()).map(|&i| self.kinds[i as usize].clone()),
            _ => None,
        }
    }

    /// The term's meaning and equation of a use of a declared kind.
    pub(super) fn term_texts(&self, did: DeclId) -> Option<(&'static str, Option<&'static str>)> {
        let u = self.uses.get(&did)?;
        let t = &self.kinds[u.template as usize];
        let term = &t.terms[u.term?];
        Some((term.meaning, term.eq))
    }

    /// Builds the values and the term of a use of a declared kind, from the
    /// selection of `select_use`.
    pub(super) fn instantiate(&mut self, did: DeclId, units: &mut Units) {
        let Some(u) = self.uses.remove(&did) else { return };
        let t = self.kinds[u.template as usize].clone();
        let (dname, name_span, prelude) = {
            let d = &self.decls[did as usize];
            (d.name.clone(), d.name_span, d.prelude)
        };
        // The kind's names bound to this use's members.
        let mut local: Vec<(SmolStr, SymId)> = Vec::new();
        for &m in &self.decls[did as usize].members {
            let s = &self.syms[m as usize];
            if matches!(s.kind, SymKind::Field { .. }) {
                local.push((SmolStr::new(s.short()), m));
            }
        }
        for (j, f) in t.fields.iter().enumerate() {
            let (Some(e), false) = (&f.default, u.given[j]) else {
                continue;
            };
            let ir = lower_with(self, e, units);
            let full = dotted(&dname, &f.name);
            let prov = t.cited.get().and_then(|c| c.fields.get(j)).cloned().unwrap_or_default();
            let meaning = self.text(f.meaning);
            let rule = match f.shape {
                TShape::Quantity(r) => r,
                _ => DimRule::Any,
            };
            let id = match self.member(did, &f.name) {
                Some(id) => id,
                None => {
                    let id = self.placeholder(full, SymKind::Field { decl: did }, name_span);
                    self.decls[did as usize].members.push(id);
                    id
                }
            };
            let s = &mut self.syms[id as usize];
            s.kind = SymKind::Field { decl: did };
            s.prov = prov;
            s.meaning = meaning;
            s.rule = rule;
            s.prelude = prelude;
            self.irs[id as usize] = ir;
            local.push((f.name.clone(), id));
        }
        for &vi in &u.values {
            let v = &t.values[vi];
            let ir = lower_local(self, &t, &v.expr, &local, true, units);
            let Some(ir) = ir else { continue };
            let id = self.define(did, &v.name, ir, v.meaning, v.eq, v.rule);
            if let Some(p) = t.cited.get().and_then(|c| c.values.get(vi)) {
                self.syms[id as usize].prov = p.clone(); // the kind's citation
            }
            local.push((v.name.clone(), id));
        }
        let term = self.decls[did as usize].term;
        if let (Some(ti), Some(term)) = (u.term, term) {
            let ir = lower_local(self, &t, &t.terms[ti].expr, &local, true, units);
            self.irs[term as usize] = ir;
        }
    }

    /// Lowers each kind's formulas once over a probe, a use whose fields have the
    /// declared dimensions, so that the check stage checks them once, at the kind;
    /// names a kind does not know are reported here.
    pub(super) fn probe_kinds(&mut self, units: &mut Units) {
        for ti in 0..self.kinds.len() {
            let t = self.kinds[ti].clone();
            let mut local: Vec<(SmolStr, SymId)> = Vec::new();
            let mut probe = Vec::new();
            let name = |x: &str| dotted(t.name, x);
            for f in &t.fields {
                let TShape::Quantity(rule) = f.shape else { continue };
                let ir = match rule {
                    DimRule::Pattern(p) => match &self.patterns[p as usize].what {
                        PatternDim::Dim(d) => {
                            let u = units.unit_expr_for_dim(d);
                            Some(Ir {
                                op: IrOp::Lit {
                                    value: 1.0,
                                    unit: Some(Arc::new(u)),
                                    precision: 0.0,
                                },
                                span: t.span,
                            })
                        }
                        _ => None,
                    },
                    _ => None,
                };
                let id = self.new_sym(Symbol::hidden(name(&f.name), 0, t.span, t.prelude));
                self.syms[id as usize].rule = rule;
                self.irs[id as usize] = ir;
                local.push((f.name.clone(), id));
                probe.push(id);
            }
            for v in &t.values {
                let ir = lower_local(self, &t, &v.expr, &local, false, units);
                let id = self.new_sym(Symbol::hidden(name(&v.name), 0, v.span, t.prelude));
                self.syms[id as usize].rule = v.rule;
                self.irs[id as usize] = ir;
                if !local.iter().any(|(n, _)| *n == v.name) {
                    local.push((v.name.clone(), id));
                }
                probe.push(id);
            }
            let sold = t
                .groups
                .iter()
                .all(|(p, _)| matches!(p, PlaceVal::Word("sold" | "purchased")));
            for x in &t.terms {
                let ir = lower_local(self, &t, &x.expr, &local, false, units);
                let id = self.new_sym(Symbol::hidden(
                    SmolStr::new(format!("{} term", t.name)),
                    0,
                    x.span,
                    t.prelude,
                ));
                self.syms[id as usize].rule = if sold { DimRule::Co2e } else { DimRule::Co2eRate };
                self.irs[id as usize] = ir;
                probe.push(id);
            }
            self.kind_checks.push(KindCheck { span: t.span, probe });
        }
    }
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for x in v.drain(..) {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

/// Lowers a formula of a kind with its names bound to `local` (a use's members,
/// or the probe's); `quiet`: a use's errors are the kind's, reported by its probe.
fn lower_local(
    n: &mut Namer,
    t: &Template,
    e: &Expr,
    local: &[(SmolStr, SymId)],
    quiet: bool,
    units: &mut Units,
) -> Option<Ir> {
    let mut l = Local { n, t, local, quiet };
    lower_with(&mut l, e, units)
}

struct Local<'a> {
    n: &'a mut Namer,
    t: &'a Template,
    local: &'a [(SmolStr, SymId)],
    quiet: bool,
}

impl Lookup for Local<'_> {
    fn lookup(&mut self, parts: &[ast::Ident]) -> Option<SymId> {
        if parts.len() == 1 {
            let name = parts[0].name.as_str();
            if let Some((_, id)) = self.local.iter().find(|(n, _)| *n == name) {
                return Some(*id);
            }
            let own = self.t.fields.iter().any(|f| f.name == name) || self.t.values.iter().any(|v| v.name == name);
            if own {
                // A field this use does not have (its guard said so) or a value
                // that failed: nothing more to say here.
                return None;
            }
            if !self.n.scope.contains_key(name) && !RESERVED.contains(&name) {
                if !self.quiet {
                    self.n.unknown_in_kind(self.t, name, parts[0].span, true);
                }
                return None;
            }
        }
        self.n.lookup(parts)
    }
    fn scope(&self) -> &HashMap<SmolStr, SymId> {
        &self.n.scope
    }
    fn report(&mut self, d: Diag) {
        if !self.quiet {
            self.n.diags.push(d);
        }
    }
    fn is_unit(&mut self, units: &mut Units, atom: &str) -> bool {
        !self.local.iter().any(|(n, _)| n == atom) && units.lookup(atom).is_some()
    }
}
