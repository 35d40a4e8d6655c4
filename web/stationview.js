// The facilitator's station view (not a board): one station across the four corner boards —
// the notes of Relevantie (or Toepasbaarheid, or Tips) of every corner side by side, and the
// session's clusters of that station above them (R26: clusters are session-wide, so one
// cluster can hold notes of several boards). Notes go into a cluster by dragging (drag.js) or
// by the menu on each note; "Suggesties" asks for suggested clusters (suggestions.js, R29).
// "Per onderdeel" groups each corner's notes by the part of its instrument they point at (R49).

import { ClusterBox, clusterTitle, effectiveCluster, liveClusters, newClusterControl, orderClusters, undoButton } from "./clusters.js";
import { DragController } from "./drag.js";
import { clear, el, iso } from "./html.js";
import { t } from "./i18n.js";
import "./i18n-staff.js";
import { partLabel, partsOf } from "./parts.js";
import { Suggestions } from "./suggestions.js";
import { colourMark, COLORS } from "./ui.js";
import { currentVote, totalOf, voteApplies, VoteAdmin } from "./votes.js";

export class StationView {
  /**
   * @param {object} o
   * @param {HTMLElement} o.root
   * @param {object} o.session
   * @param {import("./state.js").BoardStore} o.store
   * @param {string} o.controlId
   * @param {string} o.token           facilitator token (suggestions)
   * @param {Map<string, object>} o.instruments
   * @param {string|null} o.station    the station to show first
   * @param {(station: string) => void} [o.onStation]
   * @param {(boardId: string) => void} [o.onOpenBoard]
   * @param {(msg: string) => void} [o.notify]
   */
  constructor({ root, session, store, controlId, token, instruments, station, onStation, onOpenBoard, notify }) {
    this.root = root;
    this.session = session;
    this.store = store;
    this.controlId = controlId;
    this.token = token;
    this.instruments = instruments || new Map();
    this.onStation = onStation || (() => {});
    this.onOpenBoard = onOpenBoard || (() => {});
    this.notify = notify || (() => {});
    this.boards = [...session.boards].filter((b) => (b.layout || "stations") === "stations")
      .sort((a, b) => a.corner - b.corner);
    this.stations = session.stations || [];
    this.station = this.stations.some((s) => s.id === station) ? station : this.stations[0]?.id;
    this.destroyed = false;
    this.byPart = false;
    this.drags = new DragController({
      locate: (d, x, y) => this.locate(d, x, y),
      end: (d, commit) => this.dropped(d, commit),
    });
    this.unsubs = [store.onChange((b) => {
      if (b === controlId || this.boards.some((x) => x.id === b)) this.update();
    })];
    this.build();
    this.update();
  }

  destroy() {
    this.destroyed = true;
    if (this.suggest) this.suggest.gone = true;
    this.drags.cancel();
    for (const u of this.unsubs) u();
  }

  titleOf(b) {
    return this.instruments.get(b.instrument)?.title || b.title;
  }

  stationTitle(id = this.station) {
    return this.stations.find((s) => s.id === id)?.title || id;
  }

  covers(v) {
    return this.boards.some((b) => voteApplies(v, b.id, this.station));
  }

  // --- building ------------------------------------------------------------------------------

