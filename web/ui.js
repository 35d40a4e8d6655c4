// Small shared pieces of the views: join codes as people read them, a confirm dialog, a
// download, a note's colour as a shape, a link with a copy button, inputs that commit, and
// following one pointer over the whole window.

import { el } from "./html.js";
import { t } from "./i18n.js";
import { choices } from "./rules.js";

/** A form's status line (hidden until `say` puts a message in it). */
export function statusLine(id) {
  const node = el("p", { class: "form-status", id, role: "status" });
  node.hidden = true;
  return node;
}

/** Show `message` in a status line (an error when `error`), or hide it when empty. */
export function say(node, message, error = false) {
  node.textContent = message || "";
  node.hidden = !message;
  node.classList.toggle("error", !!error);
}

/**
 * A join code as people read it aloud: in groups of four ("ABCD EFGH"). Links keep the raw
 * code; typed codes are read with or without the space (or a dash).
 */
export function formatCode(code) {
  const raw = String(code || "");
  return raw.length > 4 ? raw.match(/.{1,4}/g).join(" ") : raw;
}

/** A typed join code as the server knows it: letters and digits, upper case. */
export function cleanCode(value) {
  return String(value || "").replace(/[^A-Za-z0-9]/g, "").toUpperCase();
}

let dialogs = 0;
/**
 * Ask before something that cannot be undone, in a modal <dialog> (focus stays inside, Escape
 * cancels). `message` may be text or nodes; `check` adds a checkbox with that label.
 * Resolves to {ok, checked}.
 * @param {object} o
 * @param {string} o.title
 * @param {string|Node} [o.message]
 * @param {string} o.confirm  the button that does it
 * @param {string|null} [o.check]
 * @param {boolean} [o.danger]
 * @param {string} [o.id]
 */
export function askConfirm({ title, message = null, confirm, check = null, danger = true, id = null }) {
  dialogs += 1;
  const key = id || `confirm-${dialogs}`;
  return new Promise((resolve) => {
    const box = check ? el("input", { type: "checkbox", id: `${key}-check`, class: "confirm-check" }) : null;
    const yes = el("button", {
      type: "button", class: `ctl ${danger ? "warn" : "primary"} confirm-yes`, text: confirm,
    });
    const no = el("button", { type: "button", class: "ctl confirm-no", text: t("cancel") });
    const dlg = el("dialog", {
      class: "confirm-dialog", id: key, "aria-labelledby": `${key}-title`,
      "aria-describedby": message ? `${key}-text` : null,
    },
    el("h2", { id: `${key}-title`, text: title }),
    message ? el("p", { id: `${key}-text`, class: "confirm-text" }, message) : null,
    box ? el("label", { class: "check", for: `${key}-check` }, box, el("span", { text: check })) : null,
    el("div", { class: "ctl-row confirm-buttons" }, yes, no));
    const back = document.activeElement;
    let done = false;
    const finish = (ok) => {
      if (done) return;
      done = true;
      const checked = !!box?.checked;
      if (dlg.open) dlg.close();
      dlg.remove();
      if (back && back.isConnected) back.focus?.();
      resolve({ ok, checked });
    };
    yes.addEventListener("click", () => finish(true));
    no.addEventListener("click", () => finish(false));
    dlg.addEventListener("cancel", (e) => { e.preventDefault(); finish(false); });
    document.body.append(dlg);
    dlg.showModal();
    (box || no).focus();
  });
}

/** The file name a Content-Disposition gives: its UTF-8 `filename*` (R57), else `filename`. */
function fileName(cd) {
  const star = cd.match(/filename\*=UTF-8''([^;\s]+)/i);
  if (star) {
    try { return decodeURIComponent(star[1]); } catch { /* the plain name then */ }
  }
  return cd.match(/filename="([^"]+)"/)?.[1] || null;
}

/** Save a fetch response as a download (its Content-Disposition name, else `fallback`). */
export async function downloadResponse(res, fallback) {
  const blob = await res.blob();
  const name = fileName(res.headers.get("content-disposition") || "") || fallback;
  const href = URL.createObjectURL(blob);
  const a = el("a", { href, download: name, hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 30_000);
  return name;
}

/** The note colours, as the server takes them. */
export const COLORS = choices("note.add", "color");

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

/** A text input that calls `onCommit(value)` on Enter or when it is left, when the value changed. */
export function commitInput(attrs, current, onCommit) {
  const input = el("input", { type: "text", ...attrs });
  input.value = current;
  const commit = () => onCommit(input.value.trim());
  input.addEventListener("change", commit);
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); input.blur(); }
  });
  return input;
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
