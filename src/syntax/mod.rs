//! Stage 1: source text → AST. First the fast path (`fast.rs`, a hand-written
//! parser of the same grammar) builds the AST directly when the input is valid and
//! within every limit. When it is not sure, it gives up without a word, and the
//! pest path runs: a cheap lexical pre-pass reports unterminated strings and
//! comments and enforces the nesting limits before pest recurses; pest parses; one
//! `build_*` function per grammar rule turns pairs into the AST, and the pairs are
//! dropped. The pre-pass, pest and the builder report every syntax error.

pub mod ast;
mod fast;
mod hints;
pub mod keywords;
pub use hints::know_units;

use crate::diag::Diag;
use crate::number::Rat;
use crate::source::{SourceId, Span};
use ast::*;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest::Parser;
use std::sync::Arc;
use std::sync::LazyLock;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/carbon.pest"]
struct CarbonParser;

/// Deepest allowed nesting of parentheses, braces and expression operators.
pub const MAX_DEPTH: usize = 256;
/// Factors in one written unit (`t*t*t…`).
pub const MAX_UNIT_FACTORS: usize = 64;
/// Syntax errors reported per source before recovery stops. Each error pest
/// reports costs a scan of the rest of the file (it finds the error's line from
/// the end of its input), so this keeps the parse linear; when it stops, an
/// advice says so (`diag::RECOVERY_STOPPED`) and the summary line says there may
/// be more.
pub const MAX_SYNTAX_ERRORS: usize = 50;

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
        .op(Op::infix(Rule::mul, Assoc::Left) | Op::infix(Rule::div, Assoc::Left))
        .op(Op::prefix(Rule::neg))
        .op(Op::infix(Rule::pow, Assoc::Right))
});

/// The result of parsing one source: the declarations that parsed, and every
/// syntax error found.
pub struct Parsed {
    pub file: File,
    pub diags: Vec<Diag>,
    /// True when the only error is that the input ended too early (the REPL keeps
    /// reading then).
    pub incomplete: bool,
}

pub fn parse(src: SourceId, text: &str) -> Parsed {
    parse_with(src, text, true)
}

/// The pest path alone, without the fast path: the reference the fast path is
/// tested against (tests/parse_diff.rs).
#[doc(hidden)]
pub fn parse_pest_only(src: SourceId, text: &str) -> Parsed {
    parse_with(src, text, false)
}

/// The fast path alone: `Some` exactly when it parsed the file, and then `parse`
/// returns these declarations and no diagnostic.
#[doc(hidden)]
pub fn parse_fast_only(src: SourceId, text: &str) -> Option<Vec<Decl>> {
    fast::parse_file(src, text)
}

/// Where to cut a file into pieces of about `piece` bytes for [`parse_piece`].
pub fn pieces(text: &str, piece: usize) -> Vec<(usize, usize)> {
    fast::pieces(text, piece)
}

/// The fast path on one piece of [`pieces`] (any order, any thread): `None` when it
/// gives up, and then every piece is to be discarded and the file parsed with
/// [`parse`], which reports every error.
pub fn parse_piece(src: SourceId, text: &str, start: usize, end: usize) -> Option<Vec<Decl>> {
    fast::parse_piece(src, text, start, end)
}

/// The pieces in order, each handed to `send` as soon as it is parsed. False when
/// a piece gives up or `send` refuses one.
pub fn parse_stream(src: SourceId, text: &str, piece: usize, send: &mut dyn FnMut(Vec<Decl>) -> bool) -> bool {
    pieces(text, piece)
        .into_iter()
        .all(|(start, end)| parse_piece(src, text, start, end).is_some_and(&mut *send))
}

/// [`parse_stream`] collected: `Some` exactly when it parsed every piece
/// (tests/parse_diff.rs compares it with the other paths).
#[doc(hidden)]
pub fn parse_stream_only(src: SourceId, text: &str, piece: usize) -> Option<Vec<Decl>> {
    let mut all = Vec::new();
    parse_stream(src, text, piece, &mut |d| {
        all.extend(d);
        true
    })
    .then_some(all)
}

