//! Number formatting and compensated summation. Formatting is for display only;
//! it is deterministic on every machine.

/// Shows a number with up to 10 significant digits, trailing zeros trimmed, and
/// scientific notation only for very large or very small magnitudes.
pub fn format(x: f64) -> String {
    format_sig(x, 10)
}

/// [`format`], appended to `out` (no allocation on the usual path).
pub fn push_format(out: &mut String, x: f64) {
    push_sig(out, x, 10);
}

pub fn format_sig(x: f64, sig: usize) -> String {
    let mut s = String::with_capacity(24);
    push_sig(&mut s, x, sig);
    s
}

/// [`format_sig`], appended to `out`.
pub fn push_sig(out: &mut String, x: f64, sig: usize) {
    if x == 0.0 {
        out.push('0');
        return;
    }
    if !x.is_finite() {
        out.push_str(if x.is_nan() {
            "NaN"
        } else if x > 0.0 {
            "∞"
        } else {
            "-∞"
        });
        return;
    }
    let mag = magnitude(x.abs());
    if !(-6..15).contains(&mag) {
        let s = format!("{:.*e}", sig.saturating_sub(1), x);
        // Trim zeros in the mantissa: 1.500000000e20 -> 1.5e20
        match s.split_once('e') {
            Some((m, e)) => {
                let m = if m.contains('.') {
                    m.trim_end_matches('0').trim_end_matches('.')
                } else {
                    m
                };
                out.push_str(m);
                out.push('e');
                out.push_str(e);
            }
            None => out.push_str(&s),
        }
        return;
    }
    let decimals = (sig as i32 - 1 - mag).max(0) as usize;
    let mut buf = [b'0'; FIXED_MAX];
    match fixed_into(x, decimals, &mut buf) {
        Some(start) => {
            // With decimals the text has a point: trim the zeros after it, and the
            // point if nothing is left after it.
            let mut end = buf.len();
            if decimals > 0 {
                while end > start && buf[end - 1] == b'0' {
                    end -= 1;
                }
                if end > start && buf[end - 1] == b'.' {
                    end -= 1;
                }
            }
            let s = &buf[start..end];
            if s == b"-0" {
                out.push('0');
            } else {
                out.push_str(std::str::from_utf8(s).unwrap_or_default());
            }
        }
        None => {
            use std::fmt::Write as _;
            let start = out.len();
            let _ = write!(out, "{:.*}", decimals, x);
            if out[start..].contains('.') {
                let kept = out[start..].trim_end_matches('0').trim_end_matches('.').len();
                out.truncate(start + kept);
            }
            if &out[start..] == "-0" {
                out.truncate(start);
                out.push('0');
            }
        }
    }
}

/// `a.log10().floor()` for a finite `a > 0`, without the logarithm unless `a` is
/// within a relative 10^-12 of a power of ten (or outside 10^-7..10^16). Elsewhere
/// the two agree: log10(a) is then at least 4·10^-14 from an integer, far more
/// than the logarithm's error.
fn magnitude(a: f64) -> i32 {
    /// 10^-7 to 10^16.
    const P: [f64; 24] = [
        1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
        1e13, 1e14, 1e15, 1e16,
    ];
    const NEAR: f64 = 1e-12;
    if !(P[0]..P[P.len() - 1]).contains(&a) {
        return a.log10().floor() as i32;
    }
    // P[k] <= a < P[k + 1], with 1 <= k + 1 <= 23.
    let k = P.partition_point(|&p| p <= a).saturating_sub(1);
    if a < P[k] * (1.0 + NEAR) || a > P[k + 1] * (1.0 - NEAR) {
        return a.log10().floor() as i32;
    }
    k as i32 - 7
}

