//! The simulated link: two smoltcp stacks in one process joined by an
//! in-memory Ethernet wire, with a virtual clock and seeded faults.
//!
//! Time is tokio's paused clock: when every task is waiting, time jumps to the
//! next timer, so a test of a 30-second TCP timeout finishes in milliseconds
//! and runs the same way every time for a given seed.
//!
//! Two lines give two connected hosts (`198.51.100.1` and `198.51.100.2`):
//!
//! ```
//! use petrel_netcore::sim::{self, SimConfig};
//! use petrel_netcore::{Network, UdpSocket};
//!
//! sim::block_on(async {
//!     let (a, b, _link) = sim::pair(SimConfig::default().loss(0.05).seed(1));
//!     let mut rx = b.udp_bind("0.0.0.0:9".parse().unwrap()).await.unwrap();
//!     let mut tx = a.udp_bind("0.0.0.0:0".parse().unwrap()).await.unwrap();
//!     let mut buf = [0u8; 16];
//!     // Retry: the link drops 5% of frames.
//!     let n = loop {
//!         tx.send_to(b"hi", "198.51.100.2:9".parse().unwrap()).await.unwrap();
//!         let r = petrel_netcore::timer::with_timeout(&a, petrel_netcore::Duration::from_millis(200),
//!             rx.recv_from(&mut buf)).await;
//!         if let Ok(Ok((n, _))) = r { break n; }
//!     };
//!     assert_eq!(&buf[..n], b"hi");
//! });
//! ```

use std::cell::RefCell;
use std::collections::BinaryHeap;
use std::future::Future;
use std::net::Ipv4Addr;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};

use crate::smol::{self, AsyncDevice, Capacity, IpConfig, Memory, Stack, StackConfig};
use crate::time::{Duration, Instant};
use crate::timer::Clock;

pub use crate::tokio_clock::TokioClock;

/// A stack on the simulated link.
pub type SimStack = Stack<'static, TokioClock>;

/// Faults and shape of the simulated wire. Probabilities are in `0.0..=1.0`
/// and apply per frame, independently in each direction.
#[derive(Copy, Clone, Debug)]
pub struct SimConfig {
    /// Seed of the fault generator: same seed, same run.
    pub seed: u64,
    /// Probability that a frame is lost.
    pub loss: f64,
    /// Probability that a frame is delivered twice.
    pub duplicate: f64,
    /// Probability that a frame is held back by up to `reorder_window`, so
    /// later frames overtake it.
    pub reorder: f64,
    /// How far a reordered frame may be held back.
    pub reorder_window: Duration,
    /// Probability that one byte of a frame is flipped.
    pub corrupt: f64,
    /// One-way latency.
    pub delay: Duration,
    /// Link rate in bit/s (`None`: unlimited).
    pub bandwidth_bps: Option<u64>,
    /// Socket capacity of each host.
    pub capacity: Capacity,
    /// MTU of the wire.
    pub mtu: usize,
    /// The DNS server both hosts use for `resolve` (a test serves it).
    pub dns_server: Option<Ipv4Addr>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            reorder_window: Duration::from_millis(5),
            corrupt: 0.0,
            delay: Duration::from_micros(500),
            bandwidth_bps: None,
            capacity: Capacity {
                tcp_sockets: 24,
                tcp_rx: 16384,
                tcp_tx: 16384,
                udp_sockets: 8,
                udp_rx: 8192,
                udp_tx: 8192,
                udp_packets: 16,
                dns_queries: 2,
                tcp_reserved: &[],
                udp_reserved: &[],
            },
            mtu: 1500,
            dns_server: None,
        }
    }
}

impl SimConfig {
    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Sets the loss probability.
    pub fn loss(mut self, p: f64) -> Self {
        self.loss = p;
        self
    }
    /// Sets the duplication probability.
    pub fn duplicate(mut self, p: f64) -> Self {
        self.duplicate = p;
        self
    }
    /// Sets the reordering probability.
    pub fn reorder(mut self, p: f64) -> Self {
        self.reorder = p;
        self
    }
    /// Sets the corruption probability.
    pub fn corrupt(mut self, p: f64) -> Self {
        self.corrupt = p;
        self
    }
    /// Sets the one-way latency.
    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }
    /// Sets the link rate.
    pub fn bandwidth(mut self, bps: u64) -> Self {
        self.bandwidth_bps = Some(bps);
        self
    }
    /// Sets the DNS server both hosts use.
    pub fn dns(mut self, server: Ipv4Addr) -> Self {
        self.dns_server = Some(server);
        self
    }
    /// Sets each host's socket capacity.
    pub fn capacity(mut self, c: Capacity) -> Self {
        self.capacity = c;
        self
    }
}

