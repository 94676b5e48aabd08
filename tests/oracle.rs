//! An independent oracle for the meaning of expressions (issue 14, point 2).
//!
//! The two parsers agree with each other, so they cannot catch a grammar whose
//! meaning is wrong. This test generates expressions mixing numbers, written
//! fractions, units (with `/`, `*`, powers and scaled unit groups), names,
//! parentheses, unary minus, `^` and `to`, reads each one with its own tiny
//! tokenizer and textbook recursive-descent parser, evaluates it over f64 values
//! and dimension vectors (mass, length, time), and compares value and dimension
//! with the interpreter's. Nothing is shared with the production pipeline except
//! the sizes of the units, read from the prelude's unit table through the public
//! API (`check::Program::units`).
//!
//! The rules the oracle implements (README, "A short tour of the language"): a
//! number and its unit bind tightest (a fraction of two numbers directly before a
//! unit is one number); `^` binds tightest of the operators and associates right;
//! then the sign; then `*` and `/`, left to right; then `+` and `-`; `to` last. A
//! name is never part of a unit.
//!
//! 10,000 expressions in CI; `CARBON_ORACLE_CASES=1000000 cargo test --release
//! --test oracle` for a larger run (`CARBON_ORACLE_SEED` picks another seed).

mod common;
use common::{close, errors, Rng};

use carbon::{analyze, Options};

/// Dimension exponents of mass, length, time, in twelfths.
type Dim = [i32; 3];

const UNITS: &[(&str, Dim)] = &[
    ("t", [12, 0, 0]),
    ("kg", [12, 0, 0]),
    ("g", [12, 0, 0]),
    ("kt", [12, 0, 0]),
    ("a", [0, 0, 12]),
    ("d", [0, 0, 12]),
    ("h", [0, 0, 12]),
    ("m", [0, 12, 0]),
    ("km", [0, 12, 0]),
    ("hm2", [0, 24, 0]),
    ("ha", [0, 24, 0]),
    ("L", [0, 36, 0]),
    ("kWh", [12, 24, -24]),
    ("%", [0, 0, 0]),
];

/// name, its definition in the program, its value in base units (g, m, s), its dimension.
const NAMES: &[(&str, &str, f64, Dim)] = &[
    ("share", "50 %", 0.5, [0, 0, 0]),
    ("kk", "4", 4.0, [0, 0, 0]),
    ("zed", "2", 2.0, [0, 0, 0]),
    ("mx", "8 t", 8e6, [12, 0, 0]),
    ("area", "2 hm2", 2e4, [0, 24, 0]),
];

struct Table {
    /// Size of each unit of `UNITS` in base units, from the library.
    scale: Vec<f64>,
}

impl Table {
    fn new() -> Table {
        let a = analyze("units.carbon", b"let one = 1 assumed \"o\"\n", Options::default());
        let mut units = a.program.expect("the prelude checks").units;
        let scale = UNITS
            .iter()
            .map(|(u, _)| {
                units
                    .lookup(u)
                    .unwrap_or_else(|| panic!("`{u}` is in the unit table"))
                    .0
            })
            .collect();
        Table { scale }
    }
    fn unit(&self, w: &str) -> Option<(f64, Dim)> {
        let i = UNITS.iter().position(|(u, _)| *u == w)?;
        Some((self.scale[i], UNITS[i].1))
    }
}

