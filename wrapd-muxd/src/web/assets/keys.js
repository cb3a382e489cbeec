// Keys and pastes as the program expects them, encoded as xterm does and as
// wrapd-attach's keys.rs does (the same rules): the cursor-key mode the program
// set (application cursor keys: SS3), xterm's modifier parameter for
// Shift/Alt/Ctrl with arrows, Home/End, PgUp/PgDn, F1–F12; Alt as an ESC
// prefix; Ctrl+letter as its control byte; bracketed paste when asked.

const ESC = "\x1b";

/** xterm's modifier parameter: 1 + shift + 2·alt + 4·ctrl. */
function modifierParam(e) {
  return 1 + (e.shiftKey ? 1 : 0) + (e.altKey ? 2 : 0) + (e.ctrlKey ? 4 : 0);
}

/** The byte Ctrl+`c` sends, if it has one. */
function controlByte(c) {
  if (/^[a-z]$/i.test(c)) return c.toLowerCase().charCodeAt(0) - 96;
  switch (c) {
    case "@": case " ": case "2": case "`": return 0;
    case "[": case "3": return 0x1b;
    case "\\": case "4": return 0x1c;
    case "]": case "5": return 0x1d;
    case "^": case "6": case "~": return 0x1e;
    case "_": case "-": case "7": case "/": return 0x1f;
    case "?": case "8": return 0x7f;
    default: return null;
  }
}

const LETTER_KEYS = {
  ArrowUp: "A", ArrowDown: "B", ArrowRight: "C", ArrowLeft: "D", Home: "H", End: "F",
};
const TILDE_KEYS = { Insert: 2, Delete: 3, PageUp: 5, PageDown: 6 };
const F_TILDE = [15, 17, 18, 19, 20, 21, 23, 24];

/**
 * The text a key event sends to the program (`modes`: the session's, as the
 * daemon's updates give them), or null when the browser should handle the key
 * itself (plain characters come through the input element, so that dead keys
 * and compose work; Meta combinations are the browser's).
 */
export function encodeKey(e, modes) {
  if (e.metaKey || e.isComposing) return null;
  const param = modifierParam(e);
  const appCursor = !!modes?.application_cursor;
  const letter = (x, app) => {
    if (param > 1) return `${ESC}[1;${param}${x}`;
    return app ? `${ESC}O${x}` : `${ESC}[${x}`;
  };
  const tilde = (n) => (param > 1 ? `${ESC}[${n};${param}~` : `${ESC}[${n}~`);
  const alt = e.altKey ? ESC : "";
  const key = e.key;
  if (key in LETTER_KEYS) return letter(LETTER_KEYS[key], appCursor);
  if (key in TILDE_KEYS) return tilde(TILDE_KEYS[key]);
  const f = /^F([0-9]{1,2})$/.exec(key);
  if (f) {
    const n = Number(f[1]);
    if (n >= 1 && n <= 4) return letter("PQRS"[n - 1], true);
    if (n >= 5 && n <= 12) return tilde(F_TILDE[n - 5]);
    return null;
  }
  switch (key) {
    case "Enter": return `${alt}\r`;
    case "Tab": return e.shiftKey ? `${ESC}[Z` : `${alt}\t`;
    case "Backspace": return `${alt}${e.ctrlKey ? "\x08" : "\x7f"}`;
    case "Escape": return `${alt}${ESC}`;
    default: break;
  }
  // A character: only with Ctrl or Alt is it ours; else the input element's.
  if ([...key].length !== 1 || !(e.ctrlKey || e.altKey)) return null;
  // With Alt, browsers on some layouts give the composed character; the
  // key's own letter is in `code` (KeyA…), which is what a terminal sends.
  let c = key;
  const code = /^Key([A-Z])$/.exec(e.code || "");
  if (code && e.altKey && !/^[a-z]$/i.test(c)) c = e.shiftKey ? code[1] : code[1].toLowerCase();
  if (e.ctrlKey) {
    const b = controlByte(c);
    if (b !== null) return alt + String.fromCharCode(b);
  }
  return alt + c;
}

/**
 * A paste: newlines become carriage returns (as typed); inside a bracketed
 * paste the end marker is removed so the text cannot end the bracket early.
 */
export function encodePaste(text, bracketed) {
  let body = text.replace(/\r\n/g, "\r").replace(/\n/g, "\r");
  if (!bracketed) return body;
  while (body.includes(`${ESC}[201~`)) body = body.split(`${ESC}[201~`).join("");
  return `${ESC}[200~${body}${ESC}[201~`;
}
