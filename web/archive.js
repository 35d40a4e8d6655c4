// The facilitator's archive (R24, docs/OPERATIONS.md): named snapshots of the whole session,
// opening one read-only at its own address, comparing two (or one with now), restoring one as a
// new session (its link to open in another tab: this page stays on the live session), exports (JSON, CSV, Markdown, HTML; anonymous or not; now or a snapshot), and
// deleting the session. Everything goes over HTTP with the facilitator token as Bearer, except
// deleting: that is the organiser's who made the session (R31), by their sign-in cookie.

import { bdi, el } from "./html.js";
import { request } from "./http.js";
import { getLang, t } from "./i18n.js";
import "./i18n-staff.js";
import { cleanCode, downloadResponse, formatCode, linkRow } from "./ui.js";

export const EXPORT_FORMATS = [
  { id: "json", label: "JSON" }, { id: "xlsx", label: "XLSX" }, { id: "csv", label: "CSV (,)" },
  { id: "csv-semicolon", ext: "csv", sep: ";", label: "CSV (;)" },
  { id: "md", label: "Markdown" }, { id: "html", label: "HTML" },
];
const DIFF_KINDS = ["added", "removed", "edited", "moved", "clustered", "votes"];

export function snapshotUrl(sid, name, token) {
  return `/s/${encodeURIComponent(sid)}/${encodeURIComponent(name)}#t=${token}`;
}

export function formatTime(seconds) {
  if (!seconds) return "";
  return new Date(seconds * 1000).toLocaleString(getLang() === "en" ? "en-GB" : "nl-NL", {
    day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  });
}

export class ArchivePanel {
  /**
   * @param {object} o
   * @param {object} o.session
   * @param {string} o.token
   * @param {(instrument: string) => string} o.titleOf
   * @param {() => void} o.onDeleted
   */
  constructor({ session, token, titleOf, onDeleted }) {
    this.session = session;
    this.token = token;
    this.titleOf = titleOf;
    this.onDeleted = onDeleted;
    this.snapshots = [];
    this.destroyed = false;
    this.seen = null;
    this.base = `/api/sessions/${encodeURIComponent(session.id)}`;
    this.el = this.build();
    this.refresh();
  }

  destroy() {
    this.destroyed = true;
    clearTimeout(this.refreshTimer);
  }

  build() {
    this.nameInput = el("input", {
      type: "text", id: "snapshot-name", maxlength: "80", placeholder: t("snapshotNamePlaceholder"),
      "aria-label": t("snapshotName"),
    });
    const takeForm = el("form", { class: "ctl-row", id: "snapshot-form" },
      this.nameInput,
      el("button", { type: "submit", class: "ctl primary", id: "snapshot-take", text: t("snapshotTake") }));
    takeForm.addEventListener("submit", (e) => { e.preventDefault(); this.take(); });
    this.status = el("p", { class: "archive-status", id: "archive-status", role: "status", hidden: true });
    this.restored = el("div", { class: "restored", id: "restored", "aria-live": "polite" });
    this.list = el("ul", { class: "snapshot-list", id: "snapshot-list" });

    this.diffFrom = el("select", { id: "diff-from", "aria-label": t("diffFrom") });
    this.diffTo = el("select", { id: "diff-to", "aria-label": t("diffTo") });
    this.diffResult = el("div", { class: "diff-result", id: "diff-result", "aria-live": "polite" });
    const diffRow = el("div", { class: "ctl-row" },
      el("label", { class: "field inline", for: "diff-from", text: t("diffFrom") }), this.diffFrom,
      el("label", { class: "field inline", for: "diff-to", text: t("diffTo") }), this.diffTo,
      el("button", { type: "button", class: "ctl", id: "diff-run", text: t("diffRun"), onclick: () => this.diff() }));

    this.exportSource = el("select", { id: "export-source", "aria-label": t("exportSource") });
    this.exportAnon = el("input", { type: "checkbox", id: "export-anonymous" });
    const exportRow = el("div", { class: "ctl-row" },
      el("label", { class: "field inline", for: "export-source", text: t("exportSource") }), this.exportSource,
      el("label", { class: "check" }, this.exportAnon, el("span", { text: t("exportAnonymous") })),
      EXPORT_FORMATS.map((f) => el("button", {
        type: "button", class: "ctl export-btn", dataset: { format: f.id }, text: f.label,
        "aria-label": t("exportAs", { format: f.label }), onclick: () => this.download(f.ext || f.id, f.sep),
      })));

    this.deleteConfirm = this.buildDelete();
    return el("section", { class: "panel ov-archive", id: "archive-panel" },
      el("h2", { text: t("archiveTitle") }),
      el("p", { class: "intro", text: t("archiveIntro") }),
      takeForm, this.status, this.restored,
      el("h3", { text: t("snapshotsTitle") }), this.list,
      el("h3", { text: t("diffTitle") }), diffRow, this.diffResult,
      el("h3", { text: t("exportTitle") }), exportRow,
      el("h3", { text: t("deleteTitle") }), this.deleteConfirm);
  }

