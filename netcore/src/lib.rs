//! # petrel-netcore — the shared network core
//!
//! Everything in Petrel stands on this crate:
//!
//! - [`time`]: integer-microsecond [`time::Instant`] and
//!   [`time::Duration`];
//! - [`timer`]: the timer model every protocol core uses (a fixed
//!   [`timer::Timers`] table per core, a [`timer::Clock`] to
//!   sleep on, [`timer::with_timeout`]);
//! - [`socket`]: the async TCP/UDP traits apps are written against, with the
//!   typed errors of [`error`];
//! - [`stats`]: the interface/IP/TCP/UDP counters and connection tables MIB-2
//!   needs;
//! - backends: `smol` (smoltcp 0.14 over any `smoltcp::phy::Device`:
//!   a board's MAC, a Linux TAP, or the simulated link in `sim`) and `os` (the
//!   host's own sockets, feature `os`).
//!
//! The core is `#![no_std]` and allocates nothing; the caller provides all
//! memory (see `smol::Memory` and `smol::Capacity`).
//!
//! ```
//! use petrel_netcore::time::{Duration, Instant};
//! let deadline = Instant::from_secs(1) + Duration::from_millis(250);
//! assert_eq!(deadline.as_millis(), 1_250);
//! ```
#![cfg_attr(not(any(test, feature = "std")), no_std)]

pub mod error;
#[cfg(feature = "os")]
pub mod os;
pub mod small;
pub mod socket;
pub mod stats;
pub mod time;
pub mod timer;

#[cfg(feature = "smoltcp")]
pub mod smol;

#[cfg(feature = "sim")]
pub mod sim;
#[cfg(all(feature = "tap", target_os = "linux"))]
pub mod tap;
#[cfg(any(feature = "sim", feature = "tap", feature = "os"))]
pub mod tokio_clock;

pub use error::{DnsError, TcpError, UdpError};
pub use socket::{
    BacklogPolicy, ConnectConfig, Keepalive, ListenConfig, Network, Shutdown, TcpListener,
    TcpStream, UdpMeta, UdpSocket,
};
pub use time::{Duration, Instant};
pub use timer::{Clock, Timers};
