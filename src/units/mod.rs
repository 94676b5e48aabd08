//! Stage 2 (units): dimensions as canonical products of base dimensions with
//! rational exponents, the unit registry built from `dimension` and `unit`
//! declarations (the prelude's and the user's), and display units.

//!
//! The folder by job: the dimension algebra (dim.rs), the registry built from
//! declarations (build.rs), written units resolved (resolve.rs), display units
//! and dimensions in words (display.rs), the help for an unknown unit
//! (unknown.rs); the registry's tables and interning here.

mod build;
mod dim;
mod display;
mod resolve;
mod unknown;

use crate::syntax::ast::UnitExpr;
use rustc_hash::FxHashMap as HashMap;
use smallvec::SmallVec;

pub use crate::number::Rat;
pub use build::{prelude_knows, prelude_text};
pub use dim::{Dim, MAX_BASES};

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
    /// `plain_key` (resolve.rs): a large inventory writes a few units on every literal.
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

    pub fn base_index(&self, name: &str) -> Option<usize> {
        self.base_ix.get(name).copied()
    }
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
