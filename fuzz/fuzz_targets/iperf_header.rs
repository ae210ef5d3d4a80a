//! Fuzzes the iperf header/report parsers and the session cores.
#![no_main]

use libfuzzer_sys::fuzz_target;
use petrel_iperf::{ClientHeader, ServerReport, TcpServerSession, UdpHeader, UdpServer};
use petrel_netcore::time::Instant;

fuzz_target!(|data: &[u8]| {
    let _ = ClientHeader::parse(data);
    let _ = UdpHeader::parse(data);
    let _ = ServerReport::parse(data);
    let mut s = TcpServerSession::new(Instant::ZERO, 1, None);
    s.handle_data(Instant::ZERO, data);
    s.handle_close(Instant::from_secs(1));
    while s.poll_event().is_some() {}
    let mut u: UdpServer<u8, 2> = UdpServer::new();
    u.handle_datagram(Instant::ZERO, 1, data);
    let mut out = [0u8; 256];
    while u.poll_transmit(&mut out).is_some() {}
});
