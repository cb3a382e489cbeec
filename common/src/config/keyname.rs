//! Key names in tmux notation (`C-b`, `M-Left`, `F5`, `^a`, `Enter`, a single
//! character): what the config's prefix and bindings are written in, and what
//! `wrapd-attach send` understands. No terminal library here: the client turns
//! a [`KeyName`] into its own key events.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A key with its modifiers, as named in tmux notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyName {
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
    pub key: Key,
}

/// A key without modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    /// A character (lower case when Ctrl is held: `C-B` is `C-b`).
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    Insert,
    Delete,
    /// F1 to F12.
    F(u8),
}

/// Names of the keys that are not one character, as tmux spells them first.
const NAMED: &[(&str, Key)] = &[
    ("Enter", Key::Enter),
    ("Escape", Key::Esc),
    ("Esc", Key::Esc),
    ("Tab", Key::Tab),
    ("BTab", Key::BackTab),
    ("Space", Key::Char(' ')),
    ("BSpace", Key::Backspace),
    ("Up", Key::Up),
    ("Down", Key::Down),
    ("Left", Key::Left),
    ("Right", Key::Right),
    ("Home", Key::Home),
    ("End", Key::End),
    ("PageUp", Key::PageUp),
    ("PgUp", Key::PageUp),
    ("PPage", Key::PageUp),
    ("PageDown", Key::PageDown),
    ("PgDn", Key::PageDown),
    ("NPage", Key::PageDown),
    ("IC", Key::Insert),
    ("Insert", Key::Insert),
    ("DC", Key::Delete),
    ("Delete", Key::Delete),
];

impl KeyName {
    /// Parse a key name; names are case-insensitive. `None` for other words.
    pub fn parse(name: &str) -> Option<KeyName> {
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        let mut rest = name;
        loop {
            let flag = match rest.get(..2).map(str::to_ascii_lowercase).as_deref() {
                Some("c-") if rest.len() > 2 => &mut ctrl,
                Some("m-") if rest.len() > 2 => &mut alt,
                Some("s-") if rest.len() > 2 => &mut shift,
                _ => break,
            };
            *flag = true;
            rest = &rest[2..];
        }
        if let Some(c) = rest.strip_prefix('^').filter(|r| r.chars().count() == 1) {
            ctrl = true;
            rest = c;
        }
        let mut chars = rest.chars();
        let key = match (chars.next(), chars.next()) {
            (Some(c), None) => Key::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            _ => {
                let lower = rest.to_ascii_lowercase();
                match NAMED.iter().find(|(n, _)| n.eq_ignore_ascii_case(rest)) {
                    Some(&(_, key)) => key,
                    None => match lower.strip_prefix('f')?.parse::<u8>() {
                        Ok(n @ 1..=12) => Key::F(n),
                        _ => return None,
                    },
                }
            }
        };
        Some(KeyName {
            ctrl,
            alt,
            shift,
            key,
        })
    }
}

impl fmt::Display for KeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (on, text) in [(self.ctrl, "C-"), (self.alt, "M-"), (self.shift, "S-")] {
            if on {
                f.write_str(text)?;
            }
        }
        match self.key {
            Key::Char(' ') => f.write_str("Space"),
            Key::Char(c) => write!(f, "{c}"),
            Key::F(n) => write!(f, "F{n}"),
            key => {
                let name = NAMED.iter().find(|(_, k)| *k == key).map(|(n, _)| *n);
                f.write_str(name.unwrap_or("?"))
            }
        }
    }
}

/// Why a word is not a key name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a key name (examples: `C-b`, `C-a`, `M-x`, `F12`, `PageUp`, a single character)"
)]
pub struct BadKeyName(pub String);

impl FromStr for KeyName {
    type Err = BadKeyName;
    fn from_str(s: &str) -> Result<KeyName, BadKeyName> {
        KeyName::parse(s).ok_or_else(|| BadKeyName(s.to_owned()))
    }
}

impl TryFrom<String> for KeyName {
    type Error = BadKeyName;
    fn try_from(s: String) -> Result<KeyName, BadKeyName> {
        s.parse()
    }
}

impl From<KeyName> for String {
    fn from(k: KeyName) -> String {
        k.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_print_back() {
        for name in [
            "C-b", "M-x", "F12", "PageUp", "Enter", "C-M-Left", "Space", "?", "[",
        ] {
            assert_eq!(KeyName::parse(name).unwrap().to_string(), name);
        }
        assert_eq!(KeyName::parse("^A").unwrap().to_string(), "C-a");
        assert_eq!(KeyName::parse("c-B").unwrap().to_string(), "C-b");
        assert_eq!(KeyName::parse("npage").unwrap().key, Key::PageDown);
    }

    #[test]
    fn other_words_are_not_keys() {
        for word in ["hello", "F13", "F0", "C-", "", "Ctrl-b"] {
            assert_eq!(KeyName::parse(word), None, "{word}");
        }
        assert!(
            "Ctrl-b"
                .parse::<KeyName>()
                .unwrap_err()
                .to_string()
                .contains("`Ctrl-b` is not a key name")
        );
    }
}
