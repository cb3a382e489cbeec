//! Shell completions and man pages of both programs, as a user installs them:
//! the scripts load in real bash, zsh and fish and complete real commands; the
//! pages render in `man` and describe every command.

use std::path::Path;
use std::process::{Command, Output};

use wrapd_e2e::{TestEnv, require};

fn run(env: &TestEnv, program: &str, args: &[&str]) -> String {
    let out = env.command(program).args(args).output().unwrap();
    assert!(out.status.success(), "{program} {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// Write `program`'s completion script for `shell` into the test dir.
fn script(env: &TestEnv, program: &str, shell: &str) -> std::path::PathBuf {
    let path = env.dir.path().join(format!("{program}.{shell}"));
    std::fs::write(&path, run(env, program, &["completions", shell])).unwrap();
    path
}

fn output(out: Output) -> String {
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// What bash's completion offers for `line` (the cursor at its end), with
/// the script loaded as bash-completion would.
fn bash_completes(script: &Path, program: &str, line: &str) -> Vec<String> {
    let words: Vec<&str> = line.split(' ').collect();
    let shell = format!(
        "source {script}\n\
         fn=$(complete -p {program} | sed -E 's/.* -F ([^ ]+) .*/\\1/')\n\
         COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}\n\
         COMP_WORDS=({words}); COMP_CWORD={cword}\n\
         \"$fn\" {program} '{current}' '{previous}' 2>/dev/null\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script = script.display(),
        words = words
            .iter()
            .map(|w| format!("'{w}'"))
            .collect::<Vec<_>>()
            .join(" "),
        cword = words.len() - 1,
        current = words[words.len() - 1],
        previous = words[words.len().saturating_sub(2)],
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &shell])
        .output()
        .unwrap();
    output(out).lines().map(str::to_owned).collect()
}

/// What fish's completion offers for `line` (without descriptions).
fn fish_completes(env: &TestEnv, script: &Path, line: &str) -> Vec<String> {
    let out = Command::new("fish")
        .env("HOME", env.home())
        .env("XDG_CONFIG_HOME", env.dir.path().join("config"))
        .args(["--no-config", "-c"])
        .arg(format!("source {}; complete -C '{line}'", script.display()))
        .output()
        .unwrap();
    output(out)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn completions_load_in_each_shell_and_complete_real_commands() {
    let env = TestEnv::new();
    // A program, a partial command and what it completes to, a command and
    // its own commands.
    for (program, partial, want, under, under_want) in [
        (
            "wrapd-attach",
            "bl",
            &["block", "blocks"][..],
            "share",
            &["ls", "stop", "audit"][..],
        ),
        (
            "wrapd-muxd",
            "install",
            &["install-service"][..],
            "team",
            &["init", "issue"][..],
        ),
    ] {
        if require("bash") {
            let bash = script(&env, program, "bash");
            let got = bash_completes(&bash, program, &format!("{program} {partial}"));
            for &w in want {
                assert!(got.contains(&w.to_owned()), "bash: {got:?}");
            }
            let got = bash_completes(&bash, program, &format!("{program} {under} "));
            for &w in under_want {
                assert!(got.contains(&w.to_owned()), "bash, {under}: {got:?}");
            }
        }
        if require("fish") {
            let fish = script(&env, program, "fish");
            let got = fish_completes(&env, &fish, &format!("{program} {partial}"));
            for &w in want {
                assert!(got.contains(&w.to_owned()), "fish: {got:?}");
            }
            let got = fish_completes(&env, &fish, &format!("{program} {under} "));
            for &w in under_want {
                assert!(got.contains(&w.to_owned()), "fish, {under}: {got:?}");
            }
        }
        if require("zsh") {
            let zsh = script(&env, program, "zsh");
            let text = std::fs::read_to_string(&zsh).unwrap();
            assert!(text.starts_with(&format!("#compdef {program}")), "{text}");
            let out = Command::new("zsh").args(["-n"]).arg(&zsh).output().unwrap();
            assert!(out.status.success(), "zsh -n: {out:?}");
        }
        for shell in ["elvish", "powershell"] {
            let text = run(&env, program, &["completions", shell]);
            assert!(
                text.contains(want[0]) && text.contains(under),
                "{shell}: {text}"
            );
        }
    }
    // The commands' own options too.
    if require("fish") {
        let fish = script(&env, "wrapd-attach", "fish");
        let got = fish_completes(&env, &fish, "wrapd-attach share --");
        assert!(got.contains(&"--scrollback".to_owned()), "{got:?}");
    }

    let out = env
        .command("wrapd-attach")
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("possible values: bash, elvish, fish, powershell, zsh"),
        "{err}"
    );
}

/// `man -l FILE` as plain text.
fn render(page: &Path) -> String {
    let out = Command::new("man")
        .env("MANWIDTH", "100")
        .env("MANPAGER", "cat")
        .env("LANG", "C.UTF-8")
        .arg("-l")
        .arg(page)
        .output()
        .unwrap();
    output(out)
}

#[test]
fn man_pages_for_every_command_render() {
    if !require("man") {
        return;
    }
    let env = TestEnv::new();
    let dir = env.dir.path().join("man/man1");
    let said = run(
        &env,
        "wrapd-attach",
        &["man", "--dir", dir.to_str().unwrap()],
    );
    assert!(
        said.contains("wrote ") && said.contains("wrapd-attach-share-ls.1"),
        "{said}"
    );
    run(&env, "wrapd-muxd", &["man", "--dir", dir.to_str().unwrap()]);
    for name in [
        "wrapd-attach",
        "wrapd-attach-new",
        "wrapd-attach-share",
        "wrapd-attach-share-ls",
        "wrapd-attach-completions",
        "wrapd-muxd",
        "wrapd-muxd-serve",
        "wrapd-muxd-team-issue",
    ] {
        assert!(dir.join(format!("{name}.1")).is_file(), "{name}.1");
    }

    let attach = render(&dir.join("wrapd-attach.1"));
    assert!(
        attach.contains("wrapd-attach - The wrapd client: attach to, create and script"),
        "{attach}"
    );
    for command in [
        "wrapd-attach-blocks(1)",
        "wrapd-attach-share(1)",
        "wrapd-attach-man(1)",
    ] {
        assert!(attach.contains(command), "{command}: {attach}");
    }
    let issue = render(&dir.join("wrapd-muxd-team-issue.1"));
    assert!(
        issue.contains("wrapd-muxd 0.1.0"),
        "the program at its foot: {issue}"
    );
    assert!(issue.contains("<EMAIL>"), "{issue}");
    assert!(issue.contains("The member's email"), "{issue}");

    // Without --dir: the program's page, as `man -l -` reads it.
    let page = run(&env, "wrapd-muxd", &["man"]);
    assert!(page.contains("\n.TH wrapd-muxd 1 "), "{page}");
    assert!(page.contains("install\\-service"), "{page}");
}
