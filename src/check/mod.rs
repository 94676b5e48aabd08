//! Stage 4 (check): infers the dimension and display unit of every symbol in
//! dependency order, rejects unit mismatches before anything is evaluated, and
//! compiles each symbol to code over base-unit values.

mod infer;

use crate::diag::Diag;
use crate::domain::Kind;
use crate::ir::{At, Chained, Ir, IrOp, SymId};
use crate::names::{DimRule, Resolved, SymKind};
use crate::number;
use crate::source::Span;
use crate::syntax::ast::{BinOp, UnitBase};
use crate::units::{DUnit, Dim, DimId, Rat, UnitId, Units};

/// Compiled expression over base-unit values.
#[derive(Clone, Debug)]
pub struct Code {
    pub op: Op,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum Op {
    /// A value in base units, and the unit it was written in (interned).
    Const(f64, UnitId),
    Sym(SymId),
    Neg(Box<Code>),
    /// Both operands in one allocation.
    Bin(BinOp, Box<[Code; 2]>),
    /// A binary operation on two symbols, inline, without an allocation: each
    /// operand `Op::Sym` at the span of its symbol or of the pair, as `IrOp::Pair`.
    Pair(BinOp, [SymId; 2], [At; 2]),
    /// Compensated sum of symbols, each added or subtracted (behind one thin
    /// pointer, so that a sum makes `Op` no larger than its other variants).
    Sum(Box<Terms>),
    /// Operations of one level in a row, left to right (`IrOp::Chain`).
    Chain(Box<Chained<Code>>),
}

/// The terms of a compensated sum: (subtracted, symbol).
#[derive(Clone, Debug, Default)]
pub struct Terms(pub Box<[(bool, SymId)]>);

impl std::ops::Deref for Terms {
    type Target = [(bool, SymId)];
    fn deref(&self) -> &[(bool, SymId)] {
        &self.0
    }
}

#[derive(Clone, Debug)]
pub struct Checked {
    pub code: Option<Code>,
    /// `None` when the symbol (or something it reads) has an error. Interned:
    /// `Units::dim` gives the dimension.
    pub dim: Option<DimId>,
    /// Interned: `Units::dunit` gives the unit.
    pub dunit: UnitId,
    /// See [`Checked::precision`]; NaN for none (8 bytes rather than the 16 of an
    /// `Option<f64>`, on every symbol of a large program).
    precision: f64,
}

impl Default for Checked {
    fn default() -> Self {
        Checked::new(None, None, UnitId::default(), None)
    }
}

impl Checked {
    pub fn new(code: Option<Code>, dim: Option<DimId>, dunit: UnitId, precision: Option<f64>) -> Checked {
        Checked {
            code,
            dim,
            dunit,
            // A precision is half a unit of a finite literal's last digit times a
            // finite scale, or a sum of such: never NaN itself.
            precision: precision.unwrap_or(f64::NAN),
        }
    }
    /// Rounding of a stated value (half a unit in its last digit), in base units,
    /// when the value is a literal or a sum of literals.
    pub fn precision(&self) -> Option<f64> {
        (!self.precision.is_nan()).then_some(self.precision)
    }
}

/// The typed program: everything later stages need.
#[derive(Clone, Debug)]
pub struct Program {
    pub res: Resolved,
    pub units: Units,
    pub checked: Vec<Checked>,
}

impl Program {
    /// The notation key written for a field or for its declaration's term, while
    /// the field still holds it (a what-if change in the REPL replaces it).
    pub fn notation(&self, id: SymId) -> Option<&crate::names::NotationInfo> {
        let n = self.res.notation(id)?;
        let code = self.checked.as_slice().get(n.field as usize)?.code.as_ref()?;
        (code.span == n.span).then_some(n)
    }

    /// The dimension of a checked symbol (`None` after an error).
    pub fn dim(&self, id: SymId) -> Option<Dim> {
        self.checked[id as usize].dim.map(|d| self.units.dim(d))
    }
}

/// Base dimensions the domain kinds refer to by name (declared in the prelude).
#[derive(Copy, Clone, Debug)]
struct Bases {
    mass: Option<usize>,
    length: Option<usize>,
    time: Option<usize>,
    c: Option<usize>,
    co2e: Option<usize>,
    ce: Option<usize>,
}

/// Where a checker finds the symbols checked before the one it checks, and puts
/// what it checks.
trait Table {
    /// `None` when this checker cannot see it (see [`Half`]).
    fn get(&self, id: SymId) -> Option<&Checked>;
    fn set(&mut self, id: SymId, c: Checked);
    /// Every symbol, when this checker sees them all (`None` also counts as a
    /// symbol it cannot see, as `get` does).
    fn all(&self) -> Option<&[Checked]>;
}

impl Table for Vec<Checked> {
    fn get(&self, id: SymId) -> Option<&Checked> {
        self.as_slice().get(id as usize)
    }
    fn set(&mut self, id: SymId, c: Checked) {
        if let Some(x) = self.get_mut(id as usize) {
            *x = c;
        }
    }
    fn all(&self) -> Option<&[Checked]> {
        Some(self)
    }
}

struct Checker<'a, T: Table> {
    res: &'a Resolved,
    units: &'a mut Units,
    checked: &'a mut T,
    diags: Vec<Diag>,
    bases: Bases,
    gwp_members: &'a [(String, SymId)],
    gwp_name: &'a str,
    rate_unit: UnitId,
    amount_unit: UnitId,
    /// The dimension of a plain number.
    one: DimId,
    /// Whether a dimension satisfies a rule, by (dimension, rule): 0 not known yet,
    /// 1 yes, 2 no. A large program has a few dimensions and millions of symbols.
    rules: Vec<u8>,
    /// While a symbol whose whole value is one quantity with one unit is inferred:
    /// its rule, for the help on an unknown unit (the dimension the field expects).
    want: Option<DimRule>,
}

