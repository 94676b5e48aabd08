//! The resolved program: symbols (every named value: lets, declaration fields,
//! derived values, terms, groups) with expressions whose names are indices.

use crate::source::Span;
use crate::syntax::ast::{BinOp, UnitExpr};
use std::sync::Arc;

pub type SymId = u32;

#[derive(Clone, Debug)]
pub struct Ir {
    pub op: IrOp,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum IrOp {
    /// A number as written; `precision` is half a unit of its last digit, in its unit.
    Lit {
        value: f64,
        /// Shared, not copied: a literal's unit as written (behind a pointer, so that
        /// an `Ir` node stays small).
        unit: Option<Arc<UnitExpr>>,
        precision: f64,
    },
    Sym(SymId),
    Neg(Box<Ir>),
    /// Both operands in one allocation.
    Bin(BinOp, Box<[Ir; 2]>),
    /// A binary operation on two symbols, inline, without an allocation: most of
    /// the derived values' formulas (`area × density`), millions in a large
    /// inventory. Operand `i` is `Ir::sym(id, span)` with the span of the pair
    /// itself where `at[i]` is [`At::Node`], else the span of its symbol (see
    /// [`At::operand`]); made only where that gives back the operands exactly.
    Pair(BinOp, [SymId; 2], [At; 2]),
    Convert(Box<Ir>, Arc<UnitExpr>),
    /// Multiply by the selected GWP set's factor for the substance of the argument
    /// (`CO2` 1, `CH4` 21, …); a rate stays a rate.
    Gwp(Box<Ir>),
    /// A rate stays; an amount for the inventory period is divided by the period.
    PerPeriod(Box<Ir>),
    /// An amount stays; a rate is integrated over the period.
    OverPeriod(Box<Ir>),
    /// Compensated sum of symbols, each added or subtracted.
    Sum(Vec<(bool, SymId)>),
    /// Operations of one level in a row, left to right (`ast::ExprKind::Chain`).
    Chain(Box<Chained<Ir>>),
    /// A builtin function of its arguments (`ast::ExprKind::Call`), resolved once.
    Call(Func, Box<[Ir]>),
}

/// The builtin functions, resolved from their names once by the names stage:
/// evaluation matches on this, never on a string.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Func {
    Exp,
    Ln,
    Log10,
    Sqrt,
    Min,
    Max,
    Abs,
    Clamp,
    /// The year being evaluated, a plain number (an inventory over years).
    Year,
    /// Its argument in the year before (an inventory over years).
    Previous,
    /// A series by year (`hold(2021: a, 2024: b)`): its arguments alternate the
    /// year (a plain literal) and the value, years rising. See [`Rule`].
    Series(Rule),
}

/// How a series gives the years between and after the years it states. Before
/// its first year it has no value (an error, never a default).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    /// The value of the latest year stated; after the last, the last.
    Hold,
    /// Linear between the years stated; after the last, the last.
    Linear,
    /// Linear between the years stated; after the last, the line through the
    /// last two continues.
    Trend,
}

impl Func {
    pub const ALL: [Func; 13] = [
        Func::Exp,
        Func::Ln,
        Func::Log10,
        Func::Sqrt,
        Func::Min,
        Func::Max,
        Func::Abs,
        Func::Clamp,
        Func::Year,
        Func::Previous,
        Func::Series(Rule::Hold),
        Func::Series(Rule::Linear),
        Func::Series(Rule::Trend),
    ];

    pub fn name(self) -> &'static str {
        match self {
            Func::Exp => "exp",
            Func::Ln => "ln",
            Func::Log10 => "log10",
            Func::Sqrt => "sqrt",
            Func::Min => "min",
            Func::Max => "max",
            Func::Abs => "abs",
            Func::Clamp => "clamp",
            Func::Year => "year",
            Func::Previous => "previous",
            Func::Series(Rule::Hold) => "hold",
            Func::Series(Rule::Linear) => "linear",
            Func::Series(Rule::Trend) => "trend",
        }
    }

    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL.into_iter().find(|f| f.name() == name)
    }

    /// How many arguments it takes: at least, at most.
    pub fn arity(self) -> (usize, usize) {
        match self {
            Func::Min | Func::Max => (2, usize::MAX),
            Func::Clamp => (3, 3),
            Func::Year => (0, 0),
            Func::Series(Rule::Trend) => (2, usize::MAX),
            Func::Series(_) => (1, usize::MAX),
            _ => (1, 1),
        }
    }

    /// How it is called, for a wrong number of arguments.
    pub fn signature(self) -> &'static str {
        match self {
            Func::Exp => "exp(x), x a plain number",
            Func::Ln => "ln(x), x a plain number above zero",
            Func::Log10 => "log10(x), x a plain number above zero",
            Func::Sqrt => "sqrt(x)",
            Func::Min => "min(a, b, …), two or more quantities of one dimension",
            Func::Max => "max(a, b, …), two or more quantities of one dimension",
            Func::Abs => "abs(x)",
            Func::Clamp => "clamp(x, lo, hi), three quantities of one dimension",
            Func::Year => "year(), the year being evaluated",
            Func::Previous => "previous(x), x in the year before",
            Func::Series(Rule::Hold) => "hold(2021: a, 2024: b, …), each value held until the next year stated",
            Func::Series(Rule::Linear) => {
                "linear(2021: a, 2025: b, …), linear between the years stated, the last held after"
            }
            Func::Series(Rule::Trend) => {
                "trend(2021: a, 2025: b, …), linear between the years stated and continued after the last"
            }
        }
    }

    /// Whether its argument must be dimensionless.
    pub fn plain(self) -> bool {
        matches!(self, Func::Exp | Func::Ln | Func::Log10)
    }
}

