//! Diagnostics: the one error and warning type of every stage, rendered with miette.

use crate::source::{SourceMap, Span};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use std::fmt;
use std::sync::Arc;

/// How many diagnostics are rendered before the rest are only counted.
pub const MAX_RENDERED: usize = 100;
/// The code of the advice that syntax error recovery stopped (after
/// `syntax::MAX_SYNTAX_ERRORS`): the summary line then says there may be more.
pub const RECOVERY_STOPPED: &str = "carbon::syntax::stopped";
/// Labels drawn for one diagnostic at most (the primary and the first others):
/// miette's layout of a report grows faster than its labels.
pub const MAX_LABELS: usize = 16;

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
    Advice,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Advice => "advice",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Label {
    pub span: Span,
    pub text: String,
    pub primary: bool,
}

/// One message to the user about their program.
#[derive(Clone, Debug)]
pub struct Diag {
    pub severity: Severity,
    /// Stable code such as `carbon::units::mismatch`.
    pub code: &'static str,
    pub message: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diag {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diag {
        Diag {
            severity: Severity::Error,
            code,
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }
    pub fn warning(code: &'static str, message: impl Into<String>) -> Diag {
        Diag {
            severity: Severity::Warning,
            ..Diag::error(code, message)
        }
    }
    /// The primary label: the span the diagnostic is about.
    pub fn at(mut self, span: Span, text: impl Into<String>) -> Diag {
        self.labels.push(Label {
            span,
            text: text.into(),
            primary: true,
        });
        self
    }
    /// Every label moved `by` bytes later: a diagnostic about a quantity's unit,
    /// whose spans are relative to where the unit is written (`UnitExpr::start_in`).
    pub fn after(mut self, by: u32) -> Diag {
        for l in &mut self.labels {
            l.span = l.span.after(by);
        }
        self
    }
    /// A secondary label.
    pub fn also(mut self, span: Span, text: impl Into<String>) -> Diag {
        self.labels.push(Label {
            span,
            text: text.into(),
            primary: false,
        });
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Diag {
        self.help = Some(help.into());
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
    pub fn primary_span(&self) -> Option<Span> {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or(self.labels.first())
            .map(|l| l.span)
    }
}

/// A diagnostic bound to its source text, in the shape miette renders.
struct Bound<'a> {
    diag: &'a Diag,
    /// The source text is shared, not copied, for each diagnostic rendered.
    source: NamedSource<Arc<String>>,
    labels: Vec<LabeledSpan>,
}

impl fmt::Debug for Bound<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}
impl fmt::Display for Bound<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}
impl std::error::Error for Bound<'_> {}

impl miette::Diagnostic for Bound<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diag.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Advice => miette::Severity::Advice,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diag.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        if self.labels.is_empty() {
            None
        } else {
            Some(&self.source)
        }
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
}

/// How diagnostics are drawn.
#[derive(Copy, Clone, Debug)]
pub struct RenderOptions {
    pub color: bool,
    pub width: usize,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            color: false,
            width: 100,
        }
    }
}

/// Whether diagnostics are drawn in colour: only on a terminal, and not when
/// `NO_COLOR` is set (to anything) or `TERM` is `dumb`.
pub fn use_color(terminal: bool, no_color: Option<&std::ffi::OsStr>, term: Option<&std::ffi::OsStr>) -> bool {
    terminal && no_color.is_none() && term != Some(std::ffi::OsStr::new("dumb"))
}

/// [`use_color`] for standard error and this process's environment.
pub fn color_on_stderr() -> bool {
    use std::io::IsTerminal;
    use_color(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
        std::env::var_os("TERM").as_deref(),
    )
}

/// Lines longer than this are not drawn with their source snippet: a window
/// around the label is printed instead (miette's layout cannot place labels
/// beyond column 65535, and a megabyte-long line is no use to a reader).
const MAX_DRAWN_LINE: usize = 1000;

fn long_line(diag: &Diag, sources: &SourceMap) -> bool {
    diag.labels.iter().any(|l| {
        let text = sources.text(l.span.src);
        let s = (l.span.start as usize).min(text.len());
        let line_start = text[..s].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[s..].find('\n').map_or(text.len(), |i| s + i);
        line_end - line_start > MAX_DRAWN_LINE || l.span.len() > MAX_DRAWN_LINE
    })
}

