//! The lexical pre-pass that runs before pest: unterminated strings and
//! comments, unbalanced brackets, and the nesting limits.

use super::{hints, MAX_DEPTH};
use crate::diag::Diag;
use crate::source::{SourceId, Span};

/// What the lexical pre-pass learned.
pub(super) struct Prepass {
    /// Byte offsets where a top-level declaration may start (line starts at brace
    /// depth 0 whose first character is not blank or a comment).
    pub decl_starts: Vec<usize>,
    /// The declaration starts that follow a `}` closing a top-level block, with
    /// nothing but blanks and comments between: the file may be cut there and the
    /// pieces parsed on their own (see `parse_in_chunks` in `mod.rs`).
    pub split_points: Vec<usize>,
    pub incomplete: bool,
}

/// Scans once for unterminated strings and comments, unbalanced or too deeply
/// nested brackets, and overlong runs of signs or powers, so that no later stage
/// (pest included) recurses without bound.
pub(super) fn prepass(src: SourceId, text: &str, diags: &mut Vec<Diag>) -> Prepass {
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
