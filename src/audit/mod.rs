//! Stage 5b (audit): after evaluation, checks expectations against published
//! figures and emits the data-quality warnings an auditor needs: stated totals
//! whose parts do not add up, disagreeing statements, stocks counted as removals,
//! inputs without provenance, unused values, zero terms and implausible values.

mod plausible;

use crate::check::code_deps;
use crate::check::{Op, Program};
use crate::diag::{Diag, Severity};
use crate::domain::Kind;
use crate::eval::Values;
use crate::ir::SymId;
use crate::names::{StatementKind, SymKind};
use crate::number;
use crate::source::SourceMap;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Clone, Debug, Serialize)]
pub struct Contributor {
    pub name: String,
    pub value: f64,
    pub unit: String,
    /// Share of the computed side, when it is a sum (a factor of a product has none).
    pub share: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ExpectResult {
    pub name: String,
    pub location: String,
    /// `pass`, `fail` or `known`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub published: f64,
    pub computed: f64,
    pub unit: String,
    /// computed − published, full precision, in `unit`.
    pub difference: f64,
    /// difference / published.
    pub relative: Option<f64>,
    pub tolerance: String,
    pub sources: Vec<String>,
    pub contributors: Vec<Contributor>,
}

/// A warning silenced on its declaration, with the stated reason.
#[derive(Clone, Debug, Serialize)]
pub struct Allowed {
    pub code: String,
    pub target: String,
    pub reason: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Audit {
    pub expectations: Vec<ExpectResult>,
    pub allowed: Vec<Allowed>,
    #[serde(skip)]
    pub diags: Vec<Diag>,
}

struct Auditor<'a> {
    p: &'a Program,
    vals: &'a Values,
    years: Option<&'a crate::years::Years>,
    sources: &'a SourceMap,
    out: Audit,
}

/// Runs every audit check. With `strict`, missing provenance and the data-quality
/// warnings are errors.
pub fn audit(p: &Program, vals: &Values, sources: &SourceMap, strict: bool) -> Audit {
    audit_with(p, vals, sources, strict, None, None)
}

/// The impossible-value errors (`carbon::check::out_of_range`) of the given
/// symbols only: what a REPL change must pass, for what it changed, before it is
/// applied (the whole audit would take time in proportion to the inventory).
pub fn impossible_values_of(p: &Program, vals: &Values, sources: &SourceMap, ids: &[SymId]) -> Vec<Diag> {
    let mut a = Auditor {
        p,
        vals,
        years: None,
        sources,
        out: Audit::default(),
    };
    for &id in ids {
        a.impossible_value(id, &mut None);
    }
    // An expectation's tolerance that became negative (a `let` it reads changed).
    if !p.res.expects.is_empty() && !ids.is_empty() {
        let changed: std::collections::HashSet<SymId> = ids.iter().copied().collect();
        for e in p.res.expects.iter().filter(|e| changed.contains(&e.tolerance)) {
            if vals.get(e.tolerance).is_some_and(|t| t < 0.0) {
                a.out
                    .diags
                    .push(negative_tolerance(p.res.syms[e.tolerance as usize].span));
            }
        }
    }
    a.out.diags.retain(|d| d.is_error());
    a.out.diags
}

/// `carbon::check::out_of_range` for a tolerance below zero.
fn negative_tolerance(span: crate::source::Span) -> Diag {
    Diag::error("carbon::check::out_of_range", "a tolerance cannot be negative")
        .at(span, "negative tolerance")
        .help("write the tolerance as a positive amount: it applies on both sides")
}

/// The values an input may take (in base units, both ends included unless the
/// third is true: the low end excluded), and why, when some are impossible: what
/// the REPL's `:seek` searches.
pub fn valid_range(p: &Program, id: SymId) -> Option<(f64, f64, bool, &'static str)> {
    let s = p.res.syms.get(id as usize)?;
    let SymKind::Field { decl } = s.kind else { return None };
    let kind = p.res.decls.get(decl as usize)?.kind;
    if let Some(b) = declared_bound(&p.res, kind, s) {
        return b.negative.is_none().then_some((b.lo, b.hi, b.open, b.why));
    }
    valid_range_of(s.short())
}

/// The bounds of a field of a declared kind (`min`, `max`, `negative warn`).
fn declared_bound<'r>(
    res: &'r crate::names::Resolved,
    kind: Kind,
    s: &crate::names::Symbol,
) -> Option<&'r crate::names::FieldBound> {
    match kind {
        Kind::User(w) => bound_in(res.bounds_of(w), s),
        _ => None,
    }
}

