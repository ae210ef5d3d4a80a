//! iPerf 2 wire formats, as iperf 2.1.8 sends them (all big-endian).
//!
//! - [`ClientHeader`]: the 24-byte `client_hdr_v1` at the start of a TCP
//!   stream (and at offset 16 of each UDP datagram), optionally followed by
//!   the 36-byte 2.1 extension when `HEADER_EXTEND` is set.
//! - [`UdpHeader`]: id, tv_sec, tv_usec, id2 (the upper half of a 64-bit id).
//! - [`ServerReport`]: the `server_hdr` a UDP server returns for the FIN.

use core::fmt;

/// Run a reverse test (`-r`/`-d`): the client listens on `port`.
pub const HEADER_VERSION1: u32 = 0x8000_0000;
/// A 2.1 extension header follows the base header.
pub const HEADER_EXTEND: u32 = 0x4000_0000;
/// UDP test (2.1).
pub const HEADER_UDPTESTS: u32 = 0x2000_0000;
/// 64-bit datagram ids (`id2` holds the upper half).
pub const HEADER_SEQNO64B: u32 = 0x0800_0000;
/// Bits 1..=15 of the flags carry a length (`HEADER_LEN_MASK`).
pub const HEADER_LEN_BIT: u32 = 0x0001_0000;
/// The length field's mask.
pub const HEADER_LEN_MASK: u32 = 0x0000_fffe;
/// With `HEADER_VERSION1`: run the reverse test at once (`-d`), not after (`-r`).
pub const RUN_NOW: u32 = 0x0000_0001;
/// Length of the base client header.
pub const BASE_HEADER_LEN: usize = 24;
/// Length of the 2.1 extension that follows it.
pub const EXT_HEADER_LEN: usize = 36;
/// Length of the UDP datagram header (with `id2`).
pub const UDP_HEADER_LEN: usize = 16;
/// Length of the base server report.
pub const SERVER_REPORT_LEN: usize = 40;
/// iperf 2.1.8's version words as sent in the extension header.
pub const VERSION_2_1_8: (u32, u32) = (0x0002_0001, 0x0008_0003);

/// Why a header was refused.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum HeaderError {
    /// Fewer bytes than the header needs.
    Truncated,
    /// Neither `HEADER_VERSION1` nor `HEADER_EXTEND`: this is data, not a header.
    NotAHeader,
    /// `numThreads` is not in 1..=[`MAX_THREADS`].
    BadThreads(i32),
    /// `mPort` is not a port number.
    BadPort(i32),
}

/// Largest `numThreads` accepted (`-P`).
pub const MAX_THREADS: i32 = 128;

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::Truncated => f.write_str("header truncated"),
            HeaderError::NotAHeader => f.write_str("no iperf header flags"),
            HeaderError::BadThreads(n) => write!(f, "numThreads {n} out of range"),
            HeaderError::BadPort(p) => write!(f, "mPort {p} out of range"),
        }
    }
}

/// How long a test runs.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Amount {
    /// A number of bytes (`-n`).
    Bytes(u64),
    /// A duration in hundredths of a second (`-t`).
    Time {
        /// Hundredths of a second.
        centis: u32,
    },
}

impl Amount {
    /// Decodes `mAmount`: positive = bytes, negative = -(1/100 s).
    pub fn from_wire(v: i32) -> Amount {
        if v < 0 {
            Amount::Time {
                centis: v.unsigned_abs(),
            }
        } else {
            Amount::Bytes(v as u64)
        }
    }
    /// Encodes as `mAmount` (saturating at the field's range).
    pub fn to_wire(self) -> i32 {
        match self {
            Amount::Bytes(b) => i32::try_from(b).unwrap_or(i32::MAX),
            Amount::Time { centis } => -(i32::try_from(centis).unwrap_or(i32::MAX)),
        }
    }
    /// A duration in whole seconds.
    pub const fn secs(s: u32) -> Amount {
        Amount::Time {
            centis: s.saturating_mul(100),
        }
    }
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([
        *s.first()?,
        *s.get(1)?,
        *s.get(2)?,
        *s.get(3)?,
    ]))
}

fn put32(out: &mut [u8], at: usize, v: u32) {
    if let Some(d) = out.get_mut(at..at + 4) {
        d.copy_from_slice(&v.to_be_bytes());
    }
}

/// The iperf 2 client header.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ClientHeader {
    /// Raw flags (`HEADER_*`, `RUN_NOW`, length bits).
    pub flags: u32,
    /// `numThreads` (`-P`).
    pub threads: u16,
    /// `mPort`: where the client listens for the reverse test.
    pub port: u16,
    /// `bufferlen` (`-l`), 0 when default.
    pub buffer_len: i32,
    /// `mWinBand`: window or UDP bandwidth.
    pub win_band: i32,
    /// `mAmount`.
    pub amount: Amount,
    /// Version words from the 2.1 extension, when present.
    pub version: Option<(u32, u32)>,
}

