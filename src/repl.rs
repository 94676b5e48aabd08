//! The REPL front: line editing, history, completion, multi-line input, and file
//! writes. Everything else is `carbon::session`.

use carbon::diag::RenderOptions;
use carbon::session::{self, Reply, Session};
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Config, Context, Editor, Helper};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

struct ReplHelper {
    words: Vec<String>,
}

impl Completer for ReplHelper {
    type Candidate = Pair;
    fn complete(&self, line: &str, pos: usize, _: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        let start = before
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_alphanumeric() || matches!(c, '_' | '.' | ':' | '%' | '²' | '³')))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let word = &before[start..];
        if word.is_empty() {
            return Ok((pos, Vec::new()));
        }
        let list = self
            .words
            .iter()
            .filter(|w| w.starts_with(word))
            .take(200)
            .map(|w| Pair {
                display: w.clone(),
                replacement: w.clone(),
            })
            .collect();
        Ok((start, list))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}
impl Highlighter for ReplHelper {}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        Ok(if session::is_incomplete(ctx.input()) {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}

impl Helper for ReplHelper {}

/// `$CARBON_HISTORY`, else `$XDG_DATA_HOME/carbon/history`, else
/// `~/.local/share/carbon/history`.
fn history_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CARBON_HISTORY") {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("carbon").join("history"))
}

/// Writes a file atomically: a temporary file beside it, then a rename.
fn write_atomic(path: &str, text: &str) -> std::io::Result<()> {
    let p = std::path::Path::new(path);
    let dir = p
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, p)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn deliver(reply: &Reply) {
    if let Some((path, text)) = &reply.save {
        if let Err(e) = write_atomic(path, text) {
            eprintln!("error: cannot write `{path}`: {e}");
            return;
        }
    }
    if !reply.output.is_empty() {
        print!("{}", reply.output);
        let _ = std::io::stdout().flush();
    }
    if !reply.errors.is_empty() {
        eprint!("{}", reply.errors);
    }
}

pub fn run(file: Option<String>) -> i32 {
    let color = carbon::diag::color_on_stderr();
    let mut s = match &file {
        Some(f) => match carbon::input::read_to_string(f, carbon::input::DEFAULT_MAX_INPUT) {
            Ok(text) => match Session::load(f, &text) {
                Ok(s) => s,
                Err(e) => {
                    eprint!("{e}");
                    eprintln!("error: `{f}` has errors; fix them before exploring it");
                    return 1;
                }
            },
            Err(e) => {
                eprint!("{}", carbon::input::plain(&e));
                return 1;
            }
        },
        None => Session::empty(),
    };
    s.set_render(RenderOptions { color, width: 100 });
    if !std::io::stdin().is_terminal() {
        return piped(&mut s);
    }
    interactive(&mut s, file.as_deref())
}

/// Standard input is not a terminal: read lines, print results only.
fn piped(s: &mut Session) -> i32 {
    let mut buf = String::new();
    let mut failed = false;
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        buf.push_str(&line);
        buf.push('\n');
        if session::is_incomplete(&buf) {
            continue;
        }
        let reply = s.handle(&buf);
        failed |= !reply.errors.is_empty();
        deliver(&reply);
        buf.clear();
        if reply.quit {
            break;
        }
    }
    if !buf.trim().is_empty() {
        let reply = s.handle(&buf);
        failed |= !reply.errors.is_empty();
        deliver(&reply);
    }
    i32::from(failed)
}

fn interactive(s: &mut Session, file: Option<&str>) -> i32 {
    let config = Config::builder().auto_add_history(false).build();
    let mut rl: Editor<ReplHelper, DefaultHistory> = match Editor::with_config(config) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the line editor: {e}");
            return 1;
        }
    };
    rl.set_helper(Some(ReplHelper { words: s.completions() }));
    let history = history_path();
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    println!(
        "carbon {} — {}. `:help` lists the commands; Ctrl-D leaves.",
        env!("CARGO_PKG_VERSION"),
        file.map(|f| format!("loaded {f}"))
            .unwrap_or_else(|| "no file loaded".into())
    );
    loop {
        match rl.readline("carbon> ") {
            Ok(line) => {
                if line.trim().is_empty() {
                    continue;
                }
                let _ = rl.add_history_entry(line.as_str());
                let reply = s.handle(&line);
                deliver(&reply);
                if reply.quit {
                    break;
                }
                if let Some(h) = rl.helper_mut() {
                    h.words = s.completions();
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: {e}");
                break;
            }
        }
    }
    if let Some(h) = &history {
        if let Some(dir) = h.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = rl.save_history(h);
    }
    0
}