/// A plain rendering for diagnostics on overlong lines: location, a window of
/// the line around each label, the label text and the help.
fn render_plain(diag: &Diag, sources: &SourceMap) -> String {
    let mut out = format!(
        "{}\n\n  {} {}\n",
        diag.code,
        if diag.is_error() { "×" } else { "⚠" },
        diag.message
    );
    for l in &diag.labels {
        let (line, col) = sources.line_col(l.span.src, l.span.start);
        let text = sources.text(l.span.src);
        let s = (l.span.start as usize).min(text.len());
        let from = text.floor_char_boundary(s.saturating_sub(40));
        let to = text.ceil_char_boundary((s + 40).min(text.len()));
        let window: String = text[from..to]
            .chars()
            .map(|c| if c == '\n' { ' ' } else { c })
            .collect();
        let caret = text[from..s].chars().count();
        out.push_str(&format!(
            "   ╭─[{}:{line}:{col}] (a long line; a window of it)\n",
            sources.name(l.span.src)
        ));
        out.push_str(&format!("   │ …{window}…\n"));
        out.push_str(&format!("   │  {}^ {}\n", " ".repeat(caret), l.text));
    }
    if let Some(h) = &diag.help {
        out.push_str(&format!("  help: {h}\n"));
    }
    out
}

/// Renders one diagnostic to text. Labels outside the primary label's source are
/// dropped (miette draws one source per report).
pub fn render(diag: &Diag, sources: &SourceMap, opts: RenderOptions) -> String {
    if long_line(diag, sources) {
        return escaped(render_plain(diag, sources));
    }
    // Text from the file is shown escaped (`\u{1b}`), never obeyed. Without colour
    // the whole rendering is escaped after; with colour (whose codes are escapes
    // too) only when the diagnostic quotes such text, then drawn without colour.
    let mut opts = opts;
    if opts.color && quotes_controls(diag, sources) {
        opts.color = false;
    }
    let primary = diag.primary_span();
    let mut hidden = 0;
    let (source, labels) = match primary {
        Some(p) => {
            let text = sources.get(p.src).text.clone();
            let mut others = 0;
            let labels = diag
                .labels
                .iter()
                .filter(|l| l.span.src == p.src)
                .filter(|l| {
                    if l.primary || others + 1 < MAX_LABELS {
                        others += usize::from(!l.primary);
                        true
                    } else {
                        hidden += 1;
                        false
                    }
                })
                .map(|l| {
                    let start = (l.span.start as usize).min(text.len());
                    let len = l.span.len().min(text.len() - start);
                    let text = if l.text.is_empty() { None } else { Some(l.text.clone()) };
                    if l.primary {
                        LabeledSpan::new_primary_with_span(text, (start, len))
                    } else {
                        LabeledSpan::new_with_span(text, (start, len))
                    }
                })
                .collect();
            (NamedSource::new(sources.name(p.src), text), labels)
        }
        None => (NamedSource::new("", Arc::new(String::new())), Vec::new()),
    };
    let bound = Bound { diag, source, labels };
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width)
        .with_links(false);
    let mut out = String::new();
    if handler.render_report(&mut out, &bound).is_err() {
        out = format!("{}: {}\n", diag.severity.as_str(), diag.message);
    }
    if hidden > 0 {
        out.push_str(&format!("  ({hidden} more places not shown)\n"));
    }
    if opts.color {
        out
    } else {
        escaped(out)
    }
}

/// `s` with control characters and bidi overrides shown escaped (newlines and
/// tabs kept): see [`crate::escape::escape_controls`].
fn escaped(s: String) -> String {
    match crate::escape::escape_controls(&s, true) {
        std::borrow::Cow::Borrowed(_) => s,
        std::borrow::Cow::Owned(e) => e,
    }
}

/// Whether the diagnostic's texts, or the source lines its snippet shows (each
/// label's lines and one on either side), hold a character shown escaped.
fn quotes_controls(diag: &Diag, sources: &SourceMap) -> bool {
    let hidden = |s: &str| matches!(crate::escape::escape_controls(s, true), std::borrow::Cow::Owned(_));
    if hidden(&diag.message) || diag.help.as_deref().is_some_and(hidden) {
        return true;
    }
    diag.labels.iter().any(|l| {
        if hidden(&l.text) {
            return true;
        }
        let text = sources.text(l.span.src);
        let s = (l.span.start as usize).min(text.len());
        let e = (l.span.end as usize).clamp(s, text.len());
        let mut from = text[..s].rfind('\n').unwrap_or(0);
        from = text[..from].rfind('\n').unwrap_or(0);
        let mut to = text[e..].find('\n').map_or(text.len(), |i| e + i + 1);
        to = text[to..].find('\n').map_or(text.len(), |i| to + i);
        hidden(&text[from..to])
    })
}

