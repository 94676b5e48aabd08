//! The catalog of diagnostic codes: every code a diagnostic can carry, with a
//! one-line summary and a short explanation (`carbon explain-code CODE`).
//!
//! Call sites keep the code as a string literal (`Diag::error("carbon::…", …)`),
//! which reads well where the diagnostic is built; `tests/codes.rs` checks that
//! every such literal in `src/` is in this table, that every entry is used, and
//! that a program under `tests/` produces each one.

/// One diagnostic code.
#[derive(Debug)]
pub struct Code {
    /// The full code, such as `carbon::units::mismatch`.
    pub code: &'static str,
    /// One line: what is wrong.
    pub summary: &'static str,
    /// A few lines: why it is an error, an example and the fix.
    pub explain: &'static str,
}

/// The prefix of every code.
pub const PREFIX: &str = "carbon::";

/// Every diagnostic code, grouped by the stage that reports it.
pub const CODES: &[Code] = &[
    // ---- input ---------------------------------------------------------------
    Code {
        code: "carbon::input::read",
        summary: "the file cannot be read",
        explain: "The file does not exist, is a directory, or cannot be opened (permissions).\nFix: check the path; `-` reads standard input.",
    },
    Code {
        code: "carbon::input::too_large",
        summary: "the input is larger than --max-input-size",
        explain: "carbon refuses an input larger than the size limit (512MiB by default) before reading it all.\nFix: raise the limit, e.g. `--max-input-size 2G`, or split the inventory.",
    },
    Code {
        code: "carbon::input::utf8",
        summary: "the file is not valid UTF-8 text",
        explain: "Inventories are UTF-8 text; the error points at the first byte that is not.\nFix: save the file as UTF-8 (most editors: \"Save with encoding\").",
    },
    Code {
        code: "carbon::input::empty",
        summary: "the file declares nothing",
        explain: "The file is empty or holds only comments.\nFix: start with `inventory \"Site\" { period 1 a  gwp AR6 }` and add declarations (see examples/).",
    },
    // ---- syntax --------------------------------------------------------------
    Code {
        code: "carbon::syntax",
        summary: "the text does not follow the grammar",
        explain: "The parser expected something else at the marked place; the message says what it expected.\nExample: `let x = 3 +` (nothing after `+`).\nFix: complete or correct the declaration; `carbon prelude` and examples/ show the syntax.",
    },
    Code {
        code: "carbon::syntax::stopped",
        summary: "syntax error recovery stopped; there may be more errors",
        explain: "After the first 50 syntax errors carbon stops looking for more (advice, not an error).\nFix: correct the errors shown and check again.",
    },
    Code {
        code: "carbon::syntax::unbalanced",
        summary: "a parenthesis or brace is not closed or not opened",
        explain: "Example: `let x = (1 t + 2 t` or a block `emission e { …` without its `}`.\nFix: add the missing bracket where the label points.",
    },
    Code {
        code: "carbon::syntax::unterminated_string",
        summary: "a quoted text is not closed",
        explain: "Example: `source s \"survey 2024`.\nFix: close the text with `\"` on the same line.",
    },
    Code {
        code: "carbon::syntax::unterminated_comment",
        summary: "a block comment is not closed",
        explain: "A `/*` comment runs to the end of the file.\nFix: close it with `*/`.",
    },
    Code {
        code: "carbon::syntax::notation_key",
        summary: "a notation key (NE, NO, NA, IE, C) where a value is needed",
        explain: "Notation keys stand for a field of a declaration that is not estimated; they are not numbers.\nExample: `let x = NE \"not estimated\"`.\nFix: give a value, or use the key on a declaration's field.",
    },
    Code {
        code: "carbon::syntax::invisible",
        summary: "an invisible character (BOM, zero-width space, …) in the text",
        explain: "The file holds a character that cannot be seen, e.g. a byte-order mark or a zero-width space pasted inside a name.\nFix: delete the character at the marked place.",
    },
    Code {
        code: "carbon::syntax::after_unit",
        summary: "an unexpected word after a quantity's unit",
        explain: "Example: `let x = 3 m2 m from s` (two units) or `5 t CO2` (a unit written in two words).\nFix: write the unit as one word (`tCO2`), or remove the stray word.",
    },
    // ---- limits --------------------------------------------------------------
    Code {
        code: "carbon::limits::depth",
        summary: "an expression is nested too deeply",
        explain: "Parentheses, unary minus or units nested more than 256 levels deep are refused, so that no input can exhaust the stack.\nFix: name intermediate values with `let`.",
    },
    Code {
        code: "carbon::limits::unit",
        summary: "a unit written with more than 64 factors",
        explain: "Example: `1 m·m·m·…` with 65 factors.\nFix: use exponents (`m^3`), or declare the unit with `unit name = …`.",
    },
    Code {
        code: "carbon::limits::complexity",
        summary: "the input is too complex to parse",
        explain: "The parser's budget of work per byte of input ran out: a defence against pathological backtracking. No known input reaches it (deep nesting is stopped first by carbon::limits::depth), so no test program produces it.\nFix: simplify or split the declaration near the marked place.",
    },
    Code {
        code: "carbon::number::overflow",
        summary: "a number is too large to represent",
        explain: "Numbers larger than about 1.8e308 (also once converted to base units) cannot be represented.\nExample: `let x = 1e400 t`.\nFix: check the exponent, or use a larger unit.",
    },
    // ---- names ---------------------------------------------------------------
    Code {
        code: "carbon::names::unknown",
        summary: "a name that is not declared",
        explain: "Example: `let y = x + 1 t` with no `x`.\nFix: declare the name, or correct its spelling (the help suggests the closest name).",
    },
    Code {
        code: "carbon::names::duplicate",
        summary: "a name declared twice",
        explain: "Every declaration has its own name.\nFix: rename one of the two declarations.",
    },
    Code {
        code: "carbon::names::reserved",
        summary: "a name of the balance itself (net, sinks, …) is declared",
        explain: "Names such as `net`, `sinks` and `above` are the groups of the balance.\nFix: choose another name.",
    },
    Code {
        code: "carbon::names::cycle",
        summary: "values defined in terms of each other",
        explain: "Example: `let a = b + 1 t` and `let b = a`.\nFix: break the cycle: one of the values must be given, not computed.",
    },
    Code {
        code: "carbon::names::unknown_kind",
        summary: "a declaration of an unknown kind",
        explain: "Example: `emision boiler { … }`.\nFix: use one of the kinds (energy, transport, gas, emission, capture, removal, cover, stand, offset, …); the help lists them.",
    },
    Code {
        code: "carbon::kinds::duplicate",
        summary: "a kind declared twice, a kind named like a built-in one, or a kind with two fields or a field and a value of one name",
        explain: "Example: `kind pond { field area : length^2 \"…\"  field area : length^2 \"…\" … }`.\nFix: give each kind, and each field and value of a kind, its own name.",
    },
    Code {
        code: "carbon::kinds::unknown_name",
        summary: "a name in a kind that is neither one of its fields or values nor a global name",
        explain: "Example: `value methane = area * rtae \"…\"` where the field is `rate`.\nInside a kind, a bare name is the kind's own field or value first, then a global name (`co2_per_c`, a `let`).\nFix: correct the name; the help suggests the nearest field or value.",
    },
    Code {
        code: "carbon::kinds::no_term",
        summary: "a kind with no term, or a use for which none of its kind's terms applies",
        explain: "Example: every `term` of a kind has `when share`, and a use gives no `share`.\nA use contributes the first term whose `when` holds.\nFix: give the use what a term needs, or add a last term without `when`.",
    },
    Code {
        code: "carbon::kinds::place",
        summary: "a kind's group, part, flag or shape that the balance does not have",
        explain: "Example: `group outside`.\nThe groups of Eq. 1 are above, under, sinks, sold and purchased; the parts of C_above mining, residential, road and agricultural; the flags stock_as_removal.\nFix: name one of them, or a `one of` field whose words are among them.",
    },
    Code {
        code: "carbon::kinds::too_many",
        summary: "more different field shapes (256) or kind names (65,535) than carbon holds",
        explain: "Example: 257 fields of 257 different dimensions.\nEqual shapes are shared, so real kinds stay far below the limit.\nFix: write the same dimension the same way, or split the kinds.",
    },
    Code {
        code: "carbon::kinds::broken",
        summary: "a use of a kind that has errors",
        explain: "Example: `pond north { … }` where the kind `pond` has two fields `area`.\nThe use is not checked field by field: the kind's errors come first.\nFix: correct the kind's declaration.",
    },
    Code {
        code: "carbon::names::missing_name",
        summary: "a declaration without a name",
        explain: "Example: `emission { amount 5 tCO2/a }`.\nFix: write `emission some_name { … }`.",
    },
    Code {
        code: "carbon::names::unknown_field",
        summary: "a field that the kind does not have",
        explain: "Example: `efficiency 0.9` in an `energy` block.\nFix: correct the field's name (the help suggests the closest), or remove it.",
    },
    Code {
        code: "carbon::names::duplicate_field",
        summary: "a field given twice in one declaration",
        explain: "Fix: keep one of the two.",
    },
    Code {
        code: "carbon::names::notation_key",
        summary: "a notation key where it is not allowed, or without a reason",
        explain: "A notation key (NE, NO, …) may stand for some fields only, and needs a reason.\nExample: `amount NE \"\"`.\nFix: give the value, or a non-empty reason on a field that may take a key.",
    },
    Code {
        code: "carbon::names::unknown_gwp",
        summary: "a GWP set that does not exist",
        explain: "Example: `gwp AR7` in the header.\nFix: name a GWP set of the prelude (SAR, TAR, AR4, AR5, AR6, …) or declare one with `gwp NAME { … }`.",
    },
    Code {
        code: "carbon::names::unknown_member",
        summary: "a member that the declaration does not have",
        explain: "Example: `coal.emisson`.\nFix: correct the member's name; `carbon explain FILE coal` lists a declaration's members.",
    },
    Code {
        code: "carbon::names::unknown_source",
        summary: "a `from` that names no `source`",
        explain: "Example: `amount 5 t from survey` with no `source survey \"…\"`.\nFix: declare the source, or correct its name.",
    },
    Code {
        code: "carbon::names::unknown_warning",
        summary: "an `allow` of something that is not a warning code",
        explain: "Example: `allow unusd \"reason\"`.\nFix: name a warning code: components, disagree, stock_as_removal, no_provenance, unused, unused_allow, implausible, zero_term, negative, shadows_prelude.",
    },
    // ---- fields and their values ---------------------------------------------
    Code {
        code: "carbon::check::missing_header",
        summary: "a domain term in a file without an `inventory` header",
        explain: "Terms need the inventory's period and GWP set.\nFix: add `inventory \"Site\" { period 1 a  gwp AR6 }`.",
    },
    Code {
        code: "carbon::check::missing_field",
        summary: "a required field is missing",
        explain: "Example: `emission boiler { land mining }` without `amount`.\nFix: add the field the message names.",
    },
    Code {
        code: "carbon::check::unused_field",
        summary: "a field that the use's method (the term its kind selects) does not use",
        explain: "Example: `forest north { method gain  increment … previous … }`: `previous` is for `method stock_difference`.\nA figure that does not enter the balance would look as if it did.\nFix: remove the field, or choose the method that uses it.",
    },
    Code {
        code: "carbon::check::conflicting_fields",
        summary: "two fields that exclude each other",
        explain: "Example: a `gas` with both `amount` and `volume`.\nFix: keep one way of giving the value.",
    },
    Code {
        code: "carbon::check::field_type",
        summary: "a field given the wrong kind of value (text, name, quantity)",
        explain: "Example: `note 5` (a note is quoted text) or `land \"mining\"` (a word, not text).\nFix: write the value as the help shows.",
    },
    Code {
        code: "carbon::check::field_word",
        summary: "a field's word is not one of its allowed words",
        explain: "Example: `land moon`, or `scope 4` (a scope is 1, 2 or 3).\nFix: use one of the words the label lists (the help suggests the closest).",
    },
    Code {
        code: "carbon::check::out_of_range",
        summary: "an impossible value (a negative area, a share over 100 %, …)",
        explain: "Example: `area -5 hm2`.\nFix: correct the figure.",
    },
    // ---- units ---------------------------------------------------------------
    Code {
        code: "carbon::units::unknown",
        summary: "a unit that is not declared",
        explain: "Example: `5 tonnes`.\nFix: use a unit of the prelude (`carbon prelude` lists them; the help suggests the closest) or declare it with `unit`.",
    },
    Code {
        code: "carbon::units::mismatch",
        summary: "adding or comparing quantities of different kinds",
        explain: "Example: `10 hm2 + 5 t`, or a stock (tC) added to a flow (tC/a).\nFix: convert one side with a factor, or correct the unit.",
    },
    Code {
        code: "carbon::units::conversion",
        summary: "`to` converts to a unit of another kind",
        explain: "Example: `100 tCO2 to hm2`.\nFix: convert to a unit of the same kind; the help says which factor is missing.",
    },
    Code {
        code: "carbon::units::exponent",
        summary: "a power that is not a constant, not exact, or out of range",
        explain: "Example: `x ^ y` with `y` a value, or `m^1e9`.\nFix: write a small constant exponent.",
    },
    Code {
        code: "carbon::units::wrong_kind",
        summary: "a field or derived value in a unit of the wrong kind",
        explain: "Example: `amount 5 hm2/a` in an `emission` (an emission is an amount of a gas).\nFix: give the field in a unit of the kind the message names.",
    },
    Code {
        code: "carbon::units::no_gwp",
        summary: "the GWP set has no factor for this substance",
        explain: "Example: an emission `amount 5 tC/a` (carbon is not a gas), or a gas the set lacks.\nFix: convert C to CO2 with `co2_per_c`, add the gas to the GWP set, or give a `gwp` field.",
    },
    Code {
        code: "carbon::units::not_a_gas",
        summary: "an amount that is not of one greenhouse gas where one is needed",
        explain: "A second line of defence: the units of every field that feeds a GWP conversion are checked first (carbon::units::wrong_kind), so no program reaches this error today.\nFix: give the amount in a unit of one gas, such as tCO2 or tCH4/a.",
    },
    Code {
        code: "carbon::units::time",
        summary: "an amount that is neither for the period nor per time",
        explain: "A second line of defence: the units of every field that is integrated over the period are checked first (carbon::units::wrong_kind), so no program reaches this error today.\nFix: write an amount (`1695.2 t`) or a rate (`647.96 tCH4/a`).",
    },
    Code {
        code: "carbon::units::redefined",
        summary: "a unit or dimension of the prelude declared again",
        explain: "Redefining a prelude unit changes every figure written with it.\nFix: choose another name, or write `override \"reason\"` to replace it on purpose.",
    },
    Code {
        code: "carbon::units::prelude_override",
        summary: "the prelude's unit or dimension is replaced by this file (warning)",
        explain: "The file overrides a prelude definition with a reason; every figure in that unit follows the new definition.\nFix: none needed if intended.",
    },
    Code {
        code: "carbon::units::cycle",
        summary: "units defined in terms of each other",
        explain: "Example: `unit foo = 2 bar` and `unit bar = 2 foo`.\nFix: define one of them from a base dimension (`unit foo : mass`) or another unit.",
    },
    Code {
        code: "carbon::units::unknown_dimension",
        summary: "a base unit of a dimension that is not declared",
        explain: "Example: `unit foo : weight`.\nFix: declare the dimension (`dimension weight \"…\"`) or use a declared one (mass, length, time, …).",
    },
    Code {
        code: "carbon::units::too_many_dimensions",
        summary: "more than 16 base dimensions",
        explain: "The prelude declares 9; a file may add up to 7 more.\nFix: express the new quantity with the existing dimensions.",
    },
    Code {
        code: "carbon::units::prefixes",
        summary: "an unknown prefix set on a unit",
        explain: "Example: `unit foo : mass prefixes tiny`.\nFix: write `prefixes metric` (all SI prefixes) or `prefixes large` (k, M, G, T).",
    },
    Code {
        code: "carbon::units::scale",
        summary: "a unit whose size is zero or too large to represent",
        explain: "Example: `unit zip = 0 m`, or `unit big = 1e300 m` then `unit bigger = 1e300 big`.\nFix: correct the unit's factor.",
    },
    // ---- function calls ------------------------------------------------------
    Code {
        code: "carbon::call::unknown",
        summary: "a call of a function that does not exist",
        explain: "The functions are exp, ln, log10, sqrt, min, max, abs and clamp; a value cannot be called.\nExample: `maxx(a, b)`.\nFix: correct the name (the help suggests the closest).",
    },
    Code {
        code: "carbon::call::arity",
        summary: "a function given the wrong number of arguments",
        explain: "exp, ln, log10, sqrt and abs take one argument, min and max two or more, clamp three.\nExample: `clamp(x, 1 t)`.\nFix: call it as the help shows.",
    },
    Code {
        code: "carbon::call::dimension",
        summary: "exp, ln or log10 of a quantity with a dimension",
        explain: "Example: `exp(-0.05 * t)` with t in years.\nFix: divide by a reference quantity of the same dimension (`exp(-k * t)` with k in 1/a).",
    },
    Code {
        code: "carbon::call::sqrt",
        summary: "sqrt of a dimension with an odd exponent",
        explain: "sqrt halves the exponents of its argument's dimension: sqrt(4 m2) = 2 m, but sqrt(9 m3) has no unit.\nFix: correct the argument's unit.",
    },
    Code {
        code: "carbon::call::mismatch",
        summary: "min, max or clamp of quantities of different kinds",
        explain: "Example: `min(3 t, 2 hm2)`.\nFix: give every argument the same dimension (convert one with a factor, or correct its unit).",
    },
    // ---- evaluation ----------------------------------------------------------
    Code {
        code: "carbon::eval::division_by_zero",
        summary: "a division by zero",
        explain: "Example: `let x = 1 t / (2 - 2)`, or a period of 0 a.\nFix: correct the divisor.",
    },
    Code {
        code: "carbon::call::year_key",
        summary: "a series value without its year, years not rising, or a year given to a function that takes none",
        explain: "A series states each value after its year, the years rising: `linear(2021: 4000 t, 2025: 3000 t)`. Only `hold`, `linear` and `trend` take years.\nFix: write `YEAR: value` for each value of a series, in rising order.",
    },
    Code {
        code: "carbon::cli::years",
        summary: "--year or --by year of an inventory that is not over years, or a year outside it",
        explain: "Example: `carbon run site.carbon --by year` when the inventory states no `start` and `end`.\nFix: add `start 2021` and `end 2025` to the inventory, or ask for a year between `start` and `horizon`.",
    },
    Code {
        code: "carbon::eval::needs_years",
        summary: "year(), previous() or a series in an inventory of one period",
        explain: "These are evaluated in a year of an inventory over years.\nFix: add `start 2021` and `end 2025` (the first and last year reported) to the inventory.",
    },
    Code {
        code: "carbon::eval::series_start",
        summary: "a series read in a year before its first year",
        explain: "A series has no value before the first year it states: none is made up.\nExample: `linear(2023: 10 hm2, 2025: 12 hm2)` in an inventory from 2021.\nFix: state a value for the first year of the inventory, or start the inventory later.",
    },
    Code {
        code: "carbon::eval::no_previous",
        summary: "previous() of a value that has none in the year before",
        explain: "The year before `start` is evaluated only so that `previous` can read it; a series that starts at `start` has no value there.\nFix: give the series a value for the year before `start`.",
    },
    Code {
        code: "carbon::years::year",
        summary: "an inventory's start, end or horizon that is not a year",
        explain: "Example: `start 2021.5` or `end 20 t`.\nFix: a whole plain number: `start 2021`.",
    },
    Code {
        code: "carbon::years::span",
        summary: "an inventory's years incomplete or out of order",
        explain: "An inventory over years states `start` and `end` (and `horizon` for a projection), with start ≤ end ≤ horizon, at most 1000 years.\nFix: `start 2021  end 2025  horizon 2060`.",
    },
    Code {
        code: "carbon::years::period",
        summary: "an inventory over years whose period is not one year",
        explain: "Each year of the span is one period; amounts stated by year are per year.\nFix: `period 1 a`.",
    },
    Code {
        code: "carbon::years::negative",
        summary: "a field stated by a series that turns negative in a later year",
        explain: "A `trend` continues the line of its last two years; an amount that falls continues below zero.\nExample: `amount trend(2021: 40 tCH4/a, 2025: 30 tCH4/a)` is negative from 2038.\nFix: end the series with the value it should keep (`linear` holds its last value), or state the later years.",
    },
    Code {
        code: "carbon::years::saturation",
        summary: "an inventory's saturation that is not a share",
        explain: "The sinks count as saturated in the first year after their peak in which they are below this share of it.\nFix: `saturation 5 %`.",
    },
    Code {
        code: "carbon::eval::domain",
        summary: "a function of a value outside its domain",
        explain: "ln or log10 of a value that is not above zero, sqrt of a negative value, or clamp with its lower bound above its upper bound.\nFix: check the figures the argument is computed from.",
    },
    Code {
        code: "carbon::eval::not_finite",
        summary: "a value that is infinite or not a number",
        explain: "Example: a result that overflows, or a negative number raised to a fractional power.\nFix: check the figures the value is computed from.",
    },
    // ---- audit ---------------------------------------------------------------
    Code {
        code: "carbon::audit::expect_failed",
        summary: "an expectation fails: the published figure is not reproduced",
        explain: "`expect NAME: a == b within t` compares a computed value with a published one.\nFix: find the difference (`carbon explain FILE NAME`), or mark it `known \"reason\"` if it is a known discrepancy.",
    },
    Code {
        code: "carbon::audit::expect_units",
        summary: "an expectation compares values of different kinds",
        explain: "Example: a published figure in tC/a against a stock in tC.\nFix: state the published figure in the unit of the computed value.",
    },
    Code {
        code: "carbon::audit::tolerance",
        summary: "a tolerance that is neither a share nor in the values' unit",
        explain: "Example: `expect e: x == 1 t within 1 m`.\nFix: write a relative tolerance (`within 1 %`) or an absolute one in the values' unit (`within 0.01 t`).",
    },
    Code {
        code: "carbon::audit::known_discrepancy",
        summary: "a failing expectation marked `known` (warning)",
        explain: "The expectation fails, as its `known \"reason\"` says it does; it is listed, not an error.",
    },
    Code {
        code: "carbon::audit::no_provenance",
        summary: "a value with no `from` or `assumed` (warning)",
        explain: "Every figure should say where it comes from.\nFix: add `from SOURCE` or `assumed \"reason\"`. With --strict this is an error.",
    },
    Code {
        code: "carbon::audit::stock_as_removal",
        summary: "a carbon stock counted as this period's removal (warning)",
        explain: "A stock (tC on the land) is not what the land removes in a period.\nFix: use `method gain` with an increment, or `method difference` with the previous stock.",
    },
    Code {
        code: "carbon::audit::components",
        summary: "a stated total is not the sum of its stated parts (warning)",
        explain: "Example: `7.09 tC/hm2 parts 0.89 tC/hm2 + 6.23 tC/hm2`.\nFix: correct a figure, or `allow components \"reason\"` if the source rounds.",
    },
    Code {
        code: "carbon::audit::disagree",
        summary: "two stated values of the same quantity disagree (warning)",
        explain: "A value and its `also` statement differ beyond rounding.\nFix: correct one of them, or allow it with a reason.",
    },
    Code {
        code: "carbon::audit::implausible",
        summary: "a value outside the plausible range (warning)",
        explain: "Example: a GWP for CH4 of 2.8 instead of 28, or a value outside a declared `range`.\nFix: check the figure and its unit.",
    },
    Code {
        code: "carbon::audit::zero_term",
        summary: "a term of the balance that is zero (warning)",
        explain: "Fix: check the figures, or remove the term.",
    },
    Code {
        code: "carbon::audit::unused",
        summary: "a declaration that nothing uses (warning)",
        explain: "Fix: use it, state it in an `expect`, remove it, or `allow unused \"reason\"`.",
    },
    Code {
        code: "carbon::audit::unused_allow",
        summary: "an `allow` that silences nothing (warning)",
        explain: "Fix: remove the `allow`.",
    },
    Code {
        code: "carbon::audit::negative",
        summary: "a negative value where one is unusual (warning)",
        explain: "Fix: check the sign, or allow it with a reason.",
    },
    Code {
        code: "carbon::audit::shadows_prelude",
        summary: "a name that replaces the prelude's value of the same name (warning)",
        explain: "Fix: choose another name, or allow it with a reason if the replacement is intended.",
    },
    // ---- commands ------------------------------------------------------------
    Code {
        code: "carbon::explain",
        summary: "`carbon explain` has nothing to explain",
        explain: "The program has errors (they are shown instead), or the named value has no value.\nFix: correct the errors first.",
    },
    Code {
        code: "carbon::explain::unknown",
        summary: "`carbon explain` names no term or value",
        explain: "Fix: name a declaration (`coal`), a member (`coal.equivalent`) or a group (`sinks`, `net`); the help suggests the closest name.",
    },
    Code {
        code: "carbon::run::no_inventory",
        summary: "`carbon run` on a file without an `inventory` header",
        explain: "Without a header there is no balance to compute.\nFix: add `inventory \"Site\" { period 1 a  gwp AR6 }`, or use `carbon check` for a file of definitions.",
    },
    Code {
        code: "carbon::cli::deny_warnings",
        summary: "`--deny-warnings` is set and the file has warnings",
        explain: "With `--deny-warnings` (for CI) a warning fails the command as an error would; the warnings are listed above it.\nFix: correct what the warnings say, or allow each one with a reason (`allow unused \"reason\"`).",
    },
    Code {
        code: "carbon::cli::unknown_code",
        summary: "`carbon explain-code` names no diagnostic code",
        explain: "Example: `carbon explain-code units::mismach`.\nFix: copy the code printed above an error (with or without `carbon::`); `carbon explain-code --list` lists them.",
    },
    Code {
        code: "carbon::output::write",
        summary: "the output or a saved file cannot be written",
        explain: "Writing standard output or the file of `:save` failed, e.g. on a full disk or in a folder without write permission (a reader that stops early, as `head` does, is not an error).\nFix: free space, or write somewhere else.",
    },
    // ---- REPL ----------------------------------------------------------------
    Code {
        code: "carbon::repl::has_errors",
        summary: "`carbon repl` on a file with errors",
        explain: "The REPL explores an inventory that checks; the file's errors are listed above.\nFix: correct them (`carbon check FILE` shows them), then start the REPL again.",
    },
    Code {
        code: "carbon::repl::unknown_command",
        summary: "a `:command` the REPL does not know",
        explain: "Example: `:frobnicate`; the message suggests the closest command.\nFix: `:help` lists the commands.",
    },
    Code {
        code: "carbon::repl::usage",
        summary: "a REPL command without what it needs",
        explain: "Example: `:explain` without a term, `:seek x net` without `for` and `=`, `:save` without a file, `gwp += AR5`.\nFix: write the command as its usage line says; `:help` lists them.",
    },
    Code {
        code: "carbon::repl::no_balance",
        summary: "`:balance` on an inventory without an `inventory` header",
        explain: "Without a header there is no balance to compute (definitions can still be evaluated).\nFix: add `inventory \"Site\" { period 1 a  gwp AR6 }` to the file.",
    },
    Code {
        code: "carbon::repl::unknown_value",
        summary: "a what-if or `:seek` names no value of the inventory",
        explain: "Example: `coal.amout = 3 t`; the message suggests the closest name.\nFix: `:names` lists the values; `let x = …` declares a new one.",
    },
    Code {
        code: "carbon::repl::not_an_input",
        summary: "a what-if or `:seek` changes a computed value",
        explain: "Example: `coal.equivalent = 3 tce`, a value the file computes from others.\nFix: change one of the inputs it is computed from (`:explain NAME` shows them).",
    },
    Code {
        code: "carbon::repl::no_value",
        summary: "a value the REPL needs cannot be computed",
        explain: "An expression, a `:seek` goal or range bound reads a value that has none. A loaded session has computed every value (notation keys such as `NE` count as zero), so no known input gives this error.\nFix: give the value a figure, or use another value.",
    },
    Code {
        code: "carbon::repl::no_solution",
        summary: "`:seek` finds no input value that meets the target",
        explain: "Over the range searched the target never reaches the value (the message gives the target at both ends), or no value of the range passes the file's checks.\nFix: widen the range with `in LO .. HI`, or choose another input.",
    },
    Code {
        code: "carbon::repl::overwrite",
        summary: "`:save` would replace a file",
        explain: "`:save FILE` does not replace an existing file, nor the loaded one.\nFix: save under another name, or write `:save! FILE` to replace it.",
    },
    Code {
        code: "carbon::repl::unsaved",
        summary: "a piped REPL script ends with unsaved what-ifs (warning)",
        explain: "The changes of the session are lost when it ends (at a terminal, leaving asks once instead).\nFix: end the script with `:save FILE` to keep them.",
    },
    Code {
        code: "carbon::repl::terminal",
        summary: "the REPL cannot read from the terminal",
        explain: "The line editor could not start or read a line (the terminal is gone or unusable); no test can make a terminal fail so.\nFix: run the REPL in a terminal, or pipe the commands in (`carbon repl FILE < script`).",
    },
];

