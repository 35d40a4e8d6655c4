// De praatplaat as a working board (R17): notes on DE OPGAVE in the middle, the three domains
// around it, and the six mechanisms as a band below. Only zones: every note works as on any
// board (view.zoneBox). The same shape, with a tappable part in place of each zone, is the
// praatplaat on its corner (figure.js).

import { el } from "./html.js";
import { items, sectionOf } from "./template.js";
import { localized } from "./parts.js";

/**
 * The praatplaat's shape from its template: DE OPGAVE and the domains in a ring, the mechanisms
 * as a band. `cell(item, className, heading)` makes each part (a zone, or a part to tap).
 */
export function praatplaatShape(inst, cell) {
  const opgave = items(inst, "opgave")[0];
  const domains = sectionOf(inst, "domeinen");
  const mechs = sectionOf(inst, "mechanismen");
  const ring = el("div", { class: "praat-ring" },
    opgave ? cell(opgave, "praat-opgave", "h2") : null,
    (domains?.items || []).map((d, i) => cell(d, `praat-domain praat-domain-${i + 1}`, "h2")));
  return [
    domains ? el("p", { class: "section-caption", text: localized(domains) }) : null,
    ring,
    mechs ? el("h2", { class: "section-title", text: localized(mechs) }) : null,
    mechs ? el("div", { class: "praat-mechs" }, mechs.items.map((m) => cell(m, "praat-mech", "h3"))) : null,
  ].filter(Boolean);
}

export class Praatplaat {
  constructor(view, body) {
    this.view = view;
    this.body = body;
  }

  build() {
    const { view } = this;
    this.body.append(...praatplaatShape(view.instrument, (item, className, heading) => view.zoneBox(item.id, {
      title: localized(item), prompt: localized(item, "prompt"), className, heading,
    })));
  }

  update() {}
}
