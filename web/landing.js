// Where a session's page lands: the page a session opens on (a corner link's board after the
// profile, the overview for a begeleider, the board of last time), the board after the
// profile; and where the day moves it (R21): a new round sends a participant to their group's
// corner of that round (unless the group is free or unplanned); a summons sends participants,
// and screens and viewers on a board, to its corner, and back when it ends. What was seen is
// kept per session, so a reload does not move anyone twice. A move waits for a note being
// typed, and the new corner shows from its top.

import * as chrome from "./chrome.js";
import { boardOfCorner, cornerFor } from "./control.js";
import { bdi, el } from "./html.js";
import { t } from "./i18n.js";
import { loadedInstrument } from "./template.js";

/** Which view a freshly opened session shows. */
export function landingView(s) {
  const boards = s.session.boards;
  if (s.projector) return "projector";
  if (s.corner) {
    // A corner join link (/j/CODE/<instrument>): that corner's board, after the profile.
    const board = boardOfCorner(s.session, s.corner);
    s.corner = null;
    if (board) {
      s.boardId = board.id;
      s.save({ board: board.id });
      if (!s.profiled) { s.landing = board.id; return "profile"; }
      return "board";
    }
  }
  if (s.facilitator && boards.length > 1) return "overview";
  if (!s.profiled) return "profile";
  if (s.boardId && boards.some((b) => b.id === s.boardId)) return "board";
  return afterProfile(s);
}

/** After the profile: the board chosen meanwhile, the only one there is, or the corners. */
export function afterProfile(s) {
  const boards = s.session?.boards || [];
  if (s.landing && boards.some((b) => b.id === s.landing)) {
    // A corner link, a new round or a summons chose the corner while the profile was open.
    s.boardId = s.landing;
    s.landing = null;
    s.save({ board: s.boardId });
    return "board";
  }
  if (boards.length === 1) {
    s.boardId = boards[0].id;
    s.save({ board: s.boardId });
    return "board";
  }
  return "corners";
}

/** The corner the plan gives this page's group now (marked in the corner picker). */
export function ourCorner(s, ctl) {
  const role = s.me?.role;
  return role === "participant" || role === "facilitator" ? cornerFor(ctl, s.group) : null;
}

/** A corner's name inside a notice: isolated, since an imported board can name it (R37). */
function cornerTitle(board) {
  return bdi(loadedInstrument(board.instrument)?.title || board.title || board.instrument);
}

/**
 * The rotation or a summons sends the page of session `s` to `board`, saying why; the new corner
 * shows from its top, below the notice. A note being typed is not cut off: the notice says
 * where to go and waits until the note is sent (stamped with the round it was begun in, R53)
 * or dropped, or until "go now" is pressed.
 */
function moveTo(s, board, message) {
  s.heldMove = null;
  const here = s.view === "board" ? s.boardView : null;
  if (here && here.board.id !== board.id && here.editor.holding()) {
    s.heldMove = board.id;
    const go = () => {
      if (s.heldMove !== board.id || !s.live) return;
      moveTo(s, board, message);
    };
    chrome.showNotice(el("span", {}, message, " — ", t("draftHold")), {
      label: t("goNow"),
      onclick: () => { document.activeElement?.blur?.(); setTimeout(go, 0); }, // leaving the field sends it
    });
    here.editor.whenDone(go);
    return;
  }
  chrome.showNotice(message);
  s.boardId = board.id;
  s.save({ board: board.id });
  if (s.view === "profile") { s.landing = board.id; return; }
  if (here?.board.id === board.id) return;
  s.toTop = true;
  s.show("board");
}

/** The control state `ctl` of session `s` changed: move this page when the day says so. */
export function checkRotation(s, ctl) {
  const role = s.me?.role;
  const participant = role === "participant" && !s.projector;
  const roundChanged = s.seenRound !== null && ctl.round !== s.seenRound;
  if (ctl.round !== s.seenRound) {
    s.seenRound = ctl.round;
    s.save({ seenRound: ctl.round });
  }
  if (roundChanged) {
    const corner = participant ? cornerFor(ctl, s.group, ctl.round) : null;
    const board = corner ? boardOfCorner(s.session, corner) : null;
    if (board) {
      moveTo(s, board, t("rotationMove", { n: ctl.round, corner: cornerTitle(board) }));
    } else if (role !== "facilitator") {
      chrome.showNotice(t("roundStarted", { n: ctl.round }));
    }
  }
  const summon = ctl.summon;
  const seq = summon ? summon.seq : 0;
  if (seq === s.summonSeq) return;
  const before = s.summonSeq;
  s.summonSeq = seq;
  s.save({ summonSeq: seq });
  if (role === "facilitator") return;
  if (summon) {
    const board = boardOfCorner(s.session, summon.corner);
    if (!board) return;
    const message = t("summonMove", { corner: cornerTitle(board) });
    if (s.projector) chrome.showNotice(message);
    else if (participant || (role === "viewer" && s.view === "board")) moveTo(s, board, message);
  } else if (before && !roundChanged && participant) {
    // The summons is over: back to the group's corner of this round.
    const corner = cornerFor(ctl, s.group, ctl.round);
    const board = corner ? boardOfCorner(s.session, corner) : null;
    if (board) moveTo(s, board, t("summonEnded", { corner: cornerTitle(board) }));
    else chrome.showNotice(t("summonOver"));
  } else if (before && !roundChanged) {
    chrome.showNotice(t("summonOver"));
  }
}
