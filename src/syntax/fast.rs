//! The fast path of stage 1: a hand-written byte-level parser for the language of
//! `grammar/carbon.pest` that builds the AST directly, with no pest pairs.
//!
//! The pest grammar stays the definition of the language and the source of every
//! syntax error. This parser never reports anything: it returns `Some` only when
//! the input parses, pest would parse it the same way, and the builder in `mod.rs`
//! would build the very same AST without a diagnostic. On anything else it returns
//! `None`, and the pest path runs as before and reports what is wrong.
//!
//! Each function below mirrors one grammar rule (named in its comment) with PEG
//! semantics: ordered choice, greedy repetition, and whitespace/comment skipping
//! between the elements of non-atomic rules only. Functions for the atomic and
//! compound-atomic rules (tokens, quantities, units) are *tries*: on `None` they
//! have consumed nothing, so a caller can take the grammar's next alternative.
//! Functions for the non-atomic rules return `None` only where the whole parse must
//! fail (or where following pest exactly is not worth it): the caller gives up.
//!
//! Where the grammar matches but the builder would report a diagnostic (a limit,
//! an overflowing number, a zero denominator, a bad exponent), or the prepass
//! would (brackets, signs or operators beyond its limits), the parser sets `bad`
//! and carries on; a parse with `bad` set returns `None`. So the fast path runs
//! first, without the prepass; only when it gives up do the prepass and pest run.
//!
//! Spans follow the builder: most nodes span their tokens exactly; `let`, `expect`
//! and fields use the builder's `tight_span` (see `tight_end` in `mod.rs`), which
//! ends at the end of the last token *inside* the last non-empty child pair, so it
//! excludes a `;`, the `)` of a parenthesised expression or unit group, and the
//! closing quote of a non-empty string; these functions return that "tight end"
//! alongside what they build. `source`, `dimension`, `unit` and block declarations
//! take their whole pest span, which runs over the blanks and comments after the
//! last token unless a `;` ends it.

use super::ast::*;
use super::keywords::is_keyword;
use super::{number_precision, number_value, parse_power, unescape, MAX_DEPTH, MAX_UNIT_FACTORS};
use crate::number::Rat;
use crate::source::{SourceId, Span};
use std::sync::Arc;

/// Parses a whole file: `Some(declarations)` only when the prepass would find
/// nothing and the pest path would build the same declarations with no
/// diagnostic; `None` whenever in doubt. It needs no prepass: it enforces the
/// prepass's limits itself.
///
/// A large file is parsed in two halves on two threads, cut near its middle at the
/// start of a line that follows a line ending in `}` (see [`find_cut`]). The cut
/// is right when the first half ends with a block declaration: after the `}` of a
/// block (and the blanks and comments after it) the grammar accepts only `;` or
/// the next declaration, and the cut falls on a letter, so a parse of the whole
/// file makes the same steps up to the cut and starts a declaration there, where
/// the second half starts. Otherwise the file is parsed again in one piece.
pub(super) fn parse_file(src: SourceId, text: &str) -> Option<Vec<Decl>> {
    // W(N) has about 160 bytes a declaration: reserve for a little more.
    let capacity = text.len() / 128 + 16;
    let Some(cut) = find_cut(text) else {
        return parse_range(src, text, 0, text.len(), capacity);
    };
    let (first, second) = crate::par::join(
        || parse_range(src, text, 0, cut, capacity),
        || parse_range(src, text, cut, text.len(), capacity / 2),
    );
    match (first, second) {
        (Some(mut first), Some(second)) if matches!(first.last(), Some(Decl::Block(_))) => {
            first.extend(second);
            Some(first)
        }
        _ => parse_range(src, text, 0, text.len(), capacity),
    }
}

/// Files at least this long are parsed in two halves on two threads.
const PARALLEL_BYTES: usize = 256 * 1024;
/// How far past the middle to look for a cut.
const CUT_SEARCH: usize = 64 * 1024;

/// Where to cut a large file in two: the first line start after the middle that
/// begins with an ASCII letter or `_` and follows a line ending in `}`.
fn find_cut(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    if b.len() < PARALLEL_BYTES {
        return None;
    }
    cut_near(b, b.len() / 2)
}

/// The first cut (as in [`find_cut`]) at or after `from`, within `CUT_SEARCH`.
fn cut_near(b: &[u8], from: usize) -> Option<usize> {
    let end = from.saturating_add(CUT_SEARCH).min(b.len());
    (from..end).find_map(|i| {
        let starts_word = b.get(i + 1).is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_');
        if b.get(i) != Some(&b'\n') || !starts_word {
            return None;
        }
        let line_end = b.get(..i)?.iter().rposition(|c| !matches!(c, b' ' | b'\t' | b'\r'))?;
        (b.get(line_end) == Some(&b'}')).then_some(i + 1)
    })
}

/// Where to cut a file into pieces of about `piece` bytes (each `(start, end)`):
/// at cuts as in [`find_cut`]. The pieces are parsed with [`parse_piece`], in any
/// order and on any thread, and their declarations are those of the whole file in
/// order, unless a piece gives up.
pub(super) fn pieces(text: &str, piece: usize) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut start: usize = 0;
    loop {
        let end = match start.checked_add(piece.max(1)) {
            Some(at) if at < b.len() => cut_near(b, at).unwrap_or(b.len()),
            _ => b.len(),
        };
        out.push((start, end));
        if end >= b.len() {
            return out;
        }
        start = end;
    }
}

/// Parses one piece of [`pieces`]. A piece other than the last must end with a
/// block declaration, as the first half in [`parse_file`] must (else the cut may
/// not be at a declaration): `None` then, as when the fast path gives up.
pub(super) fn parse_piece(src: SourceId, text: &str, start: usize, end: usize) -> Option<Vec<Decl>> {
    let decls = parse_range(src, text, start, end, (end - start) / 128 + 16)?;
    (end >= text.len() || matches!(decls.last(), Some(Decl::Block(_)))).then_some(decls)
}

/// Parses the declarations in `text[start..end]` (`end` at the end of the text or
/// at a cut), with spans in the whole text.
fn parse_range(src: SourceId, text: &str, start: usize, end: usize, decls: usize) -> Option<Vec<Decl>> {
    let mut p = Parser::new(src, text.get(..end)?);
    p.pos = start;
    let decls = p.file(decls)?;
    (!p.bad).then_some(decls)
}

