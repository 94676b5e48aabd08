//! Stage 3 (names): builds the symbol table from the declarations of all files,
//! resolves every reference to a symbol index once, builds each declaration's
//! derived values from its fields (by its kind's template), and orders the
//! symbols so that each comes after everything it reads. Cycles are reported
//! with the cycle.

mod block;
mod declare;
mod derive;
mod instantiate;
mod kinds;
mod lower;
mod order;
mod sources;
mod types;
mod unknown;

pub use types::*;

use crate::diag::Diag;
use crate::domain::{FieldType, Group, Kind, Land};
use crate::ir::{At, Chained, Func, Ir, IrOp, SymId};
use crate::source::{SourceId, Span};
use crate::suggest;
use crate::syntax::ast::{self, BinOp, Citation, Decl, Expr, ExprKind, FieldValue, File, UnitBase, UnitExpr};
use declare::take;
use derive::dotted;
use lower::lower_with;
pub use lower::{lower_in, ResolvedLookup};
use unknown::{unknown_name, Near, Unknown, UnknownKind, SHOWN_USES, SUGGESTED, SUGGEST_WORK};
// Names of the balance, which no declaration may take.
use crate::syntax::keywords::BALANCE_NAMES as RESERVED;
use crate::units::{Rat, Units};
use rustc_hash::FxHashMap as HashMap;
use smol_str::SmolStr;
use std::sync::Arc;

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
    kind_shadows: Vec<(&'static str, Span)>,
    ranges: Vec<RangeInfo>,
    notations: Vec<NotationInfo>,
    /// Kinds declared in the language, and each one's index by name.
    kinds: Vec<Arc<kinds::Template>>,
    kind_ix: HashMap<SmolStr, u16>,
    /// Each kind's texts as this namer numbers them, by template index (see
    /// [`Namer::kind_texts`]).
    kind_texts: Vec<Option<Arc<kinds::KindTexts>>>,
    /// Kinds with errors: their uses are refused with one word each.
    broken_kinds: Vec<SmolStr>,
    /// Blocks of a kind not declared yet (streaming): declared at `finish`.
    parked: Vec<ast::BlockDecl>,
    /// Whether `finish` has begun (a kind unknown then is unknown).
    finishing: bool,
    /// What each use of a declared kind selected, until it is instantiated.
    uses: Vec<Option<kinds::Use>>,
    /// Shapes of the declared kinds' fields and values, and each one's written
    /// dimension until `finish` resolves it.
    patterns: Vec<Pattern>,
    pattern_dims: Vec<Option<UnitExpr>>,
    pattern_ix: HashMap<String, u8>,
    kind_checks: Vec<KindCheck>,
    bounds: Vec<FieldBound>,
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
    // Kinds next: a use may come before its kind.
    for f in &files {
        for d in &f.decls {
            if let Decl::Kind(k) = d {
                n.declare_kind(k);
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
        // A use of a declared kind adds its values (one a name) and the
        // defaults it does not give; a probe, every field, value and term.
        let per_use = |t: &kinds::Template| {
            let mut names: Vec<&str> = t.values.iter().map(|v| v.name.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            names.len() + t.fields.iter().filter(|f| f.default.is_some()).count()
        };
        let per_kind: Vec<usize> = self.n.kinds.iter().map(|t| per_use(t)).collect();
        let derived: usize = self
            .n
            .decls
            .iter()
            .map(|d| match d.kind {
                Kind::User(w) => self
                    .n
                    .kinds
                    .iter()
                    .position(|t| t.kind_name == w)
                    .map_or(0, |i| per_kind[i]),
                _ => 0,
            })
            .sum();
        let probes: usize = self
            .n
            .kinds
            .iter()
            .map(|t| t.fields.len() + t.values.len() + t.terms.len())
            .sum();
        // A parked use: its fields, its term and, its kind unknown yet, the most
        // any kind adds (or a generous guess).
        let most = per_kind.iter().copied().max().unwrap_or(0).max(64);
        let parked: usize = self.n.parked.iter().map(|b| b.fields.len() + 1 + most).sum();
        let derived = derived + probes + parked;
        self.n.syms.len() + derived + crate::domain::Group::ALL.len() + 4 + RESERVED.len()
    }

    pub fn finish(mut self, units: &mut Units) -> (Resolved, Vec<Diag>) {
        self.n.settle_citations();
        self.n.finish(units)
    }
}

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
            kind_shadows: Vec::new(),
            notations: Vec::new(),
            ranges: Vec::new(),
            unit_words: HashMap::default(),
            spec_cache: Vec::new(),
            kinds: Vec::new(),
            kind_ix: HashMap::default(),
            kind_texts: Vec::new(),
            broken_kinds: Vec::new(),
            parked: Vec::new(),
            finishing: false,
            uses: Vec::new(),
            patterns: Vec::new(),
            pattern_dims: Vec::new(),
            pattern_ix: HashMap::default(),
            kind_checks: Vec::new(),
            bounds: Vec::new(),
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
        if self.streaming {
            // Kinds first, as `resolve` declares them: a block or a `range` of
            // this piece may come before its kind.
            for d in &decls {
                if let Decl::Kind(k) = d {
                    self.declare_kind(k);
                }
            }
        }
        for mut d in decls {
            match &mut d {
                Decl::Let(l) => self.declare_let(l),
                Decl::Block(b) => self.declare_block(b),
                Decl::Expect(e) => self.declare_expect(e),
                // Declared before the rest (above, or in `resolve`).
                Decl::Kind(_) => {}
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

    /// Builds the derived values, the groups and the order, once every
    /// declaration is declared.
    fn finish(mut self, units: &mut Units) -> (Resolved, Vec<Diag>) {
        let n = &mut self;
        n.finishing = true;
        for mut b in std::mem::take(&mut n.parked) {
            n.declare_block(&mut b);
        }
        n.resolve_patterns(units);
        n.resolve_bounds(units);
        n.resolve_citations();
        n.settle_gwp();
        // Header fields are global names (`period`).
        let pending = std::mem::take(&mut n.pending);
        for (id, e) in pending {
            let ir = n.lower(&e, units);
            n.irs[id as usize] = ir;
        }
        n.probe_kinds(units);
        n.report_unknowns();
        for i in 0..n.decls.len() {
            if let Kind::User(_) = n.decls[i].kind {
                n.instantiate(i as DeclId, units);
            }
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
            kind_shadows: self.kind_shadows,
            ranges: self.ranges,
            notations: self.notations,
            notation_at,
            texts: self.fixed,
            patterns: self.patterns,
            probes: self.kind_checks.iter().flat_map(|k| k.probe.iter().copied()).collect(),
            kind_checks: self.kind_checks,
            bounds: self.bounds,
        };
        (r, self.diags)
    }

    fn is_prelude(&self, span: Span) -> bool {
        Some(span.src) == self.prelude_src
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

    /// The field specifications of a kind (built on first use).
    fn specs(&mut self, kind: Kind) -> Arc<[crate::domain::FieldSpec]> {
        if let Some(t) = self.template_of(kind) {
            return t.specs.clone();
        }
        let i = Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
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
