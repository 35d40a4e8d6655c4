// Entry point and router: home (new session / join), then profile → corner → board; the
// facilitator's overview; a corner's projector screen. Every session page follows the session's
// control board (R20): round timer in the top bar, announcement, rotation and summons.

import { BoardView } from "./board.js";
import { Chime, ServerClock, timerInfo } from "./clock.js";
import { boardOfCorner, controlIdOf, cornerFor, groupsOf } from "./control.js";
import { FacilitatorView } from "./facilitator.js";
import { clear, el } from "./html.js";
import { getLang, setLang, t } from "./i18n.js";
import { BoardCache, forgetSession, loadTemplates, OpJournal, registerServiceWorker, saveTemplates } from "./offline.js";
import { ProjectorView } from "./projector.js";
import { SnapshotView } from "./snapshot.js";
import { Socket } from "./socket.js";
import { BoardStore } from "./state.js";
import { StationView } from "./stations.js";
import { linkRow } from "./ui.js";

const $ = (id) => document.getElementById(id);
const app = $("app");

// --- storage (per session) ---------------------------------------------------------------------

const store = {
  get(key) {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch { return null; }
  },
  set(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); } catch { /* ignore */ }
  },
  remove(key) {
    try { localStorage.removeItem(key); } catch { /* ignore */ }
  },
};

function sessionOfToken(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const data = JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
    return typeof data.s === "string" ? data.s : null;
  } catch {
    return null;
  }
}

function loadSaved(sid) {
  return store.get(`vh.s.${sid}`) || {};
}

function save(sid, patch) {
  const next = { ...loadSaved(sid), ...patch };
  store.set(`vh.s.${sid}`, next);
  return next;
}

// --- HTTP --------------------------------------------------------------------------------------

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
    credentials: "same-origin",
  });
  let data = {};
  try { data = await res.json(); } catch { /* empty */ }
  if (!res.ok) {
    const err = new Error(data.message || `HTTP ${res.status}`);
    err.status = res.status;
    err.data = data;
    throw err;
  }
  return data;
}

let templatesPromise = null;
/** The instrument templates; offline the ones kept from last time (and asked again next time). */
function templates() {
  templatesPromise ??= api("GET", "/api/templates").then((data) => {
    saveTemplates(data);
    return data;
  }, () => {
    templatesPromise = null;
    return loadTemplates() || { instruments: [] };
  });
  return templatesPromise;
}

// --- chrome: top bar, connection state, banner, toast ------------------------------------------

let connState = "offline";
/** The connection state in words, with how many own changes still wait for the server. */
function showConn(state) {
  connState = state;
  const node = $("conn-state");
  const base = { open: t("connOpen"), connecting: t("connConnecting"), offline: t("connOffline") }[state];
  const w = ctx?.boards ? ctx.boards.waiting() : { ops: 0, notes: 0, other: 0 };
  let text = base;
  if (w.ops && state !== "open") {
    const waiting = w.other === 0
      ? t(w.notes === 1 ? "waitingNote" : "waitingNotes", { n: w.notes })
      : t(w.ops === 1 ? "waitingChange" : "waitingChanges", { n: w.ops });
    text = `${base} — ${waiting}`;
  }
  node.dataset.state = state;
  node.dataset.waiting = String(w.ops);
  if (node.textContent !== text) node.textContent = text;
  node.hidden = !ctx;
}

let toastTimer = null;
/** A short message at the bottom (role=status); a second one within a moment goes below it. */
function toast(message) {
  const node = $("toast");
  const lines = node.hidden ? [] : [...node.children].map((c) => c.textContent).slice(-2);
  if (!lines.includes(message)) lines.push(message);
  clear(node).append(...lines.map((line) => el("p", { class: "toast-line", text: line })));
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { node.hidden = true; clear(node); }, 6000);
}

/** The message for `key` when the message files have one, else null. */
function known(key) {
  const text = t(key);
  return typeof text === "string" && text !== key ? text : null;
}

/**
 * Own ops the server stored as no-ops because others changed things meanwhile (R10: the note
 * was deleted, the board got locked): said once, counted, never silently dropped.
 */
let noopBatch = [];
let noopTimer = null;
function onOutcome(c, outcome) {
  if (c !== ctx || outcome.result !== "noop") return;
  noopBatch.push(outcome);
  clearTimeout(noopTimer);
  noopTimer = setTimeout(() => {
    const batch = noopBatch;
    noopBatch = [];
    const reasons = [...new Set(batch.map((o) => o.reason || "noop"))];
    const why = reasons.map((r) => known(`noopReasons.${r}`) || known(`errorCodes.${r}`) || r).join("; ");
    toast(batch.length === 1 ? t("opNoop", { why }) : t("opNoops", { n: batch.length, why }));
  }, 250);
}

