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
//! JSON is written without `core::fmt` ([`crate::text`]) piece by piece
//! into the connection's transmit buffer (chunked encoding), so the
//! document's size is not bounded by a buffer. Memory: [`CONNS`] connections of [`CONN_MEM`] bytes (request
//! head, then response), sockets reserved for port 80 in main.rs.

use core::net::Ipv4Addr;

use petrel_altcp::{Stream, Tcp, TcpAcceptor};
use petrel_httpd::StatusCode;
use petrel_httpd::driver::{self, Error, Exchange, Handler, Plain, ServerEvent, Upgrade, download};
use petrel_httpd::request::MethodSet;
use petrel_httpd::response::Overflow;
use petrel_httpd::router::Route;
use petrel_httpd::ssi::{Insert, write_resumable};
use petrel_netcore::timer::Clock;
use petrel_netcore::{Duration, Network, TcpStream};
use static_cell::ConstStaticCell;

use crate::netcfg::DEVICE_NAME;
use crate::text::{Cursor, Text};
use crate::{Addr, Net, status};

/// The port.
pub(crate) const PORT: u16 = 80;
/// Connections served at once (a fifth client gets 503).
pub(crate) const CONNS: usize = 4;
/// Per connection: the request head ([`RX_MEM`]), then [`TX_MEM`] to
/// build responses in.
const CONN_MEM: usize = RX_MEM + TX_MEM;
/// The largest request head (a browser's is 400-700 B).
const RX_MEM: usize = 768;
/// Response heads, error pages and the chunks of `/api/status`, SSI pages
/// and events; static files and downloads go from flash.
const TX_MEM: usize = 512;
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

/// The `i`-th item `each` visits (a copy: the lists are read again for
/// every entry, none is held across an await).
fn nth<T: Clone>(i: usize, each: impl FnOnce(&mut dyn FnMut(&T))) -> Option<T> {
    let mut n = 0;
    let mut found = None;
    each(&mut |x| {
        if n == i {
            found = Some(x.clone());
        }
        n += 1;
    });
    found
}

/// Where `/api/status` stands: the next part to write (list parts carry
/// the index of their next entry; the one after the last closes the list
/// and opens the next).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum StatusPart {
    Device,
    Time,
    /// `mdns`, and opens `interfaces`.
    Mdns,
    Interface(usize),
    Tcp(usize),
    Listener(usize),
    /// UDP endpoints; after the last, `services` and `log` end the document.
    Udp(usize),
    Done,
}

