// The session's blocks (one per command its shell ran: mux.proto's `Block`),
// newest first: the command, how it ended and how long it took. Clicking one
// jumps to it; its ★ highlights it for everyone.

import { enumValue } from "./proto.js";

const RUNNING = enumValue("BlockState", "BLOCK_STATE_RUNNING");
const FINISHED = enumValue("BlockState", "BLOCK_STATE_FINISHED");
/** Blocks listed at most (the newest). */
const SHOWN = 500;

/** A duration in ms, as a person reads it. */
export function duration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

/** How a block ended: [text, class]. */
function outcome(b) {
  if (b.state === RUNNING) return ["running…", "running"];
  if (b.state === FINISHED && b.exit_code !== undefined) {
    return b.exit_code === 0 ? ["✓ 0", "ok"] : [`✗ ${b.exit_code}`, "failed"];
  }
  if (b.state === FINISHED) return ["done", "ok"];
  return ["interrupted", "failed"];
}

export class Blocks {
  /** `list`: the list element; `jump(block)`, `highlight(block)`. */
  constructor(list, jump, highlight) {
    this.list = list;
    this.jump = jump;
    this.highlight = highlight;
  }

  /** Draw `blocks` (a Map by id, as the screen keeps them). */
  draw(blocks) {
    this.list.textContent = "";
    const newest = [...blocks.values()].sort((a, b) => b.id - a.id).slice(0, SHOWN);
    for (const b of newest) {
      const item = document.createElement("li");
      item.className = "block";
      item.dataset.block = b.id;
      const go = document.createElement("button");
      go.type = "button";
      go.className = "jump";
      const command = document.createElement("code");
      command.textContent = b.command.trim() || "(a command)";
      const [text, kind] = outcome(b);
      const status = document.createElement("span");
      status.className = `status ${kind}`;
      status.textContent = text;
      const took = document.createElement("span");
      took.className = "took";
      if (b.ended_at_ms !== undefined) took.textContent = duration(b.ended_at_ms - b.started_at_ms);
      go.append(command, status, took);
      go.title = `${b.cwd ? `in ${b.cwd}: ` : ""}jump to this command`;
      go.addEventListener("click", () => this.jump(b));
      const mark = document.createElement("button");
      mark.type = "button";
      mark.className = "mark-block";
      mark.textContent = "★";
      mark.title = "highlight this command for everyone";
      mark.setAttribute("aria-label", mark.title);
      mark.addEventListener("click", () => this.highlight(b));
      item.append(go, mark);
      this.list.append(item);
    }
  }
}