/// How many `DimRule`s there are at most (`Checker::rules` is indexed by them).
const RULES: usize = 16;
const _: () = assert!((DimRule::Co2e as usize) < RULES, "a DimRule beyond RULES");

/// What every checker of a program shares, found once.
struct Setup {
    bases: Bases,
    /// The selected GWP set's factors, by substance.
    gwp_members: Vec<(String, SymId)>,
    gwp_name: String,
    rate_unit: UnitId,
    amount_unit: UnitId,
    one: DimId,
}

impl Setup {
    fn new(res: &Resolved, units: &mut Units) -> Setup {
        let bases = Bases {
            mass: units.base_index("mass"),
            length: units.base_index("length"),
            time: units.base_index("time"),
            c: units.base_index("C"),
            co2e: units.base_index("CO2e"),
            ce: units.base_index("ce"),
        };
        let (gwp_members, gwp_name) = match res.header.as_ref().and_then(|h| h.gwp) {
            Some(g) => {
                let d = &res.decls[g as usize];
                let members = res.members(d).map(|(n, id)| (n.to_string(), id)).collect();
                (members, d.name.to_string())
            }
            None => (Vec::new(), String::new()),
        };
        let rate_unit = named(units, &[("tCO2e", 1), ("a", -1)]);
        let rate_unit = units.intern_dunit(rate_unit);
        let amount_unit = named(units, &[("tCO2e", 1)]);
        let amount_unit = units.intern_dunit(amount_unit);
        let one = units.intern_dim(Dim::ONE);
        Setup {
            bases,
            gwp_members,
            gwp_name,
            rate_unit,
            amount_unit,
            one,
        }
    }
}

/// Checks one more expression against a checked program (the REPL): its code,
/// dimension, display unit and stated precision.
pub fn check_expr(p: &mut Program, ir: &Ir) -> Result<(Code, Dim, DUnit, Option<f64>), Vec<Diag>> {
    let Program { res, units, checked } = p;
    let setup = Setup::new(res, units);
    let mut c = Checker::new(res, units, checked, &setup);
    match c.infer(ir) {
        Ok(Inferred {
            code,
            dim,
            unit,
            precision,
        }) => {
            let unit = if unit == UnitId::default() && dim != c.one {
                c.units.dunit_for_dim_id(dim)
            } else {
                unit
            };
            Ok((code, c.units.dim(dim), c.units.dunit(unit).clone(), precision))
        }
        Err(()) => Err(c.diags),
    }
}

/// Resolves a written unit (for `to` conversions in the REPL).
pub fn resolve_unit(p: &mut Program, u: &crate::syntax::ast::UnitExpr) -> Result<crate::units::Resolved, Diag> {
    p.units.resolve(u)
}

/// Programs with at least this many symbols are checked on two threads. The two
/// threads keep every expression until the end (see [`check_with`]), where one
/// thread frees each once compiled: a higher peak, still linear in the program,
/// traded for the second core (figures in benches/README.md).
const PARALLEL_CHECK: usize = 40_000;
/// On two threads, the start of the order is checked on this thread alone until
/// this many symbols in a row added nothing to the unit registry.
const QUIET: usize = 256;

/// Checks every symbol in order (see [`check_with`]).
pub fn check(res: Resolved, units: Units) -> (Program, Vec<Diag>) {
    check_in(res, units, None)
}

/// The tables of [`check`] for a program's symbols, made ahead of it: a large
/// program's are hundreds of megabytes of fresh memory, which another thread
/// can make while the names stage finishes.
pub struct Results {
    /// One entry a symbol, each the default.
    table: Vec<Checked>,
    /// For two threads: room for the second thread's results (empty, its
    /// memory touched) and each symbol's position in the order.
    own: Vec<Option<Checked>>,
    pos_of: Vec<u32>,
}

