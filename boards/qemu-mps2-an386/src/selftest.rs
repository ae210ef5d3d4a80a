//! The in-firmware self-test (feature `selftest`), run under QEMU user
//! networking; its verdict becomes QEMU's exit code through semihosting.
//!
//! Checks, in order, each with a deadline:
//! 0. the firmware's `memcpy`, `memmove` and `memset` (`petrel-an386-mem`,
//!    in assembly) against the expected bytes, for every length up to 40,
//!    source and destination offsets 0–3 and 0–7, and overlaps both ways;
//! 1. the driver found the chip (ID_REV 0x0118_xxxx, BYTE_TEST 0x8765_4321);
//! 2. DHCP configured an address (slirp's server: 10.0.2.15; under
//!    `restrict=on` it sends no router option): UDP broadcast out and in
//!    through the driver;
//! 3. TCP: connect to the echo peer (`PETREL_SELFTEST_PEER`, by default
//!    10.0.2.100:7, which the test maps with `guestfwd=…-cmd:cat`), send
//!    16 KiB of a pattern in 1 KiB steps and check every byte comes back;
//! 4. UDP via netcore's sockets: read `selftest.txt` from slirp's TFTP
//!    server (`PETREL_SELFTEST_TFTP`, default 10.0.2.2) and compare it with
//!    [`TFTP_EXPECT`].
//!
//! The echo services run meanwhile, as in the normal firmware.

use core::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use cortex_m_semihosting::debug;
use embedded_io_async::{Read, Write};
use petrel_netcore::timer::with_timeout;
use petrel_netcore::{Clock, ConnectConfig, Duration, Network, TcpStream, UdpSocket};

use crate::Net;
use crate::lan9118::ChipInfo;
use crate::netcfg::{SELFTEST_PEER, SELFTEST_TFTP};

/// Bytes sent through the TCP echo peer.
const TCP_TOTAL: usize = 16 * 1024;
/// The file the test script serves over TFTP and its expected content.
const TFTP_FILE: &str = "selftest.txt";
/// What `selftest.txt` must contain.
pub(crate) const TFTP_EXPECT: &[u8] = b"petrel selftest\n";

/// Runs the checks and exits QEMU with the verdict.
#[embassy_executor::task]
pub(crate) async fn selftest(net: Net, chip: ChipInfo) {
    let verdict = with_timeout(&net, Duration::from_secs(60), run(net, chip)).await;
    crate::memreport::print_stack();
    match verdict {
        Ok(Ok(())) => {
            crate::log!("selftest: PASS");
            debug::exit(debug::EXIT_SUCCESS);
        }
        Ok(Err(what)) => {
            crate::log!("selftest: FAIL: {}", what);
            debug::exit(debug::EXIT_FAILURE);
        }
        Err(_) => {
            crate::log!("selftest: FAIL: overall deadline (60 s) passed");
            debug::exit(debug::EXIT_FAILURE);
        }
    }
}

/// Step 0: copies, moves and fills through `core`'s slice methods, which
/// call `memcpy`, `memmove` and `memset` for lengths not known at compile
/// time (`black_box`), checked byte by byte against the pattern.
fn mem_check() -> Result<(), &'static str> {
    use core::hint::black_box;
    const LEN: usize = 56;
    let reset = |b: &mut [u8; LEN]| {
        for (i, x) in b.iter_mut().enumerate() {
            *x = pattern(i);
        }
    };
    let mut buf = [0u8; LEN];
    let mut dst = [0u8; LEN];
    for n in 0..=40 {
        for s in 0..4 {
            for d in 0..8 {
                let (n, s, d) = (black_box(n), black_box(s), black_box(d));
                // memmove within one buffer: overlapping both ways.
                reset(&mut buf);
                buf.copy_within(s..s + n, d);
                let moved = buf.iter().enumerate().all(|(j, &x)| {
                    x == if (d..d + n).contains(&j) {
                        pattern(j - d + s)
                    } else {
                        pattern(j)
                    }
                });
                // memcpy between two buffers.
                reset(&mut buf);
                dst.fill(0);
                if let (Some(to), Some(from)) = (dst.get_mut(d..d + n), buf.get(s..s + n)) {
                    to.copy_from_slice(from);
                }
                let copied = dst.iter().enumerate().all(|(j, &x)| {
                    x == if (d..d + n).contains(&j) {
                        pattern(j - d + s)
                    } else {
                        0
                    }
                });
                // memset, with zero (memclr) and with a value.
                let mut filled = true;
                for c in [0u8, 0xa5] {
                    reset(&mut buf);
                    if let Some(to) = buf.get_mut(d..d + n) {
                        to.fill(black_box(c));
                    }
                    filled &= buf.iter().enumerate().all(|(j, &x)| {
                        x == if (d..d + n).contains(&j) {
                            c
                        } else {
                            pattern(j)
                        }
                    });
                }
                if !(moved && copied && filled) {
                    crate::log!(
                        "selftest: mem: n {} src +{} dst +{}: memmove {} memcpy {} memset {}",
                        n,
                        s,
                        d,
                        moved,
                        copied,
                        filled
                    );
                    return Err("mem: memcpy, memmove or memset wrote wrong bytes");
                }
            }
        }
    }
    crate::log!("selftest: mem ok (memcpy, memmove, memset: lengths 0-40, all offsets)");
    Ok(())
}

