//! Zero-copy decoding with strict validation.

use super::error::{DecodeError, ReasonCode};
use super::packets::*;
use super::properties::{Properties, PropertyContext};
use super::wire::{Reader, VarInt, read_varint};
use crate::topic::{is_valid_topic_filter, is_valid_topic_name};

/// The fixed header of a packet: type, flags and sizes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FixedHeader {
    /// Packet type.
    pub packet_type: PacketType,
    /// The flag nibble (validated for every type but PUBLISH, whose bits
    /// are DUP/QoS/RETAIN).
    pub flags: u8,
    /// Remaining length: bytes after the fixed header.
    pub remaining_len: u32,
    /// Size of the fixed header itself (2..=5 bytes).
    pub header_len: usize,
}

impl FixedHeader {
    /// Size of the whole packet.
    pub const fn total_len(&self) -> usize {
        self.header_len + self.remaining_len as usize
    }
}

/// Reads and validates the fixed header at the start of `buf`.
///
/// Returns `Ok(None)` when more bytes are needed. A packet larger than
/// `max_packet_size` is rejected as soon as its length is known, before its
/// body is buffered.
pub fn decode_fixed_header(
    buf: &[u8],
    version: Version,
    max_packet_size: u32,
) -> Result<Option<FixedHeader>, DecodeError> {
    let Some(&b0) = buf.first() else {
        return Ok(None);
    };
    let packet_type = PacketType::from_nibble(b0 >> 4, version)?;
    let flags = b0 & 0x0F;
    match packet_type.fixed_flags() {
        Some(f) if f != flags => return Err(DecodeError::ReservedFlags { packet_type }),
        Some(_) => {}
        None => {
            let qos = QoS::from_bits((flags >> 1) & 0x03)?;
            if qos == QoS::AtMostOnce && flags & 0x08 != 0 {
                return Err(DecodeError::DupOnQos0);
            }
        }
    }
    let (remaining_len, n) = match read_varint(buf.get(1..).unwrap_or_default())? {
        VarInt::Value(v, n) => (v, n),
        VarInt::Incomplete => return Ok(None),
    };
    let header_len = 1 + n;
    // header_len <= 5 and remaining_len <= 268_435_455: no overflow in u32.
    let size = remaining_len.saturating_add(header_len as u32);
    if size > max_packet_size {
        return Err(DecodeError::PacketTooLarge {
            size,
            max: max_packet_size,
        });
    }
    Ok(Some(FixedHeader {
        packet_type,
        flags,
        remaining_len,
        header_len,
    }))
}

/// Decodes one packet from the start of `buf`.
///
/// Returns `Ok(None)` if `buf` does not yet hold a whole packet, or the packet
/// and the number of bytes it occupied. Everything in the packet borrows from
/// `buf`. CONNECT is decoded with the protocol level it carries; every other
/// packet with `version`.
pub fn decode(
    buf: &[u8],
    version: Version,
    max_packet_size: u32,
) -> Result<Option<(Packet<'_>, usize)>, DecodeError> {
    let Some(h) = decode_fixed_header(buf, version, max_packet_size)? else {
        return Ok(None);
    };
    let total = h.total_len();
    let Some(body) = buf.get(h.header_len..total) else {
        return Ok(None);
    };
    let packet = decode_body(&h, body, version)?;
    Ok(Some((packet, total)))
}

/// The head of a PUBLISH whose payload may not be buffered yet (streaming).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PublishHead<'a> {
    /// The PUBLISH with an empty `payload`.
    pub publish: Publish<'a>,
    /// Bytes from the start of the packet to the first payload byte.
    pub head_len: usize,
    /// Payload size announced by the remaining length.
    pub payload_len: usize,
}

