//! "Did you mean" suggestions.

/// Edit distance with adjacent transpositions (optimal string alignment), on
/// characters, ignoring ASCII case: `flod` is one edit from `fold`.
pub fn distance(a: &str, b: &str) -> usize {
    distance_with(a, b, true)
}

/// [`distance`], counting a change of case as an edit unless `ignore_case`.
pub fn distance_with(a: &str, b: &str, ignore_case: bool) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let eq = |x: char, y: char| {
        if ignore_case {
            x.eq_ignore_ascii_case(&y)
        } else {
            x == y
        }
    };
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, x) in d.iter_mut().enumerate().take(w) {
        *x = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(!eq(a[i - 1], b[j - 1]));
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && eq(a[i - 1], b[j - 2]) && eq(a[i - 2], b[j - 1]) {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

/// The closest candidate within a distance that scales with the name's length;
/// `None` when two candidates tie (a guess between them would mislead).
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let limit = (name.chars().count() / 3).clamp(1, 3);
    let mut best: Option<(usize, &str)> = None;
    let mut tie = false;
    for c in candidates {
        if c.len().abs_diff(name.len()) > limit || c == name {
            continue;
        }
        let d = distance(name, c);
        if d > limit {
            continue;
        }
        match best {
            Some((bd, bc)) if d == bd && c != bc => tie = true,
            Some((bd, _)) if d >= bd => {}
            _ => {
                best = Some((d, c));
                tie = false;
            }
        }
    }
    if tie {
        return None;
    }
    best.map(|(_, c)| c.to_string())
}

/// The `help:` for an unknown word: "did you mean `x`?" when one candidate is
/// close, else `otherwise` (typically the list of valid words).
pub fn help<'a>(name: &str, candidates: impl Iterator<Item = &'a str>, otherwise: impl FnOnce() -> String) -> String {
    match closest(name, candidates) {
        Some(s) => format!("did you mean `{s}`?"),
        None => otherwise(),
    }
}

/// Long names and common spellings of units, lowercase, with the unit carbon
/// writes for them (a did-you-mean for `5 hectares`, `3 tonnes`, `kilowatthour`).
/// Only spellings whose target the prelude defines.
pub const UNIT_SYNONYMS: &[(&str, &str)] = &[
    ("hectare", "ha"),
    ("hectares", "ha"),
    ("hectar", "ha"),
    ("hm²", "hm2"),
    ("tonne", "t"),
    ("tonnes", "t"),
    ("ton", "t"),
    ("tons", "t"),
    ("metricton", "t"),
    ("kilotonne", "kt"),
    ("kilotonnes", "kt"),
    ("megatonne", "Mt"),
    ("megatonnes", "Mt"),
    ("gram", "g"),
    ("grams", "g"),
    ("kilogram", "kg"),
    ("kilograms", "kg"),
    ("kilo", "kg"),
    ("kilos", "kg"),
    ("meter", "m"),
    ("meters", "m"),
    ("metre", "m"),
    ("metres", "m"),
    ("kilometer", "km"),
    ("kilometers", "km"),
    ("kilometre", "km"),
    ("kilometres", "km"),
    ("sqm", "m2"),
    ("sqkm", "km2"),
    ("cbm", "m3"),
    ("liter", "L"),
    ("liters", "L"),
    ("litre", "L"),
    ("litres", "L"),
    ("second", "s"),
    ("seconds", "s"),
    ("sec", "s"),
    ("minute", "min"),
    ("minutes", "min"),
    ("hour", "h"),
    ("hours", "h"),
    ("hr", "h"),
    ("day", "d"),
    ("days", "d"),
    ("year", "a"),
    ("years", "a"),
    ("yrs", "a"),
    ("annum", "a"),
    ("months", "month"),
    ("joule", "J"),
    ("joules", "J"),
    ("kilojoule", "kJ"),
    ("megajoule", "MJ"),
    ("gigajoule", "GJ"),
    ("gigajoules", "GJ"),
    ("terajoule", "TJ"),
    ("kilowatthour", "kWh"),
    ("kilowatthours", "kWh"),
    ("kwhr", "kWh"),
    ("megawatthour", "MWh"),
    ("megawatthours", "MWh"),
    ("calorie", "cal"),
    ("calories", "cal"),
    ("percent", "%"),
    ("pct", "%"),
    ("permille", "‰"),
    ("tco2eq", "tCO2e"),
    ("tco2_e", "tCO2e"),
    ("tco2equivalent", "tCO2e"),
    ("co2e", "tCO2e"),
    ("co2", "tCO2"),
    ("ch4", "tCH4"),
    ("n2o", "tN2O"),
    ("tec", "tce"),
    ("tsce", "tce"),
    ("kgsce", "kgce"),
];

/// The unit [`UNIT_SYNONYMS`] gives for a spelling (ignoring case).
pub fn unit_synonym(name: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    UNIT_SYNONYMS.iter().find(|(k, _)| *k == lower).map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn transposition_is_one_edit() {
        assert_eq!(distance("flod", "fold"), 1);
        assert_eq!(closest("flod", ["fold", "factor"].into_iter()), Some("fold".into()));
        assert_eq!(closest("AR7", ["AR4", "AR5", "AR6"].into_iter()), None);
    }
}
