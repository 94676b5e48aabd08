//! Lowering expressions to IR: name lookup, and a quantity's unit split from the names written after it.

use super::*;

/// Name lookup, for lowering expressions: the namer while building, and a
/// read-only view of a resolved program afterwards (the REPL).
pub(crate) trait Lookup {
    fn lookup(&mut self, parts: &[ast::Ident]) -> Option<SymId>;
    fn scope(&self) -> &HashMap<SmolStr, SymId>;
    /// Reports an error found while lowering (a call's).
    fn report(&mut self, d: Diag);
    /// Whether a word after a number is a unit.
    fn is_unit(&mut self, units: &mut Units, atom: &str) -> bool {
        units.lookup(atom).is_some()
    }
    /// Where a quantity's unit splits into a unit and names (see
    /// [`lower_quantity`]), if a namer remembers it for this shared unit.
    fn known_split(&self, _u: &Arc<UnitExpr>) -> Option<Option<usize>> {
        None
    }
    /// Remembers it.
    fn note_split(&mut self, _u: &Arc<UnitExpr>, _split: Option<usize>) {}
    /// Whether a word is close to a global name (a misspelled name).
    fn near_name(&mut self, word: &str) -> bool {
        suggest::closest(word, self.scope().keys().map(|k| k.as_str())).is_some()
    }
}

impl Lookup for Namer {
    fn lookup(&mut self, parts: &[ast::Ident]) -> Option<SymId> {
        Namer::lookup(self, parts)
    }
    fn report(&mut self, d: Diag) {
        self.diags.push(d);
    }
    fn scope(&self) -> &HashMap<SmolStr, SymId> {
        &self.scope
    }
    /// By the address of the unit the parser shares among the quantities that
    /// write it, while the global names are the same (the units do not change
    /// while expressions are lowered; a group's name may be added).
    fn known_split(&self, u: &Arc<UnitExpr>) -> Option<Option<usize>> {
        match self.splits.get(&(Arc::as_ptr(u) as usize)) {
            Some(&(_, split, names)) if names == self.scope.len() => Some(split),
            _ => None,
        }
    }
    fn note_split(&mut self, u: &Arc<UnitExpr>, split: Option<usize>) {
        // The `Arc` is held so that its address is not reused.
        let names = self.scope.len();
        self.splits
            .insert(Arc::as_ptr(u) as usize, (Arc::clone(u), split, names));
    }
    /// Memoised: a file has few distinct unit words (the unit table does not
    /// change while names are resolved).
    fn is_unit(&mut self, units: &mut Units, atom: &str) -> bool {
        if let Some(&u) = self.unit_words.get(atom) {
            return u;
        }
        let u = units.lookup(atom).is_some();
        self.unit_words.insert(atom.into(), u);
        u
    }
    /// Memoised, and for the first distinct words only (`SUGGESTED`, and
    /// `SUGGEST_WORK` names looked at: each looks through every global name): past
    /// them, a word that is neither a unit nor a name is taken for a unit, and
    /// reported as an unknown unit.
    fn near_name(&mut self, word: &str) -> bool {
        let names = self.scope.len();
        if let Some(&(near, at)) = self.near_names.get(word) {
            if at == names {
                return near;
            }
        }
        let near = self.near_names.len() < SUGGESTED && self.near_work < SUGGEST_WORK && {
            self.near_work += self.scope.len();
            let near = Near::new(word);
            let candidates = self.scope.keys().filter(|k| near.may_be(&[k.as_str()]));
            suggest::closest(word, candidates.map(|k| k.as_str())).is_some()
        };
        self.near_names.insert(word.into(), (near, names));
        near
    }
}

/// Operations split off a quantity's unit (`5 a * share` is parsed as the number
/// 5 in the unit `a*share`; `share` is a name): applied, left to right, by the
/// multiplicative chain that encloses the quantity (see [`lower_tail`]).
pub(super) type Tail = Vec<(BinOp, Ir)>;

/// AST expression → IR, resolving names.
pub(crate) fn lower_with<L: Lookup>(l: &mut L, e: &Expr, units: &mut Units) -> Option<Ir> {
    let (ir, tail) = lower_tail(l, e, units)?;
    Some(apply(ir, tail))
}

/// `ir` followed by the operations of `tail`, left to right.
pub(super) fn apply(ir: Ir, tail: Tail) -> Ir {
    tail.into_iter().fold(ir, |acc, (op, x)| Ir::bin(op, acc, x))
}

