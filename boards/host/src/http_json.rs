//! The JSON documents of the dashboard API (serialised with
//! serde-json-core), as the dashboard contract lays them out.

use petrel_httpd::serde_json_core;
use petrel_netcore::stats::TcpState;
use serde::Serialize;

#[derive(Serialize)]
pub(super) struct DeviceJson<'a> {
    pub(super) name: &'a str,
    pub(super) version: &'a str,
    pub(super) build: &'a str,
    pub(super) uptime_s: u64,
    /// The IPv4 address the dashboard is reachable on (the `ip` SSI value;
    /// an addition to the contract's `device` object), "-" if none.
    pub(super) ip: String,
}

#[derive(Serialize)]
pub(super) struct TimeJson<'a> {
    pub(super) now_unix_ms: u64,
    pub(super) synced: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) server: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) offset_us: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) delay_us: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) stratum: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) leap: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) last_sync_unix_ms: Option<u64>,
}

#[derive(Serialize)]
pub(super) struct MdnsJson<'a> {
    pub(super) name: &'a str,
}

#[derive(Serialize)]
pub(super) struct IfJson {
    pub(super) index: u32,
    pub(super) name: String,
    pub(super) ipv4: Option<String>,
    pub(super) mac: String,
    pub(super) mtu: u32,
    pub(super) up: bool,
    pub(super) speed_bps: u64,
    pub(super) rx_bytes: u64,
    pub(super) tx_bytes: u64,
    pub(super) rx_packets: u64,
    pub(super) tx_packets: u64,
    pub(super) rx_errors: u64,
    pub(super) tx_errors: u64,
    pub(super) rx_discards: u64,
    pub(super) tx_discards: u64,
}

#[derive(Serialize)]
pub(super) struct TcpJson {
    pub(super) local: String,
    pub(super) remote: String,
    pub(super) state: &'static str,
}

#[derive(Serialize)]
pub(super) struct LocalJson {
    pub(super) local: String,
}

#[derive(Serialize)]
pub(super) struct ConnectionsJson {
    pub(super) tcp: Vec<TcpJson>,
    pub(super) tcp_listeners: Vec<LocalJson>,
    pub(super) udp: Vec<LocalJson>,
}

#[derive(Serialize)]
pub(super) struct ServiceJson<'a> {
    pub(super) name: &'a str,
    pub(super) state: &'a str,
    pub(super) detail: &'a str,
}

#[derive(Serialize)]
pub(super) struct LogJson<'a> {
    pub(super) unix_ms: u64,
    pub(super) level: &'a str,
    pub(super) message: &'a str,
}

#[derive(Serialize)]
pub(super) struct StatusJson<'a> {
    pub(super) device: DeviceJson<'a>,
    pub(super) time: TimeJson<'a>,
    pub(super) mdns: Option<MdnsJson<'a>>,
    pub(super) interfaces: Vec<IfJson>,
    pub(super) connections: ConnectionsJson,
    pub(super) services: Vec<ServiceJson<'a>>,
    pub(super) log: Vec<LogJson<'a>>,
}

#[derive(Serialize)]
pub(super) struct StatsJson {
    pub(super) unix_ms: u64,
    pub(super) uptime_s: u64,
    pub(super) rx_bytes: u64,
    pub(super) tx_bytes: u64,
    pub(super) rx_packets: u64,
    pub(super) tx_packets: u64,
    pub(super) tcp_connections: u64,
}

/// Serialises `v` with serde-json-core into a growing buffer.
pub(super) fn to_json<T: Serialize>(v: &T) -> Vec<u8> {
    let mut size = 16 * 1024;
    loop {
        let mut buf = vec![0u8; size];
        match serde_json_core::to_slice(v, &mut buf) {
            Ok(n) => {
                buf.truncate(n);
                return buf;
            }
            Err(_) if size < 16 << 20 => size *= 4,
            Err(_) => return b"{}".to_vec(),
        }
    }
}

/// Most rows listed per connection table (the dashboard shows a page).
pub(super) const MAX_ROWS: usize = 256;

pub(super) fn state_name(s: TcpState) -> &'static str {
    match s {
        TcpState::Closed => "closed",
        TcpState::Listen => "listen",
        TcpState::SynSent => "syn-sent",
        TcpState::SynReceived => "syn-received",
        TcpState::Established => "established",
        TcpState::FinWait1 => "fin-wait-1",
        TcpState::FinWait2 => "fin-wait-2",
        TcpState::CloseWait => "close-wait",
        TcpState::LastAck => "last-ack",
        TcpState::Closing => "closing",
        TcpState::TimeWait => "time-wait",
    }
}
