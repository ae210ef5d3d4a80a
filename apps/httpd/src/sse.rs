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

/// A comment line that keeps idle proxies from closing the stream.
pub const KEEPALIVE_COMMENT: &[u8] = b":\n\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injection_is_impossible() {
        let mut b = [0u8; 128];
        let n = write_event(&mut b, Some("a\nevent: b"), "x\r\ny").unwrap();
        assert_eq!(&b[..n], b"event: aevent: b\ndata: x\ndata: y\n\n");
        assert!(write_event(&mut [0u8; 4], None, "long").is_err());
    }
}
