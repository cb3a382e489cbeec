//! How much of the web door one party may hold at once, beside its total of
//! [`super::MAX_CONNECTIONS`]: connections per address ([`PER_ADDRESS`]) and
//! WebSockets per participant ([`SOCKETS_PER_PARTICIPANT`]). Without them
//! one collaborator (or one address) could open sockets that never attach
//! and hold every place of the door; a socket must also send `start` within
//! `collab::START_WITHIN`, so one that never does gives its place back soon.
//!
//! Loopback peers are not counted per address: they are this machine — a
//! reverse proxy or an `ssh -L` forward carrying many people at once — and a
//! proxy limits each of its clients itself (README, nginx's `limit_conn`).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// Connections one address (an IPv6 /64) may hold at once: an eighth of the
/// door, so that it takes several addresses to fill it, while a household
/// or an office behind one address still gets in.
pub const PER_ADDRESS: usize = 32;
/// WebSockets one participant may hold at once: their attach streams
/// (`collab::slots::PER_PARTICIPANT`) twice over, room for the sockets of a
/// page that reconnects while the old ones are still closing.
pub const SOCKETS_PER_PARTICIPANT: usize = 2 * crate::collab::slots::PER_PARTICIPANT;

/// Open things counted by key, at most `max` each.
pub struct Counted<K> {
    max: usize,
    open: Arc<Mutex<HashMap<K, usize>>>,
}

/// One counted thing; dropping it gives its place back.
pub struct Held<K: Hash + Eq> {
    key: K,
    open: Arc<Mutex<HashMap<K, usize>>>,
}

impl<K: Hash + Eq + Clone> Counted<K> {
    pub fn new(max: usize) -> Counted<K> {
        Counted {
            max,
            open: Arc::default(),
        }
    }

    /// A place for `key`, if it holds fewer than the most.
    pub fn take(&self, key: K) -> Option<Held<K>> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let n = open.entry(key.clone()).or_default();
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(Held {
            key,
            open: self.open.clone(),
        })
    }

    /// How many keys hold a place now.
    #[cfg(test)]
    fn keys(&self) -> usize {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl<K: Hash + Eq> Drop for Held<K> {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// The address a peer is counted under: none for loopback (see above); an
/// IPv6 peer by its /64, which one subscriber usually holds whole.
pub fn address_key(ip: IpAddr) -> Option<IpAddr> {
    let ip = ip.to_canonical();
    if ip.is_loopback() {
        return None;
    }
    Some(match ip {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
        v4 => v4,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_max_per_key_and_a_dropped_one_frees_its_place() {
        let counted = Counted::new(2);
        let a1 = counted.take("a").unwrap();
        let _a2 = counted.take("a").unwrap();
        assert!(counted.take("a").is_none());
        // Another key has its own count.
        let b = counted.take("b").unwrap();
        drop(a1);
        assert!(counted.take("a").is_some());
        drop(b);
        // Keys with nothing open are forgotten.
        assert_eq!(counted.keys(), 1);
    }

    #[test]
    fn loopback_is_not_counted_and_ipv6_counts_by_its_64() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        for lo in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            assert_eq!(address_key(ip(lo)), None, "{lo}");
        }
        assert_eq!(address_key(ip("192.0.2.7")), Some(ip("192.0.2.7")));
        assert_eq!(address_key(ip("::ffff:192.0.2.7")), Some(ip("192.0.2.7")));
        assert_eq!(
            address_key(ip("2001:db8:1:2:aaaa::1")),
            address_key(ip("2001:db8:1:2:bbbb::9"))
        );
        assert_ne!(
            address_key(ip("2001:db8:1:2::1")),
            address_key(ip("2001:db8:1:3::1"))
        );
    }
}
