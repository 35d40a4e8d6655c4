// The facilitator's overview of the day: the round timer and its controls, all four corners at
// once (who is there, how many notes per station, the latest notes), the rotation plan, the
// groups, an announcement, summons, and the links and QR codes to hand out.
//
// Built once, then updated in place from the board store (control board + the corner boards)
// and from presence frames, so inputs keep their focus while the day goes on. Every change is
// an op on the control board; the state shown is always the server's (`event.after`, R20).

import { ArchivePanel } from "./archive.js";
import { timerInfo } from "./clock.js";
import { groupsAt } from "./control.js";
import { clear, el } from "./html.js";
import { t } from "./i18n.js";
import { linkRow, setIfIdle } from "./ui.js";

const LAST_NOTES = 3;

export class FacilitatorView {
  /**
   * @param {object} o
   * @param {HTMLElement} o.root
   * @param {object} o.session       welcome.session
   * @param {import("./state.js").BoardStore} o.store
   * @param {string} o.controlId
   * @param {string} o.token         the facilitator token (for GET /api/sessions/{sid}/links)
   * @param {import("./clock.js").ServerClock} o.clock
   * @param {Map<string, object>} o.instruments  instrument templates by id
   * @param {object|null} o.presence the last presence frame
   * @param {(boardId: string) => void} o.onOpenBoard
   * @param {(station?: string) => void} [o.onOpenStations]  the cross-board station view
   * @param {(created: object) => void} [o.onRestored]  a snapshot was restored as a new session
   * @param {() => void} [o.onDeleted]  the session was deleted
   */
  constructor({ root, session, store, controlId, token, clock, instruments, presence, onOpenBoard,
    onOpenStations, onRestored, onDeleted }) {
    this.root = root;
    this.session = session;
    this.store = store;
    this.controlId = controlId;
    this.token = token;
    this.clock = clock;
    this.instruments = instruments || new Map();
    this.onOpenBoard = onOpenBoard;
    this.onOpenStations = onOpenStations || (() => {});
    this.onRestored = onRestored || (() => {});
    this.onDeleted = onDeleted || (() => {});
    this.boards = [...session.boards].sort((a, b) => a.corner - b.corner);
    this.cards = new Map(); // instrument id -> parts of its card
    this.presenceFrame = presence || null;
    this.planDraft = null;
    this.planDirty = false;
    this.planSaving = null;
    this.planKey = "";
    this.groupsDirty = false;
    this.peopleKey = "";
    this.destroyed = false;
    this.unsubs = [
      store.onChange((b) => this.changed(b)),
      store.onError((msg) => this.onError(msg)),
    ];
    this.build();
    this.updateControl();
    for (const b of this.boards) this.updateCorner(b);
    this.setPresence(this.presenceFrame);
    this.loadLinks();
  }

  destroy() {
    this.destroyed = true;
    this.archive?.destroy();
    for (const u of this.unsubs) u();
  }

  control() {
    return this.store.mirror(this.controlId).control;
  }

  op(op) {
    return this.store.op(this.controlId, op);
  }

  titleOf(corner) {
    return this.instruments.get(corner)?.title
      || this.boards.find((b) => b.instrument === corner)?.title || corner;
  }

  changed(boardId) {
    if (this.destroyed) return;
    if (boardId === this.controlId) {
      this.updateControl();
      return;
    }
    const board = this.boards.find((b) => b.id === boardId);
    if (board) this.updateCorner(board);
  }

  onError(msg) {
    // The store drops a refused op (and tells its listeners) before the error listeners run, so
    // match on the id we sent, not on planSaving.
    if (this.planSent && msg.ref === this.planSent) {
      // Refused (bad_plan): keep the draft so it can be fixed; the toast says why.
      this.planSent = null;
      this.planSaving = null;
      this.planDirty = true;
      this.renderPlanState();
    }
  }

  // --- building ----------------------------------------------------------------------------

