//! mDNS / DNS-SD responder (feature `mdns`): `petrel-mdns`'s driver on
//! udp/5353 joined to 224.0.0.251, claiming `<PETREL_NAME>.local` (default
//! `an386.local`) for the interface's address and advertising the
//! dashboard as `_http._tcp` (port 80, `path=/`) when `httpd` is on.
//!
//! Probing, announcing, conflict renames (`an386-2`), legacy unicast
//! answers (`dig -p 5353 @ADDR an386.local`) and rate limits are the
//! core's. No querier (the firmware browses nothing). One buffer of
//! [`BUF`] bytes serves both directions; a larger datagram is dropped by
//! the socket.

use petrel_mdns::driver::{self, Note};
use petrel_mdns::{Event, Owner, Responder, ResponderConfig, ServiceSpec};
use petrel_netcore::{Clock, Network};
use static_cell::ConstStaticCell;

use crate::netcfg::DEVICE_NAME;
use crate::{Net, status};

/// The mDNS port, where the responder's socket is bound.
pub(crate) const PORT: u16 = petrel_mdns::responder::MDNS_PORT;
/// Bytes per datagram, both directions.
pub(crate) const BUF: usize = 1024;
/// Services advertised.
const SERVICES: usize = 1;
/// Answers waiting to be sent, and records with a remembered multicast
/// time: one host and one service make about 8 records (the library's
/// defaults, 48 and 64, are for hosts with several services).
const PENDING: usize = 16;
const REMEMBERED: usize = 16;
/// Legacy unicast queries queued: the driver answers each before it reads
/// the next datagram.
const LEGACY: usize = 1;
/// The responder as this board sizes it.
type BoardResponder<'a> = Responder<'a, SERVICES, PENDING, REMEMBERED, LEGACY>;

static BUFFER: ConstStaticCell<[u8; BUF]> = ConstStaticCell::new([0; BUF]);

/// Binds udp/5353 and joins the group, or logs why not.
pub(crate) async fn bind(net: Net) -> Option<<Net as Network>::UdpSocket> {
    match driver::bind(&net).await {
        Ok(s) => Some(s),
        Err(e) => {
            crate::log!("mdns: cannot bind udp/5353 and join 224.0.0.251: {}", e);
            None
        }
    }
}

/// The responder; ends only if receiving fails for good.
#[embassy_executor::task]
pub(crate) async fn run(net: Net, mut socket: <Net as Network>::UdpSocket, seed: u64) {
    let mut responder: BoardResponder<'_> =
        match Responder::new(ResponderConfig::default(), DEVICE_NAME, seed) {
            Ok(r) => r,
            Err(e) => {
                crate::log!("mdns: host name {}: {}", DEVICE_NAME, e);
                return;
            }
        };
    let now = net.now();
    if cfg!(feature = "httpd")
        && let Err(e) = responder.add_service(
            now,
            ServiceSpec {
                instance: DEVICE_NAME,
                service_type: "_http._tcp",
                subtypes: &[],
                port: 80,
                txt: b"\x06path=/",
            },
        )
    {
        crate::log!("mdns: cannot advertise _http._tcp: {}", e);
    }
    let addr = net.ipv4_addr();
    responder.set_address(now, addr);
    crate::log!(
        "mdns responder on udp/5353 (224.0.0.251): probing {}.local{}",
        DEVICE_NAME,
        if cfg!(feature = "httpd") {
            ", _http._tcp on port 80"
        } else {
            ""
        }
    );
    let mut notify = |note: Note, r: &BoardResponder<'_>| on_note(note, r);
    let r = driver::run(
        &net,
        &mut socket,
        &mut responder,
        driver::NoQuerier,
        BUFFER.take(),
        core::future::pending(),
        &mut notify,
    )
    .await;
    if let Err(e) = r {
        crate::log!("mdns: stopped: {}", e);
    }
}

fn on_note(note: Note, r: &BoardResponder<'_>) {
    match note {
        Note::Responder(Event::Claimed(Owner::Host)) => {
            crate::log!("mdns: claimed {}.local", r.host_name());
            status::set_mdns_name(Some(r.host_name()));
        }
        Note::Responder(Event::Claimed(Owner::Service(i))) => crate::log!(
            "mdns: advertising \"{}\"",
            r.service_instance(i).unwrap_or("?")
        ),
        Note::Responder(Event::Renamed(Owner::Host)) => {
            crate::log!("mdns: name conflict, renamed to {}.local", r.host_name());
            status::set_mdns_name(None);
        }
        Note::Responder(Event::RateLimited) => {
            crate::log!("mdns: too many name conflicts, waiting 5 s")
        }
        Note::SendFailed(e) => crate::log!("mdns: send failed: {}", e),
        _ => {}
    }
}
