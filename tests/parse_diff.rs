//! The fast parser (`src/syntax/fast/`) against the pest path it stands in for.
//!
//! Property: whenever the fast path returns `Some`, the pest path (prepass, pest,
//! builder) reports no diagnostic and builds an identical AST (compared through
//! `{:?}`, which shows every span, string, exponent and the exact bits of every
//! number). And `syntax::parse`, which tries the fast path first, always gives what
//! the pest path alone gives.
//!
//! Inputs: every `.carbon` file of the crate (examples, the prelude, the test
//! programs under `tests/`), the generated workload W(N), random programs built
//! from the grammar, and random mutations (deleted, inserted and replaced
//! characters and tokens) of all of these. The fast path must also be *used*: it
//! must accept every file that pest accepts, the prelude and W(N).
//!
//! Sized for CI (a debug build, a few seconds a test): each property runs a few
//! hundred random cases and the workloads stop at W(2000), which is already parsed
//! on two threads and in pieces. `PARSE_DIFF_CASES` sets the cases of every
//! property; the long run (1,500 cases or `PARSE_DIFF_CASES`, and W(20000)) is the
//! `#[ignore]`d `long_run`: `cargo test --release --test parse_diff -- --ignored`.

#[path = "../benches/workload.rs"]
mod workload;

use carbon::source::SourceId;
use carbon::syntax::{
    self, parse_expr_fast_only, parse_expr_pest_only, parse_fast_only, parse_pest_only, parse_stream_only,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

const SRC: SourceId = SourceId(7);

// The binary's allocator, so that `timing` measures what `carbon` does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The random cases of a property: `PARSE_DIFF_CASES`, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PARSE_DIFF_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Cases of the long run (`long_run`), unless `PARSE_DIFF_CASES` says otherwise.
const LONG_CASES: u32 = 1500;

/// Compares both paths on `text`; returns whether the fast path accepted it.
fn compare(text: &str) -> Result<bool, String> {
    let fast = parse_fast_only(SRC, text);
    let pest = parse_pest_only(SRC, text);
    let both = syntax::parse(SRC, text);
    let pest_decls = format!("{:?}", pest.file.decls);
    let pest_diags = format!("{:?}", pest.diags);
    if format!("{:?}", both.file.decls) != pest_decls
        || format!("{:?}", both.diags) != pest_diags
        || both.incomplete != pest.incomplete
    {
        return Err(format!("syntax::parse differs from the pest path on\n{text}"));
    }
    let Some(decls) = fast else {
        return Ok(false);
    };
    if !pest.diags.is_empty() {
        return Err(format!(
            "the fast path accepted input pest rejects:\n{text}\npest says: {pest_diags}"
        ));
    }
    let fast_decls = format!("{decls:?}");
    // In pieces (as a large file is parsed while its names are declared): with
    // small pieces a program of a few lines is cut too. The pieces may give up
    // (a cut they cannot vouch for), never give something else.
    for piece in [64, 1000, 64 * 1024] {
        if let Some(streamed) = parse_stream_only(SRC, text, piece) {
            if format!("{streamed:?}") != fast_decls {
                return Err(format!("pieces of {piece} bytes give a different AST for\n{text}"));
            }
        }
    }
    if fast_decls != pest_decls {
        let at = fast_decls
            .bytes()
            .zip(pest_decls.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(fast_decls.len().min(pest_decls.len()));
        let from = at.saturating_sub(300);
        return Err(format!(
            "different ASTs for\n{text}\nfast: …{}\npest: …{}",
            fast_decls.get(from..(at + 300).min(fast_decls.len())).unwrap_or(""),
            pest_decls.get(from..(at + 300).min(pest_decls.len())).unwrap_or(""),
        ));
    }
    Ok(true)
}

/// The same for a lone expression (`syntax::parse_expr`, the REPL's).
fn compare_expr(text: &str) -> Result<bool, String> {
    let fast = parse_expr_fast_only(SRC, text);
    let pest = parse_expr_pest_only(SRC, text);
    let both = syntax::parse_expr(SRC, text);
    let show = |r: &Result<syntax::ast::Expr, syntax::Parsed>| match r {
        Ok(e) => format!("Ok({e:?})"),
        Err(p) => format!("Err({:?}, {})", p.diags, p.incomplete),
    };
    if show(&both) != show(&pest) {
        return Err(format!("syntax::parse_expr differs from the pest path on\n{text}"));
    }
    let Some(e) = fast else {
        return Ok(false);
    };
    match pest {
        Ok(p) if format!("{p:?}") == format!("{e:?}") => Ok(true),
        other => Err(format!("expression {text:?}\nfast: {e:?}\npest: {}", show(&other))),
    }
}

/// Runs `f` on a thread with a large stack (deep inputs recurse in both parsers,
/// and a test thread has 2 MiB).
fn big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    carbon::on_big_stack(f)
}

fn carbon_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            carbon_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "carbon") {
            out.push(p);
        }
    }
}

/// Every `.carbon` file of the crate, with its text (files that are not UTF-8,
/// which never reach the parser, are left out).
fn corpus() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for d in ["examples", "prelude", "tests"] {
        carbon_files(&root.join(d), &mut files);
    }
    let mut out: Vec<(String, String)> = files
        .into_iter()
        .filter_map(|p| {
            let text = String::from_utf8(std::fs::read(&p).ok()?).ok()?;
            Some((p.strip_prefix(root).unwrap_or(&p).display().to_string(), text))
        })
        .collect();
    // The nine kinds written in the language (docs/design/kinds.md §2).
    let doc = std::fs::read_to_string(root.join("docs/design/kinds.md")).unwrap_or_default();
    if let Some(i) = doc.find("## 2. The nine kinds") {
        let block = doc[i..].split("```carbon\n").nth(1).and_then(|b| b.split("```").next());
        out.extend(block.map(|b| ("docs/design/kinds.md §2".to_string(), b.to_string())));
    }
    out
}

