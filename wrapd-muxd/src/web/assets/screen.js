// The page's copy of the session, kept by the daemon's updates (snapshot,
// then sequence-numbered deltas: mux.proto's `ScreenUpdate`), and drawn as DOM
// lines: history from the share's start (as far as the first snapshot carried
// it, then everything that scrolls), the screen below it, the cursor, and
// marks over the grid (highlights, a search match). Rows are held by their
// stable index, as wrapd-attach's mirror.rs does. Rows older than the ones it
// keeps are older.js's.

import { columnAt, renderRow, rowCells } from "./rows.js";

/** History rows kept at most (the oldest go first). */
export const MAX_HISTORY = 10000;
/** Rows one mark covers at most. */
const MAX_MARK_ROWS = 2000;

export class Screen {
  /** `view`: the scrolling element; the lines and overlays go inside it. */
  constructor(view) {
    this.view = view;
    this.grid = document.createElement("div");
    this.grid.className = "grid";
    this.lines = document.createElement("div");
    this.lines.className = "lines";
    this.marks = document.createElement("div");
    this.marks.className = "marks";
    this.cursor = document.createElement("div");
    this.cursor.className = "cursor";
    this.grid.append(this.marks, this.lines, this.cursor);
    view.append(this.grid);
    this.markList = [];
    this.followers = [];
    this.frame = 0;
    this.clear();
  }

  /** Forget everything (a new session, or a snapshot from scratch). */
  clear() {
    this.seq = 0;
    this.size = { cols: 80, rows: 24 };
    this.screenStart = 0;
    this.historyStart = 0;
    this.first = 0;
    this.rows = new Map();
    this.cursorState = { col: 0, row: 0, visible: false, shape: 0, blinking: false };
    this.modes = {};
    this.title = "";
    this.cwd = "";
    this.sessionName = "";
    this.exited = undefined;
    this.blocks = new Map();
    this.elements = new Map();
    this.lo = 0;
    this.hi = 0;
    this.lines.textContent = "";
  }

  /**
   * Apply one update, in order; the blocks it changed. Rows are redrawn at
   * once; the cursor, the marks and following the bottom once a frame.
   */
  apply(u) {
    if (this.follow === undefined) this.follow = this.atBottom();
    if (u.reset) {
      this.clear();
    }
    this.seq = u.seq;
    if (u.size) this.size = u.size;
    const oldStart = this.screenStart;
    this.screenStart = u.screen_start;
    this.historyStart = u.history_start;
    if (u.reset) {
      let lowest = u.screen_start;
      for (const r of u.rows) lowest = Math.min(lowest, r.index);
      this.first = Math.max(lowest, u.history_start);
    } else {
      this.first = Math.max(this.first, u.history_start);
    }
    this.first = Math.max(this.first, this.screenStart - MAX_HISTORY);
    const end = this.screenEnd();
    const changed = [];
    for (const r of u.rows) {
      if (r.index < this.first || r.index >= end) continue;
      this.rows.set(r.index, r);
      changed.push(r.index);
    }
    this.cursorState = u.cursor ?? this.cursorState;
    this.modes = u.modes ?? {};
    this.title = u.title;
    this.cwd = u.cwd;
    this.sessionName = u.session_name;
    this.exited = u.exited;
    for (const b of u.blocks) this.blocks.set(b.id, b);
    const created = this.layout(oldStart);
    for (const i of changed) {
      const el = this.elements.get(i);
      if (el && !created.has(i)) renderRow(el, this.rows.get(i));
    }
    if (u.reset) this.follow = true;
    if (!this.frame) this.frame = requestAnimationFrame(() => this.settle());
    return u.blocks;
  }

  /** After the updates of a frame: cursor, marks, the view at the bottom. */
  settle() {
    this.frame = 0;
    this.drawCursor();
    this.drawMarks();
    if (this.follow) this.toBottom();
    this.follow = undefined;
  }

  screenEnd() {
    return this.screenStart + this.size.rows;
  }

  /**
   * Line elements for exactly [first, screen end); history ones marked. The
   * indices of the lines it made (drawn already).
   */
  layout(oldStart) {
    const created = new Set();
    const first = this.first;
    const end = this.screenEnd();
    const drop = (i) => {
      this.elements.get(i)?.remove();
      this.elements.delete(i);
      this.rows.delete(i);
    };
    if (first >= this.hi || end <= this.lo) {
      for (let i = this.lo; i < this.hi; i++) drop(i);
      this.lo = first;
      this.hi = first;
    }
    for (; this.lo < Math.min(first, this.hi); this.lo++) drop(this.lo);
    for (; this.hi > Math.max(end, this.lo); this.hi--) drop(this.hi - 1);
    const line = (i) => {
      const el = document.createElement("div");
      el.className = "line";
      el.dataset.index = i;
      if (i < this.screenStart) el.classList.add("history");
      renderRow(el, this.rows.get(i));
      this.elements.set(i, el);
      created.add(i);
      return el;
    };
    const before = this.lines.firstChild;
    for (let i = first; i < this.lo; i++) this.lines.insertBefore(line(i), before);
    this.lo = Math.min(this.lo, first);
    for (; this.hi < end; this.hi++) this.lines.append(line(this.hi));
    // Rows that crossed the screen's top.
    const from = Math.max(this.lo, Math.min(oldStart, this.screenStart));
    const to = Math.min(this.hi, Math.max(oldStart, this.screenStart));
    for (let i = from; i < to; i++) {
      this.elements.get(i)?.classList.toggle("history", i < this.screenStart);
    }
    this.grid.classList.toggle("alt", !!this.modes.alternate_screen);
    this.grid.style.width = `${this.size.cols}ch`;
    return created;
  }