  build() {
    const root = clear(this.root);
    this.archive = new ArchivePanel({
      session: this.session, token: this.token, titleOf: (c) => this.titleOf(c),
      onRestored: (created) => this.onRestored(created), onDeleted: () => this.onDeleted(),
    });
    const stations = (this.session.stations || []).length > 0;
    root.append(el("div", { class: "overview", id: "overview" },
      el("div", { class: "ov-head" },
        el("div", {},
          el("h1", { class: "view-title", text: t("overviewTitle") }),
          el("p", { class: "session-title", text: this.session.title })),
        stations ? el("button", {
          type: "button", class: "ctl primary", id: "open-stations", text: t("stationViewOpen"),
          onclick: () => this.onOpenStations(),
        }) : null,
        el("div", { class: "code-row" },
          el("span", { class: "link-label", text: t("joinCode") }),
          el("strong", { class: "join-code", id: "join-code", text: this.session.code }),
          el("span", { class: "ov-join-url", text: `${location.host}/j/${this.session.code}` }))),
      el("div", { class: "ov-top" }, this.buildTimer(), this.buildAnnounce()),
      el("div", { class: "ov-corners", id: "ov-corners" }, this.boards.map((b) => this.buildCard(b))),
      this.buildPlan(),
      el("div", { class: "ov-two" }, this.buildGroups(), this.buildPeople()),
      this.archive.el,
      this.buildLinks()));
  }

