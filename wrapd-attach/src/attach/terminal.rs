//! The outer terminal: raw mode and the alternate screen while attached, and
//! always restored — on return, on error, on panic and on signals.

use std::io::{self, Write};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::cursor::{SetCursorStyle, Show};
use crossterm::event::{
    DisableBracketedPaste, DisableFocusChange, DisableMouseCapture, EnableBracketedPaste,
    EnableFocusChange, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

/// Whether there is a terminal to attach in: the one raw mode and input use
/// (stdin, or else the process's controlling terminal, /dev/tty). Its size
/// is no test: without a terminal crossterm still gives terminfo's.
pub fn available() -> io::Result<()> {
    if io::IsTerminal::is_terminal(&io::stdin()) {
        return Ok(());
    }
    std::fs::File::open("/dev/tty").map(drop)
}

/// Whether the terminal is in our modes right now (the panic hook checks it).
static ACTIVE: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

/// Holds the outer terminal in raw mode on the alternate screen; restores it
/// when dropped.
pub struct TerminalGuard {
    mouse: bool,
}

impl TerminalGuard {
    pub fn enter() -> io::Result<TerminalGuard> {
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                restore();
                previous(info);
            }));
        });
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let mut out = io::stdout();
        execute!(
            out,
            EnterAlternateScreen,
            EnableBracketedPaste,
            EnableFocusChange
        )?;
        Ok(TerminalGuard { mouse: false })
    }

    /// Turn mouse reporting on (the program asked for the mouse, or scroll mode
    /// wants the wheel) or off (so the outer terminal's own selection works).
    pub fn set_mouse(&mut self, on: bool) -> io::Result<()> {
        if on == self.mouse {
            return Ok(());
        }
        self.mouse = on;
        let mut out = io::stdout();
        if on {
            execute!(out, EnableMouseCapture)
        } else {
            execute!(out, DisableMouseCapture)
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Put the outer terminal back as we found it (idempotent).
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    let _ = execute!(
        out,
        DisableMouseCapture,
        DisableBracketedPaste,
        DisableFocusChange,
        SetCursorStyle::DefaultUserShape,
        Show,
        LeaveAlternateScreen
    );
    let _ = out.flush();
    let _ = disable_raw_mode();
}
