// Who is here (mux.proto's `Presence`): an avatar each — initials on their
// colour, their role and what they are doing (typing, idle, away) — and what
// they highlight, drawn over the grid in their colour. Clicking an avatar
// jumps to that person's highlight.

import { enumValue } from "./proto.js";

const ROLE_NAMES = {
  [enumValue("Role", "ROLE_VIEWER")]: "viewer",
  [enumValue("Role", "ROLE_EDITOR")]: "editor",
  [enumValue("Role", "ROLE_OWNER")]: "owner",
};
const ACTIVITY_NAMES = {
  [enumValue("Activity", "ACTIVITY_ACTIVE")]: "active",
  [enumValue("Activity", "ACTIVITY_TYPING")]: "typing",
  [enumValue("Activity", "ACTIVITY_IDLE")]: "idle",
  [enumValue("Activity", "ACTIVITY_AWAY")]: "away",
};

export function roleName(role) {
  return ROLE_NAMES[role] ?? "viewer";
}

/** A participant's colour (0xRRGGBB) as CSS, with `alpha`. */
function rgba(color, alpha) {
  return `rgba(${(color >> 16) & 255}, ${(color >> 8) & 255}, ${color & 255}, ${alpha})`;
}

export class People {
  /** `list`: where the avatars go; `jump(p)`: show that person's highlight. */
  constructor(list, jump) {
    this.list = list;
    this.jump = jump;
    this.presence = { participants: [], you: "", role: 0 };
  }

  /** The receiving page's own participant, if listed. */
  me() {
    return this.presence.participants.find((p) => p.id === this.presence.you) ?? null;
  }

  update(presence) {
    this.presence = presence;
    this.list.textContent = "";
    for (const p of presence.participants) {
      if (p.removed) continue;
      const activity = p.connected ? (ACTIVITY_NAMES[p.activity] ?? "active") : "away";
      const role = roleName(p.role);
      const button = document.createElement("button");
      button.type = "button";
      button.className = `avatar ${activity}`;
      button.dataset.participant = p.id;
      button.style.backgroundColor = rgba(p.color, 1);
      button.textContent = p.initials || "?";
      const you = p.id === presence.you ? " — you" : "";
      const asks = p.control_requested ? ", asks for control" : "";
      button.title = `${p.name} (${role}, ${activity}${asks})${you}`;
      button.setAttribute("aria-label", button.title);
      button.addEventListener("click", () => this.jump(p));
      const item = document.createElement("li");
      const label = document.createElement("span");
      label.className = "who";
      label.textContent = `${p.name}${you ? " (you)" : ""} · ${role}${activity === "active" ? "" : ` · ${activity}`}`;
      item.append(button, label);
      this.list.append(item);
    }
  }

  /** Everyone's highlights, as marks for the screen. */
  marks() {
    return this.presence.participants
      .filter((p) => !p.removed && p.selection)
      .map((p) => ({
        selection: p.selection,
        color: rgba(p.color, 0.35),
        label: `${p.name}'s highlight`,
        kind: "highlight",
      }));
  }
}
