//! Unit algebra through the language: conversions, prefixes, substance
//! separation, stocks against flows, and the prelude's self-consistency.

mod common;
use common::close;

use carbon::{analyze, Analysis, Options};

fn run(src: &str) -> Analysis {
    analyze("test.carbon", src.as_bytes(), Options::default())
}

/// Value of a `let` in the unit given by `to`, via the library API.
fn value(src: &str, name: &str) -> f64 {
    let a = run(src);
    assert!(
        !a.has_errors(),
        "{src}\n{:?}",
        a.diags.iter().map(|d| &d.message).collect::<Vec<_>>()
    );
    let n = a.explain(name).expect("the name has a value");
    n.value
}

fn errors(src: &str) -> Vec<String> {
    common::errors(&run(src))
}

#[test]
fn prefixes_and_scaled_units() {
    assert!(close(value("let x = 1 Mt to t", "x"), 1e6));
    assert!(close(value("let x = 1 GgC to tC", "x"), 1000.0));
    assert!(close(value("let x = 1 kgCO2 to tCO2", "x"), 0.001));
    assert!(close(value("let x = 1 MtCO2e to tCO2e", "x"), 1e6));
    assert!(close(value("let x = 1 hm2 to m2", "x"), 1e4));
    assert!(close(value("let x = 1 hm² to ha", "x"), 1.0));
    assert!(close(value("let x = 4.22 km2 to hm2", "x"), 422.0));
    assert!(close(value("let x = 1 (10^4 kWh) to kWh", "x"), 1e4));
    assert!(close(value("let x = 103.806e4 kWh to MWh", "x"), 1038.06));
    assert!(close(value("let x = 1 kWh to MJ", "x"), 3.6));
    assert!(close(value("let x = 20 % to %", "x"), 20.0));
    assert!(close(value("let x = 1 kgce to gce", "x"), 1000.0));
}

#[test]
fn ratio_literal_with_unit_is_the_ratio() {
    // 44/12 tCO2/tC is the ratio 44/12 in tCO2/tC, not 44/(12 tCO2)/tC.
    assert!(close(value("let k = 44/12 tCO2/tC", "k"), 44.0 / 12.0));
    assert!(close(value("let x = 12 tC * 44/12 tCO2/tC to tCO2", "x"), 44.0));
    // A number over a quantity is a division by the whole quantity.
    assert!(close(value("let x = 100 t / 5 a to t/a", "x"), 20.0));
}

#[test]
fn substances_do_not_mix() {
    let e = errors("let x = 1 tC + 1 tCO2");
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].contains("carbon::units::mismatch"), "{e:?}");
    assert!(e[0].contains("carbon") && e[0].contains("carbon dioxide"), "{e:?}");
    assert_eq!(errors("let x = 1 tCH4 + 1 tCO2e").len(), 1);
    assert_eq!(errors("let x = 1 tce + 1 t").len(), 1);
    // Crossing takes an explicit factor.
    assert!(close(value("let x = 1 tC * co2_per_c to tCO2", "x"), 44.0 / 12.0));
}

#[test]
fn stocks_are_not_flows() {
    let e = errors("let x = 1 tCO2 + 1 tCO2/a");
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].contains("mismatch"));
    assert!(close(value("let x = 12 tCO2 / 1 a + 1 tCO2/a to tCO2/a", "x"), 13.0));
    assert_eq!(errors("let x = 1 hm2 + 1 t").len(), 1);
}

#[test]
fn conversions_check_dimensions() {
    assert_eq!(errors("let x = 1 tC to tCO2").len(), 1);
    assert_eq!(errors("let x = 1 t to tC").len(), 1);
    assert!(close(value("let x = 2 a to d", "x"), 730.5));
}

#[test]
fn powers() {
    assert!(close(value("let x = (3 m)^2 to m2", "x"), 9.0));
    assert!(close(value("let x = 2^10", "x"), 1024.0));
    assert!(close(value("let x = -2^2", "x"), -4.0));
    assert!(close(value("let x = (4 m2)^(1/2) to m", "x"), 2.0));
}

