//! What the names stage hands on: symbols, declarations, provenance, and the
//! resolved program's tables.

use super::*;

pub type DeclId = u32;

/// Where a value comes from.
#[derive(Clone, Debug, Default)]
pub struct Prov {
    /// Citations: indices into `Resolved::sources` (one, inline, for most values).
    pub sources: Sources,
    /// Why the value is assumed, if it is: see [`Prov::assumed`]. Behind one thin
    /// pointer (8 bytes, where a `Box<str>` takes 16): most values cite a source.
    #[allow(clippy::box_collection)] // on purpose: the thin pointer is the point
    pub(super) assumed: Option<Box<String>>,
}

impl Prov {
    /// Why the value is assumed, if it is (`assumed "…"`).
    pub fn assumed(&self) -> Option<&str> {
        self.assumed.as_deref().map(String::as_str)
    }

    /// An assumption, with no source (a value changed in a REPL session).
    pub fn assumption(reason: impl Into<String>) -> Prov {
        Prov {
            sources: Sources::None,
            assumed: Some(Box::new(reason.into())),
        }
    }
}

/// A value's citations, indices into `Resolved::sources`, read as a slice. Most
/// values cite none or one, kept inline: 16 bytes, where a vector takes 24.
#[derive(Clone, Default)]
pub enum Sources {
    #[default]
    None,
    One(usize),
    Many(Box<Vec<usize>>),
}

impl Sources {
    pub fn push(&mut self, i: usize) {
        *self = match std::mem::take(self) {
            Sources::None => Sources::One(i),
            Sources::One(a) => Sources::Many(Box::new(vec![a, i])),
            Sources::Many(mut v) => {
                v.push(i);
                Sources::Many(v)
            }
        };
    }
}

impl Sources {
    /// Replaces each index by `f`'s, dropping those it maps to `None`.
    pub(super) fn remap(&mut self, f: impl Fn(usize) -> Option<usize>) {
        if self.is_empty() {
            return;
        }
        let old = std::mem::take(self);
        for &i in old.iter() {
            if let Some(j) = f(i) {
                self.push(j);
            }
        }
    }
}

impl std::ops::Deref for Sources {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        match self {
            Sources::None => &[],
            Sources::One(i) => std::slice::from_ref(i),
            Sources::Many(v) => v,
        }
    }
}

impl<'a> IntoIterator for &'a Sources {
    type Item = &'a usize;
    type IntoIter = std::slice::Iter<'a, usize>;
    fn into_iter(self) -> Self::IntoIter {
        self[..].iter()
    }
}

impl std::fmt::Debug for Sources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[derive(Clone, Debug)]
pub struct SourceInfo {
    pub name: String,
    pub text: String,
    pub span: Span,
}

/// What a symbol's dimension must be, checked after inference.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum DimRule {
    Any,
    /// time (the inventory's `period`)
    Time,
    /// CO2e per time
    Co2eRate,
    /// CO2e
    Co2e,
    /// The shape of a field or value of a kind declared in the language: an
    /// index into [`Resolved::patterns`] (one byte, so that a symbol stays the
    /// size it was: equal shapes share one).
    Pattern(u8),
}

impl DimRule {
    /// How many rules there are besides patterns.
    pub const BUILTIN: usize = 4;

    /// A small number for the rule: the built-in rules first, then the patterns.
    pub fn index(self) -> usize {
        match self {
            DimRule::Any => 0,
            DimRule::Time => 1,
            DimRule::Co2eRate => 2,
            DimRule::Co2e => 3,
            DimRule::Pattern(i) => Self::BUILTIN + i as usize,
        }
    }
}

/// The dimension a field or value of a kind declared in the language must have
/// (`field area : length^2`), with the words of its error.
#[derive(Clone, Debug)]
pub struct Pattern {
    /// `flow`: an amount for the period or a rate (per time) of `what`.
    pub flow: bool,
    pub what: PatternDim,
    /// The error's "must be …" and its example (`an area`, `10 hm2`).
    pub want: &'static str,
    pub example: &'static str,
    /// A value's `help "…"`: the help of `wrong_kind` (empty: the example).
    pub help: &'static str,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PatternDim {
    /// Not checked.
    Any,
    /// One base dimension other than mass, length and time.
    Substance,
    Dim(crate::units::Dim),
}

