//! Kinds declared in the language: `kind forest "…" { field … value … term … }`.
//!
//! A kind compiles once to a [`Template`]: its fields with their shapes, its
//! values and terms with their guards, and its place in Eq. 1. A use
//! (`forest north { … }`) is declared by `declare_block` like any block; here it
//! picks its values and term by the guards and is checked for missing and unused
//! fields ([`Namer::select_use`]), and at `finish` each selected formula is
//! lowered with the kind's names bound to the use's members
//! ([`Namer::instantiate`]). A probe, a use whose fields have the declared
//! dimensions, is checked (never evaluated) so that an error in a kind's
//! formulas is reported once, at the kind ([`Namer::probe_kinds`]).

use super::lower::Lookup;
use super::*;
use crate::domain::FieldSpec;

/// Interns a text of a program for the life of the process (kinds' names,
/// meanings and labels, which the tables keep as `&'static str`): kinds are few
/// and small, and a text read again (a REPL reloading a file) is kept once.
pub(crate) fn intern(s: &str) -> &'static str {
    use std::sync::{Mutex, OnceLock};
    static SET: OnceLock<Mutex<rustc_hash::FxHashSet<&'static str>>> = OnceLock::new();
    let set = SET.get_or_init(Default::default);
    let mut set = match set.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    if let Some(&t) = set.get(s) {
        return t;
    }
    let t: &'static str = Box::leak(s.to_owned().into_boxed_str());
    set.insert(t);
    t
}

/// A kind, compiled once.
#[derive(Debug)]
pub(super) struct Template {
    pub name: &'static str,
    pub span: Span,
    pub fields: Vec<TField>,
    /// The fields as `declare_block` reads them, in the same order.
    pub specs: Arc<[FieldSpec]>,
    pub values: Vec<TItem>,
    pub terms: Vec<TItem>,
    pub one_ofs: Vec<ast::KindOneOf>,
    pub groups: Vec<(PlaceVal, Vec<Cond>)>,
    pub parts: Vec<(PlaceVal, Vec<Cond>)>,
    pub flags: Vec<Vec<Cond>>,
    /// The scope of its terms, unless a use says `scope`.
    pub scope: Option<u8>,
    pub prelude: bool,
}

#[derive(Debug)]
pub(super) struct TField {
    pub name: SmolStr,
    pub optional: bool,
    pub shape: TShape,
    /// A quantity's default, lowered for each use that does not give the field.
    pub default: Option<Expr>,
    /// A word field's default.
    pub default_word: Option<&'static str>,
    pub meaning: &'static str,
    pub help: Option<String>,
    pub prov: ast::Provenance,
    /// Whether some value or term reads it.
    pub read: bool,
}

#[derive(Debug)]
pub(super) enum TShape {
    Words(&'static [&'static str]),
    Text,
    Quantity(DimRule),
}

/// A value or a term of a kind.
#[derive(Debug)]
pub(super) struct TItem {
    /// The value's name (empty for a term).
    pub name: SmolStr,
    pub expr: Expr,
    pub meaning: &'static str,
    pub eq: Option<&'static str>,
    pub guard: Vec<Cond>,
    pub rule: DimRule,
    /// The fields its formula reads, by index, and the values.
    pub reads: Vec<usize>,
    pub values: Vec<SmolStr>,
    pub span: Span,
}

/// A condition of a guard: the field is given, or a word field has this word.
#[derive(Clone, Debug)]
pub(super) struct Cond {
    pub field: usize,
    pub word: Option<&'static str>,
}

