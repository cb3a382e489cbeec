//! Attached to a session: draw it, forward input, follow its updates.
//!
//! - `terminal`: the outer terminal's modes, always restored.
//! - `app`: the client's state and key handling (pure).
//! - `scroll`: scroll mode's view and search.
//! - `blocks`: moving between blocks and drawing their marks.
//! - `range`: a text range dragged in scroll mode.
//! - `presence`: who is here (shared sessions), their badges and highlights.
//! - `menu`: the owner's share menu; `share_ops`: what its choices do.
//! - `help`: the help overlay (every key in effect), laid out for any size.
//! - `reconnect`: the "reconnecting…" state after the stream broke.
//! - `ui`: drawing; `screen`: frames, drawing what changed.
//!
//! The loop here owns the I/O: the outer terminal's events, the attach stream,
//! and the replies of side requests (history rows, search, session list).

mod app;
mod backend;
mod blocks;
mod help;
mod input;
mod look;
mod menu;
mod pacer;
mod presence;
mod range;
mod reconnect;
mod screen;
mod scroll;
mod share_ops;
mod terminal;
mod ui;

use std::io::{self, Write};
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};

use backend::FrameBackend;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Streaming;
use tonic::transport::Channel;
use wrapd_proto::pb;
use wrapd_proto::pb::attach_event::Msg as Event;
use wrapd_proto::pb::attach_request::Msg as Req;
use wrapd_proto::pb::share_client::ShareClient;

use crate::commands::exit_text;
use crate::connect::{Client, status_message};
use app::{Action, App};
use pacer::Pacer;
use reconnect::Reconnecting;
use screen::Screen;
use terminal::TerminalGuard;
pub use terminal::available as terminal_available;
pub use terminal::restore as restore_terminal;

/// What to attach to.
#[derive(Debug, Clone, Default)]
pub struct AttachOptions {
    /// Session name or id; empty: the most recent.
    pub target: String,
    pub read_only: bool,
    /// Create the session (with this request) if the target does not exist.
    pub create: Option<pb::CreateSessionRequest>,
    /// Whose session this is, for sharing.
    pub share: ShareSide,
}

/// Our side of sharing: the owner (who may share, from the share menu), a
/// collaborator in someone else's share, or neither (`ssh://`).
#[derive(Debug, Clone, Default)]
pub enum ShareSide {
    #[default]
    None,
    /// Attached locally: `ShareAdmin` is on this daemon socket.
    Owner { socket: PathBuf },
    /// Joined by a link: the share's `Share` service, and how to name it.
    Collaborator {
        client: ShareClient<Channel>,
        label: String,
    },
}

/// How an attach ended; printed after the terminal is restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Detached(String),
    Exited(String, Option<pb::ExitStatus>),
    Killed(String),
    ServerExit,
    LostServer(String),
    /// The daemon said no (removed from a share, share stopped, ...).
    Refused(String),
    /// This client got SIGTERM or SIGHUP.
    Terminated,
}

impl Outcome {
    /// The line printed after detaching, in tmux's manner.
    pub fn message(&self) -> String {
        match self {
            Outcome::Detached(s) => format!("[detached (from session {s})]"),
            Outcome::Exited(_, Some(e)) => format!("[exited ({})]", exit_text(e)),
            Outcome::Exited(_, None) => "[exited]".to_owned(),
            Outcome::Killed(s) => format!("[session {s} was killed]"),
            Outcome::ServerExit => "[server exited]".to_owned(),
            Outcome::LostServer(why) => format!("[lost server: {why}]"),
            Outcome::Refused(why) => format!("[{why}]"),
            Outcome::Terminated => "[terminated]".to_owned(),
        }
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Outcome::LostServer(_) | Outcome::Refused(_))
    }
}

/// Rows of history the first snapshot carries: none, the first frame shows
/// only the screen (attach time); [`PREFETCH_HISTORY`] rows follow it.
const SNAPSHOT_HISTORY: u32 = 0;
/// Rows of history fetched once the first frame is drawn, so that scroll mode
/// opens on rows we have.
const PREFETCH_HISTORY: u64 = 1000;

/// An open attach stream.
struct Stream {
    requests: mpsc::Sender<pb::AttachRequest>,
    events: Streaming<pb::AttachEvent>,
    session_id: String,
}