/// Whether `e` was written in parentheses: the AST has no node for them, a
/// parenthesised expression's span includes them (a quantity says so itself).
pub(super) fn parenthesised(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Quantity { paren, .. } => *paren,
        ExprKind::Binary(_, a, b) => e.span.start < a.span.start || e.span.end > b.span.end,
        ExprKind::Neg(x) => e.span.end > x.span.end,
        ExprKind::Chain(c) => {
            e.span.start < c.first.span.start || c.rest.last().is_some_and(|(_, x)| e.span.end > x.span.end)
        }
        _ => false,
    }
}

/// Lowers `e` and returns, apart, the operations split off the unit of its last
/// quantity that still belong to the enclosing `*`/`/` chain: `x / 5 a * share`
/// is `(x / (5 a)) * share`, and `x / 2 a / k` is `(x / (2 a)) / k` — a number
/// and its unit bind tightest, `*` and `/` associate left to right, a name never
/// becomes part of a unit. A tail never leaves parentheses, passes out of the
/// right operand of `^` (`x ^ 3 t / z` is `(x ^ (3 t)) / z`), and a `^` after a
/// quantity whose unit split applies to the last split-off operand
/// (`5 t / area ^ 2` is `(5 t) / area ^ 2`).
pub(super) fn lower_tail<L: Lookup>(l: &mut L, e: &Expr, units: &mut Units) -> Option<(Ir, Tail)> {
    let (ir, tail) = match &e.kind {
        ExprKind::Quantity {
            value,
            unit: Some(u),
            precision,
            ..
        } => lower_quantity(l, *value, *precision, u, e.span, units)?,
        ExprKind::Quantity {
            value,
            unit: None,
            precision,
            ..
        } => (
            Ir {
                op: IrOp::Lit {
                    value: *value,
                    unit: None,
                    precision: *precision,
                },
                span: e.span,
            },
            Tail::new(),
        ),
        ExprKind::Path(parts) => (Ir::sym(l.lookup(parts)?, e.span), Tail::new()),
        ExprKind::Neg(x) => {
            let (x, tail) = lower_tail(l, x, units)?;
            let span = if tail.is_empty() {
                e.span
            } else {
                Span {
                    end: x.span.end,
                    ..e.span
                }
            };
            (
                Ir {
                    op: IrOp::Neg(Box::new(x)),
                    span,
                },
                tail,
            )
        }
        ExprKind::Binary(op @ (BinOp::Add | BinOp::Sub), a, b) => {
            let a = lower_with(l, a, units);
            let b = lower_with(l, b, units);
            (
                Ir {
                    op: IrOp::Bin(*op, Box::new([a?, b?])),
                    span: e.span,
                },
                Tail::new(),
            )
        }
        ExprKind::Chain(c) => {
            // Every operand, so that each unknown name is reported. In a `*`/`/`
            // chain, the operations split off an operand's unit follow it in the
            // chain (left to right); a `+`/`−` chain ends every operand's tail.
            let mul = c.rest[0].0.level() == BinOp::Mul.level();
            let first = if mul {
                lower_tail(l, &c.first, units)
            } else {
                lower_with(l, &c.first, units).map(|x| (x, Tail::new()))
            };
            let rest: Vec<Option<(BinOp, Ir, Tail)>> = c
                .rest
                .iter()
                .map(|(op, x)| {
                    if mul {
                        lower_tail(l, x, units).map(|(x, t)| (*op, x, t))
                    } else {
                        lower_with(l, x, units).map(|x| (*op, x, Tail::new()))
                    }
                })
                .collect();
            let (first, mut chain) = first?;
            for r in rest {
                let (op, x, t) = r?;
                chain.push((op, x));
                chain.extend(t);
            }
            (
                Ir {
                    op: IrOp::Chain(Box::new(Chained {
                        first,
                        rest: chain.into_boxed_slice(),
                    })),
                    span: e.span,
                },
                Tail::new(),
            )
        }
        ExprKind::Binary(op @ (BinOp::Mul | BinOp::Div), a, b) => {
            let a = lower_with(l, a, units);
            let b = lower_tail(l, b, units);
            let (a, (b, tail)) = (a?, b?);
            (Ir::bin(*op, a, b), tail)
        }
        ExprKind::Binary(BinOp::Pow, a, b) => {
            let a = lower_tail(l, a, units);
            let b = lower_tail(l, b, units);
            let ((a, mut ta), (b, tb)) = (a?, b?);
            let ir = match ta.pop() {
                Some((op, last)) => {
                    ta.push((op, Ir::bin(BinOp::Pow, last, b)));
                    a
                }
                None => Ir::bin(BinOp::Pow, a, b),
            };
            ta.extend(tb);
            (ir, ta)
        }
        ExprKind::Call(c) => (lower_call(l, c, e.span, units)?, Tail::new()),
        ExprKind::Convert(x, u) => (
            Ir {
                op: IrOp::Convert(Box::new(lower_with(l, x, units)?), u.clone()),
                span: e.span,
            },
            Tail::new(),
        ),
    };
    if tail.is_empty() {
        // The node's own span (with its parentheses, if any).
        return Some((Ir { span: e.span, ..ir }, tail));
    }
    if parenthesised(e) {
        let ir = apply(ir, tail);
        return Some((Ir { span: e.span, ..ir }, Tail::new()));
    }
    Some((ir, tail))
}

