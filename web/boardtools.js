// A facilitator's row above a board: its mode (open, hidden until reveal, locked; R28),
// "samen bewerken" (R32), undo of cluster edits (R26), dot votes (R27), and the deleted notes
// to restore — read from the board's state, which gives them to facilitators (R28).

import { undoButton } from "./clusters.js";
import { el } from "./html.js";
import { t } from "./i18n.js";
import { choices } from "./rules.js";
import { voteApplies, VoteAdmin } from "./votes.js";

export class BoardTools {
  /** @param {import("./board.js").BoardView} view */
  constructor(view) {
    this.view = view;
    const { store, board } = view;
    this.modeSelect = el("select", { id: "board-mode", class: "board-mode", "aria-label": t("modeLabel") },
      choices("board.mode", "mode").map((m) => el("option", { value: m, text: t(`modes.${m}`) })));
    this.modeSelect.addEventListener("change", () => {
      const mode = this.modeSelect.value;
      if (mode !== view.mode) store.op(board.id, { kind: "board.mode", mode });
    });
    this.undoBtn = view.clusterable ? undoButton(store) : null;
    // R32: "samen bewerken": participants may change each other's notes on this board.
    this.editingSwitch = el("input", {
      type: "checkbox", role: "switch", id: "board-editing", class: "editing-switch",
      "aria-describedby": "board-editing-hint",
    });
    this.editingSwitch.addEventListener("change", () => {
      const editing = this.editingSwitch.checked ? "shared" : "own";
      if (editing !== store.mirror(board.id).editingView()) store.op(board.id, { kind: "board.editing", editing });
    });
    if (view.controlId) {
      const scopes = [{ value: "board", label: t("voteScopeBoard"), board: board.id, station: null }];
      if (view.layout === "stations") {
        for (const s of view.stations) {
          scopes.push({ value: `board:${s.id}`, label: t("voteScopeBoardStation", { station: s.title }), board: board.id, station: s.id });
        }
      }
      this.voteAdmin = new VoteAdmin({
        store, controlId: view.controlId, scopes,
        covers: (v) => board.zones.some((z) => voteApplies(v, board.id, z)),
      });
    }
    this.trashCount = el("span", { class: "trash-count" });
    this.trashList = el("ul", { class: "trash-list", id: "trash-list" });
    this.trashKey = null;
    const trash = el("details", { class: "trash", id: "trash" },
      el("summary", {}, el("span", { text: t("trashTitle") }), " ", this.trashCount), this.trashList);
    this.el = el("div", { class: "board-tools", id: "board-tools" },
      el("div", { class: "ctl-row" },
        el("label", { class: "field inline", for: "board-mode", text: t("modeLabel") }), this.modeSelect,
        el("label", { class: "check", for: "board-editing" }, this.editingSwitch,
          el("span", { text: t("editingShared") })),
        this.undoBtn),
      el("p", { class: "hint", id: "board-editing-hint", text: t("editingHint") }),
      this.voteAdmin?.el, trash);
  }

  /** The board as it is now: `mirror` its state, `notes` the notes as this page shows them. */
  update(mirror, notes) {
    const { view } = this;
    if (document.activeElement !== this.modeSelect) this.modeSelect.value = view.mode;
    this.editingSwitch.checked = mirror.editingView() === "shared";
    this.undoBtn?.sync();
    this.voteAdmin?.update(view.control);
    this.renderTrash(mirror, notes);
  }

  /** The deleted notes (not brought back meanwhile), each with its restore button. */
  renderTrash(mirror, notes) {
    const { view } = this;
    const items = [...mirror.trash.values()].filter((n) => !notes.has(n.id));
    this.trashCount.textContent = `(${items.length})`;
    const key = JSON.stringify(items.map((n) => [n.id, n.text, n.zone]));
    if (key === this.trashKey) return;
    this.trashKey = key;
    const zoneTitle = (z) => view.zoneTitles.get(z) || z;
    this.trashList.replaceChildren(...(items.length ? items.map((n) => el("li", {
      class: "trash-item", dataset: { noteId: n.id },
    },
    el("span", { class: "trash-text", text: n.text || t("emptyText") }),
    el("span", { class: "trash-meta", text: zoneTitle(n.zone) }),
    el("button", {
      type: "button", class: "ctl small note-restore", dataset: { noteId: n.id }, text: t("restoreNote"),
      onclick: () => view.store.op(view.board.id, { kind: "note.restore", note: n.id }),
    }))) : [el("li", { class: "ov-empty", text: t("trashEmpty") })]));
  }
}
