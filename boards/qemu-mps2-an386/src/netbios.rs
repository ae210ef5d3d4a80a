//! NetBIOS name service responder (feature `netbios`): `petrel-netbios`'s
//! driver on udp/137 as a B-node. Registers `<PETREL_NAME>` (upper-cased,
//! suffixes 0x00 and 0x20) by broadcast on the subnet, answers name
//! queries (`nmblookup -U ADDR AN386`) and node status with the
//! interface's address and MAC, and defends the name. One datagram
//! buffer of [`BUF`] bytes (RFC 1002's 576).

use core::net::{Ipv4Addr, SocketAddr};

use petrel_netbios::driver::run as drive;
use petrel_netbios::{Config, Event, Responder};
use petrel_netcore::{Clock, Network};
use static_cell::ConstStaticCell;

use crate::netcfg::DEVICE_NAME;
use crate::{Addr, Net};

/// The port.
pub(crate) const PORT: u16 = 137;
/// One datagram.
pub(crate) const BUF: usize = 576;

static BUFFER: ConstStaticCell<[u8; BUF]> = ConstStaticCell::new([0; BUF]);

/// The responder; ends only if receiving fails for good.
#[embassy_executor::task]
pub(crate) async fn serve(net: Net, mut socket: <Net as Network>::UdpSocket, seed: u64) {
    let mut mac = [0u8; 6];
    let mut ip = (Ipv4Addr::UNSPECIFIED, 32u8);
    net.for_each_interface(&mut |i| {
        mac = i.mac;
        if let Some(a) = i.ipv4 {
            ip = a;
        }
    });
    let (addr, prefix) = ip;
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    let broadcast = SocketAddr::new(Ipv4Addr::from(u32::from(addr) | !mask).into(), PORT);
    let mut config = Config::new(DEVICE_NAME, addr, mac);
    config.random_seed = seed as u16;
    crate::log!(
        "netbios listening on {}:{} (name {}, broadcasts to {})",
        addr,
        PORT,
        DEVICE_NAME,
        Addr(broadcast)
    );
    let mut responder = Responder::new(config, net.now());
    let r = drive(
        &net,
        &mut socket,
        &mut responder,
        broadcast,
        BUFFER.take(),
        core::future::pending(),
        on_event,
    )
    .await;
    if let Err(e) = r {
        crate::log!("netbios: stopped: {}", e);
    }
}

fn on_event(e: Event) {
    match e {
        Event::Registered { name } => crate::log!(
            "netbios: registered {}<{=u8:02x}>",
            core::str::from_utf8(name.name()).unwrap_or("?"),
            name.suffix()
        ),
        Event::Conflict { name, by, .. } => crate::log!(
            "netbios: name conflict: {}<{=u8:02x}> refused by {}; not answering for it",
            core::str::from_utf8(name.name()).unwrap_or("?"),
            name.suffix(),
            Addr(by)
        ),
        Event::Defended { name, from } => crate::log!(
            "netbios: refused {} registering our name {}<{=u8:02x}>",
            Addr(from),
            core::str::from_utf8(name.name()).unwrap_or("?"),
            name.suffix()
        ),
        _ => {}
    }
}