/// A call: its builtin resolved once, every argument lowered (so that each
/// unknown name is reported), the number of arguments checked.
fn lower_call<L: Lookup>(l: &mut L, c: &ast::Call, span: Span, units: &mut Units) -> Option<Ir> {
    let args: Vec<Option<Ir>> = c.args.iter().map(|a| lower_with(l, a, units)).collect();
    let name = c.name.name.as_str();
    // The accounting builtins, as the kinds' formulas write them.
    let wrap = match name {
        "co2e" => Some(IrOp::Gwp as fn(Box<Ir>) -> IrOp),
        "per_period" => Some(IrOp::PerPeriod as fn(Box<Ir>) -> IrOp),
        "over_period" => Some(IrOp::OverPeriod as fn(Box<Ir>) -> IrOp),
        _ => None,
    };
    if let Some(wrap) = wrap {
        let n = args.len();
        let mut args = args.into_iter();
        return match (args.next(), args.next()) {
            (Some(x), None) => Some(Ir {
                op: wrap(Box::new(x?)),
                span,
            }),
            _ => {
                l.report(
                    Diag::error(
                        "carbon::call::arity",
                        format!("`{name}` takes one argument, but is given {n}"),
                    )
                    .at(span, format!("{n} arguments"))
                    .help(format!("call it as {name}(x)")),
                );
                None
            }
        };
    }
    let Some(f) = Func::from_name(name) else {
        let d = Diag::error("carbon::call::unknown", format!("there is no function `{name}`"))
            .at(c.name.span, "not a known function");
        let names = Func::ALL.map(Func::name);
        let list = names.join(", ");
        let mut help = String::new();
        if l.scope().contains_key(name) {
            help.push_str(&format!("`{name}` is a value, not a function. "));
        }
        if let Some(near) = suggest::closest(name, names.iter().copied()) {
            help.push_str(&format!("Did you mean `{near}`? "));
        }
        help.push_str(&format!("The functions are {list}, and co2e, per_period, over_period"));
        let d = d.help(help);
        l.report(d);
        return None;
    };
    let (lo, hi) = f.arity();
    let n = c.args.len();
    if n < lo || n > hi {
        let want = match (lo, hi) {
            (1, 1) => "one argument".to_string(),
            (lo, hi) if lo == hi => format!("{lo} arguments"),
            (lo, _) => format!("at least {lo} arguments"),
        };
        l.report(
            Diag::error(
                "carbon::call::arity",
                format!("`{name}` takes {want}, but is given {n}"),
            )
            .at(span, format!("{n} argument{}", if n == 1 { "" } else { "s" }))
            .help(format!("call it as {}", f.signature())),
        );
        return None;
    }
    let keyed = c.keys.iter().flatten().count();
    let series = matches!(f, Func::Series(_));
    if !series && keyed > 0 {
        let at = c.keys.iter().flatten().next().map_or(span, |k| k.1);
        l.report(
            Diag::error("carbon::call::year_key", format!("`{name}` takes no years"))
                .at(at, "a year here")
                .help(format!(
                    "only a series (hold, linear, trend) states values by year; call it as {}",
                    f.signature()
                )),
        );
        return None;
    }
    let args: Option<Vec<Ir>> = args.into_iter().collect();
    let args = args?;
    if !series {
        return Some(Ir {
            op: IrOp::Call(f, args.into_boxed_slice()),
            span,
        });
    }
    // A series: every value keyed by its year, the years rising; lowered to
    // the year (a plain literal) and the value, alternating.
    let mut out = Vec::with_capacity(2 * args.len());
    let mut last: Option<u64> = None;
    for (i, a) in args.into_iter().enumerate() {
        let Some((year, at)) = c.keys.get(i).copied().flatten() else {
            l.report(
                Diag::error(
                    "carbon::call::year_key",
                    format!("a value of the series `{name}` has no year"),
                )
                .at(a.span, "which year is this?")
                .help(format!("write each value after its year: {}", f.signature())),
            );
            return None;
        };
        if !(1..=9999).contains(&year) {
            l.report(
                Diag::error("carbon::call::year_key", format!("{year} is not a year of a series"))
                    .at(at, "out of range")
                    .help("a year is a number from 1 to 9999"),
            );
            return None;
        }
        if let Some(prev) = last.filter(|&p| p >= year) {
            l.report(
                Diag::error(
                    "carbon::call::year_key",
                    format!("the years of the series `{name}` do not rise: {year} after {prev}"),
                )
                .at(at, "not after the year before")
                .help("state each year once, in rising order"),
            );
            return None;
        }
        last = Some(year);
        out.push(Ir {
            op: IrOp::Lit {
                value: year as f64,
                unit: None,
                precision: 0.5,
            },
            span: at,
        });
        out.push(a);
    }
    Some(Ir {
        op: IrOp::Call(f, out.into_boxed_slice()),
        span,
    })
}

