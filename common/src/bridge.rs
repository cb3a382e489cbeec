//! What `wrapd-muxd bridge` (the daemon's socket on stdio, for a client that
//! comes through `ssh`) and the client that runs it agree on.

/// The first line the bridge writes, once the daemon is connected: a client
/// that reads it knows that ssh, the remote `wrapd-muxd` and the daemon all
/// worked.
pub const GREETING: &[u8] = b"wrapd-bridge 1\n";
