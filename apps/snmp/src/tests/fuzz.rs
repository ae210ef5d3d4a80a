//! Deterministic fuzzing: 100 000 random and mutated datagrams through the
//! whole agent (v1, v2c, v3). The agent must never panic and every
//! response must fit its buffer and decode.

use super::agent_v2::{names, request};
use super::*;
use crate::agent::{Outcome, TableMib};
use crate::message::Version;
use crate::pdu::PduType;
use crate::usm::crypto::{AuthProtocol, PrivProtocol};
use crate::usm::{Secret, SecurityLevel, UserConfig};

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn fuzz_agent_100k() {
    let mut e = entries();
    let mut mib: TableMib<'_, 64> = TableMib::new(&mut e);
    let mut a = agent();
    a.add_user(&UserConfig {
        name: b"alice",
        auth: Some((AuthProtocol::HmacSha1, Secret::Localized(&[7; 20]))),
        privacy: Some((PrivProtocol::Aes128, Secret::Localized(&[8; 16]))),
        min_level: SecurityLevel::NoAuthNoPriv,
        access: Access::ReadWrite,
        read_view: View::All,
        write_view: View::All,
    })
    .unwrap();
    let seeds: Vec<Vec<u8>> = vec![
        hex(CAP_GET_V2C),
        hex(CAP_GETNEXT_V1),
        hex(CAP_BULK_V2C),
        hex(CAP_SET_V2C),
        hex(CAP_V3_DISCOVERY),
        request(
            Version::V2c,
            b"private",
            PduType::GetBulkRequest,
            1,
            30,
            &names(&[sys(1), Oid::new(&[1, 3])]),
        ),
        request(
            Version::V1,
            b"limited",
            PduType::GetNextRequest,
            0,
            0,
            &names(&[Oid::new(&[1, 3]), sys(9)]),
        ),
    ];
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut resp = [0u8; 1500];
    let mut answered = 0;
    for i in 0..100_000 {
        let mut pkt = if i % 10 == 0 {
            (0..rng.below(300)).map(|_| rng.next() as u8).collect()
        } else {
            seeds[rng.below(seeds.len())].clone()
        };
        for _ in 0..=rng.below(4) {
            if pkt.is_empty() {
                break;
            }
            let at = rng.below(pkt.len());
            match rng.below(6) {
                0 => pkt[at] = rng.next() as u8,
                1 => pkt[at] ^= 1 << rng.below(8),
                2 => pkt.truncate(at),
                3 => pkt.insert(at, rng.next() as u8),
                4 => {
                    pkt.remove(at);
                }
                _ => pkt[at] = [0x00, 0x7f, 0x80, 0x81, 0x84, 0xff][rng.below(6)],
            }
        }
        let now = Instant::from_millis(i as u64 * 10);
        match a.handle_request(now, &mut pkt, &mut resp, &mut mib) {
            Outcome::Respond(n) => {
                assert!(n <= resp.len());
                assert!(crate::message::Message::decode(&resp[..n], 10_000).is_ok());
                answered += 1;
            }
            Outcome::Drop(_) => {}
        }
        while a.poll_event().is_some() {}
    }
    assert!(answered > 1000, "{answered}");
    assert_eq!(a.stats().in_pkts, 100_000);
}
