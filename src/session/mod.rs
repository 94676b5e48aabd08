//! An interactive session over a loaded inventory: the REPL's core, as a library
//! (line in, output out). It evaluates expressions, changes inputs (what-if) with
//! incremental re-evaluation of what depends on them, diffs against the baseline,
//! undoes and resets, seeks the input value that meets a target, and renders the
//! current state as a valid `.carbon` file. No I/O happens here.

mod edits;
mod save;
mod seek;
mod what_if;

use crate::check::{self, Code, Op};
use crate::diag::{self, Diag, RenderOptions};
use crate::eval;
use crate::ir::SymId;
use crate::names::{self, SymKind};
use crate::source::SourceId;
use crate::syntax::{self, ast};
use crate::{number, render, Analysis, Options};
use save::*;
use std::collections::HashMap;

/// One change made in the session, in the file's own syntax.
#[derive(Clone, Debug)]
enum Edit {
    /// `target = expr`: a new value for an existing input.
    Set {
        target: String,
        /// The new value as the file will have it.
        text: String,
        /// The line as typed, when it is not `target = text` (`x *= 0.5`, or a
        /// right side that reads the value it changes: its value is `text`).
        typed: Option<String>,
        /// For a fast undo while the program is the one the change was made on:
        /// the symbol's check result and provenance before the change.
        undo: Option<(u64, check::Checked, names::Prov)>,
    },
    /// A new declaration (`let x = …`, `cover c { … }`, `expect …`).
    Add { name: Option<String>, text: String },
    /// `gwp = AR5`: another GWP set in the header.
    Gwp { name: String },
}

/// What one line produced.
#[derive(Clone, Debug, Default)]
pub struct Reply {
    /// Text for the analyst.
    pub output: String,
    /// Diagnostics, already rendered.
    pub errors: String,
    /// The session should end.
    pub quit: bool,
    /// A file to write atomically: (path, text).
    pub save: Option<(String, String)>,
}

impl Reply {
    fn out(s: impl Into<String>) -> Reply {
        Reply {
            output: s.into(),
            ..Reply::default()
        }
    }
    fn err(s: impl Into<String>) -> Reply {
        Reply {
            errors: s.into(),
            ..Reply::default()
        }
    }
}

pub struct Session {
    pub file: String,
    base_text: String,
    edits: Vec<Edit>,
    current: Analysis,
    baseline: Analysis,
    /// Who reads each symbol, and each symbol's place in the evaluation order
    /// (for the current program).
    dependents: Vec<Vec<SymId>>,
    position: Vec<u32>,
    /// Bumped whenever the program is rebuilt from text.
    generation: u64,
    audit_stale: bool,
    render: RenderOptions,
    /// Lines entered so far (continuation lines included), and the number of the
    /// first line of the input being handled: its diagnostics say `<repl:N>`.
    lines_in: u32,
    input_line: u32,
    /// The flagged stocks' sum for the verdict ([`Explainer::flagged_stocks`]),
    /// kept while no re-evaluation reaches the sinks group: every flagged term
    /// is a sink, so a change to one re-evaluates that group too.
    flagged: std::cell::Cell<Option<(f64, usize)>>,
}

pub const COMMANDS: &[(&str, &str)] = &[
    (":help", "list the commands"),
    (
        ":balance",
        "the balance (Eq. 1) and the terms, as `carbon run` prints them",
    ),
    (":explain TERM", "the full derivation of a term or value"),
    (
        ":diff",
        "every value changed against the loaded baseline, and the new balance",
    ),
    (":changes", "the changes made in this session"),
    (":undo", "take back the last change"),
    (":reset", "return to the loaded baseline"),
    (
        ":seek INPUT for TARGET = VALUE [in LO .. HI]",
        "the input value that makes the target hold",
    ),
    (
        ":save FILE",
        "write the inventory with the changes as a .carbon file (`:save! FILE` replaces an existing file)",
    ),
    (":names", "the names of the inventory"),
    (":quit", "leave (Ctrl-D also leaves)"),
];

