// The frame around every page: the top bar (brand, the session's name and join code, the round
// timer, navigation, connection state with the changes still waiting, sound, language) and
// under it the banners (store down, announcement) and the rotation notice — one block that
// stays at the top of the screen while the page scrolls; on a phone the bar is one row and the
// rest of it sits behind a menu button. Also toasts, the chime at a round's end (R22, R55),
// announcements that end by themselves (R56), and keeping the field being typed above a
// phone's keyboard; and the stylesheets of the pages after the first (`allSheets`). It follows
// the page's one session (`follow`), read from session.js.

import { Chime, timerInfo } from "./clock.js";
import { clear, el } from "./html.js";
import { localError } from "./http.js";
import { t } from "./i18n.js";
import { formatCode } from "./ui.js";

const $ = (id) => document.getElementById(id);

let session = null; // the page's session, or null (home, a snapshot page)
let connState = "offline";

// --- the page's stylesheets ----------------------------------------------------------------

// The stylesheets a phone's first page does not need (R61). "Who are you" and the start page's
// code form are drawn with the frame's sheets only; index.html names the others `disabled`, so
// the browser does not fetch them while a phone on venue Wi-Fi waits for its form. Every other
// page waits for them before it draws: they are enabled where they stand in index.html, so the
// cascade keeps its order, and a page never shows unstyled.

/** How long a page waits for a sheet that neither loads nor fails (a lost request). */
const SHEET_GIVE_UP_MS = 15000;

let sheetsLoading = null;

/** Resolves once every stylesheet of the page is in (fetched on the first call). */
export function allSheets() {
  if (sheetsLoading) return sheetsLoading;
  const later = [...document.querySelectorAll('link[rel="stylesheet"][disabled]')];
  sheetsLoading = Promise.all(later.map((link) => new Promise((resolve) => {
    const done = () => { clearTimeout(timer); resolve(); };
    const timer = setTimeout(done, SHEET_GIVE_UP_MS);
    link.addEventListener("load", done, { once: true });
    link.addEventListener("error", done, { once: true });
    link.removeAttribute("disabled");
  })));
  return sheetsLoading;
}

/** `allSheets` once the page has been on the screen: a first page is not kept waiting. */
export function sheetsAfterPaint() {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)))
    .then(allSheets);
}

// --- the frame ---------------------------------------------------------------------------------

/**
 * The top bar and the banners under it in one block that sticks to the top of the screen
 * (index.html has them one after the other), with the pieces the bar adds: the session's name,
 * the sound switch, and the menu (join code, navigation, sound, language) that on a phone
 * opens from a button under the bar and elsewhere is simply part of the bar.
 */
function buildFrame() {
  const bar = $("topbar");
  if (!bar || $("frame-top")) return;
  const frame = el("div", { class: "frame-top", id: "frame-top" });
  bar.before(frame);
  frame.append(bar, ...["banner", "announcement", "rotation-notice"].map($).filter(Boolean));
  $("brand").after(el("span", { class: "session-name", id: "session-name", dir: "auto", hidden: true }));
  const sound = el("button", {
    type: "button", class: "sound-toggle", id: "sound-toggle", hidden: true, onclick: toggleSound,
  });
  const menu = el("div", { class: "topmenu", id: "topmenu" });
  bar.append(el("button", {
    type: "button", class: "menu-toggle", id: "menu-toggle", "aria-expanded": "false",
    "aria-controls": "topmenu", hidden: true, onclick: () => openMenu(!bar.classList.contains("menu-open")),
  }), menu);
  menu.append($("session-code"), $("topnav"), sound, $("lang-toggle"));
  // What scrolls into view (a focused note, a station) lands below the frame, not under it.
  new ResizeObserver(() => {
    document.documentElement.style.setProperty("--frame-h", `${frame.offsetHeight}px`);
  }).observe(frame);
  const conn = $("conn-state");
  clear(conn).append(el("span", { class: "conn-text" }));
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && bar.classList.contains("menu-open")) { openMenu(false); $("menu-toggle").focus(); }
  });
}

/** The phone's menu (navigation, join code, sound, language) open or closed. */
function openMenu(open) {
  const bar = $("topbar");
  bar.classList.toggle("menu-open", open);
  $("menu-toggle").setAttribute("aria-expanded", String(open));
}

buildFrame();

/** From now on the frame shows `s` (a Session, or null). */
export function follow(s) {
  session = s;
  lastRemaining = undefined;
  chimed = null;
  announcement = null;
}

/** The session the frame shows (null when none). */
export function current() {
  return session;
}

// --- the connection ----------------------------------------------------------------------------

