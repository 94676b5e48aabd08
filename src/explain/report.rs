//! The balance report as a borrowed view: the header, the groups and the terms
//! table, with each term's derivation computed only while it is written.

use super::*;
use serde::Serialize;

/// Whether the site is carbon neutral (`net ≤ 0`), and what that rests on.
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    pub value: bool,
    /// Set when flagged modelling choices decide the sign: without them the
    /// verdict would be the opposite. `null` when the verdict stands without them.
    pub depends_on: Option<DependsOn>,
}

/// The flagged choices a verdict depends on.
#[derive(Clone, Debug, Serialize)]
pub struct DependsOn {
    /// The flag's code (`stock_as_removal`).
    pub flag: &'static str,
    /// The flagged terms.
    pub terms: Vec<String>,
    /// Their sum, in the unit of the removals.
    pub removals: Quantity,
    /// Their share of the removals (a fraction).
    pub share_of_removals: f64,
    /// The balance without them, in the unit of the balance.
    pub net_without: Quantity,
}

#[derive(Clone, Debug, Serialize)]
pub struct Quantity {
    pub value: f64,
    pub unit: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct PartReport {
    pub name: String,
    pub symbol: String,
    pub value: f64,
    pub unit: String,
}

/// The emissions and removals of one scope or one gas (see [`Report::by_scope`]).
/// Removals are positive, as `removals` of the balance, and subtracted: `net` is
/// `emissions − removals`.
#[derive(Clone, Debug, Serialize)]
pub struct Subtotal<K> {
    /// The scope (1, 2 or 3), or the gas (`CO2`, `CH4`, `N2O`, `CO2e`, `mixed`).
    #[serde(flatten)]
    pub key: K,
    pub emissions: Quantity,
    pub removals: Quantity,
    pub net: Quantity,
}

/// The key of a [`Subtotal`] by scope.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ScopeKey {
    pub scope: u8,
}

/// The key of a [`Subtotal`] by gas.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct GasKey<'a> {
    pub gas: &'a str,
}

/// A modelling choice flagged on a term of a [`Report`] (a stock reported as the
/// period's removal, the one choice a report flags), borrowed from the analysis:
/// its message is written where it is shown (a large inventory flags many terms,
/// each with a sentence of its own). Serialised as `{term, message, value, unit}`.
#[derive(Clone, Debug)]
pub struct FlagRef<'a> {
    pub term: &'a str,
    /// The declaration's note, which the message ends with.
    pub note: Option<&'a str>,
    pub value: f64,
    pub unit: Arc<str>,
}

impl FlagRef<'_> {
    /// Appends the message to `out`.
    pub fn push_message(&self, out: &mut String) {
        StockFlag(self.note).push_to(out);
    }
}

/// The balance report, borrowed from the analysis: the header, the balance, the
/// groups, the terms table, the flags, expectations and notation keys. Each term's
/// derivation is not kept: it is computed from `explainer` while it is written
/// (`crate::render::text_to`, `crate::render::json_to`, on two threads in batches)
/// and dropped after, so the report of a million terms fits in memory.
#[derive(Clone)]
pub struct Report<'a> {
    pub explainer: Explainer<'a>,
    pub inventory: &'a str,
    pub site: Option<&'a str>,
    pub period: Quantity,
    pub gwp: &'a str,
    pub balance: Quantity,
    pub neutral: Verdict,
    pub emissions: Quantity,
    pub removals: Quantity,
    pub groups: Vec<GroupReport<'a>>,
    /// The emission and removal terms (C_above, C_under, C_min) summed by their
    /// scope, in the order 1, 2, 3: rates, in the unit of `emissions`. Only terms
    /// with a figure count (not a notation key); offsets have no scope.
    pub by_scope: Vec<Subtotal<ScopeKey>>,
    /// The same terms summed by their gas ([`crate::check::Program::gas`]), in
    /// the order of the gases' dimensions (CO2, CH4, N2O, CO2e), `mixed` last.
    pub by_gas: Vec<Subtotal<GasKey<'a>>>,
    pub terms: Vec<TermRow<'a>>,
    pub flags: Vec<FlagRef<'a>>,
    /// Published figures checked (filled in from the audit).
    pub expectations: &'a [crate::audit::ExpectResult],
    /// Warnings silenced on their declarations, with the reasons.
    pub allowed: &'a [crate::audit::Allowed],
    /// Terms written with a notation key (NE, NO, IE, NA) instead of a figure.
    pub notation_keys: Vec<NotationReport>,
    pub completeness: Completeness,
    /// Of an inventory over years: the year of this report, and every year's
    /// results (filled in from the analysis).
    pub year: Option<i64>,
    pub years: Option<&'a crate::years::Years>,
}

