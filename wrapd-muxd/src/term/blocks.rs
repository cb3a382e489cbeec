//! The block segmenter: one block per command, found from the marks a shell
//! integration prints (OSC 133 `A` prompt, `B` input, `C` output, `D;status`
//! end; OSC 633 `E;cmdline`).
//!
//! A block is created only when its output starts (`C`): a prompt that is
//! abandoned (Ctrl-C at an empty prompt, a redraw after a resize) never makes
//! a phantom block. Marks a prompt theme prints on top of ours are harmless:
//! a second `C` while a command runs, a `D` with no command running and a
//! repeated `A` only move or confirm what is known. Positions are stable row
//! indices, so blocks keep their place when rows move into history, and keep
//! their metadata after the rows are trimmed.
//!
//! The command line is the shell's `E` when it sends one before `C` (our zsh
//! and fish integrations do); otherwise it is read off the screen, between
//! `B` and `C`: what the line editor showed when Enter was pressed. Our bash
//! integration relies on that (it costs bash nothing). A multi-line command's
//! continuation prompts are marked (`A;k=s` ... `B`) and left out. The line
//! ends where the line editor turned bracketed paste off, when it does (bash
//! 5.1 and later): that is when it gives the terminal back to the tty's own
//! echo, so lines typed ahead, which the tty echoes from then on until PS0's
//! `C`, are no part of it.

use std::collections::VecDeque;

use super::state::State;
use super::{RowIndex, TermEvent};
use wrapd_proto::percent::percent_decode;

/// Blocks kept per terminal at most (the oldest are forgotten).
pub const MAX_BLOCKS: usize = 10_000;
/// Characters of a command line kept at most.
pub(super) const MAX_COMMAND_CHARS: usize = 16 * 1024;
/// Lines of a multi-line command line read off the screen at most.
const MAX_COMMAND_LINES: usize = 1024;

/// A block's id: unique within its session, growing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct BlockId(pub u64);

/// A place in the terminal: a stable row and a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Mark {
    pub row: RowIndex,
    pub col: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockState {
    /// Its output has started and no end mark came yet.
    Running,
    /// The shell reported its end; the exit status, if it gave one.
    Finished(Option<i32>),
    /// It never got an end mark: a new prompt came first (the shell was
    /// replaced), or the session ended.
    Interrupted,
}

/// One command, its output and its exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub id: BlockId,
    /// The command line as the shell reported it (may span lines); empty if
    /// the shell did not say.
    pub command: String,
    /// The working directory when the command started (OSC 7, or our
    /// bash's `C;cwd=`).
    pub cwd: Option<String>,
    /// Sequence number of the change that set the terminal's directory to
    /// `cwd` (a share hides a directory from before it started).
    pub cwd_seq: u64,
    pub started_at_ms: u64,
    pub ended_at_ms: Option<u64>,
    pub state: BlockState,
    /// Where its prompt began.
    pub prompt: Mark,
    /// Where the command line began (after the prompt).
    pub input: Mark,
    /// Where its output began.
    pub output: Mark,
    /// Where its output ended (exclusive); `None` while running.
    pub end: Option<Mark>,
    /// The program switched to the alternate screen (vim, less, htop): its
    /// output is what it left on the normal screen.
    pub full_screen: bool,
    /// Sequence number of its last change (for "changed since" updates).
    pub seq: u64,
    /// Sequence number its prompt began at (its output, with no prompt
    /// mark): a share from this block sees what changed from then on.
    pub started_seq: u64,
}

impl Block {
    pub fn exit_code(&self) -> Option<i32> {
        match self.state {
            BlockState::Finished(code) => code,
            _ => None,
        }
    }

    pub fn is_running(&self) -> bool {
        self.state == BlockState::Running
    }
}

/// A change of a block, for watchers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockEvent {
    Started(Block),
    Finished(Block),
}

/// What the segmenter knows of the prompt that has not run a command yet.
#[derive(Debug, Default)]
pub(super) struct Pending {
    pub(super) prompt: Option<Mark>,
    /// The sequence number `prompt` came at.
    pub(super) prompt_seq: u64,
    /// Where the command line (or its current continuation line) began.
    pub(super) input: Option<Mark>,
    /// Where the line editor left that line (bracketed paste turned off).
    pub(super) input_end: Option<Mark>,
    /// The first line of the command line: where it began.
    pub(super) first_input: Option<Mark>,
    /// The lines of a multi-line command line typed so far (read off the
    /// screen at each continuation prompt).
    pub(super) lines: Vec<String>,
    pub(super) command: Option<String>,
}

