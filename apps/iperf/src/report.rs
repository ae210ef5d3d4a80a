//! iperf-style report lines, formatted without a heap.

use core::fmt;

use petrel_netcore::time::Duration;

/// One interval or summary line: `[  1] 0.0000-1.0000 sec   112 MBytes   941 Mbits/sec`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The session number shown in brackets.
    pub id: u16,
    /// Interval start, from the start of the test.
    pub start: Duration,
    /// Interval end, from the start of the test.
    pub end: Duration,
    /// Bytes in the interval (64-bit: no wrap at 4 GiB).
    pub bytes: u64,
}

impl Report {
    /// Bits per second over the interval (0 for an empty interval).
    pub fn bits_per_sec(&self) -> u64 {
        let us = (self.end - self.start).as_micros();
        if us == 0 {
            return 0;
        }
        let bits = u128::from(self.bytes) * 8 * 1_000_000 / u128::from(us);
        u64::try_from(bits).unwrap_or(u64::MAX)
    }
}

/// Writes `v` in iperf's 4-character style: 2 decimals under 10, 1 under 100.
fn scaled(f: &mut fmt::Formatter<'_>, v: f64, unit: &str) -> fmt::Result {
    if v < 9.995 {
        write!(f, "{v:4.2} {unit}")
    } else if v < 99.95 {
        write!(f, "{v:4.1} {unit}")
    } else {
        write!(f, "{v:4.0} {unit}")
    }
}

fn secs(f: &mut fmt::Formatter<'_>, d: Duration) -> fmt::Result {
    let us = d.as_micros();
    write!(f, "{}.{:04}", us / 1_000_000, (us % 1_000_000) / 100)
}

/// Formats a byte count with 1024-based units, as iperf does.
#[derive(Copy, Clone, Debug)]
pub struct Bytes(pub u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 5] = ["Bytes", "KBytes", "MBytes", "GBytes", "TBytes"];
        let mut v = self.0 as f64;
        let mut unit = UNITS[0];
        for u in UNITS.iter().skip(1) {
            if v < 1024.0 {
                break;
            }
            v /= 1024.0;
            unit = u;
        }
        scaled(f, v, unit)
    }
}

/// Formats a bit rate with 1000-based units, as iperf does.
#[derive(Copy, Clone, Debug)]
pub struct Rate(pub u64);

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 5] = [
            "bits/sec",
            "Kbits/sec",
            "Mbits/sec",
            "Gbits/sec",
            "Tbits/sec",
        ];
        let mut v = self.0 as f64;
        let mut unit = UNITS[0];
        for u in UNITS.iter().skip(1) {
            if v < 1000.0 {
                break;
            }
            v /= 1000.0;
            unit = u;
        }
        scaled(f, v, unit)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{:>3}] ", self.id)?;
        secs(f, self.start)?;
        f.write_str("-")?;
        secs(f, self.end)?;
        write!(
            f,
            " sec  {}  {}",
            Bytes(self.bytes),
            Rate(self.bits_per_sec())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iperf_like_lines() {
        let r = Report {
            id: 1,
            start: Duration::ZERO,
            end: Duration::from_secs(1),
            bytes: 117_440_512,
        };
        assert_eq!(
            r.to_string(),
            "[  1] 0.0000-1.0000 sec   112 MBytes   940 Mbits/sec"
        );
        let r = Report {
            id: 3,
            start: Duration::from_secs(1),
            end: Duration::from_millis(2_500),
            bytes: 6 * (1 << 30),
        };
        assert_eq!(
            r.to_string(),
            "[  3] 1.0000-2.5000 sec  6.00 GBytes  34.4 Gbits/sec"
        );
        let z = Report {
            id: 1,
            start: Duration::ZERO,
            end: Duration::ZERO,
            bytes: 0,
        };
        assert_eq!(
            z.to_string(),
            "[  1] 0.0000-0.0000 sec  0.00 Bytes  0.00 bits/sec"
        );
    }
}