/// Parses a lone expression (`expr_only = { SOI ~ expr ~ EOI }`).
pub(super) fn parse_expr(src: SourceId, text: &str) -> Option<Expr> {
    let mut p = Parser::new(src, text);
    p.skip();
    let (e, _, _) = p.expr()?;
    p.skip();
    (p.pos == text.len() && !p.bad).then_some(e)
}

/// Nesting of expressions and unit groups beyond which the parser stops. Brackets
/// nested deeper than `MAX_DEPTH` already make the result unusable (see `open`);
/// this ends the recursion soon after, whatever the input (100,000 `(` included).
const NEST_LIMIT: usize = 2 * MAX_DEPTH + 8;

/// Binding powers of the builder's `PRATT` (pest gives each `.op(...)` line 10 more).
const PREC_ADD: u32 = 10;
const PREC_MUL: u32 = 20;
const PREC_NEG: u32 = 30;
const PREC_POW: u32 = 40;

/// One element of a flattened `arith`, as pest's pairs give it to the Pratt parser.
enum Item {
    Prim(Expr, usize),
    Neg(Span),
    Op(BinOp),
}

struct Parser<'a> {
    text: &'a str,
    b: &'a [u8],
    pos: usize,
    src: SourceId,
    /// The builder would report a diagnostic: the result must not be used.
    bad: bool,
    /// Current nesting of `expr` and `unit_group`.
    nest: usize,
    /// The prepass's counters, kept here so that a file the fast path takes needs
    /// no prepass: brackets open (`(` of parentheses and unit groups, and `{`),
    /// and signs in a row.
    brackets: usize,
    signs: usize,
    /// Items of the `arith` rules being parsed (a stack: inner ones above outer).
    items: Vec<Item>,
    /// The same for the factors of units, the fields of a block and the citations
    /// of a provenance. Each list is collected here and then copied into a vector
    /// of its exact length: the AST is large, and memory the parser asks for is
    /// much of its cost.
    factors: Vec<UnitFactor>,
    fields: Vec<Field>,
    citations: Vec<Citation>,
    /// The units of quantities parsed so far, by their text: a quantity that
    /// writes a unit seen before shares its copy (spans relative to the unit's
    /// start, so equal texts give equal units).
    units: rustc_hash::FxHashMap<&'a str, Arc<UnitExpr>>,
}

/// pest's `LETTER` (Unicode general category L).
fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        pest::unicode::LETTER(c)
    }
}

/// The ASCII bytes of `ident_char` (and of a unit atom after its first
/// character): letters, digits and `_`.
static WORD_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'_';
        c += 1;
    }
    t
};

/// `ident_char = _{ LETTER | ASCII_DIGIT | "_" }`
fn is_ident_char(c: char) -> bool {
    c.is_ascii_digit() || c == '_' || is_letter(c)
}

fn dummy_expr() -> Expr {
    Expr {
        kind: ExprKind::Path(Vec::new()),
        span: Span::default(),
    }
}

