//! Files stored only gzipped (the packer's `gzip_only`), through the driver
//! over the simulated link: gzip for every client that accepts it (or says
//! nothing), 406 for one that refuses it, no byte ranges of the gzip
//! stream, revalidation as for any file, and a gzipped 404 page.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use embedded_io_async::Write;
use petrel_httpd::Config;
use petrel_httpd::fs::{StaticFile, StaticFs};
use petrel_httpd::static_file::NOT_ACCEPTABLE_BODY;
use petrel_netcore::sim::{self, SimConfig, SimStack};

static GZ_CSS: &[u8] = b"\x1f\x8b\x08\x00stored-gzip-only-css";
static GZ_404: &[u8] = b"\x1f\x8b\x08\x00gzipped-404-page";
static PLAIN_GZ: &[u8] = b"\x1f\x8b\x08\x00variant";

static GZ_FILES: [StaticFile; 3] = [
    StaticFile::gzipped("/404.html", "text/html", "\"404\"", GZ_404),
    StaticFile {
        last_modified: "Tue, 25 Nov 2025 12:00:00 GMT",
        modified_unix: 1_764_072_000,
        headers: "Content-Type: text/css\r\nETag: \"css1\"\r\nLast-Modified: Tue, 25 Nov 2025 12:00:00 GMT\r\nCache-Control: max-age=300\r\n",
        ..StaticFile::gzipped("/app.css", "text/css", "\"css1\"", GZ_CSS)
    },
    // A file with both copies beside them: served as before.
    StaticFile {
        gzip: Some(PLAIN_GZ),
        ..StaticFile::plain("/both.txt", "text/plain", "\"b\"", b"0123456789abcdefghij")
    },
];
static GZ_FS: StaticFs = StaticFs::new(&GZ_FILES);

fn run<T>(f: impl AsyncFnOnce(&SimStack) -> T) -> T {
    sim::block_on(async {
        let (a, b, _link) = sim::pair(SimConfig::default().seed(7));
        let app = TestApp::default();
        with_server_fs(&b, &app, Config::default(), &GZ_FS, f(&a)).await
    })
}

async fn get(a: &SimStack, method: &str, path: &str, extra: &str) -> Vec<u8> {
    let req = format!("{method} {path} HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n");
    roundtrip(a, req.as_bytes()).await
}

fn split(r: &[u8]) -> (String, &[u8]) {
    let p = r.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    (text(&r[..p + 4]), &r[p + 4..])
}

#[test]
fn gzip_body_for_clients_that_accept_gzip_or_say_nothing() {
    run(async |a| {
        for ae in [
            "",
            "Accept-Encoding: gzip\r\n",
            "Accept-Encoding: gzip, deflate, br, zstd\r\n",
            "Accept-Encoding: *\r\n",
        ] {
            let r = get(a, "GET", "/app.css", ae).await;
            let (head, body) = split(&r);
            assert_eq!(status(&r), 200, "{ae}: {head}");
            assert!(head.contains("Content-Encoding: gzip\r\n"), "{head}");
            assert!(head.contains("Vary: Accept-Encoding\r\n"), "{head}");
            assert!(head.contains("ETag: \"css1\"\r\n"), "{head}");
            assert!(
                head.contains(&format!("Content-Length: {}\r\n", GZ_CSS.len())),
                "{head}"
            );
            assert!(!head.contains("Accept-Ranges"), "{head}");
            assert_eq!(body, GZ_CSS);
        }
    });
}

