//! Results: one [`Measurement`] per scenario variant, printed as a Markdown
//! table and written as JSON (with the machine it ran on) for comparison
//! across runs.

use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use crate::stats::Stats;

/// Which way is better for a quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Better {
    Higher,
    Lower,
}

/// One variant of a scenario, measured for both multiplexers.
#[derive(Debug, Clone, Serialize)]
pub struct Measurement {
    /// The scenario's registry name (`throughput`, `latency`...).
    pub scenario: String,
    /// What exactly was measured (`plain, no client`).
    pub variant: String,
    pub unit: String,
    pub better: Better,
    pub wrapd: Stats,
    pub tmux: Stats,
    /// The physical floor (the same work without any multiplexer), if any.
    pub floor: Option<Stats>,
    /// The target for wrapd/tmux (at least with `Higher`, at most with `Lower`).
    pub target_ratio: Option<f64>,
    /// The target for wrapd/floor, same sense.
    pub target_floor: Option<f64>,
    /// The target for wrapd's own figure, in `unit`, same sense (where the
    /// target is absolute: "at most 1 MiB per viewer").
    pub target_value: Option<f64>,
}

impl Measurement {
    /// wrapd's median over tmux's.
    pub fn ratio(&self) -> f64 {
        self.wrapd.median / self.tmux.median
    }

    /// wrapd's median over the floor's.
    pub fn floor_ratio(&self) -> Option<f64> {
        self.floor.as_ref().map(|f| self.wrapd.median / f.median)
    }

    fn meets(&self, ratio: f64, target: f64) -> bool {
        match self.better {
            Better::Higher => ratio >= target,
            Better::Lower => ratio <= target,
        }
    }

    /// Whether every target of this row is met (`None`: it has none).
    pub fn met(&self) -> Option<bool> {
        let mut checks = Vec::new();
        if let Some(t) = self.target_ratio {
            checks.push(self.meets(self.ratio(), t));
        }
        if let (Some(t), Some(r)) = (self.target_floor, self.floor_ratio()) {
            checks.push(self.meets(r, t));
        }
        if let Some(t) = self.target_value {
            checks.push(self.meets(self.wrapd.median, t));
        }
        (!checks.is_empty()).then(|| checks.iter().all(|c| *c))
    }

    fn target_text(&self) -> String {
        let sense = match self.better {
            Better::Higher => "≥",
            Better::Lower => "≤",
        };
        let mut parts = Vec::new();
        if let Some(t) = self.target_ratio {
            parts.push(format!("{sense} {t}× tmux"));
        }
        if let Some(t) = self.target_floor {
            parts.push(format!("{sense} {t}× floor"));
        }
        if let Some(t) = self.target_value {
            parts.push(format!("{sense} {} {}", number(t), self.unit));
        }
        parts.join(", ")
    }
}

fn number(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn cell(s: &Stats) -> String {
    if s.is_none() {
        return "—".to_owned();
    }
    if s.samples.len() > 1 && s.min != s.max {
        format!("{} ({}–{})", number(s.median), number(s.min), number(s.max))
    } else {
        number(s.median)
    }
}

/// The results as a Markdown table: median (min–max) of each.
pub fn table(results: &[Measurement]) -> String {
    let mut out = String::from(
        "| scenario | variant | unit | wrapd | tmux | ratio | floor | target | met |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for m in results {
        let floor = match (&m.floor, m.floor_ratio()) {
            (Some(f), Some(r)) => format!("{} ({:.2}×)", cell(f), r),
            _ => String::new(),
        };
        let met = match m.met() {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "",
        };
        // 0 against 0 (a growth that did not happen) has no ratio, nor has
        // a figure against none.
        let ratio = match m.ratio() {
            r if r.is_finite() => format!("{r:.2}"),
            _ => String::new(),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            m.scenario,
            m.variant,
            m.unit,
            cell(&m.wrapd),
            cell(&m.tmux),
            ratio,
            floor,
            m.target_text(),
            met
        ));
    }
    out
}

/// Where and when a run happened.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_kib: u64,
    pub kernel: String,
    pub tmux: String,
    pub commit: String,
    pub unix_time: u64,
}

impl Machine {
    pub fn describe() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
            .unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_kib = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
            .unwrap_or(0);
        Machine {
            cpu,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_kib,
            kernel: command_line("uname", &["-sr"]),
            tmux: command_line("tmux", &["-V"]),
            commit: command_line("git", &["rev-parse", "--short", "HEAD"]),
            unix_time: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        }
    }

    pub fn summary(&self) -> String {
        format!(
            "{} ({} cores), {} GiB, {}, {}, commit {}",
            self.cpu,
            self.cores,
            self.memory_kib / (1024 * 1024),
            self.kernel,
            self.tmux,
            self.commit
        )
    }
}

fn command_line(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

#[derive(Serialize)]
struct Report<'a> {
    machine: &'a Machine,
    results: &'a [Measurement],
}

/// Write the machine and the results to `path` as JSON.
pub fn write_json(path: &Path, machine: &Machine, results: &[Measurement]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let json = serde_json::to_string_pretty(&Report { machine, results })?;
    std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))
}
