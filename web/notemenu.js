// A note's menu ("⋯") on a board: its colour, the zone it is in (choosing another moves it
// there), on a corner board the part of the instrument it is about (R49: changed or cleared
// with note.pin), delete; for a facilitator also its cluster (R26) and hiding it (R28). While
// open it is filled again on every update, so it always shows the note as it is now.

import { clusterTitle, effectiveCluster, liveClusters } from "./clusters.js";
import { el } from "./html.js";
import { t } from "./i18n.js";
import { partLabel, partsOf } from "./parts.js";
import { maySend } from "./rules.js";
import { COLOR_MARKS, COLORS } from "./ui.js";

export class NoteMenu {
  /** @param {import("./board.js").BoardView} view */
  constructor(view) {
    this.view = view;
  }

  close(card) {
    card.querySelector(".note-tools")?.remove();
    card._toolsOpen = false;
    card.querySelector(".note-menu")?.setAttribute("aria-expanded", "false");
  }

  toggle(card) {
    const { view } = this;
    if (card.querySelector(".note-tools")) {
      this.close(card);
      return;
    }
    const n = card._note;
    if (!view.mayChange(n)) return;
    const op = (make) => {
      const cur = card._note;
      const next = cur ? make(cur) : null;
      if (next) view.store.op(view.board.id, next);
    };
    const swatches = el("div", { class: "swatches", role: "group", "aria-label": t("colour") },
      COLORS.map((c) => el("button", {
        type: "button", class: `swatch color-${c}`, dataset: { color: c },
        "aria-label": t(`colours.${c}`), title: t(`colours.${c}`), text: COLOR_MARKS[c],
        onclick: () => op((cur) => (cur.color !== c ? { kind: "note.color", note: cur.id, color: c } : null)),
      })));
    // Shows the note's station; choosing another (also with the arrow keys) moves it there.
    const select = el("select", { class: "move-to", "aria-label": t("moveTo"), title: t("moveTo") },
      [...view.zoneTitles].map(([id, title]) => el("option", { value: id, text: title })));
    select.value = n.zone;
    select.addEventListener("change", () => {
      const zone = select.value;
      op((cur) => (zone && zone !== cur.zone
        ? { kind: "note.move", note: cur.id, x: 0, y: view.endY(zone), zone } : null));
    });
    const del = el("button", {
      type: "button", class: "note-delete", text: t("deleteNote"),
      onclick: () => op((cur) => {
        // A facilitator can bring it back from the deleted notes; a participant cannot.
        if (!view.facilitator && cur.text && !window.confirm(t("confirmDelete"))) return null;
        return { kind: "note.delete", note: cur.id };
      }),
    });
    const rows = [swatches, el("div", { class: "tool-row" }, select, del)];
    const role = view.me?.role;
    const parts = view.layout === "stations" ? partsOf(view.instrument) : [];
    if (parts.length && maySend(role, "note.pin")) {
      const pin = el("select", { class: "note-pin", "aria-label": t("notePinLabel"), title: t("notePinLabel") },
        el("option", { value: "", text: t("notePinNone") }),
        parts.map((p) => el("option", { value: p.id, text: partLabel(view.instrument, p.id) })));
      pin.value = n.part || "";
      pin.addEventListener("change", () => {
        const part = pin.value || null;
        op((cur) => ((cur.part || null) !== part ? { kind: "note.pin", note: cur.id, part } : null));
      });
      rows.push(el("div", { class: "tool-row" }, el("label", { class: "note-pin-label" },
        el("span", { text: t("notePinLabel") }), pin)));
    }
    if (maySend(role, "note.hide")) {
      const modRow = el("div", { class: "tool-row" });
      if (view.clusterable && maySend(role, "note.cluster")) {
        const clusterSel = el("select", { class: "note-cluster", "aria-label": t("clusterOfNote") });
        clusterSel.addEventListener("change", () => {
          const cur = card._note;
          if (!cur) return;
          const value = clusterSel.value || null;
          if (value !== effectiveCluster(view.control, cur)) view.setCluster(cur.id, value);
        });
        modRow.append(clusterSel);
      }
      modRow.append(el("button", {
        type: "button", class: "note-hide",
        onclick: () => op((cur) => ({ kind: "note.hide", note: cur.id, hidden: !cur.hidden })),
      }));
      rows.push(modRow);
    }
    const tools = el("div", { class: "note-tools" }, ...rows);
    card.appendChild(tools);
    card._toolsOpen = true; // filled again on every update while open (sync)
    card.querySelector(".note-menu")?.setAttribute("aria-expanded", "true");
    this.sync(card, n);
  }

  /** The open menu of `card` shows note `n` as it is now. */
  sync(card, n) {
    const { view } = this;
    const tools = card.querySelector(".note-tools");
    if (!tools) return;
    for (const b of tools.querySelectorAll(".swatch")) {
      b.setAttribute("aria-pressed", String(b.dataset.color === n.color));
    }
    const pin = tools.querySelector(".note-pin");
    if (pin && document.activeElement !== pin && pin.value !== (n.part || "")) pin.value = n.part || "";
    const move = tools.querySelector(".move-to");
    if (move && move.value !== n.zone && [...move.options].some((o) => o.value === n.zone)) move.value = n.zone;
    const hide = tools.querySelector(".note-hide");
    if (hide) {
      const text = n.hidden ? t("noteShow") : t("noteHide");
      if (hide.textContent !== text) hide.textContent = text;
      hide.setAttribute("aria-pressed", String(!!n.hidden));
    }
    const sel = tools.querySelector(".note-cluster");
    if (sel && document.activeElement !== sel) {
      const options = liveClusters(view.control, n.zone);
      const key = JSON.stringify([n.zone, options]);
      if (sel.dataset.key !== key) {
        sel.dataset.key = key;
        sel.replaceChildren(
          el("option", { value: "", text: t("clusterNone") }),
          ...options.map((c) => el("option", { value: c.id, text: t("clusterOption", { title: clusterTitle(c) }) })));
      }
      sel.value = effectiveCluster(view.control, n) || "";
    }
  }
}
