use core::cell::Cell;
use core::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::vec::Vec;

use petrel_netcore::socket::{
    ConnectConfig, ListenConfig, Network, TcpListener, TcpStream, UdpMeta, UdpSocket,
};
use petrel_netcore::stats::{
    IfCounters, IfInfo, IpStats, TcpConnInfo, TcpState, TcpStats, UdpEndpointInfo, UdpStats,
};
use petrel_netcore::time::Instant;
use petrel_netcore::timer::Clock;
use petrel_netcore::{DnsError, TcpError, UdpError};

use super::*;
use crate::agent::MIB_SCRATCH_LEN;

/// A stack with fixed statistics and no sockets.
pub(crate) struct FakeNet {
    pub(crate) now: Cell<Instant>,
    pub(crate) ifs: Vec<IfInfo>,
    pub(crate) tcp: Vec<TcpConnInfo>,
    pub(crate) udp: Vec<UdpEndpointInfo>,
}

pub(crate) enum Never {}

impl embedded_io::ErrorType for Never {
    type Error = TcpError;
}
impl embedded_io_async::Read for Never {
    async fn read(&mut self, _: &mut [u8]) -> Result<usize, TcpError> {
        match *self {}
    }
}
impl embedded_io_async::Write for Never {
    async fn write(&mut self, _: &[u8]) -> Result<usize, TcpError> {
        match *self {}
    }
    async fn flush(&mut self) -> Result<(), TcpError> {
        match *self {}
    }
}
impl TcpStream for Never {
    fn local_addr(&self) -> Option<SocketAddr> {
        match *self {}
    }
    fn peer_addr(&self) -> Option<SocketAddr> {
        match *self {}
    }
    fn set_nodelay(&mut self, _: bool) {
        match *self {}
    }
    fn set_keepalive(&mut self, _: Option<petrel_netcore::Keepalive>) {
        match *self {}
    }
    async fn shutdown(&mut self, _: petrel_netcore::Shutdown) -> Result<(), TcpError> {
        match *self {}
    }
    async fn close(self) -> Result<(), TcpError> {
        match self {}
    }
    fn abort(self) {
        match self {}
    }
}
impl TcpListener for Never {
    type Stream = Never;
    async fn accept(&mut self) -> Result<Never, TcpError> {
        match *self {}
    }
    fn local_addr(&self) -> SocketAddr {
        match *self {}
    }
}
impl UdpSocket for Never {
    async fn send_to(&mut self, _: &[u8], _: SocketAddr) -> Result<(), UdpError> {
        match *self {}
    }
    async fn recv_from(&mut self, _: &mut [u8]) -> Result<(usize, UdpMeta), UdpError> {
        match *self {}
    }
    fn local_addr(&self) -> SocketAddr {
        match *self {}
    }
    async fn join_multicast(&mut self, _: Ipv4Addr) -> Result<(), UdpError> {
        match *self {}
    }
    async fn leave_multicast(&mut self, _: Ipv4Addr) -> Result<(), UdpError> {
        match *self {}
    }
    fn set_broadcast(&mut self, _: bool) -> Result<(), UdpError> {
        match *self {}
    }
}

impl Clock for FakeNet {
    fn now(&self) -> Instant {
        self.now.get()
    }
    async fn sleep_until(&self, _: Instant) {}
}

impl Network for FakeNet {
    type TcpStream = Never;
    type TcpListener = Never;
    type UdpSocket = Never;
    async fn tcp_listen(&self, _: SocketAddr, _: ListenConfig) -> Result<Never, TcpError> {
        Err(TcpError::InvalidAddress)
    }
    async fn tcp_connect(&self, _: SocketAddr, _: ConnectConfig) -> Result<Never, TcpError> {
        Err(TcpError::InvalidAddress)
    }
    async fn udp_bind(&self, _: SocketAddr) -> Result<Never, UdpError> {
        Err(UdpError::InvalidAddress)
    }
    async fn resolve(&self, _: &str) -> Result<IpAddr, DnsError> {
        Err(DnsError::NotFound)
    }
    fn ipv4_addr(&self) -> Option<Ipv4Addr> {
        None
    }
    fn for_each_interface(&self, f: &mut dyn FnMut(&IfInfo)) {
        self.ifs.iter().for_each(f)
    }
    fn ip_stats(&self) -> IpStats {
        IpStats {
            in_receives: 5_000_000_000,
            default_ttl: 64,
            ..IpStats::default()
        }
    }
    fn tcp_stats(&self) -> TcpStats {
        TcpStats {
            curr_estab: 2,
            in_segs: 7,
            ..TcpStats::default()
        }
    }
    fn udp_stats(&self) -> UdpStats {
        UdpStats {
            in_datagrams: 3,
            ..UdpStats::default()
        }
    }
    fn for_each_tcp_connection(&self, f: &mut dyn FnMut(&TcpConnInfo)) {
        self.tcp.iter().for_each(f)
    }
    fn for_each_udp_endpoint(&self, f: &mut dyn FnMut(&UdpEndpointInfo)) {
        self.udp.iter().for_each(f)
    }
}

