//! The generated tables against the module texts, and PETREL-MIB's
//! generated code driven through a test board.

use petrel_snmp::agent::{Mib, SetOutcome};
use petrel_snmp::compiled::{NodeKind, SetError, heapless};
use petrel_snmp::pdu::ErrorStatus;
use petrel_snmp::{Oid, Value, VarBind};

use crate::petrel_mib::{
    self as pm, PetrelDevice, PetrelLed, PetrelLogEntry, PetrelLogTable, PetrelSeverity,
};

/// Descriptors the module text defines (`name OBJECT-TYPE`, …), in order.
fn defined(text: &str) -> Vec<String> {
    const MACROS: &[&str] = &[
        "OBJECT-TYPE",
        "NOTIFICATION-TYPE",
        "OBJECT IDENTIFIER",
        "MODULE-IDENTITY",
        "OBJECT-GROUP",
        "NOTIFICATION-GROUP",
        "MODULE-COMPLIANCE",
        "OBJECT-IDENTITY",
    ];
    text.lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
        .filter_map(|l| {
            let (name, rest) = l.split_once(char::is_whitespace)?;
            MACROS
                .iter()
                .any(|m| rest.trim_start().starts_with(m))
                .then(|| name.to_string())
        })
        .collect()
}

#[test]
fn petrel_mib_tree_is_sorted_and_complete() {
    let nodes = pm::NODES;
    for w in nodes.windows(2) {
        assert!(w[0].oid < w[1].oid, "{} !< {}", w[0].name, w[1].name);
    }
    let mut want = defined(include_str!("../PETREL-MIB.mib"));
    want.sort();
    let mut have: Vec<String> = nodes.iter().map(|n| n.name.to_string()).collect();
    have.sort();
    assert_eq!(have, want);
    assert_eq!(pm::MODULE_OID, &[1, 3, 6, 1, 4, 1, 32473]);
    assert!(nodes.iter().all(|n| n.oid.starts_with(pm::MODULE_OID)));
    let leaf = |name: &str| nodes.iter().find(|n| n.name == name).unwrap();
    assert_eq!(leaf("petrelTemperature").ranges, &[(-400, 1250)]);
    assert_eq!(leaf("petrelDeviceName").sizes, &[(1, 63)]);
    assert!(leaf("petrelDeviceName").display_string);
    assert_eq!(
        leaf("petrelLed").enums,
        &[(1, "off"), (2, "on"), (3, "blink")]
    );
    assert_eq!(leaf("petrelLogEntry").index.len(), 1);
    assert_eq!(leaf("petrelLogMessage").kind, NodeKind::Column);
    assert_eq!(
        pm::oids::PETREL_TEMPERATURE_ALARM_OBJECTS,
        &[
            pm::oids::PETREL_TEMPERATURE,
            pm::oids::PETREL_TEMPERATURE_THRESHOLD
        ]
    );
}

#[test]
fn standard_trees_are_sorted() {
    for nodes in [crate::snmpv2_mib::NODES, crate::if_mib::NODES] {
        assert!(nodes.windows(2).all(|w| w[0].oid < w[1].oid));
    }
    let sys_descr = crate::snmpv2_mib::NODES
        .iter()
        .find(|n| n.name == "sysDescr")
        .unwrap();
    assert_eq!(sys_descr.oid, &[1, 3, 6, 1, 2, 1, 1, 1]);
    assert_eq!(sys_descr.sizes, &[(0, 255)]);
}

