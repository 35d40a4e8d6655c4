// The facilitator's overview of the day: the round timer and its controls, all four corners at
// once (who is there, how many notes per station, the latest notes, "samen bewerken" per board),
// an announcement and summons, a vote's result ranked per station over all corners (R59),
// closing the session and opening it again; and, from their own modules, the rotation plan and
// the groups (plan.js), the participants (people.js), the archive (archive.js), the join code,
// links, QR codes, screens and co-begeleiders (links.js).
//
// Built once, then updated in place from the board store (control board + the corner boards)
// and from presence frames, so inputs keep their focus while the day goes on. Every change is
// an op on the control board; the state shown is always the server's (`event.after`, R20).

import { AnnouncePanel } from "./announce.js";
import { ArchivePanel } from "./archive.js";
import { timerInfo } from "./clock.js";
import { groupsAt } from "./control.js";
import { bdi, clear, el } from "./html.js";
import { t } from "./i18n.js";
import "./i18n-staff.js";
import { LinksPanel } from "./links.js";
import { listOf, PeoplePanel } from "./people.js";
import { GroupsPanel, PlanPanel } from "./plan.js";
import { askConfirm, setIfIdle } from "./ui.js";
import { ResultPanel } from "./votes.js";

const LAST_NOTES = 3;

export class Overview {
  /**
   * @param {object} o
   * @param {HTMLElement} o.root
   * @param {object} o.session       welcome.session
   * @param {import("./state.js").BoardStore} o.store
   * @param {string} o.controlId
   * @param {string} o.token         the facilitator token (links, invites, archive)
   * @param {import("./clock.js").ServerClock} o.clock
   * @param {Map<string, object>} o.instruments  instrument templates by id
   * @param {object|null} o.presence the last presence frame
   * @param {(boardId: string) => void} o.onOpenBoard
   * @param {(station?: string) => void} [o.onOpenStations]  the cross-board station view
   * @param {() => void} [o.onDeleted]  the session was deleted
   * @param {(code: string) => void} [o.onCode]  the session got a new join code (R33)
   * @param {(msg: string) => void} [o.notify]  a short message (toast)
   */
  constructor({ root, session, store, controlId, token, clock, instruments, presence, onOpenBoard,
    onOpenStations, onDeleted, onCode, notify }) {
    this.root = root;
    this.session = session;
    this.store = store;
    this.controlId = controlId;
    this.token = token;
    this.clock = clock;
    this.instruments = instruments || new Map();
    this.onOpenBoard = onOpenBoard;
    this.onOpenStations = onOpenStations || (() => {});
    this.onDeleted = onDeleted || (() => {});
    this.onCode = onCode || (() => {});
    this.notify = notify || (() => {});
    this.boards = [...session.boards].sort((a, b) => a.corner - b.corner);
    this.cards = new Map(); // instrument id -> parts of its card
    this.destroyed = false;
    this.unsubs = [
      store.onChange((b) => this.changed(b)),
      store.onError((msg) => this.plan.onError(msg)),
    ];
    this.build();
    this.updateControl();
    for (const b of this.boards) this.updateCorner(b);
    this.setPresence(presence || null);
    this.links.loadLinks();
    this.links.loadInvites();
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
    if (board) {
      this.updateCorner(board);
      this.result.update();
    }
  }

  // --- building ----------------------------------------------------------------------------

  build() {
    const root = clear(this.root);
    const alive = () => !this.destroyed;
    const titleOf = (c) => this.titleOf(c);
    this.archive = new ArchivePanel({
      session: this.session, token: this.token, titleOf, onDeleted: () => this.onDeleted(),
    });
    this.links = new LinksPanel({
      session: this.session, token: this.token, boards: this.boards, titleOf, alive, notify: this.notify,
      onCode: (code) => {
        this.session = { ...this.session, code };
        this.archive?.setCode(code);
        this.onCode(code);
      },
      onLinks: (links) => {
        for (const [corner, parts] of this.cards) {
          const url = links.projector_urls[corner];
          if (url) {
            parts.projector.href = url;
            parts.projector.hidden = false;
          }
        }
      },
    });
    this.plan = new PlanPanel({ store: this.store, controlId: this.controlId, titleOf });
    this.result = new ResultPanel({
      store: this.store, controlId: this.controlId, boards: this.boards, stations: this.session.stations || [],
    });
    this.groups = new GroupsPanel({ store: this.store, controlId: this.controlId });
    this.announce = new AnnouncePanel({ op: (op) => this.op(op), clock: this.clock });
    this.people = new PeoplePanel({
      store: this.store, controlId: this.controlId, session: this.session, boards: this.boards,
      titleOf, notify: this.notify, alive,
    });
    const stations = (this.session.stations || []).length > 0;
    root.append(el("div", { class: "overview", id: "overview" },
      el("div", { class: "ov-head" },
        el("div", {},
          el("h1", { class: "view-title", text: t("overviewTitle") }),
          el("p", { class: "session-title", dir: "auto", text: this.session.title })),
        stations ? el("button", {
          type: "button", class: "ctl primary", id: "open-stations", text: t("stationViewOpen"),
          onclick: () => this.onOpenStations(),
        }) : null,
        this.links.codeRow),
      el("div", { class: "ov-top" }, this.buildTimer(), this.announce.el),
      this.result.el,
      el("div", { class: "ov-corners", id: "ov-corners" }, this.boards.map((b) => this.buildCard(b))),
      this.plan.el,
      el("div", { class: "ov-two" }, this.groups.el, this.people.el),
      this.archive.el,
      this.links.linksEl,
      this.links.invitesEl,
      this.buildClosing()));
  }

