//! HTTP server on tcp/80 (feature `httpd`): `petrel-httpd`'s driver over
//! petrel-altcp plain TCP serving the dashboard from `petrel_webroot::WEBROOT`
//! (flash), with the firmware's own no_std handlers for the contract in
//! `notes/dashboard-contract.md` (the host's are std-only):
//!
//! - SSI tags `device_name`, `version`, `build`, `uptime`, `mdns_name`,
//!   `time`, `ip` (values are `[A-Za-z0-9_.:-]`, nothing to escape);
//! - `GET /api/status`: device, time (`synced` once SNTP has set the
//!   clock), mdns, the interface, TCP connections and listeners, UDP
//!   endpoints, the services compiled in, and an empty `log` (the firmware
//!   keeps no log ring: its log goes to semihosting);
//! - `GET /api/events`: Server-Sent Events, `stats` once a second;
//! - `GET /api/download?bytes=N`: the dashboard's download test (byte `i`
//!   is `i % 251`, as on the host), streamed from a 1 KB block in flash.
//!
//! `GET/POST /api/settings` are not served (404): the firmware's settings
//! are fixed at build time.
//!
//! JSON is written with `core::fmt` piece by piece into the connection's
//! transmit buffer (chunked encoding), so the document's size is not bounded
//! by a buffer. Memory: [`CONNS`] connections of [`CONN_MEM`] bytes (half
//! receive, half response), sockets reserved for port 80 in main.rs.

use core::fmt::{self, Write as _};
use core::net::{Ipv4Addr, SocketAddr};

use petrel_altcp::{Stream, Tcp, TcpAcceptor};
use petrel_httpd::StatusCode;
use petrel_httpd::driver::{self, Error, Exchange, Handler, Plain, ServerEvent, Upgrade, download};
use petrel_httpd::request::MethodSet;
use petrel_httpd::response::{Cursor, Overflow};
use petrel_httpd::router::Route;
use petrel_httpd::ssi::{Insert, write_resumable};
use petrel_netcore::timer::Clock;
use petrel_netcore::{Duration, ListenConfig, Network, TcpStream};
use static_cell::ConstStaticCell;

use crate::netcfg::DEVICE_NAME;
use crate::{Addr, Net, status};

/// The port.
pub(crate) const PORT: u16 = 80;
/// Connections served at once (a fifth client gets 503).
pub(crate) const CONNS: usize = 4;
/// Per connection: half for the request head, half for the response.
const CONN_MEM: usize = 1536;
/// The listener's backlog.
pub(crate) const BACKLOG: u8 = 1;

static MEM: ConstStaticCell<[u8; CONNS * CONN_MEM]> = ConstStaticCell::new([0; CONNS * CONN_MEM]);

/// Route ids.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Api {
    Status,
    Events,
    Download,
}

static ROUTES: [Route<Api>; 3] = [
    Route::new(MethodSet::GET, "/api/status", Api::Status),
    Route::new(MethodSet::GET, "/api/events", Api::Events),
    Route::new(MethodSet::GET, "/api/download", Api::Download),
];

/// Four periods of the `/api/download` pattern, streamed again and again
/// from flash.
static DOWNLOAD_BLOCK: [u8; 4 * download::PERIOD] = download::pattern();

/// The build, shown by `<!--#build-->` and in `/api/status`.
const BUILD: &str = "release, thumbv7em-none-eabihf";

/// The firmware's side of the server.
struct App {
    net: Net,
}

/// `"3d 04:05:06"`.
struct Uptime(u64);

impl fmt::Display for Uptime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        write!(
            f,
            "{}d {:02}:{:02}:{:02}",
            s / 86_400,
            s / 3600 % 24,
            s / 60 % 60,
            s % 60
        )
    }
}

/// An IPv4 socket address without `core`'s IPv6 code.
fn addr_str(a: SocketAddr) -> Addr {
    Addr(a)
}

fn state_name(s: petrel_netcore::stats::TcpState) -> &'static str {
    use petrel_netcore::stats::TcpState as T;
    match s {
        T::Closed => "closed",
        T::Listen => "listen",
        T::SynSent => "syn_sent",
        T::SynReceived => "syn_received",
        T::Established => "established",
        T::FinWait1 => "fin_wait1",
        T::FinWait2 => "fin_wait2",
        T::CloseWait => "close_wait",
        T::LastAck => "last_ack",
        T::Closing => "closing",
        T::TimeWait => "time_wait",
    }
}

