//! The `carbon` command line: the only place that reads files and writes output.

use carbon::diag::{self, RenderOptions, Severity};
use carbon::{render, Analysis, Options};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
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
    /// The inventory file.
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
}

#[derive(Args, Clone)]
struct RunArgs {
    #[command(flatten)]
    common: Common,
    /// Print the full report: every term's derivation and every warning in full (text output).
    #[arg(long)]
    explain: bool,
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
        file: String,
        /// A declaration (`coal`), a member (`coal.equivalent`) or a group (`sinks`, `net`).
        term: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Explore an inventory interactively: what-if changes, diffs, goal seek.
    Repl {
        /// The inventory to load (optional).
        file: Option<String>,
    },
    /// Print the embedded prelude (units, GWP sets, default factors).
    Prelude,
}

fn render_opts() -> RenderOptions {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    RenderOptions { color, width: 100 }
}

fn load(file: &str, strict: bool) -> Result<Analysis, String> {
    match std::fs::read(file) {
        Ok(bytes) => Ok(carbon::analyze_owned(
            file,
            bytes,
            Options {
                strict,
                ..Options::default()
            },
        )),
        Err(e) => {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => "no such file".to_string(),
                std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
                _ => e.to_string(),
            };
            Err(format!(
                "error[carbon::input::read]: cannot read `{file}`: {why}\n  help: check the path; carbon files usually end in .carbon\n"
            ))
        }
    }
}

fn print_diags(a: &Analysis) {
    if !a.diags.is_empty() {
        eprint!("{}", diag::render_all(&a.diags, &a.sources, render_opts()));
    }
}

fn out(s: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(s.as_bytes());
    let _ = o.flush();
}

/// Writes to standard output through a buffer, as the output is produced.
fn out_with(f: impl FnOnce(&mut std::io::BufWriter<std::io::StdoutLock<'static>>) -> std::io::Result<()>) {
    let mut o = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let _ = f(&mut o);
    let _ = o.flush();
}

fn has_warnings(a: &Analysis) -> bool {
    a.diags.iter().any(|d| d.severity == Severity::Warning)
}

/// Columns of the text output: the terminal's (`COLUMNS`, or its size) when
/// standard output is one, else 100, so that the output of a pipe is fixed.
fn text_width() -> usize {
    if !std::io::stdout().is_terminal() {
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
        eprint!("{}", diag::render_all(&errors, &a.sources, render_opts()));
    }
    if !summary {
        let allowed = a.audit.as_ref().map_or(0, |x| x.allowed.len());
        eprint!("{}", render::warning_summary(&a.diags, allowed, file, 100));
    }
}

fn run(c: Common, check_only: bool, explain: bool) -> i32 {
    let start = std::time::Instant::now();
    let a = match load(&c.file, c.strict) {
        Ok(a) => a,
        Err(e) => {
            eprint!("{e}");
            return 1;
        }
    };
    let loaded = std::time::Instant::now();
    // The balance and the terms; each term's derivation is built while it is
    // written, and dropped after.
    let report = if check_only { None } else { a.outline() };
    let explained = std::time::Instant::now();
    match c.format {
        Format::Json => out_with(|o| render::json_stream(o, report.as_ref(), &a.diags, &a.sources)),
        Format::Text if check_only || explain => {
            print_diags(&a);
            if let Some(r) = &report {
                out_with(|o| render::text_stream(o, r));
            }
        }
        Format::Text => {
            print_summary_diags(&a, &c.file, report.is_some());
            if let Some(r) = &report {
                let opts = render::SummaryOptions {
                    file: &c.file,
                    width: text_width(),
                };
                out_with(|o| render::summary_stream(o, r, &a.diags, opts));
            }
        }
    }
    if c.timings {
        let rendered = std::time::Instant::now();
        let staged: std::time::Duration = a.timings.iter().map(|(_, d)| *d).sum();
        let mut lines = vec![("read file", (loaded - start).saturating_sub(staged))];
        lines.extend(a.timings.iter().copied());
        // `explain` is the balance and the terms table (the outline); each term's
        // derivation is built while it is written, so it counts in `render`.
        lines.push(("explain", explained - loaded));
        lines.push(("render", rendered - explained));
        for (stage, d) in &lines {
            eprintln!("timing {stage:<14} {:>10.3} ms", d.as_secs_f64() * 1e3);
        }
        eprintln!(
            "timing {:<14} {:>10.3} ms",
            "total",
            (rendered - start).as_secs_f64() * 1e3
        );
    }
    let mut failed = a.has_errors() || (c.deny_warnings && has_warnings(&a));
    if !check_only && report.is_none() && !a.has_errors() {
        eprintln!(
            "error[carbon::run::no_inventory]: `{}` has no `inventory` header, so there is no balance to compute\n  help: add `inventory \"Site\" {{ period 1 a  gwp AR6 }}`, or use `carbon check` for a file of definitions",
            c.file
        );
        failed = true;
    }
    if check_only && matches!(c.format, Format::Text) && !a.has_errors() {
        let warnings = a.diags.iter().filter(|d| d.severity == Severity::Warning).count();
        let allowed = a.audit.as_ref().map_or(0, |x| x.allowed.len());
        let mut line = format!("ok: {} checks", c.file);
        line.push_str(&match warnings {
            0 => " (no warnings".to_string(),
            n => format!(" ({}", diag::summary(0, n)),
        });
        if allowed > 0 {
            line.push_str(&format!("; {allowed} allowed with reasons"));
        }
        line.push(')');
        if c.deny_warnings && warnings > 0 {
            line = format!("error: {} has warnings and --deny-warnings is set", c.file);
        }
        eprintln!("{line}");
    }
    // The process exits next: freeing millions of small objects one by one would
    // only cost time.
    std::mem::forget(report);
    std::mem::forget(a);
    i32::from(failed)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Prelude => {
            out(carbon::PRELUDE);
            0
        }
        Command::Run(r) => run(r.common, false, r.explain),
        Command::Repl { file } => repl::run(file),
        Command::Check(c) => run(c, true, false),
        Command::Explain { file, term, format } => match load(&file, false) {
            Err(e) => {
                eprint!("{e}");
                1
            }
            Ok(a) => match a.explain(&term) {
                Ok(n) => {
                    match format {
                        Format::Text => out(&render::explain_text(&n)),
                        Format::Json => out(&format!("{}\n", serde_json::to_string_pretty(&n).unwrap_or_default())),
                    }
                    0
                }
                Err(d) => {
                    if a.has_errors() {
                        print_diags(&a);
                    } else {
                        eprint!("{}", diag::render(&d, &a.sources, render_opts()));
                    }
                    1
                }
            },
        },
    };
    ExitCode::from(code as u8)
}
