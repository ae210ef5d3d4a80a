//! Petrel's NetBIOS name service responder (RFC 1001/1002, B-node): a
//! sans-IO core and an async driver.
//!
//! - [`wire`]: the name service header, first-level encoded names read
//!   with a bounded reader (pointer loops and oversized names are errors),
//!   questions and records.
//! - [`Responder`]: registers the device name (suffixes 0x00 and 0x20) at
//!   start, answers NB queries case-insensitively with the address of the
//!   interface the query arrived on, answers node status (NBSTAT) with the
//!   name table and MAC address, defends the name against other nodes,
//!   reports conflicts, and releases the names on shutdown. See
//!   [`responder`] for the details and the call order.
//! - `driver` (feature `driver`): the async loop over a netcore UDP socket.
//!
//! The core never reads a clock, never allocates and never panics on input.
//!
//! ```
//! use core::net::{Ipv4Addr, SocketAddr};
//! use petrel_netbios::{Config, Destination, Event, Responder};
//! use petrel_netbios::wire::Repr;
//! use petrel_netcore::time::Instant;
//!
//! let cfg = Config::new("petrel", Ipv4Addr::new(198, 51, 100, 2), [2, 0, 0, 0, 0, 1]);
//! let mut r = Responder::new(cfg, Instant::ZERO);
//! let mut buf = [0u8; 576];
//! // Registration starts at once: two broadcast requests (<00> and <20>).
//! r.handle_timeout(Instant::ZERO);
//! assert_eq!(r.poll_transmit(&mut buf).unwrap().to, Destination::Broadcast);
//! assert_eq!(r.poll_transmit(&mut buf).unwrap().to, Destination::Broadcast);
//!
//! // `nmblookup -U 198.51.100.2 Petrel`, arriving on 198.51.100.2.
//! let query = b"\x39\x5f\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x20FAEFFEFCEFEMCACACACACACACACACAAA\x00\x00\x20\x00\x01";
//! let from: SocketAddr = "198.51.100.1:40000".parse().unwrap();
//! r.handle_packet(from, Some(Ipv4Addr::new(198, 51, 100, 2)), query);
//! let tx = r.poll_transmit(&mut buf).unwrap();
//! assert_eq!(tx.to, Destination::Unicast(from));
//! let answer = Repr::parse(&buf[..tx.len]).unwrap();
//! assert!(answer.header.is_response());
//! assert_eq!(answer.record.unwrap().nb, Some((0, [198, 51, 100, 2])));
//! ```
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![forbid(unsafe_code)]

#[cfg(feature = "driver")]
pub mod driver;
pub mod responder;
pub mod wire;

pub use responder::{Config, Destination, Event, Ignore, Responder, Transmit};
pub use wire::{NbName, WireError};
