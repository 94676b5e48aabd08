//! One bad program per diagnostic kind in `tests/errors/`: each must fail `carbon
//! check` with exit status 1 (never a panic), and its rendered diagnostics are a
//! snapshot. The first line of each file is a comment saying what it tests.

mod common;
use common::{carbon, rel};

#[test]
fn bad_programs() {
    insta::glob!("errors/*.carbon", |path| {
        let file = rel(path);
        let out = carbon(&["check", &file]);
        assert_eq!(
            out.code, 1,
            "{file} should fail with status 1, got {}:\n{}",
            out.code, out.stderr
        );
        assert!(!out.stderr.contains("panicked"), "{file} panicked:\n{}", out.stderr);
        assert!(out.stderr.contains("error"), "{file} printed no error:\n{}", out.stderr);
        insta::assert_snapshot!(out.stderr);
    });
}
