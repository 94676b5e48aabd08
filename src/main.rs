//! The `carbon` command line: the only place that reads files and writes output.

use carbon::diag::{self, Diag, RenderOptions, Severity};
use carbon::input::{self, DEFAULT_MAX_INPUT_TEXT};
use carbon::source::SourceMap;
use carbon::{codes, render, Analysis, Options};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::process::ExitCode;

mod repl;

// Many small allocations (AST, symbols, derivation trees): mimalloc is markedly
// faster than the system allocator for them. Its v2 line (Cargo feature `v2`):
// fewer instructions an allocation and a lower peak than v3 on this workload.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "carbon",
    version,
    about = "Explainable carbon inventories: check units, compute the balance, explain every term"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Copy, Clone, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Args, Clone)]
struct Common {
    /// The inventory file (`-`: standard input).
    file: String,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Treat missing provenance and data-quality warnings as errors.
    #[arg(long)]
    strict: bool,
    /// Exit with status 1 if there is any warning (for CI).
    #[arg(long)]
    deny_warnings: bool,
    /// Print the time spent in each stage to standard error.
    #[arg(long)]
    timings: bool,
    /// Refuse an input larger than this: bytes, or with K, M or G (binary: 1K = 1024).
    #[arg(long, value_name = "SIZE", default_value = DEFAULT_MAX_INPUT_TEXT, value_parser = input::parse_size)]
    max_input_size: u64,
}

#[derive(Args, Clone)]
struct RunArgs {
    #[command(flatten)]
    common: Common,
    /// Print the full report: every term's derivation and every warning in full (text output).
    #[arg(long)]
    explain: bool,
    /// Of an inventory over years: one row a year (emissions, removals, offsets,
    /// net, cumulative net, verdict), to the horizon.
    #[arg(long, value_enum, value_name = "year")]
    by: Option<By>,
    /// Of an inventory over years: report this year (by default the last year
    /// reported, `end`).
    #[arg(long, value_name = "YEAR")]
    year: Option<i64>,
}

