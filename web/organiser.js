// An organiser's panels under "Mijn sessies" (R31): a new four-corner session (with a title)
// or one instrument as a working board; the report over several of their sessions (Markdown,
// HTML, XLSX, CSV with ',' or with ';' for Dutch Excel; anonymised or not); importing a JSON
// export as a new session (R35); their password, and signing out (here or everywhere).
// Everything over HTTP with the organiser's cookie (http.js).

import { bdi, clear, el } from "./html.js";
import { problemText, request } from "./http.js";
import { getLang, t } from "./i18n.js";
import "./i18n-staff.js";
import { downloadResponse, formatCode, say, statusLine } from "./ui.js";

const REPORT_FORMATS = [
  { id: "md", ext: "md", label: "Markdown" }, { id: "html", ext: "html", label: "HTML" },
  { id: "xlsx", ext: "xlsx", label: "XLSX" }, { id: "csv-semicolon", ext: "csv", query: "?sep=%3B", label: "CSV (;)" },
  { id: "csv", ext: "csv", label: "CSV (,)" },
];
const MAX_REPORT = 20; // server: at most 20 sessions in one report

/** A moment as people read it here: day, month, year and time, in local time. */
export function formatDate(seconds) {
  if (!seconds) return "";
  return new Date(seconds * 1000).toLocaleString(getLang() === "en" ? "en-GB" : "nl-NL", {
    day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit",
  });
}

export function templateName(id) {
  if (id === "vier-hoeken") return t("fourCorners");
  const name = t(`instrumentNames.${id}`);
  return typeof name === "string" && name !== `instrumentNames.${id}` ? name : id;
}

export class NewSessionPanel {
  constructor({ templates, alive, onCreated }) {
    this.templates = templates;
    this.alive = alive;
    this.onCreated = onCreated;
    this.el = this.build();
  }

  build() {
    const title = el("input", {
      type: "text", id: "session-title", name: "title", maxlength: "120", autocomplete: "off",
      placeholder: t("sessionTitlePlaceholder"), "aria-describedby": "session-title-hint", dir: "auto",
    });
    const create = el("button", { type: "submit", class: "primary big", id: "new-session", text: t("newSession") });
    const error = el("p", { class: "error", id: "new-session-error", role: "alert" });
    error.hidden = true;
    const start = async (template, button) => {
      button.disabled = true;
      say(error, "");
      try {
        const created = await request("POST", "/api/sessions", { body: { template, title: title.value.trim() } });
        if (this.alive()) this.onCreated(created);
      } catch (err) {
        if (!this.alive()) return;
        say(error, problemText(err), true);
        button.disabled = false;
      }
    };
    const form = el("form", { class: "new-session-form", id: "new-session-form" },
      el("label", { for: "session-title", text: t("sessionTitleLabel") }), title,
      el("p", { class: "hint", id: "session-title-hint", text: t("sessionTitleHint") }),
      create);
    form.addEventListener("submit", (e) => { e.preventDefault(); start("vier-hoeken", create); });

    const instSelect = el("select", { id: "instrument-select", "aria-label": t("instrumentLabel") },
      ["praatplaat", "matrix", "achtje", "reflectietool"].map((id) => el("option", { value: id, text: t(`instrumentNames.${id}`) })));
    this.templates().then((tpl) => {
      const list = (tpl.instruments || []).slice().sort((a, b) => (a.number || 0) - (b.number || 0));
      if (!list.length || !this.alive()) return;
      const chosen = instSelect.value;
      clear(instSelect).append(...list.map((i) => el("option", { value: i.id, text: i.title, selected: i.id === chosen })));
    });
    const startInst = el("button", { type: "button", class: "primary", id: "start-instrument", text: t("startInstrument") });
    startInst.addEventListener("click", () => start(instSelect.value, startInst));
    return el("section", { class: "panel new-session", id: "new-session-panel", "aria-labelledby": "new-session-title" },
      el("h2", { id: "new-session-title", text: t("newSessionTitle") }),
      form, error,
      el("div", { class: "instrument-start", id: "instrument-start" },
        el("h3", { text: t("instrumentTitle") }),
        el("p", { class: "intro", text: t("instrumentIntro") }),
        el("div", { class: "join-row" }, instSelect, startInst)));
  }
}

export class ReportPanel {
  constructor() {
    this.sessions = [];
    this.reportBox = el("div", { class: "report-sessions", id: "report-sessions" });
    this.el = this.build();
  }

  setSessions(sessions) {
    this.sessions = sessions;
    this.renderReportChoices();
  }

  build() {
    this.reportAnon = el("input", { type: "checkbox", id: "report-anonymous" });
    this.reportStatus = statusLine("report-status");
    this.reportButtons = REPORT_FORMATS.map((f) => el("button", {
      type: "button", class: "ctl report-btn", dataset: { format: f.id }, text: f.label,
      "aria-label": t("reportAs", { format: f.label }), onclick: () => this.report(f),
    }));
    return el("section", { class: "panel report-panel", id: "report-panel", "aria-labelledby": "report-title" },
      el("h2", { id: "report-title", text: t("reportTitle") }),
      el("p", { class: "intro", text: t("reportIntro") }),
      el("fieldset", { class: "report-choice" },
        el("legend", { text: t("reportSessions") }), this.reportBox),
      el("label", { class: "check", for: "report-anonymous" }, this.reportAnon, el("span", { text: t("exportAnonymous") })),
      el("div", { class: "ctl-row" }, this.reportButtons),
      this.reportStatus);
  }