#[test]
fn every_carbon_file_of_the_crate() {
    big_stack(|| {
        let files = corpus();
        assert!(files.len() > 50, "the corpus is missing: {} files", files.len());
        let (mut fast, mut pest_ok) = (0, 0);
        for (name, text) in &files {
            let accepted = compare(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            let pest_clean = parse_pest_only(SRC, text).diags.is_empty();
            if pest_clean {
                pest_ok += 1;
                assert!(accepted, "{name}: pest parses it, the fast path gives up");
            }
            if name.starts_with("examples") || name.starts_with("prelude") {
                assert!(accepted, "{name}: the fast path must accept it");
            }
            fast += accepted as usize;
        }
        eprintln!("{} files: {pest_ok} valid, {fast} taken by the fast path", files.len());
    });
}

/// Large files are parsed in two halves: the result is that of the pest path,
/// also when the cut falls before a `;` on a line of its own or a comment.
#[test]
fn halves() {
    let one = include_str!("../examples/yongning.carbon");
    let mut text = String::new();
    while text.len() < 600 * 1024 {
        text.push_str(one);
        text.push_str("energy x { amount 1 t }\n/* c */ energy z { amount 1 t } // after\nlet y = 2 t\n");
    }
    big_stack(|| {
        assert!(compare(&text).expect("same AST"), "the fast path gives up");
        assert!(
            parse_stream_only(SRC, &text, 256 * 1024).is_some(),
            "the pieces give up"
        );
        text.push_str("energy x { amount 1 t }\n;\n");
        let semis = text.replace("energy z { amount 1 t } // after\n", "energy z { amount 1 t }\n;\n");
        compare(&semis).expect("same AST");
    });
}

#[test]
fn generated_workloads() {
    // W(2000) (320 KB) is parsed on two threads and in pieces, as W(20000) is.
    generated_workloads_up_to(&[0, 1, 2, 3, 4, 5, 17, 1000, 2000]);
}

fn generated_workloads_up_to(sizes: &[usize]) {
    big_stack(|| {
        let mut largest = 0;
        for &n in sizes {
            let (text, _) = workload::generate(n, workload::DEFAULT_SEED + n as u64);
            largest = largest.max(text.len());
            assert!(compare(&text).expect("same AST"), "W({n}): the fast path gives up");
            // A large file is parsed in pieces: they must not give up on W(N).
            for piece in [4096, 256 * 1024] {
                assert!(
                    parse_stream_only(SRC, &text, piece).is_some(),
                    "W({n}) in pieces of {piece}: gave up"
                );
            }
        }
        // At least one file large enough for the two threads (256 KB) and the pieces.
        assert!(largest >= 256 * 1024, "the largest workload is {largest} bytes");
    });
}

/// Hand-picked corners of the grammar: each must give the same result both ways.
#[test]
fn corners() {
    let programs = [
        "let x = 44/12 tCO2/tC",
        "let x = 44 / 12 tCO2/tC",
        "let x = 44/12",
        "let x = 44/0 t",
        "let x = 44/0",
        "let x = 100 t / 5 a",
        "let x = 1 t / (2 a)",
        "let x = 1 t / (1 + 2)",
        "let x = 1 t/ 2",
        "let x = 2 m^2/3 s",
        "let x = 2 m^2/s",
        "let x = 2 m^2/0",
        "let x = 2 m^99999",
        "let x = 2 m² + 3 m⁻² · 4 (10^4 kWh)^2",
        "let x = 2 ((t))",
        "let x = 2 ((t)/(a))",
        "let x = (1 + 2)",
        "let x = -(-(1))",
        "let x = - - 1 − −2",
        "let x = 2^-2*3",
        "let x = -2^2",
        "let x = a ^ b ^ c",
        "let x = a * -b ^ c",
        "let x = 1 × 2 · 3 * 4",
        "let x = 1 to t",
        "let x = (a to 1000 t) to (t)",
        "let x = a to t ;",
        "let x = 1e999",
        "let x = 10^400",
        "let x = 10^-400",
        "let x = 10^x",
        "let x = 10 ^3",
        "let x = 1.",
        "let x = .5",
        "let x = 1.e5 t",
        "let x = 1e t",
        "let x = 2kg",
        "let x = 1 m ^2",
        "let x = 1\nt",
        "let x = 1 /* c */ t",
        "let x = 1 t //c\n",
        "let x = 1 t/*c*/ + 2 t",
        "let x = a.b.c",
        "let x = a.",
        "let x = 1 to² ",
        "let x = 1 tonne",
        "let x = 5 within",
        "let letter = 1",
        "let let = 1",
        "let x = 1 t from a, \"b\" , c assumed \"\" allow zero_term \"r\" also 2 t from d parts 1 t",
        "let x = 1 t parts 1 t + 2 t from a also 3 t also 4 t assumed \"q\";",
        "let x = 1 t assumed \"a\\\"b\\n\\t\\\\\"",
        "source paper \"Chen\"   // c\n\n",
        "source paper \"Chen\" ;",
        "dimension CO2 \"carbon dioxide\" display tCO2",
        "dimension CO2 displayt",
        "dimension x display\nunit t : mass",
        "dimension x\n",
        "unit g : mass prefixes metric",
        "unit t = 1e6 g prefixes large from a ;",
        "unit % = 0.01",
        "unit ‰ = 0.001",
        "unit x = (10^4 kWh)",
        "unit x = kWh",
        "expect a: 1 t == 1 t within 1 % known \"k\" from p",
        "expect a == 1 t within 1 %",
        "expect a : b == c within 0.5 % ;",
        "energy coal { amount 1695.2 t from paper; fold 0.902 tce/t }",
        "inventory \"Yongning\" { period 1 a gwp AR6 } ;",
        "x { allow zero_term \"r\"; allow a \"b\" a 1 }",
        "x y { a \"\" b \"t\" }",
        "x y { a 1 t\n allow z \"r\" }",
        "x { }",
        "\u{FEFF}x { a 1\r\n b\t2\tt }",
        "x { a 1 t } \n/* c */ y { } # c",
        "x { a 1 , 2 }",
        "x { a NE \"r\" b NO\"s\" from p; c IE // c\n \"t\" also 1 t }",
        "x { a NA \"\" b NE c NEx \"r\" }",
        "x { a NE \"r\" + 1 }",
        "let x = NE \"r\"",
        "x { a = 1 }",
        "x { a 13,060.70 t }",
        "x { a ( 1 ) }",
        "x { a (1 t) to kg }",
        "x { a (( 1 )) b (t) }",
        "x { a 1 (t)² }",
        "x { a 1 (2 t)^-1/2 }",
        "x { a 1 %abc }",
        "x { a 1 °C + 2 µg }",
        "x { a 1 CO₂ }",
        "x { é 1 é }",
        "x { a 1 t\u{00A0} }",
        "x { a 1 \u{2003}t }",
        "x{a 1}y{b 2}",
        "let x = 1 t\nlet y = x * 2",
        "let x = 1\tt\t/\ta · b × c\t*\td",
        "let x = 1 ( \t2 t\t)",
        "let x = 1 (2 t) / ( t )²",
        "let x = 1 t ⁻¹",
        "let x = 1 t⁻¹²",
        "let x = 1 t^-12/4",
        "let x = 1 t^+2",
        "let x = 1e5e t",
        "let x = 10^3^2",
        "let x = 10^3 ^ 2",
        "let x = a.b.c.d to 1e-3 t",
        "let x = (a) to t^2 parts (b) also c",
        "let x = 1 t from a /* c */ , /* d */ \"b\" // e\n , c",
        "let x = 1 t assumed \"a\" assumed \"b\" from x assumed \"\"",
        "let x = 1 t assumed \"a\\\nb\"",
        "let x = 1 t\r\n  from a\r\n",
        "let x = 1 t # comment\n also 2 t # more\n",
        "let x\u{FEFF}=\u{FEFF}1",
        "dimension CO2 /* c */ display /* d */ tCO2 ;",
        "dimension CO2 \"x\" display",
        "dimension CO2 display to",
        "unit t = 1e6 g prefixes large assumed \"x\" allow a \"b\"",
        "unit t = 1e6\tg",
        "unit t = 1e6\ng",
        "unit t : mass ; unit g : mass",
        "unit a = 1 d override \"r\" from s ;",
        "unit a = 1 d prefixes metric override \"r\" allow a \"b\"",
        "unit a = 1 d override",
        "unit a = 1 d override r",
        "dimension mass \"m\" display t override \"r\" ;",
        "dimension mass override \"r\"",
        "dimension mass display override \"r\"",
        "let override = 1",
        "expect a: b == c within d known \"\" ;",
        "expect 1 t == 2 t within 3 % from a also",
        "expect a == b within c known",
        "x \"t\" { a 1 } ; ; ",
        "x { a 1 ; ; }",
        "x { allow a \"b\" allow c \"d\" ; e 1 }",
        "x { a \"s\" parts 1 also 2 from c }",
        "x { a - 1 b −2 c - - 3 }",
        "x { a 1 t\n - 2 t }",
        "x { a 1 t\n b - 2 t }",
        "x { a 1 }\n;\ny { }",
        "x { a 1 } /* } */ y { b 2 }",
        "x { a 1 } // }\ny { b 2 }",
        "",
        "   \n // only a comment",
        "let d = exp(-k * t) from s",
        "let m = min(3 t, 2500 kg) + max(a, b, c) ; let c = clamp(x, lo, hi)",
        "let s = 5 t * min(a, b) / sqrt(4 m2) to m",
        "x { a abs( - 3 t ) from s b ln(1)\n c log10(1000) }",
        "let e = f() + g(,) + h(1,) + max (1, 2)",
        "let e = exp(1)(2)",
        "let e = exp(\n1 t // c\n, 2 )",
    ];
    big_stack(|| {
        for p in programs {
            compare(p).unwrap_or_else(|e| panic!("{e}"));
        }
        for e in [
            "1 t",
            " 44/12 tCO2/tC to t ",
            "a.b + -2^2",
            "(1",
            "1 t from a",
            "",
            "1 +",
            "x to",
            "exp(-k * t)",
            "min(3 t, 2500 kg) to t",
            "5 t*max(1, 2)",
            "clamp(120 %, 0 %, 100 %)",
            "sqrt(sqrt(16 m4))^2",
            "max(",
            "to(1)",
        ] {
            compare_expr(e).unwrap_or_else(|e| panic!("{e}"));
        }
    });
}

/// 250 nested parentheses (within the limits) and 257 (beyond them), a 300-term
/// power tower and long runs of signs: the same result both ways, and no overflow.
#[test]
fn deep_inputs() {
    big_stack(|| {
        for n in [10, 200, 250, 255, 256, 257, 300] {
            let parens = format!("let x = {}1 t{}", "(".repeat(n), ")".repeat(n));
            compare(&parens).unwrap_or_else(|e| panic!("{e}"));
            let groups = format!("let x = 1 {}t{}", "(".repeat(n), ")".repeat(n));
            compare(&groups).unwrap_or_else(|e| panic!("{e}"));
            let pows = format!("let x = 2{}", "^2".repeat(n));
            compare(&pows).unwrap_or_else(|e| panic!("{e}"));
            let signs = format!("let x = {}1", "- ".repeat(n));
            compare(&signs).unwrap_or_else(|e| panic!("{e}"));
            let sum = format!("let x = 1{}", " + 1".repeat(n));
            compare(&sum).unwrap_or_else(|e| panic!("{e}"));
            let mixed = format!("let x = {}1{}", "(1 + ".repeat(n), ")".repeat(n));
            compare(&mixed).unwrap_or_else(|e| panic!("{e}"));
            let unit = format!("let x = 1 t{}", "/t".repeat(n / 4));
            compare(&unit).unwrap_or_else(|e| panic!("{e}"));
        }
    });
}

// ---- random programs from the grammar ---------------------------------------------

/// Placeholders in generated text: a blank between the elements of a non-atomic
/// rule (any whitespace or comment), and an optional blank inside a quantity.
const SEP: char = '\u{1}';
const IWS: char = '\u{2}';

fn pick<T: Clone + std::fmt::Debug + 'static>(xs: &'static [T]) -> impl Strategy<Value = T> {
    proptest::sample::select(xs)
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0u32..100_000).prop_map(|n| n.to_string()),
        4 => (0u32..10_000, 0u32..1000).prop_map(|(a, b)| format!("{a}.{b}")),
        1 => (0u32..100).prop_map(|b| format!(".{b}")),
        1 => (0u32..100).prop_map(|a| format!("{a}.")),
        1 => (1u32..10, -330i32..330).prop_map(|(m, e)| format!("{m}e{e}")),
        1 => (1u32..10, 0i32..30).prop_map(|(m, e)| format!("{m}.5E+{e}")),
        1 => (-330i32..330).prop_map(|e| format!("10^{e}")),
        1 => (0i32..30).prop_map(|e| format!("10^+{e}")),
        1 => pick(&["0", "0.0", "00.000"]).prop_map(String::from),
        1 => prop_oneof![20 => Just("1"), 1 => Just("1e999"), 1 => Just("1_000")].prop_map(String::from),
    ]
}

