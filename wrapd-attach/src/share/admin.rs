//! The owner's share commands, over the daemon's socket (`ShareAdmin`):
//! `share`, `share ls`, `share stop`, `share audit`, `access`.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::Result;
use serde_json::json;
use tonic::transport::Channel;
use wrapd_proto::pb;
use wrapd_proto::pb::share_admin_client::ShareAdminClient;
use wrapd_proto::pb::update_access_request::Change;

use super::cli::{AccessArgs, ShareArgs, ShareCommand, StartArgs};
use wrapd_common::human;

use crate::commands::{iso8601, refused};
use crate::connect;

pub type AdminClient = ShareAdminClient<Channel>;

pub async fn admin_client(socket: &Path) -> Result<AdminClient> {
    Ok(ShareAdminClient::new(connect::channel(socket).await?))
}

/// The session a command means when none is named: the one it runs in.
pub fn default_target(target: Option<String>) -> String {
    target
        .or_else(|| std::env::var("WRAPD_SESSION_ID").ok())
        .unwrap_or_default()
}

pub async fn run_share(socket: &Path, args: ShareArgs) -> Result<()> {
    match args.command {
        None => start(socket, &args.start).await,
        Some(ShareCommand::Ls { json }) => ls(&mut admin_client(socket).await?, json).await,
        Some(ShareCommand::Stop { target, all }) => {
            let req = pb::StopShareRequest {
                target: if all {
                    String::new()
                } else {
                    default_target(target)
                },
                all,
            };
            let stopped = admin_client(socket)
                .await?
                .stop_share(req)
                .await
                .map_err(refused)?
                .into_inner()
                .share_ids;
            match stopped.len() {
                0 => println!("no share was running"),
                n => println!("stopped {n} share{}: {}", plural(n), stopped.join(", ")),
            }
            Ok(())
        }
        Some(ShareCommand::Audit { target, json }) => {
            let req = pb::GetAuditLogRequest {
                target: default_target(target),
            };
            let entries = admin_client(socket)
                .await?
                .get_audit_log(req)
                .await
                .map_err(refused)?
                .into_inner()
                .entries;
            print_audit(&entries, json)
        }
    }
}

pub fn start_request(args: &StartArgs) -> pb::StartShareRequest {
    let target = if args.new {
        args.target.clone().unwrap_or_default()
    } else {
        default_target(args.target.clone())
    };
    pb::StartShareRequest {
        target: target.clone(),
        new_session: args.new,
        create_request: args.new.then(|| pb::CreateSessionRequest {
            name: target,
            ..crate::commands::create_request(&Default::default(), None)
        }),
        start: args.share_start(),
        invites: args.invite.iter().map(|i| i.to_pb()).collect(),
        link_role: args.link_role() as i32,
        team_role: args.team.map_or(pb::Role::Unspecified, |r| r.role()) as i32,
        link_host: args.host.clone().unwrap_or_default(),
        link_via: args.via.clone().unwrap_or_default(),
    }
}

async fn start(socket: &Path, args: &StartArgs) -> Result<()> {
    if args.new {
        // A new session needs a daemon: start one if none runs.
        connect::connect_or_start(socket).await?;
    }
    let info = admin_client(socket)
        .await?
        .start_share(start_request(args))
        .await
        .map_err(refused)?
        .into_inner();
    print_info(&info, args.json)?;
    copy_links(&info);
    Ok(())
}

/// Inside a wrapd session, put the first link on the clipboard (OSC 52:
/// the attached client passes it to its terminal).
fn copy_links(info: &pb::ShareInfo) {
    let Some(link) = info.links.first() else {
        return;
    };
    let mut out = std::io::stdout();
    if std::env::var_os("WRAPD_SESSION_ID").is_some() && out.is_terminal() {
        let _ = write!(
            out,
            "\x1b]52;c;{}\x07",
            crate::base64::encode(link.url.as_bytes())
        );
        let _ = out.flush();
        eprintln!("(the link is on your clipboard)");
    }
}

