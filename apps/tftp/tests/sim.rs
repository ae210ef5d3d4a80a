//! Full client <-> server transfers over a simulated link with a virtual
//! clock and seeded faults (loss, duplication, reordering).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod common;

use common::{Faults, GenFs, VecFs, VecHandle, run};
use petrel_netcore::time::Instant;
use petrel_tftp::{Client, ClientConfig, Event, Mode, ServerConfig, TransferError};

fn data(n: usize, text: bool) -> Vec<u8> {
    let mut r = common::Rng(0x1234_5678 ^ n as u64);
    (0..n)
        .map(|_| {
            let x = r.next() as u8;
            if text {
                // Plenty of line ends and bare CRs, some at block edges.
                match x % 16 {
                    0 => b'\n',
                    1 => b'\r',
                    _ => b'a' + x % 26,
                }
            } else {
                x
            }
        })
        .collect()
}

fn get(
    content: &[u8],
    mode: Mode,
    cfg: ClientConfig,
    faults: Faults,
    seed: u64,
) -> (Vec<u8>, common::Outcome) {
    let mut sfs = VecFs::default();
    sfs.files.insert(b"f".to_vec(), content.to_vec());
    let mut cfs = VecFs::default();
    let h = VecHandle::Write(b"out".to_vec(), Vec::new());
    let c = Client::get(Instant::from_secs(1), cfg, b"f", mode, h).unwrap();
    let out = run(
        &mut sfs,
        &mut cfs,
        c,
        ServerConfig::default(),
        faults,
        seed,
        2_000_000,
    );
    (cfs.files.get(&b"out"[..]).cloned().unwrap_or_default(), out)
}

fn put(
    content: &[u8],
    mode: Mode,
    cfg: ClientConfig,
    faults: Faults,
    seed: u64,
) -> (Vec<u8>, common::Outcome) {
    let mut sfs = VecFs::default();
    let mut cfs = VecFs::default();
    cfs.files.insert(b"src".to_vec(), content.to_vec());
    let h = VecHandle::Read(b"src".to_vec());
    let c = Client::put(
        Instant::from_secs(1),
        cfg,
        b"up",
        mode,
        h,
        Some(content.len() as u64),
    )
    .unwrap();
    let out = run(
        &mut sfs,
        &mut cfs,
        c,
        ServerConfig::default(),
        faults,
        seed,
        2_000_000,
    );
    (sfs.files.get(&b"up"[..]).cloned().unwrap_or_default(), out)
}

fn configs() -> Vec<(&'static str, ClientConfig)> {
    vec![
        ("plain", ClientConfig::plain()),
        ("options", ClientConfig::default().with_timeout_secs(1)),
        (
            "window4",
            ClientConfig::default().with_blksize(512).with_windowsize(4),
        ),
        (
            "tiny-blocks-window4",
            ClientConfig::default().with_blksize(8).with_windowsize(4),
        ),
    ]
}

#[test]
fn clean_link_all_modes_both_directions() {
    for size in [0usize, 1, 511, 512, 513, 1024, 5000, 20_000] {
        for (name, cfg) in configs() {
            for mode in [Mode::Octet, Mode::NetAscii] {
                let content = data(size, mode == Mode::NetAscii);
                let (got, out) = get(&content, mode, cfg, Faults::default(), 1);
                assert_eq!(got, content, "get {name} {mode:?} {size}");
                assert_eq!(
                    out.client,
                    Some(Event::Completed { bytes: size as u64 }),
                    "get {name} {mode:?} {size}"
                );
                let (got, out) = put(&content, mode, cfg, Faults::default(), 1);
                assert_eq!(got, content, "put {name} {mode:?} {size}");
                assert_eq!(
                    out.server,
                    Some(Event::Completed { bytes: size as u64 }),
                    "put {name} {mode:?} {size}"
                );
            }
        }
    }
}

