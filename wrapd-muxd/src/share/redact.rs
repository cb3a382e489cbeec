//! Secret redaction for collaborators: tokens, keys and passwords that a
//! session prints are masked (`*`, one per character, so columns stay where
//! they are) in everything a share sends — screen and history rows (and
//! their links' targets), the title and working directory, block command
//! lines, directories and output. The owner always sees the real text.
//!
//! Patterns are single-row and ASCII (a secret is never a wide character, so
//! masking never changes a row's width). What they catch: well-known token
//! formats (AWS, GitHub, GitLab, Slack, Stripe, OpenAI/Anthropic-style `sk-`,
//! Google API keys, JWTs), PEM private-key armour, and the value in
//! `password=…`, `token: …`, `API_KEY=…`, `-p…`-less `--password …` and the
//! like. It is a safety net, not a guarantee: a secret split across rows by a
//! wrap, or in a format nobody knows, goes through.

use std::sync::LazyLock;

use regex::Regex;
use wrapd_proto::pb;

/// Well-known formats: the whole match is the secret.
static TOKENS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"\b(?:",
        r"AKIA[0-9A-Z]{16}",
        r"|ASIA[0-9A-Z]{16}",
        r"|gh[pousr]_[A-Za-z0-9]{30,}",
        r"|github_pat_[A-Za-z0-9_]{30,}",
        r"|glpat-[A-Za-z0-9_-]{20,}",
        r"|xox[abposr]-[A-Za-z0-9-]{10,}",
        r"|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}",
        r"|sk-[A-Za-z0-9_-]{20,}",
        r"|AIza[0-9A-Za-z_-]{35}",
        r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        r")\b",
    ))
    .expect("token patterns compile")
});

/// `name = value` where the name says it is secret: the value is the secret.
static ASSIGNMENTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key)",
        r"[A-Za-z0-9_-]*",
        r#"["']?\s*[:=]\s*["']?"#,
        r"(?P<value>[!-~]{6,})",
    ))
    .expect("assignment patterns compile")
});

/// `--password VALUE`, `Bearer VALUE`: the word after is the secret.
static FLAGS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:--?(?:password|passwd|token|secret|api[_-]?key)|\bbearer)\s+(?P<value>[!-~]{6,})",
    )
    .expect("flag patterns compile")
});

/// PEM private-key armour.
static PEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-----(?:BEGIN|END) [A-Z ]*PRIVATE KEY-----").expect("pem compiles")
});

/// A row that is nothing but a long run of base64 with both cases and digits:
/// the body of a key (PEM lines are 64 or 70 characters).
static BASE64_BODY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*[A-Za-z0-9+/]{60,}={0,2}\s*$").expect("base64 compiles"));

fn looks_like_key_body(text: &str) -> bool {
    BASE64_BODY.is_match(text)
        && text.bytes().any(|b| b.is_ascii_uppercase())
        && text.bytes().any(|b| b.is_ascii_lowercase())
        && text.bytes().any(|b| b.is_ascii_digit())
}

/// Byte ranges of `text` that are secrets (ASCII only, sorted, may overlap).
pub fn secret_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut found: Vec<(usize, usize)> = TOKENS
        .find_iter(text)
        .map(|m| (m.start(), m.end()))
        .collect();
    for c in ASSIGNMENTS
        .captures_iter(text)
        .chain(FLAGS.captures_iter(text))
    {
        if let Some(v) = c.name("value") {
            // Quotes around the value are not part of it.
            let value = v.as_str().trim_end_matches(['"', '\'', ',', ';']);
            found.push((v.start(), v.start() + value.len()));
        }
    }
    if PEM.is_match(text) || looks_like_key_body(text) {
        found.push((0, text.len()));
    }
    found.sort_unstable();
    found
}

/// `text` with its secrets masked.
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        out.push_str(&mask(line, &secret_ranges(line)));
    }
    out
}

fn mask(text: &str, ranges: &[(usize, usize)]) -> String {
    if ranges.is_empty() {
        return text.to_owned();
    }
    text.char_indices()
        .map(|(i, c)| {
            let secret = ranges.iter().any(|&(s, e)| i >= s && i < e);
            if secret && !c.is_whitespace() && c.is_ascii() {
                '*'
            } else {
                c
            }
        })
        .collect()
}

/// Mask the secrets of rows in place; spans keep their styles and widths.
/// Rows that continue on the next one (soft wraps, consecutive indices) are
/// read as one line, so a token that wraps is still found.
pub fn redact_rows(rows: &mut [pb::Row]) {
    let mut start = 0;
    while start < rows.len() {
        let mut end = start + 1;
        while end < rows.len()
            && rows[end - 1].wrapped
            && rows[end].index == rows[end - 1].index + 1
        {
            end += 1;
        }
        redact_line(&mut rows[start..end]);
        start = end;
    }
}