/// Formats into `buf`; the length, or `Overflow`.
fn build(buf: &mut [u8], args: fmt::Arguments<'_>) -> Result<usize, Overflow> {
    let mut c = Cursor::new(buf);
    let _ = c.write_fmt(args);
    c.finish()
}

/// The services compiled in: (name, detail port/peer).
const SERVICES: &[(&str, bool)] = &[
    ("echo", true),
    ("http", true),
    ("tftp", cfg!(feature = "tftp")),
    ("iperf", cfg!(feature = "iperf")),
    ("mqtt", cfg!(feature = "mqtt")),
    ("snmp", cfg!(feature = "snmp")),
    ("mdns", cfg!(feature = "mdns")),
    ("netbios", cfg!(feature = "netbios")),
    ("sntp", cfg!(feature = "sntp")),
];

impl App {
    fn uptime_s(&self) -> u64 {
        self.net.now().as_secs()
    }

    /// The `i`-th TCP connection (listeners with `listen`).
    fn tcp_nth(&self, i: usize, listen: bool) -> Option<petrel_netcore::stats::TcpConnInfo> {
        let mut n = 0;
        let mut found = None;
        self.net.for_each_tcp_connection(&mut |c| {
            if (c.state == petrel_netcore::stats::TcpState::Listen) == listen {
                if n == i {
                    found = Some(*c);
                }
                n += 1;
            }
        });
        found
    }

    fn udp_nth(&self, i: usize) -> Option<SocketAddr> {
        let mut n = 0;
        let mut found = None;
        self.net.for_each_udp_endpoint(&mut |u| {
            if n == i {
                found = Some(u.local);
            }
            n += 1;
        });
        found
    }

