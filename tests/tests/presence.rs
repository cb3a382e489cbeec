//! Presence as a person sees it on the status line: two joiners in tmux
//! windows while the owner is detached, then attached, then detached again;
//! idle marks that arrive by themselves; badges counted as shown; notices
//! that never push the badges off. A real daemon, real TLS, real bash.

use std::fs;

use wrapd_e2e::{Daemon, Outer, TestEnv, require, wait_until};

fn tools() -> bool {
    require("tmux") && require("bash")
}

fn prompt_ready(s: &str) -> bool {
    s.lines().any(|l| l == "$" || l.starts_with("$ "))
}

fn status_line(screen: &str) -> &str {
    screen.lines().last().unwrap_or("")
}

/// The owner: a daemon on a free share port; anyone quiet for a second
/// counts as idle.
fn owner_env() -> TestEnv {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = TestEnv::new();
    let config = env.dir.path().join("config/wrapd");
    fs::create_dir_all(&config).unwrap();
    fs::write(
        config.join("config.toml"),
        format!(
            "[share]\nlisten = \"127.0.0.1:{port}\"\nidle_after = \"1s\"\n\
             [identity]\nname = \"Olive Owner\"\nemail = \"olive@example.org\"\n"
        ),
    )
    .unwrap();
    env
}

#[test]
fn joiners_see_everyone_right_while_the_owner_comes_and_goes() {
    if !tools() {
        return;
    }
    let owner = owner_env();
    let _daemon = Daemon::start(&owner);
    owner.ok(&["new", "-d", "-s", "work"]);
    let shared = owner.ok(&["share", "-t", "work", "--link", "editor"]);
    let link = shared
        .split_whitespace()
        .find(|w| w.starts_with("wrapd://"))
        .unwrap_or_else(|| panic!("no link in: {shared}"))
        .to_owned();

    // Ada and Bo join; the owner is not attached.
    let ada = TestEnv::new();
    let bo = TestEnv::new();
    let outer = Outer::start(&ada.shell_line(&[&link, "--name", "Ada"]), 100, 20);
    outer.open("bo", &bo.shell_line(&[&link, "--name", "Bo"]), 100, 20);
    let screen = outer.wait_for("main", "Ada sees all three badges", &owner, |s| {
        let line = status_line(s);
        prompt_ready(s) && line.contains("Olive Owne:★ away") && line.contains("Bo:e")
    });
    assert!(status_line(&screen).contains("Ada(you):e"), "{screen}");

    // Nothing happens: Bo's idle mark arrives by itself (pushed by the
    // daemon); Ada's own badge never shows hers.
    let screen = outer.wait_for("main", "Bo idle at Ada's", &owner, |s| {
        status_line(s).contains("Bo:ez")
    });
    assert!(status_line(&screen).contains("Ada(you):e "), "{screen}");

    // Bo runs a command and highlights its block; Ada's prefix 3 is the third
    // badge from the left (Olive, Ada, Bo): Bo's highlight.
    outer.run("bo", "echo from-bo-$((6*7))");
    outer.wait_for("main", "Bo's output at Ada's", &owner, |s| {
        s.contains("from-bo-42\n")
    });
    outer.keys("bo", &["C-b", "{"]);
    outer.wait_for("bo", "Bo's block selected", &owner, |s| {
        s.contains("[block ")
    });
    outer.keys("main", &["C-b", "3"]);
    let jumped = wait_until(
        "Ada at Bo's highlight",
        || {
            let s = outer.screen("main");
            if s.contains("highlights nothing") {
                // His highlight was still on the way: again (a failed jump
                // stays in normal mode, so nothing is typed).
                outer.keys("main", &["C-b", "3"]);
            }
            s.contains("Bo's highlight").then_some(s)
        },
        || format!("{}\n{}", outer.screen("main"), owner.log_tail()),
    );
    // Scroll mode, the block and the notice fill the left of the status line:
    // they are cut, every badge stays whole.
    let line = status_line(&jumped);
    assert!(line.contains("[block "), "{jumped}");
    for badge in ["Olive Owne:★ away", "Ada(you):e", "Bo:e"] {
        assert!(line.contains(badge), "`{badge}` in: {line}");
    }
    outer.keys("main", &["q"]);

    // The owner attaches: here, not away; detaches: away again.
    outer.open(
        "owner",
        &owner.shell_line(&["attach", "-t", "work"]),
        100,
        20,
    );
    outer.wait_for("main", "the owner here at Ada's", &owner, |s| {
        let line = status_line(s);
        line.contains("Olive Owne:★") && !line.contains("away")
    });
    outer.wait_for("owner", "the owner sees both joiners", &owner, |s| {
        let line = status_line(s);
        line.contains("Olive Owne(you):★") && line.contains("Ada:e") && line.contains("Bo:e")
    });
    outer.keys("owner", &["C-b", "d"]);
    outer.wait_for("bo", "the owner away again at Bo's", &owner, |s| {
        status_line(s).contains("Olive Owne:★ away")
    });
}
