//! Runs the real `carbon` binary from the crate root, so that paths in its output
//! are relative and snapshots are the same on every machine.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Stdio};

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The path of `p` relative to the crate root, with `/` separators.
pub fn rel(p: &Path) -> String {
    let r = p.strip_prefix(root()).unwrap_or(p);
    r.to_string_lossy().replace('\\', "/")
}

pub fn carbon(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_carbon"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("the carbon binary runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Where two texts first differ, as the stretch of each around it (`before` bytes
/// before, 300 from there on): what a failing comparison of two outputs shows.
pub fn around_difference<'a>(a: &'a str, b: &'a str, before: usize) -> (&'a str, &'a str) {
    let at = a.bytes().zip(b.bytes()).position(|(x, y)| x != y).unwrap_or(0);
    let from = at.saturating_sub(before);
    let cut = |s: &'a str| s.get(from..(at + 300).min(s.len())).unwrap_or("");
    (cut(a), cut(b))
}
