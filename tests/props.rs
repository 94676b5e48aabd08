//! Property tests through the library (`carbon::analyze`):
//!
//! * the unit algebra: conversions round-trip and agree with the factor table,
//!   addition and multiplication commute (in value and in dimension, checked with
//!   `to`), and no substance converts to another without a factor;
//! * generated inventories: small random inventories of every kind of declaration
//!   analyse without errors (and without panicking), and the JSON balance equals
//!   `emissions × T − removals × T + sold − purchased` computed here from the
//!   generated numbers alone.
//!
//! Case counts are kept modest so that the suite stays fast in a debug build.

mod common;
use common::errors;

use carbon::{analyze, render, Analysis, Options};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

const CASES: u32 = 64;

fn run(src: &str) -> Analysis {
    analyze("props.carbon", src.as_bytes(), Options::default())
}

/// The values of `names` (each in its own display unit) in a program that must
/// have no errors.
fn values(src: &str, names: &[&str]) -> Result<Vec<f64>, TestCaseError> {
    let a = run(src);
    let e = errors(&a);
    prop_assert!(e.is_empty(), "unexpected errors in\n{src}\n{e:?}");
    names
        .iter()
        .map(|n| match a.explain(n) {
            Ok(node) => Ok(node.value),
            Err(d) => Err(TestCaseError::fail(format!(
                "no value for `{n}` in\n{src}\n{}",
                d.message
            ))),
        })
        .collect()
}

fn rel_close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(f64::MIN_POSITIVE)
}

/// Shortest round-trip text of a positive number, in the language's syntax.
fn num(x: f64) -> String {
    format!("{x:e}")
}

// ---- units -----------------------------------------------------------------------------

/// Families of compatible units, each unit with its size in the family's first unit.
const FAMILIES: &[&[(&str, f64)]] = &[
    &[("t", 1.0), ("kg", 1e-3), ("Gg", 1e3), ("Mt", 1e6)],
    &[("tC", 1.0), ("ktC", 1e3), ("GgC", 1e3)],
    &[("hm2", 1.0), ("ha", 1.0), ("m2", 1e-4), ("km2", 100.0)],
    &[("a", 1.0), ("d", 1.0 / 365.25)],
    &[("kWh", 1.0), ("MWh", 1e3), ("GJ", 1e6 / 3600.0)],
];

const SUBSTANCES: &[&str] = &["tC", "tCO2", "tCH4", "tN2O", "tCO2e", "tce"];

/// A positive magnitude, log-uniform over 1e-6 .. 1e9.
fn magnitude() -> impl Strategy<Value = f64> {
    (-6.0f64..9.0, 1.0f64..10.0).prop_map(|(e, m)| m * 10f64.powf(e.floor()))
}

/// A family and two of its units (possibly the same one).
fn compatible_pair() -> impl Strategy<Value = ((&'static str, f64), (&'static str, f64))> {
    (0..FAMILIES.len()).prop_flat_map(|f| {
        let fam = FAMILIES[f];
        (0..fam.len(), 0..fam.len()).prop_map(move |(i, j)| (fam[i], fam[j]))
    })
}

