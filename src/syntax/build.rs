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
            Rule::kind_decl => self.kind_decl(p, span),
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

    /// `kind_decl = { kw_kind ~ ident ~ string? ~ override_clause? ~ "{" ~ (kind_item ~ ";"?)* ~ "}" ~ ";"? }`
    fn kind_decl(&self, p: Pair<Rule>, span: Span) -> Built<Decl> {
        let mut it = p.into_inner();
        let keyword = self.span(&it.next().expect("kind has its keyword"));
        let name = self.ident(it.next().expect("kind has a name"));
        let mut title = None;
        let mut override_reason = None;
        let mut items = Vec::new();
        for q in it {
            match q.as_rule() {
                Rule::string => title = Some(self.string(q)),
                Rule::override_clause => override_reason = self.override_clause(q),
                _ => items.push(self.kind_item(q)?),
            }
        }
        Ok(Decl::Kind(Box::new(KindDecl {
            keyword,
            name,
            title,
            override_reason,
            items,
            span,
        })))
    }

    fn kind_item(&self, p: Pair<Rule>) -> Built<KindItem> {
        let start = self.span(&p);
        let rule = p.as_rule();
        let mut it = p.into_inner().peekable();
        let opening = it.next().map(|w| w.as_rule()); // the opening word
        Ok(match rule {
            Rule::kind_field => {
                let name = self.ident(it.next().expect("field has a name"));
                let mut optional = false;
                let mut shape = None;
                let mut default = None;
                let mut meaning = None;
                let mut opts = Vec::new();
                let mut prov = Provenance::default();
                for q in it {
                    match q.as_rule() {
                        Rule::opt_mark => optional = true,
                        Rule::shape => shape = Some(self.shape(q)?),
                        Rule::expr => default = Some(self.expr(q)?),
                        Rule::string => meaning = Some(self.string(q)),
                        Rule::field_opt => opts.push(self.field_opt(q)?),
                        _ => self.provenance_clause(q, &mut prov),
                    }
                }
                let meaning = meaning.expect("field has a meaning");
                let span = span::ending(start, span::kind_field_end(&meaning, &opts, &prov));
                KindItem::Field(Box::new(KindField {
                    name,
                    optional,
                    shape: shape.expect("field has a shape"),
                    default,
                    meaning,
                    opts,
                    prov,
                    span,
                }))
            }
            Rule::kind_value => {
                let name = self.ident(it.next().expect("value has a name"));
                let mut shape = None;
                let mut expr = None;
                let mut meaning = None;
                let mut opts = KindOpts::default();
                let mut guard = None;
                for q in it {
                    match q.as_rule() {
                        Rule::shape => shape = Some(self.shape(q)?),
                        Rule::expr => expr = Some(self.expr(q)?),
                        Rule::string => meaning = Some(self.string(q)),
                        Rule::kind_opts => opts = self.kind_opts(q),
                        Rule::guard => guard = Some(self.guard(q)),
                        _ => {}
                    }
                }
                let meaning = meaning.expect("value has a meaning");
                let span = span::ending(start, span::kind_opts_end(&meaning, &opts, guard.as_ref()));
                KindItem::Value(Box::new(KindValue {
                    name,
                    shape,
                    expr: expr.expect("value has an expression"),
                    meaning,
                    opts,
                    guard,
                    span,
                }))
            }
            Rule::kind_term => {
                let expr = self.expr(it.next().expect("term has an expression"))?;
                let meaning = self.string(it.next().expect("term has a meaning"));
                let opts = self.kind_opts(it.next().expect("term has its clauses"));
                let guard = it.next().map(|g| self.guard(g));
                let span = span::ending(start, span::kind_opts_end(&meaning, &opts, guard.as_ref()));
                KindItem::Term(Box::new(KindTerm {
                    expr,
                    meaning,
                    opts,
                    guard,
                    span,
                }))
            }
            Rule::kind_one_of => {
                let mut sets = Vec::new();
                let mut message = None;
                let mut help = None;
                for q in it {
                    match q.as_rule() {
                        Rule::one_of_set => sets.push(q.into_inner().map(|i| self.ident(i)).collect()),
                        Rule::string => message = Some(self.string(q)),
                        Rule::help_clause => help = Some(self.last_string(q)),
                        _ => {}
                    }
                }
                let message = message.expect("one of has a message");
                let end = help.as_ref().map_or(span::text_end(&message), span::text_end);
                KindItem::OneOf(Box::new(KindOneOf {
                    sets,
                    message,
                    help,
                    span: span::ending(start, end),
                }))
            }
            Rule::kind_place => {
                let word = match opening {
                    Some(Rule::w_group) => PlaceWord::Group,
                    Some(Rule::w_part) => PlaceWord::Part,
                    Some(Rule::w_scope) => PlaceWord::Scope,
                    _ => PlaceWord::Gas,
                };
                let value = self.ident(it.next().expect("place has a value"));
                let guard = it.next().map(|g| self.guard(g));
                let end = guard.as_ref().map_or(value.span.end, |g| g.span.end);
                KindItem::Place(Box::new(KindPlace {
                    word,
                    value,
                    guard,
                    span: span::ending(start, end),
                }))
            }
            Rule::kind_flag => {
                let code = self.ident(it.next().expect("flag has a code"));
                let text = self.string(it.next().expect("flag has a text"));
                let guard = self.guard(it.next().expect("flag has a guard"));
                let span = span::ending(start, guard.span.end);
                KindItem::Flag(Box::new(KindFlag {
                    code,
                    text,
                    guard,
                    span,
                }))
            }
            _ => {
                // kind_key_help = { w_notation ~ w_help ~ string }
                let text = self.string(it.nth(1).expect("notation help has a text"));
                let end = span::text_end(&text);
                KindItem::NotationHelp(text, span::ending(start, end))
            }
        })
    }

    /// The last string of a clause (`help "…"`, `eq "…"`).
    fn last_string(&self, p: Pair<Rule>) -> (String, Span) {
        let q = p.into_inner().filter(|q| q.as_rule() == Rule::string).last();
        self.string(q.expect("the clause has a string"))
    }

    fn want(&self, p: Pair<Rule>) -> Want {
        let start = self.span(&p);
        let mut it = p.into_inner().filter(|q| q.as_rule() == Rule::string);
        let want = self.string(it.next().expect("want has a text"));
        let example = self.string(it.next().expect("want has an example"));
        let span = span::ending(start, span::want_end(&example));
        Want { want, example, span }
    }

    fn kind_opts(&self, p: Pair<Rule>) -> KindOpts {
        let mut opts = KindOpts::default();
        let mut prov = Vec::new();
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::eq_clause => opts.eq = Some(self.last_string(q)),
                Rule::help_clause => opts.help = Some(self.last_string(q)),
                Rule::want_clause => opts.want = Some(Box::new(self.want(q))),
                _ => prov.push(q),
            }
        }
        for q in prov {
            self.provenance_clause(q, &mut opts.prov);
        }
        opts
    }

    fn guard(&self, p: Pair<Rule>) -> Guard {
        let start = self.span(&p);
        let conditions: Vec<Condition> = p
            .into_inner()
            .filter(|q| q.as_rule() == Rule::condition)
            .map(|q| {
                let start = self.span(&q);
                let mut it = q.into_inner();
                let field = self.ident(it.next().expect("a condition names a field"));
                let word = it.next().map(|w| self.ident(w));
                let end = word.as_ref().map_or(field.span.end, |w| w.span.end);
                Condition {
                    field,
                    word,
                    span: span::ending(start, end),
                }
            })
            .collect();
        let end = conditions.last().map_or(start.end, |c| c.span.end);
        Guard {
            conditions,
            span: span::ending(start, end),
        }
    }

    fn shape(&self, p: Pair<Rule>) -> Built<Shape> {
        let start = self.span(&p);
        let mut it = p.into_inner();
        let first = it.next().expect("a shape has a word");
        let (kind, end) = match first.as_rule() {
            Rule::w_one => {
                let words: Vec<Ident> = it
                    .filter(|q| q.as_rule() == Rule::ident)
                    .map(|q| self.ident(q))
                    .collect();
                let end = words.last().map_or(start.end, |w| w.span.end);
                (ShapeKind::OneOf(words), end)
            }
            Rule::w_text => (ShapeKind::Text, self.span(&first).end),
            _ => {
                let flow = first.as_rule() == Rule::w_flow;
                let what = if flow {
                    it.next().expect("flow of something")
                } else {
                    first
                };
                let end = self.span(&what).end;
                let what = match what.as_rule() {
                    Rule::w_substance => ShapeDim::Substance,
                    Rule::w_any => ShapeDim::Any,
                    _ => ShapeDim::Dim(self.dim_expr(what)?),
                };
                (ShapeKind::Quantity { flow, what }, end)
            }
        };
        Ok(Shape {
            kind,
            span: span::ending(start, end),
        })
    }

    /// `dim_expr`: a unit expression whose atoms are dimension names (and `1`).
    fn dim_expr(&self, p: Pair<Rule>) -> Built<UnitExpr> {
        let span = self.span(&p);
        let mut factors = Vec::new();
        let mut divide = false;
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::unit_op => divide = q.as_str() == "/",
                Rule::dim_factor => {
                    let fspan = self.span(&q);
                    let mut base = None;
                    let mut exp = Rat::ONE;
                    for x in q.into_inner() {
                        match x.as_rule() {
                            Rule::ident | Rule::dim_one => base = Some(UnitBase::Atom(x.as_str().into())),
                            Rule::dim_expr => base = Some(UnitBase::Group(Box::new(self.dim_expr(x)?))),
                            Rule::unit_power => exp = self.exponent(&x, "dimensions")?,
                            _ => {}
                        }
                    }
                    if divide {
                        exp = exp.negated();
                    }
                    factors.push(UnitFactor {
                        base: base.expect("a dimension factor has a base"),
                        exp,
                        span: fspan,
                    });
                }
                _ => {}
            }
        }
        Ok(UnitExpr {
            scale: None,
            text: None,
            factors,
            span,
        })
    }

    fn field_opt(&self, p: Pair<Rule>) -> Built<FieldOpt> {
        let start = self.span(&p);
        let mut it = p.into_inner();
        let first = it.next().expect("an option has a word");
        let mut word_end = self.span(&first).end;
        let kind = match first.as_rule() {
            Rule::want_clause => FieldOptKind::Want(Box::new(self.want(first))),
            Rule::w_min | Rule::w_above | Rule::w_max => {
                let e = self.expr(it.next().expect("a bound has an expression"))?;
                let s = it.next().map(|q| self.string(q));
                match first.as_rule() {
                    Rule::w_min => FieldOptKind::Min(e, s),
                    Rule::w_above => FieldOptKind::Above(e, s),
                    _ => FieldOptKind::Max(e, s),
                }
            }
            Rule::w_negative => FieldOptKind::NegativeWarn(self.string(it.nth(1).expect("negative warn has a text"))),
            Rule::w_key => FieldOptKind::Key(self.scaled_unit(it.next().expect("key has a unit"))?),
            Rule::w_is => {
                word_end = self.span(&it.next().expect("is gwp")).end;
                FieldOptKind::IsGwp
            }
            _ => FieldOptKind::Help(self.string(it.next().expect("help has a text"))),
        };
        let end = span::field_opt_end(&kind, word_end);
        Ok(FieldOpt {
            kind,
            span: span::ending(start, end),
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
            self.provenance_clause(c, &mut prov);
        }
        prov
    }

    /// One clause of `provenance`, added to `prov`.
    fn provenance_clause(&self, c: Pair<Rule>, prov: &mut Provenance) {
        {
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
                let mut keys = Vec::new();
                let mut key = None;
                let mut d = 0;
                for q in it {
                    if q.as_rule() == Rule::year_key {
                        let digits = q.into_inner().next().expect("year_key holds its digits");
                        key = Some((year_number(digits.as_str()), self.span(&digits)));
                        continue;
                    }
                    let (a, da) = self.expr_d(q)?;
                    d = d.max(da);
                    if key.is_some() && keys.is_empty() {
                        keys.resize(args.len(), None);
                    }
                    if !keys.is_empty() || key.is_some() {
                        keys.push(key.take());
                    }
                    args.push(a);
                }
                deeper(
                    Expr {
                        kind: ExprKind::Call(Box::new(Call { name, args, keys })),
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

    /// The exponent of a `unit_power` of `units` or `dimensions`.
    fn exponent(&self, q: &Pair<Rule>, of: &str) -> Built<Rat> {
        let qs = self.span(q);
        if q.as_str().ends_with("/0") {
            return Err(Diag::error(
                "carbon::units::exponent",
                format!("the exponent `{}` divides by zero", q.as_str()),
            )
            .at(qs, "a fraction with a zero denominator"));
        }
        parse_power(q.as_str()).ok_or_else(|| {
            Diag::error(
                "carbon::units::exponent",
                format!("the exponent `{}` is too large", q.as_str()),
            )
            .at(
                qs,
                format!("exponents of {of} must be small whole numbers or fractions"),
            )
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
                Rule::unit_power => exp = self.exponent(&q, "units")?,
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

/// The year of a series point as written (`2021:`): digits only; a number too
/// large for 64 bits is kept as the largest (the names stage reports it out of
/// range).
pub(crate) fn year_number(digits: &str) -> u64 {
    digits.parse().unwrap_or(u64::MAX)
}
