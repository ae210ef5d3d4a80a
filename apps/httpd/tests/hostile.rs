//! Hostile bytes through the whole connection state machine, without a
//! network: an in-memory stream fed in small pieces, a clock that never
//! fires. Every input must end the connection, with a response, no panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use core::future::Future;
use core::net::SocketAddr;
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use common::{FS, TestApp, status, text};
use petrel_altcp::{Error, Stream};
use petrel_httpd::Config;
use petrel_httpd::driver::serve_connection;
use petrel_netcore::time::Instant;
use petrel_netcore::timer::Clock;

struct Mem<'a> {
    data: &'a [u8],
    step: usize,
    out: Vec<u8>,
}

impl embedded_io::ErrorType for Mem<'_> {
    type Error = Error;
}
impl embedded_io_async::Read for Mem<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let n = self.data.len().min(buf.len()).min(self.step);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}
impl embedded_io_async::Write for Mem<'_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Error> {
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }
    async fn flush(&mut self) -> Result<(), Error> {
        Ok(())
    }
}
impl Stream for Mem<'_> {
    fn peer_addr(&self) -> Option<SocketAddr> {
        None
    }
    fn local_addr(&self) -> Option<SocketAddr> {
        None
    }
    async fn shutdown(&mut self) -> Result<(), Error> {
        Ok(())
    }
    async fn close(self) -> Result<(), Error> {
        Ok(())
    }
    fn abort(self) {}
}

struct Never;
impl Clock for Never {
    fn now(&self) -> Instant {
        Instant::ZERO
    }
    async fn sleep_until(&self, _: Instant) {
        core::future::pending::<()>().await
    }
}

fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1_000_000 {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
    panic!("connection did not finish");
}

fn serve(data: &[u8], step: usize) -> Vec<u8> {
    let app = TestApp::default();
    let cfg = Config {
        max_body: 4096,
        ..Config::default()
    };
    let mut mem = vec![0u8; 8192];
    let mut s = Mem {
        data,
        step,
        out: Vec::new(),
    };
    block_on(serve_connection(&mut s, &mut mem, &Never, &app, &FS, &cfg));
    s.out
}

const SEEDS: [&[u8]; 6] = [
    b"GET /small HTTP/1.1\r\nHost: x\r\nRange: bytes=1-2\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n0\r\n\r\n",
    b"POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 9\r\n\r\na=1&b=%41",
    b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 60\r\n\r\n--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nxyz\r\n--b--\r\n",
    b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58\x88\x80\0\0\0\0",
    b"GET /secret?x=%20 HTTP/1.0\r\nAuthorization: Basic YWRtaW46c2VjcmV0\r\n\r\n",
];

#[test]
fn seeds_are_answered() {
    for (seed, want) in SEEDS.iter().zip([206, 200, 200, 200, 101, 200]) {
        for step in [1, 7, 4096] {
            let out = serve(seed, step);
            assert_eq!(status(&out), want, "{}", text(&out));
        }
    }
}

#[test]
fn mutated_requests_never_panic_or_hang() {
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for i in 0..3000 {
        let mut b = SEEDS[i % SEEDS.len()].to_vec();
        for _ in 0..(next() % 6) {
            let r = next();
            let pos = (r >> 8) as usize % b.len();
            match r % 4 {
                0 => b[pos] = (r >> 32) as u8,
                1 => {
                    b.remove(pos);
                }
                2 => b.insert(pos, (r >> 40) as u8),
                _ => b.truncate(pos),
            }
            if b.is_empty() {
                b.push(b'G');
            }
        }
        let out = serve(&b, (next() % 50) as usize + 1);
        // Whatever came back starts like an HTTP response (or nothing, for
        // a client that sent no complete request line).
        assert!(
            out.is_empty() || out.starts_with(b"HTTP/1.1 "),
            "{}",
            text(&out)
        );
    }
}

#[test]
fn connection_future_size() {
    let app = TestApp::default();
    let cfg = Config::default();
    let mut mem = vec![0u8; 8192];
    let mut s = Mem {
        data: b"",
        step: 1,
        out: Vec::new(),
    };
    let fut = serve_connection(&mut s, &mut mem, &Never, &app, &FS, &cfg);
    // The future of one connection (without its buffers, which are the
    // caller's): what each of the driver's N workers holds.
    println!("connection future: {} bytes", core::mem::size_of_val(&fut));
    drop(fut);
}
