//! `:save`: the inventory's text with the session's changes, each changed value written as the analyst's assumption.

use super::*;

impl Session {
    /// The base text with every change applied, as a `.carbon` file. With
    /// `marked`, the values added in the session are headed by a comment. Each
    /// changed value is written `NEW assumed "what-if: was OLD from …"`.
    pub fn render_text(&self, marked: bool) -> Result<String, String> {
        let base = self.baseline.program.as_ref().ok_or("no baseline")?;
        let src = base.res.syms.iter().find(|s| !s.prelude).map(|s| s.span.src);
        let mut replacements: Vec<(usize, usize, String)> = Vec::new();
        let mut added: Vec<(Option<String>, String)> = Vec::new();
        let mut last_set: HashMap<&str, &str> = HashMap::new();
        let mut gwp: Option<&str> = None;
        for e in &self.edits {
            match e {
                Edit::Set { target, text, .. } => {
                    last_set.insert(target.as_str(), text.as_str());
                }
                Edit::Add { name, text } => added.push((name.clone(), text.clone())),
                Edit::Gwp { name } => gwp = Some(name),
            }
        }
        let lookup = |name: &str| base.res.find(name);
        let mut sets: Vec<(&str, &str)> = last_set.into_iter().collect();
        sets.sort();
        for (target, text) in sets {
            match lookup(target).filter(|&id| Some(base.res.syms[id as usize].span.src) == src) {
                Some(id) => {
                    // The new figure is the analyst's assumption: it replaces the
                    // old one with its citation (and stated parts); `allow`s stay.
                    let Some(w) = self.written(id) else {
                        continue;
                    };
                    let reason = self.what_if_reason(target).unwrap_or_else(|| "what-if".into());
                    let new = format!("{text} assumed \"{}\"{}", escape(&reason), w.allows);
                    replacements.push((w.start, w.end, new));
                }
                None => {
                    // A value added in this session (or a prelude constant): re-declare it.
                    let assumed = self
                        .what_if_reason(target)
                        .map(|r| format!(" assumed \"{}\"", escape(&r)))
                        .unwrap_or_default();
                    // A field of a declaration added in this session: changed there.
                    if let Some((decl, field)) = target.split_once('.') {
                        if let Some(a) = added.iter_mut().find(|(n, _)| n.as_deref() == Some(decl)) {
                            if let Some((fs, fe)) = field_value_at(&a.1, field) {
                                let w = written_at(&a.1, fs, fe, None);
                                let reason = self.what_if_reason(target).unwrap_or_else(|| "what-if".into());
                                let new = format!("{text} assumed \"{}\"{}", escape(&reason), w.allows);
                                a.1.replace_range(w.start..w.end, &new);
                                continue;
                            }
                        }
                    }
                    if let Some(a) = added.iter_mut().find(|(n, _)| n.as_deref() == Some(target)) {
                        a.1 = format!("let {target} = {text}{assumed}");
                    } else {
                        added.push((Some(target.to_string()), format!("let {target} = {text}{assumed}")));
                    }
                }
            }
        }
        if let Some(name) = gwp {
            let header = base.res.header.as_ref().ok_or("the file has no inventory header")?;
            let d = base
                .res
                .decls
                .iter()
                .find(|d| d.kind == crate::domain::Kind::Inventory)
                .ok_or("no header")?;
            let _ = header;
            // The `gwp` field is a word, not a symbol: find it in the header's text.
            let (s, e) = (d.span.start as usize, d.span.end as usize);
            let head = &self.base_text[s..e];
            let at = find_field(head, "gwp").ok_or("the header has no `gwp` field")?;
            let (fs, fe) = (s + at.0, s + at.1);
            let old = self.base_text[fs..fe].to_string();
            let new = if marked {
                format!("{name} /* what-if: was {old} */")
            } else {
                name.to_string()
            };
            replacements.push((fs, fe, new));
        }
        replacements.sort_by_key(|r| std::cmp::Reverse(r.0));
        let mut text = self.base_text.clone();
        for (s, e, new) in replacements {
            text.replace_range(s..e, &new);
        }
        if !added.is_empty() {
            if !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(if marked {
                "\n// ---- added in a carbon REPL session ----\n"
            } else {
                "\n"
            });
            for (_, t) in added {
                text.push_str(&t);
                text.push('\n');
            }
        }
        Ok(text)
    }

