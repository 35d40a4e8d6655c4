// Entry point and router. The address says which page this is: the start page (home.js), a
// join code or a corner's join link (/j/CODE[/corner]), a session's link (#t=<token>; with
// &corner=<instrument> a corner's screen, with &screen=join|overview|choose another screen; a
// screen's own link without either opens the screen chooser), a snapshot (/s/<session>/<name>),
// an organiser's one-time sign-in link (/o/<secret>). A session page is one Session
// (session.js), drawn by pages.js inside the frame of chrome.js.
//
// A participant's phone loads only what it needs (index.html and a join link's Link header
// preload that): the session's modules once one opens, the start page with the organiser's
// panels, a snapshot, and (pages.js) the begeleider's pages and the screens are modules loaded
// when they are opened.

import * as chrome from "./chrome.js";
import { clear, el } from "./html.js";
import { problemText, request } from "./http.js";
import { getLang, setLang, t } from "./i18n.js";
import { forgetKept, keep, kept, registerServiceWorker, rememberCode, sessionOfCode } from "./offline.js";
import { renderLoading, renderRemoved } from "./pages.js";
import { instrumentsById, templates } from "./template.js";
import { cleanCode, formatCode } from "./ui.js";

const app = document.getElementById("app");

/** A token's payload as it reads (the server checks it), or {}. */
function tokenData(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const data = JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
    return data && typeof data === "object" ? data : {};
  } catch {
    return {};
  }
}

/** The session id a token is for (read from its payload; the server checks the rest). */
export function sessionOfToken(token) {
  const sid = tokenData(token).s;
  return typeof sid === "string" ? sid : null;
}

const SCREENS = new Set(["join", "overview", "choose"]);

/**
 * Which screen a session link opens (screens.js), or null for a person's page: a corner's
 * (&corner=<instrument>), the join screen, the overview or the chooser (&screen=…); a screen's
 * own link (a viewer token) without either opens the chooser.
 */
function screenOf(hash, token) {
  const corner = hash.get("corner");
  if (corner) return corner;
  const screen = hash.get("screen");
  if (SCREENS.has(screen)) return `screen:${screen}`;
  return tokenData(token).r === "viewer" ? "screen:choose" : null;
}

/** The page's session, or null. */
let session = null;
/** Counts pages opened: a page that loads something checks it is still the one showing. */
let pageSeq = 0;

const nav = {
  close: () => closeSession(),
  home: (message) => home(message),
  /** The session was deleted: forget it here too, and go home. */
  deleted: (sid) => {
    closeSession();
    forgetKept(sid);
    history.pushState(null, "", "/");
    home(t("sessionDeleted"));
  },
};

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
  pageSeq += 1;
  if (!projector) {
    // This link was taken out of the session (R33): it will never be let in again.
    const before = kept(sid);
    if (before.removed && before.token === token) {
      closeSession();
      renderRemoved(before.me?.role || "participant");
      return;
    }
  }
  if (session && session.token === token) {
    session.reopen({ projector, corner });
    return;
  }
  closeSession();
  if (!app.hasChildNodes()) renderLoading();
  const mine = pageSeq;
  // The session's modules: preloaded by a join link's page (webfiles.py), fetched now by the
  // start page, which does not need them until a session opens.
  import("./session.js").then(({ Session }) => {
    if (mine !== pageSeq || session) return;
    // A person's page fetches a board's modules meanwhile (pages.js imports them when a board
    // opens; "who are you" fetches the later stylesheets once it is drawn).
    if (!projector) import("./board.js").catch(() => {});
    session = new Session(token, sid, { showInfo, projector, corner }, nav);
    chrome.follow(session);
    session.start();
  }, (err) => { if (mine === pageSeq && !session) home(problemText(err)); });
}

function closeSession() {
  if (!session) return;
  session.close();
  session = null;
  chrome.follow(null);
  chrome.reset();
}

/** A session just made (new or imported, on the start page): open it as its begeleider. */
function openCreated(res) {
  const sid = res.session.id;
  keep(sid, { token: res.facilitator_token });
  rememberCode(res.code, sid);
  history.pushState(null, "", `/#t=${res.facilitator_token}`);
  // A four-corner session opens on the overview (its links panel has the join code and links).
  openSession(res.facilitator_token, { showInfo: (res.session?.boards || []).length <= 1 });
}

/** The start page: join by code, and the organiser's sign-in or "Mijn sessies" (home.js). */
async function home(message) {
  closeSession();
  chrome.renderChrome();
  pageSeq += 1;
  const mine = pageSeq;
  const { HomeView } = await import("./home.js");
  if (mine !== pageSeq || session) return;
  new HomeView({
    root: app, message: message || "", templates,
    alive: () => mine === pageSeq && !session,
    onCreated: (created) => openCreated(created),
    onJoin: (code) => {
      history.pushState(null, "", `/j/${code}`);
      route();
    },
    onDeleted: (sid) => forgetKept(sid),
  });
}

/** /o/<secret>: an organiser's one-time sign-in link (R31), then "Mijn sessies". */
async function organiserLink(secret) {
  closeSession();
  renderLoading();
  pageSeq += 1;
  const mine = pageSeq;
  const { signInWithLink } = await import("./home.js");
  const problem = await signInWithLink(secret);
  if (mine === pageSeq && !session) home(problem);
}

