// The start page (R31). Most visitors are participants: the join-by-code form comes first,
// with a small sign-in for organisers below it. A signed-in organiser (HttpOnly cookie
// `vh_organiser`, sent by fetch with credentials "same-origin") sees "Mijn sessies" instead:
// their sessions with join code and a link to open each as its begeleider, deleting one; and
// the organiser's panels of organiser.js (a new session or one instrument, the cross-session
// report, importing a JSON export, their password and signing out), the way to the tweede
// ontwerpslag (/ontwerpslag) and who signed up for it per session (signuplist.js).
//
// Everything people typed (titles, their own name) reaches the page as text only, bidi-isolated
// (R30, R37).

import { allSheets } from "./chrome.js";
import { bdi, clear, el } from "./html.js";
import { problemText, request } from "./http.js";
import { t } from "./i18n.js";
import { askConfirm, cleanCode, formatCode, say, statusLine } from "./ui.js";

/**
 * The signed-in organiser's panels (organiser.js, signuplist.js) and the stylesheets of the pages
 * after this one: loaded only for an organiser, so a participant's phone typing a code never
 * waits for them (R61).
 */
async function organiserKit() {
  const [panels, { SignupsPanel }] = await Promise.all([import("./organiser.js"), import("./signuplist.js"), allSheets()]);
  return { ...panels, SignupsPanel };
}

export class HomeView {
  /**
   * @param {object} o
   * @param {HTMLElement} o.root
   * @param {string} [o.message]     shown on top (an error, "the session was deleted", …)
   * @param {() => Promise<object>} o.templates  the instrument templates
   * @param {(created: object) => void} o.onCreated  a new session: open it as its begeleider
   * @param {(code: string) => void} o.onJoin  a typed join code
   * @param {(sessionId: string) => void} [o.onDeleted]  forget what this browser kept of it
   * @param {() => boolean} o.alive  false once another page was opened meanwhile
   */
  constructor({ root, message = "", templates, onCreated, onJoin, onDeleted, alive }) {
    this.root = root;
    this.message = message;
    this.templates = templates;
    this.onCreated = onCreated;
    this.onJoin = onJoin;
    this.onDeleted = onDeleted || (() => {});
    this.alive = alive;
    this.sessions = [];
    clear(root).append(el("p", { class: "loading", text: t("connecting") }));
    this.load();
  }

  async load() {
    let mine = null;
    try {
      mine = await request("GET", "/api/organiser/sessions");
    } catch {
      mine = null; // not signed in (401), or no network: the public page
    }
    if (mine) {
      try {
        this.kit = this.kit || await organiserKit();
      } catch (err) {
        mine = null; // the panels did not load (no network): the public page, saying so
        this.message = problemText(err);
      }
    }
    if (!this.alive()) return;
    if (mine) this.renderMine(mine);
    else this.renderPublic();
  }

  // --- not signed in --------------------------------------------------------------------------

