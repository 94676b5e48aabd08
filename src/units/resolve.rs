//! Written units to scale, dimension and display: a spelling read with its
//! prefix and power (`kWh`, `hm2`), and whole unit expressions, memoised.

use super::{display::group_text, normalize, Atom, AtomId, DUnit, Dim, DimId, Prefixes, Resolved, UnitId, Units};
use crate::diag::Diag;
use crate::number::Rat;
use crate::syntax::ast::{UnitBase, UnitExpr};
use smallvec::smallvec;

pub(super) const METRIC: &[(&str, f64)] = &[
    ("da", 1e1),
    ("Y", 1e24),
    ("Z", 1e21),
    ("E", 1e18),
    ("P", 1e15),
    ("T", 1e12),
    ("G", 1e9),
    ("M", 1e6),
    ("k", 1e3),
    ("h", 1e2),
    ("d", 1e-1),
    ("c", 1e-2),
    ("m", 1e-3),
    ("µ", 1e-6),
    ("μ", 1e-6),
    ("u", 1e-6),
    ("n", 1e-9),
    ("p", 1e-12),
    ("f", 1e-15),
];
pub(super) const LARGE: &[(&str, f64)] = &[("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12)];

/// The memo key of a unit expression made only of atoms, without a scale: each
/// atom as written and its exponent. False (no key) for other expressions.
fn plain_key(e: &UnitExpr, out: &mut String) -> bool {
    out.clear();
    if e.scale.is_some() {
        return false;
    }
    for f in &e.factors {
        let UnitBase::Atom(a) = &f.base else {
            return false;
        };
        out.push_str(a);
        // The exponent as two raw numbers between separators (no `fmt` on this path).
        out.push('\u{0}');
        push_int(out, f.exp.numer());
        out.push('/');
        push_int(out, f.exp.denom());
        out.push('\u{1}');
    }
    true
}

/// Appends `v` in decimal.
fn push_int(out: &mut String, v: i16) {
    if v < 0 {
        out.push('-');
    }
    crate::number::push_uint(out, v.unsigned_abs() as u128);
}

impl Units {
    /// All ways a spelling can be read: (registered stem, prefix factor, exponent).
    pub(super) fn candidates(&self, name: &str) -> Vec<(String, f64, i16)> {
        let mut out = Vec::new();
        let mut push_stem = |stem: &str, exp: i16| {
            if self.units.contains_key(stem) {
                out.push((stem.to_string(), 1.0, exp));
            }
            for (sets, list) in [(Prefixes::Metric, METRIC), (Prefixes::Large, LARGE)] {
                for (p, f) in list {
                    if let Some(rest) = stem.strip_prefix(p) {
                        if let Some(e) = self.units.get(rest) {
                            if e.prefixes == sets || (sets == Prefixes::Large && e.prefixes == Prefixes::Metric) {
                                out.push((rest.to_string(), *f, exp));
                            }
                        }
                    }
                }
            }
        };
        push_stem(name, 1);
        if let Some(last) = name.chars().last() {
            if (last == '2' || last == '3') && name.len() > 1 {
                let stem = &name[..name.len() - 1];
                push_stem(stem, if last == '2' { 2 } else { 3 });
            }
        }
        out
    }

    /// The scale of a unit by its declared name (`a`), without prefixes.
    pub fn scale_of_name(&self, name: &str) -> Option<f64> {
        self.units.get(name).map(|e| e.scale).filter(|s| !s.is_nan())
    }

    /// Scale and dimension of one spelling (`hm2`, `kgCO2`, `MtCO2e`).
    pub fn lookup(&mut self, name: &str) -> Option<(f64, Dim)> {
        let name = normalize(name);
        if let Some(r) = self.lookup_cache.get(&name) {
            return *r;
        }
        let r = self.candidates(&name).into_iter().find_map(|(stem, f, exp)| {
            let e = self.units.get(&stem)?;
            if e.scale.is_nan() {
                return None;
            }
            let s = (f * e.scale).powi(exp as i32);
            Some((s, e.dim.pow(Rat::int(exp))?))
        });
        if !self.keeps_nothing() {
            self.lookup_cache.insert(name, r);
        }
        r
    }

    pub(super) fn intern(&mut self, name: String, scale: f64, dim: Dim) -> AtomId {
        if let Some(&id) = self.atom_ix.get(&name) {
            return id;
        }
        if self.keeps_nothing() {
            return 0;
        }
        let id = self.atoms.len() as AtomId;
        self.atom_ix.insert(name.clone(), id);
        self.atoms.push(Atom { name, scale, dim });
        id
    }

    /// A quantity's unit: its scale, dimension and display, as [`Units::resolve`]
    /// gives them, found by the address of the shared unit after the first time
    /// (without building its key).
    pub fn resolve_shared(&mut self, u: &std::sync::Arc<UnitExpr>) -> Result<(f64, DimId, UnitId), Diag> {
        let at = std::sync::Arc::as_ptr(u) as usize;
        if let Some(&(_, scale, dim, unit)) = self.shared.get(&at) {
            return Ok((scale, dim, unit));
        }
        let missed = self.missed;
        let r = self.resolve(u)?;
        // Kept as `resolve` keeps its own memo: plain units only, and not what a
        // frozen copy computed without keeping.
        let plain = u.scale.is_none() && u.factors.iter().all(|f| matches!(f.base, UnitBase::Atom(_)));
        if plain && !missed && !self.missed {
            self.shared
                .insert(at, (std::sync::Arc::clone(u), r.scale, r.dim_id, r.display_id));
        }
        Ok((r.scale, r.dim_id, r.display_id))
    }

    /// Resolves a written unit expression to its scale, dimension and display.
    pub fn resolve(&mut self, e: &UnitExpr) -> Result<Resolved, Diag> {
        let mut key = std::mem::take(&mut self.key_buf);
        let plain = plain_key(e, &mut key);
        if plain {
            if let Some(r) = self.resolve_cache.get(key.as_str()) {
                let r = r.clone();
                self.key_buf = key;
                return Ok(r);
            }
        }
        let r = self.resolve_uncached(e);
        if plain {
            if let Ok(r) = &r {
                if !self.keeps_nothing() {
                    self.resolve_cache.insert(key.clone(), r.clone());
                }
            }
        }
        self.key_buf = key;
        r
    }

    fn resolve_uncached(&mut self, e: &UnitExpr) -> Result<Resolved, Diag> {
        let mut scale = e.scale.unwrap_or(1.0);
        let mut dim = Dim::ONE;
        let mut display = DUnit::default();
        for f in &e.factors {
            let (s, d, atom) = match &f.base {
                UnitBase::Atom(a) => match self.lookup(a) {
                    Some((s, d)) => {
                        let id = self.intern(normalize(a), s, d);
                        (s, d, id)
                    }
                    None => {
                        let mut diag = Diag::error("carbon::units::unknown", format!("unknown unit `{a}`"))
                            .at(f.span, "not a unit carbon knows");
                        diag = diag.help(self.unknown_unit_help_memo(a, None));
                        return Err(diag);
                    }
                },
                UnitBase::Group(g) => {
                    if g.scale == Some(0.0) && f.exp.is_negative() {
                        return Err(Diag::error("carbon::eval::division_by_zero", "division by zero")
                            .at(f.span, "this is zero")
                            .also(e.span, "is divided by zero")
                            .help("a divisor must not be zero; check the number in the parentheses"));
                    }
                    let r = self.resolve(g)?;
                    let inner = g.text.clone().unwrap_or_else(|| group_text(g));
                    let name = format!("({inner})");
                    let id = self.intern(name, r.scale, r.dim);
                    (r.scale, r.dim, id)
                }
            };
            let too_big = || {
                Diag::error("carbon::units::exponent", "unit exponent out of range")
                    .at(f.span, "this power is too large")
            };
            let ds = d.pow(f.exp).ok_or_else(too_big)?;
            dim = dim.mul(&ds).ok_or_else(too_big)?;
            scale *= s.powf(f.exp.to_f64());
            display.push(atom, f.exp);
        }
        if let Some(s) = e.scale {
            // A bare scale with units, e.g. `10^4 kWh` as a target: fold it into one atom.
            let text = format!("{} {}", crate::number::format(s), self.format_dunit(&display));
            let id = self.intern(text, scale, dim);
            display = DUnit(smallvec![(id, Rat::ONE)]);
        }
        if !scale.is_finite() || scale == 0.0 {
            return Err(Diag::error("carbon::units::scale", "unit scale out of range")
                .at(e.span, "this unit's size cannot be represented")
                .help("check the unit's factor: its size in base units must be above 0 and below about 1e308"));
        }
        let display_id = self.intern_dunit(display.clone());
        let dim_id = self.intern_dim(dim);
        Ok(Resolved {
            scale,
            dim,
            display,
            display_id,
            dim_id,
        })
    }
}
