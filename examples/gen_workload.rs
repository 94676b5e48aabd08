//! Generates the benchmark workload W(N) (see benches/README.md).
//!
//! ```sh
//! cargo run --release --example gen_workload -- N [SEED] > w.carbon   # expectation on stderr
//! cargo run --release --example gen_workload -- N [SEED] --expect     # expectation only, JSON on stdout
//! cargo run --release --example gen_workload -- N [SEED] --declared   # the kinds declared in the file
//! cargo run --release --example gen_workload -- N [SEED] --years[=LAST] # a projection to LAST (2060)
//! ```
//!
//! `--years` writes W(N) as an inventory over years (start 2021, end 2025,
//! horizon LAST, default 2060) with every stand a `cohort` on a Chapman–Richards
//! curve (its area kept; its planting year and curve made from its index): the
//! projection benchmark of issue 18. `--years=2021` is the same file over one
//! year, to compare with. The expected balance printed is W(N)'s, of one year
//! with stands, not the projection's.
//!
//! `--declared` writes the same W(N) with twins of the four kinds it uses
//! (`cover_d`, `stand_d`, `energy_d`, `gas_d`: the built-in kinds' fields, values
//! and terms written as `kind` declarations, after docs/design/kinds.md §2) before
//! the declarations, which use them: the same numbers, the same balance, through
//! declared-kind instantiation instead of the built-in kinds. (Kinds declared
//! before their uses, as the prelude's will be: a use read before its kind waits,
//! whole, until the end of the file.)
//!
//! N may be written `10000`, `10k` or `1M`. The expected balance is computed by the
//! generator itself, in f64, independently of the interpreter.

#[path = "../benches/workload.rs"]
mod workload;

use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;

fn parse_n(s: &str) -> Option<usize> {
    let (num, mul) = match s.as_bytes().last()? {
        b'k' | b'K' => (&s[..s.len() - 1], 1_000),
        b'm' | b'M' => (&s[..s.len() - 1], 1_000_000),
        _ => (s, 1),
    };
    num.replace('_', "").parse::<usize>().ok()?.checked_mul(mul)
}

/// Twins of the four prelude kinds of W(N) under other names (`cover_d`, …),
/// declared in the file itself.
const DECLARED_KINDS: &str = r#"
// Twins of the built-in kinds `cover`, `stand`, `energy` and `gas`, declared in the
// language (docs/design/kinds.md §2): `--declared` of examples/gen_workload.rs.
kind cover_d "land cover, Eq. 10–12 (declared twin of cover)" {
  field area : length^2 "area S (Eq. 10–12)" min 0 "an area cannot be negative" key hm2
  field density : C/length^2 "carbon density Cρ (stock per area)" min 0 "a density cannot be negative"
  field method : one of stock_as_removal | gain | stock_difference "how the stock becomes an annual removal"
    help "add `method stock_as_removal assumed \"reason\"`, `method gain` with `increment`, or `method stock_difference` with `previous` and `interval`"
  field increment? : C/length^2/time "annual carbon gain per area (method gain)"
    negative warn "a negative increment is a loss of carbon: check the sign, or keep it with `allow negative \"reason\"`"
  field previous? : C/length^2 "earlier carbon density (method stock_difference)" min 0 "a density cannot be negative"
  field interval? : time "years between the two densities (method stock_difference)" above 0 a "a duration must be positive"
  field ecosystem? : one of farmland | shrub | grassland | forest | other
    "farmland (Eq. 10), shrub (Eq. 11), grassland (Eq. 12), forest or other"
  value stock : C = area * density "carbon stock S·Cρ" eq "Eq. 10–12"
  value co2 = stock * co2_per_c "carbon stock as CO2 (× 44/12)" eq "Eq. 10–12"
  value removal = per_period(co2) "annual removal" when method = stock_as_removal
  value removal = area * increment * co2_per_c "annual removal" when method = gain
  value removal = area * (density - previous) / interval * co2_per_c "annual removal" when method = stock_difference
  term co2e(removal) "cover term" eq "Eq. 10" when ecosystem = farmland
  term co2e(removal) "cover term" eq "Eq. 11" when ecosystem = shrub
  term co2e(removal) "cover term" eq "Eq. 12" when ecosystem = grassland
  term co2e(removal) "cover term" eq "Eq. 10–12"
  group sinks; scope 1
  flag stock_as_removal "stock treated as the period's removal: the carbon stock is reported as a removal over the inventory period (method stock_as_removal)" when method = stock_as_removal
}

