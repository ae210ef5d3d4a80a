//! Crate tests with real bytes. Captures marked "net-snmp 5.9.3" were
//! recorded from `snmpget`/`snmpgetnext`/`snmpbulkget`/`snmpset` sending to
//! a Python UDP socket on 127.0.0.1.

// With `v3` off, `Message` has one variant, so the tests' let-else
// patterns on it are irrefutable.
#![cfg_attr(not(feature = "v3"), allow(irrefutable_let_patterns))]

mod agent_v2;
#[cfg(feature = "usm")]
mod agent_v3;
mod codec;
// Its v3 user has authentication and privacy keys: needs `usm`.
#[cfg(feature = "usm")]
mod fuzz;
mod traps;

use crate::agent::{Access, Agent, AgentConfig, Community, Entry, StoredValue, View, ViewEntry};
use crate::oid::Oid;
use crate::usm::Engine;
use crate::value::Value;
use petrel_netcore::time::Instant;

pub(crate) fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// net-snmp 5.9.3: `snmpget -v2c -c public 1.3.6.1.2.1.1.1.0`.
pub(crate) const CAP_GET_V2C: &str =
    "302902010104067075626c6963a01c02047672cee8020100020100300e300c06082b060102010101000500";
/// net-snmp 5.9.3: `snmpgetnext -v1 -c public 1.3.6.1.2.1.1`.
pub(crate) const CAP_GETNEXT_V1: &str =
    "302702010004067075626c6963a11a020436038beb020100020100300c300a06062b06010201010500";
/// net-snmp 5.9.3: `snmpbulkget -v2c -c public -Cn1 -Cr5 sysDescr.0 interfaces`.
pub(crate) const CAP_BULK_V2C: &str = "303502010104067075626c6963a52802044569254d020101020105301a300c06082b060102010101000500300a06062b06010201020500";
/// net-snmp 5.9.3: `snmpset -v2c -c private sysName.0 s petrel-node`.
pub(crate) const CAP_SET_V2C: &str = "3035020101040770726976617465a327020437ad9cc50201000201003019301706082b06010201010500040b70657472656c2d6e6f6465";
/// net-snmp 5.9.3: the engine-ID discovery probe `snmpget -v3` sends first.
pub(crate) const CAP_V3_DISCOVERY: &str = "303e0201033011020451c2163b020300ffe30401040201030410300e0400020100020100040004000400301404000400a00e02047e5bf07a0201000201003000";

pub(crate) const ENGINE_ID: &[u8] = b"\x80\x00\x1f\x88\x04petrel";

pub(crate) fn sys(n: u32) -> Oid {
    Oid::new(&[1, 3, 6, 1, 2, 1, 1, n, 0])
}

pub(crate) fn entries() -> Vec<Entry> {
    let s = |b: &[u8]| StoredValue::String(heapless::Vec::from_slice(b).unwrap());
    vec![
        Entry {
            oid: sys(1),
            value: s(b"Petrel"),
            access: Access::ReadOnly,
        },
        Entry {
            oid: sys(3),
            value: StoredValue::Plain(Value::TimeTicks(4242)),
            access: Access::ReadOnly,
        },
        Entry {
            oid: sys(4),
            value: s(b"ops"),
            access: Access::ReadWrite,
        },
        Entry {
            oid: sys(5),
            value: s(b"petrel"),
            access: Access::ReadWrite,
        },
        Entry {
            oid: sys(6),
            value: s(b"lab"),
            access: Access::ReadWrite,
        },
        Entry {
            oid: Oid::new(&[1, 3, 6, 1, 2, 1, 2, 1, 0]),
            value: StoredValue::Plain(Value::Integer(2)),
            access: Access::ReadOnly,
        },
        Entry {
            oid: Oid::new(&[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1]),
            value: StoredValue::Plain(Value::Counter64(1 << 40)),
            access: Access::ReadOnly,
        },
        Entry {
            oid: Oid::new(&[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 2]),
            value: StoredValue::Plain(Value::Counter64(7)),
            access: Access::ReadOnly,
        },
        Entry {
            oid: Oid::new(&[1, 3, 6, 1, 4, 1, 9999, 1, 0]),
            value: StoredValue::Plain(Value::Gauge32(9)),
            access: Access::ReadOnly,
        },
    ]
}

/// Only MIB-2 minus the interfaces group is visible to "limited".
pub(crate) static LIMITED_VIEW: [ViewEntry; 2] = [
    ViewEntry::include(&[1, 3, 6, 1, 2, 1]),
    ViewEntry::exclude(&[1, 3, 6, 1, 2, 1, 2]),
];

pub(crate) static COMMUNITIES: [Community<'static>; 3] = [
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
    Community {
        name: b"limited",
        access: Access::ReadWrite,
        read_view: View::Subtrees(&LIMITED_VIEW),
        write_view: View::Subtrees(&LIMITED_VIEW),
    },
];

pub(crate) fn agent() -> Agent<'static, 4> {
    let config = AgentConfig {
        communities: &COMMUNITIES,
        ..AgentConfig::default()
    };
    Agent::new(config, Engine::new(ENGINE_ID, 0, Instant::ZERO))
}
