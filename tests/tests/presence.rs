//! Presence as a person sees it on the status line: two joiners in tmux
//! windows while the owner is detached, then attached, then detached again;
//! idle marks that arrive by themselves; badges counted as shown; a status
//! line too long for its terminal cut before any badge is. A real daemon,
//! real TLS, real bash.

use std::fs;

use wrapd_e2e::{Daemon, Outer, TestEnv, require};

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
    let outer = Outer::start(&ada.shell_line(&[&link, "--name", "Ada"]), 160, 20);
    // Ada joins first, so the badges' order (by joining) is Olive, Ada, Bo.
    outer.wait_for("main", "Ada joined", &owner, |s| {
        status_line(s).contains("Ada(you)")
    });
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

    // Prefix 1..9 counts the badges as shown, ours included: Olive (away:
    // nothing highlighted), Ada (us), Bo.
    for (key, said) in [
        ("3", "Bo highlights nothing"),
        ("2", "you highlight nothing"),
        ("1", "Olive Owner highlights nothing"),
    ] {
        outer.keys("main", &["C-b", key]);
        outer.wait_for("main", said, &owner, |s| status_line(s).contains(said));
    }

    // At Bo's, in a narrower terminal, the role, notice and title do not
    // fit: they are cut, every badge stays whole.
    outer.keys("bo", &["C-b", "2"]);
    let screen = outer.wait_for("bo", "Bo's badges whole", &owner, |s| {
        status_line(s).contains("BO Bo(you):e")
    });
    let line = status_line(&screen);
    assert!(line.starts_with("[work] [editor · share"), "{line}");
    assert!(
        !line.contains("highlights nothing"),
        "the notice is cut: {line}"
    );
    for badge in ["Olive Owne:★ away", "Ada:e", "Bo(you):e"] {
        assert!(line.contains(badge), "`{badge}` in: {line}");
    }

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
