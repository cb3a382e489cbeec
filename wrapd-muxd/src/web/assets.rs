//! The page's files, built into the daemon: plain ES modules and CSS from
//! `assets/`, and the schema table the build derives from the `.proto` files
//! (`wrapd_proto::WEB_SCHEMA_JS`). The same bytes for everyone.

/// The page itself (for `/` and every `/s/SHARE/`).
pub const PAGE: &str = include_str!("assets/index.html");

const JS: &str = "text/javascript; charset=utf-8";

/// `/assets/NAME`: (name, content type, body).
const FILES: &[(&str, &str, &str)] = &[
    ("app.js", JS, include_str!("assets/app.js")),
    ("blocks.js", JS, include_str!("assets/blocks.js")),
    ("input.js", JS, include_str!("assets/input.js")),
    ("keys.js", JS, include_str!("assets/keys.js")),
    ("live.js", JS, include_str!("assets/live.js")),
    ("older.js", JS, include_str!("assets/older.js")),
    ("people.js", JS, include_str!("assets/people.js")),
    ("proto.js", JS, include_str!("assets/proto.js")),
    ("rows.js", JS, include_str!("assets/rows.js")),
    ("schema.js", JS, wrapd_proto::WEB_SCHEMA_JS),
    ("screen.js", JS, include_str!("assets/screen.js")),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("assets/style.css"),
    ),
];

/// The asset called `name`: its content type and body.
pub fn asset(name: &str) -> Option<(&'static str, &'static str)> {
    FILES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, kind, body)| (*kind, *body))
}
