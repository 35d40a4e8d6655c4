// Typing a note on a board: a draft in a zone (a new note once saved) and the editor of an
// existing note's text. Enter saves, Shift+Enter is a new line, Escape cancels, leaving the
// field saves; closed with a key, the keyboard focus goes to the note (or back to "+ Notitie").

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
  }

  /** A new note in `zone`, typed in the zone's draft slot. */
  draft(zone, slot) {
    const { view } = this;
    const existing = slot.querySelector(".note-editor");
    if (existing) { existing.focus(); return; }
    const draft = el("div", { class: "note draft color-yellow" });
    const close = () => draft.remove();
    const addBtn = slot.nextElementSibling;
    const ta = makeEditor("", (text, byKey) => {
      close();
      if (!text) { if (byKey) addBtn?.focus(); return; }
      const note = view.store.ids.note();
      view.store.op(view.board.id, {
        kind: "note.add", note, zone, text, color: "yellow", x: 0, y: view.endY(zone),
      });
      if (byKey) view.cards.get(note)?.focus();
    }, (byKey) => { close(); if (byKey) addBtn?.focus(); });
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
    const ta = makeEditor(n.text, (value, byKey) => {
      ta.remove();
      text.hidden = false;
      const cur = card._note;
      if (cur && value !== cur.text) {
        view.store.op(view.board.id, { kind: "note.edit", note: cur.id, text: value });
      }
      if (byKey) card.focus();
    }, (byKey) => { ta.remove(); text.hidden = false; if (byKey) card.focus(); });
    text.after(ta);
    ta.focus();
    ta.setSelectionRange(ta.value.length, ta.value.length);
  }
}