impl Results {
    /// Tables for `n` symbols (larger ones are cut, smaller ones grown).
    pub fn new(n: usize) -> Results {
        let two = n >= PARALLEL_CHECK;
        let mut own = Vec::new();
        if two {
            // The second half of the order is at most half of it, and one.
            own.resize(n / 2 + 1, None);
            own.clear();
        }
        Results {
            table: vec![Checked::default(); n],
            own,
            pos_of: if two { vec![u32::MAX; n] } else { Vec::new() },
        }
    }
}

/// [`check`], with its table made ahead, if it was.
pub fn check_in(res: Resolved, units: Units, table: Option<Results>) -> (Program, Vec<Diag>) {
    let n = res.syms.len();
    let threads = if n >= PARALLEL_CHECK { 2 } else { 1 };
    check_on(res, units, threads, QUIET, table)
}

/// [`check`] on one thread or two, with `quiet` as [`QUIET`] (`#[doc(hidden)]`
/// for the tests that compare them).
///
/// On one thread, each expression is compiled to code and freed (`res.irs` is
/// left empty): a checked program keeps the code, not the expression.
///
/// On two threads, this thread checks the start of [`Resolved::order`] until the
/// unit registry has stopped growing (the prelude and the first declarations),
/// then the first half of the rest, while another thread checks the second half
/// ([`Half`]) with a frozen copy of the registry ([`Units::frozen`]). A symbol of
/// the second half that reads one of the first half, needs a dimension or unit
/// the copy does not have, or has an error, is left; once both halves are done,
/// this thread checks what was left, in order. So every result, every interned
/// id and every diagnostic is what one thread gives, in the same order. Both
/// threads read the expressions and free none (freeing them as they go gives
/// back much of what the second thread saves: memory allocated by one
/// thread and freed by another is slow to give back): they stay in `res.irs`
/// until the program is dropped (the command line never drops it; a REPL
/// session frees them when it loads a program).
#[doc(hidden)]
pub fn check_with(res: Resolved, units: Units, threads: usize, quiet: usize) -> (Program, Vec<Diag>) {
    check_on(res, units, threads, quiet, None)
}

fn check_on(
    mut res: Resolved,
    mut units: Units,
    threads: usize,
    quiet: usize,
    table: Option<Results>,
) -> (Program, Vec<Diag>) {
    let n = res.syms.len();
    let Results {
        table: mut checked,
        own,
        mut pos_of,
    } = table.unwrap_or(Results {
        table: Vec::new(),
        own: Vec::new(),
        pos_of: Vec::new(),
    });
    // Every entry made ahead is the default (`Results` is only made by `new`).
    checked.resize(n, Checked::default());
    let setup = Setup::new(&res, &mut units);
    if threads < 2 {
        let mut irs = std::mem::take(&mut res.irs);
        let mut c = Checker::new(&res, &mut units, &mut checked, &setup);
        for &id in &res.order {
            if let Some(ir) = irs.get_mut(id as usize).and_then(Option::take) {
                c.check_sym(id, &ir);
            }
        }
        drop(irs);
        c.check_comparisons();
        let diags = std::mem::take(&mut c.diags);
        return (Program { res, units, checked }, diags);
    }
    let order = &res.order;
    let mut c = Checker::new(&res, &mut units, &mut checked, &setup);
    // The start, until quiet.
    let (mut k, mut still) = (0, 0);
    while k < order.len() && still < quiet {
        let before = c.units.entries();
        c.check_at(order[k]);
        still = if c.units.entries() == before { still + 1 } else { 0 };
        k += 1;
    }
    let frozen = c.units.frozen();
    let mut diags = std::mem::take(&mut c.diags);
    drop(c);
    let mid = k + (order.len() - k) / 2;
    let Some(frozen) = frozen.filter(|_| mid < order.len()) else {
        // Nothing left to share: the rest here, in order.
        let mut c = Checker::new(&res, &mut units, &mut checked, &setup);
        for &id in &order[k..] {
            c.check_at(id);
        }
        c.check_comparisons();
        diags.append(&mut c.diags);
        return (Program { res, units, checked }, diags);
    };
    pos_of.resize(n, u32::MAX);
    for (p, &id) in order.iter().enumerate() {
        if let Some(x) = pos_of.get_mut(id as usize) {
            *x = p as u32;
        }
    }
    let half = Half {
        pos_of: &pos_of,
        start: order[..k].iter().map(|&id| checked[id as usize].clone()).collect(),
        mid,
        own: {
            let mut own = own;
            own.reserve(order.len() - mid);
            own
        },
        missing: std::cell::Cell::new(false),
    };
    let (res_r, setup_r) = (&res, &setup);
    let (mut c, second) = crate::par::join(
        || {
            let mut c = Checker::new(res_r, &mut units, &mut checked, setup_r);
            for &id in &order[k..mid] {
                c.check_at(id);
            }
            c
        },
        move || half.check(res_r, frozen, setup_r),
    );
    // What the other half's check gave; what it left is checked here, in order.
    let mut left = Vec::new();
    for (&id, r) in order[mid..].iter().zip(second) {
        match r {
            Some(r) => c.checked.set(id, r),
            None => left.push(id),
        }
    }
    for id in left {
        c.check_at(id);
    }
    c.check_comparisons();
    diags.append(&mut c.diags);
    drop(c);
    (Program { res, units, checked }, diags)
}

