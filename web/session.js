// The one open session of this page, and the one owner of its state: the token and who we
// are, the session as the server describes it, which page shows and which board, this person's
// name and group, what the rotation last moved them for — and what of that this browser keeps
// in localStorage (offline.js: `vh.s.<session>`, `vh.code.<code>`). It owns the websocket and the board
// store, and does what the session's messages mean for it: welcome, presence, the control
// board's events (rotation, summons, a group that changed), errors, being taken out (R33).
// The pages are drawn from it by pages.js; the frame around them is chrome.js.

import { bdi } from "./html.js";
import * as chrome from "./chrome.js";
import { ServerClock } from "./clock.js";
import { controlIdOf } from "./control.js";
import { localError } from "./http.js";
import { t } from "./i18n.js";
import { BoardCache, forgetCode, forgetSession, keep, kept, OpJournal, rememberCode } from "./offline.js";
import * as pages from "./pages.js";
import { afterProfile, checkRotation, landingView, ourCorner } from "./landing.js";
import { Socket } from "./socket.js";
import { BoardStore } from "./state.js";

// --- the session -------------------------------------------------------------------------------

export class Session {
  /**
   * @param {string} token
   * @param {string} sid
   * @param {object} o
   * @param {boolean} [o.showInfo]     show the session info panel (facilitator)
   * @param {string|null} [o.projector] instrument id: this page is that corner's screen
   * @param {string|null} [o.corner]   instrument id from a corner join link: land on its board
   * @param {object} nav  leaving the session: {close(), home(message), openCreated(created),
   *   deleted(sid)} (app.js)
   */
  constructor(token, sid, { showInfo = false, projector = null, corner = null }, nav) {
    this.sid = sid;
    this.token = token;
    this.nav = nav;
    this.controlId = controlIdOf(sid);
    this.projector = projector;
    this.corner = corner;
    this.showInfo = showInfo;
    this.closed = false;
    // A projector is a screen, not a person: it keeps nothing in this browser's session storage
    // (a facilitator opening it in a new tab must not lose their own token and profile).
    const before = projector ? {} : kept(sid);
    const saved = projector ? {} : keep(sid, { token });
    this.session = null; // welcome.session
    this.me = null; // welcome.me
    this.presence = null; // the last presence frame (facilitators, R23)
    this.view = null; // profile | corners | board | overview | stations | projector
    this.boardId = saved.board || null;
    this.name = saved.name || "";
    this.group = saved.group || "";
    this.profiled = !!saved.profiled;
    this.seenRound = saved.seenRound ?? null;
    this.summonSeq = saved.summonSeq ?? null;
    this.landing = null; // a board chosen while the profile was open
    this.heldMove = null; // the board the day sends this page to once the note being typed is sent
    this.toTop = false; // the next board drawn shows from its top (the page was moved there)
    this.station = null; // the station view's station
    this.renderedOurs = undefined; // the corner marked "yours" when the corners were drawn
    this.fromCache = false;
    this.clock = new ServerClock();
    this.boardView = null;
    this.panel = null;
    this.before = before; // what was kept when the page opened it
    this.boards = null; // the board store, made by start()
    this.socket = null;
  }

  /** Whether this is still the page's session (a closed one ignores what still arrives). */
  get live() {
    return !this.closed && chrome.current() === this;
  }

  get facilitator() {
    return this.me?.role === "facilitator";
  }