fn iface(index: u32, name: &str, mac: [u8; 6], ip: Option<[u8; 4]>) -> IfInfo {
    IfInfo {
        index,
        name: heapless::String::try_from(name).unwrap(),
        mac,
        mtu: 1500,
        speed_bps: 100_000_000,
        up: true,
        ipv4: ip.map(|a| (Ipv4Addr::from(a), 24)),
        counters: IfCounters {
            in_octets: (1 << 32) + 10,
            ..IfCounters::default()
        },
    }
}

pub(crate) fn fake() -> FakeNet {
    let tcp = |l: &str, r: &str, state| TcpConnInfo {
        local: l.parse().unwrap(),
        remote: r.parse().unwrap(),
        state,
    };
    FakeNet {
        now: Cell::new(Instant::from_secs(100)),
        // Deliberately out of order: the MIB must sort.
        ifs: vec![
            iface(3, "eth1", [2, 0, 0, 0, 0, 3], None),
            iface(1, "lo", [0; 6], Some([127, 0, 0, 1])),
            iface(2, "eth0", [2, 0, 0, 0, 0, 2], Some([198, 51, 100, 2])),
        ],
        tcp: vec![
            tcp(
                "198.51.100.2:80",
                "198.51.100.1:40000",
                TcpState::Established,
            ),
            tcp("0.0.0.0:80", "0.0.0.0:0", TcpState::Listen),
            tcp("[::]:22", "[::]:0", TcpState::Listen),
            tcp("127.0.0.1:1883", "127.0.0.1:5555", TcpState::TimeWait),
            tcp("0.0.0.0:80", "0.0.0.0:0", TcpState::Listen),
        ],
        udp: vec![
            UdpEndpointInfo {
                local: "0.0.0.0:161".parse().unwrap(),
            },
            UdpEndpointInfo {
                local: "127.0.0.1:53".parse().unwrap(),
            },
        ],
    }
}

fn walk(mib: &Mib2<'_, FakeNet>) -> Vec<(Oid, String)> {
    let mut out = Vec::new();
    let mut at = Oid::new(&[1]);
    let mut scratch = [0u8; MIB_SCRATCH_LEN];
    while let Some((oid, v)) = mib.get_next(&at, &mut scratch).unwrap() {
        assert!(oid > at, "{oid} after {at}");
        out.push((oid, format!("{v:?}")));
        at = oid;
        assert!(out.len() < 10_000);
    }
    out
}

