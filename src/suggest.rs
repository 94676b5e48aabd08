//! "Did you mean" suggestions.

/// Edit distance with adjacent transpositions (optimal string alignment), on
/// characters, ignoring ASCII case: `flod` is one edit from `fold`.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let eq = |x: char, y: char| x.eq_ignore_ascii_case(&y);
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
