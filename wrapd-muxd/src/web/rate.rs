//! Enrollment attempts per address: a token bucket each (a burst, then a
//! steady rate), so that guessing secrets from one address is slow while a
//! person who mistypes a few times is not held up.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Attempts an address may make at once.
pub const BURST: u32 = 10;
/// Then one more every this long.
pub const REFILL: Duration = Duration::from_secs(6);
/// Addresses remembered at most; full buckets are forgotten first.
const MAX_ADDRESSES: usize = 4096;

#[derive(Default)]
pub struct RateLimit {
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimit {
    /// May `ip` make an attempt now? (Takes one if so.)
    pub fn allow(&self, ip: IpAddr) -> bool {
        self.allow_at(ip, Instant::now())
    }

    /// Give back the attempt `ip` just made: it showed the secret was right
    /// (looking up what a link asks before joining), so it guessed nothing.
    pub fn refund(&self, ip: IpAddr) {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(b) = buckets.get_mut(&ip) {
            b.tokens = (b.tokens + 1.0).min(f64::from(BURST));
        }
    }

    fn allow_at(&self, ip: IpAddr, now: Instant) -> bool {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let refill = |b: &Bucket| {
            let earned = now.saturating_duration_since(b.at).as_secs_f64() / REFILL.as_secs_f64();
            (b.tokens + earned).min(f64::from(BURST))
        };
        if buckets.len() >= MAX_ADDRESSES {
            buckets.retain(|_, b| refill(b) < f64::from(BURST));
        }
        let bucket = buckets.entry(ip).or_insert(Bucket {
            tokens: f64::from(BURST),
            at: now,
        });
        bucket.tokens = refill(bucket);
        bucket.at = now;
        if bucket.tokens < 1.0 {
            return false;
        }
        bucket.tokens -= 1.0;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_per_refill_per_address() {
        let limit = RateLimit::default();
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "::1".parse().unwrap());
        let t = Instant::now();
        for _ in 0..BURST {
            assert!(limit.allow_at(a, t));
        }
        assert!(!limit.allow_at(a, t));
        // Another address has its own bucket.
        assert!(limit.allow_at(b, t));
        assert!(!limit.allow_at(a, t + REFILL / 2));
        assert!(limit.allow_at(a, t + REFILL));
        assert!(!limit.allow_at(a, t + REFILL));
        // An attempt given back may be made again, once.
        limit.refund(a);
        assert!(limit.allow_at(a, t + REFILL));
        assert!(!limit.allow_at(a, t + REFILL));
    }
}
