//! Reading an inventory: a file, or standard input for `-`, never more than a size
//! limit. The limit is checked before the text is read (a regular file's size) or
//! while it is read (a device or a pipe, read through `Read::take`), so that
//! `/dev/zero` is refused after `limit` bytes instead of filling the memory.

use crate::diag::Diag;
use std::io::Read;

/// The default input size limit: well above the largest workload the benchmarks
/// generate (W(1M)), so that only a runaway input meets it.
pub const DEFAULT_MAX_INPUT: u64 = 512 << 20;
/// [`DEFAULT_MAX_INPUT`] as written on the command line (the default of
/// `--max-input-size`).
pub const DEFAULT_MAX_INPUT_TEXT: &str = "512MiB";

/// The name standard input is shown under in diagnostics and locations.
pub const STDIN_NAME: &str = "<stdin>";

/// A file as read: the name to show it under and its bytes.
pub struct Input {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Reads `path` (`-`: standard input), at most `limit` bytes. A larger input is
/// refused with `carbon::input::too_large`; a file that cannot be read gives
/// `carbon::input::read`. Neither diagnostic has a span (there is no text).
pub fn read(path: &str, limit: u64) -> Result<Input, Diag> {
    if path == "-" {
        let bytes = read_capped(std::io::stdin().lock(), STDIN_NAME, limit, 0)?;
        return Ok(Input {
            name: STDIN_NAME.to_string(),
            bytes,
        });
    }
    let file = std::fs::File::open(path).map_err(|e| cannot_read(path, &e))?;
    // A regular file states its size: refuse it without reading, and read it into
    // a buffer of the right size (as `std::fs::read` does).
    let mut expected = 0;
    if let Ok(m) = file.metadata() {
        if m.is_file() {
            if m.len() > limit {
                return Err(too_large(path, limit, Some(m.len())));
            }
            expected = m.len() as usize;
        }
    }
    let bytes = read_capped(file, path, limit, expected)?;
    Ok(Input {
        name: path.to_string(),
        bytes,
    })
}

/// [`read`] as text, for callers that need a `String` (the REPL): invalid UTF-8
/// becomes a `carbon::input::read` diagnostic.
pub fn read_to_string(path: &str, limit: u64) -> Result<String, Diag> {
    let input = read(path, limit)?;
    String::from_utf8(input.bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        Diag::error(
            "carbon::input::read",
            format!("cannot read `{path}`: it is not valid UTF-8 text (invalid byte at offset {at})"),
        )
        .help("save the file as UTF-8 (carbon files are plain text)")
    })
}

fn read_capped(mut r: impl Read, name: &str, limit: u64, expected: usize) -> Result<Vec<u8>, Diag> {
    if expected > 0 {
        // A regular file of known size: read straight into a buffer of that size.
        let mut bytes = Vec::with_capacity(expected);
        r.take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| cannot_read(name, &e))?;
        if bytes.len() as u64 > limit {
            return Err(too_large(name, limit, None));
        }
        return Ok(bytes);
    }
    // A device, a pipe or standard input: read in chunks, and never let the
    // buffer grow beyond the limit (doubling would reach twice the limit).
    let mut bytes = Vec::new();
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        let n = match r.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(cannot_read(name, &e)),
        };
        if (bytes.len() + n) as u64 > limit {
            return Err(too_large(name, limit, None));
        }
        if bytes.capacity() - bytes.len() < n {
            let want = (bytes.capacity() * 2)
                .max(bytes.len() + n)
                .min(usize::try_from(limit).unwrap_or(usize::MAX));
            bytes.reserve_exact(want - bytes.len());
        }
        bytes.extend_from_slice(&chunk[..n]);
    }
    Ok(bytes)
}

fn cannot_read(path: &str, e: &std::io::Error) -> Diag {
    let why = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "it is a directory".to_string(),
        _ => os_message(e),
    };
    Diag::error("carbon::input::read", format!("cannot read `{path}`: {why}"))
        .help("check the path; carbon files usually end in .carbon")
}

fn too_large(path: &str, limit: u64, size: Option<u64>) -> Diag {
    let message = match size {
        Some(n) => format!(
            "`{path}` is {}, more than the input size limit of {}",
            human(n),
            human(limit)
        ),
        None => format!("`{path}` is longer than the input size limit of {}", human(limit)),
    };
    Diag::error("carbon::input::too_large", message).help(format!(
        "carbon reads at most {} of input; if the file really is an inventory, raise the limit with `--max-input-size` (e.g. `--max-input-size 2GiB`)",
        human(limit)
    ))
}

/// An I/O error's message without the `(os error N)` suffix.
pub fn os_message(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) if s.ends_with(')') => s[..i].to_string(),
        _ => s,
    }
}

/// `n` bytes in the largest binary unit that divides it exactly, else in bytes.
pub fn human(n: u64) -> String {
    for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if n >= 1 << shift && n.is_multiple_of(1 << shift) {
            return format!("{} {unit}", n >> shift);
        }
    }
    if n == 1 {
        "1 byte".to_string()
    } else {
        format!("{n} bytes")
    }
}

/// Parses a size: a number of bytes, optionally followed by `K`, `M` or `G` (also
/// written `KB`/`KiB`, …, any case; all binary: `1K` = 1024 bytes).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let (number, suffix) = t.split_at(digits);
    let shift = match suffix.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => {
            return Err(format!(
                "`{s}` is not a size: write a number of bytes, optionally with K, M or G (e.g. 512MiB)"
            ))
        }
    };
    let n: u64 = number.parse().map_err(|_| {
        format!("`{s}` is not a size: write a number of bytes, optionally with K, M or G (e.g. 512MiB)")
    })?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("`{s}` is too large a size"))
}

/// A diagnostic without a span as one or two plain lines: `error[code]: message`
/// and `  help: …` (how the command line reports input errors).
pub fn plain(d: &Diag) -> String {
    let mut s = format!("{}[{}]: {}\n", d.severity.as_str(), d.code, d.message);
    if let Some(h) = &d.help {
        s.push_str(&format!("  help: {h}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("1k"), Ok(1024));
        assert_eq!(parse_size("7"), Ok(7));
        assert_eq!(parse_size(" 2 G "), Ok(2 << 30));
        assert!(parse_size("1.5M").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("99999999999999G").is_err());
        assert_eq!(human(DEFAULT_MAX_INPUT), "512 MiB");
        assert_eq!(parse_size(DEFAULT_MAX_INPUT_TEXT), Ok(DEFAULT_MAX_INPUT));
        assert_eq!(human(1000), "1000 bytes");
    }
}
