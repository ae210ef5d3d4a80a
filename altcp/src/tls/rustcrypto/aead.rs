//! TLS 1.3 record protection (RFC 8446 §5.2) with AES-GCM and
//! ChaCha20-Poly1305 from the `aes-gcm` / `chacha20poly1305` crates.
//!
//! Encryption writes the plaintext, the inner content type and the tag
//! into the one buffer rustls's `OutboundOpaqueMessage` owns; decryption
//! works in place in the received record (rustls's `InboundOpaqueMessage`
//! borrows the connection's receive buffer). Nothing else is allocated.

use alloc::boxed::Box;
use core::marker::PhantomData;

use aes_gcm::aead::consts::{U12, U16};
use aes_gcm::aead::{AeadCore, AeadInPlace, KeyInit};
use rustls::crypto::cipher::{
    AeadKey, InboundOpaqueMessage, InboundPlainMessage, Iv, MessageDecrypter, MessageEncrypter,
    Nonce, OutboundOpaqueMessage, OutboundPlainMessage, PrefixedPayload, Tls13AeadAlgorithm,
    UnsupportedOperationError, make_tls13_aad,
};
use rustls::{ConnectionTrafficSecrets, ContentType, Error, ProtocolVersion};

/// The tag length of every AEAD here.
const TAG_LEN: usize = 16;

/// An AEAD cipher TLS 1.3 uses: 12-byte nonce, 16-byte tag.
pub(crate) trait TlsAead:
    AeadInPlace + AeadCore<NonceSize = U12, TagSize = U16> + KeyInit + Send + Sync + 'static
{
    /// Key length in bytes.
    const KEY_LEN: usize;
    /// The keys in rustls's exportable form (kTLS and similar).
    fn secrets(key: AeadKey, iv: Iv) -> ConnectionTrafficSecrets;
}

impl TlsAead for aes_gcm::Aes128Gcm {
    const KEY_LEN: usize = 16;
    fn secrets(key: AeadKey, iv: Iv) -> ConnectionTrafficSecrets {
        ConnectionTrafficSecrets::Aes128Gcm { key, iv }
    }
}

impl TlsAead for aes_gcm::Aes256Gcm {
    const KEY_LEN: usize = 32;
    fn secrets(key: AeadKey, iv: Iv) -> ConnectionTrafficSecrets {
        ConnectionTrafficSecrets::Aes256Gcm { key, iv }
    }
}

impl TlsAead for chacha20poly1305::ChaCha20Poly1305 {
    const KEY_LEN: usize = 32;
    fn secrets(key: AeadKey, iv: Iv) -> ConnectionTrafficSecrets {
        ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv }
    }
}

/// [`Tls13AeadAlgorithm`] for `A`.
pub(crate) struct Tls13Aead<A>(PhantomData<fn() -> A>);

/// AES-128-GCM.
pub(crate) static AES_128_GCM: Tls13Aead<aes_gcm::Aes128Gcm> = Tls13Aead(PhantomData);
/// AES-256-GCM.
pub(crate) static AES_256_GCM: Tls13Aead<aes_gcm::Aes256Gcm> = Tls13Aead(PhantomData);
/// ChaCha20-Poly1305.
pub(crate) static CHACHA20_POLY1305: Tls13Aead<chacha20poly1305::ChaCha20Poly1305> =
    Tls13Aead(PhantomData);

impl<A: TlsAead> Tls13AeadAlgorithm for Tls13Aead<A> {
    fn encrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageEncrypter> {
        Box::new(Tls13Cipher::<A>::new(&key, iv))
    }
    fn decrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageDecrypter> {
        Box::new(Tls13Cipher::<A>::new(&key, iv))
    }
    fn key_len(&self) -> usize {
        A::KEY_LEN
    }
    fn extract_keys(
        &self,
        key: AeadKey,
        iv: Iv,
    ) -> Result<ConnectionTrafficSecrets, UnsupportedOperationError> {
        Ok(A::secrets(key, iv))
    }
}

/// One direction's key and IV.
pub(crate) struct Tls13Cipher<A> {
    /// `None` only if rustls handed us a key of the wrong length (it never
    /// does: it derives `key_len()` bytes); every record then fails.
    aead: Option<A>,
    iv: Iv,
}

impl<A: TlsAead> Tls13Cipher<A> {
    pub(crate) fn new(key: &AeadKey, iv: Iv) -> Self {
        Tls13Cipher {
            aead: A::new_from_slice(key.as_ref()).ok(),
            iv,
        }
    }
}

