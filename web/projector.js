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
// From this many notes on a board, groups of cards off the screen are not laid out (see fit()).
const CROWDED = 150;

import { BoardView } from "./board.js";
import { timerInfo } from "./clock.js";
import { groupsAt } from "./control.js";
import { clear, el, iso } from "./html.js";
import { t } from "./i18n.js";
import { formatCode } from "./ui.js";

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
            el("strong", { class: "projector-code", text: formatCode(session.code) }),
            el("span", { class: "projector-url", text: joinUrl.replace(/^https?:\/\//, "") })))),
      boardRoot);
    clear(root).append(this.el);
    // The board itself, read-only whatever the token may do.
    this.boardView = new BoardView({
      root: boardRoot, board, stations: session.stations, instrument, store, controlId,
      me: { ...(me || {}), role: "viewer" }, chunked: true,
    });
    this.unsub = store.onChange((b) => {
      if (b === controlId) this.update();
      if (b === board.id || b === controlId) { this.refits = 0; this.fitSoon(); }
    });
    this.onResize = () => { this.width = 0; this.refits = 0; this.fitSoon(); };
    window.addEventListener("resize", this.onResize);
    this.refits = 0; // fits again in a row because of estimated heights (see fit())
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

  /**
   * The most spacious density at which every station's notes fit; then count what is cut off.
   *
   * Every density tried costs one style and layout pass over the board, so all reads come
   * after the writes of a step, and the steps are few (see the runs below): a board that does
   * not fit even at the densest gets there in two or three. The cards cut off are a tail of
   * each station's notes in document order (one column top to bottom, or rows of equal height),
   * so the first of them is found by bisection too.
   *
   * On a crowded board (CROWDED notes or more) the cards are in groups of 30 (lists.js) and the
   * CSS skips laying out the groups off the screen (`content-visibility: auto`): such a group
   * counts at an estimated height until it has been drawn once. When one that matters here (on
   * the screen at the density chosen) has not been drawn yet, the fit runs again in the next
   * frame, by when the browser has drawn it.
   */
  fit() {
    if (this.destroyed || !this.el.isConnected) return;
    const zones = [...this.el.querySelectorAll(".projector-board .zone")];
    const crowded = this.boardView.cards.size >= CROWDED;
    if ((this.el.dataset.crowded === "true") !== crowded) this.el.dataset.crowded = String(crowded);
    if (!zones.length) return;
    let shown = this.density;
    const use = (k) => {
      if (k === shown) return;
      const [size, cols] = DENSITIES[k];
      this.el.style.setProperty("--note-size", `${size}rem`);
      this.el.dataset.cols = String(cols);
      shown = k;
    };
    // A station that does not clip (a narrow screen, which scrolls) cuts nothing off.
    if (getComputedStyle(zones[0]).overflowY === "visible") {
      use(0);
      this.density = 0;
      this.el.dataset.density = "0";
      for (const more of this.el.querySelectorAll(".projector-more")) more.remove();
      return;
    }
    // A station's width does not depend on the density: kept from the last fit (until a resize).
    if (!this.width) this.width = zones[0].clientWidth;
    const usable = DENSITIES.map((d, i) => i)
      .filter((i) => DENSITIES[i][1] === 1 || this.width / DENSITIES[i][1] >= MIN_COLUMN_PX);
    const last = usable.length - 1;
    // A station's height does not depend on the density either. Where it holds more notes than
    // fit in rows one line of type high, a density cannot fit, whatever the notes say: it is not
    // laid out to find that out (on a big board, most of them).
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
    const room = zones.map((z) => [z.clientHeight + 1, z.getElementsByClassName("note").length]);
    const hopeless = (p) => {
      const [size, cols] = DENSITIES[usable[p]];
      return room.some(([height, notes]) => notes > cols * Math.floor(height / (size * rem)));
    };
    const fitsAt = new Map(); // position in `usable` -> every station fits there
    const fits = (p) => {
      if (!fitsAt.has(p)) {
        if (hopeless(p)) {
          fitsAt.set(p, false);
        } else {
          use(usable[p]);
          fitsAt.set(p, !zones.some((z) => z.scrollHeight > z.clientHeight + 1));
        }
      }
      return fitsAt.get(p);
    };
    // The densities in runs of one column count: within a run a smaller type never makes a
    // station longer, so a run fits somewhere if its densest does, and its first density that
    // fits is found by bisection. The result is the first density that fits, as if they were
    // tried one by one, or the densest when none does.
    const runs = [];
    usable.forEach((k, p) => {
      if (p > 0 && DENSITIES[k][1] === DENSITIES[usable[p - 1]][1]) runs[runs.length - 1][1] = p;
      else runs.push([p, p]);
    });
    let found = last;
    for (const [from, to] of runs) {
      if (fits(to)) {
        found = firstTrue(from, to, fits);
        break;
      }
    }
    use(usable[found]);
    this.density = usable[found];
    this.el.dataset.density = String(usable[found]);
    // Reads (one layout at the chosen density), then the writes.
    const drawn = (group) => group.firstElementChild?.checkVisibility?.({ contentVisibilityAuto: true }) ?? true;
    let unsure = false; // a group on the screen counted at its estimated height
    const cut = zones.map((zone) => {
      const bottom = zone.getBoundingClientRect().bottom + 1;
      const cutFrom = (items) => firstTrue(0, items.length, (i) => items[i].getBoundingClientRect().bottom > bottom);
      if (!crowded) {
        const notes = zone.querySelectorAll(".note");
        return notes.length - cutFrom(notes);
      }
      // The groups first (inside one off the screen nothing is laid out), then the notes of
      // the first group that does not fit whole.
      const groups = zone.querySelectorAll(".note-chunk");
      if (groups.length && !groups[0].getClientRects().length) {
        const notes = zone.querySelectorAll(".note"); // the groups are not boxes here (CSS)
        return notes.length - cutFrom(notes);
      }
      const g = cutFrom(groups);
      for (let k = 0; k <= g && k < groups.length; k += 1) if (!drawn(groups[k])) unsure = true;
      if (g === groups.length) return 0;
      let n = 0;
      for (let k = g + 1; k < groups.length; k += 1) n += groups[k].childElementCount;
      const group = groups[g];
      const box = group.getBoundingClientRect();
      if (box.top >= bottom) return n + group.childElementCount;
      // A group not drawn yet has no layout inside: its share cut off, until it is drawn (then
      // this runs again). Asking its notes would lay it out here and now.
      if (!drawn(group)) {
        return n + Math.round((group.childElementCount * (box.bottom - bottom)) / box.height);
      }
      return n + group.childElementCount - cutFrom(group.children);
    });
    zones.forEach((zone, i) => {
      let more = zone.querySelector(":scope > .projector-more");
      if (!cut[i]) { more?.remove(); return; }
      if (!more) {
        more = el("p", { class: "projector-more" });
        zone.appendChild(more);
      }
      const text = t("projectorMore", { n: cut[i] });
      if (more.textContent !== text) more.textContent = text;
    });
    if (unsure && this.refits < 8) {
      this.refits += 1;
      this.fitSoon();
    }
  }

  update() {
    const ctl = this.store.mirror(this.controlId).control;
    if (!ctl || this.destroyed) return;
    const groups = groupsAt(ctl, this.board.instrument);
    this.plannedEl.textContent = groups.length ? t("plannedHere", { groups: groups.map(iso).join(", ") }) : "";
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
