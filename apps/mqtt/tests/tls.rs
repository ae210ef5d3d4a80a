//! MQTT over TLS (altcp's rustls layer) to mosquitto's TLS listener: the
//! right CA connects, a wrong CA is the typed TLS error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use common::*;
use petrel_altcp::Tcp;
use petrel_altcp::tls::{ClientConfig, ClientTlsStream, TlsConnector, TlsError, pem, root_store};
use petrel_mqtt::codec::{QoS, SubscriptionOptions, Version};
use petrel_mqtt::driver::{self, ConnectFailure, Connector, DriverConfig, IoBuffers};
use petrel_netcore::os::{OsNetwork, OsTcpStream};

/// The altcp TLS client as the driver's connector.
struct Tls(TlsConnector<OsNetwork>);

impl Connector<OsTcpStream> for Tls {
    type Stream = ClientTlsStream<Tcp<OsTcpStream>>;
    async fn connect(
        &self,
        tcp: Tcp<OsTcpStream>,
        server_name: &str,
    ) -> Result<Self::Stream, petrel_altcp::Error> {
        self.0.connect(tcp, server_name).await
    }
}

fn connector(ca_pem: &[u8], net: OsNetwork) -> Tls {
    let roots = root_store(&pem::certs(ca_pem).unwrap()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = ClientConfig::builder(provider)
        .roots(roots)
        .build()
        .unwrap();
    Tls(TlsConnector::new(cfg, net))
}

#[test]
fn tls_with_right_ca_works_and_wrong_ca_is_a_tls_error() {
    let dir = TempDir::new("tls");
    petrel_interop::openssl_test_pki(&dir.0).unwrap();
    let tls_port = petrel_interop::free_port();
    let _broker = Mosquitto::start(&format!(
        "listener {tls_port} 127.0.0.1\ncertfile {0}/srv.pem\nkeyfile {0}/srv.key\n",
        dir.0.display()
    ));
    let ca = std::fs::read(dir.path("ca.pem")).unwrap();
    let other = std::fs::read(dir.path("other.pem")).unwrap();
    for (name, version) in [("localhost", Version::V311), ("127.0.0.1", Version::V5)] {
        let (ca, other) = (ca.clone(), other.clone());
        local(StdDuration::from_secs(30), async move {
            let dcfg = DriverConfig {
                host: name,
                ..driver_config(tls_port)
            };
            // Right CA: connects, subscribes, round-trips a message.
            let h = Harness::new(config(version, "tls-ok"), dcfg);
            let id = h
                .mqtt
                .subscribe(&[("tls/#", SubscriptionOptions::qos(QoS::AtLeastOnce))])
                .unwrap();
            let (shared, mut rec) = (h.shared, h.rec.clone());
            let task = tokio::task::spawn_local(async move {
                let net = OsNetwork::new();
                let tls = connector(&ca, net);
                let (mut read, mut write) = ([0u8; 2048], [0u8; 2048]);
                let io = IoBuffers {
                    read: &mut read,
                    write: &mut write,
                };
                driver::run(&net, &tls, shared, &dcfg, io, &mut rec)
                    .await
                    .unwrap();
            });
            h.connected(1).await;
            h.subscribed(id).await;
            h.mqtt
                .publish("tls/a", b"secret", QoS::AtLeastOnce, false)
                .unwrap();
            let m = h
                .wait_for(StdDuration::from_secs(10), "message", |_| {
                    h.received("tls/").first().cloned()
                })
                .await;
            assert_eq!(m.1, b"secret");
            h.mqtt.disconnect();
            tokio::time::timeout(StdDuration::from_secs(10), task)
                .await
                .unwrap()
                .unwrap();

            // Wrong CA: the typed TLS error, and retries.
            let h = Harness::new(config(version, "tls-bad"), dcfg);
            let (shared, mut rec) = (h.shared, h.rec.clone());
            let task = tokio::task::spawn_local(async move {
                let net = OsNetwork::new();
                let tls = connector(&other, net);
                let (mut read, mut write) = ([0u8; 2048], [0u8; 2048]);
                let io = IoBuffers {
                    read: &mut read,
                    write: &mut write,
                };
                driver::run(&net, &tls, shared, &dcfg, io, &mut rec)
                    .await
                    .unwrap();
            });
            let cause = h
                .wait_for(StdDuration::from_secs(10), "TLS failure", |log| {
                    log.iter().find_map(|(_, r)| match r {
                        Rec::ConnectFailed { cause, .. } => Some(*cause),
                        _ => None,
                    })
                })
                .await;
            assert_eq!(
                cause,
                ConnectFailure::Tls(petrel_altcp::Error::Tls(TlsError::UnknownCa)),
                "{cause:?}"
            );
            h.mqtt.disconnect();
            tokio::time::timeout(StdDuration::from_secs(10), task)
                .await
                .unwrap()
                .unwrap();
        });
    }
}
