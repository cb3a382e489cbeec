//! Internal types to and from their wire form (`wrapd_proto::pb`).

use std::path::PathBuf;

use tonic::Status;
use wrapd_common::color::Rgb;
use wrapd_proto::pb;

use crate::daemon::NewSession;

use crate::pty::ExitStatus;
use crate::session::{EndReason, SessionInfo, Size, Update};
use crate::term::{
    Attrs, Block, BlockEvent, BlockState, Color, Cursor, CursorShape, Line, Modes, MouseEncoding,
    MouseTracking, RowIndex, Style, TerminalLook,
};

pub fn color(c: Color) -> u32 {
    match c {
        Color::Default => 0,
        Color::Indexed(i) => wrapd_proto::color::indexed(i),
        Color::Rgb(r, g, b) => wrapd_proto::color::rgb(r, g, b),
    }
}

pub fn style(s: &Style) -> Option<pb::Style> {
    if *s == Style::default() {
        return None;
    }
    Some(pb::Style {
        fg: color(s.fg),
        bg: color(s.bg),
        underline_color: color(s.underline_color),
        // Protection is the model's business, not a client's.
        attrs: u32::from((s.attrs - Attrs::PROTECTED).bits()),
    })
}

pub fn row(index: RowIndex, line: Line) -> pb::Row {
    pb::Row {
        index: index.0,
        wrapped: line.wrapped,
        spans: line
            .spans
            .into_iter()
            .map(|s| pb::Span {
                style: style(&s.style),
                text: s.text,
                wide: s.wide,
                cluster: s.cluster,
                link: s.link.map(|l| l.to_string()).unwrap_or_default(),
            })
            .collect(),
    }
}

pub fn size(s: Size) -> pb::Size {
    pb::Size {
        cols: u32::from(s.cols),
        rows: u32::from(s.rows),
    }
}

pub fn exit_status(s: ExitStatus) -> pb::ExitStatus {
    match s {
        ExitStatus::Code(c) => pb::ExitStatus {
            code: Some(c),
            signal: None,
        },
        ExitStatus::Signal(sig) => pb::ExitStatus {
            code: None,
            signal: Some(sig),
        },
    }
}

pub fn cursor(c: Cursor) -> pb::Cursor {
    pb::Cursor {
        col: u32::from(c.col),
        row: u32::from(c.row),
        visible: c.visible,
        shape: match c.shape {
            CursorShape::Default => pb::CursorShape::Default,
            CursorShape::Block => pb::CursorShape::Block,
            CursorShape::Underline => pb::CursorShape::Underline,
            CursorShape::Bar => pb::CursorShape::Bar,
        } as i32,
        blinking: c.blinking,
    }
}

pub fn modes(m: Modes) -> pb::Modes {
    pb::Modes {
        application_cursor: m.application_cursor,
        application_keypad: m.application_keypad,
        bracketed_paste: m.bracketed_paste,
        mouse_tracking: match m.mouse_tracking {
            MouseTracking::None => pb::MouseTracking::None,
            MouseTracking::X10 => pb::MouseTracking::X10,
            MouseTracking::Normal => pb::MouseTracking::Normal,
            MouseTracking::Button => pb::MouseTracking::Button,
            MouseTracking::Any => pb::MouseTracking::Any,
        } as i32,
        mouse_encoding: match m.mouse_encoding {
            MouseEncoding::Default => pb::MouseEncoding::Default,
            MouseEncoding::Utf8 => pb::MouseEncoding::Utf8,
            MouseEncoding::Sgr => pb::MouseEncoding::Sgr,
            MouseEncoding::Urxvt => pb::MouseEncoding::Urxvt,
        } as i32,
        focus_events: m.focus_events,
        alternate_screen: m.alternate_screen,
    }
}

pub fn update(u: Update) -> pb::ScreenUpdate {
    pb::ScreenUpdate {
        seq: u.seq,
        reset: u.reset,
        size: Some(size(u.size)),
        screen_start: u.screen_start.0,
        history_start: u.history_start.0,
        rows: u.rows.into_iter().map(|(i, l)| row(i, l)).collect(),
        cursor: Some(cursor(u.cursor)),
        modes: Some(modes(u.modes)),
        title: u.title,
        cwd: u.cwd,
        bell_count: u.bell_count,
        clipboard: u
            .clipboard
            .map(|(selection, data)| pb::Clipboard { selection, data }),
        clients: u.clients,
        session_name: u.session_name,
        exited: u.exited.map(exit_status),
        blocks: u
            .blocks
            .iter()
            .map(|b| block(b, b.output.row < u.history_start))
            .collect(),
    }
}

