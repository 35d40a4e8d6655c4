// The screen at a corner (`/#t=<viewer token>&corner=<instrument>`, screens.js): the corner's
// board live and read-only in large type, the round and its clock big, who is planned here, the
// QR code to join at this corner, and the result of a vote once it closed (R59). No editing
// controls. It fits the screen without scrolling and its type never shrinks (R58): a station
// whose notes do not fit shows them a page at a time, with its page count ("1/3"), and turns the
// page every PAGE_MS. A page holds only whole notes; the notes of other pages are not laid out
// at all (`.on-page` marks the ones shown), so a board of thousands of notes costs a page.

const PAGE_MS = 12_000;
// Pages counted exactly by laying each out; a station with more says its count as estimated.
const MAX_COUNTED = 40;
// The least height a note takes on the screen: bounds how many one page can hold.
const MIN_NOTE_PX = 40;

import { BoardView } from "./board.js";
import { timerInfo } from "./clock.js";
import { groupsAt } from "./control.js";
import { drawFigure } from "./figure.js";
import { clear, el, iso } from "./html.js";
import { t } from "./i18n.js";
import "./i18n-staff.js";
import { formatCode } from "./ui.js";
import { currentVote, ranking, resultLists, voteApplies } from "./votes.js";

/** The first i in [lo, hi) for which `test(i)` holds (it holds for every i after it), or hi. */
function firstTrue(lo, hi, test) {
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (test(mid)) hi = mid; else lo = mid + 1;
  }
  return lo;
}

