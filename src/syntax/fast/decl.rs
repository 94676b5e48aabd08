//! Declarations, as the grammar's rules from `file` to `field`.

use super::*;

impl Parser<'_> {
    // ---- declarations ----------------------------------------------------------

    /// `file = { SOI ~ decl* ~ EOI }`. After `bad` it parses on, to tell whether
    /// the grammar matches the rest (`Fast::Diagnosed`).
    pub(super) fn file(&mut self, capacity: usize) -> Option<Vec<Decl>> {
        let mut decls = Vec::with_capacity(capacity);
        self.skip();
        while self.pos < self.b.len() {
            self.decl(&mut decls)?;
            self.skip();
        }
        Some(decls)
    }

    /// `decl = _{ let_decl | source_decl | dimension_decl | unit_decl | expect_decl | block_decl }`.
    /// Each alternative but the last begins with its keyword, which no other can
    /// begin with, so the keyword picks the one alternative that can match.
    /// The declaration is pushed onto `out` (declarations are large: this saves
    /// copying them), as are those of the functions below.
    pub(super) fn decl(&mut self, out: &mut Vec<Decl>) -> Option<()> {
        match self.here() {
            Some(b'l') if self.kw("let") => self.let_decl(out),
            Some(b's') if self.kw("source") => self.source_decl(out),
            Some(b'd') if self.kw("dimension") => self.dimension_decl(out),
            Some(b'u') if self.kw("unit") => self.unit_decl(out),
            Some(b'e') if self.kw("expect") => self.expect_decl(out),
            _ => self.block_decl(out),
        }
    }

    /// `let_decl = { kw_let ~ ident ~ "=" ~ expr ~ parts_clause? ~ provenance ~ also_clause* ~ ";"? }`
    pub(super) fn let_decl(&mut self, out: &mut Vec<Decl>) -> Option<()> {
        let start = self.pos;
        self.pos += "let".len();
        self.skip();
        let name = self.ident()?;
        self.skip();
        if self.here() != Some(b'=') {
            return None;
        }
        self.pos += 1;
        self.skip();
        let (expr, _) = self.expr()?;
        let (stmts, prov) = self.statements()?;
        let end = span::statements_end(span::expr_end(&expr), &stmts, &prov);
        out.push(Decl::Let(Box::new(LetDecl {
            name,
            expr,
            stmts,
            prov,
            span: span::ending(self.span(start, start), end),
        })));
        Some(())
    }

    /// The tail of `let_decl` and `field`:
    /// `parts_clause? ~ provenance ~ also_clause* ~ ";"?` with
    /// `parts_clause = { kw_parts ~ expr }` and `also_clause = { kw_also ~ expr ~ provenance }`,
    /// as `Builder::statements`.
    pub(super) fn statements(&mut self) -> Option<(Statements, Provenance)> {
        let mut stmts = Statements::default();
        self.skip();
        if self.kw("parts") {
            self.pos += "parts".len();
            self.skip();
            let (e, _) = self.expr()?;
            stmts.parts = Some(Box::new(e));
            self.skip();
        }
        let prov = self.provenance()?;
        loop {
            self.skip();
            if !self.kw("also") {
                break;
            }
            self.pos += "also".len();
            self.skip();
            let (e, _) = self.expr()?;
            self.skip();
            let p = self.provenance()?;
            stmts.also.push((e, p));
        }
        self.skip();
        self.semicolon();
        Some((stmts, prov))
    }

    /// `provenance = { (from_clause | assumed_clause | allow_clause)* }`, as
    /// `Builder::provenance`.
    pub(super) fn provenance(&mut self) -> Option<Provenance> {
        let mut prov = Provenance::default();
        loop {
            self.skip();
            if self.kw("from") {
                self.citations(&mut prov.from)?;
            } else if self.kw("assumed") {
                // assumed_clause = { kw_assumed ~ string }
                self.pos += "assumed".len();
                self.skip();
                prov.assumed = Some(Box::new(self.string()?));
            } else if self.kw("allow") {
                let a = self.allow_clause()?;
                prov.allow.push(a);
            } else {
                return Some(prov);
            }
        }
    }

    /// `from_clause = { kw_from ~ citation ~ ("," ~ citation)* }` (named `citations`
    /// here, as clippy reserves `from_*`) with
    /// `citation = _{ ident | string }`.
    pub(super) fn citations(&mut self, out: &mut smallvec::SmallVec<[Citation; 1]>) -> Option<()> {
        self.pos += "from".len();
        let base = self.citations.len();
        loop {
            self.skip();
            if let Some(id) = self.ident() {
                self.citations.push(Citation::Name(id));
            } else {
                let (s, sp) = self.string()?;
                self.citations.push(Citation::Text(s, sp));
            }
            let before = self.pos;
            self.skip();
            if self.here() == Some(b',') {
                self.pos += 1;
            } else {
                self.pos = before;
                break;
            }
        }
        out.extend(self.citations.drain(base..));
        Some(())
    }

    /// `allow_clause = { kw_allow ~ ident ~ string }`.
    pub(super) fn allow_clause(&mut self) -> Option<Allow> {
        self.pos += "allow".len();
        self.skip();
        let code = self.ident()?;
        self.skip();
        let (reason, reason_span) = self.string()?;
        Some(Allow {
            code,
            reason,
            reason_span,
        })
    }

    /// `source_decl = { kw_source ~ ident ~ string ~ ";"? }`
    pub(super) fn source_decl(&mut self, out: &mut Vec<Decl>) -> Option<()> {
        let start = self.pos;
        self.pos += "source".len();
        self.skip();
        let name = self.ident()?;
        self.skip();
        let (text, _) = self.string()?;
        let end = self.end_of_rule();
        out.push(Decl::Source(Box::new(SourceDecl {
            name,
            text,
            span: self.span(start, end),
        })));
        Some(())
    }

    /// `dimension_decl = { kw_dimension ~ ident ~ string? ~ ("display" ~ unit_atom)? ~ ";"? }`
    pub(super) fn dimension_decl(&mut self, out: &mut Vec<Decl>) -> Option<()> {
        let start = self.pos;
        self.pos += "dimension".len();
        self.skip();
        let name = self.ident()?;
        self.skip();
        let mut description = None;
        if self.here() == Some(b'"') {
            description = Some(self.string()?.0);
            self.skip();
        }
        let mut display = None;
        if self.starts("display") {
            let before = self.pos;
            self.pos += "display".len();
            self.skip();
            match self.unit_atom() {
                Some((s, e)) => {
                    display = Some(Ident {
                        name: self.slice(s, e).into(),
                        span: self.span(s, e),
                    })
                }
                None => self.pos = before,
            }
        }
        self.skip();
        let override_reason = self.override_clause()?;
        let end = self.end_of_rule();
        out.push(Decl::Dimension(Box::new(DimensionDecl {
            name,
            description,
            display,
            override_reason,
            span: self.span(start, end),
        })));
        Some(())
    }

    /// `override_clause = { kw_override ~ string }`, optional: `Some(None)` when absent,
    /// `None` (give up) when the keyword is not followed by a string.
    pub(super) fn override_clause(&mut self) -> Option<Option<(String, Span)>> {
        if !self.kw("override") {
            return Some(None);
        }
        self.pos += "override".len();
        self.skip();
        Some(Some(self.string()?))
    }

    /// `unit_decl = { kw_unit ~ unit_atom ~ (unit_base | unit_alias) ~ prefixes? ~ override_clause? ~ provenance ~ ";"? }`
    /// with `unit_base = { ":" ~ ident }`, `unit_alias = { "=" ~ quantity_or_unit }`
    /// and `prefixes = { kw_prefixes ~ ident }`.
    pub(super) fn unit_decl(&mut self, out: &mut Vec<Decl>) -> Option<()> {
        let start = self.pos;
        self.pos += "unit".len();
        self.skip();
        let (s, e) = self.unit_atom()?;
        let name = Ident {
            name: self.slice(s, e).into(),
            span: self.span(s, e),
        };
        self.skip();
        let def = match self.here() {
            Some(b':') => {
                self.pos += 1;
                self.skip();
                UnitDef::Base(self.ident()?)
            }
            Some(b'=') => {
                self.pos += 1;
                self.skip();
                UnitDef::Alias(self.quantity_or_unit()?)
            }
            _ => return None,
        };
        self.skip();
        let mut prefixes = None;
        if self.kw("prefixes") {
            self.pos += "prefixes".len();
            self.skip();
            prefixes = Some(self.ident()?);
        }
        self.skip();
        let override_reason = self.override_clause()?;
        self.skip();
        let prov = self.provenance()?;
        let end = self.end_of_rule();
        out.push(Decl::Unit(Box::new(UnitDecl {
            name,
            def,
            prefixes,
            override_reason,
            prov,
            span: self.span(start, end),
        })));
        Some(())
    }

    /// `expect_decl = { kw_expect ~ (ident ~ ":")? ~ expr ~ "==" ~ expr ~ kw_within ~ expr
    ///   ~ known_clause? ~ provenance ~ ";"? }` with `known_clause = { kw_known ~ string }`
    pub(super) fn expect_decl(&mut self, out: &mut Vec<Decl>) -> Option<()> {
        let start = self.pos;
        self.pos += "expect".len();
        self.skip();
        let mut name = None;
        let before = self.pos;
        if let Some(id) = self.ident() {
            self.skip();
            if self.here() == Some(b':') {
                self.pos += 1;
                name = Some(id);
            } else {
                self.pos = before;
            }
        }
        self.skip();
        let (actual, _) = self.expr()?;
        self.skip();
        if !self.starts("==") {
            return None;
        }
        self.pos += 2;
        self.skip();
        let (published, _) = self.expr()?;
        self.skip();
        if !self.kw("within") {
            return None;
        }
        self.pos += "within".len();
        self.skip();
        let (tolerance, _) = self.expr()?;
        self.skip();
        let mut known = None;
        if self.kw("known") {
            self.pos += "known".len();
            self.skip();
            known = Some(self.string()?);
            self.skip();
        }
        let prov = self.provenance()?;
        self.skip();
        self.semicolon();
        let end = span::expect_end(&tolerance, known.as_ref(), &prov);
        out.push(Decl::Expect(Box::new(ExpectDecl {
            name,
            actual,
            published,
            tolerance,
            known,
            prov,
            span: span::ending(self.span(start, start), end),
        })));
        Some(())
    }

    /// `block_decl = { ident ~ block_name? ~ "{" ~ (block_allow | field)* ~ "}" ~ ";"? }`
    /// with `block_name = _{ ident | string }` and `block_allow = _{ allow_clause ~ ";"? }`.
    pub(super) fn block_decl(&mut self, out: &mut Vec<Decl>) -> Option<()> {
        let start = self.pos;
        let kind = self.ident()?;
        self.skip();
        let mut name = None;
        let mut title = None;
        if let Some(id) = self.ident() {
            name = Some(id);
        } else if self.here() == Some(b'"') {
            title = Some(self.string()?);
        }
        self.skip();
        if self.here() != Some(b'{') {
            return None;
        }
        self.pos += 1;
        self.open();
        let base = self.fields.len();
        let mut allows = Vec::new();
        loop {
            self.skip();
            if self.here() == Some(b'}') {
                break;
            }
            if self.kw("allow") {
                allows.push(self.allow_clause()?);
                self.skip();
                self.semicolon();
            } else {
                self.field()?;
            }
        }
        let fields: Vec<Field> = self.fields.drain(base..).collect();
        self.pos += 1;
        self.close();
        let end = self.end_of_rule();
        out.push(Decl::Block(Box::new(BlockDecl {
            kind,
            name,
            title,
            fields,
            allows,
            span: self.span(start, end),
        })));
        Some(())
    }

    /// `field = { ident ~ (string | expr) ~ parts_clause? ~ provenance ~ also_clause* ~ ";"? }`,
    /// pushed onto `self.fields` (fields are large: this saves copying them).
    pub(super) fn field(&mut self) -> Option<()> {
        let start = self.pos;
        let name = self.ident()?;
        self.skip();
        let value = if self.here() == Some(b'"') {
            let (s, sp) = self.string()?;
            FieldValue::Text(s, sp)
        } else if let Some(v) = self.notation()? {
            v
        } else {
            FieldValue::Expr(self.expr()?.0)
        };
        let (stmts, prov) = self.statements()?;
        let end = span::statements_end(span::value_end(&value), &stmts, &prov);
        let span = span::ending(self.span(start, start), end);
        self.fields.push(Field {
            name,
            value,
            stmts: stmts.boxed(),
            prov,
            span,
        });
        Some(())
    }
}

impl Parser<'_> {
    /// `notation = { notation_key ~ string }` with
    /// `notation_key = @{ ("NE" | "NO" | "IE" | "NA") ~ !ident_char }`, tried
    /// before `string | expr`: `Some(None)` (nothing consumed) where it does not
    /// match, so that the key is read as a name; `None` to give up.
    pub(super) fn notation(&mut self) -> Option<Option<FieldValue>> {
        if !matches!(self.here(), Some(b'N' | b'I')) {
            return Some(None);
        }
        let Some(key) = NotationKey::ALL.into_iter().find(|k| self.kw(k.word())) else {
            return Some(None);
        };
        let start = self.pos;
        self.pos += 2;
        self.skip();
        if self.here() != Some(b'"') {
            self.pos = start;
            return Some(None);
        }
        let (reason, sp) = self.string()?;
        let span = self.span(start, sp.end as usize);
        Some(Some(FieldValue::Notation(Box::new(Notation { key, reason, span }))))
    }
}
