//! SHA-256/SHA-384 ([`Hash`](rustls::crypto::hash::Hash)) and their HMACs
//! ([`Hmac`](rustls::crypto::hmac::Hmac)) over the `sha2`/`hmac` crates.
//! TLS 1.3's HKDF is rustls's `HkdfUsingHmac` over these.

use alloc::boxed::Box;
use core::marker::PhantomData;

use hmac_012::digest::{Digest, KeyInit, Mac};
use rustls::crypto::hash::{self, HashAlgorithm};
use rustls::crypto::hmac;
use rustls::crypto::tls13::HkdfUsingHmac;
use sha2_010 as sha2;

/// A hash function TLS uses, with its HMAC.
pub(crate) trait TlsHash: Digest + Clone + Send + Sync + 'static {
    /// HMAC keyed with this hash.
    type Mac: Mac + KeyInit + Clone + Send + Sync + 'static;
    /// The TLS name.
    const ALGORITHM: HashAlgorithm;
}

impl TlsHash for sha2::Sha256 {
    type Mac = hmac_012::Hmac<sha2::Sha256>;
    const ALGORITHM: HashAlgorithm = HashAlgorithm::SHA256;
}

impl TlsHash for sha2::Sha384 {
    type Mac = hmac_012::Hmac<sha2::Sha384>;
    const ALGORITHM: HashAlgorithm = HashAlgorithm::SHA384;
}

/// [`hash::Hash`] for `H`.
pub(crate) struct HashAlg<H>(PhantomData<fn() -> H>);

/// SHA-256.
pub(crate) static SHA256: HashAlg<sha2::Sha256> = HashAlg(PhantomData);
/// SHA-384.
pub(crate) static SHA384: HashAlg<sha2::Sha384> = HashAlg(PhantomData);

impl<H: TlsHash> hash::Hash for HashAlg<H> {
    fn start(&self) -> Box<dyn hash::Context> {
        Box::new(Context(H::new()))
    }
    fn hash(&self, data: &[u8]) -> hash::Output {
        hash::Output::new(&H::digest(data))
    }
    fn output_len(&self) -> usize {
        <H as Digest>::output_size()
    }
    fn algorithm(&self) -> HashAlgorithm {
        H::ALGORITHM
    }
}

/// A running hash.
struct Context<H>(H);

impl<H: TlsHash> hash::Context for Context<H> {
    fn fork_finish(&self) -> hash::Output {
        hash::Output::new(&self.0.clone().finalize())
    }
    fn fork(&self) -> Box<dyn hash::Context> {
        Box::new(Context(self.0.clone()))
    }
    fn finish(self: Box<Self>) -> hash::Output {
        hash::Output::new(&self.0.finalize())
    }
    fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }
}

/// [`hmac::Hmac`] for `H`.
pub(crate) struct HmacAlg<H>(PhantomData<fn() -> H>);

/// HMAC-SHA256.
pub(crate) static HMAC_SHA256: HmacAlg<sha2::Sha256> = HmacAlg(PhantomData);
/// HMAC-SHA384.
pub(crate) static HMAC_SHA384: HmacAlg<sha2::Sha384> = HmacAlg(PhantomData);
/// HKDF-SHA256 (TLS 1.3 key schedule).
pub(crate) static HKDF_SHA256: HkdfUsingHmac<'static> = HkdfUsingHmac(&HMAC_SHA256);
/// HKDF-SHA384.
pub(crate) static HKDF_SHA384: HkdfUsingHmac<'static> = HkdfUsingHmac(&HMAC_SHA384);

impl<H: TlsHash> HmacAlg<H> {
    /// HMAC with `key`, RFC 2104: a key longer than the hash's block is
    /// hashed first; the result (or the key) is zero-padded to one block.
    /// Done here so keying cannot fail.
    fn keyed(key: &[u8]) -> H::Mac {
        let mut block = hmac_012::digest::Key::<H::Mac>::default();
        if key.len() > block.len() {
            let h = H::digest(key);
            block.iter_mut().zip(h.iter()).for_each(|(d, s)| *d = *s);
        } else {
            block.iter_mut().zip(key).for_each(|(d, s)| *d = *s);
        }
        <H::Mac as KeyInit>::new(&block)
    }
}

impl<H: TlsHash> hmac::Hmac for HmacAlg<H> {
    fn with_key(&self, key: &[u8]) -> Box<dyn hmac::Key> {
        Box::new(HmacKey::<H>(Self::keyed(key)))
    }
    fn hash_output_len(&self) -> usize {
        <H as Digest>::output_size()
    }
}

/// A keyed HMAC; every tag starts from a copy of the keyed state.
struct HmacKey<H: TlsHash>(H::Mac);