/// One of the words `xs`.
fn word(r: &mut Rng, xs: &[&'static str]) -> &'static str {
    xs[r.below(xs.len())]
}

fn gen_number(r: &mut Rng) -> String {
    match r.below(4) {
        0 => format!("{}.{}", 1 + r.below(9), r.below(10)),
        _ => format!("{}", 1 + r.below(12)),
    }
}

fn gen_unit(r: &mut Rng) -> String {
    let mut s = String::new();
    for i in 0..1 + r.below(3) {
        if i > 0 {
            s.push_str(word(r, &["/", "*", " / ", " * "]));
        }
        if r.below(8) == 0 {
            s.push_str(word(r, &["(1000 kg)", "(10^4 m)", "(2 a)", "(10^3 t/hm2)"]));
        } else {
            s.push_str(UNITS[r.below(UNITS.len())].0);
            if r.below(5) == 0 {
                s.push_str(word(r, &["^2", "^-1", "^3"]));
            }
        }
    }
    s
}

fn gen(r: &mut Rng, depth: u32) -> String {
    let leaf = depth == 0 || r.below(10) < 3;
    if leaf {
        return match r.below(6) {
            0 | 1 => format!("{} {}", gen_number(r), gen_unit(r)),
            2 => format!("{}/{} {}", 1 + r.below(50), 1 + r.below(12), gen_unit(r)),
            3 => gen_number(r),
            _ => r.pick(NAMES).0.to_string(),
        };
    }
    match r.below(12) {
        0..=2 => format!("{} * {}", gen(r, depth - 1), gen(r, depth - 1)),
        3..=5 => format!("{} / {}", gen(r, depth - 1), gen(r, depth - 1)),
        6 => format!("{} {} {}", gen(r, depth - 1), word(r, &["+", "-"]), gen(r, depth - 1)),
        7 => format!("{} ^ {}", gen(r, depth - 1), word(r, &["2", "3", "-1", "(1/2)", "-2"])),
        8 => format!("-{}", gen(r, depth - 1)),
        9 => format!("({} to {})", gen(r, depth - 1), gen_unit(r)),
        10 => gen_call(r, depth),
        _ => {
            // `(` right after a unit's `/` or `*` followed by a number and a unit
            // word is a unit group (`5 t / (2 a)`): a parenthesised expression that
            // starts with a number starts `1 *` here, so the two never mix.
            let inner = gen(r, depth - 1);
            if inner.starts_with(|c: char| c.is_ascii_digit()) {
                format!("(1 * {inner})")
            } else {
                format!("({inner})")
            }
        }
    }
}

/// `(inner)`, as `gen` writes it (never a unit group).
fn paren(inner: String) -> String {
    if inner.starts_with(|c: char| c.is_ascii_digit()) {
        format!("(1 * {inner})")
    } else {
        format!("({inner})")
    }
}

/// A call of a builtin function; the arguments of `min`, `max` and `clamp` are
/// one expression scaled, so that they mostly share a dimension.
fn gen_call(r: &mut Rng, depth: u32) -> String {
    let f = word(r, &["exp", "ln", "log10", "sqrt", "abs", "min", "max", "clamp"]);
    let base = gen(r, depth - 1);
    let args = match f {
        "min" | "max" | "clamp" => {
            let n = if f == "clamp" { 3 } else { 2 + r.below(2) };
            (0..n)
                .map(|_| match r.below(4) {
                    0 => base.clone(),
                    1 => format!("-{}", paren(base.clone())),
                    _ => format!("{} * {}", gen_number(r), paren(base.clone())),
                })
                .collect::<Vec<_>>()
        }
        _ => vec![base],
    };
    format!("{f}({})", args.join(", "))
}

// ---- the oracle: tokens, textbook parser, evaluator ------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(f64),
    Word(String),
    Op(char),
    /// `^n` written against a unit word (`t^2`).
    Power(i32),
}

fn tokens(s: &str) -> Vec<Tok> {
    let b: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == ' ' {
            i += 1;
        } else if c.is_ascii_digit() {
            let st = i;
            if c == '1' && b.get(i + 1) == Some(&'0') && b.get(i + 2) == Some(&'^') {
                i += 3;
                let st2 = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                let e: i32 = b[st2..i].iter().collect::<String>().parse().unwrap();
                out.push(Tok::Num(10f64.powi(e)));
                continue;
            }
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == '.') {
                i += 1;
            }
            out.push(Tok::Num(b[st..i].iter().collect::<String>().parse().unwrap()));
        } else if c.is_alphabetic() || c == '%' || c == '_' {
            let st = i;
            i += 1;
            while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_') {
                i += 1;
            }
            out.push(Tok::Word(b[st..i].iter().collect()));
            // A power written against a word.
            if b.get(i) == Some(&'^') && b.get(i + 1).is_some_and(|c| *c == '-' || c.is_ascii_digit()) {
                let st = i + 1;
                i += 2;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                out.push(Tok::Power(b[st..i].iter().collect::<String>().parse().unwrap()));
            }
        } else {
            out.push(Tok::Op(c));
            i += 1;
        }
    }
    out
}

