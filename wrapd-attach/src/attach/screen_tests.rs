//! Frames that redraw only what changed (`screen.rs`) against whole frames:
//! after every frame of random sequences of updates, keys and resizes, the
//! outer terminal must show exactly what a whole frame draws.

use std::io;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::{ClearType, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::Size;
use unicode_width::UnicodeWidthStr;
use wrapd_common::config::Config;
use wrapd_proto::{attrs, color, pb};

use super::super::presence::{Presence, Side};
use super::*;

/// An outer terminal: the cells and cursor the frames left on it.
struct Outer {
    cells: Buffer,
    cursor: Position,
    cursor_shown: bool,
    /// Cells written since the last `take_written`.
    written: Vec<(u16, u16)>,
}

impl Outer {
    fn new(size: (u16, u16)) -> Outer {
        Outer {
            cells: Buffer::empty(Rect::new(0, 0, size.0, size.1)),
            cursor: Position::new(0, 0),
            cursor_shown: true,
            written: Vec::new(),
        }
    }
}

impl Backend for Outer {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        for (x, y, cell) in content {
            self.cells[(x, y)] = cell.clone();
            // A wide character covers the cell after it.
            let width = cell.symbol().width().clamp(1, 2) as u16;
            for covered in x + 1..(x + width).min(self.cells.area.right()) {
                self.cells[(covered, y)] = Cell::default();
            }
            self.written.push((x, y));
        }
        Ok(())
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.cursor_shown = false;
        Ok(())
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.cursor_shown = true;
        Ok(())
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        Ok(self.cursor)
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.cursor = position.into();
        Ok(())
    }

    fn clear(&mut self) -> io::Result<()> {
        self.cells = Buffer::empty(self.cells.area);
        Ok(())
    }

    fn clear_region(&mut self, _: ClearType) -> io::Result<()> {
        unimplemented!("frames clear all of the screen")
    }

    fn size(&self) -> io::Result<Size> {
        Ok(self.cells.area.as_size())
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        Ok(WindowSize {
            columns_rows: self.cells.area.as_size(),
            pixels: Size::default(),
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Resize the outer terminal (as the terminal does; the client then hears
/// of it).
fn resize_outer(screen: &mut Screen<Outer>, size: (u16, u16)) {
    screen.backend.cells.resize(Rect::new(0, 0, size.0, size.1));
}

/// The cells' text, a line each.
fn text(b: &Buffer) -> String {
    (0..b.area.height)
        .map(|y| {
            (0..b.area.width)
                .map(|x| b[(x, y)].symbol())
                .collect::<String>()
                + "\n"
        })
        .collect()
}

/// Assert that two screens hold the same cells (text and style).
fn assert_same_cells(a: &Buffer, b: &Buffer, what: &str) {
    assert_eq!(a.area, b.area, "{what}");
    for (i, (x_cell, y_cell)) in a.content.iter().zip(&b.content).enumerate() {
        let same = x_cell.symbol() == y_cell.symbol()
            && x_cell.fg == y_cell.fg
            && x_cell.bg == y_cell.bg
            && x_cell.modifier == y_cell.modifier;
        assert!(
            same,
            "{what}: at {:?}, {x_cell:?} against {y_cell:?}\n{}against\n{}",
            a.pos_of(i),
            text(a),
            text(b)
        );
    }
}

/// Assert that `screen` holds what a whole frame of `app` draws, and that its
/// outer terminal shows what one drawn by whole frames (`whole`) shows.
fn assert_frame(screen: &Screen<Outer>, whole: &Screen<Outer>, app: &App, what: &str) {
    let mut frame = Buffer::empty(Rect::new(0, 0, app.outer.0, app.outer.1));
    let cursor = ui::draw(&mut frame, app, &Lines::All);
    assert_same_cells(&screen.shown, &frame, &format!("{what}, drawn"));
    let (outer, expected) = (&screen.backend, &whole.backend);
    assert_same_cells(&outer.cells, &expected.cells, &format!("{what}, shown"));
    let cursor_of = |o: &Outer| o.cursor_shown.then_some(o.cursor);
    assert_eq!(cursor_of(outer), cursor, "{what}: the cursor");
    assert_eq!(cursor_of(expected), cursor, "{what}: the cursor");
}

/// A small deterministic random source (xorshift).
struct Random(u64);

impl Random {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The session as the daemon sees it: it makes the updates.
struct Session {
    seq: u64,
    cols: u32,
    rows: u32,
    screen_start: u64,
    cursor: pb::Cursor,
    title: String,
}

impl Session {
    fn update(&mut self, reset: bool, rows: Vec<pb::Row>) -> pb::ScreenUpdate {
        self.seq += 1;
        pb::ScreenUpdate {
            seq: self.seq,
            reset,
            size: Some(pb::Size {
                cols: self.cols,
                rows: self.rows,
            }),
            screen_start: self.screen_start,
            history_start: 0,
            rows,
            cursor: Some(self.cursor),
            title: self.title.clone(),
            session_name: "s".into(),
            clients: 1,
            ..Default::default()
        }
    }

    fn screen(&self) -> std::ops::Range<u64> {
        self.screen_start..self.screen_start + u64::from(self.rows)
    }
}

/// A row of random text: letters, wide characters, combining marks,
/// clusters, colours and attributes.
fn random_row(r: &mut Random, index: u64, cols: u32) -> pb::Row {
    let mut spans = Vec::new();
    let mut width = 0;
    while width < cols && !r.chance(10) {
        let (text, wide, cluster) = match r.below(6) {
            0 => ("日本", true, false),
            1 => ("e\u{301}x", false, false),
            2 => ("👩\u{200d}💻", true, true),
            3 => ("❤\u{fe0f}", true, true),
            _ => (["ab", "xyz", "  ", "q"][r.below(4) as usize], false, false),
        };
        let style = r.chance(60).then(|| pb::Style {
            fg: color::indexed(r.below(16) as u8),
            bg: if r.chance(30) {
                color::rgb(r.below(256) as u8, 10, 20)
            } else {
                0
            },
            attrs: [0, attrs::BOLD, attrs::INVERSE, attrs::UNDERLINE][r.below(4) as usize],
            ..Default::default()
        });
        width += if cluster { 2 } else { text.width() as u32 };
        spans.push(pb::Span {
            text: text.into(),
            style,
            wide,
            cluster,
            ..Default::default()
        });
    }
    pb::Row {
        index,
        spans,
        wrapped: false,
    }
}

fn key(code: KeyCode, modifiers: KeyModifiers) -> Event {
    Event::Key(KeyEvent::new(code, modifiers))
}

/// One random sequence: frames after random changes, each checked.
fn run(seed: u64, steps: usize) {
    let mut r = Random(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut outer_size = (30 + r.below(20) as u16, 6 + r.below(6) as u16);
    let mut app = App::new(&Config::default().client, false, outer_size);
    app.status_line = r.chance(50);
    if r.chance(50) {
        // Someone else's highlight over rows of the screen.
        app.presence = Presence::new(Side::Owner);
        let p = |id: &str, selection| pb::Participant {
            id: id.into(),
            name: id.into(),
            initials: id[..2].to_uppercase(),
            connected: true,
            color: 0xff_00_00,
            selection,
            ..Default::default()
        };
        let range = pb::Selection {
            start_row: 102,
            start_col: 3,
            end_row: 104,
            end_col: 5,
            block_id: 0,
        };
        app.presence.apply(pb::Presence {
            participants: vec![p("owner", None), p("other", Some(range))],
            you: "owner".into(),
            role: pb::Role::Owner as i32,
        });
    }
    let mut session = Session {
        seq: 0,
        cols: u32::from(outer_size.0),
        rows: u32::from(outer_size.1),
        screen_start: 100,
        cursor: pb::Cursor {
            visible: true,
            ..Default::default()
        },
        title: "title".into(),
    };
    let mut screen = Screen::new(Outer::new(outer_size), outer_size);
    // The same frames, drawn whole every time (as before frames were drawn
    // by what changed).
    let mut whole = Screen::new(Outer::new(outer_size), outer_size);
    let rows = session
        .screen()
        .map(|i| random_row(&mut r, i, session.cols));
    app.on_update(session.update(true, rows.collect()));
    for step in 0..steps {
        // Some changes, as they come between two frames.
        for _ in 0..1 + r.below(3) {
            session.cursor.col = r.below(u64::from(session.cols) + 2) as u32;
            session.cursor.row = r.below(u64::from(session.rows)) as u32;
            session.cursor.visible = !r.chance(10);
            match r.below(100) {
                // A key: in Normal mode, typed into the session.
                0..=9 => drop(app.on_event(key(KeyCode::Char('a'), KeyModifiers::NONE))),
                10..=14 => {
                    let n = 1 + r.below(3);
                    session.screen_start += n;
                    let new = session.screen().skip(session.rows as usize - n as usize);
                    let rows = new.map(|i| random_row(&mut r, i, session.cols)).collect();
                    app.on_update(session.update(false, rows));
                }
                15..=17 => {
                    session.cols = 20 + r.below(40) as u32;
                    session.rows = 3 + r.below(12) as u32;
                    session.cursor.row = session.cursor.row.min(session.rows - 1);
                    let rows = session
                        .screen()
                        .map(|i| random_row(&mut r, i, session.cols));
                    app.on_update(session.update(false, rows.collect()));
                }
                18..=19 => {
                    outer_size = (20 + r.below(40) as u16, 3 + r.below(12) as u16);
                    resize_outer(&mut screen, outer_size);
                    resize_outer(&mut whole, outer_size);
                    let _ = app.on_event(Event::Resize(outer_size.0, outer_size.1));
                }
                20..=22 => {
                    // The prefix, then a key it does nothing with.
                    let _ = app.on_event(key(KeyCode::Char('b'), KeyModifiers::CONTROL));
                    if r.chance(50) {
                        let _ = app.on_event(key(KeyCode::Char('z'), KeyModifiers::NONE));
                    }
                }
                23..=24 => {
                    // Scroll mode, and out of it again.
                    let _ = app.on_event(key(KeyCode::Char('b'), KeyModifiers::CONTROL));
                    let _ = app.on_event(key(KeyCode::Char('['), KeyModifiers::NONE));
                    if r.chance(70) {
                        let _ = app.on_event(key(KeyCode::Char('q'), KeyModifiers::NONE));
                    }
                }
                25..=27 => {
                    app.notice = r.chance(50).then(|| "a notice".to_owned());
                    app.dirty = true;
                }
                28..=29 => {
                    let rows = session
                        .screen()
                        .map(|i| random_row(&mut r, i, session.cols));
                    app.on_update(session.update(true, rows.collect()));
                }
                30..=31 => {
                    let mut u = session.update(false, vec![]);
                    u.blocks = vec![pb::Block {
                        id: 1,
                        prompt_row: session.screen_start + r.below(3),
                        exit_code: Some(1),
                        state: pb::BlockState::Finished as i32,
                        ..Default::default()
                    }];
                    app.on_update(u);
                }
                32..=34 => {
                    session.title = format!("title {}", r.below(1000));
                    app.on_update(session.update(false, vec![]));
                }
                _ => {
                    let screen = session.screen();
                    let changed: Vec<u64> = (0..1 + r.below(3))
                        .map(|_| screen.start + r.below(screen.end - screen.start))
                        .collect();
                    let rows = changed
                        .into_iter()
                        .map(|i| random_row(&mut r, i, session.cols));
                    app.on_update(session.update(false, rows.collect()));
                }
            }
        }
        if app.needs_frame() {
            screen.draw(&mut app).unwrap();
            app.dirty = true;
            whole.draw(&mut app).unwrap();
        }
        assert_frame(&screen, &whole, &app, &format!("seed {seed}, step {step}"));
    }
}

#[test]
fn frames_of_changed_rows_show_what_whole_frames_draw() {
    for seed in 0..60 {
        run(seed, 150);
    }
}

/// A session of `rows` rows of text, 40 columns wide, drawn.
fn drawn_session(status_line: bool) -> (App, Session, Screen<Outer>) {
    let mut app = App::new(&Config::default().client, false, (40, 10));
    app.status_line = status_line;
    let (cols, rows) = app.session_area();
    let mut session = Session {
        seq: 0,
        cols: u32::from(cols),
        rows: u32::from(rows),
        screen_start: 0,
        cursor: pb::Cursor {
            visible: true,
            ..Default::default()
        },
        title: String::new(),
    };
    let text = |i: u64| pb::Row {
        index: i,
        spans: vec![pb::Span {
            text: format!("row {i} $ "),
            ..Default::default()
        }],
        wrapped: false,
    };
    app.on_update(session.update(true, session.screen().map(text).collect()));
    let mut screen = Screen::new(Outer::new((40, 10)), (40, 10));
    screen.draw(&mut app).unwrap();
    screen.backend.written.clear();
    (app, session, screen)
}

#[test]
fn an_echo_redraws_its_line_and_writes_the_cells_it_changed() {
    for status_line in [false, true] {
        let (mut app, mut session, mut screen) = drawn_session(status_line);
        // The key: nothing to draw until the session echoes it.
        let typed = app.on_event(key(KeyCode::Char('x'), KeyModifiers::NONE));
        assert_eq!(typed, [super::super::app::Action::Input(b"x".to_vec())]);
        assert!(!app.needs_frame(), "a typed key draws no frame of its own");
        // A mark on another line: a frame that redrew it would wipe it.
        screen.shown[(0, 7)].set_symbol("#");
        session.cursor.col = 9;
        session.cursor.row = 4;
        let echoed = pb::Row {
            index: 4,
            spans: vec![pb::Span {
                text: "row 4 $ x".into(),
                ..Default::default()
            }],
            wrapped: false,
        };
        app.on_update(session.update(false, vec![echoed]));
        assert!(app.needs_frame());
        screen.draw(&mut app).unwrap();
        let what = format!("status line: {status_line}");
        assert_eq!(screen.backend.written, [(8, 4)], "{what}");
        assert_eq!(screen.shown[(0, 7)].symbol(), "#", "{what}");
        let shows = text(&screen.backend.cells);
        assert_eq!(
            shows.lines().nth(4),
            Some(format!("{:40}", "row 4 $ x").as_str())
        );
        assert_eq!(screen.backend.cursor, Position::new(9, 4));
        assert!(!app.needs_frame(), "one frame");
    }
}
