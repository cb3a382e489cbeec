//! Sharing sessions: joining someone's share, and the owner's commands.
//!
//! - `tls`: the pinned-CA TLS channel to a daemon's share port (TCP or ssh).
//! - `store`: the certificates kept from joining (0600 files in 0700 dirs).
//! - `join`: `wrapd-attach wrapd://…` (enroll, connect, attach).
//! - `cli`: the command line of `share` and `access`.
//! - `admin`: the owner's commands over the daemon's socket.

pub mod admin;
pub mod cli;
pub mod join;
pub mod store;
pub mod tls;
