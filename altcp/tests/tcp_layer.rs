//! altcp's plain-TCP layer over the simulated link.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use embedded_io_async::{Read, Write};
use petrel_netcore::sim::{self, ADDR_A, ADDR_B, SimConfig};
use petrel_netcore::{ConnectConfig, ListenConfig, Network, TcpError};

fn addr(ip: Ipv4Addr, port: u16) -> SocketAddr {
    SocketAddr::new(ip.into(), port)
}

#[test]
fn altcp_tcp_layer_over_the_sim() {
    use petrel_altcp::{Listener, Stream, Tcp, TcpAcceptor};
    sim::block_on(async {
        let (a, b, _) = sim::pair(SimConfig::default());
        let mut acceptor = TcpAcceptor::new(
            b.tcp_listen(addr(ADDR_B, 443), ListenConfig::default())
                .await
                .unwrap(),
        );
        assert_eq!(acceptor.local_addr(), addr(ADDR_B, 443));
        let c = a
            .tcp_connect(addr(ADDR_B, 443), ConnectConfig::default())
            .await
            .unwrap();
        let mut c = Tcp::new(c);
        let mut s = acceptor.accept().await.unwrap();
        assert_eq!(s.peer_addr().map(|p| p.ip()), Some(IpAddr::V4(ADDR_A)));
        c.write_all(b"over altcp").await.unwrap();
        c.flush().await.unwrap();
        let mut buf = [0u8; 10];
        s.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"over altcp");
        Stream::shutdown(&mut c).await.unwrap();
        assert_eq!(s.read(&mut buf).await, Ok(0));
        s.abort();
        let r = c.read(&mut buf).await;
        assert_eq!(r, Err(petrel_altcp::Error::Tcp(TcpError::Reset)));
    });
}