pub async fn access(socket: &Path, args: AccessArgs) -> Result<()> {
    let mut admin = admin_client(socket).await?;
    let target = args.target.clone();
    let answer = |who: &String, grant| pb::AnswerControlRequestRequest {
        target: target.clone(),
        participant: who.clone(),
        grant,
    };
    let info = if let Some(who) = &args.allow_control {
        admin.answer_control_request(answer(who, true)).await
    } else if let Some(who) = &args.deny_control {
        admin.answer_control_request(answer(who, false)).await
    } else {
        let change = if let Some(i) = &args.invite {
            Change::Invite(i.to_pb())
        } else if let Some(e) = &args.grant_edit {
            Change::GrantEdit(e.clone())
        } else if let Some(e) = &args.revoke_edit {
            Change::RevokeEdit(e.clone())
        } else if let Some(e) = &args.remove {
            Change::Remove(e.clone())
        } else if let Some(r) = args.link {
            Change::LinkRole(r.role() as i32)
        } else if let Some(r) = args.team {
            Change::TeamRole(r.role() as i32)
        } else {
            unreachable!("clap requires one change")
        };
        let req = pb::UpdateAccessRequest {
            target: target.clone(),
            change: Some(change),
        };
        admin.update_access(req).await
    }
    .map_err(refused)?
    .into_inner();
    if args.json {
        return print_info(&info, true);
    }
    if let Some(i) = &args.invite {
        // The new invitation's link is the one for that email.
        for l in info.links.iter().filter(|l| l.kind == i.email) {
            println!("{} ({}): {}", l.kind, role_name(l.role()), l.url);
            if !l.web_url.is_empty() {
                println!("  in a browser: {}", l.web_url);
            }
            if let Some(note) = mail_note(l) {
                println!("{note}");
            }
        }
        return Ok(());
    }
    if args.remove.is_some() {
        for line in rotated_link_lines(&info) {
            println!("{line}");
        }
    }
    print_info(&info, false)
}

/// After removing someone who came by the link, the daemon gives the link a
/// new secret (they still know the old one) and returns it: say so.
fn rotated_link_lines(info: &pb::ShareInfo) -> Vec<String> {
    info.links
        .iter()
        .filter(|l| l.kind == "link")
        .flat_map(|l| {
            [
                "The old share link no longer works (the person removed knew it); \
                 give this new one to anyone who should still join:"
                    .to_owned(),
                format!("link ({}): {}", role_name(l.role()), l.url),
            ]
            .into_iter()
            .chain(
                Some(&l.web_url)
                    .filter(|w| !w.is_empty())
                    .map(|w| format!("  in a browser: {w}")),
            )
        })
        .collect()
}

async fn ls(admin: &mut AdminClient, json: bool) -> Result<()> {
    let shares = admin
        .list_shares(pb::ListSharesRequest {})
        .await
        .map_err(refused)?
        .into_inner()
        .shares;
    if json {
        let list: Vec<_> = shares.iter().map(info_json).collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    if shares.is_empty() {
        println!("no shares");
    }
    for info in &shares {
        print_info(info, false)?;
    }
    Ok(())
}

pub fn role_name(role: pb::Role) -> &'static str {
    match role {
        pb::Role::Unspecified => "off",
        pb::Role::Viewer => "viewer",
        pb::Role::Editor => "editor",
        pb::Role::Owner => "owner",
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn print_info(info: &pb::ShareInfo, json: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&info_json(info))?)?;
        return Ok(());
    }
    let from = start_name(info);
    writeln!(
        out,
        "{} (share {}): {from}; link {}, team {}; {} of {} sent",
        info.session_name,
        info.share_id,
        role_name(info.link_role()),
        role_name(info.team_role()),
        human::bytes(info.bytes_sent),
        human::bytes(info.bytes_limit),
    )?;
    for l in &info.links {
        writeln!(out, "  {} ({}): {}", l.kind, role_name(l.role()), l.url)?;
        if !l.web_url.is_empty() {
            writeln!(out, "    in a browser: {}", l.web_url)?;
        }
        if let Some(note) = secretless_note(info, l) {
            writeln!(out, "    {note}")?;
        }
        if let Some(note) = mail_note(l) {
            writeln!(out, "    {note}")?;
        }
    }
    for p in &info.participants {
        writeln!(out, "  {}", participant_line(p))?;
    }
    Ok(())
}

/// Under a link listed without its secret (listings carry none: the daemon
/// keeps only its hash and showed it once, when made): that this form lets
/// nobody in, and the command that makes a new one.
fn secretless_note(info: &pb::ShareInfo, l: &pb::ShareLink) -> Option<String> {
    if l.url.contains('#') || l.kind == "team" {
        return None;
    }
    let target = &info.session_name;
    Some(if l.kind == "link" {
        format!(
            "(without its secret, shown once when made: this form lets nobody in; \
             a new link: `wrapd-attach access -t {target} --link {}`, the old one then stops working)",
            role_name(l.role())
        )
    } else {
        let editor = if l.role() == pb::Role::Editor {
            ":editor"
        } else {
            ""
        };
        format!(
            "(invitation without its secret, shown once when made: this form lets nobody in; \
             a new one: `wrapd-attach access -t {target} --invite {}{editor}`)",
            l.kind
        )
    })
}

