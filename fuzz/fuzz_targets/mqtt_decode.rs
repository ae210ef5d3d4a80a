//! Decodes arbitrary bytes as MQTT 3.1.1 and MQTT 5: must never panic, and
//! whatever decodes must re-encode to something that decodes again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use petrel_mqtt::codec::{decode, decode_publish_head, encode, Version};

fuzz_target!(|data: &[u8]| {
    for version in [Version::V311, Version::V5] {
        for max in [u32::MAX, 64] {
            let _ = decode_publish_head(data, version, max);
            let mut rest = data;
            // Each decoded packet consumes at least 2 bytes: bounded.
            while let Ok(Some((packet, used))) = decode(rest, version, max) {
                let mut out = [0u8; 1024];
                if let Ok(n) = encode(&packet, version, &mut out) {
                    assert!(matches!(decode(&out[..n], version, u32::MAX), Ok(Some(_))));
                }
                rest = &rest[used..];
            }
        }
    }
});
