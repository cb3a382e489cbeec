// The share page: joins with the link's secret (from the URL fragment, which
// the browser never sends to a server), then shows the session live: the
// daemon's state sync over a WebSocket (live.js), drawn as DOM lines
// (screen.js), the history beyond it read on demand (older.js), with who is
// here (people.js), the commands run (blocks.js), search (the daemon's, over
// all of the history), highlights, asking for control, and typing (input.js).
// The credential is an HttpOnly cookie: this script never sees it.

import { Blocks } from "./blocks.js";
import { attachInput } from "./input.js";
import { Live } from "./live.js";
import { Older, Reads } from "./older.js";
import { People, roleName } from "./people.js";
import { enumValue } from "./proto.js";
import { MAX_HISTORY, Screen } from "./screen.js";

const $ = (id) => document.getElementById(id);

/** How long a notice stays. */
const NOTICE_MS = 8000;

/** The share id of this page (`/s/ID/`), or null. */
function shareId() {
  const m = location.pathname.match(/^\/s\/([0-9a-f]+)\/$/);
  return m ? m[1] : null;
}

function say(text, isError = false) {
  const status = $("status");
  status.textContent = text;
  status.classList.toggle("error", isError);
  status.hidden = false;
}

/** An API call relative to the page; resolves to [ok, status, json]. */
async function api(path, options = {}) {
  const res = await fetch(path, { credentials: "same-origin", ...options });
  let body = {};
  try {
    body = await res.json();
  } catch {
    body = { message: `${res.status} ${res.statusText}` };
  }
  return [res.ok, res.status, body];
}

let noticeTimer = 0;
function notify(text) {
  const n = $("notice");
  n.textContent = text;
  n.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { n.hidden = true; }, NOTICE_MS);
}

const ENDED = {
  [enumValue("Ended.Reason", "REASON_EXITED")]: "the program exited",
  [enumValue("Ended.Reason", "REASON_KILLED")]: "the session was killed",
  [enumValue("Ended.Reason", "REASON_SERVER_EXIT")]: "the daemon shut down",
  [enumValue("Ended.Reason", "REASON_DETACHED")]: "this view was detached",
};

function endedMessage(e) {
  let text = `The session ended: ${ENDED[e.reason] ?? "it is over"}`;
  if (e.exit?.code !== undefined) text += ` (status ${e.exit.code})`;
  if (e.message) text += ` — ${e.message}`;
  return `${text}.`;
}

/** What a stream refused before it opened says (whoami answers the same). */
async function refusal() {
  try {
    const [ok, status, body] = await api("api/whoami");
    if (!ok && [401, 403, 429].includes(status)) return body.message;
  } catch {
    // The network is down: not a refusal.
  }
  return null;
}