#[derive(Copy, Clone, ValueEnum)]
enum By {
    Year,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate an inventory: print a summary (balance, terms, expectations, warnings); with
    /// --explain, the derivation of every term too.
    Run(RunArgs),
    /// Parse, check and audit an inventory; print diagnostics only.
    Check(Common),
    /// Print the full derivation of one term or value, and the expectations that concern it.
    Explain {
        /// The inventory file (`-`: standard input).
        file: String,
        /// A declaration (`coal`), a member (`coal.equivalent`) or a group (`sinks`, `net`).
        term: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Of an inventory over years: explain it in this year (by default the
        /// last year reported, `end`).
        #[arg(long, value_name = "YEAR")]
        year: Option<i64>,
        /// Refuse an input larger than this: bytes, or with K, M or G (binary: 1K = 1024).
        #[arg(long, value_name = "SIZE", default_value = DEFAULT_MAX_INPUT_TEXT, value_parser = input::parse_size)]
        max_input_size: u64,
    },
    /// Explore an inventory interactively: what-if changes, diffs, goal seek.
    Repl {
        /// The inventory to load (optional).
        file: Option<String>,
    },
    /// Print the embedded prelude (units, GWP sets, default factors, the kinds and methods).
    Prelude,
    /// Explain a diagnostic code, e.g. `carbon explain-code units::mismatch`.
    ExplainCode {
        /// The code, with or without `carbon::` (as printed above an error).
        #[arg(required_unless_present = "list")]
        code: Option<String>,
        /// List every code with its one-line summary.
        #[arg(long, conflicts_with = "code")]
        list: bool,
    },
}

fn render_opts() -> RenderOptions {
    RenderOptions {
        color: diag::color_on_stderr(),
        width: 100,
    }
}

/// Reads `file` (`-`: standard input, at most `limit` bytes) and analyses it.
fn load(file: &str, strict: bool, limit: u64, year: Option<i64>) -> Result<Analysis, Diag> {
    let input = input::read(file, limit)?;
    Ok(carbon::analyze_owned(
        &input.name,
        input.bytes,
        Options {
            strict,
            year,
            ..Options::default()
        },
    ))
}

/// `--year` or `--by year` of an inventory that is not over years, or a year
/// outside its span: the error, if any.
fn year_asked(a: &Analysis, year: Option<i64>, by: bool) -> Option<Diag> {
    if a.has_errors() || (year.is_none() && !by) {
        return None;
    }
    let what = if by { "`--by year`" } else { "`--year`" };
    let Some(y) = &a.years else {
        return Some(
            Diag::error("carbon::cli::years", format!("{what} needs an inventory over years"))
                .help("add `start 2021` and `end 2025` (the first and last year reported) to the inventory"),
        );
    };
    let s = y.span;
    year.filter(|v| !(s.start..=s.horizon).contains(v)).map(|v| {
        Diag::error(
            "carbon::cli::years",
            format!("{v} is not a year of the inventory ({}–{})", s.start, s.horizon),
        )
        .help(format!("ask for a year from {} to {}", s.start, s.horizon))
    })
}

/// How `file` is named in messages (`-` is standard input).
fn shown(file: &str) -> &str {
    if file == "-" {
        input::STDIN_NAME
    } else {
        file
    }
}

/// Writes to standard error. A failure (a full disk, a closed descriptor) is
/// ignored: there is nowhere left to report it, and it must not end the program.
fn err(s: &str) {
    let _ = std::io::stderr().lock().write_all(s.as_bytes());
}

fn print_diags(a: &Analysis) {
    if !a.diags.is_empty() {
        err(&diag::render_all(&a.diags, &a.sources, render_opts()));
    }
}

fn out(s: &str) -> std::io::Result<()> {
    let mut o = std::io::stdout().lock();
    o.write_all(s.as_bytes())?;
    o.flush()
}

/// Writes to standard output through a buffer, as the output is produced.
fn out_with(
    f: impl FnOnce(&mut std::io::BufWriter<std::io::StdoutLock<'static>>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut o = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    f(&mut o)?;
    o.flush()
}

/// The exit status once the output is written: `code` when every write
/// succeeded, or when standard output was closed (a reader that stopped early,
/// as `head` does, ends the program quietly); 1, with one line on standard error,
/// when a write failed (a full disk).
fn written(r: std::io::Result<()>, code: i32) -> i32 {
    match r {
        Ok(()) => code,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => code,
        Err(e) => {
            err(&input::plain(&Diag::error(
                "carbon::output::write",
                format!("cannot write the output: {}", input::os_message(&e)),
            )));
            1
        }
    }
}

/// Reports an input that could not be read: in JSON as `{"KEY": null,
/// "diagnostics": [...]}` on standard output, else as text on standard error.
fn input_error(d: &Diag, format: Format, key: &str) -> i32 {
    match format {
        Format::Text => {
            err(&input::plain(d));
            1
        }
        Format::Json => {
            let v = serde_json::json!({ key: null, "diagnostics": [render::diag_json(d, &SourceMap::new())] });
            let text = serde_json::to_string_pretty(&v).unwrap_or_default();
            written(out(&format!("{text}\n")), 1)
        }
    }
}

fn has_warnings(a: &Analysis) -> bool {
    a.diags.iter().any(|d| d.severity == Severity::Warning)
}

/// Columns of the text output: the terminal's (`COLUMNS`, or its size) when
/// standard output is one, else 100, so that the output of a pipe is fixed.
fn text_width() -> usize {
    if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        return 100;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .or_else(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
        .unwrap_or(100)
}

/// The diagnostics under the summary of `run`: errors in full, warnings one line
/// a kind in the summary (here, when there is no summary).
fn print_summary_diags(a: &Analysis, file: &str, summary: bool) {
    let errors: Vec<diag::Diag> = a.diags.iter().filter(|d| d.is_error()).cloned().collect();
    if !errors.is_empty() {
        err(&diag::render_all(&errors, &a.sources, render_opts()));
    }
    if !summary {
        let allowed = a.audit.as_ref().map_or(0, |x| x.allowed.len());
        err(&render::warning_summary(&a.diags, allowed, file, 100));
    }
}

fn run(c: Common, check_only: bool, explain: bool, by: Option<By>, year: Option<i64>) -> i32 {
    let start = std::time::Instant::now();
    let a = match load(&c.file, c.strict, c.max_input_size, year) {
        Ok(a) => a,
        Err(d) => return input_error(&d, c.format, "inventory"),
    };
    if let Some(d) = year_asked(&a, year, by.is_some()) {
        return input_error(&d, c.format, "inventory");
    }
    let loaded = std::time::Instant::now();
    // The balance and the terms; each term's derivation is built while it is
    // written, and dropped after.
    let report = if check_only { None } else { a.report() };
    let explained = std::time::Instant::now();
    // `run` of a file of definitions: an error of its own, with the file's
    // diagnostics (in JSON, in the one list).
    let no_inventory = (!check_only && report.is_none() && !a.has_errors()).then(|| {
        Diag::error(
            "carbon::run::no_inventory",
            format!(
                "`{}` has no `inventory` header, so there is no balance to compute",
                shown(&c.file)
            ),
        )
        .help("add `inventory \"Site\" { period 1 a  gwp AR6 }`, or use `carbon check` for a file of definitions")
    });
    // `--deny-warnings` with warnings: an error of its own, in JSON in the list.
    let denied = (c.deny_warnings && !a.has_errors() && has_warnings(&a)).then(|| {
        Diag::error(
            "carbon::cli::deny_warnings",
            format!("{} has warnings and --deny-warnings is set", shown(&c.file)),
        )
    });
    let output = match c.format {
        Format::Json => {
            let with: Option<Vec<Diag>> = (no_inventory.is_some() || denied.is_some()).then(|| {
                let mut v = a.diags.clone();
                v.extend(no_inventory.iter().chain(&denied).cloned());
                v
            });
            let diags = with.as_deref().unwrap_or(&a.diags);
            out_with(|o| render::json_to(o, report.as_ref(), diags, &a.sources))
        }
        Format::Text if check_only || explain => {
            print_diags(&a);
            match &report {
                Some(r) => out_with(|o| render::text_to(o, r)),
                None => Ok(()),
            }
        }
        Format::Text if by.is_some() => {
            print_summary_diags(&a, &c.file, false);
            match &a.years {
                Some(y) => out(&render::years_text(y)),
                None => Ok(()),
            }
        }
        Format::Text => {
            print_summary_diags(&a, &c.file, report.is_some());
            if let Some(r) = &report {
                let opts = render::SummaryOptions {
                    file: &c.file,
                    width: text_width(),
                };
                out_with(|o| render::summary_stream(o, r, &a.diags, opts))
            } else {
                Ok(())
            }
        }
    };
    if c.timings {
        let rendered = std::time::Instant::now();
        let staged: std::time::Duration = a.timings.iter().map(|(_, d)| *d).sum();
        let mut lines = vec![("read file", (loaded - start).saturating_sub(staged))];
        lines.extend(a.timings.iter().copied());
        // `explain` is the balance and the terms table (the report); each term's
        // derivation is built while it is written, so it counts in `render`.
        lines.push(("explain", explained - loaded));
        lines.push(("render", rendered - explained));
        let mut text = String::new();
        for (stage, d) in &lines {
            text.push_str(&format!("timing {stage:<14} {:>10.3} ms\n", d.as_secs_f64() * 1e3));
        }
        text.push_str(&format!(
            "timing {:<14} {:>10.3} ms\n",
            "total",
            (rendered - start).as_secs_f64() * 1e3
        ));
        err(&text);
    }
    let mut failed = a.has_errors() || (c.deny_warnings && has_warnings(&a));
    if let Some(d) = &no_inventory {
        if matches!(c.format, Format::Text) {
            err(&diag::render(d, &a.sources, render_opts()));
        }
        failed = true;
    }
    if check_only && matches!(c.format, Format::Text) && !a.has_errors() {
        let warnings = a.diags.iter().filter(|d| d.severity == Severity::Warning).count();
        let allowed = a.audit.as_ref().map_or(0, |x| x.allowed.len());
        let name = shown(&c.file);
        let mut line = format!("ok: {name} checks");
        line.push_str(&match warnings {
            0 => " (no warnings".to_string(),
            n => format!(" ({}", diag::summary(0, n)),
        });
        if allowed > 0 {
            line.push_str(&format!("; {allowed} allowed with reasons"));
        }
        line.push_str(")\n");
        if let Some(d) = &denied {
            line = input::plain(d);
        }
        err(&line);
    }
    // The process exits next: freeing millions of small objects one by one would
    // only cost time.
    std::mem::forget(report);
    std::mem::forget(a);
    written(output, i32::from(failed))
}

/// `carbon explain`: the derivation of `term`, or the errors that prevent it (in
/// JSON, both in the one object, as `run` does).
fn explain(file: &str, term: &str, format: Format, year: Option<i64>, limit: u64) -> i32 {
    let a = match load(file, false, limit, year) {
        Ok(a) => a,
        Err(d) => return input_error(&d, format, "name"),
    };
    if let Some(d) = year_asked(&a, year, false) {
        return input_error(&d, format, "name");
    }
    let result = a.explain(term);
    match (format, &result) {
        (Format::Text, Ok(n)) => written(out(&render::explain_text(n)), 0),
        (Format::Text, Err(d)) => {
            if a.has_errors() {
                print_diags(&a);
            } else {
                err(&diag::render(d, &a.sources, render_opts()));
            }
            1
        }
        (Format::Json, _) => {
            // The file's own errors say why there is nothing to explain better
            // than the general "the program has errors".
            let mut diags: Vec<&Diag> = Vec::with_capacity(a.diags.len() + 1);
            if let Err(d) = &result {
                if !a.has_errors() {
                    diags.push(d);
                }
            }
            diags.extend(&a.diags);
            let output = out_with(|o| render::explain_json_to(o, result.as_ref().ok(), &diags, &a.sources));
            written(output, i32::from(result.is_err()))
        }
    }
}

/// `carbon explain-code`: the explanation of one diagnostic code (with or
/// without `carbon::`), or with `--list` every code and its summary. An unknown
/// code gets the closest one and status 1.
fn explain_code(code: Option<&str>, list: bool) -> i32 {
    if list {
        return written(out(&codes::list_text()), 0);
    }
    let name = code.unwrap_or_default();
    match codes::find(name) {
        Some(c) => written(out(&codes::explain_text(c)), 0),
        None => {
            let mut d = Diag::error(
                "carbon::cli::unknown_code",
                format!("`{name}` is not a diagnostic code"),
            );
            d.help = Some(codes::unknown_help(name));
            err(&input::plain(&d));
            1
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // A usage error goes to standard error, `--help` and `--version` to
            // standard output: a failure to write the latter is reported.
            let printed = e.print();
            let code = if e.use_stderr() {
                e.exit_code()
            } else {
                written(printed, e.exit_code())
            };
            return ExitCode::from(code as u8);
        }
    };
    let code = match cli.command {
        Command::Prelude => written(out(carbon::PRELUDE), 0),
        Command::ExplainCode { code, list } => explain_code(code.as_deref(), list),
        Command::Run(r) => run(r.common, false, r.explain, r.by, r.year),
        Command::Repl { file } => repl::run(file),
        Command::Check(c) => run(c, true, false, None, None),
        Command::Explain {
            file,
            term,
            format,
            year,
            max_input_size,
        } => explain(&file, &term, format, year, max_input_size),
    };
    ExitCode::from(code as u8)
}
