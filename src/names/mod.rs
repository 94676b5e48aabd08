//! Stage 3 (names): builds the symbol table from the declarations of all files,
//! resolves every reference to a symbol index once, builds each declaration's
//! derived values (Eq. 3–12) from its fields, and orders the symbols so that each
//! comes after everything it reads. Cycles are reported with the cycle.

mod block;
mod derive;
mod lower;
mod order;
mod types;
mod unknown;

pub use types::*;

use crate::diag::Diag;
use crate::domain::{FieldType, Group, Kind, Land};
use crate::ir::{At, Chained, Ir, IrOp, SymId};
use crate::source::{SourceId, Span};
use crate::suggest;
use crate::syntax::ast::{self, BinOp, Citation, Decl, Expr, ExprKind, FieldValue, File, UnitBase, UnitExpr};
use lower::lower_with;
pub use lower::{lower_in, ResolvedLookup};
use unknown::{unknown_name, with_uses, Near};
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
        let id = self.new_sym(Symbol::hidden(name.into(), 0, e.span, prelude));
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