#[derive(Clone, Copy, Debug)]
struct Val {
    v: f64,
    d: Dim,
}

struct Parser<'a> {
    t: Vec<Tok>,
    i: usize,
    table: &'a Table,
}

/// A value the oracle computes, or why the expression has none.
type Outcome = Result<Val, String>;

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.t.get(self.i)
    }
    fn peek_at(&self, k: usize) -> Option<&Tok> {
        self.t.get(self.i + k)
    }
    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(&Tok::Op(c)) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn is_unit_word(&self, k: usize) -> bool {
        matches!(self.peek_at(k), Some(Tok::Word(w)) if self.table.unit(w).is_some())
    }
    /// `( number unit )` at offset `k`: a unit group.
    fn is_group(&self, k: usize) -> bool {
        self.peek_at(k) == Some(&Tok::Op('('))
            && matches!(self.peek_at(k + 1), Some(Tok::Num(_)))
            && self.is_unit_word(k + 2)
    }

    fn expr(&mut self) -> Outcome {
        let x = self.add()?;
        if matches!(self.peek(), Some(Tok::Word(w)) if w == "to") {
            self.i += 1;
            let u = self.unit()?;
            if u.d != x.d {
                return Err("`to` a unit of another dimension".into());
            }
        }
        Ok(x)
    }
    fn add(&mut self) -> Outcome {
        let mut x = self.mul()?;
        loop {
            let sign = if self.eat('+') {
                1.0
            } else if self.eat('-') {
                -1.0
            } else {
                return Ok(x);
            };
            let y = self.mul()?;
            if x.d != y.d {
                return Err("adding different dimensions".into());
            }
            x.v += sign * y.v;
        }
    }
    fn mul(&mut self) -> Outcome {
        let mut x = self.unary()?;
        loop {
            let div = if self.eat('*') {
                false
            } else if self.eat('/') {
                true
            } else {
                return Ok(x);
            };
            let y = self.unary()?;
            x = combine(x, y, div)?;
        }
    }
    fn unary(&mut self) -> Outcome {
        if self.eat('-') {
            let x = self.unary()?;
            return Ok(Val { v: -x.v, ..x });
        }
        self.pow()
    }
    fn pow(&mut self) -> Outcome {
        let b = self.atom()?;
        if !self.eat('^') {
            return Ok(b);
        }
        let e = self.unary()?; // right-associative, signed exponent
        if e.d != [0; 3] {
            return Err("dimensioned exponent".into());
        }
        let mut d = [0; 3];
        for (k, x) in b.d.iter().enumerate() {
            let p = *x as f64 * e.v;
            if p.fract() != 0.0 {
                return Err("inexact dimension".into());
            }
            d[k] = p as i32;
        }
        if b.v == 0.0 && e.v < 0.0 {
            return Err("zero to a negative power".into());
        }
        let v = b.v.powf(e.v);
        if !v.is_finite() || (v == 0.0) != (b.v == 0.0) || d.iter().any(|x| x.abs() > 12 * 12) {
            return Err("not finite".into());
        }
        Ok(Val { v, d })
    }
    fn atom(&mut self) -> Outcome {
        match self.peek().cloned() {
            Some(Tok::Num(n)) => {
                self.i += 1;
                let mut n = n;
                // A written fraction of two numbers directly before a unit.
                if self.peek() == Some(&Tok::Op('/'))
                    && matches!(self.peek_at(1), Some(Tok::Num(_)))
                    && (self.is_unit_word(2) || self.is_group(2))
                {
                    let Some(Tok::Num(d)) = self.peek_at(1).cloned() else {
                        unreachable!()
                    };
                    self.i += 2;
                    n /= d;
                }
                if self.is_unit_word(0) || self.is_group(0) {
                    let u = self.unit()?;
                    return Ok(Val { v: n * u.v, d: u.d });
                }
                Ok(Val { v: n, d: [0; 3] })
            }
            Some(Tok::Word(w)) if self.peek_at(1) == Some(&Tok::Op('(')) => {
                self.i += 2;
                let mut args = vec![self.expr()?];
                while self.eat(',') {
                    args.push(self.expr()?);
                }
                if !self.eat(')') {
                    return Err("unbalanced call".into());
                }
                call(&w, &args)
            }
            Some(Tok::Word(w)) => {
                self.i += 1;
                let (_, _, v, d) = NAMES.iter().find(|n| n.0 == w).ok_or(format!("unknown name {w}"))?;
                Ok(Val { v: *v, d: *d })
            }
            Some(Tok::Op('(')) => {
                self.i += 1;
                let x = self.expr()?;
                if !self.eat(')') {
                    return Err("unbalanced".into());
                }
                Ok(x)
            }
            t => Err(format!("unexpected {t:?}")),
        }
    }
    /// A unit: unit words and groups joined by `*` and `/` while a unit follows.
    fn unit(&mut self) -> Outcome {
        let mut x = self.unit_factor()?;
        loop {
            let div = match self.peek() {
                Some(Tok::Op('*')) => false,
                Some(Tok::Op('/')) => true,
                _ => return Ok(x),
            };
            if !(self.is_unit_word(1) || self.is_group(1)) {
                return Ok(x);
            }
            self.i += 1;
            let y = self.unit_factor()?;
            x = combine(x, y, div)?;
        }
    }
    fn unit_factor(&mut self) -> Outcome {
        let mut x = if self.eat('(') {
            let Some(Tok::Num(n)) = self.peek().cloned() else {
                return Err("group".into());
            };
            self.i += 1;
            let u = self.unit()?;
            if !self.eat(')') {
                return Err("unbalanced group".into());
            }
            Val { v: n * u.v, d: u.d }
        } else {
            let Some(Tok::Word(w)) = self.peek().cloned() else {
                return Err("unit".into());
            };
            self.i += 1;
            let (s, d) = self.table.unit(&w).ok_or("not a unit")?;
            Val { v: s, d }
        };
        if let Some(Tok::Power(p)) = self.peek().cloned() {
            self.i += 1;
            x = Val {
                v: x.v.powi(p),
                d: x.d.map(|e| e * p),
            };
        }
        Ok(x)
    }
}