#[derive(Clone, Debug)]
pub(super) enum PlaceVal {
    Word(&'static str),
    Field(usize),
}

/// What a use of a declared kind selected (see [`Namer::select_use`]).
#[derive(Debug)]
pub(super) struct Use {
    pub template: u16,
    /// Which fields are given, by index.
    pub given: Vec<bool>,
    /// Values, by index, in order.
    pub values: Vec<usize>,
    pub term: Option<usize>,
}

const GROUPS: &[&str] = &["above", "under", "sinks", "sold", "purchased"];
const PARTS: &[&str] = &["mining", "residential", "road", "agricultural"];

impl Namer {
    /// Declares `kind name { … }`: compiles its template (errors at the kind).
    pub(super) fn declare_kind(&mut self, k: &ast::KindDecl) {
        let name = k.name.name.as_str();
        if Kind::from_word(name).is_some() {
            self.diags.push(
                Diag::error("carbon::kinds::duplicate", format!("`{name}` is a built-in kind"))
                    .at(k.name.span, "already a kind")
                    .help("choose another name for the kind"),
            );
            return;
        }
        if let Some(&prev) = self.kind_ix.get(name) {
            let ps = self.kinds[prev as usize].span;
            if ps.src == k.span.src {
                self.diags.push(
                    Diag::error(
                        "carbon::kinds::duplicate",
                        format!("the kind `{name}` is declared twice"),
                    )
                    .at(k.name.span, "declared again here")
                    .also(
                        Span {
                            end: ps.start + 4,
                            ..ps
                        },
                        "first declared here",
                    )
                    .help("each kind needs its own name"),
                );
                return;
            }
        }
        let prelude = self.is_prelude(k.span);
        let mut t = Template {
            name: intern(name),
            span: k.span,
            fields: Vec::new(),
            specs: Arc::from(Vec::new()),
            values: Vec::new(),
            terms: Vec::new(),
            one_ofs: Vec::new(),
            groups: Vec::new(),
            parts: Vec::new(),
            flags: Vec::new(),
            scope: None,
            prelude,
        };
        let mut ok = true;
        let mut seen: Vec<(&str, Span)> = Vec::new();
        for item in &k.items {
            let ast::KindItem::Field(f) = item else { continue };
            let fname = f.name.name.as_str();
            if let Some((_, prev)) = seen.iter().find(|(n, _)| *n == fname) {
                self.diags.push(
                    Diag::error("carbon::kinds::duplicate", format!("`{name}` has two fields `{fname}`"))
                        .at(f.name.span, "declared again here")
                        .also(*prev, "first declared here")
                        .help("give each field its own name"),
                );
                ok = false;
                continue;
            }
            seen.push((fname, f.name.span));
            if RESERVED.contains(&fname) {
                self.diags.push(
                    Diag::error(
                        "carbon::names::reserved",
                        format!("`{fname}` is a name of the balance itself"),
                    )
                    .at(f.name.span, "reserved name")
                    .help(format!(
                        "`{fname}` is one of {}; choose another name",
                        RESERVED.join(", ")
                    )),
                );
                ok = false;
                continue;
            }
            let shape = match &f.shape.kind {
                ast::ShapeKind::OneOf(words) => {
                    let ws: Vec<&'static str> = words.iter().map(|w| intern(&w.name)).collect();
                    TShape::Words(Box::leak(ws.into_boxed_slice()))
                }
                ast::ShapeKind::Text => TShape::Text,
                ast::ShapeKind::Quantity { flow, what } => {
                    let want = f.opts.iter().find_map(|o| match &o.kind {
                        ast::FieldOptKind::Want(w) => Some(w),
                        _ => None,
                    });
                    TShape::Quantity(self.pattern(*flow, what, want.map(|w| &**w)))
                }
            };
            let mut default = None;
            let mut default_word = None;
            if let Some(d) = &f.default {
                match &shape {
                    TShape::Words(ws) => {
                        let w = match &d.kind {
                            ExprKind::Path(p) if p.len() == 1 => ws.iter().copied().find(|w| *w == p[0].name),
                            _ => None,
                        };
                        match w {
                            Some(w) => default_word = Some(w),
                            None => {
                                self.diags.push(
                                    Diag::error(
                                        "carbon::check::field_word",
                                        format!("the default of `{fname}` is not one of its words"),
                                    )
                                    .at(d.span, format!("expected one of: {}", ws.join(", "))),
                                );
                                ok = false;
                            }
                        }
                    }
                    TShape::Text => {
                        self.diags.push(
                            Diag::error(
                                "carbon::kinds::place",
                                format!("the text field `{fname}` has a default"),
                            )
                            .at(d.span, "a text field takes no default")
                            .help("remove `= …`"),
                        );
                        ok = false;
                    }
                    TShape::Quantity(_) => default = Some(d.clone()),
                }
            }
            let help = f.opts.iter().find_map(|o| match &o.kind {
                ast::FieldOptKind::Help((h, _)) => Some(h.clone()),
                _ => None,
            });
            t.fields.push(TField {
                name: f.name.name.clone(),
                optional: f.optional,
                shape,
                default,
                default_word,
                meaning: intern(&f.meaning.0),
                help,
                prov: f.prov.clone(),
                read: false,
            });
        }
        if !t.fields.iter().any(|f| f.name == "note") {
            t.fields.push(TField {
                name: "note".into(),
                optional: true,
                shape: TShape::Text,
                default: None,
                default_word: None,
                meaning: "free text shown with the term",
                help: None,
                prov: ast::Provenance::default(),
                read: false,
            });
        }
        let field_ix = |t: &Template, n: &str| t.fields.iter().position(|f| f.name == n);
        // Values and terms.
        let value_names: Vec<SmolStr> = k
            .items
            .iter()
            .filter_map(|i| match i {
                ast::KindItem::Value(v) => Some(v.name.name.clone()),
                _ => None,
            })
            .collect();
        for item in &k.items {
            let (name_id, expr, meaning, opts, guard, shape, span, is_value) = match item {
                ast::KindItem::Value(v) => (
                    Some(&v.name),
                    &v.expr,
                    &v.meaning,
                    &v.opts,
                    &v.guard,
                    v.shape.as_ref(),
                    v.span,
                    true,
                ),
                ast::KindItem::Term(x) => (None, &x.expr, &x.meaning, &x.opts, &x.guard, None, x.span, false),
                _ => continue,
            };
            if let Some(n) = name_id {
                if let Some(j) = field_ix(&t, &n.name) {
                    let _ = j;
                    self.diags.push(
                        Diag::error(
                            "carbon::kinds::duplicate",
                            format!("`{name}` has a field and a value named `{}`", n.name),
                        )
                        .at(n.span, "a value named like a field")
                        .help("rename the value"),
                    );
                    ok = false;
                    continue;
                }
            }
            let Some(guard) = self.guard(&t, guard.as_ref()) else {
                ok = false;
                continue;
            };
            let rule = match shape {
                Some(s) => match &s.kind {
                    ast::ShapeKind::Quantity { flow, what } => self.pattern(*flow, what, opts.want.as_deref()),
                    _ => {
                        self.diags.push(
                            Diag::error("carbon::kinds::place", "a value is a quantity")
                                .at(s.span, "not a quantity's shape")
                                .help("write a dimension (`C/length^2`), `flow substance` or `any`"),
                        );
                        ok = false;
                        continue;
                    }
                },
                None => DimRule::Any,
            };
            let mut names = Vec::new();
            names_in(expr, &mut names);
            let reads: Vec<usize> = names.iter().filter_map(|n| field_ix(&t, n)).collect();
            let values: Vec<SmolStr> = names
                .iter()
                .filter(|n| value_names.iter().any(|v| v == *n))
                .map(SmolStr::new)
                .collect();
            let it = TItem {
                name: name_id.map(|n| n.name.clone()).unwrap_or_default(),
                expr: expr.clone(),
                meaning: intern(&meaning.0),
                eq: opts.eq.as_ref().map(|e| intern(&e.0)),
                guard,
                rule,
                reads,
                values,
                span,
            };
            if is_value {
                t.values.push(it);
            } else {
                t.terms.push(it);
            }
        }
        for it in t.values.iter().chain(&t.terms) {
            for &r in &it.reads {
                t.fields[r].read = true;
            }
        }
        for item in &k.items {
            match item {
                ast::KindItem::OneOf(o) => {
                    for set in &o.sets {
                        for f in set {
                            if field_ix(&t, &f.name).is_none() {
                                self.unknown_in_kind(&t, &f.name, f.span, false);
                                ok = false;
                            }
                        }
                    }
                    t.one_ofs.push((**o).clone());
                }
                ast::KindItem::Place(p) => {
                    let Some(guard) = self.guard(&t, p.guard.as_ref()) else {
                        ok = false;
                        continue;
                    };
                    let v = p.value.name.as_str();
                    let list = match p.word {
                        ast::PlaceWord::Group => Some(GROUPS),
                        ast::PlaceWord::Part => Some(PARTS),
                        ast::PlaceWord::Scope | ast::PlaceWord::Gas => None,
                    };
                    if p.word == ast::PlaceWord::Scope {
                        match v {
                            "1" | "2" | "3" => t.scope = v.parse().ok(),
                            _ => {
                                self.diags.push(
                                    Diag::error("carbon::kinds::place", format!("`{v}` is not a scope"))
                                        .at(p.value.span, "expected 1, 2 or 3")
                                        .help("a scope is 1 (direct), 2 (purchased electricity, heat or steam) or 3 (other indirect)"),
                                );
                                ok = false;
                            }
                        }
                        continue;
                    }
                    let Some(list) = list else {
                        // `gas`: the report finds each term's gas from its code.
                        continue;
                    };
                    let what = if p.word == ast::PlaceWord::Group {
                        "group"
                    } else {
                        "part"
                    };
                    let place = match (field_ix(&t, v), list.iter().copied().find(|w| *w == v)) {
                        (Some(j), _) => match &t.fields[j].shape {
                            TShape::Words(ws) if ws.iter().all(|w| list.contains(w)) => Some(PlaceVal::Field(j)),
                            _ => None,
                        },
                        (None, Some(w)) => Some(PlaceVal::Word(w)),
                        (None, None) => None,
                    };
                    match place {
                        Some(pl) if p.word == ast::PlaceWord::Group => t.groups.push((pl, guard)),
                        Some(pl) => t.parts.push((pl, guard)),
                        None => {
                            self.diags.push(
                                Diag::error("carbon::kinds::place", format!("`{v}` is not a {what} of the balance"))
                                    .at(
                                        p.value.span,
                                        format!("expected one of {}, or a word field whose words are", list.join(", ")),
                                    )
                                    .help(format!(
                                        "write `{what} {}`, or `{what} f` where the field `f` is `one of` those words",
                                        list[0]
                                    )),
                            );
                            ok = false;
                        }
                    }
                }
                ast::KindItem::Flag(f) => {
                    if f.code.name != "stock_as_removal" {
                        self.diags.push(
                            Diag::error(
                                "carbon::kinds::place",
                                format!("`{}` is not a flag the audit knows", f.code.name),
                            )
                            .at(f.code.span, "unknown flag")
                            .help("the flags are: stock_as_removal"),
                        );
                        ok = false;
                        continue;
                    }
                    if let Some(g) = self.guard(&t, Some(&f.guard)) {
                        t.flags.push(g);
                    }
                }
                _ => {}
            }
        }
        if t.terms.is_empty() && ok {
            self.diags.push(
                Diag::error("carbon::kinds::no_term", format!("the kind `{name}` has no term"))
                    .at(k.name.span, "contributes nothing to the balance")
                    .help("add `term co2e(per_period(amount)) \"…\"`: what a use adds to its group"),
            );
            ok = false;
        }
        if t.groups.is_empty() && ok {
            self.diags.push(
                Diag::error("carbon::kinds::place", format!("the kind `{name}` has no group"))
                    .at(k.name.span, "in no group of Eq. 1")
                    .help("add `group above` (emissions), `group under` or `group sinks` (removals)"),
            );
            ok = false;
        }
        if !ok {
            // Its uses are refused with one error each, naming it (see `select_use`).
            self.broken_kinds.push(SmolStr::new(name));
            return;
        }
        let scope = t.scope.map(|_| FieldSpec {
            name: "scope",
            ty: FieldType::Scope,
            required: false,
            meaning: "the term's scope: 1 (direct), 2 (purchased energy) or 3 (other indirect)",
        });
        t.specs = t
            .fields
            .iter()
            .map(|f| FieldSpec {
                name: intern(&f.name),
                ty: match &f.shape {
                    TShape::Words(ws) => FieldType::Word(ws),
                    TShape::Text => FieldType::Text,
                    TShape::Quantity(_) => FieldType::Quantity,
                },
                required: false,
                meaning: f.meaning,
            })
            .chain(scope)
            .collect();
        let id = self.kinds.len() as u16;
        self.kind_ix.insert(SmolStr::new(name), id);
        self.kinds.push(Arc::new(t));
    }

