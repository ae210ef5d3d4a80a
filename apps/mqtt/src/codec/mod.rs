//! The MQTT 3.1.1 and MQTT 5 wire format: zero-copy [`decode`] and [`encode`]
//! into caller buffers, with strict validation.
//!
//! * [`decode`] returns `Ok(None)` until a whole packet is present, then the
//!   [`Packet`] (borrowing topic, payload and properties from the input) and the
//!   number of bytes it used. A packet announcing more than `max_packet_size`
//!   bytes is refused as soon as its fixed header is read.
//! * [`encode`] writes into a `&mut [u8]` and reports
//!   [`EncodeError::BufferTooSmall`] with the size it needs.
//! * [`decode_publish_head`] / [`encode_publish_head`] handle a PUBLISH whose
//!   payload is streamed separately.
//! * Errors map to MQTT 5 reason codes with [`DecodeError::reason_code`].

mod decode;
mod encode;
mod error;
mod packets;
mod properties;
mod wire;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_hostile;

pub use decode::{FixedHeader, PublishHead, decode, decode_fixed_header, decode_publish_head};
pub use encode::{encode, encode_publish_head};
pub use error::{DecodeError, EncodeError, ReasonCode};
pub use packets::{
    Auth, ConnAck, Connect, Disconnect, Packet, PacketType, PubResponse, Publish, QoS,
    RetainHandling, SubAck, Subscribe, SubscriptionIter, SubscriptionOptions, Subscriptions,
    TopicFilterIter, TopicFilters, UnsubAck, Unsubscribe, Version, Will,
};
pub use properties::{Properties, PropertiesBuilder, Property, PropertyContext, PropertyIter};
pub use wire::{VARINT_MAX, varint_len};
