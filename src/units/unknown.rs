//! The help for an unknown unit: did-you-mean among the spellings the unit
//! system accepts, ranked by the kind the field expects.

use super::resolve::{LARGE, METRIC};
use super::{normalize, Dim, Prefixes, Rat, Units, Want};
use crate::suggest;

/// Prefixes from the most to the least commonly written, for ranking suggestions
/// that tie otherwise (`mwh`: `MWh` before `mWh`).
const PREFIX_RANK: &[&str] = &["", "k", "M", "G", "T", "m", "c", "h", "µ", "n"];

impl Units {
    /// Names of all units, for suggestions.
    pub fn unit_names(&self) -> impl Iterator<Item = &str> {
        self.units.keys().map(|s| s.as_str())
    }

    /// Prefixed spellings of the units that take prefixes (`kWh`, `MWh`, `hm`),
    /// for the REPL's completion.
    pub fn prefixed_unit_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, e) in &self.units {
            let list = match e.prefixes {
                Prefixes::None => continue,
                Prefixes::Metric => METRIC,
                Prefixes::Large => LARGE,
            };
            out.extend(list.iter().map(|(p, _)| format!("{p}{name}")));
        }
        out
    }

    /// The `help:` for an unknown unit: did-you-mean, else how to declare it.
    /// `want`: what the field expects (its words, a fitting unit and the test).
    pub fn unknown_unit_help_memo(&mut self, a: &str, want: Option<Want>) -> String {
        let key = (
            a.to_string(),
            want.map_or(String::new(), |w| format!("{} {}", w.0, w.1)),
        );
        if let Some(h) = self.unknown_help_memo(&key) {
            return h;
        }
        let h = self.unknown_unit_help(a, want);
        self.remember_unknown_help(key, h.clone());
        h
    }

    /// A help remembered by [`Self::unknown_unit_help_memo`]: key (spelling, the
    /// expected kind's words and unit).
    pub fn unknown_help_memo(&self, key: &(String, String)) -> Option<String> {
        self.unknown_help.get(key).cloned()
    }

    pub fn remember_unknown_help(&mut self, key: (String, String), help: String) {
        self.unknown_help.insert(key, help);
    }

    /// [`Self::unknown_unit_help_memo`], computed.
    pub fn unknown_unit_help(&self, a: &str, want: Option<Want>) -> String {
        let found = self.suggest_unit(a, want.map(|w| w.2));
        let quoted: Vec<String> = found.iter().map(|s| format!("`{s}`")).collect();
        match (quoted.as_slice(), want) {
            ([one], _) => format!("did you mean {one}? (units can be declared with `unit {a} = …`)"),
            ([first @ .., last], _) => format!(
                "did you mean {} or {last}? (units can be declared with `unit {a} = …`)",
                first.join(", ")
            ),
            ([], Some((words, unit, _))) => {
                format!("this field expects {words}: declare the unit with its size, for example `unit {a} = … {unit}`")
            }
            ([], None) => format!(
                "declare it with its size in units carbon knows: `unit {a} = <number> <unit>` (as `unit bag = 50 kg`)"
            ),
        }
    }

    /// The dimension of a spelling, without memo (for suggestions).
    pub(super) fn peek(&self, name: &str) -> Option<Dim> {
        self.candidates(&normalize(name))
            .into_iter()
            .find_map(|(stem, _, exp)| {
                let e = self.units.get(&stem)?;
                (!e.scale.is_nan()).then(|| e.dim.pow(Rat::int(exp))).flatten()
            })
    }

    /// The units to propose for an unknown spelling: a long name or common
    /// spelling (`hectares` → `ha`), else the closest spellings the unit system
    /// accepts, prefixed and powered ones included (`kwh` → `kWh`, `hm2`). Ranked:
    /// a match ignoring case first, then a unit of the dimension `fits` accepts
    /// (the one the field expects), then the fewest edits ignoring case; among
    /// case variants, the commoner prefix (`mwh` → `MWh`); then the fewest edits
    /// counting case (`hmm2` → `hm2`, `mm2`, not `Mm2`). The best, or those tied for best (at most three; none when more tie,
    /// or nothing is close).
    pub fn suggest_unit(&self, name: &str, fits: Option<&dyn Fn(&Dim) -> bool>) -> Vec<String> {
        let name = normalize(name);
        let ok = |d: &Dim| fits.is_none_or(|f| f(d));
        if let Some(s) = suggest::unit_synonym(&name) {
            if self.peek(s).is_some_and(|d| ok(&d)) {
                return vec![s.to_string()];
            }
        }
        let n = name.chars().count();
        let limit = (n / 3).clamp(1, 3);
        type Rank = (bool, bool, usize, usize, usize);
        let mut best: Option<Rank> = None;
        let mut tied: Vec<String> = Vec::new();
        let mut offer = |key: Rank, spelling: &str| match best {
            Some(k) if key > k => {}
            Some(k) if key == k => {
                if !tied.iter().any(|t| t == spelling) {
                    tied.push(spelling.to_string());
                }
            }
            _ => {
                best = Some(key);
                tied.clear();
                tied.push(spelling.to_string());
            }
        };
        let length = self.base_index("length").map(Dim::base);
        let mut buf = String::new();
        for (stem, e) in &self.units {
            if e.scale.is_nan() {
                continue;
            }
            let prefixes: &[(&str, f64)] = match e.prefixes {
                Prefixes::None => &[],
                Prefixes::Metric => METRIC,
                Prefixes::Large => LARGE,
            };
            let powers: &[i16] = if Some(e.dim) == length { &[1, 2, 3] } else { &[1] };
            for (p, _) in std::iter::once(&("", 1.0)).chain(prefixes.iter()) {
                for &x in powers {
                    buf.clear();
                    buf.push_str(p);
                    buf.push_str(stem);
                    if x > 1 {
                        buf.push_str(if x == 2 { "2" } else { "3" });
                    }
                    if buf.chars().count().abs_diff(n) > limit || buf == name {
                        continue;
                    }
                    let d = suggest::distance(&name, &buf);
                    if d > limit {
                        continue;
                    }
                    let exact = suggest::distance_with(&name, &buf, false);
                    // The prefix ranks case variants only (`mwh`: `MWh`, not `mWh`).
                    let rank = if d == 0 {
                        PREFIX_RANK.iter().position(|r| r == p).unwrap_or(PREFIX_RANK.len())
                    } else {
                        0
                    };
                    let fit = e.dim.pow(Rat::int(x)).is_some_and(|x| ok(&x));
                    offer((d != 0, !fit, d, rank, exact), &buf);
                }
            }
        }
        for (k, v) in suggest::UNIT_SYNONYMS {
            if k.chars().count().abs_diff(n) > limit {
                continue;
            }
            let d = suggest::distance(&name, k);
            if let (true, Some(dim)) = (d <= limit, self.peek(v)) {
                // A misspelt long name (`hectars`): its unit, ranked by the long name.
                let d = d.max(1);
                offer((true, !ok(&dim), d, d, 0), v);
            }
        }
        if tied.len() > 3 {
            tied.clear();
        }
        tied.sort();
        tied
    }
}
