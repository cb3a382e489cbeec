//! Running under systemd as a user service: readiness and reload notices
//! (`notify`), an inherited listening socket (`activation`), and installing the
//! unit files (`units`). Without systemd, each of these is a no-op or unused.

pub mod activation;
pub mod notify;
pub mod units;
