//! The registry built from `dimension` and `unit` declarations (the prelude's
//! and the user's), the redefinition errors, and the prelude's units for syntax
//! errors.

use super::{normalize, BaseDim, Dim, Prefixes, UnitEntry, Units, MAX_BASES};
use crate::diag::Diag;
use crate::suggest;
use crate::syntax::ast::{Decl, File, UnitBase, UnitDef, UnitExpr};
use rustc_hash::FxHashMap as HashMap;

impl Units {
    /// Builds the registry from the `dimension` and `unit` declarations of all
    /// files (prelude first). Declaration order does not matter.
    pub fn build(files: &[&File]) -> (Units, Vec<Diag>) {
        let mut u = Units::default();
        let mut diags = Vec::new();
        let mut aliases: Vec<(&crate::syntax::ast::UnitDecl, &UnitExpr)> = Vec::new();
        // Which file declared each dimension and unit, and where: a later file (the
        // user's, after the prelude) redefines one only with `override "reason"`.
        let mut dim_from: HashMap<String, (usize, crate::source::Span)> = HashMap::default();
        let mut unit_from: HashMap<String, (usize, crate::source::Span)> = HashMap::default();
        let mut replaced: Vec<crate::source::Span> = Vec::new();
        for (fi, f) in files.iter().enumerate() {
            for d in &f.decls {
                if let Decl::Dimension(dd) = d {
                    if let Some(&i) = u.base_ix.get(dd.name.name.as_str()) {
                        let earlier = dim_from.get(dd.name.name.as_str()).filter(|(f0, _)| *f0 < fi);
                        match (earlier, &dd.override_reason) {
                            // Declared again in the same file: the first one holds.
                            (None, _) => {}
                            (Some(&(_, was)), None) => diags.push(redefined("dimension", &dd.name, was, None)),
                            (Some(_), Some((reason, at))) => {
                                if let Some(desc) = &dd.description {
                                    u.bases[i].description = desc.clone();
                                }
                                if let Some(disp) = &dd.display {
                                    u.bases[i].display = Some(normalize(&disp.name));
                                }
                                diags.push(overridden("dimension", &dd.name.name, reason, *at));
                            }
                        }
                        continue;
                    }
                    dim_from.insert(dd.name.name.to_string(), (fi, dd.span));
                    if u.bases.len() >= MAX_BASES {
                        diags.push(
                            Diag::error(
                                "carbon::units::too_many_dimensions",
                                format!("more than {MAX_BASES} base dimensions"),
                            )
                            .at(dd.name.span, "one base dimension too many")
                            .help(format!(
                                "carbon holds {MAX_BASES} base dimensions, the prelude's included: define the quantity as a unit of the declared ones"
                            )),
                        );
                        continue;
                    }
                    u.base_ix.insert(dd.name.name.to_string(), u.bases.len());
                    u.bases.push(BaseDim {
                        name: dd.name.name.to_string(),
                        description: dd.description.clone().unwrap_or_else(|| dd.name.name.to_string()),
                        display: dd.display.as_ref().map(|i| normalize(&i.name)),
                    });
                }
            }
        }
        for (fi, f) in files.iter().enumerate() {
            for d in &f.decls {
                if let Decl::Unit(ud) = d {
                    let prefixes = match ud.prefixes.as_ref().map(|p| p.name.as_str()) {
                        None => Prefixes::None,
                        Some("metric") => Prefixes::Metric,
                        Some("large") => Prefixes::Large,
                        Some(other) => {
                            let p = ud.prefixes.as_ref().map(|p| p.span).unwrap_or(ud.span);
                            diags.push(
                                Diag::error("carbon::units::prefixes", format!("unknown prefix set `{other}`"))
                                    .at(p, "not a prefix set")
                                    .help("use `prefixes metric` (all SI prefixes) or `prefixes large` (k, M, G, T)"),
                            );
                            Prefixes::None
                        }
                    };
                    let name = normalize(&ud.name.name);
                    // A name that already reads as a unit of an earlier file: exactly,
                    // or with a prefix or a power (`kg`, `km2`).
                    let earlier = u.candidates(&name).into_iter().find_map(|(stem, factor, exp)| {
                        let &(f0, was) = unit_from.get(&stem)?;
                        (f0 < fi).then_some((stem, factor != 1.0 || exp != 1, was))
                    });
                    match (earlier, &ud.override_reason) {
                        (None, _) => {}
                        (Some((stem, derived, was)), None) => {
                            diags.push(redefined("unit", &ud.name, was, derived.then_some(stem.as_str())));
                            continue;
                        }
                        (Some((stem, derived, was)), Some((reason, at))) => {
                            if !derived && stem == name {
                                // The prelude's definition is never resolved: the
                                // file's alone gives the unit its scale.
                                replaced.push(was);
                            }
                            diags.push(overridden("unit", &ud.name.name, reason, *at))
                        }
                    }
                    unit_from.entry(name.clone()).or_insert((fi, ud.span));
                    match &ud.def {
                        UnitDef::Base(dim) => match u.base_ix.get(dim.name.as_str()) {
                            Some(&i) => {
                                u.units.insert(
                                    name,
                                    UnitEntry {
                                        scale: 1.0,
                                        dim: Dim::base(i),
                                        prefixes,
                                    },
                                );
                            }
                            None => {
                                let mut d = Diag::error(
                                    "carbon::units::unknown_dimension",
                                    format!("unknown dimension `{}`", dim.name),
                                )
                                .at(dim.span, "not a declared dimension");
                                if let Some(s) = suggest::closest(&dim.name, u.bases.iter().map(|b| b.name.as_str())) {
                                    d = d.help(format!("did you mean `{s}`?"));
                                }
                                diags.push(d);
                            }
                        },
                        UnitDef::Alias(e) => {
                            // Placeholder so that prefixes are known; resolved below.
                            u.units.insert(
                                name,
                                UnitEntry {
                                    scale: f64::NAN,
                                    dim: Dim::ONE,
                                    prefixes,
                                },
                            );
                            aliases.push((ud, e));
                        }
                    }
                }
            }
        }
        // Resolve aliases in dependency order: repeat until no progress (the
        // prelude has a few dozen units; each pass resolves at least one or stops).
        if !replaced.is_empty() {
            aliases.retain(|(ud, _)| !replaced.contains(&ud.span));
        }
        let mut pending = aliases;
        loop {
            let before = pending.len();
            let mut still = Vec::new();
            for (ud, e) in pending {
                if u.depends_on_pending(e) {
                    still.push((ud, e));
                    continue;
                }
                match u.resolve(e) {
                    Ok(r) => {
                        let name = normalize(&ud.name.name);
                        if let Some(entry) = u.units.get_mut(&name) {
                            entry.scale = r.scale;
                            entry.dim = r.dim;
                        }
                        u.lookup_cache.clear();
                        u.dunit_cache.clear();
                    }
                    Err(d) => {
                        diags.push(d);
                        u.units.remove(&normalize(&ud.name.name));
                    }
                }
            }
            pending = still;
            if pending.is_empty() || pending.len() == before {
                break;
            }
        }
        for (ud, _) in pending {
            diags.push(
                Diag::error(
                    "carbon::units::cycle",
                    format!("the unit `{}` is defined in terms of itself", ud.name.name),
                )
                .at(ud.name.span, "this definition is circular")
                .help("define one of the units from a dimension (`unit name : mass`) or from units that do not lead back to it"),
            );
            u.units.remove(&normalize(&ud.name.name));
        }
        u.lookup_cache.clear();
        u.dunit_cache.clear();
        (u, diags)
    }

