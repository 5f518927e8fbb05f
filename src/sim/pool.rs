//! The model's compute pool: the one place in `src/sim` with threads of its own (see
//! docs/architecture.md §1). [`Pool::run`] runs one closure on every thread of the pool at
//! once; the closure synchronises its phases with a [`SpinBarrier`] and writes shared arrays
//! through [`Disjoint`] pointers at indices no other thread touches in the same phase.
//!
//! The threads are rayon's (persistent, named `engram-compute-k`), so starting a run costs one
//! broadcast, not a thread spawn; within a run the threads meet at a spinning barrier three times per
//! step (a few hundred nanoseconds when both cores are free, yielding when they are not).

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// A pool of `threads` compute threads (none for one thread: the caller does the work).
#[derive(Debug)]
pub struct Pool {
    threads: usize,
    workers: Option<rayon::ThreadPool>,
    /// Serialises runs: two broadcasts in flight at once (e.g. from clones of a network that
    /// share this pool) could pair thread 0 of one with thread 1 of the other at a barrier.
    busy: Mutex<()>,
}

impl Pool {
    /// A pool of `threads` ≥ 1 threads. Fails only if the OS refuses to start threads.
    pub fn new(threads: usize) -> Result<Self, String> {
        let threads = threads.max(1);
        let workers = if threads == 1 {
            None
        } else {
            Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .thread_name(|k| format!("engram-compute-{k}"))
                    .build()
                    .map_err(|e| format!("cannot start {threads} compute threads: {e}"))?,
            )
        };
        Ok(Pool { threads, workers, busy: Mutex::new(()) })
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `work(k, barrier)` for k = 0..threads, each on its own thread, all at the same time,
    /// and returns when all have returned. If one panics, the barrier is poisoned so the others
    /// stop at their next wait instead of spinning for ever, and the panic is re-raised here.
    pub fn run(&self, work: impl Fn(usize, &SpinBarrier) + Sync) {
        let barrier = SpinBarrier::new(self.threads);
        let _one_at_a_time = self.busy.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match &self.workers {
            None => work(0, &barrier),
            Some(pool) => {
                let results = pool.broadcast(|ctx| {
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(ctx.index(), &barrier)))
                        .inspect_err(|_| barrier.poison())
                });
                // Re-raise the first real panic (others are "poisoned" follow-ups).
                let mut errors: Vec<_> = results.into_iter().filter_map(Result::err).collect();
                if !errors.is_empty() {
                    let first = errors.iter().position(|e| e.downcast_ref::<Poisoned>().is_none()).unwrap_or(0);
                    std::panic::resume_unwind(errors.swap_remove(first));
                }
            }
        }
    }
}

/// Marker payload of a thread that stopped because another one panicked.
struct Poisoned;

/// A reusable barrier for a fixed number of threads: it spins briefly (the usual case, both
/// threads running: a few hundred nanoseconds), then yields, then sleeps on a condition
/// variable — so that when the cores are oversubscribed (GUI, other programs) a waiting thread
/// hands its core to the one it waits for instead of burning it.
pub struct SpinBarrier {
    n: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
    poisoned: AtomicBool,
    sleepers: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
}

/// Spin iterations before yielding (a `pause` is ~10–60 cycles), and yields before sleeping.
const SPINS: u32 = 400;
const YIELDS: u32 = 20;

impl SpinBarrier {
    fn new(n: usize) -> Self {
        SpinBarrier {
            n,
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            poisoned: AtomicBool::new(false),
            sleepers: AtomicUsize::new(0),
            lock: Mutex::new(()),
            wake: Condvar::new(),
        }
    }

