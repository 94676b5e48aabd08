//! Precedence of quantities, units, names and operators (issue 14, point 1):
//! a number and its unit bind tightest (a written fraction of two numbers
//! directly before a unit counts as one number); `^` binds tighter than `*` and
//! `/`, and associates right; `*` and `/` associate left to right; a name never
//! becomes part of a unit.

mod common;
use common::errors;

use carbon::{analyze, Options};

const HEADER: &str = r#"
let share = 50 % assumed "test"
let area = 2 hm2 assumed "test"
let k = 4 assumed "test"
let x = 8 t assumed "test"
let z = 2 assumed "test"
"#;

/// The value of `expr` converted to `unit` (a plain number when `unit` is empty).
fn value(expr: &str, unit: &str) -> f64 {
    let to = if unit.is_empty() {
        String::new()
    } else {
        format!(" to {unit}")
    };
    let src = format!("{HEADER}let v = ({expr}){to} assumed \"test\"\n");
    let a = analyze("precedence.carbon", src.as_bytes(), Options::default());
    let errs = errors(&a);
    assert!(errs.is_empty(), "errors in `{expr}`: {errs:?}");
    a.explain("v")
        .unwrap_or_else(|d| panic!("no value for `{expr}`: {}", d.message))
        .value
}

fn check(expr: &str, unit: &str, want: f64) {
    let got = value(expr, unit);
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1e-300),
        "`{expr}` = {got} {unit}, expected {want} {unit}"
    );
}

#[test]
fn a_name_after_a_unit_is_a_left_to_right_factor() {
    check("100 tCO2 / 5 a * share", "tCO2/a", 10.0);
    check("x / 2 a / k", "t/a", 1.0);
    check("x / 2 a * k", "t/a", 16.0);
    check("5 t / area", "t/hm2", 2.5);
    check("x / 5 t / area", "hm2^-1", 0.8);
    check("x / 4 t * area * k", "hm2", 16.0);
    check("100 tCO2 / 5 a * share * 2", "tCO2/a", 20.0);
}

#[test]
fn numbers_and_units_bind_tightest() {
    check("2 * 3 t", "t", 6.0);
    check("1.246 tce/(10^4 kWh)", "tce/kWh", 1.246e-4);
    check("44/12 tCO2/tC", "tCO2/tC", 44.0 / 12.0);
    check("100 t / 5 a", "t/a", 20.0);
    check("12 / 4 t * 2", "t", 6.0);
    check("3 t^2", "t^2", 3.0);
    check("- 3 t ^ 2", "t^2", -9.0);
    check("-3 t^2", "t^2", -3.0);
}

#[test]
fn powers_bind_tighter_and_associate_right() {
    check("z ^ 3 * k", "", 32.0);
    check("z ^ 3 / k", "", 2.0);
    check("z ^ 3 ^ 2", "", 512.0);
    check("k / z ^ 2", "", 1.0);
    check("x / 2 t ^ 2", "t^-1", 2.0);
    check("x * k / area ^ 2 * z", "t/hm2^2", 16.0);
    check("k * 5 t / area ^ 2", "t/hm2^2", 5.0);
    check("k * 5 t / area ^ 2 / z", "t/hm2^2", 2.5);
}

#[test]
fn parentheses_and_to_keep_the_grouping() {
    check("x / (2 a * k)", "t/a", 1.0);
    check("(x / 2 a) * k", "t/a", 16.0);
    check("(100 tCO2 / 5 a) * share", "tCO2/a", 10.0);
    check("x / (2 a / k)", "t/a", 16.0);
    check("x / (2 a / k) / z", "t/a", 8.0);
    check("x / -(2 a / k)", "t/a", -16.0);
    // A parenthesised expression after a unit is read as a unit group; a name in it
    // still makes it arithmetic.
    check("5 t / (2 a * k)", "t/a", 0.625);
    check("5 t / (2 a * k) * z", "t/a", 1.25);
    check("5 t / (share) * z", "t", 20.0);
    check("5 t / (k * 2 a)", "t/a", 0.625);
    check("5 t / (2 t)", "%", 250.0);
    check("(5 t to kg) / area", "kg/hm2", 2500.0);
    check("x to kg", "kg", 8000.0);
}
