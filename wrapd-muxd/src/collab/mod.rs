//! The attach stream, whichever door it comes in by (gRPC on the socket and
//! the share port, a browser's WebSocket): no transport, no HTTP. A door
//! decodes its wire into `AttachRequest`s, calls [`attach`] and encodes the
//! `AttachEvent`s it yields (the last item, an error, says why the stream
//! ended). The doors (`rpc`, `web`) call it; it imports none of them, so
//! imports point one way, from the doors to the core.
//!
//! - `attach`: authorising and starting a stream, and its three tasks:
//!   - `sync`: the session's changes, as updates, at the client's pace;
//!   - `input`: input, resizes and selections, checked against the live role,
//!     and reads of the history on the stream (`stream_reads`);
//!   - `presence`: the stream as a participant (counted, audited), and who
//!     is here.
//! - `slots`: how many attach streams each participant holds open.
//! - `reads`: how many reads of a session's history each participant has in flight.
//! - `history`: reading the history (rows, a search) for the owner or a
//!   collaborator, by a call or on the attach stream (`stream_reads`).
//! - `shared_updates`: one update for the collaborators at the same point.

mod attach;
pub mod history;
mod input;
mod presence;
pub mod reads;
pub mod shared_updates;
pub mod slots;
mod stream_reads;
mod sync;

pub use attach::{EventStream, Inbound, START_WITHIN, attach};
pub use reads::{HistoryReads, ReadTurn};
pub use shared_updates::SharedUpdates;
pub use slots::AttachSlots;
