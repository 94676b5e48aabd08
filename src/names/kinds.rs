//! Kinds declared in the language: `kind forest "…" { field … value … term … }`.
//!
//! A kind compiles once to a [`Template`]: its fields with their shapes, its
//! values and terms with their guards, its place in Eq. 1, its fields' bounds.
//! A use (`forest north { … }`) is declared by `declare_block` like any block
//! and instantiated from the template (instantiate.rs), where a probe, a use
//! whose fields have the declared dimensions, checks each kind once.

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
    pub kind_name: crate::domain::KindName,
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
    /// `notation help "…"`: the help of `notation_key` on a field without `key`.
    pub notation_help: Option<String>,
    /// The citations of each value and each field's default, numbered at
    /// `finish` (see [`Namer::resolve_citations`]).
    pub cited: std::sync::OnceLock<Cited>,
    pub prelude: bool,
    /// What its uses share, worked out once (`instantiate.rs`).
    pub cache: super::instantiate::Cache,
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
    /// `key UNIT`: a notation key may stand for it, as 0 in this unit.
    pub key: Option<UnitExpr>,
    /// `min`, `above`, `max` and `negative warn`, checked by the audit.
    pub bounds: Vec<ast::FieldOptKind>,
    /// `is gwp`: audited against the IPCC sets, like a `gas`'s `gwp`.
    pub gwp: bool,
}

#[derive(Debug)]
pub(super) enum TShape {
    Words(&'static [&'static str]),
    Text,
    Quantity(DimRule),
}

/// The citations of a kind's uses' members, by index (`from`, `assumed`).
#[derive(Debug, Default)]
pub(super) struct Cited {
    /// Each field's default (none for a field without one).
    pub fields: Vec<Prov>,
    pub values: Vec<Prov>,
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
    /// `from …` or `assumed "…"`: the citation of each use's value.
    pub prov: ast::Provenance,
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

    /// Values, by index, in order (shared by the uses that select alike).
    pub values: Arc<[usize]>,
    pub term: Option<u16>,
}

/// The meanings and equations of a kind's fields, values and terms, numbered
/// once ([`Namer::kind_texts`]): each use's symbols have them.
#[derive(Debug, Default)]
pub(super) struct KindTexts {
    pub fields: Vec<Text>,
    /// Whether a field's meaning is no other field's: then a use's field
    /// symbol is known by its meaning alone.
    pub unique: Vec<bool>,
    pub values: Vec<(Text, Text)>,
    pub terms: Vec<(Text, Text)>,
}