/// For a new invitation: whether the daemon emailed its link, and if not,
/// that the owner must pass it on.
fn mail_note(l: &pb::ShareLink) -> Option<String> {
    match l.mail() {
        pb::InviteMail::Unspecified => None,
        pb::InviteMail::Sent => Some(format!("(mailed to {})", l.kind)),
        pb::InviteMail::NotConfigured => Some(format!(
            "(not mailed: no [mail] relay is configured; pass this link on to {} yourself)",
            l.kind
        )),
        pb::InviteMail::Failed => Some(format!(
            "(NOT mailed: {}; the invitation stands: pass this link on to {} yourself)",
            l.mail_error, l.kind
        )),
    }
}

fn mail_json(l: &pb::ShareLink) -> serde_json::Value {
    match l.mail() {
        pb::InviteMail::Unspecified => serde_json::Value::Null,
        pb::InviteMail::Sent => json!("sent"),
        pb::InviteMail::NotConfigured => json!("not configured"),
        pb::InviteMail::Failed => json!({ "failed": l.mail_error }),
    }
}

/// Where a share starts, as the owner chose it: "with scrollback",
/// "without scrollback", "from block 7 on".
fn start_name(info: &pb::ShareInfo) -> String {
    use pb::share_start::From;
    match info.start.as_ref().and_then(|s| s.from.as_ref()) {
        Some(From::Scrollback(_)) => "with scrollback".to_owned(),
        Some(From::NoScrollback(_)) => "without scrollback".to_owned(),
        Some(From::BlockId(b)) => format!("from block {b} on"),
        None if info.start_row == 0 => "with scrollback".to_owned(),
        None => format!("from row {}", info.start_row),
    }
}

/// `[AL] Ada Lovelace <ada@x.org> editor, connected (id 3) — asks for control`
pub fn participant_line(p: &pb::Participant) -> String {
    let mut s = format!("[{}] {}", p.initials, p.name);
    match (p.name.is_empty(), p.email.is_empty()) {
        (true, false) => s.push_str(&p.email),
        (false, false) => s.push_str(&format!(" <{}>", p.email)),
        _ => {}
    }
    s.push_str(&format!(" {}", role_name(p.role())));
    s.push_str(if p.removed {
        ", removed"
    } else if p.connected {
        ", connected"
    } else {
        ", not connected"
    });
    // The id names them for `access` when names or emails are shared.
    if p.id != "owner" {
        s.push_str(&format!(" (id {})", p.id));
    }
    if p.control_requested {
        s.push_str(" — asks for control");
    }
    s
}

fn participant_json(p: &pb::Participant) -> serde_json::Value {
    json!({
        "id": p.id,
        "name": p.name,
        "email": p.email,
        "role": role_name(p.role()),
        "color": format!("#{:06x}", p.color),
        "initials": p.initials,
        "connected": p.connected,
        "control_requested": p.control_requested,
        "removed": p.removed,
        "last_input_ms": p.last_input_ms,
        "last_seen_ms": p.last_seen_ms,
        "selection": p.selection.as_ref().map(|s| if s.block_id != 0 {
            json!({ "block_id": s.block_id })
        } else {
            json!({
                "start_row": s.start_row, "start_col": s.start_col,
                "end_row": s.end_row, "end_col": s.end_col,
            })
        }),
    })
}

fn info_json(info: &pb::ShareInfo) -> serde_json::Value {
    json!({
        "share_id": info.share_id,
        "session_id": info.session_id,
        "session_name": info.session_name,
        "created_at": iso8601(info.created_at_ms),
        "start": start_name(info),
        "start_row": info.start_row,
        "start_block": info.start_block,
        "link_role": role_name(info.link_role()),
        "team_role": role_name(info.team_role()),
        "links": info.links.iter().map(|l| json!({
            "kind": l.kind, "role": role_name(l.role()), "url": l.url,
            "web_url": l.web_url, "mail": mail_json(l),
        })).collect::<Vec<_>>(),
        "participants": info.participants.iter().map(participant_json).collect::<Vec<_>>(),
        "pending_control_requests": info.participants.iter()
            .filter(|p| p.control_requested).map(|p| p.email.clone()).collect::<Vec<_>>(),
        "bytes_sent": info.bytes_sent,
        "bytes_limit": info.bytes_limit,
    })
}

