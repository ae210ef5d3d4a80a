//! Reconnect back-off: exponential, capped, with jitter from a caller seed.

use petrel_netcore::time::Duration;

/// Reconnect delay policy. The `n`-th consecutive failure waits
/// `min(max, min_delay × 2ⁿ)` minus a random part of up to `jitter_percent`
/// of it, so a fleet of devices that lost the same broker does not come back
/// in lock-step. A successful CONNACK starts again at `min_delay`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct BackoffConfig {
    /// First delay. Default: 500 ms.
    pub min_delay: Duration,
    /// Largest delay. Default: 60 s.
    pub max_delay: Duration,
    /// How much of each delay may be taken off at random, 0–100.
    /// Default: 50 (each delay is in `[base/2, base]`, so delays never shrink
    /// while the base doubles).
    pub jitter_percent: u8,
    /// Seed of the jitter generator (e.g. from the MAC address or a hardware
    /// RNG). No global RNG is used. Default: 1.
    pub seed: u64,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        BackoffConfig {
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
            jitter_percent: 50,
            seed: 1,
        }
    }
}

/// The back-off state: consecutive failures and the jitter generator.
#[derive(Clone, Debug)]
pub struct Backoff {
    config: BackoffConfig,
    failures: u32,
    rng: u64,
}

impl Backoff {
    /// A fresh back-off (next delay: about `min_delay`).
    pub fn new(config: BackoffConfig) -> Self {
        Backoff {
            config,
            failures: 0,
            // xorshift must not start at 0.
            rng: config.seed | 1,
        }
    }

    /// Consecutive failures so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Forgets the failures (after a successful CONNACK).
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// The delay before the next attempt; counts one more failure.
    pub fn next_delay(&mut self) -> Duration {
        let c = self.config;
        let shift = self.failures.min(40);
        let base_us = c
            .min_delay
            .as_micros()
            .saturating_mul(1u64 << shift)
            .min(c.max_delay.as_micros().max(c.min_delay.as_micros()));
        self.failures = self.failures.saturating_add(1);
        let span = base_us / 100 * u64::from(c.jitter_percent.min(100));
        let cut = if span == 0 {
            0
        } else {
            self.random() % (span + 1)
        };
        Duration::from_micros(base_us - cut)
    }

    /// xorshift64*: tiny, deterministic for a given seed.
    fn random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_caps_and_resets() {
        let cfg = BackoffConfig {
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1600),
            jitter_percent: 50,
            seed: 42,
        };
        let mut b = Backoff::new(cfg);
        let mut last = Duration::ZERO;
        for n in 0..8u32 {
            let base = (100u64 << n.min(4)).min(1600);
            let d = b.next_delay();
            assert!(
                d.as_millis() <= base && d.as_millis() >= base / 2,
                "{n}: {d:?}"
            );
            if base < 1600 {
                assert!(d >= last);
            }
            last = d;
        }
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(100));
    }

    #[test]
    fn seed_decides_jitter_and_zero_jitter_is_exact() {
        let mk = |seed, jitter_percent| {
            let mut b = Backoff::new(BackoffConfig {
                seed,
                jitter_percent,
                ..BackoffConfig::default()
            });
            [b.next_delay(), b.next_delay(), b.next_delay()]
        };
        assert_eq!(mk(7, 50), mk(7, 50));
        assert_ne!(mk(7, 50), mk(8, 50));
        assert_eq!(mk(7, 0), [500, 1000, 2000].map(Duration::from_millis));
        // Huge failure counts neither overflow nor exceed the cap.
        let mut b = Backoff::new(BackoffConfig::default());
        for _ in 0..200 {
            assert!(b.next_delay() <= Duration::from_secs(60));
        }
    }
}