/// `5 t / z`: after a number, a word that is not a unit but is a declared name
/// ends the unit, and the rest is arithmetic (`(5 t) / z`). A name that is also
/// a unit stays a unit.
pub(super) fn lower_quantity<L: Lookup>(
    l: &mut L,
    value: f64,
    precision: f64,
    u: &Arc<UnitExpr>,
    span: Span,
    units: &mut Units,
) -> Option<(Ir, Tail)> {
    let split = match l.known_split(u) {
        Some(split) => split,
        None => {
            let split = (1..u.factors.len()).find(|&i| is_name(l, &u.factors[i], units));
            l.note_split(u, split);
            split
        }
    };
    split_unit(l, value, precision, u, u.start_in(span), span, split, units)
}

/// A word of a unit is read as a name when it is not a unit and is a declared
/// name, or is closer to a declared name than to any unit (a misspelled name); a
/// unit group (`(2 a * k)`) when a word in it is.
pub(super) fn is_name<L: Lookup>(n: &mut L, f: &ast::UnitFactor, units: &mut Units) -> bool {
    match &f.base {
        UnitBase::Atom(a) => {
            !n.is_unit(units, a)
                && (n.scope().contains_key(a.as_str())
                    || RESERVED.contains(&a.as_str())
                    || (a.chars().count() > 3 && n.near_name(a) && suggest::closest(a, units.unit_names()).is_none()))
        }
        UnitBase::Group(g) => g.factors.iter().any(|f| is_name(n, f, units)),
    }
}