/// The blocks of one terminal and the segmenter's state.
#[derive(Debug, Default)]
pub(crate) struct Blocks {
    /// Oldest first; ids ascending.
    pub(super) list: VecDeque<Block>,
    pub(super) next_id: u64,
    pub(super) pending: Pending,
    /// The milliseconds clock, set by the owner before feeding (the model does no I/O).
    pub now_ms: u64,
    /// Whether our bash's marks still come (see `State::command_cwd`).
    pub(super) ours: OurMarks,
}

/// What the segmenter saw of our bash's marks.
#[derive(Debug, Default)]
pub(super) struct OurMarks {
    /// Our bash marks this terminal: its `C;cwd=` came (so the cwd comes
    /// with each command's start, not when it changes).
    pub(super) active: bool,
    /// A prompt mark (`D`, `A`, `B`) came since our bash's last `C`.
    pub(super) prompt_seen: bool,
    /// The shell was asked to mark its prompt again and has not yet shown a
    /// whole marked command since: it is not asked twice.
    pub(super) asked: bool,
}

impl Blocks {
    pub fn list(&self) -> &VecDeque<Block> {
        &self.list
    }

    pub fn get(&self, id: BlockId) -> Option<&Block> {
        let i = self.list.binary_search_by_key(&id, |b| b.id).ok()?;
        self.list.get(i)
    }

    /// Whether the cwd comes with each command's start (our bash) rather
    /// than when it changes: between commands, the shell's may have moved on.
    pub fn cwd_with_commands(&self) -> bool {
        self.ours.active
    }

    fn running_mut(&mut self) -> Option<&mut Block> {
        self.list.back_mut().filter(|b| b.is_running())
    }
}

impl State {
    /// Where the cursor is, as a mark on the normal screen (on the alternate
    /// screen: where the normal screen's cursor was saved).
    fn cursor_mark(&self) -> Mark {
        let (x, y) = if self.alt() {
            let c = self.saved[0].cursor;
            (c.x, c.y)
        } else {
            (self.cursor.x, self.cursor.y)
        };
        Mark {
            row: RowIndex(self.screen_start + u64::from(y)),
            col: x,
        }
    }

    /// OSC 133 (`A`, `B`, `C`, `D[;status]`); `params` are the OSC's fields
    /// after the `133`.
    pub(crate) fn semantic_mark(&mut self, params: &[&[u8]]) {
        let Some(kind) = params.first() else { return };
        if matches!(*kind, b"A" | b"B" | b"D") {
            self.blocks.ours.prompt_seen = true;
        }
        // A full-screen program is one block: only the end mark counts there.
        if self.alt() && *kind != b"D" {
            return;
        }
        let here = self.cursor_mark();
        let secondary = params[1..].contains(&&b"k=s"[..]);
        match *kind {
            b"A" if secondary => self.continuation_prompt(here),
            b"A" => self.prompt_start(here),
            b"B" if self.blocks.running_mut().is_none() => {
                let p = &mut self.blocks.pending;
                p.prompt.get_or_insert(here);
                p.first_input.get_or_insert(here);
                p.input = Some(here);
                p.input_end = None;
            }
            b"C" => {
                // Our bash names the directory the command runs in, last and
                // raw (a `;` in it split the OSC's fields): nothing after
                // `cwd=` is a field of its own.
                let fields = &params[1..];
                let cwd_at = fields.iter().position(|p| p.starts_with(b"cwd="));
                let (fields, cwd) = match cwd_at {
                    Some(i) => (&fields[..i], Some(fields[i..].join(&b';'))),
                    None => (fields, None),
                };
                // Shells that mark themselves may name the command here
                // (`cmdline_url=`, percent-encoded, as fish 4 does).
                if let Some(url) = fields.iter().find_map(|p| p.strip_prefix(b"cmdline_url=")) {
                    let command = percent_decode(&String::from_utf8_lossy(url));
                    self.command_line(clean_command(&command));
                }
                if let Some(cwd) = cwd {
                    self.command_cwd(&String::from_utf8_lossy(&cwd[b"cwd=".len()..]));
                }
                self.output_start(here)
            }
            b"D" => {
                let code = params
                    .get(1)
                    .and_then(|s| std::str::from_utf8(s).ok())
                    .and_then(|s| s.trim().parse::<i32>().ok());
                if self.blocks.running_mut().is_none() && code != Some(130) {
                    self.check_command_start_mark(here);
                }
                self.finish(here, BlockState::Finished(code));
                // The end of a command is where the next prompt begins (our
                // bash sends no `A` after it: each byte in PS1 costs).
                if !self.alt() {
                    self.prompt_start(here);
                }
            }
            _ => {}
        }
    }