/// The bounds among a kind's `bounds` that limit the field `s` (an `is gwp`
/// field may have none).
fn bound_in<'r>(
    bounds: &'r [crate::names::FieldBound],
    s: &crate::names::Symbol,
) -> Option<&'r crate::names::FieldBound> {
    bounds.iter().find(|b| b.is_of(s) && b.limits())
}

/// The one rule behind `out_of_range` and [`valid_range`] for a field without
/// declared bounds (a kind's bounds are its declaration's, `min`, `max`): a
/// period or an interval is positive.
fn valid_range_of(field: &str) -> Option<(f64, f64, bool, &'static str)> {
    match field {
        "period" | "interval" => Some((0.0, f64::INFINITY, true, "a duration must be positive")),
        _ => None,
    }
}

/// Which symbols some compiled code reads (`used[id]`): what the `unused` check
/// needs. It reads only the program, so a caller may compute it while the values
/// are evaluated and give it to [`audit_with`].
pub fn referenced(p: &Program) -> Vec<bool> {
    let mut used = vec![false; p.res.syms.len()];
    let mut deps = Vec::new(); // one symbol's at a time, reused
    for c in p.checked.iter().filter_map(|c| c.code.as_ref()) {
        deps.clear();
        code_deps(c, &mut deps);
        for &d in &deps {
            if let Some(u) = used.get_mut(d as usize) {
                *u = true;
            }
        }
    }
    used
}

/// Programs with at least this many symbols are audited on two threads.
const PARALLEL_PARTS: usize = 50_000;

/// [`audit`], with [`referenced`] computed already (or not: `None`).
///
/// The checks run in two groups, each filling its own report: a large program's
/// second group on another thread. The second report is then appended to the
/// first (an allowance recorded once), as if one thread had run them in order.
/// `years`: of an inventory over years, every year's results (`vals` are
/// the values of one of them).
pub fn audit_with(
    p: &Program,
    vals: &Values,
    sources: &SourceMap,
    strict: bool,
    used: Option<Vec<bool>>,
    years: Option<&crate::years::Years>,
) -> Audit {
    let threads = if p.res.syms.len() >= PARALLEL_PARTS { 2 } else { 1 };
    audit_on(p, vals, sources, strict, used, years, threads)
}

/// [`audit_with`] on one thread or two (`#[doc(hidden)]` for the tests that
/// compare them).
#[doc(hidden)]
pub fn audit_on(
    p: &Program,
    vals: &Values,
    sources: &SourceMap,
    strict: bool,
    used: Option<Vec<bool>>,
    years: Option<&crate::years::Years>,
    threads: usize,
) -> Audit {
    let auditor = || Auditor {
        p,
        vals,
        years,
        sources,
        out: Audit::default(),
    };
    let first = || {
        let mut a = auditor();
        a.impossible_values();
        a.expectations();
        a.statements();
        a.stocks_as_removals();
        a.out
    };
    let second = |used: Option<Vec<bool>>| {
        let mut a = auditor();
        a.provenance_and_use(used.unwrap_or_else(|| referenced(p)));
        a.shadows();
        a.kind_shadows();
        a.zero_terms();
        a.ranges();
        a.gwp_values();
        a.out
    };
    let (mut out, rest) = if threads > 1 {
        crate::par::join(first, move || second(used))
    } else {
        (first(), second(used))
    };
    out.expectations.extend(rest.expectations);
    for a in rest.allowed {
        if !out.allowed.iter().any(|b| b.code == a.code && b.target == a.target) {
            out.allowed.push(a);
        }
    }
    out.diags.extend(rest.diags);
    let mut a = Auditor {
        p,
        vals,
        years,
        sources,
        out,
    };
    a.unused_allows();
    if strict {
        for d in &mut a.out.diags {
            if d.severity == Severity::Warning {
                d.severity = Severity::Error;
            }
        }
    }
    a.out
}

