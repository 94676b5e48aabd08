//! The whole front end on arbitrary bytes (invalid UTF-8 included), with the
//! prelude: `analyze` and the rendering of its diagnostics must never panic.

#![no_main]

use carbon::diag::{self, RenderOptions};
use carbon::{analyze, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let a = analyze("fuzz.carbon", data, Options::default());
    let _ = diag::render_all(&a.diags, &a.sources, RenderOptions::default());
    // A program whose analysis reports no error has been evaluated.
    if !a.has_errors() {
        assert!(a.program.is_some() && a.values.is_some(), "no error but no values");
    }
});
