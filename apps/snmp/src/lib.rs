//! # petrel-snmp — the SNMP agent core
//!
//! A sans-IO SNMP agent for microcontrollers: no heap, no IO, no async, no
//! panics on input. It speaks SNMPv1, SNMPv2c and SNMPv3 (USM with
//! HMAC-MD5/SHA-1/SHA-2 authentication and DES/AES-128/192/256 privacy).
//!
//! - [`ber`] — a bounded BER reader and a sized writer;
//! - [`oid`], [`value`], [`pdu`], [`message`] — the wire types;
//! - [`agent`] — [`Agent::handle_request`](agent::Agent::handle_request)
//!   answers one request datagram against a [`Mib`](agent::Mib), enforcing
//!   communities, users and views, and keeps the `snmp` group counters;
//! - [`mib2`] — MIB-2 (system, interfaces, ifXTable, ip, tcp, udp, snmp,
//!   SNMPv3 engine and USM counters) over any netcore `Network`;
//! - `driver` (feature `driver`) — the async agent loop over a netcore UDP
//!   socket, with coldStart/authenticationFailure traps and informs;
//! - [`compiled`] — run-time support for MIB modules compiled by
//!   `petrel-mibc` (typed handler traits over a static node table), and
//!   [`agent::Mount`] to serve one beside MIB-2;
//! - [`usm`] — engine ID/boots/time, users and the USM cryptography;
//! - [`trap`] — v1/v2c/v3 notification encoders and the
//!   [`InformSender`](trap::InformSender) retry machine.
//!
//! Features: `usm` (default; implies `v3`) — the USM digests and ciphers;
//! `v3` — SNMPv3 at all: without it (like lwIP without `LWIP_SNMP_V3`) a v3
//! message is counted in snmpInBadVersions and dropped, and
//! `TrapKind::V3` does not exist; `driver`, `std`, `max-oid-len-64`/`-32`.
//!
//! Contract: the caller owns every buffer; the agent writes a response at
//! the start of the caller's buffer and never exceeds
//! [`AgentConfig::max_message_size`](agent::AgentConfig::max_message_size);
//! a response that would be larger drops whole trailing varbinds (GetBulk)
//! or becomes tooBig.
//!
//! ```
//! use petrel_netcore::time::Instant;
//! use petrel_snmp::agent::{Access, Agent, AgentConfig, Community, Entry, Outcome, StoredValue, TableMib, View};
//! use petrel_snmp::usm::Engine;
//! use petrel_snmp::{Oid, Value};
//!
//! let communities = [Community {
//!     name: b"public",
//!     access: Access::ReadOnly,
//!     read_view: View::All,
//!     write_view: View::Nothing,
//! }];
//! let config = AgentConfig { communities: &communities, ..AgentConfig::default() };
//! let mut agent: Agent<'_, 1> = Agent::new(config, Engine::new(b"\x80\x00\x1f\x88\x04ex", 0, Instant::ZERO));
//! let mut objects = [Entry {
//!     oid: "1.3.6.1.2.1.1.3.0".parse().unwrap(),
//!     value: StoredValue::Plain(Value::TimeTicks(100)),
//!     access: Access::ReadOnly,
//! }];
//! let mut mib: TableMib<'_, 4> = TableMib::new(&mut objects);
//!
//! // snmpgetnext -v1 -c public … 1.3.6.1.2.1.1 (bytes captured from net-snmp)
//! let mut request = *b"\x30\x27\x02\x01\x00\x04\x06public\xa1\x1a\x02\x04\x36\x03\x8b\xeb\
//!     \x02\x01\x00\x02\x01\x00\x30\x0c\x30\x0a\x06\x06\x2b\x06\x01\x02\x01\x01\x05\x00";
//! let mut response = [0u8; 484];
//! let Outcome::Respond(n) = agent.handle_request(Instant::ZERO, &mut request, &mut response, &mut mib) else {
//!     panic!("no answer");
//! };
//! assert!(response[..n].ends_with(&[0x43, 0x01, 100])); // sysUpTime.0 = 100
//! ```
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![forbid(unsafe_code)]

pub mod agent;
pub mod ber;
pub mod compiled;
#[cfg(feature = "driver")]
pub mod driver;
pub mod message;
pub mod mib2;
pub mod oid;
pub mod pdu;
pub mod stats;
pub mod trap;
pub mod usm;
pub mod value;

pub use oid::Oid;
pub use value::{Value, VarBind};

#[cfg(test)]
mod tests;
