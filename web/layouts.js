// The layouts of a board, by the `layout` of its board record: the corner board's three
// stations, and each instrument as a working board of its own. A layout builds its skeleton
// once (its zones through view.zoneBox, so notes, drafts and dragging work the same
// everywhere) and updates its own parts from the board's state in update(extra, mirror).
// Optional: willRebuild(extra) (a drag in progress is cancelled first), listsFor and placed
// (lists of its own for notes: the corner board's clusters), dropInto (where a dragged note
// lands in a zone), destroy().

import { Achtje } from "./achtje.js";
import { CornerBoard } from "./corner.js";
import { Matrix } from "./matrix.js";
import { Praatplaat } from "./praatplaat.js";
import { Reflectietool } from "./reflectietool.js";

export const LAYOUTS = {
  stations: CornerBoard,
  praatplaat: Praatplaat,
  matrix: Matrix,
  achtje: Achtje,
  reflectietool: Reflectietool,
};
