//! Text from the file (inventory name, site, reasons, citations, assumptions) is
//! never echoed raw: control characters (C0 but newline and tab, DEL, C1) and bidi
//! overrides are shown escaped (`\u{1b}`) in every text output, through the binary
//! and in diagnostics rendered with colour. JSON escapes them itself.

mod common;
use common::{carbon, scratch};

/// A program whose strings carry ESC, NUL, BEL, a C1 CSI, an RTL override and an
/// escaped newline (`\n` inside a string) that would start a forged line.
const EVIL: &[u8] = b"inventory \"Evil\x1b[2J\x00 site\xe2\x80\xae\" {\n  site \"x\x1b]0;pwned\x07y\"\n  period 1 a from s\n  gwp SAR\n}\nsource s \"survey \x1b[31m red\xc2\x9b\"\nenergy coal { amount 10 t from s; fold 0.9 tce/t from s; factor 2.66 tCO2/tce assumed \"as\x1bsumed\\n[fake line]\" }\nemission road { amount NE \"no data\x1b[2J\x00\"; land road }\ncover grass { area 250.75 hm2 from s; density 7.09 tC/hm2 from s; method gain; increment 0.5 tC/hm2/a from s }\nexpect total_sink: sinks == 13060.70 tCO2e/a within 1 % known \"reason\x1b[2J\x00 here\" from s\n";

/// The first raw control or bidi character in `s`, if any (newline and tab are
/// layout, and allowed).
fn raw_control(s: &str) -> Option<(usize, char)> {
    s.char_indices().find(|&(_, c)| {
        (c.is_control() && c != '\n' && c != '\t')
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    })
}

fn assert_clean(what: &str, s: &str) {
    if let Some((i, c)) = raw_control(s) {
        let from = s.floor_char_boundary(i.saturating_sub(60));
        panic!(
            "{what}: raw {c:?} at byte {i}:\n{}",
            &s[from..s.ceil_char_boundary(i + 20)]
        );
    }
    assert!(
        !s.lines().any(|l| l.trim_start().starts_with("[fake line]")),
        "{what}: an escaped newline in a string started a line of its own:\n{s}"
    );
}

#[test]
fn control_characters_from_the_file_are_escaped_in_every_text_output() {
    let dir = scratch("outputs");
    let f = dir.file("evil.carbon", EVIL);
    let runs: [&[&str]; 6] = [
        &["run", &f],
        &["run", &f, "--explain"],
        &["check", &f],
        &["explain", &f, "coal"],
        &["explain", &f, "road"],
        &["explain", &f, "total_sink"],
    ];
    let mut shown = 0;
    for args in runs {
        let out = carbon(args);
        let what = args.join(" ");
        assert_clean(&format!("{what} (stdout)"), &out.stdout);
        assert_clean(&format!("{what} (stderr)"), &out.stderr);
        shown += out.stdout.matches("\\u{1b}").count() + out.stderr.matches("\\u{1b}").count();
    }
    // Escaped visibly, not dropped.
    assert!(shown > 0, "no `\\u{{1b}}` shown");
    let out = carbon(&["run", &f]);
    assert!(
        out.stdout.contains("Evil\\u{1b}[2J\\u{0} site\\u{202e}"),
        "{}",
        out.stdout
    );
    let out = carbon(&["explain", &f, "coal"]);
    assert!(out.stdout.contains("as\\u{1b}sumed\\n[fake line]"), "{}", out.stdout);
}

#[test]
fn a_diagnostic_quoting_a_line_with_escapes_is_escaped_in_colour_too() {
    // A syntax error on a line holding ESC: the snippet shows the line.
    let src = b"inventory \"x\" { period 1 a from s; gwp SAR }\nsource s \"a\x1b[2Jb\" oops\n";
    let a = carbon::analyze("bad.carbon", src, carbon::Options::default());
    assert!(a.has_errors());
    for color in [false, true] {
        let opts = carbon::diag::RenderOptions { color, width: 100 };
        let text = carbon::diag::render_all(&a.diags, &a.sources, opts);
        assert!(!text.contains("\x1b[2J"), "colour {color}: raw ESC[2J:\n{text}");
        assert!(
            text.contains("\\u{1b}[2J"),
            "colour {color}: not shown escaped:\n{text}"
        );
    }
    // JSON keeps the text and escapes it itself.
    let dir = scratch("colour");
    let f = dir.file("evil.carbon", EVIL);
    let out = carbon(&["run", &f, "--format", "json"]);
    assert!(!out.stdout.contains('\x1b'));
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(v["inventory"], "Evil\x1b[2J\0 site\u{202e}");
}
