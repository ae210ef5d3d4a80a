//! Helpers shared by the mDNS tests: decoding a message into readable rows.
#![allow(dead_code)]

use petrel_mdns::wire::{Question, RData, Reader, Section};

/// One decoded record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub(crate) section: Section,
    pub(crate) name: String,
    pub(crate) rtype: u16,
    pub(crate) ttl: u32,
    pub(crate) flush: bool,
    pub(crate) data: String,
}

/// Header, questions and records of `msg` (panics on malformed input).
pub(crate) fn decode(msg: &[u8]) -> (petrel_mdns::wire::Header, Vec<Question>, Vec<Row>) {
    let mut r = Reader::new(msg).unwrap();
    let h = r.header();
    let mut qs = Vec::new();
    while let Some(q) = r.question() {
        qs.push(q.unwrap());
    }
    let mut rows = Vec::new();
    while let Some(rec) = r.record() {
        let (section, rec) = rec.unwrap();
        let data = match rec.data().unwrap() {
            RData::A(a) => a.to_string(),
            RData::Ptr(n) => n.to_string(),
            RData::Srv { port, target, .. } => format!("{port} {target}"),
            RData::Txt(t) => String::from_utf8_lossy(t).into_owned(),
            RData::Nsec { next, types } => {
                let t: Vec<String> = (0..256u16)
                    .filter(|t| types.contains(*t))
                    .map(|t| t.to_string())
                    .collect();
                format!("{next} [{}]", t.join(" "))
            }
            other => format!("{other:?}"),
        };
        rows.push(Row {
            section,
            name: rec.name.to_string(),
            rtype: rec.rtype,
            ttl: rec.ttl,
            flush: rec.cache_flush,
            data,
        });
    }
    (h, qs, rows)
}

/// Hex to bytes.
pub(crate) fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