/// `value u` split before factor `split` (0: the number alone) into a literal and
/// the tail of operations after it. `at` is where the unit's relative spans
/// start in the file.
#[allow(clippy::too_many_arguments)]
pub(super) fn split_unit<L: Lookup>(
    l: &mut L,
    value: f64,
    precision: f64,
    u: &Arc<UnitExpr>,
    at: u32,
    span: Span,
    split: Option<usize>,
    units: &mut Units,
) -> Option<(Ir, Tail)> {
    // The unit's spans are relative to its start (see `UnitExpr`); the names and
    // literals split off it are spanned in the file. The units split off keep
    // relative spans: each ends its literal, as the whole unit ends `span`.
    let Some(i) = split else {
        let lit = Ir {
            op: IrOp::Lit {
                value,
                unit: Some(u.clone()),
                precision,
            },
            span,
        };
        return Some((lit, Tail::new()));
    };
    let ir = if i == 0 {
        // A group that starts with a name: `(share)`, `(k * 2 a)`.
        Ir {
            op: IrOp::Lit {
                value,
                unit: None,
                precision,
            },
            span,
        }
    } else {
        head(value, precision, u, at, span, i)
    };
    let mut tail = Tail::with_capacity(u.factors.len() - i);
    for f in &u.factors[i..] {
        let f_span = f.span.after(at);
        let operand = match &f.base {
            UnitBase::Group(g) if is_name(l, f, units) => {
                // A parenthesised expression read as a unit group: `x / (2 a * k)`.
                let inner = Arc::new(UnitExpr {
                    scale: None,
                    text: None,
                    factors: g.factors.clone(),
                    span: g.span,
                });
                let first = (0..g.factors.len()).find(|&j| is_name(l, &g.factors[j], units));
                let (ir, t) = split_unit(l, g.scale.unwrap_or(1.0), 0.0, &inner, at, f_span, first, units)?;
                Ir {
                    span: f_span,
                    ..apply(ir, t)
                }
            }
            _ if is_name(l, f, units) => {
                let UnitBase::Atom(a) = &f.base else { return None };
                let id = l.lookup(&[ast::Ident {
                    name: a.as_str().into(),
                    span: f_span,
                }])?;
                Ir::sym(id, f_span)
            }
            _ => {
                let one = ast::UnitFactor {
                    base: f.base.clone(),
                    exp: Rat::ONE,
                    span: f.span,
                };
                let unit = UnitExpr {
                    scale: None,
                    text: None,
                    factors: vec![one],
                    span: f.span,
                };
                Ir {
                    op: IrOp::Lit {
                        value: 1.0,
                        unit: Some(Arc::new(unit)),
                        precision: 0.0,
                    },
                    span: f_span,
                }
            }
        };
        let mag = if f.exp.is_negative() { f.exp.negated() } else { f.exp };
        let operand = if mag == Rat::ONE {
            operand
        } else {
            let e = Ir {
                op: IrOp::Lit {
                    value: mag.to_f64(),
                    unit: None,
                    precision: 0.0,
                },
                span: f_span,
            };
            Ir::bin(BinOp::Pow, operand, e)
        };
        tail.push((if f.exp.is_negative() { BinOp::Div } else { BinOp::Mul }, operand));
    }
    Some((ir, tail))
}

/// The literal `value` in the first `i` factors of `u`.
pub(super) fn head(value: f64, precision: f64, u: &UnitExpr, at: u32, span: Span, i: usize) -> Ir {
    let head_span = Span {
        end: u.factors[i - 1].span.after(at).end,
        ..span
    };
    let head = UnitExpr {
        scale: u.scale,
        text: None,
        factors: u.factors[..i].to_vec(),
        // Ends where its literal ends (see `at` above).
        span: Span {
            end: u.factors[i - 1].span.end,
            ..u.span
        },
    };
    Ir {
        op: IrOp::Lit {
            value,
            unit: Some(Arc::new(head)),
            precision,
        },
        span: head_span,
    }
}

/// Read-only name lookup over a resolved program (the REPL's expressions).
pub struct ResolvedLookup<'r> {
    pub res: &'r Resolved,
    pub diags: Vec<Diag>,
}

impl Lookup for ResolvedLookup<'_> {
    fn lookup(&mut self, parts: &[ast::Ident]) -> Option<SymId> {
        let res = self.res;
        let span = parts[0].span.to(parts[parts.len() - 1].span);
        let full = parts.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(".");
        if parts.len() == 1 {
            if let Some(&id) = res.scope.get(full.as_str()) {
                return Some(id);
            }
        } else if parts.len() == 2 {
            if let Some(&did) = res.decl_scope.get(parts[0].name.as_str()) {
                let d = &res.decls[did as usize];
                if let Some(id) = res.member(d, &parts[1].name) {
                    return Some(id);
                }
            }
        }
        self.diags
            .push(unknown_name(&res.scope, &res.syms, &res.decls, &full, span, true).0);
        None
    }
    fn scope(&self) -> &HashMap<SmolStr, SymId> {
        &self.res.scope
    }
    fn report(&mut self, d: Diag) {
        self.diags.push(d);
    }
}

/// Lowers one expression in the scope of a resolved program.
pub fn lower_in(res: &Resolved, units: &mut Units, e: &Expr) -> Result<Ir, Vec<Diag>> {
    let mut l = ResolvedLookup { res, diags: Vec::new() };
    match lower_with(&mut l, e, units) {
        Some(ir) if l.diags.is_empty() => Ok(ir),
        _ => Err(l.diags),
    }
}
