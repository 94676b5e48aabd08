//! Plausibility: values within the ranges the prelude (or a program) states for a
//! field (`carbon::audit::implausible`), and GWP figures against the IPCC sets.

use super::*;

impl Auditor<'_> {
    pub(super) fn ranges(&mut self) {
        let res = &self.p.res;
        for r in &res.ranges {
            let range_decl = &res.decls[r.decl as usize];
            let fmt_bound = |s: Option<SymId>| s.map(|id| self.show(id));
            let (min, max) = (fmt_bound(r.min), fmt_bound(r.max));
            for d in res.decls.iter().filter(|d| d.kind == r.kind && !d.prelude) {
                let Some(f) = res.member(d, &r.field) else {
                    continue;
                };
                let (Some(v), Some(dim)) = (self.vals.get(f), self.p.dim(f)) else {
                    continue;
                };
                let below = r
                    .min
                    .and_then(|m| Some(self.p.dim(m) == Some(dim) && v < self.vals.get(m)?))
                    .unwrap_or(false);
                let above = r
                    .max
                    .and_then(|m| Some(self.p.dim(m) == Some(dim) && v > self.vals.get(m)?))
                    .unwrap_or(false);
                if !(below || above) || self.allowed(f, "implausible") {
                    continue;
                }
                let (shown, unit) = self.show(f);
                let bounds = match (&min, &max) {
                    (Some((a, ua)), Some((b, ub))) => format!("{} to {}", Self::q(*a, ua), Self::q(*b, ub)),
                    (Some((a, ua)), None) => format!("at least {}", Self::q(*a, ua)),
                    (None, Some((b, ub))) => format!("at most {}", Self::q(*b, ub)),
                    _ => continue,
                };
                let sym = &res.syms[f as usize];
                let cite = r
                    .min
                    .or(r.max)
                    .and_then(|m| res.syms[m as usize].prov.sources.first())
                    .map(|&i| format!(" ({})", res.sources[i].text))
                    .unwrap_or_default();
                self.out.diags.push(
                    Diag::warning("carbon::audit::implausible", format!("`{}` = {} is outside the plausible range", sym.name, Self::q(shown, &unit)))
                        .at(sym.span, format!("expected {bounds}"))
                        .help(format!(
                            "the {}range `{}` for {}.{} is {bounds}{cite}; check the figure and its unit, or keep it with `allow implausible \"reason\"`",
                            if range_decl.prelude { "prelude's " } else { "" },
                            range_decl.name,
                            r.kind.word(),
                            r.field
                        )),
                );
            }
        }
    }

    /// A GWP written by the user that matches no IPCC set of the prelude.
    pub(super) fn gwp_values(&mut self) {
        let res = &self.p.res;
        let mut known: HashMap<String, Vec<(String, f64)>> = HashMap::new();
        for d in res.decls.iter().filter(|d| d.kind == Kind::Gwp && d.prelude) {
            for (gas, id) in res.members(d) {
                if let Some(v) = self.vals.get(id) {
                    known.entry(gas.to_string()).or_default().push((d.name.to_string(), v));
                }
            }
        }
        let check = |gas: &str, id: SymId, this: &mut Self| {
            let (Some(v), Some(list)) = (this.vals.get(id), known.get(gas)) else {
                return;
            };
            if list.iter().any(|(_, k)| (k - v).abs() <= 1e-9 * k.abs()) || this.allowed(id, "implausible") {
                return;
            }
            let sym = &res.syms[id as usize];
            let (shown, unit) = this.show(id);
            let sets = list
                .iter()
                .map(|(n, k)| {
                    format!(
                        "{n} {}",
                        number::format(
                            k / this
                                .p
                                .units
                                .scale_of(this.p.units.dunit(this.p.checked[id as usize].dunit))
                        )
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            this.out.diags.push(
                Diag::warning("carbon::audit::implausible", format!("the GWP of {gas} `{}` = {} matches no IPCC set", sym.name, Self::q(shown, &unit)))
                    .at(sym.span, "not an IPCC value")
                    .help(format!("the IPCC GWP-100 values of {gas} are: {sets}; use one of the prelude's sets, or keep it with `allow implausible \"reason\"`")),
            );
        };
        // The declared kinds with an `is gwp` field (a few, often one).
        let mut gwp_kinds: Vec<crate::domain::KindName> = res.bounds.iter().filter(|b| b.gwp).map(|b| b.kind).collect();
        gwp_kinds.dedup();
        for d in res.decls.iter().filter(|d| !d.prelude) {
            match d.kind {
                Kind::Gwp => {
                    for (gas, id) in res.members(d) {
                        check(gas, id, self);
                    }
                }
                Kind::User(w) if gwp_kinds.contains(&w) => {
                    for b in res.bounds_of(w).iter().filter(|b| b.gwp) {
                        let Some(id) = res.member(d, b.field) else { continue };
                        if let Some(g) = self.gas_of_gwp(d, id, &known) {
                            check(&g, id, self);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

impl Auditor<'_> {
    /// The gas an `is gwp` field of a declared kind is the GWP of: the substance
    /// it is per (`tCO2e/tCH4`), else the first substance of a set among the
    /// use's other fields and values (`amount 10 tCH4/a`).
    fn gas_of_gwp(
        &self,
        d: &crate::names::DeclInfo,
        gwp: SymId,
        known: &HashMap<String, Vec<(String, f64)>>,
    ) -> Option<String> {
        let bases = &self.p.units.bases;
        let gas = |id: SymId, per: bool| {
            self.p.dim(id).and_then(|dim| {
                dim.factors()
                    .find(|(i, e)| e.is_negative() == per && known.contains_key(&bases[*i].name))
                    .map(|(i, _)| bases[i].name.clone())
            })
        };
        gas(gwp, true).or_else(|| {
            self.p
                .res
                .members(d)
                .filter(|&(_, m)| m != gwp)
                .find_map(|(_, m)| gas(m, false))
        })
    }
}