#[test]
fn clients_that_refuse_gzip_get_406() {
    run(async |a| {
        for ae in [
            "Accept-Encoding: identity\r\n",
            "Accept-Encoding: gzip;q=0\r\n",
            "Accept-Encoding: \r\n",
            "Accept-Encoding: br, identity;q=0.5\r\n",
        ] {
            let r = get(a, "GET", "/app.css", ae).await;
            let (head, body) = split(&r);
            assert_eq!(status(&r), 406, "{ae}: {head}");
            assert!(head.contains("Vary: Accept-Encoding\r\n"), "{head}");
            assert!(
                !head.contains("Content-Encoding") && !head.contains("ETag"),
                "{head}"
            );
            assert_eq!(body, NOT_ACCEPTABLE_BODY);
        }
        // The connection survives a 406: the next request on it is served.
        let mut s = connect(a).await;
        s.write_all(b"GET /app.css HTTP/1.1\r\nHost: x\r\nAccept-Encoding: identity\r\n\r\nGET /app.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let r = text(&read_to_eof(a, &mut s).await);
        let second = r.find("HTTP/1.1 200 OK").expect(&r);
        assert!(r.starts_with("HTTP/1.1 406") && second > 0, "{r}");
    });
}

#[test]
fn ranges_are_ignored_head_and_revalidation_work() {
    run(async |a| {
        for range in ["bytes=0-3", "bytes=-5", "bytes=1000-"] {
            let r = get(a, "GET", "/app.css", &format!("Range: {range}\r\n")).await;
            let (head, body) = split(&r);
            assert_eq!(status(&r), 200, "{range}: {head}");
            assert!(!head.contains("Content-Range"), "{head}");
            assert!(head.contains("Content-Encoding: gzip\r\n"), "{head}");
            assert_eq!(body, GZ_CSS);
        }
        let r = get(a, "HEAD", "/app.css", "Accept-Encoding: gzip\r\n").await;
        let (head, body) = split(&r);
        assert_eq!(status(&r), 200, "{head}");
        assert!(
            head.contains(&format!("Content-Length: {}\r\n", GZ_CSS.len()))
                && head.contains("Content-Encoding: gzip\r\n"),
            "{head}"
        );
        assert!(body.is_empty());
        let r = get(a, "HEAD", "/app.css", "Accept-Encoding: identity\r\n").await;
        assert_eq!(status(&r), 406);
        assert!(split(&r).1.is_empty());

        let r = get(
            a,
            "GET",
            "/app.css",
            "Accept-Encoding: gzip\r\nIf-None-Match: \"css1\"\r\n",
        )
        .await;
        let (head, body) = split(&r);
        assert_eq!(status(&r), 304, "{head}");
        assert!(head.contains("ETag: \"css1\"\r\n") && head.contains("Vary: Accept-Encoding\r\n"));
        assert!(body.is_empty());
        let r = get(
            a,
            "GET",
            "/app.css",
            "If-Modified-Since: Wed, 26 Nov 2025 00:00:00 GMT\r\n",
        )
        .await;
        assert_eq!(status(&r), 304);
        let r = get(a, "GET", "/app.css", "If-None-Match: \"old\"\r\n").await;
        assert_eq!((status(&r), split(&r).1), (200, GZ_CSS));
    });
}

#[test]
fn gzipped_404_page_and_files_with_both_copies() {
    run(async |a| {
        let r = get(a, "GET", "/missing", "").await;
        let (head, body) = split(&r);
        assert_eq!(status(&r), 404, "{head}");
        assert!(
            head.contains("Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n"),
            "{head}"
        );
        assert_eq!(body, GZ_404);
        let r = get(a, "GET", "/missing", "Accept-Encoding: identity\r\n").await;
        let (head, body) = split(&r);
        assert_eq!(status(&r), 404, "{head}");
        assert!(!head.contains("Content-Encoding") && head.contains("Vary: Accept-Encoding\r\n"));
        assert_eq!(body, b"404 Not Found\n");

        // Both copies: identity unless gzip is asked for; ranges of the
        // identity body.
        let r = get(a, "GET", "/both.txt", "").await;
        assert_eq!(split(&r).1, b"0123456789abcdefghij");
        assert!(!split(&r).0.contains("Content-Encoding"));
        let r = get(a, "GET", "/both.txt", "Accept-Encoding: gzip\r\n").await;
        assert_eq!(split(&r).1, PLAIN_GZ);
        let r = get(a, "GET", "/both.txt", "Accept-Encoding: identity\r\n").await;
        assert_eq!(
            (status(&r), split(&r).1),
            (200, &b"0123456789abcdefghij"[..])
        );
        let r = get(a, "GET", "/both.txt", "Range: bytes=2-4\r\n").await;
        assert_eq!((status(&r), split(&r).1), (206, &b"234"[..]));
    });
}
