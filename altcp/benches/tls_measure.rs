//! TLS measurements on the host (not a pass/fail test): handshake time,
//! heap per connection, throughput TLS vs plain TCP over the host backend,
//! and the embedded-tls client's static memory.
//!
//! ```text
//! cargo bench -p petrel-altcp --features tls-ring,std,embedded-tls --bench tls_measure
//! PETREL_TLS_PROVIDER=rustcrypto cargo bench -p petrel-altcp \
//!     --features tls-ring,tls-rustcrypto,std --bench tls_measure
//! ```
#![allow(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::Instant;

use common::{Ca, Leaf};
use embedded_io_async::{Read, Write};
use petrel_altcp::tls::{self, TlsVersions};
use petrel_altcp::{Stream, Tcp};
use petrel_netcore::os::OsNetwork;
use petrel_netcore::{ConnectConfig, ListenConfig, Network, TcpListener};

/// Counts live heap bytes per thread (const-initialised thread-locals
/// never allocate, so the allocator cannot recurse).
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn add(n: isize) {
    let _ = LIVE.try_with(|l| {
        let v = l.get() + n;
        l.set(v);
        let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
    });
}

// SAFETY: forwards every call to the system allocator unchanged; the only
// extra work is arithmetic on thread-local cells that need no allocation.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as isize);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(-(layout.size() as isize));
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size as isize - layout.size() as isize);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn live() -> isize {
    LIVE.with(|l| l.get())
}
fn reset_peak() -> isize {
    PEAK.with(|p| {
        let v = live();
        p.set(v);
        v
    })
}
fn peak() -> isize {
    PEAK.with(|p| p.get())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

enum Cmd {
    /// Accept `n` TLS connections, report median handshake µs, live heap
    /// per connection and the handshake peak, keep them open until the
    /// next command.
    Handshakes(usize, bool),
    /// Accept one connection (TLS or plain) and read until EOF.
    Sink(bool),
}

/// The server thread: its own runtime, its own heap counter.
fn server(
    leaf: &Leaf,
    port: u16,
    versions: TlsVersions,
) -> (mpsc::Sender<Cmd>, mpsc::Receiver<Vec<f64>>) {
    let cfg = tls::ServerConfig::builder(provider())
        .cert_chain(leaf.chain.clone(), leaf.key())
        .versions(versions)
        .build()
        .unwrap();
    let (ctx, crx) = mpsc::channel::<Cmd>();
    let (rtx, rrx) = mpsc::channel();
    let (ready_tx, ready_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let net = OsNetwork::new();
            let mut l = net
                .tcp_listen(
                    SocketAddr::from(([127, 0, 0, 1], port)),
                    ListenConfig::with_backlog(64),
                )
                .await
                .unwrap();
            ready_tx.send(()).unwrap();
            let mut kept = Vec::new();
            while let Ok(cmd) = crx.recv() {
                kept.clear();
                match cmd {
                    Cmd::Handshakes(n, keep) => {
                        let mut times = Vec::new();
                        let base = live();
                        let mut max_peak = 0;
                        for _ in 0..n {
                            let s = l.accept().await.unwrap();
                            let before = reset_peak();
                            let t = Instant::now();
                            let s = tls::accept(Tcp::new(s), &cfg, &net).await.unwrap();
                            times.push(t.elapsed().as_secs_f64() * 1e6);
                            max_peak = max_peak.max(peak() - before);
                            if keep {
                                kept.push(s);
                            }
                        }
                        let per_conn = (live() - base) as f64 / n as f64;
                        times.sort_by(|a, b| a.total_cmp(b));
                        rtx.send(vec![times[n / 2], per_conn, max_peak as f64])
                            .unwrap();
                    }
                    Cmd::Sink(use_tls) => {
                        let s = Tcp::new(l.accept().await.unwrap());
                        let mut buf = vec![0u8; 16384];
                        let mut total = 0usize;
                        if use_tls {
                            let mut s = tls::accept(s, &cfg, &net).await.unwrap();
                            while let Ok(n) = s.read(&mut buf).await {
                                if n == 0 {
                                    break;
                                }
                                total += n;
                            }
                            let _ = s.close().await;
                        } else {
                            let mut s = s;
                            while let Ok(n) = s.read(&mut buf).await {
                                if n == 0 {
                                    break;
                                }
                                total += n;
                            }
                        }
                        rtx.send(vec![total as f64]).unwrap();
                    }
                }
            }
        });
    });
    ready_rx.recv().unwrap();
    (ctx, rrx)
}

/// Whether `PETREL_TLS_PROVIDER=rustcrypto` selected the pure-Rust provider
/// (feature `tls-rustcrypto`; TLS 1.3 only) instead of ring.
fn rustcrypto_selected() -> bool {
    std::env::var("PETREL_TLS_PROVIDER").is_ok_and(|v| v == "rustcrypto")
}

/// The crypto provider both ends use.
fn provider() -> std::sync::Arc<tls::rustls::crypto::CryptoProvider> {
    #[cfg(feature = "tls-rustcrypto")]
    if rustcrypto_selected() {
        return std::sync::Arc::new(tls::rustcrypto::os_provider());
    }
    assert!(
        !rustcrypto_selected(),
        "PETREL_TLS_PROVIDER=rustcrypto needs --features tls-rustcrypto"
    );
    tls::ring_provider()
}

