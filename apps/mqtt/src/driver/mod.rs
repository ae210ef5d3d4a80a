//! The async driver: binds a [`Client`] to a broker connection (feature
//! `driver`).
//!
//! [`run`] owns the connection and pumps the sans-IO core exactly in its
//! documented order: bytes read → [`Client::handle_bytes`], events drained,
//! [`Client::poll_transmit`] (and [`Client::poll_stream`]) → write, sleep
//! until [`Client::poll_timeout`] → [`Client::handle_timeout`]. Around that it
//! adds what a device needs to survive real brokers and networks:
//!
//! * connecting by host name ([`Network::resolve`] on every attempt, so a
//!   changed DNS record is followed) or address, over plain TCP
//!   ([`PlainTcp`]) or any [`Connector`] (TLS with SNI and verification from
//!   `petrel-altcp`);
//! * automatic reconnect with exponential back-off and seeded jitter
//!   ([`BackoffConfig`]), and re-subscription when the broker did not keep
//!   the session;
//! * every failed attempt reported by cause ([`ConnectFailure`]: DNS, refused,
//!   time-out per phase, TLS, CONNACK code) as a [`DriverEvent`] and, with
//!   feature `log`, a log line.
//!
//! It uses only netcore and altcp traits and `async`: no heap, no spawning,
//! no `Send`, no executor-specific code. Run it on embassy or on a tokio
//! current-thread runtime.
//!
//! # Sharing the client with the application
//! The client lives in a [`Shared`]: a `RefCell` the driver borrows only
//! between awaits, never across one. The application talks to it in either
//! (or both) of two ways:
//!
//! * **A [`Handler`]** passed to `run`, called by the driver itself: it sees
//!   every [`DriverEvent`] (received messages borrow the receive buffer, no
//!   copy) and, after each batch of events, gets `&mut Client` in
//!   [`Handler::poll`] to publish or subscribe, returning when it wants to be
//!   polled again (scheduled telemetry). No sharing, no locking.
//! * **An [`MqttClient`] handle** (`shared.handle()`, `Copy`) used from other
//!   futures on the same executor: `publish`, `subscribe`, `disconnect`, …
//!   queue into the client and wake the driver. Inside handler callbacks the
//!   handle answers [`ClientError::Busy`] (the driver holds the client) except
//!   for `disconnect` and `abort`, which only set a flag.
//!
//! # Cancellation
//! The driver races `read` against its timer and the application's wake-up,
//! dropping the `read` future when another one wins. The stream's `read` must
//! therefore be cancel-safe (lose no data when dropped before completing),
//! as netcore's TCP streams are.
//!
//! ```no_run
//! use petrel_mqtt::codec::{QoS, SubscriptionOptions};
//! use petrel_mqtt::driver::{self, DriverConfig, DriverEvent, IoBuffers, PlainTcp, Shared};
//! use petrel_mqtt::{Buffers, Client, Config, Event};
//! use petrel_netcore::time::Instant;
//!
//! struct Printer;
//! impl<const I: usize, const S: usize, const A: usize> driver::Handler<I, S, A> for Printer {
//!     fn on_event(&mut self, _now: Instant, event: &DriverEvent<'_>) {
//!         if let DriverEvent::Mqtt(Event::Publish(m)) = event {
//!             let _ = (m.topic, m.payload);
//!         }
//!     }
//! }
//!
//! async fn sensor<N: petrel_netcore::Network>(net: &N) {
//!     let (mut rx, mut outbox, mut subs) = ([0u8; 1024], [0u8; 2048], [0u8; 128]);
//!     let config = Config { client_id: "sensor-1", ..Config::default() };
//!     let client: Client<'_, 8, 4, 0> = Client::new(
//!         config,
//!         Buffers { rx: &mut rx, outbox: &mut outbox, subs: &mut subs, aliases: &mut [] },
//!     );
//!     let shared = Shared::new(client);
//!     let mqtt = shared.handle();
//!     mqtt.subscribe(&[("cmd/#", SubscriptionOptions::qos(QoS::AtLeastOnce))]).unwrap();
//!     let (mut read, mut write) = ([0u8; 512], [0u8; 512]);
//!     let cfg = DriverConfig { host: "broker.example", ..DriverConfig::default() };
//!     let io = IoBuffers { read: &mut read, write: &mut write };
//!     // Runs until `mqtt.disconnect()`; join it with the application's futures.
//!     let _ = driver::run(net, &PlainTcp, &shared, &cfg, io, &mut Printer).await;
//! }
//! ```

