//! # petrel-mqtt — an MQTT 3.1.1 / MQTT 5 client for microcontrollers
//!
//! Two layers, both `no_std`, heap-free, IO-free and panic-free on input:
//!
//! * [`codec`]: every MQTT 3.1.1 and MQTT 5 packet (CONNECT … AUTH). Decoding
//!   is zero-copy ([`codec::Packet`] borrows topic, payload and properties
//!   from the input) and strict: remaining-length varints, reserved flag bits,
//!   UTF-8 strings, topic names and filters, QoS, packet ids and MQTT 5
//!   properties (identifier, packet, duplicates, value types and ranges) are
//!   all checked, and each fault is a typed [`codec::DecodeError`] that maps to
//!   the MQTT 5 reason code to answer with. Encoding writes into a caller
//!   `&mut [u8]`.
//! * [`client`]: a sans-IO state machine ([`Client`]) in the quinn-proto style:
//!   `handle_connected/handle_bytes/handle_timeout/handle_disconnected` in,
//!   `poll_event/poll_transmit/poll_timeout` out. It does keepalive (PINGREQ
//!   when idle, broker dead after 1.5 × keep alive), QoS 0/1/2 both ways,
//!   DUP resend of in-flight messages after a reconnect with a session,
//!   QoS 2 exactly-once delivery, MQTT 5 receive maximum and inbound topic
//!   aliases, a resubscribe list, and streaming of payloads larger than its
//!   buffers in both directions. The caller lends all memory ([`Buffers`]) and
//!   picks the capacities as const generics.
//!
//! [`topic_matches`] implements MQTT wildcard matching for dispatching
//! received messages.
//!
//! With feature `driver`, [`driver`] binds a [`Client`] to a broker
//! connection (netcore + altcp, async, still `no_std` and heap-free):
//! host-name resolution, TLS through a connector, reconnect with back-off and
//! jitter, re-subscription, and connect failures reported by cause.
//!
//! ## Example: one QoS 1 publish against a scripted broker
//!
//! ```
//! use petrel_mqtt::codec::{Properties, QoS};
//! use petrel_mqtt::{Buffers, Client, Config, Event};
//! use petrel_netcore::time::Instant;
//!
//! let (mut rx, mut outbox, mut subs, mut aliases) = ([0u8; 256], [0u8; 512], [0u8; 64], [0u8; 0]);
//! let config = Config { client_id: "sensor-1", keep_alive: 30, ..Config::default() };
//! let mut client: Client<'_, 4, 4, 0> = Client::new(
//!     config,
//!     Buffers { rx: &mut rx, outbox: &mut outbox, subs: &mut subs, aliases: &mut aliases },
//! );
//! let now = Instant::from_secs(1);
//! let mut tx = [0u8; 128];
//!
//! client.handle_connected(now).unwrap();
//! let n = client.poll_transmit(&mut tx).unwrap();
//! assert_eq!(tx[0], 0x10); // CONNECT, to be written to the socket
//! # let _ = n;
//!
//! // The broker accepts (CONNACK, MQTT 3.1.1 section 3.2).
//! client.handle_bytes(now, &[0x20, 0x02, 0x00, 0x00]);
//! assert!(matches!(client.poll_event(), Some(Event::Connected { session_present: false })));
//!
//! let id = client
//!     .publish(now, "sensors/1/temp", b"21.5", QoS::AtLeastOnce, false, Properties::EMPTY)
//!     .unwrap()
//!     .unwrap();
//! let n = client.poll_transmit(&mut tx).unwrap();
//! assert_eq!(tx[0], 0x32); // PUBLISH, QoS 1
//! # let _ = n;
//!
//! // PUBACK for that packet id completes it.
//! let [hi, lo] = id.to_be_bytes();
//! client.handle_bytes(now, &[0x40, 0x02, hi, lo]);
//! assert!(matches!(client.poll_event(), Some(Event::Delivered { packet_id, .. }) if packet_id == id));
//! assert_eq!(client.poll_timeout(), Some(now + petrel_netcore::time::Duration::from_secs(30)));
//! ```
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![forbid(unsafe_code)]

pub mod client;
pub mod codec;
#[cfg(feature = "driver")]
pub mod driver;
pub mod topic;

pub use client::{Buffers, Client, Config, Event};
pub use topic::topic_matches;
