//! `GET /api/download?bytes=N`: a generated download for throughput tests
//! (the dashboard's "download test" links, `curl`, `wrk`). The body is
//! deterministic — byte `i` is `i % 251` — so a client can check it, it has
//! a `Content-Length`, and it is streamed from one static block: memory use
//! does not grow with `N`.

use petrel_altcp::Stream;
use petrel_httpd::StatusCode;
use petrel_httpd::driver::{Error, Exchange};
use petrel_netcore::Clock;

/// The largest download (64 MiB).
pub(super) const MAX_BYTES: u64 = 64 << 20;
/// The size when `bytes` is not given (1 MiB).
pub(super) const DEFAULT_BYTES: u64 = 1 << 20;

/// 251 (a prime, so the pattern does not line up with powers of two) times
/// 261: just under 64 KiB, so each write hands the kernel a large piece.
const BLOCK_LEN: usize = 251 * 261;

/// `i % 251` for each `i`; a whole number of periods, so consecutive
/// blocks continue the pattern.
static BLOCK: [u8; BLOCK_LEN] = block();

const fn block() -> [u8; BLOCK_LEN] {
    let mut b = [0u8; BLOCK_LEN];
    let mut i = 0;
    while i < BLOCK_LEN {
        // i % 251 < 251 fits a byte.
        b[i] = (i % 251) as u8;
        i += 1;
    }
    b
}

/// Byte `i` of every download.
#[cfg(test)]
pub(super) fn byte_at(i: u64) -> u8 {
    (i % 251) as u8
}

/// Parses `bytes` (decimal, 0 to [`MAX_BYTES`]; absent → [`DEFAULT_BYTES`]).
pub(super) fn parse_size(q: Option<&str>) -> Option<u64> {
    match q {
        None => Some(DEFAULT_BYTES),
        Some(s) => s.parse::<u64>().ok().filter(|n| *n <= MAX_BYTES),
    }
}

/// Answers the download (or `400` for a bad `bytes`).
pub(super) async fn download<S: Stream, C: Clock>(
    ex: &mut Exchange<'_, S, C>,
) -> Result<(), Error> {
    let Some(len) = parse_size(ex.query("bytes")) else {
        return ex
            .respond_with(
                StatusCode::BAD_REQUEST,
                "text/plain; charset=utf-8",
                b"",
                b"bytes must be a number from 0 to 67108864\n",
            )
            .await;
    };
    let mut w = ex
        .sized(
            StatusCode::OK,
            "application/octet-stream",
            b"Cache-Control: no-store\r\n\
              Content-Disposition: attachment; filename=\"petrel-download.bin\"\r\n",
            len,
        )
        .await?;
    let mut left = len;
    // Bounded: each round writes at least one byte of `left`.
    while left > 0 {
        let n = usize::try_from(left).map_or(BLOCK_LEN, |l| l.min(BLOCK_LEN));
        w.write(BLOCK.get(..n).unwrap_or(&[])).await?;
        left -= n as u64;
    }
    w.finish().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_continues_the_pattern() {
        assert_eq!(BLOCK_LEN % 251, 0);
        for (i, &b) in BLOCK.iter().enumerate() {
            assert_eq!(b, byte_at(i as u64));
        }
        // Block k, byte j is byte k * BLOCK_LEN + j of the download.
        assert_eq!(byte_at(BLOCK_LEN as u64 + 7), BLOCK[7]);
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