  buildTimer() {
    const btn = (id, text, onclick, cls = "ctl") => el("button", { type: "button", id, class: cls, text, onclick });
    this.roundEl = el("span", { class: "ov-round", id: "overview-round" });
    this.timeEl = el("span", { class: "ov-time", id: "overview-time", role: "timer" });
    this.stateEl = el("span", { class: "ov-state" });
    this.btn = {
      start: btn("timer-start", t("timerStart"), () => this.op({ kind: "timer.start" }), "ctl primary"),
      pause: btn("timer-pause", t("timerPause"), () => this.op({ kind: "timer.pause" })),
      minus: btn("timer-minus", t("timerMinus"), () => this.op({ kind: "timer.add", seconds: -60 })),
      plus: btn("timer-plus", t("timerPlus"), () => this.op({ kind: "timer.add", seconds: 60 })),
      prev: btn("round-prev", t("roundPrev"), () => {
        const ctl = this.control();
        if (ctl && ctl.round > 1) this.op({ kind: "round.set", round: ctl.round - 1, start: false });
      }),
      next: btn("round-next", t("roundNext"), () => this.op({ kind: "round.next", start: true }), "ctl primary"),
      summonEnd: btn("summon-end", t("summonEnd"), () => this.op({ kind: "summon", corner: null }), "ctl warn"),
    };
    this.lengthInput = el("input", {
      type: "number", id: "round-length", min: "1", max: "240", step: "1", inputmode: "numeric", class: "num",
    });
    const setLength = () => {
      const minutes = Number(this.lengthInput.value);
      if (!(minutes > 0)) return;
      this.op({ kind: "timer.set", seconds: Math.min(86400, Math.round(minutes * 60)) });
    };
    this.lengthInput.addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); setLength(); }
    });
    this.chimeBox = el("input", { type: "checkbox", id: "timer-chime" });
    this.chimeBox.addEventListener("change", () => this.op({ kind: "timer.chime", on: this.chimeBox.checked }));
    this.summonLine = el("p", { class: "ov-summon-line", id: "summon-line", hidden: true });
    return el("section", { class: "panel ov-timer", id: "timer-panel", "aria-labelledby": "timer-heading" },
      el("h2", { id: "timer-heading", text: t("timerTitle") }),
      el("div", { class: "ov-clock" }, this.roundEl, this.timeEl, this.stateEl),
      el("div", { class: "ctl-row" }, this.btn.start, this.btn.pause, this.btn.minus, this.btn.plus),
      el("div", { class: "ctl-row" }, this.btn.prev, this.btn.next),
      el("div", { class: "ctl-row" },
        el("label", { for: "round-length", text: t("roundLength") }), this.lengthInput,
        btn("round-length-set", t("roundLengthSet"), setLength)),
      el("label", { class: "check" }, this.chimeBox, el("span", { text: t("chime") })),
      el("div", { class: "ctl-row" }, this.summonLine, this.btn.summonEnd));
  }

  buildAnnounce() {
    this.announceInput = el("input", {
      type: "text", id: "announce-text", maxlength: "280", placeholder: t("announcePlaceholder"),
      "aria-label": t("announceTitle"),
    });
    this.announceNow = el("p", { class: "ov-announce-now", id: "announce-now" });
    const form = el("form", { class: "panel ov-announce", id: "announce-panel" },
      el("h2", { text: t("announceTitle") }),
      this.announceInput,
      el("div", { class: "ctl-row" },
        el("button", { type: "submit", id: "announce-send", class: "ctl primary", text: t("announceSend") }),
        el("button", {
          type: "button", id: "announce-clear", class: "ctl", text: t("announceClear"),
          onclick: () => { this.announceInput.value = ""; this.op({ kind: "announce", text: "" }); },
        })),
      this.announceNow);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = this.announceInput.value.trim().slice(0, 280);
      if (text) this.op({ kind: "announce", text });
    });
    return form;
  }

  buildCard(b) {
    const corner = b.instrument;
    const parts = {
      planned: el("p", { class: "ov-planned" }),
      mode: el("p", { class: "ov-mode", hidden: true }),
      presence: el("p", { class: "ov-presence" }),
      counts: new Map(),
      total: el("strong", { class: "ov-total" }),
      last: el("ol", { class: "ov-last" }),
      summon: el("button", {
        type: "button", class: "ctl summon", dataset: { corner }, text: t("summonHere"),
        onclick: () => this.op({ kind: "summon", corner }),
      }),
      projector: el("a", {
        class: "ctl ov-projector", dataset: { corner }, target: "_blank", rel: "noopener",
        text: t("projectorOpen"), hidden: true,
      }),
    };
    const counts = el("ul", { class: "ov-counts" },
      (this.session.stations || []).filter((s) => b.zones.includes(s.id)).map((s) => {
        const n = el("strong", { class: "ov-count", text: "0" });
        parts.counts.set(s.id, n);
        return el("li", { dataset: { station: s.id } }, el("span", { text: s.title }), n);
      }));
    parts.card = el("section", { class: `ov-corner corner-${b.corner}`, dataset: { corner, board: b.id } },
      el("p", { class: "corner-num", text: t("corner", { n: b.corner }) }),
      el("h2", { class: "ov-title", text: this.titleOf(corner) }),
      parts.planned, parts.presence, parts.mode,
      el("p", { class: "ov-notes-head" }, el("span", { text: t("notesTotal") }), " ", parts.total),
      counts,
      el("h3", { class: "ov-last-head", text: t("lastNotes") }), parts.last,
      el("div", { class: "ctl-row" },
        el("button", {
          type: "button", class: "ctl ov-open", text: t("openBoard"), onclick: () => this.onOpenBoard(b.id),
        }),
        parts.summon, parts.projector));
    this.cards.set(corner, parts);
    return parts.card;
  }

  buildPlan() {
    this.planWrap = el("div", { class: "plan-wrap" });
    this.planState = el("p", { class: "plan-state", id: "plan-state", role: "status" });
    const btn = (id, text, onclick, cls = "ctl") => el("button", { type: "button", id, class: cls, text, onclick });
    return el("section", { class: "panel ov-plan", id: "plan-editor" },
      el("h2", { text: t("planTitle") }),
      el("p", { class: "intro", text: t("planHint") }),
      this.planWrap,
      el("div", { class: "ctl-row" },
        btn("plan-add-round", t("planAddRound"), () => this.planRows(+1)),
        btn("plan-remove-round", t("planRemoveRound"), () => this.planRows(-1)),
        btn("plan-save", t("planSave"), () => this.savePlan(), "ctl primary"),
        btn("plan-cancel", t("planCancel"), () => { this.planDirty = false; this.planKey = ""; this.updateControl(); }),
        btn("plan-reset", t("planReset"), () => this.resetPlan())),
      this.planState);
  }

  buildGroups() {
    this.groupsInput = el("textarea", {
      id: "groups-input", rows: "6", class: "groups-input", "aria-label": t("groupsTitle"),
    });
    this.groupsInput.addEventListener("input", () => { this.groupsDirty = true; });
    const form = el("form", { class: "panel ov-groups", id: "groups-editor" },
      el("h2", { text: t("groupsTitle") }),
      el("p", { class: "intro", text: t("groupsHint") }),
      this.groupsInput,
      el("div", { class: "ctl-row" },
        el("button", { type: "submit", id: "groups-save", class: "ctl primary", text: t("groupsSave") })));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const groups = [];
      for (const line of this.groupsInput.value.split("\n")) {
        const name = line.trim().slice(0, 40);
        if (name && !groups.includes(name)) groups.push(name);
      }
      if (!groups.length) return;
      this.groupsDirty = false;
      this.op({ kind: "groups.set", groups });
    });
    return form;
  }

  buildPeople() {
    this.peopleHead = el("h2", { text: t("peopleTitle", { n: 0 }) });
    this.peopleList = el("ul", { class: "people-list", id: "people-list" });
    this.peopleList.addEventListener("focusout", () => {
      if (this.peopleStale) setTimeout(() => this.renderPeople(), 0);
    });
    return el("section", { class: "panel ov-people", id: "people-panel" }, this.peopleHead, this.peopleList);
  }

  buildLinks() {
    this.linksBody = el("div", { class: "links-body" }, el("p", { class: "loading", text: t("connecting") }));
    return el("section", { class: "panel ov-links", id: "links-panel" },
      el("h2", { text: t("linksTitle") }), this.linksBody);
  }

  // --- updating ----------------------------------------------------------------------------

  updateControl() {
    const ctl = this.control();
    if (!ctl) return;
    const running = !!ctl.timer?.running;
    this.btn.start.disabled = running;
    this.btn.pause.disabled = !running;
    this.btn.next.disabled = ctl.round >= ctl.rounds_planned;
    this.btn.prev.disabled = ctl.round <= 1;
    this.btn.summonEnd.hidden = !ctl.summon;
    this.summonLine.hidden = !ctl.summon;
    this.summonLine.textContent = ctl.summon ? t("summonActiveAt", { corner: this.titleOf(ctl.summon.corner) }) : "";
    setIfIdle(this.lengthInput, String(Math.round((ctl.round_s || 0) / 60)));
    this.chimeBox.checked = !!ctl.timer?.chime;
    this.roundEl.textContent = t("roundOf", { n: ctl.round, total: ctl.rounds_planned });
    for (const [corner, parts] of this.cards) {
      const groups = groupsAt(ctl, corner);
      parts.planned.textContent = groups.length
        ? t("plannedHere", { groups: groups.join(", ") }) : t("plannedNobody");
      const summoned = ctl.summon?.corner === corner;
      parts.card.classList.toggle("is-summoned", summoned);
      parts.summon.disabled = summoned;
      parts.summon.textContent = summoned ? t("summonActive") : t("summonHere");
    }
    const ann = ctl.announcement?.text || "";
    this.announceNow.textContent = ann ? t("announceNow", { text: ann }) : t("announceNone");
    if (!this.groupsDirty) setIfIdle(this.groupsInput, (ctl.groups || []).join("\n"));
    // The plan: a saved draft is done once our op is confirmed (or refused, see onError).
    if (this.planSaving && !this.store.mirror(this.controlId).pending.has(this.planSaving)) {
      this.planSaving = null;
      this.planDirty = false;
    }
    const key = JSON.stringify([ctl.plan, ctl.free, ctl.groups, ctl.corners, ctl.round]);
    if (!this.planDirty && key !== this.planKey) {
      this.planKey = key;
      this.planDraft = {
        plan: (ctl.plan || []).map((r) => ({ ...r })),
        free: new Set(ctl.free || []),
      };
      this.renderPlan();
    }
    this.renderPlanState();
    this.renderPeople();
    this.archive?.onControl(ctl);
    this.tick();
  }

  tick() {
    const ctl = this.control();
    if (!ctl || this.destroyed) return;
    const info = timerInfo(ctl, this.clock.now());
    if (this.timeEl.textContent !== info.text) this.timeEl.textContent = info.text;
    const state = t(`timerStates.${info.state}`);
    if (this.stateEl.textContent !== state) this.stateEl.textContent = state;
    this.timeEl.dataset.state = info.state;
  }

  updateCorner(b) {
    const parts = this.cards.get(b.instrument);
    if (!parts) return;
    const mirror = this.store.mirror(b.id);
    const notes = [...mirror.view().values()];
    const mode = mirror.mode || "open";
    parts.mode.hidden = mode === "open";
    parts.mode.textContent = mode === "open" ? "" : t("modeOnCard", { mode: t(`modes.${mode}`) });
    parts.card.dataset.mode = mode;
    let total = 0;
    for (const [station, node] of parts.counts) {
      const n = notes.filter((note) => note.zone === station).length;
      total += n;
      node.textContent = String(n);
    }
    parts.total.textContent = String(total);
    const latest = notes
      .sort((a, b2) => (b2.created_seq ?? Infinity) - (a.created_seq ?? Infinity) || (a.id < b2.id ? 1 : -1))
      .slice(0, LAST_NOTES);
    clear(parts.last).append(...(latest.length
      ? latest.map((n) => el("li", { class: "ov-note", dataset: { noteId: n.id } },
        el("span", { class: "ov-note-text", text: n.text }),
        el("span", {
          class: "ov-note-meta",
          text: [n.group, n.round ? t("roundShort", { n: n.round }) : ""].filter(Boolean).join(" · "),
        })))
      : [el("li", { class: "ov-empty", text: t("emptyStation") })]));
  }

  setPresence(frame) {
    this.presenceFrame = frame || null;
    if (this.destroyed) return;
    const boards = frame?.boards || {};
    for (const b of this.boards) {
      const parts = this.cards.get(b.instrument);
      const entry = boards[b.id];
      if (!parts) continue;
      if (!entry || !entry.total) {
        parts.presence.textContent = t("presenceNone");
        parts.card.dataset.present = "0";
        continue;
      }
      const per = Object.entries(entry.groups || {})
        .sort(([a], [b2]) => (a === "") - (b2 === "") || a.localeCompare(b2))
        .map(([g, n]) => `${g || t("noGroupShort")}: ${n}`).join(", ");
      parts.presence.textContent = `${t("presenceHere", { n: entry.total })} (${per})`;
      parts.card.dataset.present = String(entry.total);
    }
    this.renderPeople();
  }

  renderPeople() {
    const ctl = this.control();
    const people = (this.presenceFrame?.people || []).filter((p) => p.role === "participant");
    const groups = ctl?.groups || this.session.groups || [];
    const key = JSON.stringify([people, groups]);
    if (key === this.peopleKey) return;
    if (this.peopleList.contains(document.activeElement)) {
      this.peopleStale = true; // do not close a select someone is using; redraw on focusout
      return;
    }
    this.peopleStale = false;
    this.peopleKey = key;
    this.peopleHead.textContent = t("peopleTitle", { n: people.length });
    const where = (p) => {
      const names = (p.boards || []).map((id) => this.boards.find((b) => b.id === id))
        .filter(Boolean).map((b) => this.titleOf(b.instrument));
      return names.length ? names.join(", ") : t("peopleNowhere");
    };
    clear(this.peopleList).append(...(people.length ? people.map((p) => {
      const name = p.name || t("anonymous");
      const select = el("select", {
        class: "assign-group", dataset: { participant: p.participant },
        "aria-label": t("assignLabel", { name }),
      },
      el("option", { value: "", text: t("noGroup") }),
      groups.map((g) => el("option", { value: g, text: g, selected: g === p.group })));
      select.addEventListener("change", () => {
        this.op({ kind: "group.assign", participant: p.participant, group: select.value });
      });
      return el("li", { class: "person", dataset: { participant: p.participant } },
        el("span", { class: "person-name", text: name }),
        el("span", { class: "person-where", text: where(p) }),
        select);
    }) : [el("li", { class: "ov-empty", text: t("peopleNone") })]));
  }

  // --- the plan editor ---------------------------------------------------------------------

  renderPlan() {
    const ctl = this.control();
    if (!ctl || !this.planDraft) return;
    const { plan, free } = this.planDraft;
    const groups = ctl.groups || [];
    const corners = ctl.corners || [];
    const markDirty = () => { this.planDirty = true; this.renderPlanState(); };
    const head = el("tr", {}, el("th", { scope: "col", text: t("planRound") }),
      groups.map((g) => {
        const box = el("input", { type: "checkbox", class: "plan-free", dataset: { group: g }, checked: free.has(g) });
        box.addEventListener("change", () => {
          if (box.checked) free.add(g); else free.delete(g);
          markDirty();
          this.renderPlan();
        });
        return el("th", { scope: "col", dataset: { group: g } },
          el("span", { class: "plan-group", text: g }),
          el("label", { class: "check small" }, box, el("span", { text: t("planFree") })));
      }));
    const rows = plan.map((row, i) => el("tr", {
      dataset: { round: String(i + 1) }, class: i + 1 === ctl.round ? "is-current" : "",
    },
    el("th", { scope: "row", text: String(i + 1) }),
    groups.map((g) => {
      const select = el("select", {
        class: "plan-cell", dataset: { round: String(i + 1), group: g },
        "aria-label": t("planCell", { group: g, n: i + 1 }), disabled: free.has(g),
      },
      el("option", { value: "", text: free.has(g) ? t("planFree") : t("planNone") }),
      corners.map((c) => el("option", { value: c, text: this.titleOf(c), selected: row[g] === c })));
      select.addEventListener("change", () => {
        if (select.value) row[g] = select.value; else delete row[g];
        markDirty();
      });
      return el("td", {}, select);
    })));
    clear(this.planWrap).append(el("table", { class: "plan-table", id: "plan-table" },
      el("thead", {}, head), el("tbody", {}, rows)));
  }

  renderPlanState() {
    const text = this.planSaving ? t("planSaving") : this.planDirty ? t("planDirty") : "";
    this.planState.textContent = text;
    this.planState.hidden = !text;
  }

  planRows(delta) {
    const ctl = this.control();
    if (!ctl || !this.planDraft) return;
    const { plan, free } = this.planDraft;
    if (delta > 0 && plan.length < 24) {
      // A new round continues the round-robin for the groups that rotate.
      const r = plan.length;
      const corners = ctl.corners || [];
      const rotating = (ctl.groups || []).filter((g) => !free.has(g));
      const row = {};
      rotating.forEach((g, i) => { if (corners.length) row[g] = corners[(i + r) % corners.length]; });
      plan.push(row);
    } else if (delta < 0 && plan.length > 1) {
      plan.pop();
    } else {
      return;
    }
    this.planDirty = true;
    this.renderPlan();
    this.renderPlanState();
  }

  savePlan() {
    if (!this.planDraft) return;
    const { plan, free } = this.planDraft;
    const rows = plan.map((row) => Object.fromEntries(
      Object.entries(row).filter(([g, c]) => c && !free.has(g))));
    this.planDirty = true;
    this.planSaving = this.op({ kind: "plan.set", plan: rows, free: [...free] });
    this.planSent = this.planSaving;
    this.renderPlanState();
  }

  resetPlan() {
    const free = this.planDraft ? [...this.planDraft.free] : (this.control()?.free || []);
    this.planDirty = false;
    this.planKey = "";
    this.op({ kind: "plan.set", plan: [], free });
  }

  // --- links and QR codes --------------------------------------------------------------------

  async loadLinks() {
    const s = this.session;
    const origin = location.origin;
    let data = null;
    let problem = "";
    try {
      const res = await fetch(`/api/sessions/${encodeURIComponent(s.id)}/links`, {
        headers: { authorization: `Bearer ${this.token}` }, credentials: "same-origin",
      });
      data = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(data.message || `HTTP ${res.status}`);
    } catch (err) {
      problem = err.message || String(err);
      data = null;
    }
    if (this.destroyed) return;
    const corners = this.boards.map((b) => b.instrument);
    const links = {
      join_url: data?.join_url || `${origin}/j/${s.code}`,
      viewer_url: data?.viewer_url || "",
      projector_urls: data?.projector_urls || {},
      corner_join_urls: data?.corner_join_urls
        || Object.fromEntries(corners.map((c) => [c, `${origin}/j/${s.code}/${c}`])),
      qr: data?.qr || {
        session: `/qr/${s.code}.svg`,
        corners: Object.fromEntries(corners.map((c) => [c, `/qr/${s.code}/${c}.svg`])),
      },
    };
    this.links = links;
    const body = clear(this.linksBody);
    if (problem) body.append(el("p", { class: "error", role: "alert", text: t("linksError", { message: problem }) }));
    body.append(
      el("div", { class: "links-session" },
        el("div", { class: "links-text" },
          linkRow(t("joinLink"), links.join_url, "join-link"),
          linkRow(t("facilitatorLink"), `${origin}/#t=${this.token}`, "facilitator-link"),
          links.viewer_url ? linkRow(t("viewerLink"), links.viewer_url, "viewer-link") : null),
        el("img", {
          class: "qr", id: "qr-session", src: links.qr.session, alt: t("qrSession"), width: "180", height: "180",
        })),
      el("div", { class: "links-corners" }, this.boards.map((b) => {
        const c = b.instrument;
        const title = this.titleOf(c);
        const projector = links.projector_urls[c];
        return el("div", { class: "links-corner", dataset: { corner: c } },
          el("h3", { text: `${t("corner", { n: b.corner })}: ${title}` }),
          links.qr.corners?.[c] ? el("img", {
            class: "qr qr-corner", src: links.qr.corners[c], alt: t("qrCorner", { corner: title }),
            dataset: { corner: c }, width: "140", height: "140",
          }) : null,
          linkRow(t("cornerLink"), links.corner_join_urls[c] || "", "corner-join-link"),
          projector ? linkRow(t("projectorLink"), projector, "projector-link") : null,
          projector ? el("a", {
            class: "ctl projector-open", href: projector, target: "_blank", rel: "noopener",
            dataset: { corner: c }, text: t("projectorOpen"),
          }) : null);
      })));
    for (const [corner, parts] of this.cards) {
      const url = links.projector_urls[corner];
      if (url) {
        parts.projector.href = url;
        parts.projector.hidden = false;
      }
    }
  }
}
