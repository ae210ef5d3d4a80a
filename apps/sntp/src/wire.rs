//! NTP packets (RFC 5905 §7.3, as used by SNTP, RFC 4330 §4): a zero-copy
//! [`Packet`] view and an owned [`Repr`] with `parse`/`emit`/`buffer_len`.
//!
//! Only the 48-byte header is read; extension fields and a MAC that may
//! follow are ignored (SNTP clients do not use them). Every accessor is
//! bounded by the packet length and never panics: a short packet is a
//! [`WireError`].

use core::fmt;

/// Length of the NTP header (no extension fields, no MAC).
pub const HEADER_LEN: usize = 48;
/// The NTP port.
pub const PORT: u16 = 123;
/// Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01).
pub const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// The leap indicator (LI, 2 bits).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Leap {
    /// 0: no warning.
    NoWarning,
    /// 1: the last minute of the day has 61 seconds.
    AddSecond,
    /// 2: the last minute of the day has 59 seconds.
    DeleteSecond,
    /// 3: the server's clock is not synchronised.
    Unsynchronised,
}

impl Leap {
    /// From the two LI bits.
    pub const fn from_bits(b: u8) -> Leap {
        match b & 3 {
            0 => Leap::NoWarning,
            1 => Leap::AddSecond,
            2 => Leap::DeleteSecond,
            _ => Leap::Unsynchronised,
        }
    }
    /// The two LI bits.
    pub const fn bits(self) -> u8 {
        match self {
            Leap::NoWarning => 0,
            Leap::AddSecond => 1,
            Leap::DeleteSecond => 2,
            Leap::Unsynchronised => 3,
        }
    }
}

/// The association mode (3 bits).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mode {
    /// 1: symmetric active.
    SymmetricActive,
    /// 2: symmetric passive.
    SymmetricPassive,
    /// 3: client (what we send).
    Client,
    /// 4: server (what a unicast reply is).
    Server,
    /// 5: broadcast.
    Broadcast,
    /// 6: NTP control message.
    Control,
    /// 0 (reserved) or 7 (private).
    Unknown(u8),
}

impl Mode {
    /// From the three mode bits.
    pub const fn from_bits(b: u8) -> Mode {
        match b & 7 {
            1 => Mode::SymmetricActive,
            2 => Mode::SymmetricPassive,
            3 => Mode::Client,
            4 => Mode::Server,
            5 => Mode::Broadcast,
            6 => Mode::Control,
            n => Mode::Unknown(n),
        }
    }
    /// The three mode bits.
    pub const fn bits(self) -> u8 {
        match self {
            Mode::SymmetricActive => 1,
            Mode::SymmetricPassive => 2,
            Mode::Client => 3,
            Mode::Server => 4,
            Mode::Broadcast => 5,
            Mode::Control => 6,
            Mode::Unknown(n) => n & 7,
        }
    }
}

/// A 64-bit NTP timestamp: seconds since 1900 (32 bits, wrapping every 136
/// years) and a 32-bit binary fraction.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// The zero timestamp ("unknown" on the wire).
    pub const ZERO: Timestamp = Timestamp(0);

    /// The whole seconds field.
    pub const fn seconds(self) -> u32 {
        (self.0 >> 32) as u32
    }
    /// The fraction field.
    pub const fn fraction(self) -> u32 {
        self.0 as u32
    }

    /// Microseconds since the Unix epoch. RFC 4330 §3: a seconds field with
    /// the top bit clear is in era 1 (2036–2104), so the mapping covers
    /// 1968–2104.
    pub const fn to_unix_micros(self) -> i64 {
        let mut secs = self.seconds() as i64;
        if secs & 0x8000_0000 == 0 {
            secs += 1 << 32;
        }
        let frac_us = ((self.fraction() as u64 * 1_000_000) >> 32) as i64;
        (secs - NTP_UNIX_OFFSET as i64) * 1_000_000 + frac_us
    }

    /// The timestamp of `micros` since the Unix epoch (wrapping into the
    /// 32-bit era as the wire does).
    pub const fn from_unix_micros(micros: i64) -> Timestamp {
        let secs = micros.div_euclid(1_000_000);
        let us = micros.rem_euclid(1_000_000) as u64;
        let ntp_secs = (secs + NTP_UNIX_OFFSET as i64) as u64 & 0xffff_ffff;
        // Round up so that converting back gives the same microsecond.
        let frac = (us << 32).div_ceil(1_000_000);
        Timestamp((ntp_secs << 32) | (frac & 0xffff_ffff))
    }
}

/// A Kiss-o'-Death code (RFC 5905 §7.4): the reference ID of a stratum-0
/// packet.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum KissCode {
    /// `RATE`: the client polls too often; it must back off.
    Rate,
    /// `DENY`: access denied; stop polling this server.
    Deny,
    /// `RSTR`: access restricted; stop polling this server.
    Rstr,
    /// Any other code (`INIT`, `STEP`, …), kept as its four bytes.
    Other([u8; 4]),
}

