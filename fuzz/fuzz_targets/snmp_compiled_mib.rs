//! Fuzzes a MIB compiled by petrel-mibc (PETREL-MIB) mounted beside a
//! small MIB-2 stand-in: any datagram (Get/GetNext/GetBulk/Set with any
//! instance suffix, index and value) must never panic, and every response
//! must decode again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use petrel_mibs::petrel_mib::{
    self as pm, PetrelDevice, PetrelLed, PetrelLogEntry, PetrelLogTable, PetrelSeverity,
};
use petrel_netcore::time::Instant;
use petrel_snmp::agent::{
    Access, Agent, AgentConfig, Community, Entry, Mount, Outcome, StoredValue, TableMib, View,
};
use petrel_snmp::compiled::{SetError, heapless};
use petrel_snmp::message::Message;
use petrel_snmp::usm::Engine;
use petrel_snmp::{Oid, Value};

static COMMUNITIES: [Community<'static>; 1] = [Community {
    name: b"private",
    access: Access::ReadWrite,
    read_view: View::All,
    write_view: View::All,
}];

struct Board {
    led: PetrelLed,
    relay: bool,
    name: heapless::Vec<u8, 63>,
    threshold: i32,
}

impl PetrelDevice for Board {
    fn petrel_temperature(&self) -> i32 {
        215
    }
    fn petrel_led(&self) -> PetrelLed {
        self.led
    }
    fn set_petrel_led(&mut self, v: PetrelLed) -> Result<(), SetError> {
        self.led = v;
        Ok(())
    }
    fn petrel_relay(&self) -> bool {
        self.relay
    }
    fn set_petrel_relay(&mut self, v: bool) -> Result<(), SetError> {
        self.relay = v;
        Ok(())
    }
    fn petrel_uptime_secs(&self) -> u32 {
        3
    }
    fn petrel_device_name(&self) -> heapless::Vec<u8, 63> {
        self.name.clone()
    }
    fn set_petrel_device_name(&mut self, v: &[u8]) -> Result<(), SetError> {
        self.name = heapless::Vec::from_slice(v).map_err(|_| SetError::WrongLength)?;
        Ok(())
    }
    fn petrel_temperature_threshold(&self) -> i32 {
        self.threshold
    }
    fn set_petrel_temperature_threshold(&mut self, v: i32) -> Result<(), SetError> {
        if v == 999 {
            return Err(SetError::Failed);
        }
        self.threshold = v;
        Ok(())
    }
}

impl PetrelLogTable for Board {
    fn petrel_log_next(&self, after: Option<&u32>) -> Option<(u32, PetrelLogEntry)> {
        let i = after.map_or(1, |a| a.saturating_add(1));
        (i <= 3).then(|| {
            (
                i,
                PetrelLogEntry {
                    petrel_log_level: PetrelSeverity::Info,
                    petrel_log_time: i,
                    petrel_log_message: heapless::Vec::from_slice(b"line").unwrap_or_default(),
                },
            )
        })
    }
}

fuzz_target!(|data: &[u8]| {
    let config = AgentConfig {
        communities: &COMMUNITIES,
        ..AgentConfig::default()
    };
    let mut agent: Agent<'_, 1> = Agent::new(
        config,
        Engine::new(b"\x80\x00\x1f\x88\x04fuzz", 0, Instant::ZERO),
    );
    let mut entries = [Entry {
        oid: Oid::new(&[1, 3, 6, 1, 2, 1, 1, 3, 0]),
        value: StoredValue::Plain(Value::TimeTicks(1)),
        access: Access::ReadOnly,
    }];
    let base: TableMib<'_, 8> = TableMib::new(&mut entries);
    let board = Board {
        led: PetrelLed::Off,
        relay: false,
        name: heapless::Vec::from_slice(b"fuzz").unwrap_or_default(),
        threshold: 800,
    };
    let mut mib = Mount::new(base, Oid::new(pm::MODULE_OID), pm::mib(board));
    let mut request = data.to_vec();
    let mut response = [0u8; 1500];
    if let Outcome::Respond(n) =
        agent.handle_request(Instant::from_secs(1), &mut request, &mut response, &mut mib)
    {
        assert!(n <= response.len());
        assert!(Message::decode(&response[..n], 10_000).is_ok());
    }
});
