"""One source for every rule: the browser's board mirror against the server's rules (issue 17).

The same op logs — notes added, edited, recoloured, pinned, moved across zones and back,
clustered and then moved to another station, hidden, deleted and restored; the matrix's columns,
the 8-tje's partners and flags, the reflectietool's reflections and scores; clusters and dot
votes on the control board — run through ``server.board.apply`` (the server's own ``Room``
turns each applied entry into the frames a facilitator's connection gets) and through the
browser's own state module (web/state.js) in Chromium, fed exactly those frames. After every
frame the browser's mirror must equal the server's state in every field both keep: the notes
(all of ``Note.to_dict()``), the deleted notes, the board's mode and editing, the columns,
partners, flags, reflections and scores, the reflectietool's aggregates as the browser computes
them, the control state (clusters, votes and their totals), each note's live cluster with
merges followed. And each own op, shown optimistically before the server answers, must show
what the server then makes of it. A rule changed on one side only fails here.

web/ops.js is generated from the server's published protocol schema (every op's declared
rules, fields, defaults and limits); ``test_web_ops_module_is_the_published_schema`` fails when
it is stale. Regenerate it with::

    .venv/bin/python tests/test_golden.py --write
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server import protocol  # noqa: E402
from server.board import Actor, Entry, check  # noqa: E402
from server.boardstate import BoardState  # noqa: E402
from server.protocol import BOARD_OP  # noqa: E402
from server.room import Room  # noqa: E402
from server.session import new_session as make_session  # noqa: E402
from server.templates import catalog  # noqa: E402

OPS_JS = ROOT / "web" / "ops.js"

HEADER = """\
// GENERATED from the server's published protocol schema (/api/protocol.schema.json, made by
// server/protocol.py): every op kind with its declared rules — who may send it (`senders`), on
// which boards it belongs (`boards`), whether it changes what someone may read (`reveals`),
// whether its event alone cannot say what changed (`redraws`), whether it carries or removes a
// note's text — and its fields with their defaults and limits. The browser derives its lists of
// op kinds from here (rules.js) instead of keeping its own. Do not edit by hand: regenerate with
// `.venv/bin/python tests/test_golden.py --write`; tests/test_golden.py fails when it is stale.
"""

FIELD_KEYS = ("type", "default", "enum", "maxLength", "minimum", "maximum")


def _field(spec: dict[str, Any], required: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    branches = spec.get("anyOf")
    if branches:
        kinds = [b for b in branches if b.get("type") != "null"]
        if len(kinds) < len(branches):
            out["nullable"] = True
        spec = {**(kinds[0] if len(kinds) == 1 else {}), **{k: v for k, v in spec.items()
                                                           if k != "anyOf"}}
    if "const" in spec:
        out["enum"] = [spec["const"]]
    for key in FIELD_KEYS:
        if key in spec:
            out[key] = spec[key]
    if required:
        out["required"] = True
    return out


def ops_table(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per op kind: its declared rules and its fields, from a published protocol schema."""
    defs = schema["client"]["$defs"]
    mapping = defs["OpFrame"]["properties"]["op"]["discriminator"]["mapping"]
    table: dict[str, dict[str, Any]] = {}
    for kind in sorted(schema["ops"]):
        model = defs[mapping[kind].rsplit("/", 1)[1]]
        required = set(model.get("required", ()))
        fields = {name: _field(spec, name in required)
                  for name, spec in model["properties"].items() if name != "kind"}
        table[kind] = {**schema["ops"][kind], "fields": fields}
    return table


def render_ops_module(schema: dict[str, Any]) -> str:
    table = ops_table(schema)
    lines = [HEADER, "export const OPS = {"]
    for kind, entry in table.items():
        lines.append(f"  {json.dumps(kind)}: {json.dumps(entry, ensure_ascii=False)},")
    lines.append("};")
    lines.append("")
    lines.append(f"export const PROTOCOL_VERSION = {schema['version']};")
    lines.append("")
    return "\n".join(lines)