function banner(message) {
  const node = $("banner");
  node.textContent = message || "";
  node.hidden = !message;
}

const NOTICE_MS = 60_000;
let noticeTimer = null;
/** The rotation / summons notice under the top bar (role=status), until closed or a minute. */
function showNotice(message) {
  const node = $("rotation-notice");
  clearTimeout(noticeTimer);
  if (!message) { node.hidden = true; clear(node); return; }
  clear(node).append(
    el("span", { class: "notice-text", text: message }),
    el("button", {
      type: "button", class: "notice-close", "aria-label": t("closeNotice"), text: "×",
      onclick: () => showNotice(""),
    }));
  node.hidden = false;
  noticeTimer = setTimeout(() => { node.hidden = true; }, NOTICE_MS);
}

function showAnnouncement(text) {
  const node = $("announcement");
  if (node.textContent !== (text || "")) node.textContent = text || "";
  node.hidden = !text;
}

function renderChrome() {
  document.title = t("appTitle");
  $("brand").textContent = t("appTitle");
  const toggle = $("lang-toggle");
  toggle.textContent = t("langName"); // the other language, named in itself
  toggle.setAttribute("lang", t("langCode"));
  $("toast").setAttribute("aria-label", t("toastLabel"));
  const nav = clear($("topnav"));
  nav.setAttribute("aria-label", t("navLabel"));
  const code = $("session-code");
  document.body.classList.toggle("is-projector", !!ctx?.projector);
  if (ctx?.session) {
    code.hidden = false;
    code.textContent = ctx.session.code;
    const facilitator = ctx.me?.role === "facilitator";
    if (ctx.me && !ctx.projector && (ctx.profiled || facilitator)) {
      if (facilitator && ctx.session.boards.length > 1) {
        nav.append(el("button", {
          type: "button", class: "navbtn", id: "nav-overview", text: t("overview"),
          "aria-current": ctx.view === "overview" ? "page" : null, onclick: () => go("overview"),
        }));
        if ((ctx.session.stations || []).length) {
          nav.append(el("button", {
            type: "button", class: "navbtn", id: "nav-stations", text: t("stationViewOpen"),
            "aria-current": ctx.view === "stations" ? "page" : null, onclick: () => go("stations"),
          }));
        }
      }
      nav.append(
        ctx.session.boards.length > 1
          ? el("button", { type: "button", class: "navbtn", id: "nav-corners", text: t("changeCorner"), onclick: () => go("corners") })
          : "",
        el("button", { type: "button", class: "navbtn", id: "nav-profile", text: t("changeProfile"), onclick: () => go("profile") }),
      );
      if (facilitator && ctx.view !== "overview") {
        nav.append(el("button", {
          type: "button", class: "navbtn", text: t("sessionInfo"),
          onclick: () => { ctx.showInfo = !ctx.showInfo; render(); },
        }));
      }
    }
  } else {
    code.hidden = true;
  }
  showConn(connState);
  tickTimer();
}

// --- the round timer (R22) ---------------------------------------------------------------------

const chime = new Chime();

/** Top-bar timer, the open view's own clock, and the chime at zero. Runs 4x a second. */
function tickTimer() {
  const node = $("round-timer");
  const c = ctx;
  const ctl = c?.session ? c.boards.mirror(c.controlId).control : null;
  const show = !!ctl && (c.session.boards.length > 1 || !!ctl.timer?.running);
  node.hidden = !show;
  if (ctl) c.panel?.tick?.();
  if (!show) return;
  const info = timerInfo(ctl, c.clock.now());
  const round = node.querySelector(".timer-round");
  const time = node.querySelector(".timer-time");
  const roundText = t("roundN", { n: info.round });
  if (round.textContent !== roundText) round.textContent = roundText;
  if (time.textContent !== info.text) time.textContent = info.text;
  node.dataset.state = info.state;
  node.setAttribute("aria-label", `${t("timerAria")}: ${roundText}, ${info.text}`);
  if (info.running) {
    // Once per round end, and only when this page saw the clock run down to zero.
    if (info.remaining <= 0 && info.chime && c.lastRemaining > 0 && c.chimed !== info.key) {
      c.chimed = info.key;
      chime.play();
    }
  }
  c.lastRemaining = info.remaining;
}

setInterval(tickTimer, 250);

$("lang-toggle").addEventListener("click", () => {
  setLang(getLang() === "nl" ? "en" : "nl");
  renderChrome();
  if (!ctx) route(); // home, a snapshot page: draw it again
  else render();
});

// --- session context ---------------------------------------------------------------------------

/** The one open session: token, socket, board store, and which view shows. */
let ctx = null;

/**
 * @param {string} token
 * @param {object} [o]
 * @param {boolean} [o.showInfo]     show the session info panel (facilitator)
 * @param {string|null} [o.projector] instrument id: this page is that corner's screen
 * @param {string|null} [o.corner]   instrument id from a corner join link: land on its board
 */