    pub(super) fn save_reply(&mut self, arg: &str, force: bool) -> Reply {
        let arg = unquote(arg);
        if arg.is_empty() {
            return self.fail(usage("usage: :save FILE"));
        }
        match self.save_text(arg, force) {
            Ok(text) => {
                let note = text
                    .lines()
                    .next()
                    .filter(|l| l.starts_with("// Note:"))
                    .map(|l| format!("  {}\n", l.trim_start_matches("// ")))
                    .unwrap_or_default();
                Reply::out(format!(
                    "saved {} ({} change{})\n{note}",
                    arg,
                    self.edits.len(),
                    if self.edits.len() == 1 { "" } else { "s" }
                ))
                .with_file(arg, text)
            }
            Err(e) => Reply::err(e),
        }
    }

    /// The text `:save FILE` writes, after checking that it is allowed and that it
    /// re-checks to the same balance. Writing it is the front's job.
    pub fn save_text(&self, path: &str, force: bool) -> Result<String, String> {
        if !force && same_path(path, &self.file) {
            let d = Diag::error(
                "carbon::repl::overwrite",
                format!("`{path}` is the loaded file; it is not overwritten"),
            );
            return Err(self.errors(&[d.help(format!(
                "save under another name, or use `:save! {path}` to overwrite it"
            ))]));
        }
        let mut text = self.render_text(true)?;
        if !self.edits.is_empty() {
            text = format!(
                "// Saved from a carbon REPL session over {} with {} change(s), marked `what-if`.\n{text}",
                self.file,
                self.edits.len()
            );
        }
        // The saved file must check and give the session's balance.
        let a = crate::analyze(path, text.as_bytes(), Options::default());
        if !a.evaluated() {
            return Err(format!(
                "internal error: the saved text does not check:\n{}",
                diag::render_all(&a.diags, &a.sources, self.render)
            ));
        }
        let failing = a
            .diags
            .iter()
            .filter(|d| d.code == "carbon::audit::expect_failed")
            .count();
        if failing > 0 {
            text =
                format!("// Note: with these changes {failing} expectation(s) of the original no longer hold.\n{text}");
        }
        let net_of = |a: &Analysis| {
            a.program
                .as_ref()
                .and_then(|p| a.values.as_ref()?.get(p.res.groups.as_ref()?.net))
        };
        if let (Some(x), Some(y)) = (net_of(&a), self.net()) {
            if (x - y).abs() > 1e-9 * x.abs().max(y.abs()).max(1.0) {
                return Err(format!(
                    "internal error: the saved text gives net {x}, the session {y}\n"
                ));
            }
        }
        Ok(text)
    }
}

/// Where a value is written in a file's text, with the provenance after it.
pub(super) struct Written {
    /// The byte range of the value and its `parts`, `from` and `assumed` clauses.
    pub(super) start: usize,
    pub(super) end: usize,
    /// The value as written (whitespace made single spaces).
    pub(super) old: String,
    /// Its `from …` and `assumed "…"` clauses, as written.
    pub(super) prov: String,
    /// Its `allow code "reason"` clauses among them, each with a space before.
    pub(super) allows: String,
}

/// The value written at `start..end` in `text` (ending at `parts_end` when it
/// has stated parts), and the provenance clauses that follow it.
pub(super) fn written_at(text: &str, start: usize, end: usize, parts_end: Option<usize>) -> Written {
    let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let old = one_line(text.get(start..end).unwrap_or(""));
    let mut at = parts_end.unwrap_or(end).max(end).min(text.len());
    let mut prov: Vec<String> = Vec::new();
    let mut allows = String::new();
    loop {
        let i = skip_trivia(text, at);
        let w = word_at(text, i);
        let clause_end = match w {
            "from" => {
                let mut k = match citation_at(text, skip_trivia(text, i + w.len())) {
                    Some(k) => k,
                    None => break,
                };
                loop {
                    let n = skip_trivia(text, k);
                    if !text[n..].starts_with(',') {
                        break;
                    }
                    match citation_at(text, skip_trivia(text, n + 1)) {
                        Some(k2) => k = k2,
                        None => break,
                    }
                }
                k
            }
            "assumed" => match string_at(text, skip_trivia(text, i + w.len())) {
                Some(k) => k,
                None => break,
            },
            "allow" => {
                let j = skip_trivia(text, i + w.len());
                let code = word_at(text, j);
                if code.is_empty() {
                    break;
                }
                match string_at(text, skip_trivia(text, j + code.len())) {
                    Some(k) => k,
                    None => break,
                }
            }
            _ => break,
        };
        let clause = one_line(&text[i..clause_end]);
        if w == "allow" {
            allows.push(' ');
            allows.push_str(&clause);
        } else {
            prov.push(clause);
        }
        at = clause_end;
    }
    Written {
        start,
        end: at,
        old,
        prov: prov.join(" "),
        allows,
    }
}

