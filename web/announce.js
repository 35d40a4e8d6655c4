// The begeleider's announcement for everyone (R56): its text, how long it stays (until it is
// taken down, or a number of minutes after which every page hides it by itself) and what
// everyone sees now, which goes once its `until` has passed on the server's clock.

import { bdi, el } from "./html.js";
import { getLang, t } from "./i18n.js";
import "./i18n-staff.js";
import { maxLength } from "./rules.js";

/** How long an announcement may stay, in minutes (0: until it is taken down). */
const MINUTES = [0, 5, 10, 15, 30, 60];

export class AnnouncePanel {
  /**
   * @param {object} o
   * @param {(op: object) => unknown} o.op  sends an op to the control board
   * @param {import("./clock.js").ServerClock} o.clock
   */
  constructor({ op, clock }) {
    this.op = op;
    this.clock = clock;
    this.shown = null;
    const max = maxLength("announce", "text");
    this.input = el("input", {
      type: "text", id: "announce-text", maxlength: String(max), placeholder: t("announcePlaceholder"),
      "aria-label": t("announceTitle"),
    });
    this.stays = el("select", { id: "announce-for", class: "ctl", "aria-label": t("announceFor") },
      ...MINUTES.map((m) => el("option", {
        value: String(m), text: m ? t("announceMinutes", { n: m }) : t("announceUntilRemoved"),
      })));
    this.now = el("p", { class: "ov-announce-now", id: "announce-now" });
    this.el = el("form", { class: "panel ov-announce", id: "announce-panel" },
      el("h2", { text: t("announceTitle") }),
      this.input,
      el("div", { class: "ctl-row" },
        this.stays,
        el("button", { type: "submit", id: "announce-send", class: "ctl primary", text: t("announceSend") }),
        el("button", {
          type: "button", id: "announce-clear", class: "ctl", text: t("announceClear"),
          onclick: () => { this.input.value = ""; this.op({ kind: "announce", text: "" }); },
        })),
      this.now);
    this.el.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = this.input.value.trim().slice(0, max);
      const minutes = Number(this.stays.value) || 0;
      if (text) this.op({ kind: "announce", text, ...(minutes ? { seconds: minutes * 60 } : {}) });
    });
  }

  /** What everyone sees now, from the control board's state (called on changes and each tick). */
  update(ctl) {
    const a = ctl.announcement;
    const until = typeof a?.until === "number" ? a.until : null;
    const live = !!a?.text && (until === null || this.clock.now() < until);
    const key = live ? `${a.text}|${until}` : "";
    if (this.shown === key) return;
    this.shown = key;
    if (!live) { this.now.replaceChildren(t("announceNone")); return; }
    if (until === null) { this.now.replaceChildren(t("announceNow", { text: bdi(a.text) })); return; }
    const time = new Date(until * 1000).toLocaleTimeString(getLang(), { hour: "2-digit", minute: "2-digit" });
    this.now.replaceChildren(t("announceNowUntil", { text: bdi(a.text), time }));
  }
}
