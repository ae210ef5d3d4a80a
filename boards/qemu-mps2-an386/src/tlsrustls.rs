//! Feature `tls-size-rustls`, for measurement only (BENCHMARKS.md, "TLS"):
//! links a rustls 0.23 TLS 1.3 **server** with petrel-altcp's pure-Rust
//! crypto provider (`tls::rustcrypto`) into the firmware — a
//! `ServerConfig` with an embedded ECDSA P-256 certificate and key, and
//! `UnbufferedServerConnection` through petrel-altcp's server handshake
//! (`tls::accept`, what its `TlsAcceptor` runs) over one TCP socket (tcp/4433, echo) — so that `./size-report.sh
//! --no-default-features --features tls-size-rustls` shows what rustls and
//! the provider add. rustls needs a heap: this feature adds a global
//! allocator over a fixed [`HEAP_BYTES`] region that records its peak use,
//! printed after each handshake.
//!
//! **This is a size probe, not a usable TLS endpoint:**
//! - QEMU's mps2-an386 has no TRNG, so the entropy source here is a
//!   xorshift generator seeded from the boot seed (the LAN9118 free-running
//!   counter and the MAC): it is NOT a cryptographic generator, and every
//!   key exchange it feeds is predictable. A product passes its chip's TRNG
//!   to `RustCrypto::new`.
//! - The certificate and private key in `src/tlsprobe/` are public test
//!   data (self-signed, `CN=petrel-probe.invalid`), not a secret.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::Cell;
use core::mem::MaybeUninit;
use core::net::{Ipv4Addr, SocketAddr};
use core::sync::atomic::{AtomicUsize, Ordering};

extern crate alloc;
use alloc::sync::Arc;
use alloc::vec;

use critical_section::Mutex;
use embedded_alloc::LlffHeap;
use embedded_io_async::{Read, Write};
use petrel_altcp::tls::rustcrypto::RustCrypto;
use petrel_altcp::tls::rustls::crypto::{GetRandomFailed, SecureRandom};
use petrel_altcp::tls::rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime,
};
use petrel_altcp::tls::rustls::time_provider::TimeProvider;
use petrel_altcp::tls::rustls::{self, version};
use petrel_altcp::tls::{self, Limits, ServerConfig};
use petrel_altcp::{Listener, Stream, TcpAcceptor};
use petrel_netcore::{Clock, Duration, ListenConfig, Network};
use static_cell::ConstStaticCell;

use crate::{Addr, Net};

/// The TLS port.
const PORT: u16 = 4433;
/// The heap rustls allocates from (configuration, handshake state, and
/// petrel-altcp's record buffers at the default [`Limits`]).
pub(crate) const HEAP_BYTES: usize = 96 * 1024;

/// The probe's certificate (DER, self-signed ECDSA P-256).
static CERT: &[u8] = include_bytes!("tlsprobe/cert.der");
/// Its private key (PKCS#8 DER): public test data, see the module docs.
static KEY: &[u8] = include_bytes!("tlsprobe/key.der");

/// The global allocator: embedded-alloc's linked-list heap, counting the
/// bytes in use and their peak.
struct PeakHeap {
    heap: LlffHeap,
    used: AtomicUsize,
    peak: AtomicUsize,
}

#[global_allocator]
static HEAP: PeakHeap = PeakHeap {
    heap: LlffHeap::empty(),
    used: AtomicUsize::new(0),
    peak: AtomicUsize::new(0),
};

static HEAP_MEM: ConstStaticCell<[MaybeUninit<u8>; HEAP_BYTES]> =
    ConstStaticCell::new([MaybeUninit::uninit(); HEAP_BYTES]);

// SAFETY: every call is forwarded unchanged to `LlffHeap`, whose
// `GlobalAlloc` implementation upholds the contract; the counters only
// observe sizes.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for PeakHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { self.heap.alloc(layout) };
        if !p.is_null() {
            let now = self.used.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            self.peak.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.heap.dealloc(ptr, layout) };
        self.used.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

/// Hands the heap its memory; once, before the first allocation.
fn init_heap() {
    let mem = HEAP_MEM.take();
    // SAFETY: `mem` is a `'static` region of `HEAP_BYTES` bytes that
    // nothing else references (`ConstStaticCell::take` hands it out once,
    // and panics on a second call), and this runs before any allocation.
    #[allow(unsafe_code)]
    unsafe {
        HEAP.heap.init(mem.as_mut_ptr() as usize, HEAP_BYTES)
    };
}

/// The probe's entropy (see the module docs: NOT for real use).
struct ProbeRandom(Mutex<Cell<u64>>);