/// The second half of the order, checked on another thread: it sees the start of
/// the order (checked before it began) and its own results, not the first half.
struct Half<'a> {
    /// Each symbol's position in the order.
    pos_of: &'a [u32],
    /// The results of the start of the order, by position.
    start: Vec<Checked>,
    /// Where the half begins in the order.
    mid: usize,
    /// Its results by position from `mid`: `None` for a symbol left for later.
    own: Vec<Option<Checked>>,
    /// A symbol it cannot see was asked for.
    missing: std::cell::Cell<bool>,
}

impl Table for Half<'_> {
    fn get(&self, id: SymId) -> Option<&Checked> {
        let p = *self.pos_of.get(id as usize)? as usize;
        let found = if p < self.start.len() {
            self.start.as_slice().get(p)
        } else if p >= self.mid {
            self.own.get(p - self.mid).and_then(Option::as_ref)
        } else {
            None
        };
        if found.is_none() {
            self.missing.set(true);
        }
        found
    }
    fn set(&mut self, _id: SymId, c: Checked) {
        // Symbols are checked in order: the next position.
        self.own.push(Some(c));
    }
    fn all(&self) -> Option<&[Checked]> {
        // Only an error's help asks for every symbol: the symbol is checked again
        // on the main thread, which sees them all.
        self.missing.set(true);
        None
    }
}

impl Half<'_> {
    /// Checks the second half: each symbol's result, or `None` for one to check
    /// again on the main thread.
    fn check(mut self, res: &Resolved, mut units: Units, setup: &Setup) -> Vec<Option<Checked>> {
        // The checkers' memo of rules, kept from one symbol's checker to the next.
        let mut rules = Vec::new();
        for &id in &res.order[self.mid..] {
            let at = self.own.len();
            let mut c = Checker::new(res, &mut units, &mut self, setup);
            c.rules = std::mem::take(&mut rules);
            c.check_at(id);
            let errors = !c.diags.is_empty();
            rules = std::mem::take(&mut c.rules);
            let again = errors || units.take_missed() || self.missing.take();
            if self.own.len() == at {
                // An error in what it reads: nothing set (the default), unless left.
                self.own.push((!again).then(Checked::default));
            } else if again {
                if let Some(x) = self.own.last_mut() {
                    *x = None;
                }
            }
        }
        self.own
    }
}

/// A display unit from named units (`tCO2e/a`), interned once.
fn named(units: &mut Units, parts: &[(&str, i16)]) -> DUnit {
    let mut out = DUnit::default();
    // Resolve through the registry so the atoms are interned once.
    for (name, e) in parts {
        let expr = crate::syntax::ast::UnitExpr {
            scale: None,
            text: None,
            factors: vec![crate::syntax::ast::UnitFactor {
                base: crate::syntax::ast::UnitBase::Atom((*name).into()),
                exp: Rat::int(*e),
                span: Span::default(),
            }],
            span: Span::default(),
        };
        if let Ok(r) = units.resolve(&expr) {
            for (a, x) in r.display.0 {
                out.push(a, x);
            }
        }
    }
    out
}

/// What inference gives for an expression: its code, its dimension and display unit
/// (interned), and how precisely it is stated (half a unit in the last digit of a
/// literal, in base units; also through references, negation, conversion and sums
/// and differences of such values; `None` otherwise).
struct Inferred {
    code: Code,
    dim: DimId,
    unit: UnitId,
    precision: Option<f64>,
}

/// An inferred operand, or `Err` once its error is reported (the error is in the
/// checker's diagnostics, not in the value).
type Inference = Result<Inferred, ()>;

impl Inferred {
    fn new(op: Op, span: Span, dim: DimId, unit: UnitId) -> Inferred {
        Inferred {
            code: Code { op, span },
            dim,
            unit,
            precision: None,
        }
    }
}

impl<'a, T: Table> Checker<'a, T> {
    /// The dimension of a checked symbol (`None` after an error).
    fn dim_at(&self, id: SymId) -> Option<Dim> {
        self.checked.get(id)?.dim.map(|d| self.units.dim(d))
    }

