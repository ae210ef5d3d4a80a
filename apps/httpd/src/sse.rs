//! Server-Sent Events framing (`text/event-stream`).
//!
//! ```
//! let mut buf = [0u8; 64];
//! let n = petrel_httpd::sse::write_event(&mut buf, Some("stats"), "{\"a\":1}\nx").unwrap();
//! assert_eq!(&buf[..n], b"event: stats\ndata: {\"a\":1}\ndata: x\n\n");
//! ```

use crate::response::{Cursor, Overflow};

/// Writes one event: an optional `event:` line, one `data:` line per line
/// of `data` (CR and LF in `event` are dropped), and the blank line.
pub fn write_event(buf: &mut [u8], event: Option<&str>, data: &str) -> Result<usize, Overflow> {
    let mut c = Cursor::new(buf);
    if let Some(e) = event {
        c.put(b"event: ");
        for part in e.split(['\r', '\n']) {
            c.put(part.as_bytes());
        }
        c.put(b"\n");
    }
    for line in data.split('\n') {
        c.put(b"data: ");
        c.put(line.trim_end_matches('\r').as_bytes());
        c.put(b"\n");
    }
    c.put(b"\n");
    c.finish()
}

/// Writes one event whose data `build` writes straight into `buf` (no
/// copy of it elsewhere): an optional `event:` line, one `data:` line and
/// the blank line. The data is one line: CR and LF in it are sent as
/// spaces (use [`write_event`] for data of several lines).
///
/// ```
/// use core::fmt::Write;
/// use petrel_httpd::response::Cursor;
///
/// let mut buf = [0u8; 64];
/// let n = petrel_httpd::sse::write_event_with(&mut buf, Some("tick"), |b| {
///     let mut c = Cursor::new(b);
///     let _ = write!(c, "{{\"n\":{}}}", 7);
///     c.finish()
/// })
/// .unwrap();
/// assert_eq!(&buf[..n], b"event: tick\ndata: {\"n\":7}\n\n");
/// ```
pub fn write_event_with(
    buf: &mut [u8],
    event: Option<&str>,
    build: impl FnOnce(&mut [u8]) -> Result<usize, Overflow>,
) -> Result<usize, Overflow> {
    let mut c = Cursor::new(&mut *buf);
    if let Some(e) = event {
        c.put(b"event: ");
        for part in e.split(['\r', '\n']) {
            c.put(part.as_bytes());
        }
        c.put(b"\n");
    }
    c.put(b"data: ");
    let start = c.finish()?;
    let end = buf.len().saturating_sub(2);
    let n = build(buf.get_mut(start..end).ok_or(Overflow)?)?;
    let data = buf.get_mut(start..start + n).ok_or(Overflow)?;
    for b in data.iter_mut().filter(|b| matches!(b, b'\r' | b'\n')) {
        *b = b' ';
    }
    let tail = buf.get_mut(start + n..start + n + 2).ok_or(Overflow)?;
    tail.copy_from_slice(b"\n\n");
    Ok(start + n + 2)
}

/// A comment line that keeps idle proxies from closing the stream.
pub const KEEPALIVE_COMMENT: &[u8] = b":\n\n";

#[cfg(test)]
mod tests {

    #[test]
    fn built_data_is_one_line_and_must_fit() {
        let mut b = [0u8; 64];
        let n = write_event_with(&mut b, None, |o| {
            o[..5].copy_from_slice(b"a\nb\rc");
            Ok(5)
        })
        .unwrap();
        assert_eq!(&b[..n], b"data: a b c\n\n");
        // No room for the blank line after what `build` wrote: an error.
        let mut small = [0u8; 10];
        assert!(write_event_with(&mut small, None, |o| Ok(o.len())).is_ok());
        assert!(write_event_with(&mut small, None, |_| Ok(3)).is_err());
        assert!(write_event_with(&mut [0u8; 4], Some("e"), |_| Ok(0)).is_err());
    }
    use super::*;

    #[test]
    fn injection_is_impossible() {
        let mut b = [0u8; 128];
        let n = write_event(&mut b, Some("a\nevent: b"), "x\r\ny").unwrap();
        assert_eq!(&b[..n], b"event: aevent: b\ndata: x\ndata: y\n\n");
        assert!(write_event(&mut [0u8; 4], None, "long").is_err());
    }
}