async function joinByCode(rawCode, corner = null) {
  const code = cleanCode(rawCode);
  const sid = sessionOfCode(code);
  const saved = sid ? kept(sid) : null;
  if (saved?.token) { openSession(saved.token, { corner }); return; }
  closeSession();
  renderLoading();
  try {
    const res = await request("GET", `/api/join/${encodeURIComponent(code)}`);
    // What the join answered is what the welcome will say (session, who we are): kept as if
    // from last time, so "who are you" shows now, not a round trip (the websocket's) later.
    const p = tokenData(res.token).p;
    keep(res.session.id, {
      token: res.token, session: res.session,
      ...(typeof p === "string" ? { me: { participant: p, role: "participant", name: "", group: "" } } : {}),
    });
    rememberCode(code, res.session.id);
    openSession(res.token, { corner });
  } catch (err) {
    home(err.status === 404 ? t("joinUnknown", { code: formatCode(code) }) : problemText(err));
  }
}

/** A snapshot, read-only, at /s/<session>/<name>#t=<token> (no websocket). */
async function openSnapshot(sid, name, token) {
  closeSession();
  pageSeq += 1;
  chrome.renderChrome();
  const mine = pageSeq;
  const [byId, { SnapshotView }] = await Promise.all([instrumentsById(), import("./snapshot.js"), chrome.allSheets()]);
  if (session || mine !== pageSeq) return;
  const root = el("div", { class: "snapshot-root" });
  clear(app).append(root);
  document.title = `${t("snapshotBanner", { name })} · ${t("appTitle")}`;
  new SnapshotView({ root, sid, name, token, instruments: byId });
}

function route() {
  const hash = new URLSearchParams(location.hash.replace(/^#/, ""));
  const token = hash.get("t");
  const m = location.pathname.match(/^\/j\/([A-Za-z0-9-]+)(?:\/([A-Za-z0-9_-]+))?\/?$/);
  const snap = location.pathname.match(/^\/s\/([A-Za-z0-9_-]+)\/([^/]+)\/?$/);
  const signin = location.pathname.match(/^\/o\/([A-Za-z0-9_-]+)\/?$/);
  let snapName = null;
  try { snapName = snap ? decodeURIComponent(snap[2]) : null; } catch { snapName = null; }
  if (snap && snapName && token) openSnapshot(snap[1], snapName, token);
  else if (signin) organiserLink(signin[1]);
  else if (token) openSession(token, { projector: screenOf(hash, token) });
  else if (m) joinByCode(m[1], m[2] || null);
  else if (location.pathname === "/" || location.pathname === "/index.html") home();
  else if (!designRoundPage()) { closeSession(); pageSeq += 1; chrome.renderChrome(); clear(app).append(el("p", { text: t("notFound") })); }
}

/**
 * The pages of the next design round, each its own module loaded when opened: signing up
 * (/aanmelden/<CODE>, signup.js), withdrawing (/afmelden#<secret>, also /afmelden/<secret>) and
 * the design team's workspace (/ontwerpslag, ontwerpslag.js). False for any other address.
 */
function designRoundPage() {
  const path = location.pathname;
  const signup = path.match(/^\/aanmelden\/([A-Za-z0-9-]+)\/?$/);
  const withdraw = path.match(/^\/afmelden(?:\/([A-Za-z0-9_-]+))?\/?$/);
  const workspace = /^\/ontwerpslag\/?$/.test(path);
  if (!signup && !withdraw && !workspace) return false;
  closeSession();
  renderLoading();
  pageSeq += 1;
  const mine = pageSeq;
  const alive = () => mine === pageSeq && !session;
  Promise.all([import(workspace ? "./ontwerpslag.js" : "./signup.js"), chrome.allSheets()]).then(([m]) => {
    if (!alive()) return;
    if (workspace) new m.OntwerpslagPage({ root: app, alive });
    else if (signup) new m.SignupPage({ root: app, code: signup[1], alive });
    else new m.WithdrawPage({ root: app, secret: withdraw[1] || location.hash.slice(1), alive });
  }, (err) => { if (alive()) clear(app).append(el("p", { class: "error", role: "alert", text: problemText(err) })); });
  return true;
}

document.getElementById("lang-toggle").addEventListener("click", async () => {
  if (!(await setLang(getLang() === "nl" ? "en" : "nl"))) return;
  chrome.renderChrome();
  if (!session) route(); // home, a snapshot page: draw it again
  else session.render();
});

// A page going away (reload, closed tab, phone locked) writes the kept board states now.
window.addEventListener("pagehide", () => session?.boards?.flushCache());
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") session?.boards?.flushCache();
});

// A button that opens another corner's board of this session (data-open-corner=<instrument>,
// e.g. the vote bar's "vote there too", R59).
document.addEventListener("click", (e) => {
  const corner = e.target.closest?.("[data-open-corner]")?.dataset.openCorner;
  const board = corner && session?.session?.boards.find((b) => b.instrument === corner);
  if (board) session.openBoard(board.id);
});

window.addEventListener("popstate", route);
window.addEventListener("hashchange", route);
setLang(getLang());
route();
// The service worker keeps the app shell for an offline reload; it fetches that once the page
// is up and idle, not while a phone on a slow link still waits for its join form.
window.addEventListener("load", () => setTimeout(registerServiceWorker, 2000), { once: true });