/// The fast path (when `fast`), which either builds the whole AST or gives up
/// without a word; if it gave up, the prepass, pest and the builder, which report
/// every error.
fn parse_with(src: SourceId, text: &str, fast: bool) -> Parsed {
    if fast {
        if let Some(decls) = fast::parse_file(src, text) {
            return Parsed {
                file: File { src, decls },
                diags: Vec::new(),
                incomplete: false,
            };
        }
    }
    let mut diags = Vec::new();
    let pre = prepass(src, text, &mut diags);
    if !diags.is_empty() {
        let incomplete = pre.incomplete && diags.len() == 1;
        return Parsed {
            file: File { src, decls: Vec::new() },
            diags,
            incomplete,
        };
    }
    if let Some(parsed) = parse_in_chunks(src, text, &pre.split_points) {
        return parsed;
    }
    parse_whole(src, text, &pre, diags)
}

/// One pest parse of the whole file, and after a syntax error, of the rest of it
/// from the next declaration.
fn parse_whole(src: SourceId, text: &str, pre: &Prepass, mut diags: Vec<Diag>) -> Parsed {
    let mut decls = Vec::new();
    let mut start = 0usize;
    let mut incomplete = false;
    let starts = &pre.decl_starts;
    set_call_budget(text.len());
    loop {
        let chunk = &text[start..];
        match CarbonParser::parse(Rule::file, chunk) {
            Ok(mut pairs) => {
                // The grammar's `file` rule always yields exactly one pair.
                let file = pairs.next().expect("file rule yields one pair");
                for p in file.into_inner() {
                    if p.as_rule() == Rule::EOI {
                        continue;
                    }
                    let b = Builder { src, offset: start };
                    match b.decl(p) {
                        Ok(d) => decls.push(d),
                        Err(d) => diags.push(d),
                    }
                }
                break;
            }
            Err(e) => {
                let (d, at_end) = syntax_error(src, text, start, &e);
                incomplete = at_end;
                diags.push(d);
                // Recover: parse again from the next top-level declaration after
                // the error. Declarations before it are parsed from `start` again.
                // The declarations' starts are in order: the next is found by
                // bisection.
                let err_pos = start + error_offset(&e);
                let after_err = starts.partition_point(|&s| s <= err_pos);
                if diags.len() >= MAX_SYNTAX_ERRORS {
                    if let Some(&next) = starts.get(after_err) {
                        diags.push(recovery_stopped(src, next, diags.len()));
                    }
                    break;
                }
                let good_end = after_err.checked_sub(1).map(|i| starts[i]).filter(|&s| s > start);
                // Re-parse the prefix that precedes the failing declaration.
                if let Some(end) = good_end {
                    if let Ok(mut pairs) = CarbonParser::parse(Rule::file, &text[start..end]) {
                        let file = pairs.next().expect("file rule yields one pair");
                        for p in file.into_inner() {
                            if p.as_rule() == Rule::EOI {
                                continue;
                            }
                            let b = Builder { src, offset: start };
                            match b.decl(p) {
                                Ok(d) => decls.push(d),
                                Err(d) => diags.push(d),
                            }
                        }
                    }
                }
                match starts.get(after_err) {
                    Some(&next) => start = next,
                    None => break,
                }
            }
        }
    }
    Parsed {
        file: File { src, decls },
        diags,
        incomplete,
    }
}

/// The advice that syntax error recovery stopped at `at`, after `errors`.
fn recovery_stopped(src: SourceId, at: usize, errors: usize) -> Diag {
    Diag {
        severity: crate::diag::Severity::Advice,
        ..Diag::error(
            crate::diag::RECOVERY_STOPPED,
            format!("syntax error recovery stopped after {errors} errors: the rest of the file was not checked"),
        )
    }
    .at(Span::new(src, at, at), "not checked from here on")
    .help("fix the errors above and check again: there may be more")
}

/// Bytes of source per pest call when a large file is parsed in pieces.
const CHUNK_BYTES: usize = 64 * 1024;