/// One logical line made of `rows`.
fn redact_line(rows: &mut [pb::Row]) {
    let text: String = rows
        .iter()
        .flat_map(|r| r.spans.iter().map(|s| s.text.as_str()))
        .collect();
    // A link's target may hold a secret its text does not show.
    for span in rows.iter_mut().flat_map(|r| r.spans.iter_mut()) {
        if !span.link.is_empty() && !secret_ranges(&span.link).is_empty() {
            span.link.clear();
        }
    }
    let ranges = secret_ranges(&text);
    if ranges.is_empty() {
        return;
    }
    let mut at = 0;
    for span in rows.iter_mut().flat_map(|r| r.spans.iter_mut()) {
        let len = span.text.len();
        let local: Vec<(usize, usize)> = ranges
            .iter()
            .filter(|&&(s, e)| s < at + len && e > at)
            .map(|&(s, e)| (s.saturating_sub(at), (e - at).min(len)))
            .collect();
        if !local.is_empty() {
            span.text = mask(&span.text, &local);
            // A link target may carry the same secret (a URL with a token).
            span.link.clear();
        }
        at += len;
    }
}

/// A block's command line, masked.
pub fn redact_block(b: &mut pb::Block) {
    redact_field(&mut b.command);
    redact_field(&mut b.cwd);
}

/// A line of text that is not a row (a command line, a title, a
/// directory), masked if it holds a secret.
pub fn redact_field(text: &mut String) {
    if !secret_ranges(text).is_empty() {
        *text = redact_text(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(text: &str) -> pb::Span {
        pb::Span {
            text: text.into(),
            ..Default::default()
        }
    }

    #[test]
    fn known_tokens_are_masked_and_everything_else_kept() {
        let cases = [
            (
                "key AKIAIOSFODNN7EXAMPLE here",
                "key ******************** here",
            ),
            (
                "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
                "****************************************",
            ),
            ("xoxb-1234567890-abcdef", "**********************"),
            (
                "sk-proj-abcdefghijklmnopqrstuv",
                "******************************",
            ),
            (
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.SflKxwRJSMeKKF2QT4fw",
                "*************************************************************",
            ),
            (
                "export PASSWORD=hunter2hunter",
                "export PASSWORD=*************",
            ),
            ("api_key: 'abc123def456'", "api_key: '************'"),
            ("GITHUB_TOKEN=abcdef123456", "GITHUB_TOKEN=************"),
            ("mysql --password s3cr3t!pw", "mysql --password *********"),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----",
                "********** ******* ******* ********",
            ),
            (
                "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
                "**********************************************************************",
            ),
            (
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  empty",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  empty",
            ),
            (
                "Authorization: Bearer abcdef123456",
                "Authorization: Bearer ************",
            ),
            ("ls -la /tmp && echo done", "ls -la /tmp && echo done"),
            ("token count: 3", "token count: 3"),
            ("日本語 password=ぱすわーど", "日本語 password=ぱすわーど"),
        ];
        for (input, want) in cases {
            assert_eq!(redact_text(input), want, "{input}");
            assert_eq!(redact_text(input).chars().count(), input.chars().count());
        }
    }

    #[test]
    fn rows_keep_their_spans_and_widths() {
        let mut row = pb::Row {
            index: 1,
            spans: vec![span("$ export TOKEN="), span("abc"), span("def123 ok")],
            wrapped: false,
        };
        row.spans[1].link = "https://x/?t=abcdef123".into();
        let mut rows = [row];
        redact_rows(&mut rows);
        let texts: Vec<&str> = rows[0].spans.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, ["$ export TOKEN=", "***", "****** ok"]);
        assert!(rows[0].spans[1].link.is_empty());
    }

    #[test]
    fn a_link_whose_target_holds_a_secret_loses_it() {
        let mut rows = [pb::Row {
            index: 1,
            spans: vec![span("open the report"), span(" plain")],
            wrapped: false,
        }];
        rows[0].spans[0].link = "https://x/?access_token=abcdef123456".into();
        rows[0].spans[1].link = "https://example.org/docs".into();
        redact_rows(&mut rows);
        assert_eq!(rows[0].spans[0].text, "open the report");
        assert!(rows[0].spans[0].link.is_empty());
        assert_eq!(rows[0].spans[1].link, "https://example.org/docs");
    }

    #[test]
    fn a_token_that_wraps_is_masked_on_both_rows() {
        let row = |index, text: &str, wrapped| pb::Row {
            index,
            spans: vec![span(text)],
            wrapped,
        };
        let mut rows = [
            row(7, "key: ghp_0123456789abcdef", true),
            row(8, "ghijklmnopqrstuvwxyz end", false),
            row(9, "ghp_notawrap", false),
        ];
        redact_rows(&mut rows);
        assert_eq!(rows[0].spans[0].text, "key: ********************");
        assert_eq!(rows[1].spans[0].text, "******************** end");
        assert_eq!(rows[2].spans[0].text, "ghp_notawrap");
    }

    #[test]
    fn block_commands_are_masked() {
        let mut b = pb::Block {
            command: "curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.SflKxwRJSMeKKF2QT4fw' x".into(),
            ..Default::default()
        };
        redact_block(&mut b);
        assert!(!b.command.contains("eyJ"), "{}", b.command);
        assert!(b.command.starts_with("curl -H 'Authorization: Bearer "));
    }
}