kind stand_d "tree stand, Eq. 8–9 (declared twin of stand)" {
  field area : length^2 "afforested area S_i (Eq. 8)" min 0 "an area cannot be negative" key hm2
  field volume : length "unit volume V_i (Eq. 9)" min 0 "a volume cannot be negative"
  field a : mass/length^2 "intercept a of B = a + b·V (Eq. 9)"
  field b : mass/length^3 "slope b of B = a + b·V (Eq. 9)"
  field carbon : C/mass "carbon content rate Cρ_i (Eq. 8)" min 0 "a coefficient cannot be negative"
    help "add `carbon 0.47 tC/t`, or the prelude's default `carbon carbon_fraction`"
  field soil? : C/length^2 "soil carbon density Cρ_s (Eq. 8)" min 0 "a density cannot be negative"
  field method : one of stock_as_removal | gain | stock_difference "how the stock becomes an annual removal"
    help "add `method stock_as_removal assumed \"reason\"`, `method gain` with `increment`, or `method stock_difference` with `previous` and `interval`"
  field increment? : C/length^2/time "annual carbon gain per area (method gain)"
    negative warn "a negative increment is a loss of carbon: check the sign, or keep it with `allow negative \"reason\"`"
  field previous? : C/length^2 "earlier carbon density (method stock_difference)" min 0 "a density cannot be negative"
  field interval? : time "years between the two densities (method stock_difference)" above 0 a "a duration must be positive"
  value biomass : mass/length^2 = a + b * volume "biomass per area B = a + b·V" eq "Eq. 9"
  value vegetation : C = biomass * area * carbon "carbon in biomass B·S·Cρ" eq "Eq. 8"
  value soil_stock : C = area * soil "soil carbon S·Cρ_s" eq "Eq. 8" when soil
  value stock : C = vegetation + soil_stock "carbon stock B·S·Cρ + S·Cρ_s" eq "Eq. 8" when soil
  value stock : C = vegetation "carbon stock B·S·Cρ + S·Cρ_s" eq "Eq. 8"
  value density : C/length^2 = stock / area "carbon stock per area" eq "Eq. 8" when method = stock_difference
  value co2 = stock * co2_per_c "carbon stock as CO2 (× 44/12)" eq "Eq. 8"
  value removal = per_period(co2) "annual removal" when method = stock_as_removal
  value removal = area * increment * co2_per_c "annual removal" when method = gain
  value removal = area * (density - previous) / interval * co2_per_c "annual removal" when method = stock_difference
  term co2e(removal) "stand term" eq "Eq. 8–9"
  group sinks; scope 1
  flag stock_as_removal "stock treated as the period's removal: the carbon stock is reported as a removal over the inventory period (method stock_as_removal)" when method = stock_as_removal
}

kind energy_d "energy use, Eq. 3 (declared twin of energy)" {
  field amount : any "energy consumed E_m (a period amount or a rate)" min 0 "an amount cannot be negative"
  field fold : any "standard-coal folding coefficient (tce per unit of amount)" min 0 "a coefficient cannot be negative"
    help "add `fold 0.7143 tce/t`, or a prelude coefficient such as `fold fold_raw_coal` or `fold fold_diesel`"
  field factor : any "emission factor (e.g. tCO2/tce)" min 0 "a coefficient cannot be negative"
    help "add `factor 2.66 tCO2/tce` with its source, or `assumed \"reason\"`"
  field land? : one of mining | residential | road | agricultural = mining
    "part of C_above (Eq. 2): mining, residential, road or agricultural"
  value equivalent : flow ce = amount * fold "standard-coal equivalent K·E" eq "Table 1"
  value emission : flow substance = equivalent * factor "emission of the energy use" eq "Eq. 3"
  term co2e(per_period(emission)) "energy term" eq "Eq. 3"
  group above; part land; scope 1
}

kind gas_d "gas released, Eq. 5 (declared twin of gas)" {
  field amount? : flow substance "mass of gas released (tCH4, tCO2, … per period or per year)"
    min 0 "an amount cannot be negative" key tCO2e/a
  field volume? : any "volume of gas released" min 0 "a volume cannot be negative"
  field density? : any "density of the gas (mass of substance per volume)" min 0 "a density cannot be negative"
  field gwp? : any "GWP override (tCO2e per tonne of substance)" min 0 "a coefficient cannot be negative"
  field group? : one of above | under | sinks = under "Eq. 1 group: above, under or sinks"
  field land? : one of mining | residential | road | agricultural = mining
    "part of C_above (Eq. 2): mining, residential, road or agricultural"
  one of amount | volume density "needs `amount`, or `volume` and `density`"
    help "add `amount 647.96 tCH4/a`, or `volume … m3/a` with `density 0.67 kgCH4/m3`"
  value mass : flow substance = volume * density "mass of gas V·ρ" eq "Eq. 5" when volume
  term per_period(amount) * gwp "gas term" eq "Eq. 5" when amount, gwp
  term per_period(mass) * gwp   "gas term" eq "Eq. 5" when volume, gwp
  term co2e(per_period(amount)) "gas term" eq "Eq. 5" when amount
  term co2e(per_period(mass))   "gas term" eq "Eq. 5" when volume
  group group; part land; scope 1
}
"#;

