//! The values of tokens, read the same way by both builders.

use crate::number::Rat;

/// The text of a `string_inner` with its escapes resolved: `\n`, `\t`, and `\x`
/// for any other character `x`.
pub(super) fn unescape(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The value of a `number` token; `None` when it does not fit an f64 (the builder
/// reports `carbon::number::overflow`).
pub(super) fn number_value(s: &str) -> Option<f64> {
    let v = if let Some(exp) = s.strip_prefix("10^") {
        let e: i32 = exp.parse().unwrap_or(i32::MAX);
        10f64.powi(e)
    } else {
        s.parse::<f64>().unwrap_or(f64::INFINITY)
    };
    v.is_finite().then_some(v)
}

/// Half a unit in the last written digit: `7.09` → 0.005, `1.5e3` → 50, `12` → 0.5.
pub(super) fn number_precision(s: &str) -> f64 {
    if s.starts_with("10^") {
        return 0.0;
    }
    // Byte scans (the characters sought are ASCII): this runs on every number.
    let (mant, exp) = match s.bytes().position(|c| c == b'e' || c == b'E') {
        Some(i) => (&s[..i], s[i + 1..].parse::<i32>().unwrap_or(0)),
        None => (s, 0),
    };
    let decimals = mant.bytes().position(|c| c == b'.').map_or(0, |p| mant.len() - p - 1) as i32;
    0.5 * 10f64.powi(exp - decimals)
}

pub(super) fn parse_power(s: &str) -> Option<Rat> {
    if let Some(rest) = s.strip_prefix('^') {
        let (num, den) = match rest.split_once('/') {
            Some((n, d)) => (n, d),
            None => (rest, "1"),
        };
        let n: i16 = num.parse().ok()?;
        let d: i16 = den.parse().ok()?;
        return Rat::new(n, d);
    }
    let mut neg = false;
    let mut n: i16 = 0;
    for c in s.chars() {
        let d = match c {
            '⁻' => {
                neg = true;
                continue;
            }
            '¹' => 1,
            '²' => 2,
            '³' => 3,
            '⁴' => 4,
            _ => return None,
        };
        n = n.checked_mul(10)?.checked_add(d)?;
    }
    Rat::new(if neg { -n } else { n }, 1)
}