/// What the wire did, per direction (index 0: a→b, 1: b→a).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct WireStats {
    /// Frames handed to the wire.
    pub sent: [u64; 2],
    /// Frames dropped by the loss fault or a cut link.
    pub lost: [u64; 2],
    /// Extra copies delivered.
    pub duplicated: [u64; 2],
    /// Frames held back for reordering.
    pub reordered: [u64; 2],
    /// Frames with a flipped byte.
    pub corrupted: [u64; 2],
}

#[derive(PartialEq, Eq)]
struct Queued {
    at: Instant,
    seq: u64,
    frame: Vec<u8>,
}
impl Ord for Queued {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        // BinaryHeap is a max-heap: invert for earliest-first.
        (o.at, o.seq).cmp(&(self.at, self.seq))
    }
}
impl PartialOrd for Queued {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

struct Wire {
    cfg: SimConfig,
    rng: u64,
    seq: u64,
    /// Frames travelling toward side i.
    queues: [BinaryHeap<Queued>; 2],
    wakers: [Option<Waker>; 2],
    /// When the sender on side i may start its next frame (bandwidth).
    free_at: [Instant; 2],
    /// Directions cut by the test (frames from side i vanish).
    cut: [bool; 2],
    stats: WireStats,
}

impl Wire {
    /// splitmix64: tiny, seedable, good enough for fault decisions.
    fn next_u64(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    fn send(&mut self, from: usize, now: Instant, mut frame: Vec<u8>) {
        let to = 1 - from;
        let dir = from;
        self.stats.sent[dir] += 1;
        if self.cut[from] || self.chance(self.cfg.loss) {
            self.stats.lost[dir] += 1;
            return;
        }
        let mut depart = now;
        if let Some(bps) = self.cfg.bandwidth_bps.filter(|b| *b > 0) {
            let start = self.free_at[from].max(now);
            let tx =
                Duration::from_micros((frame.len() as u64 * 8).saturating_mul(1_000_000) / bps);
            self.free_at[from] = start + tx;
            depart = start + tx;
        }
        let mut at = depart + self.cfg.delay;
        if self.chance(self.cfg.reorder) {
            self.stats.reordered[dir] += 1;
            let w = self.cfg.reorder_window.as_micros().max(1);
            at += Duration::from_micros(self.next_u64() % w);
        }
        if !frame.is_empty() && self.chance(self.cfg.corrupt) {
            self.stats.corrupted[dir] += 1;
            let i = (self.next_u64() % frame.len() as u64) as usize;
            if let Some(b) = frame.get_mut(i) {
                *b ^= 1 << (self.next_u64() % 8);
            }
        }
        if self.chance(self.cfg.duplicate) {
            self.stats.duplicated[dir] += 1;
            self.seq += 1;
            self.queues[to].push(Queued {
                at: at + Duration::from_micros(10),
                seq: self.seq,
                frame: frame.clone(),
            });
        }
        self.seq += 1;
        self.queues[to].push(Queued {
            at,
            seq: self.seq,
            frame,
        });
        if let Some(w) = self.wakers[to].take() {
            w.wake();
        }
    }
}

/// A handle on the wire, to inspect it or change faults during a test.
#[derive(Clone)]
pub struct SimLink {
    wire: Rc<RefCell<Wire>>,
}

impl SimLink {
    /// What the wire did so far.
    pub fn stats(&self) -> WireStats {
        self.wire.borrow().stats
    }
    /// Replaces the fault settings (capacity and MTU are fixed at creation).
    pub fn set_faults(&self, cfg: SimConfig) {
        let mut w = self.wire.borrow_mut();
        let (cap, mtu) = (w.cfg.capacity, w.cfg.mtu);
        w.cfg = SimConfig {
            capacity: cap,
            mtu,
            ..cfg
        };
    }
    /// Makes host `a` (side 0) or `b` (side 1) silent: every frame it sends
    /// is lost, as if it had crashed or a firewall dropped its traffic.
    pub fn silence(&self, side: usize, silent: bool) {
        if let Some(c) = self.wire.borrow_mut().cut.get_mut(side) {
            *c = silent;
        }
    }
}

/// One end of the wire as a `smoltcp::phy::Device`.
pub struct SimDevice {
    wire: Rc<RefCell<Wire>>,
    side: usize,
    clock: &'static TokioClock,
    mtu: usize,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl SimDevice {
    fn pop_ready(&mut self) -> Option<Vec<u8>> {
        let now = self.clock.now();
        let mut w = self.wire.borrow_mut();
        let q = w.queues.get_mut(self.side)?;
        if q.peek().is_some_and(|f| f.at <= now) {
            q.pop().map(|f| f.frame)
        } else {
            None
        }
    }
}

/// A received frame.
pub struct SimRx(Vec<u8>);
/// A transmit slot on the wire.
pub struct SimTx<'a> {
    wire: &'a Rc<RefCell<Wire>>,
    side: usize,
    now: Instant,
}

impl phy::RxToken for SimRx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for SimTx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = vec![0u8; len];
        let r = f(&mut buf);
        self.wire.borrow_mut().send(self.side, self.now, buf);
        r
    }
}

