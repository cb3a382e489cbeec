//! The attached client's key bindings: after the prefix key, which key does
//! what. `[client.bindings]` in the config adds to and overrides the defaults;
//! binding a key to `none` removes a default.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use super::keyname::KeyName;

/// What a key pressed after the prefix does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Detach; the session keeps running.
    Detach,
    /// Scroll mode, at the bottom.
    ScrollMode,
    /// Scroll mode, one page up.
    ScrollPageUp,
    /// Scroll mode at the previous block (then `{`/`}` move between blocks).
    PreviousBlock,
    /// The session list, to switch.
    ChooseSession,
    /// The list of bindings.
    Help,
    /// Send the prefix key itself to the program.
    SendPrefix,
    /// In a shared session: ask the owner for control (edit).
    RequestControl,
    /// The share menu (owner): share, copy the link, participants, stop.
    ShareMenu,
    /// Nothing (removes a default binding).
    None,
}

impl Action {
    /// One line for the help screen.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Detach => "detach (the session keeps running)",
            Action::ScrollMode => "scroll mode (q to leave, / ? search, n N next)",
            Action::ScrollPageUp => "scroll mode, one page up",
            Action::PreviousBlock => {
                "previous block (then { } or a click select, y copy output, Y command)"
            }
            Action::ChooseSession => "choose a session",
            Action::Help => "this help",
            Action::SendPrefix => "send the prefix key itself",
            Action::RequestControl => "ask the owner for control (collaborators)",
            Action::ShareMenu => "share menu: share, link, participants, requests, stop",
            Action::None => "nothing",
        }
    }
}

/// Keys and their actions, in key order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Bindings(BTreeMap<KeyName, Action>);

impl Default for Bindings {
    fn default() -> Self {
        let key = |name: &str| KeyName::parse(name).expect("a valid default key name");
        Bindings(BTreeMap::from([
            (key("d"), Action::Detach),
            (key("["), Action::ScrollMode),
            (key("PageUp"), Action::ScrollPageUp),
            (key("{"), Action::PreviousBlock),
            (key("s"), Action::ChooseSession),
            (key("?"), Action::Help),
            (key("c"), Action::RequestControl),
            (key("S"), Action::ShareMenu),
        ]))
    }
}

impl Bindings {
    /// The bound keys and what they do (`none` bindings left out).
    pub fn iter(&self) -> impl Iterator<Item = (KeyName, Action)> + '_ {
        self.0
            .iter()
            .filter(|(_, a)| **a != Action::None)
            .map(|(k, a)| (*k, *a))
    }
}

/// The user's table is laid over the defaults.
impl<'de> Deserialize<'de> for Bindings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Bindings, D::Error> {
        let mut bindings = Bindings::default();
        bindings
            .0
            .extend(BTreeMap::<KeyName, Action>::deserialize(d)?);
        Ok(bindings)
    }
}
