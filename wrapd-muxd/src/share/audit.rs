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

use std::collections::{HashMap, VecDeque};

use wrapd_proto::pb;

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
    /// Keep `e` as a record.
    pub fn record(&mut self, e: pb::AuditEntry) {
        self.records.push(e, RECORDS_BUDGET);
    }

    /// Keep `e`, something a participant can repeat: counted into the same
    /// participant's same entry if that is recent, else a new entry.
    pub fn repeat(&mut self, e: pb::AuditEntry) {
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

    /// The newest record, to add input to it.
    pub fn last_record_mut(&mut self) -> Option<&mut pb::AuditEntry> {
        self.records.entries.back_mut()
    }

    /// Account for a change in size of the newest record's text by `grew` bytes.
    pub fn record_grew(&mut self, grew: usize) {
        self.records.bytes += grew;
        self.records.trim(RECORDS_BUDGET);
    }

    /// Everything, oldest first; led by a note of what was dropped, if anything.
    pub fn entries(&self) -> Vec<pb::AuditEntry> {
        let (a, b) = (&self.records.entries, &self.repeats.entries);
        let mut out = Vec::with_capacity(a.len() + b.len() + 1);
        let (dropped_records, dropped_repeats) = (self.records.dropped, self.repeats.dropped);
        if dropped_records + dropped_repeats > 0 {
            out.push(pb::AuditEntry {
                at_ms: now_ms(),
                action: "dropped".to_owned(),
                detail: format!(
                    "{} older entries were dropped to keep this log within its size in memory \
                     ({dropped_records} records of input and actions, {dropped_repeats} of \
                     repeated attaching, requests and refusals)",
                    dropped_records + dropped_repeats
                ),
                ..Default::default()
            });
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
}