def test_web_ops_module_is_the_published_schema() -> None:
    """web/ops.js says what the server publishes, op for op (else: regenerate it)."""
    want = render_ops_module(protocol.json_schema())
    have = OPS_JS.read_text(encoding="utf-8") if OPS_JS.exists() else ""
    assert have == want, ("web/ops.js is stale: run `.venv/bin/python tests/test_golden.py "
                          "--write` and commit the result")


def test_R37_the_session_title_field_allows_what_the_server_keeps() -> None:
    """The organiser's title field (web/organiser.js) is no longer or shorter than the title
    the server keeps (protocol.MAX_SESSION_TITLE): one rule, checked from both sides."""
    source = (ROOT / "web" / "organiser.js").read_text(encoding="utf-8")
    found = re.search(r'id: "session-title",[^}]*?maxlength: "(\d+)"', source)
    assert found, "web/organiser.js: the session-title field has no maxlength"
    assert int(found.group(1)) == protocol.MAX_SESSION_TITLE


# --- the server's side: boards, the frames a connection gets -------------------------------------

FAC = Actor("f1", "Femke", "", "facilitator")
AN = Actor("p1", "An", "Groep 1")
BO = Actor("p2", "Bo", "Groep 2")
ACTORS = {a.participant: a for a in (FAC, AN, BO)}
# The two pages that follow every board: a begeleider (sees everything, the deleted notes too)
# and a participant (texts withheld from them are redacted, R28).
PAGES = {"fac": FAC, "p2": BO}


class _Conn:
    """What a ``Room`` needs of a connection: who it is, and where its frames go."""

    def __init__(self, actor: Actor) -> None:
        self.grant = SimpleNamespace(role=actor.role, participant=actor.participant)
        self.actor = actor
        self.frames: list[dict[str, Any]] = []

    def send(self, text: str) -> None:
        self.frames.append(json.loads(text))

    def take(self) -> list[dict[str, Any]]:
        out, self.frames = self.frames, []
        return out


class World:
    """A four-corner session and three working boards, each a server ``Room`` in memory
    (no store, no event loop): ``do`` checks an op as admission does (``board.check``), applies
    it with ``board.apply`` (through ``Room._apply``, which makes the frames every connection
    gets) and records what each page received."""

    def __init__(self) -> None:
        cat = catalog()
        four = make_session(cat, "vier-hoeken")
        self.control_id = four.control_id
        self.corner = four.boards[0]
        infos = [four.control(), *four.boards[:1]]
        for template in ("matrix", "achtje", "reflectietool"):
            infos.append(make_session(cat, template).boards[0])
        self.infos = {i.id: i for i in infos}
        self.rooms: dict[str, Room] = {}
        self.conns: dict[str, dict[str, _Conn]] = {}
        registry = SimpleNamespace(store=None, exchange=None, taken_out=lambda *a: None)
        for info in infos:
            state = BoardState(info.id, tuple(info.zones), spec=info.spec())
            room = Room(registry, info, "e1", state)  # type: ignore[arg-type]
            conns = {page: _Conn(actor) for page, actor in PAGES.items()}
            room.subscribers.update(conns.values())  # type: ignore[arg-type]
            self.rooms[info.id] = room
            self.conns[info.id] = conns
        self.steps: list[dict[str, Any]] = []
        self.ts = 1_700_000_000.0

    def of(self, layout: str) -> str:
        """The working board of this layout."""
        return next(i.id for i in self.infos.values() if i.layout == layout)

    def start(self) -> dict[str, Any]:
        """The state frames each page gets when it subscribes."""
        out: dict[str, list[dict[str, Any]]] = {page: [] for page in PAGES}
        for board, room in self.rooms.items():
            for page, conn in self.conns[board].items():
                out[page].append(json.loads(room.state_frame_for(conn)))  # type: ignore[arg-type]
        return out

    def do(self, board: str, who: Actor, op: dict[str, Any], result: str = "applied") -> None:
        room = self.rooms[board]
        parsed = BOARD_OP.validate_python(op)
        refused = check(room.state, parsed)
        assert refused is None, (op, refused)
        seq = room.state.seq + 1
        self.ts += 1.5
        op_id = f"{who.participant}:{seq}:{op['kind']}"
        ctl = self.rooms[self.control_id].state.control
        entry = Entry(seq, op_id, self.ts, who, ctl.round if ctl else 1, parsed)
        outcome = room._apply(entry)
        assert outcome.result == result, (op, outcome)
        self.steps.append({
            "board": board, "actor": who.participant, "id": op_id, "op": op,
            "frames": {page: conn.take() for page, conn in self.conns[board].items()},
            "expect": {page: self.expected(board, actor) for page, actor in PAGES.items()},
        })

    def expected(self, board: str, reader: Actor) -> dict[str, Any]:
        """The board as the server holds it, as ``reader`` may read it; and each note of the
        corner board with its live cluster (merges followed) and its dots per vote."""
        state = self.rooms[board].state
        if reader.role == "facilitator":
            public = state.public_dict()
        else:
            public = json.loads(state.public_json(trash=False, redact_for=reader.participant))
        ctl = self.rooms[self.control_id].state.control
        assert ctl is not None
        corner = self.rooms[self.corner.id].state
        public["clusters_of"] = {n.id: ctl.resolve(n.cluster) for n in corner.notes.values()}
        votes = ctl.public()["votes"]  # each vote's record, its totals as the server keeps them
        public["dots"] = {vid: {n.id: v["totals"].get(f"{corner.board_id}/{n.id}", 0)
                                for n in corner.notes.values()} for vid, v in votes.items()}
        return dict(json.loads(json.dumps(public)))


