//! The webroot's `/<code>.html` pages as the bodies of the server's own
//! error responses (lwIP's custom 404/400/501 pages): for refused heads
//! (400, 413, 501…, no request to answer, so only a page stored as is),
//! for a missing file (404) and for errors after dispatch; the plain text
//! body where the webroot has no page.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use petrel_httpd::Config;
use petrel_httpd::fs::{StaticFile, StaticFs};
use petrel_netcore::sim::{self, SimConfig, SimStack};

const PAGE_400: &[u8] = b"<h1>That request made no sense</h1>";
const PAGE_404: &[u8] = b"<h1>Nothing here</h1>";
const PAGE_413: &[u8] = b"<h1>Too much</h1>";
const PAGE_501: &[u8] = b"<h1>Not a method we know</h1>";
const GZ_431: &[u8] = b"\x1f\x8b\x08\x00gzipped-431-page";

// Sorted by path, as the packer writes them (`StaticFs` looks up by
// binary search).
static FILES: [StaticFile; 6] = [
    StaticFile::plain("/400.html", "text/html", "\"400\"", PAGE_400),
    StaticFile::plain("/404.html", "text/html", "\"404\"", PAGE_404),
    StaticFile::plain("/413.html", "text/html", "\"413\"", PAGE_413),
    // Stored only gzipped: usable only where the client's Accept-Encoding
    // is known.
    StaticFile::gzipped("/431.html", "text/html", "\"431\"", GZ_431),
    StaticFile::plain("/501.html", "text/html", "\"501\"", PAGE_501),
    StaticFile::plain("/index.html", "text/html", "\"i\"", b"home"),
];
static FS: StaticFs = StaticFs::new(&FILES);

fn run<T>(f: impl AsyncFnOnce(&SimStack) -> T) -> T {
    assert!(FS.is_sorted());
    sim::block_on(async {
        let (a, b, _link) = sim::pair(SimConfig::default().seed(11));
        let app = TestApp::default();
        let cfg = Config {
            max_body: 1000,
            max_header_bytes: 512,
            ..Config::default()
        };
        with_server_fs(&b, &app, cfg, &FS, f(&a)).await
    })
}

/// Status, head and body of a response.
fn parts(r: &[u8]) -> (u16, String, Vec<u8>) {
    let p = r
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head end in {:?}", text(r)));
    (status(r), text(&r[..p + 4]), r[p + 4..].to_vec())
}

/// Asserts a response carries `page` as an HTML body of the right length.
fn assert_page(r: &[u8], code: u16, page: &[u8]) {
    let (s, head, body) = parts(r);
    assert_eq!(s, code, "{head}");
    assert!(head.contains("Content-Type: text/html\r\n"), "{head}");
    assert!(
        head.contains(&format!("Content-Length: {}\r\n", page.len())),
        "{head}"
    );
    assert_eq!(body, page, "{head}");
}

#[test]
fn refused_heads_get_the_webroots_page() {
    run(async |a| {
        // 501: a method the server does not implement.
        let r = roundtrip(a, b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert_page(&r, 501, PAGE_501);
        assert!(text(&r).contains("Connection: close\r\n"));
        // 400: a request line that is not one.
        let r = roundtrip(a, b"GET\r\n\r\n").await;
        assert_page(&r, 400, PAGE_400);
        // 413: a declared body over max_body, refused from the head.
        let r = roundtrip(
            a,
            b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n",
        )
        .await;
        assert_page(&r, 413, PAGE_413);
        // 431 has only a gzipped page, which a refused head cannot use:
        // the plain text body.
        let big = format!(
            "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\n\r\n",
            "p".repeat(600)
        );
        let (s, head, body) = parts(&roundtrip(a, big.as_bytes()).await);
        assert_eq!(s, 431, "{head}");
        assert_eq!(body, b"431 Request Header Fields Too Large\n");
        // 414 has no page at all.
        let long = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(1100));
        let (s, _, body) = parts(&roundtrip(a, long.as_bytes()).await);
        assert_eq!((s, body), (414, b"414 URI Too Long\n".to_vec()));
    });
}

#[test]
fn answered_requests_get_the_webroots_page() {
    run(async |a| {
        let r = roundtrip(
            a,
            b"GET /missing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert_page(&r, 404, PAGE_404);
        // HEAD: the page's head, no body.
        let r = roundtrip(
            a,
            b"HEAD /missing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        let (s, head, body) = parts(&r);
        assert_eq!(s, 404);
        assert!(
            head.contains(&format!("Content-Length: {}\r\n", PAGE_404.len())),
            "{head}"
        );
        assert!(body.is_empty());
        // The page stays the body of a kept-alive 404 too: the next
        // request on the connection is answered.
        let r = roundtrip(
            a,
            b"GET /missing HTTP/1.1\r\nHost: x\r\n\r\nGET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        let t = text(&r);
        assert!(t.starts_with("HTTP/1.1 404 Not Found\r\n"), "{t}");
        assert!(t.ends_with("\r\n\r\nhome"), "{t}");
        // 400 after dispatch: a chunked body that breaks off into garbage,
        // found while the handler reads it.
        let r = roundtrip(
            a,
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        )
        .await;
        assert_page(&r, 400, PAGE_400);
    });
}
