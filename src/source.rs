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
    /// This span moved `by` bytes later (a span relative to `by` made absolute).
    pub fn after(self, by: u32) -> Span {
        Span {
            src: self.src,
            start: self.start.saturating_add(by),
            end: self.end.saturating_add(by),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// One source text with the name it is shown under.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    /// Shared (a REPL session's snapshots clone the map), and an `Arc<String>` rather
    /// than an `Arc<str>` so that a file read into a `Vec<u8>` becomes the source text
    /// without a copy (the largest inventories are hundreds of megabytes).
    pub text: Arc<String>,
    /// Byte offsets where lines start, computed on the first look-up of a line
    /// (a large file that checks without a diagnostic never needs them).
    line_starts: std::sync::OnceLock<Vec<u32>>,
}

impl Source {
    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            let mut starts = vec![0u32];
            starts.extend(memchr::memchr_iter(b'\n', self.text.as_bytes()).map(|i| i as u32 + 1));
            starts
        })
    }
}

/// `text` with each CR that no LF follows replaced by an LF.
fn lone_cr_as_lf(text: String) -> String {
    let b = text.as_bytes();
    let lone: Vec<usize> = memchr::memchr_iter(b'\r', b)
        .filter(|&i| b.get(i + 1) != Some(&b'\n'))
        .collect();
    if lone.is_empty() {
        return text;
    }
    let mut b = text.into_bytes();
    for i in lone {
        b[i] = b'\n';
    }
    // An ASCII byte replaced by an ASCII byte: still UTF-8.
    String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
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
    /// Adds a source. A CR not followed by LF (old Mac line ends, or one stray in
    /// a file) ends a line, as it does in editors: it becomes an LF here, byte for
    /// byte, so offsets are unchanged and both parsers and line numbers see lines.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> SourceId {
        let text = Arc::new(lone_cr_as_lf(text.into()));
        self.sources.push(Source {
            name: name.into(),
            text,
            line_starts: std::sync::OnceLock::new(),
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
    /// 1-based line of a byte offset; O(log lines).
    pub fn line(&self, src: SourceId, offset: u32) -> usize {
        let s = self.get(src);
        let off = (offset as usize).min(s.text.len());
        s.line_starts().partition_point(|&st| st as usize <= off)
    }

    /// 1-based line and column (in characters) of a byte offset; O(log lines)
    /// plus the length of the line up to the offset.
    pub fn line_col(&self, src: SourceId, offset: u32) -> (usize, usize) {
        let s = self.get(src);
        let text = &*s.text;
        let off = (offset as usize).min(text.len());
        let starts = s.line_starts();
        let line = starts.partition_point(|&st| st as usize <= off);
        let line_start = starts[line - 1] as usize;
        let col = text
            .get(line_start..off)
            .map_or(off - line_start, |s| s.chars().count())
            + 1;
        (line, col)
    }
}
