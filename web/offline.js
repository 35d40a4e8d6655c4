// What a page keeps in localStorage so venue Wi-Fi can come and go, even across a reload:
//
//   vh.q.<session>            OpJournal: ops sent but not yet acknowledged, oldest first. Each is
//                             {id, board, op}; a reload restores them (shown at once, pending) and
//                             sends them again with the SAME id, so the server stores each once
//                             (R5). An entry goes when its ack (or event) arrives, or when the
//                             server refuses the op.
//   vh.b.<participant>|<board> BoardCache: the last confirmed state of a board as this participant
//                             may read it, with its epoch and seq, so a reload shows the board at
//                             once and resumes from that seq (R8).
//   vh.templates              the instrument templates (titles, sections) for an offline start.
//   vh.s.<session>            what this browser keeps of a session: its token, who we are, name,
//                             group, the board it showed (session.js).
//   vh.code.<code>            the session a join code was last seen for.
//
// Several tabs of one session share the journal: every change re-reads it and touches only its
// own entries, and an op another tab also sends again is harmless (R5).

function read(key) {
  try { return JSON.parse(localStorage.getItem(key) || "null"); } catch { return null; }
}

function write(key, value) {
  const put = () => {
    if (value == null) localStorage.removeItem(key); else localStorage.setItem(key, JSON.stringify(value));
  };
  try {
    put();
    return true;
  } catch {
    // Storage full: the queue matters more than the kept boards, which can be fetched again.
    if (!key.startsWith("vh.q.")) return false;
    dropBoardCaches(() => true);
    try { put(); return true; } catch { return false; } // off: the page works, a reload forgets
  }
}

/** Remove the kept board states whose key passes `doomed(key, snapshot|null)`. */
function dropBoardCaches(doomed) {
  try {
    const keys = [];
    for (let i = 0; i < localStorage.length; i += 1) {
      const key = localStorage.key(i);
      if (key && key.startsWith("vh.b.")) keys.push(key);
    }
    for (const key of keys) if (doomed(key, read(key))) localStorage.removeItem(key);
  } catch { /* ignore */ }
}

const isEntry = (e) => e && typeof e.id === "string" && typeof e.board === "string"
  && e.op && typeof e.op.kind === "string";

export class OpJournal {
  constructor(sessionId) {
    this.key = `vh.q.${sessionId}`;
  }

  load() {
    const list = read(this.key);
    return Array.isArray(list) ? list.filter(isEntry) : [];
  }

  add(id, board, op) {
    const list = this.load();
    if (list.some((e) => e.id === id)) return;
    list.push({ id, board, op });
    write(this.key, list);
  }

  remove(ids) {
    const gone = new Set(ids);
    if (!gone.size) return;
    const list = this.load();
    const next = list.filter((e) => !gone.has(e.id));
    if (next.length !== list.length) write(this.key, next.length ? next : null);
  }

  clear() {
    write(this.key, null);
  }
}

const BOARD_CACHE_MAX = 1_500_000; // characters; a bigger board is not cached (localStorage ~5 MB)

const BOARD_CACHE_DAYS = 7; // kept states of other sessions older than this are dropped

export class BoardCache {
  constructor(participant) {
    this.prefix = `vh.b.${participant}|`;
    const old = Date.now() - BOARD_CACHE_DAYS * 86400_000;
    dropBoardCaches((key, snap) => !key.startsWith(this.prefix) && !(snap?.saved > old));
  }

  load(boardId) {
    const snap = read(this.prefix + boardId);
    return snap && snap.v === 1 && typeof snap.epoch === "string" ? snap : null;
  }

  save(boardId, snap) {
    let text;
    try { text = JSON.stringify({ ...snap, saved: Date.now() }); } catch { return; }
    if (text.length > BOARD_CACHE_MAX) { write(this.prefix + boardId, null); return; }
    try { localStorage.setItem(this.prefix + boardId, text); } catch { /* full: keep going */ }
  }
}

/** What this browser keeps of session `sid`: token, session, me, name, group, board, … */
export function kept(sid) {
  return read(`vh.s.${sid}`) || {};
}

/** Keep more of session `sid` (merged into what is kept); returns the whole. */
export function keep(sid, patch) {
  const next = { ...kept(sid), ...patch };
  write(`vh.s.${sid}`, next);
  return next;
}

/** Forget everything this browser kept of a session (it was deleted): who we were, the queue,
 * the boards. */
export function forgetKept(sid) {
  write(`vh.s.${sid}`, null);
  forgetSession(sid);
}

/** Forget the queued ops and kept boards of a session (its link was taken out, R33). */
export function forgetSession(sessionId) {
  write(`vh.q.${sessionId}`, null);
  dropBoardCaches((key) => key.includes(`|${sessionId}.`));
}

/** The session a join code was last seen for. */
export function sessionOfCode(code) {
  return read(`vh.code.${code}`);
}

export function rememberCode(code, sid) {
  write(`vh.code.${code}`, sid);
}

export function forgetCode(code) {
  write(`vh.code.${code}`, null);
}

export function loadTemplates() {
  return read("vh.templates");
}

export function saveTemplates(data) {
  if (data && Array.isArray(data.instruments) && data.instruments.length) write("vh.templates", data);
}

/** The service worker that keeps the app shell (sw.js); silently nothing where there is none. */
export function registerServiceWorker() {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.register("/sw.js").catch(() => { /* the app works without it */ });
}