function openSession(token, { showInfo = false, projector = null, corner = null } = {}) {
  const sid = sessionOfToken(token);
  if (!sid) { home(t("badToken")); return; }
  if (ctx && ctx.token === token) {
    ctx.projector = projector;
    if (corner) ctx.corner = corner;
    if (ctx.session) {
      if (projector) ctx.view = "projector";
      else if (ctx.view === "projector") ctx.view = null;
      if (ctx.view === null || corner) ctx.view = landingView(ctx);
    }
    render();
    return;
  }
  closeSession();
  // A projector is a screen, not a person: it keeps nothing in this browser's session storage
  // (a facilitator opening it in a new tab must not lose their own token and profile).
  const before = projector ? {} : loadSaved(sid);
  const saved = projector ? {} : save(sid, { token });
  ctx = {
    sid, token, session: null, me: null, view: null, boardId: saved.board || null,
    name: saved.name || "", group: saved.group || "", profiled: !!saved.profiled,
    showInfo, boardView: null, panel: null, socket: null, boards: null,
    controlId: controlIdOf(sid), clock: new ServerClock(), presence: null,
    projector, corner, landing: null,
    seenRound: saved.seenRound ?? null, summonSeq: saved.summonSeq ?? null,
    lastRemaining: undefined, chimed: null,
  };
  const c = ctx;
  c.boards = new BoardStore((frame) => c.socket.send(frame));
  c.boards.onError((msg) => onServerError(c, msg));
  c.boards.onChange((boardId) => {
    if (c !== ctx) return;
    banner(c.boards.writable ? "" : t("readOnly"));
    showConn(connState);
    if (boardId === c.controlId) onControl(c);
  });
  c.boards.onEvent((msg) => onEvent(c, msg));
  c.boards.onOutcome((outcome) => onOutcome(c, outcome));
  if (!projector) {
    // Flaky Wi-Fi (offline.js): unacked ops and the last states survive a reload. A page opened
    // again with the same token starts from what it knew: session, who we are, the boards.
    c.boards.journal = new OpJournal(sid);
    if (before.token === token && before.session?.id === sid && before.me?.participant) {
      c.session = before.session;
      c.me = before.me;
      c.fromCache = true;
      c.boards.ids.setParticipant(before.me.participant);
      c.boards.participant = before.me.participant;
      c.boards.useCache(new BoardCache(before.me.participant));
    }
    c.boards.restore(c.boards.journal.load());
  }
  c.socket = new Socket({
    hello: () => ({ token: c.token, name: c.name, group: c.group }),
    onState: (s) => { if (c === ctx) showConn(s); },
    onMessage: (msg) => onMessage(c, msg),
    onPong: (msg) => { if (c === ctx) c.clock.fromPong(msg); },
  });
  // The control board is followed on every page of the session (sent once joined, by resume).
  c.boards.subscribe(c.controlId);
  showConn(navigator.onLine === false ? "offline" : "connecting");
  if (c.session) {
    c.view = landingView(c);
    render();
  } else {
    renderLoading();
  }
  c.socket.start();
}

function closeSession() {
  if (!ctx) return;
  ctx.boards.flushCache();
  ctx.boardView?.destroy();
  ctx.panel?.destroy();
  ctx.socket.close();
  ctx = null;
  banner("");
  showAnnouncement("");
  showNotice("");
  document.body.classList.remove("is-projector");
  tickTimer();
}

/** A few pings right after joining, so the clock is right within a round trip (R22). */
function syncClock(c) {
  for (const delay of [0, 300, 1200, 4000]) {
    setTimeout(() => { if (c === ctx) c.socket.ping(); }, delay);
  }
}

function hasPendingJoin(c) {
  for (const p of c.boards.mirror(c.controlId).pending.values()) {
    if (p.op.kind === "group.join") return true;
  }
  return false;
}

/** Which view a freshly opened session shows. */
function landingView(c) {
  const boards = c.session.boards;
  if (c.projector) return "projector";
  if (c.corner) {
    // A corner join link (/j/CODE/<instrument>): that corner's board, after the profile.
    const board = boardOfCorner(c.session, c.corner);
    c.corner = null;
    if (board) {
      c.boardId = board.id;
      save(c.sid, { board: board.id });
      if (!c.profiled) { c.landing = board.id; return "profile"; }
      return "board";
    }
  }
  if (c.me?.role === "facilitator" && boards.length > 1) return "overview";
  if (!c.profiled) return "profile";
  if (c.boardId && boards.some((b) => b.id === c.boardId)) return "board";
  return afterProfile(c);
}

