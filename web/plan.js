// The rotation plan (R21) and the groups, edited by a facilitator in the overview: a draft
// of the plan (round by round, which group at which corner; groups that move freely) saved as
// one plan.set, kept while it is refused (bad_plan) so it can be fixed; the groups as lines of
// a text field (groups.set). What shows is always the control board's state (R20).

import { clear, el } from "./html.js";
import { t } from "./i18n.js";
import "./i18n-staff.js";
import { setIfIdle } from "./ui.js";

export class PlanPanel {
  /**
   * @param {object} o
   * @param {import("./state.js").BoardStore} o.store
   * @param {string} o.controlId
   * @param {(corner: string) => string} o.titleOf
   */
  constructor({ store, controlId, titleOf }) {
    this.store = store;
    this.controlId = controlId;
    this.titleOf = titleOf;
    this.planDraft = null;
    this.planDirty = false;
    this.planSaving = null;
    this.planSent = null;
    this.planKey = "";
    this.el = this.build();
  }

  control() {
    return this.store.mirror(this.controlId).control;
  }

  op(op) {
    return this.store.op(this.controlId, op);
  }

  build() {
    this.planWrap = el("div", { class: "plan-wrap" });
    this.planState = el("p", { class: "plan-state", id: "plan-state", role: "status" });
    const btn = (id, text, onclick, cls = "ctl") => el("button", { type: "button", id, class: cls, text, onclick });
    return el("section", { class: "panel ov-plan", id: "plan-editor" },
      el("h2", { text: t("planTitle") }),
      el("p", { class: "intro", text: t("planHint") }),
      this.planWrap,
      el("div", { class: "ctl-row" },
        btn("plan-add-round", t("planAddRound"), () => this.planRows(+1)),
        btn("plan-remove-round", t("planRemoveRound"), () => this.planRows(-1)),
        btn("plan-save", t("planSave"), () => this.savePlan(), "ctl primary"),
        btn("plan-cancel", t("planCancel"), () => {
          this.planDirty = false;
          this.planKey = "";
          const ctl = this.control();
          if (ctl) this.update(ctl);
        }),
        btn("plan-reset", t("planReset"), () => this.resetPlan())),
      this.planState);
  }

  /** The control state changed: the plan shown follows it, unless a draft is being edited. */
  update(ctl) {
    // A saved draft is done once our op is confirmed (or refused, see onError).
    if (this.planSaving && !this.store.mirror(this.controlId).isPending(this.planSaving)) {
      this.planSaving = null;
      this.planDirty = false;
    }
    const key = JSON.stringify([ctl.plan, ctl.free, ctl.groups, ctl.corners, ctl.round]);
    if (!this.planDirty && key !== this.planKey) {
      this.planKey = key;
      this.planDraft = {
        plan: (ctl.plan || []).map((r) => ({ ...r })),
        free: new Set(ctl.free || []),
      };
      this.renderPlan();
    }
    this.renderPlanState();
  }

  onError(msg) {
    // The store drops a refused op (and tells its listeners) before the error listeners run, so
    // match on the id we sent, not on planSaving.
    if (this.planSent && msg.ref === this.planSent) {
      // Refused (bad_plan): keep the draft so it can be fixed; the toast says why.
      this.planSent = null;
      this.planSaving = null;
      this.planDirty = true;
      this.renderPlanState();
    }
  }

