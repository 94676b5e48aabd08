//! The REPL front through the binary with piped standard input (issue 15): a
//! closed standard output or error never panics, a line that is not UTF-8 is
//! reported and the script goes on, `:save` refuses to replace an unrelated file
//! without `:save!`, keeps the replaced file's mode, accepts quoted paths, and
//! leaving with unsaved what-ifs is said. The terminal behaviours are in
//! tests/repl_pty.rs.

mod common;
use common::{repl_child, root, scratch};
use std::io::Write;
use std::process::{Command, Stdio};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn repl(file: &str, script: &[u8], dir: &std::path::Path) -> Run {
    let mut child = repl_child(file, dir);
    child.stdin.take().unwrap().write_all(script).unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn a_closed_stdout_ends_the_session_quietly() {
    let dir = scratch("closed-stdout");
    let mut child = repl_child("examples/yongning.carbon", &dir);
    // The reader goes away before anything is written (`| head -0`).
    drop(child.stdout.take());
    let script = ":explain sinks\n".repeat(50);
    let _ = child.stdin.take().unwrap().write_all(script.as_bytes());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "quietly: {stderr}");
}

#[test]
fn a_failing_stderr_never_panics() {
    let dir = scratch("closed-stderr");
    for closed in [true, false] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_carbon"));
        cmd.args(["repl", "examples/yongning.carbon"])
            .current_dir(root())
            .env("NO_COLOR", "1")
            .env("CARBON_HISTORY", dir.join("history"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        let full = std::path::Path::new("/dev/full");
        if closed || !full.exists() {
            cmd.stderr(Stdio::piped());
        } else {
            cmd.stderr(std::fs::OpenOptions::new().write(true).open(full).unwrap());
        }
        let mut child = cmd.spawn().expect("the binary runs");
        if let Some(e) = child.stderr.take() {
            drop(e);
        }
        let script = "nonsense_name * 2\n:frobnicate\nnet to tCO2e\n";
        child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "errors were reported: {stdout}");
        assert!(stdout.contains("= "), "the script went on: {stdout}");
    }
}

#[test]
fn a_line_that_is_not_utf8_is_an_error_and_the_script_goes_on() {
    let dir = scratch("latin1");
    let saved = dir.join("out.carbon");
    let mut script = b"net to tCO2e\n".to_vec();
    script.extend_from_slice(b"let caf\xe9 = 3 t\n");
    script.extend_from_slice(format!("coal.amount = 1200 t\n:save {}\n", saved.display()).as_bytes());
    let r = repl("examples/yongning.carbon", &script, &dir);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("line 2 is not valid UTF-8"), "{}", r.stderr);
    assert!(r.stdout.contains("coal.amount = 1200 t"), "{}", r.stdout);
    let text = std::fs::read_to_string(&saved).expect("the :save after the bad line ran");
    assert!(text.contains("1200 t"), "{text}");
}

#[test]
fn save_does_not_replace_an_unrelated_file_without_the_bang() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("save-bang");
    let other = dir.join("other.carbon");
    std::fs::write(&other, "keep me\n").unwrap();
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o640)).unwrap();
    let script = format!("coal.amount = 1200 t\n:save {0}\n", other.display());
    let r = repl("examples/yongning.carbon", script.as_bytes(), &dir);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.starts_with("carbon::repl::overwrite\n"), "{}", r.stderr);
    assert!(r.stderr.contains("other.carbon` exists\n"), "{}", r.stderr);
    assert!(r.stderr.contains("help: `:save! "), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "keep me\n");
    assert!(r.stderr.contains("unsaved what-ifs"), "{}", r.stderr);

    let script = format!("coal.amount = 1200 t\n:save! {0}\n", other.display());
    let r = repl("examples/yongning.carbon", script.as_bytes(), &dir);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("unsaved"), "{}", r.stderr);
    let text = std::fs::read_to_string(&other).unwrap();
    assert!(text.contains("1200 t"), "{text}");
    let mode = std::fs::metadata(&other).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o640, "the replaced file keeps its mode");

    // The owner too, where the user may give it (as root: any owner).
    use std::os::unix::fs::MetadataExt;
    if std::fs::metadata(&dir).unwrap().uid() == 0 && std::os::unix::fs::chown(&other, Some(4321), Some(4322)).is_ok() {
        let script = format!("coal.amount = 1300 t\n:save! {0}\n", other.display());
        let r = repl("examples/yongning.carbon", script.as_bytes(), &dir);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let m = std::fs::metadata(&other).unwrap();
        assert!(std::fs::read_to_string(&other).unwrap().contains("1300 t"));
        assert_eq!(
            (m.uid(), m.gid(), m.mode() & 0o7777),
            (4321, 4322, 0o640),
            "owner and mode kept"
        );
    }
}

