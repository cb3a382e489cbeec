//! wrapd-common: what the daemon (`wrapd-muxd`) and the client
//! (`wrapd-attach`) both need, so that the client does not link the daemon.
//! Imports point one way: both programs use this crate; it uses neither.
//!
//! Layout:
//! - `config`: `config.toml`, one file for the daemon and the client (key
//!   names, bindings, mail, the web door's address).
//! - `paths`: where wrapd keeps its socket, state and config; private dirs.
//! - `quiet_socket`: the daemon's Unix socket streams, which wake the runtime
//!   only for data, and a gRPC channel over them.
//! - `background`: starting the daemon detached (for clients and the bridge).
//! - `bridge`: the greeting of `wrapd-muxd bridge` (the socket through `ssh`).
//! - `executable`: the daemon's executable, and whether an upgrade replaced it.
//! - `cli_docs`: shell completions and man pages from either program's clap command.
//! - `human`: sizes and counts in messages.
//! - `color`: colours as X11 specifications give them (`rgb:…`, `#…`).
//! - `pace`: the frame both pacers keep while output streams in.

pub mod background;
pub mod bridge;
pub mod cli_docs;
pub mod color;
pub mod config;
pub mod executable;
pub mod human;
pub mod pace;
pub mod paths;
pub mod quiet_socket;
