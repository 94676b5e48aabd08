//! What-if changes: `target = expr` (and `+=`, `-=`, `*=`, `/=`) and `gwp = SET`,
//! with the re-evaluation of what depends on the changed input, and the
//! assumption a changed value carries.

use super::*;

impl Session {
    /// `target = expr` (or `target += expr`, `-=`, `*=`, `/=`): a what-if change
    /// of an input. The right side reads the values before the change: when it
    /// reads the target itself, it is computed now and the target set to that
    /// figure. The changed program must pass the file's checks, or nothing changes.
    pub(super) fn assign(&mut self, target: &str, op: Option<char>, rhs: &str, typed: &str) -> Reply {
        if target == "gwp" {
            if op.is_some() {
                return self.fail(usage("`gwp` takes the name of a GWP set: write `gwp = AR5`"));
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
                    "`:names` lists the values; `:explain {}` shows a declaration's members",
                    target.split('.').next().unwrap_or(target)
                )
            } else {
                format!("to declare a new value, write `let {target} = …`")
            };
            return self.fail(unknown_value(target, &hint).help(help));
        };
        let p = self.current.program.as_ref().expect("loaded");
        let sym = &p.res.syms[id as usize];
        if !matches!(sym.kind, SymKind::Let | SymKind::Field { .. }) || sym.prelude && sym.kind != SymKind::Let {
            let d = not_an_input(&format!(
                "`{target}` is computed ({}), not an input",
                match p.res.meaning(sym) {
                    "" => "a derived value",
                    m => m,
                }
            ));
            return self.fail(d.help(format!(
                "change one of the inputs it is computed from (`:explain {target}` shows them)"
            )));
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
            let d = Diag::error(
                "carbon::units::wrong_kind",
                format!("`{target}` is {was} ({unit}), but the new value is {now}"),
            );
            return self.fail(d.help(format!(
                "give the new value in a unit of the same kind, for example {unit}"
            )));
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
                    Ok(_) => return self.fail(not_finite("the new value is not a finite number")),
                    Err(Some(d)) => return Reply::err(self.errors(&[d])),
                    Err(None) => return self.fail(no_value("a value the right side reads could not be computed")),
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
    pub(super) fn changed_reason(&self, name: &str) -> Option<String> {
        let id = self.find(name.trim())?;
        let changed = self.edits.iter().any(|e| match e {
            Edit::Set { target, .. } => self.find(target) == Some(id),
            _ => false,
        });
        let p = self.current.program.as_ref()?;
        changed.then(|| p.res.syms[id as usize].prov.assumed().map(str::to_string))?
    }

    /// The `carbon::check::out_of_range` errors of the given symbols, rendered.
    pub(super) fn impossible(&self, ids: &[SymId]) -> Option<String> {
        let (Some(p), Some(v)) = (&self.current.program, &self.current.values) else {
            return None;
        };
        let d = crate::audit::impossible_values_of(p, v, &self.current.sources, ids);
        (!d.is_empty()).then(|| self.errors(&d))
    }

    /// A figure as the file writes it: `v` (in base units) in the display unit
    /// `du`, with every digit needed to read back the same number.
    pub(super) fn literal(&self, v: f64, du: crate::units::UnitId) -> String {
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
    pub(super) fn what_if_reason(&self, target: &str) -> Option<String> {
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
    pub(super) fn written(&self, id: SymId) -> Option<Written> {
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
    pub(super) fn reaches(&self, from: &[SymId], id: SymId) -> bool {
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
    pub(super) fn reevaluate_from(&mut self, id: SymId) -> Result<Vec<SymId>, String> {
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

    pub(super) fn change_gwp(&mut self, name: &str) -> Reply {
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
}
