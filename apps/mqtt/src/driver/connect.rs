//! Reaching the broker: where it is, how the byte stream is made, and why
//! an attempt failed.

use core::fmt;

use petrel_altcp::{Stream, Tcp};
use petrel_netcore::time::Duration;
use petrel_netcore::{DnsError, TcpError, TcpStream};

use super::backoff::BackoffConfig;
use crate::client::{ConnectError, LostReason};

/// Turns a connected TCP stream into the stream MQTT runs over: plain TCP
/// ([`PlainTcp`]) or TLS around it (a connector from `petrel-altcp`'s TLS
/// layer, which sends `server_name` as SNI and verifies the certificate
/// against it).
pub trait Connector<T: TcpStream> {
    /// The stream MQTT runs over.
    type Stream: Stream;
    /// Performs the layer's handshake over `tcp`. `server_name` is the host
    /// name (or address literal) the driver was given.
    async fn connect(
        &self,
        tcp: Tcp<T>,
        server_name: &str,
    ) -> Result<Self::Stream, petrel_altcp::Error>;
}

/// MQTT over plain TCP (`mqtt://`, port 1883).
#[derive(Copy, Clone, Debug, Default)]
pub struct PlainTcp;

impl<T: TcpStream> Connector<T> for PlainTcp {
    type Stream = Tcp<T>;
    async fn connect(
        &self,
        tcp: Tcp<T>,
        _server_name: &str,
    ) -> Result<Tcp<T>, petrel_altcp::Error> {
        Ok(tcp)
    }
}

/// Where the broker is and how the driver retries.
#[derive(Copy, Clone, Debug)]
pub struct DriverConfig<'a> {
    /// Host name (resolved with `Network::resolve` on every attempt) or
    /// address literal. Also the TLS server name.
    pub host: &'a str,
    /// TCP port. Default: 1883.
    pub port: u16,
    /// Limit for the TCP handshake and, separately, the TLS handshake.
    /// (CONNACK has its own, `Config::connect_timeout`.) Default: 10 s.
    pub connect_timeout: Duration,
    /// Reconnect delays.
    pub backoff: BackoffConfig,
}

impl Default for DriverConfig<'_> {
    fn default() -> Self {
        DriverConfig {
            host: "",
            port: 1883,
            connect_timeout: Duration::from_secs(10),
            backoff: BackoffConfig::default(),
        }
    }
}

/// Which step of a connection attempt ran out of time.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Phase {
    /// The TCP handshake (no SYN-ACK).
    Tcp,
    /// The TLS handshake.
    Tls,
    /// Waiting for CONNACK.
    ConnAck,
}

/// Why a connection attempt failed, by cause.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ConnectFailure {
    /// The host name could not be resolved.
    Dns(DnsError),
    /// The broker host answered the SYN with RST: nothing listens on the port.
    Refused,
    /// A step took too long.
    TimedOut(Phase),
    /// Another TCP error (no route, no buffer, reset during the handshake…).
    Tcp(TcpError),
    /// The TLS handshake failed (bad certificate, alert, …).
    Tls(petrel_altcp::Error),
    /// The broker refused the CONNECT with this CONNACK code.
    ConnAck(ConnectError),
    /// The connection ended before CONNACK (the broker closed it, or sent
    /// something malformed).
    Lost(LostReason),
}

impl ConnectFailure {
    pub(crate) fn from_tcp(e: TcpError) -> Self {
        match e {
            TcpError::Refused => ConnectFailure::Refused,
            TcpError::TimedOut => ConnectFailure::TimedOut(Phase::Tcp),
            e => ConnectFailure::Tcp(e),
        }
    }

    pub(crate) fn from_tls(e: petrel_altcp::Error) -> Self {
        match e {
            petrel_altcp::Error::TimedOut | petrel_altcp::Error::Tcp(TcpError::TimedOut) => {
                ConnectFailure::TimedOut(Phase::Tls)
            }
            e => ConnectFailure::Tls(e),
        }
    }

    pub(crate) fn from_connack(e: ConnectError) -> Self {
        match e {
            ConnectError::Timeout => ConnectFailure::TimedOut(Phase::ConnAck),
            e => ConnectFailure::ConnAck(e),
        }
    }
}

impl fmt::Display for ConnectFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectFailure::Dns(e) => write!(f, "DNS: {e}"),
            ConnectFailure::Refused => f.write_str("connection refused"),
            ConnectFailure::TimedOut(Phase::Tcp) => f.write_str("timed out (TCP handshake)"),
            ConnectFailure::TimedOut(Phase::Tls) => f.write_str("timed out (TLS handshake)"),
            ConnectFailure::TimedOut(Phase::ConnAck) => f.write_str("timed out (no CONNACK)"),
            ConnectFailure::Tcp(e) => write!(f, "TCP: {e}"),
            ConnectFailure::Tls(e) => write!(f, "TLS: {e}"),
            ConnectFailure::ConnAck(e) => write!(f, "CONNACK: {e}"),
            ConnectFailure::Lost(r) => write!(f, "closed before CONNACK: {r}"),
        }
    }
}

impl core::error::Error for ConnectFailure {}
