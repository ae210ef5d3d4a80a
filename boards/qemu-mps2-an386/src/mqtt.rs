//! MQTT client (feature `mqtt`): `petrel-mqtt`'s driver over plain TCP to
//! the broker fixed at build time (`PETREL_MQTT_BROKER`, default
//! 198.51.100.1:1883; `none` leaves the client off), as the host's
//! `boards/host/src/mqtt.rs` does:
//!
//! - publishes telemetry JSON (uptime, the interface's counters, TCP/UDP
//!   counters, stack high-water) every [`INTERVAL`] to
//!   `petrel/<name>/telemetry` (QoS 0), the first right after CONNACK;
//! - subscribes to `petrel/<name>/cmd/#` (QoS 1); a command is the topic
//!   level after `cmd/` or, on `petrel/<name>/cmd` itself, the payload;
//!   `ping` is answered with `pong` on `petrel/<name>/reply` (QoS 1);
//! - reconnects with back-off (0.5 s doubling to [`MAX_BACKOFF`], jitter
//!   seeded from the MAC and the free-running counter).
//!
//! Memory: every buffer is a static of a few hundred bytes ([`RX`] …); the
//! JSON is written without `core::fmt` ([`crate::text`]) into a
//! [`TELEMETRY_MAX`]-byte buffer on the stack; a document that does not
//! fit is not sent (logged), never truncated.

use petrel_mqtt::codec::{Properties, QoS, SubscriptionOptions, Version};
use petrel_mqtt::driver::{
    self, BackoffConfig, DriverConfig, DriverEvent, Handler, IoBuffers, PlainTcp, Shared,
};
use petrel_mqtt::{Buffers, Client, Config, Event};
use petrel_netcore::time::{Duration, Instant};
use petrel_netcore::{Clock, Network};
use static_cell::ConstStaticCell;

use crate::Net;
use crate::netcfg::{
    DEVICE_NAME, MQTT_CMD_FILTER, MQTT_CMD_ROOT, MQTT_REPLY_TOPIC, MQTT_TELEMETRY_TOPIC,
};
use crate::text::{Cursor, Text};

/// Seconds between telemetry messages.
const INTERVAL: Duration = Duration::from_secs(5);
/// Keep alive, seconds.
const KEEP_ALIVE: u16 = 30;
/// Longest reconnect delay.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// Largest telemetry document.
const TELEMETRY_MAX: usize = 640;
/// QoS 1/2 messages in flight each way.
const INFLIGHT: usize = 4;
/// Subscriptions kept for re-subscription.
const SUBS: usize = 1;

static RX: ConstStaticCell<[u8; 512]> = ConstStaticCell::new([0; 512]);
static OUTBOX: ConstStaticCell<[u8; 1024]> = ConstStaticCell::new([0; 1024]);
static SUB_LIST: ConstStaticCell<[u8; 64]> = ConstStaticCell::new([0; 64]);
static READ: ConstStaticCell<[u8; 256]> = ConstStaticCell::new([0; 256]);
static WRITE: ConstStaticCell<[u8; 256]> = ConstStaticCell::new([0; 256]);

/// Writes the telemetry document into `c` (which keeps an overflow).
fn telemetry(net: &Net, uptime_s: u64, c: &mut Cursor<'_>) {
    c.lit("{\"device\":")
        .string(DEVICE_NAME)
        .lit(",\"uptime_s\":")
        .num(uptime_s)
        .lit(",\"interfaces\":[");
    let mut first = true;
    net.for_each_interface(&mut |i| {
        let n = &i.counters;
        c.lit(if first { "" } else { "," })
            .lit("{\"name\":")
            .string(&i.name)
            .lit(",\"up\":")
            .boolean(i.up)
            .lit(",")
            .fields(
                "in_octets out_octets in_ucast out_ucast in_discards in_errors out_errors",
                &[
                    n.in_octets,
                    n.out_octets,
                    n.in_ucast,
                    n.out_ucast,
                    n.in_discards,
                    n.in_errors,
                    n.out_errors,
                ],
            )
            .lit("}");
        first = false;
    });
    let t = net.tcp_stats();
    let u = net.udp_stats();
    c.lit("],\"tcp\":{")
        .fields(
            "active_opens passive_opens curr_estab in_segs out_segs retrans_segs",
            &[
                t.active_opens,
                t.passive_opens,
                t.curr_estab,
                t.in_segs,
                t.out_segs,
                t.retrans_segs,
            ],
        )
        .lit("},\"udp\":{")
        .fields(
            "in_datagrams out_datagrams no_ports",
            &[u.in_datagrams, u.out_datagrams, u.no_ports],
        )
        .lit("},\"stack_high_water_b\":")
        .num(crate::memreport::stack_high_water() as u64)
        .lit(",\"services\":{\"echo\":true,\"tftp\":")
        .boolean(cfg!(feature = "tftp"))
        .lit(",\"iperf\":")
        .boolean(cfg!(feature = "iperf"))
        .lit(",\"mqtt\":true}}");
}

/// At most 64 bytes of `b` as text, for the log.
fn shown(b: &[u8]) -> &str {
    core::str::from_utf8(b.get(..64).unwrap_or(b)).unwrap_or("<not utf-8>")
}

/// The firmware's side of the driver: telemetry on schedule, commands, pong.
struct Petrel {
    net: Net,
    started: Instant,
    next_telemetry: Instant,
    connected: bool,
    pongs: u32,
}