    /// A guard's conditions, each naming a field (and a word of it).
    fn guard(&mut self, t: &Template, g: Option<&ast::Guard>) -> Option<Vec<Cond>> {
        let mut out = Vec::new();
        let Some(g) = g else { return Some(out) };
        for c in &g.conditions {
            let Some(j) = t.fields.iter().position(|f| f.name == c.field.name) else {
                self.unknown_in_kind(t, &c.field.name, c.field.span, false);
                return None;
            };
            let word = match (&c.word, &t.fields[j].shape) {
                (None, _) => None,
                (Some(w), TShape::Words(ws)) => match ws.iter().copied().find(|x| *x == w.name) {
                    Some(x) => Some(x),
                    None => {
                        let mut d = Diag::error(
                            "carbon::check::field_word",
                            format!("`{}` is not a valid `{}`", w.name, c.field.name),
                        )
                        .at(w.span, format!("expected one of: {}", ws.join(", ")));
                        if let Some(s) = suggest::closest(&w.name, ws.iter().copied()) {
                            d = d.help(format!("did you mean `{s}`?"));
                        }
                        self.diags.push(d);
                        return None;
                    }
                },
                (Some(w), _) => {
                    self.diags.push(
                        Diag::error(
                            "carbon::kinds::place",
                            format!("`{}` is not a word field", c.field.name),
                        )
                        .at(w.span, "only a `one of` field has words")
                        .help(format!("write `when {}` for \"when it is given\"", c.field.name)),
                    );
                    return None;
                }
            };
            out.push(Cond { field: j, word });
        }
        Some(out)
    }