fn any_unit() -> impl Strategy<Value = &'static str> {
    prop::sample::select(FAMILIES.iter().flat_map(|f| f.iter().map(|u| u.0)).collect::<Vec<_>>())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// `x U1 to U2 to U1` gives back x; `x U1 to U2` is x·size(U1)/size(U2); and
    /// the printed value of `x U1 to U2`, read back in U2 and converted to U1, gives
    /// back x.
    #[test]
    fn conversions_round_trip(x in magnitude(), ((u1, s1), (u2, s2)) in compatible_pair()) {
        let src = format!(
            "let y = {x} {u1} to {u2}\nlet z = y to {u1}\nlet w = ({x} {u1} to {u2}) to {u1}\n",
            x = num(x)
        );
        let v = values(&src, &["y", "z", "w"])?;
        prop_assert!(rel_close(v[1], x, 1e-12), "{src}: y to {u1} = {}, want {x}", v[1]);
        prop_assert!(rel_close(v[2], x, 1e-12), "{src}: w = {}, want {x}", v[2]);
        prop_assert!(rel_close(v[0], x * s1 / s2, 1e-12), "{src}: y = {}, want {}", v[0], x * s1 / s2);
        let back = format!("let r = {} {u2} to {u1}\n", num(v[0]));
        let r = values(&back, &["r"])?;
        prop_assert!(rel_close(r[0], x, 1e-12), "{back}: {} , want {x}", r[0]);
    }

    /// `a U + b U == b U + a U`, exactly; with two compatible units, the same sum
    /// both ways round (converted to one unit).
    #[test]
    fn addition_commutes(a in magnitude(), b in magnitude(), ((u1, s1), (u2, s2)) in compatible_pair()) {
        let (a_, b_) = (num(a), num(b));
        let src = format!(
            "let s1 = {a_} {u1} + {b_} {u1}\nlet s2 = {b_} {u1} + {a_} {u1}\n\
             let m1 = ({a_} {u1} + {b_} {u2}) to {u1}\nlet m2 = ({b_} {u2} + {a_} {u1}) to {u1}\n"
        );
        let v = values(&src, &["s1", "s2", "m1", "m2"])?;
        prop_assert_eq!(v[0].to_bits(), v[1].to_bits(), "{}: {} != {}", src, v[0], v[1]);
        prop_assert!(rel_close(v[0], a + b, 1e-12), "{src}: {} != {}", v[0], a + b);
        prop_assert!(rel_close(v[2], v[3], 1e-12), "{src}: {} != {}", v[2], v[3]);
        let want = a + b * s2 / s1;
        prop_assert!(rel_close(v[2], want, 1e-12), "{src}: {} != {want}", v[2]);
    }

    /// `a U1 * b U2` and `b U2 * a U1` have the same value and the same dimension:
    /// both convert to `U1*U2` and to `U2*U1` without error, to a·b.
    #[test]
    fn multiplication_commutes(a in magnitude(), b in magnitude(), u1 in any_unit(), u2 in any_unit()) {
        let (a_, b_) = (num(a), num(b));
        let src = format!(
            "let p1 = {a_} {u1} * {b_} {u2} to {u1}*{u2}\nlet p2 = {b_} {u2} * {a_} {u1} to {u1}*{u2}\n\
             let p3 = {a_} {u1} * {b_} {u2} to {u2}*{u1}\nlet p4 = {b_} {u2} * {a_} {u1} to {u2}*{u1}\n"
        );
        let v = values(&src, &["p1", "p2", "p3", "p4"])?;
        for (i, x) in v.iter().enumerate() {
            prop_assert!(rel_close(*x, a * b, 1e-12), "{}: p{} = {}, want {}", src, i + 1, x, a * b);
        }
    }

    /// No substance converts to or adds to another without a factor: each attempt is
    /// exactly one error, a conversion or a mismatch.
    #[test]
    fn substances_never_convert(x in magnitude(), y in magnitude(), i in 0..SUBSTANCES.len(), j in 0..SUBSTANCES.len()) {
        prop_assume!(i != j);
        substance_pair_is_one_error(x, y, SUBSTANCES[i], SUBSTANCES[j])?;
    }
}

fn substance_pair_is_one_error(x: f64, y: f64, s1: &str, s2: &str) -> Result<(), TestCaseError> {
    for src in [
        format!("let x = {} {s1} to {s2}\n", num(x)),
        format!("let x = {} {s1} + {} {s2}\n", num(x), num(y)),
        format!("let x = {} {s1} - {} {s2} to {s1}\n", num(x), num(y)),
    ] {
        let a = run(&src);
        let e: Vec<_> = a.diags.iter().filter(|d| d.is_error()).collect();
        prop_assert_eq!(
            e.len(),
            1,
            "{}: want exactly one error, got {:?}",
            src,
            e.iter()
                .map(|d| format!("{}: {}", d.code, d.message))
                .collect::<Vec<_>>()
        );
        prop_assert!(
            e[0].code == "carbon::units::conversion" || e[0].code == "carbon::units::mismatch",
            "{}: error code {}",
            src,
            e[0].code
        );
    }
    Ok(())
}

