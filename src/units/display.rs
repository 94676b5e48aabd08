//! Display units: their products, scales and text (`tC/hm²`), and dimensions
//! in words for messages.

use super::{normalize, AtomId, DUnit, Dim, Units};
use crate::number::Rat;
use crate::syntax::ast::{UnitBase, UnitExpr};
use std::fmt::Write;

impl Units {
    /// Scale (relative to base units) of a display unit.
    pub fn scale_of(&self, u: &DUnit) -> f64 {
        u.0.iter()
            .map(|(a, e)| self.atoms[*a as usize].scale.powf(e.to_f64()))
            .product()
    }

    pub fn dim_of(&self, u: &DUnit) -> Dim {
        let mut d = Dim::ONE;
        for (a, e) in &u.0 {
            if let Some(x) = self.atoms[*a as usize].dim.pow(*e).and_then(|p| d.mul(&p)) {
                d = x;
            }
        }
        d
    }

    /// Product of two display units, cancelling atoms of equal dimension.
    pub fn dmul(&self, a: &DUnit, b: &DUnit) -> DUnit {
        let mut out = a.clone();
        for &(id, e) in &b.0 {
            out.push(id, e);
        }
        self.simplify(out)
    }

    pub fn ddiv(&self, a: &DUnit, b: &DUnit) -> DUnit {
        let mut out = a.clone();
        for &(id, e) in &b.0 {
            out.push(id, e.negated());
        }
        self.simplify(out)
    }

    pub fn dpow(&self, a: &DUnit, p: Rat) -> DUnit {
        let mut out = DUnit::default();
        for &(id, e) in &a.0 {
            if let Some(x) = e.times(p) {
                out.push(id, x);
            }
        }
        out
    }

    fn simplify(&self, mut u: DUnit) -> DUnit {
        // Cancel pairs of different atoms with the same dimension and opposite signs
        // (kWh against (10^4 kWh), t against kg): the value is kept in base units, so
        // only the display changes.
        let n = u.0.len();
        for i in 0..n {
            for j in 0..n {
                if i == j {
                    continue;
                }
                let (ai, ei) = u.0[i];
                let (aj, ej) = u.0[j];
                if ei.is_zero() || ej.is_zero() || ei.is_negative() == ej.is_negative() {
                    continue;
                }
                if self.atoms[ai as usize].dim == self.atoms[aj as usize].dim && ei == ej.negated() {
                    u.0[i].1 = Rat::ZERO;
                    u.0[j].1 = Rat::ZERO;
                }
            }
        }
        u.0.retain(|(_, e)| !e.is_zero());
        // Dimensionless atoms (%, ‰) only stand alone.
        if u.0.len() > 1 {
            let atoms = &self.atoms;
            u.0.retain(|(a, _)| !atoms[*a as usize].dim.is_one());
        }
        u
    }

    /// A display unit for a dimension, from each base's display unit.
    pub fn dunit_for_dim(&mut self, d: &Dim) -> DUnit {
        if let Some(u) = self.dunit_cache.get(d) {
            return u.clone();
        }
        let u = self.dunit_for_dim_uncached(d);
        if !self.keeps_nothing() {
            self.dunit_cache.insert(*d, u.clone());
        }
        u
    }

    fn dunit_for_dim_uncached(&mut self, d: &Dim) -> DUnit {
        let mut out = DUnit::default();
        let factors: Vec<(usize, Rat)> = d.factors().collect();
        for (i, e) in factors {
            let name = self.bases[i]
                .display
                .clone()
                .unwrap_or_else(|| self.bases[i].name.clone());
            let (s, dd) = self.lookup(&name).unwrap_or((1.0, Dim::base(i)));
            let id = self.intern(name, s, dd);
            out.push(id, e);
        }
        out
    }

    pub fn format_dunit(&self, u: &DUnit) -> String {
        let (num, den) = num_den(
            u.0.iter().map(|&(a, e)| (&*self.atoms[a as usize].name, e)),
            |name, e| format!("{name}^{e}"),
        );
        if num.is_empty() && !den.is_empty() {
            // `a⁻¹`, not `1/a`: after a number, `0.1 1/a` would not read back
            // as a quantity (the REPL writes what-ifs and `:seek` answers so).
            return u
                .0
                .iter()
                .map(|&(a, e)| {
                    let name = &self.atoms[a as usize].name;
                    match (1..=4).find(|&k| e == Rat::int(-k)) {
                        Some(k) => format!("{name}⁻{}", ["", "¹", "²", "³", "⁴"][k as usize]),
                        None => format!("{name}^{e}"),
                    }
                })
                .collect::<Vec<_>>()
                .join("·");
        }
        let mut s = num.join("·");
        for d in den {
            s.push('/');
            s.push_str(&d);
        }
        s
    }