/// A builtin function by the README's rules ("Functions"): exp, ln and log10 of
/// plain numbers, sqrt halving even exponents, min, max and clamp of one
/// dimension, values outside a function's domain refused.
fn call(f: &str, args: &[Val]) -> Outcome {
    let x = args[0];
    let plain = |v: f64| {
        if x.d != [0; 3] {
            return Err("a function of a dimensioned argument".to_string());
        }
        Ok(Val { v, d: [0; 3] })
    };
    let same = || args.iter().all(|a| a.d == x.d);
    let r = match (f, args.len()) {
        ("exp", 1) => plain(x.v.exp())?,
        ("ln" | "log10", 1) if x.v <= 0.0 => return Err("log of a value not above zero".into()),
        ("ln", 1) => plain(x.v.ln())?,
        ("log10", 1) => plain(x.v.log10())?,
        ("sqrt", 1) if x.v < 0.0 => return Err("sqrt of a negative value".into()),
        ("sqrt", 1) if x.d.iter().any(|e| e % 24 != 0) => return Err("an odd exponent".into()),
        ("sqrt", 1) => Val {
            v: x.v.sqrt(),
            d: x.d.map(|e| e / 2),
        },
        ("abs", 1) => Val { v: x.v.abs(), d: x.d },
        ("min" | "max" | "clamp", _) if !same() => return Err("arguments of different dimensions".into()),
        ("min", n) if n >= 2 => Val {
            v: args.iter().map(|a| a.v).fold(f64::INFINITY, f64::min),
            d: x.d,
        },
        ("max", n) if n >= 2 => Val {
            v: args.iter().map(|a| a.v).fold(f64::NEG_INFINITY, f64::max),
            d: x.d,
        },
        ("clamp", 3) if args[1].v > args[2].v => return Err("clamp with lo above hi".into()),
        ("clamp", 3) => Val {
            v: x.v.max(args[1].v).min(args[2].v),
            d: x.d,
        },
        _ => return Err(format!("no function {f} of {} arguments", args.len())),
    };
    if !r.v.is_finite() {
        return Err("not finite".into());
    }
    Ok(r)
}

