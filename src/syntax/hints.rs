//! Syntax errors that name the real problem, for two mistakes that pest reports
//! far from where they are: a word written after a quantity's unit (`1 tCO2 e`,
//! `3 m2 m`), and an invisible character in a name (a right-to-left mark pasted
//! with a name). Both run only after a parse has failed.

use super::keywords::is_keyword;
use crate::diag::Diag;
use crate::source::{SourceId, Span};

/// Invisible characters that are neither blanks nor part of a word to the
/// grammar, with their Unicode names; and U+FEFF, which the grammar reads as a
/// blank (a byte order mark in the middle of a file), so that inside a word it
/// splits the word in two.
const INVISIBLE: &[(char, &str)] = &[
    ('\u{00AD}', "SOFT HYPHEN"),
    ('\u{061C}', "ARABIC LETTER MARK"),
    ('\u{180E}', "MONGOLIAN VOWEL SEPARATOR"),
    ('\u{200B}', "ZERO WIDTH SPACE"),
    ('\u{200C}', "ZERO WIDTH NON-JOINER"),
    ('\u{200D}', "ZERO WIDTH JOINER"),
    ('\u{200E}', "LEFT-TO-RIGHT MARK"),
    ('\u{200F}', "RIGHT-TO-LEFT MARK"),
    ('\u{202A}', "LEFT-TO-RIGHT EMBEDDING"),
    ('\u{202B}', "RIGHT-TO-LEFT EMBEDDING"),
    ('\u{202C}', "POP DIRECTIONAL FORMATTING"),
    ('\u{202D}', "LEFT-TO-RIGHT OVERRIDE"),
    ('\u{202E}', "RIGHT-TO-LEFT OVERRIDE"),
    ('\u{2060}', "WORD JOINER"),
    ('\u{2061}', "FUNCTION APPLICATION"),
    ('\u{2062}', "INVISIBLE TIMES"),
    ('\u{2063}', "INVISIBLE SEPARATOR"),
    ('\u{2064}', "INVISIBLE PLUS"),
    ('\u{2066}', "LEFT-TO-RIGHT ISOLATE"),
    ('\u{2067}', "RIGHT-TO-LEFT ISOLATE"),
    ('\u{2068}', "FIRST STRONG ISOLATE"),
    ('\u{2069}', "POP DIRECTIONAL ISOLATE"),
    ('\u{FEFF}', "ZERO WIDTH NO-BREAK SPACE (byte order mark)"),
];

/// The first byte of every character of [`INVISIBLE`]: the pre-pass looks closer
/// only at these.
pub fn may_be_invisible(c: u8) -> bool {
    matches!(c, 0xC2 | 0xD8 | 0xE1 | 0xE2 | 0xEF)
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The diagnostic for an invisible character at byte `i` (outside strings and
/// comments), with its length in bytes; `None` when there is none there. Not for
/// U+FEFF, a blank to both parsers (see [`bom_in_word`]).
pub fn invisible_at(src: SourceId, text: &str, i: usize) -> Option<(Diag, usize)> {
    if text[i..].starts_with('\u{FEFF}') {
        return None;
    }
    invisible_diag(src, text, i)
}

/// After a syntax error at `pos`: a U+FEFF inside a word (`c\u{FEFF}d`, read as two
/// words) on the error's line or the line before, outside strings and comments.
pub fn bom_in_word(src: SourceId, text: &str, pos: usize) -> Option<Diag> {
    let line = text[..pos].rfind('\n').map_or(0, |k| k + 1);
    let lo = text[..line.saturating_sub(1)].rfind('\n').map_or(0, |k| k + 1);
    let hi = text[pos..].find('\n').map_or(text.len(), |k| pos + k);
    let mut from = lo;
    // A few marks at most are looked at (each looks back along its line).
    for _ in 0..16 {
        let Some(k) = text[from..hi].find('\u{FEFF}') else {
            break;
        };
        let i = from + k;
        from = i + 3;
        let start = text[..i].rfind('\n').map_or(0, |k| k + 1);
        let before = &text[start..i];
        if before.matches('"').count() % 2 == 1
            || before.contains("//")
            || before.contains('#')
            || before.contains("/*")
        {
            continue;
        }
        let word_before = before.chars().next_back().is_some_and(is_word);
        let word_after = text[i + 3..].chars().next().is_some_and(is_word);
        if word_before && word_after {
            return invisible_diag(src, text, i).map(|(d, _)| d);
        }
    }
    None
}

fn invisible_diag(src: SourceId, text: &str, i: usize) -> Option<(Diag, usize)> {
    let c = text.get(i..)?.chars().next()?;
    let (_, name) = INVISIBLE.iter().find(|(x, _)| *x == c)?;
    let end = i + c.len_utf8();
    // The word around it, without it (and without other invisible characters).
    let before = text[..i]
        .char_indices()
        .rev()
        .take_while(|(_, x)| is_word(*x) || INVISIBLE.iter().any(|(y, _)| y == x))
        .last()
        .map_or(i, |(s, _)| s);
    let after = text[end..]
        .char_indices()
        .find(|(_, x)| !(is_word(*x) || INVISIBLE.iter().any(|(y, _)| y == x)))
        .map_or(text.len(), |(s, _)| end + s);
    let clean: String = text[before..after]
        .chars()
        .filter(|x| !INVISIBLE.iter().any(|(y, _)| y == x))
        .collect();
    let code = format!("U+{:04X}", c as u32);
    let message = if clean.is_empty() {
        format!("an invisible character, {code} {name}, outside a string")
    } else {
        format!("an invisible character, {code} {name}, in `{clean}`")
    };
    let help = if !clean.is_empty() {
        format!("delete it (it often comes with text pasted from a web page or a PDF): the name is then `{clean}`")
    } else {
        "delete it (it often comes with text pasted from a web page or a PDF); only strings and comments may hold it"
            .to_string()
    };
    let d = Diag::error("carbon::syntax::invisible", message)
        .at(Span::new(src, i, end), format!("{code} {name} is here, invisible"))
        .help(help);
    Some((d, end - i))
}

fn is_unit_start(c: char) -> bool {
    c.is_alphabetic() || matches!(c, '%' | '‰' | '°' | 'µ')
}

fn is_unit_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '₂' | '₄' | '²' | '³')
}

