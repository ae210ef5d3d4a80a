//! Fuzzes the mDNS message reader (names with compression pointers, every
//! record type's rdata) and the responder and querier fed with the same
//! bytes as a query from a legacy port, a query from 5353 and a response.
#![no_main]

use libfuzzer_sys::fuzz_target;
use petrel_mdns::wire::Reader;
use petrel_mdns::{Querier, Responder, ResponderConfig, ServiceSpec};
use petrel_netcore::time::{Duration, Instant};

fuzz_target!(|data: &[u8]| {
    if let Ok(mut r) = Reader::new(data) {
        while let Some(q) = r.question() {
            if q.is_err() {
                break;
            }
        }
        while let Some(rec) = r.record() {
            match rec {
                Ok((_, rec)) => {
                    let _ = rec.data();
                }
                Err(_) => break,
            }
        }
    }
    let mut resp: Responder<'_, 2> =
        Responder::new(ResponderConfig::default(), "petrel", 1).unwrap();
    let mut now = Instant::from_secs(1);
    resp.add_service(
        now,
        ServiceSpec {
            instance: "Dash",
            service_type: "_http._tcp",
            subtypes: &["_sub"],
            port: 80,
            txt: b"\x06path=/",
        },
    )
    .unwrap();
    resp.set_address(now, Some([198, 51, 100, 2].into()));
    let mut buf = [0u8; 1500];
    // Claim the names, then feed the input three ways.
    for _ in 0..50 {
        while resp.poll_transmit(now, &mut buf).is_some() {}
        match resp.poll_timeout() {
            Some(t) if t <= now + Duration::from_secs(10) => now = now.max(t),
            _ => break,
        }
    }
    let mut q: Querier<2, 8> = Querier::new();
    let _ = q.browse(now, "_http._tcp");
    for from in ["198.51.100.1:40000", "198.51.100.1:5353"] {
        let _ = resp.handle_packet(now, data, from.parse().unwrap());
        let _ = q.handle_packet(now, data);
        now += Duration::from_millis(200);
        while resp.poll_transmit(now, &mut buf).is_some() {}
        while q.poll_transmit(now, &mut buf).is_some() {}
    }
});
