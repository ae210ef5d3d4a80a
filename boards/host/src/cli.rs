//! The command line.

use std::fmt;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::str::FromStr;

use clap::{ArgGroup, Parser, Subcommand};
use log::LevelFilter;

/// Every Petrel service on this machine, on 127.0.0.1 by default.
#[derive(Debug, Parser)]
#[command(name = "petrel", version, about)]
#[command(group(ArgGroup::new("addressing").args(["ip", "dhcp"])))]
pub(crate) struct Cli {
    /// The configuration file (TOML); without it, the defaults.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,

    /// Print the default configuration as TOML and exit.
    #[arg(long)]
    pub(crate) print_default_config: bool,

    /// off, error, warn, info (default), debug or trace; overrides RUST_LOG.
    #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
    pub(crate) log_level: Option<LevelFilter>,

    /// Run over the smoltcp stack on this TAP device instead of host sockets.
    #[arg(long, value_name = "IFNAME", requires = "addressing")]
    pub(crate) tap: Option<String>,

    /// Static address on the TAP device.
    #[arg(
        long,
        value_name = "ADDR/PREFIX",
        requires = "tap",
        conflicts_with = "dhcp"
    )]
    pub(crate) ip: Option<Ipv4Cidr>,

    /// Default gateway (with --ip).
    #[arg(long, value_name = "ADDR", requires = "ip")]
    pub(crate) gw: Option<Ipv4Addr>,

    /// Get an address by DHCP on the TAP device.
    #[arg(long, requires = "tap")]
    pub(crate) dhcp: bool,

    /// Run only these services (comma-separated: http, https, snmp, tftp,
    /// iperf, echo, mqtt, mdns, netbios, sntp); the others stay off whatever the
    /// config says.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub(crate) only: Option<Vec<String>>,

    /// A tool to run instead of the services.
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// Tools run instead of the services.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// An iPerf 2 client: `petrel iperf -c HOST [-t SECS | -n BYTES] [-d | -r] [-u -b RATE]`.
    Iperf(crate::iperf::IperfArgs),
}

fn parse_level(s: &str) -> Result<LevelFilter, String> {
    s.parse()
        .map_err(|_| format!("unknown log level `{s}` (off, error, warn, info, debug, trace)"))
}

/// An IPv4 address with a prefix length ("198.51.100.2/24").
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Ipv4Cidr {
    /// The address.
    pub(crate) addr: Ipv4Addr,
    /// The prefix length, 0..=32.
    pub(crate) prefix: u8,
}

impl FromStr for Ipv4Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (addr, prefix) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}`: expected ADDR/PREFIX, like 198.51.100.2/24"))?;
        let addr = addr
            .parse()
            .map_err(|_| format!("`{addr}`: not an IPv4 address"))?;
        let prefix = prefix
            .parse::<u8>()
            .ok()
            .filter(|p| *p <= 32)
            .ok_or_else(|| format!("`{prefix}`: prefix must be 0..=32"))?;
        Ok(Ipv4Cidr { addr, prefix })
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn cidr() {
        let c: Ipv4Cidr = "198.51.100.2/24".parse().unwrap();
        assert_eq!((c.addr, c.prefix), (Ipv4Addr::new(198, 51, 100, 2), 24));
        assert_eq!(c.to_string(), "198.51.100.2/24");
        assert!("198.51.100.2".parse::<Ipv4Cidr>().is_err());
        assert!("198.51.100.2/33".parse::<Ipv4Cidr>().is_err());
        assert!("x/24".parse::<Ipv4Cidr>().is_err());
    }

    #[test]
    fn tap_needs_an_address_source() {
        assert!(Cli::try_parse_from(["petrel", "--tap", "tap0"]).is_err());
        assert!(Cli::try_parse_from(["petrel", "--ip", "198.51.100.2/24"]).is_err());
        assert!(
            Cli::try_parse_from([
                "petrel",
                "--tap",
                "tap0",
                "--dhcp",
                "--ip",
                "198.51.100.2/24"
            ])
            .is_err()
        );
        let c = Cli::try_parse_from([
            "petrel",
            "--tap",
            "tap0",
            "--ip",
            "198.51.100.2/24",
            "--gw",
            "198.51.100.1",
        ])
        .unwrap();
        assert_eq!(c.tap.as_deref(), Some("tap0"));
        assert!(Cli::try_parse_from(["petrel", "--tap", "tap0", "--dhcp"]).is_ok());
        assert!(Cli::try_parse_from(["petrel", "--log-level", "loud"]).is_err());
    }
}