# --- the logs ---------------------------------------------------------------------------------

Op = dict[str, Any]


def note(**fields: Any) -> Op:
    return {"kind": "note.add", **fields}


def cluster(cid: str, station: str, **fields: Any) -> Op:
    return {"kind": "cluster.add", "cluster": cid, "station": station, **fields}


def flag(name: str, level: str, on: bool) -> Op:
    return {"kind": "flag.set", "flag": name, "level": level, "on": on}


def corner_log(w: World) -> None:
    """Notes on a corner board, clustered on the control board, moderated, voted on."""
    b, c = w.corner.id, w.control_id
    parts = w.corner.parts
    w.do(b, AN, note(note="n1", zone="relevantie", text="Stages in de regio", x=0, y=1))
    w.do(b, BO, note(note="n2", zone="tips", text="Gastlessen", color="pink", part=parts[1]))
    w.do(b, FAC, note(note="n3", zone="toepasbaarheid", text="Een handleiding", y=2))
    w.do(b, AN, note(note="n4", zone="tips", text="Open dag"))
    w.do(b, AN, {"kind": "note.edit", "note": "n1", "text": "Stages in de regio, ook klein"})
    w.do(b, AN, {"kind": "note.color", "note": "n1", "color": "green"})
    w.do(b, FAC, {"kind": "note.edit", "note": "n2", "text": "Gastlessen (aangevuld)"})
    w.do(b, BO, {"kind": "note.pin", "note": "n2", "part": parts[2]})
    w.do(b, FAC, {"kind": "note.pin", "note": "n3", "part": parts[0]})
    w.do(b, BO, {"kind": "note.pin", "note": "n2", "part": None})
    # Moved across zones and back, and within a zone.
    w.do(b, AN, {"kind": "note.move", "note": "n1", "x": 0, "y": 3, "zone": "tips"})
    w.do(b, AN, {"kind": "note.move", "note": "n1", "x": 0, "y": 0.5, "zone": "relevantie"})
    w.do(b, AN, {"kind": "note.move", "note": "n1", "x": 0, "y": 7})
    # Clusters (R26): made on the control board, a note's cluster is a field of the note.
    w.do(c, FAC, cluster("c1", "tips", title="Lessen"))
    w.do(c, FAC, cluster("c2", "relevantie", title="Stages"))
    w.do(c, FAC, cluster("c3", "tips"))
    w.do(b, FAC, {"kind": "note.cluster", "note": "n2", "cluster": "c1"})
    w.do(b, FAC, {"kind": "note.cluster", "note": "n4", "cluster": "c3"})
    # Clustered in "tips", then moved to another station: it leaves its cluster.
    w.do(b, FAC, {"kind": "note.move", "note": "n2", "x": 0, "y": 2, "zone": "relevantie"})
    w.do(b, FAC, {"kind": "note.cluster", "note": "n2", "cluster": "c2"})
    w.do(b, FAC, {"kind": "note.move", "note": "n2", "x": 0, "y": 4, "zone": "relevantie"})
    w.do(b, FAC, {"kind": "note.cluster", "note": "n1", "cluster": "c2"})
    w.do(b, AN, {"kind": "note.move", "note": "n1", "x": 0, "y": 1, "zone": "toepasbaarheid"})
    w.do(b, AN, {"kind": "note.move", "note": "n1", "x": 0, "y": 1, "zone": "relevantie"})
    w.do(c, FAC, {"kind": "cluster.rename", "cluster": "c1", "title": "Lessen & gasten"})
    w.do(c, FAC, {"kind": "cluster.merge", "cluster": "c3", "into": "c1"})
    w.do(c, FAC, {"kind": "cluster.undo"})
    w.do(c, FAC, {"kind": "cluster.merge", "cluster": "c3", "into": "c1"})
    w.do(b, FAC, {"kind": "note.cluster", "note": "n3", "cluster": None})
    w.do(b, FAC, {"kind": "note.cluster", "note": "n1", "cluster": None})
    w.do(b, FAC, {"kind": "cluster.undo"})  # n1 back into c2: the server's state follows
    w.do(c, FAC, {"kind": "cluster.remove", "cluster": "c2"})
    # Moderation (R28): hidden, shown; shared editing (R32); hidden until reveal.
    w.do(b, FAC, {"kind": "note.hide", "note": "n3"})
    w.do(b, AN, note(note="n5", zone="tips", text="Nog een idee"))
    w.do(b, FAC, {"kind": "note.hide", "note": "n3", "hidden": False})
    w.do(b, FAC, {"kind": "board.editing", "editing": "shared"})
    w.do(b, BO, {"kind": "note.edit", "note": "n1", "text": "Stages, ook bij kleine bedrijven"})
    w.do(b, FAC, {"kind": "board.mode", "mode": "hidden"})
    w.do(b, AN, note(note="n6", zone="relevantie", text="Geheim tot de onthulling"))
    w.do(b, AN, {"kind": "note.edit", "note": "n6", "text": "Nog steeds geheim"})
    w.do(b, BO, note(note="n7", zone="tips", text="Van Bo, verborgen voor anderen"))
    w.do(b, FAC, {"kind": "note.hide", "note": "n4"})
    w.do(b, FAC, {"kind": "board.mode", "mode": "open"})
    w.do(b, FAC, {"kind": "board.editing", "editing": "own"})
    # Deleted and restored; an edit that raced a delete is a recorded no-op (R10).
    w.do(b, BO, {"kind": "note.delete", "note": "n2"})
    w.do(b, AN, {"kind": "note.edit", "note": "n2", "text": "te laat"}, result="noop")
    w.do(b, FAC, {"kind": "note.restore", "note": "n2"})
    w.do(b, AN, {"kind": "note.delete", "note": "n5"})
    w.do(b, FAC, {"kind": "note.delete", "note": "n4"})
    w.do(b, FAC, {"kind": "note.restore", "note": "n4"})
    # Dot votes (R27): anonymous and named, a dot taken back, a closed and dismissed vote.
    w.do(c, FAC, {"kind": "vote.open", "vote": "v1", "board": b, "station": "tips", "budget": 3,
                  "cap": 2, "anonymous": True})
    w.do(c, AN, {"kind": "vote.cast", "vote": "v1", "board": b, "note": "n7", "delta": 1})
    w.do(c, BO, {"kind": "vote.cast", "vote": "v1", "board": b, "note": "n7", "delta": 1})
    w.do(c, BO, {"kind": "vote.cast", "vote": "v1", "board": b, "note": "n4", "delta": 1})
    w.do(c, AN, {"kind": "vote.cast", "vote": "v1", "board": b, "note": "n7", "delta": -1})
    w.do(c, FAC, {"kind": "vote.close", "vote": "v1"})
    w.do(c, FAC, {"kind": "vote.dismiss", "vote": "v1"})  # its result off the boards (R59)
    w.do(c, FAC, {"kind": "vote.open", "vote": "v2", "budget": 2, "cap": 1, "anonymous": False})
    w.do(c, AN, {"kind": "vote.cast", "vote": "v2", "board": b, "note": "n1", "delta": 1})
    w.do(c, BO, {"kind": "vote.cast", "vote": "v2", "board": b, "note": "n1", "delta": 1})
    w.do(c, FAC, {"kind": "vote.cast", "vote": "v2", "board": b, "note": "n3", "delta": 1})
    # A locked board: a participant's op that passed its check meets the lock (R28, R10).
    w.do(b, FAC, {"kind": "board.mode", "mode": "locked"})
    w.do(b, AN, {"kind": "note.color", "note": "n1", "color": "blue"}, result="noop")
    w.do(b, FAC, {"kind": "note.color", "note": "n1", "color": "orange"})
    w.do(b, FAC, {"kind": "board.mode", "mode": "open"})


