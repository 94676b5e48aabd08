//! Programs that state their expected outcome in a header comment, run through
//! the `carbon` binary: every `.carbon` file of `tests/programs/` and
//! `tests/expect/`. One test lists every mismatch as `file:line` (the line of the
//! expectation not met); a malformed header is a mismatch too.
//!
//! The header is the comment lines (`//`) at the top of the file: free text,
//! saying what the program tests, and one expectation a line:
//!
//! ```text
//! // expect: ok                                  exit 0, no error
//! // expect: error carbon::units::mismatch       exit 1, an error of that code
//! // expect: warning carbon::audit::unused       a warning of that code (also `advice`)
//! // expect: error carbon::units::mismatch at 7  … reported at line 7
//! // expect: net = -1573.66 tCO2e within 0.01    a value (`within 0.1 %` also)
//! // expect: coal.equivalent = 1529.07 tce within 0.01
//! // expect: ratio = 3.5 within 1e-9              a plain number: no unit
//! // expect: verdict neutral                     or `not neutral`, or
//! // expect: verdict neutral only with stock_as_removal
//! // args: --strict                              more arguments for `carbon run`
//! // input: stdin                                the file is piped (`carbon run -`)
//! ```
//!
//! Exactly one of `ok` and `error …` (any number of `error` lines). The codes
//! listed are all the codes the program gives (errors, warnings and advice): an
//! unlisted one is a mismatch. A value is `net`, `emissions` or `removals` of
//! `carbon run --format json`, or any name `carbon explain` knows (a term, a field,
//! a derived value, a group), compared in the unit written, which must be the
//! unit the JSON states.

mod common;

use common::rel;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// The folders of programs with an expected outcome.
const FOLDERS: [&str; 2] = ["tests/programs", "tests/expect"];

#[derive(Debug, Clone, PartialEq)]
enum Tolerance {
    Absolute(f64),
    Percent(f64),
}