impl<'a> Auditor<'a> {
    fn show(&self, id: SymId) -> (f64, String) {
        let c = &self.p.checked[id as usize];
        let v = self.vals.get(id).unwrap_or(f64::NAN);
        (
            v / self.p.units.scale_of(self.p.units.dunit(c.dunit)),
            self.p.units.format_dunit(self.p.units.dunit(c.dunit)),
        )
    }

    fn q(v: f64, u: &str) -> String {
        if u.is_empty() {
            number::format(v)
        } else {
            format!("{} {u}", number::format(v))
        }
    }

    fn location(&self, span: crate::source::Span) -> String {
        let line = self.sources.line(span.src, span.start);
        format!("{}:{line}", self.sources.name(span.src))
    }

    /// Whether `code` is allowed on `id`; records the allowance once.
    fn allowed(&mut self, id: SymId, code: &str) -> bool {
        let reason = self
            .p
            .res
            .allows
            .get(&id)
            .and_then(|v| v.iter().find(|(c, _)| c == code))
            .map(|(_, r)| r.clone());
        match reason {
            Some(reason) => {
                let target = self.p.res.syms[id as usize].name.to_string();
                if !self.out.allowed.iter().any(|a| a.code == code && a.target == target) {
                    self.out.allowed.push(Allowed {
                        code: code.to_string(),
                        target,
                        reason,
                    });
                }
                true
            }
            None => false,
        }
    }

    /// Each `allow` that silenced no warning on its declaration (once every
    /// other warning is known): it has no effect where it is written.
    fn unused_allows(&mut self) {
        let res = &self.p.res;
        if res.allow_sites.is_empty() {
            return;
        }
        let used: std::collections::HashSet<(&str, &str)> = self
            .out
            .allowed
            .iter()
            .map(|a| (a.code.as_str(), a.target.as_str()))
            .collect();
        let mut sites: Vec<&crate::names::AllowSite> = res
            .allow_sites
            .iter()
            .filter(|s| {
                !s.prelude
                    && !s
                        .targets
                        .iter()
                        .any(|&t| used.contains(&(s.code.as_str(), &*res.syms[t as usize].name)))
                    // A declaration without a value (after an error) is not audited.
                    && s.targets.first().is_none_or(|&t| self.vals.get(t).is_some())
            })
            .collect();
        sites.sort_by_key(|s| (s.span.src, s.span.start));
        for s in sites {
            let code = &s.code;
            self.out.diags.push(
                Diag::warning("carbon::audit::unused_allow", format!("`allow {code}` silences nothing here"))
                    .at(s.span, format!("no `{code}` warning on this declaration"))
                    .help(format!(
                        "an `allow` silences its code on the declaration it is written in; remove it, or move it into the declaration that has the `{code}` warning"
                    )),
            );
        }
    }

    /// A symbol's name, if one can write it (`coal.amount`, `net`); else what it
    /// is (the balance's internal steps, `flows` and `integrated`, have no name in
    /// the language).
    fn nameable(&self, id: SymId) -> String {
        let s = &self.p.res.syms[id as usize];
        if self.p.res.find(&s.name) == Some(id) {
            return s.name.to_string();
        }
        match self.p.res.meaning(s) {
            "" => s.name.to_string(),
            m => m.to_string(),
        }
    }

