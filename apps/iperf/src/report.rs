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
        // In u64 (u128 division is 0.6 KB of code on thumbv7em): the whole
        // seconds' part, then the fraction, which is exact for intervals
        // under 213 days (r * 10^6 < 2^64) and near enough beyond.
        let bits = self.bytes.saturating_mul(8);
        let (q, r) = (bits / us, bits % us);
        let frac = match r.checked_mul(1_000_000) {
            Some(x) => x / us,
            None => r / (us / 1_000_000),
        };
        q.saturating_mul(1_000_000).saturating_add(frac)
    }
}

/// A count in iperf's 4-character style with its unit: 2 decimals under
/// 10, 1 under 100, none above; rounded half up. Integer arithmetic only,
/// so a microcontroller build does not pull in `core`'s float formatting
/// (about 10 KB of code on thumbv7em). Shown by [`Bytes`] and [`Rate`],
/// with `core::fmt` or defmt.
struct Scaled {
    whole: u64,
    frac: u64,
    places: u32,
    unit: &'static str,
}

impl Scaled {
    /// `n` in the largest of `units` (each `step` times the one before)
    /// that keeps it at or above 1.
    fn new(n: u64, step: u64, units: &[&'static str; 5]) -> Scaled {
        let mut d = 1u64;
        let mut i = 0;
        // `d * step` is at most 1024^5: no overflow, no division.
        while i < 4 && n >= d * step {
            d *= step;
            i += 1;
        }
        // n = q * d + r. `d` is at most 1024^4 (TBytes), so `r * 200` and
        // `2 * d` stay far below u64::MAX.
        let (q, r) = (n / d, n % d);
        // With `places` decimals, rounded half up: v = round(n / d * 10^places)
        // (a carry out of the fraction lands in the integer). 2 places while
        // that stays under 10.00 (n / d < 9.995), 1 while under 100.0
        // (n / d < 99.95), none above.
        let mut places = 2u32;
        let mut scale = 100u64;
        let mut v;
        loop {
            v = q.saturating_mul(scale) + (r * scale * 2 + d) / (2 * d);
            if v < 1000 || places == 0 {
                break;
            }
            places -= 1;
            scale /= 10;
        }
        Scaled {
            whole: v / scale,
            frac: v % scale,
            places,
            unit: units[i],
        }
    }
}

impl fmt::Display for Scaled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Scaled {
            whole,
            frac,
            places,
            unit,
        } = self;
        match places {
            0 => write!(f, "{whole:4} {unit}"),
            p => write!(f, "{whole}.{frac:0w$} {unit}", w = *p as usize),
        }
    }
}

/// As the `Display` impl, without padding the whole part.
#[cfg(feature = "defmt")]
impl defmt::Format for Scaled {
    fn format(&self, f: defmt::Formatter<'_>) {
        let Scaled {
            whole,
            frac,
            places,
            unit,
        } = *self;
        match places {
            0 => defmt::write!(f, "{=u64} {=str}", whole, unit),
            1 => defmt::write!(f, "{=u64}.{=u64} {=str}", whole, frac, unit),
            _ => defmt::write!(f, "{=u64}.{=u64:02} {=str}", whole, frac, unit),
        }
    }
}

/// Seconds with 4 decimals, as `(whole, ten-thousandths)`.
fn secs(d: Duration) -> (u64, u64) {
    let us = d.as_micros();
    (us / 1_000_000, (us % 1_000_000) / 100)
}

const BYTE_UNITS: [&str; 5] = ["Bytes", "KBytes", "MBytes", "GBytes", "TBytes"];
const RATE_UNITS: [&str; 5] = [
    "bits/sec",
    "Kbits/sec",
    "Mbits/sec",
    "Gbits/sec",
    "Tbits/sec",
];

/// Formats a byte count with 1024-based units, as iperf does.
#[derive(Copy, Clone, Debug)]
pub struct Bytes(pub u64);

/// Formats a bit rate with 1000-based units, as iperf does.
#[derive(Copy, Clone, Debug)]
pub struct Rate(pub u64);

impl Bytes {
    fn scaled(self) -> Scaled {
        Scaled::new(self.0, 1024, &BYTE_UNITS)
    }
}

