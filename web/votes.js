// Dot voting (R27): votes live in the control board's public state (`control.votes`), dots are
// `vote.cast` ops on the control board. An anonymous vote never says who cast a dot, so this
// page counts its own dots from its confirmed casts and keeps them per vote in localStorage
// (a reload keeps the remaining budget); a named vote's `by` is used when it is there. Once a
// vote closed, its result ranked per station (clusters with the dots of their notes, and the
// notes in none) shows on the boards and screens until a begeleider dismisses it (R59).

import { clusterTitle, effectiveCluster } from "./clusters.js";
import { el } from "./html.js";
import { t } from "./i18n.js";
import { loadedInstrument } from "./template.js";

/** Whether a vote covers a note of `board` in `zone`. */
export function voteApplies(v, board, zone) {
  return !!v && (!v.board || v.board === board) && (!v.station || v.station === zone);
}

/**
 * The vote a view shows: the newest open vote that `covers` (vote -> bool) accepts, else the
 * newest closed one whose result was not dismissed (R59). Returns {id, ...vote} or null.
 */
export function currentVote(control, covers) {
  let open = null;
  let closed = null;
  for (const [id, v] of Object.entries(control?.votes || {})) {
    if (!covers(v)) continue;
    if (v.open) open = { id, ...v }; else if (v.shown !== false) closed = { id, ...v };
  }
  return open || closed;
}

export function totalOf(vote, board, note) {
  return vote?.totals?.[`${board}/${note}`] || 0;
}

/** This browser's own dots per vote: {vote: {"board/note": n}}, kept in localStorage. */
export class DotLedger {
  constructor(key) {
    this.key = key;
    this.data = {};
    try { this.data = JSON.parse(localStorage.getItem(key) || "{}") || {}; } catch { this.data = {}; }
  }

  get(vid) {
    return this.data[vid] || {};
  }

  add(vid, noteKey, delta) {
    const mine = { ...(this.data[vid] || {}) };
    mine[noteKey] = Math.max(0, (mine[noteKey] || 0) + delta);
    if (!mine[noteKey]) delete mine[noteKey];
    this.data = { ...this.data, [vid]: mine };
    try { localStorage.setItem(this.key, JSON.stringify(this.data)); } catch { /* ignore */ }
  }
}

/** My dots on each note of a vote: confirmed (named: from `by`; anonymous: the ledger) + pending. */
export function myDots(store, controlId, ledger, vote) {
  const me = store.participant;
  const mine = !vote.anonymous && vote.by ? { ...(vote.by[me] || {}) } : { ...ledger.get(vote.id) };
  for (const p of store.mirror(controlId).unanswered()) {
    if (p.op.kind !== "vote.cast" || p.op.vote !== vote.id) continue;
    const key = `${p.op.board}/${p.op.note}`;
    mine[key] = (mine[key] || 0) + (p.op.delta ?? 1);
  }
  return mine;
}

export function dotsUsed(mine) {
  return Object.values(mine).reduce((a, b) => a + Math.max(0, b), 0);
}

/** Put a dot on a note (delta 1) or take one back (-1); the ledger counts it once stored. */
export function castDot(store, controlId, ledger, vote, board, note, delta) {
  const p = store.opWait(controlId, { kind: "vote.cast", vote: vote.id, board, note, delta }, { anonymous: true });
  p.then((result) => {
    if (result === "applied") {
      ledger.add(vote.id, `${board}/${note}`, delta);
      store.touch(controlId);
    }
  }, () => {});
  return p;
}

/**
 * A vote's result, ranked per station (R59): each cluster with the dots on its notes, and each
 * note in no cluster with its own; most dots first, nothing without a dot.
 * @param {object} vote
 * @param {object} control  the control state (clusters)
 * @param {Iterable<{board: object, note: object}>} items  the notes the vote covers that this
 *   page has (a phone: its board's; the begeleider and the overview screen: every corner's)
 * @returns {Map<string, Array<{key: string, title: string, dots: number, board?: object}>>}
 *   station id -> rows
 */
