//! Stage 6 (explain): turns the evaluated program into the balance report: every
//! term with its formula, the values substituted, its unit, its shares, its sources
//! and assumption marks, and the derivation of each of its operands.

use crate::check::{Code, Op, Program};
use crate::domain::{Group, Kind};
use crate::eval::Values;
use crate::ir::SymId;
use crate::names::SymKind;
use crate::number;
use crate::source::SourceMap;
use crate::syntax::ast::BinOp;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct Node {
    pub name: String,
    /// What the value is.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub meaning: String,
    pub value: f64,
    pub unit: String,
    /// Share of its group (terms) — a fraction, not a percentage; null below terms.
    pub share: Option<f64>,
    /// Share of total emissions (emission terms) or of total removals (sinks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_of_total: Option<f64>,
    pub formula: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub substituted: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equation: Option<String>,
    pub sources: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assumed: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// `file:line` of the declaration.
    pub location: String,
    /// Expectations whose computed side depends on this value.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expectations: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    pub children: Vec<Node>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Quantity {
    pub value: f64,
    pub unit: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct GroupReport {
    pub name: String,
    pub title: String,
    pub value: f64,
    pub unit: String,
    /// Subtotals of C_above by part (P_M, P_R, P_S, P_A).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartReport>,
    pub terms: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PartReport {
    pub name: String,
    pub symbol: String,
    pub value: f64,
    pub unit: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Flag {
    pub term: String,
    pub message: String,
    pub value: f64,
    pub unit: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub inventory: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    pub period: Quantity,
    pub gwp: String,
    pub balance: Quantity,
    pub neutral: bool,
    pub emissions: Quantity,
    pub removals: Quantity,
    pub groups: Vec<GroupReport>,
    pub terms: Vec<Node>,
    pub flags: Vec<Flag>,
    /// Published figures checked (filled in by the audit stage).
    pub expectations: Vec<crate::audit::ExpectResult>,
    /// Warnings silenced on their declarations, with the reasons.
    pub allowed: Vec<crate::audit::Allowed>,
}

pub struct Explainer<'a> {
    pub p: &'a Program,
    pub vals: &'a Values,
    pub sources: &'a SourceMap,
}

impl Explainer<'_> {
    fn value_in_unit(&self, id: SymId) -> (f64, String) {
        let c = &self.p.checked[id as usize];
        let v = self.vals.get(id).unwrap_or(f64::NAN);
        let scale = self.p.units.scale_of(&c.dunit);
        (v / scale, self.p.units.format_dunit(&c.dunit))
    }

    pub fn show(&self, id: SymId) -> String {
        let (v, u) = self.value_in_unit(id);
        if u.is_empty() {
            number::format(v)
        } else {
            format!("{} {u}", number::format(v))
        }
    }

    fn location(&self, id: SymId) -> String {
        let s = &self.p.res.syms[id as usize];
        let span = s.name_span;
        if s.kind == SymKind::Group {
            return String::new();
        }
        let line = self.sources.line(span.src, span.start);
        format!("{}:{line}", self.sources.name(span.src))
    }

    fn decl_of(&self, id: SymId) -> Option<u32> {
        match self.p.res.syms[id as usize].kind {
            SymKind::Field { decl } | SymKind::Derived { decl } | SymKind::Term { decl } => Some(decl),
            _ => None,
        }
    }

    /// A symbol's name as seen from inside `ctx`'s declaration.
    fn name_from(&self, id: SymId, ctx: SymId) -> String {
        let s = &self.p.res.syms[id as usize];
        match (self.decl_of(id), self.decl_of(ctx)) {
            (Some(a), Some(b)) if a == b && !matches!(s.kind, SymKind::Term { .. }) => s.short.to_string(),
            _ => s.name.clone(),
        }
    }

    pub fn formula(&self, code: &Code, ctx: SymId, substitute: bool) -> String {
        let mut out = String::new();
        self.print(code, ctx, substitute, 0, &mut out);
        out
    }

    fn print(&self, c: &Code, ctx: SymId, sub: bool, outer: u8, out: &mut String) {
        let prec = |op: BinOp| match op {
            BinOp::Add | BinOp::Sub => 1,
            BinOp::Mul | BinOp::Div => 2,
            BinOp::Pow => 4,
        };
        match &c.op {
            Op::Const(v, du) => {
                let shown = v / self.p.units.scale_of(du);
                let u = self.p.units.format_dunit(du);
                let paren = !u.is_empty() && outer >= 3;
                if paren {
                    out.push('(');
                }
                out.push_str(&number::format(shown));
                if !u.is_empty() {
                    out.push(' ');
                    out.push_str(&u);
                }
                if paren {
                    out.push(')');
                }
            }
            Op::Sym(s) => {
                if sub {
                    let shown = self.show(*s);
                    let paren = shown.contains(' ') && outer >= 3;
                    if paren {
                        out.push('(');
                    }
                    out.push_str(&shown);
                    if paren {
                        out.push(')');
                    }
                } else {
                    out.push_str(&self.name_from(*s, ctx));
                }
            }
            Op::Neg(x) => {
                out.push('−');
                self.print(x, ctx, sub, 3, out);
            }
            Op::Bin(op, a, b) => {
                let p = prec(*op);
                let paren = p < outer;
                if paren {
                    out.push('(');
                }
                self.print(a, ctx, sub, p, out);
                out.push_str(match op {
                    BinOp::Pow => "^",
                    BinOp::Add => " + ",
                    BinOp::Sub => " − ",
                    BinOp::Mul => " × ",
                    BinOp::Div => " / ",
                });
                // Right operands of − and / bind tighter.
                let rp = if matches!(op, BinOp::Sub | BinOp::Div | BinOp::Pow) {
                    p + 1
                } else {
                    p
                };
                self.print(b, ctx, sub, rp, out);
                if paren {
                    out.push(')');
                }
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
                        out.push_str(&self.show(*s));
                    } else {
                        out.push_str(&self.name_from(*s, ctx));
                    }
                }
                if paren {
                    out.push(')');
                }
            }
        }
    }

    fn deps(&self, id: SymId) -> Vec<SymId> {
        let mut out = Vec::new();
        if let Some(c) = &self.p.checked[id as usize].code {
            code_deps(c, &mut out);
        }
        out
    }

    /// The derivation tree of one symbol, down to its literal inputs.
    pub fn node(&self, id: SymId, depth: usize) -> Node {
        let s = &self.p.res.syms[id as usize];
        let (value, unit) = self.value_in_unit(id);
        let code = self.p.checked[id as usize].code.as_ref();
        let is_literal = code.is_some_and(|c| matches!(c.op, Op::Const(..)));
        let formula = code.filter(|_| !is_literal).map(|c| self.formula(c, id, false));
        let substituted = code.filter(|_| !is_literal).map(|c| self.formula(c, id, true));
        let sources = s
            .prov
            .sources
            .iter()
            .map(|&i| {
                let src = &self.p.res.sources[i];
                if src.name.is_empty() {
                    format!("\"{}\"", src.text)
                } else {
                    format!("{}: {}", src.name, src.text)
                }
            })
            .collect();
        let mut flags = Vec::new();
        let (mut kind, mut group, mut part) = (None, None, None);
        if let SymKind::Term { decl } = s.kind {
            let d = &self.p.res.decls[decl as usize];
            kind = Some(d.kind.word().to_string());
            group = d.group.map(|g| g.name().to_string());
            part = d
                .land
                .filter(|_| d.group == Some(Group::Above))
                .map(|l| format!("{} ({})", l.symbol(), l.name()));
            if d.method.as_deref() == Some("stock_as_removal") {
                flags.push(format!(
                    "stock treated as the period's removal: the carbon stock is reported as a removal over the inventory period (method stock_as_removal){}",
                    d.note.as_ref().map(|n| format!(" — {n}")).unwrap_or_default()
                ));
            }
        }
        let children = if depth < 64 {
            let deps = self.deps(id);
            deps.into_iter().map(|d| self.node(d, depth + 1)).collect()
        } else {
            Vec::new()
        };
        Node {
            name: s.name.clone(),
            meaning: s.meaning.to_string(),
            value,
            unit,
            share: None,
            share_of_total: None,
            formula,
            substituted,
            equation: s.eq.filter(|e| !e.is_empty()).map(|e| e.to_string()),
            sources,
            assumed: s.prov.assumed.clone(),
            flags,
            location: self.location(id),
            expectations: Vec::new(),
            kind,
            group,
            part,
            children,
        }
    }

    /// The derivation trees of `ids`, in order; a long list is split between two
    /// threads.
    fn nodes(&self, ids: &[SymId]) -> Vec<Node> {
        const PARALLEL_FROM: usize = 1024;
        if ids.len() < PARALLEL_FROM {
            return ids.iter().map(|&t| self.node(t, 0)).collect();
        }
        let (first, second) = ids.split_at(ids.len() / 2);
        std::thread::scope(|scope| {
            let other = std::thread::Builder::new()
                .stack_size(8 << 20)
                .spawn_scoped(scope, || second.iter().map(|&t| self.node(t, 0)).collect::<Vec<_>>());
            let mut out: Vec<Node> = first.iter().map(|&t| self.node(t, 0)).collect();
            match other.ok().and_then(|h| h.join().ok()) {
                Some(rest) => out.extend(rest),
                None => out.extend(second.iter().map(|&t| self.node(t, 0))),
            }
            out
        })
    }

    pub fn report(&self) -> Option<Report> {
        let res = &self.p.res;
        let h = res.header.as_ref()?;
        let g = res.groups.as_ref()?;
        let gval = |grp: Group| {
            g.groups
                .iter()
                .find(|(x, _)| *x == grp)
                .and_then(|(_, id)| self.vals.get(*id))
                .unwrap_or(0.0)
        };
        let period_id = h.period?;
        let (pv, pu) = self.value_in_unit(period_id);
        let net_id = g.net;
        let net = self.vals.get(net_id)?;
        let (bv, bu) = self.value_in_unit(net_id);
        let (ev, eu) = self.value_in_unit(g.emissions);
        let sinks_id = g.groups.iter().find(|(x, _)| *x == Group::Sinks).map(|(_, i)| *i)?;
        let (rv, ru) = self.value_in_unit(sinks_id);
        let emissions = self.vals.get(g.emissions).unwrap_or(0.0);
        let removals = gval(Group::Sinks);
        let mut terms = Vec::new();
        let mut flags = Vec::new();
        let mut groups = Vec::new();
        // Every term's derivation tree, built up front on two threads (the trees are
        // independent), then taken in order below.
        let term_ids: Vec<SymId> = g
            .groups
            .iter()
            .flat_map(|&(grp, _)| {
                res.decls
                    .iter()
                    .filter(move |d| d.group == Some(grp) && d.kind != Kind::Inventory)
                    .filter_map(|d| d.term)
                    .filter(|&t| self.vals.get(t).is_some())
            })
            .collect();
        let mut built = self.nodes(&term_ids).into_iter();
        for &(grp, gid) in &g.groups {
            let (v, u) = self.value_in_unit(gid);
            let gv = self.vals.get(gid).unwrap_or(0.0);
            let mut names = Vec::new();
            let mut parts = Vec::new();
            if grp == Group::Above {
                for land in crate::domain::Land::ALL {
                    let vals: Vec<f64> = res
                        .decls
                        .iter()
                        .filter(|d| d.group == Some(Group::Above) && d.land == Some(land))
                        .filter_map(|d| d.term.and_then(|t| self.vals.get(t)))
                        .collect();
                    let sum = number::sum(vals.iter().copied());
                    let scale = self.p.units.scale_of(&self.p.checked[gid as usize].dunit);
                    parts.push(PartReport {
                        name: land.name().into(),
                        symbol: land.symbol().into(),
                        value: sum / scale,
                        unit: u.clone(),
                    });
                }
            }
            for d in res
                .decls
                .iter()
                .filter(|d| d.group == Some(grp) && d.kind != Kind::Inventory)
            {
                let Some(t) = d.term else { continue };
                if self.vals.get(t).is_none() {
                    continue;
                }
                let mut n = built.next().expect("one node per term, in order");
                debug_assert_eq!(n.name, res.syms[t as usize].name);
                let tv = self.vals.get(t).unwrap_or(0.0);
                n.share = (gv != 0.0).then(|| tv / gv);
                n.share_of_total = match grp {
                    Group::Above | Group::Under => (emissions != 0.0).then(|| tv / emissions),
                    Group::Sinks => (removals != 0.0).then(|| tv / removals),
                    _ => None,
                };
                for f in &n.flags {
                    flags.push(Flag {
                        term: n.name.clone(),
                        message: f.clone(),
                        value: n.value,
                        unit: n.unit.clone(),
                    });
                }
                names.push(n.name.clone());
                terms.push(n);
            }
            groups.push(GroupReport {
                name: grp.name().into(),
                title: grp.title().into(),
                value: v,
                unit: u,
                parts,
                terms: names,
            });
        }
        let gwp = h.gwp.map(|g| res.decls[g as usize].name.clone()).unwrap_or_default();
        Some(Report {
            inventory: h.name.clone(),
            site: h.site.clone(),
            period: Quantity { value: pv, unit: pu },
            gwp,
            balance: Quantity { value: bv, unit: bu },
            neutral: net <= 0.0,
            emissions: Quantity { value: ev, unit: eu },
            removals: Quantity { value: rv, unit: ru },
            groups,
            terms,
            flags,
            expectations: Vec::new(),
            allowed: Vec::new(),
        })
    }
}

pub fn code_deps(c: &Code, out: &mut Vec<SymId>) {
    match &c.op {
        Op::Const(..) => {}
        Op::Sym(s) => {
            if !out.contains(s) {
                out.push(*s)
            }
        }
        Op::Neg(x) => code_deps(x, out),
        Op::Bin(_, a, b) => {
            code_deps(a, out);
            code_deps(b, out);
        }
        Op::Sum(xs) => out.extend(xs.iter().map(|(_, s)| *s)),
    }
}
