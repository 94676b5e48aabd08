//! The fast parser against pest: whenever `syntax::parse_fast_only` answers, the pest
//! path must report no diagnostic and build the same AST (compared as `{:?}`), and
//! `syntax::parse` must give pest's result whether or not the fast path answered.
//! The fast path in pieces (as a large file is parsed) may give up, never differ.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let fast = carbon::syntax::parse_fast_only(carbon::source::SourceId(0), &text);
    let pest = carbon::syntax::parse_pest_only(carbon::source::SourceId(0), &text);
    if let Some(decls) = &fast {
        assert!(pest.diags.is_empty(), "fast path accepted what pest rejects: {:?}", pest.diags.first().map(|d| &d.message));
        assert_eq!(format!("{decls:?}"), format!("{:?}", pest.file.decls), "fast and pest ASTs differ");
        for piece in [16, 200] {
            if let Some(p) = carbon::syntax::parse_stream_only(carbon::source::SourceId(0), &text, piece) {
                assert_eq!(format!("{p:?}"), format!("{decls:?}"), "pieces of {piece} bytes differ");
            }
        }
    }
    let both = carbon::syntax::parse(carbon::source::SourceId(0), &text);
    assert_eq!(format!("{:?}", both.file.decls), format!("{:?}", pest.file.decls));
    assert_eq!(both.diags.len(), pest.diags.len());
});
