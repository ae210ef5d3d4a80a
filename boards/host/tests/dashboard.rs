//! The dashboard (`webroot/www`, packed by petrel-webroot) served by
//! `petrel --only http`, loaded in headless Chromium
//! (`apt-get install -y chromium`).
//!
//! Two passes:
//! 1. `chromium --dump-dom` — the DOM at the load event, i.e. what the SSI
//!    tags produced before any JavaScript ran: the page must be readable
//!    without JavaScript.
//! 2. `webroot/dev/browse.py` drives Chromium over the DevTools protocol
//!    (`--dump-dom` alone cannot wait for the page's first fetch, and
//!    `--virtual-time-budget` never ends while the Server-Sent Events stream
//!    is open): it waits until the live values from `/api/status` and
//!    `/api/events` are in the DOM, saves the DOM and a screenshot
//!    (`<target>/test-artifacts/dashboard.png`), and then submits the
//!    settings form with bad and good values.
//!
//! Skipped (with a message) when chromium is not installed. Every wait is
//! bounded; petrel and Chromium are killed by their guards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod peers;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use peers::{TempDir, WAIT};
use petrel_interop::{Proc, free_port, have, run_with_limit, wait_until};

const BROWSE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../webroot/dev/browse.py");
const NAME: &str = "petrel-dash-test";

fn have_chromium() -> bool {
    let ok = have("chromium");
    if !ok {
        eprintln!("chromium missing (apt-get install -y chromium): dashboard test skipped");
    }
    ok
}

