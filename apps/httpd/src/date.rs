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

use petrel_netcore::time::DateTime;

/// Day names from Thursday (1970-01-01 was one), three bytes each.
const DAYS: &[u8; 21] = b"ThuFriSatSunMonTueWed";
/// Month names, three bytes each.
const MONTHS: &[u8; 36] = b"JanFebMarAprMayJunJulAugSepOctNovDec";

fn two(out: &mut [u8], at: usize, v: u32) {
    if let Some(s) = out.get_mut(at..at + 2) {
        s.copy_from_slice(&[b'0' + (v / 10 % 10) as u8, b'0' + (v % 10) as u8]);
    }
}

/// Writes `unix` seconds as an IMF-fixdate (exactly 29 bytes).
pub fn format_imf(unix: u64, out: &mut [u8; 29]) {
    let t = DateTime::from_unix(unix);
    let dow = (unix / 86_400 % 7) as usize * 3;
    // A month out of range (never from `from_unix`) is written `Jan`.
    let mon = usize::from(t.month).wrapping_sub(1).min(12) * 3;
    *out = *b"Thu, 01 Jan 1970 00:00:00 GMT";
    out[..3].copy_from_slice(DAYS.get(dow..dow + 3).unwrap_or(b"Thu"));
    two(out, 5, t.day.into());
    out[8..11].copy_from_slice(MONTHS.get(mon..mon + 3).unwrap_or(b"Jan"));
    let y = t.year.min(9999);
    two(out, 12, y / 100);
    two(out, 14, y % 100);
    two(out, 17, t.hour.into());
    two(out, 20, t.minute.into());
    two(out, 23, t.second.into());
}

fn num(s: &str) -> Option<u32> {
    petrel_netcore::small::decimal(s.as_bytes()).and_then(|n| u32::try_from(n).ok())
}

/// Parses an IMF-fixdate into Unix seconds (`None` for anything else,
/// which `If-Modified-Since` then ignores, as RFC 9110 says).
pub fn parse_imf(s: &str) -> Option<u64> {
    let rest = s.trim_ascii().get(5..)?; // "Sun, "
    let mut it = rest.split(' ');
    let d = num(it.next()?)?;
    let mon = it.next()?;
    let mut m = 0;
    while MONTHS.get(m * 3..m * 3 + 3)? != mon.as_bytes() {
        m += 1;
    }
    let m = m as u32 + 1;
    let y = num(it.next()?)?;
    let mut t = it.next()?.split(':');
    let (hh, mm, ss) = (num(t.next()?)?, num(t.next()?)?, num(t.next()?)?);
    if it.next()? != "GMT" {
        return None;
    }
    let small = |v: u32| u8::try_from(v).ok();
    DateTime {
        year: y,
        month: small(m)?,
        day: small(d)?,
        hour: small(hh)?,
        minute: small(mm)?,
        second: small(ss)?,
    }
    .to_unix()
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
        // Every month and weekday name.
        for day in 0..400u64 {
            let t = day * 86_400 + 3_723;
            format_imf(t, &mut b);
            assert_eq!(parse_imf(core::str::from_utf8(&b).unwrap()), Some(t), "{t}");
        }
        format_imf(0, &mut b);
        assert_eq!(&b, b"Thu, 01 Jan 1970 00:00:00 GMT");
        format_imf(30 * 86_400 * 11 + 4 * 86_400, &mut b);
        assert_eq!(&b, b"Tue, 01 Dec 1970 00:00:00 GMT");
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
            "Sun, 06 No 1994 08:49:37 GMT",
            "Sun, 06 nov 1994 08:49:37 GMT",
            "Sun, 06 ovD 1994 08:49:37 GMT",
            "Sun, 06 Novv 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_imf(s), None, "{s}");
        }
    }
}
