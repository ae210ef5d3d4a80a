//! A test application (routes, SSI, auth, upload sink, SSE, WebSocket) and
//! helpers that run the driver over the simulated link.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;

use embassy_futures::select::{Either, select};
use petrel_altcp::{Stream, Tcp, TcpAcceptor};
use petrel_httpd::driver::{
    self, Auth, Error, Exchange, Handler, Message, PartSink, Plain, ServerEvent,
};
use petrel_httpd::fs::{SsiTag, StaticFile, StaticFs};
use petrel_httpd::multipart::PartHeaders;
use petrel_httpd::request::{Method, MethodSet};
use petrel_httpd::router::Route;
use petrel_httpd::ssi::{Insert, write_resumable};
use petrel_httpd::{Config, StatusCode};
use petrel_netcore::sim::{ADDR_B, SimStack};
use petrel_netcore::timer::with_timeout;
use petrel_netcore::{Clock, Duration, ListenConfig, Network};

pub(crate) const PORT: u16 = 80;

pub(crate) fn server_addr() -> SocketAddr {
    SocketAddr::new(ADDR_B.into(), PORT)
}

static SSI_TAGS: [SsiTag; 3] = [
    SsiTag {
        start: 4,
        end: 16,
        name: "name",
        arg: "",
    },
    SsiTag {
        start: 24,
        end: 37,
        name: "big",
        arg: "5000",
    },
    SsiTag {
        start: 37,
        end: 49,
        name: "nope",
        arg: "",
    },
];
pub(crate) static SSI_BODY: &[u8] = b"<h1><!--#name--></h1><p>/*#big 5000*/<!--#nope--></p>";
pub(crate) static GZ: &[u8] = b"\x1f\x8bGZIPPED";

pub(crate) static FILES: [StaticFile; 5] = [
    StaticFile::plain("/404.html", "text/html", "\"404\"", b"<h1>custom 404</h1>"),
    StaticFile {
        path: "/app.js",
        mime: "text/javascript",
        etag: "\"js1\"",
        last_modified: "Tue, 25 Nov 2025 12:00:00 GMT",
        modified_unix: 1_764_072_000,
        headers: "Content-Type: text/javascript\r\nETag: \"js1\"\r\nLast-Modified: Tue, 25 Nov 2025 12:00:00 GMT\r\n",
        body: b"console.log('hello, world');",
        gzip: Some(GZ),
        gzip_only: false,
        ssi: &[],
    },
    StaticFile {
        ssi: &SSI_TAGS,
        ..StaticFile::plain("/index.shtml", "text/html", "", SSI_BODY)
    },
    StaticFile::plain("/small", "text/plain", "\"s\"", b"0123456789"),
    StaticFile::plain("/sub/index.html", "text/html", "\"sub\"", b"sub index"),
];
pub(crate) static FS: StaticFs = StaticFs::new(&FILES);

#[derive(Copy, Clone, Debug, PartialEq)]
pub(crate) enum Api {
    Hello,
    Echo,
    Upload,
    User,
    Secret,
    Events,
    Ws,
    Form,
    Silent,
    Sized,
    Stream,
}

pub(crate) static ROUTES: [Route<Api>; 11] = [
    Route::new(MethodSet::GET, "/api/hello", Api::Hello),
    Route::new(MethodSet::POST.with(Method::Put), "/echo", Api::Echo),
    Route::new(MethodSet::POST, "/upload", Api::Upload),
    Route::new(MethodSet::GET.with(Method::Delete), "/user/{id}", Api::User),
    Route::new(MethodSet::GET, "/secret", Api::Secret).with_auth(),
    Route::new(MethodSet::GET, "/events", Api::Events),
    Route::new(MethodSet::GET, "/ws", Api::Ws),
    Route::new(MethodSet::POST, "/form", Api::Form),
    Route::new(MethodSet::GET, "/silent", Api::Silent),
    Route::new(MethodSet::GET, "/sized/{n}", Api::Sized),
    Route::new(MethodSet::GET, "/stream", Api::Stream),
];

/// Counts and hashes uploaded file bytes; optionally sleeps per piece (a
/// slow flash).
pub(crate) struct UploadSink<'c, C> {
    pub(crate) clock: &'c C,
    pub(crate) delay: Duration,
    pub(crate) bytes: u64,
    pub(crate) hash: u64,
    pub(crate) parts: u32,
    pub(crate) names: String,
}

