//! The fast path of stage 1: a hand-written byte-level parser for the language of
//! `grammar/carbon.pest` that builds the AST directly, with no pest pairs.
//!
//! The pest grammar stays the definition of the language and the source of every
//! syntax error. This parser never reports anything: it returns the AST only when
//! the input parses, pest would parse it the same way, and the builder in `build.rs`
//! would build the very same AST without a diagnostic. On anything else it gives
//! up, and the pest path runs and reports what is wrong.
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
//! and carries on; a parse with `bad` set is [`Fast::Diagnosed`]. So the fast path runs
//! first, without the prepass; only when it gives up do the prepass and pest run.
//!
//! Spans are the builder's: nodes span their tokens, `source`, `dimension`, `unit`
//! and block declarations also the blanks and comments after them (to a `;`
//! that ends them), and `let`, `expect`, fields and `expr to unit` end by the
//! rule of `span.rs`, which both builders call.
//!
//! The functions are split by job: tokens and the parser's state here, units and
//! expressions in `expr.rs`, declarations in `decl.rs`.

use super::ast::*;
use super::keywords::is_keyword;
use super::span;
use super::tokens::{number_precision, number_value, parse_power, unescape};
use super::{MAX_DEPTH, MAX_UNIT_FACTORS};

mod decl;
mod expr;
use crate::number::Rat;
use crate::source::{SourceId, Span};
use std::sync::Arc;

/// What the fast path made of a file.
pub(super) enum Fast {
    /// The declarations, as the pest path would build them, without a word.
    Parsed(Vec<Decl>),
    /// The grammar matches, but the pest path has something to report (a limit,
    /// an overflowing number, a zero denominator, a bad exponent).
    Diagnosed,
    /// Not sure the grammar matches: a syntax error, or a case not worth
    /// following pest in.
    GaveUp,
}

/// Parses a whole file: [`Fast::Parsed`] only when the prepass would find
/// nothing and the pest path would build the same declarations with no
/// diagnostic. It needs no prepass: it enforces the prepass's limits itself.
///
/// A large file is parsed in two halves on two threads, cut near its middle at the
/// start of a line that follows a line ending in `}` (see [`find_cut`]). The cut
/// is right when the first half ends with a block declaration: after the `}` of a
/// block (and the blanks and comments after it) the grammar accepts only `;` or
/// the next declaration, and the cut falls on a letter, so a parse of the whole
/// file makes the same steps up to the cut and starts a declaration there, where
/// the second half starts. Otherwise the file is parsed again in one piece.
pub(super) fn parse_file(src: SourceId, text: &str) -> Fast {
    // Room for a declaration every 128 bytes, a little more than W(N) writes.
    let capacity = text.len() / 128 + 16;
    let Some(cut) = find_cut(text) else {
        return parse_range(src, text, 0, text.len(), capacity);
    };
    let (first, second) = crate::par::join(
        || parse_range(src, text, 0, cut, capacity),
        || parse_range(src, text, cut, text.len(), capacity / 2),
    );
    match (first, second) {
        (Fast::Parsed(mut first), Fast::Parsed(second)) if matches!(first.last(), Some(Decl::Block(_))) => {
            first.extend(second);
            Fast::Parsed(first)
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
    let Fast::Parsed(decls) = parse_range(src, text, start, end, (end - start) / 128 + 16) else {
        return None;
    };
    (end >= text.len() || matches!(decls.last(), Some(Decl::Block(_)))).then_some(decls)
}

/// Parses the declarations in `text[start..end]` (`end` at the end of the text or
/// at a cut), with spans in the whole text.
fn parse_range(src: SourceId, text: &str, start: usize, end: usize, decls: usize) -> Fast {
    let Some(text) = text.get(..end) else {
        return Fast::GaveUp;
    };
    let mut p = Parser::new(src, text);
    p.pos = start;
    match p.file(decls) {
        Some(decls) if !p.bad => Fast::Parsed(decls),
        Some(_) => Fast::Diagnosed,
        None => Fast::GaveUp,
    }
}

/// Parses a lone expression (`expr_only = { SOI ~ expr ~ EOI }`).
pub(super) fn parse_expr(src: SourceId, text: &str) -> Option<Expr> {
    let mut p = Parser::new(src, text);
    p.skip();
    let (e, _) = p.expr()?;
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
    /// Returns the unescaped text and the span with the quotes.
    fn string(&mut self) -> Option<(String, Span)> {
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
        Some((text, self.span(start, i + 1)))
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
}
