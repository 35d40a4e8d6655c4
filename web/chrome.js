// The frame around every page: the top bar (brand, join code, round timer, navigation,
// connection state with the changes still waiting, language), the banners (store down,
// announcement), the rotation notice, toasts, the chime at a round's end (R22), and keeping
// the field being typed above a phone's keyboard. It follows the page's one session
// (`follow`), read from session.js's Session.

import { Chime, timerInfo } from "./clock.js";
import { clear, el } from "./html.js";
import { knownError } from "./http.js";
import { t } from "./i18n.js";
import { formatCode } from "./ui.js";

const $ = (id) => document.getElementById(id);

let session = null; // the page's session, or null (home, a snapshot page)
let connState = "offline";

/** From now on the frame shows `s` (a Session, or null). */
export function follow(s) {
  session = s;
  lastRemaining = undefined;
  chimed = null;
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
  if (node.textContent !== text) node.textContent = text;
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
  const message = knownError(code) || t("errorCodes.unknown", { code: code || "?" });
  toast(t("opRejected", { message }));
}

export function banner(message) {
  const node = $("banner");
  node.textContent = message || "";
  node.hidden = !message;
}

const NOTICE_MS = 60_000;
let noticeTimer = null;
/** The rotation / summons notice under the top bar (role=status), until closed or a minute. */
export function showNotice(message) {
  const node = $("rotation-notice");
  clearTimeout(noticeTimer);
  if (!message) { node.hidden = true; clear(node); return; }
  clear(node).append(
    el("span", { class: "notice-text" }, message), // text, or text with <bdi> names (R37)
    el("button", {
      type: "button", class: "notice-close", "aria-label": t("closeNotice"), text: "×",
      onclick: () => showNotice(""),
    }));
  node.hidden = false;
  noticeTimer = setTimeout(() => { node.hidden = true; }, NOTICE_MS);
}

export function showAnnouncement(text) {
  const node = $("announcement");
  if (node.textContent !== (text || "")) node.textContent = text || "";
  node.hidden = !text;
}

/** A session closed: nothing of it stays in the frame. */
export function reset() {
  banner("");
  showAnnouncement("");
  showNotice("");
  document.body.classList.remove("is-projector");
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
  document.title = t("appTitle");
  $("brand").textContent = t("appTitle");
  const toggle = $("lang-toggle");
  toggle.textContent = t("langName"); // the other language, named in itself
  toggle.setAttribute("lang", t("langCode"));
  $("toast").setAttribute("aria-label", t("toastLabel"));
  const nav = clear($("topnav"));
  nav.setAttribute("aria-label", t("navLabel"));
  const code = $("session-code");
  const s = session;
  document.body.classList.toggle("is-projector", !!s?.projector);
  if (s?.session) {
    code.hidden = false;
    code.textContent = formatCode(s.session.code);
    code.dataset.code = s.session.code;
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

// --- the round timer (R22) ---------------------------------------------------------------------

const chime = new Chime();
let lastRemaining;
let chimed = null;

/** Top-bar timer, the open view's own clock, and the chime at zero. Runs 4x a second. */
export function tickTimer() {
  const node = $("round-timer");
  const s = session;
  const ctl = s?.session ? s.control() : null;
  const show = !!ctl && (s.session.boards.length > 1 || !!ctl.timer?.running);
  node.hidden = !show;
  if (ctl) s.panel?.tick?.();
  if (!show) return;
  const info = timerInfo(ctl, s.clock.now());
  const round = node.querySelector(".timer-round");
  const time = node.querySelector(".timer-time");
  const roundText = t("roundN", { n: info.round });
  if (round.textContent !== roundText) round.textContent = roundText;
  if (time.textContent !== info.text) time.textContent = info.text;
  node.dataset.state = info.state;
  node.setAttribute("aria-label", `${t("timerAria")}: ${roundText}, ${info.text}`);
  if (info.running) {
    // Once per round end, and only when this page saw the clock run down to zero.
    if (info.remaining <= 0 && info.chime && lastRemaining > 0 && chimed !== info.key) {
      chimed = info.key;
      chime.play();
    }
  }
  lastRemaining = info.remaining;
}

setInterval(tickTimer, 250);

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
