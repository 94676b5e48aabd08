//! `kind` declarations (issue 17, docs/design/kinds.md §1): the nine kinds
//! written in §2 of the design parse, in the fast parser and in the pest path,
//! to the same AST (compared through `{:?}`, which shows every span).

mod common;

use carbon::source::SourceId;
use carbon::syntax::ast::{Decl, KindItem, ShapeDim, ShapeKind};
use carbon::syntax::{parse, parse_fast_only, parse_pest_only};

const SRC: SourceId = SourceId(3);

/// The first ```carbon block of §2 of the design document.
fn nine_kinds() -> String {
    let doc = include_str!("../docs/design/kinds.md");
    let section = &doc[doc.find("## 2. The nine kinds").expect("§2")..];
    let start = section.find("```carbon\n").expect("a carbon block") + "```carbon\n".len();
    let len = section[start..].find("```").expect("the block ends");
    section[start..start + len].to_string()
}

/// Both parsers give the same declarations, with no diagnostic; the fast path
/// parses the text itself (it does not give up).
fn same(text: &str) -> Vec<Decl> {
    let pest = parse_pest_only(SRC, text);
    assert!(pest.diags.is_empty(), "pest: {:?}", pest.diags);
    let fast = parse_fast_only(SRC, text).expect("the fast path parses it");
    assert_eq!(format!("{:?}", fast), format!("{:?}", pest.file.decls));
    let both = parse(SRC, text);
    assert!(both.diags.is_empty());
    assert_eq!(format!("{:?}", both.file.decls), format!("{:?}", pest.file.decls));
    fast
}

#[test]
fn the_nine_kinds_of_the_design_parse_alike() {
    let decls = same(&nine_kinds());
    let kinds: Vec<_> = decls
        .iter()
        .filter_map(|d| match d {
            Decl::Kind(k) => Some(k),
            _ => None,
        })
        .collect();
    let names: Vec<&str> = kinds.iter().map(|k| k.name.name.as_str()).collect();
    assert_eq!(names, common::NINE_KINDS);
    // stand: 10 fields, 10 values, 1 term, 2 places, 1 flag.
    let stand = kinds[5];
    let count = |f: fn(&KindItem) -> bool| stand.items.iter().filter(|i| f(i)).count();
    assert_eq!(count(|i| matches!(i, KindItem::Field(_))), 10);
    assert_eq!(count(|i| matches!(i, KindItem::Value(_))), 10);
    assert_eq!(count(|i| matches!(i, KindItem::Term(_))), 1);
    assert_eq!(count(|i| matches!(i, KindItem::Place(_))), 2);
    assert_eq!(count(|i| matches!(i, KindItem::Flag(_))), 1);
    // The span of a kind runs from `kind` to its `}` (and the blanks after it).
    let text = nine_kinds();
    let s = &text[stand.span.start as usize..stand.span.end as usize];
    assert!(s.starts_with("kind stand") && s.trim_end().ends_with('}'), "{s}");
    // A field's span ends at its last token (a string without its closing quote).
    let KindItem::Field(area) = &stand.items[0] else {
        panic!("a field")
    };
    assert_eq!(
        &text[area.span.start as usize..area.span.end as usize],
        "field area : length^2 \"afforested area S_i (Eq. 8)\" min 0 \"an area cannot be negative\" key hm2"
    );
    assert!(matches!(
        &area.shape.kind,
        ShapeKind::Quantity {
            flow: false,
            what: ShapeDim::Dim(_)
        }
    ));
}

#[test]
fn every_clause_parses_alike() {
    let text = r#"
source ndrc2015 "NDRC (2015) guideline"
kind fuel "fuel combustion (NDRC 2015)" override "a better fuel method" {
  field amount : flow mass "fuel burned" min 0 t "cannot be negative" want "a mass" example "10 t"
  field ncv : energy/mass "net calorific value" above 0 "positive" is gwp; field kind_of? : one of coal|oil|gas
    = coal "fuel"
  field oxidation? : 1 = 98 % "oxidation rate" from ndrc2015 max 1
  field note2? : text "a remark" assumed "why"
  field carbon : (C / energy)^2·time⁻¹ * 1 "carbon content" key 10 tC/TJ help "add it"
  field x : substance "x" negative warn "check the sign" allow negative "reason"
  one of amount | ncv oxidation "needs one" help "add one"
  value heat : flow energy = amount * ncv "heat" eq "Eq. 1" help "h" want "w" example "e" from ndrc2015, "Table 2"
    when kind_of = coal, oxidation
  value co2 = heat * carbon * 44/12 tCO2/tC "CO2" when amount
  term co2e(per_period(co2)) "fuel term" eq "NDRC" from ndrc2015
  term (co2) "fuel term"
  group above; part land when kind_of = coal; scope 2; gas co2
  flag stock_as_removal "a flag" when kind_of = oil
  notation help "a key stands for the amount"
};
kind empty {}
let field = 1 t
energy value { amount 3 t; fold 1 tce/t; factor 2 tCO2/tce }
"#;
    let decls = same(text);
    assert_eq!(decls.len(), 5);
}

#[test]
fn contextual_words_stay_names() {
    // `field`, `value`, `when`, `group`, … are names outside a kind body.
    same("let field = 1 t\nlet when = field * 2\nemission group { amount when / 1 a; group above }\n");
}

#[test]
fn words_of_shapes_may_be_dimensions() {
    // `one` not followed by `of` is a dimension named `one`.
    same("kind x { field a : one \"m\"; field b : one^2/of \"m\" }\n");
    // A comment after a dimension: `//` is no operator there.
    same("kind x { field a : mass // c\n \"m\" }\n");
}

#[test]
fn kind_is_a_keyword() {
    let p = parse_pest_only(SRC, "let kind = 1 t\n");
    assert!(!p.diags.is_empty());
    assert!(parse_fast_only(SRC, "let kind = 1 t\n").is_none());
}
