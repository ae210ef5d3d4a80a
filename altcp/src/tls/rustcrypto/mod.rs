//! A pure-Rust rustls [`CryptoProvider`] on RustCrypto primitives, for
//! microcontrollers (feature `tls-rustcrypto`).
//!
//! rustls's own providers (`ring`, `aws-lc-rs`) need a C compiler and
//! `getrandom`; this one is Rust only, `no_std` + `alloc`, and takes its
//! randomness from an entropy source the board supplies (the MCU's TRNG):
//! any `&'static` [`SecureRandom`]. With `std`, [`os_provider`] uses the
//! operating system's generator.
//!
//! | | supported | not supported |
//! |---|---|---|
//! | protocol | TLS 1.3 | TLS 1.2 (a configuration that allows both negotiates 1.3 and refuses 1.2-only peers) |
//! | cipher suites | `TLS13_AES_128_GCM_SHA256`, `TLS13_CHACHA20_POLY1305_SHA256`, `TLS13_AES_256_GCM_SHA384` | CCM |
//! | key exchange | X25519, secp256r1 (P-256) | P-384/P-521 ECDH, FFDHE, post-quantum hybrids |
//! | verifying (certificates and handshakes) | ECDSA P-256 with SHA-256/SHA-384, Ed25519; ECDSA P-384 with feature `tls-rustcrypto-p384` | RSA (PKCS#1 v1.5 and PSS) |
//! | our own key (server certificate or client certificate) | ECDSA P-256 (PKCS#8 or SEC1), Ed25519 (PKCS#8) | RSA, ECDSA P-384 |
//!
//! P-384 is a separate feature because its portable field arithmetic is
//! large: about 94 KB of flash on thumbv7em, more than rustls itself. Most
//! public and private CAs that issue ECDSA certificates use P-256 or
//! P-384; a device that must accept chains under a P-384 CA turns it on.
//!
//! The primitives are the RustCrypto crates (`aes-gcm`, `chacha20poly1305`,
//! `sha2`, `hmac`, `p256`, `p384`) and dalek's `x25519-dalek` and
//! `ed25519-dalek`, all in portable constant-time Rust; TLS 1.3's HKDF is
//! rustls's `HkdfUsingHmac` over the HMAC here. ECDSA signatures use RFC
//! 6979 deterministic nonces. The crates are not audited as a TLS stack;
//! the glue here is tested against RFC vectors, rustls's `ring` provider,
//! OpenSSL and embedded-tls.
//!
//! ## Example
//! ```
//! use petrel_altcp::tls::rustcrypto::RustCrypto;
//! use petrel_altcp::tls::rustls::crypto::{GetRandomFailed, SecureRandom};
//!
//! /// The board's hardware generator.
//! #[derive(Debug)]
//! struct Trng;
//!
//! impl SecureRandom for Trng {
//!     fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
//!         // Read the chip's TRNG data register here; report a failed
//!         // health test as an error.
//! #       #[cfg(feature = "std")]
//! #       return petrel_altcp::tls::rustcrypto::OsRandom.fill(buf);
//! #       #[cfg(not(feature = "std"))]
//!         Err(GetRandomFailed)
//!     }
//! }
//!
//! static TRNG: Trng = Trng;
//! static CRYPTO: RustCrypto = RustCrypto::new(&TRNG);
//!
//! let provider = std::sync::Arc::new(CRYPTO.provider());
//! // Pass it to tls::ServerConfig::builder / tls::ClientConfig::builder
//! // (with a time provider when there is no `std`).
//! # #[cfg(feature = "std")]
//! # {
//! use petrel_altcp::tls::rustls::crypto::SupportedKxGroup;
//! let kx = provider.kx_groups[0].start().unwrap();
//! assert_eq!(kx.pub_key().len(), 32);
//! # }
//! ```

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use core::num::NonZeroU32;

use rand_core::{CryptoRng, RngCore};
use rustls::crypto::{CryptoProvider, SecureRandom};
use rustls::{CipherSuite, CipherSuiteCommon, SupportedCipherSuite, Tls13CipherSuite};

