//! The segmenter fed byte streams as shells with our integration write them
//! (recorded from bash 5.2, zsh 5.9 and fish 3.6, or built from their pieces).

use super::*;
use crate::term::{BlockOutput, Term, TermConfig};

const A: &str = "\x1b]133;A\x07";
const B: &str = "\x1b]133;B\x07";
const C: &str = "\x1b]133;C\x07";

/// What bash prints at a prompt after a command with `status` (recorded
/// from bash 5.2 with our integration: readline's prompt, PS1 with its
/// marks: `D` where it begins, `B` where the command line does).
fn bash_prompt(status: i32) -> String {
    format!("\x1b[?2004h\x1b]133;D;{status}\x07$ {B}")
}

/// What bash prints when Enter runs `line`: readline's echo, then PS0's
/// output mark with the directory. The command line is what the screen
/// shows between B and where readline turned bracketed paste off.
fn bash_run(line: &str) -> String {
    format!("{line}\r\n\x1b[?2004l\r\x1b]133;C;cwd=/home/u\x07")
}

/// PS2 with our marks, as bash prints it for each continuation line.
const BASH_PS2: &str = "\x1b[?2004l\r\x1b[?2004h\x1b]133;A;k=s\x07> \x1b]133;B\x07";

fn term() -> Term {
    let mut t = Term::new(40, 10, TermConfig::default());
    t.set_clock(1000);
    t
}

fn feed(t: &mut Term, s: &str) {
    t.feed(s.as_bytes());
}

fn output(t: &Term, id: u64) -> String {
    t.block_output(BlockId(id), false).unwrap().text
}

/// (command, exit code or "running"/"interrupted") of every block.
fn summary(t: &Term) -> Vec<(String, String)> {
    t.blocks()
        .map(|b| {
            let state = match b.state {
                BlockState::Running => "running".to_owned(),
                BlockState::Interrupted => "interrupted".to_owned(),
                BlockState::Finished(Some(c)) => c.to_string(),
                BlockState::Finished(None) => "finished".to_owned(),
            };
            (b.command.clone(), state)
        })
        .collect()
}

