//! Encoding into a caller-provided buffer.

use super::error::{EncodeError, ReasonCode};
use super::packets::*;
use super::properties::Properties;
use super::wire::Writer;
use crate::topic::{is_valid_topic_filter, is_valid_topic_name};

/// Encodes `packet` for `version` into `buf`; returns the bytes written.
///
/// On [`EncodeError::BufferTooSmall`] `needed` is the full packet size and the
/// contents of `buf` are unspecified. Fields are validated (topic names and
/// filters, packet ids, MQTT 5-only fields in 3.1.1) so the client cannot send
/// what a strict decoder would reject. A CONNECT is encoded for its own
/// `version` field.
pub fn encode(packet: &Packet<'_>, version: Version, buf: &mut [u8]) -> Result<usize, EncodeError> {
    let version = match packet {
        Packet::Connect(c) => c.version,
        _ => version,
    };
    frame(packet, 0, version, buf)
}

/// Encodes only the fixed and variable header of `publish`, announcing a
/// payload of `payload_len` bytes that the caller sends afterwards (streaming).
/// `publish.payload` is ignored.
pub fn encode_publish_head(
    publish: &Publish<'_>,
    payload_len: usize,
    version: Version,
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    let mut head = *publish;
    head.payload = &[];
    frame(&Packet::Publish(head), payload_len, version, buf)
}

/// Fixed header and body of `packet`, whose remaining length counts `extra`
/// bytes the caller sends after it.
fn frame(
    packet: &Packet<'_>,
    extra: usize,
    version: Version,
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    let mut counter = Writer::new(&mut []);
    body(packet, version, &mut counter)?;
    let total = counter
        .len()
        .checked_add(extra)
        .ok_or(EncodeError::PacketTooLarge)?;
    let body_len = u32::try_from(total).map_err(|_| EncodeError::PacketTooLarge)?;
    let mut w = Writer::new(buf);
    w.u8(first_byte(packet));
    w.varint(body_len)?;
    body(packet, version, &mut w)?;
    w.finish()
}

fn first_byte(packet: &Packet<'_>) -> u8 {
    let t = packet.packet_type();
    let flags = match packet {
        Packet::Publish(p) => (u8::from(p.dup) << 3) | (p.qos.bits() << 1) | u8::from(p.retain),
        _ => t.fixed_flags().unwrap_or(0),
    };
    ((t as u8) << 4) | flags
}

fn nonzero(id: u16) -> Result<u16, EncodeError> {
    if id == 0 {
        Err(EncodeError::ZeroPacketId)
    } else {
        Ok(id)
    }
}

fn props(w: &mut Writer<'_>, version: Version, p: &Properties<'_>) -> Result<(), EncodeError> {
    match version {
        Version::V5 => p.write(w),
        Version::V311 if p.is_empty() => Ok(()),
        Version::V311 => Err(EncodeError::NotInThisVersion),
    }
}

/// PUBACK..PUBCOMP after the packet id, DISCONNECT and AUTH: in MQTT 5 the
/// reason code and properties, both omitted on success without properties
/// (MQTT 5 3.4.2.1). 3.1.1 has neither: with `strict` anything but success
/// without properties is refused, otherwise left out.
fn reason_and_props(
    w: &mut Writer<'_>,
    version: Version,
    reason: ReasonCode,
    p: &Properties<'_>,
    strict: bool,
) -> Result<(), EncodeError> {
    if reason != ReasonCode::SUCCESS || !p.is_empty() {
        match version {
            Version::V311 if strict => return Err(EncodeError::NotInThisVersion),
            Version::V311 => {}
            Version::V5 => {
                w.u8(reason.0);
                if !p.is_empty() {
                    p.write(w)?;
                }
            }
        }
    }
    Ok(())
}

