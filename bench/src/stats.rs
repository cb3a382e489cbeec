//! Summaries of repeated measurements: median, min–max, p99.

use serde::Serialize;

/// A set of samples of one quantity and its summary.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// 99th percentile (nearest rank); meaningful with many samples.
    pub p99: f64,
    pub samples: Vec<f64>,
}

impl Stats {
    /// Summarise `samples` (at least one).
    pub fn of(mut samples: Vec<f64>) -> Stats {
        assert!(!samples.is_empty(), "no samples to summarise");
        let mut sorted = samples.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        let rank = ((n as f64 * 0.99).ceil() as usize).clamp(1, n) - 1;
        // Keep long series (latency samples) out of the JSON's way: 1,000 at most.
        if samples.len() > 1000 {
            samples.truncate(1000);
        }
        Stats {
            median,
            min: sorted[0],
            max: sorted[n - 1],
            p99: sorted[rank],
            samples,
        }
    }

    /// No figure: the multiplexer cannot do it (the table shows "—", the
    /// JSON nulls).
    pub fn none() -> Stats {
        Stats {
            median: f64::NAN,
            min: f64::NAN,
            max: f64::NAN,
            p99: f64::NAN,
            samples: Vec::new(),
        }
    }

    /// Whether this is [`Stats::none`].
    pub fn is_none(&self) -> bool {
        self.samples.is_empty()
    }

    /// The 90th percentile (nearest rank) of the samples kept.
    pub fn p90(&self) -> f64 {
        let mut sorted = self.samples.clone();
        sorted.sort_by(f64::total_cmp);
        let rank = ((sorted.len() as f64 * 0.9).ceil() as usize).clamp(1, sorted.len()) - 1;
        sorted[rank]
    }

    /// The same summary with the p99 as its median (to report a tail).
    pub fn tail(&self) -> Stats {
        Stats {
            median: self.p99,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_min_max_p99() {
        let s = Stats::of(vec![5.0, 1.0, 3.0]);
        assert_eq!((s.median, s.min, s.max, s.p99), (3.0, 1.0, 5.0, 5.0));
        let s = Stats::of(vec![4.0, 1.0, 3.0, 2.0]);
        assert_eq!(s.median, 2.5);
        let s = Stats::of((1..=200).map(f64::from).collect());
        assert_eq!(s.p99, 198.0);
        assert!(!s.is_none() && Stats::none().is_none());
    }
}
