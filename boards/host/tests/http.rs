//! `petrel`'s HTTP service against curl (preinstalled) and raw sockets on
//! 127.0.0.1: the dashboard, the JSON API, SSE, settings, uploads, every
//! status code the server produces, keep-alive, pipelining and hostile
//! clients. Each test starts its own petrel on a fresh port; every wait is
//! bounded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod peers;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use peers::{TempDir, WAIT, config, random, run, start_petrel};
use petrel_interop::{Proc, free_port, have};
use sha2::Digest;

/// A running `petrel --only http`.
struct Server {
    _p: Proc,
    dir: TempDir,
    port: u16,
}

impl Server {
    fn start(tag: &str, http_extra: &str) -> Server {
        let dir = TempDir::new(tag);
        let port = free_port();
        let text = config(&format!(
            "[http]\nlisten = \"127.0.0.1:{port}\"\n{http_extra}\n"
        ));
        let p = start_petrel(&dir, &text, "http listening on", "http");
        Server { _p: p, dir, port }
    }
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
    /// Runs curl with `args` and the URL of `path`; returns (stdout, stderr).
    fn curl(&self, args: &[&str], path: &str) -> (Vec<u8>, String) {
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "20"])
            .args(args)
            .arg(self.url(path))
            .output()
            .unwrap();
        (
            out.stdout,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
    /// The status code curl saw.
    fn code(&self, args: &[&str], path: &str) -> u16 {
        let mut a = vec!["-o", "/dev/null", "-w", "%{http_code}"];
        a.extend_from_slice(args);
        let (out, err) = self.curl(&a, path);
        String::from_utf8_lossy(&out)
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{err}"))
    }
    fn raw(&self) -> TcpStream {
        let s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        s
    }
}

fn have_curl() -> bool {
    let ok = have("curl");
    if !ok {
        eprintln!("curl missing: skipped");
    }
    ok
}

/// Sends `req` on a fresh connection and reads until the server closes.
fn raw_exchange(s: &Server, req: &[u8]) -> String {
    let mut c = s.raw();
    c.write_all(req).unwrap();
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[test]
fn static_files_head_range_conditional_gzip() {
    if !have_curl() {
        return;
    }
    let s = Server::start("http-static", "");
    // Dashboard (SSI, chunked) with the device name filled in.
    let (body, err) = s.curl(&["-D", "-"], "/");
    let text = String::from_utf8_lossy(&body);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}{err}");
    assert!(text.contains("Transfer-Encoding: chunked"), "{text}");
    assert!(
        text.contains("<title>test") && text.contains("</html>"),
        "{text}"
    );
    assert!(!text.contains("<!--#"), "every SSI tag replaced: {text}");

    // HEAD: same Content-Length as the GET body, no body.
    let (get, _) = s.curl(&[], "/app.js");
    let (head, _) = s.curl(&["-I"], "/app.js");
    let head = String::from_utf8_lossy(&head).into_owned();
    assert_eq!(
        header(&head, "content-length"),
        Some(get.len().to_string().as_str()),
        "{head}"
    );

    // Range.
    let (part, _) = s.curl(&["-D", "-", "-r", "0-9"], "/app.js");
    let part = String::from_utf8_lossy(&part).into_owned();
    assert!(part.starts_with("HTTP/1.1 206"), "{part}");
    assert!(
        part.contains(&format!("Content-Range: bytes 0-9/{}", get.len())),
        "{part}"
    );
    assert!(part.ends_with(std::str::from_utf8(&get[..10]).unwrap()));
    assert_eq!(s.code(&["-r", "99999999-"], "/app.js"), 416);

    // Conditional GET by ETag and by Last-Modified.
    let etag = header(&head, "etag").unwrap().to_string();
    assert_eq!(
        s.code(&["-H", &format!("If-None-Match: {etag}")], "/app.js"),
        304
    );
    let lm = header(&head, "last-modified").unwrap().to_string();
    assert_eq!(
        s.code(&["-H", &format!("If-Modified-Since: {lm}")], "/app.js"),
        304
    );
    assert_eq!(s.code(&["-H", "If-None-Match: \"other\""], "/app.js"), 200);

    // gzip only when accepted, identical once decoded.
    let (gz, _) = s.curl(&["-D", "-", "-H", "Accept-Encoding: gzip"], "/app.js");
    let gzs = String::from_utf8_lossy(&gz);
    assert!(
        gzs.contains("Content-Encoding: gzip") && gzs.contains("Vary: Accept-Encoding"),
        "{gzs}"
    );
    let (plain, _) = s.curl(&["-D", "-", "-H", "Accept-Encoding: identity"], "/app.js");
    assert!(!String::from_utf8_lossy(&plain).contains("Content-Encoding"));
    let (decoded, _) = s.curl(&["--compressed"], "/app.js");
    assert_eq!(decoded, get);

    // Errors with their codes.
    let (nf, _) = s.curl(&["-D", "-"], "/no/such/file");
    let nf = String::from_utf8_lossy(&nf);
    assert!(
        nf.starts_with("HTTP/1.1 404") && nf.contains("</html>"),
        "custom 404 page: {nf}"
    );
    let (na, _) = s.curl(&["-D", "-", "-X", "DELETE"], "/app.js");
    let na = String::from_utf8_lossy(&na);
    assert!(
        na.starts_with("HTTP/1.1 405") && na.contains("Allow: GET, HEAD, OPTIONS"),
        "{na}"
    );
    assert_eq!(s.code(&["-X", "BREW"], "/"), 501);
    let long = format!("/{}", "a".repeat(5000));
    assert_eq!(s.code(&[], &long), 414);
    let big = format!("X-Big: {}", "b".repeat(8000));
    assert_eq!(s.code(&["-H", &big], "/"), 431);
    assert_eq!(s.code(&[], "/%2e%2e/etc/passwd"), 400);
    let bad = raw_exchange(&s, b"GET\r\n\r\n");
    assert!(bad.starts_with("HTTP/1.1 400"), "{bad}");
}

