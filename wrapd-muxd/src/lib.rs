//! wrapd-muxd: the daemon that owns PTYs and their terminal state.
//!
//! Layout:
//! - `term`: the terminal model (no I/O): screen, history, modes, sequence numbers.

pub mod term;
