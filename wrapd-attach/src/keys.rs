//! Input for the program, encoded as xterm encodes it: keys (honouring the
//! cursor-key mode the program set), pastes (bracketed when asked), mouse
//! reports (in the tracking mode and encoding the program asked for), focus.
//! Also tmux-style key names, for `send` and the prefix key.

use std::fmt;

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use wrapd_common::config::{Key, KeyName};
use wrapd_proto::pb;

const ESC: u8 = 0x1b;

/// xterm's modifier parameter: 1 + shift + 2·alt + 4·ctrl.
fn modifier_param(m: KeyModifiers) -> u8 {
    1 + u8::from(m.contains(KeyModifiers::SHIFT))
        + 2 * u8::from(m.contains(KeyModifiers::ALT))
        + 4 * u8::from(m.contains(KeyModifiers::CONTROL))
}

/// The byte Ctrl+`c` sends, if it has one.
fn control_byte(c: char) -> Option<u8> {
    Some(match c {
        'a'..='z' => c as u8 - b'a' + 1,
        'A'..='Z' => c as u8 - b'A' + 1,
        '@' | ' ' | '2' | '`' => 0,
        '[' | '3' => 0x1b,
        '\\' | '4' => 0x1c,
        ']' | '5' => 0x1d,
        '^' | '6' | '~' => 0x1e,
        '_' | '-' | '7' | '/' => 0x1f,
        '?' | '8' => 0x7f,
        _ => return None,
    })
}