/// The entry of `name`, written with or without the `carbon::` prefix.
pub fn find(name: &str) -> Option<&'static Code> {
    let name = name.trim();
    let full = name.strip_prefix(PREFIX).unwrap_or(name);
    CODES.iter().find(|c| &c.code[PREFIX.len()..] == full)
}

/// The text of `carbon explain-code CODE`.
pub fn explain_text(c: &Code) -> String {
    format!("{}: {}\n\n{}\n", c.code, c.summary, c.explain)
}

/// The text of `carbon explain-code --list`: one line per code.
pub fn list_text() -> String {
    let w = CODES.iter().map(|c| c.code.len()).max().unwrap_or(0);
    let mut o = String::new();
    for c in CODES {
        o.push_str(&format!("{:<w$}  {}\n", c.code, c.summary));
    }
    o
}

/// The help for a code that is not in the catalog: the codes whose last part
/// it is (`mismatch` → `carbon::units::mismatch`), else the closest code, and
/// where the list is.
pub fn unknown_help(name: &str) -> String {
    let short = name.trim().strip_prefix(PREFIX).unwrap_or(name.trim());
    let ending = format!("::{short}");
    let ends: Vec<&str> = CODES.iter().map(|c| c.code).filter(|c| c.ends_with(&ending)).collect();
    let hint = if !ends.is_empty() {
        format!("did you mean `{}`? ", ends.join("` or `"))
    } else {
        crate::suggest::closest(short, CODES.iter().map(|c| &c.code[PREFIX.len()..]))
            .map(|s| format!("did you mean `{PREFIX}{s}`? "))
            .unwrap_or_default()
    };
    format!("{hint}`carbon explain-code --list` lists them")
}
