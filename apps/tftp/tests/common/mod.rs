//! Shared test helpers: file systems and a simulated link with faults.
#![allow(dead_code, missing_docs, unreachable_pub)]

use std::collections::{HashMap, VecDeque};

use petrel_netcore::time::{Duration, Instant};
use petrel_tftp::{
    Client, Decision, Destination, Event, FileSystem, FsError, Mode, Server, ServerConfig, Transfer,
};

/// A heap-backed file system for tests.
#[derive(Default)]
pub struct VecFs {
    pub files: HashMap<Vec<u8>, Vec<u8>>,
    pub aborted: usize,
}

pub enum VecHandle {
    Read(Vec<u8>),
    Write(Vec<u8>, Vec<u8>),
}

impl FileSystem for VecFs {
    type Handle = VecHandle;
    fn open_read(&mut self, name: &[u8], _: Mode) -> Result<(VecHandle, Option<u64>), FsError> {
        let f = self.files.get(name).ok_or(FsError::NotFound)?;
        Ok((VecHandle::Read(name.to_vec()), Some(f.len() as u64)))
    }
    fn read_at(&mut self, h: &mut VecHandle, off: u64, buf: &mut [u8]) -> Result<usize, FsError> {
        let VecHandle::Read(name) = h else {
            return Err(FsError::Io);
        };
        let f = &self.files[name.as_slice()];
        let off = (off as usize).min(f.len());
        let n = (f.len() - off).min(buf.len());
        buf[..n].copy_from_slice(&f[off..off + n]);
        Ok(n)
    }
    fn open_write(&mut self, name: &[u8], _: Mode, _: Option<u64>) -> Result<VecHandle, FsError> {
        Ok(VecHandle::Write(name.to_vec(), Vec::new()))
    }
    fn write(&mut self, h: &mut VecHandle, data: &[u8]) -> Result<(), FsError> {
        let VecHandle::Write(_, v) = h else {
            return Err(FsError::Io);
        };
        v.extend_from_slice(data);
        Ok(())
    }
    fn close(&mut self, h: VecHandle) -> Result<(), FsError> {
        if let VecHandle::Write(name, v) = h {
            self.files.insert(name, v);
        }
        Ok(())
    }
    fn abort(&mut self, _: VecHandle) {
        self.aborted += 1;
    }
}

/// The synthetic byte at `offset` of a generated file (not 512-periodic).
pub fn gen_byte(offset: u64) -> u8 {
    (offset.wrapping_mul(31) ^ (offset >> 9).wrapping_mul(7) ^ (offset >> 17)) as u8
}

/// A file system whose one file "big" of `size` bytes is generated from the
/// offset, and whose writes are checked against the same generator.
pub struct GenFs {
    pub size: u64,
    pub written: u64,
    pub mismatches: u64,
    pub closed: bool,
}

impl GenFs {
    pub fn new(size: u64) -> Self {
        GenFs {
            size,
            written: 0,
            mismatches: 0,
            closed: false,
        }
    }
}

impl FileSystem for GenFs {
    type Handle = ();
    fn open_read(&mut self, _: &[u8], _: Mode) -> Result<((), Option<u64>), FsError> {
        Ok(((), Some(self.size)))
    }
    fn read_at(&mut self, _: &mut (), off: u64, buf: &mut [u8]) -> Result<usize, FsError> {
        let n = (self.size.saturating_sub(off)).min(buf.len() as u64) as usize;
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = gen_byte(off + i as u64);
        }
        Ok(n)
    }
    fn open_write(&mut self, _: &[u8], _: Mode, _: Option<u64>) -> Result<(), FsError> {
        Ok(())
    }
    fn write(&mut self, _: &mut (), data: &[u8]) -> Result<(), FsError> {
        for &b in data {
            if b != gen_byte(self.written) {
                self.mismatches += 1;
            }
            self.written += 1;
        }
        Ok(())
    }
    fn close(&mut self, _: ()) -> Result<(), FsError> {
        self.closed = true;
        Ok(())
    }
    fn abort(&mut self, _: ()) {}
}

/// xorshift64*: a deterministic PRNG.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// True with probability `pct` percent.
    pub fn chance(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }
}

