//! The `carbon` command line: the only place that reads files and writes output.

use carbon::diag::{self, RenderOptions};
use carbon::{render, Analysis, Options};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

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

#[derive(Subcommand)]
enum Command {
    /// Evaluate an inventory: print the balance and the explanation of every term.
    Run {
        file: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Parse and check an inventory; print diagnostics only.
    Check {
        file: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Print the full derivation of one term or value.
    Explain {
        file: String,
        /// A declaration (`coal`), a member (`coal.equivalent`) or a group (`sinks`, `net`).
        term: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Print the embedded prelude (units, GWP sets, default factors).
    Prelude,
}

fn render_opts() -> RenderOptions {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    RenderOptions { color, width: 100 }
}

fn load(file: &str) -> Result<Analysis, String> {
    match std::fs::read(file) {
        Ok(bytes) => Ok(carbon::analyze(file, &bytes, Options::default())),
        Err(e) => {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => "no such file".to_string(),
                std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
                _ => e.to_string(),
            };
            Err(format!("error[carbon::input::read]: cannot read `{file}`: {why}\n  help: check the path; carbon files usually end in .carbon\n"))
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Prelude => {
            out(carbon::PRELUDE);
            0
        }
        Command::Run { file, format } => match load(&file) {
            Err(e) => {
                eprint!("{e}");
                1
            }
            Ok(a) => {
                let report = a.report();
                match format {
                    Format::Json => out(&render::json(report.as_ref(), &a.diags, &a.sources)),
                    Format::Text => {
                        print_diags(&a);
                        if let Some(r) = &report {
                            out(&render::text(r));
                        } else if !a.has_errors() {
                            eprintln!("error[carbon::run::no_inventory]: `{file}` has no `inventory` header, so there is no balance to compute\n  help: add `inventory \"Site\" {{ period 1 a  gwp AR6 }}`, or use `carbon check` for a file of definitions");
                        }
                    }
                }
                i32::from(a.has_errors() || report.is_none())
            }
        },
        Command::Check { file, format } => match load(&file) {
            Err(e) => {
                eprint!("{e}");
                1
            }
            Ok(a) => {
                match format {
                    Format::Json => out(&render::json(None, &a.diags, &a.sources)),
                    Format::Text => {
                        print_diags(&a);
                        if !a.has_errors() {
                            eprintln!(
                                "ok: {file} checks ({})",
                                if a.diags.is_empty() {
                                    "no warnings".to_string()
                                } else {
                                    diag::summary(0, a.diags.len())
                                }
                            );
                        }
                    }
                }
                i32::from(a.has_errors())
            }
        },
        Command::Explain { file, term, format } => match load(&file) {
            Err(e) => {
                eprint!("{e}");
                1
            }
            Ok(a) => {
                if a.has_errors() {
                    print_diags(&a);
                    1
                } else {
                    match a.explain(&term) {
                        Ok(n) => {
                            match format {
                                Format::Text => out(&render::explain_text(&n)),
                                Format::Json => {
                                    out(&format!("{}\n", serde_json::to_string_pretty(&n).unwrap_or_default()))
                                }
                            }
                            0
                        }
                        Err(d) => {
                            eprint!("{}", diag::render(&d, &a.sources, render_opts()));
                            1
                        }
                    }
                }
            }
        },
    };
    ExitCode::from(code as u8)
}