/// Past white space and comments (`// …`, `# …`, `/* … */`).
pub(super) fn skip_trivia(t: &str, mut i: usize) -> usize {
    loop {
        let rest = &t[i..];
        let trimmed = rest.trim_start();
        i += rest.len() - trimmed.len();
        if trimmed.starts_with("//") || trimmed.starts_with('#') {
            i = t[i..].find('\n').map_or(t.len(), |k| i + k);
        } else if trimmed.starts_with("/*") {
            i = t[i + 2..].find("*/").map_or(t.len(), |k| i + 2 + k + 2);
        } else {
            return i;
        }
    }
}

/// The name that starts at `i` (empty if none).
pub(super) fn word_at(t: &str, i: usize) -> &str {
    let rest = &t[i..];
    let n = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    &rest[..n]
}

/// The end of the quoted string that starts at `i`.
pub(super) fn string_at(t: &str, i: usize) -> Option<usize> {
    let rest = t[i..].strip_prefix('"')?;
    let mut escaped = false;
    for (k, c) in rest.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i + 1 + k + 1),
            '\n' => return None,
            _ => {}
        }
    }
    None
}

/// The end of the citation (a source's name or a quoted text) at `i`.
pub(super) fn citation_at(t: &str, i: usize) -> Option<usize> {
    string_at(t, i).or_else(|| {
        let w = word_at(t, i);
        (!w.is_empty()).then_some(i + w.len())
    })
}

/// Whether a written value is the figure shown (`73.46 t` and `73.460 t`): else
/// the reason of a change gives both.
pub(super) fn same_figure(written: &str, shown: &str) -> bool {
    let split = |s: &str| {
        let s = s.trim();
        let n = s.find(char::is_whitespace).unwrap_or(s.len());
        (
            s[..n].parse::<f64>().ok(),
            s[n..].split_whitespace().collect::<String>(),
        )
    };
    let (a, b) = (split(written), split(shown));
    a.0.is_some() && a.0 == b.0 && a.1 == b.1
}

/// A text inside `"…"` in a `.carbon` file.
pub(super) fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                o.push('\\');
                o.push(c);
            }
            '\n' => o.push_str("\\n"),
            c if c.is_control() => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

pub(super) fn looks_like_declaration(t: &str) -> bool {
    let first = t.split_whitespace().next().unwrap_or("");
    if crate::syntax::keywords::DECLARATIONS.contains(&first) {
        return true;
    }
    // `kind name {` or `kind "title" {`
    let mut words = t.split_whitespace();
    let (_, second, third) = (words.next(), words.next(), words.next());
    matches!((second, third), (Some(_), Some(w)) if w.starts_with('{')) || second.is_some_and(|s| s.contains('{'))
}

pub(super) fn declared_name(t: &str) -> Option<String> {
    let mut w = t.split_whitespace();
    let first = w.next()?;
    let second = w.next()?;
    let name: String = second
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    match first {
        "let" | "source" | "unit" | "dimension" => Some(name),
        "expect" => None,
        _ => (!name.is_empty()).then_some(name),
    }
}

/// The byte range of the value of `field` inside a block's text.
/// The byte range of a field's value in the text of one block declaration.
fn field_value_at(block: &str, field: &str) -> Option<(usize, usize)> {
    let parsed = crate::syntax::parse(crate::source::SourceId(0), block);
    let crate::syntax::ast::Decl::Block(b) = parsed.file.decls.first()? else {
        return None;
    };
    let f = b.fields.iter().find(|f| f.name.name == field)?;
    match &f.value {
        crate::syntax::ast::FieldValue::Expr(e) => Some((e.span.start as usize, e.span.end as usize)),
        _ => None,
    }
}

pub(super) fn find_field(block: &str, field: &str) -> Option<(usize, usize)> {
    let mut search = 0;
    while let Some(i) = block[search..].find(field) {
        let at = search + i;
        let before_ok = at == 0
            || !block[..at]
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
        let after = &block[at + field.len()..];
        if before_ok && after.starts_with([' ', '\t']) {
            let start = at + field.len() + (after.len() - after.trim_start().len());
            let len = block[start..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(block.len() - start);
            return Some((start, start + len));
        }
        search = at + field.len();
    }
    None
}
