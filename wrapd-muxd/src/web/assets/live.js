// The attach stream over a WebSocket (`/s/SHARE/ws`): binary frames, each
// one protobuf message — `AttachRequest` from the page, `AttachEvent` from
// the daemon — encoded exactly as on gRPC. After a network loss it reconnects
// with the session id and sequence number it last saw (`resume_seq`), so the
// daemon sends only what changed meanwhile. A refusal is final: the daemon
// closes with 4401 (no valid credential), 4403 (denied: removed, revoked, the
// share stopped) or 4429 (a limit), the reason in the close frame; the page
// says so and does not try again. So does the end of the session.

import { decode, encode } from "./proto.js";

/** Close codes that end the page's stream for good. */
export const FINAL_CODES = new Set([4401, 4403, 4429]);
/**
 * The daemon's close code for a stream that sent no `start` in time (a tab
 * frozen right after it opened): not a refusal, so the page opens another.
 */
export const START_LATE = 4408;
/** Waits between attempts to reconnect, then the last one again. */
const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000];

export class Live {
  /**
   * `url`: the stream's address; `start()`: the `AttachStart` to send (size,
   * history); `on`: `{event(ev), state(name, message)}` — states
   * "connecting", "live", "reconnecting", "final".
   */
  constructor(url, start, on, check) {
    this.url = url;
    this.start = start;
    this.on = on;
    // Asked after a stream that never opened: a refusal before the upgrade
    // (no credential, denied) is not a network loss. Resolves to a final
    // message or null.
    this.check = check;
    this.ws = null;
    this.attempt = 0;
    this.resume = null;
    this.finished = false;
  }

  connect() {
    if (this.finished) return;
    this.on.state(this.attempt === 0 && !this.resume ? "connecting" : "reconnecting");
    const ws = new WebSocket(this.url);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      const start = this.start();
      if (this.resume) Object.assign(start, this.resume);
      this.send({ start });
    };
    ws.onmessage = (m) => {
      if (!(m.data instanceof ArrayBuffer)) return;
      let ev;
      try {
        ev = decode("AttachEvent", new Uint8Array(m.data));
      } catch (e) {
        this.finish(`the daemon sent a message this page cannot read (${e.message}): reload the page`);
        return;
      }
      if (ev.msg === "attached") {
        this.attempt = 0;
        this.sessionId = ev.attached.session?.id ?? "";
        this.on.state("live");
      }
      this.on.event(ev);
      if (ev.msg === "ended") this.finished = true;
    };
    ws.onclose = (c) => this.closed(c, opened);
  }

  /** Where the page is in the session now: what a reconnect resumes from. */
  remember(seq, screenStart) {
    if (!this.sessionId || !seq) return;
    this.resume = {
      resume_session_id: this.sessionId,
      resume_seq: seq,
      resume_screen_start: screenStart,
    };
  }

  async closed(c, opened) {
    if (this.ws?.readyState === WebSocket.CLOSED) this.ws = null;
    if (this.finished) {
      this.on.state("final", null);
      return;
    }
    // 4401, 4403, 4429 and any other refusal of the daemon's own (4000–4999)
    // but 4408, a policy violation (1008): said, not retried.
    const refused = c.code >= 4000 && c.code < 5000 && c.code !== START_LATE;
    if (FINAL_CODES.has(c.code) || refused || c.code === 1008) {
      this.finish(c.reason || `the daemon refused this page (${c.code})`);
      return;
    }
    if (c.code === 1000) {
      this.finish(c.reason || "the daemon closed the stream");
      return;
    }
    if (!opened && this.check) {
      const why = await this.check();
      if (why) {
        this.finish(why);
        return;
      }
    }
    this.on.state("reconnecting");
    const wait = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    setTimeout(() => this.connect(), wait);
  }

  finish(message) {
    this.finished = true;
    this.on.state("final", message);
    this.ws?.close();
  }

  /** Send an `AttachRequest` (dropped while not connected). */
  send(req) {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(encode("AttachRequest", req));
    return true;
  }
}