fn print_audit(entries: &[pb::AuditEntry], json: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        let list: Vec<_> = entries
            .iter()
            .map(|e| {
                json!({
                    "at": iso8601(e.at_ms), "at_ms": e.at_ms, "participant_id": e.participant_id,
                    "name": e.name, "email": e.email, "action": e.action, "detail": e.detail,
                    "count": e.count.max(1),
                    "last_at": (e.count > 1).then(|| iso8601(e.last_at_ms)),
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
        return Ok(());
    }
    for e in entries {
        writeln!(out, "{}", audit_line(e))?;
    }
    Ok(())
}

/// One entry as `share audit` prints it; repeats say how often and when last.
fn audit_line(e: &pb::AuditEntry) -> String {
    let who = match (e.name.is_empty(), e.email.is_empty()) {
        _ if e.action == "dropped" => "daemon".to_owned(),
        _ if e.participant_id.is_empty() => "owner".to_owned(),
        (false, false) => format!("{} <{}>", e.name, e.email),
        (false, true) => e.name.clone(),
        (true, false) => e.email.clone(),
        (true, true) => e.participant_id.clone(),
    };
    let mut line = format!("{} {who} {}: {}", iso8601(e.at_ms), e.action, e.detail);
    if e.count > 1 {
        line.push_str(&format!(" (×{}, last {})", e.count, iso8601(e.last_at_ms)));
    }
    line
}

#[cfg(test)]
mod rotation_tests {
    use super::*;

    #[test]
    fn a_repeated_audit_entry_says_how_often_and_when_last() {
        let e = pb::AuditEntry {
            at_ms: 0,
            participant_id: "p2".into(),
            name: "Vic".into(),
            action: "control-requested".into(),
            count: 500,
            last_at_ms: 60_000,
            ..Default::default()
        };
        let line = audit_line(&e);
        assert!(line.starts_with(&iso8601(0)), "{line}");
        assert!(line.contains("Vic control-requested: "), "{line}");
        assert!(
            line.ends_with(&format!("(×500, last {})", iso8601(60_000))),
            "{line}"
        );
        let once = pb::AuditEntry { count: 0, ..e };
        assert!(!audit_line(&once).contains('×'));
    }

    #[test]
    fn a_rotated_link_is_printed_with_a_warning_about_the_old_one() {
        let mut info = pb::ShareInfo::default();
        assert!(
            rotated_link_lines(&info).is_empty(),
            "no link, nothing said"
        );
        info.links.push(pb::ShareLink {
            kind: "link".into(),
            role: pb::Role::Viewer as i32,
            url: "wrapd://new".into(),
            web_url: "https://h/s/a/#new".into(),
            ..Default::default()
        });
        let lines = rotated_link_lines(&info);
        assert!(
            lines[0].contains("old share link no longer works"),
            "{lines:?}"
        );
        assert!(lines[1].contains("wrapd://new"), "{lines:?}");
        assert!(
            lines[2].contains("in a browser: https://h/s/a/#new"),
            "{lines:?}"
        );
    }
}

#[cfg(test)]
mod listing_tests {
    use super::*;

    #[test]
    fn a_link_listed_without_its_secret_says_how_to_make_a_new_one() {
        let info = pb::ShareInfo {
            session_name: "work".into(),
            ..Default::default()
        };
        let link = |kind: &str, role: pb::Role, url: &str| pb::ShareLink {
            kind: kind.into(),
            role: role as i32,
            url: url.into(),
            ..Default::default()
        };
        let note = secretless_note(&info, &link("link", pb::Role::Viewer, "wrapd://h:1/s/a"));
        let note = note.unwrap();
        assert!(note.contains("shown once"), "{note}");
        assert!(
            note.contains("`wrapd-attach access -t work --link viewer`"),
            "{note}"
        );
        let invite = link("ada@x.org", pb::Role::Editor, "wrapd://h:1/s/a");
        let note = secretless_note(&info, &invite).unwrap();
        assert!(
            note.contains("`wrapd-attach access -t work --invite ada@x.org:editor`"),
            "{note}"
        );
        // A link with its secret, and a team link, need no note.
        let whole = link("link", pb::Role::Viewer, "wrapd://h:1/s/a#secret");
        assert_eq!(secretless_note(&info, &whole), None);
        let team = link("team", pb::Role::Viewer, "wrapd://h:1/s/a&team=1");
        assert_eq!(secretless_note(&info, &team), None);
    }

    #[test]
    fn the_owner_is_told_whether_an_invitation_was_mailed() {
        let mut l = pb::ShareLink {
            kind: "ada@example.org".into(),
            url: "wrapd://h/s/x#secret".into(),
            ..Default::default()
        };
        assert_eq!(mail_note(&l), None, "not an invitation: nothing said");
        l.set_mail(pb::InviteMail::Sent);
        assert_eq!(mail_note(&l).unwrap(), "(mailed to ada@example.org)");
        l.set_mail(pb::InviteMail::NotConfigured);
        let note = mail_note(&l).unwrap();
        assert!(
            note.contains("no [mail] relay") && note.contains("pass this link on"),
            "{note}"
        );
        l.set_mail(pb::InviteMail::Failed);
        l.mail_error = "the relay h:25 did not take it: connection refused".into();
        let note = mail_note(&l).unwrap();
        assert!(
            note.contains("NOT mailed: the relay h:25") && note.contains("pass this link on"),
            "{note}"
        );
    }
}