    fn new(res: &'a Resolved, units: &'a mut Units, checked: &'a mut T, setup: &'a Setup) -> Checker<'a, T> {
        Checker {
            res,
            units,
            checked,
            diags: Vec::new(),
            bases: setup.bases,
            gwp_members: &setup.gwp_members,
            gwp_name: &setup.gwp_name,
            rate_unit: setup.rate_unit,
            amount_unit: setup.amount_unit,
            one: setup.one,
            rules: Vec::new(),
            want: None,
        }
    }

    /// Checks a symbol that has an expression (leaving the expression).
    fn check_at(&mut self, id: SymId) {
        if let Some(ir) = self.res.irs.get(id as usize).and_then(Option::as_ref) {
            self.check_sym(id, ir);
        }
    }

    fn check_sym(&mut self, id: SymId, ir: &Ir) {
        let sym = &self.res.syms[id as usize];
        let inferred = match &ir.op {
            // An empty group has the dimension its rule asks for.
            IrOp::Sum(xs) if xs.is_empty() => {
                let du = if sym.rule == DimRule::Co2e {
                    self.amount_unit
                } else {
                    self.rate_unit
                };
                let dim = self.units.dim_of(self.units.dunit(du));
                let dim = self.units.intern_dim(dim);
                Ok(Inferred::new(Op::Sum(Box::default()), ir.span, dim, du))
            }
            IrOp::Lit { unit: Some(u), .. }
                if sym.rule != DimRule::Any
                    && u.scale.is_none()
                    && u.factors.len() == 1
                    && u.factors[0].exp == Rat::ONE
                    && matches!(u.factors[0].base, UnitBase::Atom(_)) =>
            {
                self.want = Some(sym.rule);
                let r = self.infer(ir);
                self.want = None;
                r
            }
            _ => self.infer(ir),
        };
        let Ok(Inferred {
            code,
            dim,
            unit: mut du,
            precision,
        }) = inferred
        else {
            return;
        };
        let at = dim.index() * RULES + sym.rule as usize;
        let ok = match self.rules.get(at) {
            Some(1) => true,
            Some(2) => false,
            _ => {
                let ok = self.rule_ok(sym.rule, &self.units.dim(dim));
                if self.rules.len() <= at {
                    self.rules.resize(at + 1, 0);
                }
                self.rules[at] = if ok { 1 } else { 2 };
                ok
            }
        };
        if !ok {
            let d = self.units.dim(dim);
            self.rule_error(id, ir, &d);
            return;
        }
        match sym.rule {
            DimRule::Co2eRate => du = self.rate_unit,
            DimRule::Co2e => du = self.amount_unit,
            // Derived amounts of a substance are shown in its tonne unit (tce, tCO2,
            // tC), not in whatever the unit algebra left (kgce from t × kgce/kg).
            DimRule::CoalEquivalent | DimRule::Substance | DimRule::CarbonStock
                if matches!(sym.kind, SymKind::Derived { .. }) =>
            {
                du = self.units.dunit_for_dim_id(dim)
            }
            _ => {}
        }
        if du == UnitId::default() && dim != self.one {
            du = self.units.dunit_for_dim_id(dim);
        }
        self.checked.set(id, Checked::new(Some(code), Some(dim), du, precision));
    }

    fn mismatch(&mut self, what: &str, a: (Span, &Dim, &DUnit), b: (Span, &Dim, &DUnit)) {
        let (da, db) = (self.units.describe_dim(a.1), self.units.describe_dim(b.1));
        let label = |units: &Units, d: &Dim, u: &DUnit, desc: &str| {
            let shown = units.format_dunit(u);
            if shown.is_empty() || d.is_one() {
                format!("this is {desc}")
            } else {
                format!("this is in {shown}: {desc}")
            }
        };
        let la = label(self.units, a.1, a.2, &da);
        let lb = label(self.units, b.1, b.2, &db);
        let help = self.reconcile_help(a.1, b.1);
        self.diags.push(
            Diag::error("carbon::units::mismatch", format!("cannot {what} {da} and {db}"))
                .at(a.0, la)
                .also(b.0, lb)
                .help(help),
        );
    }

    /// How to turn the right side's dimension into the left side's.
    fn reconcile_help(&mut self, left: &Dim, right: &Dim) -> String {
        let Some(ratio) = left.div(right) else {
            return "the two sides have different dimensions".into();
        };
        if let Some(t) = self.bases.time {
            if ratio == Dim::base(t) {
                return "the left side is a stock (an amount) and the right a flow (per time): multiply the flow by a duration (e.g. `* period`) or divide the stock by one".into();
            }
            if ratio == Dim::base(t).recip() {
                return "the left side is a flow (per time) and the right a stock (an amount): divide the stock by a duration (e.g. `/ period`) or, for a carbon stock, choose a removal `method`".into();
            }
        }
        let (l, r) = (self.units.dunit_for_dim(left), self.units.dunit_for_dim(right));
        let (l, r) = (self.units.format_dunit(&l), self.units.format_dunit(&r));
        let du = self.units.dunit_for_dim(&ratio);
        let unit = self.units.format_dunit(&du);
        // A declared constant of exactly that dimension, or of its inverse.
        let all = self.checked.all().unwrap_or_default();
        let find = |want: Dim| {
            let mut found: Vec<&str> = all
                .iter()
                .enumerate()
                .filter(|(i, c)| {
                    c.dim.is_some() && c.dim == self.units.dim_id(&want) && self.res.syms[*i].kind == SymKind::Let
                })
                .map(|(i, _)| &*self.res.syms[i].name)
                .collect();
            found.sort();
            found.first().map(|s| s.to_string())
        };
        let show = |name: &str| {
            if name == "co2_per_c" {
                "`co2_per_c` (44/12 tCO2/tC)".to_string()
            } else {
                format!("`{name}`")
            }
        };
        let b = self.bases;
        let substance = |d: &Dim| {
            let mut f = d.factors();
            let one = f.next();
            matches!((one, f.next()), (Some((i, e)), None) if e == Rat::ONE && ![b.mass, b.length, b.time].contains(&Some(i)))
        };
        if let Some(name) = find(ratio) {
            format!(
                "to turn {r} into {l}, multiply by a factor in {unit} such as {}",
                show(&name)
            )
        } else if let Some(name) = find(ratio.recip()) {
            format!(
                "to turn {r} into {l}, divide by a factor such as {} (its inverse is in {unit})",
                show(&name)
            )
        } else if substance(left) && substance(right) {
            format!("different substances: to turn {r} into {l}, multiply by an explicit factor in {unit} (a GWP, an emission factor or a folding coefficient)")
        } else {
            let (a, b) = (self.units.describe_dim(left), self.units.describe_dim(right));
            format!("{a} and {b} are different kinds of quantity: check the units of both sides")
        }
    }

    /// Expectations and second statements compare like with like: a published
    /// figure in t/a against a stock, or in tC against tCO2, is a unit error.
    fn check_comparisons(&mut self) {
        let res = self.res;
        for e in &res.expects {
            let (Some(a), Some(p)) = (self.dim_at(e.actual), self.dim_at(e.published)) else {
                continue;
            };
            let (sa, sp) = (&res.syms[e.actual as usize], &res.syms[e.published as usize]);
            if a != p {
                let (da, dp) = (self.units.describe_dim(&a), self.units.describe_dim(&p));
                let help = self.reconcile_help(&a, &p);
                let du = self.checked.get(e.actual).map_or(UnitId::default(), |c| c.dunit);
                let ua = self.units.format_dunit(self.units.dunit(du));
                self.diags.push(
                    Diag::error("carbon::audit::expect_units", format!("expectation `{}` compares {da} with {dp}", e.name))
                        .at(sp.span, format!("the published figure is {dp}"))
                        .also(sa.span, format!("the computed value is {da} (in {ua})"))
                        .help(format!("state the published figure in the unit of the computed value, or compare the right quantity; {help}")),
                );
            }
            if let Some(t) = self.dim_at(e.tolerance) {
                if !t.is_one() && t != a {
                    let dt = self.units.describe_dim(&t);
                    self.diags.push(
                        Diag::error("carbon::audit::tolerance", format!("the tolerance of `{}` is {dt}", e.name))
                            .at(res.syms[e.tolerance as usize].span, "neither a share nor the unit of the values")
                            .help("write a relative tolerance (`within 1 %`) or an absolute one in the values' unit (`within 0.01 tce`)"),
                    );
                }
            }
        }
        for s in &res.statements {
            let (Some(a), Some(b)) = (self.dim_at(s.target), self.dim_at(s.other)) else {
                continue;
            };
            if a != b {
                let (da, db) = (self.units.describe_dim(&a), self.units.describe_dim(&b));
                let what = match s.kind {
                    crate::names::StatementKind::Parts => "the parts of",
                    crate::names::StatementKind::Also => "another statement of",
                };
                self.diags.push(
                    Diag::error(
                        "carbon::units::mismatch",
                        format!(
                            "{what} `{}` are {db}, but the value is {da}",
                            res.syms[s.target as usize].name
                        ),
                    )
                    .at(s.span, format!("this is {db}"))
                    .also(res.syms[s.target as usize].span, format!("this is {da}"))
                    .help("state both in units of the same kind"),
                );
            }
        }
    }

    fn dim_op<V>(&mut self, d: Option<V>, span: Span) -> Result<V, ()> {
        d.ok_or_else(|| {
            self.diags.push(
                Diag::error("carbon::units::exponent", "the unit's exponents grow out of range").at(span, "here"),
            );
        })
    }

    fn split_time(&self, d: &Dim) -> (Rat, Dim) {
        match self.bases.time {
            Some(t) => {
                let e = d.exp(t);
                let rest = d.times_base(t, e.negated()).unwrap_or(*d);
                (e, rest)
            }
            None => (Rat::ZERO, *d),
        }
    }

    fn single_base(&self, d: &Dim) -> Option<usize> {
        let mut it = d.factors();
        let (b, e) = it.next()?;
        (it.next().is_none() && e == Rat::ONE).then_some(b)
    }

    fn dim_from(&self, parts: &[(Option<usize>, i16)]) -> Option<Dim> {
        let mut d = Dim::ONE;
        for (b, e) in parts {
            d = d.times_base((*b)?, Rat::int(*e))?;
        }
        Some(d)
    }

    fn rule_ok(&self, rule: DimRule, d: &Dim) -> bool {
        let b = self.bases;
        let eq = |parts: &[(Option<usize>, i16)]| self.dim_from(parts).is_some_and(|x| x == *d);
        let (t, rest) = self.split_time(d);
        let amount_or_rate = t.is_zero() || t == Rat::int(-1);
        match rule {
            DimRule::Any => true,
            DimRule::Area => eq(&[(b.length, 2)]),
            DimRule::Time => eq(&[(b.time, 1)]),
            DimRule::Fraction => d.is_one(),
            DimRule::CarbonDensity => eq(&[(b.c, 1), (b.length, -2)]),
            DimRule::CarbonGain => eq(&[(b.c, 1), (b.length, -2), (b.time, -1)]),
            DimRule::VolumePerArea => eq(&[(b.length, 1)]),
            DimRule::MassPerArea => eq(&[(b.mass, 1), (b.length, -2)]),
            DimRule::MassPerVolume => eq(&[(b.mass, 1), (b.length, -3)]),
            DimRule::CarbonContent => eq(&[(b.c, 1), (b.mass, -1)]),
            DimRule::CarbonStock => eq(&[(b.c, 1)]),
            DimRule::CoalEquivalent => amount_or_rate && self.dim_from(&[(b.ce, 1)]) == Some(rest),
            DimRule::Substance => {
                amount_or_rate
                    && self
                        .single_base(&rest)
                        .is_some_and(|x| Some(x) != b.mass && Some(x) != b.length)
            }
            DimRule::Co2eRate => eq(&[(b.co2e, 1), (b.time, -1)]),
            DimRule::Co2e => eq(&[(b.co2e, 1)]),
        }
    }

    fn rule_error(&mut self, id: SymId, ir: &Ir, d: &Dim) {
        let sym = &self.res.syms[id as usize];
        let (want, example) = rule_want(sym.rule);
        let got = self.units.describe_dim(d);
        let mut diag = if matches!(sym.kind, SymKind::Derived { .. }) {
            // Point at the operands the derived value is computed from.
            let formula = self.ir_text(ir, id);
            let mut diag = Diag::error(
                "carbon::units::wrong_kind",
                format!("`{}` = {formula} must be {want}, but it is {got}", sym.name),
            )
            .at(sym.name_span, format!("`{}` is {got}", sym.short()));
            let mut deps = Vec::new();
            ir.deps(&mut deps);
            for dep in deps {
                let ds = &self.res.syms[dep as usize];
                if let (Some(dd), SymKind::Field { .. }) = (self.dim_at(dep), &ds.kind) {
                    let du = self.checked.get(dep).map_or(UnitId::default(), |c| c.dunit);
                    let u = self.units.format_dunit(self.units.dunit(du));
                    let text = if u.is_empty() || dd.is_one() {
                        format!("`{}` is {}", ds.short(), self.units.describe_dim(&dd))
                    } else {
                        format!("`{}` is in {u}", ds.short())
                    };
                    diag = diag.also(ds.span, text);
                }
            }
            diag
        } else {
            Diag::error(
                "carbon::units::wrong_kind",
                format!("`{}` must be {want}, but it is {got}", sym.name),
            )
            .at(sym.span, format!("this is {got}"))
        };
        if let SymKind::Derived { decl } | SymKind::Term { decl } = sym.kind {
            let decl = &self.res.decls[decl as usize];
            if decl.kind == Kind::Energy || decl.kind == Kind::Transport {
                diag = diag.help(format!(
                    "check the units of `amount` and `fold`: their product must be in tce (for example {example})"
                ));
            } else if !example.is_empty() {
                diag = diag.help(format!("for example `{example}`"));
            }
        } else if !example.is_empty() {
            diag = diag.help(format!("write it as {want}, for example `{example}`"));
        }
        self.diags.push(diag);
    }

    /// `amount × fold` for a derived value, in its declaration's short names.
    fn ir_text(&self, ir: &Ir, ctx: SymId) -> String {
        let sym = |s: SymId| {
            let x = &self.res.syms[s as usize];
            let same = match (&x.kind, &self.res.syms[ctx as usize].kind) {
                (SymKind::Field { decl: a } | SymKind::Derived { decl: a }, SymKind::Derived { decl: b }) => a == b,
                _ => false,
            };
            if same {
                x.short().to_string()
            } else {
                x.name.to_string()
            }
        };
        match &ir.op {
            IrOp::Sym(s) => sym(*s),
            IrOp::Bin(op, ab) => format!(
                "{} {} {}",
                self.ir_text(&ab[0], ctx),
                op.symbol(),
                self.ir_text(&ab[1], ctx)
            ),
            IrOp::Pair(op, [x, y], _) => format!("{} {} {}", sym(*x), op.symbol(), sym(*y)),
            IrOp::Chain(c) => {
                let mut s = self.ir_text(&c.first, ctx);
                for (op, x) in c.rest.iter() {
                    s.push_str(&format!(" {} {}", op.symbol(), self.ir_text(x, ctx)));
                }
                s
            }
            IrOp::Lit { value, .. } => number::format(*value),
            _ => "…".into(),
        }
    }
}