  /** The first row drawn: the screen's top on the alternate screen. */
  top() {
    return this.modes.alternate_screen ? this.screenStart : this.lo;
  }

  /** Put `el` over row `index`, columns [col, col + width). */
  place(el, index, col, width) {
    el.style.top = `calc(${index - this.top()} * var(--line))`;
    el.style.left = `${col}ch`;
    el.style.width = `${width}ch`;
  }

  drawCursor() {
    const c = this.cursorState;
    const index = this.screenStart + c.row;
    const cell = rowCells(this.rows.get(index)).find((x) => x.col === c.col);
    this.place(this.cursor, index, c.col, cell?.width ?? 1);
    this.cursor.hidden = !c.visible;
    this.cursor.dataset.shape = ["block", "block", "underline", "bar"][c.shape] ?? "block";
    this.cursor.classList.toggle("blinking", !!c.blinking);
    // Whatever follows the cursor (the page's input, for an IME's window).
    for (const el of this.followers) {
      el.style.top = this.cursor.style.top;
      el.style.left = this.cursor.style.left;
    }
  }

  /**
   * Marks over the grid: `[{selection, color, label, kind}]`, each a
   * mux.proto `Selection` (a block, or a range of cells).
   */
  setMarks(marks) {
    this.markList = marks;
    this.drawMarks();
  }

  drawMarks() {
    this.marks.textContent = "";
    for (const m of this.markList) {
      const range = this.range(m.selection);
      if (!range) continue;
      const [startRow, startCol, endRow, endCol] = range;
      const from = Math.max(startRow, this.top());
      const to = Math.min(endRow, this.screenEnd() - 1, from + MAX_MARK_ROWS);
      for (let i = from; i <= to; i++) {
        const c0 = i === startRow ? startCol : 0;
        const c1 = i === endRow ? endCol : this.size.cols - 1;
        if (c1 < c0) continue;
        const box = document.createElement("div");
        box.className = `mark ${m.kind ?? ""}`;
        this.place(box, i, c0, c1 - c0 + 1);
        if (m.color) box.style.backgroundColor = m.color;
        if (m.label) box.title = m.label;
        this.marks.append(box);
      }
    }
  }

  /** A selection as [startRow, startCol, endRow, endCol] (inclusive). */
  range(sel) {
    if (!sel) return null;
    if (sel.block_id) {
      const b = this.blocks.get(sel.block_id);
      if (!b) return null;
      const start = b.command_row || b.prompt_row;
      const end = b.end_row !== undefined ? Math.max(start, b.end_row - 1) : this.screenEnd() - 1;
      return [start, 0, end, this.size.cols - 1];
    }
    if (!sel.start_row && !sel.end_row && !sel.start_col && !sel.end_col) return null;
    return [sel.start_row, sel.start_col, sel.end_row, sel.end_col];
  }

  /** The first row of a selection, if it has one. */
  rowOf(sel) {
    return this.range(sel)?.[0] ?? null;
  }

  /** The browser's selection inside the grid as a wire `Selection`; null if none. */
  selectionOf(sel) {
    if (!sel || sel.isCollapsed || sel.rangeCount === 0) return null;
    const r = sel.getRangeAt(0);
    const at = (node, offset, end) => {
      const el = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
      const line = el?.closest?.(".line");
      if (!line || !this.lines.contains(line)) return null;
      return [Number(line.dataset.index), columnAt(line, node, offset, end)];
    };
    const start = at(r.startContainer, r.startOffset, false);
    const end = at(r.endContainer, r.endOffset, true);
    if (!start || !end) return null;
    return { start_row: start[0], start_col: start[1], end_row: end[0], end_col: end[1] };
  }

  /** The text of a row (its cells' text). */
  rowText(index) {
    return rowCells(this.rows.get(index)).map((c) => c.text).join("");
  }

  lineHeight() {
    return this.lines.firstElementChild?.getBoundingClientRect().height || 16;
  }

  /** Scroll so that row `index` is in view (a third from the top). */
  scrollToRow(index) {
    // Older rows (older.js) may stand above the grid.
    const y = this.grid.offsetTop + (index - this.top()) * this.lineHeight();
    this.view.scrollTop = Math.max(0, y - this.view.clientHeight / 3);
  }

  atBottom() {
    const v = this.view;
    return v.scrollTop + v.clientHeight >= v.scrollHeight - 4;
  }

  toBottom() {
    this.view.scrollTop = this.view.scrollHeight;
  }

  /** How many columns and rows of this font fit the view. */
  fit() {
    const probe = document.createElement("span");
    probe.className = "probe";
    probe.textContent = "0".repeat(100);
    this.grid.append(probe);
    const box = probe.getBoundingClientRect();
    probe.remove();
    const cellWidth = box.width / 100 || 8;
    const cellHeight = box.height || 16;
    // The view's inner size: without its padding (or its scroll bars).
    const pad = getComputedStyle(this.view);
    const width = this.view.clientWidth - parseFloat(pad.paddingLeft) - parseFloat(pad.paddingRight);
    const height = this.view.clientHeight - parseFloat(pad.paddingTop) - parseFloat(pad.paddingBottom);
    return {
      cols: Math.max(2, Math.floor(width / cellWidth)),
      rows: Math.max(2, Math.floor(height / cellHeight)),
    };
  }
}