  renderPlan() {
    const ctl = this.control();
    if (!ctl || !this.planDraft) return;
    const { plan, free } = this.planDraft;
    const groups = ctl.groups || [];
    const corners = ctl.corners || [];
    const markDirty = () => { this.planDirty = true; this.renderPlanState(); };
    const head = el("tr", {}, el("th", { scope: "col", text: t("planRound") }),
      groups.map((g) => {
        const box = el("input", { type: "checkbox", class: "plan-free", dataset: { group: g }, checked: free.has(g) });
        box.addEventListener("change", () => {
          if (box.checked) free.add(g); else free.delete(g);
          markDirty();
          this.renderPlan();
        });
        return el("th", { scope: "col", dataset: { group: g } },
          el("span", { class: "plan-group", text: g }),
          el("label", { class: "check small" }, box, el("span", { text: t("planFree") })));
      }));
    const rows = plan.map((row, i) => el("tr", {
      dataset: { round: String(i + 1) }, class: i + 1 === ctl.round ? "is-current" : "",
    },
    el("th", { scope: "row", text: String(i + 1) }),
    groups.map((g) => {
      const select = el("select", {
        class: "plan-cell", dataset: { round: String(i + 1), group: g },
        "aria-label": t("planCell", { group: g, n: i + 1 }), disabled: free.has(g),
      },
      el("option", { value: "", text: free.has(g) ? t("planFree") : t("planNone") }),
      corners.map((c) => el("option", { value: c, text: this.titleOf(c), selected: row[g] === c })));
      select.addEventListener("change", () => {
        if (select.value) row[g] = select.value; else delete row[g];
        markDirty();
      });
      return el("td", {}, select);
    })));
    clear(this.planWrap).append(el("table", { class: "plan-table", id: "plan-table" },
      el("thead", {}, head), el("tbody", {}, rows)));
  }

  renderPlanState() {
    const text = this.planSaving ? t("planSaving") : this.planDirty ? t("planDirty") : "";
    this.planState.textContent = text;
    this.planState.hidden = !text;
  }

  planRows(delta) {
    const ctl = this.control();
    if (!ctl || !this.planDraft) return;
    const { plan, free } = this.planDraft;
    if (delta > 0 && plan.length < 24) {
      // A new round continues the round-robin for the groups that rotate.
      const r = plan.length;
      const corners = ctl.corners || [];
      const rotating = (ctl.groups || []).filter((g) => !free.has(g));
      const row = {};
      rotating.forEach((g, i) => { if (corners.length) row[g] = corners[(i + r) % corners.length]; });
      plan.push(row);
    } else if (delta < 0 && plan.length > 1) {
      plan.pop();
    } else {
      return;
    }
    this.planDirty = true;
    this.renderPlan();
    this.renderPlanState();
  }

  savePlan() {
    if (!this.planDraft) return;
    const { plan, free } = this.planDraft;
    const rows = plan.map((row) => Object.fromEntries(
      Object.entries(row).filter(([g, c]) => c && !free.has(g))));
    this.planDirty = true;
    this.planSaving = this.op({ kind: "plan.set", plan: rows, free: [...free] });
    this.planSent = this.planSaving;
    this.renderPlanState();
  }

  resetPlan() {
    const free = this.planDraft ? [...this.planDraft.free] : (this.control()?.free || []);
    this.planDirty = false;
    this.planKey = "";
    this.op({ kind: "plan.set", plan: [], free });
  }
}

export class GroupsPanel {
  constructor({ store, controlId }) {
    this.store = store;
    this.controlId = controlId;
    this.groupsDirty = false;
    this.el = this.build();
  }

  op(op) {
    return this.store.op(this.controlId, op);
  }

  build() {
    this.groupsInput = el("textarea", {
      id: "groups-input", rows: "6", class: "groups-input", "aria-label": t("groupsTitle"),
    });
    this.groupsInput.addEventListener("input", () => { this.groupsDirty = true; });
    const form = el("form", { class: "panel ov-groups", id: "groups-editor" },
      el("h2", { text: t("groupsTitle") }),
      el("p", { class: "intro", text: t("groupsHint") }),
      this.groupsInput,
      el("div", { class: "ctl-row" },
        el("button", { type: "submit", id: "groups-save", class: "ctl primary", text: t("groupsSave") })));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const groups = [];
      for (const line of this.groupsInput.value.split("\n")) {
        const name = line.trim().slice(0, 40);
        if (name && !groups.includes(name)) groups.push(name);
      }
      if (!groups.length) return;
      this.groupsDirty = false;
      this.op({ kind: "groups.set", groups });
    });
    return form;
  }

  update(ctl) {
    if (!this.groupsDirty) setIfIdle(this.groupsInput, (ctl.groups || []).join("\n"));
  }
}
