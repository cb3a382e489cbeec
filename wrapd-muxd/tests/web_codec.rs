//! The web page's own modules, as served, run in Node:
//! - its protobuf codec (`assets/proto.js`, driven by the schema table the
//!   build derives from the .proto files) against prost, the daemon's own:
//!   messages prost encodes are decoded by the page's code and encoded again,
//!   and prost reads back exactly what it wrote; what the page encodes (its
//!   `AttachRequest`s) prost reads as meant;
//! - its key encoder (`assets/keys.js`), with the cases of `wrapd-attach`'s
//!   `keys.rs`: the same bytes for the same keys and modes;
//! - its stream (`assets/live.js`) against the daemon's close codes: after
//!   4408 (no `start` in time) it opens another stream, after a refusal none.
//!
//! Needs `node` (Debian's `nodejs`; `.ci/run` installs it): skipped loudly
//! without it, a failure when `CI=true`.

use std::process::Command;

use prost::Message;
use wrapd_muxd::web::asset;
use wrapd_proto::pb::{self, attach_event, attach_request, history_answer, history_read};
use wrapd_proto::{attrs, color};

fn node() -> bool {
    let found = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        let msg = "node is missing (Debian's nodejs): the page's codec is not tested";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}");
        }
        eprintln!("\n*** SKIPPING: {msg} ***\n");
    }
    found
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Decodes each argument (hex) as an `AttachEvent`, prints it as JSON and
/// encoded again; then prints an `AttachRequest` of its own.
const SCRIPT: &str = r#"
import { decode, encode, enumValue } from "./proto.js";
const fromHex = (s) => new Uint8Array(s.match(/../g).map((h) => parseInt(h, 16)));
const toHex = (b) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
const bytes = (k, v) => (v instanceof Uint8Array ? [...v] : v);
for (const arg of process.argv.slice(2)) {
  const ev = decode("AttachEvent", fromHex(arg));
  console.log(JSON.stringify(ev, bytes));
  console.log(toHex(encode("AttachEvent", ev)));
}
console.log(toHex(encode("AttachRequest", { start: {
  target: "", size: { cols: 200, rows: 50 }, history_rows: 10000,
  resume_session_id: "s1", resume_seq: 2 ** 40 + 7, resume_screen_start: 123456,
} })));
console.log(toHex(encode("AttachRequest", { input: new TextEncoder().encode("é\r") })));
console.log(toHex(encode("AttachRequest", { select: {} })));
console.log(toHex(encode("AttachRequest", { select: { start_row: 5, start_col: 0, end_row: 6, end_col: 79 } })));
console.log(enumValue("Role", "ROLE_EDITOR"));
console.log(toHex(encode("AttachRequest", { read: { id: 1, rows: { start: 2 ** 40, end: 2 ** 40 + 500 } } })));
console.log(toHex(encode("AttachRequest", { read: { id: 2, search: {
  query: "row-0004", from: 123, backwards: true, case_sensitive: false,
} } })));
"#;

