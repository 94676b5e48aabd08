//! The REPL at a terminal (issue 15), driven through a pseudo-terminal with
//! `rexpect`: the continuation prompt, the completion list with prefixed units,
//! leaving with unsaved what-ifs, Ctrl-C cancelling a long command, and the
//! history file (appended entry by entry, read past a line that is not UTF-8).
//! Each test skips (with a note) where no pseudo-terminal can be opened.

mod common;
use common::scratch;
use rexpect::session::{spawn_with_options, Options, PtySession};
use std::path::Path;
use std::sync::Mutex;

/// One pty test at a time: they fork, and they share the machine's two cores.
static SERIAL: Mutex<()> = Mutex::new(());

/// Generous: the Ctrl-C test loads a large inventory, and CI tests a debug build.
const TIMEOUT_MS: u64 = 60_000;

/// `carbon repl FILE` at a terminal, with its history in `history`; `None` (the
/// test is skipped) where no pseudo-terminal can be opened.
fn start(file: &str, history: &Path) -> Option<PtySession> {
    let mut cmd = common::command();
    cmd.args(["repl", file])
        .env("TERM", "xterm")
        .env("CARBON_HISTORY", history);
    match spawn_with_options(
        cmd,
        Options::new()
            .timeout_ms(Some(TIMEOUT_MS))
            .strip_ansi_escape_codes(true),
    ) {
        Ok(mut p) => {
            p.exp_string("carbon> ").expect("the prompt");
            Some(p)
        }
        Err(e) => {
            eprintln!("skipped: no pseudo-terminal ({e})");
            None
        }
    }
}

/// Types a line and presses Enter.
fn enter(p: &mut PtySession, line: &str) {
    p.send(line).unwrap();
    p.send("\r").unwrap();
    p.flush().unwrap();
}

/// Types a line and presses Enter, then waits for `answer` and the next prompt.
fn ask(p: &mut PtySession, line: &str, answer: &str) {
    enter(p, line);
    p.exp_string(answer).unwrap();
    p.exp_string("carbon> ").unwrap();
}

fn leave(mut p: PtySession) {
    p.send_control('d').unwrap();
    p.exp_eof().expect("the session ends");
}

#[test]
fn continuation_prompt_while_the_input_is_incomplete() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("pty-continuation");
    let Some(mut p) = start("examples/yongning.carbon", &dir.join("history")) else {
        return;
    };
    enter(&mut p, "let x = 3 t +");
    p.exp_string("...> ").expect("the continuation prompt");
    enter(&mut p, "2 t");
    p.exp_string("x = 5 t").expect("the whole input was handled");
    p.exp_string("carbon> ").unwrap();
    ask(&mut p, ":undo", "undone");
    leave(p);
}

#[test]
fn completion_lists_candidates_and_prefixed_units() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("pty-completion");
    let Some(mut p) = start("examples/yongning.carbon", &dir.join("history")) else {
        return;
    };
    // Two tabs on an ambiguous word list the candidates.
    p.send("coal.").unwrap();
    p.send("\t\t").unwrap();
    p.flush().unwrap();
    p.exp_string("coal.amount").expect("the list of candidates");
    p.exp_string("coal.equivalent").expect("the list of candidates");
    // Ctrl-U clears the line (the editor stays in the same line; typed-ahead
    // input after a Ctrl-C could be flushed with the new line).
    p.send_control('u').unwrap();
    // A prefixed unit completes: `3 MW` → `3 MWh`.
    p.send("3 MW\t").unwrap();
    p.flush().unwrap();
    p.send(" to kWh\r").unwrap();
    p.flush().unwrap();
    p.exp_string("= 3000 kWh").expect("`MW` completed to `MWh`");
    p.exp_string("carbon> ").unwrap();
    leave(p);
}

#[test]
fn quit_with_unsaved_what_ifs_asks_once() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("pty-quit");
    let Some(mut p) = start("examples/yongning.carbon", &dir.join("history")) else {
        return;
    };
    ask(&mut p, "coal.amount = 1200 t", "coal.amount = 1200 t");
    enter(&mut p, ":quit");
    p.exp_string("there are unsaved what-ifs").expect("asked once");
    p.exp_string("carbon> ").expect("still in the session");
    p.send_control('d').unwrap();
    p.exp_eof().expect("Ctrl-D again leaves");

    // After a :save, :quit leaves at once.
    let Some(mut p) = start("examples/yongning.carbon", &dir.join("history")) else {
        return;
    };
    enter(&mut p, "coal.amount = 1200 t");
    p.exp_string("carbon> ").unwrap();
    ask(&mut p, &format!(":save {}", dir.join("kept.carbon").display()), "saved");
    enter(&mut p, ":quit");
    p.exp_eof().expect(":quit leaves");
}

/// W(N) of benches/workload.rs, written to `dir`.
#[path = "../benches/workload.rs"]
mod workload;

#[test]
fn ctrl_c_cancels_a_long_command_and_the_session_stays() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("pty-ctrl-c");
    let file = dir.join("w.carbon");
    // Large enough that `:explain sinks` takes seconds (a debug build is slower).
    let n = if cfg!(debug_assertions) { 50_000 } else { 100_000 };
    let (text, _) = workload::generate(n, workload::DEFAULT_SEED);
    std::fs::write(&file, text).unwrap();
    let Some(mut p) = start(&file.display().to_string(), &dir.join("history")) else {
        return;
    };
    ask(&mut p, "energy_2.amount = 2 t", "energy_2.amount = 2 t");
    enter(&mut p, ":explain sinks");
    std::thread::sleep(std::time::Duration::from_millis(300));
    p.send_control('c').unwrap();
    p.exp_string("interrupted").expect("the command stops");
    p.exp_string("carbon> ").expect("the session stays");
    enter(&mut p, ":changes");
    p.exp_string("energy_2.amount = 2 t").expect("the what-if is kept");
    p.exp_string("carbon> ").unwrap();
    ask(&mut p, ":undo", "undone");
    leave(p);
}

#[test]
fn history_skips_unreadable_lines_and_appends_each_entry() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("pty-history");
    let history = dir.join("history");
    std::fs::write(&history, b"period to d\n\xff\xfe broken\ncoal.amount to kg\n").unwrap();
    let Some(mut a) = start("examples/yongning.carbon", &history) else {
        return;
    };
    // The entries around the bad line are loaded: Up twice recalls the first.
    a.send("\x1b[A\x1b[A").unwrap();
    a.flush().unwrap();
    a.send("\r").unwrap();
    a.flush().unwrap();
    a.exp_string("365").expect("`period to d` was recalled");
    a.exp_string("carbon> ").unwrap();

    // A second session at the same time; each entry is in the file as soon as it
    // is entered, whichever session leaves last, even one that is killed.
    let Some(mut b) = start("examples/yongning.carbon", &history) else {
        return;
    };
    ask(&mut b, "1 t + 2 t", "= 3 t");
    ask(&mut a, "4 t + 5 t", "= 9 t");
    b.process_mut().kill(rexpect::process::Signal::SIGKILL).unwrap();
    leave(a);
    let bytes = std::fs::read(&history).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    for entry in ["period to d", "coal.amount to kg", "1 t + 2 t", "4 t + 5 t"] {
        assert!(text.contains(entry), "`{entry}` in the history: {text}");
    }
    assert!(
        bytes.windows(2).any(|w| w == b"\xff\xfe"),
        "the bad line is left, not the file wiped"
    );
}
