//! The REPL front: line editing, history, completion, multi-line input, and file
//! writes. Everything else is `carbon::session`.
//!
//! Its promises: a closed standard output ends the session quietly and a failed
//! write to standard error never panics; a piped script goes on after a line that
//! is not UTF-8 (and exits 1); Ctrl-C stops the running command, not the session;
//! leaving with unsaved what-ifs is asked once; `:save` never replaces an unrelated
//! file without `:save!` and keeps the replaced file's mode and owner; each history
//! entry is appended to the history file as it is entered.

use carbon::cancel;
use carbon::diag::{Diag, RenderOptions};
use carbon::session::{self, Reply, Session};
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::{DefaultHistory, History};
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Context, Editor, Helper};
use std::io::{BufRead, ErrorKind, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// The prompt, and the one shown while the input is incomplete.
const PROMPT: &str = "carbon> ";
const CONTINUATION: &str = "...> ";
/// History entries loaded at start (the newest).
const HISTORY_KEEP: usize = 1000;
/// A history file with more lines than this is cut to its newest entries.
const HISTORY_COMPACT: usize = 10_000;

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
// Multi-line input is read line by line (with the `...> ` prompt), not by
// rustyline's validator, which cannot show a continuation prompt.
impl Validator for ReplHelper {}
impl Helper for ReplHelper {}

/// Standard output is closed (or failing): the session ends.
struct Closed;

/// Writes to standard output. A closed pipe ends the session quietly; another
/// failure (a full disk) is said once on standard error.
fn out(text: &str) -> Result<(), Closed> {
    let mut o = std::io::stdout().lock();
    match o.write_all(text.as_bytes()).and_then(|()| o.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Err(Closed),
        Err(e) => {
            say(&cannot_write("the output", &e));
            Err(Closed)
        }
    }
}

/// Says a diagnostic of the front (one about no text) on standard error, drawn
/// as the session draws its own.
fn say(d: &Diag) {
    let opts = RenderOptions {
        color: carbon::diag::color_on_stderr(),
        width: 100,
    };
    err(&carbon::diag::render_all(
        std::slice::from_ref(d),
        &carbon::source::SourceMap::new(),
        opts,
    ));
}

/// `carbon::output::write`: `what` (the output, a file) could not be written.
fn cannot_write(what: &str, e: &std::io::Error) -> Diag {
    Diag::error(
        "carbon::output::write",
        format!("cannot write {what}: {}", carbon::input::os_message(e)),
    )
}

/// `carbon::repl::terminal`: the line editor failed.
fn terminal(what: &str, e: &dyn std::fmt::Display) -> Diag {
    Diag::error("carbon::repl::terminal", format!("{what}: {e}"))
        .help("run the REPL in a terminal, or pipe the commands in (`carbon repl FILE < script`)")
}

/// Writes to standard error; a failure is ignored (there is nowhere to say it).
fn err(text: &str) {
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(text.as_bytes());
    let _ = e.flush();
}

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

/// One history entry as one line of the file (rustyline's `#V2` escapes: a
/// multi-line entry keeps its line breaks as `\n`).
fn escape_entry(entry: &str) -> String {
    let mut s = String::with_capacity(entry.len() + 1);
    for c in entry.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => {}
            c => s.push(c),
        }
    }
    s.push('\n');
    s
}

fn unescape_entry(line: &str) -> String {
    let mut s = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            s.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => s.push('\n'),
            Some(other) => s.push(other),
            None => s.push('\\'),
        }
    }
    s
}

/// The newest readable entries of a history file: lines that are not UTF-8 are
/// skipped, not the file. A very long file is cut to its newest entries.
fn load_history(path: &Path) -> Vec<String> {
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    let lines: Vec<&str> = bytes
        .split(|&b| b == b'\n')
        .filter_map(|l| std::str::from_utf8(l).ok())
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty() && *l != "#V2")
        .collect();
    let keep = &lines[lines.len().saturating_sub(HISTORY_KEEP)..];
    if lines.len() > HISTORY_COMPACT {
        let text: String = keep.iter().flat_map(|l| [*l, "\n"]).collect();
        let _ = write_atomic(path, &text);
    }
    keep.iter().map(|l| unescape_entry(l)).collect()
}