/// A group of the balance (`above`, `sinks`…): its total and its terms' names.
#[derive(Clone, Debug, Serialize)]
pub struct GroupReport<'a> {
    pub name: &'static str,
    pub title: &'static str,
    pub value: f64,
    pub unit: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartReport>,
    pub terms: Vec<&'a str>,
}

/// One term of the balance, without its derivation: a row of the terms table.
#[derive(Clone, Debug)]
pub struct TermRow<'a> {
    pub id: SymId,
    pub name: &'a str,
    pub kind: Option<&'static str>,
    pub group: Option<&'static str>,
    pub value: f64,
    pub unit: Arc<str>,
    /// Share of its group — a fraction.
    pub share: Option<f64>,
    /// Share of total emissions (emission terms) or of total removals (sinks).
    pub share_of_total: Option<f64>,
    /// The notation key written instead of a figure, if any (`NE`).
    pub key: Option<&'static str>,
}

/// A term written with a notation key instead of a figure.
#[derive(Clone, Debug, Serialize)]
pub struct NotationReport {
    pub term: String,
    /// The field that holds the key (`residential.amount`).
    pub field: String,
    pub key: &'static str,
    pub meaning: &'static str,
    pub reason: String,
}

/// How many of the balance's terms have a figure, and how many a notation key.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Completeness {
    pub terms: usize,
    pub estimated: usize,
    /// NE
    pub not_estimated: usize,
    /// NO
    pub not_occurring: usize,
    /// IE
    pub included_elsewhere: usize,
    /// NA
    pub not_applicable: usize,
}

impl<'a> Explainer<'a> {
    /// The shares of a term: of its group, and of total emissions or removals.
    /// `None` unless `id` is a term of the balance with a value.
    pub fn term_shares(&self, id: SymId) -> Option<(Option<f64>, Option<f64>)> {
        let res = &self.p.res;
        // The same conditions as for the balance ([`Self::report`]).
        let h = res.header.as_ref()?;
        let g = res.groups.as_ref()?;
        h.period?;
        self.vals.get(g.net)?;
        g.groups.iter().find(|(x, _)| *x == Group::Sinks)?;
        let d = res
            .decls
            .iter()
            .find(|d| d.term == Some(id) && d.kind != Kind::Inventory)?;
        let grp = d.group?;
        let &(_, gid) = g.groups.iter().find(|(x, _)| *x == grp)?;
        let tv = self.vals.get(id)?;
        Some(self.shares(g, grp, gid, tv))
    }

    fn shares(&self, g: &GroupSyms, grp: Group, gid: SymId, tv: f64) -> (Option<f64>, Option<f64>) {
        let gv = self.vals.get(gid).unwrap_or(0.0);
        let emissions = self.vals.get(g.emissions).unwrap_or(0.0);
        let removals = g
            .groups
            .iter()
            .find(|(x, _)| *x == Group::Sinks)
            .and_then(|(_, id)| self.vals.get(*id))
            .unwrap_or(0.0);
        let share = (gv != 0.0).then(|| tv / gv);
        let of_total = match grp {
            Group::Above | Group::Under => (emissions != 0.0).then(|| tv / emissions),
            Group::Sinks => (removals != 0.0).then(|| tv / removals),
            _ => None,
        };
        (share, of_total)
    }

