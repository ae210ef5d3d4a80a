//! `cargo bench -p petrel-netcore --features sim --bench sim_echo`
//!
//! Echo throughput over the simulated link: two smoltcp stacks in one
//! process. Wall-clock MB/s measures the CPU cost of the stack (both ends on
//! one core); virtual MB/s is what the simulated wire carried in virtual time
//! (bounded by window / RTT). Prints a table; asserts nothing about speed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant as WallInstant;

use embedded_io_async::{Read, Write};
use petrel_netcore::sim::{self, ADDR_B, SimConfig};
use petrel_netcore::{Clock, ConnectConfig, ListenConfig, Network, TcpListener, TcpStream};

fn run(label: &str, cfg: SimConfig, mib: usize) {
    let total = mib << 20;
    let (wall, virt) = sim::block_on(async move {
        let (a, b, _) = sim::pair(cfg);
        tokio::task::spawn_local(async move {
            let mut l = b
                .tcp_listen((ADDR_B, 7).into(), ListenConfig::default())
                .await
                .unwrap();
            let mut s = l.accept().await.unwrap();
            let mut buf = vec![0u8; 16384];
            loop {
                let n = s.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                s.write_all(&buf[..n]).await.unwrap();
            }
        });
        let mut stream = a
            .tcp_connect((ADDR_B, 7).into(), ConnectConfig::default())
            .await
            .unwrap();
        let t0 = WallInstant::now();
        let v0 = a.now();
        // Interleave short write and read attempts on the one stream so
        // neither direction's buffers fill up.
        let block = vec![0x5au8; 16384];
        let mut sent = 0usize;
        let mut got = 0usize;
        let mut buf = vec![0u8; 16384];
        while got < total {
            if sent < total {
                let n = (total - sent).min(block.len());
                if let Ok(Ok(w)) = petrel_netcore::timer::with_timeout(
                    &a,
                    petrel_netcore::Duration::from_micros(50),
                    stream.write(&block[..n]),
                )
                .await
                {
                    sent += w;
                }
            }
            if let Ok(Ok(r)) = petrel_netcore::timer::with_timeout(
                &a,
                petrel_netcore::Duration::from_micros(50),
                stream.read(&mut buf),
            )
            .await
            {
                got += r;
            }
        }
        let wall = t0.elapsed().as_secs_f64();
        let virt = (a.now() - v0).as_micros() as f64 / 1e6;
        stream.close().await.unwrap();
        (wall, virt)
    });
    println!(
        "| {label} | {mib} MiB | {:.1} | {:.1} |",
        total as f64 / wall / 1e6,
        total as f64 / virt / 1e6
    );
}

fn main() {
    println!("| simulated link | data | wall MB/s (CPU) | virtual MB/s |");
    println!("|---|---|---|---|");
    run(
        "clean, 500 us delay, 16 KiB windows",
        SimConfig::default(),
        64,
    );
    run(
        "5% loss, 500 us delay, 16 KiB windows",
        SimConfig::default().loss(0.05).seed(3),
        16,
    );
}
