//! The span rule, in one place: where `let`, `expect`, a field and `expr to unit`
//! end. Both builders build the node first and then end its span here.
//!
//! The rule is pest's: such a span ends at the end of the last token *inside* its
//! last non-empty part, so it leaves out a `;`, the blanks and comments after the
//! last token, the `)` of a parenthesised expression or unit group, and the
//! closing quote of a non-empty string (a function call keeps its `)`). Every other node spans its tokens
//! (`source`, `dimension`, `unit` and block declarations also the blanks and
//! comments after them, up to a `;` that ends them).

use super::ast::*;
use crate::source::Span;

/// A quoted string's end: its closing quote is left out unless it is empty.
pub(super) fn string_end(text: &str, span: Span) -> u32 {
    if text.is_empty() {
        span.end
    } else {
        span.end - 1
    }
}

/// An expression's end: that of its last operand, down to a name, a number or
/// the last factor of a unit.
pub(super) fn expr_end(mut e: &Expr) -> u32 {
    loop {
        match &e.kind {
            ExprKind::Quantity { unit: Some(u), .. } => return unit_end(u, u.start_in(e.span)),
            ExprKind::Quantity { unit: None, .. } => return e.span.end,
            // A call's `)` is its own, not a parenthesis around it.
            ExprKind::Call(_) => return e.span.end,
            // Its span, when parenthesised, is the parentheses'.
            ExprKind::Convert(_, u) => return convert_end(u),
            ExprKind::Path(parts) => return parts.last().map_or(e.span.end, |p| p.span.end),
            ExprKind::Neg(x) | ExprKind::Binary(_, _, x) => e = x,
            ExprKind::Chain(c) => e = c.rest.last().map_or(&c.first, |(_, x)| x),
        }
    }
}

/// A unit's end, its spans taken from `base` (0 where they are absolute, the
/// unit's start in a quantity): that of its last factor, or of the unit inside a
/// group without an exponent.
pub(super) fn unit_end(mut u: &UnitExpr, base: u32) -> u32 {
    loop {
        let Some(f) = u.factors.last() else {
            return base + u.span.end;
        };
        match &f.base {
            UnitBase::Group(g) if f.span.end <= g.span.end => u = g,
            _ => return base + f.span.end,
        }
    }
}

/// The end of `expr to unit`, whose span runs from the expression's start.
pub(super) fn convert_end(unit: &UnitExpr) -> u32 {
    unit_end(unit, 0)
}

/// A provenance's end (0 when it is empty): its clauses are in the order written,
/// so the largest end is the last clause's.
fn provenance_end(p: &Provenance) -> u32 {
    let from = p.from.iter().map(|c| match c {
        Citation::Name(id) => id.span.end,
        Citation::Text(s, sp) => string_end(s, *sp),
    });
    let assumed = p.assumed.iter().map(|a| string_end(&a.0, a.1));
    let allow = p.allow.iter().map(|a| string_end(&a.reason, a.reason_span));
    from.chain(assumed).chain(allow).max().unwrap_or(0)
}

/// The end of a value (`let`'s or a field's) followed by its statements and
/// provenance: `end` is the value's own.
pub(super) fn statements_end(end: u32, stmts: &Statements, prov: &Provenance) -> u32 {
    let parts = stmts.parts.as_deref().map_or(0, expr_end);
    let also = stmts.also.iter().map(|(e, p)| expr_end(e).max(provenance_end(p)));
    also.fold(end.max(parts).max(provenance_end(prov)), u32::max)
}

/// A field value's end.
pub(super) fn value_end(v: &FieldValue) -> u32 {
    match v {
        FieldValue::Text(s, sp) => string_end(s, *sp),
        FieldValue::Notation(n) => string_end(&n.reason, n.span),
        FieldValue::Expr(e) => expr_end(e),
    }
}

/// An `expect`'s end: after its tolerance, its `known` reason and provenance.
pub(super) fn expect_end(tolerance: &Expr, known: Option<&(String, Span)>, prov: &Provenance) -> u32 {
    let known = known.map_or(0, |(s, sp)| string_end(s, *sp));
    expr_end(tolerance).max(known).max(provenance_end(prov))
}

/// `span` ended at `end` (by the rule above).
pub(super) fn ending(span: Span, end: u32) -> Span {
    Span { end, ..span }
}

// ---- kinds: each node from its first word to the end of its last part -----

/// A field option's end.
pub(super) fn field_opt_end(o: &FieldOptKind, word_end: u32) -> u32 {
    match o {
        FieldOptKind::Min(e, s) | FieldOptKind::Above(e, s) | FieldOptKind::Max(e, s) => {
            s.as_ref().map_or_else(|| expr_end(e), |(t, sp)| string_end(t, *sp))
        }
        FieldOptKind::NegativeWarn((t, sp)) | FieldOptKind::Help((t, sp)) => string_end(t, *sp),
        FieldOptKind::Key(u) => convert_end(u),
        FieldOptKind::IsGwp => word_end,
        FieldOptKind::Want(w) => w.span.end,
    }
}

/// The end of `want "…" example "…"`.
pub(super) fn want_end(example: &(String, Span)) -> u32 {
    string_end(&example.0, example.1)
}

/// A field's end: after its meaning, options and provenance.
pub(super) fn kind_field_end(meaning: &(String, Span), opts: &[FieldOpt], prov: &Provenance) -> u32 {
    let m = string_end(&meaning.0, meaning.1);
    let o = opts.last().map_or(0, |o| o.span.end);
    m.max(o).max(provenance_end(prov))
}

/// A value's or a term's end: after its meaning, clauses and guard.
pub(super) fn kind_opts_end(meaning: &(String, Span), opts: &KindOpts, guard: Option<&Guard>) -> u32 {
    let s = |x: &Option<(String, Span)>| x.as_ref().map_or(0, |(t, sp)| string_end(t, *sp));
    let w = opts.want.as_ref().map_or(0, |w| w.span.end);
    let g = guard.map_or(0, |g| g.span.end);
    (string_end(&meaning.0, meaning.1))
        .max(s(&opts.eq))
        .max(s(&opts.help))
        .max(w)
        .max(provenance_end(&opts.prov))
        .max(g)
}

/// A quoted string's end, by the rule above.
pub(super) fn text_end(t: &(String, Span)) -> u32 {
    string_end(&t.0, t.1)
}
