//! The REPL core as a library (line in, output out): transcripts of every command
//! are snapshots; error roll-back, undo/reset, goal seek and the `:save` round trip
//! are asserted; one test drives the binary through piped standard input.

mod common;
use carbon::session::Session;
use common::{carbon, root};

fn yongning() -> Session {
    let text = std::fs::read_to_string(root().join("examples/yongning.carbon")).expect("the example exists");
    Session::load("examples/yongning.carbon", &text).expect("the example loads")
}

/// Runs lines and records `> line`, then what the session printed.
fn transcript(s: &mut Session, lines: &[&str]) -> String {
    let mut out = String::new();
    for l in lines {
        out.push_str(&format!("> {l}\n"));
        let r = s.handle(l);
        out.push_str(&r.output);
        if !r.errors.is_empty() {
            out.push_str("[error]\n");
            out.push_str(&r.errors);
        }
        if let Some((path, _)) = &r.save {
            out.push_str(&format!("[writes {path}]\n"));
        }
    }
    out
}

fn net(s: &mut Session) -> f64 {
    let r = s.handle("net to tCO2e");
    assert!(r.errors.is_empty(), "{}", r.errors);
    r.output
        .trim()
        .trim_start_matches("= ")
        .trim_end_matches(" tCO2e")
        .parse()
        .expect("a number")
}

#[test]
fn queries_and_conversions() {
    let mut s = yongning();
    let t = transcript(
        &mut s,
        &[
            "sinks to tCO2e/a",
            "coal.equivalent",
            "methane + mine_co2",
            "grassland.stock to GgC",
            "44/12 tCO2/tC * 12 tC",
            "period",
            ":names",
            ":explain diesel",
            ":balance",
        ],
    );
    insta::assert_snapshot!(t);
}

#[test]
fn errors_leave_the_session_as_it_was() {
    let mut s = yongning();
    let before = net(&mut s);
    let t = transcript(
        &mut s,
        &[
            "1 tC + 1 tCO2",
            "coal.amount = 12 tCO2",
            "coal.amout = 3 t",
            "coal.equivalent = 3 tce",
            "let broken = 3 t +",
            "let bad = 1 tC + 1 tCO2",
            "cover c { area 1 hm2 }",
            "unknown_name * 2",
            ":explain nothing",
            ":frobnicate",
            ":diff",
        ],
    );
    assert_eq!(net(&mut s), before);
    assert!(t.contains("no change against the baseline"), "{t}");
    insta::assert_snapshot!(t);
}

#[test]
fn what_if_diff_undo_reset() {
    let mut s = yongning();
    let base = net(&mut s);
    let t = transcript(
        &mut s,
        &[
            "coal.amount = 1200 t",
            "let pv_share = 40 %",
            "electricity.amount = 103.8060 (10^4 kWh) * (1 - pv_share)",
            ":diff",
            ":changes",
            ":undo",
            ":undo",
            "gwp = AR5",
            ":diff",
            ":undo",
            ":undo",
            ":undo",
        ],
    );
    assert_eq!(net(&mut s), base, "undo returns to the baseline");
    s.handle("coal.amount = 0 t");
    s.handle("gwp = AR6_fossil");
    assert_ne!(net(&mut s), base);
    let r = s.handle(":reset");
    assert!(r.errors.is_empty());
    assert_eq!(net(&mut s), base, "reset returns to the baseline");
    insta::assert_snapshot!(t);
}

#[test]
fn goal_seek() {
    let mut s = yongning();
    let t = transcript(
        &mut s,
        &[
            ":seek spruce.area for net = 0 tCO2e in 0 hm2 .. 100 hm2",
            ":seek coal.amount for emissions = 0.8 * 20506.1763 tCO2e/a in 0 t .. 1695.2 t",
            ":seek coal.amount for net = 0 tCO2e in 0 t .. 100 t",
            ":seek coal.equivalent for net = 0 tCO2e",
            ":seek coal.amount net",
        ],
    );
    assert!(t.contains("spruce.area = 6.96245833 hm2 makes net = 0 tCO2e"), "{t}");
    assert!(t.contains("no value of coal.amount in 0 t .. 100 t"), "{t}");
    // Seeking leaves the inputs as they were.
    assert!(s.handle(":diff").output.contains("no change"));
    // The found value does make the target hold.
    s.handle("spruce.area = 6.96245833 hm2");
    assert!(net(&mut s).abs() < 1e-3, "{}", net(&mut s));
    insta::assert_snapshot!(t);
}

