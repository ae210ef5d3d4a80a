//! Tests of the `/proc` and `/sys` parsers, with text captured on a Debian 12
//! x86_64 host (kernel 6.x). The machine's own address in the captures was
//! replaced by 198.51.100.2.

use super::*;

const NET_DEV: &str = "\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    3245      30    0    0    0     0          0         0     3245      30    0    0    0     0       0          0
  ifb0:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
  eth0: 44197552    2691    0    0    0     0          0         0   266162    2120    0    0    0     0       0          0
";

const SNMP: &str = "\
Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams InUnknownProtos InDiscards InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ReasmFails FragOKs FragFails FragCreates OutTransmits
Ip: 2 64 2716 0 0 0 0 0 2716 2137 0 0 0 0 0 0 0 0 0 2137
Icmp: InMsgs InErrors InCsumErrors InDestUnreachs
Icmp: 1 0 0 1
IcmpMsg: InType3
IcmpMsg: 1
Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors
Tcp: 1 200 120000 -1 68 2 0 56 0 2581 2058 1 0 61 0
Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
Udp: 134 0 0 135 0 0 0 0 0
UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
UdpLite: 7 7 7 7 0 0 0 0 0
";

const TCP: &str = "\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 557 1 0000000057929f7c 100 0 0 10 0                       
   1: 0100007F:991B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 9744 1 0000000094f02ed7 100 0 0 10 0                      
   2: 0100007F:B7D0 0100007F:991B 01 00000000:00000000 00:00000000 00000000     0        0 9745 2 000000009af778ff 20 0 0 10 -1                      
   3: 0100007F:991B 0100007F:B7D0 01 00000000:00000000 00:00000000 00000000     0        0 9746 1 00000000c1bcfc33 20 0 0 10 -1                      
   4: 026433C6:E03E 507100CB:0050 06 00000000:00000000 03:0000133C 00000000     0        0 0 3 00000000ca56e996                                      
";

const UDP: &str = "\
   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            
 2352: 0100007F:AAC3 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 9743 2 0000000028d00af1 0          
";

const TCP6: &str = "\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
";

#[test]
fn net_dev_rows() {
    let rows: Vec<_> = net_dev(NET_DEV).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].name, "lo");
    assert_eq!(rows[0].counters.in_octets, 3245);
    assert_eq!(rows[0].counters.in_ucast, 30);
    let eth = &rows[2];
    assert_eq!(eth.name, "eth0");
    assert_eq!(eth.counters.in_octets, 44_197_552);
    assert_eq!(eth.counters.in_ucast, 2691);
    assert_eq!(eth.counters.out_octets, 266_162);
    assert_eq!(eth.counters.out_ucast, 2120);
    assert_eq!(eth.counters.in_bcast, 0);
}

#[test]
fn net_dev_multicast_and_errors() {
    let text = "eth1: 1000 10 2 3 0 0 0 4 2000 20 5 6 0 0 0 0\n";
    let row = net_dev(text).next().unwrap();
    let c = row.counters;
    assert_eq!((c.in_ucast, c.in_mcast), (6, 4));
    assert_eq!((c.in_errors, c.in_discards), (2, 3));
    assert_eq!((c.out_errors, c.out_discards), (5, 6));
}

#[test]
fn net_dev_odd_input() {
    assert_eq!(net_dev("").count(), 0);
    assert_eq!(net_dev("garbage\n:::\n").count(), 0);
    // Short and non-numeric lines read as zero rather than failing.
    let row = net_dev("x0: 12 zz").next().unwrap();
    assert_eq!(row.counters.in_octets, 12);
    assert_eq!(row.counters.in_ucast, 0);
}

#[test]
fn snmp_by_name() {
    let ip = ip_stats(SNMP);
    assert_eq!(ip.default_ttl, 64);
    assert_eq!(ip.in_receives, 2716);
    assert_eq!(ip.in_delivers, 2716);
    assert_eq!(ip.out_requests, 2137);
    let tcp = tcp_stats(SNMP);
    assert_eq!(tcp.active_opens, 68);
    assert_eq!(tcp.passive_opens, 2);
    assert_eq!(tcp.estab_resets, 56);
    assert_eq!(tcp.in_segs, 2581);
    assert_eq!(tcp.out_segs, 2058);
    assert_eq!(tcp.retrans_segs, 1);
    assert_eq!(tcp.out_rsts, 61);
    let udp = udp_stats(SNMP);
    // Not confused with the UdpLite lines.
    assert_eq!(udp.in_datagrams, 134);
    assert_eq!(udp.out_datagrams, 135);
    assert_eq!(udp.no_ports, 0);
}

