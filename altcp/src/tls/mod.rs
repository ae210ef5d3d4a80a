//! TLS over any altcp [`Stream`](crate::Stream) — lwIP's `altcp_tls`, safe
//! by default.
//!
//! - [`TlsError`] (always available): the typed reason of every TLS failure,
//!   carried by [`Error::Tls`](crate::Error::Tls).
//! - Feature `tls`: server and client on rustls 0.23's *unbuffered* API,
//!   which needs `alloc` but not `std`: [`TlsAcceptor`] (a
//!   [`Listener`](crate::Listener)), [`accept`], [`connect`],
//!   [`TlsConnector`], and [`TlsStream`] (a `Stream`).
//! - Feature `embedded-tls`: a TLS 1.3 client with no heap, `embedded::connect`.
//!
//! Safe defaults: certificates are verified (turning that off is the
//! explicitly named `danger_accept_any_server_certificate`); SNI is sent;
//! `close_notify` is sent by `shutdown`/`close`; a transport close without
//! the peer's `close_notify` is [`Error::Truncated`](crate::Error::Truncated),
//! never a clean end of stream; every buffer is bounded by [`Limits`].
//!
//! ## Crypto providers
//! rustls needs a `CryptoProvider`. On the host, feature `tls-ring` enables
//! rustls's `ring` provider ([`ring_provider`]). On a Cortex-M target ring
//! does not build (C code, `getrandom`); feature `tls-rustcrypto` adds our
//! own pure-Rust provider, `rustcrypto` (TLS 1.3, X25519/P-256, ECDSA and
//! Ed25519, entropy from the board's TRNG). An MCU build passes its
//! provider to [`ServerConfig::builder`] / [`ClientConfig::builder`] and,
//! without `std`, a `TimeProvider` (RTC or SNTP time) for certificate
//! validity. The no-heap client for MCUs is embedded-tls (feature
//! `embedded-tls`).
//!
//! ## Example
//! ```no_run
//! # #[cfg(feature = "tls-ring")]
//! # async fn f<N: petrel_netcore::Network>(net: &N, ca: &[u8]) -> Result<(), petrel_altcp::Error> {
//! use petrel_altcp::{Stream, Tcp, tls};
//! use embedded_io_async::{Read, Write};
//!
//! let roots = tls::root_store(&tls::pem::certs(ca).unwrap()).unwrap();
//! let config = tls::ClientConfig::builder(tls::ring_provider())
//!     .roots(roots)
//!     .alpn(&[b"http/1.1"])
//!     .build()
//!     .unwrap();
//! let tcp = net.tcp_connect("198.51.100.1:443".parse().unwrap(), Default::default()).await?;
//! let mut s = tls::connect(Tcp::new(tcp), "device.example", &config, net).await?;
//! s.write_all(b"GET / HTTP/1.1\r\nHost: device.example\r\n\r\n").await?;
//! let mut buf = [0u8; 512];
//! let n = s.read(&mut buf).await?;
//! s.close().await?; // close_notify, then FIN
//! # let _ = n; Ok(()) }
//! ```

mod error;
pub use error::TlsError;

#[cfg(feature = "tls")]
mod config;
#[cfg(feature = "tls")]
mod handshake;
#[cfg(feature = "tls")]
mod stream;

#[cfg(feature = "tls")]
pub use config::{
    ClientAuth, ClientConfig, ClientConfigBuilder, ConfigError, DEFAULT_HANDSHAKE_TIMEOUT, Limits,
    MAX_WIRE_RECORD, ServerConfig, ServerConfigBuilder, TlsVersions, pem, root_store,
};
#[cfg(feature = "tls")]
pub use handshake::{
    ClientTlsStream, ServerTlsStream, TlsAcceptor, TlsConnector, accept, connect, log_failure,
};
/// rustls itself, for options this layer does not wrap.
#[cfg(feature = "tls")]
pub use rustls;
#[cfg(feature = "tls")]
pub use stream::{Side, TlsStream};

/// rustls's `ring` crypto provider (feature `tls-ring`).
#[cfg(feature = "tls-ring")]
pub fn ring_provider() -> alloc::sync::Arc<rustls::crypto::CryptoProvider> {
    alloc::sync::Arc::new(rustls::crypto::ring::default_provider())
}

#[cfg(feature = "embedded-tls")]
pub mod embedded;

#[cfg(feature = "tls-rustcrypto")]
pub mod rustcrypto;