/// What the header asks the server to do after (or while) receiving.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ReverseMode {
    /// Nothing (plain test).
    None,
    /// `-r`: after this test completes.
    Tradeoff,
    /// `-d`: at once, simultaneously.
    Dual,
}

impl ClientHeader {
    /// A header for a client test of `amount`; `reverse` sets the flags as
    /// iperf 2.1.8 does (0x40010078 plain, 0xc0010078 `-r`, 0xc0010079 `-d`).
    pub fn new(amount: Amount, reverse: ReverseMode, listen_port: u16) -> Self {
        let mut flags = HEADER_EXTEND | HEADER_LEN_BIT | 0x78;
        match reverse {
            ReverseMode::None => {}
            ReverseMode::Tradeoff => flags |= HEADER_VERSION1,
            ReverseMode::Dual => flags |= HEADER_VERSION1 | RUN_NOW,
        }
        ClientHeader {
            flags,
            threads: 1,
            port: listen_port,
            buffer_len: 0,
            win_band: 0,
            amount,
            version: Some(VERSION_2_1_8),
        }
    }

    /// The reverse test this header asks for.
    pub fn reverse(&self) -> ReverseMode {
        if self.flags & HEADER_VERSION1 == 0 {
            ReverseMode::None
        } else if self.flags & RUN_NOW != 0 {
            ReverseMode::Dual
        } else {
            ReverseMode::Tradeoff
        }
    }

    /// Bytes this header occupies on the wire (24, or 60 with the extension).
    pub fn wire_len(&self) -> usize {
        if self.flags & HEADER_EXTEND != 0 {
            BASE_HEADER_LEN + EXT_HEADER_LEN
        } else {
            BASE_HEADER_LEN
        }
    }

    /// Bytes needed to parse a header whose flags are `flags`.
    pub fn needed(flags: u32) -> usize {
        if flags & HEADER_EXTEND != 0 {
            BASE_HEADER_LEN + EXT_HEADER_LEN
        } else {
            BASE_HEADER_LEN
        }
    }

    /// Parses a header; the extension's unknown fields are skipped.
    pub fn parse(b: &[u8]) -> Result<ClientHeader, HeaderError> {
        let word = |i: usize| be32(b, i * 4).ok_or(HeaderError::Truncated);
        let flags = word(0)?;
        if flags & (HEADER_VERSION1 | HEADER_EXTEND) == 0 {
            return Err(HeaderError::NotAHeader);
        }
        let threads = word(1)? as i32;
        let port = word(2)? as i32;
        if !(1..=MAX_THREADS).contains(&threads) {
            return Err(HeaderError::BadThreads(threads));
        }
        let port = u16::try_from(port).map_err(|_| HeaderError::BadPort(port))?;
        let buffer_len = word(3)? as i32;
        let win_band = word(4)? as i32;
        let amount = Amount::from_wire(word(5)? as i32);
        let version = if flags & HEADER_EXTEND != 0 {
            // type, length, upper/lower flags, then the version words; a cut
            // extension only loses the version.
            word(9).ok().zip(word(10).ok())
        } else {
            None
        };
        Ok(ClientHeader {
            flags,
            threads: threads as u16,
            port,
            buffer_len,
            win_band,
            amount,
            version,
        })
    }

    /// Writes the header (24 or 60 bytes); returns its length, or `None` if
    /// `out` is too small.
    pub fn emit(&self, out: &mut [u8]) -> Option<usize> {
        let len = self.wire_len();
        out.get_mut(..len)?.fill(0);
        put32(out, 0, self.flags);
        put32(out, 4, u32::from(self.threads));
        put32(out, 8, u32::from(self.port));
        put32(out, 12, self.buffer_len as u32);
        put32(out, 16, self.win_band as u32);
        put32(out, 20, self.amount.to_wire() as u32);
        if let Some((u, l)) = self.version.filter(|_| len > BASE_HEADER_LEN) {
            put32(out, 36, u);
            put32(out, 40, l);
        }
        Some(len)
    }
}

/// The header of every UDP datagram.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct UdpHeader {
    /// 64-bit sequence number; negative marks the FIN datagrams.
    pub id: i64,
    /// Send time, seconds.
    pub tv_sec: u32,
    /// Send time, microseconds.
    pub tv_usec: u32,
}

