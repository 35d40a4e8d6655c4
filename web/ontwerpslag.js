// The tweede ontwerpslag (R51), for organisers at /ontwerpslag: per instrument every cluster and
// every note outside a cluster of that instrument's corners, over all four-corner sessions,
// filtered by station, session, part, round, group and decision; each gets a decision
// (overnemen, aanpassen, niet overnemen, nader onderzoeken) with a short rationale, shared live
// with the other organisers on the same board (decisions.js); the progress ("143 van 212
// besproken") and the verantwoording to download (HTML, XLSX).
//
// Everything people wrote reaches the page as text only (R30), bidi-isolated where it sits in
// other text (R37).

import { DecisionBoard } from "./decisions.js";
import { bdi, clear, el } from "./html.js";
import { problemText, request } from "./http.js";
import { t } from "./i18n.js";
import "./i18n-staff.js";
import { choices } from "./rules.js";
import { setIfIdle } from "./ui.js";

const CHOICES = choices("decision.set", "decision");
const PAGE = 60; // cards drawn at once; "more" draws the next ones
const FILTERS = ["station", "session", "part", "round", "group", "status"];

const enc = encodeURIComponent;

export class OntwerpslagPage {
  constructor({ root, alive }) {
    this.root = root;
    this.alive = alive;
    this.filters = Object.fromEntries(FILTERS.map((f) => [f, ""]));
    this.cards = new Map(); // target -> {node, update}
    this.pieces = [];
    this.shown = [];
    document.title = `${t("osTitle")} · ${t("appTitle")}`;
    clear(root).append(el("p", { class: "loading", text: t("connecting") }));
    this.watch = setInterval(() => { if (!this.alive()) this.close(); }, 2000);
    this.start();
  }

  close() {
    clearInterval(this.watch);
    this.board?.close();
  }

  async start() {
    let ws;
    try {
      ws = await request("GET", "/api/ontwerpslag");
    } catch (err) {
      if (!this.alive()) return;
      clear(this.root).append(el("section", { class: "panel", id: "ontwerpslag-refused" },
        el("h1", { text: t("osTitle") }),
        el("p", { class: "error", role: "alert", text: err.status === 401 ? t("osSignIn") : problemText(err) }),
        el("a", { class: "ctl", href: "/", text: t("toHome") })));
      return;
    }
    if (!this.alive()) return;
    this.instruments = ws.instruments;
    const asked = new URLSearchParams(location.search).get("instrument");
    this.instrument = ws.instruments.find((i) => i.id === asked) || ws.instruments[0];
    this.board = new DecisionBoard({
      token: ws.token, name: ws.organiser?.name || "",
      onChange: (targets, actor) => this.changed(targets, actor),
      onConn: (state) => { this.conn.dataset.state = state; this.conn.textContent = t(`osConn.${state}`); },
      onRefused: (msg) => this.say(t("osRefused", { message: problemText({ code: msg.code, status: 400 }) })),
    });
    this.build();
    this.open(this.instrument);
  }

  build() {
    this.conn = el("span", { class: "conn", id: "ontwerpslag-conn", dataset: { state: "connecting" }, text: t("osConn.connecting") });
    this.tabs = el("div", { class: "os-tabs", role: "group", "aria-label": t("osInstrument") },
      this.instruments.map((i) => el("button", {
        type: "button", class: "ctl os-tab", dataset: { instrument: i.id }, text: i.title, onclick: () => this.open(i),
      })));
    this.progressBar = el("progress", { id: "os-progress-bar", max: "1", value: "0", "aria-labelledby": "os-progress" });
    this.progressText = el("strong", { id: "os-progress" });
    this.downloads = el("div", { class: "ctl-row os-downloads" });
    this.selects = Object.fromEntries(FILTERS.map((f) => {
      const select = el("select", { id: `os-filter-${f}`, class: "os-filter", dataset: { filter: f } });
      select.addEventListener("change", () => { this.filters[f] = select.value; this.draw(); });
      return [f, el("label", { class: "field", for: `os-filter-${f}` }, el("span", { text: t(`osFilter.${f}`) }), select)];
    }));
    this.count = el("p", { class: "os-count", id: "os-count", role: "status" });
    this.list = el("div", { class: "os-list", id: "os-list" });
    this.more = el("button", { type: "button", class: "ctl", id: "os-more", text: t("osMore"), onclick: () => this.drawMore() });
    this.live = el("p", { class: "os-live", id: "os-live", role: "status", "aria-live": "polite" });
    this.undoButton = el("button", { type: "button", class: "ctl", id: "os-undo", text: t("osUndo"), onclick: () => this.board.undo() });
    clear(this.root).append(el("div", { class: "ontwerpslag", id: "ontwerpslag" },
      el("header", { class: "os-head" },
        el("div", { class: "os-title-row" }, el("h1", { text: t("osTitle") }), this.conn),
        this.tabs,
        el("div", { class: "os-progress-row" }, this.progressText, this.progressBar, this.undoButton,
          el("button", { type: "button", class: "ctl", id: "os-reload", text: t("osReload"), onclick: () => this.open(this.instrument) })),
        this.downloads,
        el("div", { class: "os-filters", id: "os-filters" }, FILTERS.map((f) => this.selects[f])),
        this.live),
      this.count, this.list, this.more));
  }