/// The firmware's side of the server.
struct App {
    net: Net,
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
        nth(i, |f| {
            self.net.for_each_tcp_connection(&mut |c| {
                if (c.state == petrel_netcore::stats::TcpState::Listen) == listen {
                    f(c);
                }
            })
        })
    }

    /// `/api/status`: the document is written piece by piece (one
    /// [`StatusPart`] per chunk) into the connection's transmit buffer, the
    /// lists read again for each entry, so the connection's future holds
    /// only the writer and the part counter across its one await.
    async fn status<S: Stream, C: Clock>(&self, ex: &mut Exchange<'_, S, C>) -> Result<(), Error> {
        let mut w = ex
            .chunked(
                StatusCode::OK,
                "application/json",
                b"Cache-Control: no-store\r\n",
            )
            .await?;
        let mut part = StatusPart::Device;
        while part != StatusPart::Done {
            w.write_with(|b| {
                let mut cur = Cursor::new(b);
                let next = self.status_part(part, &mut cur);
                let n = cur.finish()?;
                part = next;
                Ok(n)
            })
            .await?;
        }
        w.finish().await
    }

    /// Writes `part` of `/api/status` and returns the part after it.
    fn status_part(&self, part: StatusPart, c: &mut Cursor<'_>) -> StatusPart {
        let comma = |i: usize| if i == 0 { "" } else { "," };
        match part {
            StatusPart::Device => {
                c.lit("{\"device\":{\"name\":\"")
                    .lit(DEVICE_NAME)
                    .lit("\",\"version\":\"")
                    .lit(env!("CARGO_PKG_VERSION"))
                    .lit("\",\"build\":\"")
                    .lit(BUILD)
                    .lit("\",\"uptime_s\":")
                    .num(self.uptime_s())
                    .lit("},");
            }
            StatusPart::Time => {
                c.lit("\"time\":{\"now_unix_ms\":")
                    .num(status::unix_ms(self.net.now()).unwrap_or(0));
                match status::sync() {
                    Some(s) => {
                        c.lit(",\"synced\":true,\"server\":\"")
                            .sockaddr(s.server)
                            .lit("\",\"offset_us\":")
                            .int(s.offset_us)
                            .lit(",\"delay_us\":")
                            .int(s.delay_us)
                            .lit(",")
                            .fields(
                                "stratum leap last_sync_unix_ms",
                                &[s.stratum.into(), s.leap.into(), s.last_sync_unix_ms],
                            )
                            .lit("},");
                    }
                    None => {
                        c.lit(",\"synced\":false},");
                    }
                }
            }
            StatusPart::Mdns => {
                match status::mdns_name() {
                    Some(n) => c.lit("\"mdns\":{\"name\":\"").lit(&n).lit(".local\"}"),
                    None => c.lit("\"mdns\":null"),
                };
                c.lit(",\"interfaces\":[");
            }
            StatusPart::Interface(k) => match nth(k, |f| self.net.for_each_interface(f)) {
                Some(i) => {
                    let n = &i.counters;
                    c.lit(comma(k))
                        .lit("{\"index\":")
                        .num(i.index)
                        .lit(",\"name\":\"eth0\",\"ipv4\":");
                    match i.ipv4 {
                        Some((a, p)) => c.lit("\"").ip(a).lit("/").num(p).lit("\""),
                        None => c.lit("null"),
                    };
                    c.lit(",\"mac\":\"")
                        .mac(i.mac)
                        .lit("\",\"mtu\":")
                        .num(i.mtu)
                        .lit(",\"up\":")
                        .boolean(i.up)
                        .lit(",")
                        .fields(
                            "speed_bps rx_bytes tx_bytes rx_packets tx_packets rx_errors \
                             tx_errors rx_discards tx_discards",
                            &[
                                i.speed_bps,
                                n.in_octets,
                                n.out_octets,
                                n.in_ucast + n.in_mcast + n.in_bcast,
                                n.out_ucast + n.out_mcast + n.out_bcast,
                                n.in_errors,
                                n.out_errors,
                                n.in_discards,
                                n.out_discards,
                            ],
                        )
                        .lit("}");
                }
                None => {
                    c.lit("],\"connections\":{\"tcp\":[");
                    return StatusPart::Tcp(0);
                }
            },
            // Connections, listeners and UDP endpoints: the local address
            // first.
            StatusPart::Tcp(i) | StatusPart::Listener(i) | StatusPart::Udp(i) => {
                let (tcp, listener) = match part {
                    StatusPart::Tcp(_) => (self.tcp_nth(i, false), false),
                    StatusPart::Listener(_) => (self.tcp_nth(i, true), true),
                    _ => (None, false),
                };
                let local = match part {
                    StatusPart::Udp(_) => {
                        nth(i, |f| self.net.for_each_udp_endpoint(f)).map(|u| u.local)
                    }
                    _ => tcp.as_ref().map(|t| t.local),
                };
                match local {
                    Some(a) => {
                        c.lit(comma(i)).lit("{\"local\":\"").sockaddr(a);
                        if let (StatusPart::Tcp(_), Some(t)) = (part, tcp) {
                            c.lit("\",\"remote\":\"")
                                .sockaddr(t.remote)
                                .lit("\",\"state\":\"")
                                .lit(state_name(t.state));
                        }
                        c.lit("\"}");
                    }
                    None => match part {
                        StatusPart::Tcp(_) => {
                            c.lit("],\"tcp_listeners\":[");
                            return StatusPart::Listener(0);
                        }
                        _ if listener => {
                            c.lit("],\"udp\":[");
                            return StatusPart::Udp(0);
                        }
                        _ => {
                            c.lit("]},\"services\":[");
                            for (k, (name, _)) in SERVICES.iter().filter(|(_, on)| *on).enumerate()
                            {
                                c.lit(comma(k))
                                    .lit("{\"name\":\"")
                                    .lit(name)
                                    .lit("\",\"state\":\"running\",\"detail\":\"\"}");
                            }
                            c.lit("],\"log\":[]}");
                            return StatusPart::Done;
                        }
                    },
                }
            }
            StatusPart::Done => {}
        }
        match part {
            StatusPart::Device => StatusPart::Time,
            StatusPart::Time => StatusPart::Mdns,
            StatusPart::Mdns => StatusPart::Interface(0),
            StatusPart::Interface(k) => StatusPart::Interface(k + 1),
            StatusPart::Tcp(i) => StatusPart::Tcp(i + 1),
            StatusPart::Listener(i) => StatusPart::Listener(i + 1),
            StatusPart::Udp(i) => StatusPart::Udp(i + 1),
            StatusPart::Done => StatusPart::Done,
        }
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
        let mut c = Cursor::new(b);
        c.lit("{")
            .fields(
                "unix_ms uptime_s rx_bytes tx_bytes rx_packets tx_packets tcp_connections",
                &[
                    status::unix_ms(self.net.now()).unwrap_or(0),
                    self.uptime_s(),
                    rx_b,
                    tx_b,
                    rx_p,
                    tx_p,
                    self.net.tcp_stats().curr_estab,
                ],
            )
            .lit("}");
        c.finish()
    }

    async fn events<S: Stream, C: Clock>(&self, ex: &mut Exchange<'_, S, C>) -> Result<(), Error> {
        let mut sse = ex.sse().await?;
        // Ends when the client goes: its FIN or reset, seen while waiting, or
        // a failed write.
        loop {
            sse.send_with(Some("stats"), |b| self.stats(b)).await?;
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
        match tag {
            "device_name" => c.lit(DEVICE_NAME),
            "version" => c.lit(env!("CARGO_PKG_VERSION")),
            "build" => c.lit(BUILD),
            "uptime" => c.uptime(self.uptime_s()),
            "mdns_name" => match status::mdns_name() {
                Some(n) => c.lit(&n).lit(".local"),
                None => c.lit("-"),
            },
            "time" => match status::unix_ms(self.net.now()) {
                Some(ms) => c.date_time(petrel_netcore::time::DateTime::from_unix(ms / 1000)),
                None => c.lit("not synced"),
            },
            "ip" => match self.net.ipv4_addr() {
                Some(a) => c.ip(a),
                None => c.lit("-"),
            },
            _ => c.lit("<!-- unknown tag -->"),
        };
        let n = c.len();
        write_resumable(text.get(..n).unwrap_or(&[]), state, out)
    }

    fn unix_time(&self) -> Option<u64> {
        status::unix_ms(self.net.now()).map(|ms| ms / 1000)
    }

    fn on_event(&self, e: ServerEvent) {
        if let ServerEvent::Busy { peer: Some(p) } = e {
            crate::log!("http {}: all {} slots busy, 503", Addr(p), CONNS);
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

/// The server; ends only if accepting fails for good.
#[embassy_executor::task]
pub(crate) async fn serve(net: Net, listener: <Net as Network>::TcpListener, shown: Ipv4Addr) {
    let config = petrel_httpd::Config {
        max_header_bytes: RX_MEM,
        max_headers: 24,
        max_uri: 256,
        max_body: 1024,
        idle_timeout: Duration::from_secs(15),
        request_timeout: Duration::from_secs(5),
        max_connections: CONNS,
        max_drain: 1024,
        tx_buffer: Some(TX_MEM),
    };
    let app = App { net };
    crate::log!(
        "http listening on {}:{} ({} connections; dashboard, /api/status, /api/events)",
        shown,
        PORT,
        CONNS
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
    crate::log!("http: stopped: {}", e);
}
