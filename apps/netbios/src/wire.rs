//! NetBIOS Name Service packets (RFC 1002 §4.2): the header, first-level
//! encoded names, questions and resource records.
//!
//! Names are read with a bounded reader: at most [`MAX_POINTERS`]
//! compression pointers are followed, each must point strictly backwards,
//! and a name is at most [`MAX_NAME_LEN`] bytes, so hostile pointer loops
//! and oversized labels end in a [`WireError`], never a hang or a panic.

use core::fmt;

/// The name service port.
pub const PORT: u16 = 137;
/// Header length.
pub const HEADER_LEN: usize = 12;
/// Longest encoded name (RFC 1002 §4.1: like DNS, 255 bytes).
pub const MAX_NAME_LEN: usize = 255;
/// Most compression pointers followed in one name.
pub const MAX_POINTERS: usize = 8;
/// Question type NB (general name service resource record).
pub const TYPE_NB: u16 = 0x0020;
/// Question type NBSTAT (node status).
pub const TYPE_NBSTAT: u16 = 0x0021;
/// Class IN.
pub const CLASS_IN: u16 = 0x0001;

/// Header flag: response (R).
pub const FLAG_RESPONSE: u16 = 0x8000;
/// Header flag: authoritative answer (AA).
pub const FLAG_AA: u16 = 0x0400;
/// Header flag: truncation (TC).
pub const FLAG_TC: u16 = 0x0200;
/// Header flag: recursion desired (RD).
pub const FLAG_RD: u16 = 0x0100;
/// Header flag: recursion available (RA).
pub const FLAG_RA: u16 = 0x0080;
/// Header flag: broadcast (B).
pub const FLAG_BROADCAST: u16 = 0x0010;

/// RCODE: format error.
pub const RCODE_FMT_ERR: u8 = 0x1;
/// RCODE: the name does not exist.
pub const RCODE_NAM_ERR: u8 = 0x3;
/// RCODE: active error, the name is owned by another node.
pub const RCODE_ACT_ERR: u8 = 0x6;
/// RCODE: name in conflict.
pub const RCODE_CFT_ERR: u8 = 0x7;

/// The operation (RFC 1002 §4.2.1.1).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Opcode {
    /// 0: name query (and node status).
    Query,
    /// 5: name registration.
    Registration,
    /// 6: name release.
    Release,
    /// 7: wait for acknowledgement.
    Wack,
    /// 8 (and 9): name refresh.
    Refresh,
    /// Anything else.
    Unknown(u8),
}

impl Opcode {
    /// From the four opcode bits.
    pub const fn from_bits(b: u8) -> Opcode {
        match b & 0xf {
            0 => Opcode::Query,
            5 => Opcode::Registration,
            6 => Opcode::Release,
            7 => Opcode::Wack,
            8 | 9 => Opcode::Refresh,
            n => Opcode::Unknown(n),
        }
    }
    /// The four opcode bits.
    pub const fn bits(self) -> u8 {
        match self {
            Opcode::Query => 0,
            Opcode::Registration => 5,
            Opcode::Release => 6,
            Opcode::Wack => 7,
            Opcode::Refresh => 8,
            Opcode::Unknown(n) => n & 0xf,
        }
    }
}

/// Why bytes are not a usable name service packet.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// The packet ends inside a field.
    Truncated,
    /// A label is not 32 first-level encoded characters, or uses a reserved
    /// label type.
    BadLabel,
    /// A compression pointer loops, points forwards, or too many were
    /// followed.
    BadPointer,
    /// The name is longer than 255 bytes.
    NameTooLong,
    /// The buffer given to an emitter is too small.
    BufferTooSmall,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WireError::Truncated => "packet truncated",
            WireError::BadLabel => "bad NetBIOS name label",
            WireError::BadPointer => "bad or looping compression pointer",
            WireError::NameTooLong => "name longer than 255 bytes",
            WireError::BufferTooSmall => "buffer too small",
        })
    }
}

impl core::error::Error for WireError {}

/// A NetBIOS name: 15 bytes padded with spaces plus a suffix byte, and
/// whether a non-empty scope followed it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct NbName {
    /// The 16 decoded bytes (the last one is the suffix).
    pub bytes: [u8; 16],
    /// A NetBIOS scope was present (we serve the empty scope only).
    pub scoped: bool,
}

impl NbName {
    /// The name `name` (upper-cased, at most 15 bytes, space padded) with
    /// `suffix`.
    pub fn new(name: &[u8], suffix: u8) -> NbName {
        let mut bytes = [b' '; 16];
        for (d, s) in bytes.iter_mut().zip(name.iter().take(15)) {
            *d = s.to_ascii_uppercase();
        }
        bytes[15] = suffix;
        NbName {
            bytes,
            scoped: false,
        }
    }

