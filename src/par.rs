//! The two-core strategy, in one place: every thread the library starts is
//! started here, so that each stage reads as the sequential algorithm it is and
//! calls one of these with the halves of its work.
//!
//! Invariants of every function here:
//! - The result is the one the sequential order gives (the halves are joined in
//!   order); threads only change when the work is done.
//! - If no thread can be started, the work is done on the calling thread.
//! - A panic on another thread is a bug: it is raised again on the caller's.

use std::sync::mpsc;
use std::thread::Builder;

/// Stack of the threads started here: the recursive passes' depth is bounded by
/// the nesting limits, which this stack holds in a debug build too.
const STACK: usize = 64 << 20;

/// Stack for the whole pipeline ([`on_big_stack`]); only reserved, pages are used
/// as the stack grows.
pub const BIG_STACK: usize = 256 << 20;

/// Runs `f` on a thread with [`BIG_STACK`] of stack, whatever thread calls the
/// library (a test thread has 2 MiB).
pub fn on_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    on_thread(BIG_STACK, f)
}

/// Runs `f` on a new thread of `stack` bytes and waits for it.
fn on_thread<T: Send>(stack: usize, f: impl FnOnce() -> T + Send) -> T {
    join_on(stack, || (), f).1
}

/// `(a(), b())`, with `b` on a second thread while `a` runs here.
pub fn join<A, B: Send>(a: impl FnOnce() -> A, b: impl FnOnce() -> B + Send) -> (A, B) {
    join_on(STACK, a, b)
}

fn join_on<A, B: Send>(stack: usize, a: impl FnOnce() -> A, b: impl FnOnce() -> B + Send) -> (A, B) {
    // The other thread takes `b` from the cell; if none could be started, it is
    // still there and runs here after `a`.
    let cell = std::sync::Mutex::new(Some(b));
    let (ra, rb) = std::thread::scope(|scope| {
        let other = Builder::new()
            .stack_size(stack)
            .spawn_scoped(scope, || cell.lock().ok().and_then(|mut c| c.take()).map(|f| f()));
        let ra = a();
        let rb = match other {
            Ok(h) => match h.join() {
                Ok(r) => r,
                Err(panic) => std::panic::resume_unwind(panic),
            },
            Err(_) => None,
        };
        (ra, rb)
    });
    let rb = match rb {
        Some(r) => r,
        None => {
            let b = cell.into_inner().ok().flatten();
            // Not taken: the other thread did not start (it runs `b` once taken).
            b.expect("the closure has not run")()
        }
    };
    (ra, rb)
}

/// `a()`, and `b()` if a second thread could run it meanwhile: for work that the
/// caller can do itself later, or do without (a table made ahead of time). `None`
/// when no thread could be started, or it failed.
pub fn beside<A, B: Send>(a: impl FnOnce() -> A, b: impl FnOnce() -> B + Send) -> (A, Option<B>) {
    std::thread::scope(|scope| {
        let other = Builder::new().stack_size(STACK).spawn_scoped(scope, b).ok();
        let ra = a();
        (ra, other.and_then(|h| h.join().ok()))
    })
}

/// Renders items `0..n` in batches of `batch` and writes them to `out` in order.
/// The batches alternate between this thread and one worker; each thread has its
/// own state (`init`) and output buffer, reused from batch to batch, and at most a
/// few batches wait to be written, so memory stays flat however long the list.
pub fn batched<S, B>(
    out: &mut (impl std::io::Write + ?Sized),
    n: usize,
    batch: usize,
    init: impl Fn() -> S + Sync,
    render: impl Fn(&mut S, std::ops::Range<usize>, &mut B) + Sync,
) -> std::io::Result<()>
where
    B: Default + AsRef<[u8]> + Send,
{
    let range = |b: usize| b * batch..((b + 1) * batch).min(n);
    let batches = n.div_ceil(batch);
    let mut state = init();
    let mut buf = B::default();
    if batches < 2 {
        render(&mut state, 0..n, &mut buf);
        return out.write_all(buf.as_ref());
    }
    std::thread::scope(|scope| {
        let (done_tx, done_rx) = mpsc::sync_channel::<B>(2);
        let (free_tx, free_rx) = mpsc::channel::<B>();
        let (init, render) = (&init, &render);
        let worker = Builder::new().stack_size(STACK).spawn_scoped(scope, move || {
            let mut state = init();
            for b in (1..batches).step_by(2) {
                let mut buf = free_rx.try_recv().unwrap_or_default();
                render(&mut state, range(b), &mut buf);
                if done_tx.send(buf).is_err() {
                    break;
                }
            }
        });
        let mut from_worker = worker.is_ok();
        for b in 0..batches {
            if b % 2 == 0 || !from_worker {
                render(&mut state, range(b), &mut buf);
                out.write_all(buf.as_ref())?;
                continue;
            }
            match done_rx.recv() {
                Ok(theirs) => {
                    out.write_all(theirs.as_ref())?;
                    let _ = free_tx.send(theirs);
                }
                Err(_) => {
                    // The worker stopped (it panicked): render the rest here.
                    from_worker = false;
                    render(&mut state, range(b), &mut buf);
                    out.write_all(buf.as_ref())?;
                }
            }
        }
        Ok(())
    })
}

/// Produces `items` on `workers` threads (item k on thread k mod `workers`, each
/// at most one item ahead) while this thread runs `first`, then hands the results
/// to `consume` in item order. What `consume` returns goes back to the thread
/// that produced the item, to be dropped there (memory is freed faster by the
/// thread that allocated it). Stops at the first item `produce` gives up on
/// (`None`). False if it stopped so, if `first` said false (nothing is consumed
/// then), or if no thread could be started: the caller then takes another path.
pub fn ordered<S, I, T, R>(
    state: &mut S,
    items: &[I],
    workers: usize,
    produce: impl Fn(I) -> Option<T> + Sync,
    first: impl FnOnce(&mut S) -> bool,
    mut consume: impl FnMut(&mut S, T) -> R,
) -> bool
where
    I: Copy + Send + Sync,
    T: Send,
    R: Send,
{
    std::thread::scope(|scope| {
        let produce = &produce;
        let mut ahead = Vec::new(); // (results from the thread, what goes back to it)
        let mut threads = Vec::new();
        for w in 0..workers {
            let (tx, rx) = mpsc::sync_channel::<Option<T>>(1);
            let (back_tx, back_rx) = mpsc::channel::<R>();
            let mine = items.iter().copied().skip(w).step_by(workers);
            let spawned = Builder::new().stack_size(STACK).spawn_scoped(scope, move || {
                for item in mine {
                    back_rx.try_iter().for_each(drop);
                    let made = produce(item);
                    let gave_up = made.is_none();
                    if tx.send(made).is_err() || gave_up {
                        break;
                    }
                }
                drop(tx);
                back_rx.iter().for_each(drop);
            });
            match spawned {
                Ok(h) => threads.push(h),
                Err(_) => return false,
            }
            ahead.push((rx, back_tx));
        }
        let mut ok = first(state);
        let count = if ok { items.len() } else { 0 };
        for k in 0..count {
            let (rx, back) = &ahead[k % workers];
            match rx.recv() {
                // The producer may be gone: then this thread drops the rest.
                Ok(Some(made)) => drop(back.send(consume(state, made))),
                _ => {
                    ok = false;
                    break;
                }
            }
        }
        // Closing the channels ends the producers (one ahead stops sending).
        drop(ahead);
        threads.into_iter().fold(ok, |ok, h| h.join().is_ok() && ok)
    })
}