fn ident() -> impl Strategy<Value = String> {
    prop_oneof![
        40 => pick(&["a", "b", "coal", "amount", "area", "x_1", "_y", "survey_3", "fold", "density", "gas"]),
        5 => pick(&["é", "Ωmega", "letter", "tonne", "units", "display", "lets"]),
        1 => pick(&["let", "to", "from", "unit", "parts", "also", "allow", "within", "known", "expect", "kind"]),
    ]
    .prop_map(String::from)
}

/// A name, or one of the contextual words of a kind body (names elsewhere).
fn kind_ident() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => ident(),
        1 => pick(&["field", "value", "term", "when", "group", "scope", "one", "of", "min", "key", "help", "eq", "flow", "any"])
            .prop_map(String::from),
    ]
}

fn atom() -> impl Strategy<Value = String> {
    prop_oneof![
        40 => pick(&["t", "tC", "tCO2", "tCO2e", "hm2", "m3", "a", "kWh", "tce", "kg", "ha", "Gg", "MWh"]),
        10 => pick(&["%", "‰", "°C", "µg", "CO₂", "CH₄", "m²", "m³", "x_1", "é", "tonne"]),
        1 => pick(&["to", "from", "within", "also"]),
    ]
    .prop_map(String::from)
}

fn power() -> impl Strategy<Value = String> {
    prop_oneof![
        30 => Just(String::new()),
        6 => pick(&["^2", "^-1", "^1/2", "^3", "²", "³", "⁻¹", "⁻²", "⁴", "¹²", "^0"]).prop_map(String::from),
        1 => pick(&["^2/0", "^99999", "^", "^-", "^x", "⁻"]).prop_map(String::from),
    ]
}

