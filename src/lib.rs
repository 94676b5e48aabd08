//! carbon: an interpreter for explainable carbon inventories.
//!
//! The pipeline, one module per stage:
//! `syntax` (text → AST) → `units` (unit registry) → `names` (symbols, references
//! resolved to indices, dependency order) → `check` (dimensions, compiled code) →
//! `eval` (values) → `explain` (report and derivations) → `render` (text, JSON).
//! For a large file, `syntax` and `names` overlap: pieces of the file are parsed on
//! two threads while the names of the pieces before are declared
//! (`names::Streaming`); `units` is built from the unit declarations set aside.
//! This crate does no I/O: the CLI and the REPL are the front.

pub mod audit;
pub mod cancel;
pub mod check;
pub mod codes;
pub mod diag;
pub mod domain;
pub mod escape;
pub mod eval;
pub mod explain;
pub mod input;
pub mod ir;
pub mod names;
pub mod number;
pub mod par;
pub mod render;
pub mod session;
pub mod source;
pub mod suggest;
pub mod syntax;
pub mod units;
pub mod years;

use diag::Diag;
use source::{SourceId, SourceMap, Span};

/// The standard library, written in the language, embedded in the binary: the
/// units, GWP sets and constants, the paper's nine kinds of declaration, then
/// the method library (kinds with their default factors and sources,
/// docs/methods.md).
pub const PRELUDE: &str = concat!(
    include_str!("../prelude/prelude.carbon"),
    "\n",
    include_str!("../prelude/kinds.carbon"),
    "\n",
    include_str!("../prelude/methods.carbon")
);
pub const PRELUDE_NAME: &str = "<prelude>";

/// Everything known about one program after analysis.
pub struct Analysis {
    pub sources: SourceMap,
    pub program: Option<check::Program>,
    /// The values of one year: of an inventory over years, the year asked for
    /// (`Options::year`) or its last year reported.
    pub values: Option<eval::Values>,
    /// Every year's results, of an inventory over years.
    pub years: Option<years::Years>,
    pub audit: Option<audit::Audit>,
    pub diags: Vec<Diag>,
    /// Time spent in each stage, in order (for `--timings` and benchmarks).
    pub timings: Vec<(&'static str, std::time::Duration)>,
}

impl Analysis {
    pub fn has_errors(&self) -> bool {
        self.diags.iter().any(|d| d.is_error())
    }

    /// Frees the expressions a program checked on two threads keeps (see
    /// `check::check_with`): nothing reads them after the check. For a holder
    /// that keeps the analysis for long, such as a REPL session.
    pub fn free_expressions(&mut self) {
        if let Some(p) = &mut self.program {
            p.res.irs = Vec::new();
        }
    }

    fn explainer(&self) -> Option<explain::Explainer<'_>> {
        Some(explain::Explainer {
            p: self.program.as_ref()?,
            vals: self.values.as_ref()?,
            sources: &self.sources,
        })
    }

    /// Whether the program was evaluated and its only errors, if any, are failed
    /// expectations (the balance then still stands, to be shown with them).
    pub fn evaluated(&self) -> bool {
        self.program.is_some()
            && self.values.is_some()
            && self
                .diags
                .iter()
                .filter(|d| d.is_error())
                .all(|d| d.code == "carbon::audit::expect_failed")
    }

    /// The balance report (when the program has an inventory header and was
    /// evaluated), borrowed from the analysis: each term's derivation is computed
    /// while it is written (`render::text_to`, `render::json_to`).
    pub fn report(&self) -> Option<explain::Report<'_>> {
        if !self.evaluated() {
            return None;
        }
        let mut r = self.explainer()?.report()?;
        if let Some(a) = &self.audit {
            r.expectations = &a.expectations;
            r.allowed = &a.allowed;
        }
        r.years = self.years.as_ref();
        Some(r)
    }

    /// The derivation of one named value (`coal`, `coal.equivalent`, `net`).
    pub fn explain(&self, name: &str) -> Result<explain::Derivation<'_>, Diag> {
        let e = self
            .explainer()
            .ok_or_else(|| Diag::error("carbon::explain", "the program has errors; nothing to explain"))?;
        let res = &e.p.res;
        let id = find_symbol(res, name).ok_or_else(|| {
            let mut names: Vec<&str> = res.syms.iter().filter(|s| !s.prelude).map(|s| &*s.name).collect();
            names.sort();
            let mut d = Diag::error("carbon::explain::unknown", format!("no term or value named `{name}`"));
            d = match suggest::closest(name, names.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help("name a declaration (`coal`), a field or derived value (`coal.equivalent`), or a group (`above`, `sinks`, `net`)"),
            };
            d
        })?;
        if self.values.as_ref().and_then(|v| v.get(id)).is_none() {
            return Err(Diag::error("carbon::explain", format!("`{name}` has no value")));
        }
        let mut n = e.derivation(id);
        if let Some(a) = &self.audit {
            n.expectations = expectations_concerning(e.p, id, a);
        }
        if let Some((share, of_total)) = e.term_shares(id) {
            n.share = share;
            n.share_of_total = of_total;
        }
        Ok(n)
    }
}