fn dependents_of(a: &Analysis) -> (Vec<Vec<SymId>>, Vec<u32>) {
    let Some(p) = &a.program else {
        return (Vec::new(), Vec::new());
    };
    let n = p.res.syms.len();
    let mut deps = vec![Vec::new(); n];
    let mut buf = Vec::new();
    for (i, c) in p.checked.iter().enumerate() {
        if let Some(code) = &c.code {
            buf.clear();
            crate::check::code_deps(code, &mut buf);
            for &d in &buf {
                deps[d as usize].push(i as SymId);
            }
        }
    }
    let mut pos = vec![u32::MAX; n];
    for (k, &id) in p.res.order.iter().enumerate() {
        pos[id as usize] = k as u32;
    }
    (deps, pos)
}

impl Session {
    /// Loads an inventory. Errors in the file are returned rendered; the session
    /// needs a program without errors.
    pub fn load(file: &str, text: &str) -> Result<Session, String> {
        let mut a = crate::analyze(file, text.as_bytes(), Options::default());
        if !a.evaluated() {
            return Err(diag::render_all(&a.diags, &a.sources, RenderOptions::default()));
        }
        a.free_expressions();
        let mut baseline = crate::analyze(file, text.as_bytes(), Options::default());
        baseline.free_expressions();
        let (dependents, position) = dependents_of(&a);
        Ok(Session {
            file: file.to_string(),
            base_text: text.to_string(),
            edits: Vec::new(),
            current: a,
            baseline,
            dependents,
            position,
            generation: 0,
            audit_stale: false,
            render: RenderOptions::default(),
            lines_in: 0,
            input_line: 0,
            flagged: std::cell::Cell::new(None),
        })
    }

    /// A session with no file: the prelude and an empty inventory of one year.
    pub fn empty() -> Session {
        let text = "inventory \"REPL\" { period 1 a  gwp AR6 }\n";
        Session::load("<repl>", text).expect("the empty inventory checks")
    }

    pub fn set_render(&mut self, r: RenderOptions) {
        self.render = r;
    }

    pub fn analysis(&self) -> &Analysis {
        &self.current
    }

    /// Names, members, groups and units, for completion.
    pub fn completions(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if let Some(p) = &self.current.program {
            out.extend(p.res.scope.keys().map(|k| k.to_string()));
            for d in &p.res.decls {
                for (m, _) in p.res.members(d) {
                    out.push(format!("{}.{m}", d.name));
                }
            }
            out.extend(p.units.unit_names().map(str::to_string));
            out.extend(p.units.prefixed_unit_names());
        }
        out.extend(crate::syntax::keywords::KEYWORDS.iter().map(|k| k.to_string()));
        out.extend(
            COMMANDS
                .iter()
                .map(|(c, _)| c.split(' ').next().unwrap_or(c).to_string()),
        );
        out.sort();
        out.dedup();
        out
    }

    /// Whether the session holds changes (what-ifs, declarations) against the
    /// loaded file; the front remembers what it saved.
    pub fn has_changes(&self) -> bool {
        !self.edits.is_empty()
    }

    /// Whether the input so far is an unfinished declaration or expression (the
    /// REPL keeps reading then).
    pub fn is_incomplete(&self, text: &str) -> bool {
        is_incomplete(text)
    }
}

/// Whether `text` is an unfinished declaration or expression: the parser stops at
/// the end of the input.
pub fn is_incomplete(text: &str) -> bool {
    {
        let t = text.trim();
        if t.is_empty() || t.starts_with(':') {
            return false;
        }
        let body = match split_assignment(t) {
            Some((_, _, rhs)) => rhs,
            None => t,
        };
        let as_expr = match syntax::parse_expr(SourceId(u32::MAX), body) {
            Ok(_) => return false,
            Err(p) => p,
        };
        let as_decl = syntax::parse(SourceId(u32::MAX), body);
        if as_decl.diags.is_empty() {
            return false;
        }
        // A lone name is an expression, not an unfinished block declaration.
        if looks_like_declaration(t) {
            as_decl.incomplete
        } else {
            as_expr.incomplete
        }
    }
}

