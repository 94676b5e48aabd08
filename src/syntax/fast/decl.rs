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
            Some(b'k') if self.kw("kind") => self.kind_decl(out),
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
            if !self.provenance_clause(&mut prov)? {
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

/// `kind_decl` and its items (docs/design/kinds.md §1), as `Builder::kind_decl`.
/// The words inside are contextual: `word` tests one as `kw` does a keyword.
impl Parser<'_> {
    /// Consumes the contextual word `w` (`w_x = @{ "x" ~ !ident_char }`) if it is here.
    fn word(&mut self, w: &str) -> bool {
        if self.kw(w) {
            self.pos += w.len();
            true
        } else {
            false
        }
    }

    /// `kind_decl = { kw_kind ~ ident ~ string? ~ override_clause? ~ "{" ~ (kind_item ~ ";"?)* ~ "}" ~ ";"? }`
    pub(super) fn kind_decl(&mut self, out: &mut Vec<Decl>) -> Option<()> {
        let start = self.pos;
        self.pos += "kind".len();
        let keyword = self.span(start, self.pos);
        self.skip();
        let name = self.ident()?;
        self.skip();
        let mut title = None;
        if self.here() == Some(b'"') {
            title = Some(self.string()?);
            self.skip();
        }
        let override_reason = self.override_clause()?;
        self.skip();
        if self.here() != Some(b'{') {
            return None;
        }
        self.pos += 1;
        self.open();
        let mut items = Vec::new();
        loop {
            self.skip();
            if self.here() == Some(b'}') {
                break;
            }
            items.push(self.kind_item()?);
            self.skip();
            self.semicolon();
        }
        self.pos += 1;
        self.close();
        let end = self.end_of_rule();
        out.push(Decl::Kind(Box::new(KindDecl {
            keyword,
            name,
            title,
            override_reason,
            items,
            span: self.span(start, end),
        })));
        Some(())
    }

    fn kind_item(&mut self) -> Option<KindItem> {
        let start = self.pos;
        let at = |p: &Self, end: u32| span::ending(p.span(start, start), end);
        if self.word("field") {
            self.skip();
            let name = self.ident()?;
            self.skip();
            let mut optional = false;
            if self.here() == Some(b'?') {
                self.pos += 1;
                optional = true;
                self.skip();
            }
            if self.here() != Some(b':') {
                return None;
            }
            self.pos += 1;
            self.skip();
            let shape = self.shape()?;
            self.skip();
            let mut default = None;
            if self.here() == Some(b'=') {
                self.pos += 1;
                self.skip();
                default = Some(self.expr()?.0);
                self.skip();
            }
            let meaning = self.string()?;
            let mut opts = Vec::new();
            let mut prov = Provenance::default();
            loop {
                self.skip();
                if let Some(o) = self.field_opt()? {
                    opts.push(o);
                } else if !self.provenance_clause(&mut prov)? {
                    break;
                }
            }
            let end = span::kind_field_end(&meaning, &opts, &prov);
            return Some(KindItem::Field(Box::new(KindField {
                name,
                optional,
                shape,
                default,
                meaning,
                opts,
                prov,
                span: at(self, end),
            })));
        }
        if self.word("value") {
            self.skip();
            let name = self.ident()?;
            self.skip();
            let mut shape = None;
            if self.here() == Some(b':') {
                self.pos += 1;
                self.skip();
                shape = Some(self.shape()?);
                self.skip();
            }
            if self.here() != Some(b'=') {
                return None;
            }
            self.pos += 1;
            self.skip();
            let (expr, meaning, opts, guard, end) = self.kind_formula()?;
            return Some(KindItem::Value(Box::new(KindValue {
                name,
                shape,
                expr,
                meaning,
                opts,
                guard,
                span: at(self, end),
            })));
        }
        if self.word("term") {
            self.skip();
            let (expr, meaning, opts, guard, end) = self.kind_formula()?;
            return Some(KindItem::Term(Box::new(KindTerm {
                expr,
                meaning,
                opts,
                guard,
                span: at(self, end),
            })));
        }
        if self.word("one") {
            self.skip();
            if !self.word("of") {
                return None;
            }
            let mut sets = Vec::new();
            loop {
                let mut set = Vec::new();
                loop {
                    self.skip();
                    match self.ident() {
                        Some(id) => set.push(id),
                        None => break,
                    }
                }
                if set.is_empty() {
                    return None;
                }
                sets.push(set);
                if self.here() != Some(b'|') {
                    break;
                }
                self.pos += 1;
            }
            if sets.len() < 2 {
                return None;
            }
            let message = self.string()?;
            let before = self.pos;
            self.skip();
            let mut help = None;
            if self.word("help") {
                self.skip();
                help = Some(self.string()?);
            } else {
                self.pos = before;
            }
            let end = span::text_end(help.as_ref().unwrap_or(&message));
            return Some(KindItem::OneOf(Box::new(KindOneOf {
                sets,
                message,
                help,
                span: at(self, end),
            })));
        }
        let place = [
            ("group", PlaceWord::Group),
            ("part", PlaceWord::Part),
            ("scope", PlaceWord::Scope),
            ("gas", PlaceWord::Gas),
        ];
        if let Some(&(_, word)) = place.iter().find(|(w, _)| self.kw(w)) {
            self.word(place.iter().find(|(_, p)| *p == word)?.0);
            self.skip();
            let value = match self.ident() {
                Some(id) => id,
                None => {
                    // place_number = @{ ASCII_DIGIT+ }
                    let s = self.pos;
                    let e = self.digits(s);
                    if e == s {
                        return None;
                    }
                    self.pos = e;
                    Ident {
                        name: self.slice(s, e).into(),
                        span: self.span(s, e),
                    }
                }
            };
            let guard = self.guard()?;
            let end = guard.as_ref().map_or(value.span.end, |g| g.span.end);
            return Some(KindItem::Place(Box::new(KindPlace {
                word,
                value,
                guard,
                span: at(self, end),
            })));
        }
        if self.word("flag") {
            self.skip();
            let code = self.ident()?;
            self.skip();
            let text = self.string()?;
            let guard = self.guard()??;
            let end = guard.span.end;
            return Some(KindItem::Flag(Box::new(KindFlag {
                code,
                text,
                guard,
                span: at(self, end),
            })));
        }
        if self.word("notation") {
            self.skip();
            if !self.word("help") {
                return None;
            }
            self.skip();
            let text = self.string()?;
            let end = span::text_end(&text);
            return Some(KindItem::NotationHelp(text, at(self, end)));
        }
        None
    }

    /// `shape = { w_one ~ w_of ~ ident ~ ("|" ~ ident)* | w_text | w_flow? ~ (w_substance | w_any | dim_expr) }`
    fn shape(&mut self) -> Option<Shape> {
        let start = self.pos;
        // `one` not followed by `of` is a dimension's name (the first choice fails).
        let one_of = self.word("one") && {
            self.skip();
            self.word("of") || {
                self.pos = start;
                false
            }
        };
        let (kind, end) = if one_of {
            self.skip();
            let mut words = vec![self.ident()?];
            loop {
                let before = self.pos;
                self.skip();
                if self.here() != Some(b'|') {
                    self.pos = before;
                    break;
                }
                self.pos += 1;
                self.skip();
                words.push(self.ident()?);
            }
            let end = self.pos;
            (ShapeKind::OneOf(words), end)
        } else if self.word("text") {
            (ShapeKind::Text, self.pos)
        } else {
            let flow = self.word("flow");
            if flow {
                self.skip();
            }
            let what = if self.word("substance") {
                ShapeDim::Substance
            } else if self.word("any") {
                ShapeDim::Any
            } else {
                ShapeDim::Dim(self.dim_expr()?)
            };
            (ShapeKind::Quantity { flow, what }, self.pos)
        };
        Some(Shape {
            kind,
            span: self.span(start, end),
        })
    }

    /// `dim_expr = ${ dim_factor ~ (iws* ~ unit_op ~ iws* ~ dim_factor)* }`, as
    /// `Builder::dim_expr` builds it; `None` (nothing to undo but `pos`) when it
    /// does not match.
    fn dim_expr(&mut self) -> Option<UnitExpr> {
        if !self.enter() {
            return None;
        }
        let r = self.dim_expr_inner();
        self.leave();
        r
    }

    fn dim_expr_inner(&mut self) -> Option<UnitExpr> {
        let start = self.pos;
        let mut factors = vec![self.dim_factor()?];
        loop {
            let before = self.pos;
            self.iws();
            let n = match self.here() {
                Some(b'/' | b'*') => 1,
                _ if self.starts("·") => "·".len(),
                _ if self.starts("×") => "×".len(),
                _ => 0,
            };
            if n == 0 {
                self.pos = before;
                break;
            }
            let divide = self.here() == Some(b'/');
            self.pos += n;
            self.iws();
            // The repetition's group fails as a whole: back to before the blanks.
            let Some(mut f) = self.dim_factor() else {
                self.pos = before;
                break;
            };
            if divide {
                f.exp = f.exp.negated();
            }
            factors.push(f);
        }
        Some(UnitExpr {
            scale: None,
            text: None,
            factors,
            span: self.span(start, self.pos),
        })
    }

    /// `dim_factor = ${ (ident | dim_one | "(" ~ iws* ~ dim_expr ~ iws* ~ ")") ~ unit_power? }`
    /// with `dim_one = @{ "1" ~ !ASCII_DIGIT }`; `pos` restored when it does not match.
    fn dim_factor(&mut self) -> Option<UnitFactor> {
        let start = self.pos;
        let base = if let Some(id) = self.ident() {
            UnitBase::Atom(id.name)
        } else if self.here() == Some(b'1') && !self.at(self.pos + 1).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
            UnitBase::Atom("1".into())
        } else if self.here() == Some(b'(') {
            self.pos += 1;
            self.open();
            self.iws();
            let g = self.dim_expr();
            self.iws();
            match g {
                Some(g) if self.here() == Some(b')') => {
                    self.pos += 1;
                    self.close();
                    UnitBase::Group(Box::new(g))
                }
                _ => {
                    self.close();
                    self.pos = start;
                    return None;
                }
            }
        } else {
            return None;
        };
        Some(self.factor_with_power(base, start))
    }

    /// `field_opt`, `Some(None)` when none is here (nothing consumed).
    fn field_opt(&mut self) -> Option<Option<FieldOpt>> {
        let start = self.pos;
        let mut word_end = 0;
        let bound = |p: &mut Self| -> Option<(Expr, Option<(String, Span)>)> {
            p.skip();
            let e = p.expr()?.0;
            let before = p.pos;
            p.skip();
            if p.here() == Some(b'"') {
                Some((e, Some(p.string()?)))
            } else {
                p.pos = before;
                Some((e, None))
            }
        };
        let kind = if self.word("min") {
            let (e, s) = bound(self)?;
            FieldOptKind::Min(e, s)
        } else if self.word("above") {
            let (e, s) = bound(self)?;
            FieldOptKind::Above(e, s)
        } else if self.word("max") {
            let (e, s) = bound(self)?;
            FieldOptKind::Max(e, s)
        } else if self.word("negative") {
            self.skip();
            if !self.word("warn") {
                return None;
            }
            self.skip();
            FieldOptKind::NegativeWarn(self.string()?)
        } else if self.word("key") {
            self.skip();
            FieldOptKind::Key(self.unit_target()?)
        } else if self.word("is") {
            self.skip();
            if !self.word("gwp") {
                return None;
            }
            word_end = self.pos as u32;
            FieldOptKind::IsGwp
        } else if self.word("help") {
            self.skip();
            FieldOptKind::Help(self.string()?)
        } else if self.kw("want") {
            FieldOptKind::Want(Box::new(self.want()?))
        } else {
            return Some(None);
        };
        let end = span::field_opt_end(&kind, word_end);
        Some(Some(FieldOpt {
            kind,
            span: span::ending(self.span(start, start), end),
        }))
    }

    /// `want_clause = { w_want ~ string ~ w_example ~ string }`
    fn want(&mut self) -> Option<Want> {
        let start = self.pos;
        self.word("want");
        self.skip();
        let want = self.string()?;
        self.skip();
        if !self.word("example") {
            return None;
        }
        self.skip();
        let example = self.string()?;
        let end = span::want_end(&example);
        Some(Want {
            want,
            example,
            span: span::ending(self.span(start, start), end),
        })
    }

    /// What a kind's `value` (after its `=`) and `term` share: the expression,
    /// its meaning, options and guard, and where the item ends.
    #[allow(clippy::type_complexity)]
    fn kind_formula(&mut self) -> Option<(Expr, (String, Span), KindOpts, Option<Guard>, u32)> {
        let expr = self.expr()?.0;
        self.skip();
        let meaning = self.string()?;
        let opts = self.kind_opts()?;
        let guard = self.guard()?;
        let end = span::kind_opts_end(&meaning, &opts, guard.as_ref());
        Some((expr, meaning, opts, guard, end))
    }

    /// `kind_opts = { (eq_clause | help_clause | want_clause | from_clause | assumed_clause | allow_clause)* }`
    fn kind_opts(&mut self) -> Option<KindOpts> {
        let mut opts = KindOpts::default();
        loop {
            self.skip();
            if self.word("eq") {
                self.skip();
                opts.eq = Some(self.string()?);
            } else if self.word("help") {
                self.skip();
                opts.help = Some(self.string()?);
            } else if self.kw("want") {
                opts.want = Some(Box::new(self.want()?));
            } else if !self.provenance_clause(&mut opts.prov)? {
                return Some(opts);
            }
        }
    }

    /// One clause of `provenance` added to `prov`: `Some(false)` when none is here.
    fn provenance_clause(&mut self, prov: &mut Provenance) -> Option<bool> {
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
            return Some(false);
        }
        Some(true)
    }

    /// `guard = { w_when ~ condition ~ ("," ~ condition)* }` with
    /// `condition = { ident ~ ("=" ~ ident)? }`, optional: `Some(None)` when absent.
    fn guard(&mut self) -> Option<Option<Guard>> {
        let before = self.pos;
        self.skip();
        let start = self.pos;
        if !self.word("when") {
            self.pos = before;
            return Some(None);
        }
        let mut conditions = Vec::new();
        loop {
            self.skip();
            let cs = self.pos;
            let field = self.ident()?;
            let after = self.pos;
            self.skip();
            let mut word = None;
            if self.here() == Some(b'=') {
                self.pos += 1;
                self.skip();
                word = Some(self.ident()?);
            } else {
                self.pos = after;
            }
            let end = word.as_ref().map_or(field.span.end, |w| w.span.end);
            conditions.push(Condition {
                field,
                word,
                span: span::ending(self.span(cs, cs), end),
            });
            let after = self.pos;
            self.skip();
            if self.here() == Some(b',') {
                self.pos += 1;
            } else {
                self.pos = after;
                break;
            }
        }
        let end = conditions.last().map_or(self.pos as u32, |c| c.span.end);
        Some(Some(Guard {
            conditions,
            span: span::ending(self.span(start, start), end),
        }))
    }
}