impl UdpHeader {
    /// Parses the 16-byte header (`id2` holds the upper half of the id; a
    /// 12-byte 2.0-style header gives a sign-extended 32-bit id).
    pub fn parse(b: &[u8]) -> Option<UdpHeader> {
        let lo = be32(b, 0)?;
        let tv_sec = be32(b, 4)?;
        let tv_usec = be32(b, 8)?;
        let id = match be32(b, 12) {
            Some(hi) => (i64::from(hi as i32) << 32) | i64::from(lo),
            None => i64::from(lo as i32),
        };
        Some(UdpHeader {
            id,
            tv_sec,
            tv_usec,
        })
    }
    /// Writes the 16-byte header.
    pub fn emit(&self, out: &mut [u8]) -> Option<usize> {
        out.get(..UDP_HEADER_LEN)?;
        put32(out, 0, self.id as u32);
        put32(out, 4, self.tv_sec);
        put32(out, 8, self.tv_usec);
        put32(out, 12, (self.id >> 32) as u32);
        Some(UDP_HEADER_LEN)
    }
    /// Send time in microseconds.
    pub fn sent_micros(&self) -> u64 {
        u64::from(self.tv_sec) * 1_000_000 + u64::from(self.tv_usec)
    }
}

/// The UDP server report (`server_hdr`), sent after the client's FIN.
///
/// Layout checked against iperf 2.1.8's client (it prints these fields as its
/// "Server Report"): flags, total_len1 (upper 32 bits), total_len2 (lower),
/// stop_sec, stop_usec, error_cnt, outorder_cnt, datagrams, jitter1 (s),
/// jitter2 (µs); with `HEADER_EXTEND | HEADER_SEQNO64B` a 60-byte extension
/// and then error_cnt2, outorder_cnt2, datagrams2 (upper halves) follow.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub struct ServerReport {
    /// Bytes received.
    pub total_len: u64,
    /// Test duration as seen by the server, microseconds.
    pub stop_micros: u64,
    /// Datagrams lost.
    pub errors: u64,
    /// Datagrams received out of order.
    pub out_of_order: u64,
    /// Datagrams the client sent (highest id).
    pub datagrams: u64,
    /// Jitter, microseconds.
    pub jitter_micros: u64,
}

/// Offset of the 64-bit upper halves in the extended report.
const REPORT_EXT2_AT: usize = SERVER_REPORT_LEN + 60;

impl ServerReport {
    /// Bytes [`ServerReport::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        if self.needs_64() {
            REPORT_EXT2_AT + 12
        } else {
            SERVER_REPORT_LEN
        }
    }
    fn needs_64(&self) -> bool {
        [self.errors, self.out_of_order, self.datagrams]
            .iter()
            .any(|&v| v > i32::MAX as u64)
    }
    /// Writes the report (without the UDP datagram header in front).
    pub fn emit(&self, out: &mut [u8]) -> Option<usize> {
        let len = self.buffer_len();
        out.get_mut(..len)?.fill(0);
        let wide = self.needs_64();
        let flags = if wide {
            HEADER_EXTEND | HEADER_SEQNO64B
        } else {
            0
        };
        put32(out, 0, flags);
        put32(out, 4, (self.total_len >> 32) as u32);
        put32(out, 8, self.total_len as u32);
        put32(out, 12, (self.stop_micros / 1_000_000) as u32);
        put32(out, 16, (self.stop_micros % 1_000_000) as u32);
        put32(out, 20, self.errors as u32);
        put32(out, 24, self.out_of_order as u32);
        put32(out, 28, self.datagrams as u32);
        put32(out, 32, (self.jitter_micros / 1_000_000) as u32);
        put32(out, 36, (self.jitter_micros % 1_000_000) as u32);
        if wide {
            put32(out, REPORT_EXT2_AT, (self.errors >> 32) as u32);
            put32(out, REPORT_EXT2_AT + 4, (self.out_of_order >> 32) as u32);
            put32(out, REPORT_EXT2_AT + 8, (self.datagrams >> 32) as u32);
        }
        Some(len)
    }
    /// Parses a report (without the UDP datagram header).
    pub fn parse(b: &[u8]) -> Option<ServerReport> {
        let w = |at: usize| be32(b, at).map(u64::from);
        let flags = be32(b, 0)?;
        let mut r = ServerReport {
            total_len: (w(4)? << 32) | w(8)?,
            stop_micros: w(12)?.saturating_mul(1_000_000).saturating_add(w(16)?),
            errors: w(20)?,
            out_of_order: w(24)?,
            datagrams: w(28)?,
            jitter_micros: w(32)?.saturating_mul(1_000_000).saturating_add(w(36)?),
        };
        let wide = HEADER_EXTEND | HEADER_SEQNO64B;
        if flags & wide == wide
            && let (Some(e), Some(o), Some(d)) = (
                w(REPORT_EXT2_AT),
                w(REPORT_EXT2_AT + 4),
                w(REPORT_EXT2_AT + 8),
            )
        {
            r.errors |= e << 32;
            r.out_of_order |= o << 32;
            r.datagrams |= d << 32;
        }
        Some(r)
    }
}