#[test]
fn keep_alive_and_pipelining() {
    if !have_curl() {
        return;
    }
    let s = Server::start("http-keepalive", "");
    let (_, err) = s.curl(&["-v", "-o", "/dev/null", "-o", "/dev/null"], "/app.css");
    // Two URLs on one command line: the second request reuses the connection.
    let out = Command::new("curl")
        .args(["-sS", "-v", "-o", "/dev/null", "-o", "/dev/null"])
        .arg(s.url("/app.css"))
        .arg(s.url("/"))
        .output()
        .unwrap();
    let err2 = String::from_utf8_lossy(&out.stderr);
    assert!(
        err2.contains("Re-using existing connection"),
        "{err}\n{err2}"
    );

    // Three requests in one write, answered in order.
    let mut reqs = Vec::new();
    for p in ["/app.css", "/api/settings", "/favicon.svg"] {
        reqs.extend_from_slice(format!("GET {p} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
    }
    reqs.extend_from_slice(b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let all = raw_exchange(&s, &reqs);
    let types: Vec<&str> = all
        .match_indices("Content-Type: ")
        .map(|(i, _)| all[i + 14..].split(['\r', ';']).next().unwrap())
        .collect();
    assert_eq!(
        types,
        ["text/css", "application/json", "image/svg+xml", "text/html"],
        "{all}"
    );
    assert_eq!(all.matches("HTTP/1.1 200").count(), 3);
    assert!(all.contains("HTTP/1.1 404"));
}

#[test]
fn hostile_clients() {
    if !have_curl() {
        return;
    }
    let s = Server::start(
        "http-hostile",
        "max_body = 100000\nrequest_timeout = 3\nmax_connections = 4\n",
    );
    // Body over the limit, by Content-Length and by chunks.
    let big = s.dir.join("big.bin");
    std::fs::write(&big, random(200_000, 1)).unwrap();
    let at = format!("@{}", big.display());
    assert_eq!(s.code(&["--data-binary", &at], "/api/upload"), 413);
    let r = raw_exchange(&s, b"POST /api/upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n--b\r\nXX\r\n");
    assert!(r.starts_with("HTTP/1.1 400"), "broken chunked: {r}");

    // One byte every 2 s: 408 within the request timeout, slot freed.
    let mut c = s.raw();
    let t0 = Instant::now();
    let mut got = String::new();
    for b in b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" {
        if c.write_all(&[*b]).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_secs(2));
        c.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 512];
        if let Ok(n) = c.read(&mut buf) {
            got = String::from_utf8_lossy(&buf[..n]).into_owned();
            break;
        }
        c.set_nonblocking(false).unwrap();
    }
    assert!(
        got.starts_with("HTTP/1.1 408"),
        "{got:?} after {:?}",
        t0.elapsed()
    );
    assert_eq!(s.code(&[], "/app.css"), 200);

    // 200 idle connections: a new client is still served (an idle
    // keep-alive connection is closed to make room).
    let idle: Vec<TcpStream> = (0..200).map(|_| s.raw()).collect();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(s.code(&[], "/app.css"), 200);
    drop(idle);
    // All 4 slots in the middle of a request: 503 at once.
    let busy: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut c = s.raw();
            c.write_all(b"GET /app.css HT").unwrap();
            c
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(s.code(&[], "/app.css"), 503);
    drop(busy);
    let ok = petrel_interop::wait_until(WAIT, || (s.code(&[], "/app.css") == 200).then_some(()));
    assert!(ok.is_some(), "served again once the idle clients left");
}