fn events() -> Vec<pb::AttachEvent> {
    let style = pb::Style {
        fg: color::indexed(1),
        bg: color::rgb(1, 2, 3),
        underline_color: color::indexed(200),
        attrs: attrs::BOLD | attrs::INVERSE | attrs::CURLY_UNDERLINE,
    };
    let update = pb::ScreenUpdate {
        seq: (1 << 40) + 3,
        reset: true,
        size: Some(pb::Size { cols: 80, rows: 24 }),
        screen_start: 1_000_000,
        history_start: 12,
        rows: vec![
            pb::Row {
                index: 1_000_000,
                spans: vec![
                    pb::Span {
                        text: "$ ls".into(),
                        ..Default::default()
                    },
                    pb::Span {
                        text: "日本".into(),
                        style: Some(style),
                        wide: true,
                        link: "https://example.org/".into(),
                        cluster: false,
                    },
                    pb::Span {
                        text: "👩\u{200d}💻".into(),
                        wide: true,
                        cluster: true,
                        ..Default::default()
                    },
                ],
                wrapped: true,
            },
            pb::Row::default(),
        ],
        cursor: Some(pb::Cursor {
            col: 4,
            row: 23,
            visible: true,
            shape: pb::CursorShape::Bar as i32,
            blinking: true,
        }),
        modes: Some(pb::Modes {
            application_cursor: true,
            bracketed_paste: true,
            alternate_screen: true,
            mouse_tracking: pb::MouseTracking::Any as i32,
            ..Default::default()
        }),
        title: "vim — notes".into(),
        cwd: "/home/ada".into(),
        bell_count: 2,
        clipboard: None,
        clients: 3,
        session_name: "main".into(),
        exited: Some(pb::ExitStatus {
            code: Some(-1),
            signal: None,
        }),
        blocks: vec![pb::Block {
            id: 7,
            command: "make test".into(),
            started_at_ms: 1_764_900_000_000,
            ended_at_ms: Some(1_764_900_001_500),
            state: pb::BlockState::Finished as i32,
            exit_code: Some(0),
            end_row: Some(999_990),
            ..Default::default()
        }],
    };
    let presence = pb::Presence {
        participants: vec![pb::Participant {
            id: "p1".into(),
            name: "Ada Lovelace".into(),
            role: pb::Role::Editor as i32,
            color: 0x4e79a7,
            initials: "AL".into(),
            connected: true,
            last_input_ms: 1_764_900_000_123,
            selection: Some(pb::Selection {
                block_id: 7,
                ..Default::default()
            }),
            activity: pb::Activity::Typing as i32,
            ..Default::default()
        }],
        you: "p1".into(),
        role: pb::Role::Editor as i32,
    };
    let ended = pb::Ended {
        reason: pb::ended::Reason::Exited as i32,
        exit: Some(pb::ExitStatus {
            code: Some(0),
            signal: None,
        }),
        message: String::new(),
    };
    [
        attach_event::Msg::Update(update),
        attach_event::Msg::Presence(presence),
        attach_event::Msg::Ended(ended),
        attach_event::Msg::Notice(pb::Notice {
            code: "PermissionDenied".into(),
            message: "you are a viewer".into(),
        }),
        // Answers to reads of the history on the stream (older.js).
        attach_event::Msg::Read(pb::HistoryAnswer {
            id: 7,
            answer: Some(history_answer::Answer::Rows(pb::ReadRowsResponse {
                rows: vec![pb::Row {
                    index: (1 << 40) + 1,
                    spans: vec![pb::Span {
                        text: "row-00001".into(),
                        ..Default::default()
                    }],
                    wrapped: false,
                }],
                history_start: 12,
                screen_start: (1 << 40) + 9,
            })),
        }),
        attach_event::Msg::Read(pb::HistoryAnswer {
            id: 8,
            answer: Some(history_answer::Answer::Search(pb::SearchRowsResponse {
                found: Some(pb::SearchMatch {
                    row: 0,
                    col: 0,
                    len: 3,
                }),
            })),
        }),
        attach_event::Msg::Read(pb::HistoryAnswer {
            id: 9,
            answer: Some(history_answer::Answer::Search(pb::SearchRowsResponse {
                found: None,
            })),
        }),
        attach_event::Msg::Read(pb::HistoryAnswer {
            id: 10,
            answer: Some(history_answer::Answer::Refused(pb::Notice {
                code: "ResourceExhausted".into(),
                message: "4 reads".into(),
            })),
        }),
    ]
    .into_iter()
    .map(|m| pb::AttachEvent { msg: Some(m) })
    .collect()
}