/// The bytes a key sends to the program.
pub fn encode_key(key: &KeyEvent, modes: &pb::Modes) -> Vec<u8> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    let m = key.modifiers;
    let alt = m.contains(KeyModifiers::ALT);
    let ctrl = m.contains(KeyModifiers::CONTROL);
    let param = modifier_param(m);
    let mut out = Vec::new();
    // Keys with a CSI form: `ESC [ 1 ; m X` with modifiers, else SS3 in
    // application cursor mode, else `ESC [ X`.
    let letter = |x: u8, app: bool, out: &mut Vec<u8>| {
        if param > 1 {
            out.extend_from_slice(format!("\x1b[1;{param}").as_bytes());
            out.push(x);
        } else if app {
            out.extend_from_slice(&[ESC, b'O', x]);
        } else {
            out.extend_from_slice(&[ESC, b'[', x]);
        }
    };
    let tilde = |n: u8, out: &mut Vec<u8>| {
        if param > 1 {
            out.extend_from_slice(format!("\x1b[{n};{param}~").as_bytes());
        } else {
            out.extend_from_slice(format!("\x1b[{n}~").as_bytes());
        }
    };
    let app_cursor = modes.application_cursor;
    match key.code {
        KeyCode::Char(c) => {
            if alt {
                out.push(ESC);
            }
            match control_byte(c).filter(|_| ctrl) {
                Some(b) => out.push(b),
                None => {
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        KeyCode::Enter => {
            if alt {
                out.push(ESC);
            }
            out.push(b'\r');
        }
        KeyCode::Tab => {
            if alt {
                out.push(ESC);
            }
            out.push(b'\t');
        }
        KeyCode::BackTab => out.extend_from_slice(b"\x1b[Z"),
        KeyCode::Backspace => {
            if alt {
                out.push(ESC);
            }
            out.push(if ctrl { 0x08 } else { 0x7f });
        }
        KeyCode::Esc => {
            if alt {
                out.push(ESC);
            }
            out.push(ESC);
        }
        KeyCode::Up => letter(b'A', app_cursor, &mut out),
        KeyCode::Down => letter(b'B', app_cursor, &mut out),
        KeyCode::Right => letter(b'C', app_cursor, &mut out),
        KeyCode::Left => letter(b'D', app_cursor, &mut out),
        KeyCode::Home => letter(b'H', app_cursor, &mut out),
        KeyCode::End => letter(b'F', app_cursor, &mut out),
        KeyCode::Insert => tilde(2, &mut out),
        KeyCode::Delete => tilde(3, &mut out),
        KeyCode::PageUp => tilde(5, &mut out),
        KeyCode::PageDown => tilde(6, &mut out),
        KeyCode::F(n @ 1..=4) => letter(b'P' + (n - 1), true, &mut out),
        KeyCode::F(n @ 5..=12) => tilde(
            [15, 17, 18, 19, 20, 21, 23, 24][usize::from(n - 5)],
            &mut out,
        ),
        KeyCode::Null => out.push(0),
        _ => {}
    }
    out
}

/// A paste: newlines become carriage returns (as typed); inside a bracketed
/// paste the end marker is removed so the text cannot end the bracket early.
pub fn encode_paste(text: &str, bracketed: bool) -> Vec<u8> {
    let text = text.replace("\r\n", "\r").replace('\n', "\r");
    if !bracketed {
        return text.into_bytes();
    }
    let mut body = text;
    while body.contains("\x1b[201~") {
        body = body.replace("\x1b[201~", "");
    }
    let mut out = b"\x1b[200~".to_vec();
    out.extend_from_slice(body.as_bytes());
    out.extend_from_slice(b"\x1b[201~");
    out
}

/// Focus in/out reports, when the program asked for them (DECSET 1004).
pub fn encode_focus(gained: bool, modes: &pb::Modes) -> Option<Vec<u8>> {
    modes.focus_events.then(|| {
        if gained {
            b"\x1b[I".to_vec()
        } else {
            b"\x1b[O".to_vec()
        }
    })
}

/// A mouse event as the program asked to receive it; `origin` is where the
/// session's top-left cell is on the outer terminal. `None` when the program
/// does not track this kind of event, or it is outside.
pub fn encode_mouse(ev: &MouseEvent, modes: &pb::Modes, origin: (u16, u16)) -> Option<Vec<u8>> {
    use pb::MouseTracking as T;
    let tracking = modes.mouse_tracking();
    if tracking == T::None {
        return None;
    }
    let x = ev.column.checked_sub(origin.0)?;
    let y = ev.row.checked_sub(origin.1)?;
    let button = |b: MouseButton| match b {
        MouseButton::Left => 0u32,
        MouseButton::Middle => 1,
        MouseButton::Right => 2,
    };
    let (code, release) = match ev.kind {
        MouseEventKind::Down(b) => (button(b), false),
        MouseEventKind::Up(b) if tracking != T::X10 => (button(b), true),
        MouseEventKind::Drag(b) if matches!(tracking, T::Button | T::Any) => {
            (button(b) + 32, false)
        }
        MouseEventKind::Moved if tracking == T::Any => (3 + 32, false),
        MouseEventKind::ScrollUp => (64, false),
        MouseEventKind::ScrollDown => (65, false),
        MouseEventKind::ScrollLeft => (66, false),
        MouseEventKind::ScrollRight => (67, false),
        _ => return None,
    };
    let mut code = code;
    if tracking != T::X10 {
        let m = ev.modifiers;
        code += 4 * u32::from(m.contains(KeyModifiers::SHIFT))
            + 8 * u32::from(m.contains(KeyModifiers::ALT))
            + 16 * u32::from(m.contains(KeyModifiers::CONTROL));
    }
    let (cx, cy) = (u32::from(x) + 1, u32::from(y) + 1);
    let legacy_code = if release { 3 + (code & !3) } else { code };
    match modes.mouse_encoding() {
        pb::MouseEncoding::Sgr => {
            Some(format!("\x1b[<{code};{cx};{cy}{}", if release { 'm' } else { 'M' }).into_bytes())
        }
        pb::MouseEncoding::Urxvt => {
            Some(format!("\x1b[{};{cx};{cy}M", 32 + legacy_code).into_bytes())
        }
        pb::MouseEncoding::Utf8 => {
            let mut out = b"\x1b[M".to_vec();
            for v in [32 + legacy_code, 32 + cx, 32 + cy] {
                let c = char::from_u32(v).filter(|_| v <= 2047)?;
                let mut buf = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            Some(out)
        }
        pb::MouseEncoding::Default => {
            if cx > 223 || cy > 223 {
                return None;
            }
            Some(vec![
                ESC,
                b'[',
                b'M',
                (32 + legacy_code) as u8,
                (32 + cx) as u8,
                (32 + cy) as u8,
            ])
        }
    }
}

/// A key by its tmux name (`Enter`, `C-c`, `M-Left`, `F5`, `BSpace`, `^a`, or
/// a single character; see [`KeyName`]). `None` for other words.
pub fn parse_key_name(name: &str) -> Option<KeyEvent> {
    KeyName::parse(name).map(key_event)
}

/// The key event a key name stands for.
pub fn key_event(name: KeyName) -> KeyEvent {
    let mut mods = KeyModifiers::empty();
    mods.set(KeyModifiers::CONTROL, name.ctrl);
    mods.set(KeyModifiers::ALT, name.alt);
    mods.set(KeyModifiers::SHIFT, name.shift);
    let code = match name.key {
        Key::Char(c) => KeyCode::Char(c),
        Key::Enter => KeyCode::Enter,
        Key::Esc => KeyCode::Esc,
        Key::Tab => KeyCode::Tab,
        Key::BackTab => KeyCode::BackTab,
        Key::Backspace => KeyCode::Backspace,
        Key::Up => KeyCode::Up,
        Key::Down => KeyCode::Down,
        Key::Left => KeyCode::Left,
        Key::Right => KeyCode::Right,
        Key::Home => KeyCode::Home,
        Key::End => KeyCode::End,
        Key::PageUp => KeyCode::PageUp,
        Key::PageDown => KeyCode::PageDown,
        Key::Insert => KeyCode::Insert,
        Key::Delete => KeyCode::Delete,
        Key::F(n) => KeyCode::F(n),
    };
    KeyEvent::new(code, mods)
}

/// What `send` types: key names become keys, other words are text; with
/// `literal`, everything is text.
pub fn send_keys_bytes(words: &[String], literal: bool, modes: &pb::Modes) -> Vec<u8> {
    let mut out = Vec::new();
    for word in words {
        match parse_key_name(word).filter(|_| !literal) {
            Some(key) => out.extend(encode_key(&key, modes)),
            None => out.extend_from_slice(word.as_bytes()),
        }
    }
    out
}

/// A configured key (the prefix, a binding), to match against what the
/// terminal reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    name: KeyName,
    key: KeyEvent,
}

impl KeySpec {
    pub fn new(name: KeyName) -> KeySpec {
        KeySpec {
            name,
            key: key_event(name),
        }
    }

    pub fn name(&self) -> KeyName {
        self.name
    }

    /// Whether `key` is this key. Shift is in the character itself; with Ctrl
    /// or Alt, terminals report letters in either case, and those all count.
    pub fn matches(&self, key: &KeyEvent) -> bool {
        if key.kind == KeyEventKind::Release {
            return false;
        }
        let relevant = KeyModifiers::CONTROL | KeyModifiers::ALT;
        let mods = self.key.modifiers & relevant;
        if key.modifiers & relevant != mods {
            return false;
        }
        match (key.code, self.key.code) {
            (KeyCode::Char(a), KeyCode::Char(b)) if !mods.is_empty() => a.eq_ignore_ascii_case(&b),
            (a, b) => a == b,
        }
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.name.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> Vec<u8> {
        encode_key(&KeyEvent::new(code, mods), &pb::Modes::default())
    }

    const NONE: KeyModifiers = KeyModifiers::NONE;
    const CTRL: KeyModifiers = KeyModifiers::CONTROL;
    const ALT: KeyModifiers = KeyModifiers::ALT;
    const SHIFT: KeyModifiers = KeyModifiers::SHIFT;

    #[test]
    fn keys_encode_like_xterm() {
        assert_eq!(key(KeyCode::Char('a'), NONE), b"a");
        assert_eq!(key(KeyCode::Char('é'), NONE), "é".as_bytes());
        assert_eq!(key(KeyCode::Char('c'), CTRL), b"\x03");
        assert_eq!(key(KeyCode::Char(' '), CTRL), b"\x00");
        assert_eq!(key(KeyCode::Char('x'), ALT), b"\x1bx");
        assert_eq!(key(KeyCode::Char('a'), CTRL | ALT), b"\x1b\x01");
        assert_eq!(key(KeyCode::Enter, NONE), b"\r");
        assert_eq!(key(KeyCode::Backspace, NONE), b"\x7f");
        assert_eq!(key(KeyCode::BackTab, SHIFT), b"\x1b[Z");
        assert_eq!(key(KeyCode::Up, NONE), b"\x1b[A");
        assert_eq!(key(KeyCode::Left, CTRL), b"\x1b[1;5D");
        assert_eq!(key(KeyCode::Right, SHIFT | ALT), b"\x1b[1;4C");
        assert_eq!(key(KeyCode::Home, NONE), b"\x1b[H");
        assert_eq!(key(KeyCode::Delete, NONE), b"\x1b[3~");
        assert_eq!(key(KeyCode::PageUp, CTRL), b"\x1b[5;5~");
        assert_eq!(key(KeyCode::F(1), NONE), b"\x1bOP");
        assert_eq!(key(KeyCode::F(4), SHIFT), b"\x1b[1;2S");
        assert_eq!(key(KeyCode::F(5), NONE), b"\x1b[15~");
        assert_eq!(key(KeyCode::F(12), CTRL), b"\x1b[24;5~");
        let release = KeyEvent::new_with_kind(KeyCode::Char('a'), NONE, KeyEventKind::Release);
        assert!(encode_key(&release, &pb::Modes::default()).is_empty());
    }

    #[test]
    fn application_cursor_mode_uses_ss3() {
        let modes = pb::Modes {
            application_cursor: true,
            ..Default::default()
        };
        assert_eq!(
            encode_key(&KeyEvent::new(KeyCode::Up, NONE), &modes),
            b"\x1bOA"
        );
        assert_eq!(
            encode_key(&KeyEvent::new(KeyCode::End, NONE), &modes),
            b"\x1bOF"
        );
        assert_eq!(
            encode_key(&KeyEvent::new(KeyCode::Up, CTRL), &modes),
            b"\x1b[1;5A"
        );
    }

    #[test]
    fn pastes() {
        assert_eq!(encode_paste("a\nb\r\nc", false), b"a\rb\rc");
        assert_eq!(encode_paste("x", true), b"\x1b[200~x\x1b[201~");
        assert_eq!(
            encode_paste("a\x1b[201~\x1b[20\x1b[201~1~b", true),
            b"\x1b[200~ab\x1b[201~"
        );
    }

    fn mouse(kind: MouseEventKind, col: u16, row: u16, mods: KeyModifiers) -> MouseEvent {
        MouseEvent {
            kind,
            column: col,
            row,
            modifiers: mods,
        }
    }

    fn modes(t: pb::MouseTracking, e: pb::MouseEncoding) -> pb::Modes {
        pb::Modes {
            mouse_tracking: t as i32,
            mouse_encoding: e as i32,
            ..Default::default()
        }
    }

    #[test]
    fn mouse_reports() {
        use pb::{MouseEncoding as E, MouseTracking as T};
        let down = mouse(MouseEventKind::Down(MouseButton::Left), 4, 2, NONE);
        let up = mouse(MouseEventKind::Up(MouseButton::Left), 4, 2, NONE);
        assert_eq!(encode_mouse(&down, &modes(T::None, E::Sgr), (0, 0)), None);
        assert_eq!(
            encode_mouse(&down, &modes(T::Normal, E::Sgr), (0, 0)).unwrap(),
            b"\x1b[<0;5;3M"
        );
        assert_eq!(
            encode_mouse(&up, &modes(T::Normal, E::Sgr), (0, 0)).unwrap(),
            b"\x1b[<0;5;3m"
        );
        assert_eq!(
            encode_mouse(&down, &modes(T::Normal, E::Default), (0, 0)).unwrap(),
            b"\x1b[M %#"
        );
        assert_eq!(
            encode_mouse(&up, &modes(T::Normal, E::Default), (0, 0)).unwrap(),
            b"\x1b[M#%#"
        );
        assert_eq!(
            encode_mouse(&up, &modes(T::X10, E::Default), (0, 0)),
            None,
            "X10: presses only"
        );
        assert_eq!(
            encode_mouse(&down, &modes(T::Normal, E::Urxvt), (0, 0)).unwrap(),
            b"\x1b[32;5;3M"
        );
        let drag = mouse(MouseEventKind::Drag(MouseButton::Left), 1, 1, NONE);
        assert_eq!(encode_mouse(&drag, &modes(T::Normal, E::Sgr), (0, 0)), None);
        assert_eq!(
            encode_mouse(&drag, &modes(T::Button, E::Sgr), (0, 0)).unwrap(),
            b"\x1b[<32;2;2M"
        );
        let moved = mouse(MouseEventKind::Moved, 1, 1, NONE);
        assert_eq!(
            encode_mouse(&moved, &modes(T::Button, E::Sgr), (0, 0)),
            None
        );
        assert_eq!(
            encode_mouse(&moved, &modes(T::Any, E::Sgr), (0, 0)).unwrap(),
            b"\x1b[<35;2;2M"
        );
        let wheel = mouse(MouseEventKind::ScrollUp, 0, 0, CTRL);
        assert_eq!(
            encode_mouse(&wheel, &modes(T::Normal, E::Sgr), (0, 0)).unwrap(),
            b"\x1b[<80;1;1M"
        );
        let far = mouse(MouseEventKind::Down(MouseButton::Left), 300, 0, NONE);
        assert_eq!(
            encode_mouse(&far, &modes(T::Normal, E::Default), (0, 0)),
            None
        );
        assert_eq!(
            encode_mouse(&far, &modes(T::Normal, E::Utf8), (0, 0)).unwrap(),
            "\x1b[M \u{14d}!".as_bytes()
        );
        assert_eq!(
            encode_mouse(&down, &modes(T::Normal, E::Sgr), (5, 0)),
            None,
            "left of origin"
        );
    }

    #[test]
    fn focus() {
        let on = pb::Modes {
            focus_events: true,
            ..Default::default()
        };
        assert_eq!(encode_focus(true, &on).unwrap(), b"\x1b[I");
        assert_eq!(encode_focus(false, &on).unwrap(), b"\x1b[O");
        assert_eq!(encode_focus(true, &pb::Modes::default()), None);
    }

    #[test]
    fn key_names_like_tmux() {
        let m = pb::Modes::default();
        let send = |w: &[&str], lit| {
            send_keys_bytes(
                &w.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                lit,
                &m,
            )
        };
        assert_eq!(send(&["echo hi", "Enter"], false), b"echo hi\r");
        assert_eq!(send(&["C-c"], false), b"\x03");
        assert_eq!(send(&["c-C"], false), b"\x03");
        assert_eq!(send(&["^a"], false), b"\x01");
        assert_eq!(send(&["M-x"], false), b"\x1bx");
        assert_eq!(
            send(&["C-Left", "F5", "BSpace", "Escape"], false),
            b"\x1b[1;5D\x1b[15~\x7f\x1b"
        );
        assert_eq!(
            send(&["PPage", "npage", "DC", "Space", "BTab"], false),
            b"\x1b[5~\x1b[6~\x1b[3~ \x1b[Z"
        );
        assert_eq!(send(&["Enter", "C-c"], true), b"EnterC-c");
        assert_eq!(send(&["F13", "Entr"], false), b"F13Entr");
        assert_eq!(send(&["-"], false), b"-");
    }

    fn spec(name: &str) -> KeySpec {
        KeySpec::new(KeyName::parse(name).unwrap())
    }

    #[test]
    fn key_spec_matching() {
        let p = spec("C-b");
        assert!(p.matches(&KeyEvent::new(KeyCode::Char('b'), CTRL)));
        assert!(p.matches(&KeyEvent::new(KeyCode::Char('B'), CTRL | SHIFT)));
        assert!(!p.matches(&KeyEvent::new(KeyCode::Char('b'), NONE)));
        assert!(!p.matches(&KeyEvent::new(KeyCode::Char('b'), CTRL | ALT)));
        assert_eq!(p.to_string(), "C-b");
        assert!(spec("M-a").matches(&KeyEvent::new(KeyCode::Char('A'), ALT | SHIFT)));
        assert!(spec("D").matches(&KeyEvent::new(KeyCode::Char('D'), SHIFT)));
        assert!(!spec("d").matches(&KeyEvent::new(KeyCode::Char('D'), SHIFT)));
        assert!(spec("PageUp").matches(&KeyEvent::new(KeyCode::PageUp, NONE)));
    }
}
