//! Signature verification for certificates and handshake signatures:
//! ECDSA over P-256 (and P-384 with feature `tls-rustcrypto-p384`), DER
//! signatures over SHA-256 or SHA-384, and Ed25519. RSA is not supported.

use rustls::SignatureScheme;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{
    AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm, alg_id,
};

use sha2_010::{Digest, Sha256, Sha384};

/// Which curve an ECDSA algorithm verifies on.
#[derive(Copy, Clone, Debug)]
enum Curve {
    P256,
    #[cfg(feature = "tls-rustcrypto-p384")]
    P384,
}

/// Which hash an ECDSA algorithm signs.
#[derive(Copy, Clone, Debug)]
enum Hash {
    Sha256,
    Sha384,
}

/// ECDSA on `curve` over `hash` of the message.
#[derive(Debug)]
struct Ecdsa {
    curve: Curve,
    hash: Hash,
}

impl Ecdsa {
    fn verify(&self, public_key: &[u8], message: &[u8], sig: &[u8]) -> Result<(), ()> {
        use p256::ecdsa::signature::hazmat::PrehashVerifier;
        // The hash the signer signed; ECDSA truncates it to the curve's
        // order length (FIPS 186-4 §6.4), which `verify_prehash` does.
        let mut digest = [0u8; 48];
        let n = match self.hash {
            Hash::Sha256 => copy(&mut digest, &Sha256::digest(message)),
            Hash::Sha384 => copy(&mut digest, &Sha384::digest(message)),
        };
        let digest = digest.get(..n).ok_or(())?;
        match self.curve {
            Curve::P256 => {
                let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(public_key).map_err(|_| ())?;
                let sig = p256::ecdsa::Signature::from_der(sig).map_err(|_| ())?;
                key.verify_prehash(digest, &sig).map_err(|_| ())
            }
            #[cfg(feature = "tls-rustcrypto-p384")]
            Curve::P384 => {
                let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(public_key).map_err(|_| ())?;
                let sig = p384::ecdsa::Signature::from_der(sig).map_err(|_| ())?;
                key.verify_prehash(digest, &sig).map_err(|_| ())
            }
        }
    }
}

fn copy(dst: &mut [u8], src: &[u8]) -> usize {
    dst.iter_mut().zip(src).for_each(|(d, s)| *d = *s);
    src.len().min(dst.len())
}

impl SignatureVerificationAlgorithm for Ecdsa {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        self.verify(public_key, message, signature)
            .map_err(|()| InvalidSignature)
    }
    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        match self.curve {
            Curve::P256 => alg_id::ECDSA_P256,
            #[cfg(feature = "tls-rustcrypto-p384")]
            Curve::P384 => alg_id::ECDSA_P384,
        }
    }
    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        match self.hash {
            Hash::Sha256 => alg_id::ECDSA_SHA256,
            Hash::Sha384 => alg_id::ECDSA_SHA384,
        }
    }
}

/// Ed25519 (RFC 8032).
#[derive(Debug)]
struct Ed25519;

impl SignatureVerificationAlgorithm for Ed25519 {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        use ed25519_dalek::Verifier;
        let key: &[u8; 32] = public_key.try_into().map_err(|_| InvalidSignature)?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(key).map_err(|_| InvalidSignature)?;
        let sig = ed25519_dalek::Signature::from_slice(signature).map_err(|_| InvalidSignature)?;
        key.verify(message, &sig).map_err(|_| InvalidSignature)
    }
    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ED25519
    }
    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ED25519
    }
}

static ECDSA_P256_SHA256: Ecdsa = Ecdsa {
    curve: Curve::P256,
    hash: Hash::Sha256,
};
static ECDSA_P256_SHA384: Ecdsa = Ecdsa {
    curve: Curve::P256,
    hash: Hash::Sha384,
};
#[cfg(feature = "tls-rustcrypto-p384")]
static ECDSA_P384_SHA384: Ecdsa = Ecdsa {
    curve: Curve::P384,
    hash: Hash::Sha384,
};
#[cfg(feature = "tls-rustcrypto-p384")]
static ECDSA_P384_SHA256: Ecdsa = Ecdsa {
    curve: Curve::P384,
    hash: Hash::Sha256,
};
static ED25519: Ed25519 = Ed25519;

