// Clusters of a session (R26): read from the control board's public state, edited with ops on
// the control board (cluster.add/rename/merge/remove) and on a note's own board (note.cluster).
// A cluster is live when it is not removed and not merged into another; a note's cluster is its
// `cluster` field with merges followed, and only counts when the cluster is of the note's station.
// A cluster made at one corner says so (R60): on a corner's board a cluster shows when it holds
// notes of that board or was made there; the station view shows every one.

import { el } from "./html.js";
import { t } from "./i18n.js";
import { maxLength } from "./rules.js";

/** The cluster a cluster id really stands for: merges followed; removed or unknown -> null. */
export function resolveCluster(control, cid) {
  const clusters = control?.clusters || {};
  const seen = new Set();
  let id = cid;
  while (id != null && !seen.has(id)) {
    seen.add(id);
    const c = clusters[id];
    if (!c || c.removed) return null;
    if (c.into == null) return id;
    id = c.into;
  }
  return null;
}

/** The live cluster a note is in, or null. */
export function effectiveCluster(control, note) {
  if (!note?.cluster) return null;
  const id = resolveCluster(control, note.cluster);
  if (!id) return null;
  return control.clusters[id].station === note.zone ? id : null;
}

/** Live clusters (of one station, or all), in the order they were made. */
export function liveClusters(control, station = null) {
  const out = [];
  for (const [id, c] of Object.entries(control?.clusters || {})) {
    if (c.removed || c.into != null) continue;
    if (station && c.station !== station) continue;
    out.push({ id, title: c.title || "", station: c.station, corner: c.corner || null });
  }
  return out;
}

/** The corner (instrument id) of the corner board `node` is on; null elsewhere (station view). */
function cornerHere(node) {
  return node.closest(".board[data-instrument]")?.dataset.instrument || null;
}

export function clusterTitle(c) {
  return c?.title || t("clusterUntitled");
}

/**
 * One cluster as a labelled group of notes: title, note count, vote total, and (for a
 * facilitator) rename, merge into another cluster of the station, remove. Its `.list` holds
 * the note cards; the section is a drop target (`data-cluster`).
 */
export class ClusterBox {
  constructor({ store, controlId, cluster, editable }) {
    this.store = store;
    this.controlId = controlId;
    this.id = cluster.id;
    this.corner = cluster.corner || null;
    this.editable = editable;
    this.title = null;
    this.targetsKey = "";
    this.titleEl = el("h3", { class: "cluster-title", dir: "auto" });
    this.countEl = el("span", { class: "cluster-count" });
    this.votesEl = el("span", { class: "cluster-votes", hidden: true });
    this.list = el("div", { class: "note-list cluster-notes" });
    this.hint = el("p", { class: "cluster-hint", text: editable ? t("clusterDropHint") : t("clusterEmpty") });
    const head = el("header", { class: "cluster-head" }, this.titleEl,
      el("span", { class: "cluster-stats" }, this.countEl, this.votesEl));
    if (editable) {
      this.renameBtn = el("button", {
        type: "button", class: "ctl small cluster-rename", text: t("clusterRename"),
        onclick: () => this.startRename(),
      });
      this.mergeSel = el("select", { class: "cluster-merge", "aria-label": t("clusterMergeLabel") });
      this.mergeSel.addEventListener("change", () => {
        const into = this.mergeSel.value;
        this.mergeSel.value = "";
        if (into) store.clusterOp(controlId, { kind: "cluster.merge", cluster: this.id, into });
      });
      this.removeBtn = el("button", {
        type: "button", class: "ctl small warn cluster-remove", text: t("clusterRemove"),
        onclick: () => store.clusterOp(controlId, { kind: "cluster.remove", cluster: this.id }),
      });
      head.append(el("div", { class: "cluster-actions" }, this.renameBtn, this.mergeSel, this.removeBtn));
    }
    this.el = el("section", {
      class: "cluster", dataset: { cluster: cluster.id, station: cluster.station },
    }, head, this.list, this.hint);
  }

