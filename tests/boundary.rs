//! The command line at the boundary with the operating system (issue 15, points 1,
//! 2, 3, 5 and 19), through the real binary: a full disk on standard output, a
//! closed pipe, a failing standard error, the input size limit (on a file, on
//! `/dev/zero`, on a pipe), `-` for standard input, the colour decision, and
//! `explain --format json` with errors.

mod common;
use common::{carbon, root, scratch, Output};

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const YONGNING: &str = "examples/yongning.carbon";
const PLAIN: &str = "examples/neutral_plain.carbon";

/// A valid inventory of `n` emissions of 1 tCO2/a each: a large output.
fn many_emissions(n: usize) -> String {
    let mut s = String::from("inventory \"Boundary\" {\n  period 1 a\n  gwp AR6\n}\nsource meter \"meter readings\"\n");
    for i in 0..n {
        s.push_str(&format!("emission e{i} {{ amount 1 tCO2/a from meter }}\n"));
    }
    s
}

/// A program with one unit error on line 3.
const BAD: &str =
    "inventory \"Bad\" { period 1 a  gwp AR6 }\nsource s \"survey\"\nemission e { amount 5 kg + 3 m from s }\n";

fn bin() -> Command {
    let mut c = common::command();
    c.env_remove("TERM");
    c
}

/// Runs `carbon ARGS` with `stdin` as its standard input.
fn with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the carbon binary runs");
    let mut input = child.stdin.take().expect("stdin is piped");
    let bytes = stdin.to_vec();
    // Written on a thread: the child may refuse the input before reading it all.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let out = child.wait_with_output().expect("carbon ends");
    let _ = writer.join();
    Output::from(out)
}

fn no_panic(out: &Output, what: &str) {
    assert!(
        !out.stderr.contains("panicked") && out.code != 101,
        "{what}: carbon panicked (exit {}):\n{}",
        out.code,
        out.stderr
    );
}

// ---- point 1: a failed write to standard output is an error ---------------------