impl Stream {
    async fn open(
        client: &mut Client,
        start: pb::AttachStart,
    ) -> Result<(Stream, pb::Attached), tonic::Status> {
        let (requests, rx) = mpsc::channel(64);
        let start_msg = pb::AttachRequest {
            msg: Some(Req::Start(start)),
        };
        requests
            .send(start_msg)
            .await
            .map_err(|_| tonic::Status::internal("request channel closed"))?;
        let mut events = client.attach(ReceiverStream::new(rx)).await?.into_inner();
        match events.message().await? {
            Some(pb::AttachEvent {
                msg: Some(Event::Attached(a)),
            }) => {
                if let Some(why) = crate::versions::attached_mismatch(&a) {
                    return Err(tonic::Status::failed_precondition(why));
                }
                let session_id = a.session.as_ref().map(|s| s.id.clone()).unwrap_or_default();
                Ok((
                    Stream {
                        requests,
                        events,
                        session_id,
                    },
                    a,
                ))
            }
            _ => Err(tonic::Status::internal(
                "the daemon did not confirm the attach",
            )),
        }
    }

    /// Tell the daemon what the user's terminal looks like (if asked).
    async fn tell_look(&self, look: &Option<pb::TerminalLook>) {
        if let Some(look) = look {
            self.send(Req::TerminalLook(look.clone())).await;
        }
    }

    async fn send(&self, msg: Req) {
        // A closed stream shows up as an error on `events`.
        let _ = self
            .requests
            .send(pb::AttachRequest { msg: Some(msg) })
            .await;
    }
}

/// Replies to side requests, sent back to the loop.
pub(crate) enum Reply {
    Rows(pb::ReadRowsResponse),
    Search(String, Option<pb::SearchMatch>),
    Sessions(Vec<pb::SessionInfo>),
    /// Text to put on the clipboard.
    Copy(String),
    /// The current session's share (`None`: not shared), for the menu.
    ShareInfo(Option<pb::ShareInfo>),
    /// A share or link just made: the menu shows its link.
    ShareMade(pb::ShareInfo),
    /// Something to tell the user.
    Notice(String),
    Failed(String),
}

fn start_request(app: &App, target: String, opts: &AttachOptions) -> pb::AttachStart {
    let (cols, rows) = app.session_area();
    pb::AttachStart {
        target,
        size: Some(pb::Size {
            cols: u32::from(cols),
            rows: u32::from(rows),
        }),
        read_only: opts.read_only,
        history_rows: SNAPSHOT_HISTORY,
        create: opts.create.is_some(),
        create_request: opts.create.clone(),
        client_version: wrapd_proto::version::VERSION.to_owned(),
        client_protocol: wrapd_proto::version::PROTOCOL,
        ..Default::default()
    }
}

/// Read history rows in the background; they come back as [`Reply::Rows`].
fn fetch_rows(client: &Client, replies: &mpsc::Sender<Reply>, session: &str, range: Range<u64>) {
    let (mut c, tx) = (client.clone(), replies.clone());
    let req = pb::ReadRowsRequest {
        target: session.to_owned(),
        start: range.start,
        end: range.end,
    };
    tokio::spawn(async move {
        let reply = match c.read_rows(req).await {
            Ok(r) => Reply::Rows(r.into_inner()),
            Err(s) => Reply::Failed(status_message(&s)),
        };
        let _ = tx.send(reply).await;
    });
}