  /**
   * @param {object} o
   * @param {string} o.title
   * @param {number} o.count
   * @param {number|null} o.votes   null: no results to show
   * @param {Array<{id:string,title:string}>} o.targets  other live clusters of the station
   */
  update({ title, count, votes, targets }) {
    const shown = title || t("clusterUntitled");
    if (!this.renaming && this.titleEl.textContent !== shown) this.titleEl.textContent = shown;
    this.title = title;
    this.el.setAttribute("aria-label", t("clusterAria", { title: shown, n: count }));
    const countText = t(count === 1 ? "clusterCountOne" : "clusterCount", { n: count });
    if (this.countEl.textContent !== countText) this.countEl.textContent = countText;
    this.votesEl.hidden = votes === null;
    if (votes !== null) this.votesEl.textContent = t("dotsTotal", { n: votes });
    this.el.dataset.votes = votes === null ? "" : String(votes);
    this.hint.hidden = count > 0;
    // R60: an empty cluster of another corner (or of all four) is not this corner board's.
    const here = cornerHere(this.el);
    this.el.hidden = here !== null && count === 0 && this.corner !== here;
    if (this.editable) {
      const key = JSON.stringify(targets);
      if (key !== this.targetsKey && document.activeElement !== this.mergeSel) {
        this.targetsKey = key;
        this.mergeSel.replaceChildren(
          el("option", { value: "", text: t("clusterMerge") }),
          ...targets.map((c) => el("option", { value: c.id, text: clusterTitle(c) })));
      }
      this.mergeSel.disabled = targets.length === 0;
    }
  }

  startRename() {
    if (this.renaming) return;
    this.renaming = true;
    const input = el("input", {
      type: "text", class: "cluster-title-input", maxlength: String(maxLength("cluster.add", "title")), "aria-label": t("clusterName"),
    });
    input.value = this.title || "";
    let done = false;
    const finish = (save) => {
      if (done) return;
      done = true;
      this.renaming = false;
      const value = input.value.trim().slice(0, maxLength("cluster.rename", "title"));
      input.replaceWith(this.titleEl);
      if (save && value !== (this.title || "")) {
        this.titleEl.textContent = value || t("clusterUntitled");
        this.store.clusterOp(this.controlId, { kind: "cluster.rename", cluster: this.id, title: value });
      }
    };
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); finish(true); }
      else if (e.key === "Escape") { e.preventDefault(); finish(false); }
    });
    input.addEventListener("blur", () => finish(true));
    this.titleEl.replaceWith(input);
    input.focus();
    input.select();
  }
}

/** "+ Cluster" for one station: a small inline form that sends cluster.add. */
export function newClusterControl({ store, controlId, station, stationTitle }) {
  const input = el("input", {
    type: "text", class: "cluster-new-input", maxlength: String(maxLength("cluster.add", "title")),
    placeholder: t("clusterNamePlaceholder"), "aria-label": t("clusterNewFor", { station: stationTitle }),
  });
  const form = el("form", { class: "cluster-new-form", hidden: true },
    input,
    el("button", { type: "submit", class: "ctl small primary cluster-new-save", text: t("clusterCreate") }),
    el("button", {
      type: "button", class: "ctl small cluster-new-cancel", text: t("cancel"),
      onclick: () => { form.hidden = true; input.value = ""; },
    }));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const title = input.value.trim().slice(0, maxLength("cluster.add", "title"));
    const corner = cornerHere(form);
    store.clusterOp(controlId, {
      kind: "cluster.add", cluster: store.ids.cluster(), station, title, ...(corner ? { corner } : {}),
    });
    input.value = "";
    form.hidden = true;
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { e.preventDefault(); form.hidden = true; input.value = ""; }
  });
  const open = el("button", {
    type: "button", class: "ctl small cluster-new", dataset: { station },
    "aria-label": t("clusterNewFor", { station: stationTitle }), text: t("clusterNew"),
    onclick: () => { form.hidden = false; input.focus(); },
  });
  return el("div", { class: "cluster-new-wrap", dataset: { station } }, open, form);
}

/** The Undo button of cluster edits (this page's newest edit, on the board it was made on). */
export function undoButton(store) {
  const btn = el("button", {
    type: "button", class: "ctl cluster-undo", id: "cluster-undo", text: t("clusterUndo"),
    title: t("clusterUndoHint"),
    onclick: () => { store.clusterUndo(); sync(); },
  });
  const sync = () => { btn.disabled = store.clusterEdits.length === 0; };
  btn.sync = sync;
  sync();
  return btn;
}

/** Orders a station's clusters: by vote total when results show, else as they were made. */
export function orderClusters(list, votesOf) {
  if (!votesOf) return list;
  return list.map((c, i) => ({ c, i, v: votesOf(c.id) }))
    .sort((a, b) => (b.v - a.v) || (a.i - b.i)).map((x) => x.c);
}