export function ranking(vote, control, items) {
  const rows = new Map();
  const clusters = new Map();
  for (const { board, note } of items) {
    if (!voteApplies(vote, board.id, note.zone)) continue;
    const dots = totalOf(vote, board.id, note.id);
    if (!rows.has(note.zone)) rows.set(note.zone, []);
    const cid = effectiveCluster(control, note);
    if (cid) {
      let row = clusters.get(cid);
      if (!row) {
        row = { key: `c:${cid}`, title: clusterTitle(control.clusters[cid]), dots: 0, cluster: true };
        clusters.set(cid, row);
        rows.get(note.zone).push(row);
      }
      row.dots += dots;
    } else if (dots > 0) {
      const title = note.redacted || note.hidden ? t("resultHiddenNote") : note.text;
      rows.get(note.zone).push({ key: `n:${board.id}/${note.id}`, title, dots, board });
    }
  }
  for (const [zone, list] of rows) {
    rows.set(zone, list.filter((r) => r.dots > 0)
      .sort((a, b) => (b.dots - a.dots) || a.title.localeCompare(b.title)));
  }
  return rows;
}

/**
 * The ranked result as lists, one per station of `stations` that has a row: at most `limit`
 * rows each, a note of another corner named with its corner (`corner(board)`, or null).
 */
export function resultLists(ranked, stations, { limit = 5, corner = null } = {}) {
  return stations.filter((s) => ranked.get(s.id)?.length).map((s) => el("section", {
    class: "vote-result-station", dataset: { station: s.id },
  },
  el("h3", { class: "vote-result-title", text: s.title }),
  el("ol", { class: "vote-ranking" }, ranked.get(s.id).slice(0, limit).map((r) => el("li", {
    class: `vote-rank${r.cluster ? " is-cluster" : ""}`, dataset: { key: r.key, dots: String(r.dots) },
  },
  el("span", { class: "rank-title", dir: "auto", text: r.title }),
  r.board && corner ? el("span", { class: "rank-where", text: corner(r.board) }) : null,
  el("span", { class: "rank-dots", text: t("dotsTotal", { n: r.dots }) }))))));
}

/** "Hoek 2 · Matrix": a corner of the session by its instrument id (number from the plan's order). */
export function cornerLabel(control, instrument) {
  const n = (control?.corners || []).indexOf(instrument) + 1;
  const title = loadedInstrument(instrument)?.title || instrument;
  return n > 0 ? `${t("corner", { n })} · ${title}` : title;
}

/**
 * The participant's line above the board: how many dots are left and, for a vote at every
 * corner, buttons to the other corners; once the vote closed, its result for this board.
 * @param {import("./board.js").BoardView} view
 */