#[derive(Clone, Debug, PartialEq)]
pub enum SymKind {
    Let,
    Field {
        decl: DeclId,
    },
    Derived {
        decl: DeclId,
    },
    Term {
        decl: DeclId,
    },
    Group,
    /// Not a name of the program: stated parts, other statements, expectations.
    Hidden,
}

/// A fixed text of the language (a value's meaning, an equation's name): an index
/// into [`Resolved::texts`]. Two bytes, where a `&'static str` takes sixteen: every
/// symbol has two. `Text::NONE` is the empty text.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Text(pub(super) u16);

impl Text {
    pub const NONE: Text = Text(0);
}

#[derive(Clone, Debug)]
pub struct Symbol {
    /// Full name: `coal.amount`, `tce_to_co2`, `coal`. Kept inline, without an
    /// allocation, up to 23 bytes (`stand_640313.volume`): a large inventory has
    /// millions of symbols.
    pub name: SmolStr,
    /// Where the name inside its declaration starts in `name` (see `short`).
    pub(super) short_at: u32,
    pub kind: SymKind,
    pub span: Span,
    pub name_span: Span,
    /// Where the value's expression is written (the span of its `Ir`), or
    /// `NO_VALUE`: see [`Symbol::value`]. The expression itself is in
    /// `Resolved::irs` until the check stage takes it.
    pub(super) value_at: Span,
    pub prov: Prov,
    /// What the value is (field meaning or derived role): see [`Resolved::meaning`].
    pub meaning: Text,
    /// The equation it follows, if any: see [`Resolved::eq`].
    pub eq: Text,
    pub rule: DimRule,
    pub prelude: bool,
}

/// `Symbol::value_at` of a symbol without a value (no source has this id): 12
/// bytes, where an `Option<Span>` takes 16.
pub(super) const NO_VALUE: Span = Span {
    src: SourceId(u32::MAX),
    start: 0,
    end: 0,
};

impl Symbol {
    /// A value the namer makes for itself (an expectation's side, a hidden
    /// operand): no provenance, meaning or rule of its own.
    pub(super) fn hidden(name: SmolStr, short_at: u32, span: Span, prelude: bool) -> Symbol {
        Symbol::bare(name, short_at, SymKind::Hidden, span, prelude)
    }

    /// A symbol of `kind` with nothing but its name and span (the hidden values
    /// above, the placeholders of derived values).
    pub(super) fn bare(name: SmolStr, short_at: u32, kind: SymKind, span: Span, prelude: bool) -> Symbol {
        Symbol {
            name,
            short_at,
            kind,
            span,
            name_span: span,
            value_at: NO_VALUE,
            prov: Prov::default(),
            meaning: Text::NONE,
            eq: Text::NONE,
            rule: DimRule::Any,
            prelude,
        }
    }

    /// Where the value's expression is written (the span of its `Ir`), when the
    /// symbol has a value.
    pub fn value(&self) -> Option<Span> {
        (self.value_at != NO_VALUE).then_some(self.value_at)
    }

    /// Name inside its declaration: `amount` (same as `name` for globals).
    pub fn short(&self) -> &str {
        self.name.get(self.short_at as usize..).unwrap_or(&self.name)
    }
    /// Whether the name inside its declaration is `w` (lengths first: cheaper than
    /// `short() == w` in a search over a declaration's members).
    pub(super) fn short_is(&self, w: &str) -> bool {
        let name = self.name.as_bytes();
        name.len() == self.short_at as usize + w.len() && name.ends_with(w.as_bytes())
    }
}

/// Where `short`, a suffix of `name`, starts in it.
pub(super) fn short_at(name: &str, short: &str) -> u32 {
    debug_assert!(name.ends_with(short));
    u32::try_from(name.len().saturating_sub(short.len())).unwrap_or(0)
}

