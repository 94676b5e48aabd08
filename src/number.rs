//! Number formatting and compensated summation. Formatting is for display only;
//! it is deterministic on every machine.

/// Shows a number with up to 10 significant digits, trailing zeros trimmed, and
/// scientific notation only for very large or very small magnitudes.
pub fn format(x: f64) -> String {
    format_sig(x, 10)
}

pub fn format_sig(x: f64, sig: usize) -> String {
    if x == 0.0 {
        return "0".into();
    }
    if !x.is_finite() {
        return if x.is_nan() {
            "NaN".into()
        } else if x > 0.0 {
            "∞".into()
        } else {
            "-∞".into()
        };
    }
    let mag = x.abs().log10().floor() as i32;
    if !(-6..15).contains(&mag) {
        let s = format!("{:.*e}", sig.saturating_sub(1), x);
        // Trim zeros in the mantissa: 1.500000000e20 -> 1.5e20
        if let Some((m, e)) = s.split_once('e') {
            let m = if m.contains('.') {
                m.trim_end_matches('0').trim_end_matches('.')
            } else {
                m
            };
            return format!("{m}e{e}");
        }
        return s;
    }
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
mod tests {
    use super::*;
    #[test]
    fn formats() {
        assert_eq!(format(1529.0704), "1529.0704");
        assert_eq!(format(107.038566), "107.038566");
        assert_eq!(format(13607.16), "13607.16");
        assert_eq!(format(0.1 + 0.2), "0.3");
        assert_eq!(format(1e20), "1e20");
        assert_eq!(format(-0.0), "0");
    }
    #[test]
    fn compensated() {
        let xs = [1e16, 1.0, -1e16];
        assert_eq!(sum(xs), 1.0);
    }
}