  build() {
    this.cards = new Map(); // "board/note" -> card
    this.groups = new Map(); // "<board>|<part>" -> {el, head, list} (grouped by part)
    this.boxes = new Map(); // cluster id -> ClusterBox
    this.columns = new Map(); // board id -> list
    const tabs = el("div", { class: "station-tabs", role: "tablist", "aria-label": t("stationPick") },
      this.stations.map((s) => el("button", {
        type: "button", role: "tab", class: "station-tab", dataset: { station: s.id },
        "aria-selected": String(s.id === this.station), text: s.title,
        onclick: () => this.setStation(s.id),
      })));
    this.undoBtn = undoButton(this.store);
    this.partBtn = el("button", {
      type: "button", class: "ctl", id: "group-by-part", "aria-pressed": String(this.byPart), text: t("groupByPart"),
      onclick: () => {
        this.byPart = !this.byPart;
        this.partBtn.setAttribute("aria-pressed", String(this.byPart));
        this.update();
      },
    });
    if (this.suggest) this.suggest.gone = true;
    this.suggest = new Suggestions({
      store: this.store, controlId: this.controlId, sessionId: this.session.id, token: this.token,
      station: this.station, stationTitle: this.stationTitle(), notify: this.notify,
      boardTitle: (id) => {
        const b = this.boards.find((x) => x.id === id);
        return b ? this.titleOf(b) : id;
      },
    });
    this.voteAdmin = new VoteAdmin({
      store: this.store, controlId: this.controlId,
      scopes: [{ value: "station", label: t("voteScopeStation", { station: this.stationTitle() }), board: null, station: this.station }],
      covers: (v) => this.covers(v),
    });
    this.clusterWrap = el("div", { class: "clusters station-clusters", id: "station-clusters", dataset: { station: this.station } });
    this.emptyClusters = el("p", { class: "ov-empty", text: t("clustersNone") });
    const cols = el("div", { class: "station-columns loose-drop", id: "station-columns" },
      this.boards.map((b) => {
        const list = el("div", { class: "note-list loose-notes" });
        this.columns.set(b.id, list);
        return el("section", { class: `station-col corner-${b.corner}`, dataset: { board: b.id, corner: b.instrument } },
          el("header", { class: "station-col-head" },
            el("span", { class: "corner-num", text: t("corner", { n: b.corner }) }),
            el("h3", { class: "station-col-title", text: this.titleOf(b) }),
            el("button", { type: "button", class: "ctl small", text: t("openBoard"), onclick: () => this.onOpenBoard(b.id) })),
          list, el("p", { class: "station-col-empty", text: t("emptyStation") }));
      }));
    clear(this.root).append(el("div", { class: "station-view", id: "station-view", dataset: { station: this.station } },
      el("div", { class: "ov-head" },
        el("div", {},
          el("h1", { class: "view-title", text: t("stationViewTitle") }),
          el("p", { class: "intro", text: t("stationViewIntro") })),
        tabs),
      el("div", { class: "ctl-row station-tools" },
        newClusterControl({ store: this.store, controlId: this.controlId, station: this.station, stationTitle: this.stationTitle() }),
        this.undoBtn, this.suggest.button, this.partBtn),
      this.voteAdmin.el,
      this.suggest.box,
      el("h2", { class: "section-title", text: t("clustersOf", { station: this.stationTitle() }) }),
      this.clusterWrap, this.emptyClusters,
      el("h2", { class: "section-title", text: t("looseNotes") }),
      cols));
  }

  setStation(id) {
    if (id === this.station) return;
    this.drags.cancel();
    this.station = id;
    this.onStation(id);
    this.build();
    this.update();
  }

  // --- updating ------------------------------------------------------------------------------