impl Petrel {
    fn command(&mut self, topic: &str, payload: &[u8]) {
        let name: &[u8] = match topic.strip_prefix(MQTT_CMD_ROOT) {
            Some("") => payload.trim_ascii(),
            Some(rest) => match rest.strip_prefix('/') {
                Some(r) => r.as_bytes(),
                // "petrel/<name>/cmdfoo": not ours.
                None => return,
            },
            None => return,
        };
        crate::log!(
            "mqtt command \"{}\" on {}: {} ({} B)",
            shown(name),
            topic,
            shown(payload),
            payload.len()
        );
        if name == b"ping" {
            self.pongs = self.pongs.saturating_add(1);
        }
    }
}

impl Handler<INFLIGHT, SUBS, 0> for Petrel {
    fn on_event(&mut self, _now: Instant, event: &DriverEvent<'_>) {
        match event {
            DriverEvent::Mqtt(Event::Connected { session_present }) => {
                crate::log!("mqtt connected (session present: {})", session_present);
                self.connected = true;
            }
            DriverEvent::Mqtt(Event::ConnectionLost(r)) => {
                crate::log!("mqtt connection lost: {}", r);
                self.connected = false;
            }
            DriverEvent::ConnectFailed { cause, retry_in } => crate::log!(
                "mqtt connect failed: {}; retry in {} ms",
                cause,
                retry_in.as_millis()
            ),
            DriverEvent::Mqtt(Event::Subscribed { .. }) => {
                crate::log!("mqtt subscribed to {}", MQTT_CMD_FILTER)
            }
            DriverEvent::Mqtt(Event::Publish(m)) => self.command(m.topic, m.payload),
            DriverEvent::Mqtt(Event::PublishStart { message, len }) => crate::log!(
                "mqtt command on {} too large ({} B), ignored",
                message.topic,
                len
            ),
            _ => {}
        }
    }

    fn poll(
        &mut self,
        now: Instant,
        client: &mut Client<'_, INFLIGHT, SUBS, 0>,
    ) -> Option<Instant> {
        if !self.connected {
            // Nothing to send until the connection is up (the driver calls
            // again after the event).
            return None;
        }
        while self.pongs > 0 {
            match client.publish(
                now,
                MQTT_REPLY_TOPIC,
                b"pong",
                QoS::AtLeastOnce,
                false,
                Properties::EMPTY,
            ) {
                Ok(_) => self.pongs -= 1,
                Err(e) => {
                    crate::log!("mqtt cannot queue pong: {}", e);
                    break;
                }
            }
        }
        if now >= self.next_telemetry {
            let mut body = [0u8; TELEMETRY_MAX];
            let mut c = Cursor::new(&mut body);
            telemetry(&self.net, (now - self.started).as_secs(), &mut c);
            match c.finish() {
                Ok(n) => {
                    if let Err(e) = client.publish(
                        now,
                        MQTT_TELEMETRY_TOPIC,
                        body.get(..n).unwrap_or_default(),
                        QoS::AtMostOnce,
                        false,
                        Properties::EMPTY,
                    ) {
                        crate::log!("mqtt cannot queue telemetry: {}", e);
                    }
                }
                Err(_) => {
                    crate::log!("mqtt telemetry over {} B, not sent", TELEMETRY_MAX);
                }
            }
            // Fixed rate; skip missed slots after an outage.
            self.next_telemetry += INTERVAL;
            if self.next_telemetry <= now {
                self.next_telemetry = now + INTERVAL;
            }
        }
        Some(self.next_telemetry)
    }
}

/// The MQTT client; connection problems are retried forever, so it ends
/// only on a configuration error.
#[embassy_executor::task]
pub(crate) async fn run(net: Net, broker: (&'static str, u16), seed: u64) {
    let (host, port) = broker;
    let config = Config {
        version: Version::V311,
        client_id: DEVICE_NAME,
        keep_alive: KEEP_ALIVE,
        clean_start: true,
        max_packet_size: 2048,
        connect_timeout: Duration::from_secs(10),
        ..Config::default()
    };
    let client: Client<'_, INFLIGHT, SUBS, 0> = Client::new(
        config,
        Buffers {
            rx: RX.take(),
            outbox: OUTBOX.take(),
            subs: SUB_LIST.take(),
            aliases: &mut [],
        },
    );
    let shared = Shared::new(client);
    if let Err(e) = shared
        .handle()
        .subscribe(&[(MQTT_CMD_FILTER, SubscriptionOptions::qos(QoS::AtLeastOnce))])
    {
        crate::log!("mqtt: cannot subscribe to {}: {}", MQTT_CMD_FILTER, e);
        return;
    }
    let now = net.now();
    let mut handler = Petrel {
        net,
        started: now,
        next_telemetry: now,
        connected: false,
        pongs: 0,
    };
    let dcfg = DriverConfig {
        host,
        port,
        connect_timeout: Duration::from_secs(10),
        backoff: BackoffConfig {
            min_delay: Duration::from_millis(500),
            max_delay: MAX_BACKOFF,
            jitter_percent: 50,
            seed,
        },
    };
    crate::log!(
        "mqtt connecting to mqtt://{}:{} as \"{}\" (MQTT 3.1.1; telemetry every {} s to {}, commands on {})",
        host,
        port,
        DEVICE_NAME,
        INTERVAL.as_secs(),
        MQTT_TELEMETRY_TOPIC,
        MQTT_CMD_FILTER
    );
    let io = IoBuffers {
        read: READ.take(),
        write: WRITE.take(),
    };
    match driver::run(&net, &PlainTcp, &shared, &dcfg, io, &mut handler).await {
        Ok(()) => crate::log!("mqtt: stopped"),
        Err(e) => crate::log!("mqtt: stopped: {}", e),
    }
}
