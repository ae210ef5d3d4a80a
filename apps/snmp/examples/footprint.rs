//! Prints the RAM the agent's state takes (`size_of`), for BENCHMARKS.md:
//!
//! ```text
//! cargo run -p petrel-snmp --features driver --example footprint
//! ```
//!
//! The network handle is the host's `OsNetwork` (16 octets); on a
//! microcontroller it is a `&Stack` (4 octets).

use core::mem::size_of;

use petrel_netcore::os::OsNetwork;
use petrel_snmp::agent::{Agent, MIB_SCRATCH_LEN};
use petrel_snmp::driver::Driver;
use petrel_snmp::mib2::Mib2;
use petrel_snmp::trap::InformSender;
use petrel_snmp::usm::User;

fn main() {
    println!(
        "Agent<'_, 4> (4 USM users)       {:>6} B",
        size_of::<Agent<'static, 4>>()
    );
    println!(
        "  of which one User               {:>6} B",
        size_of::<User<'static>>()
    );
    println!(
        "Mib2<OsNetwork>                   {:>6} B",
        size_of::<Mib2<'static, OsNetwork>>()
    );
    println!(
        "InformSender<4, 484>              {:>6} B",
        size_of::<InformSender<4, 484>>()
    );
    println!(
        "Driver<'_, 4, 4, 484> (agent incl.) {:>4} B",
        size_of::<Driver<'static, 4, 4, 484>>()
    );
    println!("MIB scratch per Get (stack)       {:>6} B", MIB_SCRATCH_LEN);
    println!(
        "request + response buffers        {:>6} B (1500 + 1500 for one Ethernet frame)",
        3000
    );
}