/// Attach and run until detached or the session ends.
pub async fn run(
    mut client: Client,
    opts: AttachOptions,
    config: &wrapd_common::config::ClientConfig,
) -> Result<Outcome> {
    // Listen for SIGWINCH before reading the size: a resize that lands while we
    // attach (before crossterm's event stream exists) must not be lost.
    // Nothing is created without a terminal to show it in. (Attaching to an
    // existing session checks after the daemon answered: a wrong name is
    // the error to hear first.)
    let no_terminal = "this is not a terminal: wrapd-attach needs one to attach";
    if opts.create.is_some() {
        terminal::available().context(no_terminal)?;
    }
    let mut winch = signal(SignalKind::window_change())?;
    let outer = crossterm::terminal::size().context(no_terminal)?;
    let mut app = App::new(config, opts.read_only, outer);
    // A daemon running a replaced binary: said on stderr, and here too.
    app.notice = crate::versions::take_notice();
    app.presence = presence::Presence::new(match &opts.share {
        ShareSide::None => presence::Side::None,
        ShareSide::Owner { .. } => presence::Side::Owner,
        ShareSide::Collaborator { label, .. } => presence::Side::Collaborator(label.clone()),
    });

    // Attach before touching the terminal, so errors print normally.
    let (mut stream, _) =
        Stream::open(&mut client, start_request(&app, opts.target.clone(), &opts))
            .await
            .map_err(|s| anyhow!("{}", status_message(&s)))?;

    terminal::available().context(no_terminal)?;
    let mut guard = TerminalGuard::enter().context("setting up the terminal")?;
    // Sized as the client sees the outer terminal (resizes come as events):
    // asking the terminal for its size at every frame (open /dev/tty, ioctl,
    // close) held every frame back.
    let mut screen = Screen::new(FrameBackend::stdout(), app.outer);
    crossterm::execute!(
        io::stdout(),
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    )?;
    // Ask the terminal what it looks like; its answers are read on a thread
    // of their own, and the key parser reads nothing until they are in (they
    // must not reach it). A read-only client's look would be ignored.
    let mut terminal_look = None;
    let mut asking = None;
    if !opts.read_only {
        look::send_queries().context("asking the terminal what it looks like")?;
        asking = Some(tokio::task::spawn_blocking(look::read_answers));
    }
    let mut input = input::Input::new().context("reading the terminal")?;
    let (reply_tx, mut replies) = mpsc::channel::<Reply>(16);
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut pacer = Pacer::new(Instant::now());
    let mut prefetched = false;
    let mut cursor_shape = None;
    let links = share_ops::Links::default();
    // Without a stream, getting one back (see `reconnect`).
    let mut reconnecting: Option<Reconnecting> = None;

    let outcome = loop {
        let draw_at = if app.needs_frame() {
            pacer.draw_at()
        } else {
            Instant::now() + Duration::from_secs(3600)
        };
        let actions = tokio::select! {
            answers = async { asking.as_mut().expect("asking").await }, if asking.is_some() => {
                asking = None;
                match answers {
                    Ok(Ok((found, typed))) => {
                        stream.send(Req::TerminalLook(found.clone())).await;
                        if !typed.is_empty() {
                            stream.send(Req::Input(typed)).await;
                        }
                        terminal_look = Some(found);
                    }
                    Ok(Err(e)) => break Outcome::LostServer(format!("reading the terminal: {e}")),
                    Err(e) => break Outcome::LostServer(format!("reading the terminal: {e}")),
                }
                vec![]
            }
            events = input.next(), if asking.is_none() => match events {
                Ok(Some(events)) => events.into_iter().flat_map(|ev| app.on_event(ev)).collect(),
                Ok(None) => break Outcome::Terminated,
                Err(e) => break Outcome::LostServer(format!("reading the terminal: {e}")),
            },
            msg = stream.events.message(), if reconnecting.is_none() => match msg {
                Ok(Some(pb::AttachEvent { msg: Some(Event::Update(u)) })) => {
                    if u.reset {
                        pacer.snapshot();
                    }
                    app.on_update(u);
                    vec![]
                }
                Ok(Some(pb::AttachEvent { msg: Some(Event::Notice(n)) })) => { app.notice = Some(n.message); app.dirty = true; vec![] }
                Ok(Some(pb::AttachEvent { msg: Some(Event::Ended(e)) })) => break ended(&app, e),
                Ok(Some(pb::AttachEvent { msg: Some(Event::Presence(p)) })) => {
                    // Redraw only for what shows: a frame drawn for a change
                    // nobody sees (our own typing) would make the echo of
                    // that key wait for the next frame.
                    let before = app.presence.on_screen();
                    if let Some(n) = app.presence.apply(p) { app.notice = Some(n); app.dirty = true; }
                    if before != app.presence.on_screen() { app.dirty = true; }
                    vec![]
                }
                Ok(Some(_)) => vec![],
                // Broken (or closed without an end): say so and try again,
                // unless it is a final answer (removed, share stopped, ...).
                broken => {
                    let why = match broken {
                        Err(s) => match reconnect::final_answer(&s, &opts) {
                            Some(outcome) => break outcome,
                            None => status_message(&s),
                        },
                        _ => "the daemon closed the stream".to_owned(),
                    };
                    let r = Reconnecting::start(why);
                    app.connection = Some(r.status());
                    app.dirty = true;
                    reconnecting = Some(r);
                    vec![]
                }
            },
            _ = tokio::time::sleep_until(reconnecting.as_ref().map_or_else(Instant::now, Reconnecting::due)), if reconnecting.is_some() => {
                let r = reconnecting.as_mut().expect("reconnecting");
                let start = reconnect::resume(
                    start_request(&app, String::new(), &opts),
                    &stream.session_id,
                    app.mirror.seq(),
                    app.mirror.screen_start(),
                );
                match Stream::open(&mut client, start).await {
                    Ok((s2, _)) => {
                        stream = s2;
                        stream.tell_look(&terminal_look).await;
                        let typed = r.take_input();
                        if !typed.is_empty() {
                            stream.send(Req::Input(typed)).await;
                        }
                        reconnecting = None;
                        app.connection = None;
                    }
                    Err(s) => match r.failed(&s, &opts) {
                        reconnect::Failure::Final(outcome) => break outcome,
                        reconnect::Failure::Retry => app.connection = Some(r.status()),
                    },
                }
                app.dirty = true;
                vec![]
            }
            Some(reply) = replies.recv() => match reply {
                Reply::Rows(rows) => app.on_rows(&rows),
                Reply::Search(q, found) => app.on_search(found, &q),
                Reply::Sessions(list) => { app.on_sessions(list, &stream.session_id); vec![] }
                Reply::Copy(text) => { copy(&mut app, &text)?; vec![] }
                Reply::Failed(msg) | Reply::Notice(msg) => { app.notice = Some(msg); app.dirty = true; vec![] }
                Reply::ShareInfo(info) => { app.on_share_info(info); vec![] }
                Reply::ShareMade(info) => { app.on_share_made(info); vec![] }
            },
            _ = winch.recv() => match crossterm::terminal::size() {
                // Crossterm reports resizes too; this catches the ones it missed.
                Ok(now) if now != app.outer => app.on_event(crossterm::event::Event::Resize(now.0, now.1)),
                _ => vec![],
            },
            _ = sigterm.recv() => break Outcome::Terminated,
            _ = sighup.recv() => break Outcome::Terminated,
            // A frame is due: drawn below.
            _ = tokio::time::sleep_until(draw_at) => vec![],
        };
        let mut done = None;
        for action in actions {
            match action {
                Action::Input(data) => match &mut reconnecting {
                    Some(r) => {
                        r.keep_input(data);
                        app.connection = Some(r.status());
                    }
                    None => {
                        pacer.typed();
                        stream.send(Req::Input(data)).await
                    }
                },
                Action::Resize { cols, rows } => {
                    // A viewer's size would be refused: don't ask.
                    let viewer =
                        app.presence.is_collaborator() && app.presence.role == pb::Role::Viewer;
                    if !app.read_only && !viewer {
                        let size = pb::Size {
                            cols: u32::from(cols),
                            rows: u32::from(rows),
                        };
                        stream.send(Req::Resize(size)).await;
                        // A font change resizes too: the cell size may be new.
                        if let Some(look) = &mut terminal_look {
                            let cell = look::cell_pixels();
                            if cell != (look.cell_width_px, look.cell_height_px) {
                                (look.cell_width_px, look.cell_height_px) = cell;
                                stream.send(Req::TerminalLook(look.clone())).await;
                            }
                        }
                    }
                }
                Action::Detach => {
                    done = Some(Outcome::Detached(app.mirror.session_name().to_owned()))
                }
                Action::FetchRows(range) => {
                    fetch_rows(&client, &reply_tx, &stream.session_id, range)
                }
                Action::Search {
                    query,
                    from,
                    backwards,
                } => {
                    let mut c = client.clone();
                    let (tx, target) = (reply_tx.clone(), stream.session_id.clone());
                    tokio::spawn(async move {
                        let req = pb::SearchRowsRequest {
                            target,
                            query: query.clone(),
                            backwards,
                            from,
                            case_sensitive: query.chars().any(char::is_uppercase),
                        };
                        let reply = match c.search_rows(req).await {
                            Ok(r) => Reply::Search(query, r.into_inner().found),
                            Err(s) => Reply::Failed(status_message(&s)),
                        };
                        let _ = tx.send(reply).await;
                    });
                }
                Action::ListSessions => {
                    let mut c = client.clone();
                    let tx = reply_tx.clone();
                    tokio::spawn(async move {
                        let reply = match c.list_sessions(pb::ListSessionsRequest {}).await {
                            Ok(r) => Reply::Sessions(r.into_inner().sessions),
                            Err(s) => Reply::Failed(status_message(&s)),
                        };
                        let _ = tx.send(reply).await;
                    });
                }
                Action::Copy(text) => copy(&mut app, &text)?,
                Action::Select(sel) => stream.send(Req::Select(sel.unwrap_or_default())).await,
                Action::RequestControl => {
                    if let ShareSide::Collaborator { client, .. } = &opts.share {
                        let (mut c, tx) = (client.clone(), reply_tx.clone());
                        tokio::spawn(async move {
                            let reply = match c.request_control(pb::RequestControlRequest {}).await
                            {
                                Ok(_) => Reply::Notice("asked the owner for control".to_owned()),
                                Err(s) => Reply::Failed(status_message(&s)),
                            };
                            let _ = tx.send(reply).await;
                        });
                    }
                }
                Action::Share(op) => {
                    if let ShareSide::Owner { socket } = &opts.share {
                        let (socket, tx) = (socket.clone(), reply_tx.clone());
                        let (session, links) = (stream.session_id.clone(), links.clone());
                        tokio::spawn(async move {
                            let reply = share_ops::perform(&socket, session, op, &links)
                                .await
                                .unwrap_or_else(|e| Reply::Failed(format!("{e:#}")));
                            let _ = tx.send(reply).await;
                        });
                    }
                }
                Action::CopyBlockOutput(id) => {
                    let mut c = client.clone();
                    let (tx, target) = (reply_tx.clone(), stream.session_id.clone());
                    tokio::spawn(async move {
                        let req = pb::GetBlockOutputRequest {
                            target,
                            id,
                            ansi: false,
                        };
                        let reply = match c.get_block_output(req).await {
                            Ok(r) => Reply::Copy(r.into_inner().text),
                            Err(s) => Reply::Failed(status_message(&s)),
                        };
                        let _ = tx.send(reply).await;
                    });
                }
                Action::Switch(target) => {
                    if target != stream.session_id {
                        let start = start_request(
                            &app,
                            target,
                            &AttachOptions {
                                create: None,
                                ..opts.clone()
                            },
                        );
                        match Stream::open(&mut client, start).await {
                            Ok((s, _)) => {
                                stream = s;
                                stream.tell_look(&terminal_look).await;
                                app.mirror = Default::default();
                                app.dirty = true;
                            }
                            Err(s) => app.notice = Some(status_message(&s)),
                        }
                    }
                }
            }
        }
        if let Some(outcome) = done {
            break outcome;
        }
        guard.set_mouse(app.wants_mouse())?;
        if app.needs_frame() && pacer.may_draw(Instant::now()) {
            screen.draw(&mut app)?;
            pacer.drew(Instant::now());
            if !prefetched {
                prefetched = true;
                for action in app.prefetch_history(PREFETCH_HISTORY) {
                    if let Action::FetchRows(range) = action {
                        fetch_rows(&client, &reply_tx, &stream.session_id, range);
                    }
                }
            }
            let shape = app.mirror.cursor_style();
            if cursor_shape != Some(shape) {
                crossterm::execute!(io::stdout(), shape)?;
                cursor_shape = Some(shape);
            }
            forward_effects(&mut app)?;
        }
    };
    drop(screen);
    drop(guard);
    Ok(outcome)
}