impl Session {
    fn errors(&self, diags: &[Diag]) -> String {
        diag::render_all(diags, &self.current.sources, self.render)
    }

    /// A diagnostic of the session itself (a command, a what-if), rendered as
    /// every other diagnostic of the session.
    fn fail(&self, d: Diag) -> Reply {
        Reply::err(self.errors(&[d]))
    }

    /// A diagnostic of the REPL front (a file `:save` cannot write), rendered as
    /// the session renders its own.
    pub fn render_error(&self, d: Diag) -> String {
        self.errors(&[d])
    }

    fn add_source(&mut self, text: &str) -> SourceId {
        self.current.sources.add(format!("<repl:{}>", self.input_line), text)
    }

    /// Handles one (possibly multi-line) input.
    pub fn handle(&mut self, line: &str) -> Reply {
        // Diagnostics name the input by the number of its first line.
        self.input_line = self.lines_in + 1;
        self.lines_in = self
            .lines_in
            .saturating_add(u32::try_from(line.lines().count().max(1)).unwrap_or(u32::MAX));
        let t = line.trim();
        if t.is_empty() {
            return Reply::default();
        }
        if let Some(cmd) = t.strip_prefix(':') {
            return self.command(cmd.trim());
        }
        if let Some((target, op, rhs)) = split_assignment(t) {
            return self.assign(target, op, rhs, t);
        }
        if looks_like_declaration(t) {
            return self.declare(t);
        }
        self.evaluate(t)
    }

