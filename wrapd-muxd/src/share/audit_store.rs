//! A share's audit log on disk, so that it outlives the share and the daemon.
//!
//! One file a share, `<share state dir>/audit/<share id>.jsonl` (mode 0600 in
//! a 0700 directory): JSON lines, each one thing done to the log in memory
//! ([`Op`]), so that reading the file and doing the same again gives the same
//! log — the same coalesced repeats, the same budgets (see `audit.rs`), the
//! same input entries. The first line names the share ([`Op::Share`]).
//!
//! Bounded and rotated: once a file passes [`FILE_BUDGET`] it is written anew
//! as what the log holds now (which never lost a record to repeats), and the
//! old file is kept beside it as `<share id>.1.jsonl` (the one before is
//! gone). The files of at most [`KEPT_LOGS`] shares are kept: starting a new
//! share removes the least recently written of the stopped ones.
//!
//! A line that cannot be read (a daemon killed in mid-write) is skipped, and
//! the log read back says how many were.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use wrapd_proto::pb;

use super::audit::{AuditLog, RECORDS_BUDGET, REPEATS_BUDGET};
use wrapd_common::paths;

/// A file is written anew (and the old one kept as `.1`) past this size.
pub const FILE_BUDGET: u64 = 2 * (RECORDS_BUDGET + REPEATS_BUDGET) as u64;
/// Shares whose logs are kept (live shares' logs are never removed).
pub const KEPT_LOGS: usize = 100;

const EXTENSION: &str = "jsonl";

/// One line of the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Op {
    /// The first line: which share this is.
    Share(Header),
    /// An entry kept as a record (`AuditLog::record`).
    Record(Entry),
    /// An entry someone can repeat (`AuditLog::repeat`).
    Repeat(Entry),
    /// Text added to the newest record (input typed in a burst).
    Grow { text: String },
    /// Entries that went to stay within the budgets before this file began.
    Dropped { records: u64, repeats: u64 },
}

/// Which share a log belongs to.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Header {
    pub share: String,
    pub session: String,
    pub session_name: String,
    pub created_at_ms: u64,
}

/// [`pb::AuditEntry`] as a line of the file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Entry {
    pub at_ms: u64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub participant_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub email: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    pub action: String,
    pub detail: String,
    #[serde(skip_serializing_if = "is_zero")]
    pub count: u32,
    #[serde(skip_serializing_if = "is_zero")]
    pub last_at_ms: u64,
}

fn is_zero<T: Default + PartialEq>(n: &T) -> bool {
    *n == T::default()
}

impl From<&pb::AuditEntry> for Entry {
    fn from(e: &pb::AuditEntry) -> Entry {
        Entry {
            at_ms: e.at_ms,
            participant_id: e.participant_id.clone(),
            email: e.email.clone(),
            name: e.name.clone(),
            action: e.action.clone(),
            detail: e.detail.clone(),
            count: e.count,
            last_at_ms: e.last_at_ms,
        }
    }
}

impl From<Entry> for pb::AuditEntry {
    fn from(e: Entry) -> pb::AuditEntry {
        pb::AuditEntry {
            at_ms: e.at_ms,
            participant_id: e.participant_id,
            email: e.email,
            name: e.name,
            action: e.action,
            detail: e.detail,
            count: e.count,
            last_at_ms: e.last_at_ms,
        }
    }
}

/// The open file of a live share's log.
#[derive(Debug)]
pub struct AuditFile {
    path: PathBuf,
    file: File,
    /// Bytes in the file now.
    bytes: u64,
    /// Bytes it had when last written anew: it is not full before twice that
    /// (a log whose every entry is large must not be written anew each time).
    rewritten: u64,
    header: Header,
}

/// Where share `id`'s log is (and its previous file).
pub fn log_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.{EXTENSION}"))
}

fn previous_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.1.{EXTENSION}"))
}

