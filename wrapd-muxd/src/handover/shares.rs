//! Shares and participants to and from the hand-over state. Cancellation
//! tokens are new in the new image (streams reconnect); nobody is attached
//! until they do (`streams` counts from 0).

use wrapd_proto::state as hpb;

use crate::session::SessionId;
use crate::share::Role;
use crate::share::secret::SecretHash;
use crate::share::state::{Participant, Share, State, Via};

/// The shares of `state`, oldest first, and the collaborators' daily counts.
pub fn save(state: &State) -> (Vec<hpb::Share>, Vec<hpb::DailyBytes>) {
    let shares = state.shares.iter().map(save_share).collect();
    let daily = state
        .daily
        .iter()
        .map(|(key, &(day, bytes))| hpb::DailyBytes {
            key: key.clone(),
            day,
            bytes,
        })
        .collect();
    (shares, daily)
}

fn role_name(role: Option<Role>) -> String {
    role.map(Role::name).unwrap_or_default().to_owned()
}

fn save_share(s: &Share) -> hpb::Share {
    let (next_participant, joined) = s.counters();
    hpb::Share {
        id: s.id.clone(),
        session_id: s.session.0.clone(),
        session_name: s.session_name.clone(),
        created_at_ms: s.created_at_ms,
        start: Some(s.start),
        start_row: s.start_row,
        start_block: s.start_block,
        start_seq: s.start_seq,
        start_bells: s.start_bells,
        link_role: role_name(s.link_role),
        link_secret_sha256: s
            .link_secret
            .as_ref()
            .map(|h| h.bytes().to_vec())
            .unwrap_or_default(),
        team_role: role_name(s.team_role),
        participants: s.participants.iter().map(save_participant).collect(),
        bytes_sent: s.bytes_sent,
        limit_reported: s.limit_reported,
        audit: s.audit.entries(),
        next_participant,
        joined: joined as u64,
    }
}

fn save_participant(p: &Participant) -> hpb::Participant {
    let (via, secret, used) = match &p.via {
        Via::Link => ("link", Vec::new(), false),
        Via::Team => ("team", Vec::new(), false),
        Via::Invite { secret, used } => ("invite", secret.bytes().to_vec(), *used),
    };
    hpb::Participant {
        id: p.id.clone(),
        name: p.name.clone(),
        email: p.email.clone(),
        role: p.role.name().to_owned(),
        via: via.to_owned(),
        invite_secret_sha256: secret,
        invite_used: used,
        color: p.color,
        serials: p.serials.clone(),
        last_input_ms: p.last_input_ms,
        last_seen_ms: p.last_seen_ms,
        control_requested: p.control_requested,
        removed: p.removed,
    }
}

/// A role from the state: `Ok(None)` for "off".
fn role(name: &str, what: &str) -> Result<Option<Role>, String> {
    if name.is_empty() {
        return Ok(None);
    }
    Role::parse(name)
        .map(Some)
        .ok_or_else(|| format!("{what}: role `{name}` is not viewer or editor"))
}

fn secret(bytes: &[u8], what: &str) -> Result<Option<SecretHash>, String> {
    if bytes.is_empty() {
        return Ok(None);
    }
    SecretHash::from_bytes(bytes)
        .map(Some)
        .ok_or_else(|| format!("{what}: a secret's hash is not 32 bytes"))
}

/// A share from the state; what is wrong with it, in words.
pub fn restore(s: hpb::Share) -> Result<Share, String> {
    let what = format!("share {}", s.id);
    let mut share = Share::new(
        s.id.clone(),
        SessionId(s.session_id),
        s.session_name,
        s.start_row,
        s.start_block,
    );
    share.created_at_ms = s.created_at_ms;
    share.start = s.start.unwrap_or_default();
    share.start_seq = s.start_seq;
    share.start_bells = s.start_bells;
    share.link_role = role(&s.link_role, &what)?;
    share.link_secret = secret(&s.link_secret_sha256, &what)?;
    share.team_role = role(&s.team_role, &what)?;
    share.bytes_sent = s.bytes_sent;
    share.limit_reported = s.limit_reported;
    for e in s.audit {
        share.audit.record(e);
    }
    for p in s.participants {
        let who = format!("{what}, participant {}", p.id);
        let via = match p.via.as_str() {
            "link" => Via::Link,
            "team" => Via::Team,
            "invite" => Via::Invite {
                secret: secret(&p.invite_secret_sha256, &who)?
                    .ok_or_else(|| format!("{who}: an invitation without its secret"))?,
                used: p.invite_used,
            },
            other => return Err(format!("{who}: came in by `{other}`?")),
        };
        let role = role(&p.role, &who)?.ok_or_else(|| format!("{who}: no role"))?;
        let added = share.add_participant(&p.name, &p.email, role, via);
        added.id = p.id;
        added.color = p.color;
        added.serials = p.serials;
        added.last_input_ms = p.last_input_ms;
        added.last_seen_ms = p.last_seen_ms;
        added.control_requested = p.control_requested;
        added.removed = p.removed;
        if added.removed {
            added.token.cancel();
        }
    }
    share.set_counters(s.next_participant, s.joined as usize);
    Ok(share)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::share::state::{ShareLimits, Shares};
    use crate::share::store::RevocationStore;

    #[test]
    fn a_share_comes_back_as_it_was() {
        let mut share = Share::new("s1".into(), SessionId("a.1".into()), "work".into(), 7, 2);
        share.link_role = Some(Role::Viewer);
        share.link_secret = Some(SecretHash::of("link"));
        share.team_role = Some(Role::Editor);
        share.start_seq = 40;
        share.bytes_sent = 1234;
        let invited = Via::Invite {
            secret: SecretHash::of("inv"),
            used: true,
        };
        share
            .add_participant("Ada", "ada@x.org", Role::Editor, invited)
            .serials
            .push("0abc".into());
        let bo = share
            .add_participant("Bo", "", Role::Viewer, Via::Link)
            .id
            .clone();
        share.participant_mut(&bo).unwrap().removed = true;
        share.audit("", "join", "Ada joined".into());
        let shares = Shares::new(
            RevocationStore::in_memory(),
            ShareLimits {
                max_participants: 5,
                max_session_bytes: 1 << 20,
                max_daily_bytes: 1 << 20,
            },
        );
        shares.insert(share);
        shares.lock().daily.insert("ada@x.org".into(), (20000, 99));

        let (saved, daily) = save(&shares.lock());
        let back = restore(saved[0].clone()).unwrap();
        assert_eq!(
            save_share(&back),
            saved[0],
            "a second hand-over carries the same"
        );
        assert_eq!(daily[0].bytes, 99);
        let ada = back.participant("p1").unwrap();
        assert_eq!(
            (ada.role, ada.serials.clone()),
            (Role::Editor, vec!["0abc".to_owned()])
        );
        assert!(matches!(&ada.via, Via::Invite { used: true, secret } if secret.matches("inv")));
        assert!(back.participant(&bo).unwrap().token.is_cancelled());
        assert!(back.link_secret.as_ref().unwrap().matches("link"));
        assert_eq!(back.next_participant_id(&Via::Link), "p3");
        assert_eq!(back.audit.entries().len(), 1);
    }

    #[test]
    fn a_bad_role_is_an_error_that_names_the_share() {
        let s = hpb::Share {
            id: "s9".into(),
            link_role: "owner".into(),
            ..Default::default()
        };
        let e = restore(s).unwrap_err();
        assert!(e.contains("share s9") && e.contains("owner"), "{e}");
    }
}