/// Bells and clipboard requests of the program go to the outer terminal.
fn forward_effects(app: &mut App) -> io::Result<()> {
    let mut out = io::stdout();
    if app.mirror.take_bell() {
        out.write_all(b"\x07")?;
    }
    if let Some(clip) = app.mirror.take_clipboard() {
        let sel = if clip.selection.is_empty() {
            "c"
        } else {
            &clip.selection
        };
        write_clipboard(&mut out, sel, &clip.data)?;
    }
    out.flush()
}

/// OSC 52: set the outer terminal's clipboard.
fn write_clipboard(out: &mut impl Write, selection: &str, data: &[u8]) -> io::Result<()> {
    write!(
        out,
        "\x1b]52;{selection};{}\x07",
        crate::base64::encode(data)
    )
}

/// Copy text the user chose (a block's command or output) to the clipboard.
fn copy(app: &mut App, text: &str) -> io::Result<()> {
    let mut out = io::stdout();
    write_clipboard(&mut out, "c", text.as_bytes())?;
    out.flush()?;
    app.notice = Some(if wrapd_proto::link::ShareLink::looks_like_link(text) {
        "share link sent to your terminal's clipboard (OSC 52); not there? prefix S shows it"
            .to_owned()
    } else {
        format!("copied {} bytes", text.len())
    });
    app.dirty = true;
    Ok(())
}

fn ended(app: &App, e: pb::Ended) -> Outcome {
    use pb::ended::Reason;
    let name = app.mirror.session_name().to_owned();
    match e.reason() {
        Reason::Exited => Outcome::Exited(name, e.exit),
        Reason::Killed => Outcome::Killed(name),
        Reason::ServerExit => Outcome::ServerExit,
        Reason::Detached => Outcome::Detached(name),
        Reason::Unspecified => Outcome::LostServer(e.message),
    }
}