/// Every ordered pair of distinct substances, once.
#[test]
fn every_substance_pair_is_one_error() {
    for s1 in SUBSTANCES {
        for s2 in SUBSTANCES {
            if s1 != s2 {
                substance_pair_is_one_error(3.5, 1.25, s1, s2).unwrap();
            }
        }
    }
}

// ---- generated inventories ---------------------------------------------------------------

/// GWP sets of the prelude: (name, CH4, N2O) in tCO2e per tonne.
const GWPS: &[(&str, f64, f64)] = &[
    ("SAR", 21.0, 310.0),
    ("TAR", 23.0, 296.0),
    ("AR4", 25.0, 298.0),
    ("AR5", 28.0, 265.0),
    ("AR6", 27.9, 273.0),
];
const LANDS: &[&str] = &["mining", "residential", "road", "agricultural"];
const CO2_PER_C: f64 = 44.0 / 12.0;

/// Where a value comes from: nothing, a declared source, a quoted citation, or an
/// assumption.
#[derive(Clone, Debug)]
enum Prov {
    None,
    Source(usize),
    Quoted,
    Assumed,
}

#[derive(Clone, Debug)]
enum Gas {
    Ch4,
    N2o,
    Co2,
}

#[derive(Clone, Debug)]
enum Method {
    StockAsRemoval,
    Gain {
        increment: f64,
    },
    /// `previous` = fraction × the current density.
    StockDifference {
        fraction: f64,
        interval: f64,
    },
}

#[derive(Clone, Debug)]
enum Decl {
    Energy {
        amount: f64,
        rate: bool,
        fold: f64,
        factor: f64,
        land: Option<usize>,
        /// `Some(percent)` makes it a transport.
        excluded: Option<f64>,
    },
    Gas {
        amount: f64,
        gas: Gas,
        rate: bool,
        /// (volume m3/a, density kgCH4/m3) instead of an amount (CH4 only).
        volume: Option<(f64, f64)>,
    },
    Emission {
        amount: f64,
        gas: Gas,
        rate: bool,
        under: bool,
        land: Option<usize>,
    },
    Cover {
        area: f64,
        /// 0 hm2, 1 ha, 2 km2 (the area is `area` in that unit).
        area_unit: usize,
        density: f64,
        method: Method,
    },
    Stand {
        area: f64,
        volume: f64,
        a: f64,
        b: f64,
        carbon: f64,
        soil: Option<f64>,
        gain: Option<f64>,
    },
    Capture {
        amount: f64,
        rate: bool,
    },
    Removal {
        amount: f64,
    },
    Offset {
        amount: f64,
        sold: bool,
        rate: bool,
    },
}

#[derive(Clone, Debug)]
struct Inventory {
    period: u32,
    gwp: usize,
    sources: usize,
    decls: Vec<(Decl, Prov)>,
}

fn value() -> impl Strategy<Value = f64> {
    // Positive, from 0.01 to 1e5, with a few significant digits.
    (-2.0f64..5.0, 1.0f64..10.0).prop_map(|(e, m)| (m * 10f64.powf(e.floor()) * 1000.0).round() / 1000.0)
}

fn gas() -> impl Strategy<Value = Gas> {
    prop_oneof![Just(Gas::Ch4), Just(Gas::N2o), Just(Gas::Co2)]
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::StockAsRemoval),
        value().prop_map(|increment| Method::Gain { increment }),
        (0.05f64..0.95, 1.0f64..20.0).prop_map(|(fraction, interval)| Method::StockDifference {
            fraction,
            interval: interval.round()
        }),
    ]
}

