//! An interactive session over a loaded inventory: the REPL's core, as a library
//! (line in, output out). It evaluates expressions, changes inputs (what-if) with
//! incremental re-evaluation of what depends on them, diffs against the baseline,
//! undoes and resets, seeks the input value that meets a target, and renders the
//! current state as a valid `.carbon` file. No I/O happens here.

mod save;
mod seek;

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
                None => Reply::err("the inventory has no `inventory` header, so there is no balance\n"),
            },
            "explain" | "e" => {
                if arg.is_empty() {
                    return Reply::err("usage: :explain TERM (for example `:explain coal`)\n");
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
                Reply::err(format!(
                    "error: unknown command `:{other}`{hint} (`:help` lists them)\n"
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
            Ok(_) => Reply::err("error: the result is not a finite number\n"),
            Err(Some(d)) => Reply::err(self.errors(&[d])),
            Err(None) => Reply::err("error: a value this expression reads could not be computed\n"),
        }
    }

    fn find(&self, name: &str) -> Option<SymId> {
        self.current.program.as_ref()?.res.find(name)
    }

    /// `target = expr` (or `target += expr`, `-=`, `*=`, `/=`): a what-if change
    /// of an input. The right side reads the values before the change: when it
    /// reads the target itself, it is computed now and the target set to that
    /// figure. The changed program must pass the file's checks, or nothing changes.
    fn assign(&mut self, target: &str, op: Option<char>, rhs: &str, typed: &str) -> Reply {
        if target == "gwp" {
            if op.is_some() {
                return Reply::err("error: `gwp` takes the name of a GWP set: write `gwp = AR5`\n");
            }
            return self.change_gwp(rhs.trim());
        }
        let Some(id) = self.find(target) else {
            let names = self.completions();
            let hint = crate::suggest::closest(target, names.iter().map(|s| s.as_str()))
                .map(|s| format!(" — did you mean `{s}`?"))
                .unwrap_or_default();
            let help = if target.contains('.') {
                format!(
                    "  help: `:names` lists the values; `:explain {}` shows a declaration's members\n",
                    target.split('.').next().unwrap_or(target)
                )
            } else {
                format!("  help: to declare a new value, write `let {target} = …`\n")
            };
            return Reply::err(format!(
                "error: `{target}` is not a value of the inventory{hint}\n{help}"
            ));
        };
        let p = self.current.program.as_ref().expect("loaded");
        let sym = &p.res.syms[id as usize];
        if !matches!(sym.kind, SymKind::Let | SymKind::Field { .. }) || sym.prelude && sym.kind != SymKind::Let {
            return Reply::err(format!(
                "error: `{target}` is computed ({}), not an input\n  help: change one of the inputs it is computed from (`:explain {target}` shows them)\n",
                match p.res.meaning(sym) {
                    "" => "a derived value",
                    m => m,
                }
            ));
        }
        let old = p.checked[id as usize].clone();
        let old_prov = sym.prov.clone();
        // `x += e` is `x = x + (e)`.
        let rhs = match op {
            Some(o) => format!("{target} {o} ({})", rhs.trim()),
            None => rhs.trim().to_string(),
        };
        let (mut code, mut dim, mut du, mut precision) = match self.compile(&rhs) {
            Ok(r) => r,
            Err(e) => return Reply::err(e),
        };
        let old_dim = {
            let p = self.current.program.as_ref().expect("loaded");
            old.dim.map(|d| p.units.dim(d))
        };
        if Some(dim) != old_dim {
            let p = self.current.program.as_ref().expect("loaded");
            let was = old_dim.map(|d| p.units.describe_dim(&d)).unwrap_or_default();
            let now = p.units.describe_dim(&dim);
            let unit = p.units.format_dunit(p.units.dunit(old.dunit));
            return Reply::err(format!(
                "error: `{target}` is {was} ({unit}), but the new value is {now}\n  help: give the new value in a unit of the same kind, for example {unit}\n"
            ));
        }
        // A right side that reads the target (itself or through other values)
        // means the value before the change: compute it now, and set the target
        // to that figure, written in the target's unit.
        let mut reads = Vec::new();
        crate::check::code_deps(&code, &mut reads);
        let mut text = rhs.clone();
        let folded = op.is_some() || self.reaches(&reads, id);
        if folded {
            let v = {
                let vals = self.current.values.as_ref().expect("loaded");
                let syms = &self.current.program.as_ref().expect("loaded").res.syms;
                match eval::eval_code(&code, vals, syms) {
                    Ok(v) if v.is_finite() => v,
                    Ok(_) => return Reply::err("error: the new value is not a finite number\n"),
                    Err(Some(d)) => return Reply::err(self.errors(&[d])),
                    Err(None) => return Reply::err("error: a value the right side reads could not be computed\n"),
                }
            };
            text = self.literal(v, old.dunit);
            (code, dim, du, precision) = match self.compile(&text) {
                Ok(r) => r,
                Err(e) => return Reply::err(format!("internal error: the figure `{text}` does not read back:\n{e}")),
            };
        }
        let before = self.net();
        let old_value = self.current.values.as_ref().and_then(|v| v.get(id));
        let reason = self.what_if_reason(target);
        let p = self.current.program.as_mut().expect("loaded");
        let du = if du.is_empty() {
            old.dunit
        } else {
            p.units.intern_dunit(du)
        };
        let dim = p.units.intern_dim(dim);
        p.checked[id as usize] = check::Checked::new(Some(code), Some(dim), du, precision);
        // The changed value is the analyst's assumption, no longer the cited figure.
        if let Some(r) = &reason {
            p.res.syms[id as usize].prov = names::Prov::assumption(r.clone());
        }
        // The new value itself first (an impossible period would otherwise be
        // reported as a division by zero in every term), then what reads it.
        let own = {
            let p = self.current.program.as_ref().expect("loaded");
            let vals = self.current.values.as_mut().expect("loaded");
            // (`reevaluate_from` follows, on success or roll-back, and keeps
            // `self.flagged` true.)
            let d = eval::reevaluate(p, vals, &[id]);
            if d.is_empty() {
                self.impossible(&[id])
            } else {
                Some(self.errors(&d))
            }
        };
        let refused = match own {
            Some(e) => Some(e),
            None => match self.reevaluate_from(id) {
                Err(e) => Some(e),
                Ok(affected) => self.impossible(&affected),
            },
        }
        .map(|e| {
            let was = old_value.map(|v| self.show_id(v, old.dunit)).unwrap_or_default();
            format!("{e}the change is not applied: `{target}` stays {was}\n")
        });
        if let Some(e) = refused {
            // Roll back: the session stays as it was.
            let p = self.current.program.as_mut().expect("loaded");
            p.checked[id as usize] = old;
            p.res.syms[id as usize].prov = old_prov;
            let _ = self.reevaluate_from(id);
            return Reply::err(e);
        }
        self.edits.push(Edit::Set {
            target: target.to_string(),
            text: text.clone(),
            typed: folded.then(|| typed.trim().to_string()),
            undo: Some((self.generation, old, old_prov)),
        });
        self.audit_stale = true;
        let after = self.net();
        let v = self.value_text(id);
        Reply::out(format!("{target} = {v}\n{}\n", self.balance_change(before, after)))
    }

    /// The what-if assumption of `name`, if it is an input changed in this session.
    fn changed_reason(&self, name: &str) -> Option<String> {
        let id = self.find(name.trim())?;
        let changed = self.edits.iter().any(|e| match e {
            Edit::Set { target, .. } => self.find(target) == Some(id),
            _ => false,
        });
        let p = self.current.program.as_ref()?;
        changed.then(|| p.res.syms[id as usize].prov.assumed().map(str::to_string))?
    }

    /// The `carbon::check::out_of_range` errors of the given symbols, rendered.
    fn impossible(&self, ids: &[SymId]) -> Option<String> {
        let (Some(p), Some(v)) = (&self.current.program, &self.current.values) else {
            return None;
        };
        let d = crate::audit::impossible_values_of(p, v, &self.current.sources, ids);
        (!d.is_empty()).then(|| self.errors(&d))
    }

    /// A figure as the file writes it: `v` (in base units) in the display unit
    /// `du`, with every digit needed to read back the same number.
    fn literal(&self, v: f64, du: crate::units::UnitId) -> String {
        let Some(p) = &self.current.program else {
            return format!("{v}");
        };
        let d = p.units.dunit(du);
        let u = p.units.format_dunit(d);
        let x = v / p.units.scale_of(d);
        if u.is_empty() {
            format!("{x}")
        } else {
            format!("{x} {u}")
        }
    }

    /// The assumption a changed value carries: its value in the loaded file and
    /// what the file said of it (`what-if: was 73.46 t from table1`). `None` for a
    /// value declared in this session.
    fn what_if_reason(&self, target: &str) -> Option<String> {
        let base = self.baseline.program.as_ref()?;
        let vals = self.baseline.values.as_ref()?;
        let id = base.res.find(target)?;
        let s = &base.res.syms[id as usize];
        let shown = {
            let d = base.units.dunit(base.checked[id as usize].dunit);
            let u = base.units.format_dunit(d);
            let x = vals.get(id).map(|v| number::format(v / base.units.scale_of(d)));
            match (x, u.is_empty()) {
                (None, _) => String::from("?"),
                (Some(x), true) => x,
                (Some(x), false) => format!("{x} {u}"),
            }
        };
        if s.prelude {
            return Some(format!("what-if: was {shown} (the prelude's value)"));
        }
        let w = self.written(id)?;
        let mut r = format!("what-if: was {}", w.old);
        if !same_figure(&w.old, &shown) {
            r.push_str(&format!(" = {shown}"));
        }
        if !w.prov.is_empty() {
            r.push(' ');
            r.push_str(&w.prov);
        }
        Some(r)
    }

    /// Where the loaded file writes the value of its symbol `id` (the baseline's
    /// numbering), with the provenance after it.
    fn written(&self, id: SymId) -> Option<Written> {
        let base = self.baseline.program.as_ref()?;
        let src = base.res.syms.iter().find(|s| !s.prelude).map(|s| s.span.src)?;
        let s = base.res.syms.get(id as usize)?;
        if s.prelude || s.span.src != src {
            return None;
        }
        let span = s.value()?;
        // Stated parts belong to the old figure: they go with it.
        let parts_end = base
            .res
            .statements
            .iter()
            .filter(|st| st.target == id && matches!(st.kind, names::StatementKind::Parts))
            .filter_map(|st| base.res.syms[st.other as usize].value())
            .map(|sp| sp.end as usize)
            .max();
        Some(written_at(
            &self.base_text,
            span.start as usize,
            span.end as usize,
            parts_end,
        ))
    }

    /// Whether any of `from` reads `id` (transitively).
    fn reaches(&self, from: &[SymId], id: SymId) -> bool {
        let Some(p) = &self.current.program else { return false };
        let mut seen = vec![false; p.res.syms.len()];
        let mut stack = from.to_vec();
        while let Some(s) = stack.pop() {
            if s == id {
                return true;
            }
            if std::mem::replace(&mut seen[s as usize], true) {
                continue;
            }
            if let Some(c) = &p.checked[s as usize].code {
                crate::check::code_deps(c, &mut stack);
            }
        }
        false
    }

    /// Re-evaluates `id` and everything that depends on it, in order.
    fn reevaluate_from(&mut self, id: SymId) -> Result<Vec<SymId>, String> {
        let mut affected = vec![id];
        let mut mark = HashMap::new();
        mark.insert(id, ());
        let mut i = 0;
        while i < affected.len() {
            let s = affected[i];
            for &d in &self.dependents[s as usize] {
                if mark.insert(d, ()).is_none() {
                    affected.push(d);
                }
            }
            i += 1;
        }
        affected.sort_by_key(|s| self.position[*s as usize]);
        let p = self.current.program.as_ref().expect("loaded");
        let vals = self.current.values.as_mut().expect("loaded");
        let diags = eval::reevaluate(p, vals, &affected);
        let sinks = p
            .res
            .groups
            .as_ref()
            .and_then(|g| g.groups.iter().find(|(x, _)| *x == crate::domain::Group::Sinks));
        if sinks.is_none_or(|&(_, s)| affected.contains(&s)) {
            self.flagged.set(None);
        }
        if diags.is_empty() {
            Ok(affected)
        } else {
            Err(diag::render_all(&diags, &self.current.sources, self.render))
        }
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

    fn change_gwp(&mut self, name: &str) -> Reply {
        let before = self.net();
        self.edits.push(Edit::Gwp { name: name.to_string() });
        match self.rebuild_from_edits() {
            Ok(()) => Reply::out(format!("gwp = {name}\n{}\n", self.balance_change(before, self.net()))),
            Err(e) => {
                self.edits.pop();
                Reply::err(e)
            }
        }
    }

    fn declare(&mut self, text: &str) -> Reply {
        // Syntax errors are shown in the input as typed (`<repl:N>`), not in
        // the rebuilt file.
        let src = self.add_source(text);
        let errors: Vec<Diag> = syntax::parse(src, text)
            .diags
            .into_iter()
            .filter(|d| d.is_error())
            .collect();
        if !errors.is_empty() {
            return Reply::err(self.errors(&errors));
        }
        let name = declared_name(text);
        // A `let` declared again in the session replaces the earlier one.
        if let Some(n) = &name {
            let exists_in_base = self.baseline_has(n);
            if exists_in_base {
                return Reply::err(format!(
                    "error: `{n}` is already declared in {}\n  help: to change it, write `{n} = …`\n",
                    self.file
                ));
            }
        }
        let before = self.net();
        let replaced = name.as_ref().and_then(|n| {
            self.edits
                .iter()
                .position(|e| matches!(e, Edit::Add { name: Some(m), .. } if m == n))
        });
        let saved = self.edits.clone();
        if let Some(i) = replaced {
            self.edits.remove(i);
        }
        self.edits.push(Edit::Add {
            name: name.clone(),
            text: text.trim().to_string(),
        });
        match self.rebuild_from_edits() {
            Ok(()) => {
                let mut o = String::new();
                if let Some(n) = &name {
                    if let Some(id) = self.find(n) {
                        o.push_str(&format!("{n} = {}\n", self.value_text(id)));
                    } else {
                        o.push_str(&format!("{n} declared\n"));
                    }
                } else {
                    o.push_str("declared\n");
                }
                o.push_str(&self.balance_change(before, self.net()));
                o.push('\n');
                Reply::out(o)
            }
            Err(e) => {
                self.edits = saved;
                Reply::err(e)
            }
        }
    }

    fn baseline_has(&self, name: &str) -> bool {
        self.baseline.program.as_ref().is_some_and(|p| {
            p.res
                .scope
                .get(name)
                .is_some_and(|&id| !p.res.syms[id as usize].prelude)
                || p.res.decl_scope.contains_key(name)
        })
    }

    fn undo(&mut self) -> Reply {
        let Some(last) = self.edits.pop() else {
            return Reply::out("nothing to undo\n");
        };
        let before = self.net();
        let fast = match &last {
            Edit::Set {
                target,
                undo: Some((generation, old, prov)),
                ..
            } if *generation == self.generation => self.find(target).map(|id| (id, old.clone(), prov.clone())),
            _ => None,
        };
        let what = match &last {
            Edit::Set { typed: Some(t), .. } => t.clone(),
            Edit::Set { target, text, .. } => format!("{target} = {text}"),
            Edit::Add { text, .. } => text.lines().next().unwrap_or("").to_string(),
            Edit::Gwp { name } => format!("gwp = {name}"),
        };
        let result = match fast {
            Some((id, old, prov)) => {
                let p = self.current.program.as_mut().expect("loaded");
                p.checked[id as usize] = old;
                p.res.syms[id as usize].prov = prov;
                self.audit_stale = true;
                self.reevaluate_from(id).map(|_| ())
            }
            None => self.rebuild_from_edits(),
        };
        match result {
            Ok(()) => Reply::out(format!("undone: {what}\n{}\n", self.balance_change(before, self.net()))),
            Err(e) => {
                self.edits.push(last);
                Reply::err(e)
            }
        }
    }

    fn rebuild_from_edits(&mut self) -> Result<(), String> {
        let text = self.render_text(false)?;
        self.rebuild(&text)
    }

    /// Re-analyses the whole program from text; on error the session is unchanged.
    fn rebuild(&mut self, text: &str) -> Result<(), String> {
        let mut a = crate::analyze(&self.file, text.as_bytes(), Options::default());
        if !a.evaluated() {
            let errors: Vec<Diag> = a.diags.iter().filter(|d| d.is_error()).cloned().collect();
            return Err(diag::render_all(&errors, &a.sources, self.render));
        }
        a.free_expressions();
        let (dependents, position) = dependents_of(&a);
        self.current = a;
        self.flagged.set(None);
        self.dependents = dependents;
        self.position = position;
        self.generation += 1;
        self.audit_stale = false;
        Ok(())
    }

    fn diff(&mut self) -> String {
        let (Some(cur), Some(base)) = (&self.current.program, &self.baseline.program) else {
            return String::new();
        };
        let (Some(cv), Some(bv)) = (&self.current.values, &self.baseline.values) else {
            return String::new();
        };
        let mut base_ix: HashMap<&str, SymId> = HashMap::new();
        for (i, s) in base.res.syms.iter().enumerate() {
            if !s.prelude && !matches!(s.kind, SymKind::Hidden) {
                base_ix.insert(&*s.name, i as SymId);
            }
        }
        let mut rows: Vec<(String, String, String, String)> = Vec::new();
        for (i, s) in cur.res.syms.iter().enumerate() {
            if matches!(s.kind, SymKind::Hidden) || (s.prelude && s.kind != SymKind::Let) {
                continue;
            }
            // The balance's internal steps (`flows`, `integrated`): no names.
            if s.kind == SymKind::Group && cur.res.find(&s.name) != Some(i as SymId) {
                continue;
            }
            let Some(new) = cv.get(i as SymId) else { continue };
            let du = cur.checked[i].dunit; // an id of the current program (show_id)
            let old = base_ix.get(&*s.name).and_then(|&b| bv.get(b));
            if old.is_some_and(|o| o == new) || (old.is_none() && s.prelude) {
                continue;
            }
            let (old_s, delta) = match old {
                Some(o) => {
                    let rel = if o != 0.0 {
                        format!(" ({:+.2} %)", (new - o) / o.abs() * 100.0)
                    } else {
                        String::new()
                    };
                    (self.show_id(o, du), format!("{}{rel}", self.show_id(new - o, du)))
                }
                None => ("(new)".to_string(), String::new()),
            };
            rows.push((s.name.to_string(), old_s, self.show_id(new, du), delta));
        }
        if rows.is_empty() {
            return format!("no change against the baseline ({})\n", self.balance_line());
        }
        let w = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(4).max(4) + 2;
        let w1 = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(3).max(3) + 2;
        let w2 = rows.iter().map(|r| r.2.chars().count()).max().unwrap_or(3).max(3) + 2;
        let mut o = format!(
            "{}{}{}{}\n",
            pad("value", w),
            pad("baseline", w1),
            pad("now", w2),
            "change"
        );
        for (n, a, b, d) in rows {
            o.push_str(&format!("{}{}{}{}\n", pad(&n, w), pad(&a, w1), pad(&b, w2), d));
        }
        o.push_str(&self.balance_line());
        o.push('\n');
        o
    }
}

impl Reply {
    fn with_file(mut self, path: &str, text: String) -> Reply {
        // The front writes the file; the path and text travel in the reply.
        self.save = Some((path.to_string(), text));
        self
    }
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