    /// OSC 633: `E;cmdline` is the command line; `A`..`D` are as in OSC 133.
    pub(crate) fn command_line_mark(&mut self, params: &[&[u8]]) {
        match params.first() {
            Some(&b"E") => {}
            Some(&(b"A" | b"B" | b"C" | b"D")) => return self.semantic_mark(params),
            _ => return,
        }
        // A `;` inside the command line is escaped, but rejoin in case it was not.
        let raw = params[1..].join(&b';');
        self.command_line(clean_command(&unescape_command(&raw)));
    }

    /// The command line of the command about to run (or just started, if
    /// its block has none yet).
    fn command_line(&mut self, command: String) {
        let seq = self.seq;
        if let Some(block) = self.blocks.running_mut() {
            if block.command.is_empty() {
                block.command = command;
                block.seq = seq;
                self.dirty = true;
            }
            return;
        }
        self.blocks.pending.command = Some(command);
    }

    /// A continuation prompt (PS2): the line typed since the last `B` is one
    /// line of the command.
    fn continuation_prompt(&mut self, here: Mark) {
        if self.blocks.running_mut().is_some() {
            return;
        }
        // (A continuation prompt redrawn above where the line began, after
        // a clear screen, ends no line.)
        let end = self.blocks.pending.input_end.take().unwrap_or(here);
        if let Some(input) = self.blocks.pending.input.take()
            && end > input
        {
            let line = self.typed_line(input, end);
            let p = &mut self.blocks.pending;
            if p.lines.len() < MAX_COMMAND_LINES {
                p.lines.push(line);
            }
        }
    }

    /// The directory a command starts in, sent with its `C` by our bash
    /// (which sends no OSC 7). Such a start with no prompt mark since the
    /// last one means the prompt lost its marks (a PS1 set since): the
    /// session asks the shell to mark it again, once until marks come back.
    fn command_cwd(&mut self, cwd: &str) {
        self.blocks.ours.active = true;
        if self.cwd.as_deref() != Some(cwd) {
            self.cwd = Some(cwd.to_owned());
            self.cwd_seq = self.seq;
            self.dirty = true;
        }
        let ours = std::mem::take(&mut self.blocks.ours.prompt_seen);
        if !ours {
            self.ask_for_marks();
            return;
        }
        self.blocks.ours.asked = false;
        // A `C` of the user's own in PS0 came first and started the block:
        // this one still names its directory.
        let (seq, cwd_seq) = (self.seq, self.cwd_seq);
        if let Some(block) = self.blocks.running_mut()
            && block.cwd.as_deref() != Some(cwd)
        {
            block.cwd = Some(cwd.to_owned());
            block.cwd_seq = cwd_seq;
            block.seq = seq;
        }
    }

    /// A prompt ends with no command started: from our bash, after a line
    /// was typed (not Ctrl-C), the start mark in PS0 may be gone (a PS0 set
    /// since): ask for the marks. (A comment line, or one bash could not
    /// parse, asks once too: harmless, the marks are put back as they are.)
    fn check_command_start_mark(&mut self, here: Mark) {
        let p = &self.blocks.pending;
        if !self.blocks.cwd_with_commands() || p.first_input.is_none() || p.input_end.is_none() {
            return;
        }
        if !self.command_from_screen(here).is_empty() {
            self.ask_for_marks();
        }
    }

    fn ask_for_marks(&mut self) {
        if !std::mem::replace(&mut self.blocks.ours.asked, true) {
            self.events.push(TermEvent::PromptUnmarked);
        }
    }

    /// Bracketed paste turned off: at a prompt, the line editor is done with
    /// the line (the first time only: a program the command runs may do it
    /// again before `C`).
    ///
    /// With a command of our bash's running, a line editor done with a line
    /// is a prompt that lost all its marks (PS1 and PS0 set anew, as sourcing
    /// a startup file again may), or a program with a line editor of its own
    /// (a nested shell, a REPL): ask for the marks (harmless if they are
    /// there: the shell puts back only what is missing).
    pub(crate) fn line_editor_done(&mut self) {
        if self.alt() {
            return;
        }
        if self.blocks.running_mut().is_some() {
            if self.blocks.cwd_with_commands() {
                self.ask_for_marks();
            }
            return;
        }
        let here = self.cursor_mark();
        let p = &mut self.blocks.pending;
        if p.input.is_some() && p.input_end.is_none() {
            p.input_end = Some(here);
        }
    }