/// Parses a large file in pieces of about [`CHUNK_BYTES`], cut where a top-level
/// block has just closed (`split_points`), on two threads. Pest's token queue then
/// stays small and is reused, instead of growing to hundreds of megabytes of fresh
/// memory.
///
/// After a block's `}` the grammar accepts only `;` or the next declaration, and
/// neither the `;` nor any continuation of a declaration can begin a declaration
/// on its own. So when every piece parses, the declarations are those of one
/// parse of the whole file, in the same order. When any piece fails, this returns
/// `None` and the file is parsed whole, with the usual error recovery. Every piece
/// is at least `CHUNK_BYTES` long and gets a budget of `CHUNK_BYTES` × 1000
/// calls, no more than its share of the whole file's budget, so a piece cannot
/// pass where the whole file would exhaust it.
fn parse_in_chunks(src: SourceId, text: &str, splits: &[usize]) -> Option<Parsed> {
    if text.len() < 2 * CHUNK_BYTES || splits.is_empty() {
        return None;
    }
    let mut cuts = vec![0usize];
    for &s in splits {
        if s - cuts[cuts.len() - 1] >= CHUNK_BYTES && text.len() - s >= CHUNK_BYTES {
            cuts.push(s);
        }
    }
    cuts.push(text.len());
    let pieces: Vec<(usize, usize)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
    pest::set_call_limit(std::num::NonZeroUsize::new(CHUNK_BYTES * 1000));
    let parse_pieces = |pieces: &[(usize, usize)]| -> Option<(Vec<Decl>, Vec<Diag>)> {
        let mut decls = Vec::new();
        let mut diags = Vec::new();
        for &(start, end) in pieces {
            let mut pairs = CarbonParser::parse(Rule::file, &text[start..end]).ok()?;
            let file = pairs.next().expect("file rule yields one pair");
            let b = Builder { src, offset: start };
            for p in file.into_inner() {
                if p.as_rule() == Rule::EOI {
                    continue;
                }
                match b.decl(p) {
                    Ok(d) => decls.push(d),
                    Err(d) => diags.push(d),
                }
            }
        }
        Some((decls, diags))
    };
    // Two halves: this thread parses the first while another parses the second.
    let (first, second) = pieces.split_at(pieces.len() / 2);
    let (a, b) = crate::par::join(|| parse_pieces(first), || parse_pieces(second));
    let ((mut decls, mut diags), (d2, g2)) = (a?, b?);
    decls.extend(d2);
    diags.extend(g2);
    Some(Parsed {
        file: File { src, decls },
        diags,
        incomplete: false,
    })
}

/// Parses a single expression (for the REPL and for tests).
pub fn parse_expr(src: SourceId, text: &str) -> Result<Expr, Parsed> {
    parse_expr_with(src, text, true)
}

/// `parse_expr` without the fast path (for tests/parse_diff.rs).
#[doc(hidden)]
pub fn parse_expr_pest_only(src: SourceId, text: &str) -> Result<Expr, Parsed> {
    parse_expr_with(src, text, false)
}

/// The fast path of `parse_expr` alone.
#[doc(hidden)]
pub fn parse_expr_fast_only(src: SourceId, text: &str) -> Option<Expr> {
    fast::parse_expr(src, text)
}

fn parse_expr_with(src: SourceId, text: &str, fast: bool) -> Result<Expr, Parsed> {
    if fast {
        if let Some(e) = fast::parse_expr(src, text) {
            return Ok(e);
        }
    }
    let mut diags = Vec::new();
    let pre = prepass(src, text, &mut diags);
    if !diags.is_empty() {
        return Err(Parsed {
            file: File { src, decls: Vec::new() },
            incomplete: pre.incomplete && diags.len() == 1,
            diags,
        });
    }
    set_call_budget(text.len());
    match CarbonParser::parse(Rule::expr_only, text) {
        Ok(mut pairs) => {
            let p = pairs.next().expect("expr_only yields one pair");
            let inner = p.into_inner().next().expect("expr_only holds an expr");
            let b = Builder { src, offset: 0 };
            b.expr(inner).map_err(|d| Parsed {
                file: File { src, decls: Vec::new() },
                diags: vec![d],
                incomplete: false,
            })
        }
        Err(e) => {
            let (d, at_end) = syntax_error(src, text, 0, &e);
            Err(Parsed {
                file: File { src, decls: Vec::new() },
                diags: vec![d],
                incomplete: at_end,
            })
        }
    }
}

/// Pest's budget of rule calls, scaled to the input: linear input needs a few
/// dozen calls a byte; pathological backtracking is stopped long before it hangs.
fn set_call_budget(len: usize) {
    pest::set_call_limit(std::num::NonZeroUsize::new(
        len.saturating_mul(1000).saturating_add(1_000_000),
    ));
}

fn error_offset(e: &pest::error::Error<Rule>) -> usize {
    match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    }
}

