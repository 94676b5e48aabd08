//! Shared by the test files (`mod common;`): the real `carbon` binary run from the
//! crate root, so that paths in its output are relative and snapshots are the same
//! on every machine; the test programs; scratch directories; a seeded generator;
//! the errors of an analysis and the comparison of two values.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Output {
    /// The exit code (-1 when killed by a signal) and the two outputs as text.
    fn from(out: std::process::Output) -> Output {
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The path of `p` relative to the crate root, with `/` separators.
pub fn rel(p: &Path) -> String {
    let r = p.strip_prefix(root()).unwrap_or(p);
    r.to_string_lossy().replace('\\', "/")
}

/// The nine kinds of declaration of the paper's method (docs/design/kinds.md §2),
/// in the order of the design, declared in prelude/kinds.carbon.
pub const NINE_KINDS: [&str; 9] = [
    "energy",
    "transport",
    "gas",
    "emission",
    "cover",
    "stand",
    "capture",
    "removal",
    "offset",
];

/// The folders of whole programs: the examples and the test programs of every
/// kind (errors, warnings, expectations, programs with their outcome).
pub const PROGRAM_FOLDERS: [&str; 5] = [
    "examples",
    "tests/errors",
    "tests/warnings",
    "tests/expect",
    "tests/programs",
];

/// The `.carbon` files of each folder (relative to the crate root), folder by
/// folder, each folder's sorted by name.
pub fn carbon_files(dirs: &[&str]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in dirs {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "carbon"))
            .collect();
        paths.sort();
        files.extend(paths);
    }
    files
}

/// The `carbon` binary as the tests run it: from the crate root, without colour.
pub fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_carbon"));
    c.current_dir(root()).env("NO_COLOR", "1");
    c
}

/// `carbon repl FILE` started with every stream piped and its history kept in
/// `dir` (not the user's).
#[allow(dead_code)] // not every test file starts a REPL
pub fn repl_child(file: &str, dir: &Path) -> std::process::Child {
    command()
        .args(["repl", file])
        .env("CARBON_HISTORY", dir.join("history"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the carbon binary runs")
}

pub fn carbon(args: &[&str]) -> Output {
    let out = command()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the carbon binary runs");
    Output::from(out)
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

impl Scratch {
    /// Writes `bytes` to `name` in the directory and returns its path as text.
    pub fn file(&self, name: &str, bytes: impl AsRef<[u8]>) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, bytes).expect("write the scratch file");
        p.to_string_lossy().into_owned()
    }
}

/// [`Scratch`] named for the test (and this process and a count, so that runs,
/// and tests that share a helper and its name, do not collide).
pub fn scratch(name: &str) -> Scratch {
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = root()
        .join("target/test-scratch")
        .join(format!("{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("target/ is writable");
    Scratch(d)
}

/// A small deterministic generator (xorshift64*), so that generated inputs are
/// the same on every run and no dependency is needed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// The errors of an analysis, each as `code: message`.
pub fn errors(a: &carbon::Analysis) -> Vec<String> {
    a.diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect()
}

/// Whether two values agree to a relative 1e-9.
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-300)
}
