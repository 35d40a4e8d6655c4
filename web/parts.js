// The parts of an instrument a note on its corner board may point at (R49): every item of a
// template section not marked `part: false` (the praatplaat's DE OPGAVE, domains and
// mechanisms; the matrix's questions; het 8-tje's levels and failure modes; the reflectietool's
// aspects). Template texts in the page's language (boards/ carry both).

import { getLang, t } from "./i18n.js";

/** A template text (a section's or item's `title`, `prompt`) in the page's language. */
export function localized(node, field = "title") {
  if (!node) return "";
  if (getLang() === "en" && node.en?.[field]) return node.en[field];
  return node[field] || "";
}

/** The parts of instrument template `inst`, in template order: [{id, item, section, n}]. */
export function partsOf(inst) {
  const out = [];
  for (const section of inst?.sections || []) {
    if (section.part === false) continue;
    section.items.forEach((item, i) => out.push({ id: item.id, item, section, n: i + 1 }));
  }
  return out;
}

/** A part as a note names it: its title; a matrix question with its number ("3. Welke …"). */
export function partLabel(inst, partId) {
  const part = partsOf(inst).find((p) => p.id === partId);
  if (!part) return partId ? t("unknownPart") : "";
  const title = localized(part.item);
  return inst.layout === "matrix" ? `${part.n}. ${title}` : title;
}

/** How many of `notes` (a Map or an array) point at each part: part id -> count. */
export function countParts(notes) {
  const counts = new Map();
  for (const n of notes.values()) {
    if (n.part) counts.set(n.part, (counts.get(n.part) || 0) + 1);
  }
  return counts;
}