  update() {
    if (this.destroyed) return;
    const control = this.store.mirror(this.controlId).control;
    this.control = control;
    this.vote = control ? currentVote(control, (v) => this.covers(v)) : null;
    this.undoBtn.sync();
    this.voteAdmin.update(control);
    const all = [];
    for (const b of this.boards) {
      for (const n of this.store.mirror(b.id).view().values()) {
        if (n.zone === this.station) all.push({ board: b, note: n, key: `${b.id}/${n.id}` });
      }
    }
    const votes = (x) => totalOf(this.vote, x.board.id, x.note.id);
    const order = (a, b) => (this.vote ? votes(b) - votes(a) : 0) || (a.board.corner - b.board.corner)
      || ((a.note.created_seq ?? Infinity) - (b.note.created_seq ?? Infinity)) || (a.key < b.key ? -1 : 1);
    const live = liveClusters(control, this.station);
    const inCluster = new Map(live.map((c) => [c.id, []]));
    const loose = new Map(this.boards.map((b) => [b.id, []]));
    for (const x of all) {
      const cid = effectiveCluster(control, x.note);
      if (cid && inCluster.has(cid)) inCluster.get(cid).push(x); else loose.get(x.board.id).push(x);
    }
    const sumOf = (cid) => inCluster.get(cid).reduce((s, x) => s + votes(x), 0);
    const ordered = orderClusters(live, this.vote ? sumOf : null);
    let i = 0;
    for (const c of ordered) {
      let box = this.boxes.get(c.id);
      if (!box) {
        box = new ClusterBox({ store: this.store, controlId: this.controlId, cluster: c, editable: true });
        this.boxes.set(c.id, box);
      }
      if (this.clusterWrap.children[i] !== box.el) this.clusterWrap.insertBefore(box.el, this.clusterWrap.children[i] || null);
      i += 1;
      const items = inCluster.get(c.id).sort(order);
      this.place(box.list, items);
      box.update({
        title: c.title, count: items.length, votes: this.vote ? sumOf(c.id) : null,
        targets: live.filter((x) => x.id !== c.id),
      });
    }
    for (const [cid, box] of this.boxes) {
      if (!inCluster.has(cid)) { box.el.remove(); this.boxes.delete(cid); }
    }
    this.emptyClusters.hidden = live.length > 0;
    for (const [bid, list] of this.columns) {
      const items = loose.get(bid).sort(order);
      if (this.byPart) this.placeByPart(this.boards.find((b) => b.id === bid), list, items);
      else this.place(list, items);
      list.parentNode.classList.toggle("is-empty", items.length === 0);
    }
    const seen = new Set(all.map((x) => x.key));
    for (const [key, card] of this.cards) {
      if (!seen.has(key)) {
        if (this.drags.active?.key === key) this.drags.cancel();
        card.remove();
        this.cards.delete(key);
      }
    }
    this.suggest.render();
  }

  place(list, items) {
    let i = 0;
    for (const x of items) {
      let card = this.cards.get(x.key);
      if (!card) {
        card = this.makeCard(x.board);
        this.cards.set(x.key, card);
      }
      this.fillCard(card, x.board, x.note);
      if (this.drags.active?.key === x.key && this.drags.active.started) continue;
      if (list.children[i] !== card) list.insertBefore(card, list.children[i] || null);
      i += 1;
    }
    while (list.children.length > i) list.children[i].remove();
  }

  /** A corner's notes under the parts of its instrument they point at, in template order. */
  placeByPart(board, list, items) {
    const inst = this.instruments.get(board.instrument);
    const order = [...partsOf(inst).map((p) => p.id), ""];
    const byPart = new Map(order.map((p) => [p, []]));
    for (const x of items) (byPart.get(x.note.part || "") || byPart.get("")).push(x);
    const shown = [];
    for (const part of order) {
      const these = byPart.get(part);
      const key = `${board.id}|${part}`;
      if (!these.length) continue;
      let group = this.groups.get(key);
      if (!group) {
        const head = el("h4", { class: "part-group-head" });
        const inner = el("div", { class: "note-list" });
        group = { el: el("section", { class: "part-group", dataset: { part } }, head, inner), head, list: inner };
        this.groups.set(key, group);
      }
      const title = part ? partLabel(inst, part) : t("noPart");
      const text = `${title} (${these.length})`;
      if (group.head.textContent !== text) group.head.textContent = text;
      shown.push(group.el);
      this.place(group.list, these);
    }
    if (list.children.length !== shown.length || shown.some((g, i) => list.children[i] !== g)) list.replaceChildren(...shown);
  }

  makeCard(board) {
    const card = el("article", { class: "note snote", tabindex: "0", dataset: { board: board.id, corner: board.instrument } });
    const clusterSel = el("select", { class: "note-cluster", "aria-label": t("clusterOfNote") });
    clusterSel.addEventListener("change", () => {
      const n = card._note;
      if (!n) return;
      const value = clusterSel.value || null;
      if (value !== effectiveCluster(this.control, n)) this.setCluster(board.id, n.id, value);
    });
    const hide = el("button", {
      type: "button", class: "note-hide small",
      onclick: () => {
        const n = card._note;
        if (n) this.store.op(board.id, { kind: "note.hide", note: n.id, hidden: !n.hidden });
      },
    });
    card.append(
      el("div", { class: "note-head" },
        el("span", { class: "drag-handle", "aria-hidden": "true", text: "⠿" }),
        el("span", { class: "note-colour" }),
        el("span", { class: "note-meta" }),
        el("span", { class: "note-flag", hidden: true })),
      el("p", { class: "note-text", dir: "auto" }),
      el("p", { class: "note-part", hidden: true }),
      el("div", { class: "vote-box", hidden: true }, el("span", { class: "vote-total" })),
      el("div", { class: "tool-row snote-tools" }, clusterSel, hide));
    card.addEventListener("pointerdown", (e) => {
      this.drags.pointerDown(e, card, { key: `${card._board.id}/${card._note.id}`, target: undefined });
    });
    return card;
  }