#[test]
fn save_round_trip() {
    let mut s = yongning();
    for l in [
        "spruce.area = 20 hm2",
        "let pv_share = 40 %",
        "electricity.amount = 103.8060 (10^4 kWh) * (1 - pv_share)",
        "stand extra { area 10 hm2 from table2; volume 193.47 m3/hm2 from table3; a 47.4999 t/hm2 from table3; b 0.4642 t/m3 from table3; carbon 0.4889 tC/t from table3; method stock_as_removal assumed \"what-if\" }",
    ] {
        let r = s.handle(l);
        assert!(r.errors.is_empty(), "{l}: {}", r.errors);
    }
    let expected = net(&mut s);
    let r = s.handle(":save examples/yongning.carbon");
    assert!(r.save.is_none() && r.errors.contains("not overwritten"), "{}", r.errors);
    let r = s.handle(":save saved_session.carbon");
    let (path, text) = r.save.expect("save writes a file");
    assert_eq!(path, "saved_session.carbon");
    assert!(
        text.contains("20 hm2 assumed \"what-if: was tree_area * species_share = 13.2425 hm2\""),
        "{text}"
    );
    // The saved text checks and evaluates to the session's balance.
    let a = carbon::analyze("saved_session.carbon", text.as_bytes(), carbon::Options::default());
    assert!(
        !a.has_errors(),
        "{:?}",
        a.diags.iter().map(|d| &d.message).collect::<Vec<_>>()
    );
    let r = a.report().expect("a balance");
    assert!(
        (r.balance.value - expected).abs() < 1e-6,
        "{} vs {expected}",
        r.balance.value
    );
    // And through the binary, as a file.
    let dir = std::env::temp_dir().join(format!("carbon-repl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("saved.carbon");
    std::fs::write(&file, &text).unwrap();
    let out = carbon(&["check", file.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn multi_line_input_continues_while_incomplete() {
    assert!(carbon::session::is_incomplete("stand s {"));
    assert!(carbon::session::is_incomplete("let x = 3 t +"));
    assert!(carbon::session::is_incomplete("coal.amount = ("));
    assert!(!carbon::session::is_incomplete("let x = 3 t"));
    assert!(!carbon::session::is_incomplete("1 tC + + 2"));
    assert!(!carbon::session::is_incomplete(":help"));
}

#[test]
fn help_lists_every_command() {
    let mut s = yongning();
    let h = s.handle(":help").output;
    for (c, _) in carbon::session::COMMANDS {
        assert!(h.contains(c), "{c} missing from :help");
    }
    insta::assert_snapshot!(h);
}

#[test]
fn piped_stdin_end_to_end() {
    use std::io::Write;

    let dir = std::env::temp_dir().join(format!("carbon-pipe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let saved = dir.join("out.carbon");
    let mut child = common::repl_child("examples/yongning.carbon", &dir);
    let script = format!(
        "sinks to tCO2e/a\ncoal.amount = 1200 t\nstand extra {{\n  area 10 hm2; volume 100 m3/hm2; a 5 t/hm2; b 0.7 t/m3\n  carbon 0.47 tC/t; method stock_as_removal\n}}\n:save {}\n:quit\nnet\n",
        saved.display()
    );
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("= 22079.834 tCO2e/a\n"), "{stdout}");
    assert!(stdout.contains("coal.amount = 1200 t"), "{stdout}");
    assert!(stdout.contains("extra = "), "{stdout}");
    assert!(!stdout.contains("carbon>"), "no prompt when piped: {stdout}");
    assert!(!stdout.contains("\n= "), "nothing after :quit: {stdout}");
    let text = std::fs::read_to_string(&saved).expect(":save wrote the file");
    assert!(text.contains("stand extra"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A what-if figure replaces a notation key: the term is no longer listed as NE;
/// undo brings the key back.
#[test]
fn a_figure_replaces_a_notation_key() {
    let mut s = yongning();
    let before = s.handle(":balance").output;
    assert!(
        before.contains("completeness: 3 of 18 terms not estimated (NE)"),
        "{before}"
    );
    let r = s.handle("residential.amount = 5 tCO2e/a");
    assert!(r.errors.is_empty(), "{}", r.errors);
    let after = s.handle(":balance").output;
    assert!(
        after.contains("completeness: 2 of 18 terms not estimated (NE)"),
        "{after}"
    );
    assert!(!after.contains("  residential  NE"), "{after}");
    assert!(after.contains("  road         NE"), "{after}");
    s.handle(":undo");
    assert_eq!(s.handle(":balance").output, before);
}

/// Checks that `text` (a saved session) checks without errors other than failed
/// expectations, and returns its net balance.
fn saved_net(text: &str) -> f64 {
    let a = carbon::analyze("saved.carbon", text.as_bytes(), carbon::Options::default());
    assert!(
        a.evaluated(),
        "{:?}\n{text}",
        a.diags
            .iter()
            .filter(|d| d.is_error())
            .map(|d| &d.message)
            .collect::<Vec<_>>()
    );
    a.report().expect("a balance").balance.value
}

fn save(s: &mut Session) -> String {
    let r = s.handle(":save saved_session.carbon");
    assert!(r.errors.is_empty(), "{}", r.errors);
    r.save.expect("save writes a file").1
}

/// Point 9 of issue 15: a change the file would refuse is refused, before it is
/// applied; `:seek` searches only values the file accepts.
#[test]
fn a_change_must_pass_the_files_checks() {
    let mut s = yongning();
    let base = net(&mut s);
    let t = transcript(
        &mut s,
        &[
            "spruce.area = -5 hm2",
            "tree_area = -1 hm2",
            "coal.amount -= 2000 t",
            "diesel.amount = diesel.amount * -1",
            "period = 0 a",
            ":changes",
            ":seek spruce.area for net = 0 tCO2e in -100 hm2 .. 100 hm2",
            ":seek spruce.area for net = 0 tCO2e in -100 hm2 .. -1 hm2",
            ":seek tree_area for net = 0 tCO2e in -100 hm2 .. 100 hm2",
        ],
    );
    assert_eq!(net(&mut s), base, "nothing was applied");
    assert!(t.contains("carbon::check::out_of_range"), "{t}");
    assert!(t.contains("an area cannot be negative"), "{t}");
    assert!(
        t.contains("the change is not applied: `spruce.area` stays 13.2425 hm2"),
        "{t}"
    );
    assert!(t.contains("an amount cannot be negative"), "{t}");
    assert!(t.contains("no changes"), "{t}");
    assert!(t.contains("a duration must be positive"), "{t}");
    assert!(!t.contains("division by zero"), "one error for a zero period: {t}");
    // The search is clipped to areas of 0 or more, and says so.
    assert!(
        t.contains("spruce.area = 6.96245833 hm2 makes net = 0 tCO2e (searched 0 hm2 .. 100 hm2, the part of -100 hm2 .. 100 hm2 the file accepts: an area cannot be negative)"),
        "{t}"
    );
    assert!(
        t.contains("no value of spruce.area in -100 hm2 .. -1 hm2 is possible"),
        "{t}"
    );
    // Negative tree areas make the stands' areas negative: not searched.
    assert!(
        t.contains("tree_area = 40.42818951 hm2 makes net = 0 tCO2e (searched 0 hm2 .. 100 hm2, the part of -100 hm2 .. 100 hm2 the file accepts)"),
        "{t}"
    );
    assert!(s.handle(":diff").output.contains("no change"));
    s.handle("tree_area = 40.42818951 hm2");
    assert!(net(&mut s).abs() < 1e-3, "{}", net(&mut s));
    s.handle(":undo");
    // An expectation's tolerance is checked too.
    let r = s.handle("let tol = 1 tCO2e");
    assert!(r.errors.is_empty(), "{}", r.errors);
    let r = s.handle("expect small: net == 0 tCO2e within tol");
    assert!(r.errors.is_empty(), "{}", r.errors);
    let r = s.handle("tol = -1 tCO2e");
    assert!(r.errors.contains("a tolerance cannot be negative"), "{}", r.errors);
    s.handle(":undo");
    s.handle(":undo");
    // And the session still saves (the refused change left nothing behind).
    s.handle("diesel.amount = 100 t");
    let text = save(&mut s);
    assert!((saved_net(&text) - net(&mut s)).abs() < 1e-3);
    insta::assert_snapshot!(t);
}

/// Point 13 of issue 15: a changed value is the analyst's assumption, in the
/// session and in the saved file; it no longer carries the old citation.
#[test]
fn a_changed_value_is_an_assumption() {
    let mut s = yongning();
    let cited = s.handle(":explain diesel").output;
    assert!(
        cited.contains("diesel.amount = 73.46 t\n  │  │  │    · from table1"),
        "{cited}"
    );
    for l in [
        "diesel.amount = 100 t",
        "grassland.density = 8 tC/hm2",
        "tce_to_co2 = 2.7 tCO2/tce",
        "residential.amount = 5 tCO2e/a",
        "co2_per_c = 3.6 tCO2/tC",
        "farmland.area = 400 hm2",
    ] {
        let r = s.handle(l);
        assert!(r.errors.is_empty(), "{l}: {}", r.errors);
    }
    let e = s.handle(":explain diesel").output;
    assert!(
        e.contains("diesel.amount = 100 t\n  │  │  │    · ASSUMED: what-if: was 73.46 t from table1\n"),
        "{e}"
    );
    let e = s.handle(":explain diesel.amount").output;
    assert!(e.contains("ASSUMED: what-if: was 73.46 t from table1"), "{e}");
    let p = s.analysis().program.as_ref().unwrap();
    let id = p.res.find("diesel.amount").unwrap();
    assert_eq!(
        p.res.syms[id as usize].prov.assumed(),
        Some("what-if: was 73.46 t from table1")
    );
    assert!(p.res.syms[id as usize].prov.sources.is_empty());
    let text = save(&mut s);
    assert!(
        text.contains("  amount 100 t assumed \"what-if: was 73.46 t from table1\"\n"),
        "{text}"
    );
    // The stated parts of the old figure go with it; the comment stays.
    assert!(
        text.contains("  density 8 tC/hm2 assumed \"what-if: was 7.09 tC/hm2 from paper\"   // above- + underground\n"),
        "{text}"
    );
    assert!(
        text.contains("let tce_to_co2 = 2.7 tCO2/tce assumed \"what-if: was 2.66 tCO2/tce assumed \\\"the paper gives no tce→CO2 factor"),
        "{text}"
    );
    assert!(
        text.contains("let co2_per_c = 3.6 tCO2/tC assumed \"what-if: was 3.666666667 tCO2/tC (the prelude's value)\""),
        "{text}"
    );
    // A second statement of the value (`also`) stays, to be checked against it.
    assert!(
        text.contains("  area    400 hm2 assumed \"what-if: was 302.29 hm2 from table2\" also 4.22 km2 from paper"),
        "{text}"
    );
    assert!((saved_net(&text) - net(&mut s)).abs() < 1e-3);
    // Reloaded, the value is the same assumption.
    let mut again = Session::load("saved.carbon", &text).expect("the saved file loads");
    let e = again.handle(":explain diesel").output;
    assert!(e.contains("· ASSUMED: what-if: was 73.46 t from table1"), "{e}");
    assert!(!again
        .analysis()
        .diags
        .iter()
        .any(|d| d.code == "carbon::audit::no_provenance"));
    // Undone, the figure is cited again.
    for _ in 0..6 {
        s.handle(":undo");
    }
    assert_eq!(s.handle(":explain diesel").output, cited);
}

/// Point 15 of issue 15: the right side of a change sees the value before the
/// change; `+=`, `-=`, `*=` and `/=`.
#[test]
fn the_right_side_sees_the_value_before_the_change() {
    let mut s = yongning();
    let base = net(&mut s);
    let t = transcript(
        &mut s,
        &[
            "methane.amount = methane.amount * 0.5",
            "spruce.area += 5 hm2",
            "spruce.area -= 2 hm2",
            "spruce.area *= 2",
            "spruce.area /= 4",
            "spruce.area",
            "spruce.area += 5 t",
            "gwp += AR5",
            ":changes",
            ":undo",
            "spruce.area",
        ],
    );
    assert!(t.contains("methane.amount = 323.98 tCH4/a"), "{t}");
    // (13.2425 + 5 − 2) × 2 / 4 = 8.12125; undone, back to 32.485.
    assert!(t.contains("> spruce.area\n= 8.12125 hm2\n"), "{t}");
    assert!(t.contains("> spruce.area\n= 32.485 hm2\n"), "{t}");
    assert!(
        t.contains("spruce.area += 5 hm2   (so spruce.area = 18.2425 hm2)"),
        "{t}"
    );
    // Half the methane: net falls by half of 647.96 tCH4/a × 21 tCO2e/tCH4 × 1 a.
    for _ in 0..3 {
        assert!(s.handle(":undo").output.contains("undone: spruce.area"));
    }
    let half = net(&mut s);
    assert!((half - (base - 0.5 * 647.96 * 21.0)).abs() < 1e-6, "{half} vs {base}");
    // The saved file has the figure, and reloads to the same balance.
    s.handle("spruce.area *= 1.5");
    let text = save(&mut s);
    assert!(
        text.contains("amount 323.98 tCH4/a assumed \"what-if: was 647.960 tCH4/a from gas_approval\""),
        "{text}"
    );
    assert!(
        text.contains("area   19.86375 hm2 assumed \"what-if: was tree_area * species_share = 13.2425 hm2\""),
        "{text}"
    );
    let (x, y) = (saved_net(&text), net(&mut s));
    assert!((x - y).abs() < 1e-3, "{x} vs {y}");
    // A change reading the target through another value also sees the old value.
    let r = s.handle("tree_area = locust.area * 4");
    assert!(r.errors.is_empty(), "{}", r.errors);
    assert_eq!(s.handle("tree_area").output, "= 52.97 hm2\n");
    assert!(carbon::session::is_incomplete("spruce.area += ("));
    insta::assert_snapshot!(t);
}

/// Point 16 of issue 15 (the session's parts).
#[test]
fn names_seek_and_line_numbers() {
    let mut s = yongning();
    // Internal steps of the balance are not names one can type: not listed.
    let names = s.handle(":names").output;
    assert!(!names.contains("flows") && !names.contains("integrated"), "{names}");
    assert!(names.contains("  net  "), "{names}");
    assert!(!s.handle("flows").errors.is_empty(), "`flows` cannot be typed");
    s.handle("coal.amount = 1200 t");
    let diff = s.handle(":diff").output;
    assert!(!diff.contains("flows") && !diff.contains("integrated"), "{diff}");
    assert!(diff.contains("\nnet "), "{diff}");
    // Nor in the contributors of a failed expectation.
    let r = s.handle("expect zero: net == 0 tCO2e within 1 tCO2e");
    assert!(r.errors.is_empty(), "{}", r.errors);
    let b = s.handle(":balance").output;
    assert!(b.contains("zero: computed"), "{b}");
    assert!(!b.contains("integrated"), "{b}");
    // A bare 0 is zero in the target's unit.
    let r = s.handle(":seek coal.amount for net = 0");
    assert!(r.output.contains("makes net = 0 tCO2e"), "{}{}", r.output, r.errors);
    let r = s.handle(":seek coal.amount for net = 5");
    assert!(r.errors.contains("for example `net = 5 tCO2e`"), "{}", r.errors);
    // `<repl:N>` is the number of the input's first line (continuation lines
    // and empty lines count).
    let mut s = yongning();
    s.handle("let x = 3 t +\n  2 t\n");
    s.handle("");
    s.handle(":seek coal.amount for net = 0 tC");
    let r = s.handle("1 tC + 1 tCO2");
    assert!(r.errors.contains("<repl:5>"), "{}", r.errors);
    let r = s.handle("  unknown_name\n");
    assert!(r.errors.contains("<repl:6>"), "{}", r.errors);
}

/// The balance line's "without them" figure follows a change to a flagged stock
/// (the session keeps the flagged sum between what-ifs that leave the sinks alone).
#[test]
fn the_verdict_follows_a_change_to_a_flagged_stock() {
    let mut s = yongning();
    let untouched = s.handle("diesel.amount = 80 t");
    assert!(untouched.errors.is_empty(), "{}", untouched.errors);
    let r = s.handle("grassland.area = 50000 hm2");
    assert!(r.errors.is_empty(), "{}", r.errors);
    // Every removal of the example is a flagged stock, so net without them is the
    // emissions alone, whatever the grassland's area: 20506.1763 tCO2e with the
    // file's diesel, and more with 80 t of it.
    let without = |out: &str| -> f64 {
        let tail = out.split("without them net = ").nth(1).expect("a qualified verdict");
        tail.split_whitespace().next().unwrap_or("").parse().expect("a number")
    };
    let after_diesel = without(&untouched.output);
    assert!(after_diesel > 20506.1763, "{}", untouched.output);
    assert_eq!(without(&r.output), after_diesel, "{}", r.output);
    let back = s.handle(":undo");
    assert!(back.errors.is_empty(), "{}", back.errors);
    let diesel_back = s.handle(":undo");
    assert!(diesel_back.errors.is_empty(), "{}", diesel_back.errors);
    let line = s.handle(":balance");
    assert!(
        line.output.contains("without them net = 20506.1763 tCO2e"),
        "{}",
        line.output
    );
}

#[test]
fn calls_in_expressions_and_what_ifs() {
    let mut s = yongning();
    let t = transcript(
        &mut s,
        &[
            "sqrt(4 hm2) to m",
            "min(coal.amount, 2 kt) to t",
            "let decay = exp(-0.05 a^-1 * 10 a)",
            "decay",
            "coal.amount = 1695.2 t * max(decay, 50 %)",
            "coal.amount to t",
            ":explain decay",
            "ln(0)",
            "exp(period)",
        ],
    );
    assert!(t.contains("= 200 m"), "{t}");
    assert!(t.contains("= 0.6065306597"), "{t}");
    // 1695.2 t × e^−0.5 = 1028.190774 t
    assert!(t.contains("coal.amount = 1028.190774 t"), "{t}");
    assert!(t.contains("carbon::eval::domain"), "{t}");
    assert!(t.contains("carbon::call::dimension"), "{t}");
}

/// A value in a reciprocal unit (`1/a`) is written back in a form that parses:
/// a what-if that reads the value itself, and the line `:seek` offers to apply.
#[test]
fn a_reciprocal_unit_reads_back() {
    let mut s = yongning();
    let t = transcript(
        &mut s,
        &[
            "let k = 0.05 a^-1",
            "k *= 2",
            "k",
            "let decay = exp(-k * 10 a)",
            ":seek k for decay = 0.5 in 0 a^-1 .. 1 a^-1",
        ],
    );
    assert!(!t.contains("internal error"), "{t}");
    assert!(t.contains("k = 0.1 a⁻¹"), "{t}");
    // ln 2 / 10 a = 0.0693147… a⁻¹, and the line to apply it parses.
    let apply = t
        .lines()
        .find_map(|l| l.trim().strip_prefix("apply it with: "))
        .unwrap_or_else(|| panic!("no line to apply: {t}"));
    assert!(apply.starts_with("k = 0.06931"), "{apply}");
    let after = transcript(&mut s, &[apply, "decay"]);
    assert!(after.contains("> decay\n= 0.5\n"), "{after:?}");
}

/// Issue 17: a kind declared in the session, a use of it, a what-if on the use's
/// field, and `:save`, whose file declares the kind and the changed use.
#[test]
fn a_kind_declared_in_the_session_is_used_changed_and_saved() {
    let mut s = yongning();
    let before = net(&mut s);
    let t = transcript(
        &mut s,
        &[
            "kind pond \"a pond\" { field area : length^2 \"surface\"  field rate : CH4/length^2/time \"rate\"  term co2e(area * rate) \"pond term\"  group above }",
            "pond north { area 2 hm2 assumed \"survey\"  rate 1 tCH4/hm2/a assumed \"survey\" }",
            "north.area = 3 hm2",
            "north",
        ],
    );
    assert!(!t.contains("error"), "{t}");
    // 3 hm2 × 1 tCH4/hm2/a × 21 (SAR, Yongning's set) = 63 tCO2e/a.
    assert!(t.contains("= 63 tCO2e/a"), "{t}");
    let text = save(&mut s);
    assert!(text.contains("kind pond"), "{text}");
    assert!(text.contains("pond north { area 3 hm2 assumed"), "{text}");
    let after = saved_net(&text);
    assert!((after - before - 63.0).abs() < 1e-6, "{before} → {after}");
}