export function voteBar(view) {
  const left = el("strong", { class: "dots-left", id: "dots-left" });
  const text = el("span", { class: "vote-bar-text" });
  const refused = el("span", { class: "vote-refused", id: "vote-refused", role: "alert", hidden: true });
  const elsewhere = el("p", { class: "vote-elsewhere", id: "vote-elsewhere", hidden: true });
  const open = el("div", { class: "vote-bar-open", role: "status" }, text, " ", left, " ", refused, elsewhere);
  const summary = el("summary", { class: "vote-result-summary" });
  const lists = el("div", { class: "vote-result-lists" });
  const result = el("details", { class: "vote-result", id: "vote-result", hidden: true }, summary, lists);
  const node = el("div", { class: "vote-bar", id: "vote-bar", hidden: true }, open, result);
  let elsewhereKey = "";
  let resultKey = "";
  const showElsewhere = (vote) => {
    const corners = vote.board ? [] : (view.control?.corners || []).filter((c) => c !== view.board.instrument);
    const key = corners.join(" ");
    if (key === elsewhereKey) return;
    elsewhereKey = key;
    elsewhere.hidden = !corners.length;
    elsewhere.replaceChildren(...(corners.length ? [t("voteElsewhere"), " ", ...corners.map((c) => el("button", {
      type: "button", class: "ctl small vote-corner", dataset: { openCorner: c }, text: cornerLabel(view.control, c),
    }))] : []));
  };
  const showResult = (vote) => {
    const notes = [...view.store.mirror(view.board.id).view().values()].map((note) => ({ board: view.board, note }));
    const ranked = ranking(vote, view.control, notes);
    const key = JSON.stringify([vote.id, [...ranked]]);
    if (key === resultKey) return;
    resultKey = key;
    const top = [...ranked.values()].flat().sort((a, b) => b.dots - a.dots)[0];
    summary.textContent = top ? t("resultSummary", { title: top.title, n: top.dots }) : t("resultNone");
    lists.replaceChildren(...resultLists(ranked, view.stations, { limit: 3 }));
  };
  return {
    el: node,
    /** @param {object|null} vote  @param {number} remaining  @param {string} scope */
    update(vote, remaining, scope) {
      node.hidden = !vote;
      if (!vote) return;
      node.dataset.state = vote.open ? "open" : "closed";
      open.hidden = !vote.open;
      result.hidden = vote.open;
      if (vote.open) {
        text.textContent = scope ? t("voteOpenIn", { scope, cap: vote.cap }) : t("voteOpenAll", { cap: vote.cap });
        left.dataset.left = String(remaining);
        left.textContent = t(remaining === 1 ? "dotsLeftOne" : "dotsLeft", { n: remaining });
        if (remaining > 0) refused.hidden = true;
        showElsewhere(vote);
      } else {
        refused.hidden = true;
        showResult(vote);
      }
    },
    refuse(message) {
      refused.textContent = message;
      refused.hidden = false;
    },
  };
}

/**
 * The facilitator's vote controls for a view: open a vote on one of `scopes`
 * ({value, label, board, station}) with budget, cap and anonymity; close the open ones.
 */
export class VoteAdmin {
  constructor({ store, controlId, scopes, covers }) {
    this.store = store;
    this.controlId = controlId;
    this.covers = covers;
    this.scope = el("select", { id: "vote-scope", class: "vote-scope" },
      scopes.map((s) => el("option", { value: s.value, text: s.label })));
    this.scopes = scopes;
    this.budget = el("input", { type: "number", id: "vote-budget", class: "num", min: "1", max: "50", value: "3" });
    this.cap = el("input", { type: "number", id: "vote-cap", class: "num", min: "1", max: "50", value: "2" });
    this.anonymous = el("input", { type: "checkbox", id: "vote-anonymous", checked: true });
    this.list = el("ul", { class: "vote-list", id: "vote-list" });
    this.key = "";
    const form = el("form", { class: "vote-form" },
      el("label", { class: "field" }, el("span", { text: t("voteScope") }), this.scope),
      el("label", { class: "field" }, el("span", { text: t("voteBudget") }), this.budget),
      el("label", { class: "field" }, el("span", { text: t("voteCap") }), this.cap),
      el("label", { class: "check" }, this.anonymous, el("span", { text: t("voteAnonymous") })),
      el("button", { type: "submit", class: "ctl primary", id: "vote-open", text: t("voteOpen") }));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const s = this.scopes.find((x) => x.value === this.scope.value) || this.scopes[0];
      const clamp = (v, d) => Math.max(1, Math.min(50, Math.round(Number(v)) || d));
      store.op(controlId, {
        kind: "vote.open", vote: store.ids.vote(), board: s.board ?? null, station: s.station ?? null,
        budget: clamp(this.budget.value, 3), cap: clamp(this.cap.value, 2), anonymous: this.anonymous.checked,
      });
    });
    this.el = el("details", { class: "vote-admin", id: "vote-admin" },
      el("summary", { text: t("voteTitle") }), form, this.list);
  }

  scopeLabel(v) {
    const s = this.scopes.find((x) => (x.board ?? null) === (v.board ?? null) && (x.station ?? null) === (v.station ?? null));
    return s ? s.label : t("voteScopeOther");
  }

  update(control) {
    const votes = Object.entries(control?.votes || {}).filter(([, v]) => this.covers(v)).reverse();
    const key = JSON.stringify(votes);
    if (key === this.key) return;
    this.key = key;
    this.list.replaceChildren(...(votes.length ? votes.map(([id, v]) => {
      const dots = Object.values(v.totals || {}).reduce((a, b) => a + b, 0);
      return el("li", { class: `vote-item${v.open ? " is-open" : ""}`, dataset: { vote: id } },
        el("span", { class: "vote-state", text: v.open ? t("voteStateOpen") : v.shown !== false ? t("voteStateResult") : t("voteStateClosed") }),
        el("span", {
          class: "vote-desc",
          text: [this.scopeLabel(v), t("voteRules", { budget: v.budget, cap: v.cap }),
            v.anonymous ? t("voteAnon") : t("voteNamed"),
            t("voteTally", { voters: v.voters || 0, dots })].join(" · "),
        }),
        v.open ? el("button", {
          type: "button", class: "ctl small warn vote-close", dataset: { vote: id }, text: t("voteClose"),
          onclick: () => this.store.op(this.controlId, { kind: "vote.close", vote: id }),
        }) : null,
        !v.open && v.shown !== false ? dismissButton(this.store, this.controlId, id) : null);
    }) : [el("li", { class: "ov-empty", text: t("voteNone") })]));
    if (votes.some(([, v]) => v.open)) this.el.open = true;
  }
}