/// FNV-1a, 64 bit.
pub(crate) fn fnv(mut h: u64, data: &[u8]) -> u64 {
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}
pub(crate) const FNV0: u64 = 0xcbf2_9ce4_8422_2325;

impl<C: Clock> PartSink for UploadSink<'_, C> {
    async fn part(&mut self, h: &PartHeaders<'_>) -> Result<(), Error> {
        self.parts += 1;
        self.names.push_str(h.name);
        self.names.push(';');
        Ok(())
    }
    async fn data(&mut self, d: &[u8]) -> Result<(), Error> {
        if self.delay > Duration::ZERO {
            self.clock.sleep(self.delay).await;
        }
        self.bytes += d.len() as u64;
        self.hash = fnv(self.hash, d);
        Ok(())
    }
    async fn end_part(&mut self) -> Result<(), Error> {
        Ok(())
    }
}

#[derive(Default)]
pub(crate) struct TestApp {
    pub(crate) upload_delay: Cell<Duration>,
    pub(crate) events: RefCell<Vec<ServerEvent>>,
    /// How the endless `/stream` ended (its error's text).
    pub(crate) stream_end: RefCell<Option<String>>,
}

impl Handler for TestApp {
    type Route = Api;

    fn routes(&self) -> &[Route<Api>] {
        &ROUTES
    }

    async fn call<S: Stream, C: Clock>(
        &self,
        route: Api,
        ex: &mut Exchange<'_, S, C>,
    ) -> Result<(), Error> {
        match route {
            Api::Hello => {
                let who = ex.query("name").unwrap_or("world");
                let text = format!("{{\"hello\":\"{who}\"}}");
                ex.respond_json(StatusCode::OK, |b| {
                    b.get_mut(..text.len())?.copy_from_slice(text.as_bytes());
                    Some(text.len())
                })
                .await
            }
            Api::Echo => {
                let mut buf = vec![0u8; 256 * 1024];
                let n = ex.read_to_end(&mut buf).await?;
                ex.respond(StatusCode::OK, "application/octet-stream", &buf[..n])
                    .await
            }
            Api::Upload => {
                let clock = ex.clock();
                let mut sink = UploadSink {
                    clock,
                    delay: self.upload_delay.get(),
                    bytes: 0,
                    hash: FNV0,
                    parts: 0,
                    names: String::new(),
                };
                ex.read_multipart(&mut sink).await?;
                let body = format!(
                    "{} {:016x} {} {}",
                    sink.bytes, sink.hash, sink.parts, sink.names
                );
                ex.respond(StatusCode::OK, "text/plain", body.as_bytes())
                    .await
            }
            Api::User => {
                let id = ex.param("id").unwrap_or("?").to_string();
                let m = ex.request().method();
                ex.respond(
                    StatusCode::OK,
                    "text/plain",
                    format!("{m} user {id}").as_bytes(),
                )
                .await
            }
            Api::Secret => {
                ex.respond(StatusCode::OK, "text/plain", b"the secret")
                    .await
            }
            Api::Events => {
                let mut sse = ex.sse().await?;
                for i in 0..3 {
                    sse.send(Some("tick"), &format!("{{\"n\":{i}}}")).await?;
                    sse.clock().sleep(Duration::from_millis(100)).await;
                }
                sse.finish().await
            }
            Api::Stream => {
                // Endless: an event, then a long wait that must notice the
                // client leaving.
                let mut sse = ex.sse().await?;
                let r: Result<(), Error> = async {
                    loop {
                        sse.send(Some("tick"), "{}").await?;
                        sse.wait(Duration::from_secs(600)).await?;
                    }
                }
                .await;
                if let Err(e) = &r {
                    *self.stream_end.borrow_mut() = Some(e.to_string());
                }
                r
            }
            Api::Ws => {
                let mut ws = ex.websocket().await?;
                let mut buf = [0u8; 256];
                loop {
                    match ws.recv(&mut buf).await? {
                        Message::Text(t) => {
                            let reply = format!("echo: {t}");
                            ws.send_text(&reply).await?;
                        }
                        Message::Binary(b) => {
                            let b = b.to_vec();
                            ws.send_binary(&b).await?;
                        }
                        Message::Close(_) => return Ok(()),
                    }
                }
            }
            Api::Form => {
                let mut buf = [0u8; 512];
                let form = ex.read_form(&mut buf).await?;
                let mut out = String::new();
                for (k, v) in form {
                    out.push_str(&format!("{k}={v};"));
                }
                ex.respond(StatusCode::OK, "text/plain", out.as_bytes())
                    .await
            }
            Api::Silent => Ok(()),
            Api::Sized => {
                // `n` bytes of `i % 251` in pieces of 1000; `?short=K` stops
                // K bytes early, `?long=1` writes one byte too many.
                let n: u64 = ex.param("n").and_then(|n| n.parse().ok()).unwrap_or(0);
                let short: u64 = ex.query("short").and_then(|k| k.parse().ok()).unwrap_or(0);
                let long = ex.query("long").is_some();
                let mut w = ex
                    .sized(StatusCode::OK, "application/octet-stream", b"", n)
                    .await?;
                let mut i = 0u64;
                while i < n - short {
                    let piece: Vec<u8> = (i..(i + 1000).min(n - short))
                        .map(|j| (j % 251) as u8)
                        .collect();
                    i += piece.len() as u64;
                    w.write(&piece).await?;
                }
                if long {
                    w.write(b"!").await?;
                }
                w.finish().await
            }
        }
    }