    /// `carbon::kinds::unknown_name`: a name in a kind that is neither its field
    /// or value nor (with `global`) a global name.
    fn unknown_in_kind(&mut self, t: &Template, name: &str, span: Span, global: bool) {
        let own: Vec<&str> = t
            .fields
            .iter()
            .map(|f| f.name.as_str())
            .chain(t.values.iter().map(|v| v.name.as_str()))
            .collect();
        let mut d = Diag::error(
            "carbon::kinds::unknown_name",
            format!("`{}` has no field or value `{name}`", t.name),
        )
        .at(
            span,
            if global {
                "not a field, a value or a global name"
            } else {
                "not a field"
            },
        );
        let near = suggest::closest(name, own.iter().copied()).or_else(|| {
            global
                .then(|| suggest::closest(name, self.scope.keys().map(|k| k.as_str())))
                .flatten()
        });
        d = match near {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help(format!("the fields and values of `{}` are: {}", t.name, own.join(", "))),
        };
        self.diags.push(d);
    }

    /// The rule of a quantity's shape: a new pattern, resolved at `finish`.
    fn pattern(&mut self, flow: bool, what: &ast::ShapeDim, want: Option<&ast::Want>) -> DimRule {
        let (w, e) = match want {
            Some(w) => (intern(&w.want.0), intern(&w.example.0)),
            None => ("", ""),
        };
        let (what, expr) = match what {
            ast::ShapeDim::Any => (PatternDim::Any, None),
            ast::ShapeDim::Substance => (PatternDim::Substance, None),
            ast::ShapeDim::Dim(u) => (PatternDim::Dim(crate::units::Dim::ONE), Some(u.clone())),
        };
        if !flow && what == PatternDim::Any && want.is_none() {
            return DimRule::Any;
        }
        let Ok(i) = u16::try_from(self.patterns.len()) else {
            return DimRule::Any;
        };
        self.patterns.push(Pattern {
            flow,
            what,
            want: w,
            example: e,
        });
        self.pattern_dims.push(expr);
        DimRule::Pattern(i)
    }