mod aead;
mod hash;
mod kx;
mod sign;
mod verify;

/// The crypto of a TLS endpoint: one entropy source and the key-exchange
/// groups that draw from it. Lives in a `static` (rustls keeps `'static`
/// references to the groups); build providers from it with
/// [`RustCrypto::provider`].
pub struct RustCrypto {
    random: &'static dyn SecureRandom,
    x25519: kx::X25519,
    secp256r1: kx::Secp256r1,
}

impl fmt::Debug for RustCrypto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RustCrypto")
            .field("random", &self.random)
            .finish_non_exhaustive()
    }
}

impl RustCrypto {
    /// Crypto whose every random byte (ephemeral keys, TLS randoms,
    /// session IDs) comes from `random`.
    pub const fn new(random: &'static dyn SecureRandom) -> Self {
        RustCrypto {
            random,
            x25519: kx::X25519 { random },
            secp256r1: kx::Secp256r1 { random },
        }
    }

    /// A rustls provider with everything this module supports: the
    /// [`CIPHER_SUITES`] in that order of preference, X25519 then
    /// secp256r1, ECDSA/Ed25519 verification and ECDSA P-256/Ed25519 keys.
    /// Narrow it by editing its public fields (`cipher_suites`,
    /// `kx_groups`) before use.
    pub fn provider(&'static self) -> CryptoProvider {
        CryptoProvider {
            cipher_suites: CIPHER_SUITES.to_vec(),
            kx_groups: vec![&self.x25519, &self.secp256r1],
            signature_verification_algorithms: verify::ALGORITHMS,
            secure_random: self.random,
            key_provider: &sign::Keys,
        }
    }
}

/// [`RustCrypto`] over the operating system's generator (`getrandom`).
#[cfg(feature = "std")]
pub fn os_provider() -> CryptoProvider {
    static OS: RustCrypto = RustCrypto::new(&OsRandom);
    OS.provider()
}

/// The operating system's generator as a rustls [`SecureRandom`] (feature
/// `std`).
#[cfg(feature = "std")]
#[derive(Copy, Clone, Debug, Default)]
pub struct OsRandom;

#[cfg(feature = "std")]
impl SecureRandom for OsRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), rustls::crypto::GetRandomFailed> {
        rand_core::OsRng
            .try_fill_bytes(buf)
            .map_err(|_| rustls::crypto::GetRandomFailed)
    }
}

/// TLS 1.3 with AES-128-GCM and SHA-256.
pub static TLS13_AES_128_GCM_SHA256: SupportedCipherSuite =
    SupportedCipherSuite::Tls13(&Tls13CipherSuite {
        common: CipherSuiteCommon {
            suite: CipherSuite::TLS13_AES_128_GCM_SHA256,
            hash_provider: &hash::SHA256,
            // 2^24 full records per key (rustls's figure for AES-GCM).
            confidentiality_limit: 1 << 24,
        },
        hkdf_provider: &hash::HKDF_SHA256,
        aead_alg: &aead::AES_128_GCM,
        quic: None,
    });

/// TLS 1.3 with ChaCha20-Poly1305 and SHA-256.
pub static TLS13_CHACHA20_POLY1305_SHA256: SupportedCipherSuite =
    SupportedCipherSuite::Tls13(&Tls13CipherSuite {
        common: CipherSuiteCommon {
            suite: CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
            hash_provider: &hash::SHA256,
            confidentiality_limit: u64::MAX,
        },
        hkdf_provider: &hash::HKDF_SHA256,
        aead_alg: &aead::CHACHA20_POLY1305,
        quic: None,
    });

/// TLS 1.3 with AES-256-GCM and SHA-384.
pub static TLS13_AES_256_GCM_SHA384: SupportedCipherSuite =
    SupportedCipherSuite::Tls13(&Tls13CipherSuite {
        common: CipherSuiteCommon {
            suite: CipherSuite::TLS13_AES_256_GCM_SHA384,
            hash_provider: &hash::SHA384,
            confidentiality_limit: 1 << 24,
        },
        hkdf_provider: &hash::HKDF_SHA384,
        aead_alg: &aead::AES_256_GCM,
        quic: None,
    });