  async open(inst) {
    this.instrument = inst;
    this.pieces = [];
    this.cards.clear();
    const url = new URL(location.href);
    url.searchParams.set("instrument", inst.id);
    history.replaceState(null, "", url.pathname + url.search);
    for (const b of this.tabs.children) b.setAttribute("aria-pressed", String(b.dataset.instrument === inst.id));
    this.downloads.replaceChildren(
      el("span", { class: "link-label", text: t("osAccount") }),
      ...["html", "xlsx"].map((fmt) => el("a", {
        class: "ctl os-download", dataset: { format: fmt }, download: "", text: fmt.toUpperCase(),
        href: `/api/ontwerpslag/${enc(inst.id)}/verantwoording.${fmt}`, "aria-label": t("osAccountAs", { format: fmt.toUpperCase() }),
      })));
    this.board.follow(inst.board);
    clear(this.list).append(el("p", { class: "loading", text: t("connecting") }));
    let found;
    try {
      found = await request("GET", `/api/ontwerpslag/${enc(inst.id)}/feedback`);
    } catch (err) {
      if (this.alive() && this.instrument === inst) clear(this.list).append(el("p", { class: "error", role: "alert", text: problemText(err) }));
      return;
    }
    if (!this.alive() || this.instrument !== inst) return;
    this.found = found;
    this.pieces = pieces(found);
    this.fillFilters(found);
    this.draw();
  }

  fillFilters(found) {
    const notes = found.notes;
    const uniq = (pairs) => [...new Map(pairs).entries()];
    const options = {
      station: uniq(notes.map((n) => [n.station, n.station_title])),
      session: uniq(notes.map((n) => [n.session, n.session_title])),
      part: [...found.parts.map((p) => [p.id, p.title]), ["-", t("osNoPart")]],
      round: [...new Set(notes.map((n) => n.round))].sort((a, b) => a - b).map((r) => [String(r), r ? t("osRound", { n: r }) : t("osNoRound")]),
      group: [...new Set(notes.map((n) => n.group))].sort().map((g) => [g || "-", g || t("osNoGroup")]),
      status: [["open", t("osOpen")], ["done", t("osDone")], ...CHOICES.map((c) => [c, t(`osChoice.${c}`)])],
    };
    for (const f of FILTERS) {
      const select = this.selects[f].querySelector("select");
      if (!options[f].some(([v]) => v === this.filters[f])) this.filters[f] = "";
      select.replaceChildren(el("option", { value: "", text: t("osAll") }),
        ...options[f].map(([value, label]) => el("option", { value, text: label, selected: value === this.filters[f] })));
    }
  }

  matches(p) {
    const f = this.filters;
    if (f.station && p.station !== f.station) return false;
    if (f.session && p.session !== f.session) return false;
    if ((f.part || f.round || f.group) && !p.notes.some((n) => (!f.part || (f.part === "-" ? !n.part : n.part === f.part))
      && (!f.round || String(n.round) === f.round) && (!f.group || (f.group === "-" ? !n.group : n.group === f.group)))) return false;
    if (!f.status) return true;
    const d = this.board.get(p.target);
    return f.status === "open" ? !d : f.status === "done" ? !!d : d?.decision === f.status;
  }

  /** Draw the cards that pass the filters (the first PAGE of them). */
  draw() {
    this.shown = this.pieces.filter((p) => this.matches(p));
    this.cards.clear();
    clear(this.list);
    if (!this.shown.length) this.list.append(el("p", { class: "ov-empty", id: "os-none", text: t("osNone") }));
    this.drawMore();
    this.progress();
  }

  drawMore() {
    const from = this.cards.size;
    const next = this.shown.slice(from, from + PAGE).map((p) => this.card(p));
    this.list.append(...next);
    this.more.hidden = this.cards.size >= this.shown.length;
    this.count.textContent = t("osCount", { n: this.cards.size, of: this.shown.length });
  }