fn unit() -> impl Strategy<Value = String> {
    let factor = (atom(), power()).prop_map(|(a, p)| format!("{a}{p}"));
    factor.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            3 => (inner.clone(), pick(&["/", "*", "·", "×", " / ", "/ ", " *", "/\t"]), inner.clone())
                .prop_map(|(a, op, b)| format!("{a}{op}{b}")),
            1 => (proptest::option::of(number()), inner.clone(), power(), pick(&["", " "]))
                .prop_map(|(n, u, p, s)| match n {
                    Some(n) => format!("({s}{n} {u}{s}){p}"),
                    None => format!("({s}{u}{s}){p}"),
                }),
        ]
    })
}

fn quantity() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (number(), unit()).prop_map(|(n, u)| format!("{n}{IWS}{u}")),
        2 => number(),
        1 => (number(), number(), unit()).prop_map(|(a, b, u)| format!("{a}{IWS}/{IWS}{b}{IWS}{u}")),
        1 => (number(), number()).prop_map(|(a, b)| format!("{a}/{b}")),
    ]
}

fn path() -> impl Strategy<Value = String> {
    proptest::collection::vec(ident(), 1..4).prop_map(|v| v.join("."))
}

fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![3 => quantity(), 1 => path()];
    leaf.prop_recursive(5, 24, 4, |inner| {
        prop_oneof![
            4 => (inner.clone(), pick(&["+", "-", "−", "*", "×", "·", "/", "^"]), inner.clone())
                .prop_map(|(a, op, b)| format!("{a}{SEP}{op}{SEP}{b}")),
            1 => (pick(&["-", "−", "- -"]), inner.clone()).prop_map(|(s, e)| format!("{s}{SEP}{e}")),
            1 => inner.clone().prop_map(|e| format!("({SEP}{e}{SEP})")),
            // Calls: builtins and other names (a value, a keyword), with no, one
            // or several arguments; a blank before `(` makes it no call.
            1 => (
                pick(&["exp", "ln", "sqrt", "min", "max", "clamp", "abs", "log10", "a", "coal", "to", "é"]),
                pick(&["(", "(", "(", " (", "\t("]),
                proptest::collection::vec(inner.clone(), 0..4),
                pick(&[",", ",", ", ", " ,", ",,"]),
            )
                .prop_map(|(f, open, args, comma)| {
                    let comma = format!("{comma}{SEP}");
                    format!("{f}{open}{SEP}{}{SEP})", args.join(&comma))
                }),
            1 => (inner.clone(), proptest::option::of(number()), unit())
                .prop_map(|(e, n, u)| match n {
                    Some(n) => format!("{e}{SEP}to{SEP}{n}{IWS}{u}"),
                    None => format!("{e}{SEP}to{SEP}{u}"),
                }),
        ]
    })
}

fn string() -> impl Strategy<Value = String> {
    pick(&[
        "\"x\"",
        "\"\"",
        "\"a \\\"b\\\" c\"",
        "\"tab\\tnl\\n\"",
        "\"é ü\"",
        "\"\\\\\"",
        "\"Chen et al. (2026)\"",
    ])
    .prop_map(String::from)
}

fn provenance() -> impl Strategy<Value = String> {
    let citation = prop_oneof![ident(), string()];
    let clause = prop_oneof![
        3 => proptest::collection::vec(citation, 1..3).prop_map(|c| format!("from{SEP}{}", c.join(&format!("{SEP},{SEP}")))),
        2 => string().prop_map(|s| format!("assumed{SEP}{s}")),
        1 => (ident(), string()).prop_map(|(i, s)| format!("allow{SEP}{i}{SEP}{s}")),
    ];
    proptest::collection::vec(clause, 0..3).prop_map(|v| v.join(&SEP.to_string()))
}

/// `parts_clause? ~ provenance ~ also_clause* ~ ";"?`
fn statements() -> impl Strategy<Value = String> {
    (
        proptest::option::of(expr()),
        provenance(),
        proptest::collection::vec((expr(), provenance()), 0..2),
        pick(&["", ";"]),
    )
        .prop_map(|(parts, prov, also, semi)| {
            let mut s = String::new();
            if let Some(p) = parts {
                s += &format!("{SEP}parts{SEP}{p}");
            }
            s += &format!("{SEP}{prov}");
            for (e, p) in also {
                s += &format!("{SEP}also{SEP}{e}{SEP}{p}");
            }
            s + SEP.to_string().as_str() + semi
        })
}

fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (ident(), prop_oneof![4 => expr(), 1 => string(), 1 => notation()], statements())
            .prop_map(|(n, v, s)| format!("{n}{SEP}{v}{s}")),
        1 => (ident(), string(), pick(&["", ";"])).prop_map(|(i, s, semi)| format!("allow{SEP}{i}{SEP}{s}{SEP}{semi}")),
    ]
}

