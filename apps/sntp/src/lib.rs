//! Petrel's SNTP client: a sans-IO core (RFC 4330, RFC 5905 on-wire).
//!
//! - [`wire`]: the NTP header as a zero-copy [`wire::Packet`] view and a
//!   [`wire::Repr`] with `parse`/`emit`/`buffer_len`; timestamps and
//!   Kiss-o'-Death codes.
//! - [`Client`]: polls several servers in turn (configured ones merged with
//!   DHCP option 42 ones), checks the originate timestamp and sanity of each
//!   reply, honours Kiss-o'-Death (`RATE` backs off, `DENY`/`RSTR` drop the
//!   server), keeps a reachability register and an 8-sample clock filter per
//!   server, backs off exponentially when servers are silent, or listens
//!   for broadcasts instead. See [`client`] for the call order.
//! - [`WallClock`]: the Unix time the rest of the suite reads, from the
//!   board's monotonic `Instant`, with a documented slew-or-step policy.
//! - `driver` (feature `driver`): the async loop over a netcore UDP socket.
//!
//! The core never reads a clock, never allocates and never panics on input.
//!
//! ```
//! use core::net::SocketAddr;
//! use petrel_netcore::time::{Duration, Instant};
//! use petrel_sntp::wire::{Leap, Mode, Repr, Timestamp};
//! use petrel_sntp::{Client, Config, Event};
//!
//! let server: SocketAddr = "198.51.100.1:123".parse().unwrap();
//! let mut client: Client<4> = Client::new(Config::default(), Instant::ZERO);
//! client.set_servers(Instant::ZERO, &[server]).unwrap();
//! client.handle_timeout(Instant::ZERO);
//! let mut buf = [0u8; 48];
//! let tx = client.poll_transmit(Instant::ZERO, &mut buf).unwrap();
//! assert_eq!(tx.to, server);
//! let request = Repr::parse_bytes(&buf).unwrap();
//!
//! // The server's clock reads 2023-11-14T22:13:20Z; the reply takes 10 ms.
//! let t = Timestamp::from_unix_micros(1_700_000_000_000_000);
//! let mut reply = Repr::client_request(t);
//! reply.mode = Mode::Server;
//! reply.stratum = 2;
//! reply.originate = request.transmit;
//! reply.receive = t;
//! reply.emit(&mut buf).unwrap();
//! let now = Instant::from_millis(10);
//! client.handle_packet(now, server, &buf);
//! let Some(Event::Synced { delay_us, leap, .. }) = client.poll_event() else { panic!() };
//! assert_eq!((delay_us, leap), (10_000, Leap::NoWarning));
//! let unix = client.wall_clock().unix_time(now).unwrap();
//! assert_eq!(unix.secs(), 1_700_000_000);
//! ```
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![forbid(unsafe_code)]

pub mod client;
pub mod clock;
#[cfg(feature = "driver")]
pub mod driver;
pub mod wire;

pub use client::{Client, Config, Event, Reject, Server, Source, Transmit};
pub use clock::{Adjustment, UnixTime, WallClock};
pub use wire::{KissCode, Leap};