/// `first op₁ x₁ op₂ x₂ …`, left-associative, flat: a sum of any length costs
/// no depth in the passes that walk it.
#[derive(Clone, Debug)]
pub struct Chained<T> {
    pub first: T,
    pub rest: Box<[(BinOp, T)]>,
}

impl<T> Chained<T> {
    /// Every operand, the first included.
    pub fn operands(&self) -> impl Iterator<Item = &T> {
        std::iter::once(&self.first).chain(self.rest.iter().map(|(_, x)| x))
    }
}

/// Appends `syms` to `out` leaving out those already there (from `from` on), in
/// order of first appearance: in linear time however many there are.
pub fn push_new(out: &mut Vec<SymId>, from: usize, syms: &[SymId]) {
    if out.len() - from + syms.len() <= 32 {
        for s in syms {
            if !out[from..].contains(s) {
                out.push(*s)
            }
        }
        return;
    }
    let mut seen: rustc_hash::FxHashSet<SymId> = out[from..].iter().copied().collect();
    for s in syms {
        if seen.insert(*s) {
            out.push(*s)
        }
    }
}

/// Where an operand of a pair (`IrOp::Pair`, `check::Op::Pair`) is written.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum At {
    /// Where its symbol is (`Symbol::span`).
    Own,
    /// Where the pair is.
    Node,
}

impl At {
    /// How a pair spanning `node` can keep an operand (symbol `own` span)
    /// written at `span`, if it can.
    pub fn of(span: Span, own: Option<Span>, node: Span) -> Option<At> {
        if Some(span) == own {
            Some(At::Own)
        } else if span == node {
            Some(At::Node)
        } else {
            None
        }
    }
    /// The span of an operand whose symbol is at `own`, in a pair at `node`.
    pub fn operand(self, own: Option<Span>, node: Span) -> Span {
        match self {
            At::Own => own.unwrap_or(node),
            At::Node => node,
        }
    }
}

impl Ir {
    pub fn sym(id: SymId, span: Span) -> Ir {
        Ir {
            op: IrOp::Sym(id),
            span,
        }
    }
    pub fn bin(op: BinOp, a: Ir, b: Ir) -> Ir {
        let span = a.span.to(b.span);
        Ir {
            op: IrOp::Bin(op, Box::new([a, b])),
            span,
        }
    }
    pub fn wrap(self, f: fn(Box<Ir>) -> IrOp) -> Ir {
        let span = self.span;
        Ir {
            op: f(Box::new(self)),
            span,
        }
    }
    /// Symbols this expression reads, in order, repeated as often as they appear.
    pub fn syms(&self, out: &mut Vec<SymId>) {
        match &self.op {
            IrOp::Lit { .. } => {}
            IrOp::Sym(s) => out.push(*s),
            IrOp::Neg(x) | IrOp::Convert(x, _) | IrOp::Gwp(x) | IrOp::PerPeriod(x) | IrOp::OverPeriod(x) => x.syms(out),
            IrOp::Bin(_, ab) => {
                ab[0].syms(out);
                ab[1].syms(out);
            }
            IrOp::Pair(_, xy, _) => out.extend_from_slice(xy),
            IrOp::Sum(xs) => out.extend(xs.iter().map(|(_, s)| *s)),
            IrOp::Chain(c) => {
                for x in c.operands() {
                    x.syms(out);
                }
            }
            IrOp::Call(_, xs) => xs.iter().for_each(|x| x.syms(out)),
        }
    }
    /// Symbols this expression reads, in order of first appearance.
    pub fn deps(&self, out: &mut Vec<SymId>) {
        match &self.op {
            IrOp::Lit { .. } => {}
            IrOp::Sym(s) => {
                if !out.contains(s) {
                    out.push(*s)
                }
            }
            IrOp::Neg(x) | IrOp::Convert(x, _) | IrOp::Gwp(x) | IrOp::PerPeriod(x) | IrOp::OverPeriod(x) => x.deps(out),
            IrOp::Bin(_, ab) => {
                ab[0].deps(out);
                ab[1].deps(out);
            }
            IrOp::Pair(_, xy, _) => {
                for s in xy {
                    if !out.contains(s) {
                        out.push(*s)
                    }
                }
            }
            // Group members are distinct declarations: no de-duplication (which
            // would be quadratic for large groups).
            IrOp::Sum(xs) => out.extend(xs.iter().map(|(_, s)| *s)),
            IrOp::Chain(c) => {
                // Each operand's symbols, then those new here (a long chain would
                // make one by one quadratic).
                let mut all = Vec::new();
                for x in c.operands() {
                    x.syms(&mut all);
                }
                push_new(out, 0, &all);
            }
            IrOp::Call(_, xs) => xs.iter().for_each(|x| x.deps(out)),
        }
    }
}
