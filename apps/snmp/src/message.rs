//! SNMP messages: the v1/v2c community wrapper (RFC 1157, RFC 1901) and the
//! SNMPv3 message with USM security parameters (RFC 3412, RFC 3414).

use core::fmt;

use crate::ber::{self, BerError, Reader, Tlv, Writer, tag, tlv_len};
use crate::pdu::AnyPdu;

/// Message versions (the msgVersion field).
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Version {
    /// SNMPv1 (0).
    V1,
    /// SNMPv2c (1).
    V2c,
    /// SNMPv3 (3).
    V3,
}

impl Version {
    /// The wire value.
    pub fn code(self) -> i32 {
        match self {
            Version::V1 => 0,
            Version::V2c => 1,
            Version::V3 => 3,
        }
    }
}

/// msgFlags bit: authentication.
pub const FLAG_AUTH: u8 = 0x01;
/// msgFlags bit: privacy.
pub const FLAG_PRIV: u8 = 0x02;
/// msgFlags bit: reportable.
pub const FLAG_REPORTABLE: u8 = 0x04;
/// The USM security model number.
pub const SECURITY_MODEL_USM: i32 = 3;

/// Why a message could not be decoded.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MessageError {
    /// The BER structure is malformed (counts as snmpInASNParseErrs).
    Ber(BerError),
    /// A msgVersion we do not speak (snmpInBadVersions).
    BadVersion(i32),
    /// A PDU tag that is not an SNMP PDU.
    UnknownPdu(u8),
    /// More varbinds than the configured limit.
    TooManyVarBinds,
    /// msgFlags is not one octet, or asks for privacy without authentication.
    BadFlags,
    /// msgMaxSize below 484 (RFC 3412).
    BadMaxSize,
    /// A security model other than USM (snmpUnknownSecurityModels).
    UnknownSecurityModel(i32),
}

impl From<BerError> for MessageError {
    fn from(e: BerError) -> Self {
        MessageError::Ber(e)
    }
}

impl fmt::Display for MessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MessageError::Ber(e) => write!(f, "malformed message: {e}"),
            MessageError::BadVersion(v) => write!(f, "unsupported SNMP version {v}"),
            MessageError::UnknownPdu(t) => write!(f, "unknown PDU tag 0x{t:02x}"),
            MessageError::TooManyVarBinds => f.write_str("too many variable bindings"),
            MessageError::BadFlags => f.write_str("invalid msgFlags"),
            MessageError::BadMaxSize => f.write_str("msgMaxSize below 484"),
            MessageError::UnknownSecurityModel(m) => write!(f, "unknown security model {m}"),
        }
    }
}

impl core::error::Error for MessageError {}

/// A v1 or v2c message.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct CommunityMessage<'a> {
    /// [`Version::V1`] or [`Version::V2c`].
    pub version: Version,
    /// The community string.
    pub community: &'a [u8],
    /// The PDU.
    pub pdu: AnyPdu<'a>,
}

/// msgGlobalData of an SNMPv3 message.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct V3Header {
    /// msgID.
    pub msg_id: u32,
    /// msgMaxSize.
    pub max_size: u32,
    /// msgFlags.
    pub flags: u8,
    /// msgSecurityModel.
    pub security_model: i32,
}

/// UsmSecurityParameters (RFC 3414 section 2.4).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct UsmParams<'a> {
    /// msgAuthoritativeEngineID.
    pub engine_id: &'a [u8],
    /// msgAuthoritativeEngineBoots.
    pub engine_boots: u32,
    /// msgAuthoritativeEngineTime.
    pub engine_time: u32,
    /// msgUserName.
    pub user_name: &'a [u8],
    /// msgAuthenticationParameters, with its offset in the whole message.
    pub auth_params: Tlv<'a>,
    /// msgPrivacyParameters.
    pub priv_params: &'a [u8],
}

/// msgData: a plaintext scoped PDU or its encryption.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ScopedPduData<'a> {
    /// The ScopedPDU SEQUENCE.
    Plaintext(Tlv<'a>),
    /// The encryptedPDU OCTET STRING.
    Encrypted(Tlv<'a>),
}

/// An SNMPv3 message, before authentication and decryption.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct V3Message<'a> {
    /// msgGlobalData.
    pub header: V3Header,
    /// The USM security parameters.
    pub usm: UsmParams<'a>,
    /// msgData.
    pub data: ScopedPduData<'a>,
}

/// A ScopedPDU.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ScopedPdu<'a> {
    /// contextEngineID.
    pub context_engine_id: &'a [u8],
    /// contextName.
    pub context_name: &'a [u8],
    /// The PDU.
    pub pdu: AnyPdu<'a>,
}

