//! A whole program checked: every symbol in dependency order, on one thread or
//! two (the second half of the order on another thread, with a frozen copy of
//! the unit registry).

use super::*;

/// Programs with at least this many symbols are checked on two threads. The two
/// threads keep every expression until the end (see [`check_with`]), where one
/// thread frees each once compiled: a higher peak, still linear in the program,
/// traded for the second core (figures in benches/README.md).
const PARALLEL_CHECK: usize = 40_000;
/// On two threads, the start of the order is checked on this thread alone until
/// this many symbols in a row added nothing to the unit registry.
const QUIET: usize = 256;

/// Checks every symbol in order (see [`check_with`]).
pub fn check(res: Resolved, units: Units) -> (Program, Vec<Diag>) {
    check_in(res, units, None)
}

/// The tables of [`check`] for a program's symbols, made ahead of it: a large
/// program's are hundreds of megabytes of fresh memory, which another thread
/// can make while the names stage finishes.
pub struct Results {
    /// One entry a symbol, each the default.
    table: Vec<Checked>,
    /// For two threads: room for the second thread's results (empty, its
    /// memory touched) and each symbol's position in the order.
    own: Vec<Option<Checked>>,
    pos_of: Vec<u32>,
}

impl Results {
    /// Tables for `n` symbols (larger ones are cut, smaller ones grown).
    pub fn new(n: usize) -> Results {
        let two = n >= PARALLEL_CHECK;
        let mut own = Vec::new();
        if two {
            // The second half of the order is at most half of it, and one.
            own.resize(n / 2 + 1, None);
            own.clear();
        }
        Results {
            table: vec![Checked::default(); n],
            own,
            pos_of: if two { vec![u32::MAX; n] } else { Vec::new() },
        }
    }
}

/// [`check`], with its table made ahead, if it was.
pub fn check_in(res: Resolved, units: Units, table: Option<Results>) -> (Program, Vec<Diag>) {
    let n = res.syms.len();
    let threads = if n >= PARALLEL_CHECK { 2 } else { 1 };
    check_on(res, units, threads, QUIET, table)
}

/// [`check`] on one thread or two, with `quiet` as [`QUIET`] (`#[doc(hidden)]`
/// for the tests that compare them).
///
/// On one thread, each expression is compiled to code and freed (`res.irs` is
/// left empty): a checked program keeps the code, not the expression.
///
/// On two threads, this thread checks the start of [`Resolved::order`] until the
/// unit registry has stopped growing (the prelude and the first declarations),
/// then the first half of the rest, while another thread checks the second half
/// ([`Half`]) with a frozen copy of the registry ([`Units::frozen`]). A symbol of
/// the second half that reads one of the first half, needs a dimension or unit
/// the copy does not have, or has an error, is left; once both halves are done,
/// this thread checks what was left, in order. So every result, every interned
/// id and every diagnostic is what one thread gives, in the same order. Both
/// threads read the expressions and free none (freeing them as they go gives
/// back much of what the second thread saves: memory allocated by one
/// thread and freed by another is slow to give back): they stay in `res.irs`
/// until the program is dropped (the command line never drops it; a REPL
/// session frees them when it loads a program).
#[doc(hidden)]
pub fn check_with(res: Resolved, units: Units, threads: usize, quiet: usize) -> (Program, Vec<Diag>) {
    check_on(res, units, threads, quiet, None)
}

fn check_on(res: Resolved, units: Units, threads: usize, quiet: usize, table: Option<Results>) -> (Program, Vec<Diag>) {
    let (mut p, diags) = check_all(res, units, threads, quiet, table);
    // The declared kinds' probes are checked, never evaluated.
    for k in &p.res.kind_checks {
        for &id in &k.probe {
            if let Some(c) = p.checked.get_mut(id as usize) {
                c.code = None;
            }
        }
    }
    let diags = once_per_kind(diags, &p.res.kind_checks);
    (p, diags)
}