/// A directory with the page's modules `names` (as served) and `script`, as
/// ES modules Node runs.
fn modules(names: &[&str], script: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in names {
        let (_, body) = asset(name).expect("served");
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    std::fs::write(dir.path().join("package.json"), r#"{"type": "module"}"#).unwrap();
    std::fs::write(dir.path().join("test.js"), script).unwrap();
    dir
}

/// `node test.js ARGS` in `dir`, which must succeed: what it printed.
fn run(dir: &tempfile::TempDir, args: &[String]) -> String {
    let out = Command::new("node")
        .arg("test.js")
        .args(args)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "node failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Each case: a key event (DOM names), the session's modes, what it sends
/// (`null`: the browser's input element types it).
const KEYS_SCRIPT: &str = r#"
import { encodeKey, encodePaste } from "./keys.js";
const cases = [
  ["a", {}, {}, null], ["c", { ctrl: 1 }, {}, "\x03"], [" ", { ctrl: 1 }, {}, "\x00"],
  ["x", { alt: 1 }, {}, "\x1bx"], ["a", { ctrl: 1, alt: 1 }, {}, "\x1b\x01"],
  ["Enter", {}, {}, "\r"], ["Backspace", {}, {}, "\x7f"], ["Tab", { shift: 1 }, {}, "\x1b[Z"],
  ["ArrowUp", {}, {}, "\x1b[A"], ["ArrowLeft", { ctrl: 1 }, {}, "\x1b[1;5D"],
  ["ArrowRight", { shift: 1, alt: 1 }, {}, "\x1b[1;4C"], ["Home", {}, {}, "\x1b[H"],
  ["Delete", {}, {}, "\x1b[3~"], ["PageUp", { ctrl: 1 }, {}, "\x1b[5;5~"],
  ["PageDown", {}, {}, "\x1b[6~"], ["Escape", {}, {}, "\x1b"],
  ["F1", {}, {}, "\x1bOP"], ["F4", { shift: 1 }, {}, "\x1b[1;2S"], ["F5", {}, {}, "\x1b[15~"],
  ["F12", { ctrl: 1 }, {}, "\x1b[24;5~"],
  ["ArrowUp", {}, { application_cursor: true }, "\x1bOA"],
  ["End", {}, { application_cursor: true }, "\x1bOF"],
  ["ArrowUp", { ctrl: 1 }, { application_cursor: true }, "\x1b[1;5A"],
  ["å", { alt: 1, code: "KeyA" }, {}, "\x1ba"],
  ["c", { meta: 1 }, {}, null],
];
const wrong = [];
for (const [key, m, modes, want] of cases) {
  const e = { key, code: m.code ?? "", ctrlKey: !!m.ctrl, altKey: !!m.alt, shiftKey: !!m.shift,
    metaKey: !!m.meta, isComposing: false };
  const got = encodeKey(e, modes);
  if (got !== want) wrong.push(`${key} ${JSON.stringify(m)} ${JSON.stringify(modes)}: ${JSON.stringify(got)}, not ${JSON.stringify(want)}`);
}
const pastes = [
  [encodePaste("a\nb\r\nc", false), "a\rb\rc"],
  [encodePaste("x", true), "\x1b[200~x\x1b[201~"],
  [encodePaste("a\x1b[201~\x1b[20\x1b[201~1~b", true), "\x1b[200~ab\x1b[201~"],
];
for (const [got, want] of pastes) {
  if (got !== want) wrong.push(`paste: ${JSON.stringify(got)}, not ${JSON.stringify(want)}`);
}
console.log(wrong.join("\n"));
"#;

#[test]
fn the_pages_keys_encode_like_wrapd_attach() {
    if !node() {
        return;
    }
    let dir = modules(&["keys.js"], KEYS_SCRIPT);
    let stdout = run(&dir, &[]);
    assert!(stdout.trim().is_empty(), "keys encoded wrongly:\n{stdout}");
}

#[test]
fn the_pages_codec_reads_and_writes_what_prost_does() {
    if !node() {
        return;
    }
    let dir = modules(&["proto.js", "schema.js"], SCRIPT);
    let events = events();
    let args: Vec<String> = events
        .iter()
        .map(|e| {
            let mut bytes = e.encode_to_vec();
            // A field this page does not know (number 15, a varint): skipped.
            bytes.extend_from_slice(&[15 << 3, 0x96, 0x01]);
            hex(&bytes)
        })
        .collect();
    let stdout = run(&dir, &args);
    let lines: Vec<&str> = stdout.lines().collect();
    for (i, event) in events.iter().enumerate() {
        let again = pb::AttachEvent::decode(&unhex(lines[2 * i + 1])[..]).unwrap();
        assert_eq!(&again, event, "round trip of {}", lines[2 * i]);
    }
    // What the page sees, as it sees it.
    let update: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(update["msg"], "update");
    let u = &update["update"];
    assert_eq!(u["seq"], (1u64 << 40) + 3);
    assert_eq!(u["rows"][0]["spans"][1]["text"], "日本");
    assert_eq!(u["rows"][0]["spans"][1]["style"]["fg"], 2);
    assert_eq!(u["rows"][0]["spans"][0]["style"], serde_json::Value::Null);
    assert_eq!(u["rows"][1]["spans"], serde_json::json!([]));
    assert_eq!(u["exited"]["code"], -1);
    assert_eq!(u["clipboard"], serde_json::Value::Null);
    assert_eq!(
        u["blocks"][0]["exit_code"], 0,
        "optional, set to its default"
    );
    assert!(
        u["blocks"][0].get("end_col").is_some() && u["blocks"][0]["end_col"] == 0,
        "every field present"
    );
    let presence: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
    assert_eq!(
        presence["presence"]["participants"][0]["selection"]["block_id"],
        7
    );

    let requests = &lines[2 * events.len()..];
    let req = |i: usize| {
        pb::AttachRequest::decode(&unhex(requests[i])[..])
            .unwrap()
            .msg
            .unwrap()
    };
    assert_eq!(
        req(0),
        attach_request::Msg::Start(pb::AttachStart {
            size: Some(pb::Size {
                cols: 200,
                rows: 50
            }),
            history_rows: 10000,
            resume_session_id: "s1".into(),
            resume_seq: (1 << 40) + 7,
            resume_screen_start: 123_456,
            ..Default::default()
        })
    );
    assert_eq!(
        req(1),
        attach_request::Msg::Input("é\r".as_bytes().to_vec())
    );
    assert_eq!(
        req(2),
        attach_request::Msg::Select(pb::Selection::default()),
        "clearing a highlight is an empty selection, present"
    );
    assert_eq!(
        req(3),
        attach_request::Msg::Select(pb::Selection {
            block_id: 0,
            start_row: 5,
            start_col: 0,
            end_row: 6,
            end_col: 79,
        })
    );
    assert_eq!(requests[4], (pb::Role::Editor as i32).to_string());
    let read = |id, read| {
        attach_request::Msg::Read(pb::HistoryRead {
            id,
            read: Some(read),
        })
    };
    assert_eq!(
        req(5),
        read(
            1,
            history_read::Read::Rows(pb::ReadRowsRequest {
                target: String::new(),
                start: 1 << 40,
                end: (1 << 40) + 500,
            })
        )
    );
    assert_eq!(
        req(6),
        read(
            2,
            history_read::Read::Search(pb::SearchRowsRequest {
                query: "row-0004".into(),
                from: 123,
                backwards: true,
                ..Default::default()
            })
        )
    );
    // The answers as the page reads them (older.js's `Reads`).
    let answer = |i: usize| -> serde_json::Value {
        serde_json::from_str(lines[2 * (events.len() - 4 + i)]).unwrap()
    };
    let rows = answer(0);
    assert_eq!(
        (rows["msg"].as_str(), rows["read"]["answer"].as_str()),
        (Some("read"), Some("rows"))
    );
    assert_eq!(rows["read"]["rows"]["rows"][0]["index"], (1u64 << 40) + 1);
    assert_eq!(answer(1)["read"]["search"]["found"]["len"], 3);
    assert_eq!(
        answer(2)["read"]["search"]["found"],
        serde_json::Value::Null
    );
    assert_eq!(answer(3)["read"]["refused"]["message"], "4 reads");
}

/// `live.js` with a stand-in WebSocket the script opens and closes: how many
/// sockets the page opened after each close, and its last state.
const LIVE_SCRIPT: &str = r#"
import { Live } from "./live.js";
const sockets = [];
globalThis.WebSocket = class {
  static OPEN = 1;
  static CLOSED = 3;
  constructor() { this.readyState = 0; this.sent = 0; sockets.push(this); }
  send() { this.sent += 1; }
  close() {}
};
// Retries at once.
globalThis.setTimeout = (f) => f();
const states = [];
const live = new Live("ws://h/s/1/ws", () => ({}), {
  event() {},
  state(name, message) { states.push([name, message ?? null]); },
}, async () => null);
live.connect();
for (const [code, reason] of [[4408, "no `start` within 5 s"], [4403, "the owner removed you"]]) {
  const s = sockets.at(-1);
  s.readyState = 1;
  s.onopen();
  s.readyState = 3;
  await s.onclose({ code, reason });
  console.log(JSON.stringify([code, sockets.length, sockets[0].sent, states.at(-1)]));
}
"#;

#[test]
fn the_page_opens_another_stream_after_4408_and_none_after_a_refusal() {
    if !node() {
        return;
    }
    let dir = modules(&["live.js", "proto.js", "schema.js"], LIVE_SCRIPT);
    let stdout = run(&dir, &[]);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // 4408: a second socket, which sends its own `start`; said as reconnecting.
    assert_eq!(
        lines[0],
        serde_json::json!([4408, 2, 1, ["reconnecting", null]])
    );
    // A refusal: no third socket, and the page says why, for good.
    assert_eq!(
        lines[1],
        serde_json::json!([4403, 2, 1, ["final", "the owner removed you"]])
    );
}
