//! Inventories over years, against hand calculations: a series of each rule,
//! a Chapman–Richards cohort at three ages, the stock difference as the removal,
//! the first neutral year, a harvest's loss; and the `--by year` output, text and
//! JSON, as snapshots.

mod common;
use common::carbon;
use serde_json::Value;

const SERIES: &str = "tests/years/series.carbon";
const COHORT: &str = "tests/years/cohort.carbon";
const HARVEST: &str = "tests/years/harvest.carbon";

fn json(args: &[&str]) -> Value {
    let out = carbon(args);
    assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
    serde_json::from_str(&out.stdout).expect("JSON")
}

/// The value of `name` in `year` (`carbon explain --year --format json`).
fn value(file: &str, name: &str, year: i64) -> f64 {
    let y = year.to_string();
    let v = json(&["explain", file, name, "--year", &y, "--format", "json"]);
    assert_eq!(v["year"], year);
    v["value"].as_f64().expect("a value")
}

fn close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{what}: computed {got}, by hand {want}, difference {:e}",
        got - want
    );
}

#[test]
fn each_rule_of_a_series_by_hand() {
    // hold(2021: 10, 2023: 20): 10, 10, 20, 20, … (held after the last year)
    for (y, want) in [(2021, 10.0), (2022, 10.0), (2023, 20.0), (2028, 20.0)] {
        close(value(SERIES, "held.amount", y), want, &format!("hold in {y}"));
    }
    // linear(2021: 10, 2025: 30): 5 a year between, 30 held after
    for (y, want) in [(2021, 10.0), (2022, 15.0), (2024, 25.0), (2025, 30.0), (2028, 30.0)] {
        close(value(SERIES, "lined.amount", y), want, &format!("linear in {y}"));
    }
    // trend: as linear, then the line continues: 2028 = 30 + 3 × 5
    for (y, want) in [(2023, 20.0), (2026, 35.0), (2028, 45.0)] {
        close(value(SERIES, "trended.amount", y), want, &format!("trend in {y}"));
    }
}

#[test]
fn series_rows_sum_the_terms_of_each_year() {
    let v = json(&["run", SERIES, "--by", "year", "--format", "json"]);
    let rows = v["years"].as_array().expect("years");
    assert_eq!(rows.len(), 8, "2021 to 2028");
    // AR5: CH4 28. 2022: held 10, lined 15, trended 15.
    let r = &rows[1];
    assert_eq!(r["year"], 2022);
    close(
        r["emissions"]["value"].as_f64().unwrap(),
        40.0 * 28.0,
        "emissions in 2022",
    );
    assert_eq!(r["emissions"]["unit"], "tCO2e");
    assert_eq!(r["projected"], false);
    assert_eq!(rows[5]["projected"], true, "2026 is after end");
    // The cumulative net is the sum of the nets so far.
    let mut sum = 0.0;
    for r in rows {
        sum += r["net"]["value"].as_f64().unwrap();
        close(r["cumulative"]["value"].as_f64().unwrap(), sum, "cumulative");
    }
    assert!(v["neutral_from"].is_null(), "only emissions: never neutral");
}

/// Chapman–Richards: 120 tC/hm2 × (1 − e^(−0.06·age))^3, planted 2023.
fn cr(age: f64) -> f64 {
    120.0 * (1.0 - (-0.06 * age).exp()).powi(3)
}

#[test]
fn chapman_richards_at_three_ages() {
    for (year, age) in [(2024, 1.0), (2030, 7.0), (2050, 27.0)] {
        close(
            value(COHORT, "pine.density", year),
            cr(age),
            &format!("density at age {age}"),
        );
    }
    // Not planted yet: no stock.
    close(value(COHORT, "pine.stock", 2022), 0.0, "stock before planting");
}

#[test]
fn the_removal_is_the_stock_difference_between_years() {
    for year in [2024, 2030, 2060] {
        let age = (year - 2023) as f64;
        let want = 60.0 * (cr(age) - cr(age - 1.0)) * 44.0 / 12.0;
        close(value(COHORT, "pine.removal", year), want, &format!("removal in {year}"));
    }
}

