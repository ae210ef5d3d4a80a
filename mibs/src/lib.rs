//! # petrel-mibs — Petrel's MIB modules, compiled
//!
//! The SMIv2 module texts in `mibs/` compiled at build time by
//! `petrel-mibc` (see `build.rs`) into Rust for `petrel-snmp`: a static
//! sorted node table, typed handler traits, Rust enums for enumerated
//! INTEGERs, and a `mib(handlers)` constructor that returns an agent
//! [`Mib`](petrel_snmp::agent::Mib). No heap, no `std`.
//!
//! - [`petrel_mib`] — PETREL-MIB, the board's own values under
//!   `enterprises.32473` (the RFC 5612 documentation number: a product
//!   moves it under its own enterprise number);
//! - [`snmpv2_mib`], [`if_mib`] — the standard modules, for boards that want
//!   to serve parts of them from typed handlers (Petrel's own MIB-2 is
//!   `petrel_snmp::mib2`).
//!
//! A board implements the traits and mounts the result beside MIB-2:
//!
//! ```
//! use petrel_mibs::petrel_mib::{self as pm, PetrelDevice, PetrelLed, PetrelLogEntry, PetrelLogTable};
//! use petrel_snmp::agent::Mib;
//! use petrel_snmp::compiled::{heapless, SetError};
//! use petrel_snmp::{Oid, Value};
//!
//! struct Board { led: PetrelLed }
//! impl PetrelDevice for Board {
//!     fn petrel_temperature(&self) -> i32 { 215 } // 21.5 °C
//!     fn petrel_led(&self) -> PetrelLed { self.led }
//!     fn set_petrel_led(&mut self, v: PetrelLed) -> Result<(), SetError> { self.led = v; Ok(()) }
//!     fn petrel_relay(&self) -> bool { false }
//!     fn set_petrel_relay(&mut self, _: bool) -> Result<(), SetError> { Err(SetError::ResourceUnavailable) }
//!     fn petrel_uptime_secs(&self) -> u32 { 42 }
//!     fn petrel_device_name(&self) -> heapless::Vec<u8, 63> { heapless::Vec::from_slice(b"petrel").unwrap_or_default() }
//!     fn set_petrel_device_name(&mut self, _: &[u8]) -> Result<(), SetError> { Ok(()) }
//!     fn petrel_temperature_threshold(&self) -> i32 { 800 }
//!     fn set_petrel_temperature_threshold(&mut self, _: i32) -> Result<(), SetError> { Ok(()) }
//! }
//! impl PetrelLogTable for Board {
//!     fn petrel_log_next(&self, _after: Option<&u32>) -> Option<(u32, PetrelLogEntry)> { None }
//! }
//!
//! let mib = pm::mib(Board { led: PetrelLed::Off });
//! let mut scratch = [0u8; 256];
//! let temp = Oid::new(pm::oids::PETREL_TEMPERATURE).child(&[0]).unwrap();
//! assert_eq!(mib.get(&temp, &mut scratch), Ok(Value::Integer(215)));
//! ```
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

/// PETREL-MIB: temperature, LED, relay, uptime, device name, alarm
/// threshold, the log table and the temperature alarm notification.
pub mod petrel_mib {
    include!(concat!(env!("OUT_DIR"), "/petrel_mib.rs"));
}

/// SNMPv2-MIB (RFC 3418): system, snmp, sysORTable and the standard traps.
pub mod snmpv2_mib {
    include!(concat!(env!("OUT_DIR"), "/snmpv2_mib.rs"));
}

/// IF-MIB (RFC 2863): ifTable, ifXTable, ifStackTable, ifRcvAddressTable.
pub mod if_mib {
    include!(concat!(env!("OUT_DIR"), "/if_mib.rs"));
}

#[cfg(test)]
mod tests;