function onMessage(c, msg) {
  if (c !== ctx) return;
  if (msg.type === "welcome") {
    const first = !c.session;
    const changed = c.fromCache && JSON.stringify(c.session) !== JSON.stringify(msg.session);
    const fromCache = c.fromCache;
    c.fromCache = false;
    c.session = msg.session;
    c.me = msg.me;
    if (first) c.boards.ids.setParticipant(msg.me.participant);
    c.boards.participant = msg.me.participant || "";
    if (!c.projector) {
      save(c.sid, { session: msg.session, me: msg.me });
      if (!c.boards.cache && msg.me.participant) c.boards.useCache(new BoardCache(msg.me.participant));
    }
    store.set(`vh.code.${msg.session.code}`, c.sid);
    c.clock.fromWelcome(msg.server_time);
    syncClock(c);
    // The control board knows this participant's group (set by them or the facilitator); it
    // wins, unless our own group.join is still on its way.
    const group = msg.me.group || "";
    if (msg.me.role !== "viewer" && group !== c.group && !hasPendingJoin(c)) {
      c.group = group;
      save(c.sid, { group });
    }
    c.boards.resume();
    if (first || c.view === null) {
      c.view = landingView(c);
      render();
    } else if (changed || (fromCache && c.view === "overview")) {
      render(); // the session is not what was kept, or the overview's links wait for the network
    } else {
      renderChrome();
    }
    return;
  }
  if (msg.type === "presence") {
    c.presence = msg;
    c.panel?.setPresence?.(msg);
    return;
  }
  c.boards.handle(msg);
}

/** Control-board events about me: a facilitator put me in a group, or my own pick landed. */
function onEvent(c, msg) {
  if (c !== ctx || msg.board !== c.controlId || msg.result !== "applied") return;
  const op = msg.op || {};
  const me = c.me?.participant;
  if (!me) return;
  let group = null;
  if (op.kind === "group.assign" && op.participant === me) group = op.group || "";
  else if (op.kind === "group.join" && msg.actor?.participant === me) group = op.group || "";
  if (group === null) return;
  const changed = group !== c.group;
  c.group = group;
  c.me = { ...c.me, group };
  save(c.sid, { group });
  if (op.kind === "group.assign" && changed) {
    c.socket.sendHello(); // the connection speaks for the new group from now on
    showNotice(group ? t("assignedTo", { group }) : t("assignedNone"));
    if (c.view === "profile" || c.view === "corners") render();
  }
}

/** The control state changed: announcement, timer, and whether this page has to move. */
function onControl(c) {
  const ctl = c.boards.mirror(c.controlId).control;
  if (!ctl || !c.session) return;
  showAnnouncement(ctl.announcement?.text || "");
  if (c.group && c.me?.role !== "viewer" && Array.isArray(ctl.groups) && !ctl.groups.includes(c.group)
      && !hasPendingJoin(c)) {
    // The facilitator removed or renamed our group: we are in none now (the server dropped us).
    c.group = "";
    c.me = { ...c.me, group: "" };
    save(c.sid, { group: "" });
    c.socket.sendHello();
    showNotice(t("groupGone"));
  }
  if (c.view === "profile") syncProfileGroups(c, ctl);
  checkRotation(c, ctl);
  if (c === ctx && c.view === "corners" && c.renderedOurs !== undefined
      && c.renderedOurs !== ourCorner(c, ctl)) render();
  tickTimer();
}

/** The profile's group list follows the control board's groups (without redrawing the form). */
function syncProfileGroups(c, ctl) {
  const select = $("group");
  if (!select || document.activeElement === select) return;
  const groups = groupsOf(ctl, c.session);
  const have = [...select.options].slice(1).map((o) => o.value);
  if (have.join("\n") === groups.join("\n")) return;
  const chosen = select.value || c.group;
  clear(select).append(el("option", { value: "", text: t("noGroup") }),
    ...groups.map((g) => el("option", { value: g, text: g, selected: g === chosen })));
}

/** The corner the plan gives this page's group now (marked in the corner picker). */
function ourCorner(c, ctl) {
  const role = c.me?.role;
  return role === "participant" || role === "facilitator" ? cornerFor(ctl, c.group) : null;
}

function cornerTitle(c, board) {
  return templatesCache?.get(board.instrument)?.title || board.title || board.instrument;
}

/**
 * R21: a new round moves a participant to their group's corner of that round (unless the group
 * is free or unplanned); a summons moves participants, and viewers on a board, to its corner.
 * What was seen is remembered per session, so a reload does not move anyone twice.
 */