fn main() {
    let ca = Ca::new("bench CA");
    let leaf = ca.leaf(&["localhost"]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let net = OsNetwork::new();
    const N: usize = 200;
    println!("| measurement | TLS 1.3 | TLS 1.2 |");
    println!("|---|---|---|");
    let mut rows: Vec<(String, Vec<String>)> = vec![
        (
            "client handshake, median of 200 (µs, TCP connect excluded)".into(),
            vec![],
        ),
        (
            "server handshake, median of 200 (µs, from accept)".into(),
            vec![],
        ),
        (
            "client heap per established connection (bytes)".into(),
            vec![],
        ),
        (
            "server heap per established connection (bytes)".into(),
            vec![],
        ),
        (
            "client heap peak during one handshake (bytes)".into(),
            vec![],
        ),
        (
            "server heap peak during one handshake (bytes)".into(),
            vec![],
        ),
    ];
    let name = if rustcrypto_selected() {
        "rustls/rustcrypto"
    } else {
        "rustls/ring"
    };
    println!("provider: {name}");
    let all_versions: &[TlsVersions] = if rustcrypto_selected() {
        &[TlsVersions::Tls13Only]
    } else {
        &[TlsVersions::Tls13Only, TlsVersions::Tls12Only]
    };
    for &versions in all_versions {
        let port = free_port();
        let (cmd, res) = server(&leaf, port, versions);
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let ccfg = tls::ClientConfig::builder(provider())
            .roots(ca.roots())
            .versions(versions)
            .resumption(0)
            .build()
            .unwrap();
        // Handshake times (connections closed as we go).
        cmd.send(Cmd::Handshakes(N, false)).unwrap();
        let mut times = Vec::new();
        rt.block_on(async {
            for _ in 0..N {
                let s = net
                    .tcp_connect(addr, ConnectConfig::default())
                    .await
                    .unwrap();
                let t = Instant::now();
                let s = tls::connect(Tcp::new(s), "localhost", &ccfg, &net)
                    .await
                    .unwrap();
                times.push(t.elapsed().as_secs_f64() * 1e6);
                drop(s);
            }
        });
        times.sort_by(|a, b| a.total_cmp(b));
        let srv = res.recv().unwrap();
        rows[0].1.push(format!("{:.0}", times[N / 2]));
        rows[1].1.push(format!("{:.0}", srv[0]));
        // Heap: 20 connections kept open on both sides.
        const K: usize = 20;
        cmd.send(Cmd::Handshakes(K, true)).unwrap();
        let (per_conn, max_peak) = rt.block_on(async {
            let mut kept = Vec::new();
            let base = live();
            let mut max_peak = 0;
            for _ in 0..K {
                let s = net
                    .tcp_connect(addr, ConnectConfig::default())
                    .await
                    .unwrap();
                let before = reset_peak();
                let s = tls::connect(Tcp::new(s), "localhost", &ccfg, &net)
                    .await
                    .unwrap();
                max_peak = max_peak.max(peak() - before);
                kept.push(s);
            }
            let per = (live() - base) as f64 / K as f64;
            drop(kept);
            (per, max_peak)
        });
        let srv = res.recv().unwrap();
        rows[2].1.push(format!("{per_conn:.0}"));
        rows[3].1.push(format!("{:.0}", srv[1]));
        rows[4].1.push(format!("{max_peak}"));
        rows[5].1.push(format!("{:.0}", srv[2]));
        if versions == TlsVersions::Tls13Only {
            // Throughput, 256 MiB one way, plain and TLS.
            const BYTES: usize = 256 << 20;
            let chunk = vec![0x5au8; 16384];
            for use_tls in [false, true] {
                cmd.send(Cmd::Sink(use_tls)).unwrap();
                let mut suite = None;
                let secs = rt.block_on(async {
                    let s = Tcp::new(
                        net.tcp_connect(addr, ConnectConfig::default())
                            .await
                            .unwrap(),
                    );
                    let t = Instant::now();
                    if use_tls {
                        let mut s = tls::connect(s, "localhost", &ccfg, &net).await.unwrap();
                        suite = s.cipher_suite().map(|c| c.suite());
                        let mut sent = 0;
                        while sent < BYTES {
                            sent += s.write(&chunk).await.unwrap();
                        }
                        s.close().await.unwrap();
                    } else {
                        let mut s = s;
                        let mut sent = 0;
                        while sent < BYTES {
                            sent += s.write(&chunk).await.unwrap();
                        }
                        s.close().await.unwrap();
                    }
                    t
                });
                let got = res.recv().unwrap()[0] as usize;
                assert_eq!(got, BYTES);
                let el = secs.elapsed().as_secs_f64();
                let what = match suite {
                    Some(suite) => format!("TLS 1.3 {suite:?} ({name})"),
                    None => "plain TCP".to_string(),
                };
                println!(
                    "| throughput {what} over loopback (OsNetwork), 256 MiB one way | {:.0} MB/s | |",
                    BYTES as f64 / el / 1e6
                );
            }
        }
    }
    for (name, vals) in rows {
        println!("| {name} | {} |", vals.join(" | "));
    }
    #[cfg(feature = "embedded-tls")]
    {
        use petrel_altcp::tls::embedded::{ClientBuffers, EmbeddedTlsStream};
        type Conn = EmbeddedTlsStream<'static, Tcp<petrel_netcore::os::OsTcpStream>>;
        println!(
            "| embedded-tls client: record buffers (16640+16640) + connection state | {} + {} bytes (no heap) | |",
            ClientBuffers::<16_640, 16_640>::size(),
            std::mem::size_of::<Conn>()
        );
    }
}