    /// Waits until all `n` threads have called `wait` (a no-op for one thread). Everything a
    /// thread wrote before its `wait` is visible to every thread after theirs.
    pub fn wait(&self) {
        if self.n == 1 {
            return;
        }
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
            self.arrived.store(0, Ordering::Relaxed);
            // SeqCst store/load pairs with the sleeper's: either it sees the new generation or
            // we see it registered (and it is already waiting, since it holds the lock until then).
            self.generation.store(generation.wrapping_add(1), Ordering::SeqCst);
            if self.sleepers.load(Ordering::SeqCst) > 0 {
                let _g = self.lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                self.wake.notify_all();
            }
            return;
        }
        let released = || self.generation.load(Ordering::Acquire) != generation;
        for k in 0..SPINS + YIELDS {
            if released() {
                return;
            }
            self.check_poison();
            if k < SPINS {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        let mut g = self.lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        while self.generation.load(Ordering::SeqCst) == generation {
            if self.poisoned.load(Ordering::Relaxed) {
                self.sleepers.fetch_sub(1, Ordering::SeqCst);
                drop(g);
                std::panic::panic_any(Poisoned);
            }
            // The timeout only bounds how late a poisoning is noticed.
            g = self
                .wake
                .wait_timeout(g, Duration::from_millis(5))
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
        self.sleepers.fetch_sub(1, Ordering::SeqCst);
    }

    fn check_poison(&self) {
        if self.poisoned.load(Ordering::Relaxed) {
            std::panic::panic_any(Poisoned);
        }
    }

    fn poison(&self) {
        self.poisoned.store(true, Ordering::Relaxed);
    }
}

/// A slice that several pool threads write at disjoint indices within one phase.
///
/// Built from [`Vec::as_mut_ptr`], which (as documented) does not materialise a reference to the
/// buffer, so these pointers stay valid alongside ordinary uses of the `Vec` between runs and
/// in the single-threaded phases, as long as the `Vec` is not resized while they are in use.
pub struct Disjoint<T> {
    ptr: *mut T,
    len: usize,
}

impl<T> Clone for Disjoint<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Disjoint<T> {}

// SAFETY: a `Disjoint` is only a pointer; the methods' contracts make each access exclusive.
unsafe impl<T: Send> Send for Disjoint<T> {}
// SAFETY: as for `Send`: shared use is sound because every access is exclusive by contract.
unsafe impl<T: Send> Sync for Disjoint<T> {}

impl<T> Disjoint<T> {
    pub fn new(v: &mut Vec<T>) -> Self {
        Disjoint { ptr: v.as_mut_ptr(), len: v.len() }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The elements in `r`, mutably.
    ///
    /// # Safety
    /// No other thread reads or writes any element of `r` until the caller's next barrier,
    /// and the underlying `Vec` outlives the returned slice without being resized.
    #[inline]
    #[expect(clippy::mut_from_ref, reason = "exclusivity is the caller's contract, per range")]
    pub unsafe fn range_mut(&self, r: Range<usize>) -> &mut [T] {
        assert!(r.start <= r.end && r.end <= self.len, "range {r:?} out of 0..{}", self.len);
        // SAFETY: in bounds (checked); exclusive by the caller's contract.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(r.start), r.end - r.start) }
    }

    /// The elements in `r`, read-only.
    ///
    /// # Safety
    /// No thread writes any element of `r` while the returned slice lives.
    #[inline]
    pub unsafe fn range(&self, r: Range<usize>) -> &[T] {
        assert!(r.start <= r.end && r.end <= self.len, "range {r:?} out of 0..{}", self.len);
        // SAFETY: in bounds (checked); unwritten by the caller's contract.
        unsafe { std::slice::from_raw_parts(self.ptr.add(r.start), r.end - r.start) }
    }

    /// All elements, read-only.
    ///
    /// # Safety
    /// No thread writes any element until the caller's next barrier.
    #[inline]
    pub unsafe fn all(&self) -> &[T] {
        // SAFETY: the whole allocation; nobody writes it by the caller's contract.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// The raw pointer to element 0, for vector gathers and scatters that check their indices
    /// themselves.
    pub fn as_ptr(&self) -> *mut T {
        self.ptr
    }

    /// Hints the CPU to fetch element `i` into cache (no effect if out of bounds or on other
    /// architectures): scattered read-modify-writes issue it a few iterations ahead, so that
    /// their cache misses overlap instead of queueing.
    #[inline]
    pub fn prefetch(&self, i: usize) {
        #[cfg(target_arch = "x86_64")]
        if i < self.len {
            // SAFETY: `prefetch` never faults and reads nothing architecturally; the address is
            // inside the allocation anyway.
            unsafe {
                use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
                _mm_prefetch::<_MM_HINT_T0>(self.ptr.add(i) as *const i8);
            }
        }
        // Prefetching is a hint only available on x86-64; elsewhere the index goes unused.
        #[cfg(not(target_arch = "x86_64"))]
        let _ = i;
    }

    /// A pointer to element `i` (bounds-checked), for scattered writes.
    ///
    /// # Safety
    /// No other thread accesses element `i` until the caller's next barrier.
    #[inline]
    #[expect(clippy::mut_from_ref, reason = "exclusivity is the caller's contract, per element")]
    pub unsafe fn at(&self, i: usize) -> &mut T {
        assert!(i < self.len, "index {i} out of 0..{}", self.len);
        // SAFETY: in bounds (checked); exclusive by the caller's contract.
        unsafe { &mut *self.ptr.add(i) }
    }
}

/// Splits `0..n` into `parts` contiguous ranges whose sizes differ by at most one.
pub fn split_even(n: usize, parts: usize) -> Vec<Range<usize>> {
    (0..parts).map(|k| n * k / parts..n * (k + 1) / parts).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_split_covers_everything_once() {
        for (n, p) in [(10, 3), (4096, 2), (1024, 3), (5, 1), (2, 3)] {
            let r = split_even(n, p);
            assert_eq!(r.len(), p);
            assert_eq!(r[0].start, 0);
            assert_eq!(r[p - 1].end, n);
            assert!(r.windows(2).all(|w| w[0].end == w[1].start));
            assert!(r.iter().all(|x| x.len() == n / p || x.len() == n / p + 1));
        }
    }

    #[test]
    fn barrier_orders_phases_across_threads() {
        // Each of 3 threads writes its own cell in phase A, then reads all cells in phase B:
        // without the barrier some reads would see zeros.
        let pool = Pool::new(3).unwrap();
        let mut cells = vec![0u64; 3];
        let mut sums = vec![0u64; 3];
        let (c, s) = (Disjoint::new(&mut cells), Disjoint::new(&mut sums));
        pool.run(|k, barrier| {
            for round in 1..=200u64 {
                // SAFETY: thread k writes only cell k in this phase.
                unsafe { *c.at(k) = round * (k as u64 + 1) };
                barrier.wait();
                // SAFETY: nobody writes cells in this phase; thread k writes only sums[k].
                let total: u64 = unsafe { c.all() }.iter().sum();
                // SAFETY: as above.
                unsafe { *s.at(k) += total };
                barrier.wait();
            }
        });
        let want: u64 = (1..=200u64).map(|r| r * 6).sum();
        assert_eq!(sums, vec![want; 3]);
    }

    #[test]
    fn a_panic_in_one_thread_reaches_the_caller_without_hanging() {
        let pool = Pool::new(2).unwrap();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.run(|k, barrier| {
                assert!(k != 1, "boom in thread 1");
                barrier.wait();
                barrier.wait();
            });
        }));
        let e = r.expect_err("the panic must propagate");
        assert_eq!(e.downcast_ref::<&str>().copied(), Some("boom in thread 1"));
        // The pool still works afterwards.
        let mut v = vec![0u8; 2];
        let d = Disjoint::new(&mut v);
        // SAFETY: thread k writes only element k.
        pool.run(|k, _| unsafe { *d.at(k) = 1 });
        assert_eq!(v, vec![1, 1]);
    }
}