/** "Uitslag weghalen": the result of vote `id` comes off every board and screen (R59). */
export function dismissButton(store, controlId, id) {
  return el("button", {
    type: "button", class: "ctl small vote-dismiss", dataset: { vote: id }, text: t("voteDismiss"),
    onclick: () => store.op(controlId, { kind: "vote.dismiss", vote: id }),
  });
}

/** The begeleider's panel of the newest vote's result over every corner (live while it is open). */
export class ResultPanel {
  /**
   * @param {object} o
   * @param {import("./state.js").BoardStore} o.store
   * @param {string} o.controlId
   * @param {Array<object>} o.boards   the corner boards
   * @param {Array<object>} o.stations
   */
  constructor({ store, controlId, boards, stations }) {
    Object.assign(this, { store, controlId, boards, stations });
    this.key = "";
    this.head = el("h2", { id: "ov-result-head" });
    this.state = el("p", { class: "hint", id: "ov-result-state" });
    this.body = el("div", { class: "ov-results-body" });
    this.tools = el("div", { class: "ctl-row" });
    this.el = el("section", { class: "panel ov-results", id: "ov-results", hidden: true, "aria-labelledby": "ov-result-head" },
      this.head, this.state, this.body, this.tools);
  }

  update() {
    const ctl = this.store.mirror(this.controlId).control;
    const vote = ctl ? currentVote(ctl, () => true) : null;
    this.el.hidden = !vote;
    if (!vote) { this.key = ""; return; }
    const items = this.boards.flatMap((b) => [...this.store.mirror(b.id).view().values()].map((note) => ({ board: b, note })));
    const ranked = ranking(vote, ctl, items);
    const key = JSON.stringify([vote.id, vote.open, [...ranked]]);
    if (key === this.key) return;
    this.key = key;
    this.head.textContent = vote.open ? t("resultLive") : t("resultTitle");
    this.state.textContent = vote.open ? t("resultLiveHint") : t("resultShownHint");
    const lists = resultLists(ranked, this.stations, { limit: 5, corner: (b) => cornerLabel(ctl, b.instrument) });
    this.body.replaceChildren(...(lists.length ? lists : [el("p", { class: "ov-empty", text: t("resultNone") })]));
    this.tools.replaceChildren(...(vote.open ? [] : [dismissButton(this.store, this.controlId, vote.id)]));
  }
}
