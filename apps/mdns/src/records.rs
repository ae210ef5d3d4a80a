//! The records a responder owns: the host's A and reverse PTR, and per
//! service the DNS-SD PTR, subtype PTRs, SRV, TXT and the
//! `_services._dns-sd._udp` enumeration PTR — and how each is named,
//! typed and written.

use core::net::Ipv4Addr;

use crate::name::Name;
use crate::wire::{RData, TypeBitmap, WireError, rtype};

/// TTL of records about the host name (RFC 6762 10: 120 s).
pub const HOST_TTL: u32 = 120;
/// TTL of other records (RFC 6762 10: 75 minutes).
pub const OTHER_TTL: u32 = 4500;
/// Longest subtype list per service.
pub const MAX_SUBTYPES: usize = 4;

/// A service to advertise (RFC 6763). Borrowed: TXT data of any length that
/// fits a packet is sent as given, without copying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceSpec<'a> {
    /// The instance name, one label of up to 63 bytes of UTF-8
    /// ("Petrel dashboard"). Renamed to "… (2)" on conflict.
    pub instance: &'a str,
    /// The service type with its protocol, without domain (`_http._tcp`).
    pub service_type: &'a str,
    /// Subtypes (`_printer` → `_printer._sub._http._tcp.local`), at most
    /// [`MAX_SUBTYPES`].
    pub subtypes: &'a [&'a str],
    /// The port.
    pub port: u16,
    /// Raw TXT rdata: length-prefixed strings (`b"\x06path=/"`); empty
    /// means one empty string (RFC 6763 6.1).
    pub txt: &'a [u8],
}

/// Builds TXT rdata from `key=value` strings into `out`; returns its length.
///
/// ```
/// let mut buf = [0u8; 32];
/// let n = petrel_mdns::txt_from_strs(&["path=/", "v=1"], &mut buf).unwrap();
/// assert_eq!(&buf[..n], b"\x06path=/\x03v=1");
/// ```
pub fn txt_from_strs(entries: &[&str], out: &mut [u8]) -> Result<usize, WireError> {
    let mut at = 0;
    for e in entries {
        let len = u8::try_from(e.len()).map_err(|_| WireError::BadRData)?;
        let dst = out
            .get_mut(at..at + 1 + e.len())
            .ok_or(WireError::BufferFull)?;
        dst[0] = len;
        dst[1..].copy_from_slice(e.as_bytes());
        at += 1 + e.len();
    }
    Ok(at)
}

/// One record we own, by identity (names are built on demand).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Rec {
    /// `host.local A addr` (unique).
    HostA,
    /// `d.c.b.a.in-addr.arpa PTR host.local` (unique).
    HostReverse,
    /// `host.local NSEC (A)`.
    HostNsec,
    /// `reverse NSEC (PTR)`.
    ReverseNsec,
    /// `_services._dns-sd._udp.local PTR _type.local` (shared).
    Enum(usize),
    /// `_type.local PTR instance._type.local` (shared).
    Ptr(usize),
    /// `_sub._sub._type.local PTR instance` (shared).
    SubPtr(usize, usize),
    /// `instance SRV 0 0 port host.local` (unique).
    Srv(usize),
    /// `instance TXT …` (unique).
    Txt(usize),
    /// `instance NSEC (SRV TXT)`.
    InstanceNsec(usize),
}

impl Rec {
    /// Whether the record set is unique (cache-flush bit, probed).
    pub(crate) fn unique(self) -> bool {
        !matches!(self, Rec::Enum(_) | Rec::Ptr(_) | Rec::SubPtr(..))
    }

    /// Which owner (host = `None`, service `Some(i)`) the record belongs to.
    pub(crate) fn owner(self) -> Option<usize> {
        match self {
            Rec::HostA | Rec::HostReverse | Rec::HostNsec | Rec::ReverseNsec => None,
            Rec::Enum(i)
            | Rec::Ptr(i)
            | Rec::SubPtr(i, _)
            | Rec::Srv(i)
            | Rec::Txt(i)
            | Rec::InstanceNsec(i) => Some(i),
        }
    }