/// Writes the variable header and payload.
fn body(packet: &Packet<'_>, version: Version, w: &mut Writer<'_>) -> Result<(), EncodeError> {
    match packet {
        Packet::Connect(c) => connect(w, c)?,
        Packet::ConnAck(c) => {
            w.u8(u8::from(c.session_present));
            w.u8(c.code.0);
            props(w, version, &c.properties)?;
        }
        Packet::Publish(p) => {
            let topic_ok = if p.topic.is_empty() {
                version == Version::V5 && p.properties.topic_alias().is_some()
            } else {
                is_valid_topic_name(p.topic)
            };
            if !topic_ok {
                return Err(EncodeError::InvalidTopic);
            }
            w.utf8(p.topic)?;
            match (p.qos, p.packet_id) {
                (QoS::AtMostOnce, _) => {}
                (_, Some(id)) => w.u16(nonzero(id)?),
                (_, None) => return Err(EncodeError::ZeroPacketId),
            }
            props(w, version, &p.properties)?;
            w.bytes(p.payload);
        }
        Packet::PubAck(r) | Packet::PubRec(r) | Packet::PubRel(r) | Packet::PubComp(r) => {
            w.u16(nonzero(r.packet_id)?);
            reason_and_props(w, version, r.reason, &r.properties, true)?
        }
        Packet::Subscribe(s) => {
            w.u16(nonzero(s.packet_id)?);
            props(w, version, &s.properties)?;
            let mut any = false;
            for (filter, opts) in s.subscriptions.iter() {
                if !is_valid_topic_filter(filter) {
                    return Err(EncodeError::InvalidTopicFilter);
                }
                w.utf8(filter)?;
                w.u8(opts.byte(version));
                any = true;
            }
            if !any {
                return Err(EncodeError::NoTopics);
            }
        }
        Packet::SubAck(s) => {
            w.u16(nonzero(s.packet_id)?);
            props(w, version, &s.properties)?;
            if s.codes.is_empty() {
                return Err(EncodeError::NoTopics);
            }
            w.bytes(s.codes);
        }
        Packet::Unsubscribe(u) => {
            w.u16(nonzero(u.packet_id)?);
            props(w, version, &u.properties)?;
            let mut any = false;
            for filter in u.filters.iter() {
                if !is_valid_topic_filter(filter) {
                    return Err(EncodeError::InvalidTopicFilter);
                }
                w.utf8(filter)?;
                any = true;
            }
            if !any {
                return Err(EncodeError::NoTopics);
            }
        }
        Packet::UnsubAck(u) => {
            w.u16(nonzero(u.packet_id)?);
            match version {
                Version::V311 => {
                    if !u.codes.is_empty() || !u.properties.is_empty() {
                        return Err(EncodeError::NotInThisVersion);
                    }
                }
                Version::V5 => {
                    u.properties.write(w)?;
                    if u.codes.is_empty() {
                        return Err(EncodeError::NoTopics);
                    }
                    w.bytes(u.codes);
                }
            }
        }
        Packet::PingReq | Packet::PingResp => {}
        Packet::Disconnect(d) => reason_and_props(w, version, d.reason, &d.properties, false)?,
        Packet::Auth(a) => {
            if version == Version::V311 {
                return Err(EncodeError::NotInThisVersion);
            }
            reason_and_props(w, version, a.reason, &a.properties, false)?
        }
    }
    Ok(())
}

fn connect(w: &mut Writer<'_>, c: &Connect<'_>) -> Result<(), EncodeError> {
    let version = c.version;
    if version == Version::V311 && c.password.is_some() && c.username.is_none() {
        return Err(EncodeError::NotInThisVersion);
    }
    w.utf8("MQTT")?;
    w.u8(version.level());
    let mut flags = u8::from(c.clean_start) << 1;
    if let Some(will) = &c.will {
        flags |= 0x04 | (will.qos.bits() << 3) | (u8::from(will.retain) << 5);
    }
    if c.password.is_some() {
        flags |= 0x40;
    }
    if c.username.is_some() {
        flags |= 0x80;
    }
    w.u8(flags);
    w.u16(c.keep_alive);
    props(w, version, &c.properties)?;
    w.utf8(c.client_id)?;
    if let Some(will) = &c.will {
        props(w, version, &will.properties)?;
        if !is_valid_topic_name(will.topic) {
            return Err(EncodeError::InvalidTopic);
        }
        w.utf8(will.topic)?;
        w.binary(will.payload)?;
    }
    if let Some(u) = c.username {
        w.utf8(u)?;
    }
    if let Some(p) = c.password {
        w.binary(p)?;
    }
    Ok(())
}