    fn authorize(&self, _: Api, creds: Option<(&str, &str)>) -> Auth {
        match creds {
            Some(("admin", "secret")) => Auth::Allowed,
            Some(("guest", "guest")) => Auth::Forbidden,
            _ => Auth::Unauthorized,
        }
    }

    fn ssi(&self, tag: &str, arg: &str, state: &mut u32, out: &mut [u8]) -> Insert {
        match tag {
            "name" => write_resumable(b"petrel &amp; co", state, out),
            "big" => {
                let total: u32 = arg.parse().unwrap_or(0);
                let n = ((total - *state) as usize).min(out.len());
                out[..n].fill(b'#');
                *state += n as u32;
                if *state == total {
                    Insert::Done(n)
                } else {
                    Insert::More(n)
                }
            }
            _ => {
                let text = format!("<!-- unknown tag {tag} -->");
                write_resumable(text.as_bytes(), state, out)
            }
        }
    }

    fn unix_time(&self) -> Option<u64> {
        Some(1_764_072_000)
    }

    fn on_event(&self, e: ServerEvent) {
        self.events.borrow_mut().push(e);
    }
}

/// Runs the server (N = 4 slots) on `b` beside `test`.
pub(crate) async fn with_server<T>(
    b: &SimStack,
    app: &TestApp,
    cfg: Config,
    test: impl core::future::Future<Output = T>,
) -> T {
    with_server_fs(b, app, cfg, &FS, test).await
}

/// [`with_server`] serving the files of `fs`.
pub(crate) async fn with_server_fs<T>(
    b: &SimStack,
    app: &TestApp,
    cfg: Config,
    fs: &StaticFs,
    test: impl core::future::Future<Output = T>,
) -> T {
    let l = b
        .tcp_listen(server_addr(), ListenConfig::with_backlog(8))
        .await
        .unwrap();
    let mut l = TcpAcceptor::new(l);
    let mut buf = vec![0u8; 4 * 8192];
    let serve = driver::serve::<_, _, _, _, 4>(&mut l, &Plain, b, app, fs, &cfg, &mut buf);
    match select(serve, test).await {
        Either::First(e) => panic!("server stopped: {e}"),
        Either::Second(t) => t,
    }
}

/// Connects from `a`.
pub(crate) async fn connect(a: &SimStack) -> Tcp<<SimStack as Network>::TcpStream> {
    Tcp::new(
        a.tcp_connect(server_addr(), Default::default())
            .await
            .unwrap(),
    )
}

/// Writes `req` and reads until EOF (at most 60 virtual seconds).
pub(crate) async fn roundtrip(a: &SimStack, req: &[u8]) -> Vec<u8> {
    let mut s = connect(a).await;
    embedded_io_async::Write::write_all(&mut s, req)
        .await
        .unwrap();
    read_to_eof(a, &mut s).await
}

pub(crate) async fn read_to_eof<S: Stream>(clock: &impl Clock, s: &mut S) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match with_timeout(clock, Duration::from_secs(60), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return out,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => panic!("no EOF; got {:?}", String::from_utf8_lossy(&out)),
        }
    }
}

pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The status code of the first response in `resp`.
pub(crate) fn status(resp: &[u8]) -> u16 {
    text(resp)
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}