/// Appends one entry to the history file (one write; another REPL appending to
/// the same file at the same time keeps its entries).
fn append_history(path: &Path, entry: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let open = || {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
    };
    let mut f = match open() {
        Err(e) if e.kind() == ErrorKind::NotFound => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            open()?
        }
        r => r?,
    };
    f.write_all(escape_entry(entry).as_bytes())
}

/// Writes a file atomically: a temporary file beside it, then a rename. A file
/// that is replaced keeps its mode and, where the user may give it, its owner;
/// through a symbolic link the file it points to is replaced.
fn write_atomic(path: impl AsRef<Path>, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
    let given = path.as_ref();
    let existing = std::fs::metadata(given).ok();
    let target = match &existing {
        Some(_) => std::fs::canonicalize(given).unwrap_or_else(|_| given.to_path_buf()),
        None => given.to_path_buf(),
    };
    if existing.as_ref().is_some_and(|m| !m.is_file()) {
        return Err(std::io::Error::other("it is not a regular file"));
    }
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp); // left by an earlier crash of this process id
    let result = (|| {
        // Readable by the owner only until it has the target's owner and mode.
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(if existing.is_some() { 0o600 } else { 0o666 })
            .open(&tmp)?;
        if let Some(m) = &existing {
            // Owner first: changing it may clear the set-id bits of the mode.
            if std::os::unix::fs::fchown(&f, Some(m.uid()), Some(m.gid())).is_err() {
                let _ = std::os::unix::fs::fchown(&f, None, Some(m.gid()));
            }
            f.set_permissions(std::fs::Permissions::from_mode(m.mode() & 0o7777))?;
        }
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A path as the analyst would type it back (quoted when it has spaces).
fn typed(path: &str) -> String {
    if path.chars().any(char::is_whitespace) {
        format!("\"{path}\"")
    } else {
        path.to_string()
    }
}

fn same_file(a: &str, b: &str) -> bool {
    let canon = |p: &str| std::fs::canonicalize(p).ok();
    a == b || matches!((canon(a), canon(b)), (Some(x), Some(y)) if x == y)
}

/// What the front keeps across inputs.
struct Front {
    /// Some input failed (the exit status of a piped script).
    failed: bool,
    /// The session's text at the last successful `:save`.
    saved: Option<String>,
}

impl Front {
    /// Whether leaving now would lose what-ifs.
    fn unsaved(&self, s: &Session) -> bool {
        s.has_changes()
            && match s.render_text(false) {
                Ok(t) => self.saved.as_deref() != Some(t.as_str()),
                Err(_) => true,
            }
    }

    /// Runs one input and shows its reply; `Err` when standard output is closed.
    fn step(&mut self, s: &mut Session, input: &str) -> Result<Reply, Closed> {
        cancel::reset();
        let reply = s.handle(input);
        cancel::reset();
        self.deliver(s, &reply, input)?;
        Ok(reply)
    }

    fn deliver(&mut self, s: &Session, reply: &Reply, input: &str) -> Result<(), Closed> {
        if let Some((path, text)) = &reply.save {
            let force = input.split_whitespace().next() == Some(":save!");
            let exists = std::fs::symlink_metadata(path).is_ok();
            if exists && !force && !same_file(path, &s.file) {
                let p = typed(path);
                let d = Diag::error("carbon::repl::overwrite", format!("`{path}` exists"))
                    .help(format!("`:save! {p}` replaces it"));
                err(&s.render_error(d));
                self.failed = true;
                return Ok(());
            }
            if let Err(e) = write_atomic(path, text) {
                err(&s.render_error(cannot_write(&format!("`{path}`"), &e)));
                self.failed = true;
                return Ok(());
            }
            self.saved = s.render_text(false).ok();
        }
        if !reply.output.is_empty() {
            out(&reply.output)?;
        }
        if !reply.errors.is_empty() {
            self.failed = true;
            err(&reply.errors);
        }
        Ok(())
    }
}

const UNSAVED: &str =
    "there are unsaved what-ifs; `:save FILE` to keep them, or `:quit` again / Ctrl-D again to leave\n";

pub fn run(file: Option<String>) -> i32 {
    let color = carbon::diag::color_on_stderr();
    let mut s = match &file {
        Some(f) => match carbon::input::read_to_string(f, carbon::input::DEFAULT_MAX_INPUT) {
            Ok(text) => match Session::load(f, &text) {
                Ok(s) => s,
                Err(e) => {
                    err(&e);
                    err(&carbon::input::plain(&Diag::error(
                        "carbon::repl::has_errors",
                        format!("`{f}` has errors; fix them before exploring it"),
                    )));
                    return 1;
                }
            },
            Err(e) => {
                err(&carbon::input::plain(&e));
                return 1;
            }
        },
        None => Session::empty(),
    };
    s.set_render(RenderOptions { color, width: 100 });
    let mut front = Front {
        failed: false,
        saved: None,
    };
    if !std::io::stdin().is_terminal() {
        return piped(&mut s, &mut front);
    }
    interactive(&mut s, &mut front, file.as_deref())
}

/// Standard input is not a terminal: read lines, print results only. A line that
/// is not UTF-8 is reported and skipped; the exit status is 1 if any input failed.
fn piped(s: &mut Session, front: &mut Front) -> i32 {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut raw = Vec::new();
    let mut buf = String::new();
    let mut n = 0usize;
    let closed = 'read: loop {
        raw.clear();
        match input.read_until(b'\n', &mut raw) {
            Ok(0) => break false,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                let d = Diag::error(
                    "carbon::input::read",
                    format!("cannot read the input: {}", carbon::input::os_message(&e)),
                );
                err(&s.render_error(d));
                front.failed = true;
                break false;
            }
        }
        n += 1;
        let mut bytes = &raw[..];
        if let Some(b) = bytes.strip_suffix(b"\n") {
            bytes = b;
        }
        if let Some(b) = bytes.strip_suffix(b"\r") {
            bytes = b;
        }
        let line = match std::str::from_utf8(bytes) {
            Ok(l) => l,
            Err(e) => {
                let d = Diag::error(
                    "carbon::input::utf8",
                    format!(
                        "line {n} is not valid UTF-8 (byte {}); it is skipped",
                        e.valid_up_to() + 1
                    ),
                );
                err(&s.render_error(d.help("save the script as UTF-8")));
                front.failed = true;
                continue;
            }
        };
        buf.push_str(line);
        buf.push('\n');
        if session::is_incomplete(&buf) {
            continue;
        }
        let input = std::mem::take(&mut buf);
        match front.step(s, &input) {
            Err(Closed) => break 'read true,
            Ok(r) if r.quit => break false,
            Ok(_) => {}
        }
    };
    if !closed && !buf.trim().is_empty() {
        let _ = front.step(s, &buf);
    }
    if front.unsaved(s) {
        say(
            &Diag::warning("carbon::repl::unsaved", "the session ends with unsaved what-ifs")
                .help("`:save FILE` keeps them"),
        );
    }
    i32::from(front.failed)
}

