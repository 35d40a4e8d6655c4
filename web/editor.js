// Typing a note on a board: a draft in a zone (a new note once saved) and the editor of an
// existing note's text. Enter saves, Shift+Enter is a new line, Escape cancels, leaving the
// field saves; closed with a key, the keyboard focus goes to the note (or back to "+ Notitie").
// A new round does not cut a note off: the page waits while something is typed here
// (`holding`, `whenDone`), and a draft begun in an earlier round says so (R53).

import { el } from "./html.js";
import { t } from "./i18n.js";
import { maxLength } from "./rules.js";

function makeEditor(initial, onSave, onCancel) {
  const ta = el("textarea", {
    class: "note-editor", maxlength: String(maxLength("note.add", "text")), rows: "3",
    placeholder: t("editorPlaceholder"), "aria-label": t("editNote"),
  });
  ta.value = initial;
  let done = false;
  // byKey: closed with Enter or Escape, so the keyboard focus goes to the note (not on a blur).
  const finish = (save, byKey = false) => {
    if (done) return;
    done = true;
    if (save) onSave(ta.value.trim(), byKey); else onCancel(byKey);
  };
  ta.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      finish(true, true);
    } else if (e.key === "Escape") {
      e.preventDefault();
      finish(false, true);
    }
  });
  // A blur while its card is being moved to another list (a cluster) is not the user leaving.
  ta.addEventListener("blur", () => {
    if (ta._moving) return;
    setTimeout(() => { if (document.activeElement !== ta) finish(true); }, 0);
  });
  return ta;
}

export class NoteEditor {
  /** @param {import("./board.js").BoardView} view */
  constructor(view) {
    this.view = view;
    this.typing = new Set(); // the fields being typed in
    this.waiting = []; // what runs once nothing is typed here any more
  }

  /** Whether leaving this board now would cut off something being typed. */
  holding() {
    return [...this.typing].some((ta) => ta.isConnected && ta.value.trim() !== "");
  }

  /** Run `fn` once nothing is being typed here (at once when nothing is). */
  whenDone(fn) {
    if (this.holding()) this.waiting.push(fn); else fn();
  }

  /** Keep track of field `ta` until it closes; then run what waited for it. */
  track(ta) {
    this.typing.add(ta);
    return () => {
      this.typing.delete(ta);
      if (this.holding()) return;
      const waiting = this.waiting;
      this.waiting = [];
      for (const fn of waiting) fn();
    };
  }

  /** The round of the day now (the control board), or null on a board without one. */
  round() {
    return this.view.control?.round ?? null;
  }

  /** A new note in `zone`, typed in the zone's draft slot. */
  draft(zone, slot) {
    const { view } = this;
    const existing = slot.querySelector(".note-editor");
    if (existing) { existing.focus(); return; }
    const draft = el("div", { class: "note draft color-yellow" });
    const begun = this.round();
    let closed = null;
    const close = () => { draft.remove(); closed(); };
    const addBtn = slot.nextElementSibling;
    const ta = makeEditor("", (text, byKey) => {
      if (!text) { close(); if (byKey) addBtn?.focus(); return; }
      const note = view.store.ids.note();
      const op = { kind: "note.add", note, zone, text, color: "yellow", x: 0, y: view.endY(zone) };
      // Begun before the round changed: it counts for the round it was begun in (R53).
      if (begun !== null && this.round() !== begun) op.started_round = begun;
      view.store.op(view.board.id, op);
      close();
      if (byKey) view.cards.get(note)?.focus();
    }, (byKey) => { close(); if (byKey) addBtn?.focus(); });
    closed = this.track(ta);
    draft.appendChild(ta);
    slot.appendChild(draft);
    ta.focus();
  }

  /** The editor of the note on `card` (when this page may change it and can read it). */
  open(card) {
    const { view } = this;
    if (card.querySelector(".note-editor")) return;
    const n = card._note;
    if (!n || !view.mayChange(n) || n.redacted) return;
    const text = card.querySelector(".note-text");
    text.hidden = true;
    let closed = null;
    const ta = makeEditor(n.text, (value, byKey) => {
      ta.remove();
      text.hidden = false;
      const cur = card._note;
      if (cur && value !== cur.text) {
        view.store.op(view.board.id, { kind: "note.edit", note: cur.id, text: value });
      }
      closed();
      if (byKey) card.focus();
    }, (byKey) => { ta.remove(); text.hidden = false; closed(); if (byKey) card.focus(); });
    closed = this.track(ta);
    text.after(ta);
    ta.focus();
    ta.setSelectionRange(ta.value.length, ta.value.length);
  }
}