/// The expectations whose computed side reads `id` (transitively).
fn expectations_concerning(p: &check::Program, id: ir::SymId, a: &audit::Audit) -> Vec<audit::ExpectResult> {
    let mut out = Vec::new();
    for (e, r) in p.res.expects.iter().zip(&a.expectations) {
        let mut seen = vec![false; p.res.syms.len()];
        let mut stack = vec![e.actual];
        let mut hit = false;
        while let Some(s) = stack.pop() {
            if s == id {
                hit = true;
                break;
            }
            if std::mem::replace(&mut seen[s as usize], true) {
                continue;
            }
            if let Some(c) = &p.checked[s as usize].code {
                check::code_deps(c, &mut stack);
            }
        }
        if hit {
            out.push(r.clone());
        }
    }
    out
}

fn find_symbol(res: &names::Resolved, name: &str) -> Option<ir::SymId> {
    res.find(name).filter(|&id| res.syms[id as usize].value().is_some())
}

/// Options of one analysis.
#[derive(Copy, Clone, Debug)]
pub struct Options {
    /// Load the embedded prelude first.
    pub prelude: bool,
    /// Missing provenance and data-quality warnings are errors.
    pub strict: bool,
    /// Parse a large file whole before declaring its names, instead of in pieces
    /// declared as they are parsed (the result is the same: tests compare them).
    #[doc(hidden)]
    pub whole: bool,
    /// Of an inventory over years, the year whose values are kept (for its
    /// report and explanations); by default its last year reported.
    pub year: Option<i64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            prelude: true,
            strict: false,
            whole: false,
            year: None,
        }
    }
}

/// Reads bytes as UTF-8; invalid input becomes a diagnostic at the first bad byte.
pub fn decode(sources: &mut SourceMap, name: &str, bytes: &[u8]) -> Result<SourceId, (SourceId, Diag)> {
    decode_owned(sources, name, bytes.to_vec())
}

/// As [`decode`], taking the bytes: valid text becomes the source without a copy.
pub fn decode_owned(sources: &mut SourceMap, name: &str, bytes: Vec<u8>) -> Result<SourceId, (SourceId, Diag)> {
    match String::from_utf8(bytes) {
        Ok(t) => Ok(sources.add(name, t)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            // Offsets before the first invalid byte are the same in the lossy text.
            let id = sources.add(name, text);
            let d = Diag::error("carbon::input::utf8", "the file is not valid UTF-8 text")
                .at(Span::new(id, at, at + 1), format!("invalid byte at offset {at}"))
                .help("save the file as UTF-8 (carbon files are plain text)");
            Err((id, d))
        }
    }
}

/// Parses, checks and evaluates one program (with the prelude).
///
/// ```
/// let src = r#"
///   inventory "Demo" { period 1 a  gwp SAR }
///   gas methane { amount 647.96 tCH4/a  assumed "example" }
/// "#;
/// let a = carbon::analyze("demo.carbon", src.as_bytes(), carbon::Options::default());
/// assert!(!a.has_errors());
/// let report = a.report().expect("a balance");
/// assert_eq!(report.balance.unit, "tCO2e");
/// assert!((report.balance.value - 647.96 * 21.0).abs() < 1e-6);
/// ```
pub fn analyze(name: &str, bytes: &[u8], opts: Options) -> Analysis {
    analyze_owned(name, bytes.to_vec(), opts)
}

/// As [`analyze`], taking the bytes (a file as read): the text is not copied.
pub fn analyze_owned(name: &str, bytes: Vec<u8>, opts: Options) -> Analysis {
    let mut sources = SourceMap::new();
    let prelude_id = opts.prelude.then(|| sources.add(PRELUDE_NAME, PRELUDE));
    let file_id = match decode_owned(&mut sources, name, bytes) {
        Ok(id) => id,
        Err((_, d)) => {
            return Analysis {
                sources,
                program: None,
                values: None,
                years: None,
                audit: None,
                diags: vec![d],
                timings: Vec::new(),
            }
        }
    };
    analyze_sources(sources, prelude_id, file_id, opts)
}

