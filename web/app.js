// Entry point and router: home (new session / join), then profile → corner → board.

import { BoardView } from "./board.js";
import { clear, el } from "./html.js";
import { getLang, setLang, t } from "./i18n.js";
import { Socket } from "./socket.js";
import { BoardStore } from "./state.js";

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
function templates() {
  templatesPromise ??= api("GET", "/api/templates").catch(() => ({ instruments: [] }));
  return templatesPromise;
}

// --- chrome: top bar, connection state, banner, toast ------------------------------------------

let connState = "offline";
function showConn(state) {
  connState = state;
  const node = $("conn-state");
  node.dataset.state = state;
  node.textContent = { open: t("connOpen"), connecting: t("connConnecting"), offline: t("connOffline") }[state];
  node.hidden = !ctx;
}

let toastTimer = null;
function toast(message) {
  const node = $("toast");
  node.textContent = message;
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { node.hidden = true; }, 4000);
}

function banner(message) {
  const node = $("banner");
  node.textContent = message || "";
  node.hidden = !message;
}

function renderChrome() {
  document.title = t("appTitle");
  $("brand").textContent = t("appTitle");
  $("lang-toggle").textContent = t("langShort");
  $("lang-toggle").title = t("langName");
  $("lang-toggle").setAttribute("aria-label", t("langName"));
  const nav = clear($("topnav"));
  const code = $("session-code");
  if (ctx?.session) {
    code.hidden = false;
    code.textContent = ctx.session.code;
    if (ctx.me && ctx.profiled) {
      nav.append(
        ctx.session.boards.length > 1
          ? el("button", { type: "button", class: "navbtn", text: t("changeCorner"), onclick: () => go("corners") })
          : "",
        el("button", { type: "button", class: "navbtn", text: t("changeProfile"), onclick: () => go("profile") }),
      );
      if (ctx.me.role === "facilitator") {
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
}

$("lang-toggle").addEventListener("click", () => {
  setLang(getLang() === "nl" ? "en" : "nl");
  renderChrome();
  render();
});

// --- session context ---------------------------------------------------------------------------

/** The one open session: token, socket, board store, and which view shows. */
let ctx = null;

function openSession(token, { showInfo = false } = {}) {
  const sid = sessionOfToken(token);
  if (!sid) { home(t("badToken")); return; }
  if (ctx && ctx.token === token) { render(); return; }
  closeSession();
  const saved = save(sid, { token });
  ctx = {
    sid, token, session: null, me: null, view: null, boardId: saved.board || null,
    name: saved.name || "", group: saved.group || "", profiled: !!saved.profiled,
    showInfo, boardView: null, socket: null, boards: null,
  };
  const c = ctx;
  c.boards = new BoardStore((frame) => c.socket.send(frame));
  c.boards.onError((msg) => onServerError(c, msg));
  c.boards.onChange(() => { if (c === ctx) banner(c.boards.writable ? "" : t("readOnly")); });
  c.socket = new Socket({
    hello: () => ({ token: c.token, name: c.name, group: c.group }),
    onState: (s) => { if (c === ctx) showConn(s); },
    onMessage: (msg) => onMessage(c, msg),
  });
  showConn("connecting");
  renderLoading();
  c.socket.start();
}

function closeSession() {
  if (!ctx) return;
  ctx.boardView?.destroy();
  ctx.socket.close();
  ctx = null;
  banner("");
}

function onMessage(c, msg) {
  if (c !== ctx) return;
  if (msg.type === "welcome") {
    const first = !c.session;
    c.session = msg.session;
    c.me = msg.me;
    if (first) c.boards.ids.setParticipant(msg.me.participant);
    c.boards.participant = msg.me.participant || "";
    store.set(`vh.code.${msg.session.code}`, c.sid);
    c.boards.resume();
    if (first || c.view === null) {
      if (!c.profiled) c.view = "profile";
      else if (c.boardId && msg.session.boards.some((b) => b.id === c.boardId)) c.view = "board";
      else c.view = afterProfile(c);
      render();
    } else {
      renderChrome();
    }
    return;
  }
  c.boards.handle(msg);
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
  toast(t("opRejected", { message: msg.message || msg.code }));
}

/** A session of one working board has no corners to choose: go straight to the board. */
function afterProfile(c) {
  const boards = c.session?.boards || [];
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
  if (!ctx.session) { renderLoading(); return; }
  const info = ctx.showInfo && ctx.me?.role === "facilitator" ? sessionInfo() : null;
  if (ctx.view === "profile") renderProfile(info);
  else if (ctx.view === "board") renderBoard(info);
  else renderCorners(info);
}

function renderLoading() {
  renderChrome();
  clear(app).append(el("p", { class: "loading", text: t("connecting") }));
}

function linkRow(label, value, extraClass) {
  const input = el("input", { type: "text", readonly: true, value, class: "link-input", "aria-label": label });
  const copy = el("button", {
    type: "button", class: "copy", text: t("copy"),
    onclick: async () => {
      try { await navigator.clipboard.writeText(value); } catch { input.select(); }
      copy.textContent = t("copied");
      setTimeout(() => { copy.textContent = t("copy"); }, 1500);
    },
  });
  return el("div", { class: `link-row ${extraClass || ""}` },
    el("span", { class: "link-label", text: label }), el("div", { class: "link-field" }, input, copy));
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
  const group = el("select", { id: "group", name: "group" },
    el("option", { value: "", text: t("noGroup") }),
    (s.groups || []).map((g) => el("option", { value: g, text: g, selected: g === ctx.group })));
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
    ctx.socket.sendHello(); // a new hello on the same socket updates who we are
    ctx.view = afterProfile(ctx);
    render();
  });
  clear(app).append(...[info, form].filter(Boolean));
  if (!info) name.focus();
}

async function renderCorners(info) {
  const c = ctx;
  const tpl = await templates();
  if (c !== ctx || ctx.view !== "corners") return;
  const byId = new Map((tpl.instruments || []).map((i) => [i.id, i]));
  const list = el("div", { class: "corners" },
    [...c.session.boards].sort((a, b) => a.corner - b.corner).map((b) => {
      const inst = byId.get(b.instrument);
      return el("button", {
        type: "button", class: `corner corner-${b.corner}`, dataset: { board: b.id, corner: String(b.corner) },
        onclick: () => {
          c.boardId = b.id;
          save(c.sid, { board: b.id });
          go("board");
        },
      },
      el("span", { class: "corner-num", text: t("corner", { n: b.corner }) }),
      el("span", { class: "corner-title", text: inst?.title || b.title }),
      inst?.need ? el("span", { class: "corner-need", text: inst.need }) : null);
    }));
  clear(app).append(...[info, el("h1", { class: "view-title", text: t("cornersTitle") }), list].filter(Boolean));
}

async function renderBoard(info) {
  const c = ctx;
  const board = c.session.boards.find((b) => b.id === c.boardId);
  if (!board) { go("corners"); return; }
  const tpl = await templates();
  if (c !== ctx || ctx.view !== "board") return;
  const inst = (tpl.instruments || []).find((i) => i.id === board.instrument) || null;
  for (const id of [...c.boards.subscribed]) if (id !== board.id) c.boards.unsubscribe(id);
  if (!c.boards.subscribed.has(board.id)) c.boards.subscribe(board.id);
  c.boardView?.destroy();
  const root = el("div", { class: "board-root" });
  clear(app).append(...[info, root].filter(Boolean));
  c.boardView = new BoardView({
    root, board, stations: c.session.stations, instrument: inst, store: c.boards, me: c.me,
  });
}

const FALLBACK_INSTRUMENTS = [
  { id: "praatplaat" }, { id: "matrix" }, { id: "achtje" }, { id: "reflectietool" },
];

async function createSession(body) {
  const res = await api("POST", "/api/sessions", body);
  const sid = res.session.id;
  save(sid, { token: res.facilitator_token });
  store.set(`vh.code.${res.code}`, sid);
  history.pushState(null, "", `/#t=${res.facilitator_token}`);
  openSession(res.facilitator_token, { showInfo: true });
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

async function joinByCode(rawCode) {
  const code = rawCode.replace(/[^A-Za-z0-9]/g, "").toUpperCase();
  const sid = store.get(`vh.code.${code}`);
  const saved = sid ? loadSaved(sid) : null;
  if (saved?.token) { openSession(saved.token); return; }
  closeSession();
  renderLoading();
  try {
    const res = await api("GET", `/api/join/${encodeURIComponent(code)}`);
    save(res.session.id, { token: res.token });
    store.set(`vh.code.${code}`, res.session.id);
    openSession(res.token);
  } catch (err) {
    home(err.status === 404 ? t("joinUnknown", { code }) : t("errorGeneric", { message: err.message }));
  }
}

function route() {
  const hash = new URLSearchParams(location.hash.replace(/^#/, ""));
  const token = hash.get("t");
  const m = location.pathname.match(/^\/j\/([A-Za-z0-9-]+)\/?$/);
  if (token) openSession(token);
  else if (m) joinByCode(m[1]);
  else if (location.pathname === "/" || location.pathname === "/index.html") home();
  else { closeSession(); renderChrome(); clear(app).append(el("p", { text: t("notFound") })); }
}

window.addEventListener("popstate", route);
window.addEventListener("hashchange", route);
setLang(getLang());
route();