/// Words a modeler knows for each grammar rule.
fn rule_words(r: Rule) -> &'static str {
    match r {
        Rule::EOI => "the end of the file",
        Rule::file | Rule::decl => "a declaration",
        Rule::let_decl | Rule::kw_let => "`let`",
        Rule::source_decl | Rule::kw_source => "`source`",
        Rule::dimension_decl | Rule::kw_dimension => "`dimension`",
        Rule::unit_decl | Rule::kw_unit => "`unit`",
        Rule::unit_base | Rule::unit_alias => "`:` or `=` and the unit's definition",
        Rule::block_decl => "a declaration",
        Rule::block_name => "a name",
        Rule::field => "a field (a name and its value)",
        Rule::provenance | Rule::from_clause | Rule::kw_from => "`from` and a source",
        Rule::assumed_clause | Rule::kw_assumed => "`assumed \"reason\"`",
        Rule::expr | Rule::expr_only | Rule::arith | Rule::primary | Rule::paren => "an expression",
        Rule::quantity | Rule::ratio | Rule::number => "a number",
        Rule::path | Rule::ident => "a name",
        Rule::unit_expr
        | Rule::unit_factor
        | Rule::unit_atom
        | Rule::unit_group
        | Rule::unit_target
        | Rule::quantity_or_unit => "a unit",
        Rule::unit_power => "an exponent",
        Rule::unit_op => "`/` or `*` between units",
        Rule::add | Rule::sub | Rule::mul | Rule::div | Rule::pow => "an operator",
        Rule::neg => "`-`",
        Rule::string | Rule::string_inner => "a quoted string",
        // A notation key is read where a value is: the words stay those of before.
        Rule::notation | Rule::notation_key => "an expression",
        Rule::prefixes | Rule::kw_prefixes => "`prefixes`",
        Rule::kw_to => "`to`",
        Rule::parts_clause | Rule::kw_parts => "`parts`",
        Rule::also_clause | Rule::kw_also => "`also`",
        Rule::allow_clause | Rule::kw_allow => "`allow`",
        Rule::expect_decl | Rule::kw_expect => "`expect`",
        Rule::known_clause | Rule::kw_known => "`known \"reason\"`",
        Rule::kw_within => "`within`",
        _ => "something else",
    }
}

fn syntax_error(src: SourceId, text: &str, offset: usize, e: &pest::error::Error<Rule>) -> (Diag, bool) {
    let pos = offset + error_offset(e);
    if let ErrorVariant::CustomError { message } = &e.variant {
        if message.contains("limit reached") {
            let d = Diag::error("carbon::limits::complexity", "the input is too complex to parse")
                .at(Span::new(src, pos, pos), format!("parsing stopped here ({message})"))
                .help("simplify or split the declaration near this point; carbon bounds the work the parser may do per byte of input");
            return (d, false);
        }
    }
    let at_end = text[pos..].trim().is_empty();
    let mut expected: Vec<&'static str> = Vec::new();
    if let ErrorVariant::ParsingError { positives, .. } = &e.variant {
        for r in positives {
            let w = rule_words(*r);
            if !expected.contains(&w) {
                expected.push(w);
            }
        }
    }
    let expected_text = match expected.len() {
        0 => String::new(),
        1 => expected[0].to_string(),
        n => format!("{} or {}", expected[..n - 1].join(", "), expected[n - 1]),
    };
    let found = found_token(&text[pos..]);
    let (message, span) = if at_end {
        (
            "unexpected end of input".to_string(),
            Span::new(src, text.len(), text.len()),
        )
    } else {
        (
            format!("unexpected {found}"),
            Span::new(src, pos, pos + found_len(&text[pos..])),
        )
    };
    let label = if expected_text.is_empty() {
        "not expected here".to_string()
    } else {
        format!("expected {expected_text}")
    };
    // A keyword left without its argument: point at the keyword.
    if let Some((at, word)) = previous_word(text, pos) {
        let what = match word {
            "assumed" => Some("`assumed` needs a reason in quotes: `assumed \"why this value\"`"),
            "from" => Some("`from` needs a source name or a quoted citation: `from paper` or `from \"Table 2\"`"),
            _ => None,
        };
        if let Some(what) = what {
            let d = Diag::error("carbon::syntax", format!("`{word}` without its argument"))
                .at(Span::new(src, at, at + word.len()), what.to_string());
            return (d, false);
        }
        // A notation key and its reason where no field value is expected (`let x = NE "…"`).
        if let (Some(k), true) = (NotationKey::from_word(word), text[pos..].starts_with('"')) {
            let d = Diag::error(
                "carbon::syntax::notation_key",
                format!("the notation key {} ({}) is not a value here", k.word(), k.meaning()),
            )
            .at(Span::new(src, at, string_end(text, pos)), "a notation key and its reason")
            .help(format!(
                "a notation key stands for a declaration's figure, as a field value: `emission road {{ amount {} \"reason\" }}`; it is not a value that a `let` or an expression can hold",
                k.word()
            ));
            return (d, false);
        }
    }
    // A word after a quantity's unit (`1 tCO2 e`, `3 m2 m`): pest fails further on.
    if let Some(d) = hints::word_after_unit(src, text, pos, hints::unit_words()) {
        return (d, false);
    }
    // A byte order mark inside a name (`c\u{FEFF}d`): a blank to the grammar.
    if let Some(d) = hints::bom_in_word(src, text, pos) {
        return (d, false);
    }
    let mut d = Diag::error("carbon::syntax", message).at(span, label);
    if let Some(h) = syntax_help(&text[pos..], &expected) {
        d = d.help(h);
    }
    (d, at_end)
}

