//! Stage 2 (units): dimensions as canonical products of base dimensions with
//! rational exponents, the unit registry built from `dimension` and `unit`
//! declarations (the prelude's and the user's), and display units.

use crate::diag::Diag;
use crate::suggest;
use crate::syntax::ast::{Decl, File, UnitBase, UnitDef, UnitExpr};
use rustc_hash::FxHashMap as HashMap;
use smallvec::{smallvec, SmallVec};
use std::fmt::Write;

pub use crate::number::Rat;

/// How many base dimensions a program may declare.
pub const MAX_BASES: usize = 16;

/// A dimension: the exponent of each base dimension. `Copy`, compared in O(1).
/// Numerators and denominators are kept in two arrays of plain integers, so that
/// equality and hashing work on whole arrays (a dimension is compared and interned
/// once per symbol). Exponents are always reduced, with denominator 1 for zero.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Dim {
    n: [i16; MAX_BASES],
    d: [i16; MAX_BASES],
}

impl Dim {
    pub const ONE: Dim = Dim {
        n: [0; MAX_BASES],
        d: [1; MAX_BASES],
    };

    fn get(&self, i: usize) -> Rat {
        Rat {
            n: self.n[i],
            d: self.d[i],
        }
    }
    fn set(&mut self, i: usize, r: Rat) {
        self.n[i] = r.n;
        self.d[i] = r.d;
    }
    pub fn base(i: usize) -> Dim {
        let mut d = Dim::ONE;
        d.set(i, Rat::ONE);
        d
    }
    pub fn mul(&self, o: &Dim) -> Option<Dim> {
        let mut r = Dim::ONE;
        for i in 0..MAX_BASES {
            r.set(i, self.get(i).plus(o.get(i))?);
        }
        Some(r)
    }
    pub fn div(&self, o: &Dim) -> Option<Dim> {
        self.mul(&o.recip())
    }
    pub fn recip(&self) -> Dim {
        let mut r = *self;
        for e in r.n.iter_mut() {
            *e = e.saturating_neg();
        }
        r
    }
    pub fn pow(&self, p: Rat) -> Option<Dim> {
        let mut r = Dim::ONE;
        for i in 0..MAX_BASES {
            r.set(i, self.get(i).times(p)?);
        }
        Some(r)
    }
    pub fn is_one(&self) -> bool {
        *self == Dim::ONE
    }
    /// This dimension times `base^e` (no products of whole dimensions).
    pub fn times_base(mut self, base: usize, e: Rat) -> Option<Dim> {
        if base >= MAX_BASES {
            return None;
        }
        let x = self.get(base).plus(e)?;
        self.set(base, x);
        Some(self)
    }
    pub fn exp(&self, i: usize) -> Rat {
        self.get(i)
    }
    /// Non-zero (base, exponent) pairs.
    pub fn factors(&self) -> impl Iterator<Item = (usize, Rat)> + '_ {
        (0..MAX_BASES).filter(|&i| self.n[i] != 0).map(|i| (i, self.get(i)))
    }
}

/// Interned spelling of a unit as written (`hm2`, `tCO2e`, `(10^4 kWh)`).
pub type AtomId = u32;

#[derive(Clone, Debug)]
pub struct Atom {
    pub name: String,
    pub scale: f64,
    pub dim: Dim,
}

/// A unit for display: a product of written atoms with exponents. The value shown
/// is the base-unit value divided by the product of the atoms' scales.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct DUnit(pub SmallVec<[(AtomId, Rat); 3]>);

/// An interned display unit of one program (see [`Units::intern_dunit`]). The
/// default, 0, is the empty unit (a plain number).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct UnitId(u32);

#[derive(Clone, Debug)]
pub struct BaseDim {
    pub name: String,
    pub description: String,
    /// Unit used to show this base when no written unit is known (`t`, `tC`, `a`).
    pub display: Option<String>,
}