/// Step 0 too: 64-bit division and remainder (`__aeabi_uldivmod` and
/// `__aeabi_ldivmod`, from `petrel-an386-mem`) on known answers for each of
/// its paths, then on 2 000 pseudo-random pairs of every width, checked by
/// multiplying back.
fn div_check() -> Result<(), &'static str> {
    use core::hint::black_box;
    const KNOWN: [(u64, u64, u64, u64); 7] = [
        (1_764_072_000_123_456, 1_000_000, 0x6925_9a40, 0x1_e240),
        (u64::MAX, 25, 0x0a3d_70a3_d70a_3d70, 0xf),
        (0x1234_5678_9abc_def0, 86_400, 0xdce_f3d7_7f9c, 0xb4f0),
        (0x1234_5678_9abc_def0, 0xffff_fffb, 0x1234_5678, 0xf5c2_8f48),
        (
            0xfedc_ba98_7654_3210,
            0x1_0000_0003,
            0xfedc_ba95,
            0x79be_0251,
        ),
        (
            0xfedc_ba98_7654_3210,
            0x8000_0000_0000_0001,
            1,
            0x7edc_ba98_7654_320f,
        ),
        (5, 0x1_0000_0000, 0, 5),
    ];
    for (n, d, q, r) in KNOWN {
        let (n, d) = (black_box(n), black_box(d));
        if n / d != q || n % d != r {
            crate::log!("selftest: div: {=u64:x} / {=u64:x} wrong", n, d);
            return Err("div: a known 64-bit quotient or remainder is wrong");
        }
    }
    let (n, d) = (black_box(-20_015_998_343_868i64), black_box(1000i64));
    if (n / d, n % d, n / -d, 7 / black_box(-2i64)) != (-20_015_998_343, -868, 20_015_998_343, -3) {
        return Err("div: a signed 64-bit quotient or remainder is wrong");
    }
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..2000u32 {
        let n = next() >> (i % 61);
        let d = (next() >> ((i / 61) % 64)).max(1);
        let (q, r) = (black_box(n) / black_box(d), black_box(n) % black_box(d));
        let back = q.checked_mul(d).and_then(|p| p.checked_add(r));
        if r >= d || back != Some(n) {
            crate::log!("selftest: div: {=u64:x} / {=u64:x} wrong", n, d);
            return Err("div: a 64-bit quotient does not multiply back");
        }
    }
    crate::log!("selftest: div ok (u64 and i64 division: known answers, 2000 random pairs)");
    Ok(())
}