fn combine(x: Val, y: Val, div: bool) -> Outcome {
    if div {
        if y.v == 0.0 {
            return Err("division by zero".into());
        }
        Ok(Val {
            v: x.v / y.v,
            d: [x.d[0] - y.d[0], x.d[1] - y.d[1], x.d[2] - y.d[2]],
        })
    } else {
        Ok(Val {
            v: x.v * y.v,
            d: [x.d[0] + y.d[0], x.d[1] + y.d[1], x.d[2] + y.d[2]],
        })
    }
}

fn oracle(table: &Table, text: &str) -> Outcome {
    let mut p = Parser {
        t: tokens(text),
        i: 0,
        table,
    };
    let x = p.expr()?;
    if p.i != p.t.len() {
        return Err(format!("trailing {:?}", &p.t[p.i..]));
    }
    if x.d.iter().any(|e| e.abs() > 12 * 12)
        || !x.v.is_finite()
        || x.v.abs() > 1e100
        || (x.v != 0.0 && x.v.abs() < 1e-100)
    {
        return Err("out of the tested range".into());
    }
    Ok(x)
}

/// The unit the production result is converted to, and its size in base units.
fn target(table: &Table, d: Dim) -> (String, f64) {
    if d == [0; 3] {
        return ("%".into(), 0.01);
    }
    let mut parts = Vec::new();
    let mut size = 1.0;
    for (k, atom) in ["t", "m", "a"].iter().enumerate() {
        if d[k] == 0 {
            continue;
        }
        let g = gcd(d[k].abs(), 12);
        let (n, den) = (d[k] / g, 12 / g);
        parts.push(if den == 1 {
            format!("{atom}^{n}")
        } else {
            format!("{atom}^{n}/{den}")
        });
        size *= table.unit(atom).unwrap().0.powf(d[k] as f64 / 12.0);
    }
    (parts.join("*"), size)
}

fn gcd(a: i32, b: i32) -> i32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn program(cases: &[(String, String)]) -> String {
    let mut src = String::new();
    for (n, def, _, _) in NAMES {
        src.push_str(&format!("let {n} = {def} assumed \"o\"\n"));
    }
    for (i, (text, to)) in cases.iter().enumerate() {
        src.push_str(&format!("let v{i} = ({text}) to {to} assumed \"o\"\n"));
    }
    src
}