#[derive(Clone, Debug)]
struct UnitEntry {
    scale: f64,
    dim: Dim,
    prefixes: Prefixes,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Prefixes {
    None,
    Metric,
    Large,
}

const METRIC: &[(&str, f64)] = &[
    ("da", 1e1),
    ("Y", 1e24),
    ("Z", 1e21),
    ("E", 1e18),
    ("P", 1e15),
    ("T", 1e12),
    ("G", 1e9),
    ("M", 1e6),
    ("k", 1e3),
    ("h", 1e2),
    ("d", 1e-1),
    ("c", 1e-2),
    ("m", 1e-3),
    ("µ", 1e-6),
    ("μ", 1e-6),
    ("u", 1e-6),
    ("n", 1e-9),
    ("p", 1e-12),
    ("f", 1e-15),
];
const LARGE: &[(&str, f64)] = &[("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12)];
/// Prefixes from the most to the least commonly written, for ranking suggestions
/// that tie otherwise (`mwh`: `MWh` before `mWh`).
const PREFIX_RANK: &[&str] = &["", "k", "M", "G", "T", "m", "c", "h", "µ", "n"];

/// What a field expects, for the help on an unknown unit: its words ("an
/// area"), a unit of that kind (`hm2`), and the test of a dimension.
pub type Want<'a> = (&'a str, &'a str, &'a dyn Fn(&Dim) -> bool);

/// The unit registry: base dimensions, named units, and interned display atoms.
#[derive(Clone, Debug, Default)]
pub struct Units {
    pub bases: Vec<BaseDim>,
    base_ix: HashMap<String, usize>,
    units: HashMap<String, UnitEntry>,
    pub atoms: Vec<Atom>,
    atom_ix: HashMap<String, AtomId>,
    /// Memo of resolved atom spellings (including prefixed and powered forms).
    lookup_cache: HashMap<String, Option<(f64, Dim)>>,
    /// Memo of resolved unit expressions made of plain atoms (`tC/hm2`), keyed by
    /// [`plain_key`]: a large inventory writes a few units on every literal.
    resolve_cache: HashMap<String, Resolved>,
    /// Memo of [`Units::resolve_shared`]: a quantity's unit as the parser shares it
    /// (one `Arc` for every quantity of a file piece that writes the same text), by
    /// address, holding the `Arc` so that the address is not reused. A cache of
    /// the tables above, not an entry of them (see [`Units::entries`]).
    shared: HashMap<usize, (std::sync::Arc<UnitExpr>, f64, DimId, UnitId)>,
    /// `dunit_for_dim` by dimension (about ten distinct dimensions a program).
    dunit_cache: HashMap<Dim, DUnit>,
    /// Reused buffer for the key.
    key_buf: String,
    /// Interned dimensions: a checked symbol keeps a 4-byte id, not a whole `Dim`.
    dims: Vec<Dim>,
    dim_ix: HashMap<Dim, DimId>,
    /// Interned display units: a checked symbol and a compiled constant keep an id.
    dunits: Vec<DUnit>,
    dunit_ix: HashMap<DUnit, UnitId>,
    /// Memo of products and quotients of interned dimensions and display units
    /// (`ID_MUL`/`ID_DIV`, left, right): type inference multiplies the same few
    /// pairs on every declaration of a large inventory.
    dim_ops: HashMap<(u8, DimId, DimId), Option<DimId>>,
    dunit_ops: HashMap<(u8, UnitId, UnitId), UnitId>,
    /// `dunit_for_dim` by interned dimension.
    dunit_for_id: HashMap<DimId, UnitId>,
    /// A frozen copy (see [`Units::frozen`]) adds nothing to its tables: what it
    /// does not have yet it computes without keeping, and notes in `missed`.
    frozen: bool,
    missed: bool,
    /// Memo of the help for an unknown unit, by spelling and the kind the field
    /// expects: a misspelt unit written on every line is looked up once.
    unknown_help: HashMap<(String, String), String>,
}

const ID_MUL: u8 = 0;
const ID_DIV: u8 = 1;

/// An interned dimension of one program (see [`Units::intern_dim`]). Equal
/// dimensions have equal ids.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct DimId(std::num::NonZeroU32);

impl DimId {
    /// A small number for the id (ids are dense from 1): an index into a table.
    pub fn index(self) -> usize {
        self.0.get() as usize
    }
}

/// The memo key of a unit expression made only of atoms, without a scale: each
/// atom as written and its exponent. False (no key) for other expressions.
fn plain_key(e: &UnitExpr, out: &mut String) -> bool {
    out.clear();
    if e.scale.is_some() {
        return false;
    }
    for f in &e.factors {
        let UnitBase::Atom(a) = &f.base else {
            return false;
        };
        out.push_str(a);
        // The exponent as two raw numbers between separators (no `fmt` on this path).
        out.push('\u{0}');
        push_int(out, f.exp.numer());
        out.push('/');
        push_int(out, f.exp.denom());
        out.push('\u{1}');
    }
    true
}

/// Appends `v` in decimal.
fn push_int(out: &mut String, v: i16) {
    if v < 0 {
        out.push('-');
    }
    crate::number::push_uint(out, v.unsigned_abs() as u128);
}

/// Result of resolving a written unit.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub scale: f64,
    pub dim: Dim,
    pub display: DUnit,
    /// `display`, interned (memoised with the rest, so a literal costs no hashing).
    pub display_id: UnitId,
    /// `dim`, interned likewise.
    pub dim_id: DimId,
}

impl Units {
    /// A copy that adds nothing to its tables, for checking on another thread: a
    /// result that needed something new (see [`Units::take_missed`]) must be
    /// computed again with the registry itself, so that interned ids are given
    /// in the same order however the work was shared. `None` when the registry
    /// has no dimension, display unit or atom yet (a frozen copy answers a new one
    /// with an existing id, to be thrown away).
    pub fn frozen(&self) -> Option<Units> {
        if self.dims.is_empty() || self.dunits.is_empty() || self.atoms.is_empty() {
            return None;
        }
        let mut u = self.clone();
        u.frozen = true;
        u.missed = false;
        Some(u)
    }

    /// How many entries the tables have: grows whenever something new is kept.
    pub fn entries(&self) -> usize {
        self.lookup_cache.len()
            + self.resolve_cache.len()
            + self.dunit_cache.len()
            + self.atoms.len()
            + self.dims.len()
            + self.dunits.len()
            + self.dim_ops.len()
            + self.dunit_ops.len()
            + self.dunit_for_id.len()
    }

    /// Whether a frozen copy lacked something since the last call.
    pub fn take_missed(&mut self) -> bool {
        std::mem::take(&mut self.missed)
    }

    /// A frozen copy notes a miss and keeps nothing; `false` when the caller may
    /// keep its new entry.
    fn keeps_nothing(&mut self) -> bool {
        if self.frozen {
            self.missed = true;
        }
        self.frozen
    }

