// De praatplaat as a working board (R17): notes on DE OPGAVE in the middle, the three domains
// around it, and the six mechanisms as a band below. Only zones: every note works as on any
// board (view.zoneBox).

import { el } from "./html.js";
import { items, sectionOf } from "./template.js";

export class Praatplaat {
  constructor(view, body) {
    this.view = view;
    this.body = body;
  }

  build() {
    const { view } = this;
    const inst = view.instrument;
    const opgave = items(inst, "opgave")[0];
    const domains = sectionOf(inst, "domeinen");
    const mechs = sectionOf(inst, "mechanismen");
    const ring = el("div", { class: "praat-ring" });
    if (opgave) {
      ring.appendChild(view.zoneBox(opgave.id, {
        title: opgave.title, prompt: opgave.prompt, className: "praat-opgave", heading: "h2",
      }));
    }
    (domains?.items || []).forEach((d, i) => {
      ring.appendChild(view.zoneBox(d.id, {
        title: d.title, prompt: d.prompt, className: `praat-domain praat-domain-${i + 1}`, heading: "h2",
      }));
    });
    const parts = [];
    if (domains) parts.push(el("p", { class: "section-caption", text: domains.title }));
    parts.push(ring);
    if (mechs) {
      parts.push(el("h2", { class: "section-title", text: mechs.title }),
        el("div", { class: "praat-mechs" }, mechs.items.map((m) => view.zoneBox(m.id, {
          title: m.title, prompt: m.prompt, className: "praat-mech", heading: "h3",
        }))));
    }
    this.body.append(...parts);
  }

  update() {}
}