export class ProjectorView {
  /**
   * @param {object} o
   * @param {HTMLElement} o.root
   * @param {object} o.session
   * @param {object} o.board       the corner's board (welcome.session.boards[i])
   * @param {object|null} o.instrument  its template
   * @param {import("./state.js").BoardStore} o.store
   * @param {string} o.controlId
   * @param {object} o.me
   * @param {import("./clock.js").ServerClock} o.clock
   */
  constructor({ root, session, board, instrument, store, controlId, me, clock }) {
    this.root = root;
    this.session = session;
    this.board = board;
    this.store = store;
    this.controlId = controlId;
    this.clock = clock;
    this.title = instrument?.title || board.title;
    this.destroyed = false;
    this.pages = new Map(); // zone element -> {page, starts, done, count, shown: Set, marker}
    const joinUrl = `${location.origin}/j/${session.code}/${board.instrument}`;
    this.roundEl = el("span", { class: "projector-round", id: "projector-round" });
    this.timeEl = el("span", { class: "projector-time", id: "projector-time", role: "timer" });
    this.plannedEl = el("p", { class: "projector-planned", id: "projector-planned" });
    this.resultEl = el("section", { class: "projector-result", id: "projector-result", hidden: true });
    const boardRoot = el("div", { class: "projector-board" });
    this.el = el("div", { class: "projector", id: "projector", dataset: { corner: board.instrument, paged: "true" } },
      el("header", { class: "projector-head" },
        el("div", { class: "projector-titles" },
          el("p", { class: "projector-corner", text: t("corner", { n: board.corner }) }),
          el("h1", { class: "projector-title", text: this.title }),
          this.plannedEl),
        el("div", { class: "projector-clock" }, this.roundEl, this.timeEl),
        el("figure", { class: "projector-qr" },
          el("img", {
            id: "projector-qr", class: "qr", src: `/qr/${encodeURIComponent(session.code)}/${encodeURIComponent(board.instrument)}.svg`,
            alt: t("qrCorner", { corner: this.title }), width: "200", height: "200",
          }),
          el("figcaption", {},
            el("span", { class: "projector-join", text: t("projectorJoin") }),
            el("strong", { class: "projector-code", text: formatCode(session.code) }),
            el("span", { class: "projector-url", text: joinUrl.replace(/^https?:\/\//, "") })))),
      this.resultEl, el("div", { class: "projector-main" }, boardRoot));
    clear(root).append(this.el);
    // The board itself, read-only whatever the token may do.
    this.boardView = new BoardView({
      root: boardRoot, board, stations: session.stations, instrument, store, controlId,
      me: { ...(me || {}), role: "viewer" },
    });
    // The instrument beside its notes, with how many point at each part (figure.js, R49).
    this.figure = drawFigure(boardRoot.parentNode, { instrument, store, board });
    this.unsub = store.onChange((b) => {
      if (b === controlId) this.update();
      if (b === board.id || b === controlId) {
        if (b === board.id) this.showResult();
        this.fitSoon();
      }
    });
    this.onResize = () => this.fitSoon();
    window.addEventListener("resize", this.onResize);
    this.turner = setInterval(() => this.turn(), PAGE_MS);
    this.update();
    this.fitSoon();
  }

  destroy() {
    this.destroyed = true;
    this.unsub();
    clearInterval(this.turner);
    window.removeEventListener("resize", this.onResize);
    cancelAnimationFrame(this.fitFrame);
    this.boardView.destroy();
    this.figure.destroy();
  }

  fitSoon() {
    if (this.fitFrame || this.destroyed) return;
    this.fitFrame = requestAnimationFrame(() => { this.fitFrame = null; this.fit(); });
  }

  /** Every station with more than one page shows its next one (after the last, the first). */
  turn() {
    if (this.destroyed) return;
    for (const p of this.pages.values()) p.page = p.count > 1 ? (p.page + 1) % p.count : 0;
    this.fit();
  }

  /**
   * Each station's pages: a page begins where the notes before it filled the station, found by
   * laying out the page (at most `max` notes) and asking, by bisection, which note is the first
   * to reach past the station's bottom. All stations are laid out together, one page a step,
   * until each has been counted (or MAX_COUNTED pages, past which the count is estimated from
   * the notes per page so far); then each shows its page.
   */
  fit() {
    if (this.destroyed || !this.el.isConnected) return;
    const zones = [...this.el.querySelectorAll(".projector-board .zone")];
    if (!zones.length) return;
    // A station that does not clip (a narrow screen, which scrolls) shows every note (CSS).
    const paged = getComputedStyle(zones[0]).overflowY !== "visible";
    this.el.dataset.paged = String(paged);
    const states = zones.map((zone) => {
      let p = this.pages.get(zone);
      if (!p) {
        p = { page: 0, shown: new Set(), marker: this.pageMarker(zone) };
        this.pages.set(zone, p);
      }
      p.notes = [...zone.getElementsByClassName("note")];
      p.starts = [0];
      p.exact = p.notes.length === 0;
      p.done = p.exact || !paged;
      const box = zone.getBoundingClientRect();
      const pad = parseFloat(getComputedStyle(zone).paddingBottom) || 0;
      p.bottom = box.top + zone.clientTop + zone.clientHeight - pad + 0.5;
      p.max = Math.max(1, Math.ceil(zone.clientHeight / MIN_NOTE_PX));
      return p;
    });
    while (states.some((p) => !p.done)) {
      const open = states.filter((p) => !p.done);
      for (const p of open) this.showFrom(p, p.starts[p.starts.length - 1]);
      for (const p of open) { // reads only, after the writes: one layout for every station
        const next = this.cutAt(p, p.starts[p.starts.length - 1]);
        if (next >= p.notes.length) p.done = p.exact = true;
        else if (p.starts.length >= MAX_COUNTED) p.done = true;
        else p.starts.push(next);
      }
    }
    for (const p of states) {
      const n = p.starts.length;
      const last = p.starts[n - 1];
      p.count = !paged ? 1 : p.exact ? n : n + Math.ceil((p.notes.length - last) / (last / (n - 1)));
      p.page = Math.min(p.page, p.count - 1);
      // Turned past the pages counted: count on, page by page (back to the first at the end).
      while (p.page >= p.starts.length) {
        this.showFrom(p, p.starts[p.starts.length - 1]);
        const next = this.cutAt(p, p.starts[p.starts.length - 1]);
        if (next >= p.notes.length) { p.count = p.starts.length; p.page = 0; } else p.starts.push(next);
      }
      const from = p.starts[p.page];
      if (!paged) this.show(p, 0, 0);
      else if (p.page + 1 < p.starts.length) this.show(p, from, p.starts[p.page + 1]);
      else { this.showFrom(p, from); this.show(p, from, this.cutAt(p, from)); }
      this.mark(p);
    }
  }

  /** Show the notes from `from` on, as many as a page can hold at most. */
  showFrom(p, from) {
    this.show(p, from, Math.min(p.notes.length, from + p.max));
  }

  /** The first note after `from` (shown by showFrom) that reaches past the station's bottom. */
  cutAt(p, from) {
    const to = Math.min(p.notes.length, from + p.max);
    return Math.max(from + 1, firstTrue(from, to, (i) => p.notes[i].getBoundingClientRect().bottom > p.bottom));
  }

  /** Notes [from, to) of a station are the ones on its page (only those change their mark). */
  show(p, from, to) {
    const now = new Set(p.notes.slice(from, to));
    for (const n of p.shown) if (!now.has(n)) n.classList.remove("on-page");
    for (const n of now) if (!p.shown.has(n)) n.classList.add("on-page");
    p.shown = now;
  }

  /** The page count in the station's head: "2/3" (hidden for one page). */
  mark(p) {
    const text = p.count > 1 ? `${p.page + 1}/${p.count}` : "";
    if (p.marker.textContent !== text) p.marker.textContent = text;
    p.marker.hidden = !text;
    p.marker.setAttribute("aria-label", text ? t("projectorPage", { n: p.page + 1, total: p.count }) : "");
  }

  pageMarker(zone) {
    const marker = el("span", { class: "projector-page", hidden: true });
    (zone.querySelector(".zone-head") || zone).appendChild(marker);
    return marker;
  }

  update() {
    const ctl = this.store.mirror(this.controlId).control;
    if (!ctl || this.destroyed) return;
    const groups = groupsAt(ctl, this.board.instrument);
    this.plannedEl.textContent = groups.length ? t("plannedHere", { groups: groups.map(iso).join(", ") }) : "";
    this.plannedEl.hidden = !groups.length;
    this.showResult();
    this.tick();
  }

  /** R59: the result of a vote on this corner once it closed (until it is dismissed). */
  showResult() {
    const ctl = this.store.mirror(this.controlId).control;
    const b = this.board;
    const vote = ctl ? currentVote(ctl, (v) => b.zones.some((z) => voteApplies(v, b.id, z))) : null;
    const closed = vote && !vote.open ? vote : null;
    const notes = closed ? [...this.store.mirror(b.id).view().values()].map((note) => ({ board: b, note })) : [];
    const ranked = closed ? ranking(closed, ctl, notes) : new Map();
    const key = closed ? JSON.stringify([closed.id, [...ranked]]) : "";
    if (key === this.resultKey) return;
    this.resultKey = key;
    this.resultEl.hidden = !closed;
    this.resultEl.replaceChildren(...(closed ? [
      el("h2", { class: "projector-result-head", text: t("resultTitle") }),
      el("div", { class: "projector-result-lists" },
        ...resultLists(ranked, this.boardView.stations, { limit: 3 })),
    ] : []));
    this.fitSoon();
  }

  tick() {
    const ctl = this.store.mirror(this.controlId).control;
    if (!ctl || this.destroyed) return;
    const info = timerInfo(ctl, this.clock.now());
    const round = t("roundOf", { n: info.round, total: info.rounds });
    if (this.roundEl.textContent !== round) this.roundEl.textContent = round;
    if (this.timeEl.textContent !== info.text) this.timeEl.textContent = info.text;
    this.timeEl.dataset.state = info.state;
  }
}