    pub(crate) fn is_nsec(self) -> bool {
        matches!(
            self,
            Rec::HostNsec | Rec::ReverseNsec | Rec::InstanceNsec(_)
        )
    }
}

/// The name of the host's reverse-mapping PTR (`4.3.2.1.in-addr.arpa`).
pub fn reverse_name(addr: Ipv4Addr) -> Name {
    let mut n = Name::root();
    for o in addr.octets().iter().rev() {
        let mut digits = [0u8; 20];
        let s = petrel_netcore::small::format_decimal(u64::from(*o), &mut digits);
        // Four labels of at most 3 bytes plus two short ones: fits.
        let _ = n.push_label(s.as_bytes());
    }
    let _ = n.push_label(b"in-addr");
    let _ = n.push_label(b"arpa");
    n
}

/// Canonical (uncompressed) rdata bytes, for comparisons (known answers,
/// conflicts, tiebreak). Returns `None` when they do not fit.
pub(crate) fn canonical_rdata(data: &RData<'_>, out: &mut [u8]) -> Option<usize> {
    let mut w = Canon { out, len: 0 };
    match data {
        RData::A(a) => w.put(&a.octets())?,
        RData::Ptr(n) => w.put(n.as_bytes())?,
        RData::Srv {
            priority,
            weight,
            port,
            target,
        } => {
            w.put(&priority.to_be_bytes())?;
            w.put(&weight.to_be_bytes())?;
            w.put(&port.to_be_bytes())?;
            w.put(target.as_bytes())?;
        }
        RData::Txt(t) | RData::Other(t) => w.put(t)?,
        RData::Nsec { next, types } => {
            w.put(next.as_bytes())?;
            let n = types.used_len();
            w.put(&[0, n as u8])?;
            w.put(types.0.get(..n)?)?;
        }
    }
    Some(w.len)
}

struct Canon<'o> {
    out: &'o mut [u8],
    len: usize,
}

impl Canon<'_> {
    fn put(&mut self, b: &[u8]) -> Option<()> {
        self.out
            .get_mut(self.len..self.len + b.len())?
            .copy_from_slice(b);
        self.len += b.len();
        Some(())
    }
}

/// A bitmap with the given types.
pub(crate) fn bitmap(types: &[u16]) -> TypeBitmap {
    let mut b = TypeBitmap::default();
    for t in types {
        b.set(*t);
    }
    b
}

/// The record types `rec` answers to.
pub(crate) fn rtype_of(rec: Rec) -> u16 {
    match rec {
        Rec::HostA => rtype::A,
        Rec::HostReverse | Rec::Enum(_) | Rec::Ptr(_) | Rec::SubPtr(..) => rtype::PTR,
        Rec::Srv(_) => rtype::SRV,
        Rec::Txt(_) => rtype::TXT,
        Rec::HostNsec | Rec::ReverseNsec | Rec::InstanceNsec(_) => rtype::NSEC,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_names() {
        let n = reverse_name(Ipv4Addr::new(198, 51, 100, 2));
        assert_eq!(format!("{n}"), "2.100.51.198.in-addr.arpa");
        let n = reverse_name(Ipv4Addr::new(10, 0, 0, 255));
        assert_eq!(format!("{n}"), "255.0.0.10.in-addr.arpa");
    }

    #[test]
    fn txt_builder() {
        let mut b = [0u8; 4];
        assert_eq!(
            txt_from_strs(&["path=/"], &mut b).unwrap_err(),
            WireError::BufferFull
        );
        let long = "x".repeat(256);
        let mut b = [0u8; 300];
        assert_eq!(
            txt_from_strs(&[&long], &mut b).unwrap_err(),
            WireError::BadRData
        );
        assert_eq!(txt_from_strs(&[], &mut b).unwrap(), 0);
    }
}
