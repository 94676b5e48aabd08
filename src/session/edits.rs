//! The session's changes as a whole: new declarations, `:undo`, rebuilding the
//! program from the loaded text and the changes, and `:diff` against the
//! baseline.

use super::*;

impl Session {
    pub(super) fn declare(&mut self, text: &str) -> Reply {
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
                let d = Diag::error(
                    "carbon::names::duplicate",
                    format!("`{n}` is already declared in {}", self.file),
                );
                return self.fail(d.help(format!("to change it, write `{n} = …`")));
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

    pub(super) fn baseline_has(&self, name: &str) -> bool {
        self.baseline.program.as_ref().is_some_and(|p| {
            p.res
                .scope
                .get(name)
                .is_some_and(|&id| !p.res.syms[id as usize].prelude)
                || p.res.decl_scope.contains_key(name)
        })
    }

    pub(super) fn undo(&mut self) -> Reply {
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

    pub(super) fn rebuild_from_edits(&mut self) -> Result<(), String> {
        let text = self.render_text(false)?;
        self.rebuild(&text)
    }

    /// Re-analyses the whole program from text; on error the session is unchanged.
    pub(super) fn rebuild(&mut self, text: &str) -> Result<(), String> {
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

    pub(super) fn diff(&mut self) -> String {
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
