// De matrix as a working board (R17): the seven questions as rows, activities as columns
// (column.add, column.rename, column.move, column.remove after a confirmation); a note lives on
// a question (its row) or in a cell `<row>@<column>`. The table is built again when the
// columns change, kept otherwise. A question's head is the same on the matrix's corner
// (figure.js).

import { clear, el } from "./html.js";
import { t } from "./i18n.js";
import { localized } from "./parts.js";
import { maxLength } from "./rules.js";
import { items } from "./template.js";
import { askConfirm, commitInput, setIfIdle } from "./ui.js";

/** A question as the matrix shows it: its number, title and prompt. */
export function questionHead(r, ri) {
  const prompt = localized(r, "prompt");
  return [
    el("span", { class: "q-num", text: `${ri + 1}` }),
    el("span", { class: "q-title", text: localized(r) }),
    prompt ? el("span", { class: "q-prompt", text: prompt }) : null,
  ];
}

export class Matrix {
  constructor(view, body) {
    this.view = view;
    this.body = body;
    this.key = null;
    this.titleInputs = new Map();
    this.columns = [];
  }

  build() {
    const { view } = this;
    this.rows = items(view.instrument, "vragen");
    const name = el("input", {
      type: "text", id: "new-column-title", maxlength: String(maxLength("column.add", "title")), placeholder: t("activityPlaceholder"),
      "aria-label": t("activityName"),
    });
    const form = el("form", { class: "matrix-add", id: "add-column-form" },
      name, el("button", { type: "submit", class: "primary", id: "add-column", text: t("addColumn") }));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const title = name.value.trim() || t("activityN", { n: this.columns.length + 1 });
      view.op({ kind: "column.add", column: view.store.ids.column(), title: title.slice(0, maxLength("column.add", "title")) });
      name.value = "";
    });
    this.empty = el("p", { class: "notice matrix-empty", text: t("matrixNoColumns") });
    this.wrap = el("div", {
      class: "matrix-wrap", role: "region", tabindex: "0", "aria-label": t("matrixRegion"),
    });
    this.body.append(...[view.readOnly ? null : form, this.empty, this.wrap].filter(Boolean));
  }

  keyOf(extra) {
    return extra.columns.map((c) => c.id).join("|");
  }

  willRebuild(extra) {
    return this.keyOf(extra) !== this.key;
  }

  update(extra) {
    this.columns = extra.columns;
    const key = this.keyOf(extra);
    if (key !== this.key) {
      this.key = key;
      this.rebuild(extra.columns);
    }
    this.empty.hidden = extra.columns.length > 0;
    extra.columns.forEach((c, i) => {
      const input = this.titleInputs.get(c.id);
      if (input) setIfIdle(input, c.title);
      const title = c.title || t("activityN", { n: i + 1 });
      this.rows.forEach((r, ri) => {
        this.view.zoneTitles.set(`${r.id}@${c.id}`, `${ri + 1}. ${localized(r)} · ${title}`);
      });
    });
  }

  rebuild(columns) {
    const { view } = this;
    view.lists.clear();
    view.zoneTitles.clear();
    this.titleInputs.clear();
    const n = columns.length;
    const head = el("tr", {},
      el("th", { class: "matrix-corner", scope: "col", text: t("matrixQuestion") }),
      el("th", { class: "matrix-rowcol", scope: "col", text: t("matrixRowNotes") }),
      columns.map((c, i) => {
        const input = commitInput({
          class: "col-title", maxlength: String(maxLength("column.rename", "title")), "aria-label": t("columnName", { n: i + 1 }),
          placeholder: t("activityN", { n: i + 1 }), readonly: view.readOnly,
        }, c.title, (value) => {
          const cur = this.columns.find((x) => x.id === c.id);
          if (cur && value !== cur.title) view.op({ kind: "column.rename", column: c.id, title: value.slice(0, maxLength("column.rename", "title")) });
        });
        this.titleInputs.set(c.id, input);
        const move = (to) => view.op({ kind: "column.move", column: c.id, index: to });
        return el("th", { class: "matrix-col", scope: "col", dataset: { column: c.id } },
          input,
          view.readOnly ? null : el("div", { class: "col-tools" },
            el("button", {
              type: "button", class: "col-left", text: "←", disabled: i === 0,
              "aria-label": t("moveLeft"), title: t("moveLeft"),
              onclick: () => move(this.columns.findIndex((x) => x.id === c.id) - 1),
            }),
            el("button", {
              type: "button", class: "col-right", text: "→", disabled: i === n - 1,
              "aria-label": t("moveRight"), title: t("moveRight"),
              onclick: () => move(this.columns.findIndex((x) => x.id === c.id) + 1),
            }),
            el("button", {
              type: "button", class: "col-remove", text: "✕",
              "aria-label": t("removeColumn"), title: t("removeColumn"),
              onclick: () => this.remove(c.id),
            })));
      }));
    const body = el("tbody", {}, this.rows.map((r, ri) => el("tr", { dataset: { row: r.id } },
      el("th", { class: "matrix-q", scope: "row" }, questionHead(r, ri)),
      el("td", { class: "matrix-cell matrix-rownotes" }, view.zoneBox(r.id, {
        title: localized(r), label: `${ri + 1}. ${localized(r)}`, hideTitle: true, compact: true, className: "cell",
      })),
      columns.map((c, ci) => el("td", { class: "matrix-cell", dataset: { column: c.id } },
        view.zoneBox(`${r.id}@${c.id}`, {
          title: localized(r), hideTitle: true, compact: true, className: "cell",
          label: `${ri + 1}. ${localized(r)} · ${c.title || t("activityN", { n: ci + 1 })}`,
        }))))));
    clear(this.wrap).appendChild(el("table", { class: "matrix" }, el("thead", {}, head), body));
  }

  /** Remove an activity after asking: the notes in its cells go back to their question. */
  async remove(columnId) {
    const { view } = this;
    const i = this.columns.findIndex((c) => c.id === columnId);
    if (i < 0) return;
    const name = this.columns[i].title || t("activityN", { n: i + 1 });
    let notes = 0;
    for (const n of view.store.mirror(view.board.id).view().values()) {
      if (n.zone.endsWith(`@${columnId}`)) notes += 1;
    }
    const { ok } = await askConfirm({
      title: t("removeColumnTitle", { name }), message: t("removeColumnText", { n: notes }),
      confirm: t("removeColumn"), id: "remove-column",
    });
    if (ok && this.columns.some((c) => c.id === columnId)) view.op({ kind: "column.remove", column: columnId });
  }
}
