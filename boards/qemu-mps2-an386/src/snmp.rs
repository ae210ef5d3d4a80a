//! SNMP agent on udp/161 (feature `snmp`): `petrel-snmp`'s driver serving
//! MIB-2 (system, interfaces, ip, tcp, udp, snmp) from netcore's smoltcp
//! counters, SNMPv2c (and v1) with the read-only community `public`, and
//! with feature `petrel-mib` PETREL-MIB under enterprises.32473
//! ([`crate::petrelmib`], mounted with `petrel_snmp`'s `Mount`).
//!
//! - The interface counters come from netcore's observer plus the LAN9118
//!   driver's receive errors/discards and link state, which `stats_task` in
//!   main.rs forwards into the stack every second.
//! - No SNMPv3: petrel-snmp is built without its `v3` and `usm` features
//!   (a v3 request counts in snmpInBadVersions), so neither the v3 message
//!   handling (6.5 KB) nor the USM cryptography (HMAC, DES, AES: about
//!   50 KB) is linked.
//! - No SET: petrel-snmp is built without its `set` feature, so every
//!   SET is answered `noAccess` (`noSuchName` in v1), as the read-only
//!   community would have it anyway, and the MIBs' test/commit/undo code
//!   (3.9 KB) is not linked. To accept SETs, enable `petrel-snmp/set`, give
//!   a community `Access::ReadWrite` and undo room ([`crate::petrelmib`]).
//! - No notifications (no trap targets; no coldStart).
//! - Requests and responses up to [`MAX_MESSAGE`] bytes (1 KiB: twice
//!   RFC 3417's 484-byte minimum, and what a `snmpbulkwalk` page of MIB-2
//!   needs); a larger GetBulk answer drops whole trailing varbinds, a larger
//!   Get answer is `tooBig`, a larger request does not fit the socket and
//!   is dropped.

use core::net::Ipv4Addr;

use petrel_netcore::{Clock, Network};
use petrel_snmp::agent::{Access, Agent, AgentConfig, Community, View};
use petrel_snmp::driver::{Driver, DriverConfig, DriverEvent};
use petrel_snmp::mib2::{Mib2, Mib2Config, PETREL_SYS_OBJECT_ID};
use petrel_snmp::usm::Engine;
use static_cell::ConstStaticCell;

use crate::netcfg::DEVICE_NAME;
use crate::{Addr, Net};

/// The agent's port.
pub(crate) const PORT: u16 = 161;
/// Largest request and response, bytes (the socket's buffers and the
/// driver's two are this size each: 1 472, a whole frame, would cost 1.8 KB
/// more RAM).
pub(crate) const MAX_MESSAGE: usize = 1024;
/// sysDescr.
const DESCR: &str = concat!(
    "Petrel ",
    env!("CARGO_PKG_VERSION"),
    " on QEMU mps2-an386 (Cortex-M4F, LAN9118), smoltcp 0.14"
);
/// snmpEngineID: RFC 3411 format, Petrel's enterprise, text "an386".
const ENGINE_ID: &[u8] = b"\x80\x00\x1f\x88\x04an386";
/// The one community: `public`, read-only, everything visible.
const COMMUNITIES: &[Community<'static>] = &[Community {
    name: b"public",
    access: Access::ReadOnly,
    read_view: View::All,
    write_view: View::Nothing,
}];

static REQUEST: ConstStaticCell<[u8; MAX_MESSAGE]> = ConstStaticCell::new([0; MAX_MESSAGE]);
static RESPONSE: ConstStaticCell<[u8; MAX_MESSAGE]> = ConstStaticCell::new([0; MAX_MESSAGE]);

/// The agent; ends only if receiving fails for good.
#[embassy_executor::task]
pub(crate) async fn serve(net: Net, mut socket: <Net as Network>::UdpSocket, shown: Ipv4Addr) {
    let config = AgentConfig {
        communities: COMMUNITIES,
        enable_v3: false,
        max_message_size: MAX_MESSAGE,
        ..AgentConfig::default()
    };
    // Boots stays 0: the board has no storage to count reboots in (only
    // SNMPv3 needs it).
    let agent: Agent<'_, 0> = Agent::new(config, Engine::new(ENGINE_ID, 0, net.now()));
    // sysContact/sysName/sysLocation of up to 64 bytes and one ifAlias (the
    // board has one interface): the writable state and its undo copy take
    // 0.5 KB instead of 2.7 KB.
    let mib2: Mib2<'_, Net, 64, 1> = Mib2::sized(
        net,
        Mib2Config {
            descr: DESCR.as_bytes(),
            object_id: petrel_snmp::Oid::new(PETREL_SYS_OBJECT_ID),
            name: DEVICE_NAME.as_bytes(),
            ..Mib2Config::default()
        },
    );
    #[cfg(feature = "petrel-mib")]
    let mut mib = petrel_snmp::agent::Mount::new(
        mib2,
        petrel_snmp::Oid::new(petrel_mibs::petrel_mib::MODULE_OID),
        // No undo room: no SETs (see the module docs).
        petrel_snmp::compiled::CompiledMib::<_, { crate::petrelmib::UNDO }>::new(
            petrel_mibs::petrel_mib::Handlers(crate::petrelmib::Board::new(net)),
        ),
    );
    #[cfg(not(feature = "petrel-mib"))]
    let mut mib = mib2;
    // One inform slot of 64 bytes: the smallest the type allows; no informs
    // are ever sent (no targets).
    let mut driver: Driver<'_, 0, 1, 64> = Driver::new(
        agent,
        DriverConfig {
            cold_start: false,
            agent_addr: shown.octets(),
            ..DriverConfig::default()
        },
    );
    crate::log!(
        "snmp agent listening on {}:{} (v2c/v1, community \"public\" read-only; MIB-2{})",
        shown,
        PORT,
        if cfg!(feature = "petrel-mib") {
            ", PETREL-MIB"
        } else {
            ""
        }
    );
    let error = driver
        .run(
            &net,
            &mut socket,
            &mut mib,
            REQUEST.take(),
            RESPONSE.take(),
            log_event,
        )
        .await;
    crate::log!("snmp: stopped: {}", error);
}

/// Requests that were not answered (bad community, malformed) are logged.
fn log_event(e: DriverEvent) {
    if let DriverEvent::Dropped { peer, reason } = e {
        crate::log!("snmp {}: not answered: {}", Addr(peer), reason);
    }
}
