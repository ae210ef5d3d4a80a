//! Fuzzes the NetBIOS name service parser and the responder (registered,
//! and while registering).
#![no_main]

use core::net::{Ipv4Addr, SocketAddr};

use libfuzzer_sys::fuzz_target;
use petrel_netbios::wire::Repr;
use petrel_netbios::{Config, Responder};
use petrel_netcore::time::{Duration, Instant};

fuzz_target!(|data: &[u8]| {
    let _ = Repr::parse(data);
    let from = SocketAddr::from(([198, 51, 100, 1], 137));
    let cfg = Config::new("petrel", Ipv4Addr::new(198, 51, 100, 2), [2, 0, 0, 0, 0, 1]);
    let mut r = Responder::new(cfg, Instant::ZERO);
    let mut buf = [0u8; 576];
    r.handle_timeout(Instant::ZERO);
    while r.poll_transmit(&mut buf).is_some() {}
    let mut registering = r.clone();
    registering.handle_packet(from, None, data);
    while registering.poll_transmit(&mut buf).is_some() {}
    for ms in [250u64, 500, 750] {
        r.handle_timeout(Instant::ZERO + Duration::from_millis(ms));
        while r.poll_transmit(&mut buf).is_some() {}
    }
    r.handle_packet(from, Some(Ipv4Addr::new(203, 0, 113, 9)), data);
    while r.poll_transmit(&mut buf).is_some() {}
    while r.poll_event().is_some() {}
});
