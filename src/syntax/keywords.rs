//! The words of the language, in one place. `grammar/carbon.pest` defines the
//! keywords and `build.rs` derives `KEYWORDS`, `DECLARATIONS` and `CONTEXTUAL` from it;
//! `tests/keywords.rs` reads the grammar and fails when these lists, the fuzz
//! dictionary (`fuzz/dict.sh`) or REPL completion disagree with it.
//!
//! Used by the fast parser (a keyword is not a name or a unit), the syntax
//! errors' hints and help (`… is a keyword of the language`), REPL completion and
//! the name resolver (the balance's own names, below).

// KEYWORDS, DECLARATIONS and CONTEXTUAL, derived from the grammar by build.rs.
include!(concat!(env!("OUT_DIR"), "/keywords.rs"));

/// Names of the balance itself: names to the grammar, but no declaration may
/// take them (`carbon::names::reserved`).
pub const BALANCE_NAMES: &[&str] = &[
    "above",
    "under",
    "sinks",
    "sold",
    "purchased",
    "emissions",
    "net",
    "period",
];

/// For each first byte, the keywords that begin with it (bit `i`: `KEYWORDS[i]`).
static BY_FIRST_BYTE: [u32; 256] = {
    assert!(KEYWORDS.len() <= 32, "one bit per keyword in a u32");
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < KEYWORDS.len() {
        t[KEYWORDS[i].as_bytes()[0] as usize] |= 1 << i;
        i += 1;
    }
    t
};

/// Whether the whole of `w` is a keyword. On the path of every name and unit
/// atom: the first byte picks the few keywords to compare.
#[inline]
pub fn is_keyword(w: &str) -> bool {
    let b = w.as_bytes();
    let Some(&first) = b.first() else {
        return false;
    };
    let mut m = BY_FIRST_BYTE[first as usize];
    while m != 0 {
        if KEYWORDS[m.trailing_zeros() as usize].as_bytes() == b {
            return true;
        }
        m &= m - 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_are_keywords_and_no_word_is_two_things() {
        assert!(DECLARATIONS.iter().all(|d| is_keyword(d)));
        for w in CONTEXTUAL.iter().chain(BALANCE_NAMES) {
            assert!(!is_keyword(w), "{w}");
        }
        for k in KEYWORDS {
            assert!(is_keyword(k));
            assert!(!is_keyword(&k[1..]) && !is_keyword(&format!("{k}x")), "{k}");
        }
        assert!(!is_keyword(""));
    }
}