    /// A dimension for messages: `carbon (C)` for one substance, else `C/length²`.
    pub fn describe_dim(&self, d: &Dim) -> String {
        if let Some(r) = self.describe_rate(d) {
            return r;
        }
        let mut f = d.factors();
        if let (Some((i, e)), None) = (f.next(), f.next()) {
            let b = &self.bases[i];
            if e == Rat::ONE && b.description != b.name {
                return format!("{} ({})", b.description, b.name);
            }
            if b.name == "time" && e == Rat::int(-1) {
                return "per time (a frequency)".into();
            }
            if b.name == "length" && e == Rat::int(2) {
                return "area (length²)".into();
            }
            if b.name == "length" && e == Rat::int(3) {
                return "volume (length³)".into();
            }
        }
        self.format_dim(d)
    }

    /// A substance per time: `carbon dioxide per time (CO2/time)`.
    fn describe_rate(&self, d: &Dim) -> Option<String> {
        let t = self.base_index("time")?;
        if d.exp(t) != Rat::int(-1) {
            return None;
        }
        let rest = d.mul(&Dim::base(t))?;
        let mut f = rest.factors();
        if let (Some((i, e)), None) = (f.next(), f.next()) {
            let b = &self.bases[i];
            if e == Rat::ONE && b.description != b.name {
                return Some(format!("{} per time ({}/time)", b.description, b.name));
            }
        }
        None
    }

    /// A dimension in words: `carbon/length²`.
    pub fn format_dim(&self, d: &Dim) -> String {
        if d.is_one() {
            return "dimensionless".into();
        }
        let (num, den) = num_den(d.factors().map(|(i, e)| (&*self.bases[i].name, e)), |name, e| {
            format!("{name}{}", superscript(e))
        });
        let mut s = if num.is_empty() {
            "1".to_string()
        } else {
            num.join("·")
        };
        for d in den {
            s.push('/');
            s.push_str(&d);
        }
        s
    }
}

impl DUnit {
    pub fn push(&mut self, id: AtomId, e: Rat) {
        if let Some(x) = self.0.iter_mut().find(|(a, _)| *a == id) {
            x.1 = x.1.plus(e).unwrap_or(x.1);
        } else {
            self.0.push((id, e));
        }
        self.0.retain(|(_, e)| !e.is_zero());
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

pub(super) fn group_text(g: &UnitExpr) -> String {
    let mut s = String::new();
    if let Some(sc) = g.scale {
        s.push_str(&crate::number::format(sc));
        s.push(' ');
    }
    let mut first = true;
    for f in &g.factors {
        let name = match &f.base {
            UnitBase::Atom(a) => normalize(a),
            UnitBase::Group(inner) => format!("({})", group_text(inner)),
        };
        let e = f.exp;
        if first {
            if e.is_negative() {
                s.push_str("1/");
            }
        } else if e.is_negative() {
            s.push('/');
        } else {
            s.push('·');
        }
        first = false;
        s.push_str(&name);
        let ea = if e.is_negative() { e.negated() } else { e };
        if ea != Rat::ONE {
            let _ = write!(s, "^{ea}");
        }
    }
    s
}

fn superscript(r: Rat) -> String {
    if r.denom() != 1 {
        return format!("^{r}");
    }
    r.numer()
        .to_string()
        .chars()
        .map(|c| match c {
            '-' => '⁻',
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            _ => '⁹',
        })
        .collect()
}

/// The factors above and below the line, each with its exponent's size written
/// by `power` when it is not 1.
fn num_den<'n>(
    factors: impl Iterator<Item = (&'n str, Rat)>,
    power: impl Fn(&str, Rat) -> String,
) -> (Vec<String>, Vec<String>) {
    let (mut num, mut den) = (Vec::new(), Vec::new());
    for (name, e) in factors {
        let (list, e) = if e.is_negative() {
            (&mut den, e.negated())
        } else {
            (&mut num, e)
        };
        list.push(if e == Rat::ONE {
            name.to_string()
        } else {
            power(name, e)
        });
    }
    (num, den)
}

impl Units {
    /// A written unit of a dimension, from each base's display unit (`tC/m2`
    /// for carbon per area): `1` of it is a value of that dimension.
    pub fn unit_expr_for_dim(&mut self, d: &Dim) -> crate::syntax::ast::UnitExpr {
        use crate::syntax::ast::UnitFactor;
        let du = self.dunit_for_dim(d);
        UnitExpr {
            scale: None,
            text: None,
            factors: du
                .0
                .iter()
                .map(|&(a, e)| UnitFactor {
                    base: UnitBase::Atom(self.atoms[a as usize].name.as_str().into()),
                    exp: e,
                    span: crate::source::Span::default(),
                })
                .collect(),
            span: crate::source::Span::default(),
        }
    }
}
