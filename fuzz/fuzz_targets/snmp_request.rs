//! Fuzzes the SNMP agent core: any datagram through `Agent::handle_request`
//! (v1, v2c and v3 with an authPriv user) must never panic, and every
//! response must fit the buffer and decode again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use petrel_netcore::time::Instant;
use petrel_snmp::agent::{
    Access, Agent, AgentConfig, Community, Entry, Outcome, StoredValue, TableMib, View, ViewEntry,
};
use petrel_snmp::message::Message;
use petrel_snmp::usm::crypto::{AuthProtocol, PrivProtocol};
use petrel_snmp::usm::{Engine, Secret, SecurityLevel, UserConfig};
use petrel_snmp::{Oid, Value};

static VIEW: [ViewEntry; 2] = [
    ViewEntry::include(&[1, 3, 6, 1, 2, 1]),
    ViewEntry::exclude(&[1, 3, 6, 1, 2, 1, 2]),
];

static COMMUNITIES: [Community<'static>; 2] = [
    Community {
        name: b"public",
        access: Access::ReadOnly,
        read_view: View::All,
        write_view: View::Nothing,
    },
    Community {
        name: b"private",
        access: Access::ReadWrite,
        read_view: View::Subtrees(&VIEW),
        write_view: View::Subtrees(&VIEW),
    },
];

fuzz_target!(|data: &[u8]| {
    let config = AgentConfig {
        communities: &COMMUNITIES,
        ..AgentConfig::default()
    };
    let mut agent: Agent<'_, 1> =
        Agent::new(config, Engine::new(b"\x80\x00\x1f\x88\x04fuzz", 0, Instant::ZERO));
    // Localized keys: the 1 MiB password hashing would slow fuzzing down.
    let _ = agent.add_user(&UserConfig {
        name: b"alice",
        auth: Some((AuthProtocol::HmacSha1, Secret::Localized(&[7; 20]))),
        privacy: Some((PrivProtocol::Des, Secret::Localized(&[8; 16]))),
        min_level: SecurityLevel::NoAuthNoPriv,
        access: Access::ReadWrite,
        read_view: View::All,
        write_view: View::All,
    });
    let mut entries = [
        Entry {
            oid: Oid::new(&[1, 3, 6, 1, 2, 1, 1, 1, 0]),
            value: StoredValue::String(heapless::Vec::from_slice(b"fuzz").unwrap_or_default()),
            access: Access::ReadWrite,
        },
        Entry {
            oid: Oid::new(&[1, 3, 6, 1, 2, 1, 2, 1, 0]),
            value: StoredValue::Plain(Value::Integer(1)),
            access: Access::ReadOnly,
        },
        Entry {
            oid: Oid::new(&[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1]),
            value: StoredValue::Plain(Value::Counter64(5)),
            access: Access::ReadOnly,
        },
    ];
    let mut mib: TableMib<'_, 64> = TableMib::new(&mut entries);
    let mut request = data.to_vec();
    let mut response = [0u8; 1500];
    if let Outcome::Respond(n) =
        agent.handle_request(Instant::from_secs(1), &mut request, &mut response, &mut mib)
    {
        assert!(n <= response.len());
        assert!(Message::decode(&response[..n], 10_000).is_ok());
    }
});
