// The history beyond what the page keeps live (screen.js: the last
// MAX_HISTORY rows), read from the daemon on demand over the stream
// (`AttachRequest.read`, answered by `AttachEvent.read`): the same reads as
// wrapd-attach's ReadRows and SearchRows, with the same rules (a
// collaborator's window, masking, the byte limits, at most 4 in flight).
//
// Scrolling to the top of what the page holds reads the page of rows before
// it. At most MAX_OLDER of those rows are held: reading further back lets go
// of the newest of them, and a gap line then stands between them and the live
// rows (scrolling to it reads them again). Search asks the daemon, so it
// finds text in rows the page does not hold; a match there is read in and
// shown.

import { renderRow } from "./rows.js";

/** Rows read at once. */
export const PAGE = 500;
/** Older rows held at most (besides the live ones). */
export const MAX_OLDER = 3000;
/** Read more when the view is this many lines from the top of what it holds. */
const NEAR = 20;

/** Asks on the stream, each answered by the event with its id. */
export class Reads {
  /** `send(req)`: send an `AttachRequest`, false if not connected. */
  constructor(send) {
    this.send = send;
    this.next = 1;
    this.pending = new Map();
  }

  /** Ask `read` (`{rows}` or `{search}`); the answer's part, or why not. */
  ask(read) {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      if (!this.send({ read: { id, ...read } })) {
        reject(new Error("not connected to the session: try again in a moment"));
        return;
      }
      this.pending.set(id, { resolve, reject });
    });
  }

  /** An `AttachEvent.read`. */
  answered(a) {
    const p = this.pending.get(a.id);
    if (!p) return;
    this.pending.delete(a.id);
    if (a.answer === "refused") p.reject(new Error(a.refused.message));
    else p.resolve(a[a.answer]);
  }

  /** The stream dropped: nothing asked on it will be answered. */
  lost() {
    for (const p of this.pending.values()) {
      p.reject(new Error("the connection dropped: try again"));
    }
    this.pending.clear();
  }
}

export class Older {
  /** Above `screen`'s lines, in its view; `say(text)` tells the user. */
  constructor(screen, reads, say) {
    this.screen = screen;
    this.reads = reads;
    this.say = say;
    this.el = document.createElement("div");
    this.el.className = "older";
    this.lines = document.createElement("div");
    this.gap = document.createElement("div");
    this.gap.className = "line gap";
    this.gap.hidden = true;
    this.el.append(this.lines, this.gap);
    screen.view.insertBefore(this.el, screen.grid);
    this.rows = new Map();
    this.elements = new Map();
    // Held: rows [lo, hi).
    this.lo = 0;
    this.hi = 0;
    // The oldest row the daemon keeps (for us), as it last said.
    this.floor = 0;
    this.busy = false;
    screen.view.addEventListener("scroll", () => this.scrolled());
  }

  clear() {
    this.rows.clear();
    this.elements.clear();
    this.lines.textContent = "";
    this.lo = 0;
    this.hi = 0;
    this.sync();
  }

  /** After an update: forget everything on a reset; the gap as it is now. */
  applied(update) {
    if (update.reset) this.clear();
    this.sync();
  }

  sync() {
    const held = this.lo < this.hi;
    const missing = this.screen.first - this.hi;
    this.gap.hidden = !held || missing <= 0 || !!this.screen.modes.alternate_screen;
    this.el.hidden = !held || !!this.screen.modes.alternate_screen;
    this.gap.textContent = `⋯ ${missing} newer rows: scroll on to read them`;
  }

  /** The oldest row there is to read. */
  oldestThere() {
    return Math.max(this.floor, this.screen.historyStart);
  }

  /** The oldest row the page holds. */
  oldestHeld() {
    return this.lo < this.hi ? this.lo : this.screen.first;
  }

