//! The words of syntax errors: what pest reports, told in a modeler's terms.

use super::ast::NotationKey;
use super::keywords;
use super::{hints, Rule};
use crate::diag::Diag;
use crate::source::{SourceId, Span};
use pest::error::{ErrorVariant, InputLocation};
use std::sync::LazyLock;

/// The advice that syntax error recovery stopped at `at`, after `errors`.
pub(super) fn recovery_stopped(src: SourceId, at: usize, errors: usize) -> Diag {
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

/// Where pest's error is, in the text it was given.
pub(super) fn error_offset(e: &pest::error::Error<Rule>) -> usize {
    match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    }
}

/// Words a modeler knows for each grammar rule (pest's `positives`: what it
/// expected).
pub(super) fn rule_words(r: Rule) -> &'static str {
    match r {
        Rule::EOI => "the end of the file",
        Rule::file | Rule::decl => "a declaration",
        Rule::unit_base | Rule::unit_alias => "`:` or `=` and the unit's definition",
        Rule::block_decl => "a declaration",
        Rule::block_name => "a name",
        Rule::field => "a field (a name and its value)",
        Rule::provenance | Rule::from_clause | Rule::kw_from => "`from` and a source",
        Rule::assumed_clause | Rule::kw_assumed => "`assumed \"reason\"`",
        Rule::expr | Rule::expr_only | Rule::arith | Rule::primary | Rule::paren | Rule::call => "an expression",
        Rule::call_name => "a function's name",
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
        Rule::known_clause | Rule::kw_known => "`known \"reason\"`",
        Rule::kind_field
        | Rule::kind_value
        | Rule::kind_term
        | Rule::kind_one_of
        | Rule::kind_place
        | Rule::kind_flag
        | Rule::kind_key_help
        | Rule::w_field
        | Rule::w_value
        | Rule::w_term
        | Rule::w_one
        | Rule::w_flag
        | Rule::w_notation
        | Rule::w_group
        | Rule::w_part
        | Rule::w_scope
        | Rule::w_gas => "a part of a kind (`field`, `value`, `term`, `one of`, `group`, `flag`, …)",
        Rule::opt_mark => "`:` and the field's shape (`?` before it for an optional field)",
        Rule::shape => "a shape (a dimension, `flow`, `substance`, `any`, `text` or `one of`)",
        Rule::dim_expr | Rule::dim_factor | Rule::dim_one => "a dimension",
        Rule::field_opt => "a field option (`min`, `above`, `max`, `negative warn`, `key`, `is gwp`, `help`, `want`)",
        Rule::kind_opts => "`eq`, `help`, `want`, `from` or `assumed`",
        Rule::want_clause => "`want \"…\" example \"…\"`",
        Rule::eq_clause => "`eq \"label\"`",
        Rule::help_clause => "`help \"text\"`",
        Rule::one_of_set => "a field name",
        Rule::place_number => "a number",
        Rule::guard => "`when` and a condition",
        Rule::condition => "a field name",
        r => keyword_words(r)
            .or_else(|| context_words(r))
            .unwrap_or("something else"),
    }
}

/// The contextual word of a kind body, in backticks, of its `w_` rule (`w_field`).
fn context_words(r: Rule) -> Option<&'static str> {
    const WORDS: &[&str] = &[
        "`field`",
        "`value`",
        "`term`",
        "`one`",
        "`of`",
        "`text`",
        "`flow`",
        "`substance`",
        "`any`",
        "`min`",
        "`above`",
        "`max`",
        "`negative`",
        "`warn`",
        "`key`",
        "`is`",
        "`gwp`",
        "`help`",
        "`want`",
        "`example`",
        "`eq`",
        "`group`",
        "`part`",
        "`scope`",
        "`gas`",
        "`flag`",
        "`notation`",
        "`when`",
    ];
    let name = format!("{r:?}");
    let word = name.strip_prefix("w_")?;
    WORDS.iter().copied().find(|q| q.trim_matches('`') == word)
}

/// The keyword, in backticks, of a rule named after it (`kw_to`, `parts_clause`,
/// `let_decl`): a new clause or declaration needs no line above.
fn keyword_words(r: Rule) -> Option<&'static str> {
    static QUOTED: LazyLock<Vec<String>> =
        LazyLock::new(|| keywords::KEYWORDS.iter().map(|k| format!("`{k}`")).collect());
    let name = format!("{r:?}");
    let word = (name.strip_prefix("kw_"))
        .or_else(|| name.strip_suffix("_clause"))
        .or_else(|| name.strip_suffix("_decl"))?;
    let i = keywords::KEYWORDS.iter().position(|k| *k == word)?;
    Some(QUOTED[i].as_str())
}

pub(super) fn syntax_error(src: SourceId, text: &str, offset: usize, e: &pest::error::Error<Rule>) -> (Diag, bool) {
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

/// The end of the quoted string that starts at `pos` (its line's end if unclosed).
fn string_end(text: &str, pos: usize) -> usize {
    let rest = text.get(pos + 1..).unwrap_or("");
    match rest.find(['"', '\n']) {
        Some(i) if rest[i..].starts_with('"') => pos + 1 + i + 1,
        Some(i) => pos + 1 + i,
        None => text.len(),
    }
}

/// The word just before `pos` (skipping blanks), with its start offset.
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
