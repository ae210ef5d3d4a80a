//! A [`Clock`] over tokio's timer, for host boards and the simulated link.
//!
//! Under a runtime with paused time (`start_paused`) it is a virtual clock:
//! time advances only when every task waits.

use crate::time::{Duration, Instant};
use crate::timer::Clock;

/// Microseconds since the clock was created, on tokio's timer.
#[derive(Copy, Clone, Debug)]
pub struct TokioClock {
    base: tokio::time::Instant,
}

impl Default for TokioClock {
    fn default() -> Self {
        Self::new()
    }
}

impl TokioClock {
    /// A clock whose epoch is now. Must be called inside a tokio runtime
    /// when that runtime's time is paused, so both share the same base.
    pub fn new() -> Self {
        TokioClock {
            base: tokio::time::Instant::now(),
        }
    }

    /// The tokio instant of a Petrel instant. Deadlines beyond a year are
    /// clamped to a year: with paused time tokio jumps straight to the next
    /// timer, and a jump to `Instant::MAX` would put the clock past what the
    /// network stacks can represent.
    pub fn tokio_instant(&self, at: Instant) -> tokio::time::Instant {
        let d: core::time::Duration = Duration::from_micros(at.as_micros())
            .min(Self::FAR_FUTURE)
            .into();
        self.base + d
    }

    /// What "never" becomes: about a year.
    const FAR_FUTURE: Duration = Duration::from_secs(365 * 24 * 3600);
}

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        Instant::from_micros(u64::try_from(self.base.elapsed().as_micros()).unwrap_or(u64::MAX))
    }

    async fn sleep_until(&self, deadline: Instant) {
        tokio::time::sleep_until(self.tokio_instant(deadline)).await
    }
}
