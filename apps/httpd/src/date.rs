//! IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the one HTTP date format a
//! server sends, and its parser (for `If-Modified-Since`).
//!
//! ```
//! use petrel_httpd::date::{format_imf, parse_imf};
//! let mut b = [0u8; 29];
//! format_imf(784_111_777, &mut b);
//! assert_eq!(&b, b"Sun, 06 Nov 1994 08:49:37 GMT");
//! assert_eq!(parse_imf("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
//! ```

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 → (year, month 1..=12, day 1..=31) (Howard
/// Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// (year, month, day) → days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn two(out: &mut [u8], at: usize, v: u32) {
    if let Some(s) = out.get_mut(at..at + 2) {
        s.copy_from_slice(&[b'0' + (v / 10 % 10) as u8, b'0' + (v % 10) as u8]);
    }
}

/// Writes `unix` seconds as an IMF-fixdate (exactly 29 bytes).
pub fn format_imf(unix: u64, out: &mut [u8; 29]) {
    let secs = i64::try_from(unix).unwrap_or(0);
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400) as u32;
    let (y, m, d) = civil(days);
    let dow = DAYS
        .get(days.rem_euclid(7) as usize)
        .copied()
        .unwrap_or("Thu");
    let mon = MONTHS
        .get((m as usize).wrapping_sub(1))
        .copied()
        .unwrap_or("Jan");
    *out = *b"Thu, 01 Jan 1970 00:00:00 GMT";
    out[..3].copy_from_slice(dow.as_bytes());
    two(out, 5, d);
    out[8..11].copy_from_slice(mon.as_bytes());
    let y = y.clamp(0, 9999) as u32;
    two(out, 12, y / 100);
    two(out, 14, y % 100);
    two(out, 17, tod / 3600);
    two(out, 20, tod / 60 % 60);
    two(out, 23, tod % 60);
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses an IMF-fixdate into Unix seconds (`None` for anything else,
/// which `If-Modified-Since` then ignores, as RFC 9110 says).
pub fn parse_imf(s: &str) -> Option<u64> {
    let rest = s.trim().get(5..)?; // "Sun, "
    let mut it = rest.split(' ');
    let d = num(it.next()?)?;
    let mon = it.next()?;
    let m = MONTHS.iter().position(|x| *x == mon)? as u32 + 1;
    let y = num(it.next()?)?;
    let mut t = it.next()?.split(':');
    let (hh, mm, ss) = (num(t.next()?)?, num(t.next()?)?, num(t.next()?)?);
    if it.next()? != "GMT" || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 || y < 1970 {
        return None;
    }
    let days = days_from_civil(i64::from(y), m, d);
    u64::try_from(days * 86_400 + i64::from(hh * 3600 + mm * 60 + ss)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for t in [0u64, 951_782_400, 1_764_072_000, 4_102_444_799] {
            let mut b = [0u8; 29];
            format_imf(t, &mut b);
            assert_eq!(parse_imf(core::str::from_utf8(&b).unwrap()), Some(t), "{t}");
        }
        let mut b = [0u8; 29];
        format_imf(1_764_072_000, &mut b);
        assert_eq!(&b, b"Tue, 25 Nov 2025 12:00:00 GMT");
    }

    #[test]
    fn rejects_other_formats() {
        for s in [
            "",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6x Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
        ] {
            assert_eq!(parse_imf(s), None, "{s}");
        }
    }
}
