//! Units, quantities and expressions, as the grammar's `---- expressions` rules.

use super::*;

impl Parser<'_> {
    // ---- units -----------------------------------------------------------------

    /// `unit_atom = @{ !keyword ~ ("%" | "‰" | "°" | "µ" | LETTER)
    ///   ~ (LETTER | ASCII_DIGIT | "_" | "₂" | "₄" | "²" | "³")* }`
    pub(super) fn unit_atom(&mut self) -> Option<(usize, usize)> {
        let start = self.pos;
        let first = self.char_at(start)?;
        if !(matches!(first, '%' | '‰' | '°' | 'µ') || is_letter(first)) || self.keyword_at(start) {
            return None;
        }
        let i = self.run_end(start + first.len_utf8(), |ch| {
            is_letter(ch) || matches!(ch, '₂' | '₄' | '²' | '³')
        });
        self.pos = i;
        Some((start, i))
    }

    /// `unit_power = @{ "^" ~ "-"? ~ ASCII_DIGIT+ ~ ("/" ~ ASCII_DIGIT+)? | ("⁻")? ~ ("¹" | "²" | "³" | "⁴")+ }`
    pub(super) fn unit_power(&mut self) -> Option<(usize, usize)> {
        let start = self.pos;
        if self.at(start) == Some(b'^') {
            let mut i = start + 1;
            if self.at(i) == Some(b'-') {
                i += 1;
            }
            let mut end = self.digits(i);
            if end == i {
                return None;
            }
            if self.at(end) == Some(b'/') {
                let den = self.digits(end + 1);
                if den > end + 1 {
                    end = den;
                }
            }
            self.pos = end;
            return Some((start, end));
        }
        let mut i = start;
        if self.starts_at(i, "⁻") {
            i += "⁻".len();
        }
        let digits = i;
        while let Some(s) = ["¹", "²", "³", "⁴"].into_iter().find(|s| self.starts_at(i, s)) {
            i += s.len();
        }
        if i == digits {
            return None;
        }
        self.pos = i;
        Some((start, i))
    }

    /// `unit_factor = ${ (unit_atom | unit_group) ~ unit_power? }`, as
    /// `Builder::unit_factor` builds it.
    pub(super) fn unit_factor(&mut self) -> Option<UnitFactor> {
        let start = self.pos;
        let atom = match self.unit_atom() {
            // An atom followed by `(` is a function's name, not a unit.
            Some(_) if self.here() == Some(b'(') => {
                self.pos = start;
                None
            }
            a => a,
        };
        let base = if let Some((s, e)) = atom {
            UnitBase::Atom(self.slice(s, e).into())
        } else {
            UnitBase::Group(Box::new(self.unit_group()?))
        };
        Some(self.factor_with_power(base, start))
    }

    /// A unit or dimension factor from `start`: `base` with the `unit_power` that
    /// follows, if any (a power the builder would refuse marks the parse bad).
    pub(super) fn factor_with_power(&mut self, base: UnitBase, start: usize) -> UnitFactor {
        let mut exp = Rat::ONE;
        if let Some((s, e)) = self.unit_power() {
            let written = self.slice(s, e);
            match parse_power(written) {
                Some(r) if !written.ends_with("/0") => exp = r,
                _ => self.bad = true,
            }
        }
        UnitFactor {
            base,
            exp,
            span: self.span(start, self.pos),
        }
    }

    /// `unit_group = ${ "(" ~ iws* ~ (number ~ iws*)? ~ unit_expr ~ iws* ~ ")" }`,
    /// built as `Builder::scaled_unit` with the text the builder keeps.
    pub(super) fn unit_group(&mut self) -> Option<UnitExpr> {
        let start = self.pos;
        if self.at(start) != Some(b'(') || !self.enter() {
            return None;
        }
        self.open();
        let r = self.unit_group_inner(start);
        self.close();
        self.leave();
        if r.is_none() {
            self.pos = start;
        }
        r
    }

    pub(super) fn unit_group_inner(&mut self, start: usize) -> Option<UnitExpr> {
        self.pos = start + 1;
        self.iws();
        let num = self.number();
        if num.is_some() {
            self.iws();
        }
        let mut u = self.unit_expr()?;
        self.iws();
        if self.here() != Some(b')') {
            return None;
        }
        self.pos += 1;
        if let Some((s, e)) = num {
            let v = self.value(s, e);
            u.scale = Some(u.scale.unwrap_or(1.0) * v);
        }
        u.span = self.span(start, self.pos);
        let written = self.slice(start, self.pos);
        u.text = Some(written.trim_start_matches('(').trim_end_matches(')').trim().to_string());
        Some(u)
    }

    /// `unit_expr = ${ unit_factor ~ (iws* ~ unit_op ~ iws* ~ unit_factor)* }` with
    /// `unit_op = @{ "/" | "*" | "·" | "×" }`; a factor after `/` has its
    /// exponent negated.
    pub(super) fn unit_expr(&mut self) -> Option<UnitExpr> {
        let start = self.pos;
        let base = self.unit_factors()?;
        Some(self.unit_of_factors(start, base))
    }

    /// The factors of `unit_expr`, left in `self.factors[base..]`: `base`.
    pub(super) fn unit_factors(&mut self) -> Option<usize> {
        let first = self.unit_factor()?;
        let base = self.factors.len();
        self.factors.push(first);
        loop {
            let before = self.pos;
            self.iws();
            let (divide, width) = match self.here() {
                Some(b'/') => (true, 1),
                Some(b'*') => (false, 1),
                Some(0xC2) if self.starts("·") => (false, 2),
                Some(0xC3) if self.starts("×") => (false, 2),
                _ => {
                    self.pos = before;
                    break;
                }
            };
            self.pos += width;
            self.iws();
            match self.unit_factor() {
                Some(mut f) => {
                    if divide {
                        f.exp = f.exp.negated();
                    }
                    self.factors.push(f);
                }
                None => {
                    self.pos = before;
                    break;
                }
            }
        }
        Some(base)
    }

    /// The unit of the factors in `self.factors[base..]`, written from `start` to here.
    pub(super) fn unit_of_factors(&mut self, start: usize, base: usize) -> UnitExpr {
        let factors: Vec<UnitFactor> = self.factors.drain(base..).collect();
        if factors.len() > MAX_UNIT_FACTORS {
            self.bad = true;
        }
        UnitExpr {
            scale: None,
            text: None,
            factors,
            span: self.span(start, self.pos),
        }
    }

    /// A quantity's `unit_expr`: the copy of an earlier quantity's unit with the
    /// same text (its factors parsed, then dropped without a vector of their own),
    /// or this one, made relative to its start (as `Builder::quantity` makes it)
    /// and kept for the next.
    pub(super) fn quantity_unit(&mut self) -> Option<Arc<UnitExpr>> {
        let start = self.pos;
        let base = self.unit_factors()?;
        let text = self.slice(start, self.pos);
        if let Some(shared) = self.units.get(text) {
            // The same text parses to the same factors (an earlier parse that was
            // `bad` would have ended this one).
            self.factors.truncate(base);
            return Some(Arc::clone(shared));
        }
        let u = self.unit_of_factors(start, base);
        let shared = Arc::new(u.relative_to(start as u32));
        self.units.insert(text, Arc::clone(&shared));
        Some(shared)
    }

    /// `unit_target = ${ (number ~ iws*)? ~ unit_expr }` (after `to`), built as
    /// `Builder::scaled_unit`.
    pub(super) fn unit_target(&mut self) -> Option<UnitExpr> {
        let start = self.pos;
        let num = self.number();
        if num.is_some() {
            self.iws();
        }
        let Some(mut u) = self.unit_expr() else {
            self.pos = start;
            return None;
        };
        if let Some((s, e)) = num {
            let v = self.value(s, e);
            u.scale = Some(u.scale.unwrap_or(1.0) * v);
        }
        u.span = self.span(start, self.pos);
        Some(u)
    }

    /// `quantity_or_unit = ${ number ~ (iws* ~ unit_expr)? | unit_expr }` (after
    /// `unit x =`), built as `Builder::scaled_unit`.
    pub(super) fn quantity_or_unit(&mut self) -> Option<UnitExpr> {
        let start = self.pos;
        let mut u = if let Some((s, e)) = self.number() {
            let v = self.value(s, e);
            let before = self.pos;
            self.iws();
            let unit = match self.unit_expr() {
                Some(u) => Some(u),
                None => {
                    self.pos = before;
                    None
                }
            };
            let mut u = unit.unwrap_or(UnitExpr {
                scale: None,
                text: None,
                factors: Vec::new(),
                span: Span::default(),
            });
            u.scale = Some(u.scale.unwrap_or(1.0) * v);
            u
        } else {
            self.unit_expr()?
        };
        u.span = self.span(start, self.pos);
        Some(u)
    }

    // ---- expressions -----------------------------------------------------------

    /// `quantity = ${ ratio ~ iws* ~ unit_expr | number ~ (iws* ~ unit_expr)? }` with
    /// `ratio = ${ number ~ iws* ~ "/" ~ iws* ~ number }`.
    pub(super) fn quantity(&mut self) -> Option<Expr> {
        let start = self.pos;
        let (ns, ne) = self.number()?;
        // The ratio alternative: `44/12 tCO2/tC`.
        self.iws();
        if self.here() == Some(b'/') {
            self.pos += 1;
            self.iws();
            if let Some((ds, de)) = self.number() {
                self.iws();
                if let Some(unit) = self.quantity_unit() {
                    let n = self.value(ns, ne);
                    let d = self.value(ds, de);
                    if d == 0.0 {
                        self.bad = true; // carbon::eval::division_by_zero
                    }
                    let e = Expr {
                        kind: ExprKind::Quantity {
                            value: n / d,
                            unit: Some(unit),
                            precision: 0.0,
                            paren: false,
                        },
                        span: self.span(start, self.pos),
                    };
                    return Some(e);
                }
            }
        }
        // The number alternative, with its unit if one follows on the line.
        self.pos = ne;
        let value = self.value(ns, ne);
        let precision = number_precision(self.slice(ns, ne));
        self.iws();
        let unit = self.quantity_unit();
        if unit.is_none() {
            self.pos = ne;
        }
        let e = Expr {
            kind: ExprKind::Quantity {
                value,
                unit,
                precision,
                paren: false,
            },
            span: self.span(start, self.pos),
        };
        Some(e)
    }

    /// `path = ${ ident ~ ("." ~ ident)* }`, after its first name `first`
    /// (read from `start`).
    pub(super) fn path_after(&mut self, start: usize, first: Ident) -> Expr {
        let mut parts = vec![first];
        while self.here() == Some(b'.') {
            let before = self.pos;
            self.pos += 1;
            match self.ident() {
                Some(id) => parts.push(id),
                None => {
                    self.pos = before;
                    break;
                }
            }
        }
        Expr {
            kind: ExprKind::Path(parts),
            span: self.span(start, self.pos),
        }
    }

    /// `call = { call_name ~ "(" ~ (expr ~ ("," ~ expr)*)? ~ ")" }` with
    /// `call_name = ${ ident ~ &"(" }`, at its `(` after the name `name` (read
    /// from `start`): `None` where the call does not parse.
    pub(super) fn call_after(&mut self, start: usize, name: Ident) -> Option<(Expr, usize)> {
        self.pos += 1;
        self.reset_signs();
        self.open();
        self.skip();
        let mut args = Vec::new();
        let mut keys = Vec::new();
        let mut d = 0;
        if self.here() != Some(b')') {
            loop {
                let key = self.year_key();
                let (a, da) = self.expr()?;
                d = d.max(da);
                if key.is_some() && keys.is_empty() {
                    keys.resize(args.len(), None);
                }
                if !keys.is_empty() || key.is_some() {
                    keys.push(key);
                }
                args.push(a);
                self.skip();
                if self.here() != Some(b',') {
                    break;
                }
                self.pos += 1;
                self.skip();
            }
        }
        if self.here() != Some(b')') {
            return None;
        }
        self.pos += 1;
        self.close();
        let e = Expr {
            kind: ExprKind::Call(Box::new(Call { name, args, keys })),
            span: self.span(start, self.pos),
        };
        Some(self.deeper(e, d + 1))
    }

    /// `year_key = ${ year_digits ~ iws* ~ ":" }` with `year_digits = @{ ASCII_DIGIT+ }`,
    /// if one is here (then read, with the spaces after it): the year and the
    /// span of its digits.
    fn year_key(&mut self) -> Option<(u64, Span)> {
        let b = self.text.as_bytes();
        let start = self.pos;
        let mut end = start;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        let mut colon = end;
        while matches!(b.get(colon), Some(b' ' | b'\t')) {
            colon += 1;
        }
        if end == start || b.get(colon) != Some(&b':') {
            return None;
        }
        let year = crate::syntax::build::year_number(&self.text[start..end]);
        let span = self.span(start, end);
        self.pos = colon + 1;
        self.skip();
        Some((year, span))
    }

    /// `primary = _{ quantity | call | path | paren }` (`call` and `path` start
    /// with the same name, read once) with `paren = { "(" ~ expr ~ ")" }`.
    /// Returns the expression and its depth (as `Builder::primary`).
    pub(super) fn primary(&mut self) -> Option<(Expr, usize)> {
        let start = self.pos;
        if let Some(e) = self.quantity() {
            self.reset_signs();
            return Some((e, 1));
        }
        if let Some(first) = self.ident() {
            // A name directly before `(` is a call (`call` before `path`).
            let r = if self.here() == Some(b'(') {
                self.call_after(start, first)?
            } else {
                (self.path_after(start, first), 1)
            };
            self.reset_signs();
            return Some(r);
        }
        if self.here() != Some(b'(') {
            return None;
        }
        self.pos += 1;
        self.open();
        self.skip();
        let (inner, d) = self.expr()?;
        self.skip();
        if self.here() != Some(b')') {
            return None;
        }
        self.pos += 1;
        self.close();
        let e = Expr::parenthesised(inner, self.span(start, self.pos));
        Some((e, d))
    }

    /// `neg = { "-" | "−" }`: the length of a sign here.
    pub(super) fn sign(&self) -> Option<usize> {
        match self.here()? {
            b'-' => Some(1),
            0xE2 if self.starts("−") => Some("−".len()),
            _ => None,
        }
    }

    /// `infix = _{ add | sub | mul | div | pow }`: the operator here and its length.
    pub(super) fn infix(&self) -> Option<(BinOp, usize)> {
        Some(match self.here()? {
            b'+' => (BinOp::Add, 1),
            b'-' => (BinOp::Sub, 1),
            b'*' => (BinOp::Mul, 1),
            b'/' => (BinOp::Div, 1),
            b'^' => (BinOp::Pow, 1),
            0xE2 if self.starts("−") => (BinOp::Sub, "−".len()),
            0xC3 if self.starts("×") => (BinOp::Mul, "×".len()),
            0xC2 if self.starts("·") => (BinOp::Mul, "·".len()),
            _ => return None,
        })
    }

    /// `expr = { arith ~ (kw_to ~ unit_target)? }`, as `Builder::expr_d`: the
    /// expression and its depth.
    pub(super) fn expr(&mut self) -> Option<(Expr, usize)> {
        if !self.enter() {
            return None;
        }
        let r = self.expr_inner();
        self.leave();
        r
    }

    pub(super) fn expr_inner(&mut self) -> Option<(Expr, usize)> {
        let start = self.pos;
        let (arith, d) = self.arith()?;
        self.skip();
        if !self.kw("to") {
            return Some((arith, d));
        }
        self.pos += 2;
        self.skip();
        let unit = self.unit_target()?;
        let span = span::ending(self.span(start, start), span::convert_end(&unit));
        let e = Expr {
            kind: ExprKind::Convert(Box::new(arith), Arc::new(unit)),
            span,
        };
        Some(self.deeper(e, d + 1))
    }

    /// `arith = { prefix* ~ primary ~ (infix ~ prefix* ~ primary)* }`, flattened
    /// as pest's pairs are, then checked and folded as `Builder::arith` does.
    pub(super) fn arith(&mut self) -> Option<(Expr, usize)> {
        let base = self.items.len();
        loop {
            while let Some(w) = self.sign() {
                let at = self.pos;
                self.pos += w;
                self.sign_seen();
                self.items.push(Item::Neg(self.span(at, at + w)));
                self.skip();
            }
            let (e, d) = self.primary()?;
            self.items.push(Item::Prim(e, d));
            self.skip();
            let Some((op, w)) = self.infix() else {
                break;
            };
            if op == BinOp::Sub {
                self.sign_seen();
            } else {
                self.reset_signs();
            }
            self.pos += w;
            self.items.push(Item::Op(op));
            self.skip();
        }
        // One primary alone: nothing to fold.
        if self.items.len() == base + 1 {
            if let Some(Item::Prim(e, d)) = self.items.pop() {
                return Some((e, d));
            }
        }
        let mut items = std::mem::take(&mut self.items);
        let (e, d) = self.fold(&mut items, base);
        self.items = items;
        Some((e, d))
    }

    /// `Builder::arith` after parsing: the limits on powers and on signs in a row,
    /// then pest's Pratt parser over the items above `base`.
    pub(super) fn fold(&mut self, items: &mut Vec<Item>, base: usize) -> (Expr, usize) {
        let (mut pows, mut run, mut signs) = (0usize, 0usize, 0usize);
        for item in items.get(base..).unwrap_or(&[]) {
            match item {
                Item::Op(BinOp::Pow) => {
                    pows += 1;
                    run = 0;
                }
                Item::Neg(_) => {
                    run += 1;
                    signs = signs.max(run);
                }
                _ => run = 0,
            }
        }
        if pows > MAX_DEPTH || signs > MAX_DEPTH {
            self.bad = true;
            items.truncate(base);
            return (dummy_expr(), 1);
        }
        let mut it = items.drain(base..).peekable();
        let mut pratt = Pratt { bad: false };
        let r = pratt.expr(&mut it, 0);
        if pratt.bad || it.next().is_some() {
            self.bad = true;
        }
        r
    }

    /// `deeper` of the builder: a node deeper than `MAX_DEPTH` is an error.
    pub(super) fn deeper(&mut self, e: Expr, depth: usize) -> (Expr, usize) {
        if depth > MAX_DEPTH {
            self.bad = true;
        }
        (e, depth)
    }
}