/// Decodes the fixed and variable header of a PUBLISH at the start of `buf`
/// without needing its payload. `Ok(None)`: more bytes are needed.
/// Fails with [`DecodeError::UnknownPacketType`] if the packet is not a PUBLISH.
pub fn decode_publish_head(
    buf: &[u8],
    version: Version,
    max_packet_size: u32,
) -> Result<Option<PublishHead<'_>>, DecodeError> {
    let Some(h) = decode_fixed_header(buf, version, max_packet_size)? else {
        return Ok(None);
    };
    if h.packet_type != PacketType::Publish {
        return Err(DecodeError::UnknownPacketType(h.packet_type as u8));
    }
    let end = h.total_len().min(buf.len());
    let body = buf.get(h.header_len..end).unwrap_or_default();
    let complete = end == h.total_len();
    let mut r = Reader::new(body);
    match publish_head(&h, &mut r, version) {
        Ok(publish) => {
            let head_len = h.header_len + body.len() - r.remaining();
            Ok(Some(PublishHead {
                publish,
                head_len,
                payload_len: h.total_len() - head_len,
            }))
        }
        Err(DecodeError::Truncated) if !complete => Ok(None),
        Err(e) => Err(e),
    }
}

fn packet_id(r: &mut Reader<'_>) -> Result<u16, DecodeError> {
    match r.u16()? {
        0 => Err(DecodeError::ZeroPacketId),
        id => Ok(id),
    }
}

fn finish(r: &Reader<'_>) -> Result<(), DecodeError> {
    if r.is_empty() {
        Ok(())
    } else {
        Err(DecodeError::TrailingBytes)
    }
}

fn props<'a>(
    r: &mut Reader<'a>,
    version: Version,
    ctx: PropertyContext,
) -> Result<Properties<'a>, DecodeError> {
    match version {
        Version::V311 => Ok(Properties::EMPTY),
        Version::V5 => Properties::read(r, ctx),
    }
}

fn publish_head<'a>(
    h: &FixedHeader,
    r: &mut Reader<'a>,
    version: Version,
) -> Result<Publish<'a>, DecodeError> {
    let qos = QoS::from_bits((h.flags >> 1) & 0x03)?;
    let topic = r.utf8()?;
    let packet_id = match qos {
        QoS::AtMostOnce => None,
        _ => Some(packet_id(r)?),
    };
    let properties = props(r, version, PropertyContext::Publish)?;
    let topic_ok = if topic.is_empty() {
        properties.topic_alias().is_some()
    } else {
        is_valid_topic_name(topic)
    };
    if !topic_ok {
        return Err(DecodeError::InvalidTopic);
    }
    Ok(Publish {
        dup: h.flags & 0x08 != 0,
        qos,
        retain: h.flags & 0x01 != 0,
        topic,
        packet_id,
        properties,
        payload: &[],
    })
}

fn pub_response<'a>(
    r: &mut Reader<'a>,
    version: Version,
    allowed: &[u8],
) -> Result<PubResponse<'a>, DecodeError> {
    let packet_id = packet_id(r)?;
    let (reason, properties) = reason_and_props(r, version, allowed, PropertyContext::PubResponse)?;
    Ok(PubResponse {
        packet_id,
        reason,
        properties,
    })
}

const PUBACK_CODES: &[u8] = &[0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99];
const PUBREL_CODES: &[u8] = &[0x00, 0x92];
const SUBACK_V3: &[u8] = &[0x00, 0x01, 0x02, 0x80];
const SUBACK_V5: &[u8] = &[
    0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2,
];
const UNSUBACK_V5: &[u8] = &[0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91];
const CONNACK_V5: &[u8] = &[
    0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97,
    0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F,
];
const DISCONNECT_V5: &[u8] = &[
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95,
    0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2,
];
const AUTH_CODES: &[u8] = &[0x00, 0x18, 0x19];

fn check_codes(codes: &[u8], allowed: &[u8]) -> Result<(), DecodeError> {
    if codes.is_empty() {
        return Err(DecodeError::NoTopics);
    }
    match codes.iter().find(|c| !allowed.contains(c)) {
        Some(&code) => Err(DecodeError::BadReasonCode { code }),
        None => Ok(()),
    }
}

