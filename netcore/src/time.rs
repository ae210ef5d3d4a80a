//! Integer-microsecond time: [`Instant`] and [`Duration`].
//!
//! Every protocol core in Petrel takes `now: Instant` as an argument and never
//! reads a clock itself. An `Instant` counts microseconds since an arbitrary
//! epoch chosen by the board (usually boot); it never goes backwards and does
//! not overflow for 584 000 years, so arithmetic on it saturates instead of
//! wrapping.

use core::fmt;
use core::ops::{Add, AddAssign, Sub, SubAssign};

use crate::small::Cursor;

/// A point in time, in microseconds since the board's epoch (usually boot).
///
/// ```
/// use petrel_netcore::time::{Duration, Instant};
/// let t0 = Instant::from_millis(1_500);
/// let t1 = t0 + Duration::from_millis(250);
/// assert_eq!(t1 - t0, Duration::from_millis(250));
/// assert_eq!(t0 - t1, Duration::ZERO); // saturates, never panics
/// ```
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant {
    micros: u64,
}

/// A span of time in microseconds.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration {
    micros: u64,
}

impl Instant {
    /// The epoch.
    pub const ZERO: Instant = Instant { micros: 0 };
    /// The latest representable instant; used as "never".
    pub const MAX: Instant = Instant { micros: u64::MAX };

    /// An instant `micros` microseconds after the epoch.
    pub const fn from_micros(micros: u64) -> Self {
        Instant { micros }
    }
    /// An instant `millis` milliseconds after the epoch.
    pub const fn from_millis(millis: u64) -> Self {
        Instant {
            micros: millis.saturating_mul(1_000),
        }
    }
    /// An instant `secs` seconds after the epoch.
    pub const fn from_secs(secs: u64) -> Self {
        Instant {
            micros: secs.saturating_mul(1_000_000),
        }
    }
    /// Microseconds since the epoch.
    pub const fn as_micros(self) -> u64 {
        self.micros
    }
    /// Whole milliseconds since the epoch.
    pub const fn as_millis(self) -> u64 {
        self.micros / 1_000
    }
    /// Whole seconds since the epoch.
    pub const fn as_secs(self) -> u64 {
        self.micros / 1_000_000
    }
    /// Time elapsed since `earlier`, or zero if `earlier` is later than `self`.
    pub const fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration {
            micros: self.micros.saturating_sub(earlier.micros),
        }
    }
    /// `self + d`, or `None` on overflow.
    pub const fn checked_add(self, d: Duration) -> Option<Instant> {
        match self.micros.checked_add(d.micros) {
            Some(micros) => Some(Instant { micros }),
            None => None,
        }
    }
}

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration { micros: 0 };
    /// The longest representable span; used as "forever".
    pub const MAX: Duration = Duration { micros: u64::MAX };

    /// A span of `micros` microseconds.
    pub const fn from_micros(micros: u64) -> Self {
        Duration { micros }
    }
    /// A span of `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> Self {
        Duration {
            micros: millis.saturating_mul(1_000),
        }
    }
    /// A span of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Duration {
            micros: secs.saturating_mul(1_000_000),
        }
    }
    /// The span in microseconds.
    pub const fn as_micros(self) -> u64 {
        self.micros
    }
    /// The span in whole milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.micros / 1_000
    }
    /// The span in whole seconds.
    pub const fn as_secs(self) -> u64 {
        self.micros / 1_000_000
    }
    /// `self * n`, saturating at [`Duration::MAX`].
    pub const fn saturating_mul(self, n: u64) -> Duration {
        Duration {
            micros: self.micros.saturating_mul(n),
        }
    }
    /// `self / n`; dividing by zero gives [`Duration::MAX`].
    pub const fn div(self, n: u64) -> Duration {
        match self.micros.checked_div(n) {
            Some(micros) => Duration { micros },
            None => Duration::MAX,
        }
    }
    /// The smaller of two spans.
    pub const fn min(self, other: Duration) -> Duration {
        if self.micros < other.micros {
            self
        } else {
            other
        }
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    // Out of line: a saturating u64 add at some 40 call sites in a firmware
    // cost 1 KB of flash inlined (thumbv7em, opt-level "z").
    #[inline(never)]
    fn add(self, d: Duration) -> Instant {
        Instant {
            micros: self.micros.saturating_add(d.micros),
        }
    }
}
impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}
impl Sub<Duration> for Instant {
    type Output = Instant;
    fn sub(self, d: Duration) -> Instant {
        Instant {
            micros: self.micros.saturating_sub(d.micros),
        }
    }
}
impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, d: Duration) {
        *self = *self - d;
    }
}
impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }
}
impl Add for Duration {
    type Output = Duration;
    fn add(self, o: Duration) -> Duration {
        Duration {
            micros: self.micros.saturating_add(o.micros),
        }
    }
}
impl AddAssign for Duration {
    fn add_assign(&mut self, o: Duration) {
        *self = *self + o;
    }
}
impl Sub for Duration {
    type Output = Duration;
    fn sub(self, o: Duration) -> Duration {
        Duration {
            micros: self.micros.saturating_sub(o.micros),
        }
    }
}

