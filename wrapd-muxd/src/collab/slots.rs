//! Collaborators' attach streams, counted: at most [`PER_PARTICIPANT`] at once
//! per participant, and apart from the owner's clients so that collaborators
//! never take the owner's slots (`limits.max_clients`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::Error;
use crate::session::SessionId;
use crate::share::authz::Collab;

/// Attach streams one participant may have open at once.
pub const PER_PARTICIPANT: usize = 4;

#[derive(Default)]
struct Counts {
    /// (share, participant) → open streams.
    participants: HashMap<(String, String), usize>,
    /// Session → collaborators' open streams.
    sessions: HashMap<SessionId, usize>,
}

#[derive(Default, Clone)]
pub struct AttachSlots {
    counts: Arc<Mutex<Counts>>,
}

/// One collaborator's attach stream; dropping it frees the slot.
pub struct Slot {
    counts: Arc<Mutex<Counts>>,
    participant: (String, String),
    session: SessionId,
}

impl AttachSlots {
    /// A slot for `c`, or why not ([`Error::Limit`]).
    pub fn take(&self, c: &Collab) -> Result<Slot, Error> {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (c.share_id.clone(), c.participant_id.clone());
        let open = counts.participants.entry(key.clone()).or_default();
        if *open >= PER_PARTICIPANT {
            return Err(Error::Limit(format!(
                "you already have {PER_PARTICIPANT} attach streams open to this share, \
                 the limit: close one first"
            )));
        }
        *open += 1;
        *counts.sessions.entry(c.session.clone()).or_default() += 1;
        Ok(Slot {
            counts: self.counts.clone(),
            participant: key,
            session: c.session.clone(),
        })
    }

    /// Collaborators' attach streams open on `session` now.
    pub fn on_session(&self, session: &SessionId) -> usize {
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.sessions.get(session).copied().unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        fn release<K: std::hash::Hash + Eq>(map: &mut HashMap<K, usize>, key: &K) {
            if let Some(n) = map.get_mut(key) {
                *n -= 1;
                if *n == 0 {
                    map.remove(key);
                }
            }
        }
        release(&mut counts.participants, &self.participant);
        release(&mut counts.sessions, &self.session);
    }
}
