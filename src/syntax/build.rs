//! The pest builder: one function per grammar rule turns pest's pairs into the
//! AST, reporting what the grammar accepts but carbon does not (limits,
//! overflowing numbers, zero denominators, bad exponents).

use super::ast::*;
use super::errors::rule_words;
use super::tokens::{number_precision, number_value, parse_power, unescape};
use super::{span, Rule, MAX_DEPTH, MAX_UNIT_FACTORS};
use crate::diag::Diag;
use crate::number::Rat;
use crate::source::{SourceId, Span};
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::sync::{Arc, LazyLock};

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
        .op(Op::infix(Rule::mul, Assoc::Left) | Op::infix(Rule::div, Assoc::Left))
        .op(Op::prefix(Rule::neg))
        .op(Op::infix(Rule::pow, Assoc::Right))
});

/// Builds the AST of pest's pairs, parsed from `text[offset..]` of source `src`.
pub(super) struct Builder {
    pub src: SourceId,
    pub offset: usize,
}

/// A node built, or the diagnostic that stops it.
type Built<T> = Result<T, Diag>;

impl Builder {
    /// The declarations of a `file` pair, each built or reported in turn.
    pub fn file(&self, mut pairs: pest::iterators::Pairs<Rule>, decls: &mut Vec<Decl>, diags: &mut Vec<Diag>) {
        // The grammar's `file` rule always yields exactly one pair.
        let file = pairs.next().expect("file rule yields one pair");
        for p in file.into_inner() {
            if p.as_rule() == Rule::EOI {
                continue;
            }
            match self.decl(p) {
                Ok(d) => decls.push(d),
                Err(d) => diags.push(d),
            }
        }
    }

    fn span(&self, p: &Pair<Rule>) -> Span {
        let s = p.as_span();
        Span::new(self.src, self.offset + s.start(), self.offset + s.end())
    }

    fn ident(&self, p: Pair<Rule>) -> Ident {
        Ident {
            name: p.as_str().into(),
            span: self.span(&p),
        }
    }

    fn string(&self, p: Pair<Rule>) -> (String, Span) {
        let span = self.span(&p);
        // string = "\"" ~ string_inner ~ "\"": one inner pair.
        let inner = p.into_inner().next().map(|i| i.as_str()).unwrap_or("");
        (unescape(inner), span)
    }