fn found_len(rest: &str) -> usize {
    let mut chars = rest.char_indices();
    match chars.next() {
        None => 0,
        Some((_, c)) if c.is_alphanumeric() || c == '_' => rest
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '.'))
            .map_or(rest.len(), |(i, _)| i),
        Some((_, c)) => c.len_utf8(),
    }
}

fn found_token(rest: &str) -> String {
    let n = found_len(rest);
    let tok = &rest[..n];
    match tok.chars().next() {
        None => "end of input".into(),
        Some(c) if c.is_ascii_digit() => format!("number `{tok}`"),
        Some(c) if c.is_alphabetic() || c == '_' => format!("word `{tok}`"),
        Some('\n') => "end of line".into(),
        Some(_) => format!("`{tok}`"),
    }
}

/// The word just before `pos` (skipping blanks), with its start offset.
/// The end of the quoted string that starts at `pos` (its line's end if unclosed).
fn string_end(text: &str, pos: usize) -> usize {
    let rest = text.get(pos + 1..).unwrap_or("");
    match rest.find(['"', '\n']) {
        Some(i) if rest[i..].starts_with('"') => pos + 1 + i + 1,
        Some(i) => pos + 1 + i,
        None => text.len(),
    }
}

fn previous_word(text: &str, pos: usize) -> Option<(usize, &str)> {
    let before = text[..pos].trim_end();
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .last()
        .map(|(i, _)| i)?;
    Some((start, &before[start..]))
}

fn syntax_help(rest: &str, expected: &[&str]) -> Option<String> {
    let word: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    if keywords::is_keyword(&word) && expected.contains(&"a name") {
        return Some(format!(
            "`{word}` is a keyword of the language and cannot be used as a name"
        ));
    }
    if rest.starts_with('=')
        && !rest.starts_with("==")
        && expected
            .iter()
            .any(|e| e.starts_with("a field") || *e == "an expression")
    {
        return Some("fields are written `name value`, without `=` (for example `area 10 hm2`)".into());
    }
    if rest.starts_with(',') {
        return Some("numbers are written without thousands separators (13060.70, not 13,060.70)".into());
    }
    None
}

/// What the lexical pre-pass learned.
struct Prepass {
    /// Byte offsets where a top-level declaration may start (line starts at brace
    /// depth 0 whose first character is not blank or a comment).
    decl_starts: Vec<usize>,
    /// The declaration starts that follow a `}` closing a top-level block, with
    /// nothing but blanks and comments between: the file may be cut there and the
    /// pieces parsed on their own (see [`parse_in_chunks`]).
    split_points: Vec<usize>,
    incomplete: bool,
}