/// A notation key and its reason, or a key read as a name (`NE`, `NEx`, `NE 1`).
fn notation() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (pick(&["NE", "NO", "IE", "NA"]), string()).prop_map(|(k, s)| format!("{k}{SEP}{s}")),
        1 => pick(&["NE", "NEx", "NE_1", "NE.a", "NA + 1", "IE\n\"r\"", "NO/*c*/\"r\"", "NE\"\""]).prop_map(String::from),
    ]
}

fn decl() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (ident(), expr(), statements()).prop_map(|(n, e, s)| format!("let{SEP}{n}{SEP}={SEP}{e}{s}")),
        1 => (ident(), string(), pick(&["", ";"])).prop_map(|(n, s, semi)| format!("source{SEP}{n}{SEP}{s}{SEP}{semi}")),
        1 => (ident(), proptest::option::of(string()), proptest::option::of(atom()), pick(&["", ";"]))
            .prop_map(|(n, s, d, semi)| {
                format!(
                    "dimension{SEP}{n}{SEP}{}{SEP}{}{SEP}{semi}",
                    s.unwrap_or_default(),
                    d.map(|d| format!("display{SEP}{d}")).unwrap_or_default()
                )
            }),
        1 => (atom(), prop_oneof![
                ident().prop_map(|i| format!(":{SEP}{i}")),
                (number(), unit()).prop_map(|(n, u)| format!("={SEP}{n}{IWS}{u}")),
                number().prop_map(|n| format!("={SEP}{n}")),
                unit().prop_map(|u| format!("={SEP}{u}")),
            ], proptest::option::of(ident()), provenance(), pick(&["", ";"]))
            .prop_map(|(a, def, pre, prov, semi)| {
                format!(
                    "unit{SEP}{a}{SEP}{def}{SEP}{}{SEP}{prov}{SEP}{semi}",
                    pre.map(|p| format!("prefixes{SEP}{p}")).unwrap_or_default()
                )
            }),
        1 => (proptest::option::of(ident()), expr(), expr(), expr(), proptest::option::of(string()), provenance(), pick(&["", ";"]))
            .prop_map(|(n, a, b, c, k, prov, semi)| {
                format!(
                    "expect{SEP}{}{a}{SEP}=={SEP}{b}{SEP}within{SEP}{c}{SEP}{}{SEP}{prov}{SEP}{semi}",
                    n.map(|n| format!("{n}{SEP}:{SEP}")).unwrap_or_default(),
                    k.map(|k| format!("known{SEP}{k}")).unwrap_or_default()
                )
            }),
        3 => (ident(), prop_oneof![Just(String::new()), ident(), string()], proptest::collection::vec(field(), 0..4), pick(&["", ";"]))
            .prop_map(|(k, n, f, semi)| format!("{k}{SEP}{n}{SEP}{{{SEP}{}{SEP}}}{SEP}{semi}", f.join(&SEP.to_string()))),
        1 => kind_decl(),
    ]
}

// ---- kinds (docs/design/kinds.md §1) ----------------------------------------------------

/// `kind name "title"? override_clause? { items }`
fn kind_decl() -> impl Strategy<Value = String> {
    (
        kind_ident(),
        proptest::option::of(string()),
        proptest::option::of(string()),
        proptest::collection::vec((kind_item(), pick(&["", "", ";"])), 0..5),
        pick(&["", ";"]),
    )
        .prop_map(|(n, t, o, items, semi)| {
            let items: Vec<String> = items.into_iter().map(|(i, s)| format!("{i}{SEP}{s}")).collect();
            format!(
                "kind{SEP}{n}{SEP}{}{SEP}{}{SEP}{{{SEP}{}{SEP}}}{SEP}{semi}",
                t.unwrap_or_default(),
                o.map(|o| format!("override{SEP}{o}")).unwrap_or_default(),
                items.join(&SEP.to_string())
            )
        })
}

/// A dimension: names and `1` with exponents, between operators.
fn dim() -> impl Strategy<Value = String> {
    let factor =
        (prop_oneof![4 => kind_ident(), 1 => Just("1".to_string())], power()).prop_map(|(a, p)| format!("{a}{p}"));
    factor.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            3 => (inner.clone(), pick(&["/", "*", "·", " / ", "×"]), inner.clone()).prop_map(|(a, op, b)| format!("{a}{op}{b}")),
            1 => (inner.clone(), power()).prop_map(|(d, p)| format!("({IWS}{d}{IWS}){p}")),
        ]
    })
}

fn shape() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => proptest::collection::vec(kind_ident(), 1..4).prop_map(|w| format!("one{SEP}of{SEP}{}", w.join(&format!("{SEP}|{SEP}")))),
        1 => Just("text".to_string()),
        4 => (pick(&["", "flow"]), prop_oneof![1 => Just("substance".to_string()), 1 => Just("any".to_string()), 4 => dim()])
            .prop_map(|(f, d)| format!("{f}{SEP}{d}")),
    ]
}

fn guard() -> impl Strategy<Value = String> {
    proptest::collection::vec((kind_ident(), proptest::option::of(kind_ident())), 1..3).prop_map(|cs| {
        let cs: Vec<String> = cs
            .into_iter()
            .map(|(f, w)| match w {
                Some(w) => format!("{f}{SEP}={SEP}{w}"),
                None => f,
            })
            .collect();
        format!("when{SEP}{}", cs.join(&format!("{SEP},{SEP}")))
    })
}

/// A field's options and provenance, a value's or a term's clauses.
fn kind_clauses(field: bool) -> impl Strategy<Value = String> {
    let clause = prop_oneof![
        2 => (pick(&["min", "above", "max"]), expr(), proptest::option::of(string()))
            .prop_map(|(w, e, s)| format!("{w}{SEP}{e}{SEP}{}", s.unwrap_or_default())),
        1 => string().prop_map(|s| format!("negative{SEP}warn{SEP}{s}")),
        1 => (proptest::option::of(number()), unit()).prop_map(|(n, u)| match n {
            Some(n) => format!("key{SEP}{n}{IWS}{u}"),
            None => format!("key{SEP}{u}"),
        }),
        1 => Just(format!("is{SEP}gwp")),
        1 => string().prop_map(|s| format!("help{SEP}{s}")),
        1 => (string(), string()).prop_map(|(a, b)| format!("want{SEP}{a}{SEP}example{SEP}{b}")),
        1 => string().prop_map(|s| format!("eq{SEP}{s}")),
        2 => provenance(),
    ];
    proptest::collection::vec(clause, 0..3).prop_map(move |v| {
        // Kept to each item's own clauses, mostly (a few stray ones test the errors).
        let field_only = ["min", "above", "max", "negative", "key", "is"];
        let keep = |c: &String| {
            c.len().is_multiple_of(7)
                || if field {
                    !c.starts_with("eq")
                } else {
                    !field_only.iter().any(|w| c.starts_with(w))
                }
        };
        v.into_iter().filter(keep).collect::<Vec<_>>().join(&SEP.to_string())
    })
}

