//! A share's audit log in memory: bounded in size, and never emptied by what
//! a participant can repeat.
//!
//! Two parts, each with its own size budget, oldest first out:
//! - *records*: input, enrolments, the owner's and the daemon's actions;
//! - *repeats*: what a participant may do as often as they like (attach and
//!   detach, ask for control, be refused). The same thing by the same
//!   participant within [`COALESCE_MS`] of its entry is counted into that
//!   entry ("control-requested ×500") instead of adding one; so a participant
//!   who repeats something fills a handful of entries, and only ever in this
//!   part — never pushing out a record.
//!
//! What goes is counted, and the log says so at its top.
//!
//! A live share's log is also kept on disk as it changes (`audit_store.rs`),
//! to be read after the share stops or the daemon restarts.

use std::collections::{HashMap, VecDeque};

use wrapd_proto::pb;

use super::audit_store::{AuditFile, Entry, Op};
use crate::session::now_ms;

/// Records kept per share, in bytes of text (input is most of it).
pub const RECORDS_BUDGET: usize = 4 << 20;
/// Repeated actions kept per share, in bytes.
pub const REPEATS_BUDGET: usize = 256 << 10;
/// A repeat within this long of its entry's first time joins that entry.
pub const COALESCE_MS: u64 = 10 * 60 * 1000;
/// What an entry costs besides its text.
const ENTRY_OVERHEAD: usize = 64;

#[derive(Debug, Default)]
pub struct AuditLog {
    records: Part,
    repeats: Part,
    /// The newest repeat entry of each (participant, action, detail), by
    /// number, to count the next one into.
    latest: HashMap<(String, String, String), u64>,
    /// Where each change is written as it happens (live shares).
    file: Option<AuditFile>,
    /// Why the log is not (or no longer) kept on disk, if it should be.
    disk_error: Option<String>,
    /// Lines of the file it was read from that could not be read.
    unreadable: usize,
}

#[derive(Debug, Default)]
struct Part {
    entries: VecDeque<pb::AuditEntry>,
    /// The number of the first entry (numbers count every entry ever kept).
    first: u64,
    bytes: usize,
    /// Entries dropped to stay within the budget.
    dropped: u64,
}

fn key(e: &pb::AuditEntry) -> (String, String, String) {
    (e.participant_id.clone(), e.action.clone(), e.detail.clone())
}

fn size(e: &pb::AuditEntry) -> usize {
    ENTRY_OVERHEAD
        + e.participant_id.len()
        + e.email.len()
        + e.name.len()
        + e.action.len()
        + e.detail.len()
}

impl Part {
    /// Keep `e`; its number, and what went to make room.
    fn push(&mut self, e: pb::AuditEntry, budget: usize) -> (u64, Vec<pb::AuditEntry>) {
        let number = self.first + self.entries.len() as u64;
        self.bytes += size(&e);
        self.entries.push_back(e);
        (number, self.trim(budget))
    }

    fn trim(&mut self, budget: usize) -> Vec<pb::AuditEntry> {
        let mut gone = Vec::new();
        while self.bytes > budget && self.entries.len() > 1 {
            let old = self.entries.pop_front().expect("more than one entry");
            self.first += 1;
            self.bytes -= size(&old);
            if self.dropped == 0 {
                tracing::warn!("a share's audit log is full: its oldest entries go");
            }
            self.dropped += 1;
            gone.push(old);
        }
        gone
    }

    fn get_mut(&mut self, number: u64) -> Option<&mut pb::AuditEntry> {
        let i = number.checked_sub(self.first)?;
        self.entries.get_mut(i as usize)
    }
}

impl AuditLog {
    /// Write every change to `file` from now on (it holds nothing yet).
    pub fn keep_on_disk(&mut self, file: AuditFile) {
        self.file = Some(file);
    }

    /// The log could not be kept on disk: `why` heads what it shows.
    pub fn not_on_disk(&mut self, why: String) {
        self.file = None;
        self.disk_error = Some(why);
    }

    /// The log that doing `ops` again makes (a file read back), with a note
    /// of `unreadable` lines that could not be.
    pub fn replay(ops: impl IntoIterator<Item = Op>, unreadable: usize) -> AuditLog {
        let mut log = AuditLog {
            unreadable,
            ..Default::default()
        };
        for op in ops {
            match op {
                Op::Share(_) => {}
                Op::Record(e) => log.record(e.into()),
                Op::Repeat(e) => log.repeat(e.into()),
                Op::Grow { text } => log.append_to_last_record(&text),
                Op::Dropped { records, repeats } => {
                    log.records.dropped += records;
                    log.repeats.dropped += repeats;
                }
            }
        }
        log
    }