#[test]
fn snmp_columns_found_by_name_not_position() {
    let text = "Udp: OutDatagrams Future InDatagrams\nUdp: 9 -3 8\n";
    let udp = udp_stats(text);
    assert_eq!((udp.out_datagrams, udp.in_datagrams), (9, 8));
    assert_eq!(udp_stats("Udp: InDatagrams\n"), UdpStats::default());
    assert_eq!(tcp_stats(""), TcpStats::default());
    assert_eq!(ip_stats("Ip: DefaultTTL\nIp: 99999\n").default_ttl, 255);
}

#[cfg(target_endian = "little")]
#[test]
fn tcp_table_rows() {
    let rows: Vec<_> = tcp_table(TCP).collect();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0].local, "0.0.0.0:2024".parse().unwrap());
    assert_eq!(rows[0].state, TcpState::Listen);
    assert!(rows[0].remote.ip().is_unspecified());
    assert_eq!(rows[2].local, "127.0.0.1:47056".parse().unwrap());
    assert_eq!(rows[2].remote, "127.0.0.1:39195".parse().unwrap());
    assert_eq!(rows[2].state, TcpState::Established);
    assert_eq!(rows[4].local, "198.51.100.2:57406".parse().unwrap());
    assert_eq!(rows[4].remote, "203.0.113.80:80".parse().unwrap());
    assert_eq!(rows[4].state, TcpState::TimeWait);
}

#[cfg(target_endian = "little")]
#[test]
fn tcp6_and_udp_tables() {
    let rows: Vec<_> = tcp_table(TCP6).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].local, "[::1]:22".parse().unwrap());
    assert_eq!(rows[0].state, TcpState::Listen);
    let eps: Vec<_> = udp_table(UDP).collect();
    assert_eq!(eps.len(), 1);
    assert_eq!(eps[0].local, "127.0.0.1:43715".parse().unwrap());
}

#[test]
fn tables_skip_odd_lines() {
    let text = "junk\n 1: 0100007F 00000000:0000 0A\n 2: 0100007F:0016 00000000:0000 FF\n 3: XYZ:1 0:0 01\n 4: 0100007F:0016 00000000:0000";
    assert_eq!(tcp_table(text).count(), 0);
    assert_eq!(proc_socket_addr("0100007F:GGGG"), None);
    assert_eq!(proc_socket_addr("01007F:0016"), None);
}

#[test]
fn tcp_states() {
    assert_eq!(linux_tcp_state(0x0A), Some(TcpState::Listen));
    assert_eq!(linux_tcp_state(0x0C), Some(TcpState::SynReceived));
    assert_eq!(linux_tcp_state(0x08), Some(TcpState::CloseWait));
    assert_eq!(linux_tcp_state(0), None);
    assert_eq!(linux_tcp_state(13), None);
}

#[test]
fn sys_files() {
    assert_eq!(
        mac_address("02:fc:00:00:00:01\n"),
        Some([0x02, 0xfc, 0, 0, 0, 1])
    );
    assert_eq!(mac_address("00:00:00:00:00:00"), Some([0; 6]));
    assert_eq!(mac_address("02:fc:00:00:00"), None);
    assert_eq!(mac_address("02:fc:00:00:00:01:02"), None);
    assert_eq!(mac_address(""), None);
    assert!(oper_up("up\n"));
    assert!(oper_up("unknown\n"));
    assert!(!oper_up("down\n"));
    assert_eq!(sys_number("1400\n"), Some(1400));
    assert_eq!(sys_number("-1\n"), None);
}