/// Any decoded message. Non-exhaustive: the `v3` variant exists only with
/// the `v3` feature, which another crate in the build may turn on.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
// Deliberately inline (no heap): an `Oid` is 516 octets.
#[allow(clippy::large_enum_variant)]
pub enum Message<'a> {
    /// v1 or v2c.
    Community(CommunityMessage<'a>),
    /// v3 (feature `v3`).
    #[cfg(feature = "v3")]
    V3(V3Message<'a>),
}

impl<'a> Message<'a> {
    /// Decodes a whole message (a v3 scoped PDU is left undecoded, since it
    /// may be encrypted).
    pub fn decode(bytes: &'a [u8], max_varbinds: usize) -> Result<Message<'a>, MessageError> {
        let mut outer = Reader::new(bytes);
        let mut r = outer.sequence()?;
        outer.finish()?;
        let version = r.integer()?;
        match version {
            0 | 1 => {
                let community = r.octet_string()?;
                let pdu = AnyPdu::decode(&mut r, max_varbinds)?;
                r.finish()?;
                Ok(Message::Community(CommunityMessage {
                    version: if version == 0 {
                        Version::V1
                    } else {
                        Version::V2c
                    },
                    community,
                    pdu,
                }))
            }
            #[cfg(feature = "v3")]
            3 => decode_v3(&mut r).map(Message::V3),
            v => Err(MessageError::BadVersion(v)),
        }
    }
}

#[cfg(feature = "v3")]
fn decode_v3<'a>(r: &mut Reader<'a>) -> Result<V3Message<'a>, MessageError> {
    let mut g = r.sequence()?;
    let msg_id = g.non_negative()?;
    let max_size = g.non_negative()?;
    let flags = match g.octet_string()? {
        [f] => *f,
        _ => return Err(MessageError::BadFlags),
    };
    let security_model = g.integer()?;
    g.finish()?;
    if max_size < 484 {
        return Err(MessageError::BadMaxSize);
    }
    if flags & (FLAG_AUTH | FLAG_PRIV) == FLAG_PRIV {
        return Err(MessageError::BadFlags);
    }
    if security_model != SECURITY_MODEL_USM {
        return Err(MessageError::UnknownSecurityModel(security_model));
    }
    let sp = r.octet_string_tlv()?;
    let mut sp_outer = r.nested(&sp)?;
    let mut u = sp_outer.sequence()?;
    sp_outer.finish()?;
    let engine_id = u.octet_string()?;
    let engine_boots = u.non_negative()?;
    let engine_time = u.non_negative()?;
    let user_name = u.octet_string()?;
    let auth_params = u.octet_string_tlv()?;
    let priv_params = u.octet_string()?;
    u.finish()?;
    let d = r.read_tlv()?;
    let data = match d.tag {
        tag::SEQUENCE => ScopedPduData::Plaintext(d),
        tag::OCTET_STRING => ScopedPduData::Encrypted(d),
        found => {
            return Err(MessageError::Ber(BerError::UnexpectedTag {
                expected: tag::SEQUENCE,
                found,
            }));
        }
    };
    r.finish()?;
    Ok(V3Message {
        header: V3Header {
            msg_id,
            max_size,
            flags,
            security_model,
        },
        usm: UsmParams {
            engine_id,
            engine_boots,
            engine_time,
            user_name,
            auth_params,
            priv_params,
        },
        data,
    })
}

impl<'a> ScopedPdu<'a> {
    /// Decodes a ScopedPDU SEQUENCE from `bytes` (plaintext or decrypted;
    /// trailing padding after the SEQUENCE is ignored, as DES pads).
    pub fn decode(bytes: &'a [u8], max_varbinds: usize) -> Result<ScopedPdu<'a>, MessageError> {
        let mut outer = Reader::new(bytes);
        let mut r = outer.sequence()?;
        let context_engine_id = r.octet_string()?;
        let context_name = r.octet_string()?;
        let pdu = AnyPdu::decode(&mut r, max_varbinds)?;
        r.finish()?;
        Ok(ScopedPdu {
            context_engine_id,
            context_name,
            pdu,
        })
    }
}

/// Encodes the v1/v2c wrapper in front of a PDU of known size.
#[derive(Copy, Clone, Debug)]
pub struct CommunityPrefix<'a> {
    /// Message version.
    pub version: Version,
    /// Community string.
    pub community: &'a [u8],
}

impl CommunityPrefix<'_> {
    fn content_len(&self, pdu_len: usize) -> usize {
        tlv_len(ber::integer_len(i64::from(self.version.code())))
            + tlv_len(self.community.len())
            + pdu_len
    }

    /// Octets in front of a PDU of `pdu_len` octets.
    pub fn len(&self, pdu_len: usize) -> usize {
        tlv_len(self.content_len(pdu_len)) - pdu_len
    }

    /// Writes the wrapper.
    pub fn write(&self, w: &mut Writer<'_>, pdu_len: usize) -> Result<(), BerError> {
        w.header(tag::SEQUENCE, self.content_len(pdu_len))?;
        w.signed(tag::INTEGER, i64::from(self.version.code()))?;
        w.tlv(tag::OCTET_STRING, self.community)
    }
}