  card(p) {
    const id = `os-piece-${this.cards.size}`;
    const why = el("input", {
      type: "text", class: "os-why", id: `${id}-why`, maxlength: "500", dir: "auto", placeholder: t("osWhyPlaceholder"),
    });
    const buttons = CHOICES.map((c) => el("button", {
      type: "button", class: "ctl os-decide", dataset: { decision: c }, text: t(`osChoice.${c}`),
      onclick: () => this.board.set(p.target, this.board.get(p.target)?.decision === c ? null : c, why.value.trim()),
    }));
    // A rationale changed afterwards goes with the decision it explains.
    why.addEventListener("change", () => {
      const d = this.board.get(p.target);
      if (d && d.rationale !== why.value.trim()) this.board.set(p.target, d.decision, why.value.trim());
    });
    const status = el("p", { class: "os-status" });
    const node = el("article", { class: "os-piece", dataset: { target: p.target, kind: p.kind }, "aria-labelledby": id },
      el("p", { class: "os-meta" }, el("span", { class: "os-kind", text: t(p.kind === "cluster" ? "osCluster" : "osNote") }),
        ` · ${[p.session_title, p.station_title, p.votes ? t(p.votes === 1 ? "osVote" : "osVotes", { n: p.votes }) : ""].filter(Boolean).join(" · ")}`),
      el("h3", { class: "os-piece-title", id, dir: "auto", text: p.title }),
      p.kind === "cluster" ? el("ul", { class: "os-notes" }, p.notes.map((n) => el("li", { dir: "auto" },
        el("span", { text: n.text }), el("span", { class: "os-note-meta", text: noteMeta(n) })))) : el("p", { class: "os-note-meta", text: noteMeta(p.notes[0]) }),
      el("div", { class: "os-decision", role: "group", "aria-label": t("osDecision") }, buttons),
      el("label", { class: "sr-only", for: why.id, text: t("osWhy") }), why, status);
    const update = () => {
      const d = this.board.get(p.target);
      node.dataset.decision = d?.decision || "";
      for (const b of buttons) b.setAttribute("aria-pressed", String(d?.decision === b.dataset.decision));
      if (d) setIfIdle(why, d.rationale || "");
      status.replaceChildren(...(d ? [t(d.pending ? "osDecidedPending" : "osDecidedBy", {
        decision: t(`osChoice.${d.decision}`), name: bdi(d.by_name || "?"), time: d.ts ? new Date(d.ts * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "",
      })] : [t("osOpen")]));
    };
    update();
    this.cards.set(p.target, { node, update });
    return node;
  }

  changed(targets, actor) {
    if (!this.cards) return;
    for (const target of targets || this.cards.keys()) this.cards.get(target)?.update();
    this.progress();
    const one = targets?.length === 1 ? this.pieces.find((p) => p.target === targets[0]) : null;
    if (actor && one) {
      const d = this.board.get(one.target);
      this.say(t(d ? "osLiveSet" : "osLiveCleared", {
        name: bdi(actor.name || "?"), decision: d ? t(`osChoice.${d.decision}`) : "", title: bdi(one.title),
      }));
      const card = this.cards.get(one.target)?.node;
      card?.classList.remove("os-just");
      void card?.offsetWidth; // start the highlight again
      card?.classList.add("os-just");
    }
  }

  progress() {
    if (!this.progressText) return;
    const decided = this.board.decided();
    const done = this.pieces.filter((p) => decided.has(p.target)).length;
    this.progressText.textContent = t("osProgress", { done, total: this.pieces.length });
    this.progressBar.max = Math.max(1, this.pieces.length);
    this.progressBar.value = done;
  }

  say(message) {
    this.live?.replaceChildren(message);
  }
}

/** A cluster and each note outside one is one piece of feedback (as the server counts). */
function pieces(found) {
  const notes = new Map(found.notes.map((n) => [n.target, n]));
  const out = [
    ...found.clusters.map((c) => ({
      target: c.target, kind: "cluster", title: c.title, session: c.session, session_title: c.session_title,
      station: c.station, station_title: c.station_title, votes: c.votes, notes: c.notes.map((id) => notes.get(id)).filter(Boolean),
    })),
    ...found.notes.filter((n) => !n.cluster).map((n) => ({
      target: n.target, kind: "note", title: n.text, session: n.session, session_title: n.session_title,
      station: n.station, station_title: n.station_title, votes: n.votes, notes: [n],
    })),
  ];
  return out.sort((a, b) => b.votes - a.votes || (a.kind === b.kind ? 0 : a.kind === "cluster" ? -1 : 1));
}

function noteMeta(n) {
  return [n.group, n.round ? t("osRound", { n: n.round }) : "", n.part_title].filter(Boolean).join(" · ");
}