  /** Closing the session (R24: read-only, the join code stops, a snapshot) and opening it again. */
  buildClosing() {
    this.closedState = el("p", { class: "ov-closed-state", id: "session-closed-state", role: "status" });
    this.closeBtn = el("button", {
      type: "button", class: "ctl warn", id: "session-close", text: t("sessionClose"),
      onclick: async () => {
        const { ok } = await askConfirm({
          id: "close-dialog", title: t("sessionCloseTitle"), message: t("sessionCloseText"), confirm: t("sessionClose"),
        });
        if (ok && !this.destroyed) this.op({ kind: "session.close", closed: true });
      },
    });
    this.reopenBtn = el("button", {
      type: "button", class: "ctl primary", id: "session-reopen", text: t("sessionReopen"), hidden: true,
      onclick: () => this.op({ kind: "session.close", closed: false }),
    });
    return el("section", { class: "panel ov-closing", id: "closing-panel", "aria-labelledby": "closing-title" },
      el("h2", { id: "closing-title", text: t("sessionClosingTitle") }),
      el("p", { class: "intro", text: t("sessionClosingIntro") }),
      this.closedState, el("div", { class: "ctl-row" }, this.closeBtn, this.reopenBtn));
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
      next: btn("round-next", t("roundNext"), () => this.nextRound(), "ctl primary"),
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

  /** The next round; a vote's result still on the boards comes off first (R59). */
  nextRound() {
    for (const [id, v] of Object.entries(this.control()?.votes || {})) {
      if (!v.open && v.shown !== false) this.op({ kind: "vote.dismiss", vote: id });
    }
    this.op({ kind: "round.next", start: true });
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
      // R32: participants may change each other's notes on this board ("samen bewerken").
      editing: el("input", {
        type: "checkbox", role: "switch", class: "editing-switch", id: `editing-${corner}`,
        dataset: { board: b.id, corner },
      }),
    };
    parts.editing.addEventListener("change", () => {
      const editing = parts.editing.checked ? "shared" : "own";
      if (editing !== this.store.mirror(b.id).editingView()) {
        this.store.op(b.id, { kind: "board.editing", editing });
      }
    });
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
      el("label", { class: "check ov-editing", for: `editing-${corner}` }, parts.editing,
        el("span", { text: t("editingShared") })),
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
    this.summonLine.replaceChildren(ctl.summon ? t("summonActiveAt", { corner: bdi(this.titleOf(ctl.summon.corner)) }) : "");
    setIfIdle(this.lengthInput, String(Math.round((ctl.round_s || 0) / 60)));
    this.chimeBox.checked = !!ctl.timer?.chime;
    this.roundEl.textContent = t("roundOf", { n: ctl.round, total: ctl.rounds_planned });
    for (const [corner, parts] of this.cards) {
      const groups = groupsAt(ctl, corner);
      parts.planned.replaceChildren(groups.length
        ? t("plannedHere", { groups: listOf(groups.map((g) => bdi(g))) }) : t("plannedNobody"));
      const summoned = ctl.summon?.corner === corner;
      parts.card.classList.toggle("is-summoned", summoned);
      parts.summon.disabled = summoned;
      parts.summon.textContent = summoned ? t("summonActive") : t("summonHere");
    }
    this.announce.update(ctl);
    this.groups.update(ctl);
    this.plan.update(ctl);
    this.people.renderPeople();
    this.archive?.onControl(ctl);
    this.closeBtn.hidden = !!ctl.closed;
    this.reopenBtn.hidden = !ctl.closed;
    this.closedState.textContent = ctl.closed ? t("sessionClosedNow") : t("sessionOpenNow");
    this.result.update();
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
    this.announce.update(ctl);
  }


  updateCorner(b) {
    const parts = this.cards.get(b.instrument);
    if (!parts) return;
    const mirror = this.store.mirror(b.id);
    const notes = [...mirror.view().values()];
    const mode = mirror.mode || "open";
    parts.editing.checked = mirror.editingView() === "shared";
    parts.card.dataset.editing = mirror.editing || "own";
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
        el("span", { class: "ov-note-text", dir: "auto", text: n.text }),
        el("span", { class: "ov-note-meta" },
          ...[n.group ? bdi(n.group) : null, n.round ? t("roundShort", { n: n.round }) : null]
            .filter(Boolean).flatMap((x, i) => (i ? [" · ", x] : [x])))))
      : [el("li", { class: "ov-empty", text: t("emptyStation") })]));
  }

  setPresence(frame) {
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
        .map(([g, n]) => [g ? bdi(g) : t("noGroupShort"), `: ${n}`]);
      parts.presence.replaceChildren(`${t("presenceHere", { n: entry.total })} (`,
        ...per.flatMap((x, i) => (i ? [", ", ...x] : x)), ")");
      parts.card.dataset.present = String(entry.total);
    }
    this.people.setPresence(frame);
  }
}