async fn run(net: Net, chip: ChipInfo) -> Result<(), &'static str> {
    mem_check()?;
    div_check()?;
    if chip.id_rev >> 16 != 0x0118 || chip.byte_test != 0x8765_4321 {
        return Err("driver: unexpected ID_REV or BYTE_TEST");
    }
    crate::log!(
        "selftest: driver ok (ID_REV {=u32:#010x}, BYTE_TEST {=u32:#010x})",
        chip.id_rev,
        chip.byte_test
    );

    with_timeout(&net, Duration::from_secs(20), crate::CONFIGURED.wait())
        .await
        .map_err(|_| "dhcp: no address within 20 s")?;
    let addr = net.ipv4_addr().ok_or("dhcp: configured but no address")?;
    // slirp leaves the router option out of its offers under restrict=on,
    // so a missing gateway is not a failure.
    match net.gateway() {
        Some(gw) => crate::log!("selftest: dhcp ok: {}, gateway {}", addr, gw),
        None => crate::log!("selftest: dhcp ok: {}, no router option", addr),
    }

    let t0 = net.now();
    tcp_check(net).await?;
    let ms = (net.now() - t0).as_micros() / 1000;
    crate::log!(
        "selftest: tcp echo ok: {} bytes round trip in {} ms",
        TCP_TOTAL,
        ms
    );

    let got = tftp_check(net).await?;
    crate::log!("selftest: udp (tftp) ok: read {} bytes", got);
    Ok(())
}

/// The byte at `i` of the test pattern (the echo check's and the
/// memory check's).
fn pattern(i: usize) -> u8 {
    (i.wrapping_mul(131) ^ (i >> 9)) as u8
}

async fn tcp_check(net: Net) -> Result<(), &'static str> {
    let (ip, port) = SELFTEST_PEER;
    let peer = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(ip), port));
    let mut s = net
        .tcp_connect(
            peer,
            ConnectConfig {
                timeout: Duration::from_secs(10),
            },
        )
        .await
        .map_err(|_| "tcp: connect to the echo peer failed")?;
    s.set_nodelay(true);
    let mut out = [0u8; 1024];
    let mut back = [0u8; 1024];
    let mut sent = 0;
    while sent < TCP_TOTAL {
        for (k, b) in out.iter_mut().enumerate() {
            *b = pattern(sent + k);
        }
        s.write_all(&out).await.map_err(|_| "tcp: write failed")?;
        let mut got = 0;
        while got < back.len() {
            let n = with_timeout(&net, Duration::from_secs(10), s.read(&mut back[got..]))
                .await
                .map_err(|_| "tcp: echo did not come back within 10 s")?
                .map_err(|_| "tcp: read failed")?;
            if n == 0 {
                return Err("tcp: peer closed early");
            }
            got += n;
        }
        if back != out {
            return Err("tcp: echoed bytes differ");
        }
        sent += out.len();
    }
    let _ = s.close().await;
    Ok(())
}

/// A TFTP read (RFC 1350) of one short file. Returns its length.
async fn tftp_check(net: Net) -> Result<usize, &'static str> {
    let server = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(SELFTEST_TFTP), 69));
    let mut sock = net
        .udp_bind("0.0.0.0:0".parse().map_err(|_| "udp: bad bind address")?)
        .await
        .map_err(|_| "udp: bind failed")?;
    let mut rrq = [0u8; 64];
    let mut n = 0;
    for part in [&[0u8, 1][..], TFTP_FILE.as_bytes(), &[0], b"octet", &[0]] {
        rrq.get_mut(n..n + part.len())
            .ok_or("tftp: request too long")?
            .copy_from_slice(part);
        n += part.len();
    }
    let mut buf = [0u8; 600];
    for _attempt in 0..3 {
        sock.send_to(&rrq[..n], server)
            .await
            .map_err(|_| "udp: send failed")?;
        let Ok(r) = with_timeout(&net, Duration::from_secs(3), sock.recv_from(&mut buf)).await
        else {
            continue;
        };
        let (len, meta) = r.map_err(|_| "udp: receive failed")?;
        let pkt = buf.get(..len).ok_or("udp: bad length")?;
        // DATA, block 1: opcode 3, block number 1, then the bytes.
        let data = match pkt {
            [0, 3, 0, 1, data @ ..] => data,
            [0, 5, ..] => return Err("tftp: server answered ERROR (is selftest.txt served?)"),
            _ => return Err("tftp: unexpected reply"),
        };
        let ack = [0u8, 4, 0, 1];
        let _ = sock.send_to(&ack, meta.remote).await;
        if data != TFTP_EXPECT {
            return Err("tftp: file content differs");
        }
        return Ok(data.len());
    }
    Err("tftp: no answer after 3 requests")
}
