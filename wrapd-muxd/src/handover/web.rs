//! The web door's credentials to and from the state: a browser's cookie
//! stays good across an upgrade. (The door's listener crosses as a
//! descriptor, with the others: `Listeners.web_door`.)

use std::time::{Duration, UNIX_EPOCH};

use wrapd_proto::state as hpb;

use crate::share::Role;
use crate::share::credentials::{Credentials, TokenHash};
use crate::share::identity::PeerCert;

/// Every credential `table` keeps.
pub fn save(table: &Credentials) -> Vec<hpb::WebCredential> {
    table.all().into_iter().map(save_one).collect()
}

fn save_one((hash, c): (TokenHash, PeerCert)) -> hpb::WebCredential {
    let (share_id, participant_id, role) = match c.share {
        Some((share, participant, role)) => (share, participant, role.name().to_owned()),
        None => Default::default(),
    };
    hpb::WebCredential {
        token_sha256: hash.to_vec(),
        serial: c.serial,
        name: c.name,
        email: c.email,
        share_id,
        participant_id,
        role,
        not_after_ms: c
            .not_after
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64),
    }
}

/// The credentials of the state, each checked; what is wrong, in words.
pub fn restore(saved: Vec<hpb::WebCredential>) -> Result<Vec<(TokenHash, PeerCert)>, String> {
    saved.into_iter().map(restore_one).collect()
}

fn restore_one(c: hpb::WebCredential) -> Result<(TokenHash, PeerCert), String> {
    let what = format!("web credential {}", c.serial);
    let hash: TokenHash = c
        .token_sha256
        .as_slice()
        .try_into()
        .map_err(|_| format!("{what}: its token's hash is not 32 bytes"))?;
    let share = match (c.share_id.is_empty(), Role::parse(&c.role)) {
        (true, _) => None,
        (false, Some(role)) => Some((c.share_id, c.participant_id, role)),
        (false, None) => {
            return Err(format!("{what}: role `{}` is not viewer or editor", c.role));
        }
    };
    let holder = PeerCert {
        serial: c.serial,
        name: c.name,
        email: c.email,
        share,
        not_after: UNIX_EPOCH + Duration::from_millis(c.not_after_ms),
    };
    Ok((hash, holder))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::share::credentials::NewCredential;
    use crate::share::identity::CertIdentity;

    #[test]
    fn a_browser_cookie_finds_its_holder_after_the_hand_over() {
        let who = CertIdentity {
            share_id: "5e".into(),
            participant_id: "p2".into(),
            role: Role::Editor,
            name: "Ada".into(),
            email: "ada@example.org".into(),
        };
        let c = NewCredential::mint(&who, Duration::from_secs(3600));
        let before = Credentials::default();
        before.keep(&c);
        let saved = save(&before);
        assert_eq!(saved.len(), 1);
        assert_ne!(saved[0].token_sha256, c.token.as_bytes(), "hashed");

        let after = Credentials::default();
        after.restore(restore(saved.clone()).unwrap());
        let h = after.holder(&c.token).expect("the same cookie works");
        assert_eq!(h.share, Some(("5e".into(), "p2".into(), Role::Editor)));
        assert_eq!(
            (h.name.as_str(), h.serial.as_str()),
            ("Ada", c.holder.serial.as_str())
        );
        // To the millisecond: what crosses is what the state can say.
        let ms = |t: std::time::SystemTime| t.duration_since(UNIX_EPOCH).unwrap().as_millis();
        assert_eq!(ms(h.not_after), ms(c.holder.not_after));
        assert_eq!(save(&after), saved, "a second hand-over carries the same");
    }

    #[test]
    fn a_bad_credential_is_an_error_that_names_it() {
        let mut c = hpb::WebCredential {
            token_sha256: vec![0; 31],
            serial: "web-1".into(),
            ..Default::default()
        };
        let e = restore(vec![c.clone()]).unwrap_err();
        assert!(e.contains("web-1") && e.contains("32 bytes"), "{e}");
        c.token_sha256 = vec![0; 32];
        c.share_id = "5e".into();
        c.role = "owner".into();
        let e = restore(vec![c]).unwrap_err();
        assert!(e.contains("web-1") && e.contains("owner"), "{e}");
    }
}
