// Typing into the session. Everything typed goes through one element, a
// textarea kept over the cursor: special keys and Ctrl/Alt combinations are
// encoded on keydown (keys.js, with the session's modes); characters arrive as
// the textarea's input — so dead keys, compose and IMEs (composition events)
// work as in any text field; pastes are sent as pastes (bracketed when the
// program asked). Copying is the browser's own: selecting text in the grid
// takes the focus away from the textarea, and Ctrl+C copies it.
//
// Viewers type too: the daemon refuses it and says so (a notice), exactly as
// for wrapd-attach.

import { encodeKey, encodePaste } from "./keys.js";

const bytes = new TextEncoder();

/**
 * Wire `keys` (the textarea) to `send(Uint8Array)`; `modes()` gives the
 * session's current modes; `grid`: clicking it (without selecting) focuses
 * the textarea.
 */
export function attachInput(keys, grid, modes, send) {
  const out = (text) => {
    if (text) send(bytes.encode(text));
  };
  const flush = () => {
    out(keys.value);
    keys.value = "";
  };
  keys.addEventListener("keydown", (e) => {
    if (e.isComposing || e.keyCode === 229) return;
    const text = encodeKey(e, modes());
    if (text === null) return;
    e.preventDefault();
    out(text);
  });
  keys.addEventListener("input", (e) => {
    if (e.isComposing) return;
    flush();
  });
  keys.addEventListener("compositionend", () => flush());
  keys.addEventListener("paste", (e) => {
    e.preventDefault();
    const text = e.clipboardData?.getData("text/plain") ?? "";
    out(encodePaste(text, !!modes().bracketed_paste));
  });
  grid.addEventListener("mouseup", () => {
    const sel = document.getSelection();
    if (!sel || sel.isCollapsed) keys.focus({ preventScroll: true });
  });
}