#[derive(Clone, Debug)]
pub struct DeclInfo {
    pub kind: Kind,
    pub name: SmolStr,
    pub span: Span,
    pub name_span: Span,
    pub group: Option<Group>,
    pub land: Option<Land>,
    /// The term's scope, 1, 2 or 3: the `scope` field, else the kind's
    /// (`scope` in its declaration); `None` for a kind whose terms have none (offsets).
    pub scope: Option<u8>,
    pub method: Option<&'static str>,
    pub note: Option<String>,
    /// Field and derived symbols, in the order they were declared; each one's
    /// short name is its symbol's [`Symbol::short`] (see [`Resolved::members`]).
    /// A member is its `SymId` alone, not a (name, id) pair.
    pub members: Vec<SymId>,
    pub term: Option<SymId>,
    pub prelude: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Header {
    pub name: String,
    pub site: Option<String>,
    pub note: Option<String>,
    pub period: Option<SymId>,
    pub gwp: Option<DeclId>,
    /// `start`, `end`, `horizon` and `saturation` of an inventory over years
    /// (`crate::years`).
    pub years: [Option<SymId>; 4],
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct GroupSyms {
    pub groups: Vec<(Group, SymId)>,
    pub emissions: SymId,
    pub net: SymId,
}

/// The output of this stage.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub syms: Vec<Symbol>,
    /// Each symbol's expression, index = `SymId`. The check stage compiles each
    /// to code and frees it: empty in a checked `Program` (`Symbol::value` keeps
    /// where each was written), unless it was checked on two threads, which leave
    /// them (see `check::check_with`; `Analysis::free_expressions`).
    pub irs: Vec<Option<Ir>>,
    pub decls: Vec<DeclInfo>,
    pub sources: Vec<SourceInfo>,
    pub header: Option<Header>,
    pub groups: Option<GroupSyms>,
    /// Every symbol after everything it reads.
    pub order: Vec<SymId>,
    /// Global names (lets, declarations, groups, `period`).
    pub scope: HashMap<SmolStr, SymId>,
    pub decl_scope: HashMap<SmolStr, DeclId>,
    /// `co2_per_c`, the 44/12 ratio, when the prelude (or the user) defines it.
    pub co2_per_c: Option<SymId>,
    pub expects: Vec<ExpectInfo>,
    pub statements: Vec<Statement>,
    /// Warnings silenced on a symbol (a field or a let) or a declaration's term:
    /// (code, reason).
    pub allows: HashMap<SymId, Vec<(String, String)>>,
    /// Every `allow` as written, with the symbols it silences its code on: one
    /// that silences no warning is reported (`carbon::audit::unused_allow`).
    pub allow_sites: Vec<AllowSite>,
    pub ranges: Vec<RangeInfo>,
    /// Names of the file that shadow a name of the prelude: (the file's, the prelude's).
    pub shadows: Vec<(SymId, SymId)>,
    /// Kinds of the file that replace a kind of the prelude: the name, and
    /// where the file declares it.
    pub kind_shadows: Vec<(&'static str, Span)>,
    /// Fields written as a notation key (`amount NE "…"`), in declaration order.
    pub notations: Vec<NotationInfo>,
    /// The index in `notations` of each such field and of its declaration's term.
    pub notation_at: HashMap<SymId, u32>,
    /// The texts that [`Text`]s index; the first is empty.
    pub texts: Vec<&'static str>,
    /// Sinks declared with `method stock_as_removal`, in declaration order: the
    /// verdict's flagged terms, listed once so a what-if need not scan every
    /// declaration.
    pub stock_flagged: Vec<DeclId>,
    /// The shapes of the fields and values of declared kinds (`DimRule::Pattern`).
    pub patterns: Vec<Pattern>,
    /// What the check stage checks once for each declared kind (see `names::kinds`).
    pub kind_checks: Vec<KindCheck>,
    /// Every symbol of the probes, for the checker (a probe's `co2e` needs no
    /// factor of the header's GWP set: each use's does).
    pub probes: rustc_hash::FxHashSet<SymId>,
    /// The bounds of the declared kinds' fields, ordered by kind
    /// ([`Resolved::bounds_of`]).
    pub bounds: Vec<FieldBound>,
}

/// The values a field of a declared kind may take (`min`, `above`, `max`, in
/// base units) and why; or, with `negative`, that a value below zero is a
/// warning with this help rather than an error.
#[derive(Clone, Debug)]
pub struct FieldBound {
    pub kind: crate::domain::KindName,
    pub field: &'static str,
    /// The field's meaning, as its symbols have it: compared before the name
    /// ([`FieldBound::is_of`]).
    pub meaning: Text,
    pub lo: f64,
    pub hi: f64,
    /// The low end excluded (`above`).
    pub open: bool,
    pub why: &'static str,
    pub negative: Option<&'static str>,
    /// `is gwp`: checked against the IPCC sets (`implausible`).
    pub gwp: bool,
}

/// A declared kind as the check stage sees it: where it is written, and the
/// symbols of its probe, a use whose fields have the dimensions the kind
/// declares, checked (never evaluated) so that an error in the kind's formulas
/// is reported once, at the kind.
#[derive(Clone, Debug)]
pub struct KindCheck {
    pub span: Span,
    pub probe: Vec<SymId>,
}

impl FieldBound {
    /// Whether these are the bounds of the field `s` of a use of its kind.
    #[inline]
    pub fn is_of(&self, s: &Symbol) -> bool {
        self.meaning == s.meaning && self.field == s.short()
    }
    /// Whether it limits the values (an `is gwp` field may have no bounds).
    #[inline]
    pub fn limits(&self) -> bool {
        self.lo > f64::NEG_INFINITY || self.hi < f64::INFINITY || self.negative.is_some()
    }
}

impl Resolved {
    /// The bounds of a declared kind's fields (those of the kind in force: a
    /// program's kind over the prelude's of the same name).
    pub fn bounds_of(&self, kind: crate::domain::KindName) -> &[FieldBound] {
        let lo = self.bounds.partition_point(|b| b.kind < kind);
        let hi = lo + self.bounds[lo..].partition_point(|b| b.kind == kind);
        &self.bounds[lo..hi]
    }
    /// A symbol's meaning (empty when it has none).
    pub fn meaning(&self, s: &Symbol) -> &'static str {
        self.texts.get(s.meaning.0 as usize).copied().unwrap_or("")
    }
    /// The equation a symbol follows, if any.
    pub fn eq(&self, s: &Symbol) -> Option<&'static str> {
        self.texts.get(s.eq.0 as usize).copied().filter(|e| !e.is_empty())
    }
    /// A declaration's fields and derived values, with their short names.
    pub fn members<'a>(&'a self, d: &'a DeclInfo) -> impl Iterator<Item = (&'a str, SymId)> + 'a {
        members(&self.syms, d)
    }
    /// A declaration's field or derived value by short name.
    pub fn member(&self, d: &DeclInfo, name: &str) -> Option<SymId> {
        member(&self.syms, d, name)
    }
}

