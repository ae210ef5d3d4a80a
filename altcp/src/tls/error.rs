//! [`TlsError`]: why a TLS handshake or record failed, as a small `Copy` enum.

use core::fmt;

/// Why a TLS layer failed: every handshake failure has its own variant, named
/// for whose fault it was where that is known.
///
/// Carried by [`Error::Tls`](crate::Error::Tls). Alerts the peer sent us are
/// [`TlsError::PeerAlert`] with the TLS alert code (RFC 8446 §6): for example
/// a client that rejects our certificate sends `unknown_ca` (48), and a TLS
/// 1.3 server that required a client certificate sends
/// `certificate_required` (116).
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TlsError {
    /// The peer's certificate does not chain to a trusted root (or its chain
    /// is incomplete). We send `unknown_ca`.
    UnknownCa,
    /// The peer's certificate has expired.
    CertExpired,
    /// The peer's certificate is not valid yet (check the device clock).
    CertNotYetValid,
    /// The server's certificate is not valid for the name we connected to.
    BadHostName,
    /// The certificate was revoked.
    CertRevoked,
    /// The certificate is malformed, has a bad signature, an unsupported
    /// algorithm, a wrong key usage or an unknown critical extension.
    BadCertificate,
    /// The server required a client certificate and the client sent none.
    NoClientCert,
    /// No TLS version both sides accept (for example a TLS 1.2-only peer and
    /// a TLS 1.3-only configuration).
    ProtocolVersion,
    /// No cipher suite, key-exchange group or signature scheme in common.
    NoCommonAlgorithms,
    /// ALPN was required and no protocol was in common.
    NoApplicationProtocol,
    /// The handshake did not finish within the configured timeout (a peer
    /// that stalls, or a very slow link).
    HandshakeTimeout,
    /// The peer closed the TCP connection during the handshake.
    HandshakeEof,
    /// The peer sent a fatal alert; the code is the TLS AlertDescription.
    PeerAlert(u8),
    /// The first bytes were not TLS at all (plain HTTP, random data).
    NotTls,
    /// A record or handshake message could not be decoded, or was too large.
    BadRecord,
    /// A record failed authentication (corrupted or forged data).
    Decrypt,
    /// The peer sent a message that is not allowed at this point, or broke
    /// the protocol in another way.
    PeerMisbehaved,
    /// A record or handshake message did not fit our configured buffers.
    BufferTooSmall,
    /// The server name is not a valid DNS name or IP address.
    InvalidServerName,
    /// The local configuration cannot work (a key that does not match its
    /// certificate, no usable root, …).
    Config,
    /// The peer used a TLS feature this implementation lacks — e.g. a
    /// server's KeyUpdate to the no-heap client, which embedded-tls 0.19
    /// does not implement. The connection cannot continue.
    Unsupported,
    /// A failure the layer does not classify further.
    Other,
}

impl TlsError {
    /// The name of a TLS alert code, for log lines.
    pub fn alert_name(code: u8) -> &'static str {
        match code {
            0 => "close_notify",
            10 => "unexpected_message",
            20 => "bad_record_mac",
            22 => "record_overflow",
            40 => "handshake_failure",
            42 => "bad_certificate",
            43 => "unsupported_certificate",
            44 => "certificate_revoked",
            45 => "certificate_expired",
            46 => "certificate_unknown",
            47 => "illegal_parameter",
            48 => "unknown_ca",
            49 => "access_denied",
            50 => "decode_error",
            51 => "decrypt_error",
            70 => "protocol_version",
            71 => "insufficient_security",
            80 => "internal_error",
            86 => "inappropriate_fallback",
            90 => "user_canceled",
            109 => "missing_extension",
            110 => "unsupported_extension",
            112 => "unrecognized_name",
            113 => "bad_certificate_status_response",
            115 => "unknown_psk_identity",
            116 => "certificate_required",
            120 => "no_application_protocol",
            _ => "unknown alert",
        }
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::UnknownCa => f.write_str("peer certificate not signed by a trusted CA"),
            TlsError::CertExpired => f.write_str("peer certificate expired"),
            TlsError::CertNotYetValid => f.write_str("peer certificate not valid yet"),
            TlsError::BadHostName => f.write_str("server certificate not valid for the host name"),
            TlsError::CertRevoked => f.write_str("peer certificate revoked"),
            TlsError::BadCertificate => f.write_str("peer certificate malformed or unusable"),
            TlsError::NoClientCert => f.write_str("client sent no certificate (one is required)"),
            TlsError::ProtocolVersion => f.write_str("no TLS version in common"),
            TlsError::NoCommonAlgorithms => f.write_str("no cipher suite or group in common"),
            TlsError::NoApplicationProtocol => f.write_str("no ALPN protocol in common"),
            TlsError::HandshakeTimeout => f.write_str("TLS handshake timed out"),
            TlsError::HandshakeEof => {
                f.write_str("peer closed the connection during the handshake")
            }
            TlsError::PeerAlert(code) => {
                write!(
                    f,
                    "peer sent alert {code} ({})",
                    TlsError::alert_name(*code)
                )
            }
            TlsError::NotTls => f.write_str("peer does not speak TLS"),
            TlsError::BadRecord => f.write_str("malformed TLS record or message"),
            TlsError::Decrypt => f.write_str("TLS record failed authentication"),
            TlsError::PeerMisbehaved => f.write_str("peer violated the TLS protocol"),
            TlsError::BufferTooSmall => f.write_str("TLS record larger than the configured buffer"),
            TlsError::InvalidServerName => f.write_str("invalid server name"),
            TlsError::Config => f.write_str("unusable local TLS configuration"),
            TlsError::Unsupported => f.write_str("peer used an unsupported TLS feature"),
            TlsError::Other => f.write_str("TLS failure"),
        }
    }
}

