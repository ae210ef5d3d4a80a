//! Shared pieces of the driver tests: a mosquitto guard, an event recorder
//! and a harness that runs the driver on the host backend.
#![allow(dead_code, unreachable_pub)]

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::process::Command;
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration as StdDuration;

use petrel_interop::{Proc, free_port, wait_until};
use petrel_mqtt::client::{LostReason, StreamInfo};
use petrel_mqtt::codec::{QoS, ReasonCode, Version};
use petrel_mqtt::driver::{
    self, BackoffConfig, ConnectFailure, DriverConfig, DriverEvent, Handler, IoBuffers, MqttClient,
    PlainTcp, Shared,
};
use petrel_mqtt::{Buffers, Client, Config, Event};
use petrel_netcore::os::OsNetwork;
use petrel_netcore::time::{Duration, Instant};

pub const INFLIGHT: usize = 128;
pub type TestClient = Client<'static, INFLIGHT, 8, 8>;
pub type TestShared = Shared<'static, INFLIGHT, 8, 8>;
pub type Handle = MqttClient<'static, 'static, INFLIGHT, 8, 8>;

static DIRS: AtomicU32 = AtomicU32::new(0);

/// A temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let n = DIRS.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("petrel-mqtt-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A mosquitto on 127.0.0.1:`port`, killed on drop.
pub struct Mosquitto {
    pub port: u16,
    pub dir: TempDir,
    conf: PathBuf,
    proc: Option<Proc>,
}

impl Mosquitto {
    /// Starts mosquitto with `extra` config lines (persistence off unless
    /// `extra` says otherwise; `{dir}` stands for its temporary directory).
    pub fn start(extra: &str) -> Mosquitto {
        assert!(
            petrel_interop::have("mosquitto"),
            "mosquitto missing: apt-get install -y mosquitto mosquitto-clients"
        );
        let port = free_port();
        let dir = TempDir::new("broker");
        let conf = dir.path("mosquitto.conf");
        let mut text = format!("listener {port} 127.0.0.1\nlog_dest stderr\nlog_type all\n");
        if !extra.contains("allow_anonymous") {
            text.push_str("allow_anonymous true\n");
        }
        if !extra.contains("persistence ") {
            text.push_str("persistence false\n");
        }
        // As root mosquitto drops to user `mosquitto`; keep it root so it can
        // read and write this test's files.
        if is_root() {
            text.push_str("user root\n");
        }
        text.push_str(&extra.replace("{dir}", &dir.0.display().to_string()));
        std::fs::write(&conf, text).unwrap();
        let mut m = Mosquitto {
            port,
            dir,
            conf,
            proc: None,
        };
        m.restart();
        m
    }

    /// (Re)starts the process on the same port and config.
    pub fn restart(&mut self) {
        let p = Proc::spawn(Command::new("mosquitto").arg("-c").arg(&self.conf)).unwrap();
        self.proc = Some(p);
        let port = self.port;
        let up = wait_until(StdDuration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        });
        assert!(up.is_some(), "mosquitto did not start: {}", self.output());
    }

    /// Stops it with SIGTERM (persistence is saved) and waits for the exit.
    pub fn stop(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.terminate();
            p.wait_timeout(StdDuration::from_secs(10)).unwrap();
        }
    }

    pub fn output(&self) -> String {
        self.proc.as_ref().map(|p| p.output()).unwrap_or_default()
    }

    /// Runs `mosquitto_pub` against this broker with `args`; must succeed.
    pub fn publish(&self, args: &[&str]) {
        let port = self.port.to_string();
        let mut cmd = Command::new("mosquitto_pub");
        cmd.args(["-h", "127.0.0.1", "-p", &port]).args(args);
        let (status, out) =
            petrel_interop::run_with_limit(&mut cmd, StdDuration::from_secs(10)).unwrap();
        assert!(status.success(), "mosquitto_pub {args:?}: {out}");
    }
}

pub fn is_root() -> bool {
    petrel_interop::can_make_namespaces()
}

/// An event with owned data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rec {
    Connecting {
        attempt: u32,
    },
    ConnectFailed {
        cause: ConnectFailure,
        retry_in: Duration,
    },
    Connected {
        session_present: bool,
    },
    Publish {
        topic: String,
        payload: Vec<u8>,
        qos: QoS,
        retain: bool,
        dup: bool,
    },
    Delivered {
        packet_id: u16,
        reason: ReasonCode,
    },
    Subscribed {
        packet_id: u16,
        codes: Vec<u8>,
    },
    Lost(LostReason),
    Reconnecting {
        retry_in: Duration,
    },
    Other,
}