function showLive(who) {
  $("join").hidden = true;
  $("status").hidden = true;
  $("live").hidden = false;
  const view = $("view");
  const keys = $("keys");
  const screen = new Screen(view);
  screen.grid.append(keys);
  screen.followers.push(keys);
  const reads = new Reads((req) => live.send(req));
  const older = new Older(screen, reads, notify);
  let role = who.role;
  let search = null;

  const marks = () => {
    const found = search
      ? [{ selection: { start_row: search.row, start_col: search.col, end_row: search.row, end_col: search.col + search.len - 1 }, kind: "found" }]
      : [];
    screen.setMarks([...people.marks(), ...found]);
  };
  const select = (selection) => live.send({ select: selection });
  const people = new People($("people"), (p) => {
    const row = screen.rowOf(p.selection);
    if (row === null) notify(`${p.name} highlights nothing.`);
    else screen.scrollToRow(row);
  });
  const blocks = new Blocks(
    $("blocks"),
    (b) => screen.scrollToRow(b.prompt_row),
    (b) => select({ block_id: b.id }),
  );
  const showRole = () => {
    $("session").textContent = `${screen.sessionName || who.session_name} — you are ${who.name}, ${role}`;
    $("session").hidden = false;
    $("request-control").hidden = role !== "viewer";
    document.body.dataset.role = role;
  };
  const resize = () => {
    if (role === "editor") live.send({ resize: screen.fit() });
  };

  const live = new Live(
    `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}${location.pathname}ws`,
    () => ({ target: "", size: screen.fit(), history_rows: MAX_HISTORY }),
    {
      event(ev) {
        switch (ev.msg) {
          case "attached":
            // Whether this stream resumed where the last one stopped.
            $("conn").dataset.resumed = ev.attached.resumed;
            break;
          case "update": {
            const changed = screen.apply(ev.update);
            older.applied(ev.update);
            // How long the first full screen took from the page's load.
            if (performance.getEntriesByName("wrapd-first-screen").length === 0) {
              performance.mark("wrapd-first-screen");
            }
            if (changed.length > 0) blocks.draw(screen.blocks);
            live.remember(screen.seq, screen.screenStart);
            document.title = `${screen.title || screen.sessionName} — wrapd`;
            break;
          }
          case "presence": {
            people.update(ev.presence);
            const was = role;
            role = roleName(ev.presence.role);
            showRole();
            if (was !== "editor" && role === "editor") {
              notify("You have control: what you type goes to the session.");
              resize();
            }
            marks();
            break;
          }
          case "notice":
            notify(ev.notice.message);
            break;
          case "read":
            reads.answered(ev.read);
            break;
          case "ended":
            finish(endedMessage(ev.ended));
            break;
          default:
            break;
        }
      },
      state(name, message) {
        if (name !== "live") reads.lost();
        const conn = $("conn");
        conn.dataset.state = name;
        conn.textContent = {
          connecting: "connecting…",
          live: "live",
          reconnecting: "reconnecting…",
          final: "ended",
        }[name];
        if (name === "final" && message) finish(message);
      },
    },
    refusal,
  );

  function finish(message) {
    const f = $("final");
    f.textContent = message;
    f.hidden = false;
    keys.disabled = true;
    $("request-control").hidden = true;
  }

  attachInput(keys, view, () => screen.modes, (data) => live.send({ input: data }));
  view.addEventListener("mouseup", () => {
    const sel = screen.selectionOf(document.getSelection());
    if (sel) select(sel);
  });
  $("clear-highlight").addEventListener("click", () => select({}));
  $("request-control").addEventListener("click", async () => {
    const [ok, , body] = await api("api/request-control", { method: "POST" });
    notify(ok ? "You asked for control: the owner decides." : body.message);
  });
  $("find").addEventListener("submit", async (e) => {
    e.preventDefault();
    const backwards = e.submitter?.value !== "next";
    const query = $("find-text").value;
    if (!query) return;
    try {
      search = await older.find(query, search?.row ?? null, backwards);
    } catch (err) {
      notify(`The search failed: ${err.message}`);
      return;
    }
    if (search) await older.show(search.row, true);
    else notify(`“${query}” is nowhere in the scrollback.`);
    marks();
  });
  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(resize, 150);
  });
  showRole();
  live.connect();
  keys.focus({ preventScroll: true });
}

/**
 * The join form, asking only what the link does not fix (`asks`: the
 * daemon's answer to `api/link` — an invitation fixes the email).
 */
function askToJoin(secret, link) {
  $("status").hidden = true;
  const asks = new Set(link.asks);
  $("name-label").hidden = !asks.has("name");
  $("email-label").hidden = !asks.has("email");
  const as = link.role === "editor" ? "an editor: you may type" : "a viewer";
  $("join-intro").textContent = link.invitation
    ? `You were invited to a shared terminal session, as ${as}.`
    : `You were given a link to a shared terminal session, as ${as}.`;
  if (asks.has("name")) $("join-intro").textContent += " How should the others see you?";
  $("join").hidden = false;
  $("join").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = JSON.stringify({
      secret,
      name: asks.has("name") ? $("name").value : "",
      email: asks.has("email") ? $("email").value : "",
    });
    say("Joining…");
    const [ok, , who] = await api("api/enroll", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    if (ok) {
      showLive(who);
    } else {
      say(who.message, true);
    }
  });
}

/** What joining with `secret` asks (or why it cannot join), then the form. */
async function beforeJoining(secret) {
  const [ok, , link] = await api("api/link", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ secret }),
  });
  if (ok) askToJoin(secret, link);
  else say(link.message, true);
}

async function main() {
  const share = shareId();
  if (!share) {
    say("Open the share link you were given: it looks like https://HOST/s/ID/#SECRET.");
    return;
  }
  // The secret leaves the address bar (and the history) at once.
  const secret = location.hash.slice(1);
  if (secret) {
    history.replaceState(null, "", location.pathname);
  }
  const [ok, status, who] = await api("api/whoami");
  if (ok) {
    showLive(who);
  } else if (secret) {
    await beforeJoining(secret);
  } else if (status === 401) {
    say("Open the share link you were given (with its #… part) to join.", true);
  } else {
    say(who.message, true);
  }
}

main();