  /**
   * Start, once this is the page's session (chrome.follow): the board store and what this
   * browser kept of it, the websocket; follow the control board, show what is known, connect.
   */
  start() {
    const { token, sid, projector } = this;
    const before = this.before;
    this.boards = new BoardStore((frame) => this.socket.send(frame));
    this.boards.onError((msg) => this.onServerError(msg));
    this.boards.onChange((boardId) => {
      if (!this.live) return;
      chrome.banner(this.boards.writable ? "" : t("readOnly"));
      chrome.showConn();
      if (boardId === this.controlId) this.onControl();
    });
    this.boards.onEvent((msg) => this.onEvent(msg));
    this.boards.onOutcome((outcome) => { if (this.live) chrome.sayNoop(outcome); });
    if (!projector) {
      // Flaky Wi-Fi (offline.js): unacked ops and the last states survive a reload. A page opened
      // again with the same token starts from what it knew: session, who we are, the boards.
      this.boards.journal = new OpJournal(sid);
      if (before.token === token && before.session?.id === sid && before.me?.participant) {
        this.session = before.session;
        this.me = before.me;
        this.fromCache = true;
        this.boards.ids.setParticipant(before.me.participant);
        this.boards.participant = before.me.participant;
        this.boards.useCache(new BoardCache(before.me.participant));
      }
      this.boards.restore(this.boards.journal.load());
    }
    this.socket = new Socket({
      hello: () => ({ token: this.token, name: this.name, group: this.group }),
      onState: (s) => { if (this.live) chrome.showConn(s); },
      onMessage: (msg) => this.onMessage(msg),
      onPong: (msg) => { if (this.live) this.clock.fromPong(msg); },
      onGone: () => this.removed(),
    });
    // The control board is followed on every page of the session (sent once joined, by resume).
    this.boards.subscribe(this.controlId);
    chrome.showConn(navigator.onLine === false ? "offline" : "connecting");
    if (this.session) {
      this.view = landingView(this);
      this.render();
    } else {
      pages.renderLoading();
    }
    this.socket.start();
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.boards?.flushCache();
    this.boardView?.destroy();
    this.panel?.destroy();
    this.socket?.close();
  }

  /** Keep more of this session in this browser (a projector keeps nothing). */
  save(patch) {
    if (!this.projector) keep(this.sid, patch);
  }

  render() {
    if (this.live) pages.render(this);
  }

  /** Show another page of the session. */
  show(view) {
    if (!this.live) return;
    this.view = view;
    this.render();
  }

  /** Open a board of the session (chosen, planned or summoned). */
  openBoard(boardId) {
    this.boardId = boardId;
    keep(this.sid, { board: boardId });
    this.show("board");
  }

  /** The page was opened again with this session's token (another link, the projector hash). */
  reopen({ projector = null, corner = null }) {
    this.projector = projector;
    if (corner) this.corner = corner;
    if (this.session) {
      if (projector) this.view = "projector";
      else if (this.view === "projector") this.view = null;
      if (this.view === null || corner) this.view = landingView(this);
    }
    this.render();
  }

  /** Follow exactly these boards (and the control board); presence counts where people look. */
  follow(boardIds) {
    const want = new Set([this.controlId, ...boardIds]);
    for (const id of [...this.boards.subscribed]) if (!want.has(id)) this.boards.unsubscribe(id);
    for (const id of want) if (!this.boards.subscribed.has(id)) this.boards.subscribe(id);
  }

  control() {
    return this.boards.mirror(this.controlId).control;
  }

  /** R33: the session has a new join code; the old one stops. This page shows the new one. */
  newCode(code) {
    if (!this.live || !this.session || this.session.code === code) return;
    forgetCode(this.session.code);
    this.session = { ...this.session, code };
    rememberCode(code, this.sid);
    keep(this.sid, { session: this.session });
    chrome.renderChrome();
  }

  // --- who we are ----------------------------------------------------------------------------

  /** The name and group from the profile form. */
  setProfile(name, group) {
    this.name = name;
    this.group = group;
    this.profiled = true;
    keep(this.sid, { name, group, profiled: true });
    if (this.me?.role !== "viewer") {
      // The control board keeps who is in which group (R21); the hello carries it too.
      this.boards.op(this.controlId, { kind: "group.join", group });
    }
    this.socket.sendHello(); // a new hello on the same socket updates who we are
    this.view = afterProfile(this);
    this.render();
  }

  /** Our group as the control board has it now. */
  setGroup(group) {
    this.group = group;
    if (this.me) this.me = { ...this.me, group };
    keep(this.sid, { group });
  }

  hasPendingJoin() {
    return this.boards.mirror(this.controlId).hasPending("group.join");
  }

  // --- messages ------------------------------------------------------------------------------

  onMessage(msg) {
    if (!this.live) return;
    if (msg.type === "welcome") {
      this.welcome(msg);
      return;
    }
    if (msg.type === "presence") {
      this.presence = msg;
      this.panel?.setPresence?.(msg);
      return;
    }
    // Whoever shows an error shows it in the page's language, never the server's own words.
    if (msg.type === "error") msg = { ...msg, message: localError(msg.code) };
    this.boards.handle(msg);
  }