#[test]
fn the_first_neutral_year_by_hand() {
    let v = json(&["run", COHORT, "--by", "year", "--format", "json"]);
    // By hand: methane trend(2021: 40, 2025: 30) × 28, against the cohort.
    let mut first = None;
    for y in 2021..=2060 {
        let ch4 = 40.0 - 2.5 * (y - 2021) as f64;
        let age = (y - 2023) as f64;
        let stock = |a: f64| if a < 0.0 { 0.0 } else { 60.0 * cr(a) };
        let removal = (stock(age) - stock(age - 1.0)) * 44.0 / 12.0;
        if first.is_none() && ch4 * 28.0 - removal <= 0.0 {
            first = Some(y);
        }
    }
    assert_eq!(v["neutral_from"].as_i64(), first);
    assert_eq!(first, Some(2032));
    // The sinks' peak and saturation (5 % of the peak) are stated.
    assert!(v["saturation"]["peak_year"].as_i64().is_some(), "{}", v["saturation"]);
}

#[test]
fn a_harvest_loses_the_stock_in_its_year() {
    // Logistic: 80 / (1 + e^(−0.3 (age − 10))) tC/hm2 on 10 hm2, planted 2020.
    let stock = |age: f64| 10.0 * 80.0 / (1.0 + (-0.3 * (age - 10.0)).exp());
    close(
        value(HARVEST, "poplar.stock", 2039),
        stock(19.0),
        "stock before the harvest",
    );
    close(value(HARVEST, "poplar.stock", 2040), 0.0, "stock in the harvest year");
    close(
        value(HARVEST, "poplar.removal", 2040),
        -stock(19.0) * 44.0 / 12.0,
        "the loss in the harvest year",
    );
    close(value(HARVEST, "poplar.removal", 2041), 0.0, "after the harvest");
}

#[test]
fn by_year_text_and_json_snapshots() {
    for file in [SERIES, COHORT, HARVEST] {
        let name = file.trim_start_matches("tests/years/");
        let text = carbon(&["run", file, "--by", "year"]);
        assert_eq!(text.code, 0, "{}", text.stderr);
        insta::assert_snapshot!(format!("by_year_text@{name}"), text.stdout);
        let out = carbon(&["run", file, "--by", "year", "--format", "json"]);
        let v: Value = serde_json::from_str(&out.stdout).expect("JSON");
        let keep = serde_json::json!({
            "span": v["span"],
            "years": v["years"],
            "neutral_from": v["neutral_from"],
            "saturation": v["saturation"],
        });
        insta::assert_snapshot!(
            format!("by_year_json@{name}"),
            serde_json::to_string_pretty(&keep).unwrap()
        );
    }
}

#[test]
fn by_year_of_one_period_is_an_error() {
    let out = carbon(&["run", "examples/yongning.carbon", "--by", "year"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("carbon::cli::years"), "{}", out.stderr);
    let out = carbon(&["run", COHORT, "--year", "2061"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("2061 is not a year of the inventory (2021–2060)"),
        "{}",
        out.stderr
    );
}

/// A cohort planted after the year reported: its term is zero that year, but
/// not in every year, so it is no missing figure; without the projection it
/// is zero in every year, and warned about.
#[test]
fn a_zero_term_warns_only_when_zero_in_every_year() {
    let text = std::fs::read_to_string(COHORT).expect("cohort file");
    let later = text.replace("planted 2023", "planted 2030");
    let dir = std::env::temp_dir().join(format!("carbon-years-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let projected = dir.join("later.carbon");
    std::fs::write(&projected, &later).expect("write");
    let out = carbon(&["check", projected.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stderr.contains("zero_term"), "{}", out.stderr);
    let one_span = dir.join("later_no_horizon.carbon");
    std::fs::write(&one_span, later.replace("  horizon 2060\n", "")).expect("write");
    let out = carbon(&["check", one_span.to_str().unwrap()]);
    assert!(out.stderr.contains("carbon::audit::zero_term"), "{}", out.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}