#[derive(Debug, Clone, PartialEq)]
enum Verdict {
    Neutral,
    NotNeutral,
    NeutralOnlyWith(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Expect {
    Ok,
    Code {
        severity: String,
        code: String,
        line: Option<u64>,
    },
    Value {
        name: String,
        value: f64,
        unit: String,
        within: Tolerance,
    },
    Verdict(Verdict),
}

/// A program's header: its expectations (each with its line), arguments and input.
#[derive(Debug, Default)]
struct Header {
    expects: Vec<(usize, Expect)>,
    args: Vec<String>,
    stdin: bool,
}

/// Reads the header of `text`; `Err` lists every malformed line as `(line, why)`.
fn header(text: &str) -> Result<Header, Vec<(usize, String)>> {
    let mut h = Header::default();
    let mut bad = Vec::new();
    let mut in_header = true;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let t = line.trim_start_matches('\u{feff}').trim();
        let Some(comment) = t.strip_prefix("//").filter(|_| in_header) else {
            in_header = false;
            // An expectation below the header would be silently ignored: refuse it.
            let c = t.trim_start_matches('/').trim_start();
            if t.starts_with("//") && ["expect:", "args:", "input:"].iter().any(|k| c.starts_with(k)) {
                bad.push((n, "an expectation below the header (the leading `//` lines)".into()));
            }
            continue;
        };
        let c = comment.trim();
        if let Some(rest) = c.strip_prefix("expect:") {
            match expectation(rest.trim()) {
                Ok(e) => h.expects.push((n, e)),
                Err(why) => bad.push((n, why)),
            }
        } else if let Some(rest) = c.strip_prefix("args:") {
            h.args.extend(rest.split_whitespace().map(String::from));
        } else if let Some(rest) = c.strip_prefix("input:") {
            match rest.trim() {
                "stdin" => h.stdin = true,
                other => bad.push((n, format!("unknown input `{other}` (only `stdin`)"))),
            }
        } else if ["expect", "args", "input", "expected", "outcome"]
            .iter()
            .any(|k| c.split([':', ' ']).next() == Some(k) && c.contains(':'))
        {
            bad.push((n, format!("not an expectation line: `{c}`")));
        }
    }
    let oks = h.expects.iter().filter(|(_, e)| *e == Expect::Ok).count();
    let errors = h
        .expects
        .iter()
        .filter(|(_, e)| matches!(e, Expect::Code { severity, .. } if severity == "error"))
        .count();
    if oks + errors == 0 {
        bad.push((
            1,
            "no `// expect: ok` and no `// expect: error CODE` in the header".into(),
        ));
    }
    if oks > 1 || (oks == 1 && errors > 0) {
        bad.push((1, "both `ok` and `error`, or `ok` twice".into()));
    }
    if bad.is_empty() {
        Ok(h)
    } else {
        Err(bad)
    }
}

/// One expectation, the text after `expect:`.
fn expectation(s: &str) -> Result<Expect, String> {
    let words: Vec<&str> = s.split_whitespace().collect();
    match words.as_slice() {
        ["ok"] => Ok(Expect::Ok),
        [sev @ ("error" | "warning" | "advice"), code, rest @ ..] => {
            if !code.starts_with("carbon::") || code.split("::").count() != 3 {
                return Err(format!("`{code}` is not a code like `carbon::units::mismatch`"));
            }
            let line = match rest {
                [] => None,
                ["at", l] => Some(l.parse().map_err(|_| format!("`{l}` is not a line number"))?),
                _ => return Err(format!("after the code, only `at LINE`: `{s}`")),
            };
            Ok(Expect::Code {
                severity: sev.to_string(),
                code: code.to_string(),
                line,
            })
        }
        ["verdict", "neutral"] => Ok(Expect::Verdict(Verdict::Neutral)),
        ["verdict", "not", "neutral"] => Ok(Expect::Verdict(Verdict::NotNeutral)),
        ["verdict", "neutral", "only", "with", flag] => Ok(Expect::Verdict(Verdict::NeutralOnlyWith(flag.to_string()))),
        ["verdict", ..] => Err(format!(
            "a verdict is `neutral`, `not neutral` or `neutral only with FLAG`: `{s}`"
        )),
        [name, "=", value, rest @ ..] if rest.contains(&"within") => {
            let (unit, tol) = match rest {
                ["within", tol @ ..] => ("", tol),
                [unit, "within", tol @ ..] => (*unit, tol),
                _ => return Err(format!("a value is `NAME = VALUE [UNIT] within T [%]`: `{s}`")),
            };
            let value: f64 = value.parse().map_err(|_| format!("`{value}` is not a number"))?;
            let within = match tol {
                [t] => Tolerance::Absolute(t.parse().map_err(|_| format!("`{t}` is not a number"))?),
                [t, "%"] => Tolerance::Percent(t.parse().map_err(|_| format!("`{t}` is not a number"))?),
                _ => return Err(format!("a tolerance is `within T` or `within T %`: `{s}`")),
            };
            if !name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                return Err(format!("`{name}` is not a name"));
            }
            Ok(Expect::Value {
                name: name.to_string(),
                value,
                unit: unit.to_string(),
                within,
            })
        }
        [_, "=", ..] => Err(format!("a value is `NAME = VALUE [UNIT] within T [%]`: `{s}`")),
        _ => Err(format!("unknown expectation `{s}`")),
    }
}

struct Run {
    code: i32,
    json: Result<Value, String>,
}

/// `carbon ARGS` on `file` (written in place of `FILE`), or with the file piped
/// in place of `-`; standard output read as JSON.
fn carbon_json(file: &Path, stdin: bool, args: &[&str]) -> Run {
    let path = rel(file);
    let args: Vec<&str> = args
        .iter()
        .map(|a| match *a {
            "FILE" if stdin => "-",
            "FILE" => path.as_str(),
            a => a,
        })
        .collect();
    let mut child = common::command()
        .args(&args)
        .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the carbon binary runs");
    if stdin {
        let text = std::fs::read(file).expect("readable");
        child.stdin.take().expect("stdin").write_all(&text).expect("piped");
    }
    let out = child.wait_with_output().expect("carbon ends");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    Run {
        code: out.status.code().unwrap_or(-1),
        json: serde_json::from_str(&stdout)
            .map_err(|e| format!("`carbon {}` printed no JSON ({e}):\n{stdout}{stderr}", args.join(" "))),
    }
}

