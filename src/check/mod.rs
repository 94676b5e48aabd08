//! Stage 4 (check): infers the dimension and display unit of every symbol in
//! dependency order, rejects unit mismatches before anything is evaluated, and
//! compiles each symbol to code over base-unit values.
//!
//! The folder by job: the checker of one symbol here; expression inference
//! (infer.rs); dimension errors and field rules (rules.rs); the whole program in
//! order, on one thread or two (order.rs); compiled code (code.rs); builtin
//! function calls (call.rs).

mod call;
mod code;
mod infer;
mod order;
mod rules;

use code::const_value;
pub use code::{code_deps, code_syms, Called, Code, Op, Terms};
pub use order::{check, check_in, check_with, Results};
use rules::rule_want;

use crate::diag::Diag;
use crate::domain::Kind;
use crate::ir::{At, Chained, Ir, IrOp, SymId};
use crate::names::{DimRule, PatternDim, Resolved, SymKind};
use crate::number;
use crate::source::Span;
use crate::syntax::ast::{BinOp, UnitBase};
use crate::units::{DUnit, Dim, DimId, Rat, UnitId, Units};

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

    /// The gas of a term: the substance its CO2e factor converts, the base
    /// dimension X of a symbol of its code in CO2e per X — the GWP set's factor
    /// that its conversion to CO2e (`IrOp::Gwp`) multiplied in, or a `gas`'s own
    /// `gwp` — such as `CO2`, `CH4` or `N2O`; `CO2e` when the code has none (the
    /// figure was already in CO2e), `mixed` when two factors convert different
    /// substances. `None` when the term has no code (an error) or the program no
    /// CO2e dimension. Read from the term's code (a few nodes) when a report is
    /// built, so that nothing is kept per checked symbol.
    pub fn gas(&self, term: SymId) -> Option<&str> {
        let co2e = self.units.base_index("CO2e")?;
        let time = self.units.base_index("time");
        let code = self.checked.as_slice().get(term as usize)?.code.as_ref()?;
        let mut gas = None;
        let mut mixed = false;
        each_sym(code, &mut |s| {
            let Some(d) = self.dim(s) else { return };
            if d.exp(co2e) != Rat::ONE {
                return;
            }
            let Some(per) = d.times_base(co2e, Rat::int(-1)) else {
                return;
            };
            let mut f = per.factors();
            if let (Some((b, e)), None) = (f.next(), f.next()) {
                if e == Rat::int(-1) && Some(b) != time {
                    mixed |= gas.is_some_and(|g| g != b);
                    gas = Some(b);
                }
            }
        });
        Some(match gas {
            _ if mixed => "mixed",
            Some(b) => self.units.bases.get(b)?.name.as_str(),
            None => "CO2e",
        })
    }
}

/// Calls `f` on each symbol `c` reads.
fn each_sym(c: &Code, f: &mut impl FnMut(SymId)) {
    match &c.op {
        Op::Const(..) => {}
        Op::Sym(s) => f(*s),
        Op::Neg(x) => each_sym(x, f),
        Op::Bin(_, ab) => ab.iter().for_each(|x| each_sym(x, f)),
        Op::Pair(_, xy, _) => xy.iter().for_each(|&s| f(s)),
        Op::Sum(xs) => xs.iter().for_each(|&(_, s)| f(s)),
        Op::Chain(ch) => {
            each_sym(&ch.first, f);
            ch.rest.iter().for_each(|(_, x)| each_sym(x, f));
        }
        Op::Call(c) => c.args.iter().for_each(|x| each_sym(x, f)),
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
}

/// Where a checker finds the symbols checked before the one it checks, and puts
/// what it checks.
trait Table {
    /// `None` when this checker cannot see it (see [`order::Half`]).
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
    /// Whether the symbol checked is a declared kind's probe (see `Resolved::probes`).
    probing: bool,
}

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
            probing: false,
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
        // A probe's symbols are hidden ones (`names::instantiate`).
        self.probing = sym.kind == SymKind::Hidden && self.res.probes.contains(&id);
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
        let at = dim.index() * (DimRule::BUILTIN + self.res.patterns.len()) + sym.rule.index();
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
            // A declared kind's value that is one substance, or one per time, is
            // shown in its tonne unit (tCO2/a), not in whatever the unit algebra
            // left (kgCO2/a from t × kgCO2/t).
            _ if self.declared_kind_value(sym) && self.substance_flow(&self.units.dim(dim)) => {
                du = self.units.dunit_for_dim_id(dim)
            }
            _ => {}
        }
        if du == UnitId::default() && dim != self.one {
            du = self.units.dunit_for_dim_id(dim);
        }
        self.checked.set(id, Checked::new(Some(code), Some(dim), du, precision));
    }

    fn declared_kind_value(&self, sym: &crate::names::Symbol) -> bool {
        match sym.kind {
            SymKind::Derived { decl } => {
                matches!(self.res.decls.get(decl as usize).map(|d| d.kind), Some(Kind::User(_)))
            }
            _ => false,
        }
    }

    /// One substance (not mass, length or time), or one per time.
    fn substance_flow(&self, d: &Dim) -> bool {
        let (t, rest) = self.split_time(d);
        let b = self.bases;
        (t.is_zero() || t == Rat::int(-1))
            && self
                .single_base(&rest)
                .is_some_and(|x| Some(x) != b.mass && Some(x) != b.length && Some(x) != b.time)
    }

    fn dim_op<V>(&mut self, d: Option<V>, span: Span) -> Result<V, ()> {
        d.ok_or_else(|| {
            self.diags.push(
                Diag::error("carbon::units::exponent", "the unit's exponents grow out of range").at(span, "here"),
            );
        })
    }
}
