//! PETREL-MIB on the firmware (feature `petrel-mib`): the typed handlers
//! the MIB compiler's traits ask for (`petrel_mibs::petrel_mib`), mounted
//! under `enterprises.32473` beside MIB-2 by [`crate::snmp`].
//!
//! - petrelTemperature: QEMU's board has no sensor: a simulated constant
//!   25.0 °C ([`SIMULATED_TENTHS`]), as on a host without a thermal zone;
//! - petrelLed, petrelRelay, petrelTemperatureThreshold: kept in memory
//!   (the emulated board has neither LED nor relay), each change logged;
//! - petrelUptimeSecs from the clock, petrelDeviceName = `PETREL_NAME`
//!   (fixed at build time: a Set is `notWritable`);
//! - petrelLogTable: empty (the firmware's log goes to semihosting, no
//!   ring is kept).
//!
//! The agent's only community is read-only, so Sets are refused before
//! they reach these handlers; the setters exist for a read-write build.

use petrel_mibs::petrel_mib::{PetrelDevice, PetrelLed, PetrelLogEntry, PetrelLogTable};
use petrel_netcore::Clock;
use petrel_snmp::compiled::{SetError, heapless};

use crate::Net;
use crate::netcfg::DEVICE_NAME;

/// Undo room for a Set: none, as the firmware's petrel-snmp is built
/// without SET (its `set` feature) and its community is read-only. A build
/// that accepts SETs needs one slot per read-write object one Set may
/// change (petrelLed, petrelRelay, petrelTemperatureThreshold,
/// petrelDeviceName: 4), each up to 520 B of RAM.
pub(crate) const UNDO: usize = 0;

/// petrelTemperature: 25.0 °C (no sensor on the emulated board).
pub(crate) const SIMULATED_TENTHS: i32 = 250;

/// The firmware's PETREL-MIB values.
pub(crate) struct Board {
    net: Net,
    led: PetrelLed,
    relay: bool,
    threshold: i32,
}

impl Board {
    /// LED off, relay open, threshold 80.0 °C.
    pub(crate) fn new(net: Net) -> Self {
        Board {
            net,
            led: PetrelLed::Off,
            relay: false,
            threshold: 800,
        }
    }
}

impl PetrelDevice for Board {
    fn petrel_temperature(&self) -> i32 {
        SIMULATED_TENTHS
    }

    fn petrel_led(&self) -> PetrelLed {
        self.led
    }

    fn set_petrel_led(&mut self, v: PetrelLed) -> Result<(), SetError> {
        crate::log!("snmp: LED set to {}", v.label());
        self.led = v;
        Ok(())
    }

    fn petrel_relay(&self) -> bool {
        self.relay
    }

    fn set_petrel_relay(&mut self, v: bool) -> Result<(), SetError> {
        crate::log!("snmp: relay {}", if v { "closed" } else { "opened" });
        self.relay = v;
        Ok(())
    }

    fn petrel_uptime_secs(&self) -> u32 {
        u32::try_from(self.net.now().as_secs()).unwrap_or(u32::MAX)
    }

    fn petrel_device_name(&self) -> heapless::Vec<u8, 63> {
        heapless::Vec::from_slice(DEVICE_NAME.as_bytes()).unwrap_or_default()
    }

    fn set_petrel_device_name(&mut self, _v: &[u8]) -> Result<(), SetError> {
        Err(SetError::NotWritable)
    }

    fn petrel_temperature_threshold(&self) -> i32 {
        self.threshold
    }

    fn set_petrel_temperature_threshold(&mut self, v: i32) -> Result<(), SetError> {
        crate::log!(
            "snmp: temperature threshold set to {}.{} C",
            v / 10,
            (v % 10).abs()
        );
        self.threshold = v;
        Ok(())
    }
}

impl PetrelLogTable for Board {
    fn petrel_log_next(&self, _after: Option<&u32>) -> Option<(u32, PetrelLogEntry)> {
        None
    }
}