fn kind_item() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (kind_ident(), pick(&["", "?"]), shape(), proptest::option::of(expr()), string(), kind_clauses(true))
            .prop_map(|(n, q, sh, d, m, c)| {
                let d = d.map(|d| format!("={SEP}{d}")).unwrap_or_default();
                format!("field{SEP}{n}{SEP}{q}{SEP}:{SEP}{sh}{SEP}{d}{SEP}{m}{SEP}{c}")
            }),
        3 => (kind_ident(), proptest::option::of(shape()), expr(), string(), kind_clauses(false), proptest::option::of(guard()))
            .prop_map(|(n, sh, e, m, c, g)| {
                let sh = sh.map(|s| format!(":{SEP}{s}")).unwrap_or_default();
                format!("value{SEP}{n}{SEP}{sh}{SEP}={SEP}{e}{SEP}{m}{SEP}{c}{SEP}{}", g.unwrap_or_default())
            }),
        2 => (expr(), string(), kind_clauses(false), proptest::option::of(guard()))
            .prop_map(|(e, m, c, g)| format!("term{SEP}{e}{SEP}{m}{SEP}{c}{SEP}{}", g.unwrap_or_default())),
        1 => (proptest::collection::vec(proptest::collection::vec(kind_ident(), 1..3), 2..4), string(), proptest::option::of(string()))
            .prop_map(|(sets, m, h)| {
                let sets: Vec<String> = sets.into_iter().map(|s| s.join(&SEP.to_string())).collect();
                let h = h.map(|h| format!("help{SEP}{h}")).unwrap_or_default();
                format!("one{SEP}of{SEP}{}{SEP}{m}{SEP}{h}", sets.join(&format!("{SEP}|{SEP}")))
            }),
        2 => (pick(&["group", "part", "scope", "gas"]), prop_oneof![3 => kind_ident(), 1 => (0u32..10).prop_map(|n| n.to_string())], proptest::option::of(guard()))
            .prop_map(|(w, v, g)| format!("{w}{SEP}{v}{SEP}{}", g.unwrap_or_default())),
        1 => (kind_ident(), string(), guard()).prop_map(|(c, t, g)| format!("flag{SEP}{c}{SEP}{t}{SEP}{g}")),
        1 => string().prop_map(|s| format!("notation{SEP}help{SEP}{s}")),
    ]
}

/// Replaces the placeholders: blanks chosen by `seed`, mostly a space, sometimes
/// none (which may glue two tokens together), a newline, a tab, CRLF, a BOM or a
/// comment.
fn render(template: &str, seed: u64) -> String {
    const SEPS: &[&str] = &[
        " ",
        " ",
        " ",
        " ",
        " ",
        " ",
        " ",
        " ",
        " ",
        "\n",
        "\n  ",
        "\t",
        "\r\n",
        "  ",
        " /* c */ ",
        " // c\n",
        "# c\n",
        "\u{FEFF}",
        "/**/",
    ];
    const IWSS: &[&str] = &[" ", " ", " ", "", "", "\t", "  ", " \t"];
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) as usize
    };
    let mut out = String::with_capacity(template.len() * 2);
    for c in template.chars() {
        match c {
            // Now and then nothing at all, which may glue two tokens together.
            SEP | IWS if next() % 64 == 0 => {}
            SEP => out.push_str(SEPS[next() % SEPS.len()]),
            IWS if next() % 64 == 0 => out.push('\n'),
            IWS => out.push_str(IWSS[next() % IWSS.len()]),
            c => out.push(c),
        }
    }
    out
}

fn program() -> impl Strategy<Value = String> {
    (proptest::collection::vec(decl(), 1..5), any::<u64>()).prop_map(|(d, seed)| {
        let t = d.join(&format!("{SEP}\n"));
        render(&t, seed)
    })
}

// ---- mutations ------------------------------------------------------------------------

/// Snippets a mutation may insert: tokens of the language, its blanks and comment
/// markers, and characters it does not know.
const SNIPPETS: &[&str] = &[
    " ", "\n", "\t", "\r\n", "\u{FEFF}", "(", ")", "{", "}", "/", "*", "+", "-", "−", "×", "·", "^", "²", "³", "⁻",
    "₂", ".", ",", ";", ":", "=", "==", "\"", "\\", "#", "//", "/*", "*/", "0", "1", "9", ".5", "e", "E", "10^", "t",
    "a", "%", "µ", "°", "é", "_", "to", "let", "from", "also", "parts", "allow", "within", "known", "assumed",
    "display", "prefixes", "unit", "x", "\u{00A0}", "€", "\u{0}", "kind", "field", "when", "?", "|",
];

#[derive(Clone, Debug)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, &'static str),
    Replace(usize, &'static str),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..4).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), pick(SNIPPETS)).prop_map(|(a, s)| Mutation::Insert(a, s)),
        (any::<usize>(), pick(SNIPPETS)).prop_map(|(a, s)| Mutation::Replace(a, s)),
        (any::<usize>(), 1usize..40).prop_map(|(a, n)| Mutation::Duplicate(a, n)),
    ]
}

