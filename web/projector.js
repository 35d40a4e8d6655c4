// The screen at a corner (`/#t=<viewer token>&corner=<instrument>`): the corner's board live and
// read-only in large type, the round and its clock big, who is planned here, and the QR code to
// join at this corner. No editing controls.

import { BoardView } from "./board.js";
import { timerInfo } from "./clock.js";
import { groupsAt } from "./control.js";
import { clear, el } from "./html.js";
import { t } from "./i18n.js";

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
    const joinUrl = `${location.origin}/j/${session.code}/${board.instrument}`;
    this.roundEl = el("span", { class: "projector-round", id: "projector-round" });
    this.timeEl = el("span", { class: "projector-time", id: "projector-time", role: "timer" });
    this.plannedEl = el("p", { class: "projector-planned", id: "projector-planned" });
    const boardRoot = el("div", { class: "projector-board" });
    clear(root).append(el("div", { class: "projector", id: "projector", dataset: { corner: board.instrument } },
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
            el("strong", { class: "projector-code", text: session.code }),
            el("span", { class: "projector-url", text: joinUrl.replace(/^https?:\/\//, "") })))),
      boardRoot));
    // The board itself, read-only whatever the token may do.
    this.boardView = new BoardView({
      root: boardRoot, board, stations: session.stations, instrument, store, controlId,
      me: { ...(me || {}), role: "viewer" },
    });
    this.unsub = store.onChange((b) => { if (b === controlId) this.update(); });
    this.update();
  }

  destroy() {
    this.destroyed = true;
    this.unsub();
    this.boardView.destroy();
  }

  update() {
    const ctl = this.store.mirror(this.controlId).control;
    if (!ctl || this.destroyed) return;
    const groups = groupsAt(ctl, this.board.instrument);
    this.plannedEl.textContent = groups.length ? t("plannedHere", { groups: groups.join(", ") }) : "";
    this.plannedEl.hidden = !groups.length;
    this.tick();
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
