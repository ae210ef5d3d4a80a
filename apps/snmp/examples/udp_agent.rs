//! A tiny host agent over `std::net::UdpSocket`, for trying the core with
//! net-snmp's tools (`snmpget`, `snmpwalk`, `snmpbulkwalk`, `snmpset`):
//!
//! ```text
//! cargo run -p petrel-snmp --example udp_agent -- 127.0.0.1:16161 [seconds]
//! snmpwalk -v2c -c public 127.0.0.1:16161 1.3.6.1.2.1.1
//! snmpget -v3 -l authPriv -u alice -a SHA -A maplesyrup -x AES -X maplesyrup 127.0.0.1:16161 1.3.6.1.2.1.1.1.0
//! ```
//!
//! Users: alice (SHA/AES), bob (MD5/DES), carol (SHA-256/AES-256),
//! dave (MD5/AES-256), erin (SHA/AES-192), frank (SHA-512/AES-192 Reeder,
//! net-snmp `AES192C`), all with password
//! `maplesyrup`; communities `public` (read-only) and `private`
//! (read-write).

use std::net::UdpSocket;
use std::time::{Duration as StdDuration, Instant as StdInstant};

use petrel_netcore::time::Instant;
use petrel_snmp::agent::{
    Access, Agent, AgentConfig, Community, Entry, Outcome, StoredValue, TableMib, View,
};
use petrel_snmp::usm::crypto::{AuthProtocol, PrivProtocol};
use petrel_snmp::usm::{Engine, Secret, SecurityLevel, UserConfig};
use petrel_snmp::{Oid, Value};

fn string(s: &[u8]) -> StoredValue {
    StoredValue::String(heapless::Vec::from_slice(s).unwrap_or_default())
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:16161".into());
    let secs: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(60);
    let sock = UdpSocket::bind(&addr)?;
    sock.set_read_timeout(Some(StdDuration::from_millis(200)))?;

    let communities = [
        Community {
            name: b"public",
            access: Access::ReadOnly,
            read_view: View::All,
            write_view: View::Nothing,
        },
        Community {
            name: b"private",
            access: Access::ReadWrite,
            read_view: View::All,
            write_view: View::All,
        },
    ];
    let config = AgentConfig {
        communities: &communities,
        max_message_size: 65507,
        ..AgentConfig::default()
    };
    let start = StdInstant::now();
    let now = || Instant::from_micros(start.elapsed().as_micros() as u64);
    let engine = Engine::new(b"\x80\x00\x1f\x88\x04petrel", 0, now());
    let mut agent: Agent<'_, 6> = Agent::new(config, engine);
    let users = [
        (&b"alice"[..], AuthProtocol::HmacSha1, PrivProtocol::Aes128),
        (b"bob", AuthProtocol::HmacMd5, PrivProtocol::Des),
        (b"carol", AuthProtocol::HmacSha256, PrivProtocol::Aes256),
        (b"dave", AuthProtocol::HmacMd5, PrivProtocol::Aes256),
        (b"erin", AuthProtocol::HmacSha1, PrivProtocol::Aes192),
        (
            b"frank",
            AuthProtocol::HmacSha512,
            PrivProtocol::Aes192Reeder,
        ),
    ];
    for (name, a, p) in users {
        agent
            .add_user(&UserConfig {
                name,
                auth: Some((a, Secret::Password(b"maplesyrup"))),
                privacy: Some((p, Secret::Password(b"maplesyrup"))),
                min_level: SecurityLevel::AuthNoPriv,
                access: Access::ReadWrite,
                read_view: View::All,
                write_view: View::All,
            })
            .map_err(|e| std::io::Error::other(e.to_string()))?;
    }
    let sys = |n: u32| Oid::new(&[1, 3, 6, 1, 2, 1, 1, n, 0]);
    let mut entries = [
        Entry {
            oid: sys(1),
            value: string(b"Petrel SNMP agent (example)"),
            access: Access::ReadOnly,
        },
        Entry {
            oid: sys(2),
            value: StoredValue::Plain(Value::ObjectId(Oid::new(&[1, 3, 6, 1, 4, 1, 26381]))),
            access: Access::ReadOnly,
        },
        Entry {
            oid: sys(3),
            value: StoredValue::Plain(Value::TimeTicks(0)),
            access: Access::ReadOnly,
        },
        Entry {
            oid: sys(4),
            value: string(b"ops@example.invalid"),
            access: Access::ReadWrite,
        },
        Entry {
            oid: sys(5),
            value: string(b"petrel"),
            access: Access::ReadWrite,
        },
        Entry {
            oid: sys(6),
            value: string(b"lab"),
            access: Access::ReadWrite,
        },
        Entry {
            oid: Oid::new(&[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1]),
            value: StoredValue::Plain(Value::Counter64(1 << 40)),
            access: Access::ReadOnly,
        },
    ];
    let mut mib: TableMib<'_, 64> = TableMib::new(&mut entries);
    let mut req = [0u8; 65535];
    let mut resp = [0u8; 65535];
    while start.elapsed().as_secs() < secs {
        let Ok((n, peer)) = sock.recv_from(&mut req) else {
            continue;
        };
        let out = agent.handle_request(now(), &mut req[..n], &mut resp, &mut mib);
        match out {
            Outcome::Respond(len) => {
                sock.send_to(&resp[..len], peer)?;
            }
            Outcome::Drop(why) => eprintln!("{peer}: {why}"),
        }
        while let Some(e) = agent.poll_event() {
            eprintln!("event: {e:?}");
        }
    }
    Ok(())
}