mod backoff;
mod connect;
mod shared;

pub use backoff::{Backoff, BackoffConfig};
pub use connect::{ConnectFailure, Connector, DriverConfig, Phase, PlainTcp};
pub use shared::{ClientError, LinkState, MqttClient, Shared};

use core::net::SocketAddr;

use petrel_altcp::{Stream, Tcp};
use petrel_netcore::time::{Duration, Instant};
use petrel_netcore::timer::{Either, select, with_timeout};
use petrel_netcore::{ConnectConfig, Network, TcpStream};

use crate::client::{Client, CommandError, Event, MIN_TRANSMIT, StreamInfo};
use shared::Request;

macro_rules! log_info {
    ($($t:tt)*) => {{
        #[cfg(feature = "log")]
        log::info!($($t)*);
        #[cfg(not(feature = "log"))]
        let _ = format_args!($($t)*);
    }};
}

macro_rules! log_warn {
    ($($t:tt)*) => {{
        #[cfg(feature = "log")]
        log::warn!($($t)*);
        #[cfg(not(feature = "log"))]
        let _ = format_args!($($t)*);
    }};
}

/// What the driver reports to its [`Handler`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DriverEvent<'e> {
    /// A connection attempt starts (resolve, TCP, TLS, CONNECT).
    Connecting {
        /// The broker host.
        host: &'e str,
        /// The broker port.
        port: u16,
        /// 1 for the first attempt since `run` started.
        attempt: u32,
    },
    /// An attempt failed; the next one starts after `retry_in`.
    ConnectFailed {
        /// Why.
        cause: ConnectFailure,
        /// The back-off delay chosen.
        retry_in: Duration,
    },
    /// An event of the client core: `Connected`, `Publish…`, `Delivered`,
    /// `Subscribed`, `Unsubscribed`, `ConnectionLost`. (A refused CONNECT is
    /// reported as [`DriverEvent::ConnectFailed`] instead.)
    Mqtt(Event<'e>),
    /// An established session ended (after `Mqtt(ConnectionLost)`); the next
    /// attempt starts after `retry_in`.
    Reconnecting {
        /// The back-off delay chosen.
        retry_in: Duration,
    },
}

/// The application's side of [`run`]; every method has a default.
pub trait Handler<const MAX_INFLIGHT: usize, const MAX_SUBS: usize, const MAX_ALIASES: usize> {
    /// Called for every event, in order. The client is borrowed by the
    /// driver meanwhile: copy what you need and act in [`Handler::poll`].
    fn on_event(&mut self, now: Instant, event: &DriverEvent<'_>) {
        let _ = (now, event);
    }

    /// Called after each batch of events and on the instant it returned last
    /// time, connected or not: publish, subscribe… Returns when to be called
    /// again at the latest (`None`: only after the next event or wake-up).
    /// An instant not after `now` counts as `None`: do due work in this call
    /// (a past instant would otherwise wake the driver over and over).
    fn poll(
        &mut self,
        now: Instant,
        client: &mut Client<'_, MAX_INFLIGHT, MAX_SUBS, MAX_ALIASES>,
    ) -> Option<Instant> {
        let _ = (now, client);
        None
    }

    /// The whole payload of the streamed PUBLISH `stream` (queued with
    /// [`Client::publish_streamed`]); the same slice on every call until it
    /// is delivered. The default has none, which ends the connection.
    fn stream_payload(&mut self, stream: StreamInfo) -> &[u8] {
        let _ = stream;
        &[]
    }
}

impl<const I: usize, const S: usize, const A: usize> Handler<I, S, A> for () {}

/// Buffers of the driver itself: `read` takes bytes from the stream before
/// they are fed to the client, `write` takes what the client transmits
/// (at least 8 bytes; 256 to a few KiB is plenty: large packets go out in
/// pieces).
pub struct IoBuffers<'b> {
    /// Read buffer.
    pub read: &'b mut [u8],
    /// Write buffer.
    pub write: &'b mut [u8],
}

