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

/// A fresh scratch directory under target/test-scratch, removed when the test
/// passes (kept for a look when it fails).
pub struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

/// [`Scratch`] named for the test (and this process, so runs do not collide).
pub fn scratch(name: &str) -> Scratch {
    let d = root()
        .join("target/test-scratch")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("target/ is writable");
    Scratch(d)
}
