// The participants of the session, as presence counts them (R23): their name, where they
// are, their group (a facilitator can put them in another, group.assign), and taking one out
// of the session (participant.remove, R33), maybe hiding their notes. Redrawn when presence or
// the groups change, but never under the keyboard of someone using the list.

import { bdi, clear, el, iso } from "./html.js";
import { t } from "./i18n.js";
import "./i18n-staff.js";
import { askConfirm } from "./ui.js";

/** Nodes joined with ", " into one fragment (for a t() placeholder). */
export function listOf(nodes) {
  const out = document.createDocumentFragment();
  nodes.forEach((n, i) => out.append(...(i ? [", ", n] : [n])));
  return out;
}

export class PeoplePanel {
  /**
   * @param {object} o
   * @param {import("./state.js").BoardStore} o.store
   * @param {string} o.controlId
   * @param {object} o.session
   * @param {Array} o.boards   the session's boards, by corner
   * @param {(corner: string) => string} o.titleOf
   * @param {(msg: string) => void} o.notify
   * @param {() => boolean} o.alive
   */
  constructor({ store, controlId, session, boards, titleOf, notify, alive }) {
    this.store = store;
    this.controlId = controlId;
    this.session = session;
    this.boards = boards;
    this.titleOf = titleOf;
    this.notify = notify;
    this.alive = alive;
    this.presenceFrame = null;
    this.peopleKey = "";
    this.peopleStale = false;
    this.el = this.build();
  }

  control() {
    return this.store.mirror(this.controlId).control;
  }

  op(op) {
    return this.store.op(this.controlId, op);
  }

  setPresence(frame) {
    this.presenceFrame = frame || null;
    this.renderPeople();
  }

  build() {
    this.peopleHead = el("h2", { id: "people-title", tabindex: "-1", text: t("peopleTitle", { n: 0 }) });
    this.peopleList = el("ul", { class: "people-list", id: "people-list" });
    this.peopleList.addEventListener("focusout", () => {
      if (this.peopleStale) setTimeout(() => this.renderPeople(), 0);
    });
    return el("section", { class: "panel ov-people", id: "people-panel" }, this.peopleHead, this.peopleList);
  }

  renderPeople() {
    const ctl = this.control();
    const removed = new Set(ctl?.removed || []);
    const people = (this.presenceFrame?.people || [])
      .filter((p) => p.role === "participant" && !removed.has(p.participant));
    const groups = ctl?.groups || this.session.groups || [];
    const key = JSON.stringify([people, groups, [...removed]]);
    if (key === this.peopleKey) return;
    if (this.peopleList.contains(document.activeElement)) {
      // Do not close a select someone is using, nor take the focus away: redraw on focusout.
      this.peopleStale = true;
      return;
    }
    this.peopleStale = false;
    this.peopleKey = key;
    this.peopleHead.textContent = t("peopleTitle", { n: people.length });
    const where = (p) => {
      const names = (p.boards || []).map((id) => this.boards.find((b) => b.id === id))
        .filter(Boolean).map((b) => bdi(this.titleOf(b.instrument)));
      return names.length ? listOf(names) : t("peopleNowhere");
    };
    clear(this.peopleList).append(...(people.length ? people.map((p) => {
      const name = p.name || t("anonymous");
      const select = el("select", {
        class: "assign-group", dataset: { participant: p.participant },
        "aria-label": t("assignLabel", { name }),
      },
      el("option", { value: "", text: t("noGroup") }),
      groups.map((g) => el("option", { value: g, text: g, selected: g === p.group })));
      select.addEventListener("change", () => {
        this.op({ kind: "group.assign", participant: p.participant, group: select.value });
      });
      return el("li", { class: "person", dataset: { participant: p.participant } },
        el("span", { class: "person-name", dir: "auto", text: name }),
        el("span", { class: "person-where" }, where(p)),
        select,
        el("button", {
          type: "button", class: "ctl warn small person-remove", dataset: { participant: p.participant },
          text: t("removePerson"), "aria-label": t("removePersonLabel", { name }),
          onclick: () => this.removePerson(p),
        }));
    }) : [el("li", { class: "ov-empty", text: t("peopleNone") })]));
  }

  /** R33: take someone out of the session (their link stops), maybe hiding their notes. */
  async removePerson(p) {
    const name = p.name || t("anonymous");
    const { ok, checked } = await askConfirm({
      id: "remove-dialog", title: t("removePersonTitle"),
      message: t("removePersonText", { name: bdi(name) }),
      check: t("removePersonHide"), confirm: t("removePersonConfirm"),
    });
    if (!ok || !this.alive()) return;
    this.peopleHead.focus(); // their row goes; the keyboard stays in this panel
    const done = this.store.opWait(this.controlId,
      { kind: "participant.remove", participant: p.participant, hide_notes: checked });
    // Said once the server has it (a refusal is said by the error toast instead).
    done.then(() => { if (this.alive()) this.notify(t("removePersonDone", { name: iso(name) })); }, () => {});
  }
}
