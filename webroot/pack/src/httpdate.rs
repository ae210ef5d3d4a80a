//! IMF-fixdate (RFC 9110 §5.6.7) formatting for `Last-Modified`.

/// Formats seconds since the Unix epoch as an IMF-fixdate.
///
/// ```
/// assert_eq!(
///     petrel_webroot_pack::imf_fixdate(784_111_777),
///     "Sun, 06 Nov 1994 08:49:37 GMT"
/// );
/// ```
pub fn imf_fixdate(unix: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix / 86_400;
    let secs = unix % 86_400;
    let (y, m, d) = civil_from_days(days);
    // 1970-01-01 was a Thursday; `% 7` and `m - 1` (1..=12) keep both in range.
    let wd = DAYS.get((days % 7) as usize).copied().unwrap_or("Thu");
    let mon = MONTHS.get((m - 1) as usize).copied().unwrap_or("Jan");
    format!(
        "{wd}, {d:02} {mon} {y:04} {:02}:{:02}:{:02} GMT",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Days since 1970-01-01 → (year, month 1..=12, day 1..=31), Howard
/// Hinnant's `civil_from_days` for non-negative inputs.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(imf_fixdate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(imf_fixdate(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(imf_fixdate(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(imf_fixdate(1_764_072_000), "Tue, 25 Nov 2025 12:00:00 GMT");
        assert_eq!(imf_fixdate(4_102_444_799), "Thu, 31 Dec 2099 23:59:59 GMT");
    }
}
