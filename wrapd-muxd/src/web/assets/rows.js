// One row of the session (text + attribute runs, as mux.proto's `Row` and
// `Span` give it) as a DOM line on a monospace grid: one column is 1ch. Runs
// of plain ASCII are text as they are; any run that might not be one column
// a character in the page's font (wide cells, CJK, emoji, clusters, other
// non-ASCII) is laid out a cell a box, each exactly 1ch or 2ch wide, so the
// grid stays aligned whatever glyph the browser picks.

// Style.attrs bits (mux.proto's `Style`).
export const ATTR = {
  BOLD: 1, DIM: 2, ITALIC: 4, UNDERLINE: 8, DOUBLE_UNDERLINE: 16, CURLY_UNDERLINE: 32,
  BLINK: 64, INVERSE: 128, HIDDEN: 256, STRIKETHROUGH: 512, OVERLINE: 1024,
  DOTTED_UNDERLINE: 2048, DASHED_UNDERLINE: 4096,
};
const ANY_UNDERLINE = ATTR.UNDERLINE | ATTR.DOUBLE_UNDERLINE | ATTR.CURLY_UNDERLINE
  | ATTR.DOTTED_UNDERLINE | ATTR.DASHED_UNDERLINE;
// Colours: 0 default, 1..=256 palette index + 1, this flag | 0xRRGGBB.
const RGB_FLAG = 0x1000000;

/** A character that takes no column of its own (it joins the cell before). */
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\u1160-\u11ff]$/u;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const PLAIN = /^[\u0020-\u007e]*$/;

/**
 * The cells of a span: the text of each (a character and the zero-width ones
 * after it; a cluster span is one cell). Control characters show as blanks.
 */
export function spanCells(span) {
  if (span.cluster) return [span.text.replace(CONTROL, " ")];
  const cells = [];
  for (const ch of span.text) {
    if (cells.length > 0 && ZERO_WIDTH.test(ch)) {
      cells[cells.length - 1] += ch;
    } else {
      cells.push(ch.replace(CONTROL, " "));
    }
  }
  return cells;
}

/** A row's cells: `{col, text, width}`, in order. */
export function rowCells(row) {
  const out = [];
  let col = 0;
  for (const span of row?.spans ?? []) {
    const width = span.wide ? 2 : 1;
    for (const text of spanCells(span)) {
      out.push({ col, text, width });
      col += width;
    }
  }
  return out;
}

/** A palette entry as CSS: the 16 named ones are the page's own. */
function paletteCss(i) {
  if (i < 16) return `var(--c${i})`;
  if (i < 232) {
    const n = i - 16;
    const level = (x) => (x === 0 ? 0 : 55 + x * 40);
    return `rgb(${level(Math.floor(n / 36))}, ${level(Math.floor(n / 6) % 6)}, ${level(n % 6)})`;
  }
  const grey = 8 + (i - 232) * 10;
  return `rgb(${grey}, ${grey}, ${grey})`;
}

/** A wire colour as CSS; null for the default. */
export function colorCss(c) {
  if (!c) return null;
  if (c <= 256) return paletteCss(c - 1);
  if (c & RGB_FLAG) return `#${(c & 0xffffff).toString(16).padStart(6, "0")}`;
  return null;
}

/** Give `el` the look of a wire `Style` (through the CSSOM: no inline styles). */
function applyStyle(el, style) {
  if (!style) return;
  const a = style.attrs;
  let fg = colorCss(style.fg);
  let bg = colorCss(style.bg);
  if (a & ATTR.INVERSE) {
    [fg, bg] = [bg ?? "var(--term-bg)", fg ?? "var(--term-fg)"];
  }
  if (a & ATTR.HIDDEN) fg = "transparent";
  if (fg) el.style.color = fg;
  if (bg) el.style.backgroundColor = bg;
  if (a & ATTR.BOLD) el.classList.add("bold");
  if (a & ATTR.DIM) el.classList.add("dim");
  if (a & ATTR.ITALIC) el.classList.add("italic");
  if (a & ATTR.BLINK) el.classList.add("blink");
  const lines = [];
  if (a & ANY_UNDERLINE) lines.push("underline");
  if (a & ATTR.STRIKETHROUGH) lines.push("line-through");
  if (a & ATTR.OVERLINE) lines.push("overline");
  if (lines.length > 0) {
    el.style.textDecorationLine = lines.join(" ");
    if (a & ATTR.DOUBLE_UNDERLINE) el.style.textDecorationStyle = "double";
    else if (a & ATTR.CURLY_UNDERLINE) el.style.textDecorationStyle = "wavy";
    else if (a & ATTR.DOTTED_UNDERLINE) el.style.textDecorationStyle = "dotted";
    else if (a & ATTR.DASHED_UNDERLINE) el.style.textDecorationStyle = "dashed";
    const uc = colorCss(style.underline_color);
    if (uc) el.style.textDecorationColor = uc;
  }
}

/** An OSC 8 link the page may follow: web addresses only. */
function safeLink(link) {
  return /^https?:\/\//i.test(link) ? link : null;
}

/** Fill line element `el` with `row` (null: a blank line). */
export function renderRow(el, row) {
  el.textContent = "";
  let col = 0;
  for (const span of row?.spans ?? []) {
    const href = safeLink(span.link);
    const s = document.createElement(href ? "a" : "span");
    if (href) {
      s.href = href;
      s.target = "_blank";
      s.rel = "noopener noreferrer";
    }
    applyStyle(s, span.style);
    s.dataset.col = col;
    const width = span.wide ? 2 : 1;
    if (!span.wide && !span.cluster && PLAIN.test(span.text)) {
      s.textContent = span.text;
      col += span.text.length;
    } else {
      for (const text of spanCells(span)) {
        const cell = document.createElement("span");
        cell.className = width === 2 ? "cell wide" : "cell";
        cell.dataset.col = col;
        cell.textContent = text;
        s.append(cell);
        col += width;
      }
    }
    el.append(s);
  }
}

/**
 * The column of a DOM position (a node and offset, as a selection gives
 * them) inside a line element; `end`: the position ends a range (the column
 * before it).
 */
export function columnAt(line, node, offset, end) {
  let el = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
  if (el === line) {
    // Between spans: the start of the child at `offset`, or the row's end.
    const child = line.children[offset];
    const col = child ? Number(child.dataset.col) : rowWidth(line);
    return end ? Math.max(0, col - 1) : col;
  }
  while (el && el.parentElement !== line && !el.classList.contains("cell")) el = el.parentElement;
  if (!el) return 0;
  const start = Number(el.dataset.col);
  if (el.classList.contains("cell")) {
    const width = el.classList.contains("wide") ? 2 : 1;
    if (end) return offset > 0 ? start + width - 1 : Math.max(0, start - 1);
    return start;
  }
  // A plain ASCII span: one column a character.
  const at = node.nodeType === Node.TEXT_NODE ? offset : 0;
  return end ? Math.max(0, start + at - 1) : start + at;
}

function rowWidth(line) {
  const last = line.lastElementChild;
  if (!last) return 0;
  const cells = last.querySelectorAll(".cell");
  if (cells.length === 0) return Number(last.dataset.col) + last.textContent.length;
  const cell = cells[cells.length - 1];
  return Number(cell.dataset.col) + (cell.classList.contains("wide") ? 2 : 1);
}