impl core::fmt::Debug for ProbeRandom {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ProbeRandom (xorshift, not cryptographic)")
    }
}

impl SecureRandom for ProbeRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
        critical_section::with(|cs| {
            let state = self.0.borrow(cs);
            let mut x = state.get();
            if x == 0 {
                return Err(GetRandomFailed);
            }
            for chunk in buf.chunks_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let bytes = x.to_le_bytes();
                chunk.copy_from_slice(bytes.get(..chunk.len()).unwrap_or(&[]));
            }
            state.set(x);
            Ok(())
        })
    }
}

static RANDOM: ProbeRandom = ProbeRandom(Mutex::new(Cell::new(0)));
static CRYPTO: RustCrypto = RustCrypto::new(&RANDOM);

/// No wall clock without SNTP: the server asks for the time only to
/// issue session tickets (off here) and to check client certificates
/// (not requested).
#[derive(Debug)]
struct SntpTime;

impl TimeProvider for SntpTime {
    fn current_time(&self) -> Option<UnixTime> {
        let ms = crate::status::unix_ms(crate::CLOCK.now())?;
        Some(UnixTime::since_unix_epoch(
            core::time::Duration::from_millis(ms),
        ))
    }
}

fn config() -> Result<ServerConfig, rustls::Error> {
    let provider = Arc::new(CRYPTO.provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(KEY));
    let mut c = rustls::ServerConfig::builder_with_details(provider, Arc::new(SntpTime))
        .with_protocol_versions(&[&version::TLS13])?
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(CERT)], key)?;
    c.send_tls13_tickets = 0;
    Ok(ServerConfig::from_rustls(
        Arc::new(c),
        Limits::default(),
        Duration::from_secs(30),
    ))
}

fn heap_line(what: &str) {
    crate::log!(
        "tls-rustls: heap {}: {} B in use, peak {} B (of {})",
        what,
        HEAP.used.load(Ordering::Relaxed),
        HEAP.peak.load(Ordering::Relaxed),
        HEAP_BYTES
    );
}

/// The TLS echo server: one connection at a time; logs every handshake's
/// outcome and the heap's use.
#[embassy_executor::task]
pub(crate) async fn serve(net: Net, seed: u64) {
    init_heap();
    critical_section::with(|cs| RANDOM.0.borrow(cs).set(seed | 1));
    let cfg = match config() {
        Ok(c) => c,
        Err(e) => {
            crate::log!("tls-rustls: configuration: {}", defmt::Display2Format(&e));
            return;
        }
    };
    heap_line("after configuration");
    let any = SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), PORT);
    let listener = match net.tcp_listen(any, ListenConfig::default()).await {
        Ok(l) => l,
        Err(e) => {
            crate::log!("tls-rustls: cannot listen on {}: {}", Addr(any), e);
            return;
        }
    };
    crate::log!(
        "tls-rustls: size probe (NOT a secure endpoint) on {}",
        Addr(any)
    );
    let mut tcp = TcpAcceptor::new(listener);
    loop {
        let stream = match tcp.accept().await {
            Ok(s) => s,
            Err(e) => {
                crate::log!("tls-rustls: accept: {}", e);
                continue;
            }
        };
        let peer = stream.peer_addr();
        HEAP.peak
            .store(HEAP.used.load(Ordering::Relaxed), Ordering::Relaxed);
        let started = net.now();
        // petrel-altcp's server handshake (what `TlsAcceptor` runs), timed
        // on its own.
        let mut s = match tls::accept(stream, &cfg, &net).await {
            Ok(s) => s,
            Err(e) => {
                tls::log_failure(peer, &e);
                crate::log!("tls-rustls: handshake failed: {}", e);
                continue;
            }
        };
        let took = net.now().saturating_duration_since(started);
        crate::log!(
            "tls-rustls: handshake done in {} ms of QEMU time, {:?}",
            took.as_millis(),
            defmt::Debug2Format(&s.cipher_suite().map(|c| c.suite()))
        );
        heap_line("handshake peak / established");
        let mut buf = [0u8; 512];
        let mut total = 0usize;
        let end = loop {
            match s.read(&mut buf).await {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    total += n;
                    if let Err(e) = s.write_all(buf.get(..n).unwrap_or(&[])).await {
                        break Err(e);
                    }
                }
                Err(e) => break Err(e),
            }
        };
        let _ = s.close().await;
        crate::log!("tls-rustls: session ended after {} B: {:?}", total, end);
        heap_line("peak over the session");
    }
}
