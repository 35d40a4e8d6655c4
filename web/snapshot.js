// A frozen snapshot of a session, read-only at its own address `/s/<session>/<name>#t=<token>`
// (R24): every corner board as it was, per station with its clusters, clearly marked as a
// snapshot. Read over HTTP once; no websocket, nothing to edit.

import { formatTime } from "./archive.js";
import { effectiveCluster, liveClusters } from "./clusters.js";
import { clear, el, iso } from "./html.js";
import { request } from "./http.js";
import { t } from "./i18n.js";
import "./i18n-staff.js";
import { colourMark } from "./ui.js";

/** Dots per "board/note" of the newest vote in a stored control state (it keeps the casts). */
function lastVoteTotals(control) {
  const votes = Object.values(control?.votes || {});
  const v = votes[votes.length - 1];
  if (!v) return null;
  if (v.totals) return v.totals;
  const totals = {};
  for (const casts of Object.values(v.casts || {})) {
    for (const [k, n] of Object.entries(casts)) totals[k] = (totals[k] || 0) + n;
  }
  return totals;
}

export class SnapshotView {
  /**
   * @param {object} o
   * @param {HTMLElement} o.root
   * @param {string} o.sid
   * @param {string} o.name
   * @param {string} o.token
   * @param {Map<string, object>} o.instruments
   */
  constructor({ root, sid, name, token, instruments }) {
    this.root = root;
    this.sid = sid;
    this.name = name;
    this.token = token;
    this.instruments = instruments || new Map();
    clear(root).append(el("p", { class: "loading", text: t("connecting") }));
    this.load();
  }

  async load() {
    let doc;
    try {
      doc = await request("GET", `/api/sessions/${encodeURIComponent(this.sid)}/snapshots/${encodeURIComponent(this.name)}`, { token: this.token });
    } catch (err) {
      clear(this.root).append(el("div", { class: "panel", id: "snapshot-error" },
        el("p", { class: "error", role: "alert", text: err.status === 404 ? t("snapshotMissing", { name: this.name }) : t("archiveError", { message: err.message }) }),
        el("a", { class: "ctl", href: `/#t=${this.token}`, text: t("snapshotBack") })));
      return;
    }
    this.render(doc);
  }

  zoneTitle(session, board, zone) {
    const station = (session.stations || []).find((s) => s.id === zone);
    if (station) return station.title;
    for (const section of this.instruments.get(board.instrument)?.sections || []) {
      const item = (section.items || []).find((i) => i.id === zone);
      if (item) return item.title;
    }
    return zone;
  }

  render(doc) {
    const session = doc.session || {};
    const states = new Map((doc.boards || []).map((b) => [b.id, b.state || {}]));
    const control = states.get(`${session.id}.control`)?.control || null;
    const totals = lastVoteTotals(control);
    const snap = doc.snapshot || {};
    const boards = [...(session.boards || [])].sort((a, b) => a.corner - b.corner);
    const noteItem = (board, n) => {
      const dots = totals?.[`${board.id}/${n.id}`] || 0;
      return el("li", { class: `snap-note color-${n.color || "yellow"}${n.hidden ? " is-hidden" : ""}`, dataset: { noteId: n.id } },
        colourMark(n.color || "yellow"),
        el("span", { class: "snap-note-text", dir: "auto", text: n.text }),
        el("span", {
          class: "snap-note-meta",
          text: [n.author_name && iso(n.author_name), n.group && iso(n.group), n.round ? t("roundShort", { n: n.round }) : "",
            n.hidden ? t("hiddenFlag") : "", dots ? t("dotsTotal", { n: dots }) : ""].filter(Boolean).join(" · "),
        }));
    };
    const order = (a, b) => (a.y - b.y) || (a.created_seq - b.created_seq);
    const sections = boards.map((board) => {
      const notes = [...(states.get(board.id)?.notes || [])];
      const zones = board.zones || [];
      const stationsLayout = (board.layout || "stations") === "stations";
      return el("section", { class: `snap-board corner-${board.corner}`, dataset: { board: board.id, corner: board.instrument } },
        el("h2", {
          class: "snap-board-title",
          text: stationsLayout ? `${t("corner", { n: board.corner })}: ${this.instruments.get(board.instrument)?.title || board.title}`
            : (this.instruments.get(board.instrument)?.title || board.title),
        }),
        el("div", { class: "snap-zones" }, zones.map((zone) => {
          const here = notes.filter((n) => n.zone === zone).sort(order);
          const clusters = stationsLayout ? liveClusters(control, zone) : [];
          const inCluster = new Map(clusters.map((c) => [c.id, []]));
          const loose = [];
          for (const n of here) {
            const cid = stationsLayout ? effectiveCluster(control, n) : null;
            if (cid && inCluster.has(cid)) inCluster.get(cid).push(n); else loose.push(n);
          }
          return el("section", { class: "snap-zone", dataset: { zone } },
            el("h3", { text: this.zoneTitle(session, board, zone) }),
            clusters.filter((c) => inCluster.get(c.id).length).map((c) => el("div", { class: "snap-cluster", dataset: { cluster: c.id } },
              el("h4", { text: t("clusterWithCount", { title: c.title || t("clusterUntitled"), n: inCluster.get(c.id).length }) }),
              el("ul", { class: "snap-notes" }, inCluster.get(c.id).map((n) => noteItem(board, n))))),
            loose.length ? el("ul", { class: "snap-notes" }, loose.map((n) => noteItem(board, n)))
              : (here.length ? null : el("p", { class: "ov-empty", text: t("emptyStation") })));
        })));
    });
    clear(this.root).append(el("div", { class: "snapshot-view", id: "snapshot-view", dataset: { name: snap.name || this.name } },
      el("div", { class: "snapshot-banner", id: "snapshot-banner", role: "status" },
        el("strong", { text: t("snapshotBanner", { name: snap.name || this.name }) }),
        el("span", { text: t("snapshotTakenAt", { time: formatTime(snap.taken) }) }),
        el("span", { class: "snapshot-readonly", text: t("snapshotReadOnly") }),
        el("a", { class: "ctl", id: "snapshot-back", href: `/#t=${this.token}`, text: t("snapshotBack") })),
      el("h1", { class: "view-title", dir: "auto", text: session.title || "" }),
      el("div", { class: "snap-boards" }, sections)));
  }
}