    fn decl(&self, p: Pair<Rule>) -> Built<Decl> {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::let_decl => {
                let mut it = p.into_inner();
                it.next(); // kw_let
                let name = self.ident(it.next().expect("let has a name"));
                let expr = self.expr(it.next().expect("let has an expression"))?;
                let (stmts, prov) = self.statements(it)?;
                let span = span::ending(span, span::statements_end(span::expr_end(&expr), &stmts, &prov));
                Ok(Decl::Let(Box::new(LetDecl {
                    name,
                    expr,
                    stmts,
                    prov,
                    span,
                })))
            }
            Rule::source_decl => {
                let mut it = p.into_inner();
                it.next();
                let name = self.ident(it.next().expect("source has a name"));
                let (text, _) = self.string(it.next().expect("source has a text"));
                Ok(Decl::Source(Box::new(SourceDecl { name, text, span })))
            }
            Rule::dimension_decl => {
                let mut it = p.into_inner();
                it.next();
                let name = self.ident(it.next().expect("dimension has a name"));
                let mut description = None;
                let mut display = None;
                let mut override_reason = None;
                for q in it {
                    match q.as_rule() {
                        Rule::string => description = Some(self.string(q).0),
                        Rule::unit_atom => display = Some(self.ident(q)),
                        Rule::override_clause => override_reason = self.override_clause(q),
                        _ => {}
                    }
                }
                Ok(Decl::Dimension(Box::new(DimensionDecl {
                    name,
                    description,
                    display,
                    override_reason,
                    span,
                })))
            }
            Rule::unit_decl => {
                let mut it = p.into_inner();
                it.next();
                let name = self.ident(it.next().expect("unit has a name"));
                let defp = it.next().expect("unit has a definition");
                let def = match defp.as_rule() {
                    Rule::unit_base => {
                        UnitDef::Base(self.ident(defp.into_inner().next().expect("base names a dimension")))
                    }
                    _ => {
                        let q = defp.into_inner().next().expect("alias has a unit");
                        UnitDef::Alias(self.scaled_unit(q)?)
                    }
                };
                let mut prefixes = None;
                let mut override_reason = None;
                let mut prov = Provenance::default();
                for q in it {
                    match q.as_rule() {
                        Rule::prefixes => prefixes = q.into_inner().nth(1).map(|i| self.ident(i)),
                        Rule::override_clause => override_reason = self.override_clause(q),
                        Rule::provenance => prov = self.provenance(q),
                        _ => {}
                    }
                }
                Ok(Decl::Unit(Box::new(UnitDecl {
                    name,
                    def,
                    prefixes,
                    override_reason,
                    prov,
                    span,
                })))
            }
            Rule::block_decl => {
                let mut it = p.into_inner().peekable();
                let kind = self.ident(it.next().expect("block has a kind"));
                let mut name = None;
                let mut title = None;
                let mut fields = Vec::new();
                let mut allows = Vec::new();
                for q in it {
                    match q.as_rule() {
                        Rule::ident => name = Some(self.ident(q)),
                        Rule::string => title = Some(self.string(q)),
                        Rule::field => fields.push(self.field(q)?),
                        Rule::allow_clause => allows.push(self.allow(q)),
                        _ => {}
                    }
                }
                // Exact size: a Vec grown by doubling keeps up to twice the fields.
                fields.shrink_to_fit();
                Ok(Decl::Block(Box::new(BlockDecl {
                    kind,
                    name,
                    title,
                    fields,
                    allows,
                    span,
                })))
            }
            Rule::expect_decl => {
                let mut name = None;
                let mut exprs = Vec::new();
                let mut known = None;
                let mut prov = Provenance::default();
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::ident => name = Some(self.ident(q)),
                        Rule::expr => exprs.push(self.expr(q)?),
                        Rule::known_clause => {
                            known = q
                                .into_inner()
                                .find(|x| x.as_rule() == Rule::string)
                                .map(|x| self.string(x))
                        }
                        Rule::provenance => prov = self.provenance(q),
                        _ => {}
                    }
                }
                let mut it = exprs.into_iter();
                let (Some(actual), Some(published), Some(tolerance)) = (it.next(), it.next(), it.next()) else {
                    return Err(Diag::error("carbon::syntax", "incomplete `expect`").at(span, "here"));
                };
                let span = span::ending(span, span::expect_end(&tolerance, known.as_ref(), &prov));
                Ok(Decl::Expect(Box::new(ExpectDecl {
                    name,
                    actual,
                    published,
                    tolerance,
                    known,
                    prov,
                    span,
                })))
            }
            r => Err(Diag::error("carbon::syntax", format!("unexpected {}", rule_words(r))).at(span, "")),
        }
    }

    fn field(&self, p: Pair<Rule>) -> Built<Field> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let name = self.ident(it.next().expect("field has a name"));
        let v = it.next().expect("field has a value");
        let value = match v.as_rule() {
            Rule::string => {
                let (s, sp) = self.string(v);
                FieldValue::Text(s, sp)
            }
            Rule::notation => {
                let span = self.span(&v);
                let mut it = v.into_inner();
                let key = it.next().expect("a notation has a key");
                let key = NotationKey::from_word(key.as_str()).expect("the grammar's keys");
                let reason = self.string(it.next().expect("a notation has a reason")).0;
                FieldValue::Notation(Box::new(Notation { key, reason, span }))
            }
            _ => FieldValue::Expr(self.expr(v)?),
        };
        let (stmts, prov) = self.statements(it)?;
        let span = span::ending(span, span::statements_end(span::value_end(&value), &stmts, &prov));
        Ok(Field {
            name,
            value,
            stmts: stmts.boxed(),
            prov,
            span,
        })
    }

    /// `parts …`, provenance, `also …` after a value.
    fn statements(&self, it: pest::iterators::Pairs<Rule>) -> Built<(Statements, Provenance)> {
        let mut stmts = Statements::default();
        let mut prov = Provenance::default();
        for q in it {
            match q.as_rule() {
                Rule::parts_clause => {
                    let e = q
                        .into_inner()
                        .find(|x| x.as_rule() == Rule::expr)
                        .expect("parts holds an expr");
                    stmts.parts = Some(Box::new(self.expr(e)?));
                }
                Rule::provenance => prov = self.provenance(q),
                Rule::also_clause => {
                    let mut e = None;
                    let mut p = Provenance::default();
                    for x in q.into_inner() {
                        match x.as_rule() {
                            Rule::expr => e = Some(self.expr(x)?),
                            Rule::provenance => p = self.provenance(x),
                            _ => {}
                        }
                    }
                    stmts.also.push((e.expect("also holds an expr"), p));
                }
                _ => {}
            }
        }
        Ok((stmts, prov))
    }

    /// `override_clause = { kw_override ~ string }`: the reason and its span.
    fn override_clause(&self, p: Pair<Rule>) -> Option<(String, Span)> {
        p.into_inner()
            .find(|q| q.as_rule() == Rule::string)
            .map(|q| self.string(q))
    }

    fn allow(&self, p: Pair<Rule>) -> Allow {
        let mut it = p.into_inner().filter(|q| q.as_rule() != Rule::kw_allow);
        let code = self.ident(it.next().expect("allow names a code"));
        let (reason, reason_span) = self.string(it.next().expect("allow gives a reason"));
        Allow {
            code,
            reason,
            reason_span,
        }
    }

    fn provenance(&self, p: Pair<Rule>) -> Provenance {
        let mut prov = Provenance::default();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::from_clause => {
                    for q in c.into_inner() {
                        match q.as_rule() {
                            Rule::ident => prov.from.push(Citation::Name(self.ident(q))),
                            Rule::string => {
                                let (s, sp) = self.string(q);
                                prov.from.push(Citation::Text(s, sp));
                            }
                            _ => {}
                        }
                    }
                }
                Rule::assumed_clause => {
                    if let Some(q) = c.into_inner().find(|q| q.as_rule() == Rule::string) {
                        prov.assumed = Some(Box::new(self.string(q)));
                    }
                }
                Rule::allow_clause => prov.allow.push(self.allow(c)),
                _ => {}
            }
        }
        prov
    }

    /// expr = arith ~ (kw_to ~ unit_target)?
    pub fn expr(&self, p: Pair<Rule>) -> Built<Expr> {
        Ok(self.expr_d(p)?.0)
    }

    /// Builds an expression and returns it with its depth; every node is checked
    /// against `MAX_DEPTH` as it is built, so no later pass recurses without bound.
    fn expr_d(&self, p: Pair<Rule>) -> Built<(Expr, usize)> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let (arith, d) = self.arith(it.next().expect("expr holds arith"))?;
        match it.find(|q| q.as_rule() == Rule::unit_target) {
            Some(t) => {
                let unit = self.scaled_unit(t)?;
                let span = span::ending(span, span::convert_end(&unit));
                deeper(
                    Expr {
                        kind: ExprKind::Convert(Box::new(arith), Arc::new(unit)),
                        span,
                    },
                    d + 1,
                )
            }
            None => Ok((arith, d)),
        }
    }

    fn arith(&self, p: Pair<Rule>) -> Built<(Expr, usize)> {
        // The Pratt parser recurses once per right-associative `^` and per prefix
        // sign: count them first, so that no input can exhaust the stack.
        let span = self.span(&p);
        let (mut pows, mut run, mut signs) = (0usize, 0usize, 0usize);
        for q in p.clone().into_inner() {
            match q.as_rule() {
                Rule::pow => pows += 1,
                Rule::neg => {
                    run += 1;
                    signs = signs.max(run);
                }
                _ => run = 0,
            }
        }
        if pows > MAX_DEPTH || signs > MAX_DEPTH {
            return Err(Diag::error(
                "carbon::limits::depth",
                format!("expression nested deeper than {MAX_DEPTH} levels"),
            )
            .at(
                span,
                if pows > MAX_DEPTH {
                    "too many powers in one expression"
                } else {
                    "too many signs in a row"
                },
            )
            .help("split the expression into named `let` quantities"));
        }
        PRATT
            .map_primary(|q| self.primary(q))
            .map_prefix(|op, rhs| {
                let (rhs, d) = rhs?;
                let span = self.span(&op).to(rhs.span);
                deeper(
                    Expr {
                        kind: ExprKind::Neg(Box::new(rhs)),
                        span,
                    },
                    d + 1,
                )
            })
            .map_infix(|lhs, op, rhs| {
                let ((lhs, dl), (rhs, dr)) = (lhs?, rhs?);
                let bop = match op.as_rule() {
                    Rule::add => BinOp::Add,
                    Rule::sub => BinOp::Sub,
                    Rule::mul => BinOp::Mul,
                    Rule::div => BinOp::Div,
                    _ => BinOp::Pow,
                };
                let (e, d) = Expr::binary(bop, (lhs, dl), (rhs, dr));
                deeper(e, d)
            })
            .parse(p.into_inner())
    }

    fn primary(&self, p: Pair<Rule>) -> Built<(Expr, usize)> {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::paren => {
                let (inner, d) = self.expr_d(p.into_inner().next().expect("paren holds an expr"))?;
                let e = Expr::parenthesised(inner, span);
                Ok((e, d))
            }
            Rule::call => {
                let mut it = p.into_inner();
                let name_pair = it.next().expect("call has a name");
                let name = self.ident(name_pair.into_inner().next().expect("call_name holds an ident"));
                let mut args = Vec::new();
                let mut d = 0;
                for q in it {
                    let (a, da) = self.expr_d(q)?;
                    d = d.max(da);
                    args.push(a);
                }
                deeper(
                    Expr {
                        kind: ExprKind::Call(Box::new(Call { name, args })),
                        span,
                    },
                    d + 1,
                )
            }
            Rule::path => {
                let parts = p.into_inner().map(|q| self.ident(q)).collect();
                Ok((
                    Expr {
                        kind: ExprKind::Path(parts),
                        span,
                    },
                    1,
                ))
            }
            Rule::quantity => {
                let mut value = None;
                let mut unit = None;
                let mut precision = 0.0;
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::ratio => {
                            let qs = self.span(&q);
                            let mut nums = q.into_inner();
                            let n = self.number(nums.next().expect("ratio has a numerator"))?;
                            let dpair = nums.next().expect("ratio has a denominator");
                            let dspan = self.span(&dpair);
                            let d = self.number(dpair)?;
                            if d == 0.0 {
                                return Err(Diag::error("carbon::eval::division_by_zero", "division by zero")
                                    .at(dspan, "this denominator is zero")
                                    .also(qs, ""));
                            }
                            value = Some(n / d);
                        }
                        Rule::number => {
                            precision = number_precision(q.as_str());
                            value = Some(self.number(q)?)
                        }
                        Rule::unit_expr => unit = Some(self.unit_expr(q)?),
                        _ => {}
                    }
                }
                Ok((
                    Expr {
                        kind: ExprKind::Quantity {
                            value: value.unwrap_or(0.0),
                            // Relative to where the unit starts, as the fast path
                            // shares it (see `UnitExpr`).
                            unit: unit.map(|u| {
                                let start = u.span.start;
                                Arc::new(u.relative_to(start))
                            }),
                            precision,
                            paren: false,
                        },
                        span,
                    },
                    1,
                ))
            }
            r => Err(Diag::error("carbon::syntax", format!("unexpected {}", rule_words(r))).at(span, "")),
        }
    }

    fn number(&self, p: Pair<Rule>) -> Built<f64> {
        let s = p.as_str();
        let span = self.span(&p);
        let Some(v) = number_value(s) else {
            return Err(
                Diag::error("carbon::number::overflow", format!("the number `{s}` is too large"))
                    .at(span, "larger than about 1.8e308, the largest number carbon represents")
                    .help("use a larger unit (for example Mt instead of t) or check the exponent"),
            );
        };
        Ok(v)
    }

    /// A unit with an optional leading scale: `1e6 g`, `(10^4 kWh)`, `tCO2e/a`.
    fn scaled_unit(&self, p: Pair<Rule>) -> Built<UnitExpr> {
        let span = self.span(&p);
        let mut scale = None;
        let mut unit = None;
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::number => scale = Some(self.number(q)?),
                Rule::unit_expr => unit = Some(self.unit_expr(q)?),
                _ => {}
            }
        }
        // `unit % = 0.01` has a scale and no unit.
        let mut u = unit.unwrap_or(UnitExpr {
            scale: None,
            text: None,
            factors: Vec::new(),
            span: Span::default(),
        });
        if let Some(s) = scale {
            u.scale = Some(u.scale.unwrap_or(1.0) * s);
        }
        u.span = span;
        Ok(u)
    }

    fn unit_expr(&self, p: Pair<Rule>) -> Built<UnitExpr> {
        let span = self.span(&p);
        let mut factors = Vec::new();
        let mut divide = false;
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::unit_op => divide = q.as_str() == "/",
                Rule::unit_factor => {
                    let mut f = self.unit_factor(q)?;
                    if divide {
                        f.exp = f.exp.negated();
                    }
                    factors.push(f);
                }
                _ => {}
            }
        }
        if factors.len() > MAX_UNIT_FACTORS {
            return Err(Diag::error(
                "carbon::limits::unit",
                format!("a unit written with more than {MAX_UNIT_FACTORS} factors"),
            )
            .at(span, "too long for a unit")
            .help("write the unit with exponents (`m^3`), or declare it with `unit name = …`"));
        }
        Ok(UnitExpr {
            scale: None,
            text: None,
            factors,
            span,
        })
    }

    fn unit_factor(&self, p: Pair<Rule>) -> Built<UnitFactor> {
        let span = self.span(&p);
        let mut base = None;
        let mut exp = Rat::ONE;
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::unit_atom => base = Some(UnitBase::Atom(q.as_str().into())),
                Rule::unit_group => {
                    let text = q
                        .as_str()
                        .trim_start_matches('(')
                        .trim_end_matches(')')
                        .trim()
                        .to_string();
                    let mut g = self.scaled_unit(q)?;
                    g.text = Some(text);
                    base = Some(UnitBase::Group(Box::new(g)));
                }
                Rule::unit_power => {
                    let qs = self.span(&q);
                    if q.as_str().ends_with("/0") {
                        return Err(Diag::error(
                            "carbon::units::exponent",
                            format!("the exponent `{}` divides by zero", q.as_str()),
                        )
                        .at(qs, "a fraction with a zero denominator"));
                    }
                    exp = parse_power(q.as_str()).ok_or_else(|| {
                        Diag::error(
                            "carbon::units::exponent",
                            format!("the exponent `{}` is too large", q.as_str()),
                        )
                        .at(qs, "exponents of units must be small whole numbers or fractions")
                    })?;
                }
                _ => {}
            }
        }
        Ok(UnitFactor {
            base: base.expect("a unit factor has a base"),
            exp,
            span,
        })
    }
}

/// Rejects an expression deeper than `MAX_DEPTH`. A rejected tree is at most
/// `MAX_DEPTH + 1` deep, so dropping it is safe.
fn deeper(e: Expr, depth: usize) -> Built<(Expr, usize)> {
    if depth > MAX_DEPTH {
        return Err(Diag::error(
            "carbon::limits::depth",
            format!("expression nested deeper than {MAX_DEPTH} levels"),
        )
        .at(e.span, "too deeply nested")
        .help("split the expression into named `let` quantities"));
    }
    Ok((e, depth))
}
