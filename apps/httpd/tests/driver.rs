//! The driver end to end over the simulated link (two smoltcp stacks,
//! virtual time): real request bytes in, responses checked byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use embedded_io_async::{Read, Write};
use petrel_httpd::Config;
use petrel_httpd::driver::control_state_bytes;
use petrel_netcore::sim::{self, SimConfig};
use petrel_netcore::{Clock, Duration};

fn run<T>(
    cfg: Config,
    seed: u64,
    f: impl AsyncFnOnce(&petrel_netcore::sim::SimStack, &TestApp) -> T,
) -> T {
    sim::block_on(async {
        let (a, b, _link) = sim::pair(SimConfig::default().seed(seed));
        let app = TestApp::default();
        with_server(&b, &app, cfg, f(&a, &app)).await
    })
}

#[test]
fn control_state_fits_the_budget() {
    let n = control_state_bytes();
    println!("per-connection control state: {n} bytes");
    assert!(n <= 512, "{n}");
}

#[test]
fn static_files_conditional_range_gzip_head() {
    run(Config::default(), 1, async |a, _| {
        let r = text(
            &roundtrip(
                a,
                b"GET /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            )
            .await,
        );
        assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
        assert!(r.contains("Date: Tue, 25 Nov 2025 12:00:00 GMT\r\n"), "{r}");
        assert!(
            r.contains("Content-Length: 10\r\n") && r.ends_with("\r\n\r\n0123456789"),
            "{r}"
        );

        let r = text(
            &roundtrip(
                a,
                b"HEAD /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            )
            .await,
        );
        assert!(
            r.contains("Content-Length: 10\r\n") && r.ends_with("\r\n\r\n"),
            "{r}"
        );

        let r = text(&roundtrip(a, b"GET /app.js HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, br\r\nConnection: close\r\n\r\n").await);
        assert!(
            r.contains("Content-Encoding: gzip\r\n") && r.contains("Vary: Accept-Encoding\r\n"),
            "{r}"
        );
        assert!(r.ends_with("GZIPPED"), "{r}");
        let r = text(&roundtrip(a, b"GET /app.js HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip;q=0\r\nConnection: close\r\n\r\n").await);
        assert!(
            !r.contains("Content-Encoding") && r.contains("Vary: Accept-Encoding\r\n"),
            "{r}"
        );
        assert!(r.ends_with("console.log('hello, world');"), "{r}");

        let r = roundtrip(a, b"GET /app.js HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"js1\"\r\nConnection: close\r\n\r\n").await;
        assert_eq!(status(&r), 304, "{}", text(&r));
        assert!(text(&r).ends_with("\r\n\r\n"));
        let r = roundtrip(a, b"GET /app.js HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: Wed, 26 Nov 2025 00:00:00 GMT\r\nConnection: close\r\n\r\n").await;
        assert_eq!(status(&r), 304);
        let r = text(
            &roundtrip(
                a,
                b"GET /small HTTP/1.1\r\nHost: x\r\nRange: bytes=3-5\r\nConnection: close\r\n\r\n",
            )
            .await,
        );
        assert!(
            r.starts_with("HTTP/1.1 206")
                && r.contains("Content-Range: bytes 3-5/10\r\n")
                && r.ends_with("345"),
            "{r}"
        );
        let r = text(
            &roundtrip(
                a,
                b"GET /small HTTP/1.1\r\nHost: x\r\nRange: bytes=10-\r\nConnection: close\r\n\r\n",
            )
            .await,
        );
        assert!(
            r.starts_with("HTTP/1.1 416") && r.contains("Content-Range: bytes */10\r\n"),
            "{r}"
        );

        let r = text(
            &roundtrip(
                a,
                b"GET /sub/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            )
            .await,
        );
        assert!(r.ends_with("sub index"), "{r}");
        let r = text(
            &roundtrip(
                a,
                b"GET /missing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            )
            .await,
        );
        assert!(
            r.starts_with("HTTP/1.1 404") && r.ends_with("<h1>custom 404</h1>"),
            "{r}"
        );
        let r = text(&roundtrip(a, b"POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await);
        assert!(
            r.starts_with("HTTP/1.1 405") && r.contains("Allow: GET, HEAD, OPTIONS\r\n"),
            "{r}"
        );
        let r = text(
            &roundtrip(
                a,
                b"OPTIONS /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            )
            .await,
        );
        assert!(
            r.starts_with("HTTP/1.1 204") && r.contains("Allow: GET, HEAD, OPTIONS\r\n"),
            "{r}"
        );
        let r = text(
            &roundtrip(
                a,
                b"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            )
            .await,
        );
        assert_eq!(
            r,
            "HTTP/1.1 204 No Content\r\n\
             Date: Tue, 25 Nov 2025 12:00:00 GMT\r\n\
             Allow: GET, HEAD, POST, PUT, DELETE, OPTIONS\r\n\
             Connection: close\r\n\r\n"
        );
    });
}

/// Decodes a chunked body (after the head).
fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let n = usize::from_str_radix(std::str::from_utf8(&b[..line_end]).unwrap(), 16).unwrap();
        b = &b[line_end + 2..];
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[..n]);
        assert_eq!(&b[n..n + 2], b"\r\n");
        b = &b[n + 2..];
    }
}

fn body_of(r: &[u8]) -> &[u8] {
    let p = r.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    &r[p + 4..]
}

#[test]
fn ssi_page_is_chunked_and_keeps_the_connection() {
    run(Config::default(), 2, async |a, _| {
        let mut s = connect(a).await;
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
        let r = read_to_eof(a, &mut s).await;
        let t = text(&r);
        assert!(
            t.starts_with("HTTP/1.1 200 OK\r\n") && t.contains("Transfer-Encoding: chunked\r\n"),
            "{t}"
        );
        let body = body_of(&r);
        let page = dechunk(body);
        let want = format!(
            "<h1>petrel &amp; co</h1><p>{}<!-- unknown tag nope --></p>",
            "#".repeat(5000)
        );
        assert_eq!(text(&page), want);
        assert!(
            t.ends_with("0123456789"),
            "second response on the same connection"
        );

        // HTTP/1.0 gets the page close-delimited, in an HTTP/1.1 status
        // line (RFC 9110 §6.2: the server's highest version of major 1).
        let r = roundtrip(a, b"GET /index.shtml HTTP/1.0\r\n\r\n").await;
        assert!(text(&r).starts_with("HTTP/1.1 200 OK\r\n"), "{}", text(&r));
        assert!(!text(&r).contains("chunked"));
        assert_eq!(text(body_of(&r)), want);

        // HEAD: the head only, no inserts (and no endless loop).
        let r = roundtrip(
            a,
            b"HEAD /index.shtml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert!(text(&r).starts_with("HTTP/1.1 200 OK\r\n"), "{}", text(&r));
        assert!(!text(&r).contains("petrel"), "{}", text(&r));
    });
}

#[test]
fn sized_bodies_stream_with_content_length() {
    run(Config::default(), 5, async |a, _| {
        // 100 000 bytes through a 8 KiB transmit buffer, then a second
        // request on the same connection.
        let mut s = connect(a).await;
        s.write_all(b"GET /sized/100000 HTTP/1.1\r\nHost: x\r\n\r\nGET /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let r = read_to_eof(a, &mut s).await;
        let t = text(&r);
        assert!(t.starts_with("HTTP/1.1 200 OK\r\n"), "{t}");
        assert!(
            t.contains("Content-Length: 100000\r\n") && !t.contains("chunked"),
            "{t}"
        );
        let head = t.find("\r\n\r\n").unwrap() + 4;
        let body = &r[head..head + 100_000];
        assert!(body.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
        assert!(text(&r[head + 100_000..]).starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(t.ends_with("0123456789"), "the connection was reused");

        // HEAD: the length, no body.
        let r = text(
            &roundtrip(
                a,
                b"HEAD /sized/5000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            )
            .await,
        );
        assert!(
            r.contains("Content-Length: 5000\r\n") && r.ends_with("\r\n\r\n"),
            "{r}"
        );

        // A handler that stops short: the client gets the short body and
        // the connection closes (not reused for the next request).
        let r = roundtrip(a, b"GET /sized/3000?short=10 HTTP/1.1\r\nHost: x\r\n\r\nGET /small HTTP/1.1\r\nHost: x\r\n\r\n").await;
        let t = text(&r);
        assert!(t.contains("Content-Length: 3000\r\n"), "{t}");
        assert_eq!(r.len() - (t.find("\r\n\r\n").unwrap() + 4), 2990);
        // One too many: refused before it is sent, connection closed.
        let r = roundtrip(a, b"GET /sized/10?long=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /small HTTP/1.1\r\nHost: x\r\n\r\n").await;
        let t = text(&r);
        assert!(
            t.contains("Content-Length: 10\r\n") && !t.contains("0123456789"),
            "{t}"
        );
        assert_eq!(r.len() - (t.find("\r\n\r\n").unwrap() + 4), 10, "{t}");
    });
}

#[test]
fn keep_alive_and_pipelining_answer_in_order() {
    run(Config::default(), 3, async |a, _| {
        let mut s = connect(a).await;
        let mut reqs = Vec::new();
        for i in 0..5 {
            reqs.extend_from_slice(format!("GET /user/{i} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
        }
        reqs.extend_from_slice(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
        reqs.extend_from_slice(b"DELETE /user/9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        s.write_all(&reqs).await.unwrap();
        let t = text(&read_to_eof(a, &mut s).await);
        let bodies: Vec<&str> = t
            .split("HTTP/1.1 200 OK")
            .skip(1)
            .map(|r| r.rsplit("\r\n\r\n").next().unwrap())
            .collect();
        assert_eq!(
            bodies,
            [
                "GET user 0",
                "GET user 1",
                "GET user 2",
                "GET user 3",
                "GET user 4",
                "hello",
                "DELETE user 9"
            ],
            "{t}"
        );
        // HTTP/1.0 keep-alive.
        let mut s = connect(a).await;
        s.write_all(b"GET /small HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 512];
        let n = s.read(&mut buf).await.unwrap();
        assert!(text(&buf[..n]).contains("Connection: keep-alive\r\n"));
        s.write_all(b"GET /small HTTP/1.0\r\n\r\n").await.unwrap();
        let t = text(&read_to_eof(a, &mut s).await);
        assert!(
            t.ends_with("0123456789") && t.contains("Connection: close"),
            "{t}"
        );
    });
}

#[test]
fn hostile_requests_get_their_status_codes() {
    let cfg = Config {
        max_uri: 100,
        max_body: 1000,
        ..Config::default()
    };
    run(cfg, 4, async |a, _| {
        let long_uri = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(200));
        let big_head = format!(
            "GET / HTTP/1.1\r\nHost: x\r\nX: {}\r\n\r\n",
            "b".repeat(5000)
        );
        let cases: Vec<(Vec<u8>, u16)> = vec![
            (b"GARBAGE\r\n\r\n".to_vec(), 400),
            (b"GET / HTTP/1.1\r\n\r\n".to_vec(), 400),
            (b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), 501),
            (long_uri.into_bytes(), 414),
            (big_head.into_bytes(), 431),
            (b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n".to_vec(), 413),
            (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcZZ\r\n".to_vec(), 400),
            (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n".iter().copied().chain(std::iter::repeat_n(b'z', 1024)).chain(*b"\r\n0\r\n\r\n").collect(), 413),
            (b"GET /../secret HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), 400),
            (b"GET /secret HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), 401),
            (b"GET /secret HTTP/1.1\r\nHost: x\r\nAuthorization: Basic Z3Vlc3Q6Z3Vlc3Q=\r\n\r\n".to_vec(), 403),
            (b"GET /secret HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWRtaW46c2VjcmV0\r\nConnection: close\r\n\r\n".to_vec(), 200),
            (b"PUT /api/hello HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".to_vec(), 405),
            (b"GET /silent HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), 500),
            (b"POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\nx".to_vec(), 400),
            (b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(), 400),
        ];
        for (req, want) in cases {
            let mut s = connect(a).await;
            s.write_all(&req).await.unwrap();
            // Answered without waiting for the client to close.
            let mut buf = vec![0u8; 8192];
            let n =
                petrel_netcore::timer::with_timeout(a, Duration::from_secs(5), s.read(&mut buf))
                    .await
                    .unwrap()
                    .unwrap();
            let got = status(&buf[..n]);
            assert_eq!(
                got,
                want,
                "{}\n-> {}",
                text(&req[..req.len().min(80)]),
                text(&buf[..n])
            );
            if want == 401 {
                assert!(text(&buf[..n]).contains("WWW-Authenticate: Basic realm=\"petrel\""));
            }
            if want == 405 {
                assert!(text(&buf[..n]).contains("Allow: GET, HEAD, OPTIONS\r\n"));
            }
        }
    });
}

#[test]
fn slow_client_gets_408_and_the_slot_is_freed() {
    let cfg = Config {
        request_timeout: Duration::from_secs(3),
        max_connections: 1,
        ..Config::default()
    };
    run(cfg, 5, async |a, app| {
        let mut s = connect(a).await;
        let t0 = a.now();
        let mut got = Vec::new();
        for b in b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" {
            if s.write_all(&[*b]).await.is_err() {
                break;
            }
            a.sleep(Duration::from_secs(2)).await;
            let mut buf = [0u8; 256];
            if let Ok(Ok(n)) =
                petrel_netcore::timer::with_timeout(a, Duration::from_millis(1), s.read(&mut buf))
                    .await
            {
                got.extend_from_slice(&buf[..n]);
                break;
            }
        }
        assert_eq!(status(&got), 408, "{}", text(&got));
        assert!(a.now() - t0 < Duration::from_secs(8));
        // The only slot serves the next client.
        let r = roundtrip(
            a,
            b"GET /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert_eq!(status(&r), 200);
        assert!(app.events.borrow().iter().any(|e| matches!(
            e,
            petrel_httpd::driver::ServerEvent::Refused { status: 408, .. }
        )));
    });
}

#[test]
fn idle_connections_make_room_and_busy_server_answers_503() {
    let cfg = Config {
        max_connections: 2,
        ..Config::default()
    };
    run(cfg, 6, async |a, _| {
        // Two idle keep-alive connections hold both slots: the oldest idle
        // one is closed for a new client, which is served.
        let mut idle1 = connect(a).await;
        let mut idle2 = connect(a).await;
        a.sleep(Duration::from_millis(50)).await;
        let r = roundtrip(
            a,
            b"GET /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert_eq!(status(&r), 200, "{}", text(&r));
        let mut buf = [0u8; 16];
        let closed1 = matches!(
            petrel_netcore::timer::with_timeout(
                a,
                Duration::from_millis(100),
                idle1.read(&mut buf)
            )
            .await,
            Ok(Ok(0)) | Ok(Err(_))
        );
        let closed2 = matches!(
            petrel_netcore::timer::with_timeout(
                a,
                Duration::from_millis(100),
                idle2.read(&mut buf)
            )
            .await,
            Ok(Ok(0)) | Ok(Err(_))
        );
        assert!(closed1 ^ closed2, "exactly one idle connection reclaimed");
        drop((idle1, idle2));
        a.sleep(Duration::from_millis(200)).await;

        // Two clients in the middle of a request are not idle: 503.
        let mut busy1 = connect(a).await;
        let mut busy2 = connect(a).await;
        busy1.write_all(b"GET /sm").await.unwrap();
        busy2.write_all(b"GET /sm").await.unwrap();
        a.sleep(Duration::from_millis(50)).await;
        let r = roundtrip(a, b"GET /small HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert_eq!(status(&r), 503, "{}", text(&r));
        // They finish their requests on their own connections.
        busy1
            .write_all(b"all HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        assert_eq!(status(&read_to_eof(a, &mut busy1).await), 200);
        let r = roundtrip(
            a,
            b"GET /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert_eq!(status(&r), 200, "{}", text(&r));
        drop(busy2);
    });
}

#[test]
fn idle_connections_are_closed() {
    let cfg = Config {
        idle_timeout: Duration::from_secs(5),
        ..Config::default()
    };
    run(cfg, 7, async |a, _| {
        let mut s = connect(a).await;
        s.write_all(b"GET /small HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let t0 = a.now();
        let r = read_to_eof(a, &mut s).await;
        assert_eq!(status(&r), 200);
        let waited = a.now() - t0;
        assert!(
            waited >= Duration::from_secs(5) && waited < Duration::from_secs(7),
            "{waited:?}"
        );
    });
}

#[test]
fn forms_json_expect_continue_and_chunked_upload() {
    run(Config::default(), 8, async |a, _| {
        let r = text(
            &roundtrip(
                a,
                b"GET /api/hello?name=J%C3%BCrgen HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            )
            .await,
        );
        assert!(
            r.contains("Content-Type: application/json\r\n")
                && r.contains("Cache-Control: no-store\r\n"),
            "{r}"
        );
        assert!(r.ends_with("{\"hello\":\"Jürgen\"}"), "{r}");
        let r = text(&roundtrip(a, b"POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 17\r\nConnection: close\r\n\r\na=1+2&b=%26&c=%3D").await);
        assert!(r.ends_with("a=1 2;b=&;c==;"), "{r}");
        // Expect: 100-continue: the interim response comes before the body is sent.
        let mut s = connect(a).await;
        s.write_all(b"PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n").await.unwrap();
        let mut buf = [0u8; 64];
        let n = s.read(&mut buf).await.unwrap();
        assert_eq!(text(&buf[..n]), "HTTP/1.1 100 Continue\r\n\r\n");
        s.write_all(b"abc").await.unwrap();
        let r = text(&read_to_eof(a, &mut s).await);
        assert!(r.starts_with("HTTP/1.1 200") && r.ends_with("abc"), "{r}");
        let r = text(&roundtrip(a, b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\nTrailer: 1\r\n\r\n").await);
        assert!(r.ends_with("Wikipedia"), "{r}");
    });
}

#[test]
fn server_sent_events_and_websocket() {
    run(Config::default(), 9, async |a, _| {
        let r = roundtrip(
            a,
            b"GET /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        let t = text(&r);
        assert!(t.contains("Content-Type: text/event-stream\r\n"), "{t}");
        let events = text(&dechunk(body_of(&r)));
        assert_eq!(
            events,
            "event: tick\ndata: {\"n\":0}\n\nevent: tick\ndata: {\"n\":1}\n\nevent: tick\ndata: {\"n\":2}\n\n"
        );

        let mut s = connect(a).await;
        s.write_all(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").await.unwrap();
        // A ping, then "Hel" + "lo" as two fragments (masked, RFC 6455 §5.7).
        let mut frames = vec![0x89, 0x82, 1, 2, 3, 4, b'p' ^ 1, b'g' ^ 2];
        frames.extend_from_slice(&[0x01, 0x83, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d]);
        frames.extend_from_slice(&[0x80, 0x82, 0x37, 0xfa, 0x21, 0x3d, b'l' ^ 0x37, b'o' ^ 0xfa]);
        frames.extend_from_slice(&[0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]);
        s.write_all(&frames).await.unwrap();
        let r = read_to_eof(a, &mut s).await;
        let t = text(&r);
        assert!(t.starts_with("HTTP/1.1 101 Switching Protocols\r\n"), "{t}");
        assert!(
            t.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
            "{t}"
        );
        let frames = body_of(&r);
        assert_eq!(&frames[..4], &[0x8a, 0x02, b'p', b'g'], "pong");
        assert_eq!(&frames[4..6], &[0x81, 11]);
        assert_eq!(&frames[6..17], b"echo: Hello");
        assert_eq!(&frames[17..], &[0x88, 0x02, 0x03, 0xe8], "close reply");
    });
}

#[test]
fn sse_stream_ends_when_the_client_leaves_while_it_waits() {
    run(Config::default(), 10, async |a, app| {
        let mut s = connect(a).await;
        s.write_all(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 512];
        while !text(&got).contains("event: tick\ndata: {}\n\n") {
            let n = s.read(&mut buf).await.unwrap();
            assert!(n > 0, "EOF before the first event: {}", text(&got));
            got.extend_from_slice(&buf[..n]);
        }
        // The client goes while the handler waits 600 s for its next event.
        let left = a.now();
        petrel_altcp::Stream::shutdown(&mut s).await.unwrap();
        let rest = read_to_eof(a, &mut s).await;
        let waited = a.now() - left;
        assert!(waited < Duration::from_secs(5), "{waited:?}");
        assert_eq!(
            app.stream_end.borrow().as_deref(),
            Some("peer closed the connection"),
            "{}",
            text(&rest)
        );
    });
}

fn multipart_body(boundary: &str, file: &[u8]) -> Vec<u8> {
    let mut b = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"fw\"; filename=\"fw.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n").into_bytes();
    b.extend_from_slice(file);
    b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    b
}

fn pseudo_random(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as u8
        })
        .collect()
}

async fn upload(a: &petrel_netcore::sim::SimStack, file: &[u8]) -> String {
    let boundary = "------------------------d74496d66958873e";
    let body = multipart_body(boundary, file);
    let mut req = format!("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).into_bytes();
    req.extend_from_slice(&body);
    text(&roundtrip(a, &req).await)
}

#[test]
fn one_mib_multipart_upload_under_loss() {
    sim::block_on(async {
        let (a, b, _link) = sim::pair(
            SimConfig::default()
                .seed(10)
                .loss(0.02)
                .reorder(0.02)
                .duplicate(0.01),
        );
        let app = TestApp::default();
        with_server(&b, &app, Config::default(), async {
            let file = pseudo_random(1 << 20, 7);
            let r = upload(&a, &file).await;
            let want = format!(
                "{} {:016x} 2 note;fw;",
                2 + file.len(),
                fnv(fnv(FNV0, b"hi"), &file)
            );
            assert!(r.ends_with(&want), "{r}");
        })
        .await;
    });
}

#[test]
fn slow_sink_throttles_the_upload() {
    sim::block_on(async {
        let (a, b, _link) = sim::pair(SimConfig::default().seed(11));
        let app = TestApp::default();
        app.upload_delay.set(Duration::from_millis(10));
        with_server(&b, &app, Config::default(), async {
            let file = pseudo_random(256 << 10, 9);
            let t0 = a.now();
            let r = upload(&a, &file).await;
            assert!(r.starts_with("HTTP/1.1 200"), "{r}");
            // The receive buffer is 4 KiB, so at least 64 sink calls of
            // 10 ms each: the client cannot finish before the sink.
            assert!(
                a.now() - t0 >= Duration::from_millis(640),
                "{:?}",
                a.now() - t0
            );
        })
        .await;
    });
}