    /// The id of a dimension, interned on first use.
    pub fn intern_dim(&mut self, d: Dim) -> DimId {
        if let Some(&i) = self.dim_ix.get(&d) {
            return i;
        }
        if self.keeps_nothing() {
            // A placeholder (`frozen` requires a dimension): the result is redone.
            return DimId(std::num::NonZeroU32::MIN);
        }
        // Ids start at 1 (NonZeroU32, so that `Option<DimId>` is 4 bytes). A program
        // has a few dozen distinct dimensions; the saturation cannot be reached.
        let n = u32::try_from(self.dims.len() + 1).unwrap_or(u32::MAX);
        let i = DimId(std::num::NonZeroU32::new(n).unwrap_or(std::num::NonZeroU32::MAX));
        self.dims.push(d);
        self.dim_ix.insert(d, i);
        i
    }
    /// The id of a display unit, interned on first use.
    pub fn intern_dunit(&mut self, u: DUnit) -> UnitId {
        if self.dunits.is_empty() {
            // Id 0 is the empty unit, so that `UnitId::default()` means "no unit".
            self.dunits.push(DUnit::default());
            self.dunit_ix.insert(DUnit::default(), UnitId(0));
        }
        if let Some(&i) = self.dunit_ix.get(&u) {
            return i;
        }
        if self.keeps_nothing() {
            return UnitId(0);
        }
        // A program has a few dozen distinct display units; u32 cannot run out.
        let i = UnitId(u32::try_from(self.dunits.len()).unwrap_or(u32::MAX));
        self.dunits.push(u.clone());
        self.dunit_ix.insert(u, i);
        i
    }
    /// The display unit of an id (the empty unit for an id of another program).
    pub fn dunit(&self, i: UnitId) -> &DUnit {
        static NONE: DUnit = DUnit(SmallVec::new_const());
        self.dunits.get(i.0 as usize).unwrap_or(&NONE)
    }

    /// The product (`div` false) or quotient of two interned dimensions; `None`
    /// when an exponent leaves the representable range.
    pub fn dim_op_id(&mut self, div: bool, a: DimId, b: DimId) -> Option<DimId> {
        let key = (if div { ID_DIV } else { ID_MUL }, a, b);
        if let Some(&r) = self.dim_ops.get(&key) {
            return r;
        }
        let (da, db) = (self.dim(a), self.dim(b));
        let r = if div { da.div(&db) } else { da.mul(&db) }.map(|d| self.intern_dim(d));
        if !self.keeps_nothing() {
            self.dim_ops.insert(key, r);
        }
        r
    }
    /// The product (`div` false) or quotient of two interned display units, as
    /// [`Units::dmul`] and [`Units::ddiv`].
    pub fn dunit_op_id(&mut self, div: bool, a: UnitId, b: UnitId) -> UnitId {
        let key = (if div { ID_DIV } else { ID_MUL }, a, b);
        if let Some(&r) = self.dunit_ops.get(&key) {
            return r;
        }
        let (ua, ub) = (self.dunit(a), self.dunit(b));
        let u = if div { self.ddiv(ua, ub) } else { self.dmul(ua, ub) };
        let r = self.intern_dunit(u);
        if !self.keeps_nothing() {
            self.dunit_ops.insert(key, r);
        }
        r
    }
    /// [`Units::dunit_for_dim`] of an interned dimension, interned.
    pub fn dunit_for_dim_id(&mut self, d: DimId) -> UnitId {
        if let Some(&r) = self.dunit_for_id.get(&d) {
            return r;
        }
        let dim = self.dim(d);
        let u = self.dunit_for_dim(&dim);
        let r = self.intern_dunit(u);
        if !self.keeps_nothing() {
            self.dunit_for_id.insert(d, r);
        }
        r
    }

