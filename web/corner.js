// The corner board as a layout (LAYOUTS.stations): its three stations (Relevantie,
// Toepasbaarheid, Tips) as columns of notes. Within a station the notes are grouped by the
// session's clusters (R26): a facilitator makes, renames, merges and removes clusters, drags a
// note onto one (or picks one in the note's menu); everyone else sees the groups read-only.
// When a vote's results show, clusters go by their dots. Above the stations, the corner's
// instrument itself (cornerfigure.js): its material and its figure, whose parts a note can
// point at (R49). A corner's screen draws the figure beside the notes itself (projector.js).

import { ClusterBox, effectiveCluster, liveClusters, newClusterControl, orderClusters } from "./clusters.js";
import { CornerFigure } from "./cornerfigure.js";
import { el } from "./html.js";
import { t } from "./i18n.js";
import { maySend } from "./rules.js";
import { totalOf } from "./votes.js";

export class CornerBoard {
  constructor(view, body) {
    this.view = view;
    this.body = body;
    this.wraps = new Map(); // zone id -> container of its clusters
    this.boxes = new Map(); // cluster id -> ClusterBox
    this.looseHeads = new Map(); // zone id -> "not in a cluster" heading
    this.live = new Set(); // cluster ids shown by the last update
    this.figure = null;
  }

  build() {
    const { view } = this;
    if (view.layout === "stations" && !view.root.closest(".projector")) {
      this.figure = new CornerFigure(view);
      if (this.figure.el) this.body.appendChild(this.figure.el);
    }
    const columns = el("div", { class: "stations" });
    for (const s of view.stations) {
      let before = [];
      if (view.clusterable) {
        const wrap = el("div", { class: "clusters", dataset: { station: s.id } });
        const loose = el("p", { class: "loose-head", text: t("looseNotes"), hidden: true });
        this.wraps.set(s.id, wrap);
        this.looseHeads.set(s.id, loose);
        before = [wrap, loose];
      }
      columns.appendChild(view.zoneBox(s.id, {
        title: s.title, prompt: s.prompt, className: `station station-${s.id}`,
        dataset: { station: s.id }, heading: "h2", before,
        extraHead: view.clusterable && maySend(view.me?.role, "cluster.add")
          ? newClusterControl({ store: view.store, controlId: view.controlId, station: s.id, stationTitle: s.title })
          : null,
      }));
    }
    this.body.appendChild(columns);
  }

  update(extra, mirror) {
    this.figure?.update(mirror.view());
  }

  destroy() {
    this.figure?.destroy();
  }

  /** Dots of the shown vote on the notes of cluster `cid`. */
  clusterVotes(cid, notes) {
    const { view } = this;
    let sum = 0;
    for (const n of notes.values()) {
      if (effectiveCluster(view.control, n) === cid) sum += totalOf(view.vote, view.board.id, n.id);
    }
    return sum;
  }

  /**
   * Before the notes are placed: each station's live clusters in order, a list (bucket) each.
   * Answers where a note goes: its live cluster's list, or null for its station's own list.
   */
  listsFor(notes, buckets) {
    const { view } = this;
    if (!view.clusterable) return null;
    const control = view.control;
    this.live = new Set();
    for (const [zone, wrap] of this.wraps) {
      const live = liveClusters(control, zone);
      const votesOf = view.results ? (cid) => this.clusterVotes(cid, notes) : null;
      const ordered = orderClusters(live, votesOf);
      let i = 0;
      for (const c of ordered) {
        let box = this.boxes.get(c.id);
        if (!box) {
          box = new ClusterBox({
            store: view.store, controlId: view.controlId, cluster: c, editable: maySend(view.me?.role, "cluster.rename"),
          });
          this.boxes.set(c.id, box);
        }
        this.live.add(c.id);
        buckets.set(box.list, []);
        if (wrap.children[i] !== box.el) wrap.insertBefore(box.el, wrap.children[i] || null);
        i += 1;
      }
      this.looseHeads.get(zone).hidden = ordered.length === 0;
    }
    return (n) => {
      const cid = effectiveCluster(control, n);
      const box = cid ? this.boxes.get(cid) : null;
      return box && this.live.has(cid) ? box.list : null;
    };
  }

  /** After the notes are placed: cluster headers (title, count, votes, merge targets); gone ones go. */
  placed(buckets, notes) {
    const { view } = this;
    const control = view.control;
    for (const [cid, box] of this.boxes) {
      if (!this.live.has(cid)) {
        if (view.drags.active?.list === box.list) view.drags.cancel();
        box.el.remove();
        this.boxes.delete(cid);
        continue;
      }
      const c = control.clusters[cid];
      box.update({
        title: c.title || "", count: buckets.get(box.list)?.length || 0,
        votes: view.results ? this.clusterVotes(cid, notes) : null,
        targets: liveClusters(control, c.station).filter((x) => x.id !== cid),
      });
    }
  }

  /**
   * Where a dragged note lands in station `zone` (its section `box`) under the element `under`:
   * a facilitator drops onto a cluster to put the note in it, elsewhere to take it out; others
   * move notes, never between clusters (within its station a note stays in its own).
   */
  dropInto(under, box, zone, n) {
    const { view } = this;
    if (!view.clusterable) return null;
    if (view.facilitator) {
      const cbox = under.closest(".cluster[data-cluster]");
      const target = cbox && box.contains(cbox) ? this.boxes.get(cbox.dataset.cluster) : null;
      return target ? { cluster: target.id, list: target.list, over: target.el } : null;
    }
    const own = effectiveCluster(view.control, n);
    const ownBox = own ? this.boxes.get(own) : null;
    if (own && zone === n.zone && ownBox) return { cluster: own, list: ownBox.list, over: ownBox.el };
    return null;
  }
}