  /** Near the top of what it holds: read the page before; at the gap: after. */
  scrolled() {
    if (this.busy || this.screen.modes.alternate_screen) return;
    const v = this.screen.view;
    const line = this.screen.lineHeight();
    const oldest = this.oldestHeld();
    if (v.scrollTop < NEAR * line && oldest > this.oldestThere()) {
      this.read(Math.max(this.oldestThere(), oldest - PAGE), oldest);
      return;
    }
    if (!this.gap.hidden) {
      const gap = this.gap.getBoundingClientRect();
      const view = v.getBoundingClientRect();
      if (gap.top < view.bottom + NEAR * line) {
        this.read(this.hi, Math.min(this.hi + PAGE, this.screen.first));
      }
    }
  }

  /** Read rows [start, end) and hold them (`jump`: instead of what it holds). */
  async read(start, end, jump = false) {
    if (end <= start || this.busy) return;
    this.busy = true;
    try {
      const got = await this.reads.ask({ rows: { start, end } });
      this.floor = got.history_start;
      this.hold(Math.max(start, got.history_start), end, got.rows, jump);
    } catch (e) {
      this.say(`Could not read older rows: ${e.message}`);
    } finally {
      this.busy = false;
    }
  }

  line(i) {
    const el = document.createElement("div");
    el.className = "line history";
    el.dataset.index = i;
    renderRow(el, this.rows.get(i));
    this.elements.set(i, el);
    return el;
  }

  drop(i) {
    this.elements.get(i)?.remove();
    this.elements.delete(i);
    this.rows.delete(i);
  }

  /**
   * Hold `rows` as [start, end), next to what it holds (`jump`: instead of
   * it), the view kept on what it shows.
   */
  hold(start, end, rows, jump) {
    end = Math.min(end, this.screen.first);
    if (end <= start) return;
    if (jump || this.lo >= this.hi || end < this.lo || start > this.hi) {
      this.clear();
      // Read to scroll back: all of it goes above what the view shows.
      this.lo = this.hi = jump ? start : end;
    }
    for (const r of rows) {
      if (r.index >= start && r.index < end) this.rows.set(r.index, r);
    }
    const back = start < this.lo;
    // Lines put in above the view, less those taken out there.
    let above = 0;
    const first = this.lines.firstChild;
    for (let i = start; i < this.lo; i++) {
      this.lines.insertBefore(this.line(i), first);
      above += 1;
    }
    this.lo = Math.min(this.lo, start);
    for (; this.hi < end; this.hi++) this.lines.append(this.line(this.hi));
    // At most MAX_OLDER: let go of the side away from what was read.
    while (this.hi - this.lo > MAX_OLDER) {
      if (back) {
        this.hi -= 1;
        this.drop(this.hi);
      } else {
        this.drop(this.lo);
        this.lo += 1;
        above -= 1;
      }
    }
    this.sync();
    if (!jump) this.screen.view.scrollTop += above * this.screen.lineHeight();
  }

  /** The daemon's next match of `query` from row `from` (null: the end), around the end. */
  async find(query, from, backwards) {
    const ask = async (at, back) => {
      const got = await this.reads.ask({
        search: { query, from: at, backwards: back, case_sensitive: false },
      });
      return got.found ?? null;
    };
    const end = this.screen.screenEnd();
    const found = await ask(from ?? end, backwards);
    if (found) return found;
    if (backwards) return ask(end, true);
    const oldest = this.oldestThere();
    if (oldest > 0) return ask(oldest - 1, false);
    return (await ask(1, true)) ?? ask(0, false);
  }

  /** Show row `index` (a match: `mark` it), reading it in if not held. */
  async show(index, mark) {
    for (const el of this.lines.querySelectorAll(".found")) el.classList.remove("found");
    if (index >= this.screen.first) {
      this.screen.scrollToRow(index);
      return;
    }
    if (!(index >= this.lo && index < this.hi)) {
      const start = Math.max(this.oldestThere(), index - PAGE / 2);
      await this.read(start, Math.min(start + PAGE, this.screen.first), true);
    }
    const el = this.elements.get(index);
    if (!el) return;
    if (mark) el.classList.add("found");
    const v = this.screen.view;
    v.scrollTop = Math.max(0, el.offsetTop - v.clientHeight / 3);
  }
}
