//! Source texts and spans. Spans are byte ranges into one source; line and column
//! are computed only when a diagnostic is rendered.

use std::sync::Arc;

/// Identifies one loaded source text (the prelude, a file, a REPL line).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SourceId(pub u32);

/// A byte range in one source.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub src: SourceId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(src: SourceId, start: usize, end: usize) -> Span {
        Span {
            src,
            start: start as u32,
            end: end as u32,
        }
    }
    /// The smallest span covering both (same source assumed; otherwise `self`).
    pub fn to(self, other: Span) -> Span {
        if self.src != other.src {
            return self;
        }
        Span {
            src: self.src,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// One source text with the name it is shown under.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: Arc<str>,
}

/// All sources of one session. Index = `SourceId`.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    sources: Vec<Source>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<Arc<str>>) -> SourceId {
        self.sources.push(Source {
            name: name.into(),
            text: text.into(),
        });
        SourceId((self.sources.len() - 1) as u32)
    }
    pub fn get(&self, id: SourceId) -> &Source {
        &self.sources[id.0 as usize]
    }
    pub fn name(&self, id: SourceId) -> &str {
        &self.get(id).name
    }
    pub fn text(&self, id: SourceId) -> &str {
        &self.get(id).text
    }
    pub fn snippet(&self, span: Span) -> &str {
        let t = self.text(span.src);
        t.get(span.start as usize..span.end as usize).unwrap_or("")
    }
    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, src: SourceId, offset: u32) -> (usize, usize) {
        let text = self.text(src);
        let off = (offset as usize).min(text.len());
        let before = &text.as_bytes()[..off];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        let col = text
            .get(line_start..off)
            .map_or(off - line_start, |s| s.chars().count())
            + 1;
        (line, col)
    }
}
