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
    let mut b = [0u8; 29];
    petrel_httpd::date::format_imf(unix, &mut b);
    // The formatter writes ASCII only.
    String::from_utf8_lossy(&b).into_owned()
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