/// Captured in a network namespace with `d0` = 198.51.100.7/24 and
/// 203.0.113.9/30, `d1` = 10.1.2.3/16, lo up and a default route via
/// 198.51.100.1 (Debian 12, kernel 6.x; the `Local:` table repeats `Main:`
/// and is cut here).
const FIB_TRIE: &str = "\
Main:
  +-- 0.0.0.0/0 3 0 5
     +-- 0.0.0.0/4 2 0 2
        |-- 0.0.0.0
           /0 universe UNICAST
        +-- 10.1.0.0/16 2 0 2
           +-- 10.1.0.0/22 2 0 2
              |-- 10.1.0.0
                 /16 link UNICAST
              |-- 10.1.2.3
                 /32 host LOCAL
           |-- 10.1.255.255
              /32 link BROADCAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
     +-- 192.0.0.0/4 2 0 2
        +-- 198.51.100.0/24 2 0 2
           +-- 198.51.100.0/29 2 0 2
              |-- 198.51.100.0
                 /24 link UNICAST
              |-- 198.51.100.7
                 /32 host LOCAL
           |-- 198.51.100.255
              /32 link BROADCAST
        +-- 203.0.113.8/30 2 0 1
           |-- 203.0.113.8
              /30 link UNICAST
           |-- 203.0.113.9
              /32 host LOCAL
           |-- 203.0.113.11
              /32 link BROADCAST
Local:
  +-- 0.0.0.0/0 3 0 5
     +-- 0.0.0.0/4 2 0 2
        |-- 0.0.0.0
           /0 universe UNICAST
        +-- 10.1.0.0/16 2 0 2
           +-- 10.1.0.0/22 2 0 2
              |-- 10.1.0.0
                 /16 link UNICAST
              |-- 10.1.2.3
                 /32 host LOCAL
";

/// `/proc/net/route` of the same namespace.
const ROUTE: &str = "\
Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       
d0\t00000000\t016433C6\t0003\t0\t0\t0\t00000000\t0\t0\t0                                                                                 
d1\t0000010A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0                                                                                 
d0\t006433C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0                                                                                 
d0\t087100CB\t00000000\t0001\t0\t0\t0\tFCFFFFFF\t0\t0\t0                                                                                 
";

#[cfg(target_endian = "little")]
#[test]
fn ipv4_addresses_from_fib_trie_and_routes() {
    let got: Vec<_> = ipv4_addresses(FIB_TRIE, ROUTE, "lo")
        .iter()
        .map(|a| (a.interface, a.addr.to_string(), a.prefix_len))
        .collect();
    assert_eq!(
        got,
        [
            ("d1", "10.1.2.3".to_string(), 16),
            ("lo", "127.0.0.1".to_string(), 8),
            ("d0", "198.51.100.7".to_string(), 24),
            ("d0", "203.0.113.9".to_string(), 30),
        ]
    );
}

#[cfg(target_endian = "little")]
#[test]
fn ipv4_addresses_odd_input() {
    assert!(ipv4_addresses("", "", "lo").is_empty());
    // A local address without a connected route and not loopback: left out.
    let trie = "Local:\n  |-- 198.51.100.7\n     /32 host LOCAL\n";
    assert!(ipv4_addresses(trie, "", "lo").is_empty());
    // With a route but no subnet in the trie: a /32 on that interface.
    let route = "eth9\t006433C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
    let a = ipv4_addresses(trie, route, "lo");
    assert_eq!((a[0].interface, a[0].prefix_len), ("eth9", 32));
    // Gateway routes, down routes, odd masks and junk never name an interface.
    let route = "gw\t006433C6\t01010101\t0003\t0\t0\t0\t00FFFFFF\t0\t0\t0\n\
                 down\t006433C6\t00000000\t0000\t0\t0\t0\t00FFFFFF\t0\t0\t0\n\
                 odd\t006433C6\t00000000\t0001\t0\t0\t0\t00FF00FF\t0\t0\t0\n\
                 short\t006433C6\nbad\tZZ\t0\t1\t0\t0\t0\tGG";
    assert!(ipv4_addresses(trie, route, "lo").is_empty());
    // Prefix lines without a leaf, bad lengths and bad addresses are skipped.
    let trie =
        "/32 host LOCAL\n|-- 999.1.1.1\n /32 host LOCAL\n|-- 127.0.0.1\n /33 host LOCAL\n /x\n";
    assert!(ipv4_addresses(trie, "", "lo").is_empty());
}

#[test]
fn live_ipv4_addresses_include_loopback() {
    // On Linux the namespace this runs in has at least 127.0.0.1 on lo if lo
    // is up; elsewhere the files are missing and the list is empty.
    let read = |p| std::fs::read_to_string(p).unwrap_or_default();
    let trie = read("/proc/net/fib_trie");
    if trie.contains("127.0.0.1") {
        let route = read("/proc/net/route");
        let all = ipv4_addresses(&trie, &route, "lo");
        assert!(
            all.iter()
                .any(|a| a.addr == Ipv4Addr::LOCALHOST && a.prefix_len == 8 && a.interface == "lo")
        );
    }
}
