//! Differential tests: the same recorded byte streams fed into tmux and into
//! our terminal model, screens compared cell by cell (text, colours,
//! attributes), plus the cursor and the history. tmux is the reference: where
//! we differ and tmux is right, we are wrong.
//!
//! The fixtures (`tests/fixtures/*.bin`) are what real programs wrote to an
//! 80x24 terminal; `tests/fixtures/record.sh` records them again.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

mod term_cells;

use wrapd_muxd::term::{Attrs, Style, Term, TermConfig};

const COLS: u16 = 80;
const ROWS: u16 = 24;

/// tmux, or a loud skip (a failure in CI).
fn have_tmux() -> bool {
    if Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "tmux is required for the differential tests (CI is set): install it (`.ci/run` does)"
        );
    }
    eprintln!("\n*** SKIPPING differential tests: tmux is not installed ***\n");
    false
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("{name}.bin"))
}

/// What tmux shows after reading a fixture.
struct TmuxView {
    /// `capture-pane -p -e` of the screen.
    screen_ansi: String,
    /// `capture-pane -p` of the history (oldest first).
    history: Vec<String>,
    cursor: (u16, u16),
}

struct TmuxServer(String);

impl Drop for TmuxServer {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.0, "kill-server"])
            .output();
    }
}

fn tmux(server: &str, args: &[&str]) -> String {
    let out = Command::new("tmux")
        .args(["-L", server])
        .args(args)
        .output()
        .expect("run tmux");
    assert!(
        out.status.success(),
        "tmux {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("tmux prints UTF-8")
}

fn run_in_tmux(name: &str) -> TmuxView {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("tmux.conf");
    std::fs::write(&conf, "set -g status off\nset -g history-limit 10000\n").unwrap();
    let done = dir.path().join("done");
    let server = format!("wrapd-diff-{}-{name}", std::process::id());
    let _guard = TmuxServer(server.clone());
    // Raw mode: the bytes reach tmux exactly as recorded.
    let cmd = format!(
        "stty raw -echo; cat '{}'; touch '{}'; exec sleep 100000",
        fixture(name).display(),
        done.display()
    );
    let out = Command::new("tmux")
        .args(["-L", &server, "-f"])
        .arg(&conf)
        .args([
            "new-session",
            "-d",
            "-x",
            &COLS.to_string(),
            "-y",
            &ROWS.to_string(),
            &cmd,
        ])
        .env("LANG", "C.UTF-8")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tmux new-session: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Wait until everything is written, then until tmux's screen settles.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done.exists() {
        assert!(
            Instant::now() < deadline,
            "tmux never finished reading {name}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut last = String::new();
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let now = tmux(&server, &["capture-pane", "-p", "-e"]);
        if now == last {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "tmux's screen never settled for {name}"
        );
        last = now;
    }
    let cursor = tmux(&server, &["display", "-p", "#{cursor_x} #{cursor_y}"]);
    let mut xy = cursor.split_whitespace().map(|v| v.parse::<u16>().unwrap());
    let history = tmux(&server, &["capture-pane", "-p", "-S", "-", "-E", "-1"]);
    let history_size: usize = tmux(&server, &["display", "-p", "#{history_size}"])
        .trim()
        .parse()
        .unwrap();
    TmuxView {
        screen_ansi: last,
        history: history
            .lines()
            .map(str::to_owned)
            .take(history_size)
            .collect(),
        cursor: (xy.next().unwrap(), xy.next().unwrap()),
    }
}

/// Attributes tmux's capture does not carry are not compared.
fn normalize(mut s: Style) -> Style {
    s.underline_color = Default::default();
    if s.attrs.intersects(
        Attrs::DOUBLE_UNDERLINE
            | Attrs::CURLY_UNDERLINE
            | Attrs::DOTTED_UNDERLINE
            | Attrs::DASHED_UNDERLINE,
    ) {
        s.attrs -= Attrs::DOUBLE_UNDERLINE
            | Attrs::CURLY_UNDERLINE
            | Attrs::DOTTED_UNDERLINE
            | Attrs::DASHED_UNDERLINE;
        s.attrs |= Attrs::UNDERLINE;
    }
    s
}

fn screen_cells(t: &Term) -> Vec<Vec<(String, Style)>> {
    term_cells::screen_lines(t)
        .iter()
        .map(|line| {
            term_cells::cells(line)
                .into_iter()
                .map(|(g, style)| (g, normalize(style)))
                .collect()
        })
        .collect()
}

fn compare(name: &str) {
    if !have_tmux() {
        return;
    }
    let bytes = std::fs::read(fixture(name)).unwrap();
    let view = run_in_tmux(name);

    let mut ours = Term::new(COLS, ROWS, TermConfig::default());
    ours.feed(&bytes);
    // tmux's capture, read back through a fresh terminal of the same size.
    let mut theirs = Term::new(COLS, ROWS, TermConfig::default());
    let lines: Vec<&str> = view
        .screen_ansi
        .split('\n')
        .take(usize::from(ROWS))
        .collect();
    theirs.feed(lines.join("\r\n").as_bytes());

    let (a, b) = (screen_cells(&ours), screen_cells(&theirs));
    let mut diffs = Vec::new();
    for y in 0..usize::from(ROWS) {
        if a[y] != b[y] {
            let x = a[y]
                .iter()
                .zip(&b[y])
                .position(|(p, q)| p != q)
                .unwrap_or(a[y].len().min(b[y].len()));
            diffs.push(format!(
                "row {y}, first difference at column {x}:\n  ours: {:?} {:?}\n  tmux: {:?} {:?}\n  ours: {:?}\n  tmux: {:?}",
                a[y].get(x).map(|c| &c.0),
                a[y].get(x).map(|c| c.1),
                b[y].get(x).map(|c| &c.0),
                b[y].get(x).map(|c| c.1),
                a[y].iter().map(|c| c.0.as_str()).collect::<String>(),
                b[y].iter().map(|c| c.0.as_str()).collect::<String>(),
            ));
        }
    }
    assert!(
        diffs.is_empty(),
        "{name}: screens differ from tmux:\n{}",
        diffs.join("\n")
    );
    let c = ours.cursor();
    assert_eq!(
        (c.col, c.row),
        view.cursor,
        "{name}: cursor differs from tmux"
    );

    let our_history: Vec<String> = ours
        .capture(true, false)
        .lines()
        .take((ours.screen_start().0 - ours.history_start().0) as usize)
        .map(|l| l.trim_end().to_owned())
        .collect();
    let their_history: Vec<String> = view
        .history
        .iter()
        .map(|l| l.trim_end().to_owned())
        .collect();
    assert_eq!(
        our_history, their_history,
        "{name}: history differs from tmux"
    );
}

#[test]
fn ls_color() {
    compare("ls_color");
}

#[test]
fn vim() {
    compare("vim");
}

#[test]
fn less() {
    compare("less");
}

#[test]
fn htop() {
    compare("htop");
}

#[test]
fn htop_color() {
    compare("htop_color");
}

#[test]
fn utf8_cjk_emoji() {
    compare("utf8");
}

#[test]
fn scroll_region() {
    compare("scroll_region");
}

#[test]
fn alt_screen() {
    compare("alt_screen");
}

#[test]
fn sgr() {
    compare("sgr");
}

#[test]
fn edits() {
    compare("edits");
}