    /// The id of a dimension if it is interned (no new id).
    pub fn dim_id(&self, d: &Dim) -> Option<DimId> {
        self.dim_ix.get(d).copied()
    }
    /// The dimension of an id.
    pub fn dim(&self, i: DimId) -> Dim {
        self.dims.get(i.0.get() as usize - 1).copied().unwrap_or(Dim::ONE)
    }
    /// Builds the registry from the `dimension` and `unit` declarations of all
    /// files (prelude first). Declaration order does not matter.
    pub fn build(files: &[&File]) -> (Units, Vec<Diag>) {
        let mut u = Units::default();
        let mut diags = Vec::new();
        let mut aliases: Vec<(&crate::syntax::ast::UnitDecl, &UnitExpr)> = Vec::new();
        // Which file declared each dimension and unit, and where: a later file (the
        // user's, after the prelude) redefines one only with `override "reason"`.
        let mut dim_from: HashMap<String, (usize, crate::source::Span)> = HashMap::default();
        let mut unit_from: HashMap<String, (usize, crate::source::Span)> = HashMap::default();
        let mut replaced: Vec<crate::source::Span> = Vec::new();
        for (fi, f) in files.iter().enumerate() {
            for d in &f.decls {
                if let Decl::Dimension(dd) = d {
                    if let Some(&i) = u.base_ix.get(dd.name.name.as_str()) {
                        let earlier = dim_from.get(dd.name.name.as_str()).filter(|(f0, _)| *f0 < fi);
                        match (earlier, &dd.override_reason) {
                            // Declared again in the same file: the first one holds.
                            (None, _) => {}
                            (Some(&(_, was)), None) => diags.push(redefined("dimension", &dd.name, was, None)),
                            (Some(_), Some((reason, at))) => {
                                if let Some(desc) = &dd.description {
                                    u.bases[i].description = desc.clone();
                                }
                                if let Some(disp) = &dd.display {
                                    u.bases[i].display = Some(normalize(&disp.name));
                                }
                                diags.push(overridden("dimension", &dd.name.name, reason, *at));
                            }
                        }
                        continue;
                    }
                    dim_from.insert(dd.name.name.to_string(), (fi, dd.span));
                    if u.bases.len() >= MAX_BASES {
                        diags.push(
                            Diag::error(
                                "carbon::units::too_many_dimensions",
                                format!("more than {MAX_BASES} base dimensions"),
                            )
                            .at(dd.name.span, "one base dimension too many")
                            .help(format!(
                                "carbon holds {MAX_BASES} base dimensions, the prelude's included: define the quantity as a unit of the declared ones"
                            )),
                        );
                        continue;
                    }
                    u.base_ix.insert(dd.name.name.to_string(), u.bases.len());
                    u.bases.push(BaseDim {
                        name: dd.name.name.to_string(),
                        description: dd.description.clone().unwrap_or_else(|| dd.name.name.to_string()),
                        display: dd.display.as_ref().map(|i| normalize(&i.name)),
                    });
                }
            }
        }
        for (fi, f) in files.iter().enumerate() {
            for d in &f.decls {
                if let Decl::Unit(ud) = d {
                    let prefixes = match ud.prefixes.as_ref().map(|p| p.name.as_str()) {
                        None => Prefixes::None,
                        Some("metric") => Prefixes::Metric,
                        Some("large") => Prefixes::Large,
                        Some(other) => {
                            let p = ud.prefixes.as_ref().map(|p| p.span).unwrap_or(ud.span);
                            diags.push(
                                Diag::error("carbon::units::prefixes", format!("unknown prefix set `{other}`"))
                                    .at(p, "not a prefix set")
                                    .help("use `prefixes metric` (all SI prefixes) or `prefixes large` (k, M, G, T)"),
                            );
                            Prefixes::None
                        }
                    };
                    let name = normalize(&ud.name.name);
                    // A name that already reads as a unit of an earlier file: exactly,
                    // or with a prefix or a power (`kg`, `km2`).
                    let earlier = u.candidates(&name).into_iter().find_map(|(stem, factor, exp)| {
                        let &(f0, was) = unit_from.get(&stem)?;
                        (f0 < fi).then_some((stem, factor != 1.0 || exp != 1, was))
                    });
                    match (earlier, &ud.override_reason) {
                        (None, _) => {}
                        (Some((stem, derived, was)), None) => {
                            diags.push(redefined("unit", &ud.name, was, derived.then_some(stem.as_str())));
                            continue;
                        }
                        (Some((stem, derived, was)), Some((reason, at))) => {
                            if !derived && stem == name {
                                // The prelude's definition is never resolved: the
                                // file's alone gives the unit its scale.
                                replaced.push(was);
                            }
                            diags.push(overridden("unit", &ud.name.name, reason, *at))
                        }
                    }
                    unit_from.entry(name.clone()).or_insert((fi, ud.span));
                    match &ud.def {
                        UnitDef::Base(dim) => match u.base_ix.get(dim.name.as_str()) {
                            Some(&i) => {
                                u.units.insert(
                                    name,
                                    UnitEntry {
                                        scale: 1.0,
                                        dim: Dim::base(i),
                                        prefixes,
                                    },
                                );
                            }
                            None => {
                                let mut d = Diag::error(
                                    "carbon::units::unknown_dimension",
                                    format!("unknown dimension `{}`", dim.name),
                                )
                                .at(dim.span, "not a declared dimension");
                                if let Some(s) = suggest::closest(&dim.name, u.bases.iter().map(|b| b.name.as_str())) {
                                    d = d.help(format!("did you mean `{s}`?"));
                                }
                                diags.push(d);
                            }
                        },
                        UnitDef::Alias(e) => {
                            // Placeholder so that prefixes are known; resolved below.
                            u.units.insert(
                                name,
                                UnitEntry {
                                    scale: f64::NAN,
                                    dim: Dim::ONE,
                                    prefixes,
                                },
                            );
                            aliases.push((ud, e));
                        }
                    }
                }
            }
        }
        // Resolve aliases in dependency order: repeat until no progress (the
        // prelude has a few dozen units; each pass resolves at least one or stops).
        if !replaced.is_empty() {
            aliases.retain(|(ud, _)| !replaced.contains(&ud.span));
        }
        let mut pending = aliases;
        loop {
            let before = pending.len();
            let mut still = Vec::new();
            for (ud, e) in pending {
                if u.depends_on_pending(e) {
                    still.push((ud, e));
                    continue;
                }
                match u.resolve(e) {
                    Ok(r) => {
                        let name = normalize(&ud.name.name);
                        if let Some(entry) = u.units.get_mut(&name) {
                            entry.scale = r.scale;
                            entry.dim = r.dim;
                        }
                        u.lookup_cache.clear();
                        u.dunit_cache.clear();
                    }
                    Err(d) => {
                        diags.push(d);
                        u.units.remove(&normalize(&ud.name.name));
                    }
                }
            }
            pending = still;
            if pending.is_empty() || pending.len() == before {
                break;
            }
        }
        for (ud, _) in pending {
            diags.push(
                Diag::error(
                    "carbon::units::cycle",
                    format!("the unit `{}` is defined in terms of itself", ud.name.name),
                )
                .at(ud.name.span, "this definition is circular")
                .help("define one of the units from a dimension (`unit name : mass`) or from units that do not lead back to it"),
            );
            u.units.remove(&normalize(&ud.name.name));
        }
        u.lookup_cache.clear();
        u.dunit_cache.clear();
        (u, diags)
    }

    fn depends_on_pending(&self, e: &UnitExpr) -> bool {
        e.factors.iter().any(|f| match &f.base {
            UnitBase::Atom(a) => {
                let n = normalize(a);
                self.candidates(&n)
                    .iter()
                    .any(|(stem, _, _)| self.units.get(stem.as_str()).is_some_and(|x| x.scale.is_nan()))
            }
            UnitBase::Group(g) => self.depends_on_pending(g),
        })
    }

    pub fn base_index(&self, name: &str) -> Option<usize> {
        self.base_ix.get(name).copied()
    }

    /// All ways a spelling can be read: (registered stem, prefix factor, exponent).
    fn candidates(&self, name: &str) -> Vec<(String, f64, i16)> {
        let mut out = Vec::new();
        let mut push_stem = |stem: &str, exp: i16| {
            if self.units.contains_key(stem) {
                out.push((stem.to_string(), 1.0, exp));
            }
            for (sets, list) in [(Prefixes::Metric, METRIC), (Prefixes::Large, LARGE)] {
                for (p, f) in list {
                    if let Some(rest) = stem.strip_prefix(p) {
                        if let Some(e) = self.units.get(rest) {
                            if e.prefixes == sets || (sets == Prefixes::Large && e.prefixes == Prefixes::Metric) {
                                out.push((rest.to_string(), *f, exp));
                            }
                        }
                    }
                }
            }
        };
        push_stem(name, 1);
        if let Some(last) = name.chars().last() {
            if (last == '2' || last == '3') && name.len() > 1 {
                let stem = &name[..name.len() - 1];
                push_stem(stem, if last == '2' { 2 } else { 3 });
            }
        }
        out
    }

