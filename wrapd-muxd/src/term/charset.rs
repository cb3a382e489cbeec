//! Character sets: what a printed character becomes in the set that is
//! invoked (SCS designations, SI/SO).

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Charset {
    #[default]
    Ascii,
    /// DEC special graphics: line drawing.
    DecGraphics,
}

impl Charset {
    #[inline]
    pub fn map(self, c: char) -> char {
        if self == Charset::Ascii || !('\x5f'..='\x7e').contains(&c) {
            return c;
        }
        const DEC: [char; 32] = [
            ' ', '◆', '▒', '␉', '␌', '␍', '␊', '°', '±', '␤', '␋', '┘', '┐', '┌', '└', '┼', '⎺',
            '⎻', '─', '⎼', '⎽', '├', '┤', '┴', '┬', '│', '≤', '≥', 'π', '≠', '£', '·',
        ];
        DEC[c as usize - 0x5f]
    }
}
