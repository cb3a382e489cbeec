//! The attached client's state machine (`app.rs`): keys, prefix bindings,
//! scroll mode, blocks, sharing presence, as a user drives them.

use super::*;
use wrapd_common::config::Config;

fn press(app: &mut App, code: KeyCode, mods: KeyModifiers) -> Vec<Action> {
    app.on_event(Event::Key(KeyEvent::new(code, mods)))
}

#[test]
fn prefix_and_bindings_come_from_the_config() {
    let config = Config::parse(
        "[client]\nprefix = \"C-a\"\n[client.bindings]\nx = \"detach\"\nd = \"none\"\n",
    )
    .unwrap();
    let mut app = App::new(&config.client, false, (80, 24));
    let ctrl = KeyModifiers::CONTROL;
    let none = KeyModifiers::NONE;
    // C-b is an ordinary key now.
    assert_eq!(
        press(&mut app, KeyCode::Char('b'), ctrl),
        [Action::Input(vec![2])]
    );
    assert!(press(&mut app, KeyCode::Char('a'), ctrl).is_empty());
    assert_eq!(press(&mut app, KeyCode::Char('x'), none), [Action::Detach]);
    press(&mut app, KeyCode::Char('a'), ctrl);
    assert!(press(&mut app, KeyCode::Char('d'), none).is_empty());
    assert_eq!(app.mode, Mode::Normal);
    press(&mut app, KeyCode::Char('a'), ctrl);
    assert_eq!(
        press(&mut app, KeyCode::Char('a'), ctrl),
        [Action::Input(vec![1])]
    );
    press(&mut app, KeyCode::Char('a'), ctrl);
    press(&mut app, KeyCode::Char('?'), none);
    assert_eq!(app.mode, Mode::Help { top: 0 });
    let help: Vec<String> = app.bindings.iter().map(|(k, _)| k.to_string()).collect();
    assert!(help.contains(&"x".to_owned()) && !help.contains(&"d".to_owned()));
}

fn key(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn ctrl_b() -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char('b'), KeyModifiers::CONTROL))
}

/// An app showing a 10-row session whose blocks start at rows 0, 30, 60.
fn app_with_blocks() -> App {
    let mut app = App::new(&Config::default().client, false, (80, 11));
    let block = |id: u64, prompt_row: u64, exit: i32| pb::Block {
        id,
        command: format!("cmd{id}"),
        prompt_row,
        end_row: Some(prompt_row + 30),
        exit_code: Some(exit),
        state: pb::BlockState::Finished as i32,
        ..Default::default()
    };
    app.on_update(pb::ScreenUpdate {
        seq: 1,
        reset: true,
        size: Some(pb::Size { cols: 80, rows: 10 }),
        screen_start: 85,
        history_start: 0,
        blocks: vec![block(1, 0, 0), block(2, 30, 1), block(3, 60, 0)],
        ..Default::default()
    });
    app
}

