//! TLS configuration: certificates, roots, client authentication, ALPN,
//! versions, record limits and the handshake timeout, with safe defaults.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use petrel_netcore::Duration;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::time_provider::TimeProvider;
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme, SupportedProtocolVersion};

/// The largest TLS record on the wire: 2^14 plaintext bytes plus 2048 bytes
/// of expansion (TLS 1.2's limit; TLS 1.3 allows 256) plus the 5-byte header.
pub const MAX_WIRE_RECORD: usize = 16_384 + 2_048 + 5;
/// Per-record overhead we reserve when sizing the send buffer: header, AEAD
/// tag, TLS 1.2 explicit nonce and TLS 1.3 inner content type, rounded up.
const RECORD_OVERHEAD: usize = 64;

/// Memory limits of one TLS connection in this layer.
///
/// The layer holds three buffers per connection, allocated once when the
/// connection starts: received ciphertext (`incoming_buffer`), ciphertext
/// waiting for the transport (`max_fragment` plus record overhead, plus 4 KiB
/// to batch small handshake records), and decrypted bytes the application
/// has not read yet (at most what `incoming_buffer` held). rustls keeps its
/// own handshake state on the heap besides these; see the crate's measured
/// numbers.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest plaintext we put in one record we send (rustls's
    /// `max_fragment_size`), 32..=16384. Smaller values lower the peer's
    /// receive-buffer needs and latency on slow links.
    pub max_fragment: usize,
    /// The receive buffer: it must hold the largest record the peer sends
    /// and the largest handshake message (the peer's certificate chain). A
    /// peer that exceeds it gets a clean
    /// [`TlsError::BufferTooSmall`](crate::tls::TlsError::BufferTooSmall).
    pub incoming_buffer: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_fragment: 16_384,
            incoming_buffer: MAX_WIRE_RECORD,
        }
    }
}

impl Limits {
    /// The send buffer size these limits give.
    pub fn outgoing_buffer(&self) -> usize {
        self.max_fragment + RECORD_OVERHEAD + 4_096
    }
    /// Space that must be free in the send buffer before rustls may emit a
    /// record into it.
    pub(crate) fn record_reserve(&self) -> usize {
        self.max_fragment + RECORD_OVERHEAD
    }
    fn check(&self) -> Result<(), ConfigError> {
        let ok = (32..=16_384).contains(&self.max_fragment)
            && (512..=MAX_WIRE_RECORD * 4).contains(&self.incoming_buffer);
        if ok {
            Ok(())
        } else {
            Err(ConfigError::BadLimits)
        }
    }
}

/// Which TLS versions to offer or accept.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum TlsVersions {
    /// TLS 1.3 and TLS 1.2 (the default).
    #[default]
    Tls12And13,
    /// TLS 1.3 only.
    Tls13Only,
    /// TLS 1.2 only (for testing old peers).
    Tls12Only,
}

impl TlsVersions {
    fn list(self) -> &'static [&'static SupportedProtocolVersion] {
        static BOTH: [&SupportedProtocolVersion; 2] =
            [&rustls::version::TLS13, &rustls::version::TLS12];
        static V13: [&SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
        static V12: [&SupportedProtocolVersion; 1] = [&rustls::version::TLS12];
        match self {
            TlsVersions::Tls12And13 => &BOTH,
            TlsVersions::Tls13Only => &V13,
            TlsVersions::Tls12Only => &V12,
        }
    }
}

/// Why a TLS configuration could not be built.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// A server configuration needs a certificate chain and key.
    NoCertificate,
    /// A certificate could not be parsed or used.
    BadCertificate,
    /// The private key could not be parsed or is of an unsupported type.
    BadPrivateKey,
    /// The private key does not belong to the certificate.
    KeyMismatch,
    /// Verification is on and no trusted root was given.
    NoRoots,
    /// A root (CA) certificate could not be parsed.
    BadRootCertificate,
    /// Without `std` the caller must give a time source for certificate
    /// validity checks.
    NoTimeProvider,
    /// The crypto provider supports none of the requested versions.
    UnsupportedVersions,
    /// [`Limits`] out of range.
    BadLimits,
    /// A PEM text held no item of the wanted kind or was malformed.
    BadPem,
    /// Another rustls configuration error.
    Other,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConfigError::NoCertificate => "no certificate chain and key configured",
            ConfigError::BadCertificate => "certificate cannot be parsed or used",
            ConfigError::BadPrivateKey => "private key cannot be parsed or is unsupported",
            ConfigError::KeyMismatch => "private key does not match the certificate",
            ConfigError::NoRoots => "no trusted root certificate configured",
            ConfigError::BadRootCertificate => "root certificate cannot be parsed",
            ConfigError::NoTimeProvider => "no time provider (needed without std)",
            ConfigError::UnsupportedVersions => "crypto provider supports none of the TLS versions",
            ConfigError::BadLimits => "buffer limits out of range",
            ConfigError::BadPem => "no usable PEM item",
            ConfigError::Other => "invalid TLS configuration",
        })
    }
}

