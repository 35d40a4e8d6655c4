// Small shared pieces of the session views (links with a copy button).

import { el } from "./html.js";
import { t } from "./i18n.js";

// A shape per note colour, so a note's colour never rests on colour vision alone.
export const COLOR_MARKS = { yellow: "●", pink: "♥", blue: "■", green: "▲", orange: "◆", purple: "★" };

/** The colour of a note as a shape with its name (title, and for screen readers). */
export function colourMark(color = "yellow") {
  const name = t(`colours.${color}`);
  return el("span", { class: "note-colour", dataset: { color }, title: name },
    el("span", { class: "note-colour-mark", "aria-hidden": "true", text: COLOR_MARKS[color] || "●" }),
    el("span", { class: "sr-only", text: t("colourOf", { colour: name }) }));
}

/** A labelled read-only link field with a copy button. */
export function linkRow(label, value, extraClass = "") {
  const input = el("input", { type: "text", readonly: true, value, class: "link-input", "aria-label": label });
  const copy = el("button", {
    type: "button", class: "copy", text: t("copy"),
    onclick: async () => {
      try { await navigator.clipboard.writeText(input.value); } catch { input.select(); }
      copy.textContent = t("copied");
      setTimeout(() => { copy.textContent = t("copy"); }, 1500);
    },
  });
  return el("div", { class: `link-row ${extraClass}`.trim() },
    el("span", { class: "link-label", text: label }), el("div", { class: "link-field" }, input, copy));
}

/** Set an input's value unless someone is typing in it. */
export function setIfIdle(input, value) {
  if (document.activeElement !== input && input.value !== value) input.value = value;
}

/**
 * Follow one pointer on the whole window (a card dragged past its list): moves go to `onMove`,
 * the end to `onEnd(event, dropped)` (false when the browser cancelled it). Returns the function
 * that stops following.
 */
export function followPointer(onMove, onEnd) {
  const move = (e) => onMove(e);
  const up = (e) => onEnd(e, true);
  const cancel = (e) => onEnd(e, false);
  window.addEventListener("pointermove", move);
  window.addEventListener("pointerup", up);
  window.addEventListener("pointercancel", cancel);
  return () => {
    window.removeEventListener("pointermove", move);
    window.removeEventListener("pointerup", up);
    window.removeEventListener("pointercancel", cancel);
  };
}
