//! Text from the file is shown, never obeyed: the characters a terminal would
//! act on (controls, bidi overrides) are written escaped (`\u{1b}`) in every text
//! output, the report's and the diagnostics'. A leaf module: render and diag
//! both use it.

use std::fmt::Write;

/// The next character from `from` on that text output shows escaped, as (start,
/// length in bytes): a C0 control (but newline and tab when `layout`), DEL, a C1
/// control, a line or paragraph separator (U+2028, U+2029) or a bidi override or
/// isolate (U+202A–U+202E, U+2066–U+2069). Text from the file is shown, never
/// obeyed: `\x1b[2J` in an inventory name must not clear the reader's screen.
pub(crate) fn next_hidden(b: &[u8], from: usize, layout: bool) -> Option<(usize, usize)> {
    let mut i = from;
    while i < b.len() {
        // Most bytes are none of these: skip them by a table look-up.
        match b[i..].iter().position(|&x| LEADS[x as usize]) {
            Some(k) => i += k,
            None => return None,
        }
        match b[i] {
            b'\n' | b'\t' if layout => {}
            0..=0x1f | 0x7f => return Some((i, 1)),
            0xc2 if matches!(b.get(i + 1), Some(0x80..=0x9f)) => return Some((i, 2)),
            0xe2 => match (b.get(i + 1), b.get(i + 2)) {
                (Some(0x80), Some(0xa8..=0xae)) | (Some(0x81), Some(0xa6..=0xa9)) => return Some((i, 3)),
                _ => {}
            },
            _ => {}
        }
        i += 1;
    }
    None
}

/// The bytes that may start what [`next_hidden`] looks for.
static LEADS: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[0x7f] = true;
    t[0xc2] = true;
    t[0xe2] = true;
    t
};

/// `\u{1b}` for ESC, `\n` for a newline (where it is not layout).
fn push_hidden(o: &mut String, c: &str) {
    for c in c.chars() {
        match c {
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            c => {
                let _ = write!(o, "\\u{{{:x}}}", c as u32);
            }
        }
    }
}

/// `s` with the characters [`next_hidden`] finds escaped; newlines and tabs are
/// kept when `layout` (a whole output), escaped otherwise (text from the file
/// shown on one line). Borrowed when there is nothing to escape.
pub fn escape_controls(s: &str, layout: bool) -> std::borrow::Cow<'_, str> {
    let b = s.as_bytes();
    let Some(mut at) = next_hidden(b, 0, layout) else {
        return std::borrow::Cow::Borrowed(s);
    };
    let mut o = String::with_capacity(s.len() + 16);
    let mut done = 0;
    loop {
        o.push_str(&s[done..at.0]);
        push_hidden(&mut o, &s[at.0..at.0 + at.1]);
        done = at.0 + at.1;
        match next_hidden(b, done, layout) {
            Some(n) => at = n,
            None => break,
        }
    }
    o.push_str(&s[done..]);
    std::borrow::Cow::Owned(o)
}

/// A writer that escapes what [`next_hidden`] finds (newlines and tabs kept) on
/// the way through: the last guard of the text output, whatever string from the
/// file a line quotes. Each write is whole characters (every write here is).
pub struct Escaping<W>(pub W);

impl<W: std::io::Write> std::io::Write for Escaping<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        let mut done = 0;
        let mut esc = String::new();
        while let Some((at, len)) = next_hidden(buf, done, true) {
            self.0.write_all(&buf[done..at])?;
            esc.clear();
            push_hidden(&mut esc, &String::from_utf8_lossy(&buf[at..at + len]));
            self.0.write_all(esc.as_bytes())?;
            done = at + len;
        }
        self.0.write_all(&buf[done..])
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}