pub fn block(b: &Block, output_trimmed: bool) -> pb::Block {
    let state = match b.state {
        BlockState::Running => pb::BlockState::Running,
        BlockState::Finished(_) => pb::BlockState::Finished,
        BlockState::Interrupted => pb::BlockState::Interrupted,
    };
    pb::Block {
        id: b.id.0,
        command: b.command.clone(),
        cwd: b.cwd.clone().unwrap_or_default(),
        started_at_ms: b.started_at_ms,
        ended_at_ms: b.ended_at_ms,
        state: state as i32,
        exit_code: b.exit_code(),
        prompt_row: b.prompt.row.0,
        command_row: b.input.row.0,
        output_row: b.output.row.0,
        output_col: u32::from(b.output.col),
        end_row: b.end.map(|e| e.row.0),
        end_col: b.end.map_or(0, |e| u32::from(e.col)),
        output_trimmed,
        full_screen: b.full_screen,
    }
}

pub fn block_event(e: &BlockEvent) -> pb::BlockEvent {
    use pb::block_event::Event;
    // Watchers learn of trimming from `GetBlockOutput`; a fresh event's rows are kept.
    pb::BlockEvent {
        event: Some(match e {
            BlockEvent::Started(b) => Event::Started(block(b, false)),
            BlockEvent::Finished(b) => Event::Finished(block(b, false)),
        }),
    }
}

pub fn session_info(i: SessionInfo) -> pb::SessionInfo {
    pb::SessionInfo {
        id: i.id.0,
        name: i.name,
        command: i.command,
        pid: i.pid,
        cols: u32::from(i.size.cols),
        rows: u32::from(i.size.rows),
        clients: i.clients,
        history_lines: i.history_lines,
        created_at_ms: i.created_at_ms,
        last_active_ms: i.last_active_ms,
        title: i.title,
        cwd: i.cwd,
        exit: i.exit.map(exit_status),
    }
}

pub fn ended(reason: &EndReason) -> pb::Ended {
    use pb::ended::Reason;
    let (r, exit, message) = match reason {
        EndReason::Exited(s) => (
            Reason::Exited,
            Some(exit_status(*s)),
            format!("the program exited ({s})"),
        ),
        EndReason::Killed => (Reason::Killed, None, "the session was killed".to_owned()),
        EndReason::ServerExit => (
            Reason::ServerExit,
            None,
            "the wrapd daemon is shutting down".to_owned(),
        ),
    };
    pb::Ended {
        reason: r as i32,
        exit,
        message,
    }
}

/// Attribute bits must agree with the wire's.
const _: () = {
    assert!(Attrs::BOLD.bits() as u32 == wrapd_proto::attrs::BOLD);
    assert!(Attrs::DASHED_UNDERLINE.bits() as u32 == wrapd_proto::attrs::DASHED_UNDERLINE);
    assert!(Attrs::OVERLINE.bits() as u32 == wrapd_proto::attrs::OVERLINE);
};

/// A client's report of its terminal, checked: a channel over 16 bits or a
/// palette index over 255 is refused, with what is wrong.
pub fn terminal_look(look: &pb::TerminalLook) -> Result<TerminalLook, String> {
    let rgb = |c: &pb::Rgb| {
        let channel = |v: u32| u16::try_from(v).map_err(|_| format!("colour channel {v} > 65535"));
        Ok::<_, String>(Rgb(channel(c.red)?, channel(c.green)?, channel(c.blue)?))
    };
    let optional = |c: &Option<pb::Rgb>| c.as_ref().map(rgb).transpose();
    let palette = look
        .palette
        .iter()
        .map(|e| {
            let index =
                u8::try_from(e.index).map_err(|_| format!("palette index {} > 255", e.index))?;
            let color = e.color.as_ref().ok_or("palette entry without a colour")?;
            Ok((index, rgb(color)?))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let px = |v: u32| u16::try_from(v).unwrap_or(0);
    Ok(TerminalLook {
        foreground: optional(&look.foreground)?,
        background: optional(&look.background)?,
        cursor: optional(&look.cursor)?,
        palette,
        cell_pixels: (px(look.cell_width_px), px(look.cell_height_px)),
    })
}

/// A size from the wire: zero means "the default" where a default makes sense.
fn size_or_default(cols: u32, rows: u32) -> Result<Option<Size>, Status> {
    if cols == 0 && rows == 0 {
        return Ok(None);
    }
    Size::checked(cols, rows).map(Some).ok_or_else(|| {
        Status::invalid_argument(format!(
            "invalid size {cols}x{rows}: both sides must be at least 1"
        ))
    })
}

pub fn new_session(req: pb::CreateSessionRequest) -> Result<NewSession, Status> {
    Ok(NewSession {
        name: req.name,
        command: req.command,
        cwd: Some(req.cwd).filter(|c| !c.is_empty()).map(PathBuf::from),
        env: req.env.into_iter().collect(),
        size: size_or_default(req.cols, req.rows)?,
        remain_on_exit: req.remain_on_exit,
        shell_integration: !req.no_shell_integration,
    })
}
