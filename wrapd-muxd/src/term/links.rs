//! OSC 8 hyperlinks: their targets, kept once each and named by an id.

use std::collections::HashMap;
use std::sync::Arc;

/// Hyperlinks kept at most; later ones are shown without their target.
pub(super) const MAX_LINKS: usize = 1024;
/// A hyperlink target longer than this is dropped.
pub(crate) const MAX_LINK_LEN: usize = 2048;

/// OSC 8 targets by id (id 0 is "no link").
#[derive(Default)]
pub(crate) struct Links {
    targets: Vec<Arc<str>>,
    ids: HashMap<Arc<str>, u16>,
}

impl Links {
    pub fn id(&mut self, target: &str) -> u16 {
        if let Some(&id) = self.ids.get(target) {
            return id;
        }
        if self.targets.len() >= MAX_LINKS || target.len() > MAX_LINK_LEN {
            return 0;
        }
        let t: Arc<str> = Arc::from(target);
        self.targets.push(t.clone());
        let id = self.targets.len() as u16;
        self.ids.insert(t, id);
        id
    }

    pub fn get(&self, id: u16) -> Option<&Arc<str>> {
        self.targets.get(usize::from(id).checked_sub(1)?)
    }

    /// Every target, in the order of their ids (from 1).
    pub fn targets(&self) -> &[Arc<str>] {
        &self.targets
    }
}
