//! `:seek`: the input value that makes a target hold, searched by bisection within the values the file accepts.

use super::*;

impl Session {
    /// The point nearest `bad` (where `f` has no value) from which `f` has one,
    /// towards `good` (where it has), by bisection.
    pub(super) fn last_good(
        f: &impl Fn(&mut Session, f64) -> Option<f64>,
        s: &mut Session,
        bad: f64,
        good: f64,
    ) -> f64 {
        let (mut bad, mut good) = (bad, good);
        for _ in 0..200 {
            let m = 0.5 * (bad + good);
            if m == bad || m == good {
                break;
            }
            if f(s, m).is_some() {
                good = m;
            } else {
                bad = m;
            }
        }
        good
    }

    /// `:seek INPUT for TARGET = VALUE [in LO .. HI]`
    pub(super) fn seek(&mut self, arg: &str) -> Reply {
        let Some((input, rest)) = arg.split_once(" for ") else {
            return self.fail(seek_usage());
        };
        let input = input.trim();
        let Some((target, rest)) = rest.split_once('=') else {
            return self.fail(seek_usage());
        };
        let (value_text, range) = match rest.split_once(" in ") {
            Some((v, r)) => (v.trim(), Some(r.trim())),
            None => (rest.trim(), None),
        };
        let Some(id) = self.find(input) else {
            return self.fail(unknown_value(input, ""));
        };
        let p = self.current.program.as_ref().expect("loaded");
        if !matches!(p.res.syms[id as usize].kind, SymKind::Let | SymKind::Field { .. }) {
            return self.fail(not_an_input(&format!("`{input}` is computed, not an input")));
        }
        let old = p.checked[id as usize].clone();
        let Some(in_dim) = p.dim(id) else {
            return self.fail(no_value("the input has no value"));
        };
        let (tcode, tdim, tdu, _) = match self.compile(target.trim()) {
            Ok(r) => r,
            Err(e) => return Reply::err(e),
        };
        let (vcode, vdim, _, _) = match self.compile(value_text) {
            Ok(r) => r,
            Err(e) => return Reply::err(e),
        };
        let goal = {
            let vals = self.current.values.as_ref().expect("loaded");
            let syms = &self.current.program.as_ref().expect("loaded").res.syms;
            match eval::eval_code(&vcode, vals, syms) {
                Ok(g) => g,
                Err(_) => return self.fail(no_value("the value cannot be computed")),
            }
        };
        // A bare 0 is zero in the target's unit (`for net = 0`).
        if vdim != tdim && !(vdim.is_one() && goal == 0.0) {
            let p = self.current.program.as_ref().expect("loaded");
            let unit = p.units.format_dunit(&tdu);
            let example = if unit.is_empty() {
                String::new()
            } else {
                format!(", for example `{} = {} {unit}`", target.trim(), value_text)
            };
            let d = Diag::error(
                "carbon::units::mismatch",
                format!(
                    "the target is {} but the value is {}",
                    p.units.describe_dim(&tdim),
                    p.units.describe_dim(&vdim),
                ),
            );
            return self.fail(d.help(format!("give the value in the target's unit{example}")));
        }
        let current = self.current.values.as_ref().and_then(|v| v.get(id)).unwrap_or(0.0);
        let (lo, hi) = match range {
            Some(r) => {
                let Some((a, b)) = r.split_once("..") else {
                    return self.fail(seek_usage());
                };
                let mut bound = |t: &str| -> Result<f64, String> {
                    let (c, d, _, _) = self.compile(t.trim())?;
                    if d != in_dim {
                        return Err(self.errors(&[Diag::error(
                            "carbon::units::wrong_kind",
                            format!("the range bound `{}` is not in the input's kind of unit", t.trim()),
                        )]));
                    }
                    let syms = &self.current.program.as_ref().expect("loaded").res.syms;
                    eval::eval_code(&c, self.current.values.as_ref().expect("loaded"), syms)
                        .map_err(|_| self.errors(&[no_value("bound cannot be computed")]))
                };
                match (bound(a), bound(b)) {
                    (Ok(x), Ok(y)) => (x.min(y), x.max(y)),
                    (Err(e), _) | (_, Err(e)) => return Reply::err(e),
                }
            }
            None => {
                let span = if current == 0.0 { 1.0 } else { current.abs() * 10.0 };
                (0.0f64.min(current), span.max(current))
            }
        };
        // Only values the file would accept are searched: the input's own valid
        // range first.
        let (asked_lo, asked_hi) = (lo, hi);
        let mut clipped: Option<&str> = None;
        let (mut lo, mut hi) = (lo, hi);
        let p = self.current.program.as_ref().expect("loaded");
        if let Some((vlo, vhi, _, why)) = crate::audit::valid_range(p, id) {
            if lo < vlo || hi > vhi {
                clipped = Some(why);
                (lo, hi) = (lo.max(vlo), hi.min(vhi));
            }
        }
        let input_unit = p.units.format_dunit(p.units.dunit(old.dunit));
        if lo > hi {
            let d = no_solution(format!(
                "no value of {input} in {} .. {} is possible: {}",
                self.show_id(asked_lo, old.dunit),
                self.show_id(asked_hi, old.dunit),
                clipped.unwrap_or("out of range"),
            ));
            return self.fail(d.help(format!(
                "search a range the file would accept, for example `in 0 {input_unit} .. {}`",
                self.show_id(current.abs().max(1.0) * 10.0, old.dunit),
            )));
        }
        // f(x) = target(x) − goal, with the input replaced by x; `None` where
        // the target cannot be computed or the file's checks fail.
        let f = |s: &mut Session, x: f64| -> Option<f64> {
            let p = s.current.program.as_mut().expect("loaded");
            p.checked[id as usize].code = Some(Code {
                op: Op::Const(x, old.dunit),
                span: Default::default(),
            });
            let affected = s.reevaluate_from(id).ok()?;
            if s.impossible(&affected).is_some() {
                return None;
            }
            let syms = &s.current.program.as_ref()?.res.syms;
            let v = eval::eval_code(&tcode, s.current.values.as_ref()?, syms).ok()?;
            Some(v - goal)
        };
        let (mut a, mut b) = (lo, hi);
        // An end of the range may be impossible (a division by a zero area, a
        // value that makes another one negative): search from where the
        // inventory checks, found by bisection towards the other end.
        let mut fa = f(self, a);
        let mut fb = f(self, b);
        let mut narrowed = false;
        for _ in 0..2 {
            match (fa, fb) {
                (None, Some(_)) => {
                    a = Self::last_good(&f, self, a, b);
                    fa = f(self, a);
                    narrowed = true;
                }
                (Some(_), None) => {
                    b = Self::last_good(&f, self, b, a);
                    fb = f(self, b);
                    narrowed = true;
                }
                _ => break,
            }
        }
        let (from, to) = (a, b);
        let nowhere = fa.is_none() && fb.is_none();
        let result = match (fa, fb) {
            (Some(0.0), Some(_)) => Some(a),
            (Some(_), Some(0.0)) => Some(b),
            (Some(mut fa), Some(fb)) if fa.signum() != fb.signum() => {
                let mut lost = false;
                for _ in 0..200 {
                    if crate::cancel::requested() {
                        break;
                    }
                    let m = 0.5 * (a + b);
                    let Some(fm) = f(self, m) else {
                        lost = true;
                        break;
                    };
                    if fm == 0.0 || (b - a).abs() <= 1e-12 * m.abs().max(1e-300) {
                        a = m;
                        b = m;
                        break;
                    }
                    if fm.signum() == fa.signum() {
                        a = m;
                        fa = fm;
                    } else {
                        b = m;
                    }
                }
                (!lost).then_some(0.5 * (a + b))
            }
            _ => None,
        };
        let (t_lo, t_hi) = (fa.map(|x| x + goal), fb.map(|x| x + goal));
        // Restore the input.
        let p = self.current.program.as_mut().expect("loaded");
        p.checked[id as usize] = old.clone();
        let _ = self.reevaluate_from(id);
        if crate::cancel::requested() {
            return interrupted();
        }
        let mut range_text = format!("{} .. {}", self.show_id(from, old.dunit), self.show_id(to, old.dunit));
        if clipped.is_some() || narrowed {
            range_text.push_str(&format!(
                ", the part of {} .. {} the file accepts",
                self.show_id(asked_lo, old.dunit),
                self.show_id(asked_hi, old.dunit)
            ));
            if let Some(why) = clipped {
                range_text.push_str(&format!(": {why}"));
            }
        }
        let goal_text = self.show_value(goal, &tdu);
        if nowhere {
            let d = no_solution(format!(
                "no value of {input} in {range_text} passes the file's checks: at both ends the inventory is impossible or cannot be computed"
            ));
            return self.fail(d.help("search another range with `in LO .. HI`"));
        }
        match result {
            Some(x) => {
                let shown = self.show_id(x, old.dunit);
                Reply::out(format!(
                    "{input} = {shown} makes {} = {goal_text} (searched {range_text})\n  apply it with: {input} = {shown}\n",
                    target.trim()
                ))
            }
            None => {
                let ends = match (t_lo, t_hi) {
                    (Some(x), Some(y)) => format!(
                        "; over that range {} goes from {} to {}",
                        target.trim(),
                        self.show_value(x, &tdu),
                        self.show_value(y, &tdu)
                    ),
                    _ => String::new(),
                };
                let d = no_solution(format!(
                    "no value of {input} in {range_text} makes {} = {goal_text}{ends}",
                    target.trim()
                ));
                self.fail(d.help("widen the range with `in LO .. HI`, or choose another input"))
            }
        }
    }
}

/// `:seek` found no value.
fn no_solution(message: String) -> Diag {
    Diag::error("carbon::repl::no_solution", message)
}

fn seek_usage() -> Diag {
    usage("usage: :seek INPUT for TARGET = VALUE [in LO .. HI]")
        .help("for example `:seek spruce.area for net = 0 tCO2e in 0 hm2 .. 5000 hm2`")
}