fn decode_body<'a>(
    h: &FixedHeader,
    body: &'a [u8],
    version: Version,
) -> Result<Packet<'a>, DecodeError> {
    let mut r = Reader::new(body);
    let r = &mut r;
    Ok(match h.packet_type {
        PacketType::Connect => Packet::Connect(connect(r)?),
        PacketType::ConnAck => {
            let flags = r.u8()?;
            if flags & 0xFE != 0 {
                return Err(DecodeError::InvalidConnAckFlags);
            }
            let code = r.u8()?;
            let allowed_ok = match version {
                Version::V311 => code <= 5,
                Version::V5 => CONNACK_V5.contains(&code),
            };
            if !allowed_ok {
                return Err(DecodeError::BadReasonCode { code });
            }
            let session_present = flags & 1 != 0;
            // MQTT 3.1.1 3.2.2.2 / MQTT 5 3.2.2.1.1: a refusal has session present 0.
            if session_present && code != 0 {
                return Err(DecodeError::InvalidConnAckFlags);
            }
            let properties = props(r, version, PropertyContext::ConnAck)?;
            finish(r)?;
            Packet::ConnAck(ConnAck {
                session_present,
                code: ReasonCode(code),
                properties,
            })
        }
        PacketType::Publish => {
            let mut p = publish_head(h, r, version)?;
            p.payload = r.rest();
            Packet::Publish(p)
        }
        t
        @ (PacketType::PubAck | PacketType::PubRec | PacketType::PubRel | PacketType::PubComp) => {
            let allowed = match t {
                PacketType::PubAck | PacketType::PubRec => PUBACK_CODES,
                _ => PUBREL_CODES,
            };
            let resp = pub_response(r, version, allowed)?;
            match t {
                PacketType::PubAck => Packet::PubAck(resp),
                PacketType::PubRec => Packet::PubRec(resp),
                PacketType::PubRel => Packet::PubRel(resp),
                _ => Packet::PubComp(resp),
            }
        }
        PacketType::Subscribe | PacketType::Unsubscribe => {
            let subscribe = h.packet_type == PacketType::Subscribe;
            let packet_id = packet_id(r)?;
            let ctx = if subscribe {
                PropertyContext::Subscribe
            } else {
                PropertyContext::Unsubscribe
            };
            let properties = props(r, version, ctx)?;
            let raw = r.rest();
            let mut e = Reader::new(raw);
            if e.is_empty() {
                return Err(DecodeError::NoTopics);
            }
            // Each entry consumes at least 2 bytes: bounded.
            while !e.is_empty() {
                if !is_valid_topic_filter(e.utf8()?) {
                    return Err(DecodeError::InvalidTopicFilter);
                }
                if subscribe {
                    SubscriptionOptions::parse(e.u8()?, version)?;
                }
            }
            if subscribe {
                Packet::Subscribe(Subscribe {
                    packet_id,
                    properties,
                    subscriptions: Subscriptions::Wire { raw, version },
                })
            } else {
                Packet::Unsubscribe(Unsubscribe {
                    packet_id,
                    properties,
                    filters: TopicFilters::Wire(raw),
                })
            }
        }
        PacketType::SubAck | PacketType::UnsubAck => {
            let suback = h.packet_type == PacketType::SubAck;
            let packet_id = packet_id(r)?;
            let ctx = if suback {
                PropertyContext::SubAck
            } else {
                PropertyContext::UnsubAck
            };
            let properties = props(r, version, ctx)?;
            let codes = r.rest();
            let allowed = match (suback, version) {
                (true, Version::V311) => SUBACK_V3,
                (true, Version::V5) => SUBACK_V5,
                (false, Version::V5) => UNSUBACK_V5,
                // A 3.1.1 UNSUBACK is the packet id alone.
                (false, Version::V311) => &[],
            };
            if !allowed.is_empty() {
                check_codes(codes, allowed)?;
            } else if !codes.is_empty() {
                return Err(DecodeError::TrailingBytes);
            }
            if suback {
                Packet::SubAck(SubAck {
                    packet_id,
                    properties,
                    codes,
                })
            } else {
                Packet::UnsubAck(UnsubAck {
                    packet_id,
                    properties,
                    codes,
                })
            }
        }
        PacketType::PingReq | PacketType::PingResp => {
            finish(r)?;
            if h.packet_type == PacketType::PingReq {
                Packet::PingReq
            } else {
                Packet::PingResp
            }
        }
        PacketType::Disconnect | PacketType::Auth => {
            let disconnect = h.packet_type == PacketType::Disconnect;
            // (AUTH does not exist in 3.1.1: the fixed header refuses it.)
            let (allowed, ctx) = if disconnect {
                (DISCONNECT_V5, PropertyContext::Disconnect)
            } else {
                (AUTH_CODES, PropertyContext::Auth)
            };
            let (reason, properties) = reason_and_props(r, version, allowed, ctx)?;
            if disconnect {
                Packet::Disconnect(Disconnect { reason, properties })
            } else {
                Packet::Auth(Auth { reason, properties })
            }
        }
    })
}