def working_log(w: World) -> None:
    """The matrix's columns, the 8-tje's partners and flags, the reflectietool's scores."""
    m, a, r = w.of("matrix"), w.of("achtje"), w.of("reflectietool")
    w.do(m, AN, {"kind": "column.add", "column": "k1", "title": "Open dag"})
    w.do(m, BO, {"kind": "column.add", "column": "k2", "title": "Gastles"})
    w.do(m, FAC, {"kind": "column.add", "column": "k0", "title": "Eerst", "index": 0})
    w.do(m, AN, {"kind": "note.add", "note": "m1", "zone": "impact@k1", "text": "leerlingen"})
    w.do(m, BO, {"kind": "note.add", "note": "m2", "zone": "doelen", "text": "doel"})
    w.do(m, BO, {"kind": "note.add", "note": "m3", "zone": "meten@k2", "text": "tellen"})
    w.do(m, FAC, {"kind": "column.move", "column": "k2", "index": 0})
    w.do(m, AN, {"kind": "column.rename", "column": "k1", "title": "Open dag vmbo"})
    w.do(m, BO, {"kind": "note.move", "note": "m2", "x": 0, "y": 2, "zone": "doelen@k1"})
    w.do(m, BO, {"kind": "note.delete", "note": "m3"})
    w.do(m, FAC, {"kind": "column.remove", "column": "k1"})  # m2 back to its row
    w.do(m, FAC, {"kind": "column.remove", "column": "k2"})  # the deleted m3 too
    w.do(m, FAC, {"kind": "note.restore", "note": "m3"})
    w.do(m, AN, {"kind": "column.move", "column": "k0", "index": 5})
    w.do(a, AN, {"kind": "partner.name", "partner": "partner-a", "name": "Gemeente"})
    w.do(a, FAC, {"kind": "partner.name", "partner": "partner-b", "name": "Bedrijf"})
    w.do(a, BO, flag("spraakverwarring", "management", True))
    w.do(a, AN, flag("bestuurlijke-betrokkenheid", "professioneel", True))
    w.do(a, AN, flag("bestuurlijke-betrokkenheid", "bestuurlijk", True))
    w.do(a, BO, flag("spraakverwarring", "management", False))
    w.do(a, BO, flag("spraakverwarring", "bestuurlijk", False))
    w.do(a, AN, {"kind": "note.add", "note": "a1", "zone": "management@tussen", "text": "overleg"})
    w.do(r, AN, {"kind": "score.set", "aspect": "ambitie", "score": 4, "partner": "partner-a"})
    w.do(r, BO, {"kind": "score.set", "aspect": "ambitie", "score": 2, "partner": "partner-b",
                 "note": "nog niet"})
    w.do(r, FAC, {"kind": "score.set", "aspect": "ambitie", "score": 3})
    w.do(r, AN, {"kind": "score.set", "aspect": "ambitie", "score": 5, "partner": "partner-a"})
    w.do(r, AN, {"kind": "score.set", "aspect": "relaties", "score": 1})
    w.do(r, BO, {"kind": "reflection.add", "reflection": "r2"})
    w.do(r, FAC, {"kind": "reflection.add", "reflection": "r3", "title": "Na de zomer"})
    w.do(r, BO, {"kind": "score.set", "reflection": "r2", "aspect": "ambitie", "score": 3,
                 "partner": "partner-b"})
    w.do(r, AN, {"kind": "score.set", "reflection": "r2", "aspect": "proces", "score": 2})
    w.do(r, BO, {"kind": "score.set", "reflection": "r2", "aspect": "ambitie", "score": 4,
                 "partner": "partner-a"})
    w.do(r, AN, {"kind": "note.add", "note": "r-n1", "zone": "ambitie", "text": "hoger"})