/// What a rule asks for, in words, and an example value.
fn rule_want(rule: DimRule) -> (&'static str, &'static str) {
    match rule {
        DimRule::Any => ("anything", ""),
        DimRule::Area => ("an area", "10 hm2"),
        DimRule::Time => ("a duration", "1 a"),
        DimRule::Fraction => ("a plain number or percentage", "20 %"),
        DimRule::CarbonDensity => ("a carbon density (carbon per area)", "7.09 tC/hm2"),
        DimRule::CarbonGain => ("an annual carbon gain per area", "0.5 tC/hm2/a"),
        DimRule::VolumePerArea => ("a stand volume per area", "193.47 m3/hm2"),
        DimRule::MassPerArea => ("a biomass per area", "47.4999 t/hm2"),
        DimRule::MassPerVolume => ("a biomass per volume", "0.4642 t/m3"),
        DimRule::CarbonContent => ("a carbon content rate (carbon per dry mass)", "0.4889 tC/t"),
        DimRule::CarbonStock => ("a carbon stock", "100 tC"),
        DimRule::CoalEquivalent => (
            "standard-coal equivalent (tce), per period or per year",
            "0.902 tce/t as the fold",
        ),
        DimRule::Substance => (
            "an amount of one substance (tCO2, tCH4, …), per period or per year",
            "647.96 tCH4/a",
        ),
        DimRule::Co2eRate => ("CO2-equivalent per year", "100 tCO2e/a"),
        DimRule::Co2e => ("CO2-equivalent", "100 tCO2e"),
    }
}