#[derive(Clone, Copy, Default)]
pub struct Faults {
    pub loss_pct: u64,
    pub dup_pct: u64,
    /// Extra random delay up to this many ms (reorders packets).
    pub jitter_ms: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Node {
    Client,
    Port69,
    Transfer,
}

struct Pkt {
    at: Instant,
    from: Node,
    to: Node,
    bytes: Vec<u8>,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub client: Option<Event>,
    pub server: Option<Event>,
    pub packets: u64,
    pub data_sent_by_server: u64,
}

/// Runs a client against a server over a lossy link until both are closed.
pub fn run<SF: FileSystem, CF: FileSystem>(
    sfs: &mut SF,
    cfs: &mut CF,
    mut client: Client<CF::Handle>,
    config: ServerConfig,
    faults: Faults,
    seed: u64,
    max_steps: u64,
) -> Outcome {
    let server = Server::new(config);
    let mut transfer: Option<Transfer<SF::Handle>> = None;
    let mut net: VecDeque<Pkt> = VecDeque::new();
    let mut rng = Rng(seed | 1);
    let mut now = Instant::from_secs(1);
    let mut out = Outcome::default();
    let mut locked = false;
    let mut buf = vec![0u8; 70_000];
    let latency = Duration::from_millis(1);
    for _ in 0..max_steps {
        // Everything each side wants to send now.
        let mut sent = Vec::new();
        while let Some(tx) = client.poll_transmit(cfs, &mut buf) {
            let to = if locked { Node::Transfer } else { Node::Port69 };
            assert_eq!(tx.to, Destination::Peer);
            sent.push((Node::Client, to, buf[..tx.len].to_vec()));
        }
        if let Some(t) = transfer.as_mut() {
            while let Some(tx) = t.poll_transmit(sfs, &mut buf) {
                if buf[1] == 3 {
                    out.data_sent_by_server += 1;
                }
                sent.push((Node::Transfer, Node::Client, buf[..tx.len].to_vec()));
            }
        }
        for (from, to, bytes) in sent {
            out.packets += 1;
            if rng.chance(faults.loss_pct) {
                continue;
            }
            let copies = if rng.chance(faults.dup_pct) { 2 } else { 1 };
            for _ in 0..copies {
                let jitter = if faults.jitter_ms > 0 {
                    rng.next() % faults.jitter_ms
                } else {
                    0
                };
                let at = now + latency + Duration::from_millis(jitter);
                net.push_back(Pkt {
                    at,
                    from,
                    to,
                    bytes: bytes.clone(),
                });
            }
        }
        if let Some(e) = client.poll_event() {
            out.client = Some(e);
        }
        if let Some(t) = transfer.as_mut()
            && let Some(e) = t.poll_event()
        {
            out.server = Some(e);
        }
        let client_done = client.is_closed();
        let server_done = transfer.as_ref().is_none_or(|t| t.is_closed());
        if client_done && server_done && net.is_empty() && out.client.is_some() {
            return out;
        }
        // Next thing to happen.
        let next_pkt = net.iter().map(|p| p.at).min();
        let next = [
            next_pkt,
            client.poll_timeout(),
            transfer.as_ref().and_then(|t| t.poll_timeout()),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next else { return out };
        now = now.max(next);
        // Deliver due packets (in arrival-time order).
        let mut due: Vec<Pkt> = Vec::new();
        let mut keep = VecDeque::new();
        for p in net.drain(..) {
            if p.at <= now {
                due.push(p)
            } else {
                keep.push_back(p)
            }
        }
        net = keep;
        due.sort_by_key(|p| p.at);
        for p in due {
            match p.to {
                Node::Client => {
                    let ok = !locked || p.from == Node::Transfer;
                    client.handle_packet(now, cfs, ok, &p.bytes);
                    if !locked && client.is_tid_locked() {
                        locked = true;
                    }
                }
                Node::Port69 => {
                    let mut reply = [0u8; 128];
                    match server.handle_request(
                        now,
                        sfs,
                        usize::from(transfer.is_some()),
                        &p.bytes,
                        &mut reply,
                    ) {
                        Decision::Accept(t) if transfer.is_none() => transfer = Some(t),
                        Decision::Refuse { len, .. } => net.push_back(Pkt {
                            at: now + latency,
                            from: Node::Port69,
                            to: Node::Client,
                            bytes: reply[..len].to_vec(),
                        }),
                        _ => {}
                    }
                }
                Node::Transfer => {
                    if let Some(t) = transfer.as_mut() {
                        t.handle_packet(now, sfs, true, &p.bytes);
                    }
                }
            }
        }
        if client.poll_timeout().is_some_and(|t| t <= now) {
            client.handle_timeout(now, cfs);
        }
        if let Some(t) = transfer.as_mut()
            && t.poll_timeout().is_some_and(|d| d <= now)
        {
            t.handle_timeout(now, sfs);
        }
    }
    out
}
