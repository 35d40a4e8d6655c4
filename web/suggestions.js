// Suggested clusters for one station (R29): the server proposes groups of the unclustered
// notes of every corner; the facilitator accepts one (a new cluster with the notes in it),
// gives it another title first, or rejects it. Nothing changes until they accept.

import { el } from "./html.js";
import { request } from "./http.js";
import { t } from "./i18n.js";
import "./i18n-staff.js";
import { maxLength } from "./rules.js";

export class Suggestions {
  /**
   * @param {object} o
   * @param {import("./state.js").BoardStore} o.store
   * @param {string} o.controlId
   * @param {string} o.sessionId
   * @param {string} o.token        facilitator token
   * @param {string} o.station
   * @param {string} o.stationTitle
   * @param {(boardId: string) => string} o.boardTitle
   * @param {(msg: string) => void} o.notify
   */
  constructor({ store, controlId, sessionId, token, station, stationTitle, boardTitle, notify }) {
    this.store = store;
    this.controlId = controlId;
    this.sessionId = sessionId;
    this.token = token;
    this.station = station;
    this.stationTitleText = stationTitle;
    this.boardTitle = boardTitle;
    this.notify = notify;
    this.state = null; // {loading} | {error} | {list: [{key, title, notes, editing}]}
    this.gone = false; // the view moved on: an answer arriving now is dropped
    this.button = el("button", {
      type: "button", class: "ctl", id: "suggest-btn", text: t("suggestButton"), onclick: () => this.load(),
    });
    this.box = el("section", { class: "panel suggestions", id: "suggestions", hidden: true, "aria-live": "polite" });
  }

  async load() {
    const station = this.station;
    this.button.disabled = true;
    this.state = { loading: true, list: [] };
    this.render(true);
    try {
      const data = await request("GET", `/api/sessions/${encodeURIComponent(this.sessionId)}/suggest?station=${encodeURIComponent(station)}`, { token: this.token });
      if (this.gone) return;
      this.state = {
        list: (data.clusters || []).map((c, i) => ({ key: `s${i}`, title: c.title || "", notes: c.notes || [], editing: false })),
      };
    } catch (err) {
      if (this.gone) return;
      this.state = { error: err.message || String(err), list: [] };
    } finally {
      this.button.disabled = false;
    }
    this.render(true);
  }

  render(force = false) {
    const box = this.box;
    const s = this.state;
    if (!s) { box.hidden = true; return; }
    if (!force) return; // notes changing do not redraw the list: it is the server's answer
    box.hidden = false;
    const head = el("div", { class: "suggest-head" },
      el("h2", { text: t("suggestTitle", { station: this.stationTitleText }) }),
      el("button", {
        type: "button", class: "ctl small", id: "suggest-close", text: t("close"),
        onclick: () => { this.state = null; this.render(true); },
      }));
    if (s.loading) { box.replaceChildren(head, el("p", { class: "loading", text: t("suggestLoading") })); return; }
    if (s.error) { box.replaceChildren(head, el("p", { class: "error", role: "alert", text: t("errorGeneric", { message: s.error }) })); return; }
    if (!s.list.length) { box.replaceChildren(head, el("p", { class: "ov-empty", id: "suggest-none", text: t("suggestNone") })); return; }
    const boardTitle = this.boardTitle;
    box.replaceChildren(head, el("ol", { class: "suggest-list" }, s.list.map((sg) => {
      const input = el("input", {
        type: "text", class: "suggestion-title-input", maxlength: String(maxLength("cluster.add", "title")), "aria-label": t("clusterName"), hidden: !sg.editing,
      });
      input.value = sg.title;
      input.addEventListener("input", () => { sg.title = input.value; });
      input.addEventListener("keydown", (e) => {
        if (e.key === "Enter") { e.preventDefault(); this.accept(sg); }
      });
      const title = el("h3", { class: "suggestion-title", dir: "auto", text: sg.title || t("clusterUntitled"), hidden: sg.editing });
      return el("li", { class: "suggestion", dataset: { suggestion: sg.key } },
        title, input,
        el("ul", { class: "suggestion-notes" }, sg.notes.map((n) => el("li", { dataset: { board: n.board, note: n.note } },
          el("span", { class: "suggestion-note-text", dir: "auto", text: n.text }),
          el("span", { class: "suggestion-note-board", text: boardTitle(n.board) })))),
        el("div", { class: "ctl-row" },
          el("button", { type: "button", class: "ctl small primary suggest-accept", text: t("suggestAccept"), onclick: () => this.accept(sg) }),
          el("button", {
            type: "button", class: "ctl small suggest-edit", text: t("suggestEdit"),
            onclick: () => {
              sg.editing = true;
              title.hidden = true;
              input.hidden = false;
              input.focus();
              input.select();
            },
          }),
          el("button", { type: "button", class: "ctl small suggest-reject", text: t("suggestReject"), onclick: () => this.reject(sg) })));
    })));
  }

  reject(sg) {
    this.state.list = this.state.list.filter((x) => x !== sg);
    this.render(true);
  }

  /** A new cluster with the suggested (or edited) title, then each note into it. */
  async accept(sg) {
    if (sg.busy) return;
    sg.busy = true;
    const cluster = this.store.ids.cluster();
    try {
      // The server checks note.cluster against the control board: the cluster must be stored first.
      await this.store.clusterOp(this.controlId, {
        kind: "cluster.add", cluster, station: this.station, title: sg.title.trim().slice(0, maxLength("cluster.add", "title")),
      });
      const moves = sg.notes.map((n) => this.store.clusterOp(n.board, { kind: "note.cluster", note: n.note, cluster }));
      this.reject(sg);
      await Promise.allSettled(moves);
    } catch (err) {
      sg.busy = false;
      this.notify(t("opRejected", { message: err?.message || String(err) }));
    }
  }
}