    /// Scale and dimension of one spelling (`hm2`, `kgCO2`, `MtCO2e`).
    pub fn lookup(&mut self, name: &str) -> Option<(f64, Dim)> {
        let name = normalize(name);
        if let Some(r) = self.lookup_cache.get(&name) {
            return *r;
        }
        let r = self.candidates(&name).into_iter().find_map(|(stem, f, exp)| {
            let e = self.units.get(&stem)?;
            if e.scale.is_nan() {
                return None;
            }
            let s = (f * e.scale).powi(exp as i32);
            Some((s, e.dim.pow(Rat::int(exp))?))
        });
        if !self.keeps_nothing() {
            self.lookup_cache.insert(name, r);
        }
        r
    }

    fn intern(&mut self, name: String, scale: f64, dim: Dim) -> AtomId {
        if let Some(&id) = self.atom_ix.get(&name) {
            return id;
        }
        if self.keeps_nothing() {
            return 0;
        }
        let id = self.atoms.len() as AtomId;
        self.atom_ix.insert(name.clone(), id);
        self.atoms.push(Atom { name, scale, dim });
        id
    }

    /// Names of all units, for suggestions.
    pub fn unit_names(&self) -> impl Iterator<Item = &str> {
        self.units.keys().map(|s| s.as_str())
    }

