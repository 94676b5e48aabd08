//! The check and the audit on two threads against one, on any program that
//! parses (`check::check_with`, `audit::audit_on`, both threads forced and every
//! symbol but the first few shared out): the same checked symbols (code, ids,
//! dimensions, units), the same registry size, the same diagnostics in order, and
//! the same audit report.

#![no_main]

use carbon::check::{self, Program};
use carbon::diag::Diag;
use carbon::source::SourceMap;
use carbon::{audit, eval, names, syntax, units::Units};
use libfuzzer_sys::fuzz_target;

fn checked(text: &str, threads: usize, quiet: usize) -> Option<(Program, Vec<Diag>)> {
    let mut sm = SourceMap::new();
    let pid = sm.add("<prelude>", carbon::PRELUDE);
    let fid = sm.add("f.carbon", text);
    let prelude = syntax::parse(pid, carbon::PRELUDE);
    let file = syntax::parse(fid, text);
    if !file.diags.is_empty() {
        return None;
    }
    let (mut units, _) = Units::build(&[&prelude.file, &file.file]);
    let (r, mut diags) = names::resolve(vec![prelude.file, file.file], Some(pid), &mut units);
    // The names' diagnostics first: a program with errors there is not audited.
    let (p, d) = check::check_with(r, units, threads, quiet);
    diags.extend(d);
    Some((p, diags))
}

fn shown((p, diags): &(Program, Vec<Diag>)) -> String {
    let mut out = String::new();
    for (id, c) in p.checked.iter().enumerate() {
        let dim = p.dim(id as u32).map(|d| p.units.format_dim(&d));
        let unit = p.units.format_dunit(p.units.dunit(c.dunit));
        out.push_str(&format!("{id} {c:?} {dim:?} {unit}\n"));
    }
    out.push_str(&format!("registry entries {}\n{diags:?}", p.units.entries()));
    out
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Some(one) = checked(text, 1, 0) else { return };
    for quiet in [0, 3] {
        let two = checked(text, 2, quiet).map(|c| shown(&c));
        assert_eq!(Some(shown(&one)), two, "check: two threads (quiet {quiet}) differ from one");
    }
    let (p, diags) = one;
    if diags.iter().any(|d| d.is_error()) {
        return;
    }
    let (vals, d) = eval::evaluate(&p);
    if d.iter().any(|d| d.is_error()) {
        return;
    }
    let mut sm = SourceMap::new();
    sm.add("<prelude>", carbon::PRELUDE);
    sm.add("f.carbon", text);
    let report = |threads| {
        let a = audit::audit_on(&p, &vals, &sm, false, None, threads);
        format!("{:?}\n{:?}\n{:?}", a.expectations, a.allowed, a.diags)
    };
    assert_eq!(report(1), report(2), "audit: two threads differ from one");
});
