// The screens of a session (R58), opened with a screen's link (a viewer token: it watches, it
// never writes): the chooser that the link itself opens (each corner's screen, the overview, the
// join screen), a corner's screen (projector.js), the join screen for the plenary start (the QR
// code, the code and the address, big enough for the back of the room) and the overview on the
// wall (the round and its clock, every corner with who is there and how many notes, and a vote's
// result ranked per station over all corners, R59). Loaded only by a page that shows a screen.

import { boardOfCorner, groupsAt } from "./control.js";
import { timerInfo } from "./clock.js";
import { clear, el, iso } from "./html.js";
import { t } from "./i18n.js";
import "./i18n-staff.js";
import { ProjectorView } from "./projector.js";
import { formatCode } from "./ui.js";
import { cornerLabel, currentVote, ranking, resultLists } from "./votes.js";

/**
 * Draw the screen `s.projector` names (an instrument id, or `screen:join|overview|choose`) into
 * `root`; answers its panel (destroy, tick) or null.
 * @param {import("./session.js").Session} s
 * @param {HTMLElement} root
 * @param {Map<string, object>} byId  instrument templates
 */
export function renderScreen(s, root, byId) {
  const what = s.projector || "screen:choose";
  const sorted = [...s.session.boards].sort((a, b) => a.corner - b.corner);
  const o = { s, root, boards: sorted, byId };
  if (what === "screen:join") return new JoinScreen(o);
  if (what === "screen:overview") return new WallScreen(o);
  if (what === "screen:choose") return new ScreenChooser(o);
  const board = boardOfCorner(s.session, what) || s.session.boards.find((b) => b.id === what);
  if (!board) {
    clear(root).append(el("p", { class: "error", role: "alert", text: t("unknownCorner", { corner: what }) }));
    return null;
  }
  return new ProjectorView({
    root, session: s.session, board, instrument: byId.get(board.instrument) || null, store: s.boards,
    controlId: s.controlId, me: s.me, clock: s.clock,
  });
}

/** The address of another screen of the same link. */
function screenHref(token, param) {
  return `#t=${token}&${param}`;
}

/** The page as a screen of one kind (CSS: the join screen has no top bar); undone on destroy. */
function markBody(kind) {
  document.body.dataset.screen = kind;
  return () => { if (document.body.dataset.screen === kind) delete document.body.dataset.screen; };
}

class ScreenChooser {
  constructor({ s, root, boards, byId }) {
    this.unmark = markBody("choose");
    const link = (param, title, detail, id) => el("a", {
      class: "screen-choice", id, href: screenHref(s.token, param),
    }, el("strong", { class: "screen-choice-title", text: title }),
    detail ? el("span", { class: "screen-choice-detail", text: detail }) : null);
    clear(root).append(el("section", { class: "panel screen-chooser", id: "screen-chooser" },
      el("h1", { text: t("screenChooseTitle") }),
      el("p", { class: "session-title", dir: "auto", text: s.session.title }),
      el("p", { class: "intro", text: t("screenChooseIntro") }),
      el("nav", { class: "screen-choices", "aria-label": t("screenChooseTitle") },
        link("screen=join", t("screenJoin"), t("screenJoinDetail"), "screen-join"),
        link("screen=overview", t("screenOverview"), t("screenOverviewDetail"), "screen-overview"),
        boards.map((b) => link(`corner=${encodeURIComponent(b.instrument)}`,
          `${t("corner", { n: b.corner })}: ${byId.get(b.instrument)?.title || b.title}`,
          t("screenCornerDetail"), `screen-corner-${b.corner}`)))));
  }

  destroy() { this.unmark(); }
}