#[test]
fn walk_is_strictly_increasing_and_get_agrees() {
    let mib = Mib2::new(fake(), Mib2Config::default());
    let all = walk(&mib);
    let names: Vec<String> = all.iter().map(|(o, _)| o.to_string()).collect();
    for must in [
        "1.3.6.1.2.1.1.1.0",
        "1.3.6.1.2.1.1.8.0",
        "1.3.6.1.2.1.2.1.0",
        "1.3.6.1.2.1.2.2.1.1.1",
        "1.3.6.1.2.1.2.2.1.22.3",
        "1.3.6.1.2.1.4.20.1.1.127.0.0.1",
        "1.3.6.1.2.1.4.20.1.3.198.51.100.2",
        "1.3.6.1.2.1.6.9.0",
        "1.3.6.1.2.1.6.13.1.1.0.0.0.0.80.0.0.0.0.0",
        "1.3.6.1.2.1.6.19.1.7.1.4.127.0.0.1.1883.1.4.127.0.0.1.5555",
        "1.3.6.1.2.1.6.19.1.7.1.4.198.51.100.2.80.1.4.198.51.100.1.40000",
        "1.3.6.1.2.1.6.20.1.4.1.4.0.0.0.0.80",
        "1.3.6.1.2.1.6.20.1.4.2.16.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.22",
        "1.3.6.1.2.1.7.5.1.2.127.0.0.1.53",
        "1.3.6.1.2.1.7.7.1.8.1.4.0.0.0.0.161.1.4.0.0.0.0.0.1",
        "1.3.6.1.2.1.11.30.0",
        "1.3.6.1.2.1.31.1.1.1.1.2",
        "1.3.6.1.2.1.31.1.1.1.6.1",
        "1.3.6.1.2.1.31.1.1.1.18.3",
        "1.3.6.1.6.3.15.1.1.6.0",
    ] {
        assert!(names.iter().any(|n| n == must), "{must} missing");
    }
    // The duplicate listener appears once.
    let listeners = names
        .iter()
        .filter(|n| n.starts_with("1.3.6.1.2.1.6.20.1.4.1.4.0.0.0.0.80"))
        .count();
    assert_eq!(listeners, 1);
    let mut scratch = [0u8; MIB_SCRATCH_LEN];
    for (oid, v) in &all {
        let got = mib.get(oid, &mut scratch).unwrap();
        if oid.as_slice() != [1, 3, 6, 1, 2, 1, 1, 3, 0] {
            assert_eq!(&format!("{got:?}"), v, "{oid}");
        }
    }
    // HC counter keeps 64 bits; the 32-bit one wraps.
    let hc: Oid = "1.3.6.1.2.1.31.1.1.1.6.1".parse().unwrap();
    assert_eq!(
        mib.get(&hc, &mut scratch),
        Ok(Value::Counter64((1 << 32) + 10))
    );
    let c: Oid = "1.3.6.1.2.1.2.2.1.10.1".parse().unwrap();
    assert_eq!(mib.get(&c, &mut scratch), Ok(Value::Counter32(10)));
}

#[test]
fn get_exceptions() {
    let mib = Mib2::new(fake(), Mib2Config::default());
    let get = |s: &str| {
        let mut scratch = [0u8; MIB_SCRATCH_LEN];
        format!("{:?}", mib.get(&s.parse().unwrap(), &mut scratch).unwrap())
    };
    assert_eq!(
        get("1.3.6.1.2.1.1.1.1"),
        format!("{:?}", Value::NoSuchInstance)
    );
    assert_eq!(
        get("1.3.6.1.2.1.1.1"),
        format!("{:?}", Value::NoSuchInstance)
    );
    assert_eq!(
        get("1.3.6.1.2.1.1.99.0"),
        format!("{:?}", Value::NoSuchObject)
    );
    assert_eq!(
        get("1.3.6.1.2.1.2.2.1.2.9"),
        format!("{:?}", Value::NoSuchInstance)
    );
    assert_eq!(
        get("1.3.6.1.2.1.2.2.1.99.1"),
        format!("{:?}", Value::NoSuchObject)
    );
    assert_eq!(
        get("1.3.6.1.2.1.2.2.1.2.2"),
        format!("{:?}", Value::OctetString(b"eth0"))
    );
    assert_eq!(get("1.3.6.1.2.1.2.1.0"), format!("{:?}", Value::Integer(3)));
    assert_eq!(get("1.3.6.1.2.1.6.9.0"), format!("{:?}", Value::Gauge32(2)));
    assert_eq!(
        get("1.3.6.1.2.1.4.3.0"),
        format!("{:?}", Value::Counter32(705_032_704))
    );
    assert_eq!(
        get("1.3.6.1.2.1.1.2.0"),
        format!("{:?}", Value::ObjectId(Oid::new(PETREL_SYS_OBJECT_ID)))
    );
    assert_eq!(get("1.3.5"), format!("{:?}", Value::NoSuchObject));
    let mut scratch = [0u8; MIB_SCRATCH_LEN];
    let end: Oid = "1.3.6.1.6.3.15.1.1.6.0".parse().unwrap();
    assert_eq!(mib.get_next(&end, &mut scratch), Ok(None));
    let past: Oid = "2".parse().unwrap();
    assert_eq!(mib.get_next(&past, &mut scratch), Ok(None));
}

#[test]
fn uptime_follows_the_clock() {
    let net = fake();
    let mib = Mib2::new(net, Mib2Config::default());
    mib.net().now.set(Instant::from_secs(112));
    let mut scratch = [0u8; 8];
    let v = mib.get(&"1.3.6.1.2.1.1.3.0".parse().unwrap(), &mut scratch);
    assert_eq!(v, Ok(Value::TimeTicks(1200)));
}