/// Which fields a use gives, by index (on the stack up to 32 fields).
pub(super) type Given = smallvec::SmallVec<[bool; 32]>;

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
            if self.is_prelude(ps) && !self.is_prelude(k.span) {
                self.kind_shadows.push((intern(name), k.name.span));
            }
        }
        let prelude = self.is_prelude(k.span);
        let Some(kind_name) = crate::domain::KindName::of(intern(name)) else {
            self.diags.push(
                Diag::error("carbon::kinds::too_many", "too many kinds")
                    .at(k.name.span, "one kind too many")
                    .help("carbon holds 65,535 kind names a process"),
            );
            return;
        };
        let mut t = Template {
            name: intern(name),
            kind_name,
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
            notation_help: None,
            cited: std::sync::OnceLock::new(),
            prelude,
            cache: Default::default(),
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
            // A field is a member (`x.sold`), so a name of the balance is free here.
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
                    TShape::Quantity(self.pattern(*flow, what, want.map(|w| &**w), None, f.shape.span))
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
            let key = f.opts.iter().find_map(|o| match &o.kind {
                ast::FieldOptKind::Key(u) => Some(u.clone()),
                _ => None,
            });
            let bounds = f
                .opts
                .iter()
                .filter(|o| {
                    matches!(
                        o.kind,
                        ast::FieldOptKind::Min(..)
                            | ast::FieldOptKind::Above(..)
                            | ast::FieldOptKind::Max(..)
                            | ast::FieldOptKind::NegativeWarn(_)
                    )
                })
                .map(|o| o.kind.clone())
                .collect();
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
                key,
                bounds,
                gwp: f.opts.iter().any(|o| matches!(o.kind, ast::FieldOptKind::IsGwp)),
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
                key: None,
                bounds: Vec::new(),
                gwp: false,
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
                    ast::ShapeKind::Quantity { flow, what } => {
                        let help = opts.help.as_ref().map(|(h, _)| h.as_str());
                        self.pattern(*flow, what, opts.want.as_deref(), help, s.span)
                    }
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
                prov: opts.prov.clone(),
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
                    // A word field whose words are groups (parts), else the word itself.
                    let word_field = field_ix(&t, v).filter(|&j| match &t.fields[j].shape {
                        TShape::Words(ws) => ws.iter().all(|w| list.contains(w)),
                        _ => false,
                    });
                    let place = match (word_field, list.iter().copied().find(|w| *w == v)) {
                        (Some(j), _) => Some(PlaceVal::Field(j)),
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
                ast::KindItem::NotationHelp((h, _), _) => t.notation_help = Some(h.clone()),
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
    pub(super) fn unknown_in_kind(&mut self, t: &Template, name: &str, span: Span, global: bool) {
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

    /// The rule of a quantity's shape: a new pattern, resolved at `finish`;
    /// `help`, a value's `help "…"`: the help of `wrong_kind` when it fails.
    fn pattern(
        &mut self,
        flow: bool,
        what: &ast::ShapeDim,
        want: Option<&ast::Want>,
        help: Option<&str>,
        span: Span,
    ) -> DimRule {
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
        let help = help.map_or("", intern);
        // Equal shapes (with equal words) share a pattern.
        let key = format!(
            "{flow} {} {w}\u{0} {e}\u{0} {help}",
            expr.as_ref().map_or(format!("{what:?}"), shape_key)
        );
        if let Some(&i) = self.pattern_ix.get(&key) {
            return DimRule::Pattern(i);
        }
        let Ok(i) = u8::try_from(self.patterns.len()) else {
            // Once: every shape after it is refused alike.
            if self.diags.iter().any(|d| d.code == "carbon::kinds::too_many") {
                return DimRule::Any;
            }
            self.diags.push(
                Diag::error("carbon::kinds::too_many", "more than 256 different field shapes")
                    .at(span, "one shape too many")
                    .help("kinds share equal shapes: write the same dimension the same way"),
            );
            return DimRule::Any;
        };
        self.pattern_ix.insert(key, i);
        self.patterns.push(Pattern {
            flow,
            what,
            want: w,
            example: e,
            help,
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

    /// Numbers the citations of the kinds' values and defaults, once every
    /// source is declared (and, streaming, every citation settled): each use's
    /// value or default gets its kind's. Before `report_unknowns`, which reports
    /// a source no one declared.
    pub(super) fn resolve_citations(&mut self) {
        // Every source is known now: number each citation at once.
        let streaming = std::mem::replace(&mut self.streaming, false);
        for ti in 0..self.kinds.len() {
            let t = self.kinds[ti].clone();
            let fields = t
                .fields
                .iter()
                .map(|f| match (&f.default, f.prov.is_empty()) {
                    (None, _) => Prov::default(),
                    (Some(_), false) => self.prov(&f.prov),
                    // Not a figure of the use: the kind's, and said so.
                    (Some(_), true) => Prov::assumption(format!("the default of `{}`", t.name)),
                })
                .collect();
            let values = t.values.iter().map(|v| self.prov(&v.prov)).collect();
            let _ = t.cited.set(Cited { fields, values });
        }
        self.streaming = streaming;
    }

    /// The bounds of the declared kinds' fields, in base units (the units are
    /// built): what the audit's `out_of_range` and `negative` read.
    pub(super) fn resolve_bounds(&mut self, units: &mut Units) {
        for ti in 0..self.kinds.len() {
            let t = self.kinds[ti].clone();
            if self.kinds[ti + 1..].iter().any(|x| x.kind_name == t.kind_name) {
                // Shadowed by a later kind of the same name: its uses are the later's.
                continue;
            }
            for f in t.fields.iter().filter(|f| !f.bounds.is_empty() || f.gwp) {
                let mut b = FieldBound {
                    kind: t.kind_name,
                    field: intern(&f.name),
                    meaning: self.text(f.meaning),
                    lo: f64::NEG_INFINITY,
                    hi: f64::INFINITY,
                    open: false,
                    why: "",
                    negative: None,
                    gwp: f.gwp,
                };
                for o in &f.bounds {
                    let (e, why) = match o {
                        ast::FieldOptKind::NegativeWarn((h, _)) => {
                            b.negative = Some(intern(h));
                            continue;
                        }
                        ast::FieldOptKind::Min(e, w)
                        | ast::FieldOptKind::Above(e, w)
                        | ast::FieldOptKind::Max(e, w) => (e, w),
                        _ => continue,
                    };
                    let Some(v) = bound_value(e, units) else {
                        self.diags.push(
                            Diag::error("carbon::kinds::place", "a bound is a number with its unit")
                                .at(e.span, "not a number")
                                .help("write the bound as a number, with the field's unit if it has one: `min 0`, `max 100 %`, `above 0 a`"),
                        );
                        continue;
                    };
                    match o {
                        ast::FieldOptKind::Max(..) => b.hi = v,
                        ast::FieldOptKind::Above(..) => {
                            b.lo = v;
                            b.open = true;
                        }
                        _ => b.lo = v,
                    }
                    if b.why.is_empty() {
                        if let Some((w, _)) = why {
                            b.why = intern(w);
                        }
                    }
                }
                if b.why.is_empty() {
                    b.why = "the kind does not allow this value";
                }
                self.bounds.push(b);
            }
        }
        // By kind, for `Resolved::bounds_of`.
        self.bounds.sort_by_key(|b| b.kind);
    }
}

/// The dimension of a shape (`C/length^2`), or the unknown name and its span.
/// A dimension as written, without its spans: `C^1 length^-2`.
fn shape_key(u: &UnitExpr) -> String {
    let mut k = String::new();
    for f in &u.factors {
        match &f.base {
            UnitBase::Atom(a) => k.push_str(a),
            UnitBase::Group(g) => {
                k.push('(');
                k.push_str(&shape_key(g));
                k.push(')');
            }
        }
        k.push_str(&format!("^{:?} ", f.exp));
    }
    k
}

/// A bound as written (`0`, `100 %`, `-5 t`), in base units.
fn bound_value(e: &Expr, units: &mut Units) -> Option<f64> {
    match &e.kind {
        ExprKind::Quantity { value, unit, .. } => {
            let scale = match unit {
                Some(u) => units.resolve_shared(u).ok()?.0,
                None => 1.0,
            };
            Some(value * scale)
        }
        ExprKind::Neg(x) => bound_value(x, units).map(|v| -v),
        _ => None,
    }
}

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
