//! The daemon's sessions by id and name, most recently used first.
//!
//! The registry is the index used to find a session; each session's own state
//! lives in its actor. Names are unique; the registry checks that under its lock
//! and then tells the actor its new name (for display to its clients).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};
use crate::session::{ClientId, SessionHandle, SessionId};

struct Entry {
    name: String,
    handle: SessionHandle,
}

pub struct Registry {
    /// Most recently used first.
    sessions: Mutex<Vec<Entry>>,
    /// Makes session ids unique across daemon restarts.
    boot: u64,
    next_session: AtomicU64,
    next_client: AtomicU64,
}

impl Registry {
    pub fn new(boot_ms: u64) -> Registry {
        Registry {
            sessions: Mutex::new(Vec::new()),
            boot: boot_ms,
            next_session: AtomicU64::new(0),
            next_client: AtomicU64::new(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        // A panic while holding the lock leaves a consistent Vec: keep serving.
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A fresh session id (contains a `.`, which names may not).
    pub fn new_session_id(&self) -> SessionId {
        let n = self.next_session.fetch_add(1, Ordering::Relaxed);
        SessionId(format!("{:x}.{n}", self.boot))
    }

    pub fn new_client_id(&self) -> ClientId {
        ClientId(self.next_client.fetch_add(1, Ordering::Relaxed))
    }

    /// Reserve `name` (or, when empty, the lowest free number) and register the
    /// session `start` creates under it. The name stays reserved while `start`
    /// runs, so two creations cannot take the same name.
    pub fn create(
        &self,
        name: &str,
        start: impl FnOnce(&str) -> Result<SessionHandle>,
    ) -> Result<SessionHandle> {
        let mut sessions = self.lock();
        let name = if name.is_empty() {
            (0..)
                .map(|n: u64| n.to_string())
                .find(|n| !sessions.iter().any(|e| &e.name == n))
                .expect("some number is free")
        } else {
            validate_name(name)?;
            if sessions.iter().any(|e| e.name == name) {
                return Err(Error::DuplicateName(name.to_owned()));
            }
            name.to_owned()
        };
        let handle = start(&name)?;
        sessions.insert(
            0,
            Entry {
                name,
                handle: handle.clone(),
            },
        );
        Ok(handle)
    }

    /// Register a session handed over by an earlier image of the daemon,
    /// as the least recently used (they come most recent first).
    pub fn adopt(&self, name: &str, handle: SessionHandle) -> Result<()> {
        let mut sessions = self.lock();
        if sessions.iter().any(|e| e.name == name) {
            return Err(Error::DuplicateName(name.to_owned()));
        }
        sessions.push(Entry {
            name: name.to_owned(),
            handle,
        });
        Ok(())
    }

    /// Find a session by id or name; an empty target is the most recent one.
    pub fn resolve(&self, target: &str) -> Result<SessionHandle> {
        let sessions = self.lock();
        if target.is_empty() {
            return sessions
                .first()
                .map(|e| e.handle.clone())
                .ok_or(Error::NoSessions);
        }
        sessions
            .iter()
            .find(|e| e.handle.id.0 == target)
            .or_else(|| sessions.iter().find(|e| e.name == target))
            .map(|e| e.handle.clone())
            .ok_or_else(|| Error::UnknownSession(target.to_owned()))
    }

    /// Mark a session as the most recently used.
    pub fn touch(&self, id: &SessionId) {
        let mut sessions = self.lock();
        if let Some(i) = sessions.iter().position(|e| &e.handle.id == id) {
            let e = sessions.remove(i);
            sessions.insert(0, e);
        }
    }

    /// All sessions, most recently used first.
    pub fn list(&self) -> Vec<SessionHandle> {
        self.lock().iter().map(|e| e.handle.clone()).collect()
    }

    /// Rename the session `target` to `new_name`.
    pub fn rename(&self, target: &str, new_name: &str) -> Result<SessionHandle> {
        validate_name(new_name)?;
        let handle = self.resolve(target)?;
        let mut sessions = self.lock();
        if sessions
            .iter()
            .any(|e| e.name == new_name && e.handle.id != handle.id)
        {
            return Err(Error::DuplicateName(new_name.to_owned()));
        }
        let entry = sessions
            .iter_mut()
            .find(|e| e.handle.id == handle.id)
            .ok_or_else(|| Error::UnknownSession(target.to_owned()))?;
        entry.name = new_name.to_owned();
        Ok(handle)
    }

    pub fn remove(&self, id: &SessionId) {
        self.lock().retain(|e| &e.handle.id != id);
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

/// Names are what people type after `-t`: printable, no `:` or `.` (tmux's
/// target separators, and `.` marks ids), not starting with `-`.
pub fn validate_name(name: &str) -> Result<()> {
    let bad = |why| {
        Err(Error::BadName {
            name: name.escape_debug().to_string(),
            why,
        })
    };
    if name.is_empty() {
        return bad("it is empty");
    }
    if name.chars().count() > 64 {
        return bad("it is longer than 64 characters");
    }
    if name.starts_with('-') {
        return bad("it starts with `-`");
    }
    if name.chars().any(|c| c.is_control()) {
        return bad("it contains control characters");
    }
    if name.contains([':', '.']) {
        return bad("it contains `:` or `.`");
    }
    if name.trim() != name {
        return bad("it starts or ends with white space");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["0", "work", "my session", "日本"] {
            validate_name(ok).unwrap();
        }
        for bad in ["", "-x", "a:b", "a.b", "a\tb", " a", &"x".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn ids_are_not_names() {
        let r = Registry::new(0x1234);
        let id = r.new_session_id();
        assert!(validate_name(&id.0).is_err());
        assert_ne!(id, r.new_session_id());
    }
}