class JoinScreen {
  constructor({ s, root }) {
    this.unmark = markBody("join");
    const code = s.session.code;
    const host = location.host;
    clear(root).append(el("section", { class: "join-screen", id: "join-screen" },
      el("h1", { class: "join-screen-title", dir: "auto", text: s.session.title }),
      el("div", { class: "join-screen-body" },
        el("img", {
          class: "qr join-screen-qr", id: "join-screen-qr", src: `/qr/${encodeURIComponent(code)}.svg`,
          alt: t("qrSession"), width: "640", height: "640",
        }),
        el("div", { class: "join-screen-text" },
          el("p", { class: "join-screen-lead", text: t("joinScreenScan") }),
          el("p", { class: "join-screen-lead", text: t("joinScreenOr") }),
          el("p", { class: "join-screen-url", id: "join-screen-url", text: host }),
          el("p", { class: "join-screen-lead", text: t("joinScreenCode") }),
          el("p", { class: "join-screen-code", id: "join-screen-code", dataset: { code }, text: formatCode(code) }),
          // The day's second question (R47): the sign-up page, on the phone's own time.
          el("div", { class: "join-screen-signup", id: "join-screen-signup" },
            el("img", {
              class: "qr join-screen-signup-qr", src: `/qr/${encodeURIComponent(code)}/aanmelden.svg`,
              alt: t("joinScreenSignupQr"), width: "220", height: "220",
            }),
            el("p", { class: "join-screen-signup-text", text: t("joinScreenSignup") }))))));
  }

  destroy() { this.unmark(); }
}

class WallScreen {
  constructor({ s, root, boards, byId }) {
    this.s = s;
    this.boards = boards;
    this.unmark = markBody("overview");
    this.destroyed = false;
    s.follow(boards.map((b) => b.id));
    this.roundEl = el("span", { class: "wall-round", id: "wall-round" });
    this.timeEl = el("span", { class: "wall-time", id: "wall-time", role: "timer" });
    this.resultEl = el("section", { class: "wall-result", id: "wall-result", hidden: true });
    this.cards = new Map(boards.map((b) => [b.id, {
      planned: el("p", { class: "wall-planned" }),
      counts: el("ul", { class: "wall-counts" }),
    }]));
    clear(root).append(el("section", { class: "wall", id: "wall" },
      el("header", { class: "wall-head" },
        el("div", {},
          el("h1", { class: "wall-title", dir: "auto", text: s.session.title }),
          el("p", { class: "wall-code", text: `${t("joinCode")}: ${formatCode(s.session.code)}` })),
        el("div", { class: "wall-clock" }, this.roundEl, this.timeEl)),
      el("div", { class: "wall-corners" }, boards.map((b) => {
        const parts = this.cards.get(b.id);
        return el("section", { class: `wall-corner corner-${b.corner}`, dataset: { board: b.id } },
          el("p", { class: "corner-num", text: t("corner", { n: b.corner }) }),
          el("h2", { text: byId.get(b.instrument)?.title || b.title }),
          parts.planned, parts.counts);
      })),
      this.resultEl));
    this.unsub = s.boards.onChange(() => this.update());
    this.update();
  }

  destroy() {
    this.destroyed = true;
    this.unsub();
    this.unmark();
  }

  update() {
    const { s } = this;
    const ctl = s.control();
    if (this.destroyed || !ctl) return;
    const stations = s.session.stations || [];
    for (const b of this.boards) {
      const parts = this.cards.get(b.id);
      const groups = groupsAt(ctl, b.instrument);
      parts.planned.textContent = groups.length ? t("plannedHere", { groups: groups.map(iso).join(", ") }) : t("plannedNobody");
      const notes = [...s.boards.mirror(b.id).view().values()];
      parts.counts.replaceChildren(...stations.filter((st) => b.zones.includes(st.id)).map((st) => el("li", {},
        el("span", { text: st.title }), " ",
        el("strong", { text: String(notes.filter((n) => n.zone === st.id).length) }))));
    }
    // R59: a closed vote's result over every corner, ranked per station.
    const vote = currentVote(ctl, () => true);
    const closed = vote && !vote.open ? vote : null;
    this.resultEl.hidden = !closed;
    if (closed) {
      const items = this.boards.flatMap((b) => [...s.boards.mirror(b.id).view().values()].map((note) => ({ board: b, note })));
      this.resultEl.replaceChildren(el("h2", { text: t("resultTitle") }),
        el("div", { class: "wall-result-lists" }, ...resultLists(ranking(closed, ctl, items), stations, {
          limit: 5, corner: (b) => cornerLabel(ctl, b.instrument),
        })));
    }
    this.tick();
  }

  tick() {
    const ctl = this.s.control();
    if (this.destroyed || !ctl) return;
    const info = timerInfo(ctl, this.s.clock.now());
    const round = t("roundOf", { n: info.round, total: info.rounds });
    if (this.roundEl.textContent !== round) this.roundEl.textContent = round;
    if (this.timeEl.textContent !== info.text) this.timeEl.textContent = info.text;
    this.timeEl.dataset.state = info.state;
  }
}