/// How one connection (attempt) ended.
enum SessionEnd {
    /// `disconnect()` was asked for and done.
    Stopped,
    /// Failed before CONNACK accepted it.
    Failed(ConnectFailure),
    /// An accepted session ended.
    Lost,
    /// The CONNECT cannot be queued: a configuration error.
    Fatal(CommandError),
}

/// Runs the client: connects, keeps the session, reconnects with back-off
/// after every loss or failure, until [`MqttClient::disconnect`]
/// (then `Ok(())`). Fails only if the CONNECT packet does not fit the
/// client's outbox (a configuration error).
pub async fn run<N, C, H, const I: usize, const S: usize, const A: usize>(
    net: &N,
    connector: &C,
    shared: &Shared<'_, I, S, A>,
    config: &DriverConfig<'_>,
    io: IoBuffers<'_>,
    handler: &mut H,
) -> Result<(), CommandError>
where
    N: Network,
    C: Connector<N::TcpStream>,
    H: Handler<I, S, A>,
{
    let IoBuffers { read, write } = io;
    let mut state = RunState {
        backoff: Backoff::new(config.backoff),
        connected_before: false,
    };
    let mut attempt: u32 = 0;
    loop {
        if shared.request() == Request::Stop {
            shared.clear_request(Request::Stop);
            shared.link.set(LinkState::Disconnected);
            return Ok(());
        }
        shared.clear_request(Request::Abort);
        attempt = attempt.saturating_add(1);
        shared.link.set(LinkState::Connecting);
        let now = net.now();
        shared.now.set(now);
        log_info!(
            "mqtt: connecting to {}:{} (attempt {attempt})",
            config.host,
            config.port
        );
        handler.on_event(
            now,
            &DriverEvent::Connecting {
                host: config.host,
                port: config.port,
                attempt,
            },
        );
        let end = match open(net, connector, config).await {
            Err(cause) => SessionEnd::Failed(cause),
            Ok(stream) => session(net, shared, stream, read, write, handler, &mut state).await,
        };
        shared.link.set(LinkState::Disconnected);
        let retry_in = state.backoff.next_delay();
        let now = net.now();
        shared.now.set(now);
        match end {
            SessionEnd::Stopped => {
                shared.clear_request(Request::Stop);
                log_info!("mqtt: disconnected from {}:{}", config.host, config.port);
                return Ok(());
            }
            SessionEnd::Fatal(e) => {
                log_warn!("mqtt: cannot queue CONNECT: {e}");
                return Err(e);
            }
            SessionEnd::Failed(cause) => {
                log_warn!(
                    "mqtt: connect to {}:{} failed: {cause}; retry in {} ms",
                    config.host,
                    config.port,
                    retry_in.as_millis()
                );
                handler.on_event(now, &DriverEvent::ConnectFailed { cause, retry_in });
            }
            SessionEnd::Lost => {
                log_info!(
                    "mqtt: reconnecting to {}:{} in {} ms",
                    config.host,
                    config.port,
                    retry_in.as_millis()
                );
                handler.on_event(now, &DriverEvent::Reconnecting { retry_in });
            }
        }
        // Back-off: keep polling the handler; a stop request ends it.
        let retry_at = now + retry_in;
        loop {
            if shared.request() == Request::Stop {
                break;
            }
            let now = net.now();
            shared.now.set(now);
            if now >= retry_at {
                break;
            }
            let app = {
                // Never held across an await, and handlers cannot reach it
                // (handles use try_borrow_mut): cannot conflict.
                let mut c = shared.client.borrow_mut();
                c.handle_timeout(now);
                poll_handler(handler, now, &mut c)
            };
            let wake = app.map_or(retry_at, |a| a.min(retry_at));
            let _ = select(net.sleep_until(wake), shared.kicked()).await;
        }
    }
}

/// State kept across connections.
struct RunState {
    backoff: Backoff,
    /// A CONNACK was accepted before: a later one without a session needs
    /// the subscriptions sent again.
    connected_before: bool,
}