fn decl() -> impl Strategy<Value = Decl> {
    prop_oneof![
        (
            value(),
            any::<bool>(),
            0.1f64..2.0,
            1.0f64..4.0,
            prop::option::of(0..LANDS.len()),
            prop::option::of(0.0f64..99.0)
        )
            .prop_map(|(amount, rate, fold, factor, land, excluded)| Decl::Energy {
                amount,
                rate,
                fold,
                factor,
                land,
                excluded
            }),
        (value(), gas(), any::<bool>(), prop::option::of((value(), 0.5f64..0.8))).prop_map(
            |(amount, gas, rate, volume)| Decl::Gas {
                amount,
                gas,
                rate,
                volume
            }
        ),
        (
            value(),
            gas(),
            any::<bool>(),
            any::<bool>(),
            prop::option::of(0..LANDS.len())
        )
            .prop_map(|(amount, gas, rate, under, land)| Decl::Emission {
                amount,
                gas,
                rate,
                under,
                land
            }),
        (value(), 0..3usize, 0.5f64..200.0, method()).prop_map(|(area, area_unit, density, method)| {
            Decl::Cover {
                area,
                area_unit,
                density,
                method,
            }
        }),
        (
            value(),
            1.0f64..300.0,
            0.0f64..50.0,
            0.1f64..1.0,
            0.4f64..0.55,
            prop::option::of(0.1f64..5.0),
            prop::option::of(0.1f64..5.0)
        )
            .prop_map(|(area, volume, a, b, carbon, soil, gain)| Decl::Stand {
                area,
                volume,
                a,
                b,
                carbon,
                soil,
                gain
            }),
        (value(), any::<bool>()).prop_map(|(amount, rate)| Decl::Capture { amount, rate }),
        value().prop_map(|amount| Decl::Removal { amount }),
        (value(), any::<bool>(), any::<bool>()).prop_map(|(amount, sold, rate)| Decl::Offset { amount, sold, rate }),
    ]
}

fn prov(sources: usize) -> impl Strategy<Value = Prov> {
    let n = sources.max(1);
    prop_oneof![
        Just(Prov::None),
        (0..n).prop_map(move |i| if sources == 0 { Prov::Quoted } else { Prov::Source(i) }),
        Just(Prov::Quoted),
        Just(Prov::Assumed),
    ]
}

fn inventory() -> impl Strategy<Value = Inventory> {
    (1u32..=5, 0..GWPS.len(), 0usize..4).prop_flat_map(|(period, gwp, sources)| {
        prop::collection::vec((decl(), prov(sources)), 0..12).prop_map(move |decls| Inventory {
            period,
            gwp,
            sources,
            decls,
        })
    })
}