    async fn status<S: Stream, C: Clock>(&self, ex: &mut Exchange<'_, S, C>) -> Result<(), Error> {
        let mut w = ex
            .chunked(
                StatusCode::OK,
                "application/json",
                b"Cache-Control: no-store\r\n",
            )
            .await?;
        w.write_with(|b| {
            build(
                b,
                format_args!(
                    "{{\"device\":{{\"name\":\"{DEVICE_NAME}\",\"version\":\"{}\",\"build\":\"{BUILD}\",\"uptime_s\":{}}},",
                    env!("CARGO_PKG_VERSION"),
                    self.uptime_s()
                ),
            )
        })
        .await?;
        let now_ms = status::unix_ms(self.net.now());
        w.write_with(|b| match status::sync() {
            Some(s) => build(
                b,
                format_args!(
                    "\"time\":{{\"now_unix_ms\":{},\"synced\":true,\"server\":\"{}\",\"offset_us\":{},\
                     \"delay_us\":{},\"stratum\":{},\"leap\":{},\"last_sync_unix_ms\":{}}},",
                    now_ms.unwrap_or(0),
                    Addr(s.server),
                    s.offset_us,
                    s.delay_us,
                    s.stratum,
                    s.leap,
                    s.last_sync_unix_ms
                ),
            ),
            None => build(
                b,
                format_args!(
                    "\"time\":{{\"now_unix_ms\":{},\"synced\":false}},",
                    now_ms.unwrap_or(0)
                ),
            ),
        })
        .await?;
        w.write_with(|b| match status::mdns_name() {
            Some(n) => build(b, format_args!("\"mdns\":{{\"name\":\"{n}.local\"}},")),
            None => build(b, format_args!("\"mdns\":null,")),
        })
        .await?;
        w.write(b"\"interfaces\":[").await?;
        let mut ifs = [None; 2];
        let mut k = 0;
        self.net.for_each_interface(&mut |i| {
            if let Some(slot) = ifs.get_mut(k) {
                *slot = Some((i.index, i.mac, i.mtu, i.up, i.speed_bps, i.ipv4, i.counters));
                k += 1;
            }
        });
        for (n, (index, mac, mtu, up, speed, ipv4, c)) in ifs.iter().flatten().enumerate() {
            w.write_with(|b| {
                let mut cur = Cursor::new(b);
                let _ = write!(
                    cur,
                    "{}{{\"index\":{index},\"name\":\"eth0\",\"ipv4\":",
                    if n == 0 { "" } else { "," }
                );
                let _ = match ipv4 {
                    Some((a, p)) => write!(cur, "\"{a}/{p}\""),
                    None => write!(cur, "null"),
                };
                let _ = write!(
                    cur,
                    ",\"mac\":\"{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}\",\"mtu\":{mtu},\"up\":{up},\
                     \"speed_bps\":{speed},\"rx_bytes\":{},\"tx_bytes\":{},\"rx_packets\":{},\
                     \"tx_packets\":{},\"rx_errors\":{},\"tx_errors\":{},\"rx_discards\":{},\
                     \"tx_discards\":{}}}",
                    mac[0],
                    mac[1],
                    mac[2],
                    mac[3],
                    mac[4],
                    mac[5],
                    c.in_octets,
                    c.out_octets,
                    c.in_ucast + c.in_mcast + c.in_bcast,
                    c.out_ucast + c.out_mcast + c.out_bcast,
                    c.in_errors,
                    c.out_errors,
                    c.in_discards,
                    c.out_discards
                );
                cur.finish()
            })
            .await?;
        }
        w.write(b"],\"connections\":{\"tcp\":[").await?;
        // One entry per write: the lists are read again for each (no copy
        // held across the awaits; a handful of sockets).
        let mut i = 0;
        while let Some(c) = self.tcp_nth(i, false) {
            w.write_with(|b| {
                build(
                    b,
                    format_args!(
                        "{}{{\"local\":\"{}\",\"remote\":\"{}\",\"state\":\"{}\"}}",
                        if i == 0 { "" } else { "," },
                        addr_str(c.local),
                        addr_str(c.remote),
                        state_name(c.state)
                    ),
                )
            })
            .await?;
            i += 1;
        }
        w.write(b"],\"tcp_listeners\":[").await?;
        let mut i = 0;
        while let Some(c) = self.tcp_nth(i, true) {
            w.write_with(|b| {
                build(
                    b,
                    format_args!(
                        "{}{{\"local\":\"{}\"}}",
                        if i == 0 { "" } else { "," },
                        addr_str(c.local)
                    ),
                )
            })
            .await?;
            i += 1;
        }
        w.write(b"],\"udp\":[").await?;
        let mut i = 0;
        while let Some(a) = self.udp_nth(i) {
            w.write_with(|b| {
                build(
                    b,
                    format_args!(
                        "{}{{\"local\":\"{}\"}}",
                        if i == 0 { "" } else { "," },
                        addr_str(a)
                    ),
                )
            })
            .await?;
            i += 1;
        }
        w.write(b"]},\"services\":[").await?;
        let mut first = true;
        for (name, on) in SERVICES {
            if !on {
                continue;
            }
            let comma = if first { "" } else { "," };
            first = false;
            w.write_with(|b| {
                build(
                    b,
                    format_args!(
                        "{comma}{{\"name\":\"{name}\",\"state\":\"running\",\"detail\":\"\"}}"
                    ),
                )
            })
            .await?;
        }
        w.write(b"],\"log\":[]}").await?;
        w.finish().await
    }

    /// The `stats` event's data.
    fn stats(&self, b: &mut [u8]) -> Result<usize, Overflow> {
        let (mut rx_b, mut tx_b, mut rx_p, mut tx_p) = (0u64, 0u64, 0u64, 0u64);
        self.net.for_each_interface(&mut |i| {
            let c = &i.counters;
            rx_b += c.in_octets;
            tx_b += c.out_octets;
            rx_p += c.in_ucast + c.in_mcast + c.in_bcast;
            tx_p += c.out_ucast + c.out_mcast + c.out_bcast;
        });
        build(
            b,
            format_args!(
                "{{\"unix_ms\":{},\"uptime_s\":{},\"rx_bytes\":{rx_b},\"tx_bytes\":{tx_b},\
                 \"rx_packets\":{rx_p},\"tx_packets\":{tx_p},\"tcp_connections\":{}}}",
                status::unix_ms(self.net.now()).unwrap_or(0),
                self.uptime_s(),
                self.net.tcp_stats().curr_estab
            ),
        )
    }

    async fn events<S: Stream, C: Clock>(&self, ex: &mut Exchange<'_, S, C>) -> Result<(), Error> {
        let mut sse = ex.sse().await?;
        // Ends when the client goes: its FIN or reset, seen while waiting, or
        // a failed write.
        loop {
            let mut data = [0u8; 200];
            let n = self.stats(&mut data)?;
            let text = core::str::from_utf8(data.get(..n).unwrap_or(&[])).unwrap_or("{}");
            sse.send(Some("stats"), text).await?;
            sse.wait(Duration::from_secs(1)).await?;
        }
    }
}

