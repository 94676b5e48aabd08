//! Dimensions: canonical products of base dimensions with rational exponents,
//! and their algebra.

use crate::number::Rat;
/// How many base dimensions a program may declare.
pub const MAX_BASES: usize = 16;

/// A dimension: the exponent of each base dimension. `Copy`, compared in O(1).
/// Numerators and denominators are kept in two arrays of plain integers, so that
/// equality and hashing work on whole arrays (a dimension is compared and interned
/// once per symbol). Exponents are always reduced, with denominator 1 for zero.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Dim {
    n: [i16; MAX_BASES],
    d: [i16; MAX_BASES],
}

impl Dim {
    pub const ONE: Dim = Dim {
        n: [0; MAX_BASES],
        d: [1; MAX_BASES],
    };

    fn get(&self, i: usize) -> Rat {
        Rat {
            n: self.n[i],
            d: self.d[i],
        }
    }
    fn set(&mut self, i: usize, r: Rat) {
        self.n[i] = r.n;
        self.d[i] = r.d;
    }
    pub fn base(i: usize) -> Dim {
        let mut d = Dim::ONE;
        d.set(i, Rat::ONE);
        d
    }
    pub fn mul(&self, o: &Dim) -> Option<Dim> {
        let mut r = Dim::ONE;
        for i in 0..MAX_BASES {
            r.set(i, self.get(i).plus(o.get(i))?);
        }
        Some(r)
    }
    pub fn div(&self, o: &Dim) -> Option<Dim> {
        self.mul(&o.recip())
    }
    pub fn recip(&self) -> Dim {
        let mut r = *self;
        for e in r.n.iter_mut() {
            *e = e.saturating_neg();
        }
        r
    }
    pub fn pow(&self, p: Rat) -> Option<Dim> {
        let mut r = Dim::ONE;
        for i in 0..MAX_BASES {
            r.set(i, self.get(i).times(p)?);
        }
        Some(r)
    }
    pub fn is_one(&self) -> bool {
        *self == Dim::ONE
    }
    /// This dimension times `base^e` (no products of whole dimensions).
    pub fn times_base(mut self, base: usize, e: Rat) -> Option<Dim> {
        if base >= MAX_BASES {
            return None;
        }
        let x = self.get(base).plus(e)?;
        self.set(base, x);
        Some(self)
    }
    pub fn exp(&self, i: usize) -> Rat {
        self.get(i)
    }
    /// The base of a dimension that is one base to the power 1 (`tCH4`'s
    /// substance), if it is.
    pub fn single_base(&self) -> Option<usize> {
        let mut found = None;
        for i in 0..MAX_BASES {
            if self.n[i] != 0 {
                // n/d is 1 exactly when n = d (reduced, d > 0: both 1).
                if found.is_some() || self.n[i] != self.d[i] {
                    return None;
                }
                found = Some(i);
            }
        }
        found
    }
    /// Non-zero (base, exponent) pairs.
    pub fn factors(&self) -> impl Iterator<Item = (usize, Rat)> + '_ {
        (0..MAX_BASES).filter(|&i| self.n[i] != 0).map(|i| (i, self.get(i)))
    }
}