/// The mismatches of one program, each as `file:line: what`.
fn check_program(path: &Path) -> Vec<String> {
    let file = rel(path);
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return vec![format!("{file}: cannot read: {e}")],
    };
    let h = match header(&text) {
        Ok(h) => h,
        Err(bad) => {
            return bad
                .into_iter()
                .map(|(n, why)| format!("{file}:{n}: malformed header: {why}"))
                .collect()
        }
    };
    let at = |n: usize| format!("{file}:{n}");
    let mut out = Vec::new();
    let mut args = vec!["run", "FILE", "--format", "json"];
    args.extend(h.args.iter().map(String::as_str));
    let run = carbon_json(path, h.stdin, &args);
    let v = match run.json {
        Ok(v) => v,
        Err(e) => return vec![format!("{file}: {e}")],
    };
    let diags: Vec<(String, String, Option<u64>)> = v["diagnostics"]
        .as_array()
        .map(|ds| {
            ds.iter()
                .map(|d| {
                    (
                        d["severity"].as_str().unwrap_or("?").to_string(),
                        d["code"].as_str().unwrap_or("?").to_string(),
                        d["line"].as_u64(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let shown = |ds: &[(String, String, Option<u64>)]| {
        ds.iter()
            .map(|(s, c, l)| format!("{s} {c} at {}", l.map_or("?".into(), |l| l.to_string())))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut listed = BTreeSet::new();
    for (n, e) in &h.expects {
        match e {
            Expect::Ok => {
                if run.code != 0 || diags.iter().any(|(s, ..)| s == "error") {
                    out.push(format!(
                        "{}: expected ok, got exit status {} with [{}]",
                        at(*n),
                        run.code,
                        shown(&diags)
                    ));
                }
            }
            Expect::Code { severity, code, line } => {
                listed.insert((severity.clone(), code.clone()));
                let found = diags
                    .iter()
                    .any(|(s, c, l)| s == severity && c == code && (line.is_none() || *l == *line));
                if !found {
                    let place = line.map_or(String::new(), |l| format!(" at line {l}"));
                    out.push(format!(
                        "{}: expected {severity} {code}{place}, got [{}]",
                        at(*n),
                        shown(&diags)
                    ));
                }
                if severity == "error" && run.code != 1 {
                    out.push(format!("{}: expected exit status 1, got {}", at(*n), run.code));
                }
            }
            Expect::Verdict(want) => {
                let neutral = &v["neutral"];
                let got = match (neutral["value"].as_bool(), neutral["depends_on"]["flag"].as_str()) {
                    (Some(true), Some(flag)) => Some(Verdict::NeutralOnlyWith(flag.to_string())),
                    (Some(true), None) => Some(Verdict::Neutral),
                    (Some(false), _) => Some(Verdict::NotNeutral),
                    (None, _) => None,
                };
                if got.as_ref() != Some(want) {
                    out.push(format!(
                        "{}: expected verdict {want:?}, got {got:?} ({neutral})",
                        at(*n)
                    ));
                }
            }
            Expect::Value {
                name,
                value,
                unit,
                within,
            } => {
                let node = match name.as_str() {
                    "net" => v["balance"].clone(),
                    "emissions" | "removals" => v[name.as_str()].clone(),
                    _ if name.starts_with("by_scope.") || name.starts_with("by_gas.") => match subtotal(&v, name) {
                        Some(x) => x,
                        None => {
                            out.push(format!("{}: no subtotal `{name}` in the JSON", at(*n)));
                            continue;
                        }
                    },
                    _ => {
                        let e = carbon_json(path, h.stdin, &["explain", "FILE", name, "--format", "json"]);
                        match e.json {
                            Ok(j) if e.code == 0 => j,
                            Ok(j) => {
                                out.push(format!(
                                    "{}: `carbon explain {name}` failed: {}",
                                    at(*n),
                                    j["diagnostics"]
                                ));
                                continue;
                            }
                            Err(err) => {
                                out.push(format!("{}: {err}", at(*n)));
                                continue;
                            }
                        }
                    }
                };
                let (Some(got), Some(got_unit)) = (node["value"].as_f64(), node["unit"].as_str()) else {
                    out.push(format!("{}: no value for `{name}` in {node}", at(*n)));
                    continue;
                };
                let tol = match within {
                    Tolerance::Absolute(t) => *t,
                    Tolerance::Percent(p) => value.abs() * p / 100.0,
                };
                if got_unit != unit || (got - value).abs() > tol {
                    out.push(format!(
                        "{}: expected {name} = {value} {unit} within {within:?}, got {got} {got_unit}",
                        at(*n)
                    ));
                }
            }
        }
    }
    // Every code the program gives is listed.
    for (s, c, l) in &diags {
        if !listed.contains(&(s.clone(), c.clone())) {
            let place = l.map_or(String::new(), |l| format!(" at line {l}"));
            out.push(format!(
                "{file}:1: {s} {c}{place} is not in the header (`// expect: {s} {c}`)"
            ));
        }
    }
    out
}

/// `by_scope.2.emissions` or `by_gas.CH4.net`: the quantity `emissions`,
/// `removals` or `net` of the entry of `by_scope` (by its `scope`) or `by_gas` (by
/// its `gas`) in the JSON of `run`.
fn subtotal(v: &Value, name: &str) -> Option<Value> {
    let mut parts = name.split('.');
    let (list, which, what) = (parts.next()?, parts.next()?, parts.next()?);
    let key = if list == "by_scope" { "scope" } else { "gas" };
    let entry = v[list].as_array()?.iter().find(|e| match &e[key] {
        Value::Number(n) => n.to_string() == which,
        Value::String(s) => s == which,
        _ => false,
    })?;
    Some(entry[what].clone())
}

fn programs() -> Vec<PathBuf> {
    common::carbon_files(&FOLDERS)
}

#[test]
fn every_program_has_its_expected_outcome() {
    let files = programs();
    assert!(files.len() >= 20, "only {} programs", files.len());
    let failures: Vec<String> = files.iter().flat_map(|p| check_program(p)).collect();
    assert!(
        failures.is_empty(),
        "{} mismatches in {} programs:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

/// The header reader itself: malformed headers are refused, with their line.
#[test]
fn malformed_headers_are_refused() {
    let bad = [
        ("// what\nlet x = 1\n", 1),
        ("// expect: fine\n", 1),
        ("// expect: ok\n// expect: error carbon::units::mismatch\n", 1),
        ("// expect: error mismatch\n", 1),
        ("// expect: error carbon::units::mismatch at seven\n", 1),
        ("// expect: ok\n// expect: net = 5 tCO2e\n", 2),
        ("// expect: ok\n// expect: net = five tCO2e within 1\n", 2),
        ("// expect: ok\n// expect: net = 5 tCO2e within 1 t\n", 2),
        ("// expect: ok\n// expect: verdict maybe\n", 2),
        ("// expect: ok\n// input: a file\n", 2),
        ("// expect: ok\n// expected: ok\n", 2),
        ("// expect: ok\nlet x = 1\n// expect: net = 1 t within 0\n", 3),
    ];
    for (text, line) in bad {
        match header(text) {
            Ok(h) => panic!("accepted {text:?}: {h:?}"),
            Err(why) => assert!(why.iter().any(|(n, _)| *n == line), "{text:?}: {why:?}"),
        }
    }
    let good = header(
        "// a comment\n// expect: error carbon::units::mismatch at 3\n// expect: warning carbon::audit::unused\n\
         // expect: coal.equivalent = 1529.07 tce within 0.01 %\n// expect: verdict neutral only with stock_as_removal\n\
         // args: --strict\n// input: stdin\nlet x = 1\n",
    )
    .expect("a valid header");
    assert_eq!(good.expects.len(), 4);
    assert_eq!(good.args, ["--strict"]);
    assert!(good.stdin);
}