    fn depends_on_pending(&self, e: &UnitExpr) -> bool {
        e.factors.iter().any(|f| match &f.base {
            UnitBase::Atom(a) => {
                let n = normalize(a);
                self.candidates(&n)
                    .iter()
                    .any(|(stem, _, _)| self.units.get(stem.as_str()).is_some_and(|x| x.scale.is_nan()))
            }
            UnitBase::Group(g) => self.depends_on_pending(g),
        })
    }
}

/// A prelude unit or dimension declared again without `override`: an error that
/// shows the prelude's definition. `stem`: the prelude unit a prefixed or powered
/// name reads as (`kg` reads as `g`).
fn redefined(what: &str, name: &crate::syntax::ast::Ident, was: crate::source::Span, stem: Option<&str>) -> Diag {
    let text = crate::PRELUDE
        .get(was.start as usize..was.end as usize)
        .and_then(|t| prelude_text(t).filter(|t| t.starts_with(what)))
        .map(|t| format!("the prelude declares `{t}`"))
        .unwrap_or_else(|| format!("the {what} is declared earlier"));
    let n = &name.name;
    let reads = stem
        .map(|s| format!(" (`{n}` reads as the prelude's `{s}`)"))
        .unwrap_or_default();
    let example = if what == "unit" {
        format!("`unit {n} = … override \"reason\"`")
    } else {
        format!("`dimension {n} \"…\" override \"reason\"`")
    };
    Diag::error(
        "carbon::units::redefined",
        format!("`{n}` is a {what} of the prelude{reads}: redefining it changes every figure written with it"),
    )
    .at(name.span, "redefined here")
    .help(format!(
        "{text}; use it as it is or choose another name, or, to redefine it, say so with the reason: {example}"
    ))
}

/// An explicit `override "reason"` of a prelude unit or dimension: shown in the
/// output (an advice, which does not fail the check).
fn overridden(what: &str, name: &str, reason: &str, at: crate::source::Span) -> Diag {
    Diag {
        severity: crate::diag::Severity::Advice,
        ..Diag::error(
            "carbon::units::prelude_override",
            format!("the prelude's {what} `{name}` is redefined by this file"),
        )
        .at(at, "overridden")
        .help(format!(
            "every figure written with `{name}` follows this definition; the reason given: {reason}"
        ))
    }
}

/// Whether the prelude's units read `word` as a unit (`m`, `kWh`, `tCO2e`): for
/// syntax errors, which are found before a program's own units are known.
pub fn prelude_knows(word: &str) -> bool {
    static PRELUDE_UNITS: std::sync::OnceLock<Units> = std::sync::OnceLock::new();
    PRELUDE_UNITS
        .get_or_init(|| {
            let p = crate::syntax::parse(crate::source::SourceId(0), crate::PRELUDE);
            Units::build(&[&p.file]).0
        })
        .peek(word)
        .is_some()
}

/// A prelude declaration as one line: its first line, without a trailing comment,
/// `;` or runs of spaces (`unit a = 365.25 d from metrology`).
pub fn prelude_text(decl: &str) -> Option<String> {
    let line = decl.lines().next()?;
    let line = line.split("//").next()?.trim().trim_end_matches(';');
    let t = line.split_whitespace().collect::<Vec<_>>().join(" ");
    (!t.is_empty()).then_some(t)
}