    /// Write `op` (done already) to the file, if there is one; once it is
    /// full, write it anew as what the log holds now.
    fn write(&mut self, op: Option<Op>) {
        let (Some(file), Some(op)) = (&mut self.file, op) else {
            return;
        };
        let mut result = file.append(&op);
        if result.is_ok() && file.is_full() {
            let now = self.snapshot();
            let file = self.file.as_mut().expect("checked above");
            result = file.rewrite(now.into_iter());
        }
        if let Err(e) = result {
            let path = self.file.as_ref().map(|f| f.path().display().to_string());
            let why = format!(
                "this log stopped being written to {} ({e}): what follows is kept in memory only",
                path.unwrap_or_default()
            );
            tracing::error!("a share's audit log: {why}");
            self.not_on_disk(why);
        }
    }

    /// What the log holds now, as the ops that make it (the file written anew).
    fn snapshot(&self) -> Vec<Op> {
        let mut ops = vec![Op::Dropped {
            records: self.records.dropped,
            repeats: self.repeats.dropped,
        }];
        ops.extend(self.records.entries.iter().map(|e| Op::Record(e.into())));
        ops.extend(self.repeats.entries.iter().map(|e| Op::Repeat(e.into())));
        ops
    }

    /// Keep `e` as a record.
    pub fn record(&mut self, e: pb::AuditEntry) {
        let op = self.file.is_some().then(|| Op::Record(Entry::from(&e)));
        self.records.push(e, RECORDS_BUDGET);
        self.write(op);
    }

    /// Keep `e`, something a participant can repeat: counted into the same
    /// participant's same entry if that is recent, else a new entry.
    pub fn repeat(&mut self, e: pb::AuditEntry) {
        let op = self.file.is_some().then(|| Op::Repeat(Entry::from(&e)));
        self.repeat_in_memory(e);
        self.write(op);
    }

    fn repeat_in_memory(&mut self, e: pb::AuditEntry) {
        let same = key(&e);
        let recent = self
            .latest
            .get(&same)
            .and_then(|&n| self.repeats.get_mut(n))
            .filter(|old| e.at_ms.saturating_sub(old.at_ms) < COALESCE_MS);
        if let Some(old) = recent {
            old.count = old.count.max(1).saturating_add(1);
            old.last_at_ms = e.at_ms;
            return;
        }
        let (number, gone) = self.repeats.push(e, REPEATS_BUDGET);
        for old in gone {
            let k = key(&old);
            if self.latest.get(&k).is_some_and(|&n| n < self.repeats.first) {
                self.latest.remove(&k);
            }
        }
        self.latest.insert(same, number);
    }

    /// The newest record, to see whether input joins it.
    pub fn last_record(&self) -> Option<&pb::AuditEntry> {
        self.records.entries.back()
    }

    /// Add `text` to the newest record's (input typed in a burst).
    pub fn append_to_last_record(&mut self, text: &str) {
        let Some(last) = self.records.entries.back_mut() else {
            return;
        };
        last.detail.push_str(text);
        self.records.bytes += text.len();
        self.records.trim(RECORDS_BUDGET);
        let op = self.file.is_some().then(|| Op::Grow {
            text: text.to_owned(),
        });
        self.write(op);
    }