    /// Prefixed spellings of the units that take prefixes (`kWh`, `MWh`, `hm`),
    /// for the REPL's completion.
    pub fn prefixed_unit_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, e) in &self.units {
            let list = match e.prefixes {
                Prefixes::None => continue,
                Prefixes::Metric => METRIC,
                Prefixes::Large => LARGE,
            };
            out.extend(list.iter().map(|(p, _)| format!("{p}{name}")));
        }
        out
    }

    /// The `help:` for an unknown unit: did-you-mean, else how to declare it.
    /// `want`: what the field expects (its words, a fitting unit and the test).
    pub fn unknown_unit_help_memo(&mut self, a: &str, want: Option<Want>) -> String {
        let key = (
            a.to_string(),
            want.map_or(String::new(), |w| format!("{} {}", w.0, w.1)),
        );
        if let Some(h) = self.unknown_help_memo(&key) {
            return h;
        }
        let h = self.unknown_unit_help(a, want);
        self.remember_unknown_help(key, h.clone());
        h
    }

    /// A help remembered by [`Self::unknown_unit_help_memo`]: key (spelling, the
    /// expected kind's words and unit).
    pub fn unknown_help_memo(&self, key: &(String, String)) -> Option<String> {
        self.unknown_help.get(key).cloned()
    }

    pub fn remember_unknown_help(&mut self, key: (String, String), help: String) {
        self.unknown_help.insert(key, help);
    }

    /// [`Self::unknown_unit_help_memo`], computed.
    pub fn unknown_unit_help(&self, a: &str, want: Option<Want>) -> String {
        let found = self.suggest_unit(a, want.map(|w| w.2));
        let quoted: Vec<String> = found.iter().map(|s| format!("`{s}`")).collect();
        match (quoted.as_slice(), want) {
            ([one], _) => format!("did you mean {one}? (units can be declared with `unit {a} = …`)"),
            ([first @ .., last], _) => format!(
                "did you mean {} or {last}? (units can be declared with `unit {a} = …`)",
                first.join(", ")
            ),
            ([], Some((words, unit, _))) => {
                format!("this field expects {words}: declare the unit with its size, for example `unit {a} = … {unit}`")
            }
            ([], None) => format!(
                "declare it with its size in units carbon knows: `unit {a} = <number> <unit>` (as `unit bag = 50 kg`)"
            ),
        }
    }

    /// The dimension of a spelling, without memo (for suggestions).
    fn peek(&self, name: &str) -> Option<Dim> {
        self.candidates(&normalize(name))
            .into_iter()
            .find_map(|(stem, _, exp)| {
                let e = self.units.get(&stem)?;
                (!e.scale.is_nan()).then(|| e.dim.pow(Rat::int(exp))).flatten()
            })
    }

    /// The units to propose for an unknown spelling: a long name or common
    /// spelling (`hectares` → `ha`), else the closest spellings the unit system
    /// accepts, prefixed and powered ones included (`kwh` → `kWh`, `hm2`). Ranked:
    /// a match ignoring case first, then a unit of the dimension `fits` accepts
    /// (the one the field expects), then the fewest edits ignoring case; among
    /// case variants, the commoner prefix (`mwh` → `MWh`); then the fewest edits
    /// counting case (`hmm2` → `hm2`, `mm2`, not `Mm2`). The best, or those tied for best (at most three; none when more tie,
    /// or nothing is close).
    pub fn suggest_unit(&self, name: &str, fits: Option<&dyn Fn(&Dim) -> bool>) -> Vec<String> {
        let name = normalize(name);
        let ok = |d: &Dim| fits.is_none_or(|f| f(d));
        if let Some(s) = suggest::unit_synonym(&name) {
            if self.peek(s).is_some_and(|d| ok(&d)) {
                return vec![s.to_string()];
            }
        }
        let n = name.chars().count();
        let limit = (n / 3).clamp(1, 3);
        type Key = (bool, bool, usize, usize, usize);
        let mut best: Option<Key> = None;
        let mut tied: Vec<String> = Vec::new();
        let mut offer = |key: Key, spelling: &str| match best {
            Some(k) if key > k => {}
            Some(k) if key == k => {
                if !tied.iter().any(|t| t == spelling) {
                    tied.push(spelling.to_string());
                }
            }
            _ => {
                best = Some(key);
                tied.clear();
                tied.push(spelling.to_string());
            }
        };
        let length = self.base_index("length").map(Dim::base);
        let mut buf = String::new();
        for (stem, e) in &self.units {
            if e.scale.is_nan() {
                continue;
            }
            let prefixes: &[(&str, f64)] = match e.prefixes {
                Prefixes::None => &[],
                Prefixes::Metric => METRIC,
                Prefixes::Large => LARGE,
            };
            let powers: &[i16] = if Some(e.dim) == length { &[1, 2, 3] } else { &[1] };
            for (p, _) in std::iter::once(&("", 1.0)).chain(prefixes.iter()) {
                for &x in powers {
                    buf.clear();
                    buf.push_str(p);
                    buf.push_str(stem);
                    if x > 1 {
                        buf.push_str(if x == 2 { "2" } else { "3" });
                    }
                    if buf.chars().count().abs_diff(n) > limit || buf == name {
                        continue;
                    }
                    let d = suggest::distance(&name, &buf);
                    if d > limit {
                        continue;
                    }
                    let exact = suggest::distance_with(&name, &buf, false);
                    // The prefix ranks case variants only (`mwh`: `MWh`, not `mWh`).
                    let rank = if d == 0 {
                        PREFIX_RANK.iter().position(|r| r == p).unwrap_or(PREFIX_RANK.len())
                    } else {
                        0
                    };
                    let fit = e.dim.pow(Rat::int(x)).is_some_and(|x| ok(&x));
                    offer((d != 0, !fit, d, rank, exact), &buf);
                }
            }
        }
        for (k, v) in suggest::UNIT_SYNONYMS {
            if k.chars().count().abs_diff(n) > limit {
                continue;
            }
            let d = suggest::distance(&name, k);
            if let (true, Some(dim)) = (d <= limit, self.peek(v)) {
                // A misspelt long name (`hectars`): its unit, ranked by the long name.
                let d = d.max(1);
                offer((true, !ok(&dim), d, d, 0), v);
            }
        }
        if tied.len() > 3 {
            tied.clear();
        }
        tied.sort();
        tied
    }

    /// A quantity's unit: its scale, dimension and display, as [`Units::resolve`]
    /// gives them, found by the address of the shared unit after the first time
    /// (without building its key).
    pub fn resolve_shared(&mut self, u: &std::sync::Arc<UnitExpr>) -> Result<(f64, DimId, UnitId), Diag> {
        let at = std::sync::Arc::as_ptr(u) as usize;
        if let Some(&(_, scale, dim, unit)) = self.shared.get(&at) {
            return Ok((scale, dim, unit));
        }
        let missed = self.missed;
        let r = self.resolve(u)?;
        // Kept as `resolve` keeps its own memo: plain units only, and not what a
        // frozen copy computed without keeping.
        let plain = u.scale.is_none() && u.factors.iter().all(|f| matches!(f.base, UnitBase::Atom(_)));
        if plain && !missed && !self.missed {
            self.shared
                .insert(at, (std::sync::Arc::clone(u), r.scale, r.dim_id, r.display_id));
        }
        Ok((r.scale, r.dim_id, r.display_id))
    }

    /// Resolves a written unit expression to its scale, dimension and display.
    pub fn resolve(&mut self, e: &UnitExpr) -> Result<Resolved, Diag> {
        let mut key = std::mem::take(&mut self.key_buf);
        let plain = plain_key(e, &mut key);
        if plain {
            if let Some(r) = self.resolve_cache.get(key.as_str()) {
                let r = r.clone();
                self.key_buf = key;
                return Ok(r);
            }
        }
        let r = self.resolve_uncached(e);
        if plain {
            if let Ok(r) = &r {
                if !self.keeps_nothing() {
                    self.resolve_cache.insert(key.clone(), r.clone());
                }
            }
        }
        self.key_buf = key;
        r
    }

    fn resolve_uncached(&mut self, e: &UnitExpr) -> Result<Resolved, Diag> {
        let mut scale = e.scale.unwrap_or(1.0);
        let mut dim = Dim::ONE;
        let mut display = DUnit::default();
        for f in &e.factors {
            let (s, d, atom) = match &f.base {
                UnitBase::Atom(a) => match self.lookup(a) {
                    Some((s, d)) => {
                        let id = self.intern(normalize(a), s, d);
                        (s, d, id)
                    }
                    None => {
                        let mut diag = Diag::error("carbon::units::unknown", format!("unknown unit `{a}`"))
                            .at(f.span, "not a unit carbon knows");
                        diag = diag.help(self.unknown_unit_help_memo(a, None));
                        return Err(diag);
                    }
                },
                UnitBase::Group(g) => {
                    if g.scale == Some(0.0) && f.exp.is_negative() {
                        return Err(Diag::error("carbon::eval::division_by_zero", "division by zero")
                            .at(f.span, "this is zero")
                            .also(e.span, "is divided by zero")
                            .help("a divisor must not be zero; check the number in the parentheses"));
                    }
                    let r = self.resolve(g)?;
                    let inner = g.text.clone().unwrap_or_else(|| group_text(g));
                    let name = format!("({inner})");
                    let id = self.intern(name, r.scale, r.dim);
                    (r.scale, r.dim, id)
                }
            };
            let too_big = || {
                Diag::error("carbon::units::exponent", "unit exponent out of range")
                    .at(f.span, "this power is too large")
            };
            let ds = d.pow(f.exp).ok_or_else(too_big)?;
            dim = dim.mul(&ds).ok_or_else(too_big)?;
            scale *= s.powf(f.exp.to_f64());
            display.push(atom, f.exp);
        }
        if let Some(s) = e.scale {
            // A bare scale with units, e.g. `10^4 kWh` as a target: fold it into one atom.
            let text = format!("{} {}", crate::number::format(s), self.format_dunit(&display));
            let id = self.intern(text, scale, dim);
            display = DUnit(smallvec![(id, Rat::ONE)]);
        }
        if !scale.is_finite() || scale == 0.0 {
            return Err(Diag::error("carbon::units::scale", "unit scale out of range")
                .at(e.span, "this unit's size cannot be represented")
                .help("check the unit's factor: its size in base units must be above 0 and below about 1e308"));
        }
        let display_id = self.intern_dunit(display.clone());
        let dim_id = self.intern_dim(dim);
        Ok(Resolved {
            scale,
            dim,
            display,
            display_id,
            dim_id,
        })
    }

    /// Scale (relative to base units) of a display unit.
    pub fn scale_of(&self, u: &DUnit) -> f64 {
        u.0.iter()
            .map(|(a, e)| self.atoms[*a as usize].scale.powf(e.to_f64()))
            .product()
    }

    pub fn dim_of(&self, u: &DUnit) -> Dim {
        let mut d = Dim::ONE;
        for (a, e) in &u.0 {
            if let Some(x) = self.atoms[*a as usize].dim.pow(*e).and_then(|p| d.mul(&p)) {
                d = x;
            }
        }
        d
    }

    /// Product of two display units, cancelling atoms of equal dimension.
    pub fn dmul(&self, a: &DUnit, b: &DUnit) -> DUnit {
        let mut out = a.clone();
        for &(id, e) in &b.0 {
            out.push(id, e);
        }
        self.simplify(out)
    }

    pub fn ddiv(&self, a: &DUnit, b: &DUnit) -> DUnit {
        let mut out = a.clone();
        for &(id, e) in &b.0 {
            out.push(id, e.negated());
        }
        self.simplify(out)
    }

    pub fn dpow(&self, a: &DUnit, p: Rat) -> DUnit {
        let mut out = DUnit::default();
        for &(id, e) in &a.0 {
            if let Some(x) = e.times(p) {
                out.push(id, x);
            }
        }
        out
    }

    fn simplify(&self, mut u: DUnit) -> DUnit {
        // Cancel pairs of different atoms with the same dimension and opposite signs
        // (kWh against (10^4 kWh), t against kg): the value is kept in base units, so
        // only the display changes.
        let n = u.0.len();
        for i in 0..n {
            for j in 0..n {
                if i == j {
                    continue;
                }
                let (ai, ei) = u.0[i];
                let (aj, ej) = u.0[j];
                if ei.is_zero() || ej.is_zero() || ei.is_negative() == ej.is_negative() {
                    continue;
                }
                if self.atoms[ai as usize].dim == self.atoms[aj as usize].dim && ei == ej.negated() {
                    u.0[i].1 = Rat::ZERO;
                    u.0[j].1 = Rat::ZERO;
                }
            }
        }
        u.0.retain(|(_, e)| !e.is_zero());
        // Dimensionless atoms (%, ‰) only stand alone.
        if u.0.len() > 1 {
            let atoms = &self.atoms;
            u.0.retain(|(a, _)| !atoms[*a as usize].dim.is_one());
        }
        u
    }

    /// A display unit for a dimension, from each base's display unit.
    pub fn dunit_for_dim(&mut self, d: &Dim) -> DUnit {
        if let Some(u) = self.dunit_cache.get(d) {
            return u.clone();
        }
        let u = self.dunit_for_dim_uncached(d);
        if !self.keeps_nothing() {
            self.dunit_cache.insert(*d, u.clone());
        }
        u
    }

    fn dunit_for_dim_uncached(&mut self, d: &Dim) -> DUnit {
        let mut out = DUnit::default();
        let factors: Vec<(usize, Rat)> = d.factors().collect();
        for (i, e) in factors {
            let name = self.bases[i]
                .display
                .clone()
                .unwrap_or_else(|| self.bases[i].name.clone());
            let (s, dd) = self.lookup(&name).unwrap_or((1.0, Dim::base(i)));
            let id = self.intern(name, s, dd);
            out.push(id, e);
        }
        out
    }

    pub fn format_dunit(&self, u: &DUnit) -> String {
        let mut num: Vec<String> = Vec::new();
        let mut den: Vec<String> = Vec::new();
        for &(a, e) in &u.0 {
            let name = &self.atoms[a as usize].name;
            let (list, e) = if e.is_negative() {
                (&mut den, e.negated())
            } else {
                (&mut num, e)
            };
            list.push(if e == Rat::ONE {
                name.clone()
            } else {
                format!("{name}^{e}")
            });
        }
        let mut s = if num.is_empty() && !den.is_empty() {
            "1".to_string()
        } else {
            num.join("·")
        };
        for d in den {
            s.push('/');
            s.push_str(&d);
        }
        s
    }

    /// A dimension for messages: `carbon (C)` for one substance, else `C/length²`.
    pub fn describe_dim(&self, d: &Dim) -> String {
        if let Some(r) = self.describe_rate(d) {
            return r;
        }
        let mut f = d.factors();
        if let (Some((i, e)), None) = (f.next(), f.next()) {
            let b = &self.bases[i];
            if e == Rat::ONE && b.description != b.name {
                return format!("{} ({})", b.description, b.name);
            }
            if b.name == "time" && e == Rat::int(-1) {
                return "per time (a frequency)".into();
            }
            if b.name == "length" && e == Rat::int(2) {
                return "area (length²)".into();
            }
            if b.name == "length" && e == Rat::int(3) {
                return "volume (length³)".into();
            }
        }
        self.format_dim(d)
    }

    /// A substance per time: `carbon dioxide per time (CO2/time)`.
    fn describe_rate(&self, d: &Dim) -> Option<String> {
        let t = self.base_index("time")?;
        if d.exp(t) != Rat::int(-1) {
            return None;
        }
        let rest = d.mul(&Dim::base(t))?;
        let mut f = rest.factors();
        if let (Some((i, e)), None) = (f.next(), f.next()) {
            let b = &self.bases[i];
            if e == Rat::ONE && b.description != b.name {
                return Some(format!("{} per time ({}/time)", b.description, b.name));
            }
        }
        None
    }

    /// A dimension in words: `carbon/length²`.
    pub fn format_dim(&self, d: &Dim) -> String {
        if d.is_one() {
            return "dimensionless".into();
        }
        let mut num = Vec::new();
        let mut den = Vec::new();
        for (i, e) in d.factors() {
            let name = &self.bases[i].name;
            let (list, e) = if e.is_negative() {
                (&mut den, e.negated())
            } else {
                (&mut num, e)
            };
            list.push(if e == Rat::ONE {
                name.clone()
            } else {
                format!("{name}{}", superscript(e))
            });
        }
        let mut s = if num.is_empty() {
            "1".to_string()
        } else {
            num.join("·")
        };
        for d in den {
            s.push('/');
            s.push_str(&d);
        }
        s
    }
}

