//! Text for the dashboard and the MQTT telemetry without `core::fmt`: JSON
//! pieces written straight into a buffer through netcore's
//! [`Cursor`], whose number writers are a few dozen bytes of code where
//! `core::fmt` costs kilobytes of flash and about a third of the
//! instructions of an `/api/status` request (its argument tables, padding
//! and dispatch).
//!
//! Each method appends and returns the cursor, so a document reads in
//! order: `c.lit("{\"up\":").boolean(up).lit("}")`. An overflow is kept
//! by the cursor and reported by its `finish`.

use core::net::{Ipv4Addr, SocketAddr};

pub(crate) use petrel_netcore::small::Cursor;
use petrel_netcore::stats::Mac;
use petrel_netcore::time::DateTime;

/// Chained writers of JSON (and SSI) pieces.
// A build with only one of the HTTP server and MQTT uses only some of them.
#[cfg_attr(not(all(feature = "httpd", feature = "mqtt")), allow(dead_code))]
pub(crate) trait Text {
    /// Text as it is (JSON punctuation and names).
    fn lit(&mut self, s: &str) -> &mut Self;
    /// An unsigned number.
    fn num(&mut self, v: impl Into<u64>) -> &mut Self;
    /// A signed number.
    fn int(&mut self, v: i64) -> &mut Self;
    /// `true` or `false`.
    fn boolean(&mut self, v: bool) -> &mut Self;
    /// A JSON string: quoted, with `"`, `\` and control characters escaped.
    fn string(&mut self, s: &str) -> &mut Self;
    /// `198.51.100.2`.
    fn ip(&mut self, a: Ipv4Addr) -> &mut Self;
    /// `02:00:00:00:00:01`.
    fn mac(&mut self, m: [u8; 6]) -> &mut Self;
    /// `198.51.100.2:80` (`[ipv6]:80` for an IPv6 address, which this
    /// IPv4-only firmware never has).
    fn sockaddr(&mut self, a: SocketAddr) -> &mut Self;
    /// `2026-11-25 12:00:00Z`.
    fn date_time(&mut self, t: DateTime) -> &mut Self;
    /// `3d 04:05:06` for a number of seconds.
    fn uptime(&mut self, s: u64) -> &mut Self;
    /// Numeric JSON members `"a":1,"b":2`: the names, separated by single
    /// spaces, paired in order with `values` (one loop where a `lit` and a
    /// `num` call per member cost about 20 B of flash each).
    fn fields(&mut self, names: &str, values: &[u64]) -> &mut Self;
}

impl Text for Cursor<'_> {
    // Out of line: the JSON writers call it about 80 times (−140 B).
    #[inline(never)]
    fn lit(&mut self, s: &str) -> &mut Self {
        self.put(s.as_bytes());
        self
    }
    fn num(&mut self, v: impl Into<u64>) -> &mut Self {
        self.decimal(v.into());
        self
    }
    fn int(&mut self, v: i64) -> &mut Self {
        self.signed(v);
        self
    }
    fn boolean(&mut self, v: bool) -> &mut Self {
        self.lit(if v { "true" } else { "false" })
    }
    fn string(&mut self, s: &str) -> &mut Self {
        self.put(b"\"");
        // Runs of plain bytes go in one copy; UTF-8 passes through as is.
        let mut plain = 0;
        for (i, &b) in s.as_bytes().iter().enumerate() {
            if b == b'"' || b == b'\\' || b < 0x20 {
                self.put(s.as_bytes().get(plain..i).unwrap_or_default());
                match b {
                    b'"' | b'\\' => self.put(&[b'\\', b]),
                    _ => {
                        self.put(b"\\u00");
                        self.hex(u64::from(b), 2);
                    }
                }
                plain = i + 1;
            }
        }
        self.put(s.as_bytes().get(plain..).unwrap_or_default());
        self.lit("\"")
    }
    fn ip(&mut self, a: Ipv4Addr) -> &mut Self {
        self.ipv4(a);
        self
    }
    fn mac(&mut self, m: [u8; 6]) -> &mut Self {
        Mac(m).write_to(self);
        self
    }
    fn sockaddr(&mut self, a: SocketAddr) -> &mut Self {
        match a {
            SocketAddr::V4(v4) => self.ip(*v4.ip()),
            SocketAddr::V6(_) => self.lit("[ipv6]"),
        }
        .lit(":")
        .num(a.port())
    }
    fn date_time(&mut self, t: DateTime) -> &mut Self {
        t.write_to(self);
        self
    }
    fn uptime(&mut self, s: u64) -> &mut Self {
        self.num(s / 86_400).lit("d ");
        self.padded(s / 3600 % 24, 2);
        self.put(b":");
        self.padded(s / 60 % 60, 2);
        self.put(b":");
        self.padded(s % 60, 2);
        self
    }
    fn fields(&mut self, names: &str, values: &[u64]) -> &mut Self {
        let mut rest = names;
        for (k, &v) in values.iter().enumerate() {
            let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            rest = tail;
            self.lit(if k == 0 { "\"" } else { ",\"" })
                .lit(name)
                .lit("\":")
                .num(v);
        }
        self
    }
}
