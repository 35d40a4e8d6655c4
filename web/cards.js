// A note as a card on a board: cloned from an empty card per colour, filled again only where
// what it shows changed (a big board's update touches the cards of the notes that changed);
// the part of the instrument it is about (R49); the dot buttons of an open vote (R27) and its
// results; the keyboard on a focused card. Everything people wrote goes in as text only (R30),
// names and groups bidi-isolated (R37).

import { bdi, el } from "./html.js";
import { getLang, t } from "./i18n.js";
import { partLabel } from "./parts.js";
import { COLOR_MARKS, COLORS } from "./ui.js";
import { castDot, totalOf, voteApplies } from "./votes.js";

export class NoteCards {
  /** @param {import("./board.js").BoardView} view */
  constructor(view) {
    this.view = view;
    this.templates = new Map(); // "<lang>|<colour>" -> an empty card
    this.colourCache = new Map();
  }

  /** A colour's name and its label for screen readers, looked up once per language. */
  colourWords(colour) {
    const key = `${getLang()}|${colour}`;
    let words = this.colourCache.get(key);
    if (!words) {
      const name = t(`colours.${colour}`);
      words = { name, label: t("colourOf", { colour: name }) };
      this.colourCache.set(key, words);
    }
    return words;
  }

  /**
   * An empty card of this view in one colour, cloned for every new note of that colour (the
   * listeners are added per card by make).
   */
  template(colour) {
    const { view } = this;
    const key = `${getLang()}|${colour}`;
    let card = this.templates.get(key);
    if (!card) {
      const words = this.colourWords(colour);
      const handle = view.readOnly ? null : el("span", { class: "drag-handle", "aria-hidden": "true", text: "⠿" });
      const mark = el("span", { class: "note-colour", title: words.name, dataset: { color: colour } },
        el("span", { class: "note-colour-mark", "aria-hidden": "true", text: COLOR_MARKS[colour] || "●" }),
        el("span", { class: "sr-only", text: words.label }));
      const menuBtn = view.readOnly ? null : el("button", {
        type: "button", class: "note-menu", "aria-label": t("moreActions"), "aria-expanded": "false",
        text: "⋯",
      });
      // As most cards are on a participant's own board: changeable (fill says otherwise).
      const base = view.readOnly ? "note" : "note can-change";
      card = el("article", {
        class: COLORS.includes(colour) ? `${base} color-${colour}` : base, tabindex: "0",
        "aria-describedby": view.readOnly ? null : view.hintId,
      }, el("div", { class: "note-head" }, handle, mark, el("span", { class: "note-meta" }),
        el("span", { class: "note-flag", hidden: true }), menuBtn),
      // Someone's text: its own direction, isolated from what is around it (R37).
      el("p", { class: "note-text", dir: "auto" }),
      el("p", { class: "note-part", hidden: true }),
      el("p", { class: "note-edited", hidden: true }));
      this.templates.set(key, card);
    }
    return card;
  }

  make(n) {
    const { view } = this;
    const colour = n.color || "yellow";
    const card = this.template(colour).cloneNode(true);
    card.setAttribute("data-note-id", n.id);
    const head = card.firstChild;
    const handle = view.readOnly ? null : head.firstChild;
    const mark = view.readOnly ? head.firstChild : head.firstChild.nextSibling;
    const meta = mark.nextSibling;
    const flag = meta.nextSibling;
    const menu = view.readOnly ? null : flag.nextSibling;
    const text = head.nextSibling;
    const part = text.nextSibling;
    const edited = part.nextSibling;
    // The parts fill writes, and what they show now (as the template made them).
    card._parts = { handle, mark, meta, flag, menu, text, part, edited };
    card._shown = {
      classes: `${colour}|false|false|false|false|${!view.readOnly}`, colour, text: "", meta: "[]", flag: "",
      menuHidden: false, edited: "", part: "",
    };
    menu?.addEventListener("click", (e) => { e.stopPropagation(); view.menu.toggle(card); });
    card.addEventListener("keydown", (e) => this.key(e, card));
    if (!view.readOnly) {
      text.addEventListener("click", () => { if (!card.dataset.justDragged) view.editor.open(card); });
      card.addEventListener("pointerdown", (e) => view.drags.pointerDown(e, card));
    }
    return card;
  }

