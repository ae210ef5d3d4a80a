//! Shared service status the dashboard shows: the wall clock set by SNTP
//! and the mDNS host name once claimed. Written by those services, read by
//! the HTTP server; a critical section guards each (single core).

#![allow(dead_code)]

use core::cell::{Cell, RefCell};
use core::net::SocketAddr;

use critical_section::Mutex;
use petrel_netcore::time::Instant;

/// The last SNTP synchronisation.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Sync {
    /// The server that answered.
    pub(crate) server: SocketAddr,
    /// Clock offset measured, microseconds.
    pub(crate) offset_us: i64,
    /// Round-trip delay, microseconds.
    pub(crate) delay_us: i64,
    /// Server stratum.
    pub(crate) stratum: u8,
    /// Leap indicator.
    pub(crate) leap: u8,
    /// When, Unix milliseconds.
    pub(crate) last_sync_unix_ms: u64,
    /// Unix milliseconds at boot (`Instant` zero).
    pub(crate) boot_unix_ms: u64,
}

/// Not synchronised yet: all zero bytes, so the static is in `.bss` (an
/// `Option<Sync>`'s `None` is not, and would cost its size in flash too).
const UNSYNCED: Sync = Sync {
    server: SocketAddr::V4(core::net::SocketAddrV4::new(
        core::net::Ipv4Addr::UNSPECIFIED,
        0,
    )),
    offset_us: 0,
    delay_us: 0,
    stratum: 0,
    leap: 0,
    last_sync_unix_ms: 0,
    boot_unix_ms: 0,
};

static SYNC: Mutex<Cell<Sync>> = Mutex::new(Cell::new(UNSYNCED));
/// A claimed mDNS host label (at most 63 bytes).
pub(crate) type HostName = heapless::String<63>;

static MDNS: Mutex<RefCell<Option<HostName>>> = Mutex::new(RefCell::new(None));

/// The last synchronisation, if any.
pub(crate) fn sync() -> Option<Sync> {
    let s = critical_section::with(|cs| SYNC.borrow(cs).get());
    (s.last_sync_unix_ms != 0).then_some(s)
}

/// Records a synchronisation.
pub(crate) fn set_sync(s: Sync) {
    critical_section::with(|cs| SYNC.borrow(cs).set(s));
}

/// Unix milliseconds at `now`, once SNTP has synchronised.
pub(crate) fn unix_ms(now: Instant) -> Option<u64> {
    sync().map(|s| s.boot_unix_ms + now.as_millis())
}

/// The mDNS host name (without `.local`), once claimed.
pub(crate) fn mdns_name() -> Option<HostName> {
    critical_section::with(|cs| MDNS.borrow(cs).borrow().clone())
}

/// Records the claimed mDNS host name (`None`: probing again).
pub(crate) fn set_mdns_name(name: Option<&str>) {
    let name = name.and_then(|n| HostName::try_from(n).ok());
    critical_section::with(|cs| *MDNS.borrow(cs).borrow_mut() = name);
}