/// Every cipher suite here, in our order of preference: AES-128-GCM (the
/// cheapest on a Cortex-M without AES hardware after ChaCha20, and what
/// every peer has), ChaCha20-Poly1305, AES-256-GCM.
pub static CIPHER_SUITES: &[SupportedCipherSuite] = &[
    TLS13_AES_128_GCM_SHA256,
    TLS13_CHACHA20_POLY1305_SHA256,
    TLS13_AES_256_GCM_SHA384,
];

/// A `rand_core` generator over a [`SecureRandom`], for the crates that
/// generate ephemeral keys. A failed fill is remembered and reported by
/// [`Rng::check`], which the caller runs before using what it generated.
pub(crate) struct Rng<'a> {
    random: &'a dyn SecureRandom,
    failed: bool,
}

impl<'a> Rng<'a> {
    pub(crate) fn new(random: &'a dyn SecureRandom) -> Self {
        Rng {
            random,
            failed: false,
        }
    }
    /// `FailedToGetRandomBytes` if any fill failed.
    pub(crate) fn check(&self) -> Result<(), rustls::Error> {
        if self.failed {
            Err(rustls::Error::FailedToGetRandomBytes)
        } else {
            Ok(())
        }
    }
}

impl RngCore for Rng<'_> {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        if self.random.fill(dest).is_err() {
            self.failed = true;
            // Never used as key material (`check` fails first): a fixed
            // non-zero filler only so that the key generators' rejection
            // loops (which retry on a zero scalar) end.
            dest.fill(0x01);
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        if self.failed {
            Err(rand_core::Error::from(NonZeroU32::MIN))
        } else {
            Ok(())
        }
    }
}

impl CryptoRng for Rng<'_> {}

/// Every signature scheme the provider verifies, for tests and docs.
pub fn verify_schemes() -> Vec<rustls::SignatureScheme> {
    verify::ALGORITHMS.supported_schemes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::crypto::GetRandomFailed;

    #[derive(Debug)]
    struct Broken;
    impl SecureRandom for Broken {
        fn fill(&self, _buf: &mut [u8]) -> Result<(), GetRandomFailed> {
            Err(GetRandomFailed)
        }
    }

    #[test]
    fn a_failing_entropy_source_fails_key_generation_cleanly() {
        static BROKEN: Broken = Broken;
        static CRYPTO: RustCrypto = RustCrypto::new(&BROKEN);
        let p = CRYPTO.provider();
        for g in &p.kx_groups {
            assert!(matches!(
                g.start().map(|_| ()),
                Err(rustls::Error::FailedToGetRandomBytes)
            ));
        }
        assert!(p.secure_random.fill(&mut [0u8; 4]).is_err());
        assert_eq!(p.cipher_suites.len(), 3);
        let _ = p.kx_groups[0].name();
    }

    #[test]
    fn provider_lists_what_the_docs_say() {
        static BROKEN: Broken = Broken;
        static CRYPTO: RustCrypto = RustCrypto::new(&BROKEN);
        let p = CRYPTO.provider();
        let names: Vec<_> = p.kx_groups.iter().map(|g| g.name()).collect();
        assert_eq!(
            names,
            [rustls::NamedGroup::X25519, rustls::NamedGroup::secp256r1]
        );
        let suites: Vec<_> = p.cipher_suites.iter().map(|s| s.suite()).collect();
        assert_eq!(
            suites,
            [
                CipherSuite::TLS13_AES_128_GCM_SHA256,
                CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
                CipherSuite::TLS13_AES_256_GCM_SHA384
            ]
        );
        let schemes = verify_schemes();
        for s in [
            rustls::SignatureScheme::ECDSA_NISTP256_SHA256,
            rustls::SignatureScheme::ED25519,
        ] {
            assert!(schemes.contains(&s), "{s:?}");
        }
        assert!(!p.fips());
    }
}
