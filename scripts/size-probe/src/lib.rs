//! Code-size and RAM probe for the SNTP and NetBIOS cores on
//! thumbv7em-none-eabihf: `cd scripts/size-probe && cargo build --release
//! --target thumbv7em-none-eabihf`, then `arm-none-eabi-nm --size-sort -S -C` on
//! the object in the archive (see BENCHMARKS.md). Not part of the workspace.
//! The only `unsafe` is `no_mangle`, which keeps the entry points (and so
//! the code they reach) in the archive.
#![no_std]
use core::net::{Ipv4Addr, SocketAddr};
use petrel_netcore::time::Instant;
#[panic_handler]
fn p(_: &core::panic::PanicInfo) -> ! {
    loop {}
}

#[unsafe(no_mangle)]
pub static SIZES: [usize; 2] = [
    core::mem::size_of::<petrel_sntp::Client<4>>(),
    core::mem::size_of::<petrel_netbios::Responder>(),
];

#[unsafe(no_mangle)]
pub fn sntp_probe(data: &[u8], buf: &mut [u8]) -> usize {
    let n = data.len();
    let s = SocketAddr::from(([198, 51, 100, 1], 123));
    let now = Instant::from_micros(n as u64);
    let mut c: petrel_sntp::Client<4> =
        petrel_sntp::Client::new(petrel_sntp::Config::default(), now);
    let _ = c.set_servers(now, &[s]);
    c.handle_timeout(now);
    let _ = c.poll_transmit(now, buf);
    c.handle_packet(now, s, data);
    let mut k = 0;
    while let Some(_) = c.poll_event() {
        k += 1;
    }
    k + c
        .wall_clock()
        .unix_time(now)
        .map_or(0, |t| t.micros as usize)
}

#[unsafe(no_mangle)]
pub fn netbios_probe(data: &[u8], buf: &mut [u8]) -> usize {
    let cfg =
        petrel_netbios::Config::new("petrel", Ipv4Addr::new(198, 51, 100, 2), [2, 0, 0, 0, 0, 1]);
    let mut r = petrel_netbios::Responder::new(cfg, Instant::ZERO);
    r.handle_timeout(Instant::ZERO);
    r.handle_packet(SocketAddr::from(([198, 51, 100, 1], 137)), None, data);
    let mut k = 0;
    while let Some(t) = r.poll_transmit(buf) {
        k += t.len;
    }
    r.release();
    while let Some(t) = r.poll_transmit(buf) {
        k += t.len;
    }
    while r.poll_event().is_some() {
        k += 1;
    }
    k
}
