//! `explain` stops at 64 levels of derivation; where it stops it says so, with the
//! levels left and the command that continues, in text and in JSON.

mod common;
use common::carbon;

fn chain(n: usize) -> std::path::PathBuf {
    let mut src = String::from("// a let chain, each level one more than the last\nlet x0 = 1 t assumed \"seed\"\n");
    for i in 1..n {
        src.push_str(&format!("let x{i} = x{} + 1 t\n", i - 1));
    }
    let dir = std::env::temp_dir().join(format!("carbon-explain-depth-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("chain.carbon");
    std::fs::write(&path, src).unwrap();
    path
}

#[test]
fn a_cut_derivation_says_how_many_levels_are_left() {
    let path = chain(100);
    let file = path.to_str().unwrap();
    let out = carbon(&["explain", file, "x99"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // x99 … x35 are shown (65 levels: the root and 64 below it); x35's derivation
    // from x34 down to x0 is 35 levels more.
    assert!(out.stdout.contains("x35 = x34 + 1 t"), "{}", out.stdout);
    assert!(!out.stdout.contains("x34 = "), "{}", out.stdout);
    let hint = format!("… 35 more levels: carbon explain {file} x35");
    assert!(out.stdout.contains(&hint), "no `{hint}` in:\n{}", out.stdout);

    let out = carbon(&["explain", file, "x99", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // (Too deep for serde_json's default recursion limit: read as text.)
    let j = &out.stdout;
    assert_eq!(j.matches("\"more_levels\"").count(), 1, "{j}");
    assert_eq!(j.matches("\"more_levels\": 35,").count(), 1, "{j}");
    let at = j.find("\"more_levels\"").unwrap();
    let node = &j[j[..at].rfind("\"name\": ").unwrap()..];
    assert!(node.starts_with("\"name\": \"x35\""), "{}", &node[..40]);
    let cont = format!("\"continue_with\": \"carbon explain {file} x35\",");
    assert!(j[at..].contains(&cont), "no `{cont}` in {j}");
    assert!(j[at..].trim_start_matches(|c| c != 'c').contains("\"children\": []"));
    assert_eq!(j.matches("\"name\": ").count(), 65);

    // Following the hint reaches the literal input.
    let out = carbon(&["explain", file, "x35"]);
    assert!(out.stdout.contains("x0 = 1 t"), "{}", out.stdout);
    assert!(!out.stdout.contains("more level"), "{}", out.stdout);
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}

#[test]
fn an_uncut_derivation_has_no_mark() {
    let path = chain(60);
    let file = path.to_str().unwrap();
    let out = carbon(&["explain", file, "x59", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.contains("more_levels"));
    let out = carbon(&["explain", file, "x59"]);
    assert!(!out.stdout.contains("more level"));
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}
