//! Compiled code over base-unit values: its operations, constants folded, and
//! the symbols it reads.

use super::*;

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
    /// A builtin function of its arguments (`IrOp::Call`), behind one thin
    /// pointer: `Op` stays 16 bytes, on every compiled node of a large program.
    Call(Box<Called>),
}

/// A call's function and arguments.
#[derive(Clone, Debug)]
pub struct Called {
    pub func: crate::ir::Func,
    pub args: Box<[Code]>,
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

fn const_op(op: BinOp, a: f64, b: f64) -> f64 {
    match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => a / b,
        BinOp::Pow => a.powf(b),
    }
}

pub(super) fn const_value(c: &Code) -> Option<f64> {
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
        Op::Call(c) => c.args.iter().for_each(|x| code_syms(x, out)),
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
        Op::Call(c) => c.args.iter().for_each(|x| code_deps(x, out)),
        Op::Chain(_) => {
            // All of its symbols, then those new (one by one would be quadratic
            // in a long chain).
            let mut all = Vec::new();
            code_syms(c, &mut all);
            crate::ir::push_new(out, 0, &all);
        }
    }
}