impl From<core::time::Duration> for Duration {
    fn from(d: core::time::Duration) -> Self {
        Duration {
            micros: u64::try_from(d.as_micros()).unwrap_or(u64::MAX),
        }
    }
}
impl From<Duration> for core::time::Duration {
    fn from(d: Duration) -> Self {
        core::time::Duration::from_micros(d.micros)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:06}s",
            self.micros / 1_000_000,
            self.micros % 1_000_000
        )
    }
}
impl fmt::Debug for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.micros >= 1_000_000 {
            write!(
                f,
                "{}.{:03}s",
                self.micros / 1_000_000,
                (self.micros % 1_000_000) / 1_000
            )
        } else if self.micros >= 1_000 {
            write!(f, "{}ms", self.micros / 1_000)
        } else {
            write!(f, "{}us", self.micros)
        }
    }
}

/// A UTC calendar date and time (proleptic Gregorian, no leap seconds),
/// for wall-clock values such as SNTP time or HTTP dates.
///
/// ```
/// use petrel_netcore::time::DateTime;
/// let t = DateTime::from_unix(784_111_777);
/// assert_eq!(t.to_string(), "1994-11-06 08:49:37Z");
/// assert_eq!(t.to_unix(), Some(784_111_777));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime {
    /// The year (1970 or later).
    pub year: u32,
    /// The month, 1..=12.
    pub month: u8,
    /// The day of the month, 1..=31.
    pub day: u8,
    /// 0..=23.
    pub hour: u8,
    /// 0..=59.
    pub minute: u8,
    /// 0..=60 (60 only as read from a leap-second timestamp).
    pub second: u8,
}

impl DateTime {
    /// The date and time `secs` seconds after 1970-01-01 00:00:00 UTC.
    pub fn from_unix(secs: u64) -> DateTime {
        // Howard Hinnant's `civil_from_days`, for days ≥ 0.
        let days = secs / 86_400;
        // Below one day and one era: 32-bit arithmetic from here on
        // (cheaper than 64-bit on a 32-bit core).
        let tod = (secs % 86_400) as u32;
        let z = days + 719_468;
        let era = z / 146_097;
        let doe = (z % 146_097) as u32;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = u64::from(yoe) + era * 400 + u64::from(month <= 2);
        // Each value is in range by construction (year < 2^32 for any u64
        // input divided down by 365 days).
        DateTime {
            year: u32::try_from(year).unwrap_or(u32::MAX),
            month: month as u8,
            day: day as u8,
            hour: (tod / 3600) as u8,
            minute: (tod / 60 % 60) as u8,
            second: (tod % 60) as u8,
        }
    }

