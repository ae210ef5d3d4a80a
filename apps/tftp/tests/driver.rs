//! The async drivers over the simulated link (two smoltcp stacks, virtual
//! time, seeded loss): server and client end to end, several transfers at
//! once, hostile datagrams to the server port.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::rc::Rc;

use embassy_futures::select::{Either, select};
use petrel_netcore::sim::{self, ADDR_B, SimConfig, SimStack};
use petrel_netcore::timer::with_timeout;
use petrel_netcore::{Clock, Duration, Network, UdpSocket};
use petrel_tftp::driver::{self, ClientDriverError};
use petrel_tftp::{
    ClientConfig, ErrorCode, FileSystem, FsError, Mode, Server, ServerConfig, TransferError,
};

/// Files by name; uploads land on close. Shared between server and test.
#[derive(Default, Clone)]
struct MemFs {
    files: Rc<RefCell<HashMap<Vec<u8>, Vec<u8>>>>,
}

enum H {
    Read(Vec<u8>),
    Write(Vec<u8>, Vec<u8>),
}

impl FileSystem for MemFs {
    type Handle = H;
    fn open_read(&mut self, name: &[u8], _: Mode) -> Result<(H, Option<u64>), FsError> {
        let f = self.files.borrow();
        let data = f.get(name).ok_or(FsError::NotFound)?;
        Ok((H::Read(data.clone()), Some(data.len() as u64)))
    }
    fn read_at(&mut self, h: &mut H, off: u64, buf: &mut [u8]) -> Result<usize, FsError> {
        let H::Read(d) = h else {
            return Err(FsError::Io);
        };
        let off = (off as usize).min(d.len());
        let n = (d.len() - off).min(buf.len());
        buf[..n].copy_from_slice(&d[off..off + n]);
        Ok(n)
    }
    fn open_write(&mut self, name: &[u8], _: Mode, _: Option<u64>) -> Result<H, FsError> {
        Ok(H::Write(name.to_vec(), Vec::new()))
    }
    fn write(&mut self, h: &mut H, data: &[u8]) -> Result<(), FsError> {
        let H::Write(_, v) = h else {
            return Err(FsError::Io);
        };
        v.extend_from_slice(data);
        Ok(())
    }
    fn close(&mut self, h: H) -> Result<(), FsError> {
        if let H::Write(name, v) = h {
            self.files.borrow_mut().insert(name, v);
        }
        Ok(())
    }
    fn abort(&mut self, _: H) {}
}

