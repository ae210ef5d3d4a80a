//! A generated download for throughput tests (the dashboard's "download
//! test" links, `curl`, `wrk`): `GET …?bytes=N` answers `N` bytes where byte
//! `i` is `i % 251`, so a client can check what it got. The body has a
//! `Content-Length` and is streamed from one static block the caller
//! provides ([`pattern`]), so memory use does not grow with `N`; a board
//! picks the block size (large on a host, small in an MCU's flash).
//!
//! ```
//! use petrel_httpd::driver::download;
//!
//! // Four periods of the pattern, streamed again and again.
//! static BLOCK: [u8; 4 * download::PERIOD] = download::pattern();
//! assert_eq!(BLOCK[252], download::byte_at(252));
//! assert_eq!(download::parse_size(Some("1024")), Some(1024));
//! // In a handler: `download::serve(ex, &BLOCK).await`.
//! ```

use petrel_altcp::Stream;
use petrel_netcore::timer::Clock;

use super::{Error, Exchange};
use crate::StatusCode;

/// The largest download (64 MiB).
pub const MAX_BYTES: u64 = 64 << 20;
/// The size when `bytes` is not given (1 MiB).
pub const DEFAULT_BYTES: u64 = 1 << 20;
/// The pattern's period: a prime, so it does not line up with powers of two.
pub const PERIOD: usize = 251;

/// Byte `i` of every download.
pub fn byte_at(i: u64) -> u8 {
    // i % 251 < 251 fits a byte.
    (i % PERIOD as u64) as u8
}

/// `N` bytes of the pattern, for a `static` block. `N` must be a whole
/// number of periods, so that consecutive blocks continue the pattern
/// (checked at compile time).
pub const fn pattern<const N: usize>() -> [u8; N] {
    const {
        assert!(
            N >= PERIOD && N.is_multiple_of(PERIOD),
            "a whole number of periods"
        )
    };
    let mut b = [0u8; N];
    let mut i = 0;
    while i < N {
        b[i] = (i % PERIOD) as u8;
        i += 1;
    }
    b
}

/// Parses the `bytes` query value (decimal, 0 to [`MAX_BYTES`]; absent →
/// [`DEFAULT_BYTES`]); `None` for anything else.
pub fn parse_size(q: Option<&str>) -> Option<u64> {
    match q {
        None => Some(DEFAULT_BYTES),
        Some(s) => petrel_netcore::small::decimal(s.as_bytes()).filter(|n| *n <= MAX_BYTES),
    }
}

/// Answers the download for the request's `bytes` parameter from `block`
/// (made by [`pattern`]), or `400` for a bad `bytes`.
pub async fn serve<S: Stream, C: Clock, const N: usize>(
    ex: &mut Exchange<'_, S, C>,
    block: &[u8; N],
) -> Result<(), Error> {
    const {
        assert!(
            N >= PERIOD && N.is_multiple_of(PERIOD),
            "a whole number of periods"
        )
    };
    // The 400 for a bad `bytes` goes out through the same sized writer as
    // the download (the same head a whole response would have).
    const BAD: &[u8] = b"bytes must be a number from 0 to 67108864\n";
    let (status, content_type, extra, src, len): (_, _, &[u8], &[u8], _) =
        match parse_size(ex.query("bytes")) {
            Some(len) => (
                StatusCode::OK,
                "application/octet-stream",
                b"Cache-Control: no-store\r\n\
                  Content-Disposition: attachment; filename=\"petrel-download.bin\"\r\n",
                &block[..],
                len,
            ),
            None => (
                StatusCode::BAD_REQUEST,
                "text/plain; charset=utf-8",
                b"",
                BAD,
                BAD.len() as u64,
            ),
        };
    let mut w = ex.body_writer(status, content_type, extra, Some(len))?;
    let mut left = len;
    // Bounded: each round writes at least one byte of `left` (`src` is
    // not empty).
    while left > 0 {
        let n = usize::try_from(left).map_or(src.len(), |l| l.min(src.len()));
        w.write(src.get(..n).unwrap_or(&[])).await?;
        left -= n as u64;
    }
    w.finish().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_continue_the_pattern() {
        static BLOCK: [u8; 251 * 3] = pattern();
        for (i, &b) in BLOCK.iter().enumerate() {
            assert_eq!(b, byte_at(i as u64));
        }
        // Block k, byte j is byte k * N + j of the download.
        assert_eq!(byte_at(BLOCK.len() as u64 + 7), BLOCK[7]);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size(None), Some(DEFAULT_BYTES));
        assert_eq!(parse_size(Some("0")), Some(0));
        assert_eq!(parse_size(Some("67108864")), Some(MAX_BYTES));
        assert_eq!(parse_size(Some("67108865")), None);
        assert_eq!(parse_size(Some("-1")), None);
        assert_eq!(parse_size(Some("1e6")), None);
        assert_eq!(parse_size(Some("")), None);
        assert_eq!(parse_size(Some("99999999999999999999999")), None);
    }
}