    /// The suffix (16th byte): 0x00 workstation, 0x20 server, …
    pub const fn suffix(&self) -> u8 {
        self.bytes[15]
    }

    /// The 15 name bytes without trailing spaces.
    pub fn name(&self) -> &[u8] {
        let n = &self.bytes[..15];
        let end = n.iter().rposition(|b| *b != b' ').map_or(0, |p| p + 1);
        &n[..end]
    }

    /// Whether the 15 name bytes equal `other`'s, ignoring ASCII case.
    pub fn same_name(&self, other: &NbName) -> bool {
        self.bytes[..15].eq_ignore_ascii_case(&other.bytes[..15])
    }

    /// The wildcard name `*` used by node status queries.
    pub fn is_wildcard(&self) -> bool {
        self.bytes[0] == b'*' && self.bytes[1..].iter().all(|b| *b == 0)
    }

    /// Writes the first-level encoded name (length 32, 32 letters, root
    /// label) at the start of `out`; returns 34.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, WireError> {
        let out = out.get_mut(..34).ok_or(WireError::BufferTooSmall)?;
        out[0] = 32;
        for (pair, b) in out[1..33].chunks_exact_mut(2).zip(self.bytes) {
            pair[0] = b'A' + (b >> 4);
            pair[1] = b'A' + (b & 0xf);
        }
        out[33] = 0;
        Ok(34)
    }
}

/// The fixed header.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Transaction ID.
    pub id: u16,
    /// The whole flags word (R, opcode, NM_FLAGS, RCODE).
    pub flags: u16,
    /// Questions.
    pub qdcount: u16,
    /// Answers.
    pub ancount: u16,
    /// Authority records.
    pub nscount: u16,
    /// Additional records.
    pub arcount: u16,
}

impl Header {
    /// Reads the header.
    pub fn parse(packet: &[u8]) -> Result<Header, WireError> {
        let h: &[u8; HEADER_LEN] = packet
            .get(..HEADER_LEN)
            .and_then(|h| h.try_into().ok())
            .ok_or(WireError::Truncated)?;
        let w = |i: usize| u16::from_be_bytes([h[i], h[i + 1]]);
        Ok(Header {
            id: w(0),
            flags: w(2),
            qdcount: w(4),
            ancount: w(6),
            nscount: w(8),
            arcount: w(10),
        })
    }
    /// Writes the header.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, WireError> {
        let out = out.get_mut(..HEADER_LEN).ok_or(WireError::BufferTooSmall)?;
        for (i, v) in [
            self.id,
            self.flags,
            self.qdcount,
            self.ancount,
            self.nscount,
            self.arcount,
        ]
        .into_iter()
        .enumerate()
        {
            out[2 * i..2 * i + 2].copy_from_slice(&v.to_be_bytes());
        }
        Ok(HEADER_LEN)
    }
    /// Whether this is a response.
    pub const fn is_response(&self) -> bool {
        self.flags & FLAG_RESPONSE != 0
    }
    /// The opcode.
    pub const fn opcode(&self) -> Opcode {
        Opcode::from_bits((self.flags >> 11) as u8)
    }
    /// The response code.
    pub const fn rcode(&self) -> u8 {
        (self.flags & 0xf) as u8
    }
    /// Whether the B (broadcast) flag is set.
    pub const fn broadcast(&self) -> bool {
        self.flags & FLAG_BROADCAST != 0
    }
}

/// Reads the name at `at` in `packet`; returns it and the offset after it
/// (after the first pointer, when the name is compressed).
pub fn parse_name(packet: &[u8], at: usize) -> Result<(NbName, usize), WireError> {
    let mut pos = at;
    let mut end = None;
    let mut pointers = 0;
    let mut total = 0usize;
    let mut first: Option<NbName> = None;
    let mut scoped = false;
    // Bounded: each iteration consumes a label (total grows) or follows a
    // pointer (at most MAX_POINTERS).
    loop {
        let len = *packet.get(pos).ok_or(WireError::Truncated)?;
        match len & 0xc0 {
            0xc0 => {
                let lo = *packet.get(pos + 1).ok_or(WireError::Truncated)?;
                let target = usize::from(len & 0x3f) << 8 | usize::from(lo);
                pointers += 1;
                // Backwards only (smoltcp's rule): no loops possible.
                if pointers > MAX_POINTERS || target >= pos {
                    return Err(WireError::BadPointer);
                }
                end.get_or_insert(pos + 2);
                pos = target;
            }
            0x00 => {
                let len = usize::from(len);
                total += len + 1;
                if total > MAX_NAME_LEN {
                    return Err(WireError::NameTooLong);
                }
                if len == 0 {
                    let name = first.ok_or(WireError::BadLabel)?;
                    let next = end.unwrap_or(pos + 1);
                    return Ok((NbName { scoped, ..name }, next));
                }
                let label = packet
                    .get(pos + 1..pos + 1 + len)
                    .ok_or(WireError::Truncated)?;
                if first.is_none() {
                    first = Some(decode(label)?);
                } else {
                    scoped = true;
                }
                pos += 1 + len;
            }
            _ => return Err(WireError::BadLabel),
        }
    }
}

