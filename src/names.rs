//! Stage 3 (names): builds the symbol table from the declarations of all files,
//! resolves every reference to a symbol index once, builds each declaration's
//! derived values (Eq. 3–12) from its fields, and orders the symbols so that each
//! comes after everything it reads. Cycles are reported with the cycle.

use crate::diag::Diag;
use crate::domain::{FieldType, Group, Kind, Land};
use crate::ir::{At, Chained, Ir, IrOp, SymId};
use crate::source::{SourceId, Span};
use crate::suggest;
use crate::syntax::ast::{self, BinOp, Citation, Decl, Expr, ExprKind, FieldValue, File, UnitBase, UnitExpr};
// Names of the balance, which no declaration may take.
use crate::syntax::keywords::BALANCE_NAMES as RESERVED;
use crate::units::{Rat, Units};
use rustc_hash::FxHashMap as HashMap;
use smol_str::SmolStr;
use std::sync::Arc;

pub type DeclId = u32;

/// Where a value comes from.
#[derive(Clone, Debug, Default)]
pub struct Prov {
    /// Citations: indices into `Resolved::sources` (one, inline, for most values).
    pub sources: Sources,
    /// Why the value is assumed, if it is: see [`Prov::assumed`]. Behind one thin
    /// pointer (8 bytes, where a `Box<str>` takes 16): most values cite a source.
    #[allow(clippy::box_collection)] // on purpose: the thin pointer is the point
    assumed: Option<Box<String>>,
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
    fn remap(&mut self, f: impl Fn(usize) -> Option<usize>) {
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
    /// length²
    Area,
    /// time
    Time,
    /// dimensionless
    Fraction,
    /// C per length²
    CarbonDensity,
    /// C per length² per time
    CarbonGain,
    /// length³ per length² (m3/hm2)
    VolumePerArea,
    /// mass per length²
    MassPerArea,
    /// mass per length³
    MassPerVolume,
    /// C per mass
    CarbonContent,
    /// C
    CarbonStock,
    /// ce, or ce per time
    CoalEquivalent,
    /// one substance, or one substance per time
    Substance,
    /// CO2e per time
    Co2eRate,
    /// CO2e
    Co2e,
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
pub struct Text(u16);

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
    short_at: u32,
    pub kind: SymKind,
    pub span: Span,
    pub name_span: Span,
    /// Where the value's expression is written (the span of its `Ir`), or
    /// `NO_VALUE`: see [`Symbol::value`]. The expression itself is in
    /// `Resolved::irs` until the check stage takes it.
    value_at: Span,
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
const NO_VALUE: Span = Span {
    src: SourceId(u32::MAX),
    start: 0,
    end: 0,
};

impl Symbol {
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
    fn short_is(&self, w: &str) -> bool {
        let name = self.name.as_bytes();
        name.len() == self.short_at as usize + w.len() && name.ends_with(w.as_bytes())
    }
}

/// Where `short`, a suffix of `name`, starts in it.
fn short_at(name: &str, short: &str) -> u32 {
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
    pub method: Option<&'static str>,
    pub ecosystem: Option<&'static str>,
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
}

impl Resolved {
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

fn members<'a>(syms: &'a [Symbol], d: &'a DeclInfo) -> impl Iterator<Item = (&'a str, SymId)> + 'a {
    d.members.iter().map(move |&id| (syms[id as usize].short(), id))
}

fn member(syms: &[Symbol], d: &DeclInfo, name: &str) -> Option<SymId> {
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

/// The unit of zero a notation key stands for in `kind.field`, when the key can
/// stand there: the fields a term is proportional to, whose dimension is fixed.
fn notation_unit(kind: Kind, field: &str) -> Option<&'static [(&'static str, i16)]> {
    match (kind, field) {
        (Kind::Emission | Kind::Gas | Kind::Capture | Kind::Removal, "amount") => Some(&[("tCO2e", 1), ("a", -1)]),
        (Kind::Offset, "sold" | "purchased") => Some(&[("tCO2e", 1)]),
        (Kind::Cover | Kind::Stand, "area") => Some(&[("hm2", 1)]),
        _ => None,
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

struct Namer {
    prelude_src: Option<SourceId>,
    syms: Vec<Symbol>,
    /// Each symbol's expression (`None` until defined), index = `SymId`.
    irs: Vec<Option<Ir>>,
    decls: Vec<DeclInfo>,
    sources: Vec<SourceInfo>,
    source_ix: HashMap<String, usize>,
    scope: HashMap<SmolStr, SymId>,
    decl_scope: HashMap<SmolStr, DeclId>,
    header: Option<Header>,
    diags: Vec<Diag>,
    /// Fields waiting for their expressions to be resolved: (sym, expr).
    pending: Vec<(SymId, Expr)>,
    expects: Vec<ExpectInfo>,
    statements: Vec<Statement>,
    allows: HashMap<SymId, Vec<(String, String)>>,
    allow_sites: Vec<AllowSite>,
    shadows: Vec<(SymId, SymId)>,
    ranges: Vec<RangeInfo>,
    notations: Vec<NotationInfo>,
    /// Each kind's field specifications, built once.
    spec_cache: Vec<Option<Arc<[crate::domain::FieldSpec]>>>,
    /// Streaming (see [`Streaming`]): sources are declared as they come, and
    /// citations that cannot be numbered yet get provisional indices.
    streaming: bool,
    /// Streaming: named citations of sources not declared yet (`CITE_TAG`).
    cites: Vec<ast::Ident>,
    /// Streaming: quoted citations (`TEXT_TAG`), numbered after the named sources.
    texts: Vec<SourceInfo>,
    /// Streaming: sources declared again by a later file, (earlier, later) index.
    redeclared: Vec<(usize, usize)>,
    /// Declarations declared so far.
    fed: usize,
    /// The texts of `Text`s (the first empty), and each one's index by address.
    fixed: Vec<&'static str>,
    fixed_ix: HashMap<(usize, usize), u16>,
    /// The last `Text` found for each of 64 address classes (most look-ups end here).
    fixed_seen: [(usize, usize, u16); 64],
    /// Declarations with a derived value read before it was defined (a placeholder
    /// symbol among their members, see `define`).
    placeheld: rustc_hash::FxHashSet<DeclId>,
    /// Where each shared quantity unit splits (see `Lookup::known_split`).
    splits: HashMap<usize, (Arc<UnitExpr>, Option<usize>, usize)>,
    /// Whether a word written after a number is a unit (see `Lookup::is_unit`).
    unit_words: HashMap<Box<str>, bool>,
    /// The header's `gwp` set when it names no GWP set declared before it: looked
    /// up again when every declaration is declared (see `settle_gwp`).
    gwp_later: Option<(SmolStr, Span)>,
    /// Unknown names, members and sources, one entry for all the uses of each, in
    /// order of first use: reported once, in `report_unknowns`.
    unknowns: Vec<Unknown>,
    unknown_ix: HashMap<(UnknownKind, Box<str>), usize>,
    /// Words after a number that are not units, and whether each is close to a
    /// global name (see `Lookup::near_name`), with the number of global names then.
    near_names: HashMap<Box<str>, (bool, usize)>,
    /// Names looked at by `near_name` so far (at most about `SUGGEST_WORK`).
    near_work: usize,
}

/// What kind of word is unknown.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
enum UnknownKind {
    /// A name (`undeclared_x`, `nothing.here`).
    Name,
    /// A member a declaration does not have (`coal.amout`).
    Member(DeclId),
    /// A cited source (`from tabel1`).
    Source,
}

/// One unknown word and its uses.
struct Unknown {
    kind: UnknownKind,
    /// The word as written (`coal.amout`; for a member, the whole path).
    full: Box<str>,
    /// The first use.
    first: Span,
    /// The next uses shown, at most `SHOWN_USES`.
    also: Vec<Span>,
    uses: usize,
}

/// Uses of an unknown word shown besides the first.
const SHOWN_USES: usize = 3;
/// Distinct unknown words given a did-you-mean at most.
const SUGGESTED: usize = 100;
/// Names looked at, over all the did-you-means of the names stage: each looks
/// through every name of the program, so the first few unknown words of a large
/// program get one, and the stage stays linear however many there are.
const SUGGEST_WORK: usize = 4_000_000;

/// Resolves names over the given files (the prelude first, if any).
/// Takes the files (the prelude first): each declaration is freed as soon as it is
/// declared, so that the symbols reuse the memory of the syntax tree.
pub fn resolve(files: Vec<File>, prelude_src: Option<SourceId>, units: &mut Units) -> (Resolved, Vec<Diag>) {
    let n_decls: usize = files.iter().map(|f| f.decls.len()).sum();
    let mut n = Namer::new(prelude_src, n_decls, false);
    // Sources first: provenance refers to them.
    for f in &files {
        for d in &f.decls {
            if let Decl::Source(s) = d {
                n.declare_source(s);
            }
        }
    }
    for f in files {
        n.declare_all(f.decls, None, None);
    }
    n.finish(units)
}

/// Names over declarations as they are parsed (a large file is parsed in pieces on
/// another thread while the symbols of the pieces before are built): the prelude's
/// declarations, then the file's, in order; then the units, built from the `unit`
/// and `dimension` declarations set aside ([`Streaming::unit_files`]); then
/// [`Streaming::finish`].
///
/// The result is the same as [`resolve`] over the whole files. `resolve` declares
/// every source before the first citation; here a citation of a source not yet
/// declared, of a source a later file declares again, and a quoted citation (which
/// [`resolve`] numbers after all named sources) are settled when the last piece
/// is in.
pub struct Streaming {
    n: Namer,
    /// `unit` and `dimension` declarations of each file, in order.
    unit_files: Vec<File>,
}

impl Streaming {
    /// `expected_decls`: an estimate, to reserve the tables.
    pub fn new(prelude_src: Option<SourceId>, expected_decls: usize) -> Streaming {
        Streaming {
            n: Namer::new(prelude_src, expected_decls, true),
            unit_files: Vec::new(),
        }
    }

    /// Declares the next declarations of the file `src` (files in order: the
    /// prelude, then the file), and returns what is left of them, to be freed.
    pub fn feed(&mut self, src: SourceId, decls: Vec<Decl>) -> Vec<Decl> {
        if self.unit_files.last().is_none_or(|f| f.src != src) {
            self.unit_files.push(File { src, decls: Vec::new() });
        }
        let units = self.unit_files.last_mut().map(|f| &mut f.decls);
        let mut rest = Vec::with_capacity(decls.len());
        self.n.declare_all(decls, units, Some(&mut rest));
        rest
    }

    /// The `unit` and `dimension` declarations fed so far, one `File` a source
    /// (for `Units::build`).
    pub fn unit_files(&self) -> &[File] {
        &self.unit_files
    }

    /// How many declarations were fed (units and dimensions included).
    pub fn declared(&self) -> usize {
        self.n.fed
    }

    /// At least as many symbols as `finish` gives (for a table made while it
    /// runs): those declared so far, every derived value their kinds may have
    /// (a placeholder is one of them), the groups and their totals (`emissions`,
    /// `flows`, `integrated`, `net`), and a placeholder for each reserved name.
    pub fn symbols_bound(&self) -> usize {
        let derived: usize = self.n.decls.iter().map(|d| derived_names(d.kind).len()).sum();
        self.n.syms.len() + derived + crate::domain::Group::ALL.len() + 4 + RESERVED.len()
    }

    pub fn finish(mut self, units: &mut Units) -> (Resolved, Vec<Diag>) {
        self.n.settle_citations();
        self.n.finish(units)
    }
}

/// Tags of the provisional indices a streaming namer gives citations it cannot
/// number yet (see [`Streaming`]): a named source not declared yet (index into
/// `Namer::cites`), and a quoted citation (index into `Namer::texts`).
const CITE_TAG: usize = 1 << (usize::BITS - 1);
const TEXT_TAG: usize = 1 << (usize::BITS - 2);

impl Namer {
    fn new(prelude_src: Option<SourceId>, n_decls: usize, streaming: bool) -> Namer {
        // About ten symbols a declaration (fields and derived values): reserve them
        // rather than grow a vector of large symbols by doubling.
        Namer {
            prelude_src,
            syms: Vec::with_capacity(n_decls * 10),
            irs: Vec::with_capacity(n_decls * 10),
            decls: Vec::with_capacity(n_decls),
            sources: Vec::new(),
            source_ix: HashMap::default(),
            // A global name a declaration: sized once rather than rehashed as it grows.
            scope: HashMap::with_capacity_and_hasher(n_decls + 64, Default::default()),
            decl_scope: HashMap::with_capacity_and_hasher(n_decls + 64, Default::default()),
            header: None,
            diags: Vec::new(),
            // A few fields a declaration (three or four in most kinds).
            pending: Vec::with_capacity(n_decls * 4),
            expects: Vec::new(),
            statements: Vec::new(),
            allows: HashMap::default(),
            allow_sites: Vec::new(),
            shadows: Vec::new(),
            notations: Vec::new(),
            ranges: Vec::new(),
            unit_words: HashMap::default(),
            spec_cache: Vec::new(),
            streaming,
            cites: Vec::new(),
            texts: Vec::new(),
            redeclared: Vec::new(),
            placeheld: Default::default(),
            splits: HashMap::default(),
            fixed: vec![""],
            fixed_ix: HashMap::default(),
            fixed_seen: [(0, 0, 0); 64],
            fed: 0,
            gwp_later: None,
            unknowns: Vec::new(),
            unknown_ix: HashMap::default(),
            near_names: HashMap::default(),
            near_work: 0,
        }
    }

    /// Declares the declarations of one file (or one piece of it), in order, and
    /// frees each once declared. With `units`, `unit` and `dimension` declarations
    /// are kept there; sources are declared here when streaming (else before).
    /// With `rest`, what is left of each declaration is put there rather than freed
    /// (the streaming caller hands it back to the parsing thread, which frees its
    /// own memory faster than this thread can).
    fn declare_all(&mut self, decls: Vec<Decl>, mut units: Option<&mut Vec<Decl>>, mut rest: Option<&mut Vec<Decl>>) {
        self.fed += decls.len();
        for mut d in decls {
            match &mut d {
                Decl::Let(l) => self.declare_let(l),
                Decl::Block(b) => self.declare_block(b),
                Decl::Expect(e) => self.declare_expect(e),
                Decl::Source(s) if self.streaming => self.declare_source(s),
                Decl::Unit(u) if !u.prov.allow.is_empty() => {
                    // A unit has no warning to silence: its `allow`s are reported.
                    let allows = std::mem::take(&mut u.prov.allow);
                    self.allow(&[], &allows);
                    if let Some(us) = units.as_deref_mut() {
                        us.push(d);
                        continue;
                    }
                }
                Decl::Unit(_) | Decl::Dimension(_) => {
                    if let Some(u) = units.as_deref_mut() {
                        u.push(d);
                        continue;
                    }
                }
                Decl::Source(_) => {}
            }
            if let Some(r) = rest.as_deref_mut() {
                r.push(d);
            }
            // Otherwise the rest of the declaration is dropped here.
        }
    }

    /// Streaming: numbers the citations that could not be numbered when they were
    /// read, as [`resolve`] numbers them (see [`Streaming`]).
    fn settle_citations(&mut self) {
        if self.cites.is_empty() && self.texts.is_empty() && self.redeclared.is_empty() {
            return;
        }
        // A named source cited before it was declared, or not declared at all (the
        // same message as `prov` gives).
        let cites = std::mem::take(&mut self.cites);
        let mut named: Vec<Option<usize>> = Vec::with_capacity(cites.len());
        for id in &cites {
            named.push(self.source_ix.get(id.name.as_str()).copied());
            if named.last() == Some(&None) {
                self.unknown_source(id);
            }
        }
        let first_text = self.sources.len();
        let redeclared = std::mem::take(&mut self.redeclared);
        let fix = |i: usize| -> Option<usize> {
            if i & CITE_TAG != 0 {
                named.get(i & !CITE_TAG).copied().flatten()
            } else if i & TEXT_TAG != 0 {
                Some(first_text + (i & !TEXT_TAG))
            } else {
                // A source a later file declared again: citations read the later one.
                Some(redeclared.iter().find(|(old, _)| *old == i).map_or(i, |(_, new)| *new))
            }
        };
        for s in &mut self.syms {
            s.prov.sources.remap(fix);
        }
        for e in &mut self.expects {
            e.prov.sources.remap(fix);
        }
        let texts = std::mem::take(&mut self.texts);
        self.sources.extend(texts);
    }

    /// Builds the derived values, the groups and the order, once every
    /// declaration is declared.
    fn finish(mut self, units: &mut Units) -> (Resolved, Vec<Diag>) {
        let n = &mut self;
        n.settle_gwp();
        // Header fields are global names (`period`).
        let pending = std::mem::take(&mut n.pending);
        for (id, e) in pending {
            let ir = n.lower(&e, units);
            n.irs[id as usize] = ir;
        }
        n.report_unknowns();
        for i in 0..n.decls.len() {
            n.derive(i as DeclId);
        }
        let groups = n.build_groups();
        let co2_per_c = n.scope.get("co2_per_c").copied();
        let order = n.order();
        let mut notation_at = HashMap::default();
        for (i, x) in self.notations.iter().enumerate() {
            notation_at.insert(x.field, i as u32);
            if let Some(t) = self.decls.get(x.decl as usize).and_then(|d| d.term) {
                notation_at.insert(t, i as u32);
            }
        }
        let stock_flagged = (0..self.decls.len() as DeclId)
            .filter(|&i| {
                let d = &self.decls[i as usize];
                d.group == Some(Group::Sinks) && d.kind != Kind::Inventory && d.method == Some("stock_as_removal")
            })
            .collect();
        let r = Resolved {
            stock_flagged,
            syms: self.syms,
            irs: self.irs,
            decls: self.decls,
            sources: self.sources,
            header: self.header,
            groups,
            order,
            scope: self.scope,
            decl_scope: self.decl_scope,
            co2_per_c,
            expects: self.expects,
            statements: self.statements,
            allows: self.allows,
            allow_sites: self.allow_sites,
            shadows: self.shadows,
            ranges: self.ranges,
            notations: self.notations,
            notation_at,
            texts: self.fixed,
        };
        (r, self.diags)
    }

    fn is_prelude(&self, span: Span) -> bool {
        Some(span.src) == self.prelude_src
    }

    fn declare_source(&mut self, s: &ast::SourceDecl) {
        if let Some(&i) = self.source_ix.get(s.name.name.as_str()) {
            let prev = self.sources[i].span;
            if prev.src == s.name.span.src {
                self.diags.push(
                    Diag::error(
                        "carbon::names::duplicate",
                        format!("the source `{}` is declared twice", s.name.name),
                    )
                    .at(s.name.span, "declared again here")
                    .also(prev, "first declared here")
                    .help("give each source its own name"),
                );
                return;
            }
        }
        if let Some(&earlier) = self.source_ix.get(s.name.name.as_str()) {
            // Declared again by a later file: that one is cited (see `Streaming`).
            if self.streaming {
                self.redeclared.push((earlier, self.sources.len()));
            }
        }
        self.source_ix.insert(s.name.name.to_string(), self.sources.len());
        self.sources.push(SourceInfo {
            name: s.name.name.to_string(),
            text: s.text.clone(),
            span: s.name.span,
        });
    }

    fn prov(&mut self, p: &ast::Provenance) -> Prov {
        let mut out = Prov::default();
        for c in &p.from {
            match c {
                Citation::Name(id) => match self.source_ix.get(id.name.as_str()) {
                    Some(&i) => out.sources.push(i),
                    None if self.streaming => {
                        // Perhaps declared further on: settled at the end.
                        out.sources.push(CITE_TAG | self.cites.len());
                        self.cites.push(id.clone());
                    }
                    None => self.unknown_source(id),
                },
                Citation::Text(t, span) if self.streaming => {
                    // Numbered after every named source, as `resolve` does.
                    out.sources.push(TEXT_TAG | self.texts.len());
                    self.texts.push(SourceInfo {
                        name: String::new(),
                        text: t.clone(),
                        span: *span,
                    });
                }
                Citation::Text(t, span) => {
                    self.sources.push(SourceInfo {
                        name: String::new(),
                        text: t.clone(),
                        span: *span,
                    });
                    out.sources.push(self.sources.len() - 1);
                }
            }
        }
        out.assumed = p.assumed.as_ref().map(|a| Box::new(a.0.clone()));
        out
    }

    fn unknown_source(&mut self, id: &ast::Ident) {
        self.note_unknown(UnknownKind::Source, &id.name, id.span);
    }

    /// The `Text` of a fixed text, by its address (a program has a few hundred).
    fn text(&mut self, t: &'static str) -> Text {
        if t.is_empty() {
            return Text::NONE;
        }
        let key = (t.as_ptr() as usize, t.len());
        let class = (key.0 >> 3) % 64;
        if let Some(&(a, n, i)) = self.fixed_seen.get(class) {
            if (a, n) == key {
                return Text(i);
            }
        }
        if let Some(&i) = self.fixed_ix.get(&key) {
            self.fixed_seen[class] = (key.0, key.1, i);
            return Text(i);
        }
        // The texts are the binary's own: far fewer than 65,535.
        let Ok(i) = u16::try_from(self.fixed.len()) else {
            return Text::NONE;
        };
        self.fixed.push(t);
        self.fixed_ix.insert(key, i);
        self.fixed_seen[class] = (key.0, key.1, i);
        Text(i)
    }

    /// The symbol of field `f` of declaration `did` (of kind `kind`), named `full`.
    #[allow(clippy::too_many_arguments)]
    fn field_sym(
        &mut self,
        full: SmolStr,
        f: &ast::Field,
        did: u32,
        prov: Prov,
        meaning: &'static str,
        kind: Kind,
        prelude: bool,
    ) -> SymId {
        let fname = f.name.name.as_str();
        let meaning = self.text(meaning);
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

    fn new_sym(&mut self, s: Symbol) -> SymId {
        self.syms.push(s);
        self.irs.push(None);
        (self.syms.len() - 1) as SymId
    }

    /// Registers a global name; the user's file may override the prelude's.
    fn bind(&mut self, name: &str, id: SymId, span: Span) {
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

    fn declare_let(&mut self, l: &mut ast::LetDecl) {
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
    fn statements_of(&mut self, target: SymId, stmts: &mut ast::Statements, allows: &mut Vec<ast::Allow>) {
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
    fn allow(&mut self, targets: &[SymId], allows: &[ast::Allow]) {
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
    fn hidden(&mut self, name: String, e: Expr, like: SymId) -> SymId {
        let prelude = self.syms[like as usize].prelude;
        let id = self.new_sym(Symbol {
            name: name.into(),
            short_at: 0,
            kind: SymKind::Hidden,
            span: e.span,
            name_span: e.span,
            value_at: NO_VALUE,
            prov: Prov::default(),
            meaning: Text::NONE,
            eq: Text::NONE,
            rule: DimRule::Any,
            prelude,
        });
        self.pending.push((id, e));
        id
    }

    fn declare_expect(&mut self, e: &mut ast::ExpectDecl) {
        let name = match (&e.name, &e.actual.kind) {
            (Some(n), _) => n.name.to_string(),
            (None, ExprKind::Path(p)) => p.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join("."),
            _ => format!("expectation {}", self.expects.len() + 1),
        };
        let prelude = self.is_prelude(e.span);
        let side = |n: &mut Self, what: &str, x: Expr| {
            let full = format!("expect {name}: {what}");
            let id = n.new_sym(Symbol {
                short_at: short_at(&full, what),
                name: full.into(),
                kind: SymKind::Hidden,
                span: x.span,
                name_span: x.span,
                value_at: NO_VALUE,
                prov: Prov::default(),
                meaning: Text::NONE,
                eq: Text::NONE,
                rule: DimRule::Any,
                prelude,
            });
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

    fn declare_block(&mut self, b: &mut ast::BlockDecl) {
        let Some(kind) = Kind::from_word(&b.kind.name) else {
            let words: Vec<&str> = Kind::ALL.iter().map(|k| k.word()).collect();
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
        let specs = self.specs(kind);
        let mut info = DeclInfo {
            kind,
            name: SmolStr::default(), // set once the name is no longer needed here
            span: b.span,
            name_span,
            group: kind.default_group(),
            land: match kind {
                Kind::Energy => Some(Land::Mining),
                Kind::Transport => Some(Land::Road),
                Kind::Emission => Some(Land::Mining),
                _ => None,
            },
            method: None,
            ecosystem: None,
            note: None,
            // Its fields and derived values, at their final size.
            members: Vec::with_capacity(b.fields.len() + derived_names(kind).len()),
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
            // The specification.
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
                        matched |= 1u64.checked_shl(j as u32).unwrap_or(0);
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
                        Some(w) => match fname {
                            "land" => info.land = Land::from_word(w),
                            "group" => {
                                info.group = Group::from_word(w);
                                if info.group != Some(Group::Above) && kind != Kind::Emission && kind != Kind::Gas {
                                    info.land = None;
                                }
                            }
                            "method" => info.method = Some(w),
                            _ => info.ecosystem = Some(w),
                        },
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
                    if fname == "method" && !f.prov.is_empty() {
                        // A method's reason is shown with the term.
                        let p = self.prov(&f.prov);
                        if let Some(a) = p.assumed {
                            info.note = Some(match info.note.take() {
                                Some(n) => format!("{n}; {a}"),
                                None => *a,
                            });
                        }
                    }
                }
                (FieldType::Target, FieldValue::Expr(e)) => {
                    let target = match &e.kind {
                        ExprKind::Path(p) if p.len() == 2 => Kind::from_word(&p[0].name)
                            .filter(|k| k.fields().iter().any(|s| s.name == p[1].name))
                            .map(|k| (k, p[1].name.to_string())),
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
                (FieldType::Word(_) | FieldType::Ref(_) | FieldType::Target, FieldValue::Text(_, sp))
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
                    let unit = notation_unit(kind, fname);
                    let (Some(unit), false) = (unit, n.reason.trim().is_empty()) else {
                        let d = if unit.is_none() {
                            Diag::error(
                                "carbon::names::notation_key",
                                format!("a notation key cannot stand for `{fname}` of `{}`", kind.word()),
                            )
                            .at(n.span, format!("{} ({}) here", n.key.word(), n.key.meaning()))
                            .help(match kind {
                                Kind::Energy | Kind::Transport => "a notation key stands for the figure a term is proportional to, in a fixed unit; an energy use's unit depends on its `fold`: state a use without a figure as `emission name { amount NE \"reason\" }`".to_string(),
                                _ => "a notation key (NE, NO, IE, NA) stands for the figure a term is proportional to: the `amount` of an emission, gas, capture or removal, `sold` or `purchased` of an offset, the `area` of a cover or stand".to_string(),
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
                    let id = self.field_sym(full, f, did, prov, spec.meaning, kind, prelude);
                    // Zero in the unit the field takes, exact.
                    let u = UnitExpr {
                        scale: None,
                        text: None,
                        factors: unit
                            .iter()
                            .map(|&(a, e)| ast::UnitFactor {
                                base: UnitBase::Atom(a.into()),
                                exp: Rat::int(e),
                                span: Span::default(),
                            })
                            .collect(),
                        span: Span::default(),
                    };
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
                    let id = self.field_sym(full, f, did, prov, spec.meaning, kind, prelude);
                    self.pending.push((id, e));
                    info.members.push(id);
                    if let Some(stmts) = f.stmts.as_deref_mut() {
                        self.statements_of(id, stmts, &mut allows);
                    }
                    if kind == Kind::Inventory && fname == "period" {
                        header.period = Some(id);
                        self.scope.insert("period".into(), id);
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
                    "gwp" => "add `gwp AR6` (or SAR, TAR, AR4, AR5, AR6_fossil, AR6_non_fossil) inside the braces".to_string(),
                    "method" => "add `method stock_as_removal assumed \"reason\"`, `method gain` with `increment`, or `method stock_difference` with `previous` and `interval`".to_string(),
                    "fold" => "add `fold 0.7143 tce/t`, or a prelude coefficient such as `fold fold_raw_coal` or `fold fold_diesel`".to_string(),
                    "factor" => "add `factor 2.66 tCO2/tce` with its source, or `assumed \"reason\"`".to_string(),
                    "carbon" => "add `carbon 0.47 tC/t`, or the prelude's default `carbon carbon_fraction`".to_string(),
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
        if kind == Kind::Gas
            && !seen.iter().any(|(n, _)| *n == "amount")
            && !(seen.iter().any(|(n, _)| *n == "volume") && seen.iter().any(|(n, _)| *n == "density"))
        {
            self.diags.push(
                Diag::error(
                    "carbon::check::missing_field",
                    format!("gas `{name}` needs `amount`, or `volume` and `density`"),
                )
                .at(name_span, "no amount of gas")
                .help("add `amount 647.96 tCH4/a`, or `volume … m3/a` with `density 0.67 kgCH4/m3`"),
            );
        }
        if kind == Kind::Gas {
            let amount = seen.iter().find(|(n, _)| *n == "amount");
            let other = seen.iter().find(|(n, _)| *n == "volume" || *n == "density");
            if let (Some(&(_, a)), Some(&(field, o))) = (amount, other) {
                // One of the two would be silently ignored.
                self.diags.push(
                    Diag::error(
                        "carbon::check::conflicting_fields",
                        format!("gas `{name}` has both `amount` and `{field}`"),
                    )
                    .at(o, "the mass of gas is given by `volume` × `density`…")
                    .also(a, "…and again by `amount`")
                    .help("keep one: `amount`, or `volume` and `density`; to check one against the other, state the second as `also`: `amount 647.96 tCH4/a from t1 also 967000 m3/a * ch4_density_20c from t2`"),
                );
            }
        }
        if kind == Kind::Offset
            && (seen.iter().any(|(n, _)| *n == "sold") == seen.iter().any(|(n, _)| *n == "purchased"))
        {
            self.diags.push(
                Diag::error(
                    "carbon::check::missing_field",
                    format!("offset `{name}` needs exactly one of `sold` or `purchased`"),
                )
                .at(name_span, "say which way the offset goes")
                .help("write `sold 500 tCO2e` or `purchased 500 tCO2e`"),
            );
        }
        if kind == Kind::Offset {
            info.group = Some(if seen.iter().any(|(n, _)| *n == "sold") {
                Group::Sold
            } else {
                Group::Purchased
            });
        }
        if let Some(m) = &info.method {
            let need: &[&str] = match *m {
                "gain" => &["increment"],
                "stock_difference" => &["previous", "interval"],
                _ => &[],
            };
            for f in need {
                if !seen.iter().any(|(n, _)| *n == *f) {
                    self.diags.push(
                        Diag::error(
                            "carbon::check::missing_field",
                            format!("method `{m}` needs the field `{f}`"),
                        )
                        .at(name_span, format!("`{name}` has no `{f}`"))
                        .help(format!(
                            "add `{f} …`, or choose another method: {}",
                            crate::domain::METHODS.join(", ")
                        )),
                    );
                }
            }
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
            let (meaning, eq) = (self.text(kind.term_meaning()), self.text(kind.equation()));
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
                rule: if kind == Kind::Offset {
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

    fn unknown_gwp(&mut self, name: &str, span: Span) {
        let sets: Vec<String> = self
            .decls
            .iter()
            .filter(|d| d.kind == Kind::Gwp)
            .map(|d| d.name.to_string())
            .collect();
        let mut d = Diag::error("carbon::names::unknown_gwp", format!("unknown GWP set `{name}`"))
            .at(span, "not a `gwp` declaration");
        d = d.help(suggest::help(name, sets.iter().map(|s| s.as_str()), || {
            format!("the GWP sets are: {}", sets.join(", "))
        }));
        self.diags.push(d);
    }

    /// The header's GWP set, when it was not declared before the header.
    fn settle_gwp(&mut self) {
        let Some((name, span)) = self.gwp_later.take() else {
            return;
        };
        match self.decl_scope.get(name.as_str()).copied() {
            Some(g) if self.decls[g as usize].kind == Kind::Gwp => {
                if let Some(h) = &mut self.header {
                    h.gwp = Some(g);
                }
            }
            _ => self.unknown_gwp(&name, span),
        }
    }

    /// AST expression → IR, resolving names.
    fn lower(&mut self, e: &Expr, units: &mut Units) -> Option<Ir> {
        lower_with(self, e, units)
    }

    fn lookup(&mut self, parts: &[ast::Ident]) -> Option<SymId> {
        let span = parts[0].span.to(parts[parts.len() - 1].span);
        let full = || parts.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(".");
        if parts.len() == 1 {
            if let Some(&id) = self.scope.get(parts[0].name.as_str()) {
                return Some(id);
            }
            if RESERVED.contains(&parts[0].name.as_str()) {
                // Group names are bound once the groups exist (see `build_groups`);
                // here they are placeholders resolved by name.
                return self.group_placeholder(&parts[0].name);
            }
        } else if parts.len() == 2 {
            if let Some(&did) = self.decl_scope.get(parts[0].name.as_str()) {
                if let Some(id) = self.member(did, &parts[1].name) {
                    return Some(id);
                }
                // Derived members are created later: reserve them by name.
                if let Some(id) = self.derived_placeholder(did, &parts[1].name) {
                    return Some(id);
                }
                self.note_unknown(UnknownKind::Member(did), &full(), parts[1].span);
                return None;
            }
        }
        self.note_unknown(UnknownKind::Name, &full(), span);
        None
    }

    /// Notes a use of an unknown word: one diagnostic for all its uses is made in
    /// `report_unknowns`.
    fn note_unknown(&mut self, kind: UnknownKind, full: &str, span: Span) {
        let key = (kind, Box::<str>::from(full));
        match self.unknown_ix.get(&key) {
            Some(&i) => {
                let u = &mut self.unknowns[i];
                u.uses += 1;
                if u.also.len() < SHOWN_USES {
                    u.also.push(span);
                }
            }
            None => {
                self.unknown_ix.insert(key, self.unknowns.len());
                self.unknowns.push(Unknown {
                    kind,
                    full: full.into(),
                    first: span,
                    also: Vec::new(),
                    uses: 1,
                });
            }
        }
    }

    /// One diagnostic for each unknown word, at its first use, with the number of
    /// its uses and the next few of them. The first `SUGGESTED` words get a
    /// did-you-mean, so that this is linear in the size of the program.
    fn report_unknowns(&mut self) {
        let unknowns = std::mem::take(&mut self.unknowns);
        self.unknown_ix = HashMap::default();
        let mut work = 0;
        for (k, u) in unknowns.iter().enumerate() {
            let suggest = k < SUGGESTED && work < SUGGEST_WORK;
            let full = &*u.full;
            let d = match u.kind {
                UnknownKind::Name => {
                    let (mut d, w) = unknown_name(&self.scope, &self.syms, &self.decls, full, u.first, suggest);
                    work += w;
                    if d.help.is_none() && self.source_ix.contains_key(full) {
                        d = d.help(format!("`{full}` is a source; cite it with `from {full}`"));
                    }
                    d
                }
                UnknownKind::Member(did) => {
                    let (decl, member) = full.split_once('.').unwrap_or((full, ""));
                    let d = &self.decls[did as usize];
                    let members = derived_names(d.kind)
                        .iter()
                        .map(|s| s.to_string())
                        .chain(members(&self.syms, d).map(|(n, _)| n.to_string()))
                        .collect::<Vec<_>>();
                    let diag = Diag::error(
                        "carbon::names::unknown_member",
                        format!("`{decl}` has no value `{member}`"),
                    )
                    .at(u.first, "not a field or derived value of this declaration");
                    match suggest::closest(member, members.iter().map(|s| s.as_str())) {
                        Some(s) => diag.help(format!("did you mean `{decl}.{s}`?")),
                        None => diag.help(format!("`{decl}` has: {}", members.join(", "))),
                    }
                }
                UnknownKind::Source => {
                    let d = Diag::error("carbon::names::unknown_source", format!("unknown source `{full}`"))
                        .at(u.first, "no `source` declaration has this name");
                    let otherwise = || {
                        format!(
                            "declare it: `source {full} \"Author (year), title\"`, or cite a quoted text: `from \"…\"`"
                        )
                    };
                    d.help(if suggest {
                        work += self.source_ix.len();
                        suggest::help(full, self.source_ix.keys().map(|s| s.as_str()), otherwise)
                    } else {
                        otherwise()
                    })
                }
            };
            self.diags.push(with_uses(d, u));
        }
    }

    /// The field specifications of a kind (built on first use).
    fn specs(&mut self, kind: Kind) -> Arc<[crate::domain::FieldSpec]> {
        let i = kind as usize;
        if self.spec_cache.len() <= i {
            self.spec_cache.resize(i + 1, None);
        }
        if let Some(k) = &self.spec_cache[i] {
            return k.clone();
        }
        let specs: Arc<[crate::domain::FieldSpec]> = kind.fields().into();
        self.spec_cache[i] = Some(specs.clone());
        specs
    }

    fn placeholder(&mut self, name: SmolStr, kind: SymKind, span: Span) -> SymId {
        let short = name.rsplit('.').next().unwrap_or(&name);
        self.new_sym(Symbol {
            short_at: short_at(&name, short),
            name,
            kind,
            span,
            name_span: span,
            value_at: NO_VALUE,
            prov: Prov::default(),
            meaning: Text::NONE,
            eq: Text::NONE,
            rule: DimRule::Any,
            prelude: false,
        })
    }

    fn group_placeholder(&mut self, name: &str) -> Option<SymId> {
        let id = self.placeholder(name.into(), SymKind::Group, Span::default());
        self.scope.insert(SmolStr::new(name), id);
        Some(id)
    }

    fn derived_placeholder(&mut self, did: DeclId, name: &str) -> Option<SymId> {
        let d = &self.decls[did as usize];
        if !derived_names(d.kind).contains(&name) {
            return None;
        }
        let full = dotted(&d.name, name);
        let span = d.name_span;
        let id = self.placeholder(full, SymKind::Derived { decl: did }, span);
        self.decls[did as usize].members.push(id);
        self.placeheld.insert(did);
        Some(id)
    }

    fn member(&self, did: DeclId, name: &str) -> Option<SymId> {
        member(&self.syms, &self.decls[did as usize], name)
    }

    /// Defines (or fills the placeholder of) a derived value of a declaration.
    fn define(
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
    fn bin(&self, op: BinOp, a: Ir, b: Ir) -> Ir {
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

    fn f(&self, did: DeclId, name: &str) -> Option<Ir> {
        let id = self.member(did, name)?;
        // Only fields with an expression count; a placeholder for a derived value
        // is not a field.
        if !matches!(self.syms[id as usize].kind, SymKind::Field { .. }) {
            return None;
        }
        Some(Ir::sym(id, self.syms[id as usize].span))
    }

    /// Builds the derived values and the term of one declaration.
    fn derive(&mut self, did: DeclId) {
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
            Kind::Inventory | Kind::Gwp | Kind::Range => None,
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

    fn co2_ratio(&mut self, did: DeclId) -> Option<Ir> {
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

    fn build_groups(&mut self) -> Option<GroupSyms> {
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

    fn group_sym(&mut self, name: &str, op: IrOp, meaning: &'static str, rule: DimRule) -> SymId {
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

    /// Topological order (iterative DFS, prelude symbols first). Reports cycles.
    /// Also notes where each value is written (`Symbol::value`).
    fn order(&mut self) -> Vec<SymId> {
        let n = self.syms.len();
        let gwp_deps: Vec<SymId> = match self.header.as_ref().and_then(|h| h.gwp) {
            Some(g) => self.decls[g as usize].members.clone(),
            None => Vec::new(),
        };
        let period = self.header.as_ref().and_then(|h| h.period);
        let mut prelude: Vec<bool> = Vec::with_capacity(n);
        for (s, ir) in self.syms.iter_mut().zip(&self.irs) {
            prelude.push(s.prelude);
            // Where the value is written, kept once the expression is gone.
            s.value_at = ir.as_ref().map_or(NO_VALUE, |ir| ir.span);
        }
        // 0 = unvisited, 1 = on stack, 2 = done
        let mut state = vec![0u8; n];
        let mut order = Vec::with_capacity(n);
        let mut cycle: Option<Vec<usize>> = None;
        // The dependencies of the symbols on the stack, each one's after those of
        // the one below it (memory for the depth of the stack, not for every
        // symbol): a symbol's are `deps[start..]` while it is on top.
        let mut deps: Vec<SymId> = Vec::new();
        // (symbol, where its dependencies start in `deps`, its next one), reused
        // for every root.
        let mut stack: Vec<(usize, usize, usize)> = Vec::new();
        let irs = &self.irs;
        // A symbol's dependencies, pushed onto `deps`: one walk of its expression
        // for its symbols and its uses of the GWP set and the period.
        let push_deps = |v: usize, deps: &mut Vec<SymId>| {
            if let Some(Some(ir)) = irs.get(v) {
                let from = deps.len();
                let mut uses = Uses::default();
                scan(ir, deps, from, &mut uses);
                if uses.gwp {
                    deps.extend(gwp_deps.iter().copied());
                }
                if uses.period {
                    deps.extend(period);
                }
            }
        };
        // Roots: the prelude's symbols first, then the file's.
        let roots = (0..n).filter(|&i| prelude[i]).chain((0..n).filter(|&i| !prelude[i]));
        for root in roots {
            if state[root] != 0 {
                continue;
            }
            stack.clear();
            deps.clear();
            push_deps(root, &mut deps);
            stack.push((root, 0, 0));
            state[root] = 1;
            while let Some(&mut (v, from, ref mut i)) = stack.last_mut() {
                if from + *i < deps.len() {
                    let w = deps[from + *i] as usize;
                    *i += 1;
                    match state[w] {
                        0 => {
                            state[w] = 1;
                            let at = deps.len();
                            push_deps(w, &mut deps);
                            stack.push((w, at, 0));
                        }
                        1 if cycle.is_none() => {
                            let pos = stack.iter().position(|(x, ..)| *x == w).unwrap_or(0);
                            cycle = Some(stack[pos..].iter().map(|(x, ..)| *x).collect());
                        }
                        _ => {}
                    }
                } else {
                    state[v] = 2;
                    order.push(v as SymId);
                    deps.truncate(from);
                    stack.pop();
                }
            }
        }
        if let Some(c) = cycle {
            self.report_cycle(&c);
        }
        order
    }

    /// One diagnostic, at the cycle's first name: the cycle written out (its
    /// first names and its last when it is long) and the next few names labelled.
    fn report_cycle(&mut self, cycle: &[usize]) {
        const SHOWN: usize = 8;
        const HEAD: usize = 4;
        let name = |i: usize| self.syms[i].name.as_str();
        let first = cycle[0];
        let mut path: Vec<String> = Vec::with_capacity(SHOWN + 2);
        if cycle.len() <= SHOWN {
            path.extend(cycle.iter().map(|&i| name(i).to_string()));
        } else {
            path.extend(cycle[..HEAD].iter().map(|&i| name(i).to_string()));
            path.push(format!("… ({} more)", thousands(cycle.len() - HEAD - 1)));
            path.push(name(cycle[cycle.len() - 1]).to_string());
        }
        path.push(name(first).to_string());
        let mut d = Diag::error("carbon::names::cycle", format!("`{}` depends on itself", name(first)))
            .at(self.syms[first].name_span, format!("cycle: {}", path.join(" → ")));
        let labelled: Vec<usize> = cycle[1..]
            .iter()
            .copied()
            .filter(|&i| {
                self.syms[i].name_span.src == self.syms[first].name_span.src
                    && self.syms[i].name_span != Span::default()
            })
            .take(SHOWN)
            .collect();
        // A short cycle is labelled whole; a long one at its next few names.
        let shown = if cycle.len() <= SHOWN { SHOWN } else { SHOWN_USES };
        let more = cycle.len() - 1 - labelled.len().min(shown);
        for (k, &i) in labelled.iter().enumerate().take(shown) {
            let text = if k + 1 == shown && labelled.len() > shown {
                format!(
                    "`{}` is part of the cycle, and {} more",
                    self.syms[i].name,
                    thousands(more)
                )
            } else {
                format!("`{}` is part of the cycle", self.syms[i].name)
            };
            d = d.also(self.syms[i].name_span, text);
        }
        self.diags.push(
            d.help("a value cannot be computed from itself; break the cycle by giving one of these a value of its own"),
        );
    }
}

/// What an expression uses beyond its symbols.
#[derive(Default)]
struct Uses {
    /// The GWP set (`IrOp::Gwp`).
    gwp: bool,
    /// The period (`IrOp::PerPeriod`, `IrOp::OverPeriod`).
    period: bool,
}

/// Appends to `out` the symbols `ir` reads that are not in `out[from..]` yet, in
/// order of first appearance (as `Ir::deps`), and notes what else it uses.
fn scan(ir: &Ir, out: &mut Vec<SymId>, from: usize, uses: &mut Uses) {
    match &ir.op {
        IrOp::Lit { .. } => {}
        IrOp::Sym(s) => {
            if !out[from..].contains(s) {
                out.push(*s)
            }
        }
        IrOp::Gwp(x) => {
            uses.gwp = true;
            scan(x, out, from, uses)
        }
        IrOp::PerPeriod(x) | IrOp::OverPeriod(x) => {
            uses.period = true;
            scan(x, out, from, uses)
        }
        IrOp::Neg(x) | IrOp::Convert(x, _) => scan(x, out, from, uses),
        IrOp::Bin(_, ab) => {
            scan(&ab[0], out, from, uses);
            scan(&ab[1], out, from, uses);
        }
        IrOp::Pair(_, xy, _) => {
            for s in xy {
                if !out[from..].contains(s) {
                    out.push(*s)
                }
            }
        }
        // Group members are distinct declarations: no de-duplication (which would
        // be quadratic for large groups).
        IrOp::Sum(xs) => out.extend(xs.iter().map(|(_, s)| *s)),
        IrOp::Chain(c) => {
            // Each operand's symbols, then those new here (one by one would be
            // quadratic in a long chain).
            let mut all = Vec::new();
            for x in c.operands() {
                x.syms(&mut all);
                uses_of(x, uses);
            }
            crate::ir::push_new(out, from, &all);
        }
    }
}

/// Notes what `ir` uses beyond its symbols (as `scan`).
fn uses_of(ir: &Ir, uses: &mut Uses) {
    match &ir.op {
        IrOp::Gwp(x) => {
            uses.gwp = true;
            uses_of(x, uses)
        }
        IrOp::PerPeriod(x) | IrOp::OverPeriod(x) => {
            uses.period = true;
            uses_of(x, uses)
        }
        IrOp::Neg(x) | IrOp::Convert(x, _) => uses_of(x, uses),
        IrOp::Bin(_, ab) => {
            uses_of(&ab[0], uses);
            uses_of(&ab[1], uses);
        }
        IrOp::Chain(c) => c.operands().for_each(|x| uses_of(x, uses)),
        IrOp::Lit { .. } | IrOp::Sym(_) | IrOp::Pair(..) | IrOp::Sum(_) => {}
    }
}

/// Derived values each kind computes (referencable as `decl.name`).
/// Moves an expression out of the syntax tree, leaving an empty path behind.
fn take(e: &mut Expr) -> Expr {
    let span = e.span;
    std::mem::replace(
        e,
        Expr {
            kind: ExprKind::Path(Vec::new()),
            span,
        },
    )
}

/// `decl.member`, joined in place: inline, without an allocation, up to 23
/// bytes (`SmolStr::from_iter` is cheaper than joining on the stack and checking
/// the UTF-8 again, measured).
fn dotted(decl: &str, member: &str) -> SmolStr {
    SmolStr::from_iter([decl, ".", member])
}

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

fn field_rule(kind: Kind, field: &str) -> DimRule {
    match (kind, field) {
        (Kind::Inventory, "period") => DimRule::Time,
        (_, "area") => DimRule::Area,
        (Kind::Cover, "density") | (_, "soil") | (_, "previous") => DimRule::CarbonDensity,
        (_, "increment") => DimRule::CarbonGain,
        (_, "interval") => DimRule::Time,
        (Kind::Stand, "volume") => DimRule::VolumePerArea,
        (Kind::Stand, "a") => DimRule::MassPerArea,
        (Kind::Stand, "b") => DimRule::MassPerVolume,
        (Kind::Stand, "carbon") => DimRule::CarbonContent,
        (Kind::Transport, "excluded") => DimRule::Fraction,
        (Kind::Gas, "amount") | (Kind::Emission, "amount") | (Kind::Capture, "amount") | (Kind::Removal, "amount") => {
            DimRule::Substance
        }
        (Kind::Offset, _) => DimRule::Substance,
        _ => DimRule::Any,
    }
}

fn self_text(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Path(p) => p.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join("."),
        ExprKind::Quantity { value, .. } => crate::number::format(*value),
        _ => "this expression".into(),
    }
}

/// Name lookup, for lowering expressions: the namer while building, and a
/// read-only view of a resolved program afterwards (the REPL).
pub(crate) trait Lookup {
    fn lookup(&mut self, parts: &[ast::Ident]) -> Option<SymId>;
    fn scope(&self) -> &HashMap<SmolStr, SymId>;
    /// Whether a word after a number is a unit.
    fn is_unit(&mut self, units: &mut Units, atom: &str) -> bool {
        units.lookup(atom).is_some()
    }
    /// Where a quantity's unit splits into a unit and names (see
    /// [`lower_quantity`]), if a namer remembers it for this shared unit.
    fn known_split(&self, _u: &Arc<UnitExpr>) -> Option<Option<usize>> {
        None
    }
    /// Remembers it.
    fn note_split(&mut self, _u: &Arc<UnitExpr>, _split: Option<usize>) {}
    /// Whether a word is close to a global name (a misspelled name).
    fn near_name(&mut self, word: &str) -> bool {
        suggest::closest(word, self.scope().keys().map(|k| k.as_str())).is_some()
    }
}

impl Lookup for Namer {
    fn lookup(&mut self, parts: &[ast::Ident]) -> Option<SymId> {
        Namer::lookup(self, parts)
    }
    fn scope(&self) -> &HashMap<SmolStr, SymId> {
        &self.scope
    }
    /// By the address of the unit the parser shares among the quantities that
    /// write it, while the global names are the same (the units do not change
    /// while expressions are lowered; a group's name may be added).
    fn known_split(&self, u: &Arc<UnitExpr>) -> Option<Option<usize>> {
        match self.splits.get(&(Arc::as_ptr(u) as usize)) {
            Some(&(_, split, names)) if names == self.scope.len() => Some(split),
            _ => None,
        }
    }
    fn note_split(&mut self, u: &Arc<UnitExpr>, split: Option<usize>) {
        // The `Arc` is held so that its address is not reused.
        let names = self.scope.len();
        self.splits
            .insert(Arc::as_ptr(u) as usize, (Arc::clone(u), split, names));
    }
    /// Memoised: a file has few distinct unit words (the unit table does not
    /// change while names are resolved).
    fn is_unit(&mut self, units: &mut Units, atom: &str) -> bool {
        if let Some(&u) = self.unit_words.get(atom) {
            return u;
        }
        let u = units.lookup(atom).is_some();
        self.unit_words.insert(atom.into(), u);
        u
    }
    /// Memoised, and for the first distinct words only (`SUGGESTED`, and
    /// `SUGGEST_WORK` names looked at: each looks through every global name): past
    /// them, a word that is neither a unit nor a name is taken for a unit, and
    /// reported as an unknown unit.
    fn near_name(&mut self, word: &str) -> bool {
        let names = self.scope.len();
        if let Some(&(near, at)) = self.near_names.get(word) {
            if at == names {
                return near;
            }
        }
        let near = self.near_names.len() < SUGGESTED && self.near_work < SUGGEST_WORK && {
            self.near_work += self.scope.len();
            let near = Near::new(word);
            let candidates = self.scope.keys().filter(|k| near.may_be(&[k.as_str()]));
            suggest::closest(word, candidates.map(|k| k.as_str())).is_some()
        };
        self.near_names.insert(word.into(), (near, names));
        near
    }
}

/// Operations split off a quantity's unit (`5 a * share` is parsed as the number
/// 5 in the unit `a*share`; `share` is a name): applied, left to right, by the
/// multiplicative chain that encloses the quantity (see [`lower_tail`]).
type Tail = Vec<(BinOp, Ir)>;

/// AST expression → IR, resolving names.
pub(crate) fn lower_with<L: Lookup>(l: &mut L, e: &Expr, units: &mut Units) -> Option<Ir> {
    let (ir, tail) = lower_tail(l, e, units)?;
    Some(apply(ir, tail))
}

/// `ir` followed by the operations of `tail`, left to right.
fn apply(ir: Ir, tail: Tail) -> Ir {
    tail.into_iter().fold(ir, |acc, (op, x)| Ir::bin(op, acc, x))
}

/// Whether `e` was written in parentheses: the AST has no node for them, a
/// parenthesised expression's span includes them (a quantity says so itself).
fn parenthesised(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Quantity { paren, .. } => *paren,
        ExprKind::Binary(_, a, b) => e.span.start < a.span.start || e.span.end > b.span.end,
        ExprKind::Neg(x) => e.span.end > x.span.end,
        ExprKind::Chain(c) => {
            e.span.start < c.first.span.start || c.rest.last().is_some_and(|(_, x)| e.span.end > x.span.end)
        }
        _ => false,
    }
}

/// Lowers `e` and returns, apart, the operations split off the unit of its last
/// quantity that still belong to the enclosing `*`/`/` chain: `x / 5 a * share`
/// is `(x / (5 a)) * share`, and `x / 2 a / k` is `(x / (2 a)) / k` — a number
/// and its unit bind tightest, `*` and `/` associate left to right, a name never
/// becomes part of a unit. A tail never leaves parentheses, passes out of the
/// right operand of `^` (`x ^ 3 t / z` is `(x ^ (3 t)) / z`), and a `^` after a
/// quantity whose unit split applies to the last split-off operand
/// (`5 t / area ^ 2` is `(5 t) / area ^ 2`).
fn lower_tail<L: Lookup>(l: &mut L, e: &Expr, units: &mut Units) -> Option<(Ir, Tail)> {
    let (ir, tail) = match &e.kind {
        ExprKind::Quantity {
            value,
            unit: Some(u),
            precision,
            ..
        } => lower_quantity(l, *value, *precision, u, e.span, units)?,
        ExprKind::Quantity {
            value,
            unit: None,
            precision,
            ..
        } => (
            Ir {
                op: IrOp::Lit {
                    value: *value,
                    unit: None,
                    precision: *precision,
                },
                span: e.span,
            },
            Tail::new(),
        ),
        ExprKind::Path(parts) => (Ir::sym(l.lookup(parts)?, e.span), Tail::new()),
        ExprKind::Neg(x) => {
            let (x, tail) = lower_tail(l, x, units)?;
            let span = if tail.is_empty() {
                e.span
            } else {
                Span {
                    end: x.span.end,
                    ..e.span
                }
            };
            (
                Ir {
                    op: IrOp::Neg(Box::new(x)),
                    span,
                },
                tail,
            )
        }
        ExprKind::Binary(op @ (BinOp::Add | BinOp::Sub), a, b) => {
            let a = lower_with(l, a, units);
            let b = lower_with(l, b, units);
            (
                Ir {
                    op: IrOp::Bin(*op, Box::new([a?, b?])),
                    span: e.span,
                },
                Tail::new(),
            )
        }
        ExprKind::Chain(c) => {
            // Every operand, so that each unknown name is reported. In a `*`/`/`
            // chain, the operations split off an operand's unit follow it in the
            // chain (left to right); a `+`/`−` chain ends every operand's tail.
            let mul = c.rest[0].0.level() == BinOp::Mul.level();
            let first = if mul {
                lower_tail(l, &c.first, units)
            } else {
                lower_with(l, &c.first, units).map(|x| (x, Tail::new()))
            };
            let rest: Vec<Option<(BinOp, Ir, Tail)>> = c
                .rest
                .iter()
                .map(|(op, x)| {
                    if mul {
                        lower_tail(l, x, units).map(|(x, t)| (*op, x, t))
                    } else {
                        lower_with(l, x, units).map(|x| (*op, x, Tail::new()))
                    }
                })
                .collect();
            let (first, mut chain) = first?;
            for r in rest {
                let (op, x, t) = r?;
                chain.push((op, x));
                chain.extend(t);
            }
            (
                Ir {
                    op: IrOp::Chain(Box::new(Chained {
                        first,
                        rest: chain.into_boxed_slice(),
                    })),
                    span: e.span,
                },
                Tail::new(),
            )
        }
        ExprKind::Binary(op @ (BinOp::Mul | BinOp::Div), a, b) => {
            let a = lower_with(l, a, units);
            let b = lower_tail(l, b, units);
            let (a, (b, tail)) = (a?, b?);
            (Ir::bin(*op, a, b), tail)
        }
        ExprKind::Binary(BinOp::Pow, a, b) => {
            let a = lower_tail(l, a, units);
            let b = lower_tail(l, b, units);
            let ((a, mut ta), (b, tb)) = (a?, b?);
            let ir = match ta.pop() {
                Some((op, last)) => {
                    ta.push((op, Ir::bin(BinOp::Pow, last, b)));
                    a
                }
                None => Ir::bin(BinOp::Pow, a, b),
            };
            ta.extend(tb);
            (ir, ta)
        }
        ExprKind::Convert(x, u) => (
            Ir {
                op: IrOp::Convert(Box::new(lower_with(l, x, units)?), u.clone()),
                span: e.span,
            },
            Tail::new(),
        ),
    };
    if tail.is_empty() {
        // The node's own span (with its parentheses, if any).
        return Some((Ir { span: e.span, ..ir }, tail));
    }
    if parenthesised(e) {
        let ir = apply(ir, tail);
        return Some((Ir { span: e.span, ..ir }, Tail::new()));
    }
    Some((ir, tail))
}

/// `5 t / z`: after a number, a word that is not a unit but is a declared name
/// ends the unit, and the rest is arithmetic (`(5 t) / z`). A name that is also
/// a unit stays a unit.
fn lower_quantity<L: Lookup>(
    l: &mut L,
    value: f64,
    precision: f64,
    u: &Arc<UnitExpr>,
    span: Span,
    units: &mut Units,
) -> Option<(Ir, Tail)> {
    let split = match l.known_split(u) {
        Some(split) => split,
        None => {
            let split = (1..u.factors.len()).find(|&i| is_name(l, &u.factors[i], units));
            l.note_split(u, split);
            split
        }
    };
    split_unit(l, value, precision, u, u.start_in(span), span, split, units)
}

/// A word of a unit is read as a name when it is not a unit and is a declared
/// name, or is closer to a declared name than to any unit (a misspelled name); a
/// unit group (`(2 a * k)`) when a word in it is.
fn is_name<L: Lookup>(n: &mut L, f: &ast::UnitFactor, units: &mut Units) -> bool {
    match &f.base {
        UnitBase::Atom(a) => {
            !n.is_unit(units, a)
                && (n.scope().contains_key(a.as_str())
                    || RESERVED.contains(&a.as_str())
                    || (a.chars().count() > 3 && n.near_name(a) && suggest::closest(a, units.unit_names()).is_none()))
        }
        UnitBase::Group(g) => g.factors.iter().any(|f| is_name(n, f, units)),
    }
}

/// `value u` split before factor `split` (0: the number alone) into a literal and
/// the tail of operations after it. `at` is where the unit's relative spans
/// start in the file.
#[allow(clippy::too_many_arguments)]
fn split_unit<L: Lookup>(
    l: &mut L,
    value: f64,
    precision: f64,
    u: &Arc<UnitExpr>,
    at: u32,
    span: Span,
    split: Option<usize>,
    units: &mut Units,
) -> Option<(Ir, Tail)> {
    // The unit's spans are relative to its start (see `UnitExpr`); the names and
    // literals split off it are spanned in the file. The units split off keep
    // relative spans: each ends its literal, as the whole unit ends `span`.
    let Some(i) = split else {
        let lit = Ir {
            op: IrOp::Lit {
                value,
                unit: Some(u.clone()),
                precision,
            },
            span,
        };
        return Some((lit, Tail::new()));
    };
    let ir = if i == 0 {
        // A group that starts with a name: `(share)`, `(k * 2 a)`.
        Ir {
            op: IrOp::Lit {
                value,
                unit: None,
                precision,
            },
            span,
        }
    } else {
        head(value, precision, u, at, span, i)
    };
    let mut tail = Tail::with_capacity(u.factors.len() - i);
    for f in &u.factors[i..] {
        let f_span = f.span.after(at);
        let operand = match &f.base {
            UnitBase::Group(g) if is_name(l, f, units) => {
                // A parenthesised expression read as a unit group: `x / (2 a * k)`.
                let inner = Arc::new(UnitExpr {
                    scale: None,
                    text: None,
                    factors: g.factors.clone(),
                    span: g.span,
                });
                let first = (0..g.factors.len()).find(|&j| is_name(l, &g.factors[j], units));
                let (ir, t) = split_unit(l, g.scale.unwrap_or(1.0), 0.0, &inner, at, f_span, first, units)?;
                Ir {
                    span: f_span,
                    ..apply(ir, t)
                }
            }
            _ if is_name(l, f, units) => {
                let UnitBase::Atom(a) = &f.base else { return None };
                let id = l.lookup(&[ast::Ident {
                    name: a.as_str().into(),
                    span: f_span,
                }])?;
                Ir::sym(id, f_span)
            }
            _ => {
                let one = ast::UnitFactor {
                    base: f.base.clone(),
                    exp: Rat::ONE,
                    span: f.span,
                };
                let unit = UnitExpr {
                    scale: None,
                    text: None,
                    factors: vec![one],
                    span: f.span,
                };
                Ir {
                    op: IrOp::Lit {
                        value: 1.0,
                        unit: Some(Arc::new(unit)),
                        precision: 0.0,
                    },
                    span: f_span,
                }
            }
        };
        let mag = if f.exp.is_negative() { f.exp.negated() } else { f.exp };
        let operand = if mag == Rat::ONE {
            operand
        } else {
            let e = Ir {
                op: IrOp::Lit {
                    value: mag.to_f64(),
                    unit: None,
                    precision: 0.0,
                },
                span: f_span,
            };
            Ir::bin(BinOp::Pow, operand, e)
        };
        tail.push((if f.exp.is_negative() { BinOp::Div } else { BinOp::Mul }, operand));
    }
    Some((ir, tail))
}

/// The literal `value` in the first `i` factors of `u`.
fn head(value: f64, precision: f64, u: &UnitExpr, at: u32, span: Span, i: usize) -> Ir {
    let head_span = Span {
        end: u.factors[i - 1].span.after(at).end,
        ..span
    };
    let head = UnitExpr {
        scale: u.scale,
        text: None,
        factors: u.factors[..i].to_vec(),
        // Ends where its literal ends (see `at` above).
        span: Span {
            end: u.factors[i - 1].span.end,
            ..u.span
        },
    };
    Ir {
        op: IrOp::Lit {
            value,
            unit: Some(Arc::new(head)),
            precision,
        },
        span: head_span,
    }
}

/// "unknown name", with the closest global name or member as did-you-mean (when
/// `suggest`), and how many names it looked at.
fn unknown_name(
    scope: &HashMap<SmolStr, SymId>,
    syms: &[Symbol],
    decls: &[DeclInfo],
    full: &str,
    span: Span,
    suggest: bool,
) -> (Diag, usize) {
    let d = Diag::error("carbon::names::unknown", format!("unknown name `{full}`")).at(span, "not declared anywhere");
    if let Some(k) = ast::NotationKey::from_word(full) {
        let d = d.help(format!(
            "{} ({}) is a notation key: write it as a declaration's value with its reason in quotes, `amount {} \"why there is no figure\"`",
            k.word(),
            k.meaning(),
            k.word()
        ));
        return (d, 0);
    }
    if !suggest {
        return (d, 0);
    }
    // Only the names that may be close are given to `suggest::closest` (the
    // members' full names are made for those alone).
    let near = Near::new(full);
    let mut work = scope.len();
    let mut candidates: Vec<String> = scope
        .keys()
        .filter(|k| near.may_be(&[k.as_str()]))
        .map(|k| k.to_string())
        .collect();
    for d in decls {
        for (m, _) in members(syms, d) {
            work += 1;
            if near.may_be(&[d.name.as_str(), ".", m]) {
                candidates.push(format!("{}.{m}", d.name));
            }
        }
    }
    let d = match suggest::closest(full, candidates.iter().map(|s| s.as_str())) {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None => d,
    };
    (d, work)
}

/// A quick test of whether a name may be close to a word, before
/// `suggest::closest` computes the edit distance: their lengths differ by at most
/// its largest limit (3), and so do their letters counted as bags (the bag
/// distance, which is at most the edit distance; ASCII case folded, every other
/// character counted as one).
struct Near {
    len: usize,
    /// How many times each (folded) character is in the word.
    bag: [u16; 128],
    chars: usize,
}

impl Near {
    const LIMIT: usize = 3;

    fn new(word: &str) -> Near {
        let mut bag = [0u16; 128];
        let mut chars = 0;
        for c in word.chars() {
            let i = Near::slot(c);
            bag[i] = bag[i].saturating_add(1);
            chars += 1;
        }
        Near {
            len: word.len(),
            bag,
            chars,
        }
    }

    fn slot(c: char) -> usize {
        if c.is_ascii() {
            c.to_ascii_lowercase() as usize
        } else {
            0
        }
    }

    /// Whether the name written as the concatenation of `parts` may be close.
    fn may_be(&self, parts: &[&str]) -> bool {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len.abs_diff(self.len) > Near::LIMIT {
            return false;
        }
        let mut bag = self.bag;
        // Characters of the word not matched in the name, and of the name not in
        // the word.
        let mut left = self.chars;
        let mut extra = 0;
        for c in parts.iter().flat_map(|p| p.chars()) {
            let i = Near::slot(c);
            if bag[i] > 0 {
                bag[i] -= 1;
                left -= 1;
            } else {
                extra += 1;
                if extra > Near::LIMIT {
                    return false;
                }
            }
        }
        left <= Near::LIMIT
    }
}

/// `d` (about the first use of an unknown word) with the number of uses in its
/// message and the next `SHOWN_USES` uses as secondary labels.
fn with_uses(d: Diag, u: &Unknown) -> Diag {
    crate::diag::with_uses(d, u.uses, &u.also)
}

pub(crate) use crate::diag::thousands;

impl Resolved {
    /// A global name (`coal`, `net`, `tce_to_co2`) or a member (`coal.amount`).
    pub fn find(&self, name: &str) -> Option<SymId> {
        if let Some(&id) = self.scope.get(name) {
            return Some(id);
        }
        let (d, m) = name.split_once('.')?;
        let did = *self.decl_scope.get(d)?;
        self.member(&self.decls[did as usize], m)
    }
}

/// Read-only name lookup over a resolved program (the REPL's expressions).
pub struct ResolvedLookup<'r> {
    pub res: &'r Resolved,
    pub diags: Vec<Diag>,
}

impl Lookup for ResolvedLookup<'_> {
    fn lookup(&mut self, parts: &[ast::Ident]) -> Option<SymId> {
        let res = self.res;
        let span = parts[0].span.to(parts[parts.len() - 1].span);
        let full = parts.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(".");
        if parts.len() == 1 {
            if let Some(&id) = res.scope.get(full.as_str()) {
                return Some(id);
            }
        } else if parts.len() == 2 {
            if let Some(&did) = res.decl_scope.get(parts[0].name.as_str()) {
                let d = &res.decls[did as usize];
                if let Some(id) = res.member(d, &parts[1].name) {
                    return Some(id);
                }
            }
        }
        self.diags
            .push(unknown_name(&res.scope, &res.syms, &res.decls, &full, span, true).0);
        None
    }
    fn scope(&self) -> &HashMap<SmolStr, SymId> {
        &self.res.scope
    }
}

/// Lowers one expression in the scope of a resolved program.
pub fn lower_in(res: &Resolved, units: &mut Units, e: &Expr) -> Result<Ir, Vec<Diag>> {
    let mut l = ResolvedLookup { res, diags: Vec::new() };
    match lower_with(&mut l, e, units) {
        Some(ir) if l.diags.is_empty() => Ok(ir),
        _ => Err(l.diags),
    }
}