fn run(cases: usize, seed: u64) {
    let table = Table::new();
    let mut r = Rng(seed | 1);
    let mut batch: Vec<(String, String, f64)> = Vec::new();
    let mut done = 0;
    let mut tried = 0;
    let mut calls = 0;
    while done < cases {
        tried += 1;
        assert!(tried < cases * 50, "the generator makes too few valid expressions");
        let depth = 1 + r.below(4) as u32;
        let text = gen(&mut r, depth);
        let Ok(x) = oracle(&table, &text) else { continue };
        calls += usize::from(
            text.contains(['('])
                && ["exp(", "ln(", "log10(", "sqrt(", "abs(", "min(", "max(", "clamp("]
                    .iter()
                    .any(|f| text.contains(f)),
        );
        let (to, size) = target(&table, x.d);
        batch.push((text, to, x.v / size));
        done += 1;
        if batch.len() == 500 || done == cases {
            check_batch(&batch);
            batch.clear();
        }
    }
    eprintln!("{done} expressions agree with the oracle ({tried} generated, {calls} with calls, seed {seed:#x})");
    assert!(calls * 50 > done, "too few expressions with function calls: {calls}");
}

fn check_batch(batch: &[(String, String, f64)]) {
    let cases: Vec<(String, String)> = batch.iter().map(|(t, u, _)| (t.clone(), u.clone())).collect();
    let src = program(&cases);
    let a = analyze("oracle.carbon", src.as_bytes(), Options::default());
    if a.has_errors() {
        // Find the expression the interpreter refuses.
        for (text, to, want) in batch {
            let one = program(&[(text.clone(), to.clone())]);
            let a = analyze("oracle.carbon", one.as_bytes(), Options::default());
            let errs = errors(&a);
            assert!(errs.is_empty(), "`{text}` (oracle: {want} {to}) is refused: {errs:?}");
        }
        panic!("the batch has errors but no expression alone does");
    }
    for (i, (text, to, want)) in batch.iter().enumerate() {
        let got = a.explain(&format!("v{i}")).expect("a value").value;
        assert!(
            close(got, *want),
            "`{text}`: carbon says {got} {to}, the oracle {want} {to}"
        );
    }
}

#[test]
fn the_oracle_reads_the_audit_list() {
    let table = Table::new();
    let v = |s: &str| oracle(&table, s).unwrap();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs();
    // 100 tCO2 is not in the oracle's table: t stands in for it.
    assert!(close(
        v("100 t / 5 a * share").v,
        1e8 / 5.0 / table.unit("a").unwrap().0 * 0.5
    ));
    assert!(close(
        v("mx / 2 a / kk").v,
        8e6 / 2.0 / table.unit("a").unwrap().0 / 4.0
    ));
    assert!(close(v("44/12 t/kg").v, 44.0 / 12.0 * 1000.0));
    assert!(close(v("- 3 t ^ 2").v, -9e12));
    assert!(close(v("3 t^2").v, 3e12));
    assert!(close(v("2 ^ 3 ^ 2").v, 512.0));
    assert_eq!(v("5 t / area").d, [12, -24, 0]);
    // Functions (README, "Functions").
    assert!(close(v("exp(-0.05 / (1 a) * 10 a)").v, (-0.5f64).exp()));
    assert!(close(v("sqrt(4 hm2)").v, 200.0));
    assert_eq!(v("sqrt(4 hm2)").d, [0, 12, 0]);
    assert!(close(v("min(3 t, 2500 kg)").v, 2.5e6));
    assert!(close(v("5 t * max(2, 3)").v, 1.5e7));
    assert!(close(v("clamp(120 %, 0 %, 100 %)").v, 1.0));
    assert!(close(v("log10(1000)").v, 3.0));
    assert!(oracle(&table, "ln(0)").is_err());
    assert!(oracle(&table, "exp(1 t)").is_err());
    assert!(oracle(&table, "sqrt(2 m)").is_err());
}

#[test]
fn ten_thousand_expressions_agree_with_the_oracle() {
    let cases = std::env::var("CARBON_ORACLE_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let seed = std::env::var("CARBON_ORACLE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_CA4B_0017);
    run(cases, seed);
}
