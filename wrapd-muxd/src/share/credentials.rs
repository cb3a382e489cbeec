//! Web credentials: what a browser holds instead of a certificate. Made at
//! enrollment (256 random bits, handed to the browser once as a cookie), kept
//! only as their SHA-256, and each stands for the same [`PeerCert`] a
//! certificate would — serial, name, email, share, participant, role, expiry —
//! so that `share::authz` checks a browser exactly as it checks a certificate.
//!
//! The daemon owns the table (the web door uses it, and keeps it across a
//! reload that moves or re-opens the door). It lives in memory and crosses an
//! upgrade with the rest of the state (`handover`), so a browser's cookie
//! stays good; after a plain restart every credential is unknown and its
//! holder must join again (their shares are gone too). Removal and stopping
//! revoke credentials through their serials, in `revoked.json`.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use crate::share::identity::{CertIdentity, PeerCert};
use crate::share::secret::{new_id, new_secret};

/// Expired credentials are forgotten this long after they expire (until
/// then their holder is told that it expired, not that it is unknown).
const KEEP_EXPIRED: Duration = Duration::from_secs(24 * 3600);

/// A credential just made: the token for the browser, and what it stands for.
pub struct NewCredential {
    pub token: String,
    pub holder: PeerCert,
}

impl NewCredential {
    /// A credential for `who`, good for `validity`.
    pub fn mint(who: &CertIdentity, validity: Duration) -> NewCredential {
        NewCredential {
            token: new_secret(),
            holder: PeerCert {
                serial: format!("web-{}", new_id()),
                name: who.name.clone(),
                email: who.email.clone(),
                share: Some((who.share_id.clone(), who.participant_id.clone(), who.role)),
                not_after: SystemTime::now() + validity,
            },
        }
    }
}

/// The SHA-256 of a credential's token: all the daemon keeps of it.
pub type TokenHash = [u8; 32];

/// Every credential given out, by the hash of its token.
#[derive(Default)]
pub struct Credentials {
    by_hash: Mutex<HashMap<TokenHash, PeerCert>>,
}

fn hash(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

impl Credentials {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TokenHash, PeerCert>> {
        self.by_hash.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Remember `c` (its token only as a hash).
    pub fn keep(&self, c: &NewCredential) {
        let mut map = self.lock();
        let now = SystemTime::now();
        map.retain(|_, h| h.not_after + KEEP_EXPIRED > now);
        map.insert(hash(&c.token), c.holder.clone());
    }

    /// Every credential kept, by its token's hash (what a hand-over passes on).
    pub fn all(&self) -> Vec<(TokenHash, PeerCert)> {
        self.lock().iter().map(|(h, c)| (*h, c.clone())).collect()
    }

    /// Take back credentials kept by the image before this one.
    pub fn restore(&self, kept: impl IntoIterator<Item = (TokenHash, PeerCert)>) {
        self.lock().extend(kept);
    }

    /// Who holds `token`, if it is one we gave out.
    pub fn holder(&self, token: &str) -> Option<PeerCert> {
        self.lock().get(&hash(token)).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::share::Role;

    #[test]
    fn a_token_finds_its_holder_and_nothing_else_does() {
        let who = CertIdentity {
            share_id: "s1".into(),
            participant_id: "p1".into(),
            role: Role::Viewer,
            name: "Ada".into(),
            email: String::new(),
        };
        let c = NewCredential::mint(&who, Duration::from_secs(60));
        let store = Credentials::default();
        store.keep(&c);
        let h = store.holder(&c.token).unwrap();
        assert_eq!(h.share, Some(("s1".into(), "p1".into(), Role::Viewer)));
        assert!(h.serial.starts_with("web-"));
        assert!(store.holder(&new_secret()).is_none());
        assert!(store.holder("").is_none());
        // Kept under its hash.
        let all = store.all();
        assert_eq!(
            all.iter().map(|(h, _)| h).collect::<Vec<_>>(),
            [&hash(&c.token)]
        );
        // Handed to another table, the same token finds the same holder.
        let next = Credentials::default();
        next.restore(all);
        assert_eq!(next.holder(&c.token).unwrap().serial, h.serial);
    }
}