function checkRotation(c, ctl) {
  const role = c.me?.role;
  const participant = role === "participant" && !c.projector;
  const roundChanged = c.seenRound !== null && ctl.round !== c.seenRound;
  if (ctl.round !== c.seenRound) {
    c.seenRound = ctl.round;
    if (!c.projector) save(c.sid, { seenRound: ctl.round });
  }
  if (roundChanged) {
    const corner = participant ? cornerFor(ctl, c.group, ctl.round) : null;
    const board = corner ? boardOfCorner(c.session, corner) : null;
    if (board) {
      moveTo(c, board, t("rotationMove", { n: ctl.round, corner: cornerTitle(c, board) }));
    } else if (role !== "facilitator") {
      showNotice(t("roundStarted", { n: ctl.round }));
    }
  }
  const summon = ctl.summon;
  const seq = summon ? summon.seq : 0;
  if (seq === c.summonSeq) return;
  const before = c.summonSeq;
  c.summonSeq = seq;
  if (!c.projector) save(c.sid, { summonSeq: seq });
  if (role === "facilitator") return;
  if (summon) {
    const board = boardOfCorner(c.session, summon.corner);
    if (!board) return;
    const message = t("summonMove", { corner: cornerTitle(c, board) });
    if (c.projector) showNotice(message);
    else if (participant || (role === "viewer" && c.view === "board")) moveTo(c, board, message);
  } else if (before && !roundChanged && participant) {
    // The summons is over: back to the group's corner of this round.
    const corner = cornerFor(ctl, c.group, ctl.round);
    const board = corner ? boardOfCorner(c.session, corner) : null;
    if (board) moveTo(c, board, t("summonEnded", { corner: cornerTitle(c, board) }));
    else showNotice(t("summonOver"));
  } else if (before && !roundChanged) {
    showNotice(t("summonOver"));
  }
}

function moveTo(c, board, message) {
  showNotice(message);
  c.boardId = board.id;
  save(c.sid, { board: board.id });
  if (c.view === "profile") { c.landing = board.id; return; }
  if (c.view === "board" && c.boardView?.board.id === board.id) return;
  go("board");
}

function onServerError(c, msg) {
  if (c !== ctx) return;
  if (msg.code === "bad_token") {
    const sid = c.sid;
    closeSession();
    save(sid, { token: null });
    home(t("badToken"));
    return;
  }
  if (msg.code === "store_unavailable" || msg.code === "rate_limited" || msg.code === "not_joined") {
    return; // retried by the board store / after the next welcome
  }
  // Say what went wrong in the user's language when we know the code; the server's own words
  // (English, with the detail) follow in brackets.
  const known = t(`errorCodes.${msg.code}`);
  const message = typeof known === "string" && known !== `errorCodes.${msg.code}`
    ? `${known}${msg.message ? ` (${msg.message})` : ""}` : (msg.message || msg.code);
  toast(t("opRejected", { message }));
}

/** A session of one working board has no corners to choose: go straight to the board. */
function afterProfile(c) {
  const boards = c.session?.boards || [];
  if (c.landing && boards.some((b) => b.id === c.landing)) {
    // A corner link, a new round or a summons chose the corner while the profile was open.
    c.boardId = c.landing;
    c.landing = null;
    save(c.sid, { board: c.boardId });
    return "board";
  }
  if (boards.length === 1) {
    c.boardId = boards[0].id;
    save(c.sid, { board: c.boardId });
    return "board";
  }
  return "corners";
}

function go(view) {
  if (!ctx) return;
  ctx.view = view;
  render();
}

// --- views -------------------------------------------------------------------------------------

function render() {
  renderChrome();
  if (!ctx) return;
  if (ctx.boardView && ctx.view !== "board") {
    ctx.boardView.destroy();
    ctx.boardView = null;
  }
  if (ctx.panel) {
    ctx.panel.destroy();
    ctx.panel = null;
  }
  if (!ctx.session) { renderLoading(); return; }
  const info = ctx.showInfo && ctx.me?.role === "facilitator" && ctx.view !== "overview" ? sessionInfo() : null;
  if (ctx.view === "profile") renderProfile(info);
  else if (ctx.view === "board") renderBoard(info);
  else if (ctx.view === "overview" && ctx.me?.role === "facilitator") renderOverview();
  else if (ctx.view === "stations" && ctx.me?.role === "facilitator") renderStations();
  else if (ctx.view === "projector") renderProjector();
  else renderCorners(info);
}

/** Follow exactly these boards (and the control board); presence counts where people look. */
function follow(c, boardIds) {
  const want = new Set([c.controlId, ...boardIds]);
  for (const id of [...c.boards.subscribed]) if (!want.has(id)) c.boards.unsubscribe(id);
  for (const id of want) if (!c.boards.subscribed.has(id)) c.boards.subscribe(id);
}

let templatesCache = null; // instrument id -> template, once loaded
async function instrumentsById() {
  const tpl = await templates();
  templatesCache ??= new Map((tpl.instruments || []).map((i) => [i.id, i]));
  return templatesCache;
}