/// W(N) with its declarations using the declared twins of the kinds.
fn declared(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 20 + DECLARED_KINDS.len());
    let mut kinds = false;
    for line in text.split_inclusive('\n') {
        match ["cover ", "stand ", "energy ", "gas "]
            .iter()
            .find(|k| line.starts_with(**k))
        {
            Some(k) => {
                if !kinds {
                    // Before the first use.
                    out.push_str(DECLARED_KINDS.trim_start());
                    out.push('\n');
                    kinds = true;
                }
                out.push_str(k.trim_end());
                out.push_str("_d ");
                out.push_str(&line[k.len()..]);
            }
            None => out.push_str(line),
        }
    }
    if !kinds {
        out.push_str(DECLARED_KINDS);
    }
    out
}

/// W(N) as an inventory over years to `last` (`--years`): the inventory gains
/// its years, and each stand becomes a cohort with the same area.
fn projected(text: &str, last: u32) -> String {
    let years = match last {
        2021..=2025 => format!("  start 2021\n  end {last}\n"),
        _ => format!("  start 2021\n  end 2025\n  horizon {last}\n  saturation 5 %\n"),
    };
    let mut out = String::with_capacity(text.len());
    let mut lines = text.split_inclusive('\n');
    while let Some(line) = lines.next() {
        if line.starts_with("  gwp AR5") {
            out.push_str(line);
            out.push_str(&years);
            continue;
        }
        let Some(name) = line.strip_prefix("stand ").and_then(|r| r.strip_suffix(" {\n")) else {
            out.push_str(line);
            continue;
        };
        // The stand's lines up to its `}`: only its area is kept.
        let mut area = "";
        for l in lines.by_ref() {
            if let Some(a) = l.strip_prefix("  area ") {
                area = a.trim_end();
            }
            if l.starts_with('}') {
                break;
            }
        }
        let i: u32 = name.rsplit('_').next().and_then(|x| x.parse().ok()).unwrap_or(0);
        let _ = writeln!(
            out,
            "cohort {name} {{\n  area {area}\n  planted {} assumed \"generated\"\n  curve chapman_richards\n  peak {} tC/hm2 assumed \"generated\"\n  rate 0.0{} a^-1 assumed \"generated\"\n  shape 3 assumed \"generated\"\n}}",
            2000 + i % 40,
            80 + i % 50,
            5 + i % 4
        );
    }
    out
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: gen_workload N [SEED] [--expect] [--declared] [--years[=LAST]]   (N like 1000, 10k, 1M; default seed {})",
        workload::DEFAULT_SEED
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut expect_only = false;
    let mut declared_kinds = false;
    let mut years: Option<u32> = None;
    let mut pos = Vec::new();
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--expect" => expect_only = true,
            "--declared" => declared_kinds = true,
            "--years" => years = Some(2060),
            y if y.starts_with("--years=") => match y["--years=".len()..].parse::<u32>() {
                Ok(v) if (2021..=9999).contains(&v) => years = Some(v),
                _ => return usage(),
            },
            "-h" | "--help" => return usage(),
            _ => pos.push(a),
        }
    }
    let Some(n) = pos.first().and_then(|s| parse_n(s)) else {
        return usage();
    };
    let seed = match pos.get(1) {
        None => workload::DEFAULT_SEED,
        Some(s) => match s.parse() {
            Ok(v) => v,
            Err(_) => return usage(),
        },
    };
    if pos.len() > 2 {
        return usage();
    }
    let (mut text, expect) = workload::generate(n, seed);
    if declared_kinds {
        text = declared(&text);
    }
    if let Some(last) = years {
        text = projected(&text, last);
    }
    let json = expect.to_json();
    if expect_only {
        println!("{json}");
        return ExitCode::SUCCESS;
    }
    let mut out = std::io::stdout().lock();
    if out.write_all(text.as_bytes()).and_then(|_| out.flush()).is_err() {
        eprintln!("gen_workload: cannot write the workload to standard output");
        return ExitCode::from(1);
    }
    eprintln!(
        "W({n}) seed {seed}: {} bytes; expected balance {:.17e} tCO2e",
        text.len(),
        expect.balance
    );
    eprintln!("expect {json}");
    ExitCode::SUCCESS
}