impl<A: TlsAead> MessageEncrypter for Tls13Cipher<A> {
    fn encrypt(
        &mut self,
        msg: OutboundPlainMessage<'_>,
        seq: u64,
    ) -> Result<OutboundOpaqueMessage, Error> {
        let aead = self.aead.as_ref().ok_or(Error::EncryptError)?;
        let total = self.encrypted_payload_len(msg.payload.len());
        // One buffer, sized for the whole record: TLSInnerPlaintext
        // (content || type), then the tag appended after encryption.
        let mut payload = PrefixedPayload::with_capacity(total);
        payload.extend_from_chunks(&msg.payload);
        payload.extend_from_slice(&msg.typ.to_array());
        let nonce = Nonce::new(&self.iv, seq).0;
        let aad = make_tls13_aad(total);
        let tag = aead
            .encrypt_in_place_detached(&nonce.into(), &aad, payload.as_mut())
            .map_err(|_| Error::EncryptError)?;
        payload.extend_from_slice(&tag);
        Ok(OutboundOpaqueMessage::new(
            ContentType::ApplicationData,
            ProtocolVersion::TLSv1_2,
            payload,
        ))
    }

    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        payload_len + 1 + TAG_LEN
    }
}

impl<A: TlsAead> MessageDecrypter for Tls13Cipher<A> {
    fn decrypt<'a>(
        &mut self,
        mut msg: InboundOpaqueMessage<'a>,
        seq: u64,
    ) -> Result<InboundPlainMessage<'a>, Error> {
        let aead = self.aead.as_ref().ok_or(Error::DecryptError)?;
        let payload = &mut msg.payload;
        let Some(body_len) = payload.len().checked_sub(TAG_LEN) else {
            return Err(Error::DecryptError);
        };
        let nonce = Nonce::new(&self.iv, seq).0;
        let aad = make_tls13_aad(payload.len());
        let (body, tag) = payload.split_at_mut(body_len);
        let tag: [u8; TAG_LEN] = (&*tag).try_into().map_err(|_| Error::DecryptError)?;
        aead.decrypt_in_place_detached(&nonce.into(), &aad, body, &tag.into())
            .map_err(|_| Error::DecryptError)?;
        payload.truncate(body_len);
        msg.into_tls13_unpadded_message()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn hex(s: &str) -> Vec<u8> {
        let s: alloc::string::String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// A cipher for `key` (rustls only hands out 32-byte `AeadKey`s
    /// outside the crate, so 16-byte keys are set directly).
    fn cipher<A: TlsAead>(key: &[u8], iv: [u8; 12]) -> Tls13Cipher<A> {
        Tls13Cipher {
            aead: A::new_from_slice(key).ok(),
            iv: Iv::new(iv),
        }
    }

    /// RFC 8439 §2.8.2: the ChaCha20-Poly1305 AEAD test vector.
    #[test]
    fn chacha20_poly1305_rfc8439() {
        let k = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
        let nonce: [u8; 12] = hex("070000004041424344454647").try_into().unwrap();
        let aad = hex("50515253c0c1c2c3c4c5c6c7");
        let mut text = b"Ladies and Gentlemen of the class of '99: If I could offer you \
only one tip for the future, sunscreen would be it."
            .to_vec();
        let c = chacha20poly1305::ChaCha20Poly1305::new_from_slice(&k).unwrap();
        let tag = c
            .encrypt_in_place_detached(&nonce.into(), &aad, &mut text)
            .unwrap();
        assert_eq!(
            text[..16],
            hex("d31a8d34648e60db7b86afbc53ef7ec2")[..],
            "ciphertext start"
        );
        assert_eq!(tag.as_slice(), hex("1ae10b594f09e26a7e902ecbd0600691"));
    }

    /// NIST GCM spec (McGrew–Viega) test case 4: AES-128, 60-byte text, AAD.
    #[test]
    fn aes128_gcm_nist_case4() {
        let k = hex("feffe9928665731c6d6a8f9467308308");
        let nonce: [u8; 12] = hex("cafebabefacedbaddecaf888").try_into().unwrap();
        let aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let mut text = hex(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72
             1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        );
        let c = aes_gcm::Aes128Gcm::new_from_slice(&k).unwrap();
        let tag = c
            .encrypt_in_place_detached(&nonce.into(), &aad, &mut text)
            .unwrap();
        assert_eq!(
            text,
            hex(
                "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e
                 21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091"
            )
        );
        assert_eq!(tag.as_slice(), hex("5bc94fbc3221a5db94fae95ae7121a47"));
    }

    /// RFC 8448 §3 (simple 1-RTT handshake): the server's application
    /// data record (sequence 1 of its application traffic keys), encrypted
    /// byte for byte by our encrypter and decrypted in place by our
    /// decrypter.
    #[test]
    fn rfc8448_server_application_data_record() {
        let key = hex("9f02283b6c9c07efc26bb9f2ac92e356");
        let iv: [u8; 12] = hex("cf782b88dd83549aadf1e984").try_into().unwrap();
        let payload: Vec<u8> = (0u8..=0x31).collect();
        let record = hex(
            "17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad 36 00 5f c4 a4 69
             32 fc 32 25 d0 5f 82 aa 1b 36 e3 0e fa f9 7d 90 e6 df fc 60 2d cb
             50 1a 59 a8 fc c4 9c 4b f2 e5 f0 a2 1c 00 47 c2 ab f3 32 54 0d d0
             32 e1 67 c2 95 5d",
        );
        let mut enc = cipher::<aes_gcm::Aes128Gcm>(&key, iv);
        let out = enc
            .encrypt(
                OutboundPlainMessage {
                    typ: ContentType::ApplicationData,
                    version: ProtocolVersion::TLSv1_2,
                    payload: payload.as_slice().into(),
                },
                1,
            )
            .unwrap();
        assert_eq!(out.typ, ContentType::ApplicationData);
        assert_eq!(out.payload.as_ref(), &record[5..]);
        assert_eq!(out.encode(), record);

        let mut dec = cipher::<aes_gcm::Aes128Gcm>(&key, iv);
        let mut buf = record[5..].to_vec();
        let msg = InboundOpaqueMessage::new(
            ContentType::ApplicationData,
            ProtocolVersion::TLSv1_2,
            &mut buf,
        );
        let plain = dec.decrypt(msg, 1).unwrap();
        assert_eq!(plain.typ, ContentType::ApplicationData);
        assert_eq!(plain.payload, payload.as_slice());
    }

    fn roundtrip<A: TlsAead>(k: &[u8]) {
        let mut enc = cipher::<A>(k, [7; 12]);
        let mut dec = cipher::<A>(k, [7; 12]);
        let data = [0x5au8; 100];
        let out = enc
            .encrypt(
                OutboundPlainMessage {
                    typ: ContentType::ApplicationData,
                    version: ProtocolVersion::TLSv1_2,
                    payload: data.as_slice().into(),
                },
                5,
            )
            .unwrap();
        let wire = out.payload.as_ref().to_vec();
        assert_eq!(wire.len(), enc.encrypted_payload_len(100));

        // Intact: decrypts.
        let mut ok = wire.clone();
        let m = InboundOpaqueMessage::new(
            ContentType::ApplicationData,
            ProtocolVersion::TLSv1_2,
            &mut ok,
        );
        let p = dec.decrypt(m, 5).unwrap();
        assert_eq!(p.payload, &data[..]);
        assert_eq!(p.typ, ContentType::ApplicationData);

        // Hostile: every flipped byte, a wrong tag, truncations, a wrong
        // sequence number and records shorter than a tag: typed errors.
        let mut bad: Vec<Vec<u8>> = Vec::new();
        for i in [0, 50, wire.len() - 17, wire.len() - 1] {
            let mut w = wire.clone();
            w[i] ^= 0x01;
            bad.push(w);
        }
        for len in [0, 1, 15, 16, 17, wire.len() - 1] {
            bad.push(wire[..len].to_vec());
        }
        for mut w in bad {
            let m = InboundOpaqueMessage::new(
                ContentType::ApplicationData,
                ProtocolVersion::TLSv1_2,
                &mut w,
            );
            assert!(matches!(dec.decrypt(m, 5), Err(Error::DecryptError)));
        }
        let mut w = wire.clone();
        let m = InboundOpaqueMessage::new(
            ContentType::ApplicationData,
            ProtocolVersion::TLSv1_2,
            &mut w,
        );
        assert!(matches!(dec.decrypt(m, 6), Err(Error::DecryptError)));
        // A cipher without a key fails every record instead of panicking.
        let mut keyless = cipher::<A>(&[], [7; 12]);
        assert!(keyless.aead.is_none());
        let mut w = wire.clone();
        let m = InboundOpaqueMessage::new(
            ContentType::ApplicationData,
            ProtocolVersion::TLSv1_2,
            &mut w,
        );
        assert!(matches!(keyless.decrypt(m, 5), Err(Error::DecryptError)));
    }

    #[test]
    fn tampered_truncated_and_misnumbered_records_are_decrypt_errors() {
        roundtrip::<aes_gcm::Aes128Gcm>(&[1; 16]);
        roundtrip::<aes_gcm::Aes256Gcm>(&[2; 32]);
        roundtrip::<chacha20poly1305::ChaCha20Poly1305>(&[3; 32]);
    }

    #[test]
    fn an_all_padding_record_is_a_typed_error() {
        // Plaintext of zeros only (no content type): RFC 8446 §5.4 says
        // unexpected_message; rustls reports it as a peer error.
        let k = [9u8; 32];
        let mut c = Tls13Cipher::<chacha20poly1305::ChaCha20Poly1305>::new(
            &AeadKey::from(k),
            Iv::new([1; 12]),
        );
        assert!(c.aead.is_some(), "a 32-byte AeadKey keys ChaCha20");
        let aead = chacha20poly1305::ChaCha20Poly1305::new_from_slice(&k).unwrap();
        let mut body = [0u8; 8];
        let aad = make_tls13_aad(8 + TAG_LEN);
        let nonce = Nonce::new(&Iv::new([1; 12]), 0).0;
        let tag = aead
            .encrypt_in_place_detached(&nonce.into(), &aad, &mut body)
            .unwrap();
        let mut rec = body.to_vec();
        rec.extend_from_slice(&tag);
        let m = InboundOpaqueMessage::new(
            ContentType::ApplicationData,
            ProtocolVersion::TLSv1_2,
            &mut rec,
        );
        assert!(c.decrypt(m, 0).is_err());
    }
}
