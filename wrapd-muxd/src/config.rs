//! `$XDG_CONFIG_HOME/wrapd/config.toml`: every setting has a default, unknown
//! keys and bad values are errors that name the key and the line.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::paths;
use crate::term::TermConfig;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub terminal: TerminalConfig,
    pub client: ClientConfig,
    pub shell: ShellConfig,
}

/// Shell integration (see the `shell` module).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShellConfig {
    /// Make bash, zsh and fish report their commands (blocks).
    pub integration: bool,
}

impl Default for ShellConfig {
    fn default() -> Self {
        ShellConfig { integration: true }
    }
}

/// Settings of every session's terminal.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TerminalConfig {
    /// Rows of history kept per session.
    pub scrollback_lines: usize,
    /// Bytes of history kept per session (of its compact form).
    pub scrollback_bytes: usize,
}

impl Default for TerminalConfig {
    fn default() -> Self {
        let t = TermConfig::default();
        TerminalConfig {
            scrollback_lines: t.scrollback_lines,
            scrollback_bytes: t.scrollback_bytes,
        }
    }
}

/// Settings of `wrapd-attach`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientConfig {
    /// The prefix key, in tmux notation (`C-b`, `C-a`, `M-x`).
    pub prefix: String,
    /// Show the status line at the bottom.
    pub status_line: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            prefix: "C-b".to_owned(),
            status_line: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
}

impl Config {
    /// The user's config file path.
    pub fn default_path() -> PathBuf {
        paths::config_dir().join("config.toml")
    }

    /// Load the user's config; a missing file means all defaults.
    pub fn load_default() -> Result<Config, ConfigError> {
        let path = Self::default_path();
        if !path.exists() {
            return Ok(Config::default());
        }
        Self::load(&path)
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.to_owned(),
            message,
        })
    }

    /// Parse TOML text; the error names the key and line.
    pub fn parse(text: &str) -> Result<Config, String> {
        let config: Config =
            toml::from_str(text).map_err(|e| e.to_string().trim_end().to_owned())?;
        if config.terminal.scrollback_bytes < 4096 && config.terminal.scrollback_lines > 0 {
            return Err("terminal.scrollback_bytes: must be at least 4096".to_owned());
        }
        Ok(config)
    }

    pub fn term(&self) -> TermConfig {
        TermConfig {
            scrollback_lines: self.terminal.scrollback_lines,
            scrollback_bytes: self.terminal.scrollback_bytes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_default() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
        assert_eq!(Config::default().terminal.scrollback_lines, 100_000);
    }

    #[test]
    fn overrides() {
        let c = Config::parse("[terminal]\nscrollback_lines = 10\n[client]\nprefix = \"C-a\"\n")
            .unwrap();
        assert_eq!(c.terminal.scrollback_lines, 10);
        assert_eq!(c.client.prefix, "C-a");
        assert!(c.client.status_line);
        assert!(c.shell.integration);
        let c = Config::parse("[shell]\nintegration = false\n").unwrap();
        assert!(!c.shell.integration);
    }

    #[test]
    fn unknown_keys_and_bad_values_name_key_and_line() {
        let e = Config::parse("[terminal]\nscrollback_line = 10\n").unwrap_err();
        assert!(e.contains("scrollback_line") && e.contains("line 2"), "{e}");
        let e = Config::parse("[terminal]\n\nscrollback_lines = \"many\"\n").unwrap_err();
        assert!(e.contains("line 3"), "{e}");
    }
}
