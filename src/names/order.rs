//! Evaluation order: a topological sort of the symbols, and the cycles it finds.

use super::*;

impl Namer {
    /// Topological order (iterative DFS, prelude symbols first). Reports cycles.
    /// Also notes where each value is written (`Symbol::value`).
    pub(super) fn order(&mut self) -> Vec<SymId> {
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
    pub(super) fn report_cycle(&mut self, cycle: &[usize]) {
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
pub(super) struct Uses {
    /// The GWP set (`IrOp::Gwp`).
    gwp: bool,
    /// The period (`IrOp::PerPeriod`, `IrOp::OverPeriod`).
    period: bool,
}

/// Appends to `out` the symbols `ir` reads that are not in `out[from..]` yet, in
/// order of first appearance (as `Ir::deps`), and notes what else it uses.
pub(super) fn scan(ir: &Ir, out: &mut Vec<SymId>, from: usize, uses: &mut Uses) {
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
        IrOp::Call(_, xs) => xs.iter().for_each(|x| scan(x, out, from, uses)),
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
pub(super) fn uses_of(ir: &Ir, uses: &mut Uses) {
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
        IrOp::Call(_, xs) => xs.iter().for_each(|x| uses_of(x, uses)),
        IrOp::Lit { .. } | IrOp::Sym(_) | IrOp::Pair(..) | IrOp::Sum(_) => {}
    }
}
