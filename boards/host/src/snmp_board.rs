//! PETREL-MIB on the host: the typed handlers the MIB compiler's traits ask
//! for (`petrel_mibs::petrel_mib`).
//!
//! - petrelTemperature: the first `/sys/class/thermal/thermal_zone*/temp`
//!   (millidegrees) found at start; on a machine without one, a simulated
//!   constant 25.0 °C ([`SIMULATED_TENTHS`]);
//! - petrelLed, petrelRelay, petrelTemperatureThreshold: kept in memory
//!   (a host has neither), each change logged;
//! - petrelUptimeSecs, petrelDeviceName: from the shared [`Status`] (a Set
//!   renames the device for every service that reads the status);
//! - petrelLogTable: the status's recent log lines, index 1 = the oldest
//!   line kept;
//! - petrelTemperatureAlarm: [`TemperatureAlarm`] decides, once a second,
//!   from petrelTemperature and petrelTemperatureThreshold.

use std::path::PathBuf;
use std::sync::Arc;

use log::info;
use petrel_mibs::petrel_mib::{
    PetrelDevice, PetrelLed, PetrelLogEntry, PetrelLogTable, PetrelSeverity,
};
use petrel_snmp::compiled::{SetError, heapless};

use crate::status::{LogLine, Status};

/// petrelTemperature where the host has no thermal zone: 25.0 °C.
pub(crate) const SIMULATED_TENTHS: i32 = 250;

/// The host's PETREL-MIB values.
#[derive(Debug)]
pub(crate) struct HostBoard {
    status: Arc<Status>,
    thermal: Option<PathBuf>,
    led: PetrelLed,
    relay: bool,
    threshold: i32,
}

/// The first thermal zone with a readable temperature.
fn thermal_zone() -> Option<PathBuf> {
    let mut zones: Vec<PathBuf> = std::fs::read_dir("/sys/class/thermal")
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("thermal_zone"))
        })
        .map(|p| p.join("temp"))
        .collect();
    zones.sort();
    zones.into_iter().find(|p| read_millidegrees(p).is_some())
}

fn read_millidegrees(path: &PathBuf) -> Option<i64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn severity(level: &str) -> PetrelSeverity {
    match level {
        "ERROR" => PetrelSeverity::Error,
        "WARN" => PetrelSeverity::Warn,
        "INFO" => PetrelSeverity::Info,
        "DEBUG" => PetrelSeverity::Debug,
        _ => PetrelSeverity::Trace,
    }
}

fn row(line: &LogLine) -> PetrelLogEntry {
    let msg = line.message.as_bytes();
    PetrelLogEntry {
        petrel_log_level: severity(line.level),
        petrel_log_time: u32::try_from(line.unix_ms / 1000).unwrap_or(u32::MAX),
        petrel_log_message: heapless::Vec::from_slice(msg.get(..msg.len().min(255)).unwrap_or(&[]))
            .unwrap_or_default(),
    }
}

impl HostBoard {
    /// The board over the shared status; looks for a thermal zone once.
    pub(crate) fn new(status: Arc<Status>) -> Self {
        let thermal = thermal_zone();
        match &thermal {
            Some(p) => info!("snmp: petrelTemperature from {}", p.display()),
            None => info!("snmp: no thermal zone, petrelTemperature simulated (25.0 C)"),
        }
        HostBoard {
            status,
            thermal,
            led: PetrelLed::Off,
            relay: false,
            threshold: 800,
        }
    }
}

impl PetrelDevice for HostBoard {
    fn petrel_temperature(&self) -> i32 {
        self.thermal
            .as_ref()
            .and_then(read_millidegrees)
            .map_or(SIMULATED_TENTHS, |m| (m / 100).clamp(-400, 1250) as i32)
    }

    fn petrel_led(&self) -> PetrelLed {
        self.led
    }

    fn set_petrel_led(&mut self, v: PetrelLed) -> Result<(), SetError> {
        info!("snmp: LED set to {}", v.label());
        self.led = v;
        Ok(())
    }

    fn petrel_relay(&self) -> bool {
        self.relay
    }

    fn set_petrel_relay(&mut self, v: bool) -> Result<(), SetError> {
        info!("snmp: relay {}", if v { "closed" } else { "opened" });
        self.relay = v;
        Ok(())
    }

    fn petrel_uptime_secs(&self) -> u32 {
        u32::try_from(self.status.uptime().as_secs()).unwrap_or(u32::MAX)
    }

    fn petrel_device_name(&self) -> heapless::Vec<u8, 63> {
        let name = self.status.device_name();
        let b = name.as_bytes();
        heapless::Vec::from_slice(b.get(..b.len().min(63)).unwrap_or(&[])).unwrap_or_default()
    }