/// Scans once for unterminated strings and comments, unbalanced or too deeply
/// nested brackets, and overlong runs of signs or powers, so that no later stage
/// (pest included) recurses without bound.
fn prepass(src: SourceId, text: &str, diags: &mut Vec<Diag>) -> Prepass {
    let b = text.as_bytes();
    let mut i = 0usize;
    let mut stack: Vec<(u8, usize)> = Vec::new();
    let mut starts = Vec::new();
    let mut splits = Vec::new();
    let mut after_close = false;
    let mut line_start = true;
    let mut sign_run = 0usize;
    let mut incomplete = false;
    while i < b.len() {
        let c = b[i];
        if line_start {
            line_start = false;
            if stack.is_empty() && !c.is_ascii_whitespace() && c != b'/' && c != b'#' && c != b'}' {
                starts.push(i);
                // A `;` on its own line still ends the block before it: no cut there.
                if after_close && c != b';' {
                    splits.push(i);
                }
            }
        }
        match c {
            b'\n' => {
                line_start = true;
                i += 1;
            }
            b'"' => {
                after_close = false;
                let open = i;
                i += 1;
                loop {
                    if i >= b.len() || b[i] == b'\n' {
                        diags.push(
                            Diag::error("carbon::syntax::unterminated_string", "unterminated string")
                                .at(Span::new(src, open, i), "this string has no closing `\"`")
                                .help("close the string with `\"` on the same line"),
                        );
                        incomplete = i >= b.len();
                        break;
                    }
                    if b[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if b[i] == b'"' {
                        i += 1;
                        break;
                    }
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let open = i;
                match text[i + 2..].find("*/") {
                    Some(p) => i = i + 2 + p + 2,
                    None => {
                        diags.push(
                            Diag::error("carbon::syntax::unterminated_comment", "unterminated block comment")
                                .at(Span::new(src, open, open + 2), "this comment is never closed")
                                .help("close the comment with `*/`"),
                        );
                        incomplete = true;
                        i = b.len();
                    }
                }
            }
            b'(' | b'{' => {
                after_close = false;
                stack.push((c, i));
                if stack.len() > MAX_DEPTH {
                    diags.push(
                        Diag::error(
                            "carbon::limits::depth",
                            format!("nesting deeper than {MAX_DEPTH} levels"),
                        )
                        .at(Span::new(src, i, i + 1), "too deeply nested")
                        .help("split the expression into named `let` quantities"),
                    );
                    return Prepass {
                        decl_starts: starts,
                        split_points: splits,
                        incomplete: false,
                    };
                }
                i += 1;
            }
            b')' | b'}' => {
                let want = if c == b')' { b'(' } else { b'{' };
                match stack.pop() {
                    Some((open, _)) if open == want => after_close = c == b'}' && stack.is_empty(),
                    Some((open, at)) => {
                        diags.push(
                            Diag::error(
                                "carbon::syntax::unbalanced",
                                format!("`{}` does not close `{}`", c as char, open as char),
                            )
                            .at(Span::new(src, i, i + 1), "unexpected closing bracket")
                            .also(Span::new(src, at, at + 1), "this is still open")
                            .help(format!("close the `{}` before this `{}`", open as char, c as char)),
                        );
                        return Prepass {
                            decl_starts: starts,
                            split_points: splits,
                            incomplete: false,
                        };
                    }
                    None => {
                        diags.push(
                            Diag::error("carbon::syntax::unbalanced", format!("`{}` closes nothing", c as char))
                                .at(Span::new(src, i, i + 1), "no matching opening bracket"),
                        );
                        return Prepass {
                            decl_starts: starts,
                            split_points: splits,
                            incomplete: false,
                        };
                    }
                }
                i += 1;
            }
            // `-` and `−` (U+2212, bytes E2 88 92) are both signs.
            b'-' | 0xE2 if c == b'-' || b.get(i + 1..i + 3) == Some(&[0x88, 0x92]) => {
                sign_run += 1;
                after_close = false;
                let w = if c == b'-' { 1 } else { 3 };
                if sign_run > MAX_DEPTH {
                    diags.push(
                        Diag::error("carbon::limits::depth", format!("more than {MAX_DEPTH} signs in a row"))
                            .at(Span::new(src, i, i + w), "too deeply nested")
                            .help("write the sign once"),
                    );
                    return Prepass {
                        decl_starts: starts,
                        split_points: splits,
                        incomplete: false,
                    };
                }
                i += w;
            }
            // An invisible character outside strings and comments (a mark pasted
            // with a name): pest would blame the declaration's first word.
            c if hints::may_be_invisible(c) && hints::invisible_at(src, text, i).is_some() => {
                if let Some((d, len)) = hints::invisible_at(src, text, i) {
                    diags.push(d);
                    i += len;
                }
                sign_run = 0;
                after_close = false;
            }
            _ => {
                if !c.is_ascii_whitespace() {
                    sign_run = 0;
                    after_close = false;
                }
                i += 1;
                // A run of plain bytes (letters, digits, blanks within a line, and
                // every other byte that no arm above handles but this one) changes
                // nothing but the two flags: take it in one go.
                while let Some(&c) = b.get(i) {
                    if !is_plain(c) {
                        break;
                    }
                    if !matches!(c, b' ' | b'\t' | b'\r') {
                        sign_run = 0;
                        after_close = false;
                    }
                    i += 1;
                }
            }
        }
    }
    if let Some(&(open, at)) = stack.last() {
        let close = if open == b'(' { ')' } else { '}' };
        diags.push(
            Diag::error("carbon::syntax::unbalanced", "unexpected end of input")
                .at(
                    Span::new(src, at, at + 1),
                    format!("this `{}` is never closed", open as char),
                )
                .help(format!("add the closing `{close}`")),
        );
        incomplete = true;
    }
    Prepass {
        decl_starts: starts,
        split_points: splits,
        incomplete,
    }
}

/// A byte the prepass treats like a letter or a blank within a line: not a line
/// end, quote, comment start, bracket, sign, operator or `;`, nor the first byte of
/// `−` or of an invisible character (`hints`), nor a blank `is_ascii_whitespace`
/// knows besides space, tab and CR.
fn is_plain(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, b' ' | b'\t' | b'\r' | b'.' | b'_' | b',' | b':' | b'=' | b'%')
        || (c >= 0x80 && !hints::may_be_invisible(c))
}

struct Builder {
    src: SourceId,
    offset: usize,
}

type R<T> = Result<T, Diag>;

impl Builder {
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

    fn decl(&self, p: Pair<Rule>) -> R<Decl> {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::let_decl => {
                let span = self.tight_span(&p);
                let mut it = p.into_inner();
                it.next(); // kw_let
                let name = self.ident(it.next().expect("let has a name"));
                let expr = self.expr(it.next().expect("let has an expression"))?;
                let (stmts, prov) = self.statements(it)?;
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
                let span = self.tight_span(&p);
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

    /// The span of a rule without the whitespace and comments an empty trailing
    /// element (such as absent provenance) drags in.
    fn tight_span(&self, p: &Pair<Rule>) -> Span {
        let full = self.span(p);
        Span::new(self.src, full.start as usize, self.offset + tight_end(p))
    }

    fn field(&self, p: Pair<Rule>) -> R<Field> {
        let span = self.tight_span(&p);
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
        Ok(Field {
            name,
            value,
            stmts: stmts.boxed(),
            prov,
            span,
        })
    }

    /// `parts …`, provenance, `also …` after a value.
    fn statements(&self, it: pest::iterators::Pairs<Rule>) -> R<(Statements, Provenance)> {
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
        let reason = it.next().map(|q| self.string(q).0).unwrap_or_default();
        Allow { code, reason }
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
    fn expr(&self, p: Pair<Rule>) -> R<Expr> {
        Ok(self.expr_d(p)?.0)
    }

    /// Builds an expression and returns it with its depth; every node is checked
    /// against `MAX_DEPTH` as it is built, so no later pass recurses without bound.
    fn expr_d(&self, p: Pair<Rule>) -> R<(Expr, usize)> {
        let span = self.tight_span(&p);
        let mut it = p.into_inner();
        let (arith, d) = self.arith(it.next().expect("expr holds arith"))?;
        match it.find(|q| q.as_rule() == Rule::unit_target) {
            Some(t) => {
                let unit = self.scaled_unit(t)?;
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

    fn arith(&self, p: Pair<Rule>) -> R<(Expr, usize)> {
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

    fn primary(&self, p: Pair<Rule>) -> R<(Expr, usize)> {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::paren => {
                let (inner, d) = self.expr_d(p.into_inner().next().expect("paren holds an expr"))?;
                let e = Expr::parenthesised(inner, span);
                Ok((e, d))
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

    fn number(&self, p: Pair<Rule>) -> R<f64> {
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
    fn scaled_unit(&self, p: Pair<Rule>) -> R<UnitExpr> {
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

    fn unit_expr(&self, p: Pair<Rule>) -> R<UnitExpr> {
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

    fn unit_factor(&self, p: Pair<Rule>) -> R<UnitFactor> {
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

/// The text of a `string_inner` with its escapes resolved: `\n`, `\t`, and `\x`
/// for any other character `x`.
fn unescape(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The value of a `number` token; `None` when it does not fit an f64 (the builder
/// reports `carbon::number::overflow`).
fn number_value(s: &str) -> Option<f64> {
    let v = if let Some(exp) = s.strip_prefix("10^") {
        let e: i32 = exp.parse().unwrap_or(i32::MAX);
        10f64.powi(e)
    } else {
        s.parse::<f64>().unwrap_or(f64::INFINITY)
    };
    v.is_finite().then_some(v)
}

/// Half a unit in the last written digit: `7.09` → 0.005, `1.5e3` → 50, `12` → 0.5.
fn number_precision(s: &str) -> f64 {
    if s.starts_with("10^") {
        return 0.0;
    }
    // Byte scans (the characters sought are ASCII): this runs on every number.
    let (mant, exp) = match s.bytes().position(|c| c == b'e' || c == b'E') {
        Some(i) => (&s[..i], s[i + 1..].parse::<i32>().unwrap_or(0)),
        None => (s, 0),
    };
    let decimals = mant.bytes().position(|c| c == b'.').map_or(0, |p| mant.len() - p - 1) as i32;
    0.5 * 10f64.powi(exp - decimals)
}

/// End of the last token inside a pair: non-atomic rules also span the
/// whitespace and comments skipped after their last token. Depth is bounded by
/// the nesting limit enforced before parsing.
fn tight_end(p: &Pair<Rule>) -> usize {
    // Only the last non-empty child matters: recurse into it alone.
    let mut last = None;
    for q in p.clone().into_inner() {
        if q.as_span().start() != q.as_span().end() {
            last = Some(q);
        }
    }
    last.map_or(p.as_span().end(), |q| tight_end(&q))
}

fn parse_power(s: &str) -> Option<Rat> {
    if let Some(rest) = s.strip_prefix('^') {
        let (num, den) = match rest.split_once('/') {
            Some((n, d)) => (n, d),
            None => (rest, "1"),
        };
        let n: i16 = num.parse().ok()?;
        let d: i16 = den.parse().ok()?;
        return Rat::new(n, d);
    }
    let mut neg = false;
    let mut n: i16 = 0;
    for c in s.chars() {
        let d = match c {
            '⁻' => {
                neg = true;
                continue;
            }
            '¹' => 1,
            '²' => 2,
            '³' => 3,
            '⁴' => 4,
            _ => return None,
        };
        n = n.checked_mul(10)?.checked_add(d)?;
    }
    Rat::new(if neg { -n } else { n }, 1)
}

/// Rejects an expression deeper than `MAX_DEPTH`. A rejected tree is at most
/// `MAX_DEPTH + 1` deep, so dropping it is safe.
fn deeper(e: Expr, depth: usize) -> R<(Expr, usize)> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A large file parsed in pieces gives the declarations and diagnostics of one
    /// parse of the whole file.
    #[test]
    fn chunks_equal_whole() {
        let one = include_str!("../../examples/yongning.carbon");
        let mut text = String::new();
        while text.len() < 5 * CHUNK_BYTES {
            text.push_str(one);
            text.push_str("energy x { amount 1 t }\n;\nlet y = 2 t\n/* c */ energy z { amount 1 t } // after\n");
        }
        let src = SourceId(0);
        let mut diags = Vec::new();
        let pre = prepass(src, &text, &mut diags);
        assert!(diags.is_empty());
        let chunked = parse_in_chunks(src, &text, &pre.split_points).expect("the pieces parse");
        let whole = parse_whole(src, &text, &pre, Vec::new());
        assert_eq!(format!("{:?}", chunked.file.decls), format!("{:?}", whole.file.decls));
        assert_eq!(chunked.diags.len(), whole.diags.len());
        // A piece that does not parse on its own falls back to the whole file.
        text.push_str("let broken = \n");
        let pre = prepass(src, &text, &mut diags);
        assert!(parse_in_chunks(src, &text, &pre.split_points).is_none());
    }
}