impl DUnit {
    pub fn push(&mut self, id: AtomId, e: Rat) {
        if let Some(x) = self.0.iter_mut().find(|(a, _)| *a == id) {
            x.1 = x.1.plus(e).unwrap_or(x.1);
        } else {
            self.0.push((id, e));
        }
        self.0.retain(|(_, e)| !e.is_zero());
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn group_text(g: &UnitExpr) -> String {
    let mut s = String::new();
    if let Some(sc) = g.scale {
        s.push_str(&crate::number::format(sc));
        s.push(' ');
    }
    let mut first = true;
    for f in &g.factors {
        let name = match &f.base {
            UnitBase::Atom(a) => normalize(a),
            UnitBase::Group(inner) => format!("({})", group_text(inner)),
        };
        let e = f.exp;
        if first {
            if e.is_negative() {
                s.push_str("1/");
            }
        } else if e.is_negative() {
            s.push('/');
        } else {
            s.push('·');
        }
        first = false;
        s.push_str(&name);
        let ea = if e.is_negative() { e.negated() } else { e };
        if ea != Rat::ONE {
            let _ = write!(s, "^{ea}");
        }
    }
    s
}

fn superscript(r: Rat) -> String {
    if r.denom() != 1 {
        return format!("^{r}");
    }
    r.numer()
        .to_string()
        .chars()
        .map(|c| match c {
            '-' => '⁻',
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            _ => '⁹',
        })
        .collect()
}

/// Spelling normalisation: subscripts and superscripts to digits, `μ` to `µ`.
pub fn normalize(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '₂' | '²' => '2',
            '₃' | '³' => '3',
            '₄' => '4',
            'μ' => 'µ',
            c => c,
        })
        .collect()
}