    fn command(&mut self, cmd: &str) -> Reply {
        let (name, arg) = match cmd.split_once(char::is_whitespace) {
            Some((n, a)) => (n, a.trim()),
            None => (cmd, ""),
        };
        match name {
            "help" | "h" | "?" => {
                let w = COMMANDS.iter().map(|(c, _)| c.chars().count()).max().unwrap_or(10) + 2;
                let mut o = String::from("Type an expression (`sinks to tCO2e/a`), a change (`coal.amount = 1200 t`,\n`coal.amount *= 0.9`: the right side sees the value before the change),\nor a declaration in the file's syntax (`let x = 3 t`, `cover c { … }`).\n\n");
                for (c, h) in COMMANDS {
                    o.push_str(&format!("  {}{h}\n", pad(c, w)));
                }
                Reply::out(o)
            }
            "quit" | "q" | "exit" => Reply {
                quit: true,
                ..Reply::default()
            },
            "balance" | "b" => match self.report() {
                Some(r) => Reply::out(balance_summary(&r)),
                None => self.fail(no_balance()),
            },
            "explain" | "e" => {
                if arg.is_empty() {
                    return self.fail(usage("usage: :explain TERM (for example `:explain coal`)"));
                }
                self.refresh_audit();
                match self.current.explain(arg) {
                    _ if crate::cancel::requested() => interrupted(),
                    Ok(n) => {
                        let mut o = render::explain_text(&n);
                        if crate::cancel::requested() {
                            return interrupted();
                        }
                        // A value changed here says so at the top too (its
                        // uses below carry the what-if as their assumption).
                        if let Some(reason) = self.changed_reason(arg) {
                            let at = o
                                .find("\n  = ")
                                .and_then(|i| o[i + 1..].find('\n').map(|j| i + 1 + j + 1));
                            let line = format!("    · ASSUMED: {reason} (`:changes` lists the changes)\n");
                            match at {
                                Some(i) => o.insert_str(i, &line),
                                None => o.push_str(&line),
                            }
                        }
                        Reply::out(o)
                    }
                    Err(d) => Reply::err(self.errors(&[d])),
                }
            }
            "diff" | "d" => Reply::out(self.diff()),
            "changes" => {
                if self.edits.is_empty() {
                    return Reply::out("no changes\n");
                }
                let mut o = String::new();
                for (i, e) in self.edits.iter().enumerate() {
                    let s = match e {
                        Edit::Set {
                            target,
                            text,
                            typed: Some(typed),
                            ..
                        } => format!("{typed}   (so {target} = {text})"),
                        Edit::Set { target, text, .. } => format!("{target} = {text}"),
                        Edit::Add { text, .. } => text.clone(),
                        Edit::Gwp { name } => format!("gwp = {name}"),
                    };
                    o.push_str(&format!("{:>3}  {s}\n", i + 1));
                }
                Reply::out(o)
            }
            "undo" | "u" => self.undo(),
            "reset" => {
                self.edits.clear();
                let text = self.base_text.clone();
                match self.rebuild(&text) {
                    Ok(()) => Reply::out(format!("back to the baseline ({})\n", self.balance_line())),
                    Err(e) => Reply::err(e),
                }
            }
            "seek" | "goal" => self.seek(arg),
            "save" => self.save_reply(arg, false),
            "save!" => self.save_reply(arg, true),
            "names" => {
                let Some(p) = &self.current.program else {
                    return Reply::default();
                };
                // Only the names one can type (not the balance's internal steps).
                let mut names: Vec<&str> = p
                    .res
                    .syms
                    .iter()
                    .enumerate()
                    .filter(|(i, s)| {
                        !s.prelude && !matches!(s.kind, SymKind::Hidden) && p.res.find(&s.name) == Some(*i as SymId)
                    })
                    .map(|(_, s)| &*s.name)
                    .collect();
                names.sort();
                Reply::out(format!("{}\n", names.join("  ")))
            }
            other => {
                let words: Vec<&str> = COMMANDS
                    .iter()
                    .map(|(c, _)| c[1..].split(' ').next().unwrap_or(""))
                    .collect();
                let hint = crate::suggest::closest(other, words.iter().copied())
                    .map(|s| format!(" — did you mean `:{s}`?"))
                    .unwrap_or_default();
                self.fail(Diag::error(
                    "carbon::repl::unknown_command",
                    format!("unknown command `:{other}`{hint} (`:help` lists them)"),
                ))
            }
        }
    }