    /// Everything, oldest first; led by a note of what was dropped, if anything.
    pub fn entries(&self) -> Vec<pb::AuditEntry> {
        let (a, b) = (&self.records.entries, &self.repeats.entries);
        let mut out = Vec::with_capacity(a.len() + b.len() + 3);
        let note = |detail: String| pb::AuditEntry {
            at_ms: now_ms(),
            action: "dropped".to_owned(),
            detail,
            ..Default::default()
        };
        if let Some(why) = &self.disk_error {
            out.push(note(why.clone()));
        }
        if self.unreadable > 0 {
            out.push(note(format!(
                "{} lines of this log's file could not be read (the daemon stopped while \
                 writing one?) and are left out",
                self.unreadable
            )));
        }
        let (dropped_records, dropped_repeats) = (self.records.dropped, self.repeats.dropped);
        if dropped_records + dropped_repeats > 0 {
            out.push(note(format!(
                "{} older entries were dropped to keep this log within its size \
                 ({dropped_records} records of input and actions, {dropped_repeats} of \
                 repeated attaching, requests and refusals)",
                dropped_records + dropped_repeats
            )));
        }
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            let take_a = j >= b.len() || (i < a.len() && a[i].at_ms <= b[j].at_ms);
            if take_a {
                out.push(a[i].clone());
                i += 1;
            } else {
                out.push(b[j].clone());
                j += 1;
            }
        }
        out
    }

    /// Entries held now (not counting the note).
    pub fn len(&self) -> usize {
        self.records.entries.len() + self.repeats.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(at_ms: u64, id: &str, action: &str, detail: &str) -> pb::AuditEntry {
        pb::AuditEntry {
            at_ms,
            participant_id: id.into(),
            action: action.into(),
            detail: detail.into(),
            ..Default::default()
        }
    }

    #[test]
    fn repeats_are_counted_into_one_entry_and_never_push_out_records() {
        let mut log = AuditLog::default();
        log.record(entry(1, "p1", "input", "secret-typed"));
        for i in 0..100_000 {
            log.repeat(entry(2 + i, "p2", "control-requested", ""));
            log.repeat(entry(2 + i, "p2", "join", "attached"));
            log.repeat(entry(2 + i, "p2", "leave", "detached"));
        }
        let all = log.entries();
        assert_eq!(all.len(), 4, "{all:?}");
        assert_eq!(all[0].detail, "secret-typed");
        let asked = all
            .iter()
            .find(|e| e.action == "control-requested")
            .unwrap();
        assert_eq!((asked.count, asked.last_at_ms), (100_000, 100_001));
    }

    #[test]
    fn a_repeat_after_the_window_starts_a_new_entry() {
        let mut log = AuditLog::default();
        log.repeat(entry(0, "p2", "control-requested", ""));
        log.repeat(entry(COALESCE_MS, "p2", "control-requested", ""));
        log.repeat(entry(COALESCE_MS + 1, "p2", "control-requested", ""));
        let counts: Vec<u32> = log.entries().iter().map(|e| e.count).collect();
        assert_eq!(counts, [0, 2]);
    }

    #[test]
    fn distinct_repeats_fill_only_their_own_budget_and_the_drop_is_said() {
        let mut log = AuditLog::default();
        log.record(entry(0, "p1", "input", "ls\r"));
        for i in 0..10_000u64 {
            log.repeat(entry(
                1 + i,
                "",
                "limit",
                &format!("guest{i} refused: the share is full"),
            ));
        }
        let all = log.entries();
        assert_eq!(all[0].action, "dropped");
        assert!(all[0].detail.contains("0 records"), "{}", all[0].detail);
        assert!(all.iter().any(|e| e.detail == "ls\r"));
        assert!(log.repeats.bytes <= REPEATS_BUDGET);
        assert_eq!(
            log.latest.len(),
            log.repeats.entries.len(),
            "the index is bounded too"
        );
    }

    #[test]
    fn records_over_their_budget_go_oldest_first_and_are_counted() {
        let mut log = AuditLog::default();
        let text = "x".repeat(1000);
        let n = RECORDS_BUDGET / 1000 + 10;
        for i in 0..n as u64 {
            log.record(entry(i, "p1", "input", &text));
        }
        let all = log.entries();
        assert_eq!(all[0].action, "dropped");
        let kept = all.len() - 1;
        assert!(
            all[0].detail.starts_with(&format!("{} older", n - kept)),
            "{}",
            all[0].detail
        );
        assert_eq!(all[1].at_ms, (n - kept) as u64, "the oldest went first");
    }

    #[test]
    fn entries_come_out_in_time_order() {
        let mut log = AuditLog::default();
        log.record(entry(1, "p1", "join", "enrolled"));
        log.repeat(entry(2, "p1", "join", "attached"));
        log.record(entry(3, "p1", "input", "x"));
        log.repeat(entry(4, "p1", "leave", "detached"));
        let at: Vec<u64> = log.entries().iter().map(|e| e.at_ms).collect();
        assert_eq!(at, [1, 2, 3, 4]);
    }

    #[test]
    fn its_file_read_back_is_the_same_log_after_churn_and_rewrites() {
        use super::super::audit_store::{self, Header};
        let tmp = tempfile::tempdir().unwrap();
        let header = Header {
            share: "s1".into(),
            ..Default::default()
        };
        let mut log = AuditLog::default();
        log.keep_on_disk(AuditFile::create(tmp.path(), header, &[]).unwrap());
        log.record(entry(1, "p1", "input", "first"));
        log.append_to_last_record("-typed");
        let mut at = 2;
        // Enough churn to pass the file's budget a few times.
        while at < 100_000 {
            log.repeat(entry(at, "p2", "join", "attached"));
            log.repeat(entry(at, "p2", "leave", "detached"));
            log.repeat(entry(at, "", "limit", &format!("guest{at} refused")));
            if at % 1000 == 0 {
                log.record(entry(at, "p1", "input", &format!("typed at {at}")));
            }
            at += 1;
        }
        let path = audit_store::log_path(tmp.path(), "s1");
        let written = std::fs::metadata(&path).unwrap().len();
        assert!(written <= audit_store::FILE_BUDGET + 1000, "{written}");
        assert!(
            tmp.path().join("s1.1.jsonl").is_file(),
            "rewritten at least once"
        );
        let stored = audit_store::read(&path).unwrap();
        let back = AuditLog::replay(stored.ops, stored.unreadable);
        let no_notes = |l: &AuditLog| -> Vec<pb::AuditEntry> {
            l.entries()
                .into_iter()
                .filter(|e| e.action != "dropped")
                .collect()
        };
        assert_eq!(no_notes(&back), no_notes(&log));
        assert_eq!(back.entries()[0].detail, log.entries()[0].detail);
        assert_eq!(
            no_notes(&back)[0].detail,
            "first-typed",
            "no record was pushed out"
        );
    }
}