  renderReportChoices() {
    const chosen = new Set([...this.reportBox.querySelectorAll("input:checked")].map((b) => b.value));
    const boxes = this.sessions.map((s, i) => {
      const box = el("input", {
        type: "checkbox", class: "report-session", id: `report-session-${i}`, value: s.id,
        checked: chosen.has(s.id),
      });
      box.addEventListener("change", () => this.syncReport());
      return el("label", { class: "check", for: `report-session-${i}` }, box,
        el("span", {}, bdi(s.title || t("untitledSession")), ` · ${formatDate(s.created)}`));
    });
    this.reportBox.replaceChildren(...(boxes.length ? boxes : [el("p", { class: "ov-empty", text: t("mySessionsNone") })]));
    this.syncReport();
  }

  chosenForReport() {
    return [...this.reportBox.querySelectorAll("input.report-session:checked")].map((b) => b.value);
  }

  syncReport() {
    const n = this.chosenForReport().length;
    for (const b of this.reportButtons) b.disabled = n === 0 || n > MAX_REPORT;
    if (n > MAX_REPORT) say(this.reportStatus, t("reportTooMany", { n: MAX_REPORT }), true);
    else if (this.reportStatus.classList.contains("error")) say(this.reportStatus, "");
  }

  async report(f) {
    const sessions = this.chosenForReport();
    if (!sessions.length) return;
    try {
      const res = await request("POST", `/api/report.${f.ext}${f.query || ""}`, {
        body: { sessions, anonymous: this.reportAnon.checked }, raw: true,
      });
      const name = await downloadResponse(res, `rapportage.${f.ext}`);
      say(this.reportStatus, t("exportDone", { name }));
    } catch (err) {
      say(this.reportStatus, problemText(err), true);
    }
  }
}

export class ImportPanel {
  constructor({ alive, onImported }) {
    this.alive = alive;
    this.onImported = onImported;
    this.el = this.build();
  }

  build() {
    const file = el("input", { type: "file", id: "import-file", accept: ".json,application/json" });
    const button = el("button", { type: "submit", class: "ctl primary", id: "import-submit", text: t("importButton") });
    const status = statusLine("import-status");
    const form = el("form", { class: "import-form", id: "import-form" },
      el("label", { for: "import-file", text: t("importFile") }), file,
      el("div", { class: "ctl-row" }, button), status);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const chosen = file.files?.[0];
      if (!chosen) { say(status, t("importChoose"), true); return; }
      button.disabled = true;
      say(status, t("importBusy"));
      try {
        const created = await request("POST", "/api/import", { text: await chosen.text() });
        if (!this.alive()) return;
        file.value = "";
        say(status, t("importDone", {
          title: created.session?.title || t("untitledSession"), code: formatCode(created.code),
        }));
        await this.onImported();
      } catch (err) {
        say(status, err.code === "import_refused" ? t("importRefused", { message: err.message }) : problemText(err), true);
      } finally {
        button.disabled = false;
      }
    });
    return el("section", { class: "panel import-panel", id: "import-panel", "aria-labelledby": "import-title" },
      el("h2", { id: "import-title", text: t("importTitle") }),
      el("p", { class: "intro", text: t("importIntro") }),
      form);
  }
}

export class AccountPanel {
  constructor({ organiser, alive, onSignedOut }) {
    this.alive = alive;
    this.onSignedOut = onSignedOut;
    this.el = this.build(organiser);
  }

  build(org) {
    const password = el("input", {
      type: "password", id: "new-password", name: "new-password", autocomplete: "new-password",
      minlength: "10", maxlength: "256", required: true, "aria-describedby": "password-hint",
    });
    const hint = el("p", { class: "hint", id: "password-hint", text: org.password ? t("passwordHas") : t("passwordNone") });
    const status = statusLine("password-status");
    const form = el("form", { class: "password-form", id: "password-form" },
      el("label", { for: "new-password", text: t("passwordLabel") }), password, hint,
      el("div", { class: "ctl-row" },
        el("button", { type: "submit", class: "ctl primary", id: "password-submit", text: t("passwordSet") })),
      status);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (password.value.length < 10) { say(status, t("passwordShort"), true); return; }
      try {
        await request("POST", "/api/organiser/password", { body: { password: password.value } });
        password.value = "";
        hint.textContent = t("passwordHas");
        say(status, t("passwordDone"));
      } catch (err) {
        say(status, err.status === 400 ? t("passwordShort") : problemText(err), true);
      }
    });
    const signOut = async (everywhere) => {
      try {
        await request("POST", "/api/organiser/logout", { body: { everywhere } });
      } catch { /* the cookie goes either way when the server answers; offline: try later */ }
      await this.onSignedOut(everywhere);
    };
    return el("section", { class: "panel account-panel", id: "account-panel", "aria-labelledby": "account-title" },
      el("h2", { id: "account-title", text: t("accountTitle") }),
      form,
      el("div", { class: "ctl-row" },
        el("button", { type: "button", class: "ctl", id: "signout", text: t("signOut"), onclick: () => signOut(false) }),
        el("button", { type: "button", class: "ctl", id: "signout-everywhere", text: t("signOutEverywhere"), onclick: () => signOut(true) })));
  }
}