/// Applies mutations at character positions (`at` is taken modulo the length).
fn mutate(text: &str, muts: &[Mutation]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for m in muts {
        let len = chars.len();
        match *m {
            Mutation::Delete(at, n) if len > 0 => {
                let at = at % len;
                chars.drain(at..(at + n).min(len));
            }
            Mutation::Insert(at, s) => {
                let at = at % (len + 1);
                chars.splice(at..at, s.chars());
            }
            Mutation::Replace(at, s) if len > 0 => {
                let at = at % len;
                chars.splice(at..at + 1, s.chars());
            }
            Mutation::Duplicate(at, n) if len > 0 => {
                let at = at % len;
                let piece: Vec<char> = chars[at..(at + n).min(len)].to_vec();
                chars.splice(at..at, piece);
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

/// A window of about `len` characters of `text` starting near `at`, cut at line
/// starts so that it holds whole declarations more often than not.
fn window(text: &str, at: usize, len: usize) -> &str {
    let n = text.len();
    if n == 0 {
        return text;
    }
    let mut s = at % n;
    while s > 0 && !text.is_char_boundary(s) {
        s -= 1;
    }
    let s = text[..s].rfind('\n').map_or(0, |i| i + 1);
    let mut e = (s + len).min(n);
    while e < n && !text.is_char_boundary(e) {
        e += 1;
    }
    let e = text[e..].find('\n').map_or(n, |i| e + i);
    &text[s..e]
}

struct Tally {
    name: &'static str,
    cases: AtomicUsize,
    fast: AtomicUsize,
}

impl Tally {
    const fn new(name: &'static str) -> Tally {
        Tally {
            name,
            cases: AtomicUsize::new(0),
            fast: AtomicUsize::new(0),
        }
    }
    fn record(&self, fast: bool) {
        self.cases.fetch_add(1, Ordering::Relaxed);
        self.fast.fetch_add(fast as usize, Ordering::Relaxed);
    }
    /// Prints the tally and checks that the fast path took at least `min` of the cases.
    fn report(&self, min: f64) {
        let (c, f) = (self.cases.load(Ordering::Relaxed), self.fast.load(Ordering::Relaxed));
        eprintln!(
            "{}: {c} cases, {f} taken by the fast path and identical to pest",
            self.name
        );
        assert!(
            c > 0 && f as f64 >= min * c as f64,
            "{}: the fast path took too few cases",
            self.name
        );
    }
}

/// Runs a property over the values of the strategy `make` builds (on the thread
/// that runs it: strategies are not `Send`).
fn run<S: Strategy>(
    cases: u32,
    make: impl FnOnce() -> S + Send,
    tally: &Tally,
    min: f64,
    check: impl Fn(S::Value) -> Result<bool, String> + Sync,
) where
    S::Value: std::fmt::Debug,
{
    big_stack(|| {
        let strategy = make();
        let config = Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        };
        // The same cases on every run, so a tally's share is not luck; set
        // PARSE_DIFF_RANDOM to draw new ones (as the fuzz targets do).
        let mut runner = if std::env::var_os("PARSE_DIFF_RANDOM").is_some() {
            TestRunner::new(config)
        } else {
            TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
        };
        let r = runner.run(&strategy, |v| {
            let fast = check(v).map_err(TestCaseError::fail)?;
            tally.record(fast);
            Ok(())
        });
        if let Err(e) = r {
            panic!("{e}");
        }
    });
    tally.report(min);
}

// Each property with the cases of CI (a few seconds in a debug build); `long_run`
// runs them all with `LONG_CASES`.

#[test]
fn random_programs() {
    random_programs_n(cases(300));
}

fn random_programs_n(cases: u32) {
    static T: Tally = Tally::new("random programs");
    run(cases, program, &T, 0.2, |p| compare(&p));
}

/// Programs of `kind` declarations only (docs/design/kinds.md §1).
#[test]
fn random_kinds() {
    random_kinds_n(cases(300));
}

fn random_kinds_n(cases: u32) {
    static T: Tally = Tally::new("random kinds");
    let program = || {
        (proptest::collection::vec(kind_decl(), 1..3), any::<u64>())
            .prop_map(|(d, seed)| render(&d.join(&format!("{SEP}\n")), seed))
    };
    run(cases, program, &T, 0.1, |p| compare(&p));
}

#[test]
fn random_expressions() {
    random_expressions_n(cases(1000));
}

fn random_expressions_n(cases: u32) {
    static T: Tally = Tally::new("random expressions");
    run(
        cases,
        || (expr(), any::<u64>()),
        &T,
        0.2,
        |(e, seed)| compare_expr(&render(&e, seed)),
    );
}

#[test]
fn mutated_random_programs() {
    mutated_random_programs_n(cases(300));
}

fn mutated_random_programs_n(cases: u32) {
    static T: Tally = Tally::new("mutated random programs");
    run(
        cases,
        || (program(), proptest::collection::vec(mutation(), 1..4)),
        &T,
        0.05,
        |(p, m)| compare(&mutate(&p, &m)),
    );
}

#[test]
fn mutated_files() {
    mutated_files_n(cases(1500));
}

fn mutated_files_n(cases: u32) {
    static T: Tally = Tally::new("mutated files of the crate");
    let files: Vec<String> = corpus().into_iter().map(|(_, t)| t).collect();
    let n = files.len();
    run(
        cases,
        move || {
            (
                0..n,
                any::<usize>(),
                200usize..3000,
                proptest::collection::vec(mutation(), 1..4),
            )
        },
        &T,
        0.05,
        |(i, at, len, m)| compare(&mutate(window(&files[i], at, len), &m)),
    );
}

#[test]
fn mutated_whole_examples() {
    mutated_whole_examples_n(cases(150));
}

fn mutated_whole_examples_n(cases: u32) {
    static T: Tally = Tally::new("mutated whole examples");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files: Vec<String> = [
        "examples/yongning.carbon",
        "examples/demo_park.carbon",
        "prelude/prelude.carbon",
    ]
    .iter()
    .map(|f| std::fs::read_to_string(root.join(f)).expect("read an example"))
    .collect();
    run(
        cases,
        || (0..3usize, proptest::collection::vec(mutation(), 1..3)),
        &T,
        0.05,
        |(i, m)| compare(&mutate(&files[i], &m)),
    );
}

/// The long run: every property with `LONG_CASES` (or `PARSE_DIFF_CASES`) and the
/// workloads up to W(20000) (3 MB). Minutes in a debug build:
/// `cargo test --release --test parse_diff -- --ignored`.
#[test]
#[ignore = "long: cargo test --release --test parse_diff -- --ignored"]
fn long_run() {
    let n = cases(LONG_CASES);
    random_programs_n(n);
    random_kinds_n(n);
    random_expressions_n(n);
    mutated_random_programs_n(n);
    mutated_files_n(n);
    mutated_whole_examples_n(n);
    generated_workloads_up_to(&[0, 1, 2, 3, 4, 5, 17, 1000, 2000, 20_000]);
}

/// Not a check: times both paths on W(N), with the binary's allocator, the AST
/// dropped outside the clock, best of 5 (`PARSE_DIFF_RUNS`); on Linux also the
/// CPU time of the process, all threads (10 ms ticks), so that a busy machine
/// matters less. `PARSE_DIFF_SIZES=10000,100000`, `PARSE_DIFF_FAST_ONLY=1`.
/// `cargo test --release --test parse_diff -- --ignored --nocapture timing`
#[test]
#[ignore]
fn timing() {
    use std::time::Instant;
    /// CPU time of this process in ms (Linux), else NaN.
    fn cpu_ms() -> f64 {
        let ticks = std::fs::read_to_string("/proc/self/stat").ok().and_then(|s| {
            // Fields after the command name, which is in parentheses.
            let rest = s.get(s.rfind(')')? + 2..)?;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?)
        });
        ticks.map_or(f64::NAN, |t| t * 10.0)
    }
    fn best<T>(f: &dyn Fn() -> T) -> (f64, f64) {
        let runs = std::env::var("PARSE_DIFF_RUNS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(5);
        let (mut wall, mut cpu) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..runs {
            let (t, c) = (Instant::now(), cpu_ms());
            let r = f();
            wall = wall.min(t.elapsed().as_secs_f64() * 1e3);
            cpu = cpu.min(cpu_ms() - c);
            drop(r);
        }
        (wall, cpu)
    }
    let sizes: Vec<usize> = std::env::var("PARSE_DIFF_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000]);
    for n in sizes {
        let (text, _) = workload::generate(n, workload::DEFAULT_SEED);
        let mb = text.len() as f64 / 1e6;
        let (w, c) = best(&|| parse_fast_only(SRC, &text).expect("the fast path parses W(N)"));
        eprintln!(
            "W({n}), {mb:.1} MB: fast path {w:.1} ms wall ({:.0} MB/s), {c:.0} ms CPU",
            mb / w * 1e3
        );
        if std::env::var("PARSE_DIFF_FAST_ONLY").is_ok() {
            continue;
        }
        let (w, c) = best(&|| syntax::parse(SRC, &text));
        eprintln!("W({n}): syntax::parse {w:.1} ms wall, {c:.0} ms CPU");
        let (w, c) = best(&|| parse_pest_only(SRC, &text));
        eprintln!("W({n}): pest path {w:.1} ms wall, {c:.0} ms CPU");
    }
}

/// Long statements, around the 1,024 operators the prepass once refused (a sum
/// is not nesting: there is no limit on operators now), on one line, across
/// lines inside and outside parentheses, in units and numbers, with `;` and
/// braces between: both paths take them alike.
#[test]
fn operator_limits() {
    let max = 1024;
    big_stack(|| {
        for n in [max - 2, max - 1, max, max + 1] {
            let programs = [
                format!("let x = 1{}", " + 1".repeat(n)),
                format!("let x = 1{}", " × 1".repeat(n)),
                format!("let x = 1{}", " - 1".repeat(n)),
                format!("let x = (1{})", "\n + 1".repeat(n)),
                format!("let x = 1{}", "\n + 1".repeat(n)),
                format!("let x = 1 t{}", "/t".repeat(n)),
                format!("let x = 1 t{}", " *t^2".repeat(n / 2)),
                format!("x {{ a 1 t{} }}", "\n  + 10^3 t".repeat(n / 2)),
                format!("x {{ {} }}", "a 1e+3 t/a ".repeat(n / 3)),
                format!("x {{ {} }}", "a 1e+3 t/a; ".repeat(n / 3)),
                "let a = 1 + 1 ".repeat(n / 2),
                "let a = 1 + 1;".repeat(n / 2),
                "x { a 1 + 1 } ".repeat(n / 2),
                format!("let x = 44/12 t{}", " + 44 / 12 t".repeat(n / 3)),
                format!("let x = 1 to {}", "t/".repeat(n) + "t"),
                format!("unit x = 10^3 {}", "t/".repeat(n) + "t"),
            ];
            for p in &programs {
                compare(p).unwrap_or_else(|e| panic!("{}", &e[..e.len().min(2000)]));
            }
        }
        // Statements the operator limit once refused: fields of 4 operators each on
        // one line (257 did not fit), and a sum in parentheses over many lines.
        for (k, fits) in [(256, true), (257, true)] {
            let fields = "a 1e+3 t/a/a/a ".repeat(k);
            let cases = [
                (format!("x {{ {fields} }}"), fits),
                (format!("x {{ {} }}", "a 1e+3 t/a/a/a; ".repeat(k)), true),
                (format!("x {{ {} }}", "a 1e+3 t/a/a/a\n".repeat(k)), true),
                (format!("x {{ {fields} }} y {{ {fields} }}"), fits),
                (format!("let x = 1{}", " + 1e+3 t/a/a/a\n".repeat(k * 4 / 5)), true),
                (format!("let x = (1{})", " + 1e+3 t/a/a/a\n".repeat(k * 4 / 5)), fits),
            ];
            for (p, valid) in cases {
                assert_eq!(compare(&p), Ok(valid), "{}", &p[..p.len().min(200)]);
            }
        }
        // Signs in a row, through parentheses and comments.
        for n in [250, 255, 256, 257, 300] {
            for p in [
                format!("let x = 1 {}1", "- ".repeat(n)),
                format!(
                    "let x = {}1{}",
                    "-(".repeat(n.min(200)) + &"-".repeat(n.saturating_sub(200)),
                    ")".repeat(n.min(200))
                ),
                format!("let x = 1 {}1", "- /* c */ −".repeat(n / 2)),
            ] {
                compare(&p).unwrap_or_else(|e| panic!("{}", &e[..e.len().min(2000)]));
            }
        }
    });
}

/// Inputs at the nesting limits, on a test thread's own stack (2 MiB; a debug
/// build has large frames): the fast path takes them and does not overflow.
#[test]
fn deep_inputs_on_a_small_stack() {
    let n = 255;
    let parens = format!("let x = {}1 t{}", "(".repeat(n), ")".repeat(n));
    assert!(parse_fast_only(SRC, &parens).is_some());
    let groups = format!("let x = 1 {}t{}", "(".repeat(n), ")".repeat(n));
    assert!(parse_fast_only(SRC, &groups).is_some());
    let mixed = format!("let x = {}1{}", "(1 + ".repeat(n), ")".repeat(n));
    assert!(parse_fast_only(SRC, &mixed).is_some());
    let pows = format!("let x = {}1", "2^".repeat(n));
    assert!(parse_fast_only(SRC, &pows).is_some());
}
