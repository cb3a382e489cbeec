//! What the owner sees after `share --invite`: with a `[mail]` relay (a real
//! SMTP server on loopback, Python's aiosmtpd) the link is mailed and the CLI
//! says so; without `[mail]` the CLI says it was not mailed and must be passed
//! on. Either way the link is printed.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use wrapd_e2e::{Daemon, TestEnv, require};

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn owner_env(settings: &str) -> TestEnv {
    let env = TestEnv::new();
    let config = env.dir.path().join("config/wrapd");
    fs::create_dir_all(&config).unwrap();
    fs::write(
        config.join("config.toml"),
        format!(
            "[share]\nlisten = \"127.0.0.1:{}\"\n\
             [identity]\nname = \"Olive Owner\"\nemail = \"olive@example.org\"\n{settings}",
            free_port()
        ),
    )
    .unwrap();
    env
}

fn first_link(out: &str) -> String {
    out.split_whitespace()
        .find(|w| w.starts_with("wrapd://"))
        .unwrap_or_else(|| panic!("no link in: {out}"))
        .to_owned()
}

#[test]
fn without_mail_the_owner_is_told_to_pass_the_link_on() {
    if !require("bash") {
        return;
    }
    let owner = owner_env("");
    let _daemon = Daemon::start(&owner);
    let out = owner.ok(&[
        "share",
        "--new",
        "-t",
        "pairing",
        "--invite",
        "ada@example.org",
    ]);
    first_link(&out);
    assert!(
        out.contains("not mailed: no [mail] relay is configured")
            && out.contains("pass this link on to ada@example.org yourself"),
        "{out}"
    );
}

#[test]
fn with_mail_the_link_is_mailed_and_the_owner_is_told() {
    if !require("bash") {
        return;
    }
    let python_has_aiosmtpd = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !python_has_aiosmtpd {
        let msg = "python3 with aiosmtpd is missing (pip install aiosmtpd)";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}");
        }
        eprintln!("\n*** SKIPPING: {msg} ***\n");
        return;
    }
    let inbox = tempfile::tempdir().unwrap();
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../wrapd-muxd/tests/python/smtp_sink.py");
    let mut sink = Command::new("python3")
        .arg(script)
        .arg(inbox.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(sink.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line.trim().strip_prefix("PORT ").unwrap().parse().unwrap();
    let owner = owner_env(&format!(
        "[mail]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\nfrom = \"wrapd@example.org\"\n"
    ));
    let daemon = Daemon::start(&owner);
    let out = owner.ok(&[
        "share",
        "--new",
        "-t",
        "pairing",
        "--invite",
        "ada@example.org:editor",
    ]);
    let link = first_link(&out);
    assert!(out.contains("(mailed to ada@example.org)"), "{out}");
    let mail = fs::read_to_string(inbox.path().join("1.txt")).expect("the mail arrived");
    assert!(
        mail.contains(&format!("'{link}'")),
        "{link} not in:\n{mail}"
    );
    assert!(
        mail.contains("Olive Owner <olive@example.org> invites you"),
        "{mail}"
    );
    drop(daemon);
    let _ = sink.kill();
    let _ = sink.wait();
}
