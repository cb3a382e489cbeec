// The share page: joins with the link's secret (from the URL fragment, which
// the browser never sends to a server), then shows who you are in the share.
// The credential is an HttpOnly cookie: this script never sees it.

const $ = (id) => document.getElementById(id);

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

function showJoined(who) {
  $("join").hidden = true;
  $("status").hidden = true;
  $("joined-session").textContent = who.session_name;
  $("joined-owner").textContent = who.owner_name;
  $("joined-name").textContent = who.name;
  $("joined-role").textContent = who.role;
  const expires = new Date(who.expires_at_ms);
  $("joined-expires").textContent = `Your access in this browser lasts until ${expires.toLocaleString()}.`;
  $("session").textContent = `${who.session_name} — ${who.role}`;
  $("session").hidden = false;
  $("joined").hidden = false;
}

function askToJoin(secret) {
  $("status").hidden = true;
  $("join-intro").textContent = "You were given a link to a shared terminal session. How should the others see you?";
  $("join").hidden = false;
  $("join").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = JSON.stringify({
      secret,
      name: $("name").value,
      email: $("email").value,
    });
    say("Joining…");
    const [ok, , who] = await api("api/enroll", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    if (ok) {
      showJoined(who);
    } else {
      say(who.message, true);
    }
  });
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
    showJoined(who);
  } else if (secret) {
    askToJoin(secret);
  } else if (status === 401) {
    say("Open the share link you were given (with its #… part) to join.", true);
  } else {
    say(who.message, true);
  }
}

main();