impl AuditFile {
    /// Start the log of the share `header` names in `dir` (made private if
    /// need be), removing the oldest logs of shares not in `live` beyond
    /// [`KEPT_LOGS`].
    pub fn create(dir: &Path, header: Header, live: &[&str]) -> io::Result<AuditFile> {
        paths::ensure_private_dir(dir)?;
        prune(dir, live);
        let path = log_path(dir, &header.share);
        let file = open_new(&path)?;
        let mut f = AuditFile {
            path,
            file,
            bytes: 0,
            rewritten: 0,
            header: header.clone(),
        };
        f.append(&Op::Share(header))?;
        Ok(f)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Add `op` at the end of the file.
    pub fn append(&mut self, op: &Op) -> io::Result<()> {
        let line = line(op);
        self.file.write_all(&line)?;
        self.bytes += line.len() as u64;
        Ok(())
    }

    /// The file passed its budget: time for [`AuditFile::rewrite`].
    pub fn is_full(&self) -> bool {
        self.bytes > FILE_BUDGET.max(2 * self.rewritten)
    }

    /// Write the file anew as `ops` (after its header), keeping the old one
    /// as `<id>.1.jsonl`.
    pub fn rewrite(&mut self, ops: impl Iterator<Item = Op>) -> io::Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let tmp = self.path.with_extension("tmp");
        let mut bytes = Vec::new();
        for op in std::iter::once(Op::Share(self.header.clone())).chain(ops) {
            bytes.extend(line(&op));
        }
        let _ = std::fs::remove_file(&tmp);
        let mut new = open_new(&tmp)?;
        new.write_all(&bytes)?;
        std::fs::rename(&self.path, previous_path(dir, &self.header.share))?;
        std::fs::rename(&tmp, &self.path)?;
        self.file = new;
        self.bytes = bytes.len() as u64;
        self.rewritten = self.bytes;
        Ok(())
    }
}

/// Start keeping `log` (a new share's, empty) in its file in `dir`, pruning
/// old logs (none of `live` shares); if the file cannot be made, the log is
/// kept in memory only and says why.
pub fn start(log: &mut AuditLog, dir: &Path, header: Header, live: &[String]) {
    let live: Vec<&str> = live.iter().map(String::as_str).collect();
    let share = header.share.clone();
    match AuditFile::create(dir, header, &live) {
        Ok(file) => log.keep_on_disk(file),
        Err(e) => {
            let why = format!(
                "this log is kept in memory only: cannot write it into {}: {e}",
                dir.display()
            );
            tracing::error!("share {share}: {why}");
            log.not_on_disk(why);
        }
    }
}

/// The log of a share no longer running, read back from its file in `dir`:
/// `target` is its id, or its session's id or name (the newest share of it;
/// see [`find`]). `None`: no such log.
pub fn stored(dir: &Path, target: &str) -> Option<Result<Vec<pb::AuditEntry>, String>> {
    let path = find(dir, target)?;
    Some(
        read(&path)
            .map(|stored| AuditLog::replay(stored.ops, stored.unreadable).entries())
            .map_err(|e| format!("cannot read the audit log {}: {e}", path.display())),
    )
}

fn line(op: &Op) -> Vec<u8> {
    let mut line = serde_json::to_vec(op).expect("audit ops serialize");
    line.push(b'\n');
    line
}

fn open_new(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .append(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
}

/// A log read back from its file.
#[derive(Debug)]
pub struct Stored {
    pub header: Header,
    pub ops: Vec<Op>,
    /// Lines that could not be read.
    pub unreadable: usize,
}

/// Read the log at `path`.
pub fn read(path: &Path) -> io::Result<Stored> {
    let mut header = None;
    let mut ops = Vec::new();
    let mut unreadable = 0;
    for line in BufReader::new(File::open(path)?).split(b'\n') {
        match serde_json::from_slice::<Op>(&line?) {
            Ok(Op::Share(h)) if header.is_none() => header = Some(h),
            Ok(Op::Share(_)) => unreadable += 1,
            Ok(op) => ops.push(op),
            Err(_) => unreadable += 1,
        }
    }
    let header = header.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} does not start with its share's name", path.display()),
        )
    })?;
    Ok(Stored {
        header,
        ops,
        unreadable,
    })
}

/// The headers of every log in `dir`, with their paths.
fn logs(dir: &Path) -> Vec<(PathBuf, Header)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| is_current_log(p))
        .filter_map(|p| {
            let first = BufReader::new(File::open(&p).ok()?).lines().next()?.ok()?;
            match serde_json::from_str(&first).ok()? {
                Op::Share(h) => Some((p, h)),
                _ => None,
            }
        })
        .collect()
}

fn is_current_log(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(&format!(".{EXTENSION}")) && !name.ends_with(&format!(".1.{EXTENSION}"))
}

/// The log of the share `target` names in `dir`: its id, else its session's
/// id or name (the newest such share); empty: the newest share.
pub fn find(dir: &Path, target: &str) -> Option<PathBuf> {
    let by_id = log_path(dir, target);
    if !target.is_empty() && !target.contains('/') && by_id.is_file() {
        return Some(by_id);
    }
    logs(dir)
        .into_iter()
        .filter(|(_, h)| target.is_empty() || h.session == target || h.session_name == target)
        .max_by_key(|(_, h)| h.created_at_ms)
        .map(|(p, _)| p)
}