/// Runs the pipeline over sources already loaded.
pub fn analyze_sources(sources: SourceMap, prelude_id: Option<SourceId>, file_id: SourceId, opts: Options) -> Analysis {
    // Syntax errors name a stray unit word (`1 tCO2 e`) by asking the prelude's
    // units, a later stage: handed down here, so that syntax does not import units.
    syntax::know_units(units::prelude_knows);
    on_big_stack(move || analyze_on_this_thread(sources, prelude_id, file_id, opts))
}

pub use par::on_big_stack;

fn analyze_on_this_thread(
    sources: SourceMap,
    prelude_id: Option<SourceId>,
    file_id: SourceId,
    opts: Options,
) -> Analysis {
    let mut diags = Vec::new();
    let mut clock = Clock::new();
    let streamed = if !opts.whole && sources.text(file_id).len() >= STREAM_BYTES {
        resolve_streamed(&sources, prelude_id, file_id, &mut clock)
    } else {
        None
    };
    let (res, units, table) = match streamed {
        Some((res, units, d, table)) => {
            diags.extend(d);
            (res, units, table)
        }
        None => match resolve_whole(&sources, prelude_id, file_id, &mut clock, &mut diags) {
            Some((res, units)) => (res, units, None),
            None => {
                diag::sort(&mut diags);
                return Analysis {
                    sources,
                    program: None,
                    values: None,
                    years: None,
                    audit: None,
                    diags,
                    timings: clock.laps,
                };
            }
        },
    };
    let (program, mut d) = check::check_in(res, units, table);
    // One unknown unit is one diagnostic, however often it is written.
    diag::collapse_repeats(&mut d, "carbon::units::unknown");
    diags.extend(d);
    clock.lap("check");
    // A large program's uses (for the audit) are found on another thread while the
    // values are evaluated.
    // An inventory over years is evaluated year by year (`years`).
    let mut over_years = None;
    let span = match years::span_of(&program) {
        Ok(s) => s,
        Err(d) => {
            diags.push(d);
            None
        }
    };
    let (values, used) = if diags.iter().any(|d| d.is_error()) {
        (None, None)
    } else {
        // (If no thread can be started, the audit finds them itself.)
        let ((v, d), used) = if let Some(span) = span {
            let (y, v, mut d) = years::run(&program, &span, opts.year);
            over_years = Some(y);
            // With `strict`, its warnings are errors, as the audit's.
            if opts.strict {
                for x in &mut d {
                    x.severity = diag::Severity::Error;
                }
            }
            ((v, d), None)
        } else if program.res.syms.len() >= PARALLEL_AUDIT {
            par::beside(|| eval::evaluate(&program), || audit::referenced(&program))
        } else {
            (eval::evaluate(&program), None)
        };
        diags.extend(d);
        (Some(v), used)
    };
    clock.lap("evaluate");
    let audit = match &values {
        Some(v) if !diags.iter().any(|d| d.is_error()) => {
            let mut a = audit::audit_with(&program, v, &sources, opts.strict, used, over_years.as_ref());
            diags.append(&mut a.diags);
            Some(a)
        }
        _ => None,
    };
    clock.lap("audit");
    diag::sort(&mut diags);
    Analysis {
        sources,
        program: Some(program),
        values,
        years: over_years,
        audit,
        diags,
        timings: clock.laps,
    }
}

/// Programs with at least this many symbols find their uses for the audit on a
/// second thread while they are evaluated.
const PARALLEL_AUDIT: usize = 50_000;

/// Programs with at least this many symbols have the check stage's table made
/// on another thread while the names stage finishes.
const PREPARED_TABLE: usize = 1_000_000;

/// Files at least this long are parsed in pieces on other threads while the
/// names stage declares the pieces already parsed ([`resolve_streamed`]).
const STREAM_BYTES: usize = 256 * 1024;
/// The size of a piece: a sixteenth of the file, between these bounds (larger
/// pieces cost less to hand over; enough of them keep both parsing threads busy).
const STREAM_PIECE_MIN: usize = 64 * 1024;
const STREAM_PIECE_MAX: usize = 1024 * 1024;
/// Threads parsing pieces while the names are declared.
const PARSERS: usize = 2;