  fill(card, n) {
    const { view } = this;
    card._note = n;
    const parts = card._parts;
    const shownNow = card._shown; // what the card shows: only what differs is written
    const colour = n.color || "yellow";
    const mine = !!view.me && n.author === view.me.participant;
    const may = view.mayChange(n);
    const classes = `${colour}|${!!n.pending}|${mine}|${!!n.redacted}|${!!n.hidden}|${may}`;
    if (shownNow.classes !== classes) {
      shownNow.classes = classes;
      for (const c of COLORS) card.classList.toggle(`color-${c}`, c === colour);
      card.classList.toggle("pending", !!n.pending);
      card.classList.toggle("mine", mine);
      card.classList.toggle("is-redacted", !!n.redacted);
      card.classList.toggle("is-hidden", !!n.hidden);
      card.classList.toggle("can-change", may);
      if (parts.handle) parts.handle.hidden = !may;
    }
    if (shownNow.colour !== colour) {
      shownNow.colour = colour;
      const words = this.colourWords(colour);
      const mark = parts.mark;
      mark.dataset.color = colour;
      mark.title = words.name;
      mark.firstChild.textContent = COLOR_MARKS[colour] || "●";
      mark.lastChild.textContent = words.label;
    }
    const shown = n.redacted ? (n.hidden ? t("redactedHidden") : t("redactedUntilReveal")) : n.text;
    if (shownNow.text !== shown) {
      shownNow.text = shown;
      parts.text.textContent = shown;
    }
    // Who wrote it and their group, each isolated (a name in Arabic keeps its place, R37).
    const who = n.author_name || (mine ? t("you") : "");
    const metaKey = JSON.stringify([who, n.group || "", n.pending ? t("pending") : ""]);
    if (shownNow.meta !== metaKey) {
      shownNow.meta = metaKey;
      const nodes = [];
      if (who) nodes.push(n.author_name ? bdi(who, { class: "note-author" }) : who);
      if (n.group) nodes.push(bdi(n.group, { class: "note-group" }));
      if (n.pending) nodes.push(t("pending"));
      parts.meta.replaceChildren(...nodes.flatMap((x, i) => (i ? [" · ", x] : [x])));
    }
    // R49: the part of the instrument the note is about.
    const about = n.part ? t("notePart", { part: partLabel(view.instrument, n.part) }) : "";
    if (shownNow.part !== about) {
      shownNow.part = about;
      parts.part.hidden = !about;
      parts.part.textContent = about;
      if (n.part) parts.part.dataset.part = n.part; else delete parts.part.dataset.part;
    }
    // R32: a text changed by someone else than its author says by whom.
    const editedBy = n.edited_by && n.edited_by !== n.author && !n.redacted
      ? (n.edited_by_name || (n.edited_by === view.me?.participant ? t("you") : t("anonymous"))) : "";
    if (shownNow.edited !== editedBy) {
      shownNow.edited = editedBy;
      parts.edited.hidden = !editedBy;
      parts.edited.replaceChildren(...(editedBy ? [t("editedBy", { name: bdi(editedBy, { class: "note-editor-name" }) })] : []));
    }
    const flagText = n.hidden && !n.redacted ? (view.facilitator ? t("hiddenFlag") : t("hiddenFlagMine")) : "";
    if (shownNow.flag !== flagText) {
      shownNow.flag = flagText;
      parts.flag.hidden = !flagText;
      parts.flag.textContent = flagText;
    }
    if (parts.menu && shownNow.menuHidden !== !may) {
      shownNow.menuHidden = !may;
      parts.menu.hidden = !may;
    }
    if (!may && card._toolsOpen) view.menu.close(card);
    if (view.vote || card._voteBox) this.fillVote(card, n);
    if (card._toolsOpen) view.menu.sync(card, n);
  }