    fn report(&mut self) -> Option<crate::explain::Report<'_>> {
        self.refresh_audit();
        self.current.report()
    }

    fn refresh_audit(&mut self) {
        if !self.audit_stale {
            return;
        }
        if let (Some(p), Some(v)) = (&self.current.program, &self.current.values) {
            let mut a = crate::audit::audit(p, v, &self.current.sources, false);
            self.current.diags.retain(|d| !d.code.starts_with("carbon::audit::"));
            self.current.diags.append(&mut a.diags);
            self.current.audit = Some(a);
        }
        self.audit_stale = false;
    }

    /// Lowers, checks and evaluates an expression in the current program.
    fn compile(&mut self, text: &str) -> Result<(Code, crate::units::Dim, crate::units::DUnit, Option<f64>), String> {
        let src = self.add_source(text);
        let expr = match syntax::parse_expr(src, text) {
            Ok(e) => e,
            Err(p) => return Err(self.errors(&p.diags)),
        };
        let (ast_expr, target) = match expr.kind {
            ast::ExprKind::Convert(inner, u) => (*inner, Some(u)),
            other => (
                ast::Expr {
                    kind: other,
                    span: expr.span,
                },
                None,
            ),
        };
        let program = self.current.program.as_mut().ok_or("no program")?;
        let ir = match names::lower_in(&program.res, &mut program.units, &ast_expr) {
            Ok(ir) => ir,
            Err(d) => return Err(self.errors(&d)),
        };
        let program = self.current.program.as_mut().ok_or("no program")?;
        let (code, dim, mut du, precision) = match check::check_expr(program, &ir) {
            Ok(r) => r,
            Err(d) => return Err(self.errors(&d)),
        };
        if let Some(u) = target {
            let r = match check::resolve_unit(program, &u) {
                Ok(r) => r,
                Err(d) => return Err(self.errors(&[d])),
            };
            if r.dim != dim {
                let (a, b) = (program.units.describe_dim(&dim), program.units.describe_dim(&r.dim));
                let d = Diag::error("carbon::units::conversion", format!("cannot convert {a} to {b}"))
                    .at(ast_expr.span, format!("this is {a}"))
                    .also(u.span, format!("this unit is {b}"));
                return Err(self.errors(&[d]));
            }
            du = r.display;
        }
        Ok((code, dim, du, precision))
    }

    /// A value in a checked symbol's display unit (an interned id).
    fn show_id(&self, v: f64, du: crate::units::UnitId) -> String {
        match &self.current.program {
            Some(p) => self.show_value(v, p.units.dunit(du)),
            None => number::format(v),
        }
    }

    fn show_value(&self, v: f64, du: &crate::units::DUnit) -> String {
        let Some(p) = &self.current.program else {
            return number::format(v);
        };
        let u = p.units.format_dunit(du);
        let shown = number::format(v / p.units.scale_of(du));
        if u.is_empty() {
            shown
        } else {
            format!("{shown} {u}")
        }
    }

    fn evaluate(&mut self, text: &str) -> Reply {
        let (code, _, du, _) = match self.compile(text) {
            Ok(r) => r,
            Err(e) => return Reply::err(e),
        };
        let vals = self.current.values.as_ref().expect("a loaded session has values");
        let syms = &self
            .current
            .program
            .as_ref()
            .expect("a loaded session has a program")
            .res
            .syms;
        match eval::eval_code(&code, vals, syms) {
            Ok(v) if v.is_finite() => Reply::out(format!("= {}\n", self.show_value(v, &du))),
            Ok(_) => self.fail(not_finite("the result is not a finite number")),
            Err(Some(d)) => Reply::err(self.errors(&[d])),
            Err(None) => self.fail(no_value("a value this expression reads could not be computed")),
        }
    }

    fn find(&self, name: &str) -> Option<SymId> {
        self.current.program.as_ref()?.res.find(name)
    }

    fn net(&self) -> Option<f64> {
        let p = self.current.program.as_ref()?;
        self.current.values.as_ref()?.get(p.res.groups.as_ref()?.net)
    }

    fn value_text(&self, id: SymId) -> String {
        let p = self.current.program.as_ref().expect("loaded");
        let v = self.current.values.as_ref().and_then(|v| v.get(id)).unwrap_or(f64::NAN);
        self.show_id(v, p.checked[id as usize].dunit)
    }

    fn balance_line(&self) -> String {
        let Some(p) = &self.current.program else {
            return String::new();
        };
        let Some(g) = &p.res.groups else {
            return "no balance".into();
        };
        let Some(net) = self.current.values.as_ref().and_then(|v| v.get(g.net)) else {
            return String::new();
        };
        let verdict = self.current.values.as_ref().and_then(|vals| {
            let e = crate::explain::Explainer {
                p,
                vals,
                sources: &self.current.sources,
            };
            let flagged = self.flagged.get().unwrap_or_else(|| e.flagged_stocks());
            self.flagged.set(Some(flagged));
            e.verdict_from(flagged, false)
        });
        let text = match verdict.as_ref().and_then(|v| v.depends_on.as_ref()) {
            Some(d) => format!(
                "carbon neutral only with the flagged stocks ({:.0} % of removals) as this period's removal; without them net = {} {}",
                d.share_of_removals * 100.0,
                crate::number::format(d.net_without.value),
                d.net_without.unit
            ),
            None if net <= 0.0 => "carbon neutral".into(),
            None => "not carbon neutral".into(),
        };
        format!("net {}: {}", self.value_text(g.net), text)
    }

    fn balance_change(&self, before: Option<f64>, after: Option<f64>) -> String {
        let Some(p) = &self.current.program else {
            return String::new();
        };
        let Some(g) = &p.res.groups else { return String::new() };
        match (before, after) {
            (Some(b), Some(a)) => {
                let du = p.checked[g.net as usize].dunit;
                let delta = self.show_id(a - b, du);
                format!("{} (Δ {}{delta})", self.balance_line(), if a >= b { "+" } else { "" })
            }
            _ => self.balance_line(),
        }
    }
}

