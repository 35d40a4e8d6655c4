// The pages of an open session, drawn from its Session (session.js): who are you (profile),
// the corners, a board, the facilitator's overview and station view, a screen (screens.js);
// and the page that says this link was taken out of the session (R33). Each page that loads
// something first checks, after loading, that it is still the one to show. A board's modules
// are loaded when a board opens (a phone shows "who are you" first), the begeleider's pages and
// the screens when they open (a phone never needs them).

import * as chrome from "./chrome.js";
import { boardOfCorner, groupsOf } from "./control.js";
import { clear, el } from "./html.js";
import { t } from "./i18n.js";
import { ourCorner } from "./landing.js";
import { instrumentsById } from "./template.js";
import { formatCode, linkRow } from "./ui.js";

const app = () => document.getElementById("app");

/** Whether `s` still shows `view` (it may have moved on while something loaded). */
const still = (s, view) => s.live && s.view === view;

export function render(s) {
  chrome.renderChrome();
  if (s.boardView && s.view !== "board") {
    s.boardView.destroy();
    s.boardView = null;
  }
  if (s.panel) {
    s.panel.destroy();
    s.panel = null;
  }
  if (!s.session) { renderLoading(); return; }
  const info = s.showInfo && s.facilitator && s.view !== "overview" ? sessionInfo(s) : null;
  if (s.view === "profile") renderProfile(s, info);
  else if (s.view === "board") renderBoard(s, info);
  else if (s.view === "overview" && s.facilitator) renderOverview(s);
  else if (s.view === "stations" && s.facilitator) renderStations(s);
  else if (s.view === "projector") renderProjector(s);
  else renderCorners(s, info);
}

export function renderLoading() {
  chrome.renderChrome();
  clear(app()).append(el("p", { class: "loading", text: t("connecting") }));
}

export function renderRemoved(role) {
  chrome.renderChrome();
  chrome.banner("");
  const facilitator = role === "facilitator";
  clear(app()).append(el("section", { class: "panel removed", id: "removed", role: "alert" },
    el("h1", { text: facilitator ? t("removedFacilitatorTitle") : t("removedTitle") }),
    el("p", { text: facilitator ? t("removedFacilitatorText") : t("removedText") }),
    el("a", { class: "ctl", href: "/", id: "removed-home", text: t("toHome") })));
}

function sessionInfo(s) {
  const origin = location.origin;
  const code = s.session.code;
  return el("section", { class: "panel session-info", id: "session-info" },
    el("h2", { text: t("createdTitle") }),
    el("div", { class: "code-row" },
      el("span", { class: "link-label", text: t("joinCode") }),
      el("strong", { class: "join-code", id: "join-code", dataset: { code }, text: formatCode(code) })),
    linkRow(t("joinLink"), `${origin}/j/${code}`, "join-link"),
    linkRow(t("facilitatorLink"), `${origin}/#t=${s.token}`, "facilitator-link"),
  );
}

// --- who are you -------------------------------------------------------------------------------

function renderProfile(s, info) {
  const name = el("input", {
    type: "text", id: "name", name: "name", maxlength: "60", autocomplete: "nickname",
    placeholder: t("namePlaceholder"), value: s.name,
  });
  const group = el("select", { id: "group", name: "group" },
    el("option", { value: "", text: t("noGroup") }),
    groupsOf(s.control(), s.session).map((g) => el("option", { value: g, text: g, selected: g === s.group })));
  const form = el("form", { class: "panel profile", id: "profile-form" },
    el("h1", { text: t("profileTitle") }),
    el("p", { class: "session-title", dir: "auto", text: s.session.title }),
    el("label", { for: "name", text: t("nameLabel") }), name,
    el("label", { for: "group", text: t("groupLabel") }), group,
    el("button", { type: "submit", class: "primary", id: "profile-continue", text: t("continue") }),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    s.setProfile(name.value.trim().slice(0, 60), group.value);
  });
  clear(app()).append(...[info, form].filter(Boolean));
  if (!info) name.focus();
  inviteToSignUp(s, "profile");
  chrome.sheetsAfterPaint(); // the stylesheets of the pages after this one (R61)
}

/** A participant is asked to sign up for the next design round (signup.js, loaded then). */
function inviteToSignUp(s, view) {
  if (s.me?.role !== "participant" || s.projector) return;
  Promise.all([import("./signup.js"), chrome.sheetsAfterPaint()]).then(([m]) => {
    if (still(s, view) && !document.getElementById("signup-invite")) app().append(m.signupInvite(s.session.code));
  }, () => { /* offline without it: the invitation waits for the next visit */ });
}