pub(super) fn members<'a>(syms: &'a [Symbol], d: &'a DeclInfo) -> impl Iterator<Item = (&'a str, SymId)> + 'a {
    d.members.iter().map(move |&id| (syms[id as usize].short(), id))
}

pub(super) fn member(syms: &[Symbol], d: &DeclInfo, name: &str) -> Option<SymId> {
    d.members.iter().copied().find(|&id| syms[id as usize].short_is(name))
}

/// A field written as a notation key instead of a figure: its value is zero in
/// the field's unit, and the declaration's term is listed with the key.
#[derive(Clone, Debug)]
pub struct NotationInfo {
    pub key: ast::NotationKey,
    pub reason: String,
    /// The field's symbol.
    pub field: SymId,
    pub decl: DeclId,
    pub span: Span,
}

impl Resolved {
    /// The notation key written for a field, or for a declaration's term.
    pub fn notation(&self, id: SymId) -> Option<&NotationInfo> {
        if self.notation_at.is_empty() {
            return None;
        }
        self.notations.get(*self.notation_at.get(&id)? as usize)
    }
}

/// `expect actual == published within tolerance`.
#[derive(Clone, Debug)]
pub struct ExpectInfo {
    pub name: String,
    pub actual: SymId,
    pub published: SymId,
    pub tolerance: SymId,
    pub known: Option<String>,
    pub prov: Prov,
    pub span: Span,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StatementKind {
    /// `parts`: the stated components of a stated total.
    Parts,
    /// `also`: another stated value of the same quantity.
    Also,
}

/// A second statement about a value, to be checked against it.
#[derive(Clone, Debug)]
pub struct Statement {
    pub kind: StatementKind,
    pub target: SymId,
    pub other: SymId,
    pub span: Span,
}

/// A plausible range for `kind.field`.
#[derive(Clone, Debug)]
pub struct RangeInfo {
    pub kind: Kind,
    pub field: String,
    pub min: Option<SymId>,
    pub max: Option<SymId>,
    pub decl: DeclId,
}

/// An `allow` as written: its code, where the code is written, and the symbols
/// of its declaration (a let; a block's term and fields) it silences the code on.
#[derive(Clone, Debug)]
pub struct AllowSite {
    pub code: SmolStr,
    pub span: Span,
    pub targets: Vec<SymId>,
    pub prelude: bool,
}

/// Warning codes that `allow` may silence.
pub const WARNING_CODES: &[&str] = &[
    "components",
    "disagree",
    "stock_as_removal",
    "no_provenance",
    "unused",
    "zero_term",
    "implausible",
    "negative",
    "shadows_prelude",
];
