//! `--tap`: the suite over Petrel's smoltcp stack on a Linux TAP device.

use std::net::Ipv4Addr;
use std::process::ExitCode;

use log::info;
use petrel_netcore::Network;
use petrel_netcore::smol::{self, Capacity, IpConfig, Memory, StackConfig};
use petrel_netcore::tap::TapDevice;
use petrel_netcore::tokio_clock::TokioClock;

use crate::config::Config;
use crate::{EXIT_FAILURE, fail, run};

/// Socket capacity of the TAP stack: a host has memory to spare, so windows
/// are large enough for multi-gigabit throughput over the TAP path.
const TAP_CAPACITY: Capacity = Capacity {
    tcp_sockets: 64,
    tcp_rx: 256 * 1024,
    tcp_tx: 256 * 1024,
    udp_sockets: 16,
    udp_rx: 64 * 1024,
    udp_tx: 64 * 1024,
    udp_packets: 64,
    dns_queries: 4,
    tcp_reserved: &[],
    udp_reserved: &[],
};

/// A stable, locally administered MAC address derived from the interface
/// name, so restarts keep the same neighbour entries.
fn mac_for(name: &str) -> [u8; 6] {
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    let [a, b, c, d] = h.to_be_bytes();
    [0x02, 0x50, a, b, c, d]
}

/// Opens `ifname`, starts the stack, waits for an address, runs the services.
pub(crate) async fn run_tap(ifname: &str, ip: IpConfig, config: &Config) -> ExitCode {
    let device = match TapDevice::open(ifname) {
        Ok(d) => d,
        Err(e) => return fail(EXIT_FAILURE, &format!("--tap {ifname}: cannot open: {e}")),
    };
    let clock: &'static TokioClock = Box::leak(Box::new(TokioClock::new()));
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    let name: &'static str = Box::leak(ifname.to_string().into_boxed_str());
    let stack_cfg = StackConfig {
        mac: mac_for(ifname),
        ip,
        random_seed: seed,
        name,
        mtu: device.mtu() as u32,
        speed_bps: 10_000_000_000,
    };
    let (stack, mut runner) = match smol::new(
        device,
        stack_cfg,
        &TAP_CAPACITY,
        Memory::leak(&TAP_CAPACITY),
        clock,
    ) {
        Ok(s) => s,
        Err(e) => return fail(EXIT_FAILURE, &format!("--tap {ifname}: {e}")),
    };
    tokio::task::spawn_local(async move { runner.run().await });
    if matches!(ip, IpConfig::Dhcp) {
        info!("tap {ifname}: waiting for a DHCP lease");
    }
    stack.wait_configured().await;
    let addr = stack.ipv4_addr().unwrap_or(Ipv4Addr::UNSPECIFIED);
    let dns: Vec<String> = stack.dns_servers().iter().map(|d| d.to_string()).collect();
    info!(
        "tap {ifname}: smoltcp stack at {addr}, mac {}, gateway {}, dns [{}]",
        petrel_netcore::stats::Mac(stack_cfg.mac),
        stack
            .gateway()
            .map_or_else(|| "none".to_string(), |g| g.to_string()),
        dns.join(", ")
    );
    run(stack, &config.rebound_to(addr)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_is_stable_unicast_and_local() {
        let m = mac_for("tap0");
        assert_eq!(m, mac_for("tap0"));
        assert_ne!(m, mac_for("tap1"));
        assert_eq!(m[0] & 0x01, 0, "unicast");
        assert_eq!(m[0] & 0x02, 0x02, "locally administered");
    }
}
