//! Declaring a block (`energy coal { … }`): its fields, notation keys, citations and checks of what is missing.

use super::*;

impl Namer {
    pub(super) fn declare_block(&mut self, b: &mut ast::BlockDecl) {
        let builtin = Kind::from_word(&b.kind.name);
        let declared = match builtin {
            Some(_) => None,
            None => self.kind_ix.get(b.kind.name.as_str()).copied(),
        };
        let kind = match (builtin, declared) {
            (Some(k), _) => Some(k),
            (None, Some(t)) => Some(Kind::User(self.kinds[t as usize].kind_name)),
            (None, None) if self.broken_kinds.contains(&b.kind.name) => {
                self.diags.push(
                    Diag::error(
                        "carbon::kinds::broken",
                        format!("the kind `{}` has errors (see above)", b.kind.name),
                    )
                    .at(b.kind.span, "a use of a kind with errors")
                    .help("fix the kind's declaration; its uses are checked once it has no errors"),
                );
                return;
            }
            (None, None) if self.streaming && !self.finishing => {
                // Perhaps a kind declared further on: declared at `finish`.
                self.parked.push(b.clone());
                return;
            }
            (None, None) => None,
        };
        let Some(kind) = kind else {
            let words: Vec<&str> = Kind::ALL
                .iter()
                .map(|k| k.word())
                .chain(self.kinds.iter().map(|t| t.name))
                .collect();
            let mut d = Diag::error(
                "carbon::names::unknown_kind",
                format!("unknown kind of declaration `{}`", b.kind.name),
            )
            .at(b.kind.span, "not a kind of declaration");
            d = d.help(suggest::help(&b.kind.name, words.iter().copied(), || {
                format!(
                    "the kinds are: {}, and `let`, `source`, `unit`, `dimension`",
                    words.join(", ")
                )
            }));
            self.diags.push(d);
            return;
        };
        if kind == Kind::Range && self.streaming && !self.finishing && self.range_of_later_kind(b) {
            // `applies k.f` of a kind declared further on: declared at `finish`.
            self.parked.push(b.clone());
            return;
        }
        let prelude = self.is_prelude(b.span);
        // The name is moved out of the syntax tree (dropped after this).
        let name = match (kind, &mut b.name, &mut b.title) {
            (Kind::Inventory, _, Some((t, _))) => SmolStr::from(std::mem::take(t)),
            (Kind::Inventory, Some(i), _) => std::mem::take(&mut i.name),
            (_, Some(i), _) => std::mem::take(&mut i.name),
            (_, None, _) => {
                self.diags.push(
                    Diag::error(
                        "carbon::names::missing_name",
                        format!("this `{}` declaration has no name", kind.word()),
                    )
                    .at(b.kind.span, "a name must follow the kind")
                    .help(format!("write `{} some_name {{ … }}`", kind.word())),
                );
                return;
            }
        };
        let name_span = b
            .name
            .as_ref()
            .map(|i| i.span)
            .or(b.title.as_ref().map(|t| t.1))
            .unwrap_or(b.kind.span);
        if kind == Kind::Inventory {
            if let Some(h) = &self.header {
                self.diags.push(
                    Diag::error("carbon::names::duplicate", "a second `inventory` header")
                        .at(b.kind.span, "second header")
                        .also(h.span, "first header")
                        .help("a file describes one inventory; keep one header"),
                );
                return;
            }
        }
        let did = self.decls.len() as DeclId;
        // A declared kind's template, by the index `kind_ix` holds (a
        // program's kind over the prelude's of the same name).
        let tid: Option<u16> = declared;
        let tmpl = tid.map(|t| self.kinds[t as usize].clone());
        let ktexts = tid.map(|t| self.kind_texts(t));
        // A field's meaning: its kind's, numbered once, or the built-in form's.
        let field_meaning = |n: &mut Namer, j: Option<usize>, meaning: &'static str| match ktexts.as_ref().zip(j) {
            Some((k, j)) if j < k.fields.len() => k.fields[j],
            _ => n.text(meaning),
        };
        let specs = match &tmpl {
            Some(t) => t.specs.clone(),
            None => self.specs(kind),
        };
        let mut info = DeclInfo {
            kind,
            name: SmolStr::default(), // set once the name is no longer needed here
            span: b.span,
            name_span,
            group: None,
            land: None,
            scope: tmpl.as_ref().and_then(|t| t.scope),
            method: None,
            note: None,
            // Its fields and derived values, at their final size.
            members: Vec::with_capacity(b.fields.len() + tmpl.as_ref().map_or(0, |t| t.values.len())),
            term: None,
            prelude,
        };
        let mut header = Header {
            // Only an `inventory` block is the header; other kinds never keep it.
            name: if kind == Kind::Inventory {
                name.to_string()
            } else {
                String::new()
            },
            span: b.span,
            ..Header::default()
        };
        // A declaration has a handful of fields: a linear list beats hashing (and
        // stays on the stack).
        let mut seen: smallvec::SmallVec<[(&str, Span); 16]> = smallvec::SmallVec::new();
        // The specifications matched so far, by index (a kind has fewer than 64).
        let mut matched: u64 = 0;
        // Required fields that an unknown field is probably a misspelling of: their
        // "missing" error would only repeat the did-you-mean.
        let mut near: Vec<String> = Vec::new();
        let mut range_target: Option<(Kind, String)> = None;
        // A use of a declared kind: the word and the span of each field given.
        let user = matches!(kind, Kind::User(_));
        // On the stack for a kind of up to 16 fields.
        let n = if user { specs.len() } else { 0 };
        let mut given_words: smallvec::SmallVec<[Option<&'static str>; 16]> = smallvec::smallvec![None; n];
        let mut spans: smallvec::SmallVec<[Option<Span>; 16]> = smallvec::smallvec![None; n];
        // Every `allow` of the block, wherever it is written (before the fields,
        // between them, in a field's clauses): each silences its code on the
        // whole declaration, its term and its fields.
        let mut allows = std::mem::take(&mut b.allows);
        for f in b.fields.iter_mut() {
            allows.append(&mut f.prov.allow);
        }
        for f in b.fields.iter_mut() {
            let fname = f.name.name.as_str();
            if let Some((_, prev)) = seen.iter().find(|(n, _)| *n == fname) {
                self.diags.push(
                    Diag::error(
                        "carbon::names::duplicate_field",
                        format!("the field `{fname}` is given twice"),
                    )
                    .at(f.name.span, "given again here")
                    .also(*prev, "first given here")
                    .help("give each field once; remove one of them"),
                );
                continue;
            }
            seen.push((fname, f.name.span));
            // The specification, and its index.
            let mut spec_ix = None;
            let spec = if kind == Kind::Gwp && fname != "note" {
                let gwp = crate::domain::FieldSpec {
                    name: "",
                    ty: FieldType::Quantity,
                    required: false,
                    meaning: "GWP-100 (tCO2e per tonne of substance)",
                };
                Some(gwp)
            } else {
                match specs.iter().position(|s| s.name == fname) {
                    Some(j) => {
                        spec_ix = Some(j);
                        matched |= 1u64.checked_shl(j as u32).unwrap_or(0);
                        if let Some(s) = spans.get_mut(j) {
                            *s = Some(f.name.span);
                        }
                        specs.get(j).cloned()
                    }
                    None => None,
                }
            };
            let Some(spec) = spec else {
                let mut d = Diag::error(
                    "carbon::names::unknown_field",
                    format!("`{}` has no field `{fname}`", kind.word()),
                )
                .at(f.name.span, "unknown field");
                let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
                d = match suggest::closest(fname, names.iter().copied()) {
                    Some(s) => {
                        let h = d.help(format!("did you mean `{s}`?"));
                        near.push(s);
                        h
                    }
                    None => d.help(format!("the fields of `{}` are: {}", kind.word(), names.join(", "))),
                };
                self.diags.push(d);
                continue;
            };
            match (spec.ty, &f.value) {
                (FieldType::Text, FieldValue::Text(t, _)) => match fname {
                    "site" => header.site = Some(t.clone()),
                    _ => {
                        info.note = Some(t.clone());
                        header.note = Some(t.clone());
                    }
                },
                (FieldType::Text, FieldValue::Expr(e)) => {
                    self.diags.push(
                        Diag::error(
                            "carbon::check::field_type",
                            format!("the field `{fname}` takes quoted text"),
                        )
                        .at(e.span, "not text")
                        .help(format!("write `{fname} \"…\"`")),
                    );
                }
                (FieldType::Word(words), FieldValue::Expr(e)) => {
                    let w = match &e.kind {
                        ExprKind::Path(p) if p.len() == 1 => Some(p[0].name.as_str()),
                        _ => None,
                    };
                    match w.and_then(|w| words.iter().copied().find(|x| *x == w)) {
                        Some(w) if user => {
                            if let Some(j) = spec_ix {
                                given_words[j] = Some(w);
                            }
                        }
                        // The built-in forms have no word fields.
                        Some(_) => {}
                        None => {
                            let mut d = Diag::error(
                                "carbon::check::field_word",
                                format!("`{}` is not a valid `{fname}`", self_text(e)),
                            )
                            .at(e.span, format!("expected one of: {}", words.join(", ")));
                            if let Some(w) = w {
                                if let Some(s) = suggest::closest(w, words.iter().copied()) {
                                    d = d.help(format!("did you mean `{s}`?"));
                                }
                            }
                            self.diags.push(d);
                        }
                    }
                    if user && !f.prov.is_empty() {
                        // A word's reason is shown with the term.
                        let p = self.prov(&f.prov);
                        if let Some(a) = p.assumed {
                            info.note = Some(match info.note.take() {
                                Some(n) => format!("{n}; {a}"),
                                None => *a,
                            });
                        }
                    }
                }
                (FieldType::Scope, FieldValue::Expr(e)) => match &e.kind {
                    ExprKind::Quantity {
                        value,
                        unit: None,
                        ..
                    } if [1.0, 2.0, 3.0].contains(value) => info.scope = Some(*value as u8),
                    _ => self.diags.push(
                        Diag::error(
                            "carbon::check::field_word",
                            format!("`{}` is not a valid `scope`", self_text(e)),
                        )
                        .at(e.span, "expected one of: 1, 2, 3")
                        .help("a scope is 1 (direct emissions and removals), 2 (purchased electricity, heat or steam) or 3 (other indirect emissions), written as a plain number: `scope 2`"),
                    ),
                },
                (FieldType::Target, FieldValue::Expr(e)) => {
                    // A built-in kind's field, or a declared kind's.
                    let target = match &e.kind {
                        ExprKind::Path(p) if p.len() == 2 => {
                            let (k, f) = (p[0].name.as_str(), p[1].name.as_str());
                            match Kind::from_word(k) {
                                Some(k) => k.fields().iter().any(|s| s.name == f).then_some(k),
                                None => self
                                    .kind_ix
                                    .get(k)
                                    .map(|&t| &self.kinds[t as usize])
                                    .filter(|t| t.fields.iter().any(|x| x.name == f))
                                    .map(|t| Kind::User(t.kind_name)),
                            }
                            .map(|k| (k, f.to_string()))
                        }
                        _ => None,
                    };
                    match target {
                        Some(t) => range_target = Some(t),
                        None => self.diags.push(
                            Diag::error(
                                "carbon::check::field_type",
                                "`applies` names a field of a kind, such as `stand.carbon`",
                            )
                            .at(e.span, "not a kind and one of its fields"),
                        ),
                    }
                }
                (FieldType::Ref(Kind::Gwp), FieldValue::Expr(e)) => match &e.kind {
                    ExprKind::Path(p) if p.len() == 1 => match self.decl_scope.get(p[0].name.as_str()).copied() {
                        Some(g) if self.decls[g as usize].kind == Kind::Gwp => header.gwp = Some(g),
                        // Not declared yet, or not a GWP set: looked up again once
                        // every declaration is declared (order does not matter).
                        _ if kind == Kind::Inventory => self.gwp_later = Some((p[0].name.clone(), e.span)),
                        _ => self.unknown_gwp(&p[0].name, e.span),
                    },
                    _ => self.diags.push(
                        Diag::error("carbon::check::field_type", "`gwp` names a GWP set")
                            .at(e.span, "expected a name such as AR6"),
                    ),
                },
                (
                    FieldType::Word(_) | FieldType::Ref(_) | FieldType::Target | FieldType::Scope,
                    FieldValue::Text(_, sp),
                )
                | (FieldType::Quantity, FieldValue::Text(_, sp)) => {
                    self.diags.push(
                        Diag::error(
                            "carbon::check::field_type",
                            format!("the field `{fname}` does not take quoted text"),
                        )
                        .at(*sp, "text here")
                        .help(format!("{}: {}", fname, spec.meaning)),
                    );
                }
                (_, FieldValue::Notation(n)) => {
                    // Zero in the unit the field takes, exact.
                    let unit: Option<UnitExpr> = match &tmpl {
                        Some(t) => spec_ix.and_then(|j| t.fields.get(j)).and_then(|x| x.key.clone()),
                        None => None,
                    };
                    let keyed = |t: &kinds::Template| {
                        if let Some(h) = &t.notation_help {
                            return h.clone();
                        }
                        let ks: Vec<String> = t
                            .fields
                            .iter()
                            .filter(|x| x.key.is_some())
                            .map(|x| format!("`{}`", x.name))
                            .collect();
                        match ks.is_empty() {
                            true => format!("no field of `{}` takes a notation key (a kind gives a field `key UNIT` for that)", t.name),
                            false => format!("a notation key (NE, NO, IE, NA) stands for the figure a term is proportional to: here {}", ks.join(", ")),
                        }
                    };
                    let user_help = tmpl.as_ref().map(|t| keyed(t));
                    let no_unit = unit.is_none();
                    let (Some(u), false) = (unit, n.reason.trim().is_empty()) else {
                        let d = if no_unit {
                            Diag::error(
                                "carbon::names::notation_key",
                                format!("a notation key cannot stand for `{fname}` of `{}`", kind.word()),
                            )
                            .at(n.span, format!("{} ({}) here", n.key.word(), n.key.meaning()))
                            .help(match kind {
                                Kind::User(_) => user_help.unwrap_or_default(),
                                _ => format!("a notation key (NE, NO, IE, NA) stands for the figure a term is proportional to; no field of `{}` takes one", kind.word()),
                            })
                        } else {
                            Diag::error(
                                "carbon::names::notation_key",
                                format!("the notation key {} has an empty reason", n.key.word()),
                            )
                            .at(n.span, "no reason")
                            .help(format!(
                                "say why there is no figure: `{fname} {} \"the paper gives no figure\"`",
                                n.key.word()
                            ))
                        };
                        self.diags.push(d);
                        continue;
                    };
                    let prov = self.prov(&f.prov);
                    let full = dotted(&name, fname);
                    let meaning = field_meaning(self, spec_ix, spec.meaning);
                    let id = self.field_sym(full, f, did, prov, meaning, kind, prelude);
                    self.irs[id as usize] = Some(Ir {
                        op: IrOp::Lit {
                            value: 0.0,
                            unit: Some(Arc::new(u)),
                            precision: 0.0,
                        },
                        span: n.span,
                    });
                    info.members.push(id);
                    if let Some(stmts) = f.stmts.as_deref_mut() {
                        self.statements_of(id, stmts, &mut allows);
                    }
                    self.notations.push(NotationInfo {
                        key: n.key,
                        reason: n.reason.clone(),
                        field: id,
                        decl: did,
                        span: n.span,
                    });
                }
                (_, FieldValue::Expr(_)) => {
                    let e = match &mut f.value {
                        FieldValue::Expr(x) => take(x),
                        FieldValue::Text(..) | FieldValue::Notation(_) => continue,
                    };
                    let prov = self.prov(&f.prov);
                    let full: SmolStr = if kind == Kind::Inventory {
                        fname.into()
                    } else {
                        dotted(&name, fname)
                    };
                    let meaning = field_meaning(self, spec_ix, spec.meaning);
                    let id = self.field_sym(full, f, did, prov, meaning, kind, prelude);
                    if let Some(tf) = tmpl.as_ref().zip(spec_ix).and_then(|(t, j)| t.fields.get(j)) {
                        if let kinds::TShape::Quantity(rule) = tf.shape {
                            self.syms[id as usize].rule = rule;
                        }
                    }
                    self.pending.push((id, e));
                    info.members.push(id);
                    if let Some(stmts) = f.stmts.as_deref_mut() {
                        self.statements_of(id, stmts, &mut allows);
                    }
                    if kind == Kind::Inventory && fname == "period" {
                        header.period = Some(id);
                        self.scope.insert("period".into(), id);
                    }
                    if kind == Kind::Inventory {
                        if let Some(i) = ["start", "end", "horizon", "saturation"].iter().position(|&w| w == fname) {
                            header.years[i] = Some(id);
                        }
                    }
                }
            }
        }
        // Required fields.
        for (j, s) in specs.iter().enumerate() {
            // A field of that name was given exactly when its specification matched
            // (beyond 64 specifications, by name).
            let given = match 1u64.checked_shl(j as u32) {
                Some(bit) if kind != Kind::Gwp => matched & bit != 0,
                _ => seen.iter().any(|(n, _)| *n == s.name),
            };
            if s.required && !given && !near.iter().any(|n| n == s.name) {
                let help = match s.name {
                    "period" => "add `period 1 a` inside the braces".to_string(),
                    "gwp" => "add `gwp AR6` (or SAR, TAR, AR4, AR5, AR6_fossil, AR6_non_fossil) inside the braces"
                        .to_string(),
                    other => format!("add `{other} …` inside the braces"),
                };
                self.diags.push(
                    Diag::error(
                        "carbon::check::missing_field",
                        format!("`{}` `{name}` lacks the field `{}`", kind.word(), s.name),
                    )
                    .at(name_span, format!("needs `{}`: {}", s.name, s.meaning))
                    .help(help),
                );
            }
        }
        if let Some(tid) = tid {
            let mut given: kinds::Given = smallvec::smallvec![false; specs.len()];
            for (j, g) in given.iter_mut().enumerate() {
                *g = match 1u64.checked_shl(j as u32) {
                    Some(bit) => matched & bit != 0,
                    None => seen.iter().any(|(n, _)| *n == specs[j].name),
                };
            }
            self.select_use(tid, did, &mut info, &name, given, &mut given_words, &spans, &near);
        }
        if kind == Kind::Inventory {
            self.allow(&info.members, &allows);
            self.header = Some(header);
            info.name = name;
            self.decls.push(info);
            return;
        }
        if kind == Kind::Range {
            if let Some((k, field)) = range_target {
                let min = member(&self.syms, &info, "min");
                let max = member(&self.syms, &info, "max");
                self.ranges.push(RangeInfo {
                    kind: k,
                    field,
                    min,
                    max,
                    decl: did,
                });
            }
        }
        if let Some(&prev) = self.decl_scope.get(name.as_str()) {
            let ps = self.decls[prev as usize].name_span;
            if ps.src == name_span.src {
                self.diags.push(
                    Diag::error("carbon::names::duplicate", format!("`{name}` is declared twice"))
                        .at(name_span, "declared again here")
                        .also(ps, "first declared here")
                        .help("each declaration needs its own name"),
                );
                return;
            }
        }
        self.decl_scope.insert(name.clone(), did);
        if kind != Kind::Gwp && kind != Kind::Range {
            let texts = match kind {
                Kind::User(_) => self.term_texts(did),
                _ => None,
            };
            let (meaning, eq) = match texts {
                Some(x) => x,
                None => (self.text("term"), Text::NONE),
            };
            let id = self.new_sym(Symbol {
                name: name.as_str().into(),
                short_at: 0,
                kind: SymKind::Term { decl: did },
                span: b.span,
                name_span,
                value_at: NO_VALUE,
                prov: Prov::default(),
                meaning,
                eq,
                rule: if matches!(info.group, Some(Group::Sold | Group::Purchased)) {
                    DimRule::Co2e
                } else {
                    DimRule::Co2eRate
                },
                prelude,
            });
            self.bind(&name, id, name_span);
            info.term = Some(id);
        }
        let targets: Vec<SymId> = info.term.into_iter().chain(info.members.iter().copied()).collect();
        self.allow(&targets, &allows);
        info.name = name;
        self.decls.push(info);
    }
}

impl Namer {
    /// Whether a `range` names (`applies k.f`) a kind that is neither built in
    /// nor declared yet.
    fn range_of_later_kind(&self, b: &ast::BlockDecl) -> bool {
        b.fields.iter().any(|f| match (&*f.name.name, &f.value) {
            ("applies", FieldValue::Expr(e)) => match &e.kind {
                ExprKind::Path(p) if p.len() == 2 => {
                    Kind::from_word(&p[0].name).is_none() && !self.kind_ix.contains_key(p[0].name.as_str())
                }
                _ => false,
            },
            _ => false,
        })
    }
}

fn self_text(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Path(p) => p.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join("."),
        ExprKind::Quantity { value, .. } => crate::number::format(*value),
        _ => "this expression".into(),
    }
}