/// Decodes a 32-letter first-level encoded label.
fn decode(label: &[u8]) -> Result<NbName, WireError> {
    if label.len() != 32 {
        return Err(WireError::BadLabel);
    }
    let mut bytes = [0u8; 16];
    for (b, pair) in bytes.iter_mut().zip(label.chunks_exact(2)) {
        let hi = pair[0].wrapping_sub(b'A');
        let lo = pair[1].wrapping_sub(b'A');
        if hi > 0xf || lo > 0xf {
            return Err(WireError::BadLabel);
        }
        *b = (hi << 4) | lo;
    }
    Ok(NbName {
        bytes,
        scoped: false,
    })
}

fn u16_at(p: &[u8], at: usize) -> Result<u16, WireError> {
    match p.get(at..at + 2) {
        Some(&[a, b]) => Ok(u16::from_be_bytes([a, b])),
        _ => Err(WireError::Truncated),
    }
}

fn u32_at(p: &[u8], at: usize) -> Result<u32, WireError> {
    match p.get(at..at + 4) {
        Some(&[a, b, c, d]) => Ok(u32::from_be_bytes([a, b, c, d])),
        _ => Err(WireError::Truncated),
    }
}

/// A question entry.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// The name asked about.
    pub name: NbName,
    /// [`TYPE_NB`] or [`TYPE_NBSTAT`] (others kept as read).
    pub qtype: u16,
    /// The class.
    pub qclass: u16,
}

/// A resource record (its RDATA as the first NB address, when present).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The owner name.
    pub name: NbName,
    /// The type.
    pub rtype: u16,
    /// Time to live, seconds.
    pub ttl: u32,
    /// For NB records with at least 6 bytes of RDATA: the NB flags and the
    /// first address.
    pub nb: Option<(u16, [u8; 4])>,
}

/// The parts of a packet the responder looks at: the header, the first
/// question and the first answer or additional record.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Repr {
    /// The header.
    pub header: Header,
    /// The first question, if QDCOUNT > 0.
    pub question: Option<Question>,
    /// The first resource record (answer, authority or additional), if any.
    pub record: Option<Record>,
}

impl Repr {
    /// Parses `packet`. Only the first question and first record are read;
    /// further entries are ignored.
    pub fn parse(packet: &[u8]) -> Result<Repr, WireError> {
        let header = Header::parse(packet)?;
        let mut pos = HEADER_LEN;
        let question = if header.qdcount > 0 {
            let (name, next) = parse_name(packet, pos)?;
            let q = Question {
                name,
                qtype: u16_at(packet, next)?,
                qclass: u16_at(packet, next + 2)?,
            };
            pos = next + 4;
            Some(q)
        } else {
            None
        };
        let records =
            u32::from(header.ancount) + u32::from(header.nscount) + u32::from(header.arcount);
        let record = if records > 0 {
            let (name, next) = parse_name(packet, pos)?;
            let rtype = u16_at(packet, next)?;
            let ttl = u32_at(packet, next + 4)?;
            let rdlen = usize::from(u16_at(packet, next + 8)?);
            let rdata = packet
                .get(next + 10..next + 10 + rdlen)
                .ok_or(WireError::Truncated)?;
            let nb = match (rtype, rdata) {
                (TYPE_NB, [f0, f1, a, b, c, d, ..]) => {
                    Some((u16::from_be_bytes([*f0, *f1]), [*a, *b, *c, *d]))
                }
                _ => None,
            };
            Some(Record {
                name,
                rtype,
                ttl,
                nb,
            })
        } else {
            None
        };
        Ok(Repr {
            header,
            question,
            record,
        })
    }
}