async function renderOverview() {
  const c = ctx;
  const byId = await instrumentsById();
  if (c !== ctx || ctx.view !== "overview") return;
  ctx.panel?.destroy();
  follow(c, c.session.boards.map((b) => b.id));
  const root = el("div", { class: "overview-root" });
  clear(app).append(root);
  c.panel = new FacilitatorView({
    root, session: c.session, store: c.boards, controlId: c.controlId, token: c.token,
    clock: c.clock, instruments: byId, presence: c.presence,
    onOpenBoard: (boardId) => {
      c.boardId = boardId;
      save(c.sid, { board: boardId });
      go("board");
    },
    onOpenStations: () => go("stations"),
    onRestored: (created) => openCreated(created),
    onDeleted: () => {
      const sid = c.sid;
      closeSession();
      store.remove(`vh.s.${sid}`);
      forgetSession(sid);
      history.pushState(null, "", "/");
      home(t("sessionDeleted"));
    },
  });
}

/** The facilitator's view of one station over all corner boards (clusters across boards). */
async function renderStations() {
  const c = ctx;
  const byId = await instrumentsById();
  if (c !== ctx || ctx.view !== "stations") return;
  ctx.panel?.destroy();
  follow(c, c.session.boards.map((b) => b.id));
  const root = el("div", { class: "stations-root" });
  clear(app).append(root);
  c.panel = new StationView({
    root, session: c.session, store: c.boards, controlId: c.controlId, token: c.token,
    instruments: byId, station: c.station || null, notify: toast,
    onStation: (station) => { c.station = station; },
    onOpenBoard: (boardId) => {
      c.boardId = boardId;
      save(c.sid, { board: boardId });
      go("board");
    },
  });
}

/** A snapshot, read-only, at /s/<session>/<name>#t=<token> (no websocket). */
async function openSnapshot(sid, name, token) {
  closeSession();
  renderChrome();
  const byId = await instrumentsById();
  if (ctx) return;
  const root = el("div", { class: "snapshot-root" });
  clear(app).append(root);
  document.title = `${t("snapshotBanner", { name })} · ${t("appTitle")}`;
  new SnapshotView({ root, sid, name, token, instruments: byId });
}

async function renderProjector() {
  const c = ctx;
  const board = boardOfCorner(c.session, c.projector)
    || c.session.boards.find((b) => b.id === c.projector);
  // Subscribe first: a big board's state travels while the templates load.
  if (board) follow(c, [board.id]);
  const byId = await instrumentsById();
  if (c !== ctx || ctx.view !== "projector") return;
  ctx.panel?.destroy();
  if (!board) {
    clear(app).append(el("p", { class: "error", role: "alert", text: t("unknownCorner", { corner: c.projector }) }));
    return;
  }
  const root = el("div", { class: "projector-root" });
  clear(app).append(root);
  c.panel = new ProjectorView({
    root, session: c.session, board, instrument: byId.get(board.instrument) || null, store: c.boards,
    controlId: c.controlId, me: c.me, clock: c.clock,
  });
}

function renderLoading() {
  renderChrome();
  clear(app).append(el("p", { class: "loading", text: t("connecting") }));
}

function sessionInfo() {
  const s = ctx.session;
  const origin = location.origin;
  return el("section", { class: "panel session-info", id: "session-info" },
    el("h2", { text: t("createdTitle") }),
    el("div", { class: "code-row" },
      el("span", { class: "link-label", text: t("joinCode") }),
      el("strong", { class: "join-code", id: "join-code", text: s.code })),
    linkRow(t("joinLink"), `${origin}/j/${s.code}`, "join-link"),
    linkRow(t("facilitatorLink"), `${origin}/#t=${ctx.token}`, "facilitator-link"),
  );
}

function renderProfile(info) {
  const s = ctx.session;
  const name = el("input", {
    type: "text", id: "name", name: "name", maxlength: "60", autocomplete: "nickname",
    placeholder: t("namePlaceholder"), value: ctx.name,
  });
  const control = ctx.boards.mirror(ctx.controlId).control;
  const group = el("select", { id: "group", name: "group" },
    el("option", { value: "", text: t("noGroup") }),
    groupsOf(control, s).map((g) => el("option", { value: g, text: g, selected: g === ctx.group })));
  const form = el("form", { class: "panel profile", id: "profile-form" },
    el("h1", { text: t("profileTitle") }),
    el("p", { class: "session-title", text: s.title }),
    el("label", { for: "name", text: t("nameLabel") }), name,
    el("label", { for: "group", text: t("groupLabel") }), group,
    el("button", { type: "submit", class: "primary", id: "profile-continue", text: t("continue") }),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    ctx.name = name.value.trim().slice(0, 60);
    ctx.group = group.value;
    ctx.profiled = true;
    save(ctx.sid, { name: ctx.name, group: ctx.group, profiled: true });
    if (ctx.me?.role !== "viewer") {
      // The control board keeps who is in which group (R21); the hello carries it too.
      ctx.boards.op(ctx.controlId, { kind: "group.join", group: ctx.group });
    }
    ctx.socket.sendHello(); // a new hello on the same socket updates who we are
    ctx.view = afterProfile(ctx);
    render();
  });
  clear(app).append(...[info, form].filter(Boolean));
  if (!info) name.focus();
}