#[test]
fn a_full_disk_on_stdout_is_an_error() {
    if !Path::new("/dev/full").exists() {
        eprintln!("no /dev/full here: skipped");
        return;
    }
    let cases: &[&[&str]] = &[
        &["run", YONGNING],
        &["run", YONGNING, "--format", "json"],
        &["check", YONGNING, "--format", "json"],
        &["check", BAD_PATH, "--format", "json"],
        &["explain", YONGNING, "coal"],
        &["explain", YONGNING, "coal", "--format", "json"],
        &["prelude"],
    ];
    let dir = scratch("full");
    let bad = dir.file("bad.carbon", BAD);
    for args in cases {
        let args: Vec<&str> = args
            .iter()
            .map(|a| if *a == BAD_PATH { bad.as_str() } else { a })
            .collect();
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("open /dev/full");
        let out = bin().args(&args).stdout(full).output().expect("carbon runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let what = args.join(" ");
        assert!(!stderr.contains("panicked"), "{what}: panicked:\n{stderr}");
        assert_eq!(out.status.code(), Some(1), "{what}: exit status\n{stderr}");
        let line = "error[carbon::output::write]: cannot write the output: No space left on device";
        assert_eq!(
            stderr.lines().filter(|l| *l == line).count(),
            1,
            "{what}: want one line `{line}` on stderr, got:\n{stderr}"
        );
        assert_eq!(
            stderr.lines().last(),
            Some(line),
            "{what}: the error comes last:\n{stderr}"
        );
    }
}

const BAD_PATH: &str = "<bad>";

#[test]
fn a_closed_pipe_ends_quietly() {
    let dir = scratch("pipe");
    let big = dir.file("big.carbon", many_emissions(4000));
    let cases: &[&[&str]] = &[
        &["run", &big, "--format", "json"],
        &["run", &big],
        &["explain", &big, "net"],
        &["prelude"],
    ];
    for args in cases {
        let what = args.join(" ");
        let mut child = bin()
            .args(*args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("carbon runs");
        // Close the read end before the child writes anything.
        drop(child.stdout.take());
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .expect("stderr is piped")
            .read_to_string(&mut stderr)
            .expect("read stderr");
        let status = child.wait().expect("carbon ends");
        assert!(!stderr.contains("panicked"), "{what}: panicked:\n{stderr}");
        assert_eq!(
            status.code(),
            Some(0),
            "{what}: a closed pipe is not an error:\n{stderr}"
        );
        assert!(
            !stderr.contains("cannot write"),
            "{what}: a closed pipe ends quietly:\n{stderr}"
        );
    }
}

// ---- point 2: a failed write to standard error never panics ----------------------

#[test]
fn a_full_disk_on_stderr_does_not_panic() {
    if !Path::new("/dev/full").exists() {
        eprintln!("no /dev/full here: skipped");
        return;
    }
    let dir = scratch("stderr");
    let bad = dir.file("bad.carbon", BAD);
    let cases: &[(&[&str], i32)] = &[
        (&["check", YONGNING], 0),
        (&["check", YONGNING, "--timings"], 0),
        (&["check", &bad], 1),
        (&["run", &bad], 1),
        (&["explain", &bad, "e"], 1),
        (&["explain", YONGNING, "nosuch"], 1),
        (&["check", "no/such/file.carbon"], 1),
        (&["check", YONGNING, "--max-input-size", "10"], 1),
    ];
    for (args, code) in cases {
        let what = args.join(" ");
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("open /dev/full");
        let status = bin()
            .args(*args)
            .stdout(Stdio::null())
            .stderr(full)
            .status()
            .expect("carbon runs");
        assert_eq!(status.code(), Some(*code), "{what}: exit status (101 is a panic)");
    }
}

// ---- point 3: the input size limit --------------------------------------------------

fn expect_too_large(out: &Output, what: &str) {
    no_panic(out, what);
    assert_eq!(out.code, 1, "{what}: exit status\n{}", out.stderr);
    assert!(
        out.stderr.contains("carbon::input::too_large"),
        "{what}: want carbon::input::too_large:\n{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("--max-input-size"),
        "{what}: the help names the flag:\n{}",
        out.stderr
    );
}

#[test]
fn a_file_beyond_the_size_limit_is_refused() {
    let size = std::fs::metadata(root().join(YONGNING)).unwrap().len();
    for cmd in [
        &["check", YONGNING][..],
        &["run", YONGNING],
        &["explain", YONGNING, "coal"],
    ] {
        let mut args = cmd.to_vec();
        args.extend(["--max-input-size", "1K"]);
        let out = carbon(&args);
        expect_too_large(&out, &args.join(" "));
        assert!(out.stdout.is_empty(), "nothing on stdout:\n{}", out.stdout);
    }
    // Exactly at the limit is accepted; one byte less refuses.
    let at = size.to_string();
    let out = carbon(&["check", YONGNING, "--max-input-size", &at]);
    assert_eq!(out.code, 0, "a file of exactly the limit is read:\n{}", out.stderr);
    let below = (size - 1).to_string();
    expect_too_large(
        &carbon(&["check", YONGNING, "--max-input-size", &below]),
        "one byte over",
    );
    // The default is far above the example.
    assert_eq!(carbon(&["check", YONGNING]).code, 0);
}

#[test]
fn size_limits_take_suffixes() {
    for ok in [
        "65536", "64K", "64k", "64KiB", "64kb", "1M", "1MiB", "1 MiB", "1G", "2GiB",
    ] {
        let out = carbon(&["check", YONGNING, "--max-input-size", ok]);
        assert_eq!(out.code, 0, "--max-input-size {ok}:\n{}", out.stderr);
    }
    for bad in ["", "ten", "1X", "-5", "1.5M", "99999999999999999999G"] {
        let out = carbon(&["check", YONGNING, "--max-input-size", bad]);
        no_panic(&out, bad);
        assert_eq!(
            out.code, 2,
            "--max-input-size {bad:?} is a usage error:\n{}",
            out.stderr
        );
    }
}

#[test]
fn dev_zero_is_refused_without_reading_it_all() {
    if !Path::new("/dev/zero").exists() {
        eprintln!("no /dev/zero here: skipped");
        return;
    }
    let start = Instant::now();
    let out = carbon(&["check", "/dev/zero", "--max-input-size", "4M"]);
    expect_too_large(&out, "check /dev/zero");
    assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());
}

#[test]
fn standard_input_is_read_with_the_same_limit() {
    let out = with_stdin(&["check", "-", "--max-input-size", "100"], &[b' '; 5000]);
    expect_too_large(&out, "check - (5000 bytes, limit 100)");
    let out = with_stdin(&["check", "-", "--max-input-size", "5000"], &[b' '; 5000]);
    no_panic(&out, "check - (5000 bytes, limit 5000)");
    assert!(!out.stderr.contains("too_large"), "{}", out.stderr);
}

// ---- point 5: `-` reads standard input ----------------------------------------------

#[test]
fn dash_reads_standard_input() {
    let text = std::fs::read(root().join(PLAIN)).unwrap();
    let from_file = carbon(&["run", PLAIN, "--format", "json"]);
    let from_stdin = with_stdin(&["run", "-", "--format", "json"], &text);
    assert_eq!(from_stdin.code, 0, "{}", from_stdin.stderr);
    let a: serde_json::Value = serde_json::from_str(&from_file.stdout).unwrap();
    let b: serde_json::Value = serde_json::from_str(&from_stdin.stdout).unwrap();
    assert_eq!(a["balance"], b["balance"]);
    assert_eq!(
        a["terms"].as_array().unwrap().len(),
        b["terms"].as_array().unwrap().len()
    );
    assert!(
        from_stdin.stdout.contains("<stdin>:"),
        "locations name <stdin>:\n{}",
        from_stdin.stdout
    );

    let out = with_stdin(&["check", "-"], &text);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("ok: <stdin> checks"), "{}", out.stderr);

    let out = with_stdin(&["explain", "-", "boiler_coal"], &text);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("boiler_coal"), "{}", out.stdout);

    let out = with_stdin(&["check", "-"], BAD.as_bytes());
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("[<stdin>:3:"),
        "diagnostics name <stdin>:\n{}",
        out.stderr
    );
}

