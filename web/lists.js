// Keyed placement of note cards in their lists: only what is not in place yet moves, new cards
// in a row go in together, and a card that moves keeps its open editor's focus and selection
// (someone typing while others add notes around them). A read-only screen puts the cards in
// groups of CHUNK (`.note-chunk`), so the browser can skip laying out those off the screen.

import { el } from "./html.js";

export const CHUNK = 30; // cards per group in a list of a chunked view

/** Move `card` to `list` before `at`; an editor inside keeps its focus and selection. */
export function placeCard(list, card, at) {
  const active = document.activeElement;
  const keep = active && active !== document.body && card.contains(active) ? active : null;
  let sel = null;
  if (keep && typeof keep.selectionStart === "number") sel = [keep.selectionStart, keep.selectionEnd];
  if (keep) keep._moving = true;
  list.insertBefore(card, at || null);
  if (keep) {
    keep.focus({ preventScroll: true });
    if (sel) { try { keep.setSelectionRange(sel[0], sel[1]); } catch { /* not a text field */ } }
    keep._moving = false;
  }
}

/**
 * Put `cards[from..to)` in this order into `box` (the list `listEl`, or one of its groups),
 * moving only what is not in place yet; new cards in a row go in together (a whole station at
 * once on the first state). Anything else left in `box` goes: a card whose note is gone, or a
 * card still to be moved further on (left here until then: moving it keeps its editor's
 * focus, removing it would not). `destination`: note id -> the list its card goes to.
 */
function placeRange(listEl, box, cards, from, to, destination) {
  let i = 0;
  let fresh = null;
  const flush = () => {
    if (!fresh) return;
    const count = fresh.childNodes.length;
    box.insertBefore(fresh, box.children[i] || null);
    i += count;
    fresh = null;
  };
  for (let k = from; k < to; k += 1) {
    const card = cards[k];
    if (!card.parentNode) {
      (fresh ??= document.createDocumentFragment()).appendChild(card);
      continue;
    }
    flush();
    const at = box.children[i];
    if (at !== card) placeCard(box, card, at);
    i += 1;
  }
  flush();
  while (box.children.length > i) {
    const extra = box.children[i];
    const goesTo = extra._note ? destination.get(extra._note.id) : undefined;
    if (extra.classList.contains("note-placeholder") || (goesTo && (goesTo !== listEl || box !== listEl))) {
      i += 1;
      continue;
    }
    extra.remove();
  }
}

/** The cards of list `listEl`, in this order (in groups of CHUNK when `chunked`). */
export function placeCards(listEl, cards, destination, chunked) {
  if (!chunked) {
    placeRange(listEl, listEl, cards, 0, cards.length, destination);
    return;
  }
  // Read-only with groups: CHUNK cards in each (a new group is filled before it goes in).
  for (let from = 0, g = 0; from < cards.length; from += CHUNK, g += 1) {
    let chunk = listEl.children[g];
    const added = !chunk;
    if (added) chunk = el("div", { class: "note-chunk" });
    placeRange(listEl, chunk, cards, from, Math.min(cards.length, from + CHUNK), destination);
    if (added) listEl.appendChild(chunk);
  }
}

/** Groups no longer needed at the end of a list hold nothing live any more. */
export function trimChunks(listEl, count) {
  const need = Math.ceil(count / CHUNK);
  while (listEl.children.length > need) listEl.lastElementChild.remove();
}
