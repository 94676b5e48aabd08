//! The abstract syntax tree. Every node carries its span; nothing here refers back
//! to pest.

use crate::number::Rat;
use crate::source::{SourceId, Span};
use smol_str::SmolStr;
use std::sync::Arc;

/// A name as written. Kept inline up to 23 bytes (`survey_12`, `amount`,
/// `stand_640313`): a large file writes millions of names, and the parser then
/// allocates none of them.
#[derive(Clone, Debug)]
pub struct Ident {
    pub name: SmolStr,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct File {
    pub src: SourceId,
    pub decls: Vec<Decl>,
}

#[derive(Clone, Debug)]
/// Each kind behind a pointer: a `Vec<Decl>` of a large file stays small (16 bytes
/// an entry instead of the largest kind's size).
pub enum Decl {
    Let(Box<LetDecl>),
    Source(Box<SourceDecl>),
    Dimension(Box<DimensionDecl>),
    Unit(Box<UnitDecl>),
    Block(Box<BlockDecl>),
    Expect(Box<ExpectDecl>),
    Kind(Box<KindDecl>),
}

/// `kind name "title" { items }`: a declaration kind defined in the language
/// (docs/design/kinds.md §1). Spans: the declaration's as a block's (up to a `;`
/// that ends it); each item and clause from its first word to the end given by
/// the span rule (src/syntax/span.rs, `kind_*_end`).
#[derive(Clone, Debug)]
pub struct KindDecl {
    /// The word `kind`.
    pub keyword: Span,
    pub name: Ident,
    pub title: Option<(String, Span)>,
    pub override_reason: Option<(String, Span)>,
    pub items: Vec<KindItem>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum KindItem {
    Field(Box<KindField>),
    Value(Box<KindValue>),
    Term(Box<KindTerm>),
    OneOf(Box<KindOneOf>),
    Place(Box<KindPlace>),
    Flag(Box<KindFlag>),
    /// `notation help "…"`: the help of `notation_key` for this kind.
    NotationHelp((String, Span), Span),
}

/// `field name? : shape = default "meaning" options provenance`
#[derive(Clone, Debug)]
pub struct KindField {
    pub name: Ident,
    /// Written with `?`.
    pub optional: bool,
    pub shape: Shape,
    pub default: Option<Expr>,
    pub meaning: (String, Span),
    pub opts: Vec<FieldOpt>,
    pub prov: Provenance,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Shape {
    pub kind: ShapeKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ShapeKind {
    /// `one of w1 | w2 | …`
    OneOf(Vec<Ident>),
    /// `text`
    Text,
    /// A quantity: `flow` (an amount for the period or a rate) or not, of `what`.
    Quantity { flow: bool, what: ShapeDim },
}

#[derive(Clone, Debug)]
pub enum ShapeDim {
    Substance,
    Any,
    /// A dimension over the dimension names: `C/length^2`; `1` is the atom `1`.
    /// Its spans are absolute.
    Dim(UnitExpr),
}

#[derive(Clone, Debug)]
pub struct FieldOpt {
    pub kind: FieldOptKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum FieldOptKind {
    Min(Expr, Option<(String, Span)>),
    Above(Expr, Option<(String, Span)>),
    Max(Expr, Option<(String, Span)>),
    /// `negative warn "help"`
    NegativeWarn((String, Span)),
    /// `key unit`: a notation key may stand for the field, as 0 in this unit.
    Key(UnitExpr),
    /// `is gwp`
    IsGwp,
    Help((String, Span)),
    Want(Box<Want>),
}

/// `want "…" example "…"`: the texts of `units::wrong_kind`.
#[derive(Clone, Debug)]
pub struct Want {
    pub want: (String, Span),
    pub example: (String, Span),
    pub span: Span,
}

/// The clauses after a value's or a term's meaning.
#[derive(Clone, Debug, Default)]
pub struct KindOpts {
    pub eq: Option<(String, Span)>,
    pub help: Option<(String, Span)>,
    pub want: Option<Box<Want>>,
    pub prov: Provenance,
}

/// `value name : shape = expr "meaning" eq "…" help "…" from … when …`
#[derive(Clone, Debug)]
pub struct KindValue {
    pub name: Ident,
    pub shape: Option<Shape>,
    pub expr: Expr,
    pub meaning: (String, Span),
    pub opts: KindOpts,
    pub guard: Option<Guard>,
    pub span: Span,
}

/// `term expr "meaning" eq "…" when …`
#[derive(Clone, Debug)]
pub struct KindTerm {
    pub expr: Expr,
    pub meaning: (String, Span),
    pub opts: KindOpts,
    pub guard: Option<Guard>,
    pub span: Span,
}

/// `one of a | b c "message" help "…"`: the alternatives, each a set of fields.
#[derive(Clone, Debug)]
pub struct KindOneOf {
    pub sets: Vec<Vec<Ident>>,
    pub message: (String, Span),
    pub help: Option<(String, Span)>,
    pub span: Span,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PlaceWord {
    Group,
    Part,
    Scope,
    Gas,
}

/// `group above`, `part land`, `scope 1`, `gas mass when volume`.
#[derive(Clone, Debug)]
pub struct KindPlace {
    pub word: PlaceWord,
    /// The name or number as written.
    pub value: Ident,
    pub guard: Option<Guard>,
    pub span: Span,
}

/// `flag CODE "text" when …`
#[derive(Clone, Debug)]
pub struct KindFlag {
    pub code: Ident,
    pub text: (String, Span),
    pub guard: Guard,
    pub span: Span,
}

/// `when a, b = w`: all must hold.
#[derive(Clone, Debug)]
pub struct Guard {
    pub conditions: Vec<Condition>,
    pub span: Span,
}

/// `field` (the field is given) or `field = word` (a word field's value).
#[derive(Clone, Debug)]
pub struct Condition {
    pub field: Ident,
    pub word: Option<Ident>,
    pub span: Span,
}

/// `expect name: actual == published within tolerance known "reason" from source`
#[derive(Clone, Debug)]
pub struct ExpectDecl {
    pub name: Option<Ident>,
    pub actual: Expr,
    pub published: Expr,
    pub tolerance: Expr,
    pub known: Option<(String, Span)>,
    pub prov: Provenance,
    pub span: Span,
}

/// `allow code "reason"`: silences one warning on a declaration.
#[derive(Clone, Debug)]
pub struct Allow {
    pub code: Ident,
    pub reason: String,
    /// The reason with its quotes.
    pub reason_span: Span,
}

/// Extra statements about one value: its stated components, and other stated
/// values of the same quantity.
#[derive(Clone, Debug, Default)]
pub struct Statements {
    pub parts: Option<Box<Expr>>,
    pub also: Vec<(Expr, Provenance)>,
}

impl Statements {
    /// Neither `parts` nor `also`.
    pub fn is_empty(&self) -> bool {
        self.parts.is_none() && self.also.is_empty()
    }
    /// Behind a pointer, and only when there are any (a field rarely has them:
    /// 8 bytes a field instead of 32).
    pub fn boxed(self) -> Option<Box<Statements>> {
        (!self.is_empty()).then(|| Box::new(self))
    }
}

#[derive(Clone, Debug)]
pub struct LetDecl {
    pub name: Ident,
    pub expr: Expr,
    pub stmts: Statements,
    pub prov: Provenance,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct SourceDecl {
    pub name: Ident,
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct DimensionDecl {
    pub name: Ident,
    pub description: Option<String>,
    pub display: Option<Ident>,
    /// `override "reason"`: redefines the prelude's dimension of that name.
    pub override_reason: Option<(String, Span)>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct UnitDecl {
    pub name: Ident,
    pub def: UnitDef,
    pub prefixes: Option<Ident>,
    /// `override "reason"`: redefines the prelude's unit of that name.
    pub override_reason: Option<(String, Span)>,
    pub prov: Provenance,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum UnitDef {
    /// `unit g : mass` — the base unit of a dimension.
    Base(Ident),
    /// `unit t = 1e6 g` — a scaled unit.
    Alias(UnitExpr),
}

/// `kind name { field value provenance ... }`
#[derive(Clone, Debug)]
pub struct BlockDecl {
    pub kind: Ident,
    pub name: Option<Ident>,
    /// The name as written, when it is a quoted string (`inventory "Yongning"`).
    pub title: Option<(String, Span)>,
    pub fields: Vec<Field>,
    pub allows: Vec<Allow>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Field {
    pub name: Ident,
    pub value: FieldValue,
    /// `None` when there are no `parts` or `also` statements.
    pub stmts: Option<Box<Statements>>,
    pub prov: Provenance,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum FieldValue {
    Text(String, Span),
    Expr(Expr),
    /// An IPCC notation key in place of a figure, with its reason (`NE "…"`).
    Notation(Box<Notation>),
}

/// `NE "reason"`: a value that is not a figure.
#[derive(Clone, Debug)]
pub struct Notation {
    pub key: NotationKey,
    pub reason: String,
    /// The key and its reason.
    pub span: Span,
}

/// The IPCC notation keys (2006 Guidelines, Vol. 1, Ch. 8, Table 8.2).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum NotationKey {
    /// Not estimated: the activity occurs but is not quantified.
    NE,
    /// Not occurring.
    NO,
    /// Included elsewhere: estimated, but in another term.
    IE,
    /// Not applicable.
    NA,
}

impl NotationKey {
    pub const ALL: [NotationKey; 4] = [NotationKey::NE, NotationKey::NO, NotationKey::IE, NotationKey::NA];
    pub fn from_word(w: &str) -> Option<NotationKey> {
        NotationKey::ALL.into_iter().find(|k| k.word() == w)
    }
    pub fn word(self) -> &'static str {
        match self {
            NotationKey::NE => "NE",
            NotationKey::NO => "NO",
            NotationKey::IE => "IE",
            NotationKey::NA => "NA",
        }
    }
    pub fn meaning(self) -> &'static str {
        match self {
            NotationKey::NE => "not estimated",
            NotationKey::NO => "not occurring",
            NotationKey::IE => "included elsewhere",
            NotationKey::NA => "not applicable",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Provenance {
    /// Almost always one citation: kept inline, without an allocation.
    pub from: smallvec::SmallVec<[Citation; 1]>,
    /// Behind a pointer: most values cite a source instead.
    pub assumed: Option<Box<(String, Span)>>,
    pub allow: Vec<Allow>,
}

impl Provenance {
    /// No source and no assumption (`allow` clauses do not count).
    pub fn is_empty(&self) -> bool {
        self.from.is_empty() && self.assumed.is_none()
    }
}

#[derive(Clone, Debug)]
pub enum Citation {
    Name(Ident),
    Text(String, Span),
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

/// The operands of an [`ExprKind::Chain`]: `first`, then each operation with
/// its right operand, in order.
#[derive(Clone, Debug)]
pub struct Chain {
    pub first: Expr,
    pub rest: Vec<(BinOp, Expr)>,
}

impl Chain {
    /// The span of the chain's first `n` operands (`n` ≥ 1): the left operand of
    /// operation `n - 1` of `rest`.
    pub fn left_span(&self, n: usize) -> Span {
        match n {
            0 | 1 => self.first.span,
            _ => self.first.span.to(self.rest[n - 2].1.span),
        }
    }
}

impl Expr {
    /// `lhs op rhs`, with the depths of the operands and of the result, as both
    /// parsers build it: when `lhs` is an operation of the same level as `op`
    /// (`+ −`, or `× /`) written without parentheses, `rhs` joins it in one
    /// [`ExprKind::Chain`], whose depth is one more than its deepest operand's.
    /// `( inner )`, written over `span` (the parentheses included). A quantity
    /// keeps its own span, since its unit's spans are relative to its end, and
    /// says it was parenthesised instead.
    pub fn parenthesised(inner: Expr, span: Span) -> Expr {
        match inner.kind {
            ExprKind::Quantity {
                value, unit, precision, ..
            } => Expr {
                kind: ExprKind::Quantity {
                    value,
                    unit,
                    precision,
                    paren: true,
                },
                span: inner.span,
            },
            kind => Expr { kind, span },
        }
    }

    pub fn binary(op: BinOp, lhs: (Expr, usize), rhs: (Expr, usize)) -> (Expr, usize) {
        let ((mut lhs, dl), (rhs, dr)) = (lhs, rhs);
        let span = lhs.span.to(rhs.span);
        let level = op.level();
        if level != 0 {
            match &mut lhs.kind {
                ExprKind::Chain(c)
                    if c.rest[0].0.level() == level && lhs.span == c.first.span.to(c.rest[c.rest.len() - 1].1.span) =>
                {
                    c.rest.push((op, rhs));
                    lhs.span = span;
                    return (lhs, dl.max(dr + 1));
                }
                ExprKind::Binary(o, a, b) if o.level() == level && lhs.span == a.span.to(b.span) => {
                    let o = *o;
                    let a = std::mem::replace(&mut **a, Expr::empty(span));
                    let b = std::mem::replace(&mut **b, Expr::empty(span));
                    let chain = Chain {
                        first: a,
                        rest: vec![(o, b), (op, rhs)],
                    };
                    return (
                        Expr {
                            kind: ExprKind::Chain(Box::new(chain)),
                            span,
                        },
                        dl.max(dr + 1),
                    );
                }
                _ => {}
            }
        }
        (
            Expr {
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            },
            dl.max(dr) + 1,
        )
    }

    /// A placeholder: an empty path.
    pub fn empty(span: Span) -> Expr {
        Expr {
            kind: ExprKind::Path(Vec::new()),
            span,
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

impl BinOp {
    /// Operators of one level chain left to right (1: `+ −`, 2: `× /`); `^`
    /// (0) does not chain.
    pub fn level(self) -> u8 {
        match self {
            BinOp::Add | BinOp::Sub => 1,
            BinOp::Mul | BinOp::Div => 2,
            BinOp::Pow => 0,
        }
    }
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "−",
            BinOp::Mul => "×",
            BinOp::Div => "/",
            BinOp::Pow => "^",
        }
    }
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    /// A number, with its unit if one was written. `precision` is half a unit in
    /// the last written digit (0.005 for `7.09`), in the written unit.
    Quantity {
        value: f64,
        /// Shared with the resolved program, which keeps it after the AST is dropped,
        /// and among the quantities of a file that write the same unit: its spans
        /// are relative to where it is written, which is [`UnitExpr::start_in`] of
        /// this expression's span (the unit ends the quantity).
        unit: Option<Arc<UnitExpr>>,
        precision: f64,
        /// Written in parentheses, `(5 t / area)`: its span is then its own (the
        /// unit's spans are relative to its end), and words of its unit that
        /// are names split off inside the parentheses (see `names::lower_quantity`).
        paren: bool,
    },
    /// A reference by name: `coal`, `coal.amount`.
    Path(Vec<Ident>),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// Two or more operations of one level (`+ −` or `× /`) written in a row
    /// without parentheses, left-associative: `a + b − c` is `(a + b) − c`. Flat,
    /// so that the length of a sum (a county sums hundreds of parcels) costs no
    /// depth in any pass; a chain nests one level (see [`Expr::binary`]).
    Chain(Box<Chain>),
    /// `expr to unit`
    Convert(Box<Expr>, Arc<UnitExpr>),
    /// `name(args, …)`: a function call, spanning from its name to its `)`.
    Call(Box<Call>),
}

/// A function call as written: the name (resolved to a builtin by the names
/// stage) and its arguments.
#[derive(Clone, Debug)]
pub struct Call {
    pub name: Ident,
    pub args: Vec<Expr>,
    /// The year each argument is keyed by (`2021: 4231 t`, in a series), as
    /// written, with its span; empty when no argument is keyed.
    pub keys: Vec<Option<(u64, Span)>>,
}

/// A unit as written: an optional scale and a product of factors with exponents.
///
/// Its spans are absolute, except in a quantity (`ExprKind::Quantity`, `IrOp::Lit`),
/// where they are relative to the start of the unit (see [`UnitExpr::start_in`]):
/// a large inventory writes a few distinct units millions of times, and the
/// parser gives each quantity the one copy of its unit's text.
#[derive(Clone, Debug)]
pub struct UnitExpr {
    pub scale: Option<f64>,
    /// The text as written, for parenthesised groups (`10^4 kWh`).
    pub text: Option<String>,
    pub factors: Vec<UnitFactor>,
    pub span: Span,
}

impl UnitExpr {
    /// This unit with its spans made relative to `start` (where it is written).
    pub fn relative_to(mut self, start: u32) -> UnitExpr {
        self.shift_back(start);
        self
    }
    fn shift_back(&mut self, by: u32) {
        let back = |s: &mut Span| {
            s.start = s.start.saturating_sub(by);
            s.end = s.end.saturating_sub(by);
        };
        back(&mut self.span);
        for f in &mut self.factors {
            back(&mut f.span);
            if let UnitBase::Group(g) = &mut f.base {
                g.shift_back(by);
            }
        }
    }
    /// Where a quantity's unit starts, from the span of the quantity (or literal)
    /// it ends: add it to the unit's relative spans ([`Span::after`]).
    pub fn start_in(&self, quantity: Span) -> u32 {
        quantity.end.saturating_sub(self.span.end)
    }
}

#[derive(Clone, Debug)]
pub struct UnitFactor {
    pub base: UnitBase,
    pub exp: Rat,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum UnitBase {
    /// Inline (`SmolStr`): unit names are short.
    Atom(SmolStr),
    Group(Box<UnitExpr>),
}