    /// The largest contributors to a computed value, descending through single
    /// references (an expectation on `sinks` lists the sink terms).
    fn contributors(&self, id: SymId) -> Vec<Contributor> {
        let total = self.vals.get(id).unwrap_or(0.0);
        let mut node = id;
        for _ in 0..8 {
            let mut deps = Vec::new();
            if let Some(c) = &self.p.checked[node as usize].code {
                code_deps(c, &mut deps);
            }
            let single_ref = matches!(
                self.p.checked[node as usize].code.as_ref().map(|c| &c.op),
                Some(Op::Sym(_))
            );
            if single_ref && deps.len() == 1 {
                node = deps[0];
                continue;
            }
            let op = self.p.checked[node as usize].code.as_ref().map(|c| &c.op);
            let chain_sum = matches!(op, Some(Op::Chain(ch)) if ch.rest.first().is_some_and(|(o, _)| o.level() == 1));
            let additive = chain_sum
                || matches!(
                    op,
                    Some(Op::Sum(_))
                        | Some(Op::Bin(
                            crate::syntax::ast::BinOp::Add | crate::syntax::ast::BinOp::Sub,
                            _
                        ))
                        | Some(Op::Pair(
                            crate::syntax::ast::BinOp::Add | crate::syntax::ast::BinOp::Sub,
                            _,
                            _
                        ))
                );
            let mut list: Vec<Contributor> = deps
                .into_iter()
                .filter_map(|d| {
                    let v = self.vals.get(d)?;
                    let (shown, unit) = self.show(d);
                    Some(Contributor {
                        name: self.nameable(d),
                        value: shown,
                        unit,
                        share: (additive && total != 0.0).then(|| v / total),
                    })
                })
                .collect();
            list.sort_by(|a, b| {
                let key = |c: &Contributor| c.share.unwrap_or(0.0).abs();
                key(b).total_cmp(&key(a)).then(a.name.cmp(&b.name))
            });
            list.truncate(5);
            return list;
        }
        Vec::new()
    }

    /// Values no inventory can have: a value outside its kind's bounds (`min`,
    /// `max`), a period or interval that is not positive. These are errors.
    fn impossible_values(&mut self) {
        // The symbols of a declaration are together: its kind's bounds are
        // looked up once for them.
        let mut at: Option<(u32, &[crate::names::FieldBound])> = None;
        for i in 0..self.p.res.syms.len() {
            self.impossible_value(i as SymId, &mut at);
        }
    }