/// The text of a generated inventory, and its expected (emissions rate, removals
/// rate, sold, purchased), computed from the generated numbers alone.
fn render_inventory(inv: &Inventory) -> (String, [f64; 4]) {
    let t = f64::from(inv.period);
    let (_, gwp_ch4, gwp_n2o) = GWPS[inv.gwp];
    let gwp = |g: &Gas| match g {
        Gas::Ch4 => gwp_ch4,
        Gas::N2o => gwp_n2o,
        Gas::Co2 => 1.0,
    };
    let sub = |g: &Gas| match g {
        Gas::Ch4 => "tCH4",
        Gas::N2o => "tN2O",
        Gas::Co2 => "tCO2",
    };
    let per = |rate: bool| if rate { "/a" } else { "" };
    // A period amount is a rate over the period; a rate stays a rate.
    let as_rate = |x: f64, rate: bool| if rate { x } else { x / t };
    let (mut emissions, mut removals, mut sold, mut purchased) = (0.0, 0.0, 0.0, 0.0);

    let mut s = format!(
        "inventory \"Generated\" {{\n  site \"nowhere\"\n  period {} a\n  gwp {}\n}}\n",
        inv.period, GWPS[inv.gwp].0
    );
    for i in 0..inv.sources {
        s.push_str(&format!("source src_{i} \"Generated source {i}\"\n"));
    }
    for (k, (d, p)) in inv.decls.iter().enumerate() {
        let pv = match p {
            Prov::None => String::new(),
            Prov::Source(i) => format!(" from src_{i}"),
            Prov::Quoted => " from \"a quoted citation\"".to_string(),
            Prov::Assumed => " assumed \"generated\"".to_string(),
        };
        match d {
            Decl::Energy {
                amount,
                rate,
                fold,
                factor,
                land,
                excluded,
            } => {
                let kind = if excluded.is_some() { "transport" } else { "energy" };
                s.push_str(&format!(
                    "{kind} fuel_{k} {{\n  amount {} t{}{pv}\n  fold {} tce/t\n  factor {} tCO2/tce\n",
                    num(*amount),
                    per(*rate),
                    num(*fold),
                    num(*factor)
                ));
                let mut e = as_rate(*amount, *rate) * fold * factor;
                if let Some(x) = excluded {
                    s.push_str(&format!("  excluded {} %\n", num(*x)));
                    e *= 1.0 - x / 100.0;
                }
                if let Some(l) = land {
                    s.push_str(&format!("  land {}\n", LANDS[*l]));
                }
                s.push_str("}\n");
                emissions += e;
            }
            Decl::Gas {
                amount,
                gas,
                rate,
                volume,
            } => match volume {
                Some((v, rho)) => {
                    s.push_str(&format!(
                        "gas vent_{k} {{\n  volume {} m3/a{pv}\n  density {} kgCH4/m3\n}}\n",
                        num(*v),
                        num(*rho)
                    ));
                    emissions += v * rho / 1000.0 * gwp_ch4;
                }
                None => {
                    s.push_str(&format!(
                        "gas vent_{k} {{ amount {} {}{}{pv} }}\n",
                        num(*amount),
                        sub(gas),
                        per(*rate)
                    ));
                    emissions += as_rate(*amount, *rate) * gwp(gas);
                }
            },
            Decl::Emission {
                amount,
                gas,
                rate,
                under,
                land,
            } => {
                s.push_str(&format!(
                    "emission release_{k} {{\n  amount {} {}{}{pv}\n",
                    num(*amount),
                    sub(gas),
                    per(*rate)
                ));
                if *under {
                    s.push_str("  group under\n");
                } else if let Some(l) = land {
                    s.push_str(&format!("  land {}\n", LANDS[*l]));
                }
                s.push_str("}\n");
                emissions += as_rate(*amount, *rate) * gwp(gas);
            }
            Decl::Cover {
                area,
                area_unit,
                density,
                method,
            } => {
                let (unit, hm2) = [("hm2", 1.0), ("ha", 1.0), ("km2", 100.0)][*area_unit];
                let area_hm2 = area * hm2;
                s.push_str(&format!(
                    "cover land_{k} {{\n  area {} {unit}{pv}\n  density {} tC/hm2\n",
                    num(*area),
                    num(*density)
                ));
                removals += match method {
                    Method::StockAsRemoval => {
                        s.push_str("  method stock_as_removal assumed \"generated\"\n");
                        area_hm2 * density * CO2_PER_C / t
                    }
                    Method::Gain { increment } => {
                        s.push_str(&format!("  method gain\n  increment {} tC/hm2/a\n", num(*increment)));
                        area_hm2 * increment * CO2_PER_C
                    }
                    Method::StockDifference { fraction, interval } => {
                        let previous = density * fraction;
                        s.push_str(&format!(
                            "  method stock_difference\n  previous {} tC/hm2\n  interval {} a\n",
                            num(previous),
                            num(*interval)
                        ));
                        area_hm2 * (density - previous) / interval * CO2_PER_C
                    }
                };
                s.push_str("}\n");
            }
            Decl::Stand {
                area,
                volume,
                a,
                b,
                carbon,
                soil,
                gain,
            } => {
                s.push_str(&format!(
                    "stand trees_{k} {{\n  area {} hm2{pv}\n  volume {} m3/hm2\n  a {} t/hm2\n  b {} t/m3\n  carbon {} tC/t\n",
                    num(*area),
                    num(*volume),
                    num(*a),
                    num(*b),
                    num(*carbon)
                ));
                let mut stock = (a + b * volume) * area * carbon;
                if let Some(cs) = soil {
                    s.push_str(&format!("  soil {} tC/hm2\n", num(*cs)));
                    stock += area * cs;
                }
                removals += match gain {
                    Some(inc) => {
                        s.push_str(&format!("  method gain\n  increment {} tC/hm2/a\n", num(*inc)));
                        area * inc * CO2_PER_C
                    }
                    None => {
                        s.push_str("  method stock_as_removal assumed \"generated\"\n");
                        stock * CO2_PER_C / t
                    }
                };
                s.push_str("}\n");
            }
            Decl::Capture { amount, rate } => {
                s.push_str(&format!(
                    "capture ccs_{k} {{ amount {} tCO2{}{pv} }}\n",
                    num(*amount),
                    per(*rate)
                ));
                removals += as_rate(*amount, *rate);
            }
            Decl::Removal { amount } => {
                s.push_str(&format!("removal other_{k} {{ amount {} tCO2/a{pv} }}\n", num(*amount)));
                removals += amount;
            }
            Decl::Offset {
                amount,
                sold: is_sold,
                rate,
            } => {
                let field = if *is_sold { "sold" } else { "purchased" };
                s.push_str(&format!(
                    "offset credits_{k} {{ {field} {} tCO2e{}{pv} }}\n",
                    num(*amount),
                    per(*rate)
                ));
                // An offset is a period total; a rate is integrated over the period.
                let total = if *rate { amount * t } else { *amount };
                if *is_sold {
                    sold += total;
                } else {
                    purchased += total;
                }
            }
        }
    }
    (s, [emissions, removals, sold, purchased])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn generated_inventories_balance(inv in inventory()) {
        let (src, [emissions, removals, sold, purchased]) = render_inventory(&inv);
        let a = run(&src);
        let e = errors(&a);
        prop_assert!(e.is_empty(), "errors in a generated inventory:\n{src}\n{e:?}");
        let report = a.report();
        prop_assert!(report.is_some(), "no report for\n{src}");
        let json = render::json(report.as_ref(), &a.diags, &a.sources);
        let v: serde_json::Value = serde_json::from_str(&json).expect("render::json prints JSON");

        let t = f64::from(inv.period);
        let want = emissions * t - removals * t + sold - purchased;
        // Relative to the size of the terms, since they may nearly cancel.
        let scale = emissions * t + removals * t + sold + purchased;
        let got = v["balance"]["value"].as_f64().expect("a numeric balance");
        prop_assert!(
            (got - want).abs() <= 1e-9 * scale.max(f64::MIN_POSITIVE),
            "balance {got}, want {want} (scale {scale}) for\n{src}"
        );
        let pairs = [("emissions", emissions), ("removals", removals)];
        for (key, want) in pairs {
            let got = v[key]["value"].as_f64().expect("a number");
            prop_assert!(rel_close(got, want, 1e-9), "{key} {got}, want {want} for\n{src}");
        }
        prop_assert_eq!(v["period"]["value"].as_f64(), Some(t));
        let r = report.expect("checked above");
        prop_assert_eq!(r.neutral.value, r.balance.value <= 0.0);
        prop_assert!(rel_close(r.balance.value, got, 1e-12));
        // The text rendering works too.
        let text = render::text(&r);
        prop_assert!(text.contains("Generated"));
    }
}