/// DISCONNECT/AUTH body: empty (success), a reason code, or both.
fn reason_and_props<'a>(
    r: &mut Reader<'a>,
    version: Version,
    allowed: &[u8],
    ctx: PropertyContext,
) -> Result<(ReasonCode, Properties<'a>), DecodeError> {
    if version == Version::V311 || r.is_empty() {
        finish(r)?;
        return Ok((ReasonCode::SUCCESS, Properties::EMPTY));
    }
    let code = r.u8()?;
    if !allowed.contains(&code) {
        return Err(DecodeError::BadReasonCode { code });
    }
    let p = if r.is_empty() {
        Properties::EMPTY
    } else {
        Properties::read(r, ctx)?
    };
    finish(r)?;
    Ok((ReasonCode(code), p))
}

fn connect<'a>(r: &mut Reader<'a>) -> Result<Connect<'a>, DecodeError> {
    if r.binary()? != b"MQTT" {
        return Err(DecodeError::InvalidProtocolName);
    }
    let version = match r.u8()? {
        4 => Version::V311,
        5 => Version::V5,
        other => return Err(DecodeError::UnsupportedProtocolVersion(other)),
    };
    let flags = r.u8()?;
    let will_flag = flags & 0x04 != 0;
    let will_qos = QoS::from_bits((flags >> 3) & 0x03)?;
    let will_retain = flags & 0x20 != 0;
    let has_password = flags & 0x40 != 0;
    let has_username = flags & 0x80 != 0;
    if flags & 0x01 != 0
        || (!will_flag && (will_qos != QoS::AtMostOnce || will_retain))
        || (version == Version::V311 && has_password && !has_username)
    {
        return Err(DecodeError::InvalidConnectFlags);
    }
    let keep_alive = r.u16()?;
    let properties = props(r, version, PropertyContext::Connect)?;
    let client_id = r.utf8()?;
    let will = if will_flag {
        let properties = props(r, version, PropertyContext::Will)?;
        let topic = r.utf8()?;
        if !is_valid_topic_name(topic) {
            return Err(DecodeError::InvalidTopic);
        }
        let payload = r.binary()?;
        Some(Will {
            topic,
            payload,
            qos: will_qos,
            retain: will_retain,
            properties,
        })
    } else {
        None
    };
    let username = if has_username { Some(r.utf8()?) } else { None };
    let password = if has_password {
        Some(r.binary()?)
    } else {
        None
    };
    finish(r)?;
    Ok(Connect {
        version,
        clean_start: flags & 0x02 != 0,
        keep_alive,
        client_id,
        will,
        username,
        password,
        properties,
    })
}