    fn set_petrel_device_name(&mut self, v: &[u8]) -> Result<(), SetError> {
        // DisplayString was checked before this call: ASCII.
        let name = std::str::from_utf8(v).map_err(|_| SetError::WrongValue)?;
        info!("snmp: device name set to {name}");
        self.status.set_device_name(name);
        Ok(())
    }

    fn petrel_temperature_threshold(&self) -> i32 {
        self.threshold
    }

    fn set_petrel_temperature_threshold(&mut self, v: i32) -> Result<(), SetError> {
        info!(
            "snmp: temperature threshold set to {}.{} C",
            v / 10,
            (v % 10).abs()
        );
        self.threshold = v;
        Ok(())
    }
}

impl PetrelLogTable for HostBoard {
    fn petrel_log_next(&self, after: Option<&u32>) -> Option<(u32, PetrelLogEntry)> {
        let logs = self.status.recent_logs();
        let i = after.map_or(0, |&a| a as usize);
        let line = logs.get(i)?;
        Some((u32::try_from(i + 1).ok()?, row(line)))
    }

    fn petrel_log_entry(&self, index: &u32) -> Option<PetrelLogEntry> {
        let logs = self.status.recent_logs();
        logs.get((*index as usize).checked_sub(1)?).map(row)
    }
}

/// petrelTemperatureAlarm's hysteresis: after an alarm the temperature
/// must fall to 2.0 °C (20 tenths) below the threshold before it can fire
/// again, so a reading that wobbles around the threshold sends one alarm.
pub(crate) const ALARM_HYSTERESIS: i32 = 20;

/// The rising-edge detector of petrelTemperatureAlarm ("the temperature
/// rose above petrelTemperatureThreshold"). It starts armed: a temperature
/// already above the threshold at start, or right after the threshold is
/// lowered below it, sends one alarm.
#[derive(Debug)]
pub(crate) struct TemperatureAlarm {
    armed: bool,
}

impl TemperatureAlarm {
    pub(crate) fn new() -> Self {
        TemperatureAlarm { armed: true }
    }

    /// Feeds one reading (tenths of °C); `true` when the alarm is to be
    /// sent now.
    pub(crate) fn update(&mut self, temperature: i32, threshold: i32) -> bool {
        if self.armed && temperature > threshold {
            self.armed = false;
            return true;
        }
        if !self.armed && temperature <= threshold.saturating_sub(ALARM_HYSTERESIS) {
            self.armed = true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarm_fires_on_the_rising_edge_with_hysteresis() {
        let mut a = TemperatureAlarm::new();
        let t = 800;
        let fired: Vec<bool> = [700, 800, 801, 850, 790, 805, 781, 799, 780, 781, 900]
            .iter()
            .map(|&temp| a.update(temp, t))
            .collect();
        // 801 crosses; 790/781 are inside the 2.0 °C band: no re-arm, so
        // 805 and 799 stay quiet; 780 re-arms; 781 is below; 900 fires.
        assert_eq!(
            fired,
            [
                false, false, true, false, false, false, false, false, false, false, true
            ]
        );
        // Lowering the threshold below the reading is a rising edge too.
        let mut a = TemperatureAlarm::new();
        assert!(!a.update(250, 800));
        assert!(a.update(250, 100));
        assert!(!a.update(250, 100));
        // Extreme values do not overflow.
        let mut a = TemperatureAlarm::new();
        assert!(!a.update(i32::MIN, i32::MIN));
        assert!(a.update(i32::MAX, i32::MIN));
    }

    #[test]
    fn log_rows_follow_the_ring_and_levels_map() {
        let b = HostBoard::new(Status::new("dev"));
        // The ring is global: walk whatever is there and check the shape.
        let mut after = None;
        let mut n = 0u32;
        while let Some((i, r)) = b.petrel_log_next(after.as_ref()) {
            n += 1;
            assert_eq!(i, n);
            assert_eq!(
                b.petrel_log_entry(&i).map(|e| e.petrel_log_level),
                Some(r.petrel_log_level)
            );
            after = Some(i);
            assert!(n <= crate::status::LOG_LINES as u32);
        }
        assert_eq!(b.petrel_log_entry(&0), None);
        assert_eq!(severity("WARN"), PetrelSeverity::Warn);
        assert_eq!(severity("ERROR"), PetrelSeverity::Error);
    }

    #[test]
    fn device_name_goes_through_the_status() {
        let status = Status::new("before");
        let mut b = HostBoard::new(status.clone());
        assert_eq!(b.petrel_device_name().as_slice(), b"before");
        b.set_petrel_device_name(b"after").unwrap();
        assert_eq!(status.device_name(), "after");
        let t = b.petrel_temperature();
        assert!((-400..=1250).contains(&t));
    }
}