    /// The balance report (its derivations computed while they are written).
    pub fn report(&self) -> Option<Report<'a>> {
        let p = self.p;
        let res = &p.res;
        let h = res.header.as_ref()?;
        let g = res.groups.as_ref()?;
        let period_id = h.period?;
        let (pv, pu) = self.value_in_unit(period_id);
        let net_id = g.net;
        let net = self.vals.get(net_id)?;
        let (bv, bu) = self.value_in_unit(net_id);
        let (ev, eu) = self.value_in_unit(g.emissions);
        let sinks_id = g.groups.iter().find(|(x, _)| *x == Group::Sinks).map(|(_, i)| *i)?;
        let (rv, ru) = self.value_in_unit(sinks_id);
        let mut m = Memo::default();
        let mut terms = Vec::new();
        let mut flags = Vec::new();
        let mut notation_keys = Vec::new();
        let mut groups = Vec::new();
        // The declarations of each group, and the values of each part of C_above,
        // in the order of the file: one pass over the declarations.
        let group_ix = |grp: Group| Group::ALL.iter().position(|&x| x == grp);
        let mut by_group: [Vec<&DeclInfo>; Group::ALL.len()] = Default::default();
        let mut by_land: [Vec<f64>; Land::ALL.len()] = Default::default();
        // Above-ground terms of no part of Eq. 2 (a declared kind without `part`).
        let mut no_part: Vec<f64> = Vec::new();
        for d in &res.decls {
            let Some(grp) = d.group else { continue };
            if grp == Group::Above {
                match d.land.and_then(|land| Land::ALL.iter().position(|&x| x == land)) {
                    Some(l) => by_land[l].extend(d.term.and_then(|t| self.vals.get(t))),
                    None => no_part.extend(d.term.and_then(|t| self.vals.get(t))),
                }
            }
            if d.kind != Kind::Inventory {
                if let Some(i) = group_ix(grp) {
                    by_group[i].push(d);
                }
            }
        }
        terms.reserve(by_group.iter().map(Vec::len).sum());
        // Emissions and removals by scope (index scope − 1) and by gas.
        let mut scopes: [Option<[number::Sum; 2]>; 3] = Default::default();
        let mut gases: Vec<(&str, [number::Sum; 2])> = Vec::new();
        for &(grp, gid) in &g.groups {
            let (v, u) = self.value_in_unit(gid);
            let mut names = Vec::with_capacity(group_ix(grp).map_or(0, |i| by_group[i].len()));
            let mut parts = Vec::new();
            if grp == Group::Above {
                for (land, vals) in Land::ALL.into_iter().zip(&by_land) {
                    let sum = number::sum(vals.iter().copied());
                    let scale = p.units.scale_of(p.units.dunit(p.checked[gid as usize].dunit));
                    parts.push(PartReport {
                        name: land.name().into(),
                        symbol: land.symbol().into(),
                        value: sum / scale,
                        unit: u.clone(),
                    });
                }
                if !no_part.is_empty() {
                    let scale = p.units.scale_of(p.units.dunit(p.checked[gid as usize].dunit));
                    parts.push(PartReport {
                        name: "other (no part of Eq. 2)".into(),
                        symbol: String::new(),
                        value: number::sum(no_part.iter().copied()) / scale,
                        unit: u.clone(),
                    });
                }
            }
            for &d in group_ix(grp).map_or(&[][..], |i| &by_group[i]) {
                let Some(t) = d.term else { continue };
                let Some(tv) = self.vals.get(t) else { continue };
                let name = &*res.syms[t as usize].name;
                let (value, ui) = self.in_unit(&mut m, t);
                let unit = m.units[ui].name.clone();
                let (share, share_of_total) = self.shares(g, grp, gid, tv);
                let td = self.term_decl(t);
                if let Some(f) = td.and_then(Self::stock_flag) {
                    flags.push(FlagRef {
                        term: name,
                        note: f.0,
                        value,
                        unit: unit.clone(),
                    });
                }
                let key = p.notation(t);
                let side = match grp {
                    Group::Above | Group::Under => Some(0),
                    Group::Sinks => Some(1),
                    Group::Sold | Group::Purchased => None,
                };
                if let (Some(side), None) = (side, key) {
                    let scope = td
                        .and_then(|d| d.scope)
                        .and_then(|s| scopes.get_mut(usize::from(s).wrapping_sub(1)));
                    if let Some(sums) = scope {
                        sums.get_or_insert_with(Default::default)[side].add(tv);
                    }
                    if let Some(gas) = p.gas(t) {
                        let i = match gases.iter().position(|(x, _)| *x == gas) {
                            Some(i) => i,
                            None => {
                                gases.push((gas, Default::default()));
                                gases.len() - 1
                            }
                        };
                        gases[i].1[side].add(tv);
                    }
                }
                if let Some(n) = key {
                    notation_keys.push(NotationReport {
                        term: name.to_owned(),
                        field: res.syms[n.field as usize].name.to_string(),
                        key: n.key.word(),
                        meaning: n.key.meaning(),
                        reason: n.reason.clone(),
                    });
                }
                names.push(name);
                terms.push(TermRow {
                    id: t,
                    name,
                    kind: td.map(|d| d.kind.word()),
                    group: td.and_then(|d| d.group).map(Group::name),
                    value,
                    unit,
                    share,
                    share_of_total,
                    key: key.map(|n| n.key.word()),
                });
            }
            groups.push(GroupReport {
                name: grp.name(),
                title: grp.title(),
                value: v,
                unit: u,
                parts,
                terms: names,
            });
        }
        // The subtotals, in the unit of the emissions.
        let scale = p.units.scale_of(p.units.dunit(p.checked[g.emissions as usize].dunit));
        let subtotal = |sums: &[number::Sum; 2]| {
            let (e, r) = (sums[0].value() / scale, sums[1].value() / scale);
            let q = |value| Quantity {
                value,
                unit: eu.clone(),
            };
            (q(e), q(r), q(e - r))
        };
        let by_scope = (1..)
            .zip(&scopes)
            .filter_map(|(scope, sums)| {
                let (emissions, removals, net) = subtotal(sums.as_ref()?);
                Some(Subtotal {
                    key: ScopeKey { scope },
                    emissions,
                    removals,
                    net,
                })
            })
            .collect();
        gases.sort_by_key(|(gas, _)| p.units.base_index(gas).unwrap_or(usize::MAX));
        let by_gas = gases
            .iter()
            .map(|(gas, sums)| {
                let (emissions, removals, net) = subtotal(sums);
                Subtotal {
                    key: GasKey { gas },
                    emissions,
                    removals,
                    net,
                }
            })
            .collect();
        let gwp = h.gwp.map(|g| &*res.decls[g as usize].name).unwrap_or_default();
        let mut completeness = Completeness {
            terms: terms.len(),
            ..Completeness::default()
        };
        for n in &notation_keys {
            match n.key {
                "NE" => completeness.not_estimated += 1,
                "NO" => completeness.not_occurring += 1,
                "IE" => completeness.included_elsewhere += 1,
                _ => completeness.not_applicable += 1,
            }
        }
        completeness.estimated = completeness.terms - notation_keys.len();
        Some(Report {
            explainer: *self,
            inventory: &h.name,
            site: h.site.as_deref(),
            period: Quantity { value: pv, unit: pu },
            gwp,
            balance: Quantity { value: bv, unit: bu },
            neutral: self.verdict().unwrap_or(Verdict {
                value: net <= 0.0,
                depends_on: None,
            }),
            emissions: Quantity { value: ev, unit: eu },
            removals: Quantity { value: rv, unit: ru },
            groups,
            by_scope,
            by_gas,
            terms,
            flags,
            expectations: &[],
            allowed: &[],
            notation_keys,
            completeness,
            year: self.vals.year(),
            years: None,
        })
    }
}
