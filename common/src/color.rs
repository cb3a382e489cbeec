//! Colours as X11 colour specifications give them, 16 bits a channel: what a
//! program sets and asks for through OSC 4/10/11 (the daemon's terminal
//! model) and what the client's own terminal answers when asked (the client
//! reports it when it attaches).

/// A colour, 16 bits a channel (red, green, blue).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u16, pub u16, pub u16);

impl Rgb {
    /// From 8 bits a channel (`0xcd` is `0xcdcd`).
    pub fn from_bytes(r: u8, g: u8, b: u8) -> Rgb {
        Rgb(u16::from(r) * 257, u16::from(g) * 257, u16::from(b) * 257)
    }

    pub const WHITE: Rgb = Rgb(0xffff, 0xffff, 0xffff);
    pub const BLACK: Rgb = Rgb(0, 0, 0);
}

/// An X11 colour specification: `rgb:r/g/b` (1 to 4 hex digits a channel,
/// scaled to 16 bits) or `#rgb`, `#rrggbb`, `#rrrgggbbb`, `#rrrrggggbbbb`
/// (the digits are the high bits). Names are not known: `None`.
pub fn parse_color(spec: &[u8]) -> Option<Rgb> {
    let spec = std::str::from_utf8(spec).ok()?;
    let hex = |s: &str| {
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u32::from_str_radix(s, 16).ok())
            .flatten()
    };
    if let Some(rest) = spec.strip_prefix("rgb:") {
        let mut parts = rest.split('/');
        let mut channel = || {
            let s = parts.next()?;
            let max = (1u32 << (4 * s.len())) - 1;
            Some((hex(s)? * 0xffff / max) as u16)
        };
        let rgb = Rgb(channel()?, channel()?, channel()?);
        return parts.next().is_none().then_some(rgb);
    }
    let digits = spec.strip_prefix('#')?;
    if digits.is_empty() || digits.len() % 3 != 0 || digits.len() > 12 {
        return None;
    }
    let n = digits.len() / 3;
    let channel = |i: usize| Some((hex(&digits[i * n..(i + 1) * n])? << (16 - 4 * n)) as u16);
    Some(Rgb(channel(0)?, channel(1)?, channel(2)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_specifications() {
        assert_eq!(
            parse_color(b"rgb:1234/5678/9abc"),
            Some(Rgb(0x1234, 0x5678, 0x9abc))
        );
        assert_eq!(parse_color(b"rgb:f/0/80"), Some(Rgb(0xffff, 0, 0x8080)));
        assert_eq!(
            parse_color(b"rgb:fff/000/abc"),
            Some(Rgb(0xffff, 0, 0xabca))
        );
        assert_eq!(parse_color(b"#abc"), Some(Rgb(0xa000, 0xb000, 0xc000)));
        assert_eq!(parse_color(b"#12ab34"), Some(Rgb(0x1200, 0xab00, 0x3400)));
        assert_eq!(
            parse_color(b"#123456789abc"),
            Some(Rgb(0x1234, 0x5678, 0x9abc))
        );
        for bad in [
            &b"red"[..],
            b"rgb:1/2",
            b"rgb:1/2/3/4",
            b"rgb:12345/0/0",
            b"rgb:x/0/0",
            b"#12345",
            b"#",
            b"",
            b"\xff",
        ] {
            assert_eq!(parse_color(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