/// Resolves, connects TCP, runs the connector's handshake.
async fn open<N: Network, C: Connector<N::TcpStream>>(
    net: &N,
    connector: &C,
    config: &DriverConfig<'_>,
) -> Result<C::Stream, ConnectFailure> {
    // `resolve` returns an address literal as it is.
    let ip = net
        .resolve(config.host)
        .await
        .map_err(ConnectFailure::Dns)?;
    let cc = ConnectConfig {
        timeout: config.connect_timeout,
    };
    let mut tcp = net
        .tcp_connect(SocketAddr::new(ip, config.port), cc)
        .await
        .map_err(ConnectFailure::from_tcp)?;
    // MQTT packets are small and latency matters more than segment count.
    tcp.set_nodelay(true);
    match with_timeout(
        net,
        config.connect_timeout,
        connector.connect(Tcp::new(tcp), config.host),
    )
    .await
    {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(ConnectFailure::from_tls(e)),
        Err(_) => Err(ConnectFailure::TimedOut(Phase::Tls)),
    }
}

/// Per-connection bookkeeping while events are dispatched.
struct Dispatch {
    connected: bool,
    resubscribe: bool,
    end: Option<SessionEnd>,
}

impl Dispatch {
    fn event<const I: usize, const S: usize, const A: usize, H: Handler<I, S, A>>(
        &mut self,
        now: Instant,
        ev: Event<'_>,
        handler: &mut H,
        shared: &Shared<'_, I, S, A>,
        state: &mut RunState,
    ) {
        match ev {
            Event::ConnectFailed(e) => {
                self.end = Some(SessionEnd::Failed(ConnectFailure::from_connack(e)));
                return;
            }
            Event::ConnectionLost(r) if !self.connected => {
                self.end = Some(SessionEnd::Failed(ConnectFailure::Lost(r)));
                return;
            }
            Event::ConnectionLost(r) => {
                log_warn!("mqtt: connection lost: {r}");
                if self.end.is_none() {
                    self.end = Some(SessionEnd::Lost);
                }
            }
            Event::Connected { session_present } => {
                log_info!("mqtt: connected (session present: {session_present})");
                self.connected = true;
                shared.link.set(LinkState::Connected);
                state.backoff.reset();
                self.resubscribe = !session_present && state.connected_before;
                state.connected_before = true;
            }
            _ => {}
        }
        handler.on_event(now, &DriverEvent::Mqtt(ev));
    }
}