/// Renders a list of diagnostics, errors first in source order, capped at
/// `MAX_RENDERED` with a count of the rest.
pub fn render_all(diags: &[Diag], sources: &SourceMap, opts: RenderOptions) -> String {
    let mut out = String::new();
    for d in diags.iter().take(MAX_RENDERED) {
        out.push_str(&render(d, sources, opts));
    }
    if diags.len() > MAX_RENDERED {
        out.push_str(&format!(
            "… and {} more diagnostics not shown\n",
            diags.len() - MAX_RENDERED
        ));
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.iter().filter(|d| d.severity == Severity::Warning).count();
    if errors + warnings > 0 {
        out.push_str(&summary(errors, warnings));
        if let Some(d) = diags.iter().find(|d| d.code == RECOVERY_STOPPED) {
            // Not the whole file was checked: the count is a lower bound.
            let (line, _) = d.primary_span().map_or((0, 0), |s| sources.line_col(s.src, s.start));
            out.push_str(&format!(
                " (recovery stopped at line {line} after the first syntax errors: there may be more)"
            ));
        }
        out.push('\n');
    }
    out
}

pub fn summary(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, w: &str| {
        if n == 1 {
            format!("{n} {w}")
        } else {
            format!("{n} {w}s")
        }
    };
    match (errors, warnings) {
        (0, w) => plural(w, "warning"),
        (e, 0) => plural(e, "error"),
        (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
    }
}

/// Sorts diagnostics by source position (stable for equal positions).
pub fn sort(diags: &mut [Diag]) {
    diags.sort_by_key(|d| d.primary_span().map(|s| (s.src, s.start, s.end)));
}

/// Diagnostics of `code` with the same message become one, at the first place
/// (in source order), its message saying how often ("(used 8,000 times)") and
/// the next few places labelled: a word misspelt the same way 8,000 times is
/// one mistake. Linear in the number of diagnostics (after a sort).
pub fn collapse_repeats(diags: &mut Vec<Diag>, code: &str) {
    const SHOWN: usize = 3;
    if diags.iter().filter(|d| d.code == code).nth(1).is_none() {
        return;
    }
    sort(diags);
    // For each kept diagnostic of `code`: its index, uses, and places shown.
    let mut first: std::collections::HashMap<String, usize> = Default::default();
    let mut groups: Vec<(usize, usize, Vec<Span>)> = Vec::new();
    let mut kept = Vec::with_capacity(diags.len());
    for d in diags.drain(..) {
        if d.code == code {
            if let Some(&g) = first.get(&d.message) {
                let (_, uses, also) = &mut groups[g];
                *uses += 1;
                if also.len() < SHOWN {
                    also.extend(d.primary_span());
                }
                continue;
            }
            first.insert(d.message.clone(), groups.len());
            groups.push((kept.len(), 1, Vec::new()));
        }
        kept.push(d);
    }
    for (at, uses, also) in groups {
        if uses > 1 {
            let d = std::mem::replace(&mut kept[at], Diag::error("", ""));
            kept[at] = with_uses(d, uses, &also);
        }
    }
    *diags = kept;
}

/// `d`, a word's first use, told how often it is used ("(used 8,000 times)")
/// with the next places (`also`) labelled, the last saying how many more.
pub fn with_uses(mut d: Diag, uses: usize, also: &[Span]) -> Diag {
    if uses < 2 {
        return d;
    }
    d.message.push_str(&format!(" (used {} times)", thousands(uses)));
    let more = uses - 1 - also.len();
    let last = also.len().saturating_sub(1);
    for (i, &span) in also.iter().enumerate() {
        let text = if i == last && more > 0 {
            format!(
                "also used here, and {} more {}",
                thousands(more),
                if more == 1 { "time" } else { "times" }
            )
        } else {
            "also used here".to_string()
        };
        d = d.also(span, text);
    }
    d
}

/// `8000` → `8,000`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
