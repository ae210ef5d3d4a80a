//! The async driver over two smoltcp stacks on the simulated link: the
//! responder on `b` (198.51.100.2) joins 224.0.0.251 and answers multicast
//! and legacy unicast queries from `a`; stopping it sends goodbyes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;

use petrel_mdns::driver::{self, Note};
use petrel_mdns::responder::MDNS_DEST;
use petrel_mdns::wire::{Section, Writer, rtype};
use petrel_mdns::{Event, Name, Owner, Responder, ResponderConfig, ServiceSpec};
use petrel_netcore::sim::{self, SimConfig};
use petrel_netcore::time::Duration;
use petrel_netcore::timer::{Clock, with_timeout};
use petrel_netcore::{Network, UdpSocket};

fn query(name: &str, t: u16, id: u16) -> Vec<u8> {
    let mut buf = [0u8; 512];
    let mut w = Writer::new(&mut buf, id, 0).unwrap();
    w.question(&Name::from_dotted(name).unwrap(), t, false)
        .unwrap();
    let n = w.finish();
    buf[..n].to_vec()
}

#[test]
fn responder_over_smoltcp_multicast_legacy_and_goodbye() {
    sim::block_on(async {
        let (a, b, _link) = sim::pair(SimConfig::default().seed(11));
        let responder_task = async {
            let mut sock = driver::bind(&b).await.unwrap();
            let mut r: Responder<'_, 2> =
                Responder::new(ResponderConfig::default(), "petrel", 5).unwrap();
            let now = b.now();
            r.add_service(
                now,
                ServiceSpec {
                    instance: "Dash",
                    service_type: "_http._tcp",
                    subtypes: &[],
                    port: 80,
                    txt: b"\x06path=/",
                },
            )
            .unwrap();
            r.set_address(now, b.ipv4_addr());
            let mut buf = [0u8; 1500];
            let mut notes = Vec::new();
            driver::run(
                &b,
                &mut sock,
                &mut r,
                driver::NoQuerier,
                &mut buf,
                b.sleep(Duration::from_secs(30)),
                &mut |n, _| notes.push(n),
            )
            .await
            .unwrap();
            notes
        };
        let peer_task = async {
            let mut mc = driver::bind(&a).await.unwrap();
            let mut buf = [0u8; 1500];
            // Wait for the announcement (multicast delivered to a's socket).
            let mut announced = false;
            for _ in 0..20 {
                let Ok(Ok((n, _))) =
                    with_timeout(&a, Duration::from_secs(5), mc.recv_from(&mut buf)).await
                else {
                    break;
                };
                let (h, _, rows) = common::decode(&buf[..n]);
                if h.is_response()
                    && rows
                        .iter()
                        .any(|r| r.rtype == rtype::A && r.data == "198.51.100.2")
                {
                    announced = true;
                    break;
                }
            }
            assert!(announced, "announcement received over multicast");
            a.sleep(Duration::from_secs(3)).await;
            // Multicast query, multicast answer.
            mc.send_to(&query("petrel.local", rtype::A, 0), MDNS_DEST)
                .await
                .unwrap();
            let (n, meta) = with_timeout(&a, Duration::from_secs(2), mc.recv_from(&mut buf))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                meta.remote,
                "198.51.100.2:5353".parse::<SocketAddr>().unwrap()
            );
            let (_, _, rows) = common::decode(&buf[..n]);
            assert!(
                rows.iter()
                    .any(|r| r.section == Section::Answer && r.data == "198.51.100.2")
            );
            // Legacy unicast from an ephemeral port.
            let mut uc = a.udp_bind("0.0.0.0:0".parse().unwrap()).await.unwrap();
            uc.send_to(
                &query("Dash._http._tcp.local", rtype::SRV, 0xbeef),
                "198.51.100.2:5353".parse().unwrap(),
            )
            .await
            .unwrap();
            let (n, _) = with_timeout(&a, Duration::from_secs(2), uc.recv_from(&mut buf))
                .await
                .unwrap()
                .unwrap();
            let (h, qs, rows) = common::decode(&buf[..n]);
            assert_eq!((h.id, qs.len()), (0xbeef, 1));
            assert!(
                rows.iter()
                    .any(|r| r.rtype == rtype::SRV && r.data == "80 petrel.local" && r.ttl <= 10)
            );
            // Goodbye when the responder stops (at 30 s).
            let mut goodbye = false;
            for _ in 0..20 {
                let Ok(Ok((n, _))) =
                    with_timeout(&a, Duration::from_secs(40), mc.recv_from(&mut buf)).await
                else {
                    break;
                };
                let (h, _, rows) = common::decode(&buf[..n]);
                if h.is_response() && !rows.is_empty() && rows.iter().all(|r| r.ttl == 0) {
                    goodbye = rows
                        .iter()
                        .any(|r| r.rtype == rtype::PTR && r.data == "Dash._http._tcp.local");
                    break;
                }
            }
            goodbye
        };
        let (notes, goodbye) = embassy_futures::join::join(responder_task, peer_task).await;
        assert!(goodbye, "goodbye received");
        assert!(notes.contains(&Note::Responder(Event::Claimed(Owner::Host))));
        assert!(notes.contains(&Note::Responder(Event::Finished)));
    });
}