  buildDelete() {
    const code = el("input", {
      type: "text", id: "delete-confirm-code", autocomplete: "off", maxlength: "12",
    });
    this.deleteCode = code;
    const confirmBtn = el("button", {
      type: "button", class: "ctl warn", id: "session-delete-confirm", text: t("deleteConfirm"), disabled: true,
      onclick: () => this.deleteSession(),
    });
    this.deleteBtn = confirmBtn;
    code.addEventListener("input", () => {
      confirmBtn.disabled = cleanCode(code.value) !== this.session.code;
    });
    this.deleteLabel = el("label", { for: "delete-confirm-code" });
    this.setCode(this.session.code);
    const box = el("div", { class: "delete-confirm", id: "delete-confirm", hidden: true },
      el("p", { class: "error", text: t("deleteWarning") }),
      this.deleteLabel,
      el("div", { class: "ctl-row" }, code, confirmBtn,
        el("button", {
          type: "button", class: "ctl", id: "session-delete-cancel", text: t("cancel"),
          onclick: () => { box.hidden = true; start.hidden = false; code.value = ""; confirmBtn.disabled = true; },
        })));
    const start = el("button", {
      type: "button", class: "ctl warn", id: "session-delete", text: t("deleteSession"),
      onclick: () => { box.hidden = false; start.hidden = true; code.focus(); },
    });
    this.deleteStatus = el("p", { class: "error", id: "delete-status", role: "alert", hidden: true });
    return el("div", {}, el("p", { class: "hint", id: "delete-who", text: t("deleteWho") }), start, box,
      this.deleteStatus);
  }

  /** The join code to type (it changes when the begeleider asks for a new one, R33). */
  setCode(code) {
    this.session = { ...this.session, code };
    const label = t("deleteTypeCode", { code: formatCode(code) });
    this.deleteLabel.textContent = label;
    this.deleteCode.setAttribute("aria-label", label);
    this.deleteBtn.disabled = cleanCode(this.deleteCode.value) !== code;
  }

  say(message, error = false) {
    this.status.textContent = message || "";
    this.status.hidden = !message;
    this.status.classList.toggle("error", !!error);
  }

  /** New snapshots appear by themselves at a round change or when the session closes. */
  onControl(ctl) {
    const key = `${ctl?.round}:${ctl?.closed}`;
    if (this.seen !== null && key !== this.seen) {
      clearTimeout(this.refreshTimer);
      this.refreshTimer = setTimeout(() => this.refresh(), 800);
    }
    this.seen = key;
  }

  async refresh() {
    try {
      const data = await request("GET", `${this.base}/snapshots`, { token: this.token });
      if (this.destroyed) return;
      this.snapshots = [...(data.snapshots || [])].sort((a, b) => (a.taken || 0) - (b.taken || 0));
      this.render();
    } catch (err) {
      if (!this.destroyed) this.say(t("archiveError", { message: err.message }), true);
    }
  }