pub type Log = Rc<RefCell<Vec<(Instant, Rec)>>>;

/// Records every driver event; assembles streamed inbound messages.
#[derive(Clone)]
pub struct Recorder {
    pub log: Log,
    pub outgoing: Rc<Vec<u8>>,
    partial: Option<(String, Vec<u8>, QoS, bool, bool)>,
    /// Calls of `Handler::poll`.
    pub polls: Rc<Cell<u64>>,
    /// `poll` answers `Some(now)` (a wake-up that is already due) instead
    /// of `None`.
    pub answer_now: Rc<Cell<bool>>,
}

impl Recorder {
    pub fn new() -> Recorder {
        Recorder {
            log: Rc::new(RefCell::new(Vec::new())),
            outgoing: Rc::new(Vec::new()),
            partial: None,
            polls: Rc::new(Cell::new(0)),
            answer_now: Rc::new(Cell::new(false)),
        }
    }
}

impl<const I: usize, const S: usize, const A: usize> Handler<I, S, A> for Recorder {
    fn on_event(&mut self, now: Instant, event: &DriverEvent<'_>) {
        let rec = match *event {
            DriverEvent::Connecting { attempt, .. } => Rec::Connecting { attempt },
            DriverEvent::ConnectFailed { cause, retry_in } => {
                Rec::ConnectFailed { cause, retry_in }
            }
            DriverEvent::Reconnecting { retry_in } => Rec::Reconnecting { retry_in },
            DriverEvent::Mqtt(ev) => match ev {
                Event::Connected { session_present } => Rec::Connected { session_present },
                Event::Publish(m) => Rec::Publish {
                    topic: m.topic.into(),
                    payload: m.payload.into(),
                    qos: m.qos,
                    retain: m.retain,
                    dup: m.dup,
                },
                Event::PublishStart { message: m, len } => {
                    self.partial = Some((
                        m.topic.into(),
                        Vec::with_capacity(len),
                        m.qos,
                        m.retain,
                        m.dup,
                    ));
                    return;
                }
                Event::PublishData(d) => {
                    if let Some(p) = self.partial.as_mut() {
                        p.1.extend_from_slice(d);
                    }
                    return;
                }
                Event::PublishEnd => {
                    let Some((topic, payload, qos, retain, dup)) = self.partial.take() else {
                        return;
                    };
                    Rec::Publish {
                        topic,
                        payload,
                        qos,
                        retain,
                        dup,
                    }
                }
                Event::Delivered { packet_id, reason } => Rec::Delivered { packet_id, reason },
                Event::Subscribed { packet_id, codes } => Rec::Subscribed {
                    packet_id,
                    codes: codes.into(),
                },
                Event::ConnectionLost(r) => Rec::Lost(r),
                _ => Rec::Other,
            },
            _ => Rec::Other,
        };
        self.log.borrow_mut().push((now, rec));
    }

    fn stream_payload(&mut self, _stream: StreamInfo) -> &[u8] {
        &self.outgoing
    }

    fn poll(&mut self, now: Instant, _client: &mut Client<'_, I, S, A>) -> Option<Instant> {
        self.polls.set(self.polls.get() + 1);
        self.answer_now.get().then_some(now)
    }
}

/// One client under test: its shared state, the running driver task and
/// the recorded events.
pub struct Harness {
    pub shared: &'static TestShared,
    pub mqtt: Handle,
    pub rec: Recorder,
    pub dcfg: DriverConfig<'static>,
    pub task: Option<tokio::task::JoinHandle<()>>,
}

pub fn leak(s: impl Into<String>) -> &'static str {
    Box::leak(s.into().into_boxed_str())
}

fn buf(n: usize) -> &'static mut [u8] {
    Box::leak(vec![0u8; n].into_boxed_slice())
}

pub fn config(version: Version, client_id: &str) -> Config<'static> {
    Config {
        version,
        client_id: leak(client_id),
        keep_alive: 30,
        max_packet_size: 1024 * 1024,
        ..Config::default()
    }
}

pub fn driver_config(port: u16) -> DriverConfig<'static> {
    DriverConfig {
        host: "127.0.0.1",
        port,
        connect_timeout: Duration::from_secs(5),
        backoff: BackoffConfig {
            min_delay: Duration::from_millis(50),
            max_delay: Duration::from_millis(800),
            jitter_percent: 50,
            seed: 0x5eed,
        },
    }
}