def test_the_logs_cover_every_op_the_browser_applies() -> None:
    """Every op of a board with notes or of a working board is in the logs (a new op on the
    server fails here until the browser applies it and the logs try it), and so are the
    control board's clusters and votes."""
    world = World()
    corner_log(world)
    working_log(world)
    tried = {step["op"]["kind"] for step in world.steps}
    ops = protocol.json_schema()["ops"]
    board_kinds = {kind for kind, d in ops.items()
                   if set(d["boards"]) & {"notes", "matrix", "achtje", "reflectietool"}}
    control_kinds = {kind for kind in ops if kind.startswith(("cluster.", "vote."))}
    assert sorted((board_kinds | control_kinds) - tried) == []


# --- the browser's side ------------------------------------------------------------------------

# Runs in a page of the server: the browser's own modules, fed the frames each page got.
PLAY = """
async ({start, steps, pages, controlId, cornerId, aspects, scale}) => {
  const { BoardStore } = await import("/state.js");
  const { aggregates } = await import("/aggregate.js");
  const { effectiveCluster } = await import("/clusters.js");
  const { totalOf } = await import("/votes.js");
  const plain = (x) => JSON.parse(JSON.stringify(x, (k, v) => (v === Infinity ? "Infinity" : v)));
  const boardOf = (b) => ({
    notes: [...b.notes.values()], trash: [...b.trash.values()], mode: b.mode, editing: b.editing,
    extra: b.extra,
  });
  const read = (store, board) => {
    const m = store.mirror(board);
    const ctl = store.mirror(controlId).control;
    const corner = [...store.mirror(cornerId).notes.values()];
    const votes = Object.entries(ctl?.votes || {});
    return plain({
      seq: m.seq, stale: m.stale, control: m.control, ...boardOf(m.data),
      aggregates: m.extra.layout === "reflectietool"
        ? aggregates(m.extra.scores, m.extra.reflections, aspects, scale) : {},
      clusters_of: Object.fromEntries(corner.map((n) => [n.id, effectiveCluster(ctl, n)])),
      dots: Object.fromEntries(votes.map(([vid, v]) => [vid, Object.fromEntries(
        corner.map((n) => [n.id, totalOf(v, cornerId, n.id)]))])),
    });
  };
  const stores = {};
  for (const [page, who] of Object.entries(pages)) {
    const store = new BoardStore(() => true);
    store.participant = who;
    for (const frame of start[page]) store.handle(frame);
    stores[page] = store;
  }
  const out = [];
  for (const step of steps) {
    const got = {};
    for (const [page, who] of Object.entries(pages)) {
      const store = stores[page];
      let shown = null;
      if (step.actor === who && step.board !== controlId) {
        // An own op: shown at once, before the server's answer (the optimistic view).
        store.ids.op = () => step.id;
        store.op(step.board, step.op);
        shown = plain(boardOf(store.mirror(step.board).shown()));
      }
      for (const frame of step.frames[page]) store.handle(frame);
      got[page] = { ...read(store, step.board), shown };
    }
    out.push(got);
  }
  return out;
}
"""

