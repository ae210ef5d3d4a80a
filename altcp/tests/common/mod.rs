//! Test PKI (rcgen): a CA, leaf certificates signed by it, and rustls
//! configurations built from them.
#![allow(dead_code, unreachable_pub)]

pub mod host;
pub mod sim;

use petrel_altcp::tls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use petrel_altcp::tls::{self, ClientAuth, ClientConfig, ServerConfig};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// A certificate authority that signs test leaves.
pub struct Ca {
    pub cert: CertificateDer<'static>,
    pub pem: String,
    params: CertificateParams,
    key: KeyPair,
}

/// A leaf certificate with its key.
pub struct Leaf {
    pub chain: Vec<CertificateDer<'static>>,
    pub key_der: Vec<u8>,
    pub cert_pem: String,
    pub key_pem: String,
}

impl Leaf {
    pub fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()))
    }
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        Ca::new_with(name, &rcgen::PKCS_ECDSA_P256_SHA256)
    }

    /// A CA whose own key is of type `alg` (e.g. P-384, Ed25519).
    pub fn new_with(name: &str, alg: &'static rcgen::SignatureAlgorithm) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate_for(alg).unwrap();
        let cert = params.self_signed(&key).unwrap();
        Ca {
            cert: cert.der().clone(),
            pem: cert.pem(),
            params,
            key,
        }
    }

    /// A leaf for `names` (DNS names or IP literals), valid now.
    pub fn leaf(&self, names: &[&str]) -> Leaf {
        self.leaf_valid(names, (2020, 1, 1), (2099, 1, 1))
    }

    /// A leaf for `names` with a key of type `alg`, valid now.
    pub fn leaf_with(&self, names: &[&str], alg: &'static rcgen::SignatureAlgorithm) -> Leaf {
        self.leaf_full(names, (2020, 1, 1), (2099, 1, 1), alg)
    }

    /// A leaf valid only between the given dates.
    pub fn leaf_valid(&self, names: &[&str], from: (i32, u8, u8), to: (i32, u8, u8)) -> Leaf {
        self.leaf_full(names, from, to, &rcgen::PKCS_ECDSA_P256_SHA256)
    }

    fn leaf_full(
        &self,
        names: &[&str],
        from: (i32, u8, u8),
        to: (i32, u8, u8),
        alg: &'static rcgen::SignatureAlgorithm,
    ) -> Leaf {
        let sans: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(sans).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, names.first().copied().unwrap_or("leaf"));
        params.not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
        params.not_after = rcgen::date_time_ymd(to.0, to.1, to.2);
        let key = KeyPair::generate_for(alg).unwrap();
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).unwrap();
        Leaf {
            chain: vec![cert.der().clone()],
            key_der: key.serialize_der(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    pub fn roots(&self) -> tls::rustls::RootCertStore {
        tls::root_store(std::slice::from_ref(&self.cert)).unwrap()
    }
}

pub fn server_config(leaf: &Leaf, auth: ClientAuth) -> ServerConfig {
    ServerConfig::builder(tls::ring_provider())
        .cert_chain(leaf.chain.clone(), leaf.key())
        .client_auth(auth)
        .handshake_timeout(petrel_netcore::Duration::from_secs(3))
        .build()
        .unwrap()
}

pub fn client_config(ca: &Ca) -> ClientConfig {
    ClientConfig::builder(tls::ring_provider())
        .roots(ca.roots())
        .handshake_timeout(petrel_netcore::Duration::from_secs(3))
        .build()
        .unwrap()
}

/// Deterministic test data.
pub fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// Wall-clock Unix seconds, so the embedded-tls client checks validity
/// dates.
pub struct SystemClock;

impl petrel_altcp::tls::embedded::TlsClock for SystemClock {
    fn now() -> Option<u64> {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs())
    }
}