  welcome(msg) {
    const first = !this.session;
    const changed = this.fromCache && JSON.stringify(this.session) !== JSON.stringify(msg.session);
    const fromCache = this.fromCache;
    this.fromCache = false;
    this.session = msg.session;
    this.me = msg.me;
    if (first) this.boards.ids.setParticipant(msg.me.participant);
    this.boards.participant = msg.me.participant || "";
    if (!this.projector) {
      keep(this.sid, { session: msg.session, me: msg.me });
      if (!this.boards.cache && msg.me.participant) this.boards.useCache(new BoardCache(msg.me.participant));
    }
    rememberCode(msg.session.code, this.sid);
    this.clock.fromWelcome(msg.server_time);
    this.syncClock();
    // The control board knows this participant's group (set by them or the facilitator); it
    // wins, unless our own group.join is still on its way.
    const group = msg.me.group || "";
    if (msg.me.role !== "viewer" && group !== this.group && !this.hasPendingJoin()) {
      this.group = group;
      keep(this.sid, { group });
    }
    this.boards.resume();
    if (first || this.view === null) {
      this.view = landingView(this);
      this.render();
    } else if (changed || (fromCache && this.view === "overview")) {
      this.render(); // the session is not what was kept, or the overview's links wait for the network
    } else {
      chrome.renderChrome();
    }
  }

  /** A few pings right after joining, so the clock is right within a round trip (R22). */
  syncClock() {
    for (const delay of [0, 300, 1200, 4000]) {
      setTimeout(() => { if (this.live) this.socket.ping(); }, delay);
    }
  }

  /**
   * Control-board events about me: a facilitator put me in a group, my own pick landed, or my
   * new round length waits for the next round (R55).
   */
  onEvent(msg) {
    if (!this.live || msg.board !== this.controlId || msg.result !== "applied") return;
    const op = msg.op || {};
    const me = this.me?.participant;
    if (!me) return;
    if (op.kind === "timer.set" && msg.actor?.participant === me && msg.after?.timer?.running) {
      chrome.toast(t("timerSetNext", { min: Math.round(op.seconds / 60) }));
      return;
    }
    let group = null;
    if (op.kind === "group.assign" && op.participant === me) group = op.group || "";
    else if (op.kind === "group.join" && msg.actor?.participant === me) group = op.group || "";
    if (group === null) return;
    const changed = group !== this.group;
    this.setGroup(group);
    if (op.kind === "group.assign" && changed) {
      this.socket.sendHello(); // the connection speaks for the new group from now on
      chrome.showNotice(group ? t("assignedTo", { group: bdi(group) }) : t("assignedNone"));
      if (this.view === "profile" || this.view === "corners") this.render();
    }
  }

  /** The control state changed: announcement, timer, and whether this page has to move. */
  onControl() {
    const ctl = this.control();
    if (!ctl || !this.session) return;
    chrome.showAnnouncement(ctl.announcement);
    if (this.group && this.me?.role !== "viewer" && Array.isArray(ctl.groups) && !ctl.groups.includes(this.group)
        && !this.hasPendingJoin()) {
      // The facilitator removed or renamed our group: we are in none now (the server dropped us).
      this.setGroup("");
      this.socket.sendHello();
      chrome.showNotice(t("groupGone"));
    }
    if (this.view === "profile") pages.syncProfileGroups(this, ctl);
    checkRotation(this, ctl);
    if (this.live && this.view === "corners" && this.renderedOurs !== undefined
        && this.renderedOurs !== ourCorner(this, ctl)) this.render();
    chrome.tickTimer();
  }

  onServerError(msg) {
    if (!this.live) return;
    if (msg.code === "removed") {
      this.removed();
      return;
    }
    if (msg.code === "bad_token") {
      this.nav.close();
      keep(this.sid, { token: null });
      this.nav.home(t("badToken"));
      return;
    }
    if (msg.code === "store_unavailable" || msg.code === "rate_limited" || msg.code === "not_joined") {
      return; // retried by the board store / after the next welcome
    }
    chrome.sayRefused(msg.code);
  }

  /**
   * R33: a begeleider took this participant out of the session (or revoked this begeleider
   * link). The server said `removed` and closed with 4003: no reconnecting, nothing queued is
   * sent any more, and the page says so plainly. A reload (or the link again) says the same.
   */
  removed() {
    if (!this.live) return;
    const role = this.me?.role || "participant";
    this.boards.dropPending();
    this.nav.close();
    forgetSession(this.sid); // the queued ops and kept boards of this session
    keep(this.sid, { removed: true, session: null });
    pages.renderRemoved(role);
  }
}