impl<H: TlsHash> hmac::Key for HmacKey<H> {
    fn sign_concat(&self, first: &[u8], middle: &[&[u8]], last: &[u8]) -> hmac::Tag {
        let mut m = self.0.clone();
        Mac::update(&mut m, first);
        for part in middle {
            Mac::update(&mut m, part);
        }
        Mac::update(&mut m, last);
        hmac::Tag::new(&Mac::finalize(m).into_bytes())
    }
    fn tag_len(&self) -> usize {
        <H as Digest>::output_size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::crypto::hash::Hash as _;
    use rustls::crypto::hmac::Hmac as _;
    use rustls::crypto::tls13::Hkdf as _;

    fn hex(s: &str) -> alloc::vec::Vec<u8> {
        let s: alloc::string::String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn sha256_and_sha384_fips_180_abc() {
        assert_eq!(
            SHA256.hash(b"abc").as_ref(),
            hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(
            SHA384.hash(b"abc").as_ref(),
            hex(
                "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed
                 8086072ba1e7cc2358baeca134c825a7"
            )
        );
        // Incremental, forked and finished contexts agree with one shot.
        let mut c = SHA256.start();
        c.update(b"a");
        let fork = c.fork();
        c.update(b"bc");
        assert_eq!(c.fork_finish().as_ref(), SHA256.hash(b"abc").as_ref());
        assert_eq!(c.finish().as_ref(), SHA256.hash(b"abc").as_ref());
        assert_eq!(fork.finish().as_ref(), SHA256.hash(b"a").as_ref());
        assert_eq!(SHA384.output_len(), 48);
    }

    /// RFC 4231 test cases 1, 2, 4, 6 (key longer than a block) and 7.
    #[test]
    fn hmac_rfc4231() {
        let cases: [(&[u8], &[u8], &str, &str); 5] = [
            (
                &[0x0b; 20],
                b"Hi There",
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
                "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c
                 faea9ea9076ede7f4af152e8b2fa9cb6",
            ),
            (
                b"Jefe",
                b"what do ya want for nothing?",
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e
                 8e2240ca5e69e2c78b3239ecfab21649",
            ),
            (
                &hex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                &[0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
                "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e
                 6801dd23c4a7d679ccf8a386c674cffb",
            ),
            (
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
                "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6
                 0c2ef6ab4030fe8296248df163f44952",
            ),
            (
                &[0xaa; 131],
                b"This is a test using a larger than block-size key and a larger t\
                  han block-size data. The key needs to be hashed before being use\
                  d by the HMAC algorithm.",
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
                "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5
                 a678cc31e799176d3860e6110c46523e",
            ),
        ];
        for (key, data, want256, want384) in cases {
            let k = HMAC_SHA256.with_key(key);
            assert_eq!(k.sign(&[data]).as_ref(), hex(want256));
            let (a, b) = data.split_at(data.len() / 2);
            assert_eq!(k.sign_concat(a, &[], b).as_ref(), hex(want256));
            assert_eq!(k.tag_len(), 32);
            let k = HMAC_SHA384.with_key(key);
            assert_eq!(k.sign(&[data]).as_ref(), hex(want384));
        }
    }

    /// RFC 5869 test case 1 (HKDF-SHA256 extract and expand).
    #[test]
    fn hkdf_rfc5869_case1() {
        let ikm = [0x0b; 22];
        let salt = hex("000102030405060708090a0b0c");
        let info = hex("f0f1f2f3f4f5f6f7f8f9");
        // PRK = HMAC(salt, IKM) (RFC 5869 §2.2).
        let prk = HMAC_SHA256.with_key(&salt).sign(&[&ikm]);
        assert_eq!(
            prk.as_ref(),
            hex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5")
        );
        let exp = HKDF_SHA256.extract_from_secret(Some(&salt), &ikm);
        let mut okm = [0u8; 42];
        exp.expand_slice(&[&info], &mut okm).unwrap();
        assert_eq!(
            okm.as_slice(),
            hex(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf
                 34007208d5b887185865"
            )
        );
    }

    /// RFC 8448 §3: the server's application traffic key and IV from its
    /// application traffic secret, by HKDF-Expand-Label (RFC 8446 §7.1)
    /// over our HMAC-SHA256.
    #[test]
    fn rfc8448_traffic_key_and_iv() {
        use rustls::crypto::tls13::OkmBlock;
        let secret = hex("a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643");
        let exp = HKDF_SHA256.expander_for_okm(&OkmBlock::new(&secret));
        let label = |len: u16, name: &str| {
            let mut info = len.to_be_bytes().to_vec();
            let full = alloc::format!("tls13 {name}");
            info.push(full.len() as u8);
            info.extend_from_slice(full.as_bytes());
            info.push(0); // empty context
            info
        };
        let mut key = [0u8; 16];
        exp.expand_slice(&[&label(16, "key")], &mut key).unwrap();
        assert_eq!(key.as_slice(), hex("9f02283b6c9c07efc26bb9f2ac92e356"));
        let mut iv = [0u8; 12];
        exp.expand_slice(&[&label(12, "iv")], &mut iv).unwrap();
        assert_eq!(iv.as_slice(), hex("cf782b88dd83549aadf1e984"));
    }
}