  /** The dot buttons (participants, while the vote is open) and the result (when it shows). */
  fillVote(card, n) {
    const { view } = this;
    const v = view.vote;
    let box = card._voteBox || null;
    const applies = !!v && voteApplies(v, view.board.id, n.zone) && !n.pending;
    const canVote = applies && v.open && !!view.mine;
    const showTotal = applies && view.results;
    if (!canVote && !showTotal) {
      box?.remove();
      card._voteBox = null;
      return;
    }
    if (!box || box.dataset.vote !== v.id || box.dataset.kind !== (canVote ? "cast" : "result")) {
      box?.remove();
      box = el("div", { class: "vote-box", dataset: { vote: v.id, kind: canVote ? "cast" : "result" } });
      card._voteBox = box;
      box.append(el("span", { class: "vote-total", hidden: true }));
      if (canVote) {
        box.append(
          el("button", {
            type: "button", class: "vote-minus", "aria-label": t("voteMinus"), text: "−",
            onclick: (e) => { e.stopPropagation(); this.cast(card, -1); },
          }),
          el("span", { class: "vote-mine", role: "img" }),
          el("button", {
            type: "button", class: "vote-plus",
            onclick: (e) => { e.stopPropagation(); this.cast(card, 1); },
          }, t("votePlus"), el("span", { class: "sr-only", text: t("votePlusMore") })));
      }
      card.appendChild(box);
    }
    const total = box.querySelector(".vote-total");
    total.hidden = !showTotal;
    if (showTotal) {
      const n2 = totalOf(v, view.board.id, n.id);
      const txt = t("dotsTotal", { n: n2 });
      if (total.textContent !== txt) total.textContent = txt;
      total.dataset.total = String(n2);
    }
    if (canVote) {
      const have = view.mine[`${view.board.id}/${n.id}`] || 0;
      const mineEl = box.querySelector(".vote-mine");
      mineEl.dataset.mine = String(have);
      mineEl.textContent = "●".repeat(Math.min(have, 10));
      mineEl.setAttribute("aria-label", t("myDotsOn", { n: have }));
      box.querySelector(".vote-minus").disabled = have <= 0;
      // No dot left, or this note has the most one person may give it: "+ stem" cannot be pressed.
      box.querySelector(".vote-plus").disabled = view.remaining <= 0 || have >= v.cap;
    }
  }

  cast(card, delta) {
    const { view } = this;
    const n = card._note;
    if (!n || !view.vote?.open) return;
    castDot(view.store, view.controlId, view.ledger, view.vote, view.board.id, n.id, delta);
  }

  /**
   * The keyboard on a focused note: Enter or F2 edits; ↑/↓ go to the note above or below;
   * Alt+←/→ moves it to the previous or next station (zone); Alt+↑/↓ moves it up or down in
   * its list; Escape closes its menu.
   */
  key(e, card) {
    const { view } = this;
    if (e.key === "Escape" && card.querySelector(".note-tools")) {
      e.preventDefault();
      view.menu.toggle(card);
      card.querySelector(".note-menu")?.focus();
      return;
    }
    if (e.target !== card || e.ctrlKey || e.metaKey) return;
    if (!view.readOnly && !e.altKey && (e.key === "Enter" || e.key === "F2") && view.mayChange(card._note)) {
      e.preventDefault();
      view.editor.open(card);
    } else if (!e.altKey && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
      const cards = [...view.root.querySelectorAll(".note[tabindex]")].filter((c) => c.offsetParent !== null);
      const next = cards[cards.indexOf(card) + (e.key === "ArrowDown" ? 1 : -1)];
      e.preventDefault();
      next?.focus();
    } else if (e.altKey && view.writable && e.key.startsWith("Arrow")) {
      e.preventDefault();
      const n = card._note;
      if (!n || !view.mayChange(n)) return;
      if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
        const zones = [...view.zoneTitles.keys()];
        const zone = zones[zones.indexOf(n.zone) + (e.key === "ArrowRight" ? 1 : -1)];
        if (zone) view.store.op(view.board.id, { kind: "note.move", note: n.id, x: 0, y: view.endY(zone), zone });
      } else {
        const y = neighbourY(card, e.key === "ArrowUp" ? -1 : 1);
        if (y !== null) view.store.op(view.board.id, { kind: "note.move", note: n.id, x: 0, y });
      }
      view.notify(t("noteMovedTo", { zone: view.zoneTitles.get(card._note?.zone) || "" }));
    }
  }
}

/** The order key that puts `card` one place up (-1) or down (+1) in its list; null at an end. */
function neighbourY(card, dir) {
  const notes = [...card.parentNode.children].filter((c) => c.classList.contains("note")).map((c) => c._note);
  const i = notes.findIndex((x) => x?.id === card._note?.id);
  const a = notes[i + dir];
  if (!a) return null;
  const b = notes[i + 2 * dir];
  const y = b ? (a.y + b.y) / 2 : a.y + dir;
  return Math.max(-9999, Math.min(9999, y));
}