/// pest's `PrattParser` (`expr`, `nud`, `led`, `lbp`) with the builder's operator
/// table and its `map_prefix`/`map_infix`, over the items of one `arith`.
struct Pratt {
    bad: bool,
}

type Items<'v> = std::iter::Peekable<std::vec::Drain<'v, Item>>;

impl Pratt {
    fn expr(&mut self, it: &mut Items, rbp: u32) -> (Expr, usize) {
        let mut lhs = self.nud(it);
        while !self.bad && rbp < self.lbp(it) {
            lhs = self.led(it, lhs);
        }
        lhs
    }

    fn nud(&mut self, it: &mut Items) -> (Expr, usize) {
        match it.next() {
            Some(Item::Prim(e, d)) => (e, d),
            Some(Item::Neg(op)) => {
                let (rhs, d) = self.expr(it, PREC_NEG - 1);
                let span = op.to(rhs.span);
                self.deeper(
                    Expr {
                        kind: ExprKind::Neg(Box::new(rhs)),
                        span,
                    },
                    d + 1,
                )
            }
            _ => {
                self.bad = true;
                (dummy_expr(), 1)
            }
        }
    }

    fn lbp(&mut self, it: &mut Items) -> u32 {
        match it.peek() {
            None => 0,
            Some(Item::Op(op)) => prec(*op),
            Some(_) => {
                self.bad = true;
                0
            }
        }
    }

    fn led(&mut self, it: &mut Items, lhs: (Expr, usize)) -> (Expr, usize) {
        let Some(Item::Op(op)) = it.next() else {
            self.bad = true;
            return lhs;
        };
        let p = prec(op);
        let (rhs, dr) = self.expr(it, if op == BinOp::Pow { p - 1 } else { p });
        let (e, d) = Expr::binary(op, lhs, (rhs, dr));
        self.deeper(e, d)
    }

    fn deeper(&mut self, e: Expr, depth: usize) -> (Expr, usize) {
        if depth > MAX_DEPTH {
            self.bad = true;
        }
        (e, depth)
    }
}

fn prec(op: BinOp) -> u32 {
    match op {
        BinOp::Add | BinOp::Sub => PREC_ADD,
        BinOp::Mul | BinOp::Div => PREC_MUL,
        BinOp::Pow => PREC_POW,
    }
}