#[test]
fn save_bang_over_the_loaded_file_keeps_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("save-loaded");
    let file = dir.join("inv.carbon");
    std::fs::copy(root().join("examples/yongning.carbon"), &file).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let f = file.display().to_string();
    let r = repl(&f, format!("coal.amount = 1200 t\n:save {f}\n").as_bytes(), &dir);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("is the loaded file"), "{}", r.stderr);
    let r = repl(&f, format!("coal.amount = 1200 t\n:save! {f}\n").as_bytes(), &dir);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(std::fs::read_to_string(&file).unwrap().contains("1200 t"));
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o600, "the loaded file keeps its mode");
}

#[test]
fn save_accepts_quoted_paths() {
    let dir = scratch("save-quoted");
    let spaced = dir.join("with space.carbon");
    let plain = dir.join("x.carbon");
    let script = format!(
        "coal.amount = 1200 t\n:save \"{}\"\n:save '{}'\n",
        spaced.display(),
        plain.display()
    );
    let r = repl("examples/yongning.carbon", script.as_bytes(), &dir);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(spaced.is_file(), "{}", r.stdout);
    assert!(plain.is_file(), "{}", r.stdout);
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains('"') || n.contains('\'')), "{names:?}");
}

#[test]
fn leaving_with_unsaved_what_ifs_is_said() {
    let dir = scratch("unsaved");
    let r = repl("examples/yongning.carbon", b"coal.amount = 1200 t\n:quit\n", &dir);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with("carbon::repl::unsaved\n\n  ⚠ the session ends with unsaved what-ifs\n"),
        "{}",
        r.stderr
    );
    let r = repl("examples/yongning.carbon", b"coal.amount = 1200 t\n:undo\n", &dir);
    assert!(!r.stderr.contains("unsaved"), "{}", r.stderr);
}

/// What Ctrl-C does inside a command (the pty test sends a real one): a cancel
/// request stops `:explain` and `:seek`, and the session is as it was. (No other
/// test of this file uses the session API, so the process-wide flag is not shared.)
#[test]
fn a_cancel_request_stops_explain_and_seek_and_changes_nothing() {
    use carbon::{cancel, session::Session};
    let text = std::fs::read_to_string(root().join("examples/yongning.carbon")).unwrap();
    let mut s = Session::load("examples/yongning.carbon", &text).unwrap();
    assert!(s.handle("coal.amount = 1200 t").errors.is_empty());
    let net = s.handle("net to tCO2e").output;
    cancel::request();
    let r = s.handle(":explain sinks");
    assert!(r.output.is_empty() && r.errors.contains("interrupted"), "{r:?}");
    let r = s.handle(":seek spruce.area for net = 0 tCO2e in 0 hm2 .. 100 hm2");
    assert!(r.output.is_empty() && r.errors.contains("interrupted"), "{r:?}");
    cancel::reset();
    assert_eq!(s.handle("net to tCO2e").output, net, "the session is unchanged");
    assert!(s.handle(":changes").output.contains("coal.amount = 1200 t"));
    assert!(s.handle(":explain sinks").errors.is_empty());
    assert!(s
        .handle(":seek spruce.area for net = 0 tCO2e in 0 hm2 .. 100 hm2")
        .errors
        .is_empty());
}
