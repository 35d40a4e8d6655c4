// Dot voting (R27): votes live in the control board's public state (`control.votes`), dots are
// `vote.cast` ops on the control board. An anonymous vote never says who cast a dot, so this
// page counts its own dots from its confirmed casts and keeps them per vote in localStorage
// (a reload keeps the remaining budget); a named vote's `by` is used when it is there.

import { el } from "./html.js";
import { t } from "./i18n.js";

/** Whether a vote covers a note of `board` in `zone`. */
export function voteApplies(v, board, zone) {
  return !!v && (!v.board || v.board === board) && (!v.station || v.station === zone);
}

/**
 * The vote a view shows: the newest open vote that `covers` (vote -> bool) accepts, else the
 * newest closed one. Returns {id, ...vote} or null.
 */
export function currentVote(control, covers) {
  let open = null;
  let closed = null;
  for (const [id, v] of Object.entries(control?.votes || {})) {
    if (!covers(v)) continue;
    if (v.open) open = { id, ...v }; else closed = { id, ...v };
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

/** The participant's line above the board: how many dots are left, or that the vote closed. */
export function voteBar() {
  const left = el("strong", { class: "dots-left", id: "dots-left" });
  const text = el("span", { class: "vote-bar-text" });
  const refused = el("span", { class: "vote-refused", id: "vote-refused", role: "alert", hidden: true });
  const node = el("div", { class: "vote-bar", id: "vote-bar", role: "status", hidden: true }, text, " ", left, " ", refused);
  return {
    el: node,
    /** @param {object|null} vote  @param {number} remaining  @param {string} scope */
    update(vote, remaining, scope) {
      node.hidden = !vote;
      if (!vote) return;
      node.dataset.state = vote.open ? "open" : "closed";
      if (vote.open) {
        text.textContent = scope ? t("voteOpenIn", { scope, cap: vote.cap }) : t("voteOpenAll", { cap: vote.cap });
        left.hidden = false;
        left.dataset.left = String(remaining);
        left.textContent = t(remaining === 1 ? "dotsLeftOne" : "dotsLeft", { n: remaining });
        if (remaining > 0) refused.hidden = true;
      } else {
        text.textContent = t("voteClosedResults");
        left.hidden = true;
        refused.hidden = true;
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
        el("span", { class: "vote-state", text: v.open ? t("voteStateOpen") : t("voteStateClosed") }),
        el("span", {
          class: "vote-desc",
          text: [this.scopeLabel(v), t("voteRules", { budget: v.budget, cap: v.cap }),
            v.anonymous ? t("voteAnon") : t("voteNamed"),
            t("voteTally", { voters: v.voters || 0, dots })].join(" · "),
        }),
        v.open ? el("button", {
          type: "button", class: "ctl small warn vote-close", dataset: { vote: id }, text: t("voteClose"),
          onclick: () => this.store.op(this.controlId, { kind: "vote.close", vote: id }),
        }) : null);
    }) : [el("li", { class: "ov-empty", text: t("voteNone") })]));
    if (votes.some(([, v]) => v.open)) this.el.open = true;
  }
}
