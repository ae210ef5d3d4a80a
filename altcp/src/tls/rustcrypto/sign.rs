//! Private keys ([`KeyProvider`]) and signing: ECDSA P-256 with SHA-256
//! (PKCS#8 or SEC1 keys, DER signatures, RFC 6979 deterministic nonces)
//! and Ed25519 (PKCS#8).

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use rustls::crypto::KeyProvider;
use rustls::pki_types::{PrivateKeyDer, SubjectPublicKeyInfoDer, alg_id};
use rustls::sign::{Signer, SigningKey, public_key_to_spki};
use rustls::{Error, SignatureAlgorithm, SignatureScheme};

/// Loads the private keys this provider signs with.
#[derive(Debug)]
pub(crate) struct Keys;

impl KeyProvider for Keys {
    fn load_private_key(
        &self,
        key_der: PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn SigningKey>, Error> {
        // One `pkcs8` crate serves both key types.
        use p256::pkcs8::DecodePrivateKey as _;
        match &key_der {
            PrivateKeyDer::Pkcs8(der) => {
                if let Ok(k) = p256::ecdsa::SigningKey::from_pkcs8_der(der.secret_pkcs8_der()) {
                    return Ok(Arc::new(EcdsaP256Key(k)));
                }
                if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_der(der.secret_pkcs8_der()) {
                    return Ok(Arc::new(Ed25519Key(k)));
                }
                Err(Error::General(
                    "unsupported PKCS#8 key (ECDSA P-256 or Ed25519 only)".into(),
                ))
            }
            PrivateKeyDer::Sec1(der) => p256::SecretKey::from_sec1_der(der.secret_sec1_der())
                .map(|k| Arc::new(EcdsaP256Key(k.into())) as Arc<dyn SigningKey>)
                .map_err(|_| Error::General("unsupported SEC1 key (P-256 only)".into())),
            _ => Err(Error::General(
                "unsupported key type (ECDSA P-256 or Ed25519 only)".into(),
            )),
        }
    }
}

/// An ECDSA P-256 signing key.
struct EcdsaP256Key(p256::ecdsa::SigningKey);

impl fmt::Debug for EcdsaP256Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EcdsaP256Key")
    }
}

impl SigningKey for EcdsaP256Key {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        offered
            .contains(&SignatureScheme::ECDSA_NISTP256_SHA256)
            .then(|| Box::new(EcdsaP256Signer(self.0.clone())) as Box<dyn Signer>)
    }
    fn public_key(&self) -> Option<SubjectPublicKeyInfoDer<'_>> {
        let point = self.0.verifying_key().to_encoded_point(false);
        Some(public_key_to_spki(&alg_id::ECDSA_P256, point.as_bytes()))
    }
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::ECDSA
    }
}

struct EcdsaP256Signer(p256::ecdsa::SigningKey);

impl fmt::Debug for EcdsaP256Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EcdsaP256Signer")
    }
}

impl Signer for EcdsaP256Signer {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        use p256::ecdsa::signature::Signer as _;
        let sig: p256::ecdsa::Signature = self
            .0
            .try_sign(message)
            .map_err(|_| Error::General("ECDSA signing failed".into()))?;
        Ok(sig.to_der().as_bytes().to_vec())
    }
    fn scheme(&self) -> SignatureScheme {
        SignatureScheme::ECDSA_NISTP256_SHA256
    }
}

/// An Ed25519 signing key.
struct Ed25519Key(ed25519_dalek::SigningKey);

impl fmt::Debug for Ed25519Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ed25519Key")
    }
}

impl SigningKey for Ed25519Key {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        offered
            .contains(&SignatureScheme::ED25519)
            .then(|| Box::new(Ed25519Signer(self.0.clone())) as Box<dyn Signer>)
    }
    fn public_key(&self) -> Option<SubjectPublicKeyInfoDer<'_>> {
        Some(public_key_to_spki(
            &alg_id::ED25519,
            self.0.verifying_key().as_bytes(),
        ))
    }
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::ED25519
    }
}

struct Ed25519Signer(ed25519_dalek::SigningKey);

impl fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ed25519Signer")
    }
}

impl Signer for Ed25519Signer {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        use ed25519_dalek::Signer as _;
        let sig = self
            .0
            .try_sign(message)
            .map_err(|_| Error::General("Ed25519 signing failed".into()))?;
        Ok(sig.to_bytes().to_vec())
    }
    fn scheme(&self) -> SignatureScheme {
        SignatureScheme::ED25519
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::{PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};

    #[test]
    fn keys_of_other_types_and_garbage_are_refused_with_an_error() {
        let bad = [
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(alloc::vec![
                0x30, 0x03, 0x02, 0x01
            ])),
            PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(alloc::vec![1, 2, 3])),
            PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(alloc::vec![0x30, 0x00])),
        ];
        for k in bad {
            assert!(matches!(Keys.load_private_key(k), Err(Error::General(_))));
        }
    }
}
