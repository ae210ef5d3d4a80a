//! Typed socket errors, one small `Copy` enum per kind of operation.
//!
//! The distinctions matter to applications: an MQTT client that sees
//! [`TcpError::Refused`] (the peer answered the SYN with RST — nothing listens
//! on that port) backs off differently than one that sees
//! [`TcpError::TimedOut`] (no answer at all), and both differ from
//! [`TcpError::Reset`] (an established connection was torn down).

use core::fmt;

/// Errors of TCP operations (listen, connect, accept, read, write, close).
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TcpError {
    /// The peer answered our SYN with RST: nothing listens on that port.
    Refused,
    /// No answer within the configured time (connect, or retransmissions of
    /// an established connection, or keepalive probes).
    TimedOut,
    /// The peer reset an established connection (RST received).
    Reset,
    /// No socket, buffer or backlog slot is free.
    NoBuffer,
    /// The local address and port are already in use.
    AddrInUse,
    /// The address cannot be used here (unspecified remote, port 0, no route,
    /// or a local address the interface does not have).
    InvalidAddress,
    /// The network is not configured yet (no IP address, no route).
    NetworkDown,
    /// The operation is not valid in the socket's state (for example a write
    /// after `shutdown(Write)`).
    InvalidState,
}

impl fmt::Display for TcpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TcpError::Refused => "connection refused (RST in SYN-SENT)",
            TcpError::TimedOut => "timed out",
            TcpError::Reset => "connection reset by peer",
            TcpError::NoBuffer => "no free socket or buffer",
            TcpError::AddrInUse => "address in use",
            TcpError::InvalidAddress => "invalid or unreachable address",
            TcpError::NetworkDown => "network not configured",
            TcpError::InvalidState => "operation invalid in this connection state",
        })
    }
}

impl core::error::Error for TcpError {}

impl embedded_io::Error for TcpError {
    fn kind(&self) -> embedded_io::ErrorKind {
        use embedded_io::ErrorKind as K;
        match self {
            TcpError::Refused => K::ConnectionRefused,
            TcpError::TimedOut => K::TimedOut,
            TcpError::Reset => K::ConnectionReset,
            TcpError::NoBuffer => K::OutOfMemory,
            TcpError::AddrInUse => K::AddrInUse,
            TcpError::InvalidAddress => K::AddrNotAvailable,
            TcpError::NetworkDown => K::NotConnected,
            TcpError::InvalidState => K::NotConnected,
        }
    }
}

/// Errors of UDP operations.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum UdpError {
    /// No socket or buffer space is free (the datagram was not queued).
    NoBuffer,
    /// The local port is already bound.
    AddrInUse,
    /// The address cannot be used (port 0 remote, no route, not multicast…).
    InvalidAddress,
    /// The datagram is larger than the socket's buffer or the link MTU.
    TooLarge,
    /// The received datagram did not fit the caller's buffer; the excess was
    /// discarded. Carries the datagram's full length.
    Truncated(usize),
    /// The network is not configured yet.
    NetworkDown,
    /// Sending to a broadcast address without `set_broadcast(true)`.
    BroadcastNotEnabled,
}

impl fmt::Display for UdpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UdpError::NoBuffer => f.write_str("no free socket or buffer"),
            UdpError::AddrInUse => f.write_str("address in use"),
            UdpError::InvalidAddress => f.write_str("invalid or unreachable address"),
            UdpError::TooLarge => f.write_str("datagram too large"),
            UdpError::Truncated(n) => write!(f, "datagram of {n} bytes truncated"),
            UdpError::NetworkDown => f.write_str("network not configured"),
            UdpError::BroadcastNotEnabled => f.write_str("broadcast not enabled on this socket"),
        }
    }
}

impl core::error::Error for UdpError {}

/// Errors of host-name resolution.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DnsError {
    /// The name does not exist or has no IPv4 address.
    NotFound,
    /// No DNS server answered in time.
    TimedOut,
    /// No DNS server is configured (static config without one, DHCP not done).
    NoServer,
    /// The name is not a valid host name.
    InvalidName,
    /// Too many lookups are in progress at once.
    NoBuffer,
}

impl fmt::Display for DnsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DnsError::NotFound => "name not found",
            DnsError::TimedOut => "DNS lookup timed out",
            DnsError::NoServer => "no DNS server configured",
            DnsError::InvalidName => "invalid host name",
            DnsError::NoBuffer => "too many DNS lookups in progress",
        })
    }
}

impl core::error::Error for DnsError {}

#[cfg(test)]
mod tests {
    use super::*;
    use embedded_io::{Error as _, ErrorKind};

    #[test]
    fn tcp_errors_stay_apart() {
        let all = [
            TcpError::Refused,
            TcpError::TimedOut,
            TcpError::Reset,
            TcpError::NoBuffer,
            TcpError::AddrInUse,
        ];
        let kinds = all.map(|e| e.kind());
        assert_eq!(
            kinds,
            [
                ErrorKind::ConnectionRefused,
                ErrorKind::TimedOut,
                ErrorKind::ConnectionReset,
                ErrorKind::OutOfMemory,
                ErrorKind::AddrInUse
            ]
        );
        let msgs = all.map(|e| e.to_string());
        for (i, a) in msgs.iter().enumerate() {
            for b in &msgs[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn display_names_the_cause() {
        assert!(TcpError::Refused.to_string().contains("RST"));
        assert!(UdpError::Truncated(1500).to_string().contains("1500"));
        assert_eq!(DnsError::NoServer.to_string(), "no DNS server configured");
    }
}
