//! Fuzzes the TFTP parser, the server front and a running transfer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use petrel_netcore::time::Instant;
use petrel_tftp::{Decision, RamFs, Repr, Server, ServerConfig};

fuzz_target!(|data: &[u8]| {
    let _ = Repr::parse_bytes(data);
    let mut fs: RamFs<2, 2048> = RamFs::new();
    let _ = fs.insert(b"f", &[0x41; 1500]);
    let server = Server::new(ServerConfig::default());
    let mut reply = [0u8; 128];
    let now = Instant::ZERO;
    let _ = server.handle_request(now, &mut fs, 0, data, &mut reply);
    // A transfer fed the input as its peer's packet.
    let rrq = b"\x00\x01f\x00octet\x00windowsize\x004\x00";
    if let Decision::Accept(mut t) = server.handle_request(now, &mut fs, 0, rrq, &mut reply) {
        let mut buf = [0u8; 2048];
        t.handle_packet(now, &mut fs, true, b"\x00\x04\x00\x00");
        while t.poll_transmit(&mut fs, &mut buf).is_some() {}
        t.handle_packet(now, &mut fs, true, data);
        while t.poll_transmit(&mut fs, &mut buf).is_some() {}
    }
});