#[test]
fn json_api_sse_settings_and_upload() {
    if !have_curl() {
        return;
    }
    let s = Server::start("http-api", "user = \"admin\"\npassword = \"pw\"\n");
    // /api/status parses and has the contract's fields.
    let status = s.dir.join("status.json");
    let (body, _) = s.curl(&["-D", s.dir.join("h").to_str().unwrap()], "/api/status");
    std::fs::write(&status, &body).unwrap();
    let check = "import json,sys\nd=json.load(open(sys.argv[1]))\n\
assert d['device']['name']=='test' and d['device']['version'] and d['device']['uptime_s']>=0\n\
assert d['time']['synced'] is False and 'now_unix_ms' in d['time'] and 'offset_us' not in d['time']\n\
assert d['mdns'] is None\n\
assert d['device']['ip']=='127.0.0.1', 'the specific listen address'\n\
lo=[i for i in d['interfaces'] if i['name']=='lo']\n\
assert lo and lo[0]['ipv4']=='127.0.0.1/8', lo\n\
i=d['interfaces'][0]\n\
for k in ['index','name','ipv4','mac','mtu','up','speed_bps','rx_bytes','tx_bytes','rx_packets','tx_packets','rx_errors','tx_errors','rx_discards','tx_discards']: assert k in i, k\n\
c=d['connections']; assert isinstance(c['tcp'],list) and isinstance(c['udp'],list)\n\
assert any(l['local'].endswith(':'+sys.argv[2]) for l in c['tcp_listeners'])\n\
assert {'name':'http','state':'running','detail':'127.0.0.1:'+sys.argv[2]} in d['services']\n\
assert any('http listening on' in l['message'] and l['level']=='INFO' for l in d['log'])\n";
    let (ok, out) = run(
        Command::new("python3")
            .args(["-c", check])
            .arg(&status)
            .arg(s.port.to_string()),
        WAIT,
    );
    assert!(ok, "{out}\n{}", String::from_utf8_lossy(&body));
    let h = std::fs::read_to_string(s.dir.join("h")).unwrap();
    assert!(
        h.contains("Cache-Control: no-store") && h.contains("application/json"),
        "{h}"
    );

    // SSE: a stats event right away.
    let (ev, _) = s.curl(&["-N", "--max-time", "2"], "/api/events");
    let ev = String::from_utf8_lossy(&ev);
    assert!(ev.starts_with("event: stats\ndata: {\"unix_ms\":"), "{ev}");
    assert!(ev.contains("\"tcp_connections\":"), "{ev}");

    // Settings: auth, validation, save.
    let (cur, _) = s.curl(&[], "/api/settings");
    assert!(String::from_utf8_lossy(&cur).contains("\"device_name\":\"test\""));
    let form = [
        "-d",
        "device_name=dev-2&mqtt_broker=mqtt://127.0.0.1:1883&sntp_servers=127.0.0.1",
    ];
    assert_eq!(s.code(&form, "/api/settings"), 401);
    let (head, _) = s.curl(
        &["-D", "-", "-o", "/dev/null", "-d", "x=1"],
        "/api/settings",
    );
    assert!(String::from_utf8_lossy(&head).contains("WWW-Authenticate: Basic realm=\"petrel\""));
    let (bad, _) = s.curl(
        &[
            "-u",
            "admin:pw",
            "-w",
            "\n%{http_code}",
            "-d",
            "device_name=-x&mqtt_broker=ftp://a&sntp_servers=a,b,c,d,e",
        ],
        "/api/settings",
    );
    let bad = String::from_utf8_lossy(&bad);
    assert!(bad.ends_with("\n422"), "{bad}");
    for f in ["device_name", "mqtt_broker", "sntp_servers"] {
        assert!(bad.contains(&format!("\"{f}\":\"")), "{f}: {bad}");
    }
    let (good, _) = s.curl(
        &["-u", "admin:pw", "-w", "\n%{http_code}", form[0], form[1]],
        "/api/settings",
    );
    let good = String::from_utf8_lossy(&good);
    assert!(
        good.starts_with("{\"ok\":true,\"restart_needed\":true}") && good.ends_with("\n200"),
        "{good}"
    );
    let saved = std::fs::read_to_string(s.dir.join("settings.toml")).unwrap();
    assert!(saved.contains("device_name = \"dev-2\""), "{saved}");
    let (st, _) = s.curl(&[], "/api/status");
    assert!(
        String::from_utf8_lossy(&st).contains("\"name\":\"dev-2\""),
        "the name applies at once"
    );

    // A 1 MiB multipart upload arrives intact.
    let file = random(1 << 20, 42);
    let path = s.dir.join("fw.bin");
    std::fs::write(&path, &file).unwrap();
    let want: String = sha2::Sha256::digest(&file)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let f = format!("fw=@{}", path.display());
    let (up, err) = s.curl(
        &["-u", "admin:pw", "-F", "note=hello", "-F", &f],
        "/api/upload",
    );
    let up = String::from_utf8_lossy(&up);
    assert!(
        up.contains(&format!(
            "{{\"name\":\"fw.bin\",\"size\":1048576,\"sha256\":\"{want}\"}}"
        )),
        "{up}{err}"
    );
}

