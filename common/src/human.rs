//! Numbers as people read them in messages: sizes (`512 bytes`, `1.5 MB`,
//! `100 MB`) and counts with their noun (`1 participant`, `2 participants`).

/// A size in bytes, in SI units like the config's limits (1 MB is 1,000,000
/// bytes): one decimal below 10 of a unit (`1.5 MB`), none above (`250 kB`),
/// none when it is whole (`1 GB`).
pub fn bytes(n: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1_000_000_000_000, "TB"),
        (1_000_000_000, "GB"),
        (1_000_000, "MB"),
        (1_000, "kB"),
    ];
    let Some(&(size, unit)) = UNITS.iter().find(|&&(size, _)| n >= size) else {
        return count(n, "byte");
    };
    let value = n as f64 / size as f64;
    let tenths = (value * 10.0).round();
    if value < 9.95 && tenths % 10.0 != 0.0 {
        format!("{:.1} {unit}", tenths / 10.0)
    } else {
        format!("{} {unit}", value.round())
    }
}

/// `n` and `noun`, plural unless `n` is 1 (nouns that take an `s`).
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    let s = if n == 1 { "" } else { "s" };
    format!("{n} {noun}{s}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        let cases = [
            (0, "0 bytes"),
            (1, "1 byte"),
            (999, "999 bytes"),
            (1_000, "1 kB"),
            (1_500, "1.5 kB"),
            (9_960, "10 kB"),
            (250_000, "250 kB"),
            (500_000, "500 kB"),
            (1_000_000, "1 MB"),
            (1_250_000, "1.3 MB"),
            (100_000_000, "100 MB"),
            (1_000_000_000, "1 GB"),
            (2_000_000_000_000, "2 TB"),
        ];
        for (n, want) in cases {
            assert_eq!(bytes(n), want, "{n}");
        }
    }

    #[test]
    fn counts_take_their_plural() {
        assert_eq!(count(1u32, "participant"), "1 participant");
        assert_eq!(count(0u32, "participant"), "0 participants");
        assert_eq!(count(10u64, "participant"), "10 participants");
    }
}