fn vb(oid: &str, value: Value<'static>) -> VarBind<'static> {
    VarBind {
        name: oid.parse().unwrap(),
        value,
    }
}

#[test]
fn small_writable_state_bounds_sets() {
    // 8-byte system strings and one ifAlias, as a microcontroller picks.
    let config = Mib2Config {
        name: b"a-name-longer-than-eight",
        ..Mib2Config::default()
    };
    let mut mib: Mib2<'_, _, 8, 1> = Mib2::sized(fake(), config);
    assert_eq!(mib.name(), b"a-name-l", "the initial value is cut to S");
    let fits = vb("1.3.6.1.2.1.1.4.0", Value::OctetString(b"12345678"));
    assert_eq!(mib.test_set(0, &fits), Ok(()));
    let long = vb("1.3.6.1.2.1.1.4.0", Value::OctetString(b"123456789"));
    assert_eq!(mib.test_set(0, &long), Err(ErrorStatus::WrongLength));
    let first = vb("1.3.6.1.2.1.31.1.1.1.18.1", Value::OctetString(b"wan"));
    mib.commit_set(0, &first).unwrap();
    mib.commit_set(1, &fits).unwrap();
    mib.end_set(SetOutcome::Committed);
    assert_eq!(mib.contact(), b"12345678");
    let second = vb("1.3.6.1.2.1.31.1.1.1.18.2", Value::OctetString(b"lan"));
    assert_eq!(
        mib.test_set(0, &second),
        Err(ErrorStatus::ResourceUnavailable),
        "one alias slot, already used"
    );
    // Changing the alias that holds the slot still works.
    let again = vb("1.3.6.1.2.1.31.1.1.1.18.1", Value::OctetString(b"uplink"));
    assert_eq!(mib.test_set(0, &again), Ok(()));
}

#[test]
fn set_checks_and_undo() {
    let mut mib = Mib2::new(fake(), Mib2Config::default());
    let ok = vb("1.3.6.1.2.1.1.4.0", Value::OctetString(b"noc"));
    assert_eq!(mib.test_set(0, &ok), Ok(()));
    let bad = [
        (
            vb("1.3.6.1.2.1.1.4.0", Value::Integer(1)),
            ErrorStatus::WrongType,
        ),
        (
            vb("1.3.6.1.2.1.1.4.0", Value::OctetString(&[0xff])),
            ErrorStatus::WrongValue,
        ),
        (
            vb("1.3.6.1.2.1.1.4.0", Value::OctetString(&[b'a'; 256])),
            ErrorStatus::WrongLength,
        ),
        (
            vb("1.3.6.1.2.1.1.1.0", Value::OctetString(b"x")),
            ErrorStatus::NotWritable,
        ),
        (
            vb("1.3.6.1.2.1.11.30.0", Value::Integer(3)),
            ErrorStatus::WrongValue,
        ),
        (
            vb("1.3.6.1.2.1.31.1.1.1.18.9", Value::OctetString(b"x")),
            ErrorStatus::NoCreation,
        ),
        (
            vb("1.3.6.1.2.1.31.1.1.1.18.1", Value::OctetString(&[b'a'; 65])),
            ErrorStatus::WrongLength,
        ),
    ];
    for (v, e) in bad {
        assert_eq!(mib.test_set(0, &v), Err(e), "{}", v.name);
    }
    // Commit two, then undo: both restored.
    let alias = vb("1.3.6.1.2.1.31.1.1.1.18.2", Value::OctetString(b"uplink"));
    let trap = vb("1.3.6.1.2.1.11.30.0", Value::Integer(2));
    mib.commit_set(0, &ok).unwrap();
    mib.commit_set(1, &alias).unwrap();
    mib.commit_set(2, &trap).unwrap();
    assert_eq!(mib.contact(), b"noc");
    assert_eq!(mib.alias(2), b"uplink");
    assert!(!mib.authen_traps_enabled());
    mib.undo_set(2, &trap).unwrap();
    mib.undo_set(1, &alias).unwrap();
    mib.undo_set(0, &ok).unwrap();
    mib.end_set(SetOutcome::Undone);
    assert_eq!(mib.contact(), b"");
    assert_eq!(mib.alias(2), b"");
    assert!(mib.authen_traps_enabled());
    // Commit and keep.
    mib.commit_set(0, &alias).unwrap();
    mib.end_set(SetOutcome::Committed);
    let mut scratch = [0u8; 8];
    let v = mib.get(&alias.name, &mut scratch);
    assert_eq!(v, Ok(Value::OctetString(b"uplink")));
}