#[derive(Debug)]
struct Board {
    led: PetrelLed,
    relay: bool,
    name: heapless::Vec<u8, 63>,
    threshold: i32,
    logs: Vec<(PetrelSeverity, &'static str)>,
    sets: Vec<String>,
}

impl PetrelDevice for Board {
    fn petrel_temperature(&self) -> i32 {
        -15
    }
    fn petrel_led(&self) -> PetrelLed {
        self.led
    }
    fn set_petrel_led(&mut self, v: PetrelLed) -> Result<(), SetError> {
        self.sets.push(format!("led {}", v.label()));
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
        7
    }
    fn petrel_device_name(&self) -> heapless::Vec<u8, 63> {
        self.name.clone()
    }
    fn set_petrel_device_name(&mut self, v: &[u8]) -> Result<(), SetError> {
        self.name = heapless::Vec::from_slice(v).map_err(|_| SetError::WrongLength)?;
        Ok(())
    }
    fn test_petrel_device_name(&self, v: &[u8]) -> Result<(), SetError> {
        if v.contains(&b' ') {
            return Err(SetError::InconsistentValue);
        }
        Ok(())
    }
    fn petrel_temperature_threshold(&self) -> i32 {
        self.threshold
    }
    fn set_petrel_temperature_threshold(&mut self, v: i32) -> Result<(), SetError> {
        self.threshold = v;
        Ok(())
    }
}

impl PetrelLogTable for Board {
    fn petrel_log_next(&self, after: Option<&u32>) -> Option<(u32, PetrelLogEntry)> {
        let i = after.map_or(0, |&a| a as usize);
        let (level, msg) = self.logs.get(i)?;
        Some((
            i as u32 + 1,
            PetrelLogEntry {
                petrel_log_level: *level,
                petrel_log_time: 1_700_000_000 + i as u32,
                petrel_log_message: heapless::Vec::from_slice(msg.as_bytes()).unwrap(),
            },
        ))
    }
}

fn board() -> Board {
    Board {
        led: PetrelLed::Off,
        relay: false,
        name: heapless::Vec::from_slice(b"petrel").unwrap(),
        threshold: 800,
        logs: vec![
            (PetrelSeverity::Info, "started"),
            (PetrelSeverity::Warn, "hot"),
        ],
        sets: Vec::new(),
    }
}

fn inst(base: &[u32], tail: &[u32]) -> Oid {
    Oid::new(base).child(tail).unwrap()
}

#[test]
fn walk_serves_every_object_in_order() {
    let mib = pm::mib(board());
    let mut at = Oid::new(pm::MODULE_OID);
    let mut got = Vec::new();
    let mut s = [0u8; 256];
    for _ in 0..64 {
        let Some((o, v)) = mib.get_next(&at, &mut s).unwrap() else {
            break;
        };
        got.push((o, format!("{v:?}")));
        at = o;
    }
    let names: Vec<Oid> = got.iter().map(|(o, _)| *o).collect();
    use pm::oids::*;
    assert_eq!(
        names,
        vec![
            inst(PETREL_TEMPERATURE, &[0]),
            inst(PETREL_LED, &[0]),
            inst(PETREL_RELAY, &[0]),
            inst(PETREL_UPTIME_SECS, &[0]),
            inst(PETREL_DEVICE_NAME, &[0]),
            inst(PETREL_TEMPERATURE_THRESHOLD, &[0]),
            inst(PETREL_LOG_LEVEL, &[1]),
            inst(PETREL_LOG_LEVEL, &[2]),
            inst(PETREL_LOG_TIME, &[1]),
            inst(PETREL_LOG_TIME, &[2]),
            inst(PETREL_LOG_MESSAGE, &[1]),
            inst(PETREL_LOG_MESSAGE, &[2]),
        ]
    );
    assert_eq!(got[0].1, "Integer(-15)");
    assert_eq!(got[2].1, "Integer(2)"); // TruthValue false(2)
    assert_eq!(got[7].1, "Integer(2)"); // warn(2)
    assert_eq!(got[9].1, "Gauge32(1700000001)");
    assert!(got[11].1.contains(&format!("{:?}", b"hot")));
}

#[test]
fn sets_are_checked_then_typed() {
    let mut mib = pm::mib(board());
    let led = inst(pm::oids::PETREL_LED, &[0]);
    let name = inst(pm::oids::PETREL_DEVICE_NAME, &[0]);
    let temp = inst(pm::oids::PETREL_TEMPERATURE, &[0]);
    let thr = inst(pm::oids::PETREL_TEMPERATURE_THRESHOLD, &[0]);
    let msg = inst(pm::oids::PETREL_LOG_MESSAGE, &[1]);
    let vb = |name, value| VarBind { name, value };
    let refused: &[(Oid, Value<'_>, ErrorStatus)] = &[
        (led, Value::Integer(4), ErrorStatus::WrongValue),
        (led, Value::OctetString(b"on"), ErrorStatus::WrongType),
        (temp, Value::Integer(100), ErrorStatus::NotWritable),
        (thr, Value::Integer(1251), ErrorStatus::WrongValue),
        (thr, Value::Integer(-401), ErrorStatus::WrongValue),
        (name, Value::OctetString(b""), ErrorStatus::WrongLength),
        (
            name,
            Value::OctetString(&[b'x'; 64]),
            ErrorStatus::WrongLength,
        ),
        (
            name,
            Value::OctetString(b"tab\x80"),
            ErrorStatus::WrongValue,
        ),
        (
            name,
            Value::OctetString(b"two words"),
            ErrorStatus::InconsistentValue,
        ),
        (msg, Value::OctetString(b"x"), ErrorStatus::NotWritable),
        (
            inst(pm::oids::PETREL_LED, &[1]),
            Value::Integer(2),
            ErrorStatus::NoCreation,
        ),
    ];
    for (i, (n, v, want)) in refused.iter().enumerate() {
        assert_eq!(mib.test_set(i, &vb(*n, *v)), Err(*want), "{n} {v:?}");
    }
    mib.end_set(SetOutcome::TestFailed);
    let set = vb(led, Value::Integer(3));
    mib.test_set(0, &set).unwrap();
    mib.commit_set(0, &set).unwrap();
    mib.end_set(SetOutcome::Committed);
    assert_eq!(mib.dispatch().0.led, PetrelLed::Blink);
    assert_eq!(mib.dispatch().0.sets, ["led blink"]);
    let mut s = [0u8; 256];
    assert_eq!(mib.get(&led, &mut s), Ok(Value::Integer(3)));
}

#[test]
fn hostile_names_get_exceptions_not_panics() {
    let mut mib = pm::mib(board());
    let mut s = [0u8; 256];
    let log = pm::oids::PETREL_LOG_MESSAGE;
    let long: Vec<u32> = log
        .iter()
        .copied()
        .chain(core::iter::repeat(u32::MAX))
        .take(128)
        .collect();
    let names = [
        Oid::new(&long),
        inst(log, &[0]),
        inst(log, &[u32::MAX]),
        inst(log, &[1, 2, 3]),
        inst(pm::oids::PETREL_LED, &[0, 0]),
        inst(pm::MODULE_OID, &[u32::MAX]),
        Oid::EMPTY,
    ];
    for n in &names {
        let v = mib.get(n, &mut s).unwrap();
        assert!(v.is_exception(), "{n}: {v:?}");
        let next = mib.get_next(n, &mut s).unwrap();
        assert!(next.is_none_or(|(o, _)| o > *n), "{n}");
        let vb = VarBind {
            name: *n,
            value: Value::Integer(1),
        };
        assert!(mib.test_set(0, &vb).is_err(), "{n}");
    }
    // From inside a row's partial index, the walk moves on.
    let (o, _) = mib.get_next(&inst(log, &[1, 5]), &mut s).unwrap().unwrap();
    assert_eq!(o, inst(log, &[2]));
}