    /// [`Self::impossible_values`] for one symbol.
    fn impossible_value(&mut self, i: SymId, at: &mut Option<(u32, &'a [crate::names::FieldBound])>) {
        let p: &'a Program = self.p;
        let res = &p.res;
        let s = &res.syms[i as usize];
        let SymKind::Field { decl } = s.kind else { return };
        let Some(v) = self.vals.get(i) else { return };
        let bounds = match *at {
            Some((d, b)) if d == decl => b,
            _ => {
                let b = match res.decls[decl as usize].kind {
                    Kind::User(w) => res.bounds_of(w),
                    _ => &[],
                };
                *at = Some((decl, b));
                b
            }
        };
        let declared = bound_in(bounds, s);
        let correction = declared.and_then(|b| b.negative);
        if let (true, Some(help)) = (v < 0.0, correction) {
            let term = res.decls[decl as usize].term;
            if !self.allowed(i, "negative") && !term.is_some_and(|t| self.allowed(t, "negative")) {
                let (shown, unit) = self.show(i);
                self.out.diags.push(
                    Diag::warning(
                        "carbon::audit::negative",
                        format!("`{}` = {} is negative", s.name, Self::q(shown, &unit)),
                    )
                    .at(s.span, "negative: a correction, or a sign error?")
                    .help(help),
                );
            }
            return;
        }
        let range = match declared {
            Some(b) => Some((b.lo, b.hi, b.open, b.why)),
            None => valid_range_of(s.short()),
        };
        let problem = match range {
            Some((lo, hi, open, why)) if v < lo || v > hi || (open && v == lo) => Some(why),
            _ => None,
        };
        if let Some(why) = problem {
            let (shown, unit) = self.show(i);
            self.out.diags.push(
                Diag::error(
                    "carbon::check::out_of_range",
                    format!("`{}` = {} is impossible", s.name, Self::q(shown, &unit)),
                )
                .at(s.span, why)
                .help("check the sign and the unit of the figure"),
            );
        }
    }

    fn expectations(&mut self) {
        let res = &self.p.res;
        for e in &res.expects {
            let (Some(a), Some(p), Some(t)) = (
                self.vals.get(e.actual),
                self.vals.get(e.published),
                self.vals.get(e.tolerance),
            ) else {
                continue;
            };
            if t < 0.0 {
                let span = res.syms[e.tolerance as usize].span;
                self.out.diags.push(negative_tolerance(span));
                continue;
            }
            let tol_dim = self.p.dim(e.tolerance);
            let relative_tol = tol_dim.is_some_and(|d| d.is_one());
            let diff = a - p;
            let limit = if relative_tol { t.abs() * p.abs() } else { t.abs() };
            let pass = diff.abs() <= limit * (1.0 + 1e-12);
            let (computed, unit) = self.show(e.actual);
            let scale = self
                .p
                .units
                .scale_of(self.p.units.dunit(self.p.checked[e.actual as usize].dunit));
            let published = p / scale;
            let difference = diff / scale;
            let relative = (p != 0.0).then(|| diff / p);
            let tolerance = if relative_tol {
                format!("{} %", number::format(t * 100.0))
            } else {
                Self::q(t / scale, &unit)
            };
            let status = match (pass, &e.known) {
                (true, _) => "pass",
                (false, Some(_)) => "known",
                (false, None) => "fail",
            };
            let sources = e.prov.sources.iter().map(|&i| res.sources[i].name.clone()).collect();
            let contributors = if pass { Vec::new() } else { self.contributors(e.actual) };
            let rel_text = relative.map(|r| format!(" ({:+.4} %)", r * 100.0)).unwrap_or_default();
            let contrib_text = contributors
                .iter()
                .map(|c| match c.share {
                    Some(s) => format!("{} {} ({:.1} %)", c.name, Self::q(c.value, &c.unit), s * 100.0),
                    None => format!("{} {}", c.name, Self::q(c.value, &c.unit)),
                })
                .collect::<Vec<_>>()
                .join(", ");
            let detail = format!(
                "published {}, computed {}, difference {:+} {unit}{rel_text}, tolerance {tolerance}",
                Self::q(published, &unit),
                Self::q(computed, &unit),
                difference
            );
            let mismatch = format!(
                "computed {} ≠ published {}",
                Self::q(computed, &unit),
                Self::q(published, &unit)
            );
            match status {
                "fail" => {
                    let mut help = format!("{detail}.");
                    if !contrib_text.is_empty() {
                        help.push_str(&format!(" Largest contributors to the computed side: {contrib_text}."));
                    }
                    help.push_str(" If the gap is understood, declare it with `known \"reason\"`.");
                    self.out.diags.push(
                        Diag::error(
                            "carbon::audit::expect_failed",
                            format!("expectation `{}` fails: the published figure is not reproduced", e.name),
                        )
                        .at(e.span, mismatch.clone())
                        .help(help),
                    );
                }
                "known" => {
                    self.out.diags.push(Diag {
                        severity: Severity::Advice,
                        ..Diag::error(
                            "carbon::audit::known_discrepancy",
                            format!("expectation `{}` is a known discrepancy", e.name),
                        )
                        .at(e.span, mismatch.clone())
                        .help(format!(
                            "{detail}. Reason given: {}",
                            e.known.clone().unwrap_or_default()
                        ))
                    });
                }
                _ => {}
            }
            self.out.expectations.push(ExpectResult {
                name: e.name.clone(),
                location: self.location(e.span),
                status: status.into(),
                reason: if status == "known" { e.known.clone() } else { None },
                published,
                computed,
                unit,
                difference,
                relative,
                tolerance,
                sources,
                contributors,
            });
        }
    }

    fn statements(&mut self) {
        let res = &self.p.res;
        for s in &res.statements {
            let (Some(a), Some(b)) = (self.vals.get(s.target), self.vals.get(s.other)) else {
                continue;
            };
            let (pa, pb) = (
                self.p.checked[s.target as usize].precision(),
                self.p.checked[s.other as usize].precision(),
            );
            let tol = match (pa, pb) {
                (Some(x), Some(y)) => x + y,
                _ => 1e-9 * a.abs().max(b.abs()),
            };
            let diff = b - a;
            if diff.abs() <= tol * (1.0 + 1e-9) {
                continue;
            }
            let code = match s.kind {
                StatementKind::Parts => "components",
                StatementKind::Also => "disagree",
            };
            if self.allowed(s.target, code) {
                continue;
            }
            let target = &res.syms[s.target as usize];
            let c = &self.p.checked[s.target as usize];
            let scale = self.p.units.scale_of(self.p.units.dunit(c.dunit));
            let unit = self.p.units.format_dunit(self.p.units.dunit(c.dunit));
            let rel = if a != 0.0 {
                format!(" ({:+.2} %)", diff / a * 100.0)
            } else {
                String::new()
            };
            let (msg, label) = match s.kind {
                StatementKind::Parts => (
                    format!(
                        "the stated total of `{}` is not the sum of its stated parts",
                        target.name
                    ),
                    format!("the parts sum to {}", Self::q(b / scale, &unit)),
                ),
                StatementKind::Also => (
                    format!("two stated values of `{}` disagree", target.name),
                    format!("this states {}", Self::q(b / scale, &unit)),
                ),
            };
            self.out.diags.push(
                Diag::warning(
                    if code == "components" { "carbon::audit::components" } else { "carbon::audit::disagree" },
                    msg,
                )
                .at(s.span, label)
                .also(target.span, format!("stated as {}", Self::q(a / scale, &unit)))
                .help(format!(
                    "difference {} {unit}{rel}, beyond the rounding of the stated figures ({} {unit}); the value used is {}. Correct the figure, or keep it with `allow {code} \"reason\"`",
                    number::format_full(diff / scale),
                    number::format(tol / scale),
                    Self::q(a / scale, &unit)
                )),
            );
        }
    }

    fn stocks_as_removals(&mut self) {
        let res = &self.p.res;
        let mut terms = Vec::new();
        for d in &res.decls {
            if d.method != Some("stock_as_removal") || d.prelude {
                continue;
            }
            let Some(t) = d.term else { continue };
            if self.vals.get(t).is_none() || self.allowed(t, "stock_as_removal") {
                continue;
            }
            terms.push((t, d.name_span));
        }
        if terms.is_empty() {
            return;
        }
        let sinks = res
            .groups
            .as_ref()
            .and_then(|g| g.groups.iter().find(|(x, _)| *x == crate::domain::Group::Sinks))
            .map(|(_, i)| *i);
        let total: f64 = number::sum(terms.iter().filter_map(|(t, _)| self.vals.get(*t)));
        let all = sinks.and_then(|s| self.vals.get(s)).unwrap_or(0.0);
        let (_, unit) = self.show(terms[0].0);
        let scale = self
            .p
            .units
            .scale_of(self.p.units.dunit(self.p.checked[terms[0].0 as usize].dunit));
        // A long list would bury the message: past LIST_ALL terms, name the LIST_TOP
        // largest and count the rest (`run` lists every one under "Modelling choices").
        const LIST_ALL: usize = 12;
        const LIST_TOP: usize = 10;
        let mut shown: Vec<SymId> = terms.iter().map(|(t, _)| *t).collect();
        if shown.len() > LIST_ALL {
            // The largest, ties in the order of the terms: the first LIST_TOP of a
            // stable sort, selected rather than sorting every term (a large
            // inventory has hundreds of thousands).
            let v = |t: SymId| self.vals.get(t).unwrap_or(0.0).abs();
            let mut keyed: Vec<(usize, SymId)> = shown.iter().copied().enumerate().collect();
            let larger = |a: &(usize, SymId), b: &(usize, SymId)| v(b.1).total_cmp(&v(a.1)).then(a.0.cmp(&b.0));
            keyed.select_nth_unstable_by(LIST_TOP - 1, larger);
            keyed.truncate(LIST_TOP);
            keyed.sort_by(larger);
            shown = keyed.into_iter().map(|(_, t)| t).collect();
        }
        let mut list = shown
            .iter()
            .map(|t| {
                format!(
                    "{} {}",
                    res.syms[*t as usize].name,
                    number::format(self.vals.get(*t).unwrap_or(0.0) / scale)
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let which = if shown.len() < terms.len() {
            list.push_str(&format!(" ({unit}), and {} more", terms.len() - shown.len()));
            format!("the {} largest of the terms affected are", shown.len())
        } else {
            list.push_str(&format!(" ({unit})"));
            "the terms affected are".to_string()
        };
        let share = if all != 0.0 {
            format!(", {:.1} % of removals", total / all * 100.0)
        } else {
            String::new()
        };
        let d = Diag::warning(
            "carbon::audit::stock_as_removal",
            format!(
                "{} removal{} ({} {unit}{share}) count{} a carbon stock as this period's removal",
                terms.len(),
                if terms.len() == 1 { "" } else { "s" },
                number::format(total / scale),
                if terms.len() == 1 { "s" } else { "" }
            ),
        )
        .at(terms[0].1, "a stock (carbon per area × area), reported as a flow");
        self.out.diags.push(d.help(format!(
            "a stock is not an annual removal; {which}: {list}. Use `method gain` (increment) or `method stock_difference` (previous, interval) when the data exist, or keep the choice with `allow stock_as_removal \"reason\"`"
        )));
    }

    /// `used`: who reads each symbol ([`referenced`]).
    fn provenance_and_use(&mut self, used: Vec<bool>) {
        let res = &self.p.res;
        for (i, s) in res.syms.iter().enumerate() {
            if s.prelude {
                continue;
            }
            let id = i as SymId;
            // The years of the inventory frame the report; they are no figure.
            let frame = res.header.as_ref().is_some_and(|h| h.years.contains(&Some(id)));
            let input = matches!(s.kind, SymKind::Let | SymKind::Field { .. }) && !frame;
            // A notation key's reason is its provenance.
            if input && s.prov.sources.is_empty() && s.prov.assumed().is_none() && self.p.notation(id).is_none() {
                // A value that is a literal, or a formula with a literal quantity in it
                // (`100 t / 5 a`, `2 * 3 t`, `x * 3 tCO2/t`): that quantity is an input.
                // A pure number (`2`, `44/12`) in a formula is not.
                let literal = match self.p.checked[i].code.as_ref() {
                    Some(c) if matches!(c.op, Op::Const(..)) => Some(None),
                    Some(c) => quantity_literal(c).map(Some),
                    None => None,
                };
                if let Some(inner) = literal.filter(|_| !self.allowed(id, "no_provenance")) {
                    let (v, u) = self.show(id);
                    let d = Diag::warning(
                        "carbon::audit::no_provenance",
                        format!("`{}` = {} has no source", s.name, Self::q(v, &u)),
                    );
                    let d = match inner {
                        None => d.at(s.span, "neither `from` nor `assumed`"),
                        Some(at) => d.at(at, "a quantity written here, with neither `from` nor `assumed`"),
                    };
                    self.out.diags.push(
                        d.help("cite where the figure comes from (`from source_name` or `from \"Table 2\"`), or mark it `assumed \"reason\"`"),
                    );
                }
            }
            if s.kind == SymKind::Let && !used.get(i).copied().unwrap_or(false) && !self.allowed(id, "unused") {
                self.out.diags.push(
                    Diag::warning(
                        "carbon::audit::unused",
                        format!("`{}` is declared but nothing uses it", s.name),
                    )
                    .at(s.name_span, "unused")
                    .help("use it, state it in an `expect`, or remove it (or keep it with `allow unused \"reason\"`)"),
                );
            }
        }
    }

    /// A `let` (or a declaration) of the file with the name of a prelude value: the
    /// file's value is used everywhere, the prelude's nowhere.
    fn shadows(&mut self) {
        for &(id, prev) in &self.p.res.shadows {
            if self.allowed(id, "shadows_prelude") {
                continue;
            }
            let s = &self.p.res.syms[id as usize];
            let was = &self.p.res.syms[prev as usize];
            let text = crate::units::prelude_text(self.sources.snippet(was.span))
                .map(|t| format!("the prelude declares `{t}`"))
                .unwrap_or_else(|| format!("the prelude declares `{}`", s.name));
            self.out.diags.push(
                Diag::warning(
                    "carbon::audit::shadows_prelude",
                    format!("`{}` replaces the prelude's value of the same name", s.name),
                )
                .at(s.name_span, "shadows a prelude value")
                .help(format!(
                    "{text}; every use of `{}` now takes this file's value. Rename it, or keep it with `allow shadows_prelude \"reason\"`",
                    s.name
                )),
            );
        }
    }

    /// A kind of the file with the name of a prelude kind: its uses follow the
    /// file's fields and formulas, not the prelude's (the paper's, for the nine).
    fn kind_shadows(&mut self) {
        for &(name, at) in &self.p.res.kind_shadows {
            self.out.diags.push(
                Diag::warning(
                    "carbon::audit::shadows_prelude",
                    format!("the kind `{name}` replaces the prelude's kind of the same name"),
                )
                .at(at, "shadows a prelude kind")
                .help(format!(
                    "every `{name}` of this file now follows this kind's fields and formulas, not the prelude's (`carbon prelude` shows it); give the kind another name to keep both"
                )),
            );
        }
    }

    fn zero_terms(&mut self) {
        let res = &self.p.res;
        // A term written with a notation key is zero on purpose, and listed as such.
        for d in res.decls.iter().filter(|d| !d.prelude) {
            let Some(t) = d.term else { continue };
            // Over years: zero in every year (a cohort not planted yet is not).
            let elsewhere = self.years.is_some_and(|y| y.nonzero.contains(&t));
            if self.vals.get(t) == Some(0.0)
                && !elsewhere
                && self.p.notation(t).is_none()
                && !self.allowed(t, "zero_term")
            {
                self.out.diags.push(
                    Diag::warning("carbon::audit::zero_term", format!("the term `{}` is zero", d.name))
                        .at(d.name_span, "contributes nothing to the balance")
                        .help("a zero term is often a missing figure: state the figure, or keep it with `allow zero_term \"reason\"`"),
                );
            }
        }
    }
}

/// The span of the first literal written with a unit (`3 t`, `30 %`) in a formula,
/// if any: a quantity that is an input of the formula. Pure numbers are not.
fn quantity_literal(c: &crate::check::Code) -> Option<crate::source::Span> {
    match &c.op {
        Op::Const(_, u) => (*u != crate::units::UnitId::default()).then_some(c.span),
        Op::Neg(x) => quantity_literal(x),
        Op::Bin(_, ab) => quantity_literal(&ab[0]).or_else(|| quantity_literal(&ab[1])),
        Op::Chain(c) => c.operands().find_map(quantity_literal),
        Op::Call(f) => f.args.iter().find_map(quantity_literal),
        Op::Sym(_) | Op::Pair(..) | Op::Sum(_) => None,
    }
}
