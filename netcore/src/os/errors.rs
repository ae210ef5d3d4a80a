//! Mapping the OS's `errno` values to netcore's typed errors.
//!
//! One function per error type, so every socket call maps failures the same
//! way. The raw `errno` decides when there is one (it keeps "refused",
//! "timed out" and "reset" apart); the `io::ErrorKind` is the fallback for
//! errors std or tokio made up themselves.

use std::io;

use crate::error::{DnsError, TcpError, UdpError};

/// The [`TcpError`] for an OS error from listen, connect, accept, read,
/// write or shutdown.
///
/// The OS has errors netcore has no variant for; they map to the closest:
/// `EACCES`/`EPERM` (a privileged port, a firewall) and `EINVAL` to
/// [`TcpError::InvalidAddress`], `ENOTCONN`/`EISCONN`/`EALREADY` and anything
/// unknown to [`TcpError::InvalidState`].
pub fn tcp_error(e: &io::Error) -> TcpError {
    if let Some(code) = e.raw_os_error() {
        return match code {
            libc::ECONNREFUSED => TcpError::Refused,
            libc::ETIMEDOUT => TcpError::TimedOut,
            libc::ECONNRESET | libc::EPIPE | libc::ECONNABORTED => TcpError::Reset,
            libc::EADDRINUSE => TcpError::AddrInUse,
            libc::ENOBUFS | libc::ENOMEM | libc::EMFILE | libc::ENFILE | libc::EAGAIN => {
                TcpError::NoBuffer
            }
            libc::EADDRNOTAVAIL
            | libc::ENETUNREACH
            | libc::EHOSTUNREACH
            | libc::EAFNOSUPPORT
            | libc::EINVAL
            | libc::EACCES
            | libc::EPERM => TcpError::InvalidAddress,
            libc::ENETDOWN | libc::EHOSTDOWN => TcpError::NetworkDown,
            _ => TcpError::InvalidState,
        };
    }
    match e.kind() {
        io::ErrorKind::ConnectionRefused => TcpError::Refused,
        io::ErrorKind::TimedOut => TcpError::TimedOut,
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::UnexpectedEof => TcpError::Reset,
        io::ErrorKind::AddrInUse => TcpError::AddrInUse,
        io::ErrorKind::OutOfMemory => TcpError::NoBuffer,
        io::ErrorKind::AddrNotAvailable
        | io::ErrorKind::InvalidInput
        | io::ErrorKind::PermissionDenied => TcpError::InvalidAddress,
        _ => TcpError::InvalidState,
    }
}

/// The [`UdpError`] for an OS error from bind, send, receive or a socket
/// option.
///
/// `EACCES` on send is what Linux says for a broadcast without
/// `SO_BROADCAST`; on bind (a privileged port) it maps to
/// [`UdpError::InvalidAddress`] — pass `binding = true` there.
pub fn udp_error(e: &io::Error, binding: bool) -> UdpError {
    if let Some(code) = e.raw_os_error() {
        return match code {
            libc::EADDRINUSE => UdpError::AddrInUse,
            libc::ENOBUFS | libc::ENOMEM | libc::EMFILE | libc::ENFILE | libc::EAGAIN => {
                UdpError::NoBuffer
            }
            libc::EMSGSIZE => UdpError::TooLarge,
            libc::EACCES if !binding => UdpError::BroadcastNotEnabled,
            libc::ENETDOWN | libc::EHOSTDOWN => UdpError::NetworkDown,
            _ => UdpError::InvalidAddress,
        };
    }
    match e.kind() {
        io::ErrorKind::AddrInUse => UdpError::AddrInUse,
        io::ErrorKind::OutOfMemory => UdpError::NoBuffer,
        _ => UdpError::InvalidAddress,
    }
}