/// 10^0 to 10^17.
const POW10: [u64; 18] = {
    let mut t = [1u64; 18];
    let mut i = 1;
    while i < 18 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// "00" to "99".
const DIGIT_PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// Room for what [`fixed_into`] writes: a sign, 39 digits, a point and 17 decimals.
const FIXED_MAX: usize = 64;

/// Appends `format!("{:.*}", decimals, x)` for a finite `x`, computed exactly in
/// integers (x = m·2^e, rounded to `decimals` places, ties to even, as the standard
/// formatter does), and returns true; returns false, appending nothing, outside the
/// range where that fits in 128 bits (then the caller uses the standard formatter).
/// Cheaper than `fmt` for the values an explanation prints (no formatter
/// machinery, and 64-bit division where the digits fit).
pub fn fixed(x: f64, decimals: usize, out: &mut String) -> bool {
    let mut buf = [b'0'; FIXED_MAX];
    match fixed_into(x, decimals, &mut buf) {
        Some(start) => {
            out.push_str(std::str::from_utf8(&buf[start..]).unwrap_or_default());
            true
        }
        None => false,
    }
}

/// [`fixed`], written at the end of `buf`; returns where it starts.
fn fixed_into(x: f64, decimals: usize, buf: &mut [u8; FIXED_MAX]) -> Option<usize> {
    if !x.is_finite() || decimals > 17 {
        return None;
    }
    let bits = x.to_bits();
    let negative = bits >> 63 != 0;
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    let (m, e) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1u64 << 52), biased - 1075)
    };
    let p10 = POW10[decimals] as u128;
    // q = x·10^decimals, rounded to an integer.
    let q: u128 = if e >= 0 {
        if e > 64 {
            return None;
        }
        ((m as u128) << e).checked_mul(p10)?
    } else {
        let shift = (-e) as u32;
        if shift > 126 {
            return None;
        }
        // m < 2^53 and 10^17 < 2^57: the product fits.
        let n = (m as u128) * p10;
        let q = n >> shift;
        let rest = n & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        if rest > half || (rest == half && q & 1 == 1) {
            q + 1
        } else {
            q
        }
    };
    // Written right to left: the fraction's digits, the point, the integer's
    // digits and the sign.
    let mut i = buf.len();
    // Digits in 64-bit arithmetic where they fit (128-bit division is a slow call).
    let (int, frac) = match u64::try_from(q) {
        Ok(q) => {
            let p = p10 as u64; // 10^17 < 2^64
            ((q / p) as u128, q % p)
        }
        Err(_) => (q / p10, (q % p10) as u64),
    };
    if decimals > 0 {
        let mut f = frac;
        let mut left = decimals;
        while left >= 2 {
            let r = (f % 100) as usize;
            f /= 100;
            i -= 2;
            buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[2 * r..2 * r + 2]);
            left -= 2;
        }
        if left == 1 {
            i -= 1;
            buf[i] = b'0' + (f % 10) as u8;
        }
        i -= 1;
        buf[i] = b'.';
    }
    i = uint_digits(&mut buf[..i], int);
    if negative {
        i -= 1;
        buf[i] = b'-';
    }
    Some(i)
}

/// Writes `v` in decimal at the end of `buf` and returns where it starts. `buf`
/// must have room for the digits (39 for any `u128`).
fn uint_digits(buf: &mut [u8], mut v: u128) -> usize {
    let mut i = buf.len();
    // 128-bit division is a slow call: divide in 64 bits as soon as the value fits.
    while v > u64::MAX as u128 {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    let mut w = v as u64;
    while w >= 100 {
        let r = (w % 100) as usize;
        w /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[2 * r..2 * r + 2]);
    }
    if w >= 10 {
        let r = w as usize;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[2 * r..2 * r + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + w as u8;
    }
    i
}

/// Appends `v` in decimal (the one digit writer of the crate).
pub(crate) fn push_uint(out: &mut String, v: u128) {
    let mut digits = [0u8; 39];
    let i = uint_digits(&mut digits, v);
    // A few digits: a push each is cheaper than validating them as UTF-8.
    out.reserve(digits.len() - i);
    for &d in &digits[i..] {
        out.push(char::from(d));
    }
}

/// Full precision (shortest round-trip representation).
pub fn format_full(x: f64) -> String {
    format!("{x:?}")
}

/// Neumaier's compensated summation.
#[derive(Copy, Clone, Debug, Default)]
pub struct Sum {
    sum: f64,
    c: f64,
}

impl Sum {
    pub fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.c += (self.sum - t) + x;
        } else {
            self.c += (x - t) + self.sum;
        }
        self.sum = t;
    }
    pub fn value(&self) -> f64 {
        self.sum + self.c
    }
}