impl core::error::Error for TlsError {}

#[cfg(feature = "tls")]
impl From<&rustls::Error> for TlsError {
    fn from(e: &rustls::Error) -> Self {
        use rustls::{
            CertificateError as C, Error as E, InvalidMessage as M, PeerIncompatible as P,
        };
        match e {
            E::InvalidCertificate(c) => match c {
                C::UnknownIssuer => TlsError::UnknownCa,
                C::Expired | C::ExpiredContext { .. } => TlsError::CertExpired,
                C::NotValidYet | C::NotValidYetContext { .. } => TlsError::CertNotYetValid,
                C::NotValidForName | C::NotValidForNameContext { .. } => TlsError::BadHostName,
                C::Revoked => TlsError::CertRevoked,
                _ => TlsError::BadCertificate,
            },
            E::NoCertificatesPresented => TlsError::NoClientCert,
            E::AlertReceived(desc) => TlsError::PeerAlert(u8::from(*desc)),
            E::PeerIncompatible(p) => match p {
                P::ServerDoesNotSupportTls12Or13
                | P::ServerTlsVersionIsDisabledByOurConfig
                | P::SupportedVersionsExtensionRequired
                | P::Tls12NotOffered
                | P::Tls12NotOfferedOrEnabled => TlsError::ProtocolVersion,
                P::NoCipherSuitesInCommon
                | P::NoKxGroupsInCommon
                | P::NoSignatureSchemesInCommon
                | P::NoCertificateRequestSignatureSchemesInCommon
                | P::NoEcPointFormatsInCommon => TlsError::NoCommonAlgorithms,
                _ => TlsError::PeerMisbehaved,
            },
            E::InvalidMessage(m) => match m {
                M::InvalidContentType | M::UnknownProtocolVersion => TlsError::NotTls,
                _ => TlsError::BadRecord,
            },
            E::PeerSentOversizedRecord => TlsError::BadRecord,
            E::DecryptError => TlsError::Decrypt,
            E::InappropriateMessage { .. }
            | E::InappropriateHandshakeMessage { .. }
            | E::PeerMisbehaved(_) => TlsError::PeerMisbehaved,
            E::NoApplicationProtocol => TlsError::NoApplicationProtocol,
            E::UnsupportedNameType => TlsError::InvalidServerName,
            E::InconsistentKeys(_) | E::BadMaxFragmentSize => TlsError::Config,
            _ => TlsError::Other,
        }
    }
}

#[cfg(all(test, feature = "tls"))]
mod tests {
    use super::*;
    use rustls::{AlertDescription, CertificateError, Error as E, InvalidMessage};

    #[test]
    fn rustls_errors_map_precisely() {
        let cases = [
            (
                E::InvalidCertificate(CertificateError::UnknownIssuer),
                TlsError::UnknownCa,
            ),
            (
                E::InvalidCertificate(CertificateError::Expired),
                TlsError::CertExpired,
            ),
            (
                E::InvalidCertificate(CertificateError::NotValidYet),
                TlsError::CertNotYetValid,
            ),
            (
                E::InvalidCertificate(CertificateError::NotValidForName),
                TlsError::BadHostName,
            ),
            (E::NoCertificatesPresented, TlsError::NoClientCert),
            (
                E::AlertReceived(AlertDescription::CertificateRequired),
                TlsError::PeerAlert(116),
            ),
            (
                E::InvalidMessage(InvalidMessage::InvalidContentType),
                TlsError::NotTls,
            ),
            (
                E::InvalidMessage(InvalidMessage::MessageTooShort),
                TlsError::BadRecord,
            ),
            (E::DecryptError, TlsError::Decrypt),
        ];
        for (e, want) in cases {
            assert_eq!(TlsError::from(&e), want, "{e:?}");
        }
    }

    #[test]
    fn display_names_the_alert() {
        let s = TlsError::PeerAlert(48).to_string();
        assert!(s.contains("48") && s.contains("unknown_ca"), "{s}");
        assert_eq!(TlsError::alert_name(200), "unknown alert");
    }
}
