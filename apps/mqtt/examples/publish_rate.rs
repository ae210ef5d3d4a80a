//! Publish rate of the driver to a local mosquitto (started here on a free
//! loopback port), 100-byte payloads, QoS 0 and QoS 1; plus the RAM of one
//! client.
//!
//! ```text
//! cargo run --release -p petrel-mqtt --features driver --example publish_rate
//! ```
//!
//! A run is over when the broker has acknowledged a final QoS 1 message sent
//! after the last one measured (it processes a connection in order), so QoS 0
//! counts what the broker took, not what was queued. Timing starts at CONNACK.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;
use std::time::{Duration as StdDuration, Instant as StdInstant};

use petrel_interop::{Proc, free_port, wait_until};
use petrel_mqtt::client::CommandError;
use petrel_mqtt::codec::{Properties, QoS};
use petrel_mqtt::driver::{self, DriverConfig, DriverEvent, Handler, IoBuffers, PlainTcp, Shared};
use petrel_mqtt::{Buffers, Client, Config, Event};
use petrel_netcore::os::OsNetwork;
use petrel_netcore::time::Instant;

const INFLIGHT: usize = 64;
type Bench<'a> = Client<'a, INFLIGHT, 2, 0>;

struct Pump {
    qos: QoS,
    remaining: u32,
    fence: Option<u16>,
    fence_sent: bool,
    done: std::rc::Rc<std::cell::Cell<bool>>,
    payload: [u8; 100],
}

impl<const I: usize, const S: usize, const A: usize> Handler<I, S, A> for Pump {
    fn on_event(&mut self, _now: Instant, event: &DriverEvent<'_>) {
        if let DriverEvent::Mqtt(Event::Delivered { packet_id, .. }) = event
            && Some(*packet_id) == self.fence
        {
            self.done.set(true);
        }
    }

    fn poll(&mut self, now: Instant, c: &mut Client<'_, I, S, A>) -> Option<Instant> {
        if !c.is_connected() || self.done.get() {
            return None;
        }
        while self.remaining > 0 {
            match c.publish(
                now,
                "bench/t",
                &self.payload,
                self.qos,
                false,
                Properties::EMPTY,
            ) {
                Ok(_) => self.remaining -= 1,
                Err(CommandError::OutboxFull) => break,
                Err(e) => panic!("{e}"),
            }
        }
        if self.remaining == 0
            && !self.fence_sent
            && let Ok(id) = c.publish(
                now,
                "bench/fence",
                b"",
                QoS::AtLeastOnce,
                false,
                Properties::EMPTY,
            )
        {
            self.fence = id;
            self.fence_sent = true;
        }
        // QoS 0 frees outbox space on transmit, not on an event: poll again.
        (self.qos == QoS::AtMostOnce && !self.fence_sent).then_some(now)
    }
}

fn measure(port: u16, qos: QoS, n: u32) -> f64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let (mut rx, mut outbox, mut subs) = (vec![0u8; 4096], vec![0u8; 32 * 1024], [0u8; 64]);
        let client: Bench<'_> = Client::new(
            Config {
                client_id: "bench",
                ..Config::default()
            },
            Buffers {
                rx: &mut rx,
                outbox: &mut outbox,
                subs: &mut subs,
                aliases: &mut [],
            },
        );
        let shared = Shared::new(client);
        let done = std::rc::Rc::new(std::cell::Cell::new(false));
        let mut pump = Pump {
            qos,
            remaining: n,
            fence: None,
            fence_sent: false,
            done: done.clone(),
            payload: [b'x'; 100],
        };
        let (mut read, mut write) = (vec![0u8; 4096], vec![0u8; 4096]);
        let net = OsNetwork::new();
        let dcfg = DriverConfig {
            host: "127.0.0.1",
            port,
            ..DriverConfig::default()
        };
        let mqtt = shared.handle();
        let run = driver::run(
            &net,
            &PlainTcp,
            &shared,
            &dcfg,
            IoBuffers {
                read: &mut read,
                write: &mut write,
            },
            &mut pump,
        );
        let watch = async {
            while !mqtt.is_connected() {
                tokio::time::sleep(StdDuration::from_millis(1)).await;
            }
            let start = StdInstant::now();
            loop {
                tokio::time::sleep(StdDuration::from_millis(1)).await;
                if done.get() {
                    break;
                }
            }
            let el = start.elapsed();
            mqtt.disconnect();
            el
        };
        let (r, el) = tokio::join!(run, watch);
        r.unwrap();
        f64::from(n) / el.as_secs_f64()
    })
}

fn main() {
    println!("RAM of one client (host, 64-bit):");
    println!(
        "  size_of::<Client<'_, 16, 4, 4>>()  = {} B",
        core::mem::size_of::<Client<'_, 16, 4, 4>>()
    );
    println!(
        "  size_of::<Shared<'_, 16, 4, 4>>()  = {} B",
        core::mem::size_of::<Shared<'_, 16, 4, 4>>()
    );
    println!(
        "  size_of::<Client<'_, 64, 2, 0>>()  = {} B (bench)",
        core::mem::size_of::<Bench<'_>>()
    );

    let dir = std::env::temp_dir().join(format!("petrel-mqtt-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let conf = dir.join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nuser root\n"),
    )
    .unwrap();
    let broker = Proc::spawn(Command::new("mosquitto").arg("-c").arg(&conf)).unwrap();
    wait_until(StdDuration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    })
    .expect("mosquitto did not start");

    println!();
    println!("| QoS | messages | payload | rate (msg/s) |");
    println!("|-----|----------|---------|--------------|");
    for (qos, n) in [(QoS::AtMostOnce, 200_000), (QoS::AtLeastOnce, 50_000)] {
        let mut rates: Vec<f64> = (0..3).map(|_| measure(port, qos, n)).collect();
        rates.sort_by(f64::total_cmp);
        println!(
            "| {} | {n} | 100 B | {:.0} (median of 3; {:.0}–{:.0}) |",
            qos.bits(),
            rates[1],
            rates[0],
            rates[2]
        );
    }
    drop(broker);
    let _ = std::fs::remove_dir_all(&dir);
}