/// `<target>/test-artifacts`, next to the profile directory holding petrel.
fn artifacts() -> PathBuf {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_petrel"));
    let dir = exe
        .parent()
        .and_then(|p| p.parent())
        .unwrap()
        .join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts `petrel --only http` on a fresh port and waits until it accepts.
fn start(dir: &TempDir) -> (Proc, u16) {
    let port = free_port();
    let cfg = dir.join("petrel.toml");
    std::fs::write(
        &cfg,
        format!(
            "[device]\nname = \"{NAME}\"\n\n[echo]\nenabled = false\n\n[https]\nenabled = false\n\n\
             [http]\nenabled = true\nlisten = \"127.0.0.1:{port}\"\n"
        ),
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_petrel"));
    cmd.arg("--config")
        .arg(&cfg)
        .args(["--only", "http"])
        .env_remove("RUST_LOG");
    let p = Proc::spawn(&mut cmd).unwrap();
    let up = wait_until(WAIT, || {
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    });
    assert!(
        up.is_some(),
        "petrel http not accepting on {port}; output:\n{}",
        p.output()
    );
    (p, port)
}

fn chromium_dump_dom(url: &str) -> String {
    let profile = TempDir::new("chromium");
    let (status, out) = run_with_limit(
        Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--dump-dom",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(url),
        Duration::from_secs(60),
    )
    .unwrap();
    assert!(status.success(), "chromium --dump-dom failed:\n{out}");
    out
}

/// Runs browse.py; returns (condition met, DOM, tool output).
fn browse(url: &str, args: &[&str], dom: &std::path::Path) -> (bool, String, String) {
    let (status, out) = run_with_limit(
        Command::new("python3")
            .arg(BROWSE)
            .arg(url)
            .args(args)
            .arg("--dom")
            .arg(dom),
        Duration::from_secs(90),
    )
    .unwrap();
    let text = std::fs::read_to_string(dom).unwrap_or_default();
    (status.success(), text, out)
}

/// The text of the first element with `id="ID"` (flat elements only).
fn by_id<'a>(dom: &'a str, id: &str) -> &'a str {
    let tag = format!("id=\"{id}\"");
    let at = dom.find(&tag).unwrap_or_else(|| panic!("no #{id} in DOM"));
    let rest = &dom[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest[start..].find('<').unwrap() + start;
    &rest[start..end]
}

fn looks_like_uptime(s: &str) -> bool {
    // "04:05:06" or "3d 04:05:06"
    let hms = s.rsplit(' ').next().unwrap_or("");
    hms.len() == 8
        && hms.bytes().enumerate().all(|(i, b)| {
            if i % 3 == 2 {
                b == b':'
            } else {
                b.is_ascii_digit()
            }
        })
}

#[test]
fn dashboard_shows_live_values_in_chromium() {
    if !have_chromium() {
        return;
    }
    let dir = TempDir::new("dashboard");
    let (petrel, port) = start(&dir);
    let url = format!("http://127.0.0.1:{port}/");

    // 1. Without JavaScript: the SSI values.
    let ssi = chromium_dump_dom(&url);
    assert!(
        !ssi.contains("<!--#"),
        "an SSI tag was not replaced:\n{ssi}"
    );
    assert!(!ssi.contains("unknown tag"), "{ssi}");
    assert_eq!(by_id(&ssi, "name"), NAME, "{ssi}");
    assert!(looks_like_uptime(by_id(&ssi, "uptime")), "{ssi}");
    assert_eq!(by_id(&ssi, "version"), env!("CARGO_PKG_VERSION"));
    assert!(
        by_id(&ssi, "ip").parse::<std::net::Ipv4Addr>().is_ok(),
        "{ssi}"
    );

    // A busy host: 30 connections the server closed first, so each waits in
    // TIME-WAIT on the server's side for a minute.
    for _ in 0..30 {
        let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        c.set_read_timeout(Some(WAIT)).unwrap();
        c.write_all(b"GET /favicon.svg HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut sink = Vec::new();
        let _ = c.read_to_end(&mut sink);
    }

    // 2. With JavaScript: /api/status rendered, two SSE `stats` events seen
    // (a rate needs two samples), the log filled.
    let png = artifacts().join("dashboard.png");
    let _ = std::fs::remove_file(&png);
    let dom_file = dir.join("dom.html");
    let ready = "document.querySelector('#services .badge') \
                 && document.querySelectorAll('#log li').length > 0 \
                 && document.getElementById('live').textContent === 'live' \
                 && document.getElementById('rx-rate').textContent !== '–'";
    let (ok, dom, out) = browse(
        &url,
        &[
            "--wait",
            ready,
            "--settle",
            "3",
            "--full",
            "--png",
            png.to_str().unwrap(),
        ],
        &dom_file,
    );
    assert!(
        ok,
        "dashboard never went live: {out}\npetrel:\n{}\nDOM:\n{dom}",
        petrel.output()
    );
    assert!(
        png.metadata().unwrap().len() > 10_000,
        "screenshot too small"
    );
    eprintln!("screenshot: {}", png.display());
    assert_eq!(by_id(&dom, "name"), NAME);
    assert!(looks_like_uptime(by_id(&dom, "uptime")));
    assert!(by_id(&dom, "rx-rate").ends_with("bit/s"), "{dom}");
    // The http service with a green badge, its listener in the connections
    // table, an interface row, a log line with a level.
    assert!(
        dom.contains("<span class=\"n\">http</span><span class=\"badge ok\">running</span>"),
        "{dom}"
    );
    assert!(dom.contains(&format!("127.0.0.1:{port}")), "{dom}");
    assert!(!dom.contains("No interfaces."), "{dom}");
    // The connections table: at most 12 rows and an "and N more" row,
    // established connections and listeners before any TIME-WAIT row.
    let table = &dom[dom.find("id=\"conns\"").unwrap()..];
    let body = &table[table.find("<tbody>").unwrap()..table.find("</tbody>").unwrap()];
    assert!(body.matches("<tr").count() <= 13, "{body}");
    let more = body
        .find("<tr class=\"more\">")
        .expect("no 'and N more' row");
    let n: usize = body[more..]
        .split("and ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|t| t.replace(',', "").parse().ok())
        .unwrap_or_else(|| panic!("{body}"));
    assert!(n >= 18, "30 TIME-WAIT rows and at most 12 shown: {body}");
    let first = |state: &str| body.find(&format!(">{state}<"));
    let last = |state: &str| body.rfind(&format!(">{state}<"));
    assert!(
        first("established").is_some(),
        "the browser's own connection: {body}"
    );
    if let Some(tw) = first("time-wait") {
        assert!(
            last("established") < Some(tw) && last("listen") < Some(tw),
            "{body}"
        );
    }
    assert!(
        dom.contains("<span class=\"lv lv-INFO\">INFO</span>"),
        "{dom}"
    );

    // 3. The settings form: a bad name shows its error next to the field;
    // a good one is saved and shows in the header at once.
    let bad = "document.getElementById('device_name').value = '-bad-'; \
               document.querySelector('#settings button').click()";
    let (ok, dom, out) = browse(
        &url,
        &[
            "--wait",
            "document.querySelector('#services .badge')",
            "--action",
            bad,
            "--until",
            "document.querySelector('.err[data-for=device_name]').textContent",
        ],
        &dom_file,
    );
    assert!(ok, "no validation error shown: {out}\n{dom}");
    assert!(dom.contains("aria-invalid=\"true\""), "{dom}");
    let good = "document.getElementById('device_name').value = 'renamed-1'; \
                document.querySelector('#settings button').click()";
    let (ok, dom, out) = browse(
        &url,
        &[
            "--wait",
            "document.querySelector('#services .badge')",
            "--action",
            good,
            "--until",
            "document.getElementById('notice').className === 'ok' \
             && document.getElementById('name').textContent === 'renamed-1'",
        ],
        &dom_file,
    );
    assert!(ok, "settings not saved: {out}\n{dom}");
    assert!(by_id(&dom, "notice").starts_with("Saved"), "{dom}");
    assert!(dir.join("settings.toml").exists());
}

#[test]
fn unknown_path_gets_the_404_page() {
    if !have_chromium() {
        return;
    }
    let dir = TempDir::new("dashboard-404");
    let (_petrel, port) = start(&dir);
    let dom = chromium_dump_dom(&format!("http://127.0.0.1:{port}/no/such/page"));
    assert!(dom.contains("404 · Not found"), "{dom}");
    assert!(dom.contains("href=\"/\""), "{dom}");
}