impl KissCode {
    /// The code in a reference ID.
    pub const fn from_bytes(b: [u8; 4]) -> KissCode {
        match &b {
            b"RATE" => KissCode::Rate,
            b"DENY" => KissCode::Deny,
            b"RSTR" => KissCode::Rstr,
            _ => KissCode::Other(b),
        }
    }
    /// The four bytes.
    pub const fn bytes(self) -> [u8; 4] {
        match self {
            KissCode::Rate => *b"RATE",
            KissCode::Deny => *b"DENY",
            KissCode::Rstr => *b"RSTR",
            KissCode::Other(b) => b,
        }
    }
}

impl fmt::Display for KissCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.bytes() {
            let c = if b.is_ascii_graphic() { b as char } else { '?' };
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// Why bytes are not an NTP packet.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// Shorter than the 48-byte header.
    Truncated,
    /// The buffer given to `emit` is too small.
    BufferTooSmall,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Truncated => f.write_str("NTP packet shorter than 48 bytes"),
            WireError::BufferTooSmall => f.write_str("buffer too small for an NTP packet"),
        }
    }
}

impl core::error::Error for WireError {}

/// A zero-copy view of an NTP packet.
#[derive(Copy, Clone, Debug)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps `buffer` after checking it holds a whole header.
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        Ok(Packet { buffer })
    }

    fn header(&self) -> [u8; HEADER_LEN] {
        // `new_checked` guarantees the length; the fallback is never taken.
        self.buffer
            .as_ref()
            .get(..HEADER_LEN)
            .and_then(|h| h.try_into().ok())
            .unwrap_or([0; HEADER_LEN])
    }

    fn u32_at(&self, at: usize) -> u32 {
        let h = self.header();
        match h.get(at..at + 4) {
            Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
            _ => 0,
        }
    }

    fn ts_at(&self, at: usize) -> Timestamp {
        Timestamp((u64::from(self.u32_at(at)) << 32) | u64::from(self.u32_at(at + 4)))
    }

    /// The leap indicator.
    pub fn leap(&self) -> Leap {
        Leap::from_bits(self.header()[0] >> 6)
    }
    /// The version number (3 bits).
    pub fn version(&self) -> u8 {
        (self.header()[0] >> 3) & 7
    }
    /// The mode.
    pub fn mode(&self) -> Mode {
        Mode::from_bits(self.header()[0])
    }
    /// The stratum (0 = Kiss-o'-Death, 1 = primary, 2–15 secondary, 16
    /// unsynchronised).
    pub fn stratum(&self) -> u8 {
        self.header()[1]
    }
    /// The poll exponent (log2 seconds).
    pub fn poll(&self) -> i8 {
        self.header()[2] as i8
    }
    /// The precision exponent (log2 seconds).
    pub fn precision(&self) -> i8 {
        self.header()[3] as i8
    }
    /// Root delay, NTP short format (16.16 seconds).
    pub fn root_delay(&self) -> u32 {
        self.u32_at(4)
    }
    /// Root dispersion, NTP short format.
    pub fn root_dispersion(&self) -> u32 {
        self.u32_at(8)
    }
    /// The reference ID (a kiss code when the stratum is 0).
    pub fn reference_id(&self) -> [u8; 4] {
        self.u32_at(12).to_be_bytes()
    }
    /// When the server's clock was last set.
    pub fn reference_timestamp(&self) -> Timestamp {
        self.ts_at(16)
    }
    /// T1: the client's transmit time, echoed by the server.
    pub fn originate_timestamp(&self) -> Timestamp {
        self.ts_at(24)
    }
    /// T2: when the server received the request.
    pub fn receive_timestamp(&self) -> Timestamp {
        self.ts_at(32)
    }
    /// T3: when the server sent the reply.
    pub fn transmit_timestamp(&self) -> Timestamp {
        self.ts_at(40)
    }
}

/// An NTP header as plain values.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Repr {
    /// Leap indicator.
    pub leap: Leap,
    /// Version (3 or 4 in practice).
    pub version: u8,
    /// Mode.
    pub mode: Mode,
    /// Stratum.
    pub stratum: u8,
    /// Poll exponent.
    pub poll: i8,
    /// Precision exponent.
    pub precision: i8,
    /// Root delay (16.16 seconds).
    pub root_delay: u32,
    /// Root dispersion (16.16 seconds).
    pub root_dispersion: u32,
    /// Reference ID.
    pub reference_id: [u8; 4],
    /// Reference timestamp.
    pub reference: Timestamp,
    /// Originate timestamp (T1).
    pub originate: Timestamp,
    /// Receive timestamp (T2).
    pub receive: Timestamp,
    /// Transmit timestamp (T3).
    pub transmit: Timestamp,
}

