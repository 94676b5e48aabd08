//! Stage 1: source text → AST. The fast path (`fast/`, a hand-written parser of
//! the grammar) builds the AST when the input is valid and within every limit;
//! otherwise it gives up without a word and the pest path reports every error:
//! the lexical pre-pass (`prepass.rs`), pest (`grammar/carbon.pest`), the builder
//! (`build.rs`, pest's pairs → AST) and the words of the errors (`errors.rs`).
//! Both builders end their spans by the one rule of `span.rs`.

pub mod ast;
mod build;
mod errors;
mod fast;
mod hints;
pub mod keywords;
mod prepass;
mod span;
mod tokens;
pub use hints::know_units;

use crate::diag::Diag;
use crate::source::SourceId;
use ast::*;
use errors::{error_offset, recovery_stopped, syntax_error};
use pest::Parser;
use prepass::{prepass, Prepass};

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
    match fast::parse_file(src, text) {
        fast::Fast::Parsed(decls) => Some(decls),
        _ => None,
    }
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
/// every error. Pest parses the file in pieces ([`parse_in_chunks`]) only where
/// the pieces are likely to parse: when the fast path found the grammar matched
/// but something to report (a limit, an overflowing number…), or when it did not
/// run. After a syntax error the pieces would fail and the whole file be parsed
/// again (see benches/README.md, "Tried").
fn parse_with(src: SourceId, text: &str, fast: bool) -> Parsed {
    let chunks = !fast
        || match fast::parse_file(src, text) {
            fast::Fast::Parsed(decls) => {
                return Parsed {
                    file: File { src, decls },
                    diags: Vec::new(),
                    incomplete: false,
                }
            }
            fast::Fast::Diagnosed => true,
            fast::Fast::GaveUp => false,
        };
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
    if chunks {
        if let Some(parsed) = parse_in_chunks(src, text, &pre.split_points) {
            return parsed;
        }
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
            Ok(pairs) => {
                build::Builder { src, offset: start }.file(pairs, &mut decls, &mut diags);
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
                    if let Ok(pairs) = CarbonParser::parse(Rule::file, &text[start..end]) {
                        build::Builder { src, offset: start }.file(pairs, &mut decls, &mut diags);
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
            let pairs = CarbonParser::parse(Rule::file, &text[start..end]).ok()?;
            build::Builder { src, offset: start }.file(pairs, &mut decls, &mut diags);
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
            let b = build::Builder { src, offset: 0 };
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

    /// The fast parser tells a file it parsed but would be reported (pest in
    /// pieces then) from one it gave up on (pest on the whole file).
    #[test]
    fn the_fast_verdict() {
        let verdict = |text: &str| match fast::parse_file(SourceId(0), text) {
            fast::Fast::Parsed(_) => "parsed",
            fast::Fast::Diagnosed => "diagnosed",
            fast::Fast::GaveUp => "gave up",
        };
        assert_eq!(verdict("let x = 1 t\nenergy e { amount 2 t }"), "parsed");
        assert_eq!(verdict("let x = 1e999 t\nenergy e { amount 2 t }"), "diagnosed");
        assert_eq!(verdict("let x = 1 m^1/0\nlet y = 2 t"), "diagnosed");
        assert_eq!(verdict("let x = 1e999 t\nenergy e { amount = 2 t }"), "gave up");
        assert_eq!(verdict("let x = = 1 t"), "gave up");
    }
}