fn random(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

const PORT: u16 = 69;

fn server_addr() -> SocketAddr {
    SocketAddr::new(ADDR_B.into(), PORT)
}

/// Runs the server on `b` with `fs` beside `test` on `a`; returns the
/// test's output and the server's events (as strings).
async fn with_server<T>(
    a: &SimStack,
    b: &SimStack,
    fs: MemFs,
    config: ServerConfig,
    test: impl core::future::Future<Output = T>,
) -> (T, Vec<String>) {
    let _ = a;
    let mut listen = b.udp_bind(server_addr()).await.unwrap();
    let server = Server::new(config);
    let mut sfs = fs;
    let mut buf = vec![0u8; 5 * 1600];
    let log = RefCell::new(Vec::new());
    let serve = driver::serve::<_, _, _, 4>(b, &mut listen, &server, &mut sfs, &mut buf, |e| {
        log.borrow_mut().push(format!("{e:?}"));
    });
    match select(serve, test).await {
        Either::First(e) => panic!("server stopped: {e}"),
        Either::Second(t) => {
            drop(log.borrow());
            let l = log.borrow().clone();
            (t, l)
        }
    }
}

async fn get(a: &SimStack, cfg: ClientConfig, name: &[u8]) -> Result<Vec<u8>, ClientDriverError> {
    let mut cfs = MemFs::default();
    let h = H::Write(b"out".to_vec(), Vec::new());
    let mut buf = vec![0u8; 2048];
    driver::get(
        a,
        server_addr(),
        cfg,
        name,
        Mode::Octet,
        &mut cfs,
        h,
        &mut buf,
    )
    .await?;
    Ok(cfs
        .files
        .borrow()
        .get(&b"out"[..])
        .cloned()
        .unwrap_or_default())
}

async fn put(
    a: &SimStack,
    cfg: ClientConfig,
    name: &[u8],
    data: Vec<u8>,
) -> Result<u64, ClientDriverError> {
    let mut cfs = MemFs::default();
    let size = data.len() as u64;
    let mut buf = vec![0u8; 2048];
    driver::put(
        a,
        server_addr(),
        cfg,
        name,
        Mode::Octet,
        &mut cfs,
        H::Read(data),
        Some(size),
        &mut buf,
    )
    .await
}

#[test]
fn get_and_put_through_ten_percent_loss() {
    sim::block_on(async {
        let (a, b, _link) = sim::pair(SimConfig::default().loss(0.10).seed(7));
        let fs = MemFs::default();
        let data = random(300_000, 3);
        fs.files.borrow_mut().insert(b"f".to_vec(), data.clone());
        let up = random(200_001, 9);
        let fs2 = fs.clone();
        let ((got, sent, got_w), log) = with_server(&a, &b, fs, ServerConfig::default(), async {
            let got = get(&a, ClientConfig::default(), b"f").await;
            let sent = put(
                &a,
                ClientConfig::default().with_windowsize(4),
                b"up",
                up.clone(),
            )
            .await;
            let got_w = get(&a, ClientConfig::plain(), b"f").await;
            (got, sent, got_w)
        })
        .await;
        assert_eq!(got.unwrap(), data, "get with options");
        assert_eq!(sent.unwrap(), up.len() as u64);
        assert_eq!(fs2.files.borrow().get(&b"up"[..]).unwrap(), &up);
        assert_eq!(got_w.unwrap(), data, "plain RFC 1350 get");
        assert!(log.iter().any(|l| l.contains("Completed")), "{log:#?}");
    });
}

#[test]
fn four_transfers_at_once_and_the_fifth_is_refused() {
    sim::block_on(async {
        let (a, b, _link) = sim::pair(SimConfig::default().seed(2));
        let fs = MemFs::default();
        let files: Vec<Vec<u8>> = (0..4)
            .map(|i| random(150_000 + i * 777, i as u64 + 1))
            .collect();
        for (i, f) in files.iter().enumerate() {
            fs.files
                .borrow_mut()
                .insert(format!("f{i}").into_bytes(), f.clone());
        }
        let (results, log) = with_server(&a, &b, fs, ServerConfig::default(), async {
            // Plain lock-step (one block per round trip) keeps all four
            // running while the fifth asks.
            let cfg = ClientConfig::plain();
            let fifth = async {
                // Let the four start first.
                a.sleep(Duration::from_millis(20)).await;
                get(&a, cfg, b"f0").await
            };
            let (r0, r1, r2, r3, r5) = embassy_futures::join::join5(
                get(&a, cfg, b"f0"),
                get(&a, cfg, b"f1"),
                get(&a, cfg, b"f2"),
                get(&a, cfg, b"f3"),
                fifth,
            )
            .await;
            [r0, r1, r2, r3, r5]
        })
        .await;
        let [r0, r1, r2, r3, r5] = results;
        for (i, r) in [r0, r1, r2, r3].into_iter().enumerate() {
            assert_eq!(r.unwrap(), files[i], "transfer {i}");
        }
        assert_eq!(
            r5.map(|v| v.len()),
            Err(ClientDriverError::Transfer(TransferError::Peer(
                ErrorCode::NotDefined
            ))),
            "{log:#?}"
        );
        let started = log.iter().filter(|l| l.starts_with("Started")).count();
        assert_eq!(started, 4, "{log:#?}");
        let slots: std::collections::HashSet<_> = log
            .iter()
            .filter(|l| l.starts_with("Started"))
            .map(|l| l.split("local: ").nth(1).unwrap().to_string())
            .collect();
        assert_eq!(slots.len(), 4, "each transfer on its own port: {log:#?}");
    });
}

#[test]
fn one_slot_a_dallying_upload_yields_to_the_next_request() {
    sim::block_on(async {
        let (a, b, _link) = sim::pair(SimConfig::default().seed(5));
        let fs = MemFs::default();
        let mut config = ServerConfig::default();
        config.max_transfers = 1;
        let up = random(3_000, 11);
        let ((sent, back), log) = with_server(&a, &b, fs, config, async {
            // The server dallies after the upload's final ACK (2 x its
            // timeout); the get comes at once, from another port.
            let sent = put(&a, ClientConfig::default(), b"up", up.clone()).await;
            let back = get(&a, ClientConfig::default(), b"up").await;
            (sent, back)
        })
        .await;
        assert_eq!(sent.unwrap(), up.len() as u64, "{log:#?}");
        assert_eq!(back.unwrap(), up, "{log:#?}");
        assert!(!log.iter().any(|l| l.starts_with("Refused")), "{log:#?}");
        assert_eq!(log.iter().filter(|l| l.starts_with("Started")).count(), 2);
    });
}

#[test]
fn hostile_datagrams_are_refused_and_the_server_keeps_serving() {
    sim::block_on(async {
        let (a, b, _link) = sim::pair(SimConfig::default().seed(5));
        let fs = MemFs::default();
        fs.files
            .borrow_mut()
            .insert(b"ok".to_vec(), b"still here".to_vec());
        let (replies, _log) = with_server(&a, &b, fs, ServerConfig::default(), async {
            let mut s = a.udp_bind("0.0.0.0:0".parse().unwrap()).await.unwrap();
            // Longer than the server's request buffer: dropped unread.
            let mut long = b"\x00\x01".to_vec();
            long.extend(std::iter::repeat_n(b'a', driver::REQUEST_BUF));
            long.extend_from_slice(b"\x00octet\x00");
            let hostile: [&[u8]; 9] = [
                &long,
                b"",
                b"\x00",
                b"\x00\x01",
                b"\x00\x01f\x00",
                b"\x00\x09whatever\x00octet\x00",
                b"\x00\x01f\x00octet\x00blksize\x00999999999999\x00",
                b"\x00\x01f\x00bogusmode\x00",
                b"\x00\x03\x00\x01data",
            ];
            let mut replies = Vec::new();
            for h in hostile {
                s.send_to(h, server_addr()).await.unwrap();
                let mut buf = [0u8; 600];
                let r = with_timeout(&a, Duration::from_millis(300), s.recv_from(&mut buf)).await;
                replies.push(match r {
                    Ok(Ok((n, _))) => buf[..n].to_vec(),
                    _ => Vec::new(),
                });
            }
            let got = get(&a, ClientConfig::default(), b"ok").await;
            (replies, got)
        })
        .await;
        let (replies, got) = replies;
        // Every malformed request got an ERROR (opcode 5) or nothing.
        for r in &replies {
            assert!(r.is_empty() || r.starts_with(&[0, 5]), "{r:?}");
        }
        assert!(
            replies[5].starts_with(&[0, 5, 0, 4]),
            "unknown opcode: illegal operation"
        );
        assert_eq!(got.unwrap(), b"still here");
    });
}

#[test]
fn missing_file_and_read_only_server_errors_reach_the_client() {
    sim::block_on(async {
        let (a, b, _link) = sim::pair(SimConfig::default().seed(4));
        let mut cfg = ServerConfig::default();
        cfg.allow_write = false;
        let ((missing, write), log) = with_server(&a, &b, MemFs::default(), cfg, async {
            (
                get(&a, ClientConfig::default(), b"nope").await,
                put(&a, ClientConfig::default(), b"x", vec![1, 2, 3]).await,
            )
        })
        .await;
        assert_eq!(
            missing.unwrap_err(),
            ClientDriverError::Transfer(TransferError::Peer(ErrorCode::FileNotFound))
        );
        assert_eq!(
            write.unwrap_err(),
            ClientDriverError::Transfer(TransferError::Peer(ErrorCode::AccessViolation))
        );
        assert_eq!(
            log.iter().filter(|l| l.starts_with("Refused")).count(),
            2,
            "{log:#?}"
        );
    });
}