impl Repr {
    /// A client request (mode 3, version 4) carrying `transmit` as its
    /// transmit timestamp; every other field is zero (RFC 4330 §5).
    pub const fn client_request(transmit: Timestamp) -> Repr {
        Repr {
            leap: Leap::NoWarning,
            version: 4,
            mode: Mode::Client,
            stratum: 0,
            poll: 0,
            precision: 0,
            root_delay: 0,
            root_dispersion: 0,
            reference_id: [0; 4],
            reference: Timestamp::ZERO,
            originate: Timestamp::ZERO,
            receive: Timestamp::ZERO,
            transmit,
        }
    }

    /// Reads the header of `packet`.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Repr {
        Repr {
            leap: packet.leap(),
            version: packet.version(),
            mode: packet.mode(),
            stratum: packet.stratum(),
            poll: packet.poll(),
            precision: packet.precision(),
            root_delay: packet.root_delay(),
            root_dispersion: packet.root_dispersion(),
            reference_id: packet.reference_id(),
            reference: packet.reference_timestamp(),
            originate: packet.originate_timestamp(),
            receive: packet.receive_timestamp(),
            transmit: packet.transmit_timestamp(),
        }
    }

    /// Parses raw bytes.
    pub fn parse_bytes(bytes: &[u8]) -> Result<Repr, WireError> {
        Ok(Repr::parse(&Packet::new_checked(bytes)?))
    }

    /// The emitted length: always [`HEADER_LEN`].
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header into `buf`; returns the length written.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, WireError> {
        let out = buf.get_mut(..HEADER_LEN).ok_or(WireError::BufferTooSmall)?;
        out[0] = (self.leap.bits() << 6) | ((self.version & 7) << 3) | self.mode.bits();
        out[1] = self.stratum;
        out[2] = self.poll as u8;
        out[3] = self.precision as u8;
        out[4..8].copy_from_slice(&self.root_delay.to_be_bytes());
        out[8..12].copy_from_slice(&self.root_dispersion.to_be_bytes());
        out[12..16].copy_from_slice(&self.reference_id);
        out[16..24].copy_from_slice(&self.reference.0.to_be_bytes());
        out[24..32].copy_from_slice(&self.originate.0.to_be_bytes());
        out[32..40].copy_from_slice(&self.receive.0.to_be_bytes());
        out[40..48].copy_from_slice(&self.transmit.0.to_be_bytes());
        Ok(HEADER_LEN)
    }

    /// The Kiss-o'-Death code, if this is a KoD packet (stratum 0).
    pub fn kiss_code(&self) -> Option<KissCode> {
        (self.stratum == 0).then(|| KissCode::from_bytes(self.reference_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_through_unix_micros() {
        for us in [
            0i64,
            1,
            999_999,
            1_700_000_000_123_456,
            2_085_978_496_000_000, // after the 2036 era rollover
            -1_000_000,
        ] {
            assert_eq!(Timestamp::from_unix_micros(us).to_unix_micros(), us, "{us}");
        }
        // 2036-02-07 06:28:16 UTC is NTP second 0 of era 1.
        assert_eq!(Timestamp(0).to_unix_micros(), 2_085_978_496_000_000);
        assert_eq!(
            Timestamp::from_unix_micros(0).seconds() as u64,
            NTP_UNIX_OFFSET
        );
    }

    #[test]
    fn emit_parse_round_trip() {
        let r = Repr {
            leap: Leap::AddSecond,
            version: 3,
            mode: Mode::Broadcast,
            stratum: 2,
            poll: 6,
            precision: -20,
            root_delay: 0x0001_0000,
            root_dispersion: 0x42,
            reference_id: [127, 0, 0, 1],
            reference: Timestamp(1),
            originate: Timestamp(2),
            receive: Timestamp(3),
            transmit: Timestamp(u64::MAX),
        };
        let mut buf = [0u8; 48];
        assert_eq!(r.emit(&mut buf), Ok(48));
        assert_eq!(Repr::parse_bytes(&buf), Ok(r));
        assert_eq!(r.emit(&mut [0u8; 47]), Err(WireError::BufferTooSmall));
        assert_eq!(Repr::parse_bytes(&buf[..47]), Err(WireError::Truncated));
    }

    #[test]
    fn kiss_codes() {
        let mut r = Repr::client_request(Timestamp(5));
        r.reference_id = *b"RATE";
        assert_eq!(r.kiss_code(), Some(KissCode::Rate));
        r.reference_id = *b"INIT";
        assert_eq!(r.kiss_code(), Some(KissCode::Other(*b"INIT")));
        r.stratum = 1;
        assert_eq!(r.kiss_code(), None);
        assert_eq!(
            format!("{}", KissCode::Other([b'A', 0, b'B', 0xff])),
            "A?B?"
        );
    }
}
