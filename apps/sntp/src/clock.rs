//! The wall clock the rest of the suite reads: a mapping from the board's
//! monotonic [`Instant`] to Unix time, kept by the SNTP client.
//!
//! # Slew-or-step policy
//!
//! The first synchronisation, and any later one whose correction is larger
//! than [`WallClock::step_threshold`] (128 ms by default, NTP's step
//! threshold), **steps** the clock: the reading jumps to the new time. A
//! smaller correction is **slewed**: it is applied gradually at no more than
//! [`MAX_SLEW_PPM`] (500 ppm, NTP's limit), so readings never jump and never
//! go backwards while the correction is being absorbed (a 10 ms correction
//! takes 20 s). The board's oscillator drift is not modelled: each sync
//! corrects what accumulated since the last one.

use petrel_netcore::time::{Duration, Instant};

/// Largest slew rate: parts per million of elapsed time.
pub const MAX_SLEW_PPM: u64 = 500;

/// Default step threshold (RFC 5905's STEPT, 128 ms).
pub const DEFAULT_STEP_THRESHOLD: Duration = Duration::from_millis(128);

/// Unix time with microsecond resolution.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime {
    /// Microseconds since 1970-01-01T00:00:00Z (negative before it).
    pub micros: i64,
}

impl UnixTime {
    /// Whole seconds since the epoch (floored).
    pub const fn secs(self) -> i64 {
        self.micros.div_euclid(1_000_000)
    }
    /// The microseconds within the second (0..1 000 000).
    pub const fn subsec_micros(self) -> u32 {
        self.micros.rem_euclid(1_000_000) as u32
    }
    /// Milliseconds since the epoch (floored).
    pub const fn millis(self) -> i64 {
        self.micros.div_euclid(1_000)
    }
}

/// How a synchronisation was applied to the [`WallClock`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Adjustment {
    /// The reading jumped to the new time.
    Step,
    /// The correction is being absorbed gradually.
    Slew,
}

/// A wall clock disciplined by SNTP: `Copy`, cheap, and readable by anyone
/// who has a monotonic `now`.
///
/// ```
/// use petrel_netcore::time::{Duration, Instant};
/// use petrel_sntp::WallClock;
///
/// let mut clock = WallClock::new();
/// assert_eq!(clock.unix_time(Instant::from_secs(5)), None); // not synced yet
/// clock.correct(Instant::from_secs(5), 1_700_000_000_000_000);
/// let t = clock.unix_time(Instant::from_secs(7)).unwrap();
/// assert_eq!(t.secs(), 1_700_000_002);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct WallClock {
    /// `(instant, unix micros at that instant)` once synchronised.
    base: Option<(Instant, i64)>,
    /// The correction still to be slewed in from `base.0` on.
    slew: i64,
    /// Corrections larger than this step the clock.
    pub step_threshold: Duration,
}

impl Default for WallClock {
    fn default() -> Self {
        Self::new()
    }
}

impl WallClock {
    /// An unsynchronised clock with the default step threshold.
    pub const fn new() -> Self {
        WallClock {
            base: None,
            slew: 0,
            step_threshold: DEFAULT_STEP_THRESHOLD,
        }
    }

    /// Whether the clock has been set at least once.
    pub const fn is_synced(&self) -> bool {
        self.base.is_some()
    }

    /// Unix time at `now`, or `None` before the first synchronisation.
    /// Never goes backwards for increasing `now` while slewing.
    pub fn unix_time(&self, now: Instant) -> Option<UnixTime> {
        let (at, unix) = self.base?;
        let elapsed = now.saturating_duration_since(at).as_micros();
        let elapsed_i = i64::try_from(elapsed).unwrap_or(i64::MAX);
        let max_slew = i64::try_from(elapsed / (1_000_000 / MAX_SLEW_PPM)).unwrap_or(i64::MAX);
        let applied = self.slew.clamp(-max_slew, max_slew);
        Some(UnixTime {
            micros: unix.saturating_add(elapsed_i).saturating_add(applied),
        })
    }

    /// Our best estimate of Unix time at `now` for on-wire timestamps:
    /// [`WallClock::unix_time`], or boot as 1970 before any sync.
    pub fn local_micros(&self, now: Instant) -> i64 {
        match self.unix_time(now) {
            Some(t) => t.micros,
            None => i64::try_from(now.as_micros()).unwrap_or(i64::MAX),
        }
    }

    /// Moves the clock towards `unix_micros` at `now` by the policy in the
    /// module docs; returns how.
    pub fn correct(&mut self, now: Instant, unix_micros: i64) -> Adjustment {
        let Some(current) = self.unix_time(now) else {
            self.base = Some((now, unix_micros));
            self.slew = 0;
            return Adjustment::Step;
        };
        let correction = unix_micros.saturating_sub(current.micros);
        let threshold = i64::try_from(self.step_threshold.as_micros()).unwrap_or(i64::MAX);
        if correction.unsigned_abs() > threshold.unsigned_abs() {
            self.base = Some((now, unix_micros));
            self.slew = 0;
            Adjustment::Step
        } else {
            self.base = Some((now, current.micros));
            self.slew = correction;
            Adjustment::Slew
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_corrections_slew_monotonically() {
        let mut c = WallClock::new();
        let t0 = Instant::from_secs(100);
        assert_eq!(c.correct(t0, 1_000_000_000), Adjustment::Step);
        // 10 ms ahead: slewed at 500 ppm, so fully applied after 20 s.
        assert_eq!(c.correct(t0, 1_000_010_000), Adjustment::Slew);
        assert_eq!(c.unix_time(t0).unwrap().micros, 1_000_000_000);
        let after1 = c.unix_time(t0 + Duration::from_secs(1)).unwrap().micros;
        assert_eq!(after1, 1_000_000_000 + 1_000_000 + 500);
        let after30 = c.unix_time(t0 + Duration::from_secs(30)).unwrap().micros;
        assert_eq!(after30, 1_000_000_000 + 30_000_000 + 10_000);
        // Slewing backwards never makes the reading go backwards.
        let mut c = WallClock::new();
        c.correct(t0, 5_000_000);
        c.correct(t0, 5_000_000 - 100_000);
        let mut last = i64::MIN;
        for ms in 0..1000u64 {
            let v = c.unix_time(t0 + Duration::from_millis(ms)).unwrap().micros;
            assert!(v >= last);
            last = v;
        }
    }

    #[test]
    fn large_corrections_step() {
        let mut c = WallClock::new();
        let t0 = Instant::from_secs(1);
        c.correct(t0, 0);
        assert_eq!(c.correct(t0, 200_000), Adjustment::Step);
        assert_eq!(c.unix_time(t0).unwrap().micros, 200_000);
        assert_eq!(c.correct(t0, -1), Adjustment::Step);
        let t = c.unix_time(t0).unwrap();
        assert_eq!((t.secs(), t.subsec_micros()), (-1, 999_999));
    }
}
