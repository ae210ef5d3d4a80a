//! Fuzzes the HTTP request parser and the connection state machine: the
//! input is what a client sends on one connection (any number of pipelined
//! requests, bodies, garbage), served by the real driver over an in-memory
//! stream with a clock that never fires. Also the body decoders directly.
#![no_main]

use core::future::Future;
use core::net::SocketAddr;
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use libfuzzer_sys::fuzz_target;
use petrel_altcp::{Error, Stream};
use petrel_httpd::chunked::ChunkedDecoder;
use petrel_httpd::driver::{Exchange, Handler, serve_connection};
use petrel_httpd::fs::{SsiTag, StaticFile, StaticFs};
use petrel_httpd::multipart::Multipart;
use petrel_httpd::request::{MethodSet, parse_head};
use petrel_httpd::router::Route;
use petrel_httpd::{Config, StatusCode};
use petrel_netcore::time::Instant;
use petrel_netcore::timer::Clock;

/// Reads come from the input in pieces of `step` bytes; writes vanish.
struct Mem<'a> {
    data: &'a [u8],
    step: usize,
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

struct App;
static ROUTES: [Route<u8>; 3] = [
    Route::new(MethodSet::POST, "/echo", 0),
    Route::new(MethodSet::POST, "/up", 1),
    Route::new(MethodSet::GET, "/ws", 2),
];
impl Handler for App {
    type Route = u8;
    fn routes(&self) -> &[Route<u8>] {
        &ROUTES
    }
    async fn call<S: Stream, C: Clock>(
        &self,
        r: u8,
        ex: &mut Exchange<'_, S, C>,
    ) -> Result<(), petrel_httpd::driver::Error> {
        match r {
            0 => {
                let mut b = [0u8; 300];
                let n = ex.read_to_end(&mut b).await?;
                ex.respond(StatusCode::OK, "text/plain", &b[..n]).await
            }
            1 => {
                struct Sink;
                impl petrel_httpd::driver::PartSink for Sink {
                    async fn part(
                        &mut self,
                        _: &petrel_httpd::multipart::PartHeaders<'_>,
                    ) -> Result<(), petrel_httpd::driver::Error> {
                        Ok(())
                    }
                    async fn data(&mut self, _: &[u8]) -> Result<(), petrel_httpd::driver::Error> {
                        Ok(())
                    }
                    async fn end_part(&mut self) -> Result<(), petrel_httpd::driver::Error> {
                        Ok(())
                    }
                }
                ex.read_multipart(&mut Sink).await?;
                ex.respond(StatusCode::OK, "text/plain", b"ok").await
            }
            _ => {
                let mut ws = ex.websocket().await?;
                let mut b = [0u8; 64];
                loop {
                    if let petrel_httpd::driver::Message::Close(_) = ws.recv(&mut b).await? {
                        return Ok(());
                    }
                }
            }
        }
    }
}

static TAGS: [SsiTag; 1] = [SsiTag {
    start: 0,
    end: 9,
    name: "x",
    arg: "",
}];
static FILES: [StaticFile; 4] = [
    // Stored only gzipped (406 without gzip, no ranges), also as 404 page.
    StaticFile::gzipped("/404.html", "text/html", "\"4\"", b"\x1f\x8b404"),
    StaticFile {
        ssi: &TAGS,
        ..StaticFile::plain("/a.shtml", "text/html", "", b"<!--#x-->!")
    },
    StaticFile::plain("/b", "text/plain", "\"b\"", b"0123456789"),
    StaticFile::gzipped("/c.css", "text/css", "\"c\"", b"\x1f\x8bgz-only"),
];
static FS: StaticFs = StaticFs::new(&FILES);

fn block_on<F: Future>(f: F) -> Option<F::Output> {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    // Every read is ready, so the connection ends within a bounded number
    // of polls; the bound only guards against a driver bug.
    for _ in 0..100_000 {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return Some(v);
        }
    }
    None
}

fuzz_target!(|data: &[u8]| {
    let (step, data) = match data.split_first() {
        Some((s, rest)) => (usize::from(*s % 64) + 1, rest),
        None => return,
    };
    let cfg = Config {
        max_header_bytes: 512,
        max_uri: 128,
        max_body: 4096,
        ..Config::default()
    };
    let mut copy = data.to_vec();
    let _ = parse_head(&mut copy, &cfg);
    let mut d = ChunkedDecoder::new();
    let _ = d.decode(data);
    if let Ok(mut mp) = Multipart::new("b") {
        let _ = mp.next(data);
    }
    let _ = petrel_httpd::ws::FrameHeader::parse(data);
    let mut mem = [0u8; 2048];
    let mut s = Mem { data, step };
    let done = block_on(serve_connection(&mut s, &mut mem, &Never, &App, &FS, &cfg));
    assert!(done.is_some(), "connection did not finish");
});