/// Remove the least recently written logs beyond [`KEPT_LOGS`] - 1 (one is
/// about to start), except those of `live` shares.
fn prune(dir: &Path, live: &[&str]) {
    let mut stopped: Vec<(std::time::SystemTime, u64, PathBuf, String)> = logs(dir)
        .into_iter()
        .filter(|(_, h)| !live.contains(&h.share.as_str()))
        .filter_map(|(p, h)| {
            let written = std::fs::metadata(&p).and_then(|m| m.modified()).ok()?;
            Some((written, h.created_at_ms, p, h.share))
        })
        .collect();
    let keep = KEPT_LOGS.saturating_sub(1 + live.len());
    if stopped.len() <= keep {
        return;
    }
    stopped.sort();
    for (_, _, path, share) in &stopped[..stopped.len() - keep] {
        for p in [path.clone(), previous_path(dir, share)] {
            if let Err(e) = std::fs::remove_file(&p)
                && e.kind() != io::ErrorKind::NotFound
            {
                tracing::warn!("cannot remove the old audit log {}: {e}", p.display());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn header(share: &str, session_name: &str, created_at_ms: u64) -> Header {
        Header {
            share: share.into(),
            session: format!("id-{session_name}"),
            session_name: session_name.into(),
            created_at_ms,
        }
    }

    fn input(at_ms: u64, text: &str) -> Op {
        Op::Record(Entry {
            at_ms,
            participant_id: "p1".into(),
            action: "input".into(),
            detail: text.into(),
            ..Default::default()
        })
    }

    #[test]
    fn a_log_reads_back_what_was_appended_in_a_private_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("audit");
        let mut f = AuditFile::create(&dir, header("s1", "work", 5), &[]).unwrap();
        f.append(&input(1, "ls")).unwrap();
        f.append(&Op::Grow { text: "\\r".into() }).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(f.path()), 0o600);
        let back = read(f.path()).unwrap();
        assert_eq!(back.header, header("s1", "work", 5));
        assert_eq!(back.ops, [input(1, "ls"), Op::Grow { text: "\\r".into() }]);
        assert_eq!(back.unreadable, 0);
    }

    #[test]
    fn a_torn_last_line_is_skipped_and_counted() {
        let tmp = tempfile::tempdir().unwrap();
        let mut f = AuditFile::create(tmp.path(), header("s1", "w", 0), &[]).unwrap();
        f.append(&input(1, "kept")).unwrap();
        f.file
            .write_all(b"{\"op\":\"record\",\"at_ms\":2,\"det")
            .unwrap();
        let back = read(f.path()).unwrap();
        assert_eq!((back.ops.len(), back.unreadable), (1, 1));
    }

    #[test]
    fn a_rewrite_keeps_the_old_file_as_the_previous_one() {
        let tmp = tempfile::tempdir().unwrap();
        let mut f = AuditFile::create(tmp.path(), header("s1", "w", 0), &[]).unwrap();
        f.append(&input(1, "old")).unwrap();
        f.rewrite([input(2, "new")].into_iter()).unwrap();
        f.append(&input(3, "after")).unwrap();
        let now = read(f.path()).unwrap();
        assert_eq!(now.ops, [input(2, "new"), input(3, "after")]);
        let before = read(&previous_path(tmp.path(), "s1")).unwrap();
        assert_eq!(before.ops, [input(1, "old")]);
    }

    #[test]
    fn found_by_share_id_session_name_or_session_id_newest_first() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        AuditFile::create(dir, header("old", "work", 1), &[]).unwrap();
        AuditFile::create(dir, header("new", "work", 2), &[]).unwrap();
        AuditFile::create(dir, header("other", "play", 3), &[]).unwrap();
        assert_eq!(find(dir, "old"), Some(log_path(dir, "old")));
        assert_eq!(find(dir, "work"), Some(log_path(dir, "new")));
        assert_eq!(find(dir, "id-play"), Some(log_path(dir, "other")));
        assert_eq!(find(dir, ""), Some(log_path(dir, "other")));
        assert_eq!(find(dir, "nothing"), None);
        assert_eq!(find(dir, "../x"), None);
    }

    #[test]
    fn only_the_newest_stopped_logs_are_kept_and_live_ones_never_go() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        AuditFile::create(dir, header("live", "l", 0), &[]).unwrap();
        for i in 0..KEPT_LOGS + 5 {
            AuditFile::create(dir, header(&format!("s{i}"), "w", i as u64), &["live"]).unwrap();
        }
        let kept = logs(dir);
        assert_eq!(kept.len(), KEPT_LOGS);
        assert!(kept.iter().any(|(_, h)| h.share == "live"));
        let newest = format!("s{}", KEPT_LOGS + 4);
        assert!(kept.iter().any(|(_, h)| h.share == newest));
    }
}
