// The organiser's sign-ups for the next design round (R47), under "Mijn sessies": per session
// of theirs who signed up, exported (CSV, CSV with ';' for Dutch Excel, XLSX) and deleted, one
// person at a time or all at once. Only the session's organiser reads them (their sign-in
// cookie); nothing of it is ever kept in this browser.

import { bdi, el } from "./html.js";
import { problemText, request } from "./http.js";
import { t } from "./i18n.js";
import "./i18n-staff.js";
import { formatDate } from "./organiser.js";
import { askConfirm, downloadResponse, say, statusLine } from "./ui.js";

const EXPORTS = [
  { id: "xlsx", ext: "xlsx", label: "XLSX" },
  { id: "csv-semicolon", ext: "csv", query: "?sep=%3B", label: "CSV (;)" },
  { id: "csv", ext: "csv", label: "CSV (,)" },
];

export class SignupsPanel {
  constructor() {
    this.sessions = [];
    this.sid = "";
    this.records = [];
    this.el = this.build();
  }

  build() {
    this.choice = el("select", { id: "signups-session", "aria-label": t("signupsSession") });
    this.choice.addEventListener("change", () => this.show(this.choice.value));
    this.status = statusLine("signups-status");
    this.count = el("p", { class: "signups-count", id: "signups-count" });
    this.body = el("tbody", { id: "signups-rows" });
    this.table = el("div", { class: "signups-scroll" }, el("table", { class: "signups-table", id: "signups-table" },
      el("thead", {}, el("tr", {}, ["name", "organisation", "role", "email", "instruments", "wish", "when"]
        .map((key) => el("th", { scope: "col", text: t(`signupsCols.${key}`) })),
      el("th", { scope: "col" }, el("span", { class: "sr-only", text: t("signupsDelete") })))),
      this.body));
    this.exports = EXPORTS.map((f) => el("button", {
      type: "button", class: "ctl signups-export", dataset: { format: f.id }, text: f.label,
      "aria-label": t("signupsExportAs", { format: f.label }), onclick: () => this.download(f),
    }));
    this.deleteAll = el("button", {
      type: "button", class: "ctl warn", id: "signups-delete-all", text: t("signupsDeleteAll"), onclick: () => this.removeAll(),
    });
    return el("section", { class: "panel signups-panel", id: "signups-panel", "aria-labelledby": "signups-title" },
      el("h2", { id: "signups-title", text: t("signupsTitle") }),
      el("p", { class: "intro", text: t("signupsIntro") }),
      el("div", { class: "ctl-row" }, el("label", { class: "field inline", for: "signups-session", text: t("signupsSession") }), this.choice),
      this.count, this.table,
      el("div", { class: "ctl-row" }, this.exports, this.deleteAll),
      this.status);
  }

  /** The organiser's sessions changed (loaded, one deleted): the choice follows. */
  setSessions(sessions) {
    this.sessions = sessions;
    const keep = sessions.some((s) => s.id === this.sid) ? this.sid : sessions[0]?.id || "";
    this.choice.replaceChildren(...sessions.map((s) => el("option", {
      value: s.id, selected: s.id === keep, text: `${s.title || t("untitledSession")} · ${formatDate(s.created)}`,
    })));
    this.show(keep);
  }

  /** Show the sign-ups of session `sid` (from "Mijn sessies": its button leads here). */
  async show(sid, focus = false) {
    this.sid = sid;
    if (this.choice.value !== sid) this.choice.value = sid;
    if (focus) this.el.scrollIntoView({ block: "start" });
    if (!sid) { this.render([]); return; }
    try {
      const data = await request("GET", `/api/sessions/${encodeURIComponent(sid)}/signups`);
      if (this.sid === sid) this.render(data.signups || []);
    } catch (err) {
      if (this.sid === sid) say(this.status, problemText(err), true);
    }
  }

  render(records) {
    this.records = records;
    this.count.textContent = records.length === 1 ? t("signupsOne") : t("signupsMany", { n: records.length });
    this.table.hidden = !records.length;
    for (const b of [...this.exports, this.deleteAll]) b.disabled = !records.length;
    this.body.replaceChildren(...records.map((r) => this.row(r)));
  }

  row(r) {
    const wish = [r.meedenken ? t("signupsThink") : "", r.uitproberen ? t("signupsTry") : ""].filter(Boolean).join(", ");
    return el("tr", { class: "signup-row", dataset: { signup: r.id } },
      el("td", { dir: "auto", text: r.name }),
      el("td", { dir: "auto", text: r.organisation || "" }),
      el("td", { text: t(`signupRoles.${r.role}`) }),
      el("td", { class: "signup-email", text: r.email }),
      el("td", { text: (r.instruments || []).map((i) => t(`instrumentNames.${i}`)).join(", ") }),
      el("td", { text: wish }),
      el("td", { text: formatDate(r.created) }),
      el("td", {}, el("button", {
        type: "button", class: "ctl warn small signup-delete", text: t("signupsDelete"),
        "aria-label": t("signupsDeleteOf", { name: r.name }), onclick: () => this.remove(r),
      })));
  }

  async remove(r) {
    const { ok } = await askConfirm({
      title: t("signupsDeleteTitle"), id: "signup-delete-dialog",
      message: t("signupsDeleteText", { name: bdi(r.name), email: bdi(r.email) }), confirm: t("signupsDelete"),
    });
    if (!ok) return;
    await this.send(`/signups/${encodeURIComponent(r.id)}`, t("signupsDeleted", { name: r.name }));
  }

  async removeAll() {
    const { ok } = await askConfirm({
      title: t("signupsDeleteAllTitle"), id: "signups-delete-all-dialog",
      message: t("signupsDeleteAllText", { n: this.records.length }), confirm: t("signupsDeleteAll"),
    });
    if (!ok) return;
    await this.send("/signups", t("signupsDeletedAll"));
  }

  async send(path, done) {
    const sid = this.sid;
    try {
      await request("DELETE", `/api/sessions/${encodeURIComponent(sid)}${path}`);
      say(this.status, done);
    } catch (err) {
      say(this.status, problemText(err), true);
    }
    await this.show(sid);
  }

  async download(f) {
    try {
      const res = await request("GET", `/api/sessions/${encodeURIComponent(this.sid)}/signups.${f.ext}${f.query || ""}`, { raw: true });
      say(this.status, t("exportDone", { name: await downloadResponse(res, `aanmeldingen.${f.ext}`) }));
    } catch (err) {
      say(this.status, problemText(err), true);
    }
  }
}