fn s(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn commands_outputs_and_statuses() {
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    assert_eq!(t.blocks().count(), 0, "a prompt alone is no block");
    feed(&mut t, &bash_run("echo hi"));
    assert_eq!(summary(&t), s(&[("echo hi", "running")]));
    t.set_clock(1250);
    feed(&mut t, &format!("hi\r\n{}", bash_prompt(0)));
    feed(&mut t, &bash_run("false"));
    feed(&mut t, &bash_prompt(1));
    feed(&mut t, &bash_run("true"));
    feed(&mut t, &bash_prompt(0));
    assert_eq!(
        summary(&t),
        s(&[("echo hi", "0"), ("false", "1"), ("true", "0")])
    );
    assert_eq!(output(&t, 1), "hi\n");
    assert_eq!(output(&t, 2), "");
    let b = t.block(BlockId(1)).unwrap();
    assert_eq!(b.cwd.as_deref(), Some("/home/u"));
    assert_eq!((b.started_at_ms, b.ended_at_ms), (1000, Some(1250)));
    // Rows: prompt and command on row 0, output on row 1, the next prompt on 2.
    assert_eq!((b.prompt.row.0, b.prompt.col), (0, 0));
    assert_eq!((b.input.row.0, b.input.col), (0, 2));
    assert_eq!(b.output.row.0, 1);
    assert_eq!(b.end.map(|e| (e.row.0, e.col)), Some((2, 0)));
    assert_eq!(t.block(BlockId(3)).unwrap().output.row.0, 4);
}

#[test]
fn ctrl_c_at_an_empty_prompt_makes_no_phantom_block() {
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    // Recorded: bash after Ctrl-C at the prompt.
    feed(&mut t, &format!("^C\r\n{}", bash_prompt(130)));
    feed(&mut t, &format!("\r\n{}", bash_prompt(130)));
    assert_eq!(t.blocks().count(), 0);
    feed(&mut t, &bash_run("echo x"));
    feed(&mut t, &format!("x\r\n{}", bash_prompt(0)));
    assert_eq!(summary(&t), s(&[("echo x", "0")]));
    let b = t.block(BlockId(1)).unwrap();
    assert_eq!(b.prompt.row.0, 2, "the prompt that ran it");
}

#[test]
fn an_interrupted_command_reports_its_status() {
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    feed(&mut t, &bash_run("sleep 5"));
    feed(&mut t, &format!("^C\r\n{}", bash_prompt(130)));
    assert_eq!(summary(&t), s(&[("sleep 5", "130")]));
    assert_eq!(output(&t, 1), "^C\n");
}

#[test]
fn clear_keeps_blocks_as_metadata() {
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    feed(&mut t, &bash_run("echo one"));
    feed(&mut t, &format!("one\r\n{}", bash_prompt(0)));
    feed(&mut t, &bash_run("clear"));
    // What `clear` prints: home, erase screen, erase scrollback.
    feed(&mut t, &format!("\x1b[H\x1b[2J\x1b[3J{}", bash_prompt(0)));
    feed(&mut t, &bash_run("echo two"));
    feed(&mut t, &format!("two\r\n{}", bash_prompt(0)));
    assert_eq!(
        summary(&t),
        s(&[("echo one", "0"), ("clear", "0"), ("echo two", "0")])
    );
    let one = t.block_output(BlockId(1), false).unwrap();
    assert_eq!(
        one,
        BlockOutput {
            text: String::new(),
            trimmed: true
        }
    );
    assert_eq!(output(&t, 3), "two\n");
    let two = t.block(BlockId(3)).unwrap();
    assert_eq!(two.prompt.row, t.screen_start(), "the new screen's top row");
}

#[test]
fn output_without_a_final_newline_ends_where_the_prompt_starts() {
    // bash: the prompt follows on the same row.
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    feed(&mut t, &bash_run("printf x"));
    feed(&mut t, &format!("x{}", bash_prompt(0)));
    assert_eq!(output(&t, 1), "x");
    // zsh (recorded, 40 columns): our end mark leads its PROMPT_SP mark, and
    // precmd's second end mark is ignored.
    let mut t = term();
    feed(
        &mut t,
        &format!(
            "{A}% {B}printf x\r\r\n\x1b]633;E;printf x\x07{C}x\x1b]133;D;0\x07\
             \x1b[1m\x1b[7m%\x1b[27m\x1b[1m\x1b[0m{}\r \r\x1b]133;D;0\x07\r\x1b[J{A}% {B}",
            " ".repeat(39)
        ),
    );
    assert_eq!(summary(&t), s(&[("printf x", "0")]));
    assert_eq!(output(&t, 1), "x");
    // fish (recorded): the end mark comes before fish's end-of-line mark.
    let mut t = term();
    // fish fills the row with its end-of-line mark and spaces (39 of 40
    // columns), so that the row wraps exactly when the output had no newline.
    let eol = format!(
        "\x1b[2m\u{23ce}\x1b(B\x1b[m{}\r\u{23ce} \r\x1b[K",
        " ".repeat(39)
    );
    feed(
        &mut t,
        &format!(
            "\x1b]7;file://vm/home\x07{A}fish> {B}printf x\r\n\
             \x1b]633;E;printf x\x07{C}\x1b[?2004l\rx\x1b]133;D;0\x07{eol}\
             \x1b]7;file://vm/home\x07{A}fish> {B}"
        ),
    );
    assert_eq!(summary(&t), s(&[("printf x", "0")]));
    assert_eq!(output(&t, 1), "x");
}

#[test]
fn multi_line_commands_keep_their_lines() {
    // zsh (recorded): the continuation prompt has no marks.
    let mut t = term();
    feed(
        &mut t,
        "\x1b]133;D;0\x07\r\x1b[J\x1b]133;A\x07% \x1b]133;B\x07\x1b[Kfor i in 1 2\r\r\n\
         \r\x1b[Jfor> \x1b[Kdo echo $i; done\r\r\n\
         \x1b]633;E;for i in 1 2\\x0ado echo $i\\x3b done\x07\x1b]133;C\x071\r\n2\r\n\
         \x1b]133;D;0\x07\r\x1b[J\x1b]133;A\x07% \x1b]133;B\x07",
    );
    assert_eq!(summary(&t), s(&[("for i in 1 2\ndo echo $i; done", "0")]));
    let b = t.block(BlockId(1)).unwrap();
    assert_eq!((b.input.row.0, b.output.row.0), (0, 2), "two command rows");
    assert_eq!(output(&t, 1), "1\n2\n");
}

#[test]
fn a_background_job_printing_later_lands_between_blocks() {
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    feed(&mut t, &bash_run("(sleep 1; echo late) &"));
    feed(&mut t, &format!("[1] 4242\r\n{}", bash_prompt(0)));
    // Printed by the job while the prompt waits: it is on the screen where
    // the command line is, so it shows in the command line read from there
    // (as in any terminal that reads commands off the screen), and not in
    // any block's output.
    feed(&mut t, "late\r\n");
    feed(&mut t, &bash_run("echo now"));
    feed(&mut t, &format!("now\r\n{}", bash_prompt(0)));
    assert_eq!(
        summary(&t),
        s(&[("(sleep 1; echo late) &", "0"), ("late\necho now", "0")])
    );
    assert_eq!(output(&t, 1), "[1] 4242\n");
    assert_eq!(output(&t, 2), "now\n");
}

#[test]
fn exec_bash_keeps_later_commands_in_its_block() {
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    feed(&mut t, &bash_run("exec bash"));
    // The new bash has no integration: no marks at all.
    feed(&mut t, "$ echo inner\r\ninner\r\n$ ");
    assert_eq!(summary(&t), s(&[("exec bash", "running")]));
    assert_eq!(output(&t, 1), "$ echo inner\ninner\n$");
    // A shell that does report again ends it: it never got its end mark (a
    // shell's first prompt has no end mark).
    feed(&mut t, &format!("\r\n{A}$ {B}"));
    feed(&mut t, &bash_run("echo after"));
    feed(&mut t, &format!("after\r\n{}", bash_prompt(0)));
    assert_eq!(
        summary(&t),
        s(&[("exec bash", "interrupted"), ("echo after", "0")])
    );
    assert_eq!(output(&t, 2), "after\n");
}

#[test]
fn a_prompt_redrawn_after_a_resize_is_one_prompt() {
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    t.resize(30, 8);
    // zsh redraws its prompt (marks included) where the cursor is.
    feed(&mut t, &format!("\r\x1b[J{A}% {B}"));
    t.resize(50, 12);
    feed(&mut t, &format!("\r\x1b[J{A}% {B}"));
    feed(&mut t, &bash_run("echo hi"));
    feed(&mut t, &format!("hi\r\n{}", bash_prompt(0)));
    assert_eq!(summary(&t), s(&[("echo hi", "0")]));
    assert_eq!(output(&t, 1), "hi\n");
}

#[test]
fn marks_a_prompt_theme_prints_too_are_not_counted_twice() {
    let mut t = term();
    // starship/powerlevel10k print their own A/B/C/D around ours.
    let prompt = format!("{}{A}{A}$ {B}{B}", bash_prompt(0));
    feed(&mut t, &prompt);
    feed(&mut t, &format!("ls\r\n{C}\x1b]633;E;ls\x07{C}"));
    feed(&mut t, &format!("a  b\r\n\x1b]133;D;0\x07{prompt}"));
    feed(&mut t, &bash_run("false"));
    feed(&mut t, &format!("\x1b]133;D;1\x07{}", bash_prompt(1)));
    assert_eq!(summary(&t), s(&[("ls", "0"), ("false", "1")]));
    assert_eq!(output(&t, 1), "a  b\n");
}

#[test]
fn a_full_screen_program_is_one_block() {
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    feed(&mut t, &bash_run("vim"));
    feed(
        &mut t,
        "\x1b[?1049h\x1b[H\x1b[2J~\r\n~\r\n\x1b]133;A\x07\x1b[?1049l",
    );
    feed(&mut t, &bash_prompt(0));
    assert_eq!(summary(&t), s(&[("vim", "0")]));
    let b = t.block(BlockId(1)).unwrap();
    assert!(b.full_screen);
    assert_eq!(output(&t, 1), "", "vim left nothing on the normal screen");
}

#[test]
fn blocks_survive_history_trimming() {
    let config = TermConfig {
        scrollback_lines: 5,
        scrollback_bytes: 1 << 20,
    };
    let mut t = Term::new(20, 4, config);
    feed(&mut t, &bash_prompt(0));
    feed(&mut t, &bash_run("seq 30"));
    let lines: String = (1..=30).map(|i| format!("{i}\r\n")).collect();
    feed(&mut t, &format!("{lines}{}", bash_prompt(0)));
    feed(&mut t, &bash_run("true"));
    feed(&mut t, &bash_prompt(0));
    assert_eq!(summary(&t), s(&[("seq 30", "0"), ("true", "0")]));
    let out = t.block_output(BlockId(1), false).unwrap();
    assert!(out.trimmed);
    assert!(
        out.text.ends_with("29\n30\n") && !out.text.contains("\n1\n"),
        "{out:?}"
    );
}

#[test]
fn ansi_output_keeps_colours() {
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    feed(&mut t, &bash_run("ls --color"));
    feed(&mut t, &format!("\x1b[34mdir\x1b[0m\r\n{}", bash_prompt(0)));
    assert_eq!(output(&t, 1), "dir\n");
    let ansi = t.block_output(BlockId(1), true).unwrap().text;
    assert_eq!(ansi, "\x1b[0;34mdir\x1b[0m\n");
}

#[test]
fn a_running_block_ends_when_the_session_does() {
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    feed(&mut t, &bash_run("sleep 100"));
    feed(&mut t, "partial");
    assert_eq!(output(&t, 1), "partial", "output so far");
    t.end_blocks();
    assert_eq!(summary(&t), s(&[("sleep 100", "interrupted")]));
    let events = t.take_events();
    assert!(matches!(
        events.last(),
        Some(TermEvent::Block(BlockEvent::Finished(_)))
    ));
}

#[test]
fn command_lines_lose_control_characters_and_are_bounded() {
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    let long = "x".repeat(20_000);
    feed(
        &mut t,
        &format!("\x1b]633;E;echo \\x1b]0;pwned\\x07\\x0aok\\x09!\x07{C}"),
    );
    feed(&mut t, &bash_prompt(0));
    feed(&mut t, &format!("\x1b]633;E;{long}\x07{C}"));
    let commands: Vec<String> = t.blocks().map(|b| b.command.clone()).collect();
    assert_eq!(commands[0], "echo ]0;pwned\nok\t!");
    assert_eq!(commands[1].len(), 16 * 1024);
}

#[test]
fn a_command_line_may_come_with_the_output_mark() {
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    feed(
        &mut t,
        "ls -a\r\n\x1b]133;C;cmdline_url=ls%20-a%3B%0Aecho\x07.\r\n",
    );
    feed(&mut t, &bash_prompt(0));
    assert_eq!(summary(&t), s(&[("ls -a;\necho", "0")]));
}

#[test]
fn command_lines_are_unescaped() {
    assert_eq!(unescape_command(br"a\x3bb\\c\x0ad"), "a;b\\c\nd");
    assert_eq!(unescape_command(br"trailing\x4"), "trailing\\x4");
    assert_eq!(unescape_command(br"\q"), "\\q");
}

#[test]
fn blocks_come_in_pages_newest_first() {
    let mut t = term();
    feed(
        &mut t,
        &format!("{}{}", bash_prompt(0), bash_run(":")).repeat(5),
    );
    let ids =
        |(page, more): (Vec<&Block>, bool)| (page.iter().map(|b| b.id.0).collect::<Vec<_>>(), more);
    assert_eq!(ids(t.blocks_page(None, 2)), (vec![4, 5], true));
    assert_eq!(ids(t.blocks_page(Some(BlockId(4)), 2)), (vec![2, 3], true));
    assert_eq!(ids(t.blocks_page(Some(BlockId(2)), 2)), (vec![1], false));
    assert_eq!(ids(t.blocks_page(None, 10)), (vec![1, 2, 3, 4, 5], false));
}

#[test]
fn the_number_of_blocks_is_bounded() {
    let mut t = term();
    let one = format!("{}{}", bash_prompt(0), bash_run(":"));
    let many = one.repeat(MAX_BLOCKS + 5);
    feed(&mut t, &many);
    assert_eq!(t.blocks().count(), MAX_BLOCKS);
    assert_eq!(t.blocks().next().unwrap().id, BlockId(6));
    assert!(t.block(BlockId(5)).is_none() && t.block(BlockId(6)).is_some());
}

/// (event, id, command) of the block events since the last call.
fn block_events(t: &mut Term) -> Vec<(&'static str, u64, String)> {
    t.take_events()
        .into_iter()
        .filter_map(|e| match e {
            TermEvent::Block(BlockEvent::Started(b)) => Some(("started", b.id.0, b.command)),
            TermEvent::Block(BlockEvent::Finished(b)) => Some(("finished", b.id.0, b.command)),
            _ => None,
        })
        .collect()
}

#[test]
fn bash_command_lines_are_read_off_the_screen() {
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    feed(&mut t, &bash_run("sleep 9"));
    assert_eq!(summary(&t), s(&[("sleep 9", "running")]));
    assert_eq!(block_events(&mut t), [("started", 1, "sleep 9".into())]);
    feed(&mut t, &bash_prompt(0));
    assert_eq!(block_events(&mut t), [("finished", 1, "sleep 9".into())]);
    // Leading and trailing blanks are no part of it.
    feed(
        &mut t,
        &format!("  echo hidden  \r\n\x1b[?2004l\r{C}hidden\r\n"),
    );
    feed(&mut t, &bash_prompt(0));
    assert_eq!(summary(&t)[1], ("echo hidden".into(), "0".into()));
    assert_eq!(output(&t, 2), "hidden\n");
    // A comment line prints no output mark: no block.
    feed(&mut t, "# note\r\n");
    feed(&mut t, &bash_prompt(0));
    assert_eq!(t.blocks().count(), 2);
}

#[test]
fn bash_multi_line_commands_leave_their_continuation_prompts_out() {
    // Recorded from bash 5.2 with our integration.
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    feed(
        &mut t,
        &format!(
            "for i in 1 2; do\r\n{BASH_PS2}echo $i\r\n{BASH_PS2}done\r\n\x1b[?2004l\r{C}1\r\n2\r\n"
        ),
    );
    feed(&mut t, &bash_prompt(0));
    assert_eq!(summary(&t), s(&[("for i in 1 2; do\necho $i\ndone", "0")]));
    assert_eq!(output(&t, 1), "1\n2\n");
    // Ctrl-C at a continuation prompt forgets the lines typed so far.
    feed(&mut t, &format!("echo 'open\r\n{BASH_PS2}^C\r\n"));
    feed(&mut t, &bash_prompt(130));
    feed(&mut t, &bash_run("true"));
    feed(&mut t, &bash_prompt(0));
    assert_eq!(summary(&t)[1], ("true".into(), "0".into()));
}

#[test]
fn lines_typed_ahead_and_echoed_by_the_tty_are_no_part_of_the_command_line() {
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    // readline is done with `true` (bracketed paste off, the tty's echo
    // back on); `ec` typed ahead is echoed before PS0's mark.
    feed(&mut t, &format!("true\r\n\x1b[?2004l\rec{C}"));
    feed(&mut t, &bash_prompt(0));
    feed(
        &mut t,
        &format!("echo 'a\r\n\x1b[?2004l\rb'{BASH_PS2}b'\r\n\x1b[?2004l\r{C}a\r\nb\r\n"),
    );
    feed(&mut t, &bash_prompt(0));
    assert_eq!(summary(&t), s(&[("true", "0"), ("echo 'a\nb'", "0")]));
}

#[test]
fn a_long_command_line_wrapped_by_the_terminal_is_one_line() {
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    let long = format!("echo {}", "y".repeat(60));
    feed(&mut t, &bash_run(&long));
    feed(&mut t, &bash_prompt(0));
    assert_eq!(summary(&t), s(&[(long.as_str(), "0")]));
}

#[test]
fn a_command_line_the_shell_sends_wins_over_the_screen() {
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    feed(&mut t, "\x1b]633;E;ls -l\x07");
    feed(&mut t, &bash_run("ll"));
    feed(&mut t, &bash_prompt(0));
    assert_eq!(summary(&t), s(&[("ls -l", "0")]));
}

#[test]
fn a_plain_output_mark_announces_at_once_and_a_late_command_line_still_counts() {
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    feed(&mut t, &format!("\r\n{C}"));
    assert_eq!(block_events(&mut t), [("started", 1, String::new())]);
    feed(&mut t, "\x1b]633;E;ls\x07");
    feed(&mut t, &format!("a\r\n{}", bash_prompt(0)));
    assert_eq!(summary(&t), s(&[("ls", "0")]));
    assert_eq!(block_events(&mut t), [("finished", 1, "ls".into())]);
}

#[test]
fn the_directory_comes_with_each_command_whole() {
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    feed(&mut t, &bash_run("cd '/tmp/a;b c'"));
    assert!(t.cwd_with_commands());
    feed(&mut t, &bash_prompt(0));
    feed(
        &mut t,
        "pwd\r\n\x1b[?2004l\r\x1b]133;C;cwd=/tmp/a;b c\x07/tmp/a;b c\r\n",
    );
    feed(&mut t, &bash_prompt(0));
    let cwds: Vec<_> = t.blocks().map(|b| b.cwd.clone().unwrap()).collect();
    assert_eq!(cwds, ["/home/u", "/tmp/a;b c"]);
    assert_eq!(t.cwd(), Some("/tmp/a;b c"));
    assert_eq!(output(&t, 2), "/tmp/a;b c\n");
}

fn unmarked(t: &mut Term) -> usize {
    t.take_events()
        .iter()
        .filter(|e| matches!(e, TermEvent::PromptUnmarked))
        .count()
}

#[test]
fn a_command_starting_after_an_unmarked_prompt_asks_for_the_marks_once() {
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    feed(&mut t, &bash_run("PS1='x$ '"));
    assert_eq!(unmarked(&mut t), 0, "a marked prompt ran it");
    // The new PS1 has no marks: the next command starts with none before it.
    let unmarked_run =
        |line: &str| format!("\x1b[?2004hx$ {line}\r\n\x1b[?2004l\r\x1b]133;C;cwd=/home/u\x07");
    feed(&mut t, &format!("{}two\r\n", unmarked_run("echo two")));
    assert_eq!(unmarked(&mut t), 1);
    feed(&mut t, &format!("{}2b\r\n", unmarked_run("echo 2b")));
    assert_eq!(unmarked(&mut t), 0, "asked already");
    // Marked again (the shell's handler ran): the running block ends at the
    // next prompt, and commands are found again.
    feed(&mut t, &bash_prompt(0));
    feed(&mut t, &bash_run("echo three"));
    feed(&mut t, &format!("three\r\n{}", bash_prompt(0)));
    assert_eq!(unmarked(&mut t), 0);
    assert_eq!(
        summary(&t),
        s(&[("PS1='x$ '", "0"), ("echo three", "0")]),
        "the commands after the unmarked prompt belong to the one before"
    );
    // Lost again later: asked again.
    feed(&mut t, &bash_run("PS1='y$ '"));
    feed(&mut t, &unmarked_run("echo four"));
    assert_eq!(unmarked(&mut t), 1);
    // A shell that sends `C` without our directory is not asked.
    let mut t = term();
    feed(&mut t, &format!("$ ls\r\n{C}"));
    assert_eq!(unmarked(&mut t), 0);
}

/// A PS0 of the user's own with its own `C` (another terminal's
/// integration): that `C` starts the block, ours names its directory.
#[test]
fn a_users_own_output_mark_before_ours_is_no_lost_mark() {
    let mut t = term();
    let run = |line: &str, cwd: &str| format!("{line}\r\n\x1b[?2004l\r{C}\x1b]133;C;cwd={cwd}\x07");
    feed(&mut t, &bash_prompt(0));
    feed(&mut t, &run("cd /tmp", "/home/u"));
    feed(&mut t, &bash_prompt(0));
    feed(&mut t, &format!("{}/tmp\r\n", run("pwd", "/tmp")));
    feed(&mut t, &bash_prompt(0));
    assert_eq!(unmarked(&mut t), 0);
    let cwds: Vec<_> = t.blocks().map(|b| b.cwd.clone().unwrap()).collect();
    assert_eq!(cwds, ["/home/u", "/tmp"]);
}

/// Everything after `cwd=` is the directory, even what looks like a field.
#[test]
fn a_directory_cannot_name_the_command() {
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    feed(
        &mut t,
        "ls\r\n\x1b[?2004l\r\x1b]133;C;cwd=/tmp/x;cmdline_url=rm%20-rf%20~\x07",
    );
    feed(&mut t, &bash_prompt(0));
    let b = t.blocks().next().unwrap();
    assert_eq!(b.command, "ls");
    assert_eq!(b.cwd.as_deref(), Some("/tmp/x;cmdline_url=rm%20-rf%20~"));
}

/// A typed line that ends at the next prompt with no `C` from our bash:
/// PS0 lost its mark (a PS0 set since). Asked once; not for Ctrl-C or an
/// empty line.
#[test]
fn a_command_line_run_without_the_output_mark_asks_for_the_marks() {
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    feed(&mut t, &bash_run("PS0=''"));
    feed(&mut t, &bash_prompt(0));
    assert_eq!(unmarked(&mut t), 0);
    feed(&mut t, "\r\n\x1b[?2004l\r");
    feed(&mut t, &bash_prompt(0));
    assert_eq!(unmarked(&mut t), 0, "an empty line");
    feed(&mut t, "abc^C\x1b[?2004l\r\x1b[?2004h\x1b[?2004l\r\r\n");
    feed(&mut t, &bash_prompt(130));
    assert_eq!(unmarked(&mut t), 0, "Ctrl-C on a typed line");
    feed(&mut t, "echo hi\r\n\x1b[?2004l\rhi\r\n");
    feed(&mut t, &bash_prompt(0));
    assert_eq!(unmarked(&mut t), 1);
    feed(&mut t, "echo again\r\n\x1b[?2004l\ragain\r\n");
    feed(&mut t, &bash_prompt(0));
    assert_eq!(unmarked(&mut t), 0, "asked already");
    feed(&mut t, &bash_run("echo marked"));
    feed(&mut t, &bash_prompt(0));
    assert_eq!(summary(&t), s(&[("PS0=''", "0"), ("echo marked", "0")]));
}

/// PS1 and PS0 both set anew (a startup file sourced again): no mark of ours
/// comes at all, but readline still says when it is done with a line while
/// the last command seems to run. Asked once.
#[test]
fn a_prompt_without_any_mark_asks_for_them_when_its_line_is_done() {
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    feed(&mut t, &bash_run(". ~/.bashrc"));
    feed(&mut t, "\x1b[?2004hmine$ ");
    assert_eq!(unmarked(&mut t), 0, "a program may print that");
    feed(&mut t, "echo two\r\n\x1b[?2004l\rtwo\r\n\x1b[?2004hmine$ ");
    assert_eq!(unmarked(&mut t), 1);
    feed(&mut t, "echo 2b\r\n\x1b[?2004l\r2b\r\n");
    assert_eq!(unmarked(&mut t), 0, "asked already");
    feed(&mut t, &bash_prompt(0));
    feed(&mut t, &bash_run("echo three"));
    feed(&mut t, &format!("three\r\n{}", bash_prompt(0)));
    assert_eq!(summary(&t), s(&[(". ~/.bashrc", "0"), ("echo three", "0")]));
    // A healthy prompt asks nothing: readline's line ends after `D`.
    feed(&mut t, &bash_run("true"));
    feed(&mut t, &bash_prompt(0));
    assert_eq!(unmarked(&mut t), 0);
}

#[test]
fn a_block_knows_when_its_prompt_came_and_when_its_directory_was_set() {
    let mut t = term();
    feed(&mut t, &bash_prompt(0));
    let prompt_seq = t.commit().unwrap();
    feed(&mut t, &bash_run("ls"));
    let cwd_set = t.commit().unwrap();
    feed(&mut t, &bash_prompt(0));
    t.commit();
    // Typed at the next prompt, run in the same directory: set before.
    feed(&mut t, &bash_run("pwd"));
    t.commit();
    let first = t.block(BlockId(1)).unwrap();
    assert_eq!((first.started_seq, first.cwd_seq), (prompt_seq, cwd_set));
    let second = t.block(BlockId(2)).unwrap();
    assert!(second.started_seq > cwd_set, "{second:?}");
    assert_eq!(second.cwd_seq, cwd_set);
}