/// What the provider verifies: certificate signatures (`all`) and TLS
/// handshake signatures (`mapping`; in TLS 1.3 each ECDSA scheme names its
/// curve, in TLS 1.2 it does not, so rustls tries each listed algorithm).
#[cfg(feature = "tls-rustcrypto-p384")]
pub(crate) static ALGORITHMS: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[
        &ECDSA_P256_SHA256,
        &ECDSA_P256_SHA384,
        &ECDSA_P384_SHA384,
        &ECDSA_P384_SHA256,
        &ED25519,
    ],
    mapping: &[
        (
            SignatureScheme::ECDSA_NISTP256_SHA256,
            &[&ECDSA_P256_SHA256, &ECDSA_P384_SHA256],
        ),
        (
            SignatureScheme::ECDSA_NISTP384_SHA384,
            &[&ECDSA_P384_SHA384, &ECDSA_P256_SHA384],
        ),
        (SignatureScheme::ED25519, &[&ED25519]),
    ],
};

/// What the provider verifies without P-384 (the MCU default): no
/// `ecdsa_secp384r1_sha384` handshake scheme is offered, and a P-384 CA's
/// certificate signature is an unsupported algorithm.
#[cfg(not(feature = "tls-rustcrypto-p384"))]
pub(crate) static ALGORITHMS: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[&ECDSA_P256_SHA256, &ECDSA_P256_SHA384, &ED25519],
    mapping: &[
        (
            SignatureScheme::ECDSA_NISTP256_SHA256,
            &[&ECDSA_P256_SHA256],
        ),
        (SignatureScheme::ED25519, &[&ED25519]),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Signer;

    #[test]
    fn ecdsa_p256_sha256_and_ed25519_accept_good_and_refuse_bad_signatures() {
        let sk = p256::ecdsa::SigningKey::from_slice(&[0x11; 32]).unwrap();
        let pk = sk.verifying_key().to_encoded_point(false);
        let msg = b"petrel handshake transcript";
        let sig: p256::ecdsa::Signature = sk.sign(msg);
        let der = sig.to_der();
        let alg: &dyn SignatureVerificationAlgorithm = &ECDSA_P256_SHA256;
        alg.verify_signature(pk.as_bytes(), msg, der.as_bytes())
            .unwrap();
        assert!(
            alg.verify_signature(pk.as_bytes(), b"other", der.as_bytes())
                .is_err()
        );
        let mut bad = der.as_bytes().to_vec();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(alg.verify_signature(pk.as_bytes(), msg, &bad).is_err());
        assert!(alg.verify_signature(pk.as_bytes(), msg, &[]).is_err());
        assert!(alg.verify_signature(&[4; 65], msg, der.as_bytes()).is_err());
        // The wrong curve's algorithm refuses the key.
        #[cfg(feature = "tls-rustcrypto-p384")]
        assert!(
            ECDSA_P384_SHA384
                .verify_signature(pk.as_bytes(), msg, der.as_bytes())
                .is_err()
        );

        let ek = ed25519_dalek::SigningKey::from_bytes(&[0x22; 32]);
        let esig = ed25519_dalek::Signer::sign(&ek, msg);
        let epk = ek.verifying_key().to_bytes();
        ED25519
            .verify_signature(&epk, msg, &esig.to_bytes())
            .unwrap();
        assert!(
            ED25519
                .verify_signature(&epk, b"other", &esig.to_bytes())
                .is_err()
        );
        assert!(
            ED25519
                .verify_signature(&epk[..31], msg, &esig.to_bytes())
                .is_err()
        );
        assert!(
            ED25519
                .verify_signature(&epk, msg, &esig.to_bytes()[..63])
                .is_err()
        );
    }

    /// RFC 8032 §7.1 test 2: a one-byte message.
    #[test]
    fn ed25519_rfc8032_test2() {
        fn h(s: &str) -> alloc::vec::Vec<u8> {
            let s: alloc::string::String = s.split_whitespace().collect();
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect()
        }
        let pk = h("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
        let sig = h(
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da
                     085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        );
        ED25519.verify_signature(&pk, &[0x72], &sig).unwrap();
        assert!(ED25519.verify_signature(&pk, &[0x73], &sig).is_err());
    }
}