/// The [`DnsError`] for a failed `getaddrinfo`.
///
/// std reports `getaddrinfo` failures as an uncategorised error whose text
/// is `gai_strerror`'s, so the text is what we can go by.
pub fn dns_error(e: &io::Error) -> DnsError {
    if e.kind() == io::ErrorKind::TimedOut {
        return DnsError::TimedOut;
    }
    let msg = e.to_string();
    if msg.contains("Temporary failure") || msg.contains("try again") {
        DnsError::TimedOut
    } else if msg.contains("Invalid") || msg.contains("invalid") {
        DnsError::InvalidName
    } else if msg.contains("Memory") || msg.contains("memory") {
        DnsError::NoBuffer
    } else {
        DnsError::NotFound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(code: i32) -> io::Error {
        io::Error::from_raw_os_error(code)
    }

    #[test]
    fn tcp_errno_mapping() {
        let cases = [
            (libc::ECONNREFUSED, TcpError::Refused),
            (libc::ETIMEDOUT, TcpError::TimedOut),
            (libc::ECONNRESET, TcpError::Reset),
            (libc::EPIPE, TcpError::Reset),
            (libc::ECONNABORTED, TcpError::Reset),
            (libc::EADDRINUSE, TcpError::AddrInUse),
            (libc::ENOBUFS, TcpError::NoBuffer),
            (libc::ENOMEM, TcpError::NoBuffer),
            (libc::EMFILE, TcpError::NoBuffer),
            (libc::ENFILE, TcpError::NoBuffer),
            (libc::EADDRNOTAVAIL, TcpError::InvalidAddress),
            (libc::ENETUNREACH, TcpError::InvalidAddress),
            (libc::EHOSTUNREACH, TcpError::InvalidAddress),
            (libc::EACCES, TcpError::InvalidAddress),
            (libc::ENETDOWN, TcpError::NetworkDown),
            (libc::ENOTCONN, TcpError::InvalidState),
            (9999, TcpError::InvalidState),
        ];
        for (code, want) in cases {
            assert_eq!(tcp_error(&os(code)), want, "errno {code}");
        }
    }

    #[test]
    fn tcp_kind_fallback() {
        let cases = [
            (io::ErrorKind::TimedOut, TcpError::TimedOut),
            (io::ErrorKind::ConnectionRefused, TcpError::Refused),
            (io::ErrorKind::ConnectionReset, TcpError::Reset),
            (io::ErrorKind::BrokenPipe, TcpError::Reset),
            (io::ErrorKind::AddrInUse, TcpError::AddrInUse),
            (io::ErrorKind::InvalidInput, TcpError::InvalidAddress),
            (io::ErrorKind::Other, TcpError::InvalidState),
        ];
        for (kind, want) in cases {
            assert_eq!(tcp_error(&io::Error::from(kind)), want, "{kind:?}");
        }
    }

    #[test]
    fn udp_errno_mapping() {
        assert_eq!(udp_error(&os(libc::EADDRINUSE), true), UdpError::AddrInUse);
        assert_eq!(udp_error(&os(libc::EACCES), true), UdpError::InvalidAddress);
        assert_eq!(
            udp_error(&os(libc::EACCES), false),
            UdpError::BroadcastNotEnabled
        );
        assert_eq!(udp_error(&os(libc::EMSGSIZE), false), UdpError::TooLarge);
        assert_eq!(udp_error(&os(libc::ENOBUFS), false), UdpError::NoBuffer);
        assert_eq!(
            udp_error(&os(libc::ENETUNREACH), false),
            UdpError::InvalidAddress
        );
        assert_eq!(udp_error(&os(libc::ENETDOWN), false), UdpError::NetworkDown);
    }

    #[test]
    fn dns_message_mapping() {
        let e = |m: &str| io::Error::other(m.to_string());
        assert_eq!(
            dns_error(&e(
                "failed to lookup address information: Name or service not known"
            )),
            DnsError::NotFound
        );
        assert_eq!(
            dns_error(&e(
                "failed to lookup address information: Temporary failure in name resolution"
            )),
            DnsError::TimedOut
        );
        assert_eq!(
            dns_error(&io::Error::from(io::ErrorKind::TimedOut)),
            DnsError::TimedOut
        );
    }
}
