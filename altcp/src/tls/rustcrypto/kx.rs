//! Ephemeral ECDH key exchange: X25519 (`x25519-dalek`) and secp256r1
//! (`p256`), with secrets drawn from the provider's entropy source.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

use rustls::crypto::{ActiveKeyExchange, SecureRandom, SharedSecret, SupportedKxGroup};
use rustls::{Error, NamedGroup, PeerMisbehaved};

use super::Rng;

/// X25519 (RFC 7748) over the given entropy source.
pub(crate) struct X25519 {
    pub(crate) random: &'static dyn SecureRandom,
}

impl fmt::Debug for X25519 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("X25519")
    }
}

impl SupportedKxGroup for X25519 {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        let mut rng = Rng::new(self.random);
        let secret = x25519_dalek::EphemeralSecret::random_from_rng(&mut rng);
        rng.check()?;
        let public = x25519_dalek::PublicKey::from(&secret);
        Ok(Box::new(X25519Exchange {
            secret,
            public: *public.as_bytes(),
        }))
    }
    fn ffdhe_group(&self) -> Option<rustls::ffdhe_groups::FfdheGroup<'static>> {
        None
    }
    fn name(&self) -> NamedGroup {
        NamedGroup::X25519
    }
}

struct X25519Exchange {
    secret: x25519_dalek::EphemeralSecret,
    public: [u8; 32],
}

impl ActiveKeyExchange for X25519Exchange {
    fn complete(self: Box<Self>, peer: &[u8]) -> Result<SharedSecret, Error> {
        let peer: [u8; 32] = peer
            .try_into()
            .map_err(|_| Error::from(PeerMisbehaved::InvalidKeyShare))?;
        let shared = self
            .secret
            .diffie_hellman(&x25519_dalek::PublicKey::from(peer));
        // RFC 8446 §7.4.2: an all-zero result (a small-order peer point)
        // must be refused.
        if !shared.was_contributory() {
            return Err(PeerMisbehaved::InvalidKeyShare.into());
        }
        Ok(SharedSecret::from(&shared.as_bytes()[..]))
    }
    fn pub_key(&self) -> &[u8] {
        &self.public
    }
    fn ffdhe_group(&self) -> Option<rustls::ffdhe_groups::FfdheGroup<'static>> {
        None
    }
    fn group(&self) -> NamedGroup {
        NamedGroup::X25519
    }
}

/// secp256r1 (NIST P-256) ECDH over the given entropy source.
pub(crate) struct Secp256r1 {
    pub(crate) random: &'static dyn SecureRandom,
}

impl fmt::Debug for Secp256r1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("secp256r1")
    }
}

impl SupportedKxGroup for Secp256r1 {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        let mut rng = Rng::new(self.random);
        let secret = p256::ecdh::EphemeralSecret::random(&mut rng);
        rng.check()?;
        let public = p256::EncodedPoint::from(secret.public_key())
            .as_bytes()
            .to_vec();
        Ok(Box::new(Secp256r1Exchange { secret, public }))
    }
    fn ffdhe_group(&self) -> Option<rustls::ffdhe_groups::FfdheGroup<'static>> {
        None
    }
    fn name(&self) -> NamedGroup {
        NamedGroup::secp256r1
    }
}

struct Secp256r1Exchange {
    secret: p256::ecdh::EphemeralSecret,
    /// Our share: the uncompressed point (65 bytes).
    public: Vec<u8>,
}

impl ActiveKeyExchange for Secp256r1Exchange {
    fn complete(self: Box<Self>, peer: &[u8]) -> Result<SharedSecret, Error> {
        // RFC 8446 §4.2.8.2: the uncompressed form only; `from_sec1_bytes`
        // checks the point is on the curve and not the identity.
        if peer.len() != 65 || peer.first() != Some(&0x04) {
            return Err(PeerMisbehaved::InvalidKeyShare.into());
        }
        let peer = p256::PublicKey::from_sec1_bytes(peer)
            .map_err(|_| Error::from(PeerMisbehaved::InvalidKeyShare))?;
        let shared = self.secret.diffie_hellman(&peer);
        Ok(SharedSecret::from(&shared.raw_secret_bytes()[..]))
    }
    fn pub_key(&self) -> &[u8] {
        &self.public
    }
    fn ffdhe_group(&self) -> Option<rustls::ffdhe_groups::FfdheGroup<'static>> {
        None
    }
    fn group(&self) -> NamedGroup {
        NamedGroup::secp256r1
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::super::OsRandom;
    use super::*;

    static OS: OsRandom = OsRandom;

    #[test]
    fn both_sides_agree_and_bad_shares_are_refused() {
        let groups: [&dyn SupportedKxGroup; 2] =
            [&X25519 { random: &OS }, &Secp256r1 { random: &OS }];
        for g in groups {
            let a = g.start().unwrap();
            let b = g.start().unwrap();
            assert_eq!(a.group(), g.name());
            let b_pub = b.pub_key().to_vec();
            let a_pub = a.pub_key().to_vec();
            assert_ne!(a_pub, b_pub);
            let s1 = a.complete(&b_pub).unwrap();
            let s2 = b.complete(&a_pub).unwrap();
            assert_eq!(s1.secret_bytes(), s2.secret_bytes());
            assert_eq!(s1.secret_bytes().len(), 32);

            // Wrong lengths, an off-curve point, the zero point.
            let mut off_curve = a_pub.clone();
            *off_curve.last_mut().unwrap() ^= 1;
            let bad: [&[u8]; 5] = [&[], &a_pub[..10], &[0u8; 32], &[0u8; 65], &off_curve];
            for peer in bad {
                let k = g.start().unwrap();
                let r = k.complete(peer);
                if g.name() == NamedGroup::X25519 && peer.len() == 32 && peer != [0u8; 32] {
                    // Any 32 bytes are an X25519 public key.
                    continue;
                }
                assert!(
                    matches!(
                        r,
                        Err(Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare))
                    ),
                    "{:?} {peer:02x?}",
                    g.name()
                );
            }
        }
    }
}