    /// Seconds since 1970-01-01 00:00:00 UTC, or `None` if a field is out
    /// of range or the date is before 1970.
    pub fn to_unix(&self) -> Option<u64> {
        let (m, d) = (u64::from(self.month), u64::from(self.day));
        if !(1..=12).contains(&m)
            || !(1..=31).contains(&d)
            || self.hour > 23
            || self.minute > 59
            || self.second > 60
            || self.year < 1970
        {
            return None;
        }
        // Howard Hinnant's `days_from_civil`, for years ≥ 1970.
        let y = u64::from(self.year) - u64::from(m <= 2);
        let (era, yoe) = (y / 400, y % 400);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = (era * 146_097 + doe).checked_sub(719_468)?;
        let tod = u64::from(self.hour) * 3600 + u64::from(self.minute) * 60;
        Some(days * 86_400 + tod + u64::from(self.second))
    }
}

impl DateTime {
    /// Writes `2026-11-25 12:00:00Z` (20 bytes for years 0 to 9999), as
    /// [`Display`](fmt::Display) does, without `core::fmt`.
    ///
    /// ```
    /// use petrel_netcore::small::Cursor;
    /// use petrel_netcore::time::DateTime;
    ///
    /// let mut buf = [0u8; 20];
    /// let mut c = Cursor::new(&mut buf);
    /// DateTime::from_unix(1_764_072_000).write_to(&mut c);
    /// assert_eq!(c.finish(), Ok(20));
    /// assert_eq!(&buf, b"2025-11-25 12:00:00Z");
    /// ```
    pub fn write_to(&self, c: &mut Cursor<'_>) {
        c.padded(u64::from(self.year), 4);
        for (sep, v) in [
            (b"-", self.month),
            (b"-", self.day),
            (b" ", self.hour),
            (b":", self.minute),
            (b":", self.second),
        ] {
            c.put(sep);
            c.padded(u64::from(v), 2);
        }
        c.put(b"Z");
    }
}

/// `2026-11-25 12:00:00Z`.
impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::small::display_with::<24>(f, |c| self.write_to(c))
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for DateTime {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "{=u32:04}-{=u8:02}-{=u8:02} {=u8:02}:{=u8:02}:{=u8:02}Z",
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn date_time_round_trips_and_rejects_bad_fields() {
        for t in [0u64, 951_782_400, 1_764_072_000, 4_102_444_799] {
            assert_eq!(DateTime::from_unix(t).to_unix(), Some(t), "{t}");
        }
        assert_eq!(
            DateTime::from_unix(951_782_400).to_string(),
            "2000-02-29 00:00:00Z"
        );
        let ok = DateTime::from_unix(0);
        for bad in [
            DateTime { month: 13, ..ok },
            DateTime { day: 0, ..ok },
            DateTime { hour: 24, ..ok },
            DateTime { year: 1969, ..ok },
        ] {
            assert_eq!(bad.to_unix(), None, "{bad:?}");
        }
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(Instant::MAX + Duration::from_secs(1), Instant::MAX);
        assert_eq!(Instant::ZERO - Duration::from_secs(1), Instant::ZERO);
        assert_eq!(
            Instant::from_secs(1) - Instant::from_secs(2),
            Duration::ZERO
        );
        assert_eq!(Duration::MAX.saturating_mul(3), Duration::MAX);
        assert_eq!(Duration::from_secs(1).div(0), Duration::MAX);
        assert_eq!(Duration::from_secs(3).div(2), Duration::from_millis(1_500));
    }

    #[test]
    fn units_and_display() {
        assert_eq!(Instant::from_millis(1_234).as_micros(), 1_234_000);
        assert_eq!(Duration::from_micros(1_999).as_millis(), 1);
        let s = format!(
            "{} {} {}",
            Duration::from_micros(5),
            Duration::from_millis(5),
            Duration::from_millis(5_250)
        );
        assert_eq!(s, "5us 5ms 5.250s");
        assert_eq!(format!("{}", Instant::from_micros(2_000_001)), "2.000001s");
    }

    #[test]
    fn core_duration_round_trip() {
        let d: core::time::Duration = Duration::from_millis(42).into();
        assert_eq!(Duration::from(d), Duration::from_millis(42));
        assert_eq!(Duration::from(core::time::Duration::MAX), Duration::MAX);
    }
}
