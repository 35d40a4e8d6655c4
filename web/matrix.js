// De matrix as a working board (R17): the seven questions as rows, activities as columns
// (column.add, column.rename, column.move); a note lives on a question (its row) or in a cell
// `<row>@<column>`. The table is built again when the columns change, kept otherwise.

import { clear, el } from "./html.js";
import { t } from "./i18n.js";
import { maxLength } from "./rules.js";
import { items } from "./template.js";
import { commitInput, setIfIdle } from "./ui.js";

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
        this.view.zoneTitles.set(`${r.id}@${c.id}`, `${ri + 1}. ${r.title} · ${title}`);
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
            })));
      }));
    const body = el("tbody", {}, this.rows.map((r, ri) => el("tr", { dataset: { row: r.id } },
      el("th", { class: "matrix-q", scope: "row" },
        el("span", { class: "q-num", text: `${ri + 1}` }),
        el("span", { class: "q-title", text: r.title }),
        r.prompt ? el("span", { class: "q-prompt", text: r.prompt }) : null),
      el("td", { class: "matrix-cell matrix-rownotes" }, view.zoneBox(r.id, {
        title: r.title, label: `${ri + 1}. ${r.title}`, hideTitle: true, compact: true, className: "cell",
      })),
      columns.map((c, ci) => el("td", { class: "matrix-cell", dataset: { column: c.id } },
        view.zoneBox(`${r.id}@${c.id}`, {
          title: r.title, hideTitle: true, compact: true, className: "cell",
          label: `${ri + 1}. ${r.title} · ${c.title || t("activityN", { n: ci + 1 })}`,
        }))))));
    clear(this.wrap).appendChild(el("table", { class: "matrix" }, el("thead", {}, head), body));
  }
}