#[test]
fn https_serves_the_dashboard_with_curl_cacert() {
    if !have_curl() {
        return;
    }
    let dir = TempDir::new("http-tls");
    let (port, tls_port) = (free_port(), free_port());
    let text = format!(
        "[device]\nname = \"test\"\n\n[echo]\nenabled = false\n\n[http]\nlisten = \"127.0.0.1:{port}\"\n\n[https]\nlisten = \"127.0.0.1:{tls_port}\"\n"
    );
    std::fs::write(dir.join("petrel.toml"), text).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_petrel"));
    cmd.arg("--config")
        .arg(dir.join("petrel.toml"))
        .args(["--only", "http,https"])
        .env_remove("RUST_LOG");
    let mut p = Proc::spawn(&mut cmd).unwrap();
    p.wait_for_output("https listening on", WAIT).unwrap();
    p.wait_for_output("http listening on", WAIT).unwrap();
    let cert = dir.join("petrel-https-cert.pem");
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10", "--cacert"])
        .arg(&cert)
        .arg(format!("https://localhost:{tls_port}/api/status"))
        .output()
        .unwrap();
    let body = String::from_utf8_lossy(&out.stdout);
    assert!(
        body.starts_with("{\"device\":{\"name\":\"test\""),
        "{body}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        body.contains("\"name\":\"https\",\"state\":\"running\""),
        "{body}"
    );

    // One settings store: saved over HTTPS, seen over HTTP at once (and
    // the other way round).
    let tls = |args: &[&str], path: &str| {
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "10", "--cacert"])
            .arg(&cert)
            .args(args)
            .arg(format!("https://localhost:{tls_port}{path}"))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let plain = |args: &[&str], path: &str| {
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "10"])
            .args(args)
            .arg(format!("http://127.0.0.1:{port}{path}"))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let saved = tls(
        &[
            "-d",
            "device_name=via-tls&mqtt_broker=&sntp_servers=127.0.0.1",
        ],
        "/api/settings",
    );
    assert!(saved.starts_with("{\"ok\":true"), "{saved}");
    let seen = plain(&[], "/api/settings");
    assert!(
        seen.contains("\"device_name\":\"via-tls\"")
            && seen.contains("\"sntp_servers\":\"127.0.0.1\""),
        "{seen}"
    );
    let saved = plain(
        &[
            "-d",
            "device_name=via-http&mqtt_broker=&sntp_servers=127.0.0.1",
        ],
        "/api/settings",
    );
    // The SNTP servers did not change since the HTTPS save.
    assert_eq!(saved, "{\"ok\":true,\"restart_needed\":false}");
    let seen = tls(&[], "/api/settings");
    assert!(seen.contains("\"device_name\":\"via-http\""), "{seen}");
}