/** The profile's group list follows the control board's groups (without redrawing the form). */
export function syncProfileGroups(s, ctl) {
  const select = document.getElementById("group");
  if (!select || document.activeElement === select) return;
  const groups = groupsOf(ctl, s.session);
  const have = [...select.options].slice(1).map((o) => o.value);
  if (have.join("\n") === groups.join("\n")) return;
  const chosen = select.value || s.group;
  clear(select).append(el("option", { value: "", text: t("noGroup") }),
    ...groups.map((g) => el("option", { value: g, text: g, selected: g === chosen })));
}

// --- the corners, a board ----------------------------------------------------------------------

async function renderCorners(s, info) {
  const [byId] = await Promise.all([instrumentsById(), chrome.allSheets()]);
  if (!still(s, "corners")) return;
  s.follow([]);
  const control = s.control();
  const ours = ourCorner(s, control);
  s.renderedOurs = ours;
  const list = el("div", { class: "corners" },
    [...s.session.boards].sort((a, b) => a.corner - b.corner).map((b) => {
      const inst = byId.get(b.instrument);
      const mine = ours === b.instrument;
      return el("button", {
        type: "button", class: `corner corner-${b.corner}${mine ? " is-ours" : ""}`,
        dataset: { board: b.id, corner: String(b.corner), instrument: b.instrument },
        onclick: () => s.openBoard(b.id),
      },
      el("span", { class: "corner-num", text: t("corner", { n: b.corner }) }),
      mine ? el("span", { class: "corner-ours", text: t("yourCorner", { n: control.round }) }) : null,
      el("span", { class: "corner-title", text: inst?.title || b.title }),
      inst?.need ? el("span", { class: "corner-need", text: inst.need }) : null);
    }));
  clear(app()).append(...[info, el("h1", { class: "view-title", text: t("cornersTitle") }), list].filter(Boolean));
  inviteToSignUp(s, "corners");
}

async function renderBoard(s, info) {
  const board = s.session.boards.find((b) => b.id === s.boardId);
  if (!board) { s.show("corners"); return; }
  const [byId, { BoardView }] = await Promise.all([instrumentsById(), import("./board.js"), chrome.allSheets()]);
  if (!still(s, "board") || s.boardId !== board.id) return;
  s.follow([board.id]);
  s.boardView?.destroy();
  const root = el("div", { class: "board-root" });
  clear(app()).append(...[info, root].filter(Boolean));
  s.boardView = new BoardView({
    root, board, stations: s.session.stations, instrument: byId.get(board.instrument) || null,
    store: s.boards, me: s.me, controlId: s.controlId, notify: chrome.toast,
  });
  if (s.toTop) {
    // Moved here by the day (landing.js): the corner from its top, its title under the notice.
    s.toTop = false;
    window.scrollTo(0, 0);
  }
}

// --- the facilitator's pages -------------------------------------------------------------------

async function renderOverview(s) {
  const [byId, { Overview }] = await Promise.all([instrumentsById(), import("./overview.js"), chrome.allSheets()]);
  if (!still(s, "overview")) return;
  s.panel?.destroy();
  s.follow(s.session.boards.map((b) => b.id));
  const root = el("div", { class: "overview-root" });
  clear(app()).append(root);
  s.panel = new Overview({
    root, session: s.session, store: s.boards, controlId: s.controlId, token: s.token,
    clock: s.clock, instruments: byId, presence: s.presence,
    onOpenBoard: (boardId) => s.openBoard(boardId),
    onOpenStations: () => s.show("stations"),
    notify: chrome.toast,
    onCode: (code) => s.newCode(code),
    onDeleted: () => s.nav.deleted(s.sid),
  });
}

/** The facilitator's view of one station over all corner boards (clusters across boards). */
async function renderStations(s) {
  const [byId, { StationView }] = await Promise.all([instrumentsById(), import("./stationview.js"), chrome.allSheets()]);
  if (!still(s, "stations")) return;
  s.panel?.destroy();
  s.follow(s.session.boards.map((b) => b.id));
  const root = el("div", { class: "stations-root" });
  clear(app()).append(root);
  s.panel = new StationView({
    root, session: s.session, store: s.boards, controlId: s.controlId, token: s.token,
    instruments: byId, station: s.station || null, notify: chrome.toast,
    onStation: (station) => { s.station = station; },
    onOpenBoard: (boardId) => s.openBoard(boardId),
  });
}

// --- a screen ----------------------------------------------------------------------------------

/** A corner's screen, the join screen, the overview on the wall or the chooser (screens.js). */
async function renderProjector(s) {
  const board = boardOfCorner(s.session, s.projector);
  // Subscribe first: a big board's state travels while the modules and templates load.
  if (board) s.follow([board.id]);
  const [byId, screens] = await Promise.all([instrumentsById(), import("./screens.js"), chrome.allSheets()]);
  if (!still(s, "projector")) return;
  s.panel?.destroy();
  s.panel = screens.renderScreen(s, app(), byId);
}
