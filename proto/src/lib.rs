//! The wrapd gRPC API, generated from `proto/wrapd/v1/*.proto`.
//!
//! `pb` is the generated code of package `wrapd.v1`; both `wrapd-muxd` (server)
//! and `wrapd-attach` (client) speak it. `state` is package `wrapd.state.v1`,
//! what `wrapd-muxd upgrade` hands from one daemon binary to the next.

pub mod link;
pub mod percent;
pub mod version;

/// The generated code, in modules named as its packages (`wrapd.state.v1`
/// refers to `wrapd.v1`'s messages by relative paths).
mod generated {
    pub mod wrapd {
        pub mod v1 {
            #![allow(clippy::all, clippy::pedantic, missing_docs)]
            tonic::include_proto!("wrapd.v1");
        }
        pub mod state {
            pub mod v1 {
                #![allow(clippy::all, clippy::pedantic, missing_docs)]
                tonic::include_proto!("wrapd.state.v1");
            }
        }
    }
}

/// Generated messages and services of package `wrapd.v1`.
pub use generated::wrapd::v1 as pb;

/// Generated messages of package `wrapd.state.v1`: the state a daemon hands
/// to the binary that replaces it (see `proto/wrapd/state/v1/`); spoken on
/// no socket.
pub use generated::wrapd::state::v1 as state;

/// The schema table of the web page's protobuf codec: the attach stream's
/// messages as field numbers, names and types, a JavaScript module made by
/// the build from the same `.proto` files (see `build/web_schema.rs`).
pub const WEB_SCHEMA_JS: &str = include_str!(concat!(env!("OUT_DIR"), "/web_schema.js"));

/// Colour encoding used by [`pb::Style`]: 0 is the default colour.
pub mod color {
    /// Palette entries are stored as index + 1.
    pub const fn indexed(i: u8) -> u32 {
        i as u32 + 1
    }
    /// RGB colours carry this flag.
    pub const RGB_FLAG: u32 = 0x0100_0000;
    pub const fn rgb(r: u8, g: u8, b: u8) -> u32 {
        RGB_FLAG | (r as u32) << 16 | (g as u32) << 8 | b as u32
    }
}

/// Attribute bits of [`pb::Style::attrs`].
pub mod attrs {
    pub const BOLD: u32 = 1;
    pub const DIM: u32 = 2;
    pub const ITALIC: u32 = 4;
    pub const UNDERLINE: u32 = 8;
    pub const DOUBLE_UNDERLINE: u32 = 16;
    pub const CURLY_UNDERLINE: u32 = 32;
    pub const BLINK: u32 = 64;
    pub const INVERSE: u32 = 128;
    pub const HIDDEN: u32 = 256;
    pub const STRIKETHROUGH: u32 = 512;
    pub const OVERLINE: u32 = 1024;
    pub const DOTTED_UNDERLINE: u32 = 2048;
    pub const DASHED_UNDERLINE: u32 = 4096;
}