pub fn sum(xs: impl IntoIterator<Item = f64>) -> f64 {
    let mut s = Sum::default();
    for x in xs {
        s.add(x);
    }
    s.value()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A deterministic pseudo-random sequence (xorshift64) for the tests that
    /// compare formatters on many values.
    pub(crate) fn xorshift(seed: u64) -> impl FnMut() -> u64 {
        let mut state = seed;
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        }
    }
    #[test]
    fn formats() {
        assert_eq!(format(1529.0704), "1529.0704");
        assert_eq!(format(107.038566), "107.038566");
        assert_eq!(format(13607.16), "13607.16");
        assert_eq!(format(0.1 + 0.2), "0.3");
        assert_eq!(format(1e20), "1e20");
        assert_eq!(format(-0.0), "0");
    }
    /// `fixed` is the standard formatter, digit for digit: random bit patterns over
    /// the whole range, every precision it takes, exact ties, and negative values
    /// that round to zero.
    #[test]
    fn fixed_matches_the_standard_formatter() {
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15u64);
        let mut compared = 0usize;
        let mut check = |x: f64, d: usize| {
            let mut s = String::new();
            if fixed(x, d, &mut s) {
                assert_eq!(
                    s,
                    format!("{:.*}", d, x),
                    "x = {x:e} ({:#x}), {d} decimals",
                    x.to_bits()
                );
                compared += 1;
            }
        };
        for _ in 0..100_000 {
            let bits = next();
            let x = f64::from_bits(bits);
            check(x, (next() % 18) as usize);
            // Values of the size an inventory has, with few and many digits.
            let y = (next() % 10_000_000_000) as f64 / 10f64.powi((next() % 12) as i32);
            check(y, (next() % 16) as usize);
            check(-y, (next() % 16) as usize);
        }
        for (x, d) in [
            (0.5, 0),
            (1.5, 0),
            (2.5, 0),
            (0.125, 2),
            (0.375, 2),
            (-0.001, 2),
            (-0.5, 0),
            (1e15, 3),
            (123456789.125, 2),
            (0.0, 3),
            (-0.0, 1),
            (f64::MIN_POSITIVE, 17),
            (9007199254740993.0, 1),
        ] {
            check(x, d);
        }
        // The inventory-sized values and the fixed list all take the integer path.
        assert!(compared >= 200_000, "only {compared} values compared");
        let mut s = String::new();
        assert!(fixed(1529.0704, 6, &mut s));
        assert_eq!(s, "1529.070400");
    }
    /// `format_sig` as it was written with the standard formatter alone.
    fn format_sig_reference(x: f64, sig: usize) -> String {
        let mag = x.abs().log10().floor() as i32;
        let decimals = (sig as i32 - 1 - mag).max(0) as usize;
        let s = format!("{:.*}", decimals, x);
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        };
        if s == "-0" {
            "0".into()
        } else {
            s
        }
    }

    #[test]
    fn format_sig_is_unchanged_by_the_integer_path() {
        let mut next = xorshift(0x2545_F491_4F6C_DD1Du64);
        for _ in 0..100_000 {
            let x = (next() % 1_000_000_000_000_000) as f64 / 10f64.powi((next() % 21) as i32);
            let x = if next().is_multiple_of(2) { x } else { -x };
            let sig = (next() % 15 + 1) as usize;
            let mag = x.abs().log10().floor() as i32;
            if x == 0.0 || !(-6..15).contains(&mag) {
                continue;
            }
            assert_eq!(
                format_sig(x, sig),
                format_sig_reference(x, sig),
                "x = {x:e}, {sig} digits"
            );
        }
    }
    /// `magnitude` is `log10().floor()`: random values, and values a few ulps and a
    /// relative 10^-12 around each power of ten.
    #[test]
    fn magnitude_is_the_floor_of_log10() {
        let check = |a: f64| {
            if a > 0.0 && a.is_finite() {
                assert_eq!(magnitude(a), a.log10().floor() as i32, "a = {a:e} ({:#x})", a.to_bits());
            }
        };
        let mut next = xorshift(0x2545_F491_4F6C_DD1Du64);
        for _ in 0..200_000 {
            check(f64::from_bits(next() >> 1));
            check((next() % 10_000_000_000) as f64 / 10f64.powi((next() % 20) as i32));
        }
        for k in -9..18 {
            let p: f64 = format!("1e{k}").parse().unwrap_or(1.0);
            let mut up = p;
            let mut down = p;
            for _ in 0..64 {
                check(up);
                check(down);
                up = f64::from_bits(up.to_bits() + 1);
                down = f64::from_bits(down.to_bits() - 1);
            }
            for f in [1e-12, 1.0001e-12, 0.9999e-12, 2e-12, 1e-11, 1e-9] {
                check(p * (1.0 + f));
                check(p * (1.0 - f));
            }
        }
    }

    #[test]
    fn compensated() {
        let xs = [1e16, 1.0, -1e16];
        assert_eq!(sum(xs), 1.0);
    }
}

