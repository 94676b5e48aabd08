//! The check and the audit on two threads against one, on any program that
//! parses (`check::check_with`, `audit::audit_on`, both threads forced and every
//! symbol but the first few shared out): the same checked symbols (code, ids,
//! dimensions, units), the same registry size, the same diagnostics in order, and
//! the same audit report.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/threads.rs"]
mod threads;

use threads::{audited, checked, shown};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Some(one) = checked(text, 1, 0) else { return };
    for quiet in [0, 3] {
        let two = checked(text, 2, quiet).map(|c| shown(&c));
        assert_eq!(Some(shown(&one)), two, "check: two threads (quiet {quiet}) differ from one");
    }
    for strict in [false, true] {
        assert_eq!(audited(text, 1, strict), audited(text, 2, strict), "audit: two threads differ from one");
    }
});