  joinForm(first) {
    const code = el("input", {
      type: "text", id: "join-code-input", name: "code", required: true, autocomplete: "off",
      autocapitalize: "characters", spellcheck: "false", maxlength: "12", placeholder: "ABCD EFGH",
      "aria-describedby": "join-code-hint", inputmode: "text",
    });
    const form = el("form", { class: "join-form", id: "join-form" },
      el("label", { for: "join-code-input", text: t("joinCodeLabel") }),
      el("div", { class: "join-row" }, code,
        el("button", { type: "submit", class: "primary", id: "join-submit", text: t("joinButton") })),
      el("p", { class: "hint", id: "join-code-hint", text: t("joinCodeHint") }));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const value = cleanCode(code.value);
      if (value) this.onJoin(value);
    });
    // Ready to type on a laptop; a phone keeps its keyboard down until the field is tapped.
    if (first && window.matchMedia?.("(pointer: fine)").matches) {
      setTimeout(() => { if (document.activeElement === document.body) code.focus({ preventScroll: true }); }, 0);
    }
    return form;
  }

  messageLine() {
    const line = el("p", { class: "error", id: "home-message", role: "alert", text: this.message || "" });
    line.hidden = !this.message;
    return line;
  }

  renderPublic() {
    const name = el("input", {
      type: "text", id: "login-name", name: "username", autocomplete: "username", required: true,
      maxlength: "60", spellcheck: "false", autocapitalize: "none",
    });
    const password = el("input", {
      type: "password", id: "login-password", name: "password", autocomplete: "current-password",
      required: true, maxlength: "256",
    });
    const button = el("button", { type: "submit", class: "primary", id: "login-submit", text: t("loginButton") });
    const error = el("p", { class: "error", id: "login-error", role: "alert" });
    error.hidden = true;
    const form = el("form", { class: "login-form", id: "login-form" },
      el("label", { for: "login-name", text: t("loginName") }), name,
      el("label", { for: "login-password", text: t("loginPassword") }), password,
      button, error);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      button.disabled = true;
      say(error, "");
      try {
        await request("POST", "/api/organiser/login", { body: { name: name.value.trim(), password: password.value } });
        if (!this.alive()) return;
        this.message = "";
        await this.load();
      } catch (err) {
        if (!this.alive()) return;
        say(error, err.code === "bad_login" ? t("errorCodes.bad_login") : problemText(err), true);
        button.disabled = false;
        password.select();
      }
    });
    clear(this.root).append(
      el("section", { class: "panel home", id: "home" },
        el("h1", { text: t("appTitle") }),
        el("p", { class: "intro", text: t("homeIntro") }),
        this.messageLine(),
        this.joinForm(true)),
      el("section", { class: "panel organiser-login", id: "organiser-login", "aria-labelledby": "login-title" },
        el("h2", { id: "login-title", text: t("loginTitle") }),
        el("p", { class: "intro", text: t("loginIntro") }),
        form));
  }

  /** Signed out (here or everywhere): the public page, saying so. */
  async signedOut(everywhere) {
    if (!this.alive()) return;
    this.message = "";
    await this.load();
    if (this.alive()) {
      const line = this.root.querySelector("#home-message");
      if (line) say(line, t(everywhere ? "signedOutEverywhere" : "signedOut"));
    }
  }

  // --- Mijn sessies -----------------------------------------------------------------------------

  renderMine(data) {
    const { AccountPanel, ImportPanel, NewSessionPanel, ReportPanel, SignupsPanel } = this.kit;
    const org = data.organiser || {};
    this.organiser = org;
    this.sessions = data.sessions || [];
    this.status = statusLine("home-status");
    this.list = el("ul", { class: "my-session-list", id: "session-list" });
    this.newPanel = new NewSessionPanel({ templates: this.templates, alive: this.alive, onCreated: this.onCreated });
    this.report = new ReportPanel();
    this.importPanel = new ImportPanel({ alive: this.alive, onImported: () => this.reload() });
    this.signups = new SignupsPanel();
    this.account = new AccountPanel({ organiser: org, alive: this.alive, onSignedOut: (everywhere) => this.signedOut(everywhere) });
    clear(this.root).append(
      el("section", { class: "panel home my-sessions", id: "my-sessions", "aria-labelledby": "my-sessions-title" },
        el("h1", { id: "my-sessions-title", text: t("mySessions") }),
        el("p", { class: "signed-in-as", id: "signed-in-as" }, t("signedInAs", { name: bdi(org.name || "") })),
        this.messageLine(),
        this.status,
        this.list),
      el("section", { class: "panel design-round", id: "design-round", "aria-labelledby": "design-round-title" },
        el("h2", { id: "design-round-title", text: t("designRoundTitle") }),
        el("p", { class: "intro", text: t("designRoundIntro") }),
        el("a", { class: "ctl primary", id: "open-ontwerpslag", href: "/ontwerpslag", text: t("designRoundOpen") })),
      this.signups.el,
      this.newPanel.el,
      this.report.el,
      this.importPanel.el,
      this.account.el,
      el("section", { class: "panel join-panel", id: "join-panel", "aria-labelledby": "join-title" },
        el("h2", { id: "join-title", text: t("joinTitle") }),
        this.joinForm(false)));
    this.renderList();
  }

  async reload() {
    try {
      const data = await request("GET", "/api/organiser/sessions");
      if (!this.alive()) return;
      this.sessions = data.sessions || [];
      this.renderList();
    } catch (err) {
      if (!this.alive()) return;
      if (err.status === 401) { this.message = t("signedOutMeanwhile"); this.renderPublic(); return; }
      say(this.status, problemText(err), true);
    }
  }

  renderList() {
    const items = this.sessions.map((s) => this.sessionItem(s));
    this.list.replaceChildren(...(items.length ? items
      : [el("li", { class: "ov-empty", id: "sessions-none", text: t("mySessionsNone") })]));
    this.report.setSessions(this.sessions);
    this.signups.setSessions(this.sessions);
  }

  sessionItem(s) {
    const title = s.title || t("untitledSession");
    const headingId = `my-session-${s.id}`;
    const meta = [this.kit.formatDate(s.created), this.kit.templateName(s.template)];
    return el("li", { class: "my-session", dataset: { session: s.id, code: s.code }, "aria-labelledby": headingId },
      el("h2", { class: "my-session-title", id: headingId, dir: "auto", text: title }),
      el("p", { class: "my-session-meta" },
        el("span", { class: "my-session-date", text: meta.join(" · ") }),
        s.closed ? el("span", { class: "my-session-closed", text: t("sessionClosedMark") }) : null),
      el("p", { class: "my-session-code-row" },
        el("span", { class: "link-label", text: t("joinCode") }),
        el("strong", { class: "my-session-code join-code-small", dataset: { code: s.code }, text: formatCode(s.code) })),
      el("div", { class: "ctl-row" },
        el("a", {
          class: "ctl primary open-facilitator", href: `/#t=${s.facilitator_token}`,
          text: t("openAsFacilitator"), "aria-describedby": headingId,
        }),
        el("button", {
          type: "button", class: "ctl my-session-signups", text: t("signupsOpen"),
          "aria-describedby": headingId, onclick: () => this.signups.show(s.id, true),
        }),
        el("button", {
          type: "button", class: "ctl warn my-session-delete", text: t("deleteMine"),
          "aria-describedby": headingId, onclick: () => this.remove(s),
        })));
  }

  async remove(s) {
    const title = s.title || t("untitledSession");
    const { ok } = await askConfirm({
      title: t("deleteMineTitle"), id: "delete-dialog",
      message: t("deleteMineText", { title: bdi(title), code: formatCode(s.code) }),
      confirm: t("deleteMineConfirm"),
    });
    if (!ok || !this.alive()) return;
    try {
      await request("DELETE", `/api/sessions/${encodeURIComponent(s.id)}`);
      this.onDeleted(s.id);
      say(this.status, t("sessionDeletedTitle", { title }));
    } catch (err) {
      say(this.status, problemText(err), true);
    }
    await this.reload();
  }
}

/**
 * /o/<secret>: sign in with a one-time link. The address is replaced by "/" at once, so the
 * secret is neither kept in the history nor sent again by a reload. Resolves to an error
 * message, or "" when signed in.
 */
export async function signInWithLink(secret) {
  history.replaceState(null, "", "/");
  try {
    await request("POST", "/api/organiser/signin", { body: { link: secret } });
    return "";
  } catch (err) {
    if (err.code === "bad_link") return t("errorCodes.bad_link");
    return problemText(err);
  }
}
