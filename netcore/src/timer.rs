//! The one timer model every app uses.
//!
//! lwIP keeps a global pool of `sys_timeout` entries whose size must be guessed
//! at compile time (`MEMP_NUM_SYS_TIMEOUT`); too small and the stack asserts.
//! Petrel has no pool: each protocol core owns a small fixed table of
//! deadlines ([`Timers`]), reports the earliest one from `poll_timeout()`, and
//! its driver sleeps on a [`Clock`] until then. Nothing is shared, nothing can
//! run out.
//!
//! ```
//! use petrel_netcore::timer::Timers;
//! use petrel_netcore::time::{Duration, Instant};
//!
//! const RETRANSMIT: usize = 0;
//! const KEEPALIVE: usize = 1;
//! let mut t: Timers<2> = Timers::new();
//! let now = Instant::from_secs(10);
//! t.set(RETRANSMIT, now + Duration::from_millis(500));
//! t.set(KEEPALIVE, now + Duration::from_secs(30));
//! assert_eq!(t.next(), Some(now + Duration::from_millis(500)));
//! assert_eq!(t.take_expired(now + Duration::from_secs(1)), Some(RETRANSMIT));
//! assert_eq!(t.take_expired(now + Duration::from_secs(1)), None);
//! ```

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use crate::time::{Duration, Instant};

/// A fixed table of `N` optional deadlines, indexed by the owner's constants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timers<const N: usize> {
    slots: [Option<Instant>; N],
}

impl<const N: usize> Default for Timers<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Timers<N> {
    /// A table with every timer stopped.
    pub const fn new() -> Self {
        Timers { slots: [None; N] }
    }

    /// Arms timer `id` to fire at `at` (re-arming replaces the old deadline).
    /// An `id` outside the table is ignored.
    pub fn set(&mut self, id: usize, at: Instant) {
        if let Some(slot) = self.slots.get_mut(id) {
            *slot = Some(at);
        }
    }

    /// Stops timer `id`.
    pub fn clear(&mut self, id: usize) {
        if let Some(slot) = self.slots.get_mut(id) {
            *slot = None;
        }
    }

    /// The deadline of timer `id`, if armed.
    pub fn deadline(&self, id: usize) -> Option<Instant> {
        self.slots.get(id).copied().flatten()
    }

    /// Whether timer `id` is armed.
    pub fn is_armed(&self, id: usize) -> bool {
        self.deadline(id).is_some()
    }

    /// The earliest armed deadline: what a core returns from `poll_timeout()`.
    pub fn next(&self) -> Option<Instant> {
        self.slots.iter().flatten().min().copied()
    }

    /// Disarms and returns the expired timer with the earliest deadline, if any.
    /// Call in a loop until `None` to handle every expiry.
    pub fn take_expired(&mut self, now: Instant) -> Option<usize> {
        let (id, _) = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.filter(|at| *at <= now).map(|at| (i, at)))
            .min_by_key(|(_, at)| *at)?;
        self.clear(id);
        Some(id)
    }
}

/// A monotonic clock a driver can sleep on.
///
/// Boards implement it over their timer (SysTick, a free-running counter,
/// tokio, or the simulated link's virtual clock).
pub trait Clock {
    /// The current time.
    fn now(&self) -> Instant;
    /// Completes at or after `deadline`. Must return at once for a past deadline.
    async fn sleep_until(&self, deadline: Instant);
    /// Completes after `d` has elapsed.
    async fn sleep(&self, d: Duration) {
        self.sleep_until(self.now() + d).await
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Instant {
        (**self).now()
    }
    fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()> {
        (**self).sleep_until(deadline)
    }
}

/// The deadline passed before the operation completed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Elapsed;

impl core::fmt::Display for Elapsed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("deadline elapsed")
    }
}

impl core::error::Error for Elapsed {}

/// Runs `fut` until it completes or `deadline` passes, whichever is first.
///
/// The future is polled before the timer, so work that is already done wins a
/// tie. The returned future holds `fut` and the clock's sleep once each (an
/// `async fn` would keep a second copy of `fut` beside its pinned one, which
/// on a microcontroller is RAM in every task that waits with a deadline).
pub fn with_deadline<C: Clock + ?Sized, F: Future>(
    clock: &C,
    deadline: Instant,
    fut: F,
) -> impl Future<Output = Result<F::Output, Elapsed>> {
    Deadline(Select {
        a: fut,
        b: clock.sleep_until(deadline),
    })
}

/// Runs `fut` for at most `d` from now; see [`with_deadline`].
pub fn with_timeout<C: Clock + ?Sized, F: Future>(
    clock: &C,
    d: Duration,
    fut: F,
) -> impl Future<Output = Result<F::Output, Elapsed>> {
    with_deadline(clock, clock.now() + d, fut)
}

/// The future of [`with_deadline`]: the race of [`select`], its second
/// side the sleep.
struct Deadline<F, S>(Select<F, S>);

impl<F: Future, S: Future<Output = ()>> Future for Deadline<F, S> {
    type Output = Result<F::Output, Elapsed>;

    #[allow(unsafe_code)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pinning of the one field: `Deadline` has no
        // `Drop` impl, is `Unpin` only when `Select` is (the auto impl), and
        // the field is never moved out of or replaced while pinned.
        let race = unsafe { self.map_unchecked_mut(|d| &mut d.0) };
        race.poll(cx).map(|r| match r {
            Either::First(v) => Ok(v),
            Either::Second(()) => Err(Elapsed),
        })
    }
}

