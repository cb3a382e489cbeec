//! wrapd-muxd: the daemon that owns PTYs and their terminal state.
//!
//! Data flows one way: the PTY reader hands output to the session actor, which
//! feeds the terminal model and publishes a sequence number; each attached
//! client's sync task asks for what changed since its last update.
//!
//! Layout:
//! - `term`: the terminal model (no I/O): screen, history, modes, sequence numbers.
//! - `pty`: a program on a pseudo-terminal, with its reader and writer threads.
//! - `session`: one actor per session, its handle, clients and sync updates.
//! - `registry`: sessions by id and name.
//! - `daemon`: shared state and session creation.
//! - `collab`: the attach stream whatever door it comes in by (sync, input,
//!   presence, attach slots, shared updates); transport-neutral.
//! - `convert`: internal types to and from their wire form (`pb`).
//! - `rpc`: the gRPC door (the services on the socket and the share port).
//! - `handover`: upgrading in place (execve, same pid) without losing a session.
//! - `share`: sharing sessions over mutual TLS (CA, share port, access list).
//! - `web`: the web door, browsers joining shares (`[share] web_listen`).
//! - `admission`: what peers may hold on a port strangers can reach.
//! - `shell`: shell integration scripts and their injection into sessions.
//! - `server`: the Unix socket, single-instance lock, serve and shut down.
//! - `local_authority`: its HTTP/2 requests' authority made valid for any gRPC client.
//! - `systemd`: readiness notices, socket activation, the unit files.
//! - `bridge`: the socket on stdio, for clients that come through `ssh`.
//! - `reload`: what a reload (SIGHUP) moves or cannot apply.
//! - `error`: the daemon's errors.
//!
//! What the client shares with the daemon (config, paths, the socket's
//! streams, starting the daemon, human formatting, the executable on disk,
//! completions and man pages) is the crate `wrapd-common`.

pub mod admission;
pub mod bridge;
pub mod collab;
pub mod convert;
pub mod daemon;
pub mod error;
pub mod handover;
pub mod local_authority;
pub mod pty;
pub mod registry;
pub mod reload;
pub mod rpc;
pub mod server;
pub mod session;
pub mod share;
pub mod shell;
pub mod systemd;
pub mod term;
pub mod web;

pub use server::{Listener, run};