/// A bounded writer over a caller's buffer.
pub(crate) struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Writer { buf, len: 0 }
    }
    pub(crate) fn bytes(&mut self, b: &[u8]) -> Result<(), WireError> {
        let end = self.len + b.len();
        self.buf
            .get_mut(self.len..end)
            .ok_or(WireError::BufferTooSmall)?
            .copy_from_slice(b);
        self.len = end;
        Ok(())
    }
    pub(crate) fn u16(&mut self, v: u16) -> Result<(), WireError> {
        self.bytes(&v.to_be_bytes())
    }
    pub(crate) fn u32(&mut self, v: u32) -> Result<(), WireError> {
        self.bytes(&v.to_be_bytes())
    }
    pub(crate) fn header(&mut self, h: &Header) -> Result<(), WireError> {
        let mut b = [0u8; HEADER_LEN];
        h.emit(&mut b)?;
        self.bytes(&b)
    }
    pub(crate) fn name(&mut self, n: &NbName) -> Result<(), WireError> {
        let mut b = [0u8; 34];
        n.emit(&mut b)?;
        self.bytes(&b)
    }
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `nmblookup -U 127.0.0.1 PETREL` (Samba 4.17), captured on this
    /// machine by a Python socket bound to 127.0.0.1:137: no flags at all.
    pub(crate) const NMBLOOKUP_QUERY: &[u8] = &[
        0x39, 0x5f, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x46, 0x41,
        0x45, 0x46, 0x46, 0x45, 0x46, 0x43, 0x45, 0x46, 0x45, 0x4d, 0x43, 0x41, 0x43, 0x41, 0x43,
        0x41, 0x43, 0x41, 0x43, 0x41, 0x43, 0x41, 0x43, 0x41, 0x43, 0x41, 0x43, 0x41, 0x41, 0x41,
        0x00, 0x00, 0x20, 0x00, 0x01,
    ];

    /// `nbtscan -v 127.0.0.1` (nbtscan 1.7.2), captured the same way: a
    /// node status query for `*` with the B flag set.
    pub(crate) const NBTSCAN_STATUS: &[u8] = &[
        0x03, 0x6a, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x43, 0x4b,
        0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
        0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
        0x00, 0x00, 0x21, 0x00, 0x01,
    ];

    #[test]
    fn parses_a_real_query() {
        let r = Repr::parse(NMBLOOKUP_QUERY).unwrap();
        assert_eq!(r.header.id, 0x395f);
        assert_eq!(r.header.opcode(), Opcode::Query);
        assert!(!r.header.broadcast());
        let q = r.question.unwrap();
        assert_eq!(q.name.name(), b"PETREL");
        assert_eq!(q.name.suffix(), 0x00);
        assert_eq!((q.qtype, q.qclass), (TYPE_NB, CLASS_IN));
        assert!(q.name.same_name(&NbName::new(b"petrel", 0x20)));
        let mut enc = [0u8; 34];
        q.name.emit(&mut enc).unwrap();
        assert_eq!(&enc[..], &NMBLOOKUP_QUERY[12..46]);
        let r = Repr::parse(NBTSCAN_STATUS).unwrap();
        assert!(r.header.broadcast());
        let q = r.question.unwrap();
        assert!(q.name.is_wildcard());
        assert_eq!(q.qtype, TYPE_NBSTAT);
    }

    #[test]
    fn pointer_loops_and_forward_pointers_are_errors() {
        let mut p = NMBLOOKUP_QUERY[..12].to_vec();
        p.extend_from_slice(&[0xc0, 12, 0, 0x20, 0, 1]); // points at itself
        assert_eq!(Repr::parse(&p), Err(WireError::BadPointer));
        let mut p = NMBLOOKUP_QUERY[..12].to_vec();
        p.extend_from_slice(&[0xc0, 40, 0, 0x20, 0, 1]); // forwards
        assert_eq!(Repr::parse(&p), Err(WireError::BadPointer));
        let mut p = NMBLOOKUP_QUERY[..12].to_vec();
        p.extend_from_slice(&[0x40, 0]); // reserved label type
        assert_eq!(Repr::parse(&p), Err(WireError::BadLabel));
        // Long scope: more than 255 bytes of labels.
        let mut p = NMBLOOKUP_QUERY[..45].to_vec();
        for _ in 0..5 {
            p.push(63);
            p.extend_from_slice(&[b'a'; 63]);
        }
        p.push(0);
        assert_eq!(Repr::parse(&p), Err(WireError::NameTooLong));
        for n in 0..NMBLOOKUP_QUERY.len() {
            assert!(Repr::parse(&NMBLOOKUP_QUERY[..n]).is_err(), "{n}");
        }
    }
}