  render() {
    const snaps = this.snapshots;
    this.list.replaceChildren(...(snaps.length ? snaps.map((s) => this.item(s))
      : [el("li", { class: "ov-empty", text: t("snapshotsNone") })]));
    const fill = (select, withNow, keep) => {
      const chosen = select.value;
      select.replaceChildren(
        ...(withNow ? [el("option", { value: "", text: t("now") })] : []),
        ...[...snaps].reverse().map((s) => el("option", { value: s.name, text: s.name })));
      if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
      else if (keep !== undefined) select.value = keep;
    };
    fill(this.diffFrom, false);
    fill(this.diffTo, true, "");
    fill(this.exportSource, true, "");
  }

  item(s) {
    const restoreTitle = el("input", {
      type: "text", class: "restore-title", maxlength: "120", "aria-label": t("restoreTitle"),
    });
    restoreTitle.value = `${this.session.title} – ${s.name}`.slice(0, 120);
    const restoreBox = el("div", { class: "restore-box ctl-row", hidden: true },
      el("label", { class: "field inline", text: t("restoreTitle") }), restoreTitle,
      el("button", {
        type: "button", class: "ctl primary restore-confirm", text: t("restoreConfirm"),
        onclick: () => this.restore(s.name, restoreTitle.value.trim()),
      }),
      el("button", {
        type: "button", class: "ctl", text: t("cancel"),
        onclick: () => { restoreBox.hidden = true; },
      }));
    const counts = s.counts || {};
    const meta = [formatTime(s.taken), t("snapshotNotes", { n: counts.notes ?? 0 }),
      s.reason === "auto" ? t("snapshotAuto") : t("snapshotManual")].filter(Boolean).join(" · ");
    return el("li", { class: "snapshot", dataset: { name: s.name } },
      el("strong", { class: "snapshot-name", text: s.name }),
      el("span", { class: "snapshot-meta", text: meta }),
      el("div", { class: "ctl-row" },
        el("a", {
          class: "ctl snapshot-open", href: snapshotUrl(this.session.id, s.name, this.token),
          target: "_blank", rel: "noopener", text: t("snapshotOpen"),
        }),
        el("button", {
          type: "button", class: "ctl snapshot-compare", text: t("snapshotCompare"),
          onclick: () => { this.diffFrom.value = s.name; this.diffTo.value = ""; this.diff(); },
        }),
        el("button", {
          type: "button", class: "ctl snapshot-restore", text: t("snapshotRestore"),
          onclick: () => { restoreBox.hidden = false; restoreTitle.focus(); },
        })),
      restoreBox);
  }

  async take() {
    const name = this.nameInput.value.trim() || t("snapshotDefault", { time: formatTime(Date.now() / 1000) });
    try {
      const meta = await request("POST", `${this.base}/snapshots`, { body: { name }, token: this.token });
      this.nameInput.value = "";
      this.say(t("snapshotTaken", { name: meta.name }));
      await this.refresh();
    } catch (err) {
      this.say(err.status === 409 ? t("snapshotExists", { name }) : t("archiveError", { message: err.message }), true);
    }
  }

  async diff() {
    const from = this.diffFrom.value;
    if (!from) { this.say(t("diffNeedsSnapshot"), true); return; }
    const to = this.diffTo.value;
    const q = new URLSearchParams({ from });
    if (to) q.set("to", to);
    this.diffResult.replaceChildren(el("p", { class: "loading", text: t("connecting") }));
    try {
      const data = await request("GET", `${this.base}/diff?${q}`, { token: this.token });
      this.renderDiff(data.changes || {}, from, to);
    } catch (err) {
      this.diffResult.replaceChildren(el("p", { class: "error", role: "alert", text: t("archiveError", { message: err.message }) }));
    }
  }

  zoneTitle(zone) {
    return (this.session.stations || []).find((s) => s.id === zone)?.title || zone;
  }