#[test]
fn download_is_sized_and_deterministic() {
    if !have_curl() {
        return;
    }
    let s = Server::start("http-download", "");
    let sha = |b: &[u8]| -> String {
        sha2::Sha256::digest(b)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    // Byte i of every download is i % 251.
    let want: Vec<u8> = (0..(3 << 20) + 7).map(|i: u32| (i % 251) as u8).collect();
    for (query, len) in [
        ("", 1 << 20),
        ("?bytes=3145735", (3 << 20) + 7),
        ("?bytes=0", 0),
    ] {
        let file = s.dir.join("dl.bin");
        let (head, err) = s.curl(
            &["-D", "-", "-o", file.to_str().unwrap()],
            &format!("/api/download{query}"),
        );
        let head = String::from_utf8_lossy(&head);
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}{err}");
        assert_eq!(
            header(&head, "Content-Length"),
            Some(len.to_string().as_str())
        );
        assert_eq!(
            header(&head, "Content-Type"),
            Some("application/octet-stream")
        );
        assert!(header(&head, "Transfer-Encoding").is_none(), "{head}");
        let got = std::fs::read(&file).unwrap();
        assert_eq!(got.len(), len, "{query}");
        assert_eq!(sha(&got), sha(&want[..len]), "{query}");
    }
    // Too large or not a number: 400. HEAD: the length only.
    assert_eq!(s.code(&[], "/api/download?bytes=67108865"), 400);
    assert_eq!(s.code(&[], "/api/download?bytes=lots"), 400);
    let (head, _) = s.curl(&["-I"], "/api/download?bytes=67108864");
    let head = String::from_utf8_lossy(&head);
    assert_eq!(header(&head, "Content-Length"), Some("67108864"), "{head}");
    // Two downloads on one connection (keep-alive survives a sized body).
    let url = s.url("/api/download?bytes=100000");
    let two = Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "20",
            "-o",
            "/dev/null",
            "-o",
            "/dev/null",
        ])
        .args(["-w", "%{num_connects} %{size_download}\n"])
        .args([&url, &url])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&two.stdout),
        "1 100000\n0 100000\n",
        "{}",
        String::from_utf8_lossy(&two.stderr)
    );
}

#[test]
fn ip_card_shows_the_first_non_loopback_address_when_listening_on_all() {
    if !have_curl() || petrel_interop::skip_netns_tests() {
        return;
    }
    // A namespace whose only non-loopback address is 198.51.100.1/24 (on a
    // TAP nobody opens); petrel listens on 0.0.0.0 inside it.
    let ns = petrel_interop::Netns::with_tap("198.51.100.1/24").unwrap();
    let dir = TempDir::new("http-ip");
    std::fs::write(
        dir.join("petrel.toml"),
        config("[http]\nlisten = \"0.0.0.0:8080\"\n"),
    )
    .unwrap();
    let mut cmd = ns.command(env!("CARGO_BIN_EXE_petrel"));
    cmd.arg("--config")
        .arg(dir.join("petrel.toml"))
        .args(["--only", "http"])
        .env_remove("RUST_LOG");
    let mut p = Proc::spawn(&mut cmd).unwrap();
    p.wait_for_output("http listening on", WAIT).unwrap();
    let (ok, status) = ns
        .run(
            "curl",
            &[
                "-sS",
                "--max-time",
                "10",
                "http://127.0.0.1:8080/api/status",
            ],
            WAIT,
        )
        .unwrap();
    assert!(ok.success(), "{status}");
    assert!(status.contains("\"ip\":\"198.51.100.1\""), "{status}");
    assert!(
        status.contains("\"name\":\"tap0\",\"ipv4\":\"198.51.100.1/24\""),
        "{status}"
    );
    assert!(
        status.contains("\"name\":\"lo\",\"ipv4\":\"127.0.0.1/8\""),
        "{status}"
    );
    let (_, page) = ns
        .run(
            "curl",
            &["-sS", "--max-time", "10", "http://127.0.0.1:8080/"],
            WAIT,
        )
        .unwrap();
    assert!(page.contains("<b id=\"ip\">198.51.100.1</b>"), "{page}");
}
