// The screen at a corner (`/#t=<viewer token>&corner=<instrument>`): the corner's board live and
// read-only in large type, the round and its clock big, who is planned here, and the QR code to
// join at this corner. No editing controls. It fits the screen without scrolling: the notes get
// smaller type (then two or three columns per station) as they grow in number, down to a floor;
// what still does not fit is counted ("+4 meer").

// [note size in rem, columns per station], from the most spacious to the densest; a column
// narrower than MIN_COLUMN_PX is never used (words would break).
const DENSITIES = [[1.6, 1], [1.45, 1], [1.3, 1], [1.3, 2], [1.15, 2], [1.05, 2], [0.95, 2],
  [1.05, 3], [0.95, 3]];
const MIN_COLUMN_PX = 200;

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
    this.el = el("div", { class: "projector", id: "projector", dataset: { corner: board.instrument } },
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
      boardRoot);
    clear(root).append(this.el);
    // The board itself, read-only whatever the token may do.
    this.boardView = new BoardView({
      root: boardRoot, board, stations: session.stations, instrument, store, controlId,
      me: { ...(me || {}), role: "viewer" },
    });
    this.unsub = store.onChange((b) => {
      if (b === controlId) this.update();
      if (b === board.id || b === controlId) this.fitSoon();
    });
    this.onResize = () => this.fitSoon();
    window.addEventListener("resize", this.onResize);
    this.update();
    this.fitSoon();
  }

  destroy() {
    this.destroyed = true;
    this.unsub();
    window.removeEventListener("resize", this.onResize);
    cancelAnimationFrame(this.fitFrame);
    this.boardView.destroy();
  }

  fitSoon() {
    if (this.fitFrame || this.destroyed) return;
    this.fitFrame = requestAnimationFrame(() => { this.fitFrame = null; this.fit(); });
  }

  /** The most spacious density at which every station's notes fit; then count what is cut off. */
  fit() {
    if (this.destroyed || !this.el.isConnected) return;
    const zones = [...this.el.querySelectorAll(".projector-board .zone")];
    const over = () => zones.some((z) => z.scrollHeight > z.clientHeight + 1);
    const use = ([size, cols]) => {
      this.el.style.setProperty("--note-size", `${size}rem`);
      this.el.dataset.cols = String(cols);
    };
    const width = zones[0]?.clientWidth || 0;
    const usable = DENSITIES.map((d, i) => [d, i]).filter(([[, cols]]) => cols === 1 || width / cols >= MIN_COLUMN_PX);
    let k = 0;
    use(usable[0][0]);
    while (over() && k < usable.length - 1) use(usable[(k += 1)][0]);
    this.el.dataset.density = String(usable[k][1]);
    for (const zone of zones) {
      const bottom = zone.getBoundingClientRect().bottom;
      const cut = [...zone.querySelectorAll(".note")].filter((n) => n.getBoundingClientRect().bottom > bottom + 1).length;
      let more = zone.querySelector(":scope > .projector-more");
      if (!cut) { more?.remove(); continue; }
      if (!more) {
        more = el("p", { class: "projector-more" });
        zone.appendChild(more);
      }
      more.textContent = t("projectorMore", { n: cut });
    }
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