  renderDiff(changes, from, to) {
    const where = (c) => `${this.titleOf(c.instrument)} · ${this.zoneTitle(c.zone)}`;
    const sections = DIFF_KINDS.map((kind) => {
      const list = changes[kind] || [];
      if (!list.length) return null;
      return el("section", { class: `diff-kind diff-${kind}`, dataset: { kind } },
        el("h4", { text: t(`diffKinds.${kind}`, { n: list.length }) }),
        el("ul", { class: "diff-list" }, list.map((c) => {
          let detail = null;
          if (kind === "edited") detail = el("span", { class: "diff-detail", text: t("diffEdited", { before: c.before ?? "", after: c.after ?? "" }) });
          else if (kind === "moved") {
            detail = el("span", {
              class: "diff-detail",
              text: t("diffMoved", { from: this.zoneTitle(c.from?.zone), to: this.zoneTitle(c.to?.zone) }),
            });
          } else if (kind === "clustered") {
            // Put in a cluster, taken out, or into another one: said as such (R48).
            const key = c.from ? (c.to ? "diffReclustered" : "diffUnclustered") : "diffClustered";
            detail = el("span", { class: "diff-detail" }, t(key, { from: bdi(c.from || ""), to: bdi(c.to || "") }));
          } else if (kind === "votes") detail = el("span", { class: "diff-detail", text: t("diffVotes", { before: c.before, after: c.after }) });
          return el("li", { class: "diff-item", dataset: { note: c.note, instrument: c.instrument } },
            el("span", { class: "diff-where", text: where(c) }),
            el("span", { class: "diff-text", text: c.text }),
            detail);
        })));
    }).filter(Boolean);
    const head = el("p", { class: "diff-head", text: t("diffBetween", { from, to: to || t("now") }) });
    this.diffResult.replaceChildren(head, ...(sections.length ? sections : [el("p", { class: "ov-empty", text: t("diffNone") })]));
  }

  async download(fmt, sep = "") {
    const q = new URLSearchParams();
    if (sep) q.set("sep", sep);
    if (this.exportSource.value) q.set("snapshot", this.exportSource.value);
    if (this.exportAnon.checked) q.set("anonymous", "1");
    const qs = q.toString();
    try {
      const res = await request("GET", `${this.base}/export.${fmt}${qs ? `?${qs}` : ""}`, { raw: true, token: this.token });
      const name = await downloadResponse(res, `export.${fmt}`);
      this.say(t("exportDone", { name }));
    } catch (err) {
      this.say(t("archiveError", { message: err.message }), true);
    }
  }

  /**
   * A snapshot as a new session: its begeleider link and a button to open it in a new tab. This
   * page stays on the live session (whose timer and people go on).
   */
  async restore(name, title) {
    try {
      const created = await request("POST", `${this.base}/snapshots/${encodeURIComponent(name)}/restore`, {
        body: { title }, token: this.token,
      });
      if (this.destroyed) return;
      const url = `${location.origin}/#t=${created.facilitator_token}`;
      this.say("");
      this.restored.replaceChildren(
        el("p", { id: "restored-text" }, t("restoredAsNew", {
          title: bdi(created.session?.title || title), code: formatCode(created.code || ""),
        })),
        linkRow(t("facilitatorLink"), url, "restored-link"),
        el("a", {
          class: "ctl primary", id: "restored-open", href: url, target: "_blank", rel: "noopener",
          text: t("restoredOpen"),
        }));
    } catch (err) {
      this.say(t("archiveError", { message: err.message }), true);
    }
  }

  /**
   * R31: only the organiser who made the session deletes it, signed in on this browser (the
   * cookie; a begeleider link is not enough, so no Bearer here).
   */
  async deleteSession() {
    try {
      await request("DELETE", this.base);
    } catch (err) {
      if (!err.status) this.sayDelete(t("networkError"));
      else if (err.status === 401) this.sayDelete(t("deleteNeedsOrganiser"));
      else if (err.status === 403 || err.status === 404) this.sayDelete(t("deleteNotYours"));
      else this.sayDelete(t("archiveError", { message: `HTTP ${err.status}` }));
      return;
    }
    this.onDeleted();
  }

  sayDelete(message) {
    this.deleteStatus.textContent = message;
    this.deleteStatus.hidden = !message;
  }
}