#[test]
fn prelude_checks_and_evaluates_on_its_own() {
    let a = analyze(
        carbon::PRELUDE_NAME,
        carbon::PRELUDE.as_bytes(),
        Options {
            prelude: false,
            ..Options::default()
        },
    );
    let msgs: Vec<&str> = a.diags.iter().map(|d| d.message.as_str()).collect();
    assert!(!a.has_errors(), "{msgs:?}");
    let vals = a.values.as_ref().expect("the prelude evaluates");
    let prog = a.program.as_ref().expect("the prelude checks");
    // A kind whose fields all have a declared dimension is typed by its probe.
    let forest = prog.res.syms.iter().position(|s| s.name == "forest_growth term");
    let forest = forest.expect("the probe of the library's forest_growth kind");
    assert!(prog.res.probes.contains(&(forest as u32)));
    assert!(
        prog.checked[forest].dim.is_some(),
        "forest_growth's term does not check"
    );
    // Every value the prelude declares is computed and finite.
    for (i, s) in prog.res.syms.iter().enumerate() {
        if prog.res.probes.contains(&(i as u32)) {
            // A kind's formula: checked once (no error above), never evaluated.
            continue;
        }
        if s.value().is_some() {
            let v = vals.get(i as u32);
            assert!(v.is_some_and(f64::is_finite), "{} has no value", s.name);
        }
    }
}

#[test]
fn prelude_values_are_consistent() {
    // The GWP sets match the IPCC reports.
    for (set, ch4, n2o) in [
        ("SAR", 21.0, 310.0),
        ("TAR", 23.0, 296.0),
        ("AR4", 25.0, 298.0),
        ("AR5", 28.0, 265.0),
        ("AR6", 27.9, 273.0),
        ("AR6_fossil", 29.8, 273.0),
    ] {
        let src = format!(
            "let ch4 = {set}.CH4 to tCO2e/tCH4\nlet n2o = {set}.N2O to tCO2e/tN2O\nlet co2 = {set}.CO2 to tCO2e/tCO2"
        );
        assert!(close(value(&src, "ch4"), ch4), "{set}");
        assert!(close(value(&src, "n2o"), n2o), "{set}");
        assert!(close(value(&src, "co2"), 1.0), "{set}");
    }
    // 1 kgce is 29.3076 MJ; electricity's calorific equivalent follows from it.
    let kwh_in_kgce = value("let x = 1 kWh / kgce_energy to kgce", "x");
    // GB/T 2589 rounds 3.6 MJ / 29.3076 MJ/kgce = 0.122835 to 0.1229.
    assert!((kwh_in_kgce - 0.1229).abs() < 1e-4, "{kwh_in_kgce}");
    assert!(close(value("let x = fold_electricity to kgce/kWh", "x"), 0.1229));
    assert!(close(value("let x = co2_per_c to tCO2/tC", "x"), 44.0 / 12.0));
    // The paper's CH4 density, 0.00067 t/m³, is the prelude's at 20 °C.
    assert!(close(value("let x = ch4_density_20c to tCH4/m3", "x"), 0.00067));
}

#[test]
fn user_file_overrides_prelude() {
    assert!(close(
        value("let co2_per_c = 3.67 tCO2/tC\nlet x = co2_per_c to tCO2/tC", "x"),
        3.67
    ));
}

#[test]
fn rational_exponents_add_and_multiply_exactly_on_every_path() {
    use carbon::units::Rat;
    let r = |n, d| Rat::new(n, d).unwrap();
    // integer fast path, zero fast path, general path (reduced)
    assert_eq!(r(2, 1).plus(r(3, 1)), Some(r(5, 1)));
    assert_eq!(r(0, 1).plus(r(-3, 1)), Some(r(-3, 1)));
    assert_eq!(r(1, 2).plus(r(1, 2)), Some(r(1, 1)));
    assert_eq!(r(1, 3).plus(r(1, 6)), Some(r(1, 2)));
    assert_eq!(r(2, 1).times(r(-3, 1)), Some(r(-6, 1)));
    assert_eq!(r(0, 1).times(r(7, 3)), Some(r(0, 1)));
    assert_eq!(r(2, 3).times(r(3, 4)), Some(r(1, 2)));
    // overflow is reported, never wrapped
    assert_eq!(r(i16::MAX, 1).plus(r(1, 1)), None);
    assert_eq!(r(i16::MAX, 1).times(r(2, 1)), None);
    assert_eq!(r(i16::MIN + 1, 1).plus(r(-1, 1)), Rat::new(i16::MIN, 1));
}