    /// What the line editor shows between two marks, as one line of a command.
    fn typed_line(&self, from: Mark, to: Mark) -> String {
        let (text, _) = self.text_between(from, to, false);
        clean_command(text.trim_end())
    }

    /// The command line as the screen shows it, when the shell sent none:
    /// the continuation lines, then the line being typed (if a `B` began one).
    fn command_from_screen(&self, here: Mark) -> String {
        let p = &self.blocks.pending;
        let last = p
            .input
            .map(|input| self.typed_line(input, p.input_end.unwrap_or(here)));
        let lines: Vec<&str> = p
            .lines
            .iter()
            .map(String::as_str)
            .chain(last.as_deref())
            .collect();
        clean_command(lines.join("\n").trim())
    }

    fn prompt_start(&mut self, here: Mark) {
        if self.blocks.running_mut().is_some() {
            // A new prompt without an end mark: the shell that ran the
            // command is gone (`exec`), or did not report the end.
            self.finish(here, BlockState::Interrupted);
        }
        self.blocks.pending = Pending {
            prompt: Some(here),
            prompt_seq: self.seq,
            ..Pending::default()
        };
    }

    fn output_start(&mut self, here: Mark) {
        if self.blocks.running_mut().is_some() {
            return;
        }
        if self.blocks.pending.command.is_none() && self.blocks.pending.first_input.is_some() {
            self.blocks.pending.command = Some(self.command_from_screen(here));
        }
        let pending = std::mem::take(&mut self.blocks.pending);
        let started_seq = match pending.prompt {
            Some(_) => pending.prompt_seq,
            None => self.seq,
        };
        let prompt = pending.prompt.or(pending.input).unwrap_or(here);
        let command = pending.command.unwrap_or_default();
        let full_screen = self.alt();
        let blocks = &mut self.blocks;
        blocks.next_id += 1;
        let block = Block {
            id: BlockId(blocks.next_id),
            command,
            cwd: self.cwd.clone(),
            cwd_seq: self.cwd_seq,
            started_at_ms: blocks.now_ms,
            ended_at_ms: None,
            state: BlockState::Running,
            prompt,
            input: pending.first_input.unwrap_or(prompt),
            output: here,
            end: None,
            full_screen,
            seq: self.seq,
            started_seq,
        };
        if blocks.list.len() >= MAX_BLOCKS {
            blocks.list.pop_front();
        }
        blocks.list.push_back(block.clone());
        self.events
            .push(TermEvent::Block(BlockEvent::Started(block)));
        self.dirty = true;
    }

    fn finish(&mut self, here: Mark, state: BlockState) {
        let (now, seq) = (self.blocks.now_ms, self.seq);
        let Some(block) = self.blocks.running_mut() else {
            return;
        };
        block.state = state;
        block.end = Some(here.max(block.output));
        block.ended_at_ms = Some(now);
        block.seq = seq;
        let block = block.clone();
        self.events
            .push(TermEvent::Block(BlockEvent::Finished(block)));
        self.dirty = true;
    }

    /// The program switched to the alternate screen.
    pub(crate) fn note_full_screen(&mut self) {
        let seq = self.seq;
        if let Some(block) = self.blocks.running_mut()
            && !block.full_screen
        {
            block.full_screen = true;
            block.seq = seq;
        }
    }

    /// Where the cursor is now: the end of a running block's output so far.
    pub(crate) fn output_end(&self, block: &Block) -> Mark {
        block
            .end
            .unwrap_or_else(|| self.cursor_mark().max(block.output))
    }

    /// The session is over: a command still running will not report its end.
    pub(crate) fn end_blocks(&mut self) {
        let here = self.cursor_mark();
        self.finish(here, BlockState::Interrupted);
    }
}

/// A command line as it may be shown anywhere: no control characters but
/// newlines and tabs (an escape sequence in it must not reach a terminal that
/// lists it), at most [`MAX_COMMAND_CHARS`].
fn clean_command(command: &str) -> String {
    command
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .take(MAX_COMMAND_CHARS)
        .collect()
}

/// Undo the escaping of an OSC 633 `E` command line: `\\` is a backslash and
/// `\xNN` a byte (so `;`, newlines and other control characters survive).
pub fn unescape_command(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' {
            if raw.get(i + 1) == Some(&b'\\') {
                out.push(b'\\');
                i += 2;
                continue;
            }
            if raw.get(i + 1) == Some(&b'x')
                && let Some(b) = raw
                    .get(i + 2..i + 4)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 4;
                continue;
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
#[path = "blocks_tests.rs"]
mod tests;
