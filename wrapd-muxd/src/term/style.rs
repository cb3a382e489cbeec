//! Colours and attributes of a cell.

bitflags::bitflags! {
    /// Cell attributes; the bits match `wrapd_proto::attrs`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct Attrs: u16 {
        const BOLD = 1;
        const DIM = 2;
        const ITALIC = 4;
        const UNDERLINE = 8;
        const DOUBLE_UNDERLINE = 16;
        const CURLY_UNDERLINE = 32;
        const BLINK = 64;
        const INVERSE = 128;
        const HIDDEN = 256;
        const STRIKETHROUGH = 512;
        const OVERLINE = 1024;
        const DOTTED_UNDERLINE = 2048;
        const DASHED_UNDERLINE = 4096;
        /// Internal, never sent to clients: protected from erasing (see
        /// rect.rs).
        const PROTECTED = 1 << 14;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Color {
    #[default]
    Default,
    Indexed(u8),
    Rgb(u8, u8, u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Style {
    pub fg: Color,
    pub bg: Color,
    pub underline_color: Color,
    pub attrs: Attrs,
}
