//! Feature `tls-size`, for measurement only (BENCHMARKS.md, "TLS"): links
//! petrel-altcp's no-heap embedded-tls client (TLS 1.3, AES-128-GCM, P-256
//! certificate verification) into the firmware by running one TLS
//! connection to `PETREL_MQTT_BROKER`'s address on port 8883, so that
//! `./size-report.sh --features tls-size` shows what the client adds.
//!
//! The random generator here is a xorshift seeded from the boot seed: it
//! is NOT a cryptographic generator, which is why this module is a size
//! probe and not a TLS client for use. A product would take entropy from
//! the MCU's TRNG.

use core::net::{IpAddr, SocketAddr};

use petrel_altcp::Tcp;
use petrel_altcp::tls::embedded::{self, ClientBuffers, NoClock, Verifying};
use petrel_netcore::{ConnectConfig, Duration, Network};
use rand_core::{CryptoRng, RngCore};
use static_cell::ConstStaticCell;

use crate::Net;

/// Record buffers: a full 16 KiB record in, small records out.
type Buffers = ClientBuffers<16_640, 2048>;
static BUFFERS: ConstStaticCell<Buffers> = ConstStaticCell::new(Buffers::new());

/// The probe's generator (see the module docs: not for real use).
struct Xorshift(u64);

impl RngCore for Xorshift {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(v.get(..chunk.len()).unwrap_or(&[]));
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

// Only so that the size probe type-checks; see the module docs.
impl CryptoRng for Xorshift {}

/// One TLS connection, a write and a read; logs the outcome.
#[embassy_executor::task]
pub(crate) async fn probe(net: Net, host: &'static str, seed: u64) {
    let Ok(ip) = host.parse::<IpAddr>() else {
        return;
    };
    let peer = SocketAddr::new(ip, 8883);
    let tcp = match net.tcp_connect(peer, ConnectConfig::default()).await {
        Ok(s) => Tcp::new(s),
        Err(e) => {
            crate::log!("tls-size: connect {}: {}", peer, e);
            return;
        }
    };
    let provider: Verifying<'_, _, NoClock> = Verifying::new(Xorshift(seed | 1), &[]);
    match embedded::connect(
        tcp,
        host,
        None,
        BUFFERS.take(),
        provider,
        &net,
        Duration::from_secs(10),
    )
    .await
    {
        Ok(mut tls) => {
            use embedded_io_async::{Read, Write};
            let mut buf = [0u8; 64];
            let r = match tls.write_all(b"ping").await {
                Ok(()) => tls.read(&mut buf).await.map(|_| ()),
                Err(e) => Err(e),
            };
            crate::log!("tls-size: session to {}: {:?}", peer, r);
        }
        Err(e) => crate::log!("tls-size: handshake with {}: {}", peer, e),
    }
}