    /// Resolves the dimensions of the patterns (the units are built), and words
    /// their errors where the kind did not.
    pub(super) fn resolve_patterns(&mut self, units: &mut Units) {
        for i in 0..self.patterns.len() {
            if let Some(u) = self.pattern_dims[i].take() {
                match shape_dim(&u, units) {
                    Ok(d) => self.patterns[i].what = PatternDim::Dim(d),
                    Err((name, span)) => {
                        let dims: Vec<String> = units.bases.iter().map(|b| b.name.clone()).collect();
                        let mut d = Diag::error(
                            "carbon::units::unknown_dimension",
                            format!("there is no dimension `{name}`"),
                        )
                        .at(span, "not a dimension");
                        d = d.help(suggest::help(&name, dims.iter().map(|s| s.as_str()), || {
                            format!(
                                "the dimensions are: {}; a unit's name (`MWh`) stands for its dimension",
                                dims.join(", ")
                            )
                        }));
                        self.diags.push(d);
                        self.patterns[i].what = PatternDim::Any;
                        self.patterns[i].flow = false;
                    }
                }
            }
            let p = &self.patterns[i];
            if p.want.is_empty() {
                let per = if p.flow { ", per period or per year" } else { "" };
                let (want, example) = match &p.what {
                    PatternDim::Any => ("anything".to_string(), String::new()),
                    PatternDim::Substance => (
                        format!("an amount of one substance (tCO2, tCH4, …){per}"),
                        "647.96 tCH4/a".to_string(),
                    ),
                    PatternDim::Dim(d) => {
                        let u = units.dunit_for_dim(d);
                        (
                            format!("{}{per}", units.describe_dim(d)),
                            format!("1 {}", units.format_dunit(&u)),
                        )
                    }
                };
                self.patterns[i].want = intern(&want);
                self.patterns[i].example = intern(&example);
            }
        }
    }

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
            Kind::User(w) => self.kind_ix.get(w).map(|&i| self.kinds[i as usize].clone()),
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
            let mut prov = self.prov(&f.prov);
            if f.prov.is_empty() {
                // Not a figure of the use: the kind's, and said so.
                prov.assumed = Some(Box::new(format!("the default of `{}`", t.name)));
            }
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

/// The dimension of a shape (`C/length^2`), or the unknown name and its span.
/// A word is a dimension's name or, failing that, a unit's (`flow MWh`: energy).
fn shape_dim(u: &UnitExpr, units: &mut Units) -> Result<crate::units::Dim, (String, Span)> {
    let mut d = crate::units::Dim::ONE;
    for f in &u.factors {
        let x = match &f.base {
            UnitBase::Atom(a) if a == "1" => crate::units::Dim::ONE,
            UnitBase::Atom(a) => match (units.base_index(a), units.lookup(a)) {
                (Some(i), _) => crate::units::Dim::base(i),
                (None, Some((_, d))) => d,
                (None, None) => return Err((a.to_string(), f.span)),
            },
            UnitBase::Group(g) => shape_dim(g, units)?,
        };
        let Some(p) = x.pow(f.exp) else {
            return Err((format!("{:?}", f.exp), f.span));
        };
        d = d.mul(&p).unwrap_or(d);
    }
    Ok(d)
}

/// The bare names an expression reads (`amount`, not `coal.amount`).
fn names_in<'e>(e: &'e Expr, out: &mut Vec<&'e str>) {
    match &e.kind {
        ExprKind::Path(p) if p.len() == 1 => {
            if !out.contains(&p[0].name.as_str()) {
                out.push(&p[0].name)
            }
        }
        ExprKind::Path(_) => {}
        ExprKind::Quantity { unit, .. } => {
            // `2 area`: a word after a number may be a name.
            if let Some(u) = unit {
                for f in &u.factors {
                    if let UnitBase::Atom(a) = &f.base {
                        if !out.contains(&a.as_str()) {
                            out.push(a);
                        }
                    }
                }
            }
        }
        ExprKind::Neg(x) | ExprKind::Convert(x, _) => names_in(x, out),
        ExprKind::Binary(_, a, b) => {
            names_in(a, out);
            names_in(b, out);
        }
        ExprKind::Chain(c) => {
            names_in(&c.first, out);
            for (_, x) in c.rest.iter() {
                names_in(x, out);
            }
        }
        ExprKind::Call(c) => {
            for a in &c.args {
                names_in(a, out);
            }
        }
    }
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