impl core::error::Error for ConfigError {}

fn key_error(e: &rustls::Error) -> ConfigError {
    match e {
        rustls::Error::InconsistentKeys(_) => ConfigError::KeyMismatch,
        rustls::Error::InvalidCertificate(_) => ConfigError::BadCertificate,
        rustls::Error::General(_) => ConfigError::BadPrivateKey,
        _ => ConfigError::Other,
    }
}

fn time_provider(
    given: Option<Arc<dyn TimeProvider>>,
) -> Result<Arc<dyn TimeProvider>, ConfigError> {
    if let Some(t) = given {
        return Ok(t);
    }
    #[cfg(feature = "std")]
    {
        Ok(Arc::new(rustls::time_provider::DefaultTimeProvider))
    }
    #[cfg(not(feature = "std"))]
    {
        Err(ConfigError::NoTimeProvider)
    }
}

/// A trust store from DER certificates; every one must parse.
pub fn root_store(certs: &[CertificateDer<'_>]) -> Result<RootCertStore, ConfigError> {
    let mut roots = RootCertStore::empty();
    for c in certs {
        roots
            .add(c.clone().into_owned())
            .map_err(|_| ConfigError::BadRootCertificate)?;
    }
    Ok(roots)
}

/// Whether and how the server asks clients for a certificate (mutual TLS).
#[derive(Clone, Debug, Default)]
pub enum ClientAuth {
    /// No client certificate is requested (the default).
    #[default]
    None,
    /// A certificate is requested; clients without one are still accepted,
    /// a client with an untrusted one is refused.
    Optional(RootCertStore),
    /// A certificate chaining to these roots is required.
    Required(RootCertStore),
}

/// A TLS server configuration, cheap to clone and share between connections.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub(crate) rustls: Arc<rustls::ServerConfig>,
    pub(crate) limits: Limits,
    pub(crate) handshake_timeout: Duration,
}

/// The default handshake timeout (a slow MCU needs a few seconds for ECDHE).
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

impl ServerConfig {
    /// Starts a server configuration with `provider`'s cryptography.
    pub fn builder(provider: Arc<CryptoProvider>) -> ServerConfigBuilder {
        ServerConfigBuilder {
            provider,
            time: None,
            cert: None,
            client_auth: ClientAuth::None,
            alpn: Vec::new(),
            versions: TlsVersions::default(),
            limits: Limits::default(),
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
        }
    }
    /// Wraps a rustls configuration built elsewhere (every rustls option).
    pub fn from_rustls(
        rustls: Arc<rustls::ServerConfig>,
        limits: Limits,
        handshake_timeout: Duration,
    ) -> Self {
        ServerConfig {
            rustls,
            limits,
            handshake_timeout,
        }
    }
    /// The underlying rustls configuration.
    pub fn rustls(&self) -> &Arc<rustls::ServerConfig> {
        &self.rustls
    }
    /// The buffer limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }
    /// The handshake timeout.
    pub fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }
}

/// Builds a [`ServerConfig`]; see [`ServerConfig::builder`].
#[derive(Debug)]
pub struct ServerConfigBuilder {
    provider: Arc<CryptoProvider>,
    time: Option<Arc<dyn TimeProvider>>,
    cert: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    client_auth: ClientAuth,
    alpn: Vec<Vec<u8>>,
    versions: TlsVersions,
    limits: Limits,
    handshake_timeout: Duration,
}

