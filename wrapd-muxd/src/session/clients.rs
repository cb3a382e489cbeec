//! The clients attached to a session, and which of them sets the PTY size.
//!
//! Like tmux's `window-size latest`: the PTY follows the size of the writing
//! client that was active most recently (attached, typed, or resized). Read-only
//! clients never change the size; everyone else sees the screen cropped or
//! padded.

use std::collections::BTreeMap;

use super::{ClientId, Size};

#[derive(Debug, Clone, Copy)]
struct ClientState {
    size: Size,
    read_only: bool,
    /// Value of `Clients::tick` at this client's last activity.
    last_active: u64,
}

#[derive(Debug, Default)]
pub struct Clients {
    clients: BTreeMap<ClientId, ClientState>,
    /// Counts activity, to order clients by recency without clocks.
    tick: u64,
}

impl Clients {
    pub fn len(&self) -> usize {
        self.clients.len()
    }

    pub fn attach(&mut self, id: ClientId, size: Size, read_only: bool) {
        self.tick += 1;
        self.clients.insert(
            id,
            ClientState {
                size,
                read_only,
                last_active: self.tick,
            },
        );
    }

    pub fn detach(&mut self, id: ClientId) {
        self.clients.remove(&id);
    }

    /// A collaborator's role changed: they may write (and size) now, or not.
    pub fn set_read_only(&mut self, id: ClientId, read_only: bool) {
        if let Some(c) = self.clients.get_mut(&id) {
            c.read_only = read_only;
        }
    }

    pub fn is_read_only(&self, id: ClientId) -> bool {
        self.clients.get(&id).is_none_or(|c| c.read_only)
    }

    /// The client typed something: it becomes the latest.
    pub fn touch(&mut self, id: ClientId) {
        self.tick += 1;
        if let Some(c) = self.clients.get_mut(&id) {
            c.last_active = self.tick;
        }
    }

    /// The client's terminal changed size; it becomes the latest. A report
    /// of the size it already had (terminals send those on focus changes and
    /// redraws) is not activity and takes nothing from the latest writer.
    pub fn resize(&mut self, id: ClientId, size: Size) {
        if let Some(c) = self.clients.get_mut(&id)
            && c.size != size
        {
            self.tick += 1;
            c.size = size;
            c.last_active = self.tick;
        }
    }

    /// The size the PTY should have: the latest writing client's, if any.
    pub fn wanted_size(&self) -> Option<Size> {
        self.clients
            .values()
            .filter(|c| !c.read_only)
            .max_by_key(|c| c.last_active)
            .map(|c| c.size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: ClientId = ClientId(1);
    const B: ClientId = ClientId(2);
    const R: ClientId = ClientId(3);

    fn size(cols: u16, rows: u16) -> Size {
        Size { cols, rows }
    }

    #[test]
    fn latest_writer_wins() {
        let mut c = Clients::default();
        c.attach(A, size(80, 24), false);
        assert_eq!(c.wanted_size(), Some(size(80, 24)));
        c.attach(B, size(120, 40), false);
        assert_eq!(c.wanted_size(), Some(size(120, 40)));
        c.touch(A);
        assert_eq!(c.wanted_size(), Some(size(80, 24)));
        c.resize(B, size(100, 30));
        assert_eq!(c.wanted_size(), Some(size(100, 30)));
        c.touch(A);
        c.resize(B, size(100, 30));
        assert_eq!(
            c.wanted_size(),
            Some(size(80, 24)),
            "same size is no activity"
        );
        c.detach(B);
        assert_eq!(c.wanted_size(), Some(size(80, 24)));
    }

    #[test]
    fn read_only_clients_never_size() {
        let mut c = Clients::default();
        c.attach(R, size(10, 5), true);
        assert_eq!(c.wanted_size(), None);
        c.attach(A, size(80, 24), false);
        c.touch(R);
        c.resize(R, size(20, 5));
        assert_eq!(c.wanted_size(), Some(size(80, 24)));
        assert!(c.is_read_only(R));
        assert!(!c.is_read_only(A));
        assert!(c.is_read_only(ClientId(99)));
    }
}
