//! The frame both pacers keep while output streams in: the client draws at
//! most once per [`FRAME`] (`wrapd-attach`'s pacer), and the daemon sends one
//! client at most one update per [`FRAME`] when output starts streaming (its
//! update pacer, whose frame then grows), so that the daemon sends no update
//! the client would not draw.

use std::time::Duration;

/// Frames drawn, and updates sent to one client, per second at most while
/// output streams in.
pub const FRAME: Duration = Duration::from_millis(8);