/// Parses the file in pieces on `PARSERS` threads and declares each piece's names
/// as it arrives, in order (`names::Streaming`), then builds the units and finishes
/// the names.
/// `None` when the fast parser gives up on a piece, the file declares nothing or
/// the prelude has an error: the caller then runs [`resolve_whole`], which
/// reports every error.
fn resolve_streamed(
    sources: &SourceMap,
    prelude_id: Option<SourceId>,
    file_id: SourceId,
    clock: &mut Clock,
) -> Option<(names::Resolved, units::Units, Vec<Diag>, Option<check::Results>)> {
    let text = sources.text(file_id);
    let mut stream = names::Streaming::new(prelude_id, text.len() / 160 + 16);
    // Two threads parse the pieces (even and odd ones) while this one parses and
    // declares the prelude, then declares the pieces in order; what is left of a
    // piece once declared goes back to the thread that parsed it (`par::ordered`).
    let piece = (text.len() / 16).clamp(STREAM_PIECE_MIN, STREAM_PIECE_MAX);
    let pieces = syntax::pieces(text, piece);
    let mut state = (&mut stream, &mut *clock, 0);
    let parsed = par::ordered(
        &mut state,
        &pieces,
        PARSERS,
        |(start, end)| syntax::parse_piece(file_id, text, start, end),
        |(stream, clock, before)| {
            let mut ok = true;
            if let Some(id) = prelude_id {
                let p = syntax::parse(id, sources.text(id));
                // An error in the prelude: the whole-file path reports it.
                ok = p.diags.is_empty();
                drop(stream.feed(id, p.file.decls));
            }
            clock.lap("parse prelude");
            *before = stream.declared();
            ok
        },
        |(stream, _, _), decls| stream.feed(file_id, decls),
    );
    let before = state.2;
    if !parsed || stream.declared() == before {
        clock.lap("parse + declare (given up)");
        return None;
    }
    clock.lap("parse + declare");
    let files: Vec<&syntax::ast::File> = stream.unit_files().iter().collect();
    let (mut units, mut diags) = units::Units::build(&files);
    drop(files);
    clock.lap("units");
    // The check stage's table is made on another thread while the names stage
    // finishes (fresh memory is slow to get, and this thread is the busy one).
    let bound = stream.symbols_bound();
    // (Without the table — no thread, or it failed — the check stage makes it.)
    let ((res, d), table) = if bound >= PREPARED_TABLE {
        par::beside(|| stream.finish(&mut units), move || check::Results::new(bound))
    } else {
        (stream.finish(&mut units), None)
    };
    debug_assert!(res.syms.len() <= bound, "symbols_bound is below the symbols");
    diags.extend(d);
    clock.lap("names");
    Some((res, units, diags, table))
}

/// Parses the prelude and the file whole, then builds the units and the names.
/// `None` (with the diagnostics in `diags`) after a syntax error or an empty file.
fn resolve_whole(
    sources: &SourceMap,
    prelude_id: Option<SourceId>,
    file_id: SourceId,
    clock: &mut Clock,
    diags: &mut Vec<Diag>,
) -> Option<(names::Resolved, units::Units)> {
    let prelude = prelude_id.map(|id| syntax::parse(id, sources.text(id)));
    if let Some(p) = &prelude {
        diags.extend(p.diags.iter().cloned());
    }
    clock.lap("parse prelude");
    let file = syntax::parse(file_id, sources.text(file_id));
    diags.extend(file.diags.iter().cloned());
    clock.lap("parse");
    if file.diags.is_empty() && file.file.decls.is_empty() {
        let end = sources.text(file_id).len();
        diags.push(
            Diag::error("carbon::input::empty", "the file declares nothing")
                .at(Span::new(file_id, 0, end), "no declarations here")
                .help("start with `inventory \"Site\" { period 1 a  gwp AR6 }` and add declarations; see examples/"),
        );
    }
    if diags.iter().any(|d| d.is_error()) {
        return None;
    }
    let mut files: Vec<&syntax::ast::File> = Vec::new();
    if let Some(p) = &prelude {
        files.push(&p.file);
    }
    files.push(&file.file);
    let (mut units, d) = units::Units::build(&files);
    diags.extend(d);
    clock.lap("units");
    drop(files);
    // Names takes the syntax trees and frees each declaration once it is declared,
    // so that the symbols reuse that memory; no later stage reads the AST.
    let mut trees = Vec::with_capacity(2);
    trees.extend(prelude.map(|p| p.file));
    trees.push(file.file);
    let (res, d) = names::resolve(trees, prelude_id, &mut units);
    diags.extend(d);
    clock.lap("names");
    Some((res, units))
}

/// Stage timings.
struct Clock {
    last: std::time::Instant,
    laps: Vec<(&'static str, std::time::Duration)>,
}

impl Clock {
    fn new() -> Clock {
        Clock {
            last: std::time::Instant::now(),
            laps: Vec::new(),
        }
    }
    fn lap(&mut self, stage: &'static str) {
        let now = std::time::Instant::now();
        self.laps.push((stage, now - self.last));
        self.last = now;
    }
}
