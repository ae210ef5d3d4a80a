//! `echo-bench ADDR MIB [CONNS]`: pushes MIB mebibytes through a TCP echo
//! server on each of CONNS connections (writer and reader threads per
//! connection, so the pipe stays full), checks every byte, and prints the
//! echo throughput. Used by `scripts/bench.sh` against `petrel` on host
//! sockets and on a TAP device.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: echo-bench ADDR MIB [CONNS]");
        std::process::exit(2);
    }
    let addr = args[1].clone();
    let mib: usize = args[2].parse().expect("MIB");
    let conns: usize = args.get(3).map_or(1, |c| c.parse().expect("CONNS"));
    let total = mib << 20;
    let t0 = Instant::now();
    let handles: Vec<_> = (0..conns)
        .map(|_| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                let s = TcpStream::connect(&addr).expect("connect");
                s.set_nodelay(true).ok();
                s.set_read_timeout(Some(Duration::from_secs(30))).ok();
                let mut w = s.try_clone().expect("clone");
                let writer = std::thread::spawn(move || {
                    let block: Vec<u8> = (0..65536u32).map(|i| (i % 251) as u8).collect();
                    let mut sent = 0;
                    while sent < total {
                        let n = block.len().min(total - sent);
                        w.write_all(&block[..n]).expect("write");
                        sent += n;
                    }
                });
                let mut r = s;
                let mut buf = vec![0u8; 65536];
                let mut got = 0usize;
                while got < total {
                    let n = r.read(&mut buf).expect("read");
                    assert!(n > 0, "eof after {got} bytes");
                    for (i, b) in buf[..n].iter().enumerate() {
                        assert_eq!(
                            *b,
                            (((got + i) % 65536) % 251) as u8,
                            "corrupt at {}",
                            got + i
                        );
                    }
                    got += n;
                }
                writer.join().expect("writer");
            })
        })
        .collect();
    for h in handles {
        h.join().expect("connection");
    }
    let secs = t0.elapsed().as_secs_f64();
    let bytes = (total * conns) as f64;
    println!(
        "echoed {} MiB over {conns} connection(s) in {secs:.2} s: {:.1} MB/s each way",
        mib * conns,
        bytes / secs / 1e6
    );
}