impl Handler for App {
    type Route = Api;

    fn routes(&self) -> &[Route<Api>] {
        &ROUTES
    }

    async fn call<S: Stream, C: Clock>(
        &self,
        route: Api,
        ex: &mut Exchange<'_, S, C>,
    ) -> Result<(), Error> {
        match route {
            Api::Status => self.status(ex).await,
            Api::Events => self.events(ex).await,
            Api::Download => download::serve(ex, &DOWNLOAD_BLOCK).await,
        }
    }

    fn ssi(&self, tag: &str, _arg: &str, state: &mut u32, out: &mut [u8]) -> Insert {
        let mut text = [0u8; 48];
        let mut c = Cursor::new(&mut text);
        let _ = match tag {
            "device_name" => c.write_str(DEVICE_NAME),
            "version" => c.write_str(env!("CARGO_PKG_VERSION")),
            "build" => c.write_str(BUILD),
            "uptime" => write!(c, "{}", Uptime(self.uptime_s())),
            "mdns_name" => match status::mdns_name() {
                Some(n) => write!(c, "{n}.local"),
                None => c.write_str("-"),
            },
            "time" => match status::unix_ms(self.net.now()) {
                Some(ms) => write!(
                    c,
                    "{}",
                    petrel_netcore::time::DateTime::from_unix(ms / 1000)
                ),
                None => c.write_str("not synced"),
            },
            "ip" => match self.net.ipv4_addr() {
                Some(a) => write!(c, "{a}"),
                None => c.write_str("-"),
            },
            _ => c.write_str("<!-- unknown tag -->"),
        };
        let n = c.len();
        write_resumable(text.get(..n).unwrap_or(&[]), state, out)
    }

    fn unix_time(&self) -> Option<u64> {
        status::unix_ms(self.net.now()).map(|ms| ms / 1000)
    }

    fn on_event(&self, e: ServerEvent) {
        if let ServerEvent::Busy { peer: Some(p) } = e {
            crate::log!("http {}: all {CONNS} slots busy, 503", Addr(p));
        }
    }
}

/// Plain HTTP with Nagle's algorithm off: a response that leaves in
/// several writes (chunked JSON, SSI pages) would otherwise wait for the
/// client's delayed ACK (40 ms on Linux) before its last segment.
struct NoDelay;

impl<S: TcpStream> Upgrade<Tcp<S>> for NoDelay {
    type Stream = Tcp<S>;
    async fn upgrade(&self, mut s: Tcp<S>) -> Result<Tcp<S>, petrel_altcp::Error> {
        s.get_mut().set_nodelay(true);
        Ok(s)
    }
    async fn reject(&self, s: Tcp<S>) {
        Upgrade::<Tcp<S>>::reject(&Plain, s).await;
    }
}

/// Listens on tcp/80, or logs why not.
pub(crate) async fn open(net: Net) -> Option<<Net as Network>::TcpListener> {
    let any = SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), PORT);
    match net
        .tcp_listen(any, ListenConfig::with_backlog(BACKLOG))
        .await
    {
        Ok(l) => Some(l),
        Err(e) => {
            crate::log!("http: cannot listen on {}: {e}", Addr(any));
            None
        }
    }
}

/// The server; ends only if accepting fails for good.
#[embassy_executor::task]
pub(crate) async fn serve(net: Net, listener: <Net as Network>::TcpListener, shown: Ipv4Addr) {
    let config = petrel_httpd::Config {
        max_header_bytes: CONN_MEM / 2,
        max_headers: 24,
        max_uri: 256,
        max_body: 1024,
        idle_timeout: Duration::from_secs(15),
        request_timeout: Duration::from_secs(5),
        max_connections: CONNS,
        max_drain: 1024,
    };
    let app = App { net };
    crate::log!(
        "http listening on {shown}:{PORT} ({CONNS} connections; dashboard, /api/status, /api/events)"
    );
    let e = driver::serve::<_, _, _, _, CONNS>(
        &mut TcpAcceptor::new(listener),
        &NoDelay,
        &net,
        &app,
        &petrel_webroot::WEBROOT,
        &config,
        MEM.take(),
    )
    .await;
    crate::log!("http: stopped: {e}");
}