/// Polls two futures and returns the output of whichever finishes first
/// (`a` is polled first). No allocation, no executor support needed; the
/// returned future holds each of `a` and `b` once (see [`with_deadline`]).
pub fn select<A: Future, B: Future>(
    a: A,
    b: B,
) -> impl Future<Output = Either<A::Output, B::Output>> {
    Select { a, b }
}

/// The future of [`select`].
struct Select<A, B> {
    a: A,
    b: B,
}

impl<A: Future, B: Future> Future for Select<A, B> {
    type Output = Either<A::Output, B::Output>;

    #[allow(unsafe_code)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pinning of both fields: `Select` has no `Drop`
        // impl, is `Unpin` only when both fields are (the auto impl), and
        // neither field is ever moved out of or replaced while pinned; the
        // two pins below are the only access to them.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above.
        if let Poll::Ready(v) = unsafe { Pin::new_unchecked(&mut this.a) }.poll(cx) {
            return Poll::Ready(Either::First(v));
        }
        // SAFETY: see above.
        if let Poll::Ready(v) = unsafe { Pin::new_unchecked(&mut this.b) }.poll(cx) {
            return Poll::Ready(Either::Second(v));
        }
        Poll::Pending
    }
}

/// Runs `fut` and passes its output through `f`: the future holds `fut`
/// and `f` only (nothing for a closure that captures nothing), where an
/// `async` block around `fut` would also keep its own copies of what it
/// captured. For the I/O futures every connection awaits, e.g. converting
/// an error type.
///
/// ```
/// use petrel_netcore::timer::map;
/// let f = map(async { Err::<u8, u16>(7) }, |r| r.map_err(u32::from));
/// # let _: &dyn core::future::Future<Output = Result<u8, u32>> = &f;
/// ```
pub fn map<F: Future, O>(fut: F, f: impl FnMut(F::Output) -> O) -> impl Future<Output = O> {
    Map { fut, f }
}

/// The future of [`map`].
struct Map<F, G> {
    fut: F,
    f: G,
}

impl<F: Future, O, G: FnMut(F::Output) -> O> Future for Map<F, G> {
    type Output = O;

    #[allow(unsafe_code)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<O> {
        // SAFETY: structural pinning of `fut` only: `Map` has no `Drop`
        // impl, is `Unpin` only when both fields are (the auto impl), `fut`
        // is never moved out of or replaced while pinned, and `f` is never
        // pinned (a plain `&mut` to it is fine).
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above.
        let fut = unsafe { Pin::new_unchecked(&mut this.fut) };
        fut.poll(cx).map(&mut this.f)
    }
}

/// Which of two raced futures finished first; see [`select`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Either<A, B> {
    /// The first future finished.
    First(A),
    /// The second future finished.
    Second(B),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_passes_the_output_through_once_ready() {
        let mut polls = 0;
        let inner = core::future::poll_fn(|_| {
            polls += 1;
            if polls < 3 {
                Poll::Pending
            } else {
                Poll::Ready(Err::<u8, u16>(7))
            }
        });
        let mut f = core::pin::pin!(map(inner, |r| r.map_err(u32::from)));
        let mut cx = Context::from_waker(core::task::Waker::noop());
        assert_eq!(f.as_mut().poll(&mut cx), Poll::Pending);
        assert_eq!(f.as_mut().poll(&mut cx), Poll::Pending);
        assert_eq!(f.as_mut().poll(&mut cx), Poll::Ready(Err(7u32)));
    }

    #[test]
    fn earliest_deadline_wins() {
        let mut t: Timers<3> = Timers::new();
        assert_eq!(t.next(), None);
        t.set(2, Instant::from_secs(5));
        t.set(0, Instant::from_secs(7));
        t.set(1, Instant::from_secs(3));
        assert_eq!(t.next(), Some(Instant::from_secs(3)));
        t.clear(1);
        assert_eq!(t.next(), Some(Instant::from_secs(5)));
        assert!(t.is_armed(0));
        assert!(!t.is_armed(1));
    }

    #[test]
    fn expiry_order_and_disarm() {
        let mut t: Timers<3> = Timers::new();
        t.set(0, Instant::from_secs(2));
        t.set(1, Instant::from_secs(1));
        t.set(2, Instant::from_secs(9));
        let now = Instant::from_secs(5);
        assert_eq!(t.take_expired(now), Some(1));
        assert_eq!(t.take_expired(now), Some(0));
        assert_eq!(t.take_expired(now), None);
        assert_eq!(t.next(), Some(Instant::from_secs(9)));
    }

    #[test]
    fn out_of_range_ids_are_ignored() {
        let mut t: Timers<1> = Timers::new();
        t.set(5, Instant::ZERO);
        t.clear(5);
        assert_eq!(t.deadline(5), None);
        assert_eq!(t.next(), None);
    }

    #[test]
    fn rearm_replaces() {
        let mut t: Timers<1> = Timers::new();
        t.set(0, Instant::from_secs(1));
        t.set(0, Instant::from_secs(10));
        assert_eq!(t.take_expired(Instant::from_secs(5)), None);
        assert_eq!(t.take_expired(Instant::from_secs(10)), Some(0));
    }
}
