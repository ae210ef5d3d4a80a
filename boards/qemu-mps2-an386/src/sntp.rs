//! SNTP client (feature `sntp`): `petrel-sntp`'s driver on one UDP socket,
//! polling the server fixed at build time (`PETREL_SNTP_SERVER`, default
//! `198.51.100.1:123`; `none` for no configured server) and, with `dhcp`,
//! the servers of DHCP option 42 (netcore keeps the server's packet in the
//! extra `DHCP_PACKET_BYTES` of `Memory::bytes`).
//!
//! The first synchronisation is logged (`sntp: synced to …`); the wall
//! clock it sets is what the dashboard and `/api/status` show
//! ([`crate::status`]).

use core::net::{Ipv4Addr, SocketAddr};

use petrel_netcore::time::Instant;
use petrel_netcore::{Clock, Duration, Network};
use petrel_sntp::driver::{Control, run as drive};
use petrel_sntp::{Client, Config, Event};

use crate::netcfg::SNTP_SERVER;
use crate::{Addr, Net, status};

/// Servers kept (configured + DHCP).
pub(crate) const SERVERS: usize = 2;
/// Events the client keeps: the driver reads them after every step (the
/// library's default, 8, is for loops that read them less often).
const EVENTS: usize = 4;
/// How often DHCP's server list is compared with the one in use.
const DHCP_CHECK: Duration = Duration::from_secs(5);

/// The client's local port: the NTP port (RFC 4330 allows any; a fixed
/// one lets netcore reserve a socket sized for 48-byte datagrams, see
/// `UDP_ALL` in main.rs).
pub(crate) const PORT: u16 = 123;

/// The firmware's side: log, status, DHCP option 42.
struct Reporter {
    net: Net,
    synced_once: bool,
    dhcp: heapless::Vec<Ipv4Addr, 4>,
}

impl Control<SERVERS, EVENTS> for Reporter {
    async fn changed(&mut self) {
        if !cfg!(feature = "dhcp") {
            return core::future::pending().await;
        }
        loop {
            if self.net.ntp_servers() != self.dhcp {
                return;
            }
            self.net.sleep(DHCP_CHECK).await;
        }
    }

    fn apply(&mut self, now: Instant, client: &mut Client<SERVERS, EVENTS>) {
        self.dhcp = self.net.ntp_servers();
        let mut addrs = heapless::Vec::<SocketAddr, 4>::new();
        for a in &self.dhcp {
            let _ = addrs.push(SocketAddr::new((*a).into(), petrel_sntp::wire::PORT));
            crate::log!("sntp: server from DHCP option 42: {}", a);
        }
        if client.set_dhcp_servers(now, &addrs).is_err() {
            crate::log!("sntp: server list full: some DHCP servers left out");
        }
    }

    fn on_event(&mut self, now: Instant, client: &mut Client<SERVERS, EVENTS>, event: Event) {
        match event {
            Event::Synced {
                server,
                offset_us,
                delay_us,
                stratum,
                leap,
                ..
            } => {
                let Some(t) = client.wall_clock().unix_time(now) else {
                    return;
                };
                let unix_ms = u64::try_from(t.millis()).unwrap_or(0);
                if !self.synced_once {
                    crate::log!(
                        "sntp: synced to {} stratum {}, offset {} us, delay {} us; UTC {}",
                        Addr(server),
                        stratum,
                        offset_us,
                        delay_us,
                        petrel_netcore::time::DateTime::from_unix(unix_ms / 1000)
                    );
                }
                self.synced_once = true;
                status::set_sync(status::Sync {
                    server,
                    offset_us,
                    delay_us: i64::try_from(delay_us).unwrap_or(i64::MAX),
                    stratum,
                    leap: leap.bits(),
                    last_sync_unix_ms: unix_ms,
                    boot_unix_ms: unix_ms.saturating_sub(now.as_millis()),
                });
            }
            Event::ServerDropped { server, code } => {
                crate::log!("sntp: {} sent KoD {}: server dropped", Addr(server), code)
            }
            Event::NoServers => crate::log!("sntp: no usable server"),
            _ => {}
        }
    }
}

/// The client; ends only if receiving fails for good.
#[embassy_executor::task]
pub(crate) async fn run(net: Net, mut socket: <Net as Network>::UdpSocket) {
    let now = net.now();
    let mut client: Client<SERVERS, EVENTS> = Client::new(Config::default(), now);
    if let Some((ip, port)) = SNTP_SERVER {
        let server = SocketAddr::new(Ipv4Addr::from(ip).into(), port);
        if client.set_servers(now, &[server]).is_err() {
            crate::log!("sntp: cannot add {}", Addr(server));
        }
        crate::log!(
            "sntp client polling {}{}",
            Addr(server),
            if cfg!(feature = "dhcp") {
                " and DHCP option 42 servers"
            } else {
                ""
            }
        );
    } else {
        crate::log!("sntp client: servers from DHCP option 42 only");
    }
    let mut reporter = Reporter {
        net,
        synced_once: false,
        dhcp: heapless::Vec::new(),
    };
    if cfg!(feature = "dhcp") {
        reporter.apply(now, &mut client);
    }
    let mut buf = [0u8; 48];
    let e = drive(&net, &mut socket, &mut client, &mut buf, &mut reporter).await;
    crate::log!("sntp: stopped: {}", e);
}
