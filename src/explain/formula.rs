//! The formula printer: a symbol's compiled code written back as a formula,
//! with the names of its operands or with their values substituted.

use super::*;

impl<'a> Explainer<'a> {
    /// A symbol in a formula: its name, or its value when substituted.
    fn print_sym(&self, m: &mut Memo<'a>, s: SymId, ctx: SymId, sub: bool, outer: u8, out: &mut String) {
        if sub {
            let shown = self.shown(m, s);
            let paren = shown.contains(' ') && outer >= 3;
            if paren {
                out.push('(');
            }
            out.push_str(shown);
            if paren {
                out.push(')');
            }
        } else {
            out.push_str(self.name_from(s, ctx));
        }
    }

    /// `a op b`, parenthesised when it binds less tightly than `outer`.
    #[allow(clippy::too_many_arguments)]
    fn print_bin(
        &self,
        m: &mut Memo<'a>,
        op: BinOp,
        ab: [Operand<'a>; 2],
        ctx: SymId,
        sub: bool,
        outer: u8,
        out: &mut String,
    ) {
        let p = prec(op);
        // Right operands of − and / bind tighter.
        let rp = if matches!(op, BinOp::Sub | BinOp::Div | BinOp::Pow) {
            p + 1
        } else {
            p
        };
        let paren = p < outer;
        if paren {
            out.push('(');
        }
        for (i, x) in ab.into_iter().enumerate() {
            if i == 1 {
                out.push_str(match op {
                    BinOp::Pow => "^",
                    BinOp::Add => " + ",
                    BinOp::Sub => " − ",
                    BinOp::Mul => " × ",
                    BinOp::Div => " / ",
                });
            }
            let at = if i == 0 { p } else { rp };
            match x {
                Operand::Code(c) => self.print(m, c, ctx, sub, at, out),
                Operand::Sym(s) => self.print_sym(m, s, ctx, sub, at, out),
            }
        }
        if paren {
            out.push(')');
        }
    }

    pub(super) fn print(&self, m: &mut Memo<'a>, c: &'a Code, ctx: SymId, sub: bool, outer: u8, out: &mut String) {
        match &c.op {
            Op::Const(v, du) => {
                let i = self.unit_ix(m, self.p.units.dunit(*du));
                let (scale, u) = (m.units[i].scale, &*m.units[i].name);
                let paren = !u.is_empty() && outer >= 3;
                if paren {
                    out.push('(');
                }
                push_q(out, v / scale, u);
                if paren {
                    out.push(')');
                }
            }
            Op::Sym(s) => self.print_sym(m, *s, ctx, sub, outer, out),
            Op::Neg(x) => {
                out.push('−');
                self.print(m, x, ctx, sub, 3, out);
            }
            Op::Bin(op, ab) => {
                let [a, b] = &**ab;
                self.print_bin(m, *op, [Operand::Code(a), Operand::Code(b)], ctx, sub, outer, out);
            }
            Op::Pair(op, [a, b], _) => {
                self.print_bin(m, *op, [Operand::Sym(*a), Operand::Sym(*b)], ctx, sub, outer, out);
            }
            Op::Chain(ch) => {
                // As the operations nested to the left would print: one level,
                // parenthesised once.
                let p = ch.rest.first().map_or(1, |(op, _)| prec(*op));
                let paren = p < outer;
                if paren {
                    out.push('(');
                }
                self.print(m, &ch.first, ctx, sub, p, out);
                for (op, x) in ch.rest.iter() {
                    out.push_str(match op {
                        BinOp::Add => " + ",
                        BinOp::Sub => " − ",
                        BinOp::Mul => " × ",
                        BinOp::Div => " / ",
                        BinOp::Pow => "^",
                    });
                    // Right operands of − and / bind tighter.
                    let rp = if matches!(op, BinOp::Sub | BinOp::Div) {
                        p + 1
                    } else {
                        p
                    };
                    self.print(m, x, ctx, sub, rp, out);
                }
                if paren {
                    out.push(')');
                }
            }
            // `previous(stock)` substituted: the value of the year before, with
            // its year.
            Op::Call(f) if sub && f.func == crate::ir::Func::Previous => {
                let before = Explainer {
                    vals: self.vals.prev().unwrap_or(self.vals),
                    ..*self
                };
                let mut m = Memo::default();
                let mut shown = String::new();
                before.print(&mut m, &f.args[0], ctx, true, 0, &mut shown);
                match before.vals.year() {
                    Some(y) if self.vals.prev().is_some() => {
                        out.push_str(&format!("{shown} (in {y})"));
                    }
                    _ => {
                        out.push_str("previous(");
                        out.push_str(&shown);
                        out.push(')');
                    }
                }
            }
            Op::Call(f) => {
                // As written: `exp(−k × t)`, each argument a formula of its own.
                out.push_str(f.func.name());
                out.push('(');
                let series = matches!(f.func, crate::ir::Func::Series(_));
                for (i, x) in f.args.iter().enumerate() {
                    match (series, i % 2, &x.op) {
                        // A series' year, as written: `2021: `.
                        (true, 0, Op::Const(y, _)) => {
                            if i > 0 {
                                out.push_str(", ");
                            }
                            out.push_str(&format!("{}: ", *y as i64));
                        }
                        _ => {
                            if i > 0 && !series {
                                out.push_str(", ");
                            }
                            self.print(m, x, ctx, sub, 0, out);
                        }
                    }
                }
                out.push(')');
            }
            Op::Sum(xs) => {
                let paren = outer >= 1 && xs.len() > 1;
                if paren {
                    out.push('(');
                }
                if xs.is_empty() {
                    out.push('0');
                }
                for (i, (neg, s)) in xs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(if *neg { " − " } else { " + " });
                    } else if *neg {
                        out.push('−');
                    }
                    if sub {
                        out.push_str(self.shown(m, *s));
                    } else {
                        out.push_str(self.name_from(*s, ctx));
                    }
                }
                if paren {
                    out.push(')');
                }
            }
        }
    }
}

/// An operand of a binary operation in a formula: compiled code, or a symbol of
/// an inline pair (`Op::Pair`).
#[derive(Clone, Copy)]
enum Operand<'a> {
    Code(&'a Code),
    Sym(SymId),
}

/// How tightly an operator binds, for parentheses in a formula.
fn prec(op: BinOp) -> u8 {
    match op {
        BinOp::Add | BinOp::Sub => 1,
        BinOp::Mul | BinOp::Div => 2,
        BinOp::Pow => 4,
    }
}