/// Encodes an SNMPv3 message wrapper (global data and USM parameters) in
/// front of msgData of known size.
#[derive(Copy, Clone, Debug)]
pub struct V3Prefix<'a> {
    /// msgID.
    pub msg_id: u32,
    /// msgMaxSize.
    pub max_size: u32,
    /// msgFlags.
    pub flags: u8,
    /// msgAuthoritativeEngineID.
    pub engine_id: &'a [u8],
    /// msgAuthoritativeEngineBoots.
    pub engine_boots: u32,
    /// msgAuthoritativeEngineTime.
    pub engine_time: u32,
    /// msgUserName.
    pub user_name: &'a [u8],
    /// Length of msgAuthenticationParameters (zeros are written; the MAC is
    /// patched in afterwards at the offset [`V3Prefix::write`] returns).
    pub auth_len: usize,
    /// msgPrivacyParameters.
    pub priv_params: &'a [u8],
}

impl V3Prefix<'_> {
    fn usm_content_len(&self) -> usize {
        tlv_len(self.engine_id.len())
            + tlv_len(ber::unsigned_len(u64::from(self.engine_boots)))
            + tlv_len(ber::unsigned_len(u64::from(self.engine_time)))
            + tlv_len(self.user_name.len())
            + tlv_len(self.auth_len)
            + tlv_len(self.priv_params.len())
    }

    fn global_content_len(&self) -> usize {
        tlv_len(ber::unsigned_len(u64::from(self.msg_id)))
            + tlv_len(ber::unsigned_len(u64::from(self.max_size)))
            + tlv_len(1)
            + tlv_len(1)
    }

    fn content_len(&self, data_len: usize) -> usize {
        tlv_len(1)
            + tlv_len(self.global_content_len())
            + tlv_len(tlv_len(self.usm_content_len()))
            + data_len
    }

    /// Octets in front of msgData of `data_len` octets.
    pub fn len(&self, data_len: usize) -> usize {
        tlv_len(self.content_len(data_len)) - data_len
    }

    /// Writes the wrapper; returns the offset (relative to the writer's
    /// buffer) of the msgAuthenticationParameters content.
    pub fn write(&self, w: &mut Writer<'_>, data_len: usize) -> Result<usize, BerError> {
        w.header(tag::SEQUENCE, self.content_len(data_len))?;
        w.signed(tag::INTEGER, 3)?;
        w.header(tag::SEQUENCE, self.global_content_len())?;
        w.unsigned(tag::INTEGER, u64::from(self.msg_id))?;
        w.unsigned(tag::INTEGER, u64::from(self.max_size))?;
        w.tlv(tag::OCTET_STRING, &[self.flags])?;
        w.signed(tag::INTEGER, i64::from(SECURITY_MODEL_USM))?;
        let usm = self.usm_content_len();
        w.header(tag::OCTET_STRING, tlv_len(usm))?;
        w.header(tag::SEQUENCE, usm)?;
        w.tlv(tag::OCTET_STRING, self.engine_id)?;
        w.unsigned(tag::INTEGER, u64::from(self.engine_boots))?;
        w.unsigned(tag::INTEGER, u64::from(self.engine_time))?;
        w.tlv(tag::OCTET_STRING, self.user_name)?;
        w.header(tag::OCTET_STRING, self.auth_len)?;
        let auth_at = w.pos();
        for _ in 0..self.auth_len {
            w.bytes(&[0])?;
        }
        w.tlv(tag::OCTET_STRING, self.priv_params)?;
        Ok(auth_at)
    }
}

/// Encodes the ScopedPDU header (SEQUENCE, contextEngineID, contextName) in
/// front of a PDU of known size.
#[derive(Copy, Clone, Debug)]
pub struct ScopedPrefix<'a> {
    /// contextEngineID.
    pub context_engine_id: &'a [u8],
    /// contextName.
    pub context_name: &'a [u8],
}

impl ScopedPrefix<'_> {
    fn content_len(&self, pdu_len: usize) -> usize {
        tlv_len(self.context_engine_id.len()) + tlv_len(self.context_name.len()) + pdu_len
    }

    /// Octets in front of a PDU of `pdu_len` octets.
    pub fn len(&self, pdu_len: usize) -> usize {
        tlv_len(self.content_len(pdu_len)) - pdu_len
    }

    /// Writes the header.
    pub fn write(&self, w: &mut Writer<'_>, pdu_len: usize) -> Result<(), BerError> {
        w.header(tag::SEQUENCE, self.content_len(pdu_len))?;
        w.tlv(tag::OCTET_STRING, self.context_engine_id)?;
        w.tlv(tag::OCTET_STRING, self.context_name)
    }
}
