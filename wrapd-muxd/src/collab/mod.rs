//! What collaborators' attach streams need, whichever door they came in by
//! (gRPC on the share port today, a browser's WebSocket next): no tonic, no
//! HTTP. The doors (`rpc`, later `web`) call it; it imports none of them, so
//! imports point one way, from the doors to the core.
//!
//! - `slots`: how many attach streams each participant holds open.
//! - `reads`: how many reads of a session's history each participant has in flight.
//! - `shared_updates`: one update for the collaborators at the same point.
//!
//! Presence (an attach stream as a participant: `rpc::presence`,
//! `share::presence`) is the next piece to move here.

pub mod reads;
pub mod shared_updates;
pub mod slots;

pub use reads::{HistoryReads, ReadTurn};
pub use shared_updates::SharedUpdates;
pub use slots::AttachSlots;
