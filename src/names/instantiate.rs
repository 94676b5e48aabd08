//! Uses of the kinds declared in the language: the selection of a use's values
//! and term by its words and fields ([`Namer::select_use`], with the errors of
//! missing and unused fields), its values and term built at `finish`
//! ([`Namer::instantiate`]: each formula lowered once per kind, its own names
//! as placeholders ([`Compiled`]), then copied for each use with the use's
//! members in their place), and the probes that check each kind once
//! ([`Namer::probe_kinds`]).

use super::kinds::{Cond, Given, KindTexts, PlaceVal, TItem, TShape, Template, Use};
use super::lower::Lookup;
use super::*;
use smallvec::SmallVec;

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
        given: Given,
        words: &mut [Option<&'static str>],
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
        // The same fields and words select the same: the first use of a
        // selection works it out, the next copy it, unless it is in error (each
        // use reports its own).
        let key = (near.is_empty() && given.len() <= 64).then(|| {
            given
                .iter()
                .enumerate()
                .fold(0u64, |b, (j, &g)| b | (u64::from(g) << j))
        });
        if let Some(bits) = key {
            let hit = t
                .cache
                .selections
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .find(|s| s.given == bits && same_words(&s.words, words))
                .map(|s| (s.values.clone(), s.term, s.group, s.land, s.flagged));
            if let Some((values, term, group, land, flagged)) = hit {
                info.group = group;
                info.land = land;
                if flagged {
                    info.method = Some("stock_as_removal");
                }
                self.keep_use(did, tid, values, term);
                return;
            }
        }
        let diags = self.diags.len();
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
        // The word condition that brought each field in (`method gain`), if any.
        let mut by_word: Vec<Option<(usize, &'static str)>> = vec![None; t.fields.len()];
        let mut stack: Vec<&TItem> = term.map(|i| &t.terms[i]).into_iter().collect();
        let mut seen_values: Vec<&str> = Vec::new();
        while let Some(it) = stack.pop() {
            let word = it.guard.iter().find_map(|c| c.word.map(|w| (c.field, w)));
            for &r in &it.reads {
                if !reads[r] {
                    by_word[r] = word;
                }
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
        // `one of`: exactly one set of fields given (its fields are then not
        // each reported missing).
        let mut in_one_of = vec![false; t.fields.len()];
        let ix = |n: &str| t.fields.iter().position(|x| x.name == n);
        for o in &t.one_ofs {
            for f in o.sets.iter().flatten() {
                if let Some(j) = ix(&f.name) {
                    in_one_of[j] = true;
                }
            }
            let full: Vec<usize> = (0..o.sets.len())
                .filter(|&k| o.sets[k].iter().all(|f| ix(&f.name).is_some_and(|j| given[j])))
                .collect();
            if full.len() == 1 {
                continue;
            }
            lacking = true;
            let d = match full[..] {
                [] => {
                    let mut d = Diag::error(
                        "carbon::check::missing_field",
                        format!("{} `{uname}` {}", t.name, o.message.0),
                    )
                    .at(name, "none of these given in full");
                    if let Some((h, _)) = &o.help {
                        d = d.help(h.clone());
                    }
                    d
                }
                [a, b, ..] => {
                    // The first field of two sets given: both figures would count.
                    let (fa, fb) = (&o.sets[a][0], &o.sets[b][0]);
                    let at = |f: &ast::Ident| ix(&f.name).and_then(|j| spans[j]).unwrap_or(name);
                    let sets: Vec<String> = o
                        .sets
                        .iter()
                        .map(|s| {
                            s.iter()
                                .map(|f| format!("`{}`", f.name))
                                .collect::<Vec<_>>()
                                .join(" and ")
                        })
                        .collect();
                    // Labelled in the order they are written.
                    let (first, second) = match at(fa).start <= at(fb).start {
                        true => (fa, fb),
                        false => (fb, fa),
                    };
                    Diag::error(
                        "carbon::check::conflicting_fields",
                        format!("{} `{uname}` has both `{}` and `{}`", t.name, first.name, second.name),
                    )
                    .at(at(second), format!("…and `{}` too", second.name))
                    .also(at(first), format!("`{}` is given…", first.name))
                    .help(format!(
                        "keep one: {}; to check one against the other, state the second as `also` on the first",
                        sets.join(", or ")
                    ))
                }
                [_] => continue,
            };
            self.diags.push(d);
        }
        for (j, f) in t.fields.iter().enumerate() {
            if given[j]
                || in_one_of[j]
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
            if !needed {
                continue;
            }
            lacking = true;
            let d = match by_word[j].filter(|_| f.optional) {
                // A field the method asks for.
                Some((wf, w)) => {
                    let wname = &t.fields[wf].name;
                    let others = match &t.fields[wf].shape {
                        TShape::Words(ws) => ws.join(", "),
                        _ => String::new(),
                    };
                    Diag::error(
                        "carbon::check::missing_field",
                        format!("{wname} `{w}` needs the field `{}`", f.name),
                    )
                    .at(name, format!("`{uname}` has no `{}`", f.name))
                    .help(format!("add `{} …`, or choose another {wname}: {others}", f.name))
                }
                None => {
                    let help = f
                        .help
                        .clone()
                        .unwrap_or_else(|| format!("add `{} …` inside the braces", f.name));
                    Diag::error(
                        "carbon::check::missing_field",
                        format!("`{}` `{uname}` lacks the field `{}`", t.name, f.name),
                    )
                    .at(name, format!("needs `{}`: {}", f.name, f.meaning))
                    .help(help)
                }
            };
            self.diags.push(d);
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
        // Unused: a quantity given that neither the term nor any value this use
        // has reads (another method's field). A field read only by a value (a
        // stand's volume, for its stock under `gain`) is shown with that value.
        let mut used = reads.clone();
        for &k in &values {
            for &r in &t.values[k].reads {
                used[r] = true;
            }
        }
        if term.is_some() && !lacking {
            for (j, f) in t.fields.iter().enumerate() {
                if given[j] && f.read && !used[j] && matches!(f.shape, TShape::Quantity(_)) {
                    // The other words of the word fields that guards test, under
                    // which the term would read the field.
                    let mut users: Vec<String> = Vec::new();
                    for (wf, x) in t.fields.iter().enumerate() {
                        let TShape::Words(ws) = x.shape else { continue };
                        let tested = t
                            .values
                            .iter()
                            .chain(&t.terms)
                            .any(|it| it.guard.iter().any(|c| c.field == wf && c.word.is_some()));
                        if !tested {
                            continue;
                        }
                        for &w in ws.iter().filter(|&&w| words[wf] != Some(w)) {
                            let mut other = words.to_vec();
                            other[wf] = Some(w);
                            if reads_of(&t, &given, &other)[j] {
                                users.push(format!("`{} {w}`", x.name));
                            }
                        }
                    }
                    let mut d = Diag::error(
                        "carbon::check::unused_field",
                        format!(
                            "`{}` `{uname}` gives `{}`, which neither its term nor its values use",
                            t.name, f.name
                        ),
                    )
                    .at(spans[j].unwrap_or(name), "not used");
                    d = d.help(if users.is_empty() {
                        format!("remove `{}`", f.name)
                    } else {
                        format!("remove it, or choose what uses it: {}", users.join(", "))
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
        let flagged = t.flags.iter().any(|g| holds(g));
        if flagged {
            info.method = Some("stock_as_removal");
        }
        let values: Arc<[usize]> = values.into();
        if let (Some(bits), true) = (key, self.diags.len() == diags) {
            let mut sel = t.cache.selections.lock().unwrap_or_else(|p| p.into_inner());
            if sel.len() < SELECTIONS {
                sel.push(Selection {
                    given: bits,
                    words: words.to_vec(),
                    values: values.clone(),
                    term,
                    group: info.group,
                    land: info.land,
                    flagged,
                });
            }
        }
        self.keep_use(did, tid, values, term);
    }

    /// Keeps a use's selection until `instantiate`.
    fn keep_use(&mut self, did: DeclId, template: u16, values: Arc<[usize]>, term: Option<usize>) {
        let i = did as usize;
        if self.uses.len() <= i {
            // Grown for the declarations to come (amortized).
            let len = (i + 1).max(self.uses.len() * 2);
            self.uses.resize_with(len, || None);
        }
        self.uses[i] = Some(Use {
            template,
            values,
            // A kind has fewer than 65,536 terms (each is a line of its text).
            term: term.and_then(|x| u16::try_from(x).ok()),
        });
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

    /// The template of a declared kind: the last declared under its name (a
    /// program's kind over the prelude's), as `kind_ix` holds. By its number,
    /// among the few kinds, not by its name (which takes a lock): it is read
    /// several times for each use.
    pub(super) fn template_of(&self, kind: Kind) -> Option<Arc<Template>> {
        match kind {
            Kind::User(w) => self.kinds.iter().rev().find(|t| t.kind_name == w).cloned(),
            _ => None,
        }
    }

    /// The term's meaning and equation of a use of a declared kind.
    pub(super) fn term_texts(&mut self, did: DeclId) -> Option<(Text, Text)> {
        let u = self.uses.get(did as usize)?.as_ref()?;
        let (tid, term) = (u.template, u.term?);
        Some(self.kind_texts(tid).terms[term as usize])
    }

    /// The texts of kind `tid`, numbered at its first use.
    pub(super) fn kind_texts(&mut self, tid: u16) -> Arc<KindTexts> {
        let i = tid as usize;
        if let Some(Some(k)) = self.kind_texts.get(i) {
            return k.clone();
        }
        let t = self.kinds[i].clone();
        let both = |n: &mut Self, x: &TItem| (n.text(x.meaning), x.eq.map_or(Text::NONE, |e| n.text(e)));
        let fields: Vec<Text> = t.fields.iter().map(|f| self.text(f.meaning)).collect();
        let unique = fields
            .iter()
            .map(|x| fields.iter().filter(|y| *y == x).count() == 1)
            .collect();
        let k = Arc::new(KindTexts {
            fields,
            unique,
            values: t.values.iter().map(|v| both(self, v)).collect(),
            terms: t.terms.iter().map(|x| both(self, x)).collect(),
        });
        if self.kind_texts.len() <= i {
            self.kind_texts.resize(i + 1, None);
        }
        self.kind_texts[i] = Some(k.clone());
        k
    }

    /// Builds the values and the term of a use of a declared kind, from the
    /// selection of `select_use`: each formula is the kind's, lowered once
    /// ([`Compiled`]), with this use's members in place of the kind's names;
    /// one the kind could not lower once is lowered here, for this use.
    pub(super) fn instantiate(&mut self, did: DeclId, units: &mut Units) {
        let Some(u) = self.uses.get_mut(did as usize).and_then(Option::take) else {
            return;
        };
        let t = self.kinds[u.template as usize].clone();
        let c = t.cache.compiled.get_or_init(|| compile(self, &t, units));
        let texts = self.kind_texts(u.template);
        let (dname, name_span, prelude) = {
            let d = &self.decls[did as usize];
            (d.name.clone(), d.name_span, d.prelude)
        };
        let at = Place {
            kind: t.span,
            did,
            name: name_span,
        };
        // The kind's names bound to this use's members: by placeholder (`map`),
        // or by name (`local`) for a use whose formulas are lowered here.
        let mut map: SmallVec<[Option<SymId>; 24]> = SmallVec::from_elem(None, c.names.len());
        let mut fast = c.usable
            && u.values.iter().all(|&vi| c.values[vi].is_some())
            && u.term.is_none_or(|ti| c.terms[ti as usize].is_some());
        // Each field member is the kind's field with its meaning (and its
        // name, where two fields mean alike), looked for from the field after
        // the last one found: one comparison a field when written in the
        // kind's order. A member that is no field of the kind (none is
        // expected) sends the use to lowering by name.
        let nf = t.fields.len();
        let mut next = 0;
        for &m in &self.decls[did as usize].members {
            let s = &self.syms[m as usize];
            if !matches!(s.kind, SymKind::Field { .. }) {
                continue;
            }
            let found = (0..nf)
                .map(|i| (next + i) % nf)
                .find(|&j| texts.fields[j] == s.meaning && (texts.unique[j] || t.fields[j].name == s.short()));
            match found {
                Some(j) => {
                    if map[j].is_none() {
                        map[j] = Some(m);
                    }
                    next = j + 1;
                }
                None => fast = false,
            }
        }
        let mut local: Vec<(SmolStr, SymId)> = Vec::new();
        if !fast {
            for &m in &self.decls[did as usize].members {
                let s = &self.syms[m as usize];
                if matches!(s.kind, SymKind::Field { .. }) {
                    local.push((SmolStr::new(s.short()), m));
                }
            }
        }
        for (j, f) in t.fields.iter().enumerate() {
            // Given: it has a symbol (a default sets only its own field's).
            let (Some(e), false) = (&f.default, map[j].is_some()) else {
                continue;
            };
            let ir = lower_with(self, e, units);
            let full = dotted(&dname, &f.name);
            let prov = t.cited.get().and_then(|c| c.fields.get(j)).cloned().unwrap_or_default();
            let meaning = texts.fields[j];
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
            if fast {
                if map[j].is_none() {
                    map[j] = Some(id);
                }
            } else {
                local.push((f.name.clone(), id));
            }
        }
        if fast {
            for &vi in u.values.iter() {
                let v = &t.values[vi];
                let Some(ir) = c.values[vi].as_ref().and_then(|ir| self.build(ir, &map, &at, true)) else {
                    continue;
                };
                let (meaning, eq) = texts.values[vi];
                let id = self.define(did, &v.name, ir, meaning, eq, v.rule);
                if let Some(p) = t.cited.get().and_then(|c| c.values.get(vi)) {
                    self.syms[id as usize].prov = p.clone(); // the kind's citation
                }
                map[c.value_name[vi] as usize] = Some(id);
            }
            let term = self.decls[did as usize].term;
            if let (Some(ti), Some(term)) = (u.term.map(usize::from), term) {
                self.irs[term as usize] = c.terms[ti].as_ref().and_then(|ir| self.build(ir, &map, &at, true));
            }
            return;
        }
        for &vi in u.values.iter() {
            let v = &t.values[vi];
            let ir = lower_local(self, &t, &v.expr, &local, true, units);
            let Some(ir) = ir.and_then(|ir| self.build(&ir, &[], &at, true)) else {
                continue;
            };
            let (meaning, eq) = texts.values[vi];
            let id = self.define(did, &v.name, ir, meaning, eq, v.rule);
            if let Some(p) = t.cited.get().and_then(|c| c.values.get(vi)) {
                self.syms[id as usize].prov = p.clone(); // the kind's citation
            }
            local.push((v.name.clone(), id));
        }
        let term = self.decls[did as usize].term;
        if let (Some(ti), Some(term)) = (u.term.map(usize::from), term) {
            let ir = lower_local(self, &t, &t.terms[ti].expr, &local, true, units);
            self.irs[term as usize] = ir.and_then(|ir| self.build(&ir, &[], &at, true));
        }
    }

    /// A use's copy of a kind's formula, in one pass: the kind's names
    /// (placeholders, [`Compiled`]) replaced by `map`'s symbols (`None` if it
    /// reads a name the use does not have: a field its guard leaves out, a value
    /// that was not built, as lowering would give); its spans moved from the
    /// kind to the use, so that an error labels what the use wrote (a field of
    /// the use at its line, an operation over its operands, anything else at
    /// the use's name); and in the shapes the built-in kinds built: an operation
    /// on two symbols inline (`IrOp::Pair`), a chain nested to the left.
    fn build(&self, ir: &Ir, map: &[Option<SymId>], at: &Place, under: bool) -> Option<Ir> {
        let span = ir.span;
        // What the kind wrote moves, below a node that moved (`under`).
        let moves = under && span.src == at.kind.src && at.kind.start <= span.start && span.end <= at.kind.end;
        let s = |id: SymId| match id.checked_sub(PLACE) {
            Some(i) => map.get(i as usize).copied().flatten(),
            None => Some(id),
        };
        let join = |a: Span, b: Span| match moves {
            false => span,
            true if a.src == b.src && a.start <= b.end => a.to(b),
            true => at.name,
        };
        let other = if moves { at.name } else { span };
        let b = |x: &Ir| self.build(x, map, at, moves);
        Some(match &ir.op {
            IrOp::Lit { .. } => Ir {
                op: ir.op.clone(),
                span: other,
            },
            IrOp::Sym(x) => self.leaf(*x, span, map, at, moves)?,
            IrOp::Neg(x) => {
                let x = b(x)?;
                Ir {
                    span: if moves { x.span } else { span },
                    op: IrOp::Neg(Box::new(x)),
                }
            }
            IrOp::Gwp(x) => b(x)?.wrap(IrOp::Gwp),
            IrOp::PerPeriod(x) => b(x)?.wrap(IrOp::PerPeriod),
            IrOp::OverPeriod(x) => b(x)?.wrap(IrOp::OverPeriod),
            IrOp::Convert(x, u) => {
                let x = b(x)?;
                Ir {
                    span: if moves { x.span } else { span },
                    op: IrOp::Convert(Box::new(x), u.clone()),
                }
            }
            IrOp::Bin(op, xy) => {
                // Most formulas are an operation on two names: built here.
                let (x, y) = match (&xy[0].op, &xy[1].op) {
                    (IrOp::Sym(x), IrOp::Sym(y)) => (
                        self.leaf(*x, xy[0].span, map, at, moves)?,
                        self.leaf(*y, xy[1].span, map, at, moves)?,
                    ),
                    _ => (b(&xy[0])?, b(&xy[1])?),
                };
                Ir {
                    span: join(x.span, y.span),
                    ..self.bin(*op, x, y)
                }
            }
            IrOp::Chain(c) => {
                let mut acc = b(&c.first)?;
                let first = acc.span;
                let mut last = first;
                for (op, x) in c.rest.iter() {
                    let x = b(x)?;
                    last = x.span;
                    acc = self.bin(*op, acc, x);
                }
                Ir {
                    span: join(first, last),
                    ..acc
                }
            }
            IrOp::Call(f, xs) => {
                let xs: Box<[Ir]> = xs.iter().map(b).collect::<Option<_>>()?;
                let span = match (xs.first(), xs.last()) {
                    (Some(a), Some(z)) => join(a.span, z.span),
                    _ => other,
                };
                Ir {
                    op: IrOp::Call(*f, xs),
                    span,
                }
            }
            // Not made by lowering; kept whole.
            IrOp::Pair(op, [x, y], ats) => Ir {
                op: IrOp::Pair(*op, [s(*x)?, s(*y)?], *ats),
                span: other,
            },
            IrOp::Sum(xs) => Ir {
                op: IrOp::Sum(xs.iter().map(|&(b, x)| Some((b, s(x)?))).collect::<Option<_>>()?),
                span: other,
            },
        })
    }

    /// [`Self::build`] of a name written at `span`, below a node that moved
    /// (`under`).
    #[inline(always)]
    fn leaf(&self, x: SymId, span: Span, map: &[Option<SymId>], at: &Place, under: bool) -> Option<Ir> {
        let id = match x.checked_sub(PLACE) {
            Some(i) => map.get(i as usize).copied().flatten()?,
            None => x,
        };
        let moves = under && span.src == at.kind.src && at.kind.start <= span.start && span.end <= at.kind.end;
        let span = match self.syms.get(id as usize) {
            Some(s) if moves && s.kind == (SymKind::Field { decl: at.did }) => s.span,
            _ if moves => at.name,
            _ => span,
        };
        Some(Ir::sym(id, span))
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

/// Whether two uses have the same words: the kind's own (`TShape::Words`),
/// so the same pointer, as a rule.
fn same_words(a: &[Option<&'static str>], b: &[Option<&'static str>]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| match (x, y) {
            (Some(x), Some(y)) => std::ptr::eq(*x, *y) || x == y,
            (None, None) => true,
            _ => false,
        })
}

/// Which fields the term of a use reads (through its values), for these words
/// and fields given.
fn reads_of(t: &Template, given: &[bool], words: &[Option<&'static str>]) -> Vec<bool> {
    let holds = |g: &[Cond]| {
        g.iter().all(|c| match c.word {
            None => given[c.field],
            Some(w) => words[c.field] == Some(w),
        })
    };
    let mut reads = vec![false; t.fields.len()];
    let Some(term) = t.terms.iter().find(|x| holds(&x.guard)) else {
        return reads;
    };
    let mut stack = vec![term];
    let mut seen: Vec<&str> = Vec::new();
    while let Some(it) = stack.pop() {
        for &r in &it.reads {
            reads[r] = true;
        }
        for v in &it.values {
            if seen.contains(&v.as_str()) {
                continue;
            }
            seen.push(v);
            if let Some(x) = t.values.iter().find(|x| x.name == *v && holds(&x.guard)) {
                stack.push(x);
            }
        }
    }
    reads
}

/// What the uses of a kind share, worked out once: its formulas lowered
/// ([`Compiled`], at the first use), and the selections of values and term
/// its uses make ([`Selection`]). Valid for the namer that built the kind
/// (each namer builds its kinds).
#[derive(Debug, Default)]
pub(super) struct Cache {
    compiled: std::sync::OnceLock<Compiled>,
    selections: std::sync::Mutex<Vec<Selection>>,
}

/// How many distinct selections a kind remembers (a kind has a handful:
/// its methods and optional fields; looked through one by one).
const SELECTIONS: usize = 32;

/// What [`Namer::select_use`] worked out for a use without error, by the
/// fields it gives (a bit each) and its words (defaults filled in).
#[derive(Debug)]
struct Selection {
    given: u64,
    words: Vec<Option<&'static str>>,
    values: Arc<[usize]>,
    term: Option<usize>,
    group: Option<Group>,
    land: Option<Land>,
    flagged: bool,
}

/// Placeholder symbols in a kind's compiled formulas: `PLACE + i` stands for
/// its own name `i` ([`Compiled::names`]); far above any real symbol (a program
/// has fewer than 4,293,918,720 symbols: each costs tens of bytes).
const PLACE: SymId = SymId::MAX - (1 << 20);

/// A kind's values and terms lowered once, in the global scope of the program,
/// with its own names (fields and values) as placeholder symbols; each use
/// copies them with its members in their place ([`subst`]). Built at the first
/// use, when every global name is declared: lowering for each use would
/// resolve the same global names to the same symbols (a group or a derived
/// member read by name gets its placeholder at the first lookup, and keeps it).
#[derive(Debug, Default)]
pub(super) struct Compiled {
    /// Whether the placeholders stand for the names: not when a value is named
    /// like a field (an error of the kind), then each use lowers its formulas.
    usable: bool,
    /// The kind's own names: its fields, in order, then its values' names.
    names: Vec<SmolStr>,
    /// For each value, the index of its name in `names`.
    value_name: Vec<u32>,
    /// Each value's and each term's formula, or `None` where it is lowered for
    /// each use: it failed (an error of the kind, which the probe reports) or it
    /// writes one of the kind's names that is also a unit after a number (read
    /// as a name where the use has it, as a unit where it does not).
    values: Vec<Option<Ir>>,
    terms: Vec<Option<Ir>>,
}

/// Lowers a kind's formulas once, over placeholders (see [`Compiled`]).
fn compile(n: &mut Namer, t: &Template, units: &mut Units) -> Compiled {
    let mut names: Vec<SmolStr> = t.fields.iter().map(|f| f.name.clone()).collect();
    let mut value_name = Vec::with_capacity(t.values.len());
    let mut usable = true;
    for v in &t.values {
        let i = match names.iter().position(|x| *x == v.name) {
            Some(i) => {
                usable &= i >= t.fields.len();
                i
            }
            None => {
                names.push(v.name.clone());
                names.len() - 1
            }
        };
        value_name.push(i as u32);
    }
    // Placeholders for every name, below `SymId::MAX`.
    usable &= names.len() < 1 << 20;
    let mut one = |n: &mut Namer, e: &Expr| {
        if !usable {
            return None;
        }
        let mut p = Proto {
            n,
            names: &names,
            redo: false,
        };
        let ir = lower_with(&mut p, e, units);
        if p.redo {
            None
        } else {
            ir
        }
    };
    let values = t.values.iter().map(|v| one(n, &v.expr)).collect();
    let terms = t.terms.iter().map(|x| one(n, &x.expr)).collect();
    Compiled {
        usable,
        names,
        value_name,
        values,
        terms,
    }
}

/// Name lookup for [`compile`]: as [`Local`] for a use that has every name of
/// the kind, quiet.
struct Proto<'a> {
    n: &'a mut Namer,
    names: &'a [SmolStr],
    /// The formula depends on which names a use has, or is in error: lowered
    /// for each use instead.
    redo: bool,
}

impl Lookup for Proto<'_> {
    fn lookup(&mut self, parts: &[ast::Ident]) -> Option<SymId> {
        if parts.len() == 1 {
            let name = parts[0].name.as_str();
            if let Some(i) = self.names.iter().position(|n| *n == name) {
                return Some(PLACE + i as SymId);
            }
            if !self.n.scope.contains_key(name) && !RESERVED.contains(&name) {
                return None;
            }
        }
        self.n.lookup(parts)
    }
    fn scope(&self) -> &HashMap<SmolStr, SymId> {
        &self.n.scope
    }
    fn report(&mut self, _: Diag) {
        self.redo = true;
    }
    fn is_unit(&mut self, units: &mut Units, atom: &str) -> bool {
        let unit = units.lookup(atom).is_some();
        if self.names.iter().any(|n| n == atom) {
            // A use that lacks it reads it as a unit.
            self.redo |= unit;
            return false;
        }
        unit
    }
}

/// Where a use's formulas go ([`Namer::build`]): from the kind's text to the
/// use's declaration and name.
#[derive(Clone, Copy)]
struct Place {
    kind: Span,
    did: DeclId,
    name: Span,
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