/** The connection state in words, with how many own changes still wait for the server. */
export function showConn(state = connState) {
  connState = state;
  const node = $("conn-state");
  const base = { open: t("connOpen"), connecting: t("connConnecting"), offline: t("connOffline") }[state];
  const w = session?.boards ? session.boards.waiting() : { ops: 0, notes: 0, other: 0 };
  let text = base;
  if (w.ops && state !== "open") {
    const waiting = w.other === 0
      ? t(w.notes === 1 ? "waitingNote" : "waitingNotes", { n: w.notes })
      : t(w.ops === 1 ? "waitingChange" : "waitingChanges", { n: w.ops });
    text = `${base} — ${waiting}`;
  }
  node.dataset.state = state;
  node.dataset.waiting = String(w.ops);
  const words = node.querySelector(".conn-text") || node;
  if (words.textContent !== text) words.textContent = text;
  node.hidden = !session;
}

// --- messages ----------------------------------------------------------------------------------

let toastTimer = null;
/** A short message at the bottom (role=status); a second one within a moment goes below it. */
export function toast(message) {
  const node = $("toast");
  const lines = node.hidden ? [] : [...node.children].map((c) => c.textContent).slice(-2);
  if (!lines.includes(message)) lines.push(message);
  if (lines.length > 3) lines.shift();
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
export function sayNoop(outcome) {
  if (outcome.result !== "noop") return;
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

/**
 * The server refused an own op: say what went wrong in the user's language when we know the
 * code, and only that (the server's own words are in another language).
 */
export function sayRefused(code) {
  toast(t("opRejected", { message: localError(code) }));
}

export function banner(message) {
  const node = $("banner");
  node.textContent = message || "";
  node.hidden = !message;
}

const NOTICE_MS = 60_000;
let noticeTimer = null;
/**
 * The rotation / summons notice under the top bar (role=status), until closed or a minute; with
 * `action` ({label, onclick}) a button beside it, and then it stays until it is replaced.
 */
export function showNotice(message, action = null) {
  const node = $("rotation-notice");
  clearTimeout(noticeTimer);
  if (!message) { node.hidden = true; clear(node); return; }
  clear(node).append(...[
    el("span", { class: "notice-text" }, message), // text, or text with <bdi> names (R37)
    action ? el("button", { type: "button", class: "notice-action", id: "notice-action", text: action.label, onclick: action.onclick }) : null,
    el("button", {
      type: "button", class: "notice-close", "aria-label": t("closeNotice"), text: "×",
      onclick: () => showNotice(""),
    })].filter(Boolean));
  node.hidden = false;
  if (!action) noticeTimer = setTimeout(() => { node.hidden = true; }, NOTICE_MS);
}

let announcement = null; // {text, until?} as the control board has it (R56)

/** The facilitator's announcement for everyone (null: none); it goes by itself at `until`. */
export function showAnnouncement(a) {
  announcement = a?.text ? a : null;
  tickAnnouncement();
}

function tickAnnouncement() {
  const node = $("announcement");
  const a = announcement;
  const over = !a || (typeof a.until === "number" && session?.clock && session.clock.now() >= a.until);
  const text = over ? "" : a.text;
  if (node.textContent !== text) node.textContent = text;
  node.hidden = !text;
}

/** A session closed: nothing of it stays in the frame. */
export function reset() {
  banner("");
  showAnnouncement(null);
  showNotice("");
  openMenu(false);
  document.body.classList.remove("is-projector", "in-session");
  tickTimer();
}

// --- the top bar -------------------------------------------------------------------------------

function navButton(id, text, view) {
  return el("button", {
    type: "button", class: "navbtn", id, text,
    "aria-current": session.view === view ? "page" : null, onclick: () => session.show(view),
  });
}

export function renderChrome() {
  const s = session;
  const title = s?.session?.title || "";
  document.title = title ? `${title} · ${t("appTitle")}` : t("appTitle");
  $("brand").textContent = t("appTitle");
  const toggle = $("lang-toggle");
  toggle.textContent = t("langName"); // the other language, named in itself
  toggle.setAttribute("lang", t("langCode"));
  $("toast").setAttribute("aria-label", t("toastLabel"));
  const nav = clear($("topnav"));
  nav.setAttribute("aria-label", t("navLabel"));
  openMenu(false); // a page drawn anew starts with the phone's menu closed
  const name = $("session-name");
  name.textContent = title;
  name.hidden = !title;
  const code = $("session-code");
  document.body.classList.toggle("is-projector", !!s?.projector);
  document.body.classList.toggle("in-session", !!s?.session);
  const menu = $("menu-toggle");
  menu.setAttribute("aria-label", t("menu"));
  menu.textContent = "☰";
  menu.hidden = !s?.session || !!s.projector;
  if (s?.session) {
    code.hidden = false;
    code.textContent = formatCode(s.session.code);
    code.dataset.code = s.session.code;
    code.setAttribute("aria-label", `${t("joinCode")}: ${formatCode(s.session.code)}`);
    const facilitator = s.facilitator;
    if (s.me && !s.projector && (s.profiled || facilitator)) {
      if (facilitator && s.session.boards.length > 1) {
        nav.append(navButton("nav-overview", t("overview"), "overview"));
        if ((s.session.stations || []).length) nav.append(navButton("nav-stations", t("stationViewOpen"), "stations"));
      }
      nav.append(
        s.session.boards.length > 1
          ? el("button", { type: "button", class: "navbtn", id: "nav-corners", text: t("changeCorner"), onclick: () => s.show("corners") })
          : "",
        el("button", { type: "button", class: "navbtn", id: "nav-profile", text: t("changeProfile"), onclick: () => s.show("profile") }),
      );
      if (facilitator && s.view !== "overview") {
        nav.append(el("button", {
          type: "button", class: "navbtn", text: t("sessionInfo"),
          onclick: () => { s.showInfo = !s.showInfo; s.render(); },
        }));
      }
    }
  } else {
    code.hidden = true;
  }
  showConn(connState);
  tickTimer();
}

// --- sound at 0:00 on this screen (R55) ----------------------------------------------------------

const chime = new Chime();
const SOUND_KEY = "vh.sound";

/** Whether this screen chimes: its own choice, else on for a begeleider's page. */
function soundOn() {
  let kept = null;
  try { kept = localStorage.getItem(SOUND_KEY); } catch { /* ignore */ }
  return kept ? kept === "on" : !!session?.facilitator;
}

function toggleSound() {
  const on = !soundOn();
  try { localStorage.setItem(SOUND_KEY, on ? "on" : "off"); } catch { /* ignore */ }
  if (on) chime.unlock(); // this click is the gesture a browser wants before it plays sound
  showSound(session?.session ? session.control() : null);
}

/** The sound switch: there when the session chimes at 0:00 (timer.chime), on or off here. */
function showSound(ctl) {
  const node = $("sound-toggle");
  const shown = !!ctl?.timer?.chime;
  node.hidden = !shown;
  if (!shown) return;
  const on = soundOn();
  node.setAttribute("aria-pressed", String(on));
  node.title = t(on ? "soundOnHint" : "soundOffHint");
  const word = t("sound");
  if (node.textContent !== word) node.textContent = word;
}

// --- the round timer (R22, R55) ----------------------------------------------------------------

let lastRemaining;
let chimed = null;

/**
 * Top-bar timer (amber in the last minute, red at 0:00), the open view's own clock, the chime at
 * zero, and an announcement that ends by itself. Runs 4x a second.
 */
export function tickTimer() {
  const node = $("round-timer");
  const s = session;
  const ctl = s?.session ? s.control() : null;
  const show = !!ctl && (s.session.boards.length > 1 || !!ctl.timer?.running);
  node.hidden = !show;
  if (ctl) s.panel?.tick?.();
  tickAnnouncement();
  showSound(ctl);
  if (!show) return;
  const info = timerInfo(ctl, s.clock.now());
  const round = node.querySelector(".timer-round");
  const time = node.querySelector(".timer-time");
  const roundText = t("roundN", { n: info.round });
  if (round.textContent !== roundText) round.textContent = roundText;
  if (time.textContent !== info.text) time.textContent = info.text;
  node.dataset.state = info.state;
  const state = info.state === "running" ? "" : `, ${t(`timerStates.${info.state}`)}`;
  node.setAttribute("aria-label", `${t("timerAria")}: ${roundText}, ${info.text}${state}`);
  if (info.running) {
    // Once per round end, and only when this page saw the clock run down to zero.
    if (info.remaining <= 0 && info.chime && lastRemaining > 0 && chimed !== info.key) {
      chimed = info.key;
      if (soundOn() && chime.play()) node.dataset.chimed = info.key;
    }
  }
  lastRemaining = info.remaining;
}

setInterval(tickTimer, 250);

// --- phones: the field being typed stays above the on-screen keyboard ------------------------

/**
 * Where the keyboard only shrinks the visual viewport (iOS Safari; Chrome without
 * interactive-widget=resizes-content), scroll so the focused field is in the visible part,
 * below the frame at the top.
 */
const touchScreen = window.matchMedia?.("(pointer: coarse)");
function keepFieldVisible() {
  if (!touchScreen?.matches) return; // a laptop has no on-screen keyboard to dodge
  const field = document.activeElement;
  if (!field || !field.matches?.("textarea, input[type=text], input:not([type])")) return;
  if (field.closest("#frame-top")) return; // in the frame itself: always in view
  const vv = window.visualViewport;
  const top = (vv ? vv.offsetTop : 0) + ($("frame-top")?.getBoundingClientRect().bottom || 0);
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
