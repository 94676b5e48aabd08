//! A request to cancel the running command (Ctrl-C in the REPL).
//!
//! The REPL front points its SIGINT handler at [`flag`], resets it before each
//! command, and the long loops of a command (a derivation tree term by term, the
//! steps of `:seek`) ask [`requested`] and stop early. Nothing here installs a
//! handler: outside the REPL the flag is never set and the checks cost one load.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};

static FLAG: LazyLock<Arc<AtomicBool>> = LazyLock::new(|| Arc::new(AtomicBool::new(false)));

/// The flag a signal handler sets.
pub fn flag() -> Arc<AtomicBool> {
    Arc::clone(&FLAG)
}

/// Whether the running command should stop.
#[inline]
pub fn requested() -> bool {
    FLAG.load(Ordering::Relaxed)
}

/// Clears the request (before a command starts).
pub fn reset() {
    FLAG.store(false, Ordering::Relaxed);
}

/// Asks the running command to stop (what the handler does; also for tests).
pub fn request() {
    FLAG.store(true, Ordering::Relaxed);
}