fn char_at(text: &str, i: usize) -> Option<char> {
    text.get(i..)?.chars().next()
}

fn skip_blanks(text: &str, mut i: usize) -> usize {
    while matches!(text.as_bytes().get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    i
}

/// The end of the word (a unit atom or a name) at `i`, if one starts there and
/// is not a keyword.
fn word_end(text: &str, i: usize, start: fn(char) -> bool) -> Option<usize> {
    if !start(char_at(text, i)?) {
        return None;
    }
    let end = text[i..]
        .char_indices()
        .skip(1)
        .find(|(_, c)| !is_unit_char(*c))
        .map_or(text.len(), |(k, _)| i + k);
    (!is_keyword(&text[i..end])).then_some(end)
}

/// The end of a number at `i` (digits with a fraction and an exponent, or `10^n`).
fn number_end(text: &str, i: usize) -> usize {
    let b = text.as_bytes();
    let digits = |mut j: usize| {
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        j
    };
    if text[i..].starts_with("10^") {
        let j = i + 3 + usize::from(matches!(b.get(i + 3), Some(b'+' | b'-')));
        return digits(j);
    }
    let mut j = digits(i);
    if b.get(j) == Some(&b'.') {
        j = digits(j + 1);
    }
    if matches!(b.get(j), Some(b'e' | b'E')) {
        let k = j + 1 + usize::from(matches!(b.get(j + 1), Some(b'+' | b'-')));
        if b.get(k).is_some_and(u8::is_ascii_digit) {
            j = digits(k);
        }
    }
    j
}

/// A unit expression at `i` on its line: its end and the span of its last atom.
fn unit_expr_end(text: &str, i: usize) -> Option<(usize, (usize, usize))> {
    let b = text.as_bytes();
    let factor = |j: usize| -> Option<(usize, Option<(usize, usize)>)> {
        if b.get(j) == Some(&b'(') {
            // A group: to its `)` on this line.
            let mut depth = 0usize;
            for (k, &c) in b.iter().enumerate().skip(j) {
                match c {
                    b'(' => depth += 1,
                    b')' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some((k + 1, None));
                        }
                    }
                    b'\n' => return None,
                    _ => {}
                }
            }
            return None;
        }
        let end = word_end(text, j, is_unit_start)?;
        let mut k = end;
        // A power: `^2`, `^-1`, `^1/2`, `²`, `⁻¹`.
        if b.get(k) == Some(&b'^') {
            k += 1 + usize::from(b.get(k + 1) == Some(&b'-'));
            while b.get(k).is_some_and(|c| c.is_ascii_digit() || *c == b'/') {
                k += 1;
            }
        }
        while let Some(c) = char_at(text, k).filter(|c| matches!(c, '⁻' | '¹' | '²' | '³' | '⁴')) {
            k += c.len_utf8();
        }
        Some((k, Some((j, end))))
    };
    let (mut end, last) = factor(i)?;
    let mut last = last.unwrap_or((i, end));
    loop {
        let j = skip_blanks(text, end);
        let Some(op) = char_at(text, j).filter(|c| matches!(c, '/' | '*' | '·' | '×')) else {
            break;
        };
        let k = skip_blanks(text, j + op.len_utf8());
        match factor(k) {
            Some((e, l)) => {
                end = e;
                last = l.unwrap_or((k, e));
            }
            None => break,
        }
    }
    Some((end, last))
}

/// Whether a value could start at `i` (the word before it would then be a field's
/// name in a one-line block: `{ amount 5 t fold 0.9 tce/t }`).
fn value_starts(text: &str, i: usize) -> bool {
    match char_at(text, i) {
        None => false,
        Some(c) if c.is_ascii_digit() || matches!(c, '"' | '(' | '-' | '−' | '.') => true,
        Some(c) if c.is_alphabetic() || c == '_' => word_end(text, i, |c| c.is_alphabetic() || c == '_').is_some(),
        Some(_) => false,
    }
}

