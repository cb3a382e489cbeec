//! Share secrets: random, kept only as SHA-256 hashes, compared in constant time.

use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

/// `N` bytes from the system's secure random source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The system RNG failing is not something to go on from.
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system random source works");
    bytes
}

/// A new secret for a link (URL-safe: lower-case hex, 256 bits).
pub fn new_secret() -> String {
    super::ca::hex(&random_bytes::<32>())
}

/// A short random id (share ids), 96 bits of hex.
pub fn new_id() -> String {
    super::ca::hex(&random_bytes::<12>())
}

/// What is stored of a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretHash([u8; 32]);

impl std::fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretHash(..)")
    }
}

impl SecretHash {
    pub fn of(secret: &str) -> SecretHash {
        SecretHash(Sha256::digest(secret.as_bytes()).into())
    }

    /// The hash, to hand over to a new binary.
    pub fn bytes(&self) -> [u8; 32] {
        self.0
    }

    /// A hash handed over (32 bytes), else `None`.
    pub fn from_bytes(bytes: &[u8]) -> Option<SecretHash> {
        bytes.try_into().ok().map(SecretHash)
    }

    /// Does `secret` hash to this? Takes the same time wherever they differ.
    pub fn matches(&self, secret: &str) -> bool {
        let other = SecretHash::of(secret);
        let diff = self
            .0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        diff == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_match_only_themselves() {
        let s = new_secret();
        assert_eq!(s.len(), 64);
        let h = SecretHash::of(&s);
        assert!(h.matches(&s));
        assert!(!h.matches(&new_secret()));
        assert!(!h.matches(""));
        assert_ne!(new_id(), new_id());
    }
}
