//! Fuzzes the NTP parser and the SNTP client fed the input as a reply (to
//! an outstanding request and in broadcast mode).
#![no_main]

use core::net::SocketAddr;

use libfuzzer_sys::fuzz_target;
use petrel_netcore::time::Instant;
use petrel_sntp::wire::Repr;
use petrel_sntp::{Client, Config};

fuzz_target!(|data: &[u8]| {
    let _ = Repr::parse_bytes(data);
    let server = SocketAddr::from(([198, 51, 100, 1], 123));
    let now = Instant::from_secs(1);
    let mut c: Client<2> = Client::new(Config::default(), now);
    let _ = c.set_servers(now, &[server]);
    c.handle_timeout(now);
    let mut buf = [0u8; 48];
    let _ = c.poll_transmit(now, &mut buf);
    // The input as the reply, and with our transmit timestamp patched in as
    // its originate so that it reaches the sanity checks and the filter.
    c.handle_packet(now, server, data);
    if data.len() >= 48 {
        let mut reply = data.to_vec();
        reply[24..32].copy_from_slice(&buf[40..48]);
        let mut c2 = c.clone();
        c2.handle_packet(now, server, &reply);
        while c2.poll_event().is_some() {}
        let _ = c2.wall_clock().unix_time(Instant::from_secs(1 << 40));
    }
    while c.poll_event().is_some() {}
    let mut b: Client<2> = Client::new(
        Config {
            broadcast: true,
            ..Config::default()
        },
        now,
    );
    b.handle_packet(now, server, data);
    while b.poll_event().is_some() {}
});