impl ServerConfigBuilder {
    /// The server's certificate chain (leaf first) and its private key.
    pub fn cert_chain(
        mut self,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Self {
        self.cert = Some((chain, key));
        self
    }
    /// Client certificate policy (mutual TLS).
    pub fn client_auth(mut self, auth: ClientAuth) -> Self {
        self.client_auth = auth;
        self
    }
    /// ALPN protocols we accept, in our order of preference. A client that
    /// offers ALPN but none of these is refused (`no_application_protocol`).
    pub fn alpn(mut self, protocols: &[&[u8]]) -> Self {
        self.alpn = protocols.iter().map(|p| p.to_vec()).collect();
        self
    }
    /// TLS versions accepted.
    pub fn versions(mut self, v: TlsVersions) -> Self {
        self.versions = v;
        self
    }
    /// Buffer limits.
    pub fn limits(mut self, l: Limits) -> Self {
        self.limits = l;
        self
    }
    /// How long `accept` waits for a handshake to finish.
    pub fn handshake_timeout(mut self, d: Duration) -> Self {
        self.handshake_timeout = d;
        self
    }
    /// The wall clock used to check certificate validity (required without
    /// `std`: an MCU passes its RTC or SNTP time).
    pub fn time_provider(mut self, t: Arc<dyn TimeProvider>) -> Self {
        self.time = Some(t);
        self
    }
    /// Builds the configuration.
    pub fn build(self) -> Result<ServerConfig, ConfigError> {
        self.limits.check()?;
        let (chain, key) = self.cert.ok_or(ConfigError::NoCertificate)?;
        if chain.is_empty() {
            return Err(ConfigError::NoCertificate);
        }
        let time = time_provider(self.time)?;
        let b = rustls::ServerConfig::builder_with_details(self.provider.clone(), time)
            .with_protocol_versions(self.versions.list())
            .map_err(|_| ConfigError::UnsupportedVersions)?;
        let b = match self.client_auth {
            ClientAuth::None => b.with_no_client_auth(),
            ClientAuth::Optional(roots) | ClientAuth::Required(roots) if roots.is_empty() => {
                let _ = b;
                return Err(ConfigError::NoRoots);
            }
            ClientAuth::Optional(roots) => {
                let v = WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    self.provider.clone(),
                )
                .allow_unauthenticated()
                .build()
                .map_err(|_| ConfigError::BadRootCertificate)?;
                b.with_client_cert_verifier(v)
            }
            ClientAuth::Required(roots) => {
                let v = WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    self.provider.clone(),
                )
                .build()
                .map_err(|_| ConfigError::BadRootCertificate)?;
                b.with_client_cert_verifier(v)
            }
        };
        let mut c = b.with_single_cert(chain, key).map_err(|e| key_error(&e))?;
        c.alpn_protocols = self.alpn;
        c.max_fragment_size = Some(self.limits.max_fragment);
        Ok(ServerConfig {
            rustls: Arc::new(c),
            limits: self.limits,
            handshake_timeout: self.handshake_timeout,
        })
    }
}

/// A TLS client configuration, cheap to clone; clones share the session
/// cache, so later connections to the same server resume.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub(crate) rustls: Arc<rustls::ClientConfig>,
    pub(crate) limits: Limits,
    pub(crate) handshake_timeout: Duration,
}

impl ClientConfig {
    /// Starts a client configuration with `provider`'s cryptography.
    /// Verification is on: add roots with [`ClientConfigBuilder::roots`].
    pub fn builder(provider: Arc<CryptoProvider>) -> ClientConfigBuilder {
        ClientConfigBuilder {
            provider,
            time: None,
            roots: RootCertStore::empty(),
            client_cert: None,
            alpn: Vec::new(),
            versions: TlsVersions::default(),
            limits: Limits::default(),
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            resumption_sessions: 32,
            danger_no_verify: false,
        }
    }
    /// Wraps a rustls configuration built elsewhere.
    pub fn from_rustls(
        rustls: Arc<rustls::ClientConfig>,
        limits: Limits,
        handshake_timeout: Duration,
    ) -> Self {
        ClientConfig {
            rustls,
            limits,
            handshake_timeout,
        }
    }
    /// The underlying rustls configuration.
    pub fn rustls(&self) -> &Arc<rustls::ClientConfig> {
        &self.rustls
    }
    /// The buffer limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }
    /// The handshake timeout.
    pub fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }
}

/// Builds a [`ClientConfig`]; see [`ClientConfig::builder`].
#[derive(Debug)]
pub struct ClientConfigBuilder {
    provider: Arc<CryptoProvider>,
    time: Option<Arc<dyn TimeProvider>>,
    roots: RootCertStore,
    client_cert: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    alpn: Vec<Vec<u8>>,
    versions: TlsVersions,
    limits: Limits,
    handshake_timeout: Duration,
    resumption_sessions: usize,
    danger_no_verify: bool,
}