/// A word after a quantity's unit on the same line, where no word can follow:
/// (quantity start, unit start, last atom, word).
struct Stray {
    quantity: usize,
    unit: usize,
    atom: (usize, usize),
    word: (usize, usize),
}

fn find_stray(text: &str, lo: usize, hi: usize) -> Option<Stray> {
    let b = text.as_bytes();
    let mut i = lo;
    while i < hi {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && !matches!(b[i], b'"' | b'\n') {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => i = text[i..].find('\n').map_or(b.len(), |k| i + k),
            b'#' => i = text[i..].find('\n').map_or(b.len(), |k| i + k),
            b'/' if b.get(i + 1) == Some(&b'*') => i = text[i + 2..].find("*/").map_or(b.len(), |k| i + 2 + k + 2),
            c if c.is_ascii_digit()
                && !text[..i]
                    .chars()
                    .next_back()
                    .is_some_and(|p| is_unit_char(p) || p == '.' || p == '^') =>
            {
                let start = i;
                let n = number_end(text, i);
                i = n;
                let u = skip_blanks(text, n);
                let Some((uend, atom)) = unit_expr_end(text, u) else {
                    continue;
                };
                i = uend;
                let w = skip_blanks(text, uend);
                if w == uend || w > hi {
                    continue;
                }
                let Some(wend) = word_end(text, w, |c| c.is_alphabetic() || c == '_') else {
                    continue;
                };
                if !value_starts(text, skip_blanks(text, wend)) {
                    return Some(Stray {
                        quantity: start,
                        unit: u,
                        atom,
                        word: (w, wend),
                    });
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// The diagnostic for a word after a unit, when one stands on the line of the
/// error at `pos` or on the line before, at or before `pos`.
/// Whether a word is a unit of the prelude, as the units stage reads it: set by
/// the pipeline's entry ([`crate::analyze_sources`]) before any parse, so that
/// this stage need not import the later one. Unset, no word is a unit (the
/// hint then names a stray word without guessing a unit).
static UNIT_WORDS: std::sync::OnceLock<fn(&str) -> bool> = std::sync::OnceLock::new();

pub fn know_units(f: fn(&str) -> bool) {
    let _ = UNIT_WORDS.set(f);
}

pub(crate) fn unit_words() -> fn(&str) -> bool {
    UNIT_WORDS.get().copied().unwrap_or(|_| false)
}

pub fn word_after_unit(src: SourceId, text: &str, pos: usize, knows: impl Fn(&str) -> bool) -> Option<Diag> {
    let line = text[..pos].rfind('\n').map_or(0, |k| k + 1);
    let lo = text[..line.saturating_sub(1)].rfind('\n').map_or(0, |k| k + 1);
    let hi = text[pos..].find('\n').map_or(text.len(), |k| pos + k);
    let s = find_stray(text, lo, hi)?;
    if s.word.0 > pos {
        return None;
    }
    let word = &text[s.word.0..s.word.1];
    let atom = &text[s.atom.0..s.atom.1];
    let unit = &text[s.unit..s.atom.1];
    let number = text[s.quantity..s.unit].trim_end();
    let joined = format!("{atom}{word}");
    let d = if knows(&joined) {
        Diag::error(
            "carbon::syntax::after_unit",
            format!("`{word}` is not a unit; did you mean `{joined}`?"),
        )
        .at(
            Span::new(src, s.word.0, s.word.1),
            format!("a separate word after the unit `{atom}`"),
        )
        .help(format!(
            "write the unit as one word, without the space: `{number} {}{word}`",
            &text[s.unit..s.atom.1]
        ))
    } else if knows(word) {
        let mut help = format!("to multiply them, write `{unit} * {word}`");
        if let Some(p) = merged(atom, word) {
            help.push_str(&format!(", or `{p}`"));
        }
        Diag::error(
            "carbon::syntax::after_unit",
            format!("two units in a row: `{unit} {word}`"),
        )
        .at(Span::new(src, s.unit, s.word.1), "a quantity has one unit")
        .help(help)
    } else {
        let quantity = &text[s.quantity..s.atom.1];
        Diag::error(
            "carbon::syntax::after_unit",
            format!("unexpected word `{word}` after the quantity `{quantity}`"),
        )
        .at(Span::new(src, s.word.0, s.word.1), "a quantity ends with its unit")
        .help(format!(
            "to multiply, write `{quantity} * {word}`; a new field or declaration starts on its own line"
        ))
    };
    Some(d)
}

/// `m2` and `m` as one power (`m3`), when both are powers of one unit.
fn merged(a: &str, b: &str) -> Option<String> {
    let ((sa, ea), (sb, eb)) = (power_of(a), power_of(b));
    (sa == sb && ea + eb <= 3).then(|| format!("{sa}{}", ea + eb))
}

fn power_of(s: &str) -> (&str, u8) {
    match s.as_bytes().last() {
        Some(b'2') if s.len() > 1 => (&s[..s.len() - 1], 2),
        Some(b'3') if s.len() > 1 => (&s[..s.len() - 1], 3),
        _ => (s, 1),
    }
}
