//! Petrel's TFTP: a sans-IO server and client core.
//!
//! - [`wire`]: RRQ/WRQ/DATA/ACK/ERROR/OACK as a zero-copy [`wire::Packet`]
//!   view and a [`wire::Repr`] with `parse`/`emit`/`buffer_len`, and the
//!   RFC 2347 options `blksize` (RFC 2348), `tsize`, `timeout` (RFC 2349) and
//!   `windowsize` (RFC 7440).
//! - [`fs`]: the [`FileSystem`] trait a board implements, and [`RamFs`].
//! - [`Server`]: decides on each request received on port 69; an accepted
//!   request becomes a [`Transfer`] that the driver runs on its own socket
//!   (RFC 1350 TID), so several transfers run at once.
//! - [`Client`]: get and put, with options, falling back to RFC 1350 when the
//!   server sends no OACK.
//! - `driver` (feature `driver`): the async server (several transfers at
//!   once, one future, no spawning) and client over netcore's sockets.
//!
//! The cores never read a clock, never allocate and never panic on input.
//! They take `now` and bytes (`handle_packet`, `handle_timeout`) and give
//! datagrams, events and deadlines (`poll_transmit`, `poll_event`,
//! `poll_timeout`); see [`transfer`] for the call order. Blocks roll over from
//! 65535 to 0, so files larger than 32 MiB work with 512-byte blocks.
//!
//! ```
//! use petrel_netcore::time::Instant;
//! use petrel_tftp::{Decision, Destination, Event, RamFs, Server, ServerConfig};
//!
//! let mut fs: RamFs<2, 64> = RamFs::new();
//! fs.insert(b"hello.txt", b"hi!").unwrap();
//! let server = Server::new(ServerConfig::default());
//! let now = Instant::ZERO;
//! let rrq = b"\x00\x01hello.txt\x00octet\x00";
//! let mut buf = [0u8; 600];
//! let Decision::Accept(mut t) = server.handle_request(now, &mut fs, 0, rrq, &mut buf) else {
//!     panic!("refused")
//! };
//! // No options were asked for: the transfer starts with DATA 1.
//! let tx = t.poll_transmit(&mut fs, &mut buf).unwrap();
//! assert_eq!(tx.to, Destination::Peer);
//! assert_eq!(&buf[..tx.len], b"\x00\x03\x00\x01hi!");
//! t.handle_packet(now, &mut fs, true, b"\x00\x04\x00\x01");
//! assert_eq!(t.poll_event(), Some(Event::Completed { bytes: 3 }));
//! assert!(t.is_closed());
//! ```
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![forbid(unsafe_code)]

pub mod client;
#[cfg(feature = "driver")]
pub mod driver;
pub mod fs;
pub mod netascii;
pub mod server;
pub mod transfer;
pub mod wire;

pub use client::{Client, ClientConfig, ClientError};
pub use fs::{FileSystem, FsError, RamFs};
pub use server::{Decision, Server, ServerConfig};
pub use transfer::{Destination, Event, Params, Transfer, TransferError, Transmit};
pub use wire::{ErrorCode, Mode, Options, Repr, WireError};