/// An error inside a declared kind's formulas is found by its probe and again
/// by each use: kept once (uses give the same labels, inside the kind).
fn once_per_kind(diags: Vec<Diag>, kinds: &[crate::names::KindCheck]) -> Vec<Diag> {
    if kinds.is_empty() {
        return diags;
    }
    let inside = |s: crate::source::Span| {
        kinds
            .iter()
            .any(|k| k.span.src == s.src && k.span.start <= s.start && s.end <= k.span.end)
    };
    let at_kind = |d: &Diag| !d.labels.is_empty() && d.labels.iter().all(|l| inside(l.span));
    // The kinds' own errors (their probes'), by code and message: a use's error
    // with the same words is that error again, labelled at the use.
    let kinds_own: rustc_hash::FxHashSet<(&'static str, String)> = diags
        .iter()
        .filter(|d| at_kind(d))
        .map(|d| (d.code, d.message.clone()))
        .collect();
    let mut seen: rustc_hash::FxHashSet<(&'static str, Vec<(u32, u32)>)> = Default::default();
    diags
        .into_iter()
        .filter(|d| {
            if !at_kind(d) {
                return !kinds_own.contains(&(d.code, d.message.clone()));
            }
            seen.insert((d.code, d.labels.iter().map(|l| (l.span.start, l.span.end)).collect()))
        })
        .collect()
}

fn check_all(
    mut res: Resolved,
    mut units: Units,
    threads: usize,
    quiet: usize,
    table: Option<Results>,
) -> (Program, Vec<Diag>) {
    let n = res.syms.len();
    let Results {
        table: mut checked,
        own,
        mut pos_of,
    } = table.unwrap_or(Results {
        table: Vec::new(),
        own: Vec::new(),
        pos_of: Vec::new(),
    });
    // Every entry made ahead is the default (`Results` is only made by `new`).
    checked.resize(n, Checked::default());
    let setup = Setup::new(&res, &mut units);
    if threads < 2 {
        let mut irs = std::mem::take(&mut res.irs);
        let mut c = Checker::new(&res, &mut units, &mut checked, &setup);
        for &id in &res.order {
            if let Some(ir) = irs.get_mut(id as usize).and_then(Option::take) {
                c.check_sym(id, &ir);
            }
        }
        drop(irs);
        c.check_comparisons();
        let diags = std::mem::take(&mut c.diags);
        return (Program { res, units, checked }, diags);
    }
    let order = &res.order;
    let mut c = Checker::new(&res, &mut units, &mut checked, &setup);
    // The start, until quiet.
    let (mut k, mut still) = (0, 0);
    while k < order.len() && still < quiet {
        let before = c.units.entries();
        c.check_at(order[k]);
        still = if c.units.entries() == before { still + 1 } else { 0 };
        k += 1;
    }
    let frozen = c.units.frozen();
    let mut diags = std::mem::take(&mut c.diags);
    drop(c);
    let mid = k + (order.len() - k) / 2;
    let Some(frozen) = frozen.filter(|_| mid < order.len()) else {
        // Nothing left to share: the rest here, in order.
        let mut c = Checker::new(&res, &mut units, &mut checked, &setup);
        for &id in &order[k..] {
            c.check_at(id);
        }
        c.check_comparisons();
        diags.append(&mut c.diags);
        return (Program { res, units, checked }, diags);
    };
    pos_of.resize(n, u32::MAX);
    for (p, &id) in order.iter().enumerate() {
        if let Some(x) = pos_of.get_mut(id as usize) {
            *x = p as u32;
        }
    }
    let half = Half {
        pos_of: &pos_of,
        start: order[..k].iter().map(|&id| checked[id as usize].clone()).collect(),
        mid,
        own: {
            let mut own = own;
            own.reserve(order.len() - mid);
            own
        },
        missing: std::cell::Cell::new(false),
    };
    let (res_r, setup_r) = (&res, &setup);
    let (mut c, second) = crate::par::join(
        || {
            let mut c = Checker::new(res_r, &mut units, &mut checked, setup_r);
            for &id in &order[k..mid] {
                c.check_at(id);
            }
            c
        },
        move || half.check(res_r, frozen, setup_r),
    );
    // What the other half's check gave; what it left is checked here, in order.
    let mut left = Vec::new();
    for (&id, r) in order[mid..].iter().zip(second) {
        match r {
            Some(r) => c.checked.set(id, r),
            None => left.push(id),
        }
    }
    for id in left {
        c.check_at(id);
    }
    c.check_comparisons();
    diags.append(&mut c.diags);
    drop(c);
    (Program { res, units, checked }, diags)
}

/// The second half of the order, checked on another thread: it sees the start of
/// the order (checked before it began) and its own results, not the first half.
struct Half<'a> {
    /// Each symbol's position in the order.
    pos_of: &'a [u32],
    /// The results of the start of the order, by position.
    start: Vec<Checked>,
    /// Where the half begins in the order.
    mid: usize,
    /// Its results by position from `mid`: `None` for a symbol left for later.
    own: Vec<Option<Checked>>,
    /// A symbol it cannot see was asked for.
    missing: std::cell::Cell<bool>,
}

impl Table for Half<'_> {
    fn get(&self, id: SymId) -> Option<&Checked> {
        let p = *self.pos_of.get(id as usize)? as usize;
        let found = if p < self.start.len() {
            self.start.as_slice().get(p)
        } else if p >= self.mid {
            self.own.get(p - self.mid).and_then(Option::as_ref)
        } else {
            None
        };
        if found.is_none() {
            self.missing.set(true);
        }
        found
    }
    fn set(&mut self, _id: SymId, c: Checked) {
        // Symbols are checked in order: the next position.
        self.own.push(Some(c));
    }
    fn all(&self) -> Option<&[Checked]> {
        // Only an error's help asks for every symbol: the symbol is checked again
        // on the main thread, which sees them all.
        self.missing.set(true);
        None
    }
}

impl Half<'_> {
    /// Checks the second half: each symbol's result, or `None` for one to check
    /// again on the main thread.
    fn check(mut self, res: &Resolved, mut units: Units, setup: &Setup) -> Vec<Option<Checked>> {
        // The checkers' memo of rules, kept from one symbol's checker to the next.
        let mut rules = Vec::new();
        for &id in &res.order[self.mid..] {
            let at = self.own.len();
            let mut c = Checker::new(res, &mut units, &mut self, setup);
            c.rules = std::mem::take(&mut rules);
            c.check_at(id);
            let errors = !c.diags.is_empty();
            rules = std::mem::take(&mut c.rules);
            let again = errors || units.take_missed() || self.missing.take();
            if self.own.len() == at {
                // An error in what it reads: nothing set (the default), unless left.
                self.own.push((!again).then(Checked::default));
            } else if again {
                if let Some(x) = self.own.last_mut() {
                    *x = None;
                }
            }
        }
        self.own
    }
}