async function renderCorners(info) {
  const c = ctx;
  const byId = await instrumentsById();
  if (c !== ctx || ctx.view !== "corners") return;
  follow(c, []);
  const control = c.boards.mirror(c.controlId).control;
  const ours = ourCorner(c, control);
  c.renderedOurs = ours;
  const list = el("div", { class: "corners" },
    [...c.session.boards].sort((a, b) => a.corner - b.corner).map((b) => {
      const inst = byId.get(b.instrument);
      const mine = ours === b.instrument;
      return el("button", {
        type: "button", class: `corner corner-${b.corner}${mine ? " is-ours" : ""}`,
        dataset: { board: b.id, corner: String(b.corner), instrument: b.instrument },
        onclick: () => {
          c.boardId = b.id;
          save(c.sid, { board: b.id });
          go("board");
        },
      },
      el("span", { class: "corner-num", text: t("corner", { n: b.corner }) }),
      mine ? el("span", { class: "corner-ours", text: t("yourCorner", { n: control.round }) }) : null,
      el("span", { class: "corner-title", text: inst?.title || b.title }),
      inst?.need ? el("span", { class: "corner-need", text: inst.need }) : null);
    }));
  clear(app).append(...[info, el("h1", { class: "view-title", text: t("cornersTitle") }), list].filter(Boolean));
}

async function renderBoard(info) {
  const c = ctx;
  const board = c.session.boards.find((b) => b.id === c.boardId);
  if (!board) { go("corners"); return; }
  const byId = await instrumentsById();
  if (c !== ctx || ctx.view !== "board" || c.boardId !== board.id) return;
  const inst = byId.get(board.instrument) || null;
  follow(c, [board.id]);
  c.boardView?.destroy();
  const root = el("div", { class: "board-root" });
  clear(app).append(...[info, root].filter(Boolean));
  const facilitator = c.me?.role === "facilitator";
  c.boardView = new BoardView({
    root, board, stations: c.session.stations, instrument: inst, store: c.boards, me: c.me,
    controlId: c.controlId, sessionId: c.sid, token: facilitator ? c.token : null, notify: toast,
  });
}

const FALLBACK_INSTRUMENTS = [
  { id: "praatplaat" }, { id: "matrix" }, { id: "achtje" }, { id: "reflectietool" },
];

async function createSession(body) {
  openCreated(await api("POST", "/api/sessions", body));
}

/** A session just made (new, or a snapshot restored as new): open it as its facilitator. */
function openCreated(res) {
  const sid = res.session.id;
  save(sid, { token: res.facilitator_token });
  store.set(`vh.code.${res.code}`, sid);
  history.pushState(null, "", `/#t=${res.facilitator_token}`);
  // A four-corner session opens on the overview (its links panel has the join code and links).
  openSession(res.facilitator_token, { showInfo: (res.session?.boards || []).length <= 1 });
}

function home(message) {
  closeSession();
  renderChrome();
  const create = el("button", { type: "button", class: "primary big", id: "new-session", text: t("newSession") });
  const errorLine = el("p", { class: "error", role: "alert", text: message || "" });
  errorLine.hidden = !message;
  create.addEventListener("click", async () => {
    create.disabled = true;
    create.textContent = t("creating");
    try {
      await createSession({ template: "vier-hoeken" });
    } catch (err) {
      errorLine.textContent = t("errorGeneric", { message: err.message });
      errorLine.hidden = false;
      create.disabled = false;
      create.textContent = t("newSession");
    }
  });
  const instSelect = el("select", { id: "instrument-select", "aria-label": t("instrumentLabel") },
    FALLBACK_INSTRUMENTS.map((i) => el("option", { value: i.id, text: t(`instrumentNames.${i.id}`) })));
  templates().then((tpl) => {
    const list = (tpl.instruments || []).slice().sort((a, b) => (a.number || 0) - (b.number || 0));
    if (!list.length) return;
    const chosen = instSelect.value;
    clear(instSelect).append(...list.map((i) => el("option", { value: i.id, text: i.title, selected: i.id === chosen })));
  });
  const startInst = el("button", { type: "button", class: "primary", id: "start-instrument", text: t("startInstrument") });
  const instError = el("p", { class: "error", role: "alert" });
  instError.hidden = true;
  startInst.addEventListener("click", async () => {
    startInst.disabled = true;
    try {
      await createSession({ template: instSelect.value });
    } catch (err) {
      instError.textContent = t("errorGeneric", { message: err.message });
      instError.hidden = false;
      startInst.disabled = false;
    }
  });
  const code = el("input", {
    type: "text", id: "join-code-input", name: "code", required: true, autocomplete: "off",
    autocapitalize: "characters", spellcheck: "false", maxlength: "12", placeholder: "ABC234",
    "aria-label": t("joinCodeLabel"),
  });
  const form = el("form", { class: "join-form", id: "join-form" },
    el("label", { for: "join-code-input", text: t("joinCodeLabel") }),
    el("div", { class: "join-row" }, code, el("button", { type: "submit", class: "primary", text: t("joinButton") })));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const value = code.value.replace(/[^A-Za-z0-9]/g, "").toUpperCase();
    if (!value) return;
    history.pushState(null, "", `/j/${value}`);
    route();
  });
  clear(app).append(
    el("section", { class: "panel home" },
      el("h1", { text: t("appTitle") }),
      el("p", { class: "intro", text: t("homeIntro") }),
      create, errorLine),
    el("section", { class: "panel instrument-start", id: "instrument-start" },
      el("h2", { text: t("instrumentTitle") }),
      el("p", { class: "intro", text: t("instrumentIntro") }),
      el("div", { class: "join-row" }, instSelect, startInst), instError),
    el("section", { class: "panel" }, el("h2", { text: t("joinTitle") }), form),
  );
}