#[test]
fn history_is_prefetched_once_and_scroll_mode_does_not_ask_again() {
    let mut app = app_with_blocks();
    assert_eq!(app.prefetch_history(50), [Action::FetchRows(35..85)]);
    assert!(app.prefetch_history(50).is_empty(), "one fetch at a time");
    // Scrolling into the rows on their way asks for nothing more.
    app.on_event(ctrl_b());
    assert!(app.on_event(key('[')).is_empty());
    app.on_rows(&pb::ReadRowsResponse {
        rows: (35..85)
            .map(|index| pb::Row {
                index,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    });
    app.on_event(key('q'));
    assert!(app.prefetch_history(50).is_empty(), "nothing missing");
    // Older rows are fetched as before.
    assert_eq!(app.prefetch_history(60), [Action::FetchRows(25..35)]);
}

#[test]
fn prefix_brace_jumps_between_blocks_and_copies() {
    let mut app = app_with_blocks();
    app.on_event(ctrl_b());
    app.on_event(key('{'));
    let Mode::Scroll(s) = &app.mode else {
        panic!("scroll mode")
    };
    assert_eq!((s.selected_block, s.top), (Some(3), 60));
    app.on_event(key('{'));
    assert_eq!(app.selected_block(), Some(2));
    assert_eq!(app.view_top(), 30);
    assert_eq!(app.on_event(key('y')), vec![Action::CopyBlockOutput(2)]);
    assert_eq!(app.on_event(key('Y')), vec![Action::Copy("cmd2".into())]);
    app.on_event(key('}'));
    app.on_event(key('}'));
    assert_eq!(app.selected_block(), Some(3));
    assert_eq!(app.notice.as_deref(), Some("this is the last block"));
    app.on_event(key('q'));
    assert_eq!(app.selected_block(), None);
}

#[test]
fn a_click_in_scroll_mode_selects_the_block_under_it() {
    let mut app = app_with_blocks();
    app.on_event(ctrl_b());
    app.on_event(key('{'));
    assert_eq!(app.selected_block(), Some(3));
    let click = |row| {
        Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 3,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    // The view's top is row 60 (block 3); block 3 ends at 90, so all of it.
    app.on_event(click(2));
    assert_eq!(app.selected_block(), Some(3));
    app.on_event(key('{'));
    assert_eq!(app.view_top(), 30);
    app.on_event(click(0));
    assert_eq!(app.selected_block(), Some(2));
}

fn shared(side: Side, role: pb::Role) -> App {
    let mut app = app_with_blocks();
    app.presence = Presence::new(side);
    let p = |id: &str| pb::Participant {
        id: id.into(),
        connected: true,
        ..Default::default()
    };
    app.presence.apply(pb::Presence {
        participants: vec![p("owner"), p("p1")],
        you: "p1".into(),
        role: role as i32,
    });
    app
}

#[test]
fn a_viewer_types_and_the_daemon_decides() {
    let mut app = shared(Side::Collaborator("shared by O".into()), pb::Role::Viewer);
    assert_eq!(app.on_event(key('x')), [Action::Input(b"x".to_vec())]);
    app.on_event(ctrl_b());
    assert_eq!(app.on_event(key('c')), [Action::RequestControl]);
    // The owner has control already.
    let mut owner = shared(Side::Owner, pb::Role::Owner);
    owner.on_event(ctrl_b());
    assert_eq!(owner.on_event(key('c')), []);
    assert!(owner.notice.is_some());
}

#[test]
fn the_selected_block_is_highlighted_for_the_others() {
    let mut app = shared(Side::Collaborator("x".into()), pb::Role::Editor);
    app.on_event(ctrl_b());
    let actions = app.on_event(key('{'));
    let block3 = pb::Selection {
        block_id: 3,
        ..Default::default()
    };
    assert!(
        actions.contains(&Action::Select(Some(block3))),
        "{actions:?}"
    );
    // Scrolling without changing the block sends nothing more.
    assert!(
        !app.on_event(key('k'))
            .iter()
            .any(|a| matches!(a, Action::Select(_)))
    );
    assert!(app.on_event(key('q')).contains(&Action::Select(None)));
    // Alone (or not shared), nothing is sent.
    let mut alone = app_with_blocks();
    alone.on_event(ctrl_b());
    assert!(
        !alone
            .on_event(key('{'))
            .iter()
            .any(|a| matches!(a, Action::Select(_)))
    );
}

#[test]
fn a_drag_in_scroll_mode_highlights_text_for_the_others() {
    let mut app = shared(Side::Collaborator("x".into()), pb::Role::Viewer);
    app.on_event(ctrl_b());
    app.on_event(key('['));
    let top = app.view_top();
    let mouse = |kind, column, row| {
        Event::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    app.on_event(mouse(MouseEventKind::Down(MouseButton::Left), 5, 3));
    let actions = app.on_event(mouse(MouseEventKind::Drag(MouseButton::Left), 2, 1));
    let range = pb::Selection {
        block_id: 0,
        start_row: top + 1,
        start_col: 2,
        end_row: top + 3,
        end_col: 5,
    };
    assert!(
        actions.contains(&Action::Select(Some(range))),
        "{actions:?}"
    );
    assert!(matches!(app.on_event(key('y'))[..], [Action::Copy(_)]));
    // Moving to a block replaces the range.
    let actions = app.on_event(key('{'));
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::Select(Some(s)) if s.block_id != 0)),
        "{actions:?}"
    );
}

#[test]
fn the_share_menu_is_the_owners() {
    let mut owner = shared(Side::Owner, pb::Role::Owner);
    owner.on_event(ctrl_b());
    assert_eq!(
        owner.on_event(Event::Key(KeyEvent::new(
            KeyCode::Char('S'),
            KeyModifiers::SHIFT
        ))),
        [Action::Share(ShareOp::Load)]
    );
    owner.on_share_info(None);
    assert_eq!(
        owner.on_event(Event::Key(KeyEvent::new(
            KeyCode::Enter,
            KeyModifiers::NONE
        ))),
        [Action::Share(ShareOp::Start(pb::ShareStart {
            from: Some(pb::share_start::From::Scrollback(true))
        }))]
    );
    let mut viewer = shared(Side::Collaborator("x".into()), pb::Role::Viewer);
    viewer.on_event(ctrl_b());
    viewer.on_event(key('S'));
    assert_eq!(viewer.mode, Mode::Normal);
}

#[test]
fn a_click_on_an_avatar_jumps_to_their_highlight() {
    let mut app = app_with_blocks();
    app.presence = Presence::new(Side::Owner);
    let p = |id: &str, name: &str, block: u64| pb::Participant {
        id: id.into(),
        name: name.into(),
        initials: name[..1].into(),
        connected: true,
        selection: (block != 0).then(|| pb::Selection {
            block_id: block,
            ..Default::default()
        }),
        ..Default::default()
    };
    app.presence.apply(pb::Presence {
        participants: vec![p("owner", "Olive", 0), p("p1", "Ada", 2)],
        you: "owner".into(),
        role: pb::Role::Owner as i32,
    });
    app.on_event(ctrl_b());
    app.on_event(key('['));
    let status_row = app.outer.1 - 1;
    // Badges count as shown: Olive (us, the owner) is 1, Ada 2.
    let ada_x = (0..app.outer.0)
        .find(|&x| super::super::ui::avatar_at(&app, x) == Some(2))
        .expect("Ada's badge on the status line");
    app.on_event(Event::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: ada_x,
        row: status_row,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(app.notice.as_deref(), Some("Ada's highlight"));
    assert_eq!((app.selected_block(), app.view_top()), (Some(2), 30));
    // Our own badge, just left of hers, is avatar 1.
    assert_eq!(super::super::ui::avatar_at(&app, ada_x - 1), Some(1));
}

/// A viewer (Ada) in Olive's share, 100 columns wide.
fn collaborator_app() -> App {
    let mut app = app_with_blocks();
    app.outer = (100, 11);
    app.presence = Presence::new(Side::Collaborator("shared by Olive".into()));
    let p = |id: &str, name: &str, role: pb::Role| pb::Participant {
        id: id.into(),
        name: name.into(),
        initials: name[..2].to_uppercase(),
        role: role as i32,
        connected: true,
        ..Default::default()
    };
    app.presence.apply(pb::Presence {
        participants: vec![
            p("owner", "Olive", pb::Role::Owner),
            p("p1", "Ada", pb::Role::Viewer),
        ],
        you: "p1".into(),
        role: pb::Role::Viewer as i32,
    });
    app
}

/// The status line as drawn.
fn status_of(app: &App) -> String {
    use super::super::ui;
    let mut buf = ratatui::buffer::Buffer::empty(ratatui::layout::Rect::new(0, 0, 100, 11));
    ui::draw(&mut buf, app, &ui::Lines::All);
    (0..100).map(|x| buf[(x, 10)].symbol().to_owned()).collect()
}

#[test]
fn a_long_notice_is_cut_and_the_badges_stay() {
    let mut app = collaborator_app();
    app.notice = Some("you are a viewer: ask for control with prefix c — ".repeat(3));
    let status = status_of(&app);
    assert!(
        status.contains("[viewer · shared by Olive] you are a viewer"),
        "{status}"
    );
    assert!(
        !status.contains(" — you are"),
        "the notice is cut: {status}"
    );
    assert!(
        status.ends_with(" OL Olive:★ AD Ada(you):v  80x10 · 0 clients "),
        "{status}"
    );
    for n in [1, 2] {
        assert!(
            (0..100).any(|x| super::super::ui::avatar_at(&app, x) == Some(n)),
            "avatar {n} can be clicked"
        );
    }
}

#[test]
fn reconnecting_leads_the_status_line_and_the_badges_stay() {
    let mut app = collaborator_app();
    app.connection =
        Some("reconnecting… try 3 (cannot reach the daemon: ".to_owned() + &"x".repeat(80));
    let status = status_of(&app);
    assert!(
        status.starts_with("[reconnecting… try 3 (cannot reach"),
        "{status}"
    );
    assert!(status.ends_with(" OL Olive:★ AD Ada(you):v "), "{status}");
    app.connection = None;
    let back = status_of(&app);
    assert!(!back.contains("reconnecting"), "{back}");
    assert!(back.ends_with("80x10 · 0 clients "), "{back}");
}

#[test]
fn without_blocks_the_user_is_told() {
    let mut app = App::new(&Config::default().client, false, (80, 11));
    app.on_event(ctrl_b());
    app.on_event(key('{'));
    assert!(app.notice.as_deref().unwrap().contains("no blocks"));
    assert_eq!(app.on_event(key('y')), vec![]);
}

#[test]
fn help_that_does_not_fit_scrolls_and_any_other_key_closes_it() {
    let mut app = App::new(&Config::default().client, false, (40, 10));
    app.on_event(ctrl_b());
    app.on_event(key('?'));
    assert_eq!(app.mode, Mode::Help { top: 0 });
    let max = app.help_page().max_top();
    assert!(max > 0, "the help is longer than 9 rows");
    press(&mut app, KeyCode::Down, KeyModifiers::NONE);
    assert_eq!(app.mode, Mode::Help { top: 1 });
    press(&mut app, KeyCode::Char('G'), KeyModifiers::NONE);
    assert_eq!(app.mode, Mode::Help { top: max });
    press(&mut app, KeyCode::Down, KeyModifiers::NONE);
    assert_eq!(app.mode, Mode::Help { top: max }, "no further than the end");
    press(&mut app, KeyCode::Char('x'), KeyModifiers::NONE);
    assert_eq!(app.mode, Mode::Normal);

    // All of it shows: any key closes it, arrows too.
    let mut app = App::new(&Config::default().client, false, (100, 50));
    app.on_event(ctrl_b());
    app.on_event(key('?'));
    assert_eq!(app.help_page().max_top(), 0);
    press(&mut app, KeyCode::Down, KeyModifiers::NONE);
    assert_eq!(app.mode, Mode::Normal);
}