impl Reply {
    fn with_file(mut self, path: &str, text: String) -> Reply {
        // The front writes the file; the path and text travel in the reply.
        self.save = Some((path.to_string(), text));
        self
    }
}

/// `:balance` without an `inventory` header.
fn no_balance() -> Diag {
    Diag::error(
        "carbon::repl::no_balance",
        "the inventory has no `inventory` header, so there is no balance",
    )
    .help("add `inventory \"Site\" { period 1 a  gwp AR6 }` to the file")
}

/// A command written without what it needs: `message` is its usage line.
fn usage(message: &str) -> Diag {
    Diag::error("carbon::repl::usage", message)
}

/// A name that is no value of the inventory; `hint` is the ` — did you mean …`.
fn unknown_value(name: &str, hint: &str) -> Diag {
    Diag::error(
        "carbon::repl::unknown_value",
        format!("`{name}` is not a value of the inventory{hint}"),
    )
}

fn not_an_input(message: &str) -> Diag {
    Diag::error("carbon::repl::not_an_input", message)
}

fn no_value(message: &str) -> Diag {
    Diag::error("carbon::repl::no_value", message)
}

fn not_finite(message: &str) -> Diag {
    Diag::error("carbon::eval::not_finite", message)
}

/// What a command stopped by Ctrl-C (`crate::cancel`) replies; it changed nothing.
fn interrupted() -> Reply {
    Reply::err("interrupted; the session is unchanged\n")
}

/// A path written in quotes (`"my file.carbon"`, `'x.carbon'`) without them.
pub fn unquote(arg: &str) -> &str {
    let b = arg.as_bytes();
    match b {
        [q @ (b'"' | b'\''), .., l] if b.len() >= 2 && l == q => &arg[1..arg.len() - 1],
        _ => arg,
    }
}

fn pad(s: &str, w: usize) -> String {
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(w.saturating_sub(n)))
}

fn same_path(a: &str, b: &str) -> bool {
    let canon = |p: &str| std::fs::canonicalize(p).ok();
    a == b || matches!((canon(a), canon(b)), (Some(x), Some(y)) if x == y)
}

/// `coal.amount = 1200 t` → (`coal.amount`, None, `1200 t`); `x *= 0.5` →
/// (`x`, Some('*'), `0.5`) (also `+=`, `-=`, `/=`); not `a == b`, not `let`.
fn split_assignment(t: &str) -> Option<(&str, Option<char>, &str)> {
    let eq = t.find('=')?;
    if t[eq + 1..].starts_with('=') || t.starts_with("let ") || t.starts_with("expect ") {
        return None;
    }
    let mut lhs = t[..eq].trim_end();
    let op = lhs.chars().last().filter(|c| matches!(c, '+' | '-' | '*' | '/'));
    if let Some(c) = op {
        lhs = &lhs[..lhs.len() - c.len_utf8()];
    }
    let lhs = lhs.trim();
    let ok = !lhs.is_empty()
        && lhs.split('.').count() <= 2
        && lhs.split('.').all(|p| {
            let mut c = p.chars();
            c.next().is_some_and(|c| c.is_alphabetic() || c == '_') && c.all(|c| c.is_alphanumeric() || c == '_')
        });
    ok.then(|| (lhs, op, &t[eq + 1..]))
}

/// The short balance shown by `:balance`.
pub fn balance_summary(r: &crate::explain::Report<'_>) -> String {
    // Everything up to the explanation: balance, terms, expectations, flags.
    render::balance_text(r)
}
