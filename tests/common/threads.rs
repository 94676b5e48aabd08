//! Shared by `tests/threads.rs` and the `threads` fuzz target (included with
//! `#[path]`): a program checked and audited on one thread or two, shown as later
//! stages read it.

use carbon::audit;
use carbon::check::{self, Program};
use carbon::diag::Diag;
use carbon::names::{self, Resolved};
use carbon::source::SourceMap;
use carbon::syntax;
use carbon::units::Units;

/// `text` (with the prelude) parsed, its units built and its names resolved,
/// with the names' diagnostics; the syntax errors if it has any.
pub fn named(text: &str) -> Result<(Resolved, Units, Vec<Diag>), Vec<Diag>> {
    let mut sm = SourceMap::new();
    let pid = sm.add("<prelude>", carbon::PRELUDE);
    let fid = sm.add("f.carbon", text);
    let prelude = syntax::parse(pid, carbon::PRELUDE);
    let file = syntax::parse(fid, text);
    if !file.diags.is_empty() {
        return Err(file.diags);
    }
    let (mut units, _) = Units::build(&[&prelude.file, &file.file]);
    let (r, diags) = names::resolve(vec![prelude.file, file.file], Some(pid), &mut units);
    Ok((r, units, diags))
}

/// Checks `text` (with the prelude) on `threads` threads; `None` after a syntax
/// error (no program to check).
pub fn checked(text: &str, threads: usize, quiet: usize) -> Option<(Program, Vec<Diag>)> {
    let (r, units, mut diags) = named(text).ok()?;
    // The names' diagnostics first: a program with errors there is not audited.
    let (p, d) = check::check_with(r, units, threads, quiet);
    diags.extend(d);
    Some((p, diags))
}

/// What later stages read of a checked program: every symbol's code, ids,
/// dimension and unit, and the diagnostics in order.
pub fn shown((p, diags): &(Program, Vec<Diag>)) -> String {
    let mut out = String::new();
    for (id, c) in p.checked.iter().enumerate() {
        let dim = p.dim(id as u32).map(|d| p.units.format_dim(&d));
        let unit = p.units.format_dunit(p.units.dunit(c.dunit));
        out.push_str(&format!("{id} {c:?} {dim:?} {unit}\n"));
    }
    out.push_str(&format!("registry entries {}\n", p.units.entries()));
    for d in diags {
        out.push_str(&format!("{d:?}\n"));
    }
    out
}

/// The audit of a checked program without errors on `threads` threads, shown;
/// `None` when the program has errors (no audit).
pub fn audited(text: &str, threads: usize, strict: bool) -> Option<String> {
    let (p, diags) = checked(text, 1, 0)?;
    if diags.iter().any(|d| d.is_error()) {
        return None;
    }
    let (vals, d) = carbon::eval::evaluate(&p);
    if d.iter().any(|d| d.is_error()) {
        return None;
    }
    let mut sm = SourceMap::new();
    sm.add("<prelude>", carbon::PRELUDE);
    sm.add("f.carbon", text);
    let a = audit::audit_on(&p, &vals, &sm, strict, None, None, threads);
    Some(format!("{:?}\n{:?}\n{:?}", a.expectations, a.allowed, a.diags))
}