impl Harness {
    /// Creates the client (4 KiB receive buffer, 64 KiB outbox); call
    /// [`Harness::spawn`] inside a `LocalSet` to start the driver.
    pub fn new(config: Config<'static>, dcfg: DriverConfig<'static>) -> Harness {
        let client: TestClient = Client::new(
            config,
            Buffers {
                rx: buf(4096),
                outbox: buf(64 * 1024),
                subs: buf(512),
                aliases: buf(512),
            },
        );
        let shared: &'static TestShared = Box::leak(Box::new(Shared::new(client)));
        Harness {
            shared,
            mqtt: shared.handle(),
            rec: Recorder::new(),
            dcfg,
            task: None,
        }
    }

    /// Starts (or restarts) the driver task.
    pub fn spawn(&mut self) {
        let shared = self.shared;
        let mut rec = self.rec.clone();
        let dcfg = self.dcfg;
        self.task = Some(tokio::task::spawn_local(async move {
            let net = OsNetwork::new();
            let (read, write) = (buf(2048), buf(2048));
            let r = driver::run(
                &net,
                &PlainTcp,
                shared,
                &dcfg,
                IoBuffers { read, write },
                &mut rec,
            )
            .await;
            assert_eq!(r, Ok(()));
        }));
    }

    /// Asks for DISCONNECT and waits for the driver to return.
    pub async fn stop(&mut self) {
        self.mqtt.disconnect();
        if let Some(t) = self.task.take() {
            tokio::time::timeout(StdDuration::from_secs(10), t)
                .await
                .unwrap()
                .unwrap();
        }
    }

    pub fn events(&self) -> Vec<(Instant, Rec)> {
        self.rec.log.borrow().clone()
    }

    pub fn recs(&self) -> Vec<Rec> {
        self.rec
            .log
            .borrow()
            .iter()
            .map(|(_, r)| r.clone())
            .collect()
    }

    /// Waits (at most `limit`) until `f` finds something in the log.
    pub async fn wait_for<T>(
        &self,
        limit: StdDuration,
        what: &str,
        mut f: impl FnMut(&[(Instant, Rec)]) -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Some(v) = f(&self.rec.log.borrow()) {
                return v;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}; events: {:#?}",
                self.recs()
            );
            tokio::time::sleep(StdDuration::from_millis(10)).await;
        }
    }

    /// Waits for the `n`-th (1-based) `Connected`.
    pub async fn connected(&self, n: usize) -> bool {
        self.wait_for(StdDuration::from_secs(10), "Connected", |log| {
            log.iter()
                .filter_map(|(_, r)| match r {
                    Rec::Connected { session_present } => Some(*session_present),
                    _ => None,
                })
                .nth(n - 1)
        })
        .await
    }

    /// Waits for the SUBACK of `packet_id`.
    pub async fn subscribed(&self, packet_id: u16) -> Vec<u8> {
        self.wait_for(StdDuration::from_secs(10), "SUBACK", |log| {
            log.iter().find_map(|(_, r)| match r {
                Rec::Subscribed {
                    packet_id: p,
                    codes,
                } if *p == packet_id => Some(codes.clone()),
                _ => None,
            })
        })
        .await
    }

    /// Received messages on topics matching `prefix`.
    pub fn received(&self, prefix: &str) -> Vec<(String, Vec<u8>, QoS, bool, bool)> {
        self.rec
            .log
            .borrow()
            .iter()
            .filter_map(|(_, r)| match r {
                Rec::Publish {
                    topic,
                    payload,
                    qos,
                    retain,
                    dup,
                } if topic.starts_with(prefix) => {
                    Some((topic.clone(), payload.clone(), *qos, *retain, *dup))
                }
                _ => None,
            })
            .collect()
    }

    pub fn delivered(&self) -> Vec<u16> {
        self.rec
            .log
            .borrow()
            .iter()
            .filter_map(|(_, r)| match r {
                Rec::Delivered { packet_id, .. } => Some(*packet_id),
                _ => None,
            })
            .collect()
    }
}

/// Runs `f` on a current-thread runtime inside a `LocalSet`, at most `limit`.
pub fn local<F: std::future::Future<Output = ()>>(limit: StdDuration, f: F) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ls = tokio::task::LocalSet::new();
    ls.block_on(&rt, async move {
        tokio::time::timeout(limit, f)
            .await
            .expect("test time limit");
    });
}