impl Device for SimDevice {
    type RxToken<'a> = SimRx;
    type TxToken<'a> = SimTx<'a>;

    fn receive(
        &mut self,
        _t: smoltcp::time::Instant,
    ) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let frame = self.pop_ready()?;
        let now = self.clock.now();
        Some((
            SimRx(frame),
            SimTx {
                wire: &self.wire,
                side: self.side,
                now,
            },
        ))
    }

    fn transmit(&mut self, _t: smoltcp::time::Instant) -> Option<Self::TxToken<'_>> {
        Some(SimTx {
            wire: &self.wire,
            side: self.side,
            now: self.clock.now(),
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = self.mtu + 14;
        caps
    }
}

impl AsyncDevice for SimDevice {
    fn poll_rx_ready(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let now = self.clock.now();
        let next = {
            let mut w = self.wire.borrow_mut();
            let next = w.queues.get(self.side).and_then(|q| q.peek()).map(|f| f.at);
            if let Some(slot) = w.wakers.get_mut(self.side) {
                *slot = Some(cx.waker().clone());
            }
            next
        };
        match next {
            Some(at) if at <= now => Poll::Ready(()),
            Some(at) => {
                let deadline = self.clock.tokio_instant(at);
                let sleep = self
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if sleep.deadline() != deadline {
                    sleep.as_mut().reset(deadline);
                }
                sleep.as_mut().poll(cx)
            }
            None => Poll::Pending,
        }
    }
}

/// The address of host `a` (side 0).
pub const ADDR_A: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
/// The address of host `b` (side 1).
pub const ADDR_B: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 2);

/// Creates two hosts joined by a simulated wire and spawns their runners on
/// the current `LocalSet` (use inside [`block_on`]). Host `a` is
/// 198.51.100.1, host `b` 198.51.100.2, both /24.
pub fn pair(cfg: SimConfig) -> (SimStack, SimStack, SimLink) {
    let clock: &'static TokioClock = Box::leak(Box::new(TokioClock::new()));
    let wire = Rc::new(RefCell::new(Wire {
        cfg,
        rng: cfg.seed,
        seq: 0,
        queues: [BinaryHeap::new(), BinaryHeap::new()],
        wakers: [None, None],
        free_at: [Instant::ZERO; 2],
        cut: [false; 2],
        stats: WireStats::default(),
    }));
    let make = |side: usize, addr: Ipv4Addr| -> SimStack {
        let device = SimDevice {
            wire: wire.clone(),
            side,
            clock,
            mtu: cfg.mtu,
            sleep: None,
        };
        let stack_cfg = StackConfig {
            mac: [0x02, 0, 0, 0, 0, side as u8 + 1],
            ip: IpConfig::Static {
                addr,
                prefix: 24,
                gateway: None,
                dns: cfg.dns_server,
            },
            random_seed: cfg.seed.wrapping_mul(31).wrapping_add(side as u64),
            name: if side == 0 { "sim0" } else { "sim1" },
            mtu: cfg.mtu as u32,
            speed_bps: cfg.bandwidth_bps.unwrap_or(1_000_000_000),
        };
        let memory = Memory::leak(&cfg.capacity);
        match smol::new(device, stack_cfg, &cfg.capacity, memory, clock) {
            Ok((stack, mut runner)) => {
                tokio::task::spawn_local(async move { runner.run().await });
                stack
            }
            // The memory was sized from the same capacity, and the MAC and
            // prefix are constants: this cannot fail.
            Err(e) => unreachable!("sim stack: {e}"),
        }
    };
    let a = make(0, ADDR_A);
    let b = make(1, ADDR_B);
    (a, b, SimLink { wire })
}

/// Runs `fut` on a single-threaded tokio runtime with paused (virtual) time
/// inside a `LocalSet`: the environment [`pair`] needs.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build();
    let rt = match rt {
        Ok(rt) => rt,
        Err(e) => unreachable!("cannot build a tokio runtime: {e}"),
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, fut)
}