impl ClientConfigBuilder {
    /// The trusted roots (CA certificates) the server must chain to.
    pub fn roots(mut self, roots: RootCertStore) -> Self {
        self.roots = roots;
        self
    }
    /// Our certificate chain and key, for servers that ask (mutual TLS).
    pub fn client_cert(
        mut self,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Self {
        self.client_cert = Some((chain, key));
        self
    }
    /// ALPN protocols to offer, in order of preference.
    pub fn alpn(mut self, protocols: &[&[u8]]) -> Self {
        self.alpn = protocols.iter().map(|p| p.to_vec()).collect();
        self
    }
    /// TLS versions offered.
    pub fn versions(mut self, v: TlsVersions) -> Self {
        self.versions = v;
        self
    }
    /// Buffer limits.
    pub fn limits(mut self, l: Limits) -> Self {
        self.limits = l;
        self
    }
    /// How long `connect` waits for the handshake.
    pub fn handshake_timeout(mut self, d: Duration) -> Self {
        self.handshake_timeout = d;
        self
    }
    /// How many servers' session tickets to remember for resumption (0
    /// turns resumption off). Needs `std`; without it resumption is off
    /// unless a rustls session store is set through
    /// [`ClientConfig::from_rustls`].
    pub fn resumption(mut self, sessions: usize) -> Self {
        self.resumption_sessions = sessions;
        self
    }
    /// The wall clock used to check certificate validity (required without `std`).
    pub fn time_provider(mut self, t: Arc<dyn TimeProvider>) -> Self {
        self.time = Some(t);
        self
    }
    /// **Dangerous**: accepts any server certificate for any name (the
    /// handshake signature is still checked, so the connection is encrypted
    /// to *someone*). For lab tests only; never in a product.
    pub fn danger_accept_any_server_certificate(mut self) -> Self {
        self.danger_no_verify = true;
        self
    }
    /// Builds the configuration.
    pub fn build(self) -> Result<ClientConfig, ConfigError> {
        self.limits.check()?;
        let time = time_provider(self.time)?;
        let b = rustls::ClientConfig::builder_with_details(self.provider.clone(), time)
            .with_protocol_versions(self.versions.list())
            .map_err(|_| ConfigError::UnsupportedVersions)?;
        let b = if self.danger_no_verify {
            b.dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyServerCert(
                    self.provider.clone(),
                )))
        } else if self.roots.is_empty() {
            return Err(ConfigError::NoRoots);
        } else {
            b.with_root_certificates(self.roots)
        };
        let mut c = match self.client_cert {
            Some((chain, key)) => b
                .with_client_auth_cert(chain, key)
                .map_err(|e| key_error(&e))?,
            None => b.with_no_client_auth(),
        };
        c.alpn_protocols = self.alpn;
        c.max_fragment_size = Some(self.limits.max_fragment);
        c.enable_sni = true;
        c.resumption = resumption(self.resumption_sessions);
        Ok(ClientConfig {
            rustls: Arc::new(c),
            limits: self.limits,
            handshake_timeout: self.handshake_timeout,
        })
    }
}

#[cfg(feature = "std")]
fn resumption(sessions: usize) -> rustls::client::Resumption {
    if sessions == 0 {
        rustls::client::Resumption::disabled()
    } else {
        rustls::client::Resumption::in_memory_sessions(sessions)
    }
}

#[cfg(not(feature = "std"))]
fn resumption(_sessions: usize) -> rustls::client::Resumption {
    rustls::client::Resumption::disabled()
}

/// The verifier behind `danger_accept_any_server_certificate`.
#[derive(Debug)]
struct AcceptAnyServerCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyServerCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// PEM text to DER items (certificates and keys as files hold them).
pub mod pem {
    use alloc::vec::Vec;

    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    use super::ConfigError;

    /// Every `CERTIFICATE` in `pem`, in order; at least one.
    pub fn certs(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| ConfigError::BadPem)?;
        if certs.is_empty() {
            return Err(ConfigError::BadPem);
        }
        Ok(certs)
    }

    /// The first private key (PKCS#8, SEC1 EC or PKCS#1 RSA) in `pem`.
    pub fn private_key(pem: &[u8]) -> Result<PrivateKeyDer<'static>, ConfigError> {
        PrivateKeyDer::from_pem_slice(pem).map_err(|_| ConfigError::BadPem)
    }
}