  fillCard(card, board, n) {
    card._note = n;
    card._board = board;
    card.dataset.noteId = n.id;
    for (const c of COLORS) {
      card.classList.toggle(`color-${c}`, c === (n.color || "yellow"));
    }
    const mark = card.querySelector(".note-colour");
    if (mark.dataset.color !== (n.color || "yellow")) mark.replaceWith(colourMark(n.color || "yellow"));
    card.classList.toggle("pending", !!n.pending);
    card.classList.toggle("is-hidden", !!n.hidden);
    const text = card.querySelector(".note-text");
    if (text.textContent !== n.text) text.textContent = n.text;
    // Names and groups isolated (FSI…PDI) within the line (R37).
    const meta = [t("corner", { n: board.corner }), n.author_name && iso(n.author_name), n.group && iso(n.group)]
      .filter(Boolean).join(" · ");
    const metaEl = card.querySelector(".note-meta");
    if (metaEl.textContent !== meta) metaEl.textContent = meta;
    const part = card.querySelector(".note-part");
    const about = n.part ? t("notePart", { part: partLabel(this.instruments.get(board.instrument), n.part) }) : "";
    if (part.textContent !== about) { part.textContent = about; part.hidden = !about; }
    const flag = card.querySelector(".note-flag");
    flag.hidden = !n.hidden;
    flag.textContent = n.hidden ? t("hiddenFlag") : "";
    const box = card.querySelector(".vote-box");
    box.hidden = !this.vote;
    if (this.vote) {
      const total = totalOf(this.vote, board.id, n.id);
      const tot = box.querySelector(".vote-total");
      tot.textContent = t("dotsTotal", { n: total });
      tot.dataset.total = String(total);
    }
    const hide = card.querySelector(".note-hide");
    const hideText = n.hidden ? t("noteShow") : t("noteHide");
    if (hide.textContent !== hideText) hide.textContent = hideText;
    const sel = card.querySelector(".note-cluster");
    if (document.activeElement !== sel) {
      const options = liveClusters(this.control, this.station);
      const key = JSON.stringify(options);
      if (sel.dataset.key !== key) {
        sel.dataset.key = key;
        sel.replaceChildren(el("option", { value: "", text: t("clusterNone") }),
          ...options.map((c) => el("option", { value: c.id, text: t("clusterOption", { title: clusterTitle(c) }) })));
      }
      sel.value = effectiveCluster(this.control, n) || "";
    }
  }

  setCluster(boardId, noteId, cluster) {
    this.store.clusterOp(boardId, { kind: "note.cluster", note: noteId, cluster });
  }

  // --- dragging onto a cluster (drag.js) ----------------------------------------------------

  /** Over a cluster: into it; over the corners' columns: out of any; elsewhere: nothing. */
  locate(d, x, y) {
    const under = document.elementFromPoint(x, y);
    const cbox = under?.closest?.(".cluster[data-cluster]");
    if (cbox && this.clusterWrap.contains(cbox)) { d.target = cbox.dataset.cluster; return cbox; }
    const loose = under?.closest?.(".loose-drop");
    if (loose) { d.target = null; return loose; }
    d.target = undefined;
    return null;
  }

  dropped(d, commit) {
    const { card, target, started } = d;
    if (!started || !commit || target === undefined) { this.update(); return; }
    const n = card._note;
    if (n && target !== effectiveCluster(this.control, n)) this.setCluster(card._board.id, n.id, target);
    else this.update();
  }
}