impl Rate {
    fn scaled(self) -> Scaled {
        Scaled::new(self.0, 1000, &RATE_UNITS)
    }
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.scaled().fmt(f)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.scaled().fmt(f)
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Bytes {
    fn format(&self, f: defmt::Formatter<'_>) {
        self.scaled().format(f)
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Rate {
    fn format(&self, f: defmt::Formatter<'_>) {
        self.scaled().format(f)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ((s0, s1), (e0, e1)) = (secs(self.start), secs(self.end));
        write!(
            f,
            "[{:>3}] {s0}.{s1:04}-{e0}.{e1:04} sec  {}  {}",
            self.id,
            Bytes(self.bytes),
            Rate(self.bits_per_sec())
        )
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Report {
    fn format(&self, f: defmt::Formatter<'_>) {
        let ((s0, s1), (e0, e1)) = (secs(self.start), secs(self.end));
        defmt::write!(
            f,
            "[{=u16}] {=u64}.{=u64:04}-{=u64}.{=u64:04} sec  {}  {}",
            self.id,
            s0,
            s1,
            e0,
            e1,
            Bytes(self.bytes),
            Rate(self.bits_per_sec())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_per_sec_matches_exact_arithmetic() {
        let at = Duration::from_micros;
        for (bytes, us) in [
            (0u64, 1u64),
            (1, 3),
            (125_000_000, 10_000_000),
            (u64::MAX / 8, 1),
            (u64::MAX / 8, 7_000_001),
            (12_345_678_901, 3_600_000_000),
            (987_654_321, 1 << 45),
        ] {
            let r = Report {
                id: 1,
                start: at(5),
                end: at(5 + us),
                bytes,
            };
            let exact = u128::from(bytes) * 8 * 1_000_000 / u128::from(us);
            let exact = u64::try_from(exact).unwrap_or(u64::MAX);
            let got = r.bits_per_sec();
            // Exact up to 213 days; beyond, within 0.01 %.
            if us < (1 << 44) {
                assert_eq!(got, exact, "{bytes} B in {us} us");
            } else {
                assert!(
                    got.abs_diff(exact) <= exact / 10_000,
                    "{bytes} B in {us} us"
                );
            }
        }
    }

    /// The float formatting this module used before (and iperf uses).
    fn float_scaled(n: u64, base: u64, units: &[&str]) -> String {
        let mut v = n as f64;
        let mut unit = units[0];
        for u in units.iter().skip(1) {
            if v < base as f64 {
                break;
            }
            v /= base as f64;
            unit = u;
        }
        if v < 9.995 {
            format!("{v:4.2} {unit}")
        } else if v < 99.95 {
            format!("{v:4.1} {unit}")
        } else {
            format!("{v:4.0} {unit}")
        }
    }

    /// True when `n / base^k` sits within a hair of a rounding tie, where
    /// binary floats and exact integers may legitimately round apart.
    fn near_tie(n: u64, base: u64) -> bool {
        let mut v = n as f64;
        while v >= base as f64 {
            v /= base as f64;
        }
        [100.0, 10.0, 1.0].iter().any(|s| {
            let x = v * s;
            ((x - x.floor()) - 0.5).abs() < 1e-6
        })
    }

    #[test]
    fn integer_scaling_matches_float_formatting() {
        const B: [&str; 5] = BYTE_UNITS;
        const R: [&str; 5] = RATE_UNITS;
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut values: Vec<u64> = (0..2000).collect();
        values.extend([
            9_994,
            9_995,
            9_996,
            99_949,
            99_950,
            99_951,
            1023,
            1024,
            1025,
            10_234,
            10_235,
            102_348,
            102_349,
            u64::MAX,
        ]);
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push(x >> (x % 60));
        }
        for n in values {
            if !near_tie(n, 1024) {
                assert_eq!(Bytes(n).to_string(), float_scaled(n, 1024, &B), "bytes {n}");
            }
            if !near_tie(n, 1000) {
                assert_eq!(Rate(n).to_string(), float_scaled(n, 1000, &R), "rate {n}");
            }
        }
    }

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
