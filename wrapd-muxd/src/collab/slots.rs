//! Collaborators' streams, counted: at most [`PER_PARTICIPANT`] attach
//! streams and [`WATCHES_PER_PARTICIPANT`] block watches at once per
//! participant (a stream holds memory and a timer for as long as it lasts,
//! so a collaborator may not open hundreds), and attach streams apart from
//! the owner's clients so that collaborators never take the owner's slots
//! (`limits.max_clients`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::Error;
use crate::session::SessionId;
use crate::share::authz::Collab;

/// Attach streams one participant may have open at once.
pub const PER_PARTICIPANT: usize = 4;
/// Block watches (`WatchBlocks`) one participant may have open at once.
pub const WATCHES_PER_PARTICIPANT: usize = 8;

#[derive(Default)]
struct Counts {
    /// (share, participant) → open attach streams.
    participants: HashMap<(String, String), usize>,
    /// (share, participant) → open block watches.
    watches: HashMap<(String, String), usize>,
    /// Session → collaborators' open attach streams.
    sessions: HashMap<SessionId, usize>,
}

#[derive(Default, Clone)]
pub struct AttachSlots {
    counts: Arc<Mutex<Counts>>,
}

/// One collaborator's stream; dropping it frees the slot.
pub struct Slot {
    counts: Arc<Mutex<Counts>>,
    participant: (String, String),
    /// The session of an attach stream; none for a block watch.
    session: Option<SessionId>,
}

impl AttachSlots {
    /// An attach slot for `c`, or why not ([`Error::Limit`]).
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
            session: Some(c.session.clone()),
        })
    }

    /// A block watch's slot for `c`, or why not ([`Error::Limit`]).
    pub fn take_watch(&self, c: &Collab) -> Result<Slot, Error> {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (c.share_id.clone(), c.participant_id.clone());
        let open = counts.watches.entry(key.clone()).or_default();
        if *open >= WATCHES_PER_PARTICIPANT {
            return Err(Error::Limit(format!(
                "you already have {WATCHES_PER_PARTICIPANT} block watches open to this share, \
                 the limit: close one first"
            )));
        }
        *open += 1;
        Ok(Slot {
            counts: self.counts.clone(),
            participant: key,
            session: None,
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
        match &self.session {
            Some(session) => {
                release(&mut counts.participants, &self.participant);
                release(&mut counts.sessions, session);
            }
            None => release(&mut counts.watches, &self.participant),
        }
    }
}
