//! `petrel_netcore::small::parse_ipv4` (the smoltcp backend's address
//! literals) accepts exactly what `core`'s `Ipv4Addr::from_str` accepts,
//! for any string.
#![no_main]

use core::net::Ipv4Addr;

use libfuzzer_sys::fuzz_target;
use petrel_netcore::small::parse_ipv4;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = core::str::from_utf8(data) {
        assert_eq!(parse_ipv4(s), s.parse::<Ipv4Addr>().ok(), "{s:?}");
    }
});