# What the server stamps on an op when it stores it (who, which round, seq, time): a page that
# shows its own op before the answer cannot know these yet, so the optimistic view is compared
# on everything else.
STAMPS = {"author", "author_name", "group", "round", "created_seq", "updated_seq", "created_ts",
          "updated_ts", "edited_by_name", "pending", "name", "seq", "ts"}


def _describe(step: dict[str, Any]) -> str:
    op = step["op"]
    what = ", ".join(f"{k}={v!r}" for k, v in op.items() if k != "kind")
    return f"{op['kind']}({what}) by {step['actor']} on {step['board'].split('.', 1)[1]}"


def _differences(path: str, browser: Any, server: Any, skip: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    if isinstance(server, dict) and isinstance(browser, dict):
        out = []
        for key in sorted(set(server) | set(browser)):
            if key in skip:
                continue
            if key not in browser:
                out.append(f"{path}.{key}: missing in the browser (server: {server[key]!r})")
            elif key not in server:
                out.append(f"{path}.{key}: the browser has {browser[key]!r}, the server has none")
            else:
                out += _differences(f"{path}.{key}", browser[key], server[key], skip)
        return out
    if isinstance(server, list) and isinstance(browser, list) and len(server) == len(browser):
        return [d for i, (b, s) in enumerate(zip(browser, server, strict=True))
                for d in _differences(f"{path}[{i}]", b, s, skip)]
    return [] if browser == server else [f"{path}: browser {browser!r} != server {server!r}"]


def _by_id(notes: list[dict[str, Any]]) -> dict[str, Any]:
    return {n["id"]: n for n in notes}


def compare(page: str, got: dict[str, Any], want: dict[str, Any], step: dict[str, Any]
            ) -> list[str]:
    """Every field the browser's mirror keeps, against the server's state after the step."""
    out = []
    fields = ["seq", "mode", "editing", "aggregates", "clusters_of", "dots"]
    for key in fields:
        out += _differences(key, got[key], want.get(key, {} if key == "aggregates" else None))
    out += _differences("notes", _by_id(got["notes"]), _by_id(want["notes"]))
    if page == "fac":  # deleted notes are a facilitator's (R28)
        out += _differences("trash", _by_id(got["trash"]), _by_id(want["trash"]))
    for key in ("layout", "columns", "partners", "flags", "reflections", "scores"):
        out += _differences(key, got["extra"][key], want[key])
    if step["board"].endswith(".control"):
        out += _differences("control", got["control"], want["control"])
    if got["stale"]:
        out.append("the mirror still waits for a state")
    shown = got["shown"]
    if shown is not None:
        # The own op as shown before the server answered: what the server then made of it.
        op = step["op"]
        notes = _by_id(shown["notes"])
        if "note" in op and op["kind"] != "vote.cast":
            want_note = _by_id(want["notes"]).get(op["note"])
            out += [f"shown at once: {d}" for d in _differences(
                f"notes.{op['note']}", notes.get(op["note"]), want_note, STAMPS)]
        for key in ("columns", "partners", "flags", "reflections", "scores"):
            out += [f"shown at once: {d}" for d in _differences(
                key, shown["extra"][key], want[key], STAMPS)]
        for key in ("mode", "editing"):
            out += [f"shown at once: {d}" for d in _differences(key, shown[key], want[key])]
    return out


@pytest.mark.browser
def test_the_browser_applies_every_op_as_the_server_does(server: Any, browser: Any) -> None:
    """The same op logs through server.board.apply and through web/state.js in Chromium: after
    every frame, the browser's mirror is the server's state, for a begeleider and for a
    participant, and an own op shows at once what the server makes of it."""
    world = World()
    start = world.start()
    corner_log(world)
    working_log(world)
    refl = world.infos[world.of("reflectietool")]
    page = browser.new_context().new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.url}/healthz")
    got = page.evaluate(PLAY, {
        "start": start, "steps": world.steps,
        "pages": {page_: actor.participant for page_, actor in PAGES.items()},
        "controlId": world.control_id, "cornerId": world.corner.id,
        "aspects": refl.aspects, "scale": {"min": refl.scale[0], "max": refl.scale[1]},
    })
    assert errors == []
    assert len(got) == len(world.steps) > 90
    problems = []
    for i, (step, result) in enumerate(zip(world.steps, got, strict=True), start=1):
        for page_name in PAGES:
            for diff in compare(page_name, result[page_name], step["expect"][page_name], step):
                problems.append(f"step {i}, {_describe(step)}, {page_name}'s page: {diff}")
    assert problems == [], "\n".join(problems[:20])


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        OPS_JS.write_text(render_ops_module(protocol.json_schema()), encoding="utf-8")
        print(f"wrote {OPS_JS.relative_to(ROOT)}")
    else:
        print(__doc__)
        sys.exit(2)