impl<'a> Parser<'a> {
    fn new(src: SourceId, text: &'a str) -> Parser<'a> {
        Parser {
            text,
            b: text.as_bytes(),
            pos: 0,
            src,
            bad: false,
            nest: 0,
            brackets: 0,
            signs: 0,
            items: Vec::new(),
            factors: Vec::new(),
            fields: Vec::new(),
            citations: Vec::new(),
            units: rustc_hash::FxHashMap::default(),
        }
    }

    // ---- helpers ---------------------------------------------------------------

    #[inline]
    fn at(&self, i: usize) -> Option<u8> {
        self.b.get(i).copied()
    }

    #[inline]
    fn here(&self) -> Option<u8> {
        self.at(self.pos)
    }

    #[inline]
    fn starts_at(&self, i: usize, s: &str) -> bool {
        self.b.get(i..).is_some_and(|r| r.starts_with(s.as_bytes()))
    }

    #[inline]
    fn starts(&self, s: &str) -> bool {
        self.starts_at(self.pos, s)
    }

    fn char_at(&self, i: usize) -> Option<char> {
        self.text.get(i..)?.chars().next()
    }

    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or("")
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.src, start, end)
    }

    /// End of the run of `ident_char`s that starts at `i`.
    fn word_end(&self, i: usize) -> usize {
        self.run_end(i, is_letter)
    }

    /// End of the run from `i` of ASCII letters, digits and `_`, and of non-ASCII
    /// characters that `more` accepts.
    #[inline]
    fn run_end(&self, mut i: usize, more: fn(char) -> bool) -> usize {
        loop {
            // The ASCII part by table, a byte at a time without a bounds check.
            i += self
                .b
                .get(i..)
                .map_or(0, |r| r.iter().position(|&c| !WORD_BYTE[c as usize]).unwrap_or(r.len()));
            match self.at(i) {
                Some(c) if c >= 0x80 => match self.char_at(i) {
                    Some(ch) if more(ch) => i += ch.len_utf8(),
                    _ => return i,
                },
                _ => return i,
            }
        }
    }

    /// `keyword` matches at `i` (the run of ident chars there is a keyword).
    fn keyword_at(&self, i: usize) -> bool {
        is_keyword(self.slice(i, self.word_end(i)))
    }

    /// `kw_x = @{ "x" ~ !ident_char }` for the keyword `word`.
    #[inline]
    fn kw(&self, word: &str) -> bool {
        // The first byte alone rules out most words, without a call to compare.
        self.here() == word.bytes().next()
            && self.starts(word)
            && !self.char_at(self.pos + word.len()).is_some_and(is_ident_char)
    }

    /// End of the ASCII digits from `i`.
    fn digits(&self, mut i: usize) -> usize {
        while self.at(i).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
        }
        i
    }

    /// `iws = _{ " " | "\t" }`, repeated: the blanks allowed inside a quantity or unit.
    fn iws(&mut self) {
        while matches!(self.here(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// pest's implicit `skip` between the elements of non-atomic rules:
    /// `WHITESPACE = _{ " " | "\t" | "\r" | "\n" | "\u{FEFF}" }` and
    /// `COMMENT = _{ ("//" | "#") ~ (!"\n" ~ ANY)* | "/*" ~ (!"*/" ~ ANY)* ~ "*/" }`.
    #[inline(always)]
    fn skip(&mut self) {
        // Most calls are at a token, or at one space before a token: only longer
        // blanks, line ends, comments and a BOM need the loop.
        let more = |c: Option<u8>| matches!(c, Some(b' ' | b'\t' | b'\r' | b'\n' | b'#' | b'/' | 0xEF));
        match self.here() {
            Some(b' ') if !more(self.at(self.pos + 1)) => self.pos += 1,
            c if more(c) => self.skip_more(),
            _ => {}
        }
    }

    #[inline(never)]
    fn skip_more(&mut self) {
        loop {
            match self.here() {
                Some(b' ' | b'\t' | b'\r') => self.pos += 1,
                Some(b'\n') => {
                    self.pos += 1;
                }
                Some(0xEF) if self.starts("\u{FEFF}") => self.pos += 3,
                Some(b'#') => self.line_comment(),
                Some(b'/') if self.at(self.pos + 1) == Some(b'/') => self.line_comment(),
                Some(b'/') if self.at(self.pos + 1) == Some(b'*') => {
                    match self.text.get(self.pos + 2..).and_then(|r| r.find("*/")) {
                        Some(p) => self.pos += 2 + p + 2,
                        // An unterminated comment is no COMMENT (the prepass reports it).
                        None => return,
                    }
                }
                _ => return,
            }
        }
    }

    fn line_comment(&mut self) {
        match self.b.get(self.pos..).and_then(|r| r.iter().position(|&c| c == b'\n')) {
            Some(p) => self.pos += p,
            None => self.pos = self.b.len(),
        }
    }

    /// Enters a nested `expr` or `unit_group`; false (and `bad`) when too deep.
    fn enter(&mut self) -> bool {
        if self.nest >= NEST_LIMIT {
            self.bad = true;
            return false;
        }
        self.nest += 1;
        true
    }

    fn leave(&mut self) {
        self.nest -= 1;
    }

    // The prepass's limits. The fast path runs without the prepass and must give
    // up wherever the prepass would report: brackets nested deeper than
    // `MAX_DEPTH`, more than `MAX_DEPTH` signs in a row. (The number of operators
    // is not limited: a sum of any length is one flat chain.) In a file that
    // parses, every bracket and sign outside strings and comments is one the
    // parser consumes, so counting them as they are consumed gives the
    // prepass's counts.

    /// An opening bracket: `{`, or the `(` of parentheses or of a unit group.
    fn open(&mut self) {
        self.brackets += 1;
        if self.brackets > MAX_DEPTH {
            self.bad = true;
        }
    }

    fn close(&mut self) {
        self.brackets = self.brackets.saturating_sub(1);
    }

    /// A sign (`-` or `−`, as an operator or a prefix). Runs of signs are broken by
    /// any token but a bracket; `reset_signs` is called at every primary, which
    /// is all that can stand between two signs in a file that parses.
    fn sign_seen(&mut self) {
        self.signs += 1;
        if self.signs > MAX_DEPTH {
            self.bad = true;
        }
    }

    fn reset_signs(&mut self) {
        self.signs = 0;
    }

    /// An optional `;`.
    fn semicolon(&mut self) {
        if self.here() == Some(b';') {
            self.pos += 1;
        }
    }

    /// The value of the `number` token at `start..end`, as `Builder::number` reads
    /// it; an overflow is the builder's `carbon::number::overflow`.
    fn value(&mut self, start: usize, end: usize) -> f64 {
        match number_value(self.slice(start, end)) {
            Some(v) => v,
            None => {
                self.bad = true;
                0.0
            }
        }
    }

    /// `~ ";"?` closing a rule the builder spans whole (`self.span(&p)`): that span
    /// runs over the blanks and comments after the last token, or to the `;`.
    fn end_of_rule(&mut self) -> usize {
        self.skip();
        self.semicolon();
        self.pos
    }

    // ---- tokens ----------------------------------------------------------------

    /// `ident = @{ !keyword ~ (LETTER | "_") ~ (LETTER | ASCII_DIGIT | "_")* }`
    fn ident(&mut self) -> Option<Ident> {
        let start = self.pos;
        let first = self.char_at(start)?;
        if !(first == '_' || is_letter(first)) {
            return None;
        }
        let end = self.word_end(start);
        let name = self.slice(start, end);
        if is_keyword(name) {
            return None;
        }
        self.pos = end;
        Some(Ident {
            name: name.into(),
            span: self.span(start, end),
        })
    }

    /// `string = ${ "\"" ~ string_inner ~ "\"" }` with
    /// `string_inner = @{ (!("\"" | "\\" | "\n") ~ ANY | "\\" ~ ANY)* }`.
    /// Returns the unescaped text, the span with the quotes, and the tight end
    /// (the closing quote is excluded unless the string is empty).
    fn string(&mut self) -> Option<(String, Span, usize)> {
        let start = self.pos;
        if self.at(start) != Some(b'"') {
            return None;
        }
        let mut i = start + 1;
        let mut escaped = false;
        loop {
            match self.at(i) {
                None | Some(b'\n') => return None,
                Some(b'"') => break,
                Some(b'\\') => {
                    let c = self.char_at(i + 1)?;
                    i += 1 + c.len_utf8();
                    escaped = true;
                }
                Some(_) => i += 1,
            }
        }
        let inner = self.slice(start + 1, i);
        let text = if escaped { unescape(inner) } else { inner.to_string() };
        self.pos = i + 1;
        let tight = if i > start + 1 { i } else { i + 1 };
        Some((text, self.span(start, i + 1), tight))
    }

    /// `number = @{ "10^" ~ ("-" | "+")? ~ ASCII_DIGIT+
    ///   | (ASCII_DIGIT+ ~ ("." ~ ASCII_DIGIT*)? | "." ~ ASCII_DIGIT+) ~ (^"e" ~ ("+" | "-")? ~ ASCII_DIGIT+)? }`
    fn number(&mut self) -> Option<(usize, usize)> {
        let start = self.pos;
        if self.starts("10^") {
            let mut i = start + 3;
            if matches!(self.at(i), Some(b'-' | b'+')) {
                i += 1;
            }
            let end = self.digits(i);
            if end > i {
                self.pos = end;
                return Some((start, end));
            }
        }
        let mut i = self.digits(start);
        if i > start {
            if self.at(i) == Some(b'.') {
                i = self.digits(i + 1);
            }
        } else if self.at(start) == Some(b'.') {
            i = self.digits(start + 1);
            if i == start + 1 {
                return None;
            }
        } else {
            return None;
        }
        if matches!(self.at(i), Some(b'e' | b'E')) {
            let mut j = i + 1;
            if matches!(self.at(j), Some(b'+' | b'-')) {
                j += 1;
            }
            let end = self.digits(j);
            if end > j {
                i = end;
            }
        }
        self.pos = i;
        Some((start, i))
    }

    // ---- units -----------------------------------------------------------------

    /// `unit_atom = @{ !keyword ~ ("%" | "‰" | "°" | "µ" | LETTER)
    ///   ~ (LETTER | ASCII_DIGIT | "_" | "₂" | "₄" | "²" | "³")* }`
    fn unit_atom(&mut self) -> Option<(usize, usize)> {
        let start = self.pos;
        let first = self.char_at(start)?;
        if !(matches!(first, '%' | '‰' | '°' | 'µ') || is_letter(first)) || self.keyword_at(start) {
            return None;
        }
        let i = self.run_end(start + first.len_utf8(), |ch| {
            is_letter(ch) || matches!(ch, '₂' | '₄' | '²' | '³')
        });
        self.pos = i;
        Some((start, i))
    }

    /// `unit_power = @{ "^" ~ "-"? ~ ASCII_DIGIT+ ~ ("/" ~ ASCII_DIGIT+)? | ("⁻")? ~ ("¹" | "²" | "³" | "⁴")+ }`
    fn unit_power(&mut self) -> Option<(usize, usize)> {
        let start = self.pos;
        if self.at(start) == Some(b'^') {
            let mut i = start + 1;
            if self.at(i) == Some(b'-') {
                i += 1;
            }
            let mut end = self.digits(i);
            if end == i {
                return None;
            }
            if self.at(end) == Some(b'/') {
                let den = self.digits(end + 1);
                if den > end + 1 {
                    end = den;
                }
            }
            self.pos = end;
            return Some((start, end));
        }
        let mut i = start;
        if self.starts_at(i, "⁻") {
            i += "⁻".len();
        }
        let digits = i;
        while let Some(s) = ["¹", "²", "³", "⁴"].into_iter().find(|s| self.starts_at(i, s)) {
            i += s.len();
        }
        if i == digits {
            return None;
        }
        self.pos = i;
        Some((start, i))
    }

    /// `unit_factor = ${ (unit_atom | unit_group) ~ unit_power? }`, as
    /// `Builder::unit_factor` builds it. Returns the factor and its tight end.
    fn unit_factor(&mut self) -> Option<(UnitFactor, usize)> {
        let start = self.pos;
        let (base, mut tight) = if let Some((s, e)) = self.unit_atom() {
            (UnitBase::Atom(self.slice(s, e).into()), e)
        } else {
            let (g, t) = self.unit_group()?;
            (UnitBase::Group(Box::new(g)), t)
        };
        let mut exp = Rat::ONE;
        if let Some((s, e)) = self.unit_power() {
            let written = self.slice(s, e);
            match parse_power(written) {
                Some(r) if !written.ends_with("/0") => exp = r,
                _ => self.bad = true,
            }
            tight = e;
        }
        Some((
            UnitFactor {
                base,
                exp,
                span: self.span(start, self.pos),
            },
            tight,
        ))
    }

    /// `unit_group = ${ "(" ~ iws* ~ (number ~ iws*)? ~ unit_expr ~ iws* ~ ")" }`,
    /// built as `Builder::scaled_unit` with the text the builder keeps.
    fn unit_group(&mut self) -> Option<(UnitExpr, usize)> {
        let start = self.pos;
        if self.at(start) != Some(b'(') || !self.enter() {
            return None;
        }
        self.open();
        let r = self.unit_group_inner(start);
        self.close();
        self.leave();
        if r.is_none() {
            self.pos = start;
        }
        r
    }

    fn unit_group_inner(&mut self, start: usize) -> Option<(UnitExpr, usize)> {
        self.pos = start + 1;
        self.iws();
        let num = self.number();
        if num.is_some() {
            self.iws();
        }
        let (mut u, tight) = self.unit_expr()?;
        self.iws();
        if self.here() != Some(b')') {
            return None;
        }
        self.pos += 1;
        if let Some((s, e)) = num {
            let v = self.value(s, e);
            u.scale = Some(u.scale.unwrap_or(1.0) * v);
        }
        u.span = self.span(start, self.pos);
        let written = self.slice(start, self.pos);
        u.text = Some(written.trim_start_matches('(').trim_end_matches(')').trim().to_string());
        Some((u, tight))
    }

    /// `unit_expr = ${ unit_factor ~ (iws* ~ unit_op ~ iws* ~ unit_factor)* }` with
    /// `unit_op = @{ "/" | "*" | "·" | "×" }`; a factor after `/` has its
    /// exponent negated. Returns the unit and its tight end.
    fn unit_expr(&mut self) -> Option<(UnitExpr, usize)> {
        let start = self.pos;
        let (base, tight) = self.unit_factors()?;
        Some((self.unit_of_factors(start, base), tight))
    }

    /// The factors of `unit_expr`, left in `self.factors[base..]`: (`base`, tight end).
    fn unit_factors(&mut self) -> Option<(usize, usize)> {
        let (first, mut tight) = self.unit_factor()?;
        let base = self.factors.len();
        self.factors.push(first);
        loop {
            let before = self.pos;
            self.iws();
            let (divide, width) = match self.here() {
                Some(b'/') => (true, 1),
                Some(b'*') => (false, 1),
                Some(0xC2) if self.starts("·") => (false, 2),
                Some(0xC3) if self.starts("×") => (false, 2),
                _ => {
                    self.pos = before;
                    break;
                }
            };
            self.pos += width;
            self.iws();
            match self.unit_factor() {
                Some((mut f, t)) => {
                    if divide {
                        f.exp = f.exp.negated();
                    }
                    self.factors.push(f);
                    tight = t;
                }
                None => {
                    self.pos = before;
                    break;
                }
            }
        }
        Some((base, tight))
    }

    /// The unit of the factors in `self.factors[base..]`, written from `start` to here.
    fn unit_of_factors(&mut self, start: usize, base: usize) -> UnitExpr {
        let factors: Vec<UnitFactor> = self.factors.drain(base..).collect();
        if factors.len() > MAX_UNIT_FACTORS {
            self.bad = true;
        }
        UnitExpr {
            scale: None,
            text: None,
            factors,
            span: self.span(start, self.pos),
        }
    }

    /// A quantity's `unit_expr`: the copy of an earlier quantity's unit with the
    /// same text (its factors parsed, then dropped without a vector of their own),
    /// or this one, made relative to its start (as `Builder::quantity` makes it)
    /// and kept for the next. Returns it and its tight end.
    fn quantity_unit(&mut self) -> Option<(Arc<UnitExpr>, usize)> {
        let start = self.pos;
        let (base, tight) = self.unit_factors()?;
        let text = self.slice(start, self.pos);
        if let Some(shared) = self.units.get(text) {
            // The same text parses to the same factors (an earlier parse that was
            // `bad` would have ended this one).
            self.factors.truncate(base);
            return Some((Arc::clone(shared), tight));
        }
        let u = self.unit_of_factors(start, base);
        let shared = Arc::new(u.relative_to(start as u32));
        self.units.insert(text, Arc::clone(&shared));
        Some((shared, tight))
    }

    /// `unit_target = ${ (number ~ iws*)? ~ unit_expr }` (after `to`), built as
    /// `Builder::scaled_unit`.
    fn unit_target(&mut self) -> Option<(UnitExpr, usize)> {
        let start = self.pos;
        let num = self.number();
        if num.is_some() {
            self.iws();
        }
        let Some((mut u, tight)) = self.unit_expr() else {
            self.pos = start;
            return None;
        };
        if let Some((s, e)) = num {
            let v = self.value(s, e);
            u.scale = Some(u.scale.unwrap_or(1.0) * v);
        }
        u.span = self.span(start, self.pos);
        Some((u, tight))
    }

    /// `quantity_or_unit = ${ number ~ (iws* ~ unit_expr)? | unit_expr }` (after
    /// `unit x =`), built as `Builder::scaled_unit`.
    fn quantity_or_unit(&mut self) -> Option<UnitExpr> {
        let start = self.pos;
        let mut u = if let Some((s, e)) = self.number() {
            let v = self.value(s, e);
            let before = self.pos;
            self.iws();
            let unit = match self.unit_expr() {
                Some((u, _)) => Some(u),
                None => {
                    self.pos = before;
                    None
                }
            };
            let mut u = unit.unwrap_or(UnitExpr {
                scale: None,
                text: None,
                factors: Vec::new(),
                span: Span::default(),
            });
            u.scale = Some(u.scale.unwrap_or(1.0) * v);
            u
        } else {
            self.unit_expr()?.0
        };
        u.span = self.span(start, self.pos);
        Some(u)
    }

    // ---- expressions -----------------------------------------------------------

    /// `quantity = ${ ratio ~ iws* ~ unit_expr | number ~ (iws* ~ unit_expr)? }` with
    /// `ratio = ${ number ~ iws* ~ "/" ~ iws* ~ number }`. Returns the quantity
    /// and its tight end.
    fn quantity(&mut self) -> Option<(Expr, usize)> {
        let start = self.pos;
        let (ns, ne) = self.number()?;
        // The ratio alternative: `44/12 tCO2/tC`.
        self.iws();
        if self.here() == Some(b'/') {
            self.pos += 1;
            self.iws();
            if let Some((ds, de)) = self.number() {
                self.iws();
                if let Some((unit, tight)) = self.quantity_unit() {
                    let n = self.value(ns, ne);
                    let d = self.value(ds, de);
                    if d == 0.0 {
                        self.bad = true; // carbon::eval::division_by_zero
                    }
                    let e = Expr {
                        kind: ExprKind::Quantity {
                            value: n / d,
                            unit: Some(unit),
                            precision: 0.0,
                            paren: false,
                        },
                        span: self.span(start, self.pos),
                    };
                    return Some((e, tight));
                }
            }
        }
        // The number alternative, with its unit if one follows on the line.
        self.pos = ne;
        let value = self.value(ns, ne);
        let precision = number_precision(self.slice(ns, ne));
        self.iws();
        let (unit, tight) = match self.quantity_unit() {
            Some((u, t)) => (Some(u), t),
            None => {
                self.pos = ne;
                (None, ne)
            }
        };
        let e = Expr {
            kind: ExprKind::Quantity {
                value,
                unit,
                precision,
                paren: false,
            },
            span: self.span(start, self.pos),
        };
        Some((e, tight))
    }

    /// `path = ${ ident ~ ("." ~ ident)* }`
    fn path(&mut self) -> Option<Expr> {
        let start = self.pos;
        let mut parts = vec![self.ident()?];
        while self.here() == Some(b'.') {
            let before = self.pos;
            self.pos += 1;
            match self.ident() {
                Some(id) => parts.push(id),
                None => {
                    self.pos = before;
                    break;
                }
            }
        }
        Some(Expr {
            kind: ExprKind::Path(parts),
            span: self.span(start, self.pos),
        })
    }

    /// `primary = _{ quantity | path | paren }` with `paren = { "(" ~ expr ~ ")" }`.
    /// Returns the expression, its depth (as `Builder::primary`) and its tight end.
    fn primary(&mut self) -> Option<(Expr, usize, usize)> {
        let start = self.pos;
        if let Some((e, tight)) = self.quantity() {
            self.reset_signs();
            return Some((e, 1, tight));
        }
        if let Some(e) = self.path() {
            self.reset_signs();
            let end = self.pos;
            return Some((e, 1, end));
        }
        if self.here() != Some(b'(') {
            return None;
        }
        self.pos += 1;
        self.open();
        self.skip();
        let (inner, d, tight) = self.expr()?;
        self.skip();
        if self.here() != Some(b')') {
            return None;
        }
        self.pos += 1;
        self.close();
        let e = Expr::parenthesised(inner, self.span(start, self.pos));
        Some((e, d, tight))
    }

    /// `neg = { "-" | "−" }`: the length of a sign here.
    fn sign(&self) -> Option<usize> {
        match self.here()? {
            b'-' => Some(1),
            0xE2 if self.starts("−") => Some("−".len()),
            _ => None,
        }
    }

    /// `infix = _{ add | sub | mul | div | pow }`: the operator here and its length.
    fn infix(&self) -> Option<(BinOp, usize)> {
        Some(match self.here()? {
            b'+' => (BinOp::Add, 1),
            b'-' => (BinOp::Sub, 1),
            b'*' => (BinOp::Mul, 1),
            b'/' => (BinOp::Div, 1),
            b'^' => (BinOp::Pow, 1),
            0xE2 if self.starts("−") => (BinOp::Sub, "−".len()),
            0xC3 if self.starts("×") => (BinOp::Mul, "×".len()),
            0xC2 if self.starts("·") => (BinOp::Mul, "·".len()),
            _ => return None,
        })
    }

    /// `expr = { arith ~ (kw_to ~ unit_target)? }`, as `Builder::expr_d`: the
    /// expression, its depth and its tight end.
    fn expr(&mut self) -> Option<(Expr, usize, usize)> {
        if !self.enter() {
            return None;
        }
        let r = self.expr_inner();
        self.leave();
        r
    }

    fn expr_inner(&mut self) -> Option<(Expr, usize, usize)> {
        let start = self.pos;
        let (arith, d, tight) = self.arith()?;
        self.skip();
        if !self.kw("to") {
            return Some((arith, d, tight));
        }
        self.pos += 2;
        self.skip();
        let (unit, tight) = self.unit_target()?;
        let e = Expr {
            kind: ExprKind::Convert(Box::new(arith), Arc::new(unit)),
            span: self.span(start, tight),
        };
        let (e, d) = self.deeper(e, d + 1);
        Some((e, d, tight))
    }

    /// `arith = { prefix* ~ primary ~ (infix ~ prefix* ~ primary)* }`, flattened
    /// as pest's pairs are, then checked and folded as `Builder::arith` does.
    fn arith(&mut self) -> Option<(Expr, usize, usize)> {
        let base = self.items.len();
        let tight = loop {
            while let Some(w) = self.sign() {
                let at = self.pos;
                self.pos += w;
                self.sign_seen();
                self.items.push(Item::Neg(self.span(at, at + w)));
                self.skip();
            }
            let (e, d, tight) = self.primary()?;
            self.items.push(Item::Prim(e, d));
            self.skip();
            let Some((op, w)) = self.infix() else {
                break tight;
            };
            if op == BinOp::Sub {
                self.sign_seen();
            } else {
                self.reset_signs();
            }
            self.pos += w;
            self.items.push(Item::Op(op));
            self.skip();
        };
        // One primary alone: nothing to fold.
        if self.items.len() == base + 1 {
            if let Some(Item::Prim(e, d)) = self.items.pop() {
                return Some((e, d, tight));
            }
        }
        let mut items = std::mem::take(&mut self.items);
        let (e, d) = self.fold(&mut items, base);
        self.items = items;
        Some((e, d, tight))
    }

    /// `Builder::arith` after parsing: the limits on powers and on signs in a row,
    /// then pest's Pratt parser over the items above `base`.
    fn fold(&mut self, items: &mut Vec<Item>, base: usize) -> (Expr, usize) {
        let (mut pows, mut run, mut signs) = (0usize, 0usize, 0usize);
        for item in items.get(base..).unwrap_or(&[]) {
            match item {
                Item::Op(BinOp::Pow) => {
                    pows += 1;
                    run = 0;
                }
                Item::Neg(_) => {
                    run += 1;
                    signs = signs.max(run);
                }
                _ => run = 0,
            }
        }
        if pows > MAX_DEPTH || signs > MAX_DEPTH {
            self.bad = true;
            items.truncate(base);
            return (dummy_expr(), 1);
        }
        let mut it = items.drain(base..).peekable();
        let mut pratt = Pratt { bad: false };
        let r = pratt.expr(&mut it, 0);
        if pratt.bad || it.next().is_some() {
            self.bad = true;
        }
        r
    }

    /// `deeper` of the builder: a node deeper than `MAX_DEPTH` is an error.
    fn deeper(&mut self, e: Expr, depth: usize) -> (Expr, usize) {
        if depth > MAX_DEPTH {
            self.bad = true;
        }
        (e, depth)
    }

    // ---- declarations ----------------------------------------------------------

    /// `file = { SOI ~ decl* ~ EOI }`
    fn file(&mut self, capacity: usize) -> Option<Vec<Decl>> {
        let mut decls = Vec::with_capacity(capacity);
        self.skip();
        while self.pos < self.b.len() {
            self.decl(&mut decls)?;
            if self.bad {
                return None;
            }
            self.skip();
        }
        Some(decls)
    }

    /// `decl = _{ let_decl | source_decl | dimension_decl | unit_decl | expect_decl | block_decl }`.
    /// Each alternative but the last begins with its keyword, which no other can
    /// begin with, so the keyword picks the one alternative that can match.
    /// The declaration is pushed onto `out` (declarations are large: this saves
    /// copying them), as are those of the functions below.
    fn decl(&mut self, out: &mut Vec<Decl>) -> Option<()> {
        match self.here() {
            Some(b'l') if self.kw("let") => self.let_decl(out),
            Some(b's') if self.kw("source") => self.source_decl(out),
            Some(b'd') if self.kw("dimension") => self.dimension_decl(out),
            Some(b'u') if self.kw("unit") => self.unit_decl(out),
            Some(b'e') if self.kw("expect") => self.expect_decl(out),
            _ => self.block_decl(out),
        }
    }

    /// `let_decl = { kw_let ~ ident ~ "=" ~ expr ~ parts_clause? ~ provenance ~ also_clause* ~ ";"? }`
    fn let_decl(&mut self, out: &mut Vec<Decl>) -> Option<()> {
        let start = self.pos;
        self.pos += "let".len();
        self.skip();
        let name = self.ident()?;
        self.skip();
        if self.here() != Some(b'=') {
            return None;
        }
        self.pos += 1;
        self.skip();
        let (expr, _, tight) = self.expr()?;
        let (stmts, prov, tight) = self.statements(tight)?;
        out.push(Decl::Let(Box::new(LetDecl {
            name,
            expr,
            stmts,
            prov,
            span: self.span(start, tight),
        })));
        Some(())
    }

    /// The tail of `let_decl` and `field`:
    /// `parts_clause? ~ provenance ~ also_clause* ~ ";"?` with
    /// `parts_clause = { kw_parts ~ expr }` and `also_clause = { kw_also ~ expr ~ provenance }`,
    /// as `Builder::statements`. `tight` is the tight end so far; returns the new one.
    fn statements(&mut self, mut tight: usize) -> Option<(Statements, Provenance, usize)> {
        let mut stmts = Statements::default();
        self.skip();
        if self.kw("parts") {
            self.pos += "parts".len();
            self.skip();
            let (e, _, t) = self.expr()?;
            stmts.parts = Some(Box::new(e));
            tight = t;
            self.skip();
        }
        let (prov, t) = self.provenance()?;
        tight = t.unwrap_or(tight);
        loop {
            self.skip();
            if !self.kw("also") {
                break;
            }
            self.pos += "also".len();
            self.skip();
            let (e, _, t) = self.expr()?;
            tight = t;
            self.skip();
            let (p, t) = self.provenance()?;
            tight = t.unwrap_or(tight);
            stmts.also.push((e, p));
        }
        self.skip();
        self.semicolon();
        Some((stmts, prov, tight))
    }

    /// `provenance = { (from_clause | assumed_clause | allow_clause)* }`, as
    /// `Builder::provenance`, with the tight end of its last clause if any.
    fn provenance(&mut self) -> Option<(Provenance, Option<usize>)> {
        let mut prov = Provenance::default();
        let mut tight = None;
        loop {
            self.skip();
            if self.kw("from") {
                tight = Some(self.citations(&mut prov.from)?);
            } else if self.kw("assumed") {
                // assumed_clause = { kw_assumed ~ string }
                self.pos += "assumed".len();
                self.skip();
                let (s, sp, t) = self.string()?;
                prov.assumed = Some(Box::new((s, sp)));
                tight = Some(t);
            } else if self.kw("allow") {
                let (a, t) = self.allow_clause()?;
                prov.allow.push(a);
                tight = Some(t);
            } else {
                return Some((prov, tight));
            }
        }
    }

    /// `from_clause = { kw_from ~ citation ~ ("," ~ citation)* }` (named `citations`
    /// here, as clippy reserves `from_*`) with
    /// `citation = _{ ident | string }`. Returns the tight end.
    fn citations(&mut self, out: &mut smallvec::SmallVec<[Citation; 1]>) -> Option<usize> {
        self.pos += "from".len();
        let base = self.citations.len();
        let tight = loop {
            self.skip();
            let tight = if let Some(id) = self.ident() {
                let end = self.pos;
                self.citations.push(Citation::Name(id));
                end
            } else {
                let (s, sp, t) = self.string()?;
                self.citations.push(Citation::Text(s, sp));
                t
            };
            let before = self.pos;
            self.skip();
            if self.here() == Some(b',') {
                self.pos += 1;
            } else {
                self.pos = before;
                break tight;
            }
        };
        out.extend(self.citations.drain(base..));
        Some(tight)
    }

    /// `allow_clause = { kw_allow ~ ident ~ string }`, with its tight end.
    fn allow_clause(&mut self) -> Option<(Allow, usize)> {
        self.pos += "allow".len();
        self.skip();
        let code = self.ident()?;
        self.skip();
        let (reason, _, tight) = self.string()?;
        Some((Allow { code, reason }, tight))
    }

    /// `source_decl = { kw_source ~ ident ~ string ~ ";"? }`
    fn source_decl(&mut self, out: &mut Vec<Decl>) -> Option<()> {
        let start = self.pos;
        self.pos += "source".len();
        self.skip();
        let name = self.ident()?;
        self.skip();
        let (text, _, _) = self.string()?;
        let end = self.end_of_rule();
        out.push(Decl::Source(Box::new(SourceDecl {
            name,
            text,
            span: self.span(start, end),
        })));
        Some(())
    }

    /// `dimension_decl = { kw_dimension ~ ident ~ string? ~ ("display" ~ unit_atom)? ~ ";"? }`
    fn dimension_decl(&mut self, out: &mut Vec<Decl>) -> Option<()> {
        let start = self.pos;
        self.pos += "dimension".len();
        self.skip();
        let name = self.ident()?;
        self.skip();
        let mut description = None;
        if self.here() == Some(b'"') {
            description = Some(self.string()?.0);
            self.skip();
        }
        let mut display = None;
        if self.starts("display") {
            let before = self.pos;
            self.pos += "display".len();
            self.skip();
            match self.unit_atom() {
                Some((s, e)) => {
                    display = Some(Ident {
                        name: self.slice(s, e).into(),
                        span: self.span(s, e),
                    })
                }
                None => self.pos = before,
            }
        }
        self.skip();
        let override_reason = self.override_clause()?;
        let end = self.end_of_rule();
        out.push(Decl::Dimension(Box::new(DimensionDecl {
            name,
            description,
            display,
            override_reason,
            span: self.span(start, end),
        })));
        Some(())
    }

    /// `override_clause = { kw_override ~ string }`, optional: `Some(None)` when absent,
    /// `None` (give up) when the keyword is not followed by a string.
    fn override_clause(&mut self) -> Option<Option<(String, Span)>> {
        if !self.kw("override") {
            return Some(None);
        }
        self.pos += "override".len();
        self.skip();
        let (text, span, _) = self.string()?;
        Some(Some((text, span)))
    }

    /// `unit_decl = { kw_unit ~ unit_atom ~ (unit_base | unit_alias) ~ prefixes? ~ override_clause? ~ provenance ~ ";"? }`
    /// with `unit_base = { ":" ~ ident }`, `unit_alias = { "=" ~ quantity_or_unit }`
    /// and `prefixes = { kw_prefixes ~ ident }`.
    fn unit_decl(&mut self, out: &mut Vec<Decl>) -> Option<()> {
        let start = self.pos;
        self.pos += "unit".len();
        self.skip();
        let (s, e) = self.unit_atom()?;
        let name = Ident {
            name: self.slice(s, e).into(),
            span: self.span(s, e),
        };
        self.skip();
        let def = match self.here() {
            Some(b':') => {
                self.pos += 1;
                self.skip();
                UnitDef::Base(self.ident()?)
            }
            Some(b'=') => {
                self.pos += 1;
                self.skip();
                UnitDef::Alias(self.quantity_or_unit()?)
            }
            _ => return None,
        };
        self.skip();
        let mut prefixes = None;
        if self.kw("prefixes") {
            self.pos += "prefixes".len();
            self.skip();
            prefixes = Some(self.ident()?);
        }
        self.skip();
        let override_reason = self.override_clause()?;
        self.skip();
        let (prov, _) = self.provenance()?;
        let end = self.end_of_rule();
        out.push(Decl::Unit(Box::new(UnitDecl {
            name,
            def,
            prefixes,
            override_reason,
            prov,
            span: self.span(start, end),
        })));
        Some(())
    }

    /// `expect_decl = { kw_expect ~ (ident ~ ":")? ~ expr ~ "==" ~ expr ~ kw_within ~ expr
    ///   ~ known_clause? ~ provenance ~ ";"? }` with `known_clause = { kw_known ~ string }`
    fn expect_decl(&mut self, out: &mut Vec<Decl>) -> Option<()> {
        let start = self.pos;
        self.pos += "expect".len();
        self.skip();
        let mut name = None;
        let before = self.pos;
        if let Some(id) = self.ident() {
            self.skip();
            if self.here() == Some(b':') {
                self.pos += 1;
                name = Some(id);
            } else {
                self.pos = before;
            }
        }
        self.skip();
        let (actual, _, _) = self.expr()?;
        self.skip();
        if !self.starts("==") {
            return None;
        }
        self.pos += 2;
        self.skip();
        let (published, _, _) = self.expr()?;
        self.skip();
        if !self.kw("within") {
            return None;
        }
        self.pos += "within".len();
        self.skip();
        let (tolerance, _, mut tight) = self.expr()?;
        self.skip();
        let mut known = None;
        if self.kw("known") {
            self.pos += "known".len();
            self.skip();
            let (s, sp, t) = self.string()?;
            known = Some((s, sp));
            tight = t;
            self.skip();
        }
        let (prov, t) = self.provenance()?;
        tight = t.unwrap_or(tight);
        self.skip();
        self.semicolon();
        out.push(Decl::Expect(Box::new(ExpectDecl {
            name,
            actual,
            published,
            tolerance,
            known,
            prov,
            span: self.span(start, tight),
        })));
        Some(())
    }

    /// `block_decl = { ident ~ block_name? ~ "{" ~ (block_allow | field)* ~ "}" ~ ";"? }`
    /// with `block_name = _{ ident | string }` and `block_allow = _{ allow_clause ~ ";"? }`.
    fn block_decl(&mut self, out: &mut Vec<Decl>) -> Option<()> {
        let start = self.pos;
        let kind = self.ident()?;
        self.skip();
        let mut name = None;
        let mut title = None;
        if let Some(id) = self.ident() {
            name = Some(id);
        } else if self.here() == Some(b'"') {
            let (s, sp, _) = self.string()?;
            title = Some((s, sp));
        }
        self.skip();
        if self.here() != Some(b'{') {
            return None;
        }
        self.pos += 1;
        self.open();
        let base = self.fields.len();
        let mut allows = Vec::new();
        loop {
            self.skip();
            if self.here() == Some(b'}') {
                break;
            }
            if self.kw("allow") {
                allows.push(self.allow_clause()?.0);
                self.skip();
                self.semicolon();
            } else {
                self.field()?;
            }
        }
        let fields: Vec<Field> = self.fields.drain(base..).collect();
        self.pos += 1;
        self.close();
        let end = self.end_of_rule();
        out.push(Decl::Block(Box::new(BlockDecl {
            kind,
            name,
            title,
            fields,
            allows,
            span: self.span(start, end),
        })));
        Some(())
    }

    /// `field = { ident ~ (string | expr) ~ parts_clause? ~ provenance ~ also_clause* ~ ";"? }`,
    /// pushed onto `self.fields` (fields are large: this saves copying them).
    fn field(&mut self) -> Option<()> {
        let start = self.pos;
        let name = self.ident()?;
        self.skip();
        let (value, tight) = if self.here() == Some(b'"') {
            let (s, sp, t) = self.string()?;
            (FieldValue::Text(s, sp), t)
        } else if let Some(v) = self.notation()? {
            v
        } else {
            let (e, _, t) = self.expr()?;
            (FieldValue::Expr(e), t)
        };
        let (stmts, prov, tight) = self.statements(tight)?;
        let span = self.span(start, tight);
        self.fields.push(Field {
            name,
            value,
            stmts: stmts.boxed(),
            prov,
            span,
        });
        Some(())
    }
}

impl Parser<'_> {
    /// `notation = { notation_key ~ string }` with
    /// `notation_key = @{ ("NE" | "NO" | "IE" | "NA") ~ !ident_char }`, tried
    /// before `string | expr`: `Some(None)` (nothing consumed) where it does not
    /// match, so that the key is read as a name; `None` to give up.
    fn notation(&mut self) -> Option<Option<(FieldValue, usize)>> {
        if !matches!(self.here(), Some(b'N' | b'I')) {
            return Some(None);
        }
        let Some(key) = NotationKey::ALL.into_iter().find(|k| self.kw(k.word())) else {
            return Some(None);
        };
        let start = self.pos;
        self.pos += 2;
        self.skip();
        if self.here() != Some(b'"') {
            self.pos = start;
            return Some(None);
        }
        let (reason, sp, tight) = self.string()?;
        let span = self.span(start, sp.end as usize);
        Some(Some((
            FieldValue::Notation(Box::new(Notation { key, reason, span })),
            tight,
        )))
    }
}

/// pest's `PrattParser` (`expr`, `nud`, `led`, `lbp`) with the builder's operator
/// table and its `map_prefix`/`map_infix`, over the items of one `arith`.
struct Pratt {
    bad: bool,
}

type Items<'v> = std::iter::Peekable<std::vec::Drain<'v, Item>>;

impl Pratt {
    fn expr(&mut self, it: &mut Items, rbp: u32) -> (Expr, usize) {
        let mut lhs = self.nud(it);
        while !self.bad && rbp < self.lbp(it) {
            lhs = self.led(it, lhs);
        }
        lhs
    }

    fn nud(&mut self, it: &mut Items) -> (Expr, usize) {
        match it.next() {
            Some(Item::Prim(e, d)) => (e, d),
            Some(Item::Neg(op)) => {
                let (rhs, d) = self.expr(it, PREC_NEG - 1);
                let span = op.to(rhs.span);
                self.deeper(
                    Expr {
                        kind: ExprKind::Neg(Box::new(rhs)),
                        span,
                    },
                    d + 1,
                )
            }
            _ => {
                self.bad = true;
                (dummy_expr(), 1)
            }
        }
    }

    fn lbp(&mut self, it: &mut Items) -> u32 {
        match it.peek() {
            None => 0,
            Some(Item::Op(op)) => prec(*op),
            Some(_) => {
                self.bad = true;
                0
            }
        }
    }

    fn led(&mut self, it: &mut Items, lhs: (Expr, usize)) -> (Expr, usize) {
        let Some(Item::Op(op)) = it.next() else {
            self.bad = true;
            return lhs;
        };
        let p = prec(op);
        let (rhs, dr) = self.expr(it, if op == BinOp::Pow { p - 1 } else { p });
        let (e, d) = Expr::binary(op, lhs, (rhs, dr));
        self.deeper(e, d)
    }

    fn deeper(&mut self, e: Expr, depth: usize) -> (Expr, usize) {
        if depth > MAX_DEPTH {
            self.bad = true;
        }
        (e, depth)
    }
}

fn prec(op: BinOp) -> u32 {
    match op {
        BinOp::Add | BinOp::Sub => PREC_ADD,
        BinOp::Mul | BinOp::Div => PREC_MUL,
        BinOp::Pow => PREC_POW,
    }
}