#[test]
fn lossy_link_completes_intact() {
    let faults = Faults {
        loss_pct: 10,
        dup_pct: 5,
        jitter_ms: 3,
    };
    let cfg_retry = |mut c: ClientConfig| {
        c.max_retries = 30;
        c
    };
    for seed in 1..=6u64 {
        for (name, cfg) in configs() {
            for mode in [Mode::Octet, Mode::NetAscii] {
                let content = data(30_000 + seed as usize * 77, mode == Mode::NetAscii);
                let (got, out) = get(&content, mode, cfg_retry(cfg), faults, seed);
                assert!(got == content, "get {name} {mode:?} seed {seed}: {:?}", out);
                let (got, out) = put(&content, mode, cfg_retry(cfg), faults, seed);
                assert!(got == content, "put {name} {mode:?} seed {seed}: {:?}", out);
            }
        }
    }
}

#[test]
fn no_oack_fallback_and_missing_file() {
    // Server with options disabled: the client asked for blksize but gets
    // DATA 1 of 512 bytes and must fall back.
    let content = data(3000, false);
    let mut sfs = VecFs::default();
    sfs.files.insert(b"f".to_vec(), content.clone());
    let mut cfs = VecFs::default();
    let h = VecHandle::Write(b"out".to_vec(), Vec::new());
    let c = Client::get(
        Instant::from_secs(1),
        ClientConfig::default(),
        b"f",
        Mode::Octet,
        h,
    )
    .unwrap();
    let mut cfg = ServerConfig::default();
    cfg.options = false;
    let out = run(&mut sfs, &mut cfs, c, cfg, Faults::default(), 3, 100_000);
    assert_eq!(cfs.files[&b"out"[..]], content);
    assert_eq!(out.data_sent_by_server, 6);

    let h = VecHandle::Write(b"out2".to_vec(), Vec::new());
    let c = Client::get(
        Instant::from_secs(1),
        ClientConfig::default(),
        b"nope",
        Mode::Octet,
        h,
    )
    .unwrap();
    let out = run(
        &mut sfs,
        &mut cfs,
        c,
        ServerConfig::default(),
        Faults::default(),
        3,
        100_000,
    );
    assert_eq!(
        out.client,
        Some(Event::Failed {
            error: TransferError::Peer(petrel_tftp::ErrorCode::FileNotFound)
        })
    );
    assert_eq!(cfs.aborted, 1);
}

#[test]
fn rollover_70000_blocks_both_directions() {
    // 70000 blocks of 512 bytes + a tail: block numbers wrap 65535 -> 0.
    let size = 70_000u64 * 512 + 100;
    let mut sfs = GenFs::new(size);
    let mut cfs = GenFs::new(size);
    let c = Client::get(
        Instant::from_secs(1),
        ClientConfig::plain(),
        b"big",
        Mode::Octet,
        (),
    )
    .unwrap();
    let out = run(
        &mut sfs,
        &mut cfs,
        c,
        ServerConfig::default(),
        Faults::default(),
        9,
        2_000_000,
    );
    assert_eq!(out.client, Some(Event::Completed { bytes: size }));
    assert_eq!(out.server, Some(Event::Completed { bytes: size }));
    assert_eq!((cfs.written, cfs.mismatches, cfs.closed), (size, 0, true));
    assert_eq!(out.data_sent_by_server, 70_001);

    let mut sfs = GenFs::new(size);
    let mut cfs = GenFs::new(size);
    let cfg = ClientConfig::default().with_blksize(512).with_windowsize(8);
    let c = Client::put(
        Instant::from_secs(1),
        cfg,
        b"big",
        Mode::Octet,
        (),
        Some(size),
    )
    .unwrap();
    let out = run(
        &mut sfs,
        &mut cfs,
        c,
        ServerConfig::default(),
        Faults::default(),
        9,
        2_000_000,
    );
    assert_eq!(out.server, Some(Event::Completed { bytes: size }));
    assert_eq!((sfs.written, sfs.mismatches, sfs.closed), (size, 0, true));
}