/// One complete input read from the terminal.
enum Read {
    Input(String),
    /// Ctrl-C: the line (or the unfinished input) is dropped.
    Interrupted,
    /// Ctrl-D on an empty prompt.
    Eof,
    Failed(ReadlineError),
}

/// Reads lines until the input is complete, with the `...> ` prompt after the first.
fn read_input(rl: &mut Editor<ReplHelper, DefaultHistory>) -> Read {
    let mut buf = String::new();
    loop {
        let prompt = if buf.is_empty() { PROMPT } else { CONTINUATION };
        match rl.readline(prompt) {
            Ok(line) => {
                if buf.is_empty() && line.trim().is_empty() {
                    continue;
                }
                if !buf.is_empty() {
                    buf.push('\n');
                }
                buf.push_str(&line);
                if !session::is_incomplete(&buf) {
                    return Read::Input(buf);
                }
            }
            Err(ReadlineError::Interrupted) => return Read::Interrupted,
            Err(ReadlineError::Eof) if buf.is_empty() => return Read::Eof,
            Err(ReadlineError::Eof) => {
                err("(the unfinished input is dropped)\n");
                buf.clear();
            }
            Err(e) => return Read::Failed(e),
        }
    }
}

fn interactive(s: &mut Session, front: &mut Front, file: Option<&str>) -> i32 {
    let config = Config::builder()
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .max_history_size(HISTORY_KEEP)
        .map(|b| b.build());
    let editor = config.and_then(Editor::<ReplHelper, DefaultHistory>::with_config);
    let mut rl = match editor {
        Ok(r) => r,
        Err(e) => {
            say(&terminal("cannot start the line editor", &e));
            return 1;
        }
    };
    rl.set_helper(Some(ReplHelper { words: s.completions() }));
    let history = history_path();
    if let Some(h) = &history {
        for entry in load_history(h) {
            let _ = rl.history_mut().add(&entry);
        }
    }
    // Ctrl-C while a command runs sets the flag the command's long loops check
    // (while reading a line, the terminal is raw and rustyline sees Ctrl-C as a key).
    if let Err(e) = signal_hook::flag::register(signal_hook::consts::SIGINT, cancel::flag()) {
        err(&format!(
            "warning: Ctrl-C cannot be caught ({e}); it will end the session\n"
        ));
    }
    let banner = format!(
        "carbon {} — {}. `:help` lists the commands; Ctrl-D leaves.\n",
        env!("CARGO_PKG_VERSION"),
        file.map(|f| format!("loaded {f}"))
            .unwrap_or_else(|| "no file loaded".into())
    );
    if out(&banner).is_err() {
        return 1;
    }
    let mut history_failed = false;
    let mut warned = false;
    loop {
        let line = match read_input(&mut rl) {
            Read::Input(line) => line,
            Read::Interrupted => continue,
            Read::Eof => {
                if !warned && front.unsaved(s) {
                    warned = true;
                    err(UNSAVED);
                    continue;
                }
                break;
            }
            // A closed terminal or output ends the session quietly.
            Read::Failed(ReadlineError::Io(e)) if e.kind() == ErrorKind::BrokenPipe => break,
            Read::Failed(e) => {
                say(&terminal("cannot read a line", &e));
                return 1;
            }
        };
        if rl.add_history_entry(line.as_str()).unwrap_or(false) {
            if let Some(h) = &history {
                if let Err(e) = append_history(h, &line) {
                    if !std::mem::replace(&mut history_failed, true) {
                        err(&format!(
                            "warning: cannot write the history to `{}`: {e}\n",
                            h.display()
                        ));
                    }
                }
            }
        }
        let Ok(reply) = front.step(s, &line) else { break };
        if reply.quit {
            if !warned && front.unsaved(s) {
                warned = true;
                err(UNSAVED);
                continue;
            }
            break;
        }
        warned = false;
        if let Some(h) = rl.helper_mut() {
            h.words = s.completions();
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_escapes_round_trip() {
        for e in ["coal.amount = 3 t", "cover c {\n  area 1 hm2\n}", "a \\ b", "x\\ny"] {
            let line = escape_entry(e);
            assert!(line.ends_with('\n') && !line[..line.len() - 1].contains('\n'));
            assert_eq!(unescape_entry(&line[..line.len() - 1]), e);
        }
    }

    #[test]
    fn history_loads_past_a_bad_line_and_appends() {
        let dir = std::env::temp_dir().join(format!("carbon-history-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("sub").join("history");
        // Two sessions appending in turn; then a line that is not UTF-8.
        append_history(&path, "a = 1 t").unwrap();
        append_history(&path, "b = 2 t").unwrap();
        append_history(&path, "cover c {\n  area 1 hm2\n}").unwrap();
        let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"\xff bad\n").unwrap();
        append_history(&path, "a = 3 t").unwrap();
        assert_eq!(
            load_history(&path),
            ["a = 1 t", "b = 2 t", "cover c {\n  area 1 hm2\n}", "a = 3 t"]
        );
        // A long file: the newest entries are loaded, and the file is cut.
        let many: String = (0..HISTORY_COMPACT + 5).map(|i| format!("{i}\n")).collect();
        std::fs::write(&path, many).unwrap();
        let loaded = load_history(&path);
        assert_eq!(loaded.len(), HISTORY_KEEP);
        assert_eq!(
            loaded.last().map(String::as_str),
            Some(&*format!("{}", HISTORY_COMPACT + 4))
        );
        assert_eq!(load_history(&path), loaded);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn typed_paths_are_quoted_with_spaces() {
        assert_eq!(typed("a.carbon"), "a.carbon");
        assert_eq!(typed("my file.carbon"), "\"my file.carbon\"");
    }
}
