//! Response framing: varbinds are written forward at a headroom offset,
//! then the headers are written in front of them (their sizes are exact once
//! the varbind length is known), v3 payloads are encrypted and
//! authenticated, and the message is moved to the start of the buffer.

use crate::ber::{BerError, Writer};
#[cfg(feature = "v3")]
use crate::ber::{len_of_len, tlv_len};
use crate::message::CommunityPrefix;
#[cfg(feature = "v3")]
use crate::message::{ScopedPrefix, V3Prefix};
use crate::pdu::PduHeader;
#[cfg(feature = "v3")]
use crate::usm::crypto::{self, AuthProtocol, PrivProtocol};

/// SNMPv3 security for an outgoing message.
#[cfg(feature = "v3")]
#[derive(Copy, Clone, Debug)]
pub(crate) struct V3Security<'k> {
    pub auth: Option<(AuthProtocol, &'k [u8])>,
    pub privacy: Option<(PrivProtocol, &'k [u8], [u8; 8])>,
}

/// The wrapper around a PDU.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Wrapper<'m> {
    Community(CommunityPrefix<'m>),
    #[cfg(feature = "v3")]
    V3 {
        prefix: V3Prefix<'m>,
        scoped: ScopedPrefix<'m>,
        security: V3Security<'m>,
    },
}

/// Everything around a varbind list.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Frame<'m> {
    pub wrapper: Wrapper<'m>,
    pub header: PduHeader,
}

impl Frame<'_> {
    #[cfg(feature = "v3")]
    fn des_padding(&self, len: usize) -> usize {
        match self.wrapper {
            Wrapper::V3 {
                security:
                    V3Security {
                        privacy: Some((PrivProtocol::Des, _, _)),
                        ..
                    },
                ..
            } => (8 - len % 8) % 8,
            _ => 0,
        }
    }

    /// Total message size for `vbs_len` octets of varbinds.
    pub(crate) fn total_len(&self, vbs_len: usize) -> usize {
        let pdu_len = self.header.pdu_len(vbs_len);
        match &self.wrapper {
            Wrapper::Community(c) => c.len(pdu_len) + pdu_len,
            #[cfg(feature = "v3")]
            Wrapper::V3 {
                prefix,
                scoped,
                security,
            } => {
                let scoped_len = scoped.len(pdu_len) + pdu_len;
                let data_len = if security.privacy.is_some() {
                    tlv_len(scoped_len + self.des_padding(scoped_len))
                } else {
                    scoped_len
                };
                prefix.len(data_len) + data_len
            }
        }
    }

    /// Octets the headers may need in front of `vbs_len` octets of varbinds
    /// (an upper bound for any smaller list).
    pub(crate) fn headroom(&self, vbs_len: usize) -> usize {
        self.total_len(vbs_len) - vbs_len + 8
    }

    /// Completes the message whose varbinds lie at `buf[at..at + vbs_len]`,
    /// moving it to the start of `buf`; returns its length.
    pub(crate) fn finish(
        &self,
        buf: &mut [u8],
        at: usize,
        vbs_len: usize,
    ) -> Result<usize, BerError> {
        let pdu_len = self.header.pdu_len(vbs_len);
        let pdu_start = at
            .checked_sub(self.header.prefix_len(vbs_len))
            .ok_or(BerError::BufferTooSmall)?;
        match &self.wrapper {
            Wrapper::Community(c) => {
                let start = pdu_start
                    .checked_sub(c.len(pdu_len))
                    .ok_or(BerError::BufferTooSmall)?;
                let mut w = Writer::at(buf, start);
                c.write(&mut w, pdu_len)?;
                self.header.write(&mut w, vbs_len)?;
                let total = c.len(pdu_len) + pdu_len;
                move_to_front(buf, start, total)?;
                Ok(total)
            }
            #[cfg(feature = "v3")]
            Wrapper::V3 {
                prefix,
                scoped,
                security,
            } => {
                let scoped_start = pdu_start
                    .checked_sub(scoped.len(pdu_len))
                    .ok_or(BerError::BufferTooSmall)?;
                let mut w = Writer::at(buf, scoped_start);
                scoped.write(&mut w, pdu_len)?;
                self.header.write(&mut w, vbs_len)?;
                let scoped_len = scoped.len(pdu_len) + pdu_len;
                let (data_start, data_len) = match security.privacy {
                    Some((proto, key, salt)) => {
                        let padded = scoped_len + self.des_padding(scoped_len);
                        let payload = buf
                            .get_mut(scoped_start..scoped_start + padded)
                            .ok_or(BerError::BufferTooSmall)?;
                        if let Some(pad) = payload.get_mut(scoped_len..) {
                            pad.fill(0);
                        }
                        crypto::encrypt(
                            proto,
                            key,
                            prefix.engine_boots,
                            prefix.engine_time,
                            &salt,
                            payload,
                        )
                        .map_err(|_| BerError::BufferTooSmall)?;
                        let hdr = 1 + len_of_len(padded);
                        let start = scoped_start
                            .checked_sub(hdr)
                            .ok_or(BerError::BufferTooSmall)?;
                        let mut w = Writer::at(buf, start);
                        w.header(crate::ber::tag::OCTET_STRING, padded)?;
                        (start, hdr + padded)
                    }
                    None => (scoped_start, scoped_len),
                };
                let start = data_start
                    .checked_sub(prefix.len(data_len))
                    .ok_or(BerError::BufferTooSmall)?;
                let mut w = Writer::at(buf, start);
                let auth_at = prefix.write(&mut w, data_len)? - start;
                let total = prefix.len(data_len) + data_len;
                move_to_front(buf, start, total)?;
                if let Some((proto, key)) = security.auth {
                    let mut mac = [0u8; crypto::MAX_KEY_LEN];
                    let mac = mac
                        .get_mut(..proto.mac_len())
                        .ok_or(BerError::BufferTooSmall)?;
                    crypto::hmac(
                        proto,
                        key,
                        &[buf.get(..total).ok_or(BerError::BufferTooSmall)?],
                        mac,
                    );
                    buf.get_mut(auth_at..auth_at + mac.len())
                        .ok_or(BerError::BufferTooSmall)?
                        .copy_from_slice(mac);
                }
                Ok(total)
            }
        }
    }
}

fn move_to_front(buf: &mut [u8], start: usize, len: usize) -> Result<(), BerError> {
    let end = start.checked_add(len).ok_or(BerError::BufferTooSmall)?;
    if end > buf.len() {
        return Err(BerError::BufferTooSmall);
    }
    buf.copy_within(start..end, 0);
    Ok(())
}
