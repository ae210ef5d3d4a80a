//! Petrel's iPerf 2: sans-IO server and client cores, interoperable with
//! iperf 2.1.8.
//!
//! - [`wire`]: the client header (24-byte base plus the 2.1 extension), the
//!   UDP datagram header with 64-bit ids, and the UDP server report.
//! - [`tcp`]: [`TcpServerSession`] (byte accounting, interval reports, the
//!   `-r`/`-d` reverse-test decision as an event) and [`TcpClient`].
//! - [`udp`]: [`UdpServer`] (per-peer loss, out-of-order and RFC 1889 jitter,
//!   a server report for every FIN) and [`UdpClient`] (paced sender).
//! - [`report`]: iperf-style lines via `Display`, without a heap.
//! - `driver` (feature `driver`): the async server (TCP sessions with
//!   reverse tests, and UDP, on one port; one future, no spawning) and
//!   client over netcore's sockets.
//!
//! The cores never read a clock, never allocate and never panic on input;
//! counters are 64-bit. Each module documents its call order.
//!
//! ```
//! use petrel_iperf::tcp::{TcpEvent, TcpServerSession};
//! use petrel_iperf::wire::{Amount, ReverseMode};
//! use petrel_netcore::time::{Duration, Instant};
//!
//! // The first 24 bytes iperf 2.1.8 sends for `iperf -c HOST -p 15000 -t 1 -r`.
//! let hdr = [0xc0, 0x01, 0x00, 0x78, 0, 0, 0, 1, 0, 0, 0x3a, 0x98, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x9c];
//! let mut s = TcpServerSession::new(Instant::ZERO, 1, None);
//! s.handle_data(Instant::ZERO, &hdr);
//! s.handle_close(Instant::from_secs(1));
//! let mut reverse = None;
//! while let Some(e) = s.poll_event() {
//!     if let TcpEvent::Reverse { port, amount, mode } = e {
//!         reverse = Some((mode, port, amount));
//!     }
//! }
//! assert_eq!(reverse, Some((ReverseMode::Tradeoff, 15000, Amount::Time { centis: 100 })));
//! ```
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![forbid(unsafe_code)]

#[cfg(feature = "driver")]
pub mod driver;
pub mod report;
pub mod tcp;
pub mod udp;
pub mod wire;

pub use report::Report;
pub use tcp::{TcpClient, TcpClientConfig, TcpEvent, TcpServerSession};
pub use udp::{UdpClient, UdpClientConfig, UdpClientEvent, UdpEvent, UdpServer, UdpSession};
pub use wire::{Amount, ClientHeader, HeaderError, ReverseMode, ServerReport, UdpHeader};
