//! Petrel's mDNS / DNS-SD: a sans-IO responder and querier core (RFC 6762,
//! RFC 6763).
//!
//! - [`wire`]: DNS messages as a bounded [`wire::Reader`] (zero-copy records,
//!   decoded A/PTR/SRV/TXT/NSEC rdata) and a [`wire::Writer`] that
//!   compresses names; [`name`]: an owned [`Name`] and the decompressing
//!   parser that cannot loop on hostile pointers.
//! - [`Responder`]: `<host>.local` A and reverse PTR, DNS-SD services
//!   (PTR, SRV, TXT, subtypes, `_services._dns-sd._udp`), probing with the
//!   simultaneous-probe tiebreak, automatic rename on conflict (`host-2`,
//!   `Name (2)`) with the conflict rate limit, announcing, response delays,
//!   rate limits, known-answer and duplicate-answer suppression, QU and
//!   legacy unicast replies, NSEC negative answers, goodbyes (TTL 0) on
//!   removal and shutdown. See [`responder`] for the call order.
//! - [`Querier`]: one-shot and continuous queries (`browse("_http._tcp")`)
//!   with a fixed cache honouring TTLs, goodbyes and cache-flush, sending
//!   known answers.
//! - `driver` (feature `driver`): binds port 5353, joins 224.0.0.251 and runs
//!   both over a netcore [`UdpSocket`](petrel_netcore::socket::UdpSocket)
//!   until a stop future completes, then says goodbye.
//!
//! The cores never read a clock, never allocate and never panic on input;
//! random delays come from a seed the caller gives. Capacities are const
//! generics (services `S`; queries `Q` and cache entries `C`).
//!
//! ```
//! use petrel_mdns::{Event, Owner, Responder, ResponderConfig, ServiceSpec};
//! use petrel_netcore::time::Instant;
//!
//! let mut r: Responder<'_, 4> = Responder::new(ResponderConfig::default(), "petrel", 7).unwrap();
//! let mut now = Instant::from_secs(1);
//! r.add_service(now, ServiceSpec {
//!     instance: "Petrel dashboard",
//!     service_type: "_http._tcp",
//!     subtypes: &[],
//!     port: 80,
//!     txt: b"\x06path=/",
//! }).unwrap();
//! r.set_address(now, Some([198, 51, 100, 2].into()));
//! // Drive the timers: three probes, then two announcements.
//! let mut buf = [0u8; 1500];
//! let mut sent = 0;
//! while let Some(t) = r.poll_timeout() {
//!     now = now.max(t);
//!     while let Some(tx) = r.poll_transmit(now, &mut buf) {
//!         assert_eq!(tx.to, petrel_mdns::responder::MDNS_DEST);
//!         sent += 1;
//!     }
//!     if r.host_claimed() && r.service_claimed(0) { break; }
//! }
//! assert_eq!(sent, 5);
//! assert_eq!(r.poll_event(), Some(Event::Claimed(Owner::Host)));
//!
//! // A question for petrel.local A is answered at once, on multicast.
//! let q = b"\0\0\0\0\0\x01\0\0\0\0\0\0\x06petrel\x05local\0\0\x01\0\x01";
//! now = now + petrel_netcore::time::Duration::from_secs(2);
//! r.handle_packet(now, q, "198.51.100.1:5353".parse().unwrap()).unwrap();
//! let tx = r.poll_transmit(now, &mut buf).unwrap();
//! let mut reader = petrel_mdns::wire::Reader::new(&buf[..tx.len]).unwrap();
//! let (_, answer) = reader.record().unwrap().unwrap();
//! assert_eq!(answer.name.to_string(), "petrel.local");
//! assert_eq!(answer.data(), Ok(petrel_mdns::wire::RData::A([198, 51, 100, 2].into())));
//! ```
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![forbid(unsafe_code)]

#[cfg(feature = "driver")]
pub mod driver;
pub mod name;
pub mod querier;
pub mod records;
pub mod responder;
pub mod wire;

pub use name::Name;
pub use querier::{CacheEntry, Querier, QueryError, QueryEvent};
pub use records::{ServiceSpec, txt_from_strs};
pub use responder::{Event, NameError, Owner, Responder, ResponderConfig, Transmit};
pub use wire::WireError;