// ---- point 5: colour ----------------------------------------------------------------

#[test]
fn colour_only_on_a_capable_terminal() {
    use carbon::diag::use_color;
    use std::ffi::OsStr;
    let xterm = Some(OsStr::new("xterm-256color"));
    assert!(use_color(true, None, xterm));
    assert!(use_color(true, None, None));
    assert!(!use_color(false, None, xterm), "not a terminal");
    assert!(!use_color(true, Some(OsStr::new("1")), xterm), "NO_COLOR");
    assert!(
        !use_color(true, Some(OsStr::new("")), xterm),
        "NO_COLOR set, even empty"
    );
    assert!(!use_color(true, None, Some(OsStr::new("dumb"))), "TERM=dumb");
}

#[test]
fn term_dumb_gets_no_escape_bytes() {
    let dir = scratch("dumb");
    let bad = dir.file("bad.carbon", BAD);
    let out = bin()
        .args(["check", &bad])
        .env_remove("NO_COLOR")
        .env("TERM", "dumb")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!out.stderr.contains(&0x1b), "{}", String::from_utf8_lossy(&out.stderr));
}

// ---- point 19: explain --format json ------------------------------------------------

fn json(out: &Output, what: &str) -> serde_json::Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{what}: not JSON ({e}):\n{}\nstderr:\n{}", out.stdout, out.stderr))
}

fn codes(v: &serde_json::Value) -> Vec<String> {
    v["diagnostics"]
        .as_array()
        .map(|a| a.iter().map(|d| d["code"].as_str().unwrap_or("").to_string()).collect())
        .unwrap_or_default()
}

#[test]
fn explain_json_carries_its_errors() {
    let dir = scratch("explain");
    let bad = dir.file("bad.carbon", BAD);

    let out = carbon(&["explain", &bad, "e", "--format", "json"]);
    assert_eq!(out.code, 1);
    let v = json(&out, "explain of a file with errors");
    assert!(v["name"].is_null(), "no term:\n{}", out.stdout);
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "carbon::units::mismatch", "{}", out.stdout);
    assert_eq!(d["severity"], "error");
    assert_eq!(d["line"], 3);
    assert!(
        out.stderr.is_empty(),
        "errors go to the JSON, not stderr:\n{}",
        out.stderr
    );

    let out = carbon(&["explain", YONGNING, "nosuch", "--format", "json"]);
    assert_eq!(out.code, 1);
    let v = json(&out, "explain of an unknown name");
    assert!(
        codes(&v).contains(&"carbon::explain::unknown".to_string()),
        "{}",
        out.stdout
    );

    let out = carbon(&["explain", "no/such/file.carbon", "coal", "--format", "json"]);
    assert_eq!(out.code, 1);
    let v = json(&out, "explain of a missing file");
    assert_eq!(codes(&v), ["carbon::input::read"], "{}", out.stdout);

    let out = carbon(&["explain", YONGNING, "coal", "--format", "json"]);
    assert_eq!(out.code, 0);
    let v = json(&out, "explain coal");
    assert_eq!(v["name"], "coal");
    assert!(
        !codes(&v).iter().any(|c| c.is_empty()),
        "diagnostics are objects with a code:\n{}",
        out.stdout
    );
}

#[test]
fn explain_json_expectations_are_objects_as_in_run() {
    let run = json(&carbon(&["run", YONGNING, "--format", "json"]), "run");
    let out = carbon(&["explain", YONGNING, "sinks", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = json(&out, "explain sinks");
    let e = &v["expectations"][0];
    assert!(e.is_object(), "an expectation is an object:\n{e}");
    let published_sink = run["expectations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "published_sink")
        .unwrap();
    assert_eq!(e, published_sink);
}

#[test]
fn input_errors_in_json_mode_are_json() {
    for cmd in ["run", "check"] {
        let out = carbon(&[cmd, "no/such/file.carbon", "--format", "json"]);
        assert_eq!(out.code, 1);
        let v = json(&out, cmd);
        assert!(v["inventory"].is_null());
        assert_eq!(codes(&v), ["carbon::input::read"], "{}", out.stdout);
    }
    let out = carbon(&["check", YONGNING, "--format", "json", "--max-input-size", "1K"]);
    assert_eq!(out.code, 1);
    assert_eq!(codes(&json(&out, "too large")), ["carbon::input::too_large"]);
}
