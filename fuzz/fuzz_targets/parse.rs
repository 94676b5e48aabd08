//! `syntax::parse` on arbitrary bytes read as UTF-8 (lossily): the lexical pre-pass,
//! pest and the AST builder must never panic nor overflow the stack, and every
//! diagnostic must render against the text it points into.

#![no_main]

use carbon::diag::{self, RenderOptions};
use carbon::source::SourceMap;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut sources = SourceMap::new();
    let id = sources.add("fuzz.carbon", text.as_ref());
    let parsed = carbon::syntax::parse(id, sources.text(id));
    for d in &parsed.diags {
        for l in &d.labels {
            assert!(
                l.span.start <= l.span.end && l.span.end as usize <= text.len(),
                "label span {:?} outside the {}-byte text: {}",
                l.span,
                text.len(),
                d.message
            );
        }
    }
    let _ = diag::render_all(&parsed.diags, &sources, RenderOptions::default());
});