async function joinByCode(rawCode, corner = null) {
  const code = rawCode.replace(/[^A-Za-z0-9]/g, "").toUpperCase();
  const sid = store.get(`vh.code.${code}`);
  const saved = sid ? loadSaved(sid) : null;
  if (saved?.token) { openSession(saved.token, { corner }); return; }
  closeSession();
  renderLoading();
  try {
    const res = await api("GET", `/api/join/${encodeURIComponent(code)}`);
    save(res.session.id, { token: res.token });
    store.set(`vh.code.${code}`, res.session.id);
    openSession(res.token, { corner });
  } catch (err) {
    home(err.status === 404 ? t("joinUnknown", { code }) : t("errorGeneric", { message: err.message }));
  }
}

function route() {
  const hash = new URLSearchParams(location.hash.replace(/^#/, ""));
  const token = hash.get("t");
  const m = location.pathname.match(/^\/j\/([A-Za-z0-9-]+)(?:\/([A-Za-z0-9_-]+))?\/?$/);
  const snap = location.pathname.match(/^\/s\/([A-Za-z0-9_-]+)\/([^/]+)\/?$/);
  let snapName = null;
  try { snapName = snap ? decodeURIComponent(snap[2]) : null; } catch { snapName = null; }
  if (snap && snapName && token) openSnapshot(snap[1], snapName, token);
  else if (token) openSession(token, { projector: hash.get("corner") || null });
  else if (m) joinByCode(m[1], m[2] || null);
  else if (location.pathname === "/" || location.pathname === "/index.html") home();
  else { closeSession(); renderChrome(); clear(app).append(el("p", { text: t("notFound") })); }
}

// --- phones: the field being typed stays above the on-screen keyboard ------------------------

/**
 * Where the keyboard only shrinks the visual viewport (iOS Safari; Chrome without
 * interactive-widget=resizes-content), scroll so the focused field is in the visible part,
 * below the sticky top bar.
 */
const touchScreen = window.matchMedia?.("(pointer: coarse)");
function keepFieldVisible() {
  if (!touchScreen?.matches) return; // a laptop has no on-screen keyboard to dodge
  const field = document.activeElement;
  if (!field || !field.matches?.("textarea, input[type=text], input:not([type])")) return;
  const vv = window.visualViewport;
  const top = (vv ? vv.offsetTop : 0) + ($("topbar")?.getBoundingClientRect().bottom || 0);
  const bottom = vv ? vv.offsetTop + vv.height : window.innerHeight;
  const r = field.getBoundingClientRect();
  const margin = 12;
  if (r.bottom > bottom - margin) window.scrollBy(0, Math.min(r.bottom - bottom + margin, r.top - top - margin));
  else if (r.top < top + margin) window.scrollBy(0, r.top - top - margin);
}
let fieldTimer = null;
function keepFieldVisibleSoon(delay) {
  clearTimeout(fieldTimer);
  fieldTimer = setTimeout(keepFieldVisible, delay);
}
window.visualViewport?.addEventListener("resize", () => keepFieldVisibleSoon(50));
window.addEventListener("resize", () => keepFieldVisibleSoon(50));
document.addEventListener("focusin", () => keepFieldVisibleSoon(300)); // after the keyboard slid in

// A page going away (reload, closed tab, phone locked) writes the kept board states now.
window.addEventListener("pagehide", () => ctx?.boards.flushCache());
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") ctx?.boards.flushCache();
});

window.addEventListener("popstate", route);
window.addEventListener("hashchange", route);
setLang(getLang());
registerServiceWorker();
route();