/// Runs one connection from CONNECT to its end.
async fn session<N, T, H, const I: usize, const S: usize, const A: usize>(
    net: &N,
    shared: &Shared<'_, I, S, A>,
    mut stream: T,
    read: &mut [u8],
    write: &mut [u8],
    handler: &mut H,
    state: &mut RunState,
) -> SessionEnd
where
    N: Network,
    T: Stream,
    H: Handler<I, S, A>,
{
    {
        // See `run`: the driver's borrows cannot conflict.
        let mut c = shared.client.borrow_mut();
        if let Err(e) = c.handle_connected(net.now()) {
            drop(c);
            stream.abort();
            return SessionEnd::Fatal(e);
        }
    }
    let mut d = Dispatch {
        connected: false,
        resubscribe: false,
        end: None,
    };
    // `read[pos..len]` has not been taken by the client yet.
    let (mut pos, mut len) = (0usize, 0usize);
    let mut stopping = false;
    let mut transport_down = false;
    loop {
        let now = net.now();
        shared.now.set(now);
        let mut progress = false;
        let app_deadline;
        {
            let mut c = shared.client.borrow_mut();
            c.handle_timeout(now);
            match shared.request() {
                Request::Stop if !stopping => {
                    stopping = true;
                    c.disconnect(now);
                    if d.end.is_none() {
                        d.end = Some(SessionEnd::Stopped);
                    }
                }
                Request::Abort => {
                    shared.clear_request(Request::Abort);
                    log_info!("mqtt: aborting the connection");
                    transport_down = true;
                }
                _ => {}
            }
            // Feed input and drain events until neither makes progress. Each
            // round either takes bytes or yields events; bounded by the input.
            let mut feeding = !transport_down;
            while feeding {
                let taken = match read.get(pos..len) {
                    Some(rest) if !rest.is_empty() => c.handle_bytes(now, rest),
                    _ => 0,
                };
                pos += taken;
                let mut any = false;
                while let Some(ev) = c.poll_event() {
                    any = true;
                    d.event(now, ev, handler, shared, state);
                }
                progress |= taken > 0 || any;
                feeding = (any || taken > 0) && pos < len;
            }
            if core::mem::take(&mut d.resubscribe) && c.resubscribe(now).is_err() {
                log_warn!("mqtt: cannot queue the re-subscription (outbox full)");
            }
            app_deadline = if d.end.is_none() && !transport_down {
                poll_handler(handler, now, &mut c)
            } else {
                None
            };
        }

        // Transmit everything the client has, streamed payloads included,
        // packing as many packets into each write as the buffer holds.
        let mut wrote = false;
        while !transport_down {
            let filled = {
                let mut c = shared.client.borrow_mut();
                fill(&mut c, handler, write)
            };
            match filled {
                Ok(0) => break,
                Ok(n) => {
                    let chunk = write.get(..n).unwrap_or_default();
                    if let Err(e) = stream.write_all(chunk).await {
                        log_warn!("mqtt: write failed: {e}");
                        transport_down = true;
                    }
                    wrote = true;
                    progress = true;
                }
                Err(e) => {
                    log_warn!("mqtt: streamed publish: {e}; dropping the connection");
                    transport_down = true;
                }
            }
        }
        if wrote && !transport_down && stream.flush().await.is_err() {
            transport_down = true;
        }

        if !transport_down && pos < len && !progress {
            // The client takes no input and produces nothing: cannot happen
            // with a consistent core; give the connection up rather than spin.
            log_warn!("mqtt: input stalled; dropping the connection");
            transport_down = true;
        }
        if transport_down || d.end.is_some() {
            if transport_down {
                stream.abort();
            } else {
                let _ = stream.close().await;
            }
            let mut c = shared.client.borrow_mut();
            c.handle_disconnected(net.now());
            while let Some(ev) = c.poll_event() {
                d.event(now, ev, handler, shared, state);
            }
            return match d.end {
                Some(end) => end,
                None if d.connected => SessionEnd::Lost,
                None => SessionEnd::Failed(ConnectFailure::Lost(
                    crate::client::LostReason::TransportClosed,
                )),
            };
        }
        if pos < len {
            continue;
        }

        // Wait for input, the next deadline, or the application.
        let core_deadline = shared.client.borrow().poll_timeout();
        let deadline = match (core_deadline, app_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let sleep = async {
            match deadline {
                Some(at) => net.sleep_until(at).await,
                None => core::future::pending::<()>().await,
            }
        };
        match select(stream.read(read), select(sleep, shared.kicked())).await {
            Either::First(Ok(0)) => {
                log_info!("mqtt: broker closed the connection");
                transport_down = true;
            }
            Either::First(Ok(n)) => {
                pos = 0;
                len = n;
            }
            Either::First(Err(e)) => {
                log_warn!("mqtt: read failed: {e}");
                transport_down = true;
            }
            Either::Second(_) => {}
        }
        // A transport failure is torn down at the top of the loop.
    }
}

/// Copies as many of the client's outgoing bytes into `write` as fit;
/// [`Handler::poll`] with its rule applied: an instant not after `now`
/// counts as `None` (it would wake the driver at once, again and again if
/// the handler kept returning it).
fn poll_handler<H: Handler<I, S, A>, const I: usize, const S: usize, const A: usize>(
    handler: &mut H,
    now: Instant,
    c: &mut Client<'_, I, S, A>,
) -> Option<Instant> {
    handler.poll(now, c).filter(|&a| a > now)
}

/// `Ok(0)`: nothing to send. Fails only if the handler's streamed payload
/// does not match the announced length (the connection is then unusable).
fn fill<H: Handler<I, S, A>, const I: usize, const S: usize, const A: usize>(
    c: &mut Client<'_, I, S, A>,
    handler: &mut H,
    write: &mut [u8],
) -> Result<usize, CommandError> {
    let mut filled = 0;
    // Each call copies at least one byte or ends the loop; a zero-length
    // result (the item under the cursor vanished) is allowed a few times.
    let mut zero_rounds = 0u8;
    while let Some(space) = write.get_mut(filled..) {
        if space.len() < MIN_TRANSMIT {
            break;
        }
        let n = match c.poll_transmit(space) {
            Some(n) => n,
            None => match c.stream_pending() {
                Some(info) => c.poll_stream(handler.stream_payload(info), space)?,
                None => break,
            },
        };
        if n == 0 {
            zero_rounds += 1;
            if zero_rounds > 16 {
                break;
            }
        }
        filled += n;
    }
    Ok(filled)
}