/// A small rational number (exponents of dimensions). Always reduced, `d > 0`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rat {
    pub(crate) n: i16,
    pub(crate) d: i16,
}

fn gcd(a: i32, b: i32) -> i32 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Rat {
    pub const ZERO: Rat = Rat { n: 0, d: 1 };
    pub const ONE: Rat = Rat { n: 1, d: 1 };

    pub fn new(n: i16, d: i16) -> Option<Rat> {
        Rat::from_i32(n as i32, d as i32)
    }
    fn from_i32(n: i32, d: i32) -> Option<Rat> {
        if d == 0 {
            return None;
        }
        let g = gcd(n, d).max(1);
        let (mut n, mut d) = (n / g, d / g);
        if d < 0 {
            n = -n;
            d = -d;
        }
        Some(Rat {
            n: i16::try_from(n).ok()?,
            d: i16::try_from(d).ok()?,
        })
    }
    pub fn int(n: i16) -> Rat {
        Rat { n, d: 1 }
    }
    pub fn negated(self) -> Rat {
        Rat {
            n: self.n.saturating_neg(),
            d: self.d,
        }
    }
    pub fn plus(self, o: Rat) -> Option<Rat> {
        // Fast paths: almost every exponent is an integer, most are zero.
        if o.n == 0 {
            return Some(self);
        }
        if self.n == 0 {
            return Some(o);
        }
        if self.d == 1 && o.d == 1 {
            return Some(Rat::int(self.n.checked_add(o.n)?));
        }
        Rat::from_i32(
            self.n as i32 * o.d as i32 + o.n as i32 * self.d as i32,
            self.d as i32 * o.d as i32,
        )
    }
    pub fn times(self, o: Rat) -> Option<Rat> {
        if self.n == 0 || o.n == 0 {
            return Some(Rat::ZERO);
        }
        if self.d == 1 && o.d == 1 {
            return Some(Rat::int(self.n.checked_mul(o.n)?));
        }
        Rat::from_i32(self.n as i32 * o.n as i32, self.d as i32 * o.d as i32)
    }
    pub fn is_zero(self) -> bool {
        self.n == 0
    }
    pub fn is_negative(self) -> bool {
        self.n < 0
    }
    pub fn to_f64(self) -> f64 {
        self.n as f64 / self.d as f64
    }
    pub fn numer(self) -> i16 {
        self.n
    }
    pub fn denom(self) -> i16 {
        self.d
    }
    /// The exact rational value of a float, if it is a small fraction.
    /// `x` as a fraction with a denominator up to 12, when it is one up to
    /// rounding (a few units in the last place of `x`, so that `1/3` computed in
    /// floating point is 1/3); `None` otherwise. A tiny `x` (`1e-300`,
    /// `1/1000000007`) is not 0: only 0 is.
    pub fn from_f64(x: f64) -> Option<Rat> {
        for d in 1..=12i32 {
            let n = (x * d as f64).round();
            if n.abs() < 30000.0 {
                let r = n / d as f64;
                if (r - x).abs() <= 4.0 * f64::EPSILON * x.abs() {
                    return Rat::from_i32(n as i32, d);
                }
            }
        }
        None
    }
}

impl std::fmt::Display for Rat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.d == 1 {
            write!(f, "{}", self.n)
        } else {
            write!(f, "{}/{}", self.n, self.d)
        }
    }
}