/// A prelude unit or dimension declared again without `override`: an error that
/// shows the prelude's definition. `stem`: the prelude unit a prefixed or powered
/// name reads as (`kg` reads as `g`).
fn redefined(what: &str, name: &crate::syntax::ast::Ident, was: crate::source::Span, stem: Option<&str>) -> Diag {
    let text = crate::PRELUDE
        .get(was.start as usize..was.end as usize)
        .and_then(|t| prelude_text(t).filter(|t| t.starts_with(what)))
        .map(|t| format!("the prelude declares `{t}`"))
        .unwrap_or_else(|| format!("the {what} is declared earlier"));
    let n = &name.name;
    let reads = stem
        .map(|s| format!(" (`{n}` reads as the prelude's `{s}`)"))
        .unwrap_or_default();
    let example = if what == "unit" {
        format!("`unit {n} = … override \"reason\"`")
    } else {
        format!("`dimension {n} \"…\" override \"reason\"`")
    };
    Diag::error(
        "carbon::units::redefined",
        format!("`{n}` is a {what} of the prelude{reads}: redefining it changes every figure written with it"),
    )
    .at(name.span, "redefined here")
    .help(format!(
        "{text}; use it as it is or choose another name, or, to redefine it, say so with the reason: {example}"
    ))
}

/// An explicit `override "reason"` of a prelude unit or dimension: shown in the
/// output (an advice, which does not fail the check).
fn overridden(what: &str, name: &str, reason: &str, at: crate::source::Span) -> Diag {
    Diag {
        severity: crate::diag::Severity::Advice,
        ..Diag::error(
            "carbon::units::prelude_override",
            format!("the prelude's {what} `{name}` is redefined by this file"),
        )
        .at(at, "overridden")
        .help(format!(
            "every figure written with `{name}` follows this definition; the reason given: {reason}"
        ))
    }
}

/// Whether the prelude's units read `word` as a unit (`m`, `kWh`, `tCO2e`): for
/// syntax errors, which are found before a program's own units are known.
pub fn prelude_knows(word: &str) -> bool {
    static PRELUDE_UNITS: std::sync::OnceLock<Units> = std::sync::OnceLock::new();
    PRELUDE_UNITS
        .get_or_init(|| {
            let p = crate::syntax::parse(crate::source::SourceId(0), crate::PRELUDE);
            Units::build(&[&p.file]).0
        })
        .peek(word)
        .is_some()
}

/// A prelude declaration as one line: its first line, without a trailing comment,
/// `;` or runs of spaces (`unit a = 365.25 d from metrology`).
pub fn prelude_text(decl: &str) -> Option<String> {
    let line = decl.lines().next()?;
    let line = line.split("//").next()?.trim().trim_end_matches(';');
    let t = line.split_whitespace().collect::<Vec<_>>().join(" ");
    (!t.is_empty()).then_some(t)
}