fn const_op(op: BinOp, a: f64, b: f64) -> f64 {
    match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => a / b,
        BinOp::Pow => a.powf(b),
    }
}

fn const_value(c: &Code) -> Option<f64> {
    match &c.op {
        Op::Const(v, _) => Some(*v),
        Op::Neg(x) => const_value(x).map(|v| -v),
        Op::Bin(op, ab) => Some(const_op(*op, const_value(&ab[0])?, const_value(&ab[1])?)),
        Op::Chain(c) => {
            let mut a = const_value(&c.first)?;
            for (op, x) in c.rest.iter() {
                a = const_op(*op, a, const_value(x)?);
            }
            Some(a)
        }
        _ => None,
    }
}

/// The symbols `c` reads, in order, repeated as often as they appear.
pub fn code_syms(c: &Code, out: &mut Vec<SymId>) {
    match &c.op {
        Op::Const(..) => {}
        Op::Sym(s) => out.push(*s),
        Op::Neg(x) => code_syms(x, out),
        Op::Bin(_, ab) => {
            code_syms(&ab[0], out);
            code_syms(&ab[1], out);
        }
        Op::Pair(_, xy, _) => out.extend_from_slice(xy),
        Op::Sum(xs) => out.extend(xs.iter().map(|(_, s)| *s)),
        Op::Chain(ch) => {
            code_syms(&ch.first, out);
            for (_, x) in ch.rest.iter() {
                code_syms(x, out);
            }
        }
    }
}

/// Appends the symbols `c` reads that are not in `out` yet, in order of first
/// appearance.
pub fn code_deps(c: &Code, out: &mut Vec<SymId>) {
    match &c.op {
        Op::Const(..) => {}
        Op::Sym(s) => {
            if !out.contains(s) {
                out.push(*s)
            }
        }
        Op::Neg(x) => code_deps(x, out),
        Op::Bin(_, ab) => {
            code_deps(&ab[0], out);
            code_deps(&ab[1], out);
        }
        Op::Pair(_, xy, _) => {
            for s in xy {
                if !out.contains(s) {
                    out.push(*s)
                }
            }
        }
        Op::Sum(xs) => out.extend(xs.iter().map(|(_, s)| *s)),
        Op::Chain(_) => {
            // All of its symbols, then those new (one by one would be quadratic
            // in a long chain).
            let mut all = Vec::new();
            code_syms(c, &mut all);
            crate::ir::push_new(out, 0, &all);
        }
    }
}
