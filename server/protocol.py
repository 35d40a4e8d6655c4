"""Every message that crosses the websocket, as Pydantic models.

Client frames are one discriminated union on ``type``; board operations are a second union on
``kind`` inside an ``op`` frame. Both are parsed by one ``TypeAdapter`` built once at import.
The rule IDs (R1, R2, ...) refer to docs/PROTOCOL.md.

This module is long on purpose: it is the protocol's one declaration. Each op declares here who
may send it, on which boards and what it reveals; roles, visibility, the published schema
(/api/protocol.schema.json) and the browser's web/ops.js are all derived from it, so it reads
as one table, and splitting it would put one rule in two places.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

PROTOCOL_VERSION = 1

# R3: a frame over this many bytes (after decompression) is closed with 1009.
MAX_FRAME_BYTES = 64 * 1024
# R11: note texts are bounded; a sticky note is short by nature, 1000 characters is a lot.
MAX_NOTE_TEXT = 1000
MAX_NAME = 60
# R37: a session's title, one line (web/organiser.js's field is checked against it).
MAX_SESSION_TITLE = 120
# R5: ids made by clients are short printable tokens.
MAX_ID = 64
# Board coordinates are relative to a station, in "note units"; the client lays them out.
MAX_COORD = 10_000.0

Id = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_ID, pattern=r"^[A-Za-z0-9_.:@\-]+$")
]
# R37: control characters (C0, DEL, C1) never come in; a note's text may have line breaks and
# tabs. Names and titles are one line without bidi controls, so a name cannot turn the label
# beside it around ("\u202eannA").
CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f"
NO_CONTROLS = f"^[^{CONTROLS}]*$"
ONE_LINE = "^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
NoteText = Annotated[str, StringConstraints(max_length=MAX_NOTE_TEXT, pattern=NO_CONTROLS)]
Name = Annotated[str, StringConstraints(max_length=MAX_NAME, strip_whitespace=True,
                                        pattern=ONE_LINE)]
Coord = Annotated[float, Field(ge=-MAX_COORD, le=MAX_COORD, allow_inf_nan=False)]
Color = Literal["yellow", "pink", "blue", "green", "orange", "purple"]
COLORS: tuple[str, ...] = ("yellow", "pink", "blue", "green", "orange", "purple")


class Frame(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Who may send an op (R19) and on which boards it belongs (R17): declared once per op class
# below; roles, admission, visibility, the docs and the browser (the published schema) read it.
WRITERS: frozenset[str] = frozenset({"participant", "facilitator"})
FACILITATORS: frozenset[str] = frozenset({"facilitator"})
NOTES: frozenset[str] = frozenset({"notes"})  # every board that holds notes
CONTROL: frozenset[str] = frozenset({"control"})  # the session's control board


class Op(Frame):
    """A board operation (logged, ordered, durable), with its rules declared on the class."""

    #: The roles that may send it (R19); a viewer sends nothing.
    senders: ClassVar[frozenset[str]] = WRITERS
    #: The boards it belongs on: "notes" (any board with notes), a working layout ("matrix",
    #: "achtje", "reflectietool") or "control" (R17, R20).
    boards: ClassVar[frozenset[str]] = NOTES
    #: It changes what someone may read: subscribers who may not read everything get the
    #: board's state again (R28), and a resume across it is a state (R36).
    reveals: ClassVar[bool] = False
    #: Its event cannot say what changed (a restore, an undo): every subscriber gets the
    #: state again.
    redraws: ClassVar[bool] = False
    #: It carries a note's text, withheld per receiver where the text is hidden (R28).
    carries_text: ClassVar[bool] = False
    #: A resume of a participant across it is a fresh state (R36): deletions remove text.
    removes_text: ClassVar[bool] = False

    @classmethod
    def declaration(cls) -> dict[str, Any]:
        return {"senders": sorted(cls.senders), "boards": sorted(cls.boards),
                "reveals": cls.reveals, "redraws": cls.redraws,
                "carries_text": cls.carries_text, "removes_text": cls.removes_text}


# --- board operations (logged, ordered, durable) ------------------------------------------------


class NoteAdd(Op):
    carries_text = True

    kind: Literal["note.add"]
    note: Id
    zone: Id
    text: NoteText = ""
    color: Color = "yellow"
    x: Coord = 0.0
    y: Coord = 0.0
    #: The part of the corner's instrument the note is about (R49), or none.
    part: Id | None = None
    #: The round the note was begun in, when a round changed while it was being typed (R53):
    #: the server holds to it only within the grace and at that round's corner.
    started_round: Annotated[int, Field(ge=1, le=MAX_ROUNDS)] | None = None


class NoteEdit(Op):
    carries_text = True

    kind: Literal["note.edit"]
    note: Id
    text: NoteText


class NoteColor(Op):
    kind: Literal["note.color"]
    note: Id
    color: Color


class NoteMove(Op):
    kind: Literal["note.move"]
    note: Id
    x: Coord
    y: Coord
    zone: Id | None = None


class NotePin(Op):
    """Point a note at one part of the corner's instrument (R49), or (``None``) at none."""

    kind: Literal["note.pin"]
    note: Id
    part: Id | None = None


class NoteDelete(Op):
    removes_text = True

    kind: Literal["note.delete"]
    note: Id


Title = Annotated[str, StringConstraints(max_length=80, strip_whitespace=True, pattern=ONE_LINE)]
Partner = Literal["partner-a", "partner-b"]


class ColumnAdd(Op):
    """Matrix: a new activity column (at ``index``, or at the end)."""

    boards = frozenset({"matrix"})

    kind: Literal["column.add"]
    column: Id
    title: Title = ""
    index: Annotated[int, Field(ge=0, le=1000)] | None = None


class ColumnRename(Op):
    boards = frozenset({"matrix"})

    kind: Literal["column.rename"]
    column: Id
    title: Title


class ColumnMove(Op):
    boards = frozenset({"matrix"})

    kind: Literal["column.move"]
    column: Id
    index: Annotated[int, Field(ge=0, le=1000)]


class ColumnRemove(Op):
    """Matrix: an activity column goes; the notes in its cells go to their row."""

    boards = frozenset({"matrix"})

    kind: Literal["column.remove"]
    column: Id


class PartnerName(Op):
    """Het 8-tje: the name a group gives partner A or B."""

    boards = frozenset({"achtje"})

    kind: Literal["partner.name"]
    partner: Partner
    name: Name


class FlagSet(Op):
    """Het 8-tje: raise or lower a known failure mode on a level."""

    boards = frozenset({"achtje"})

    kind: Literal["flag.set"]
    flag: Id
    level: Id
    on: bool


class ReflectionAdd(Op):
    """Reflectietool, facilitator: a later reflection of the same group, to compare with
    earlier ones; everyone on the board moves to it (R64)."""

    senders = FACILITATORS
    boards = frozenset({"reflectietool"})

    kind: Literal["reflection.add"]
    reflection: Id
    title: Title = ""


class ScoreSet(Op):
    """Reflectietool: the sender's score for one aspect; a second one replaces the first."""

    boards = frozenset({"reflectietool"})

    kind: Literal["score.set"]
    reflection: Id = "r1"
    aspect: Id
    score: Annotated[int, Field(ge=-100, le=100)]
    partner: Partner | Literal[""] = ""
    note: Annotated[str, StringConstraints(max_length=500, pattern=NO_CONTROLS)] = ""


# --- clustering, voting, moderation (R26-R29) ------------------------------------------------

BoardMode = Literal["open", "hidden", "locked"]
MAX_BUDGET = 50


class NoteCluster(Op):
    """Facilitator: put a note in a cluster of the session, or (``None``) take it out."""

    senders = FACILITATORS

    kind: Literal["note.cluster"]
    note: Id
    cluster: Id | None = None


class NoteHide(Op):
    """Facilitator: hide a note from participants (moderation), or show it again."""

    senders = FACILITATORS
    reveals = True

    kind: Literal["note.hide"]
    note: Id
    hidden: bool = True


class NoteRestore(Op):
    """Facilitator: bring back a deleted note as it was."""

    senders = FACILITATORS
    reveals = True
    redraws = True

    kind: Literal["note.restore"]
    note: Id


class BoardModeSet(Op):
    """Facilitator: open, hidden until reveal (others' texts are not sent), or locked."""

    senders = FACILITATORS
    reveals = True

    kind: Literal["board.mode"]
    mode: BoardMode


class BoardEditing(Op):
    """Facilitator: whether participants change only their own notes (``own``, the default)
    or every note they can read (``shared``; an edit then shows who made it) (R32)."""

    senders = FACILITATORS

    kind: Literal["board.editing"]
    editing: Literal["own", "shared"]


class ClusterUndo(Op):
    """Undo the sender's last cluster edit: on a board its last note.cluster, on the control
    board its last cluster.add/rename/merge/remove."""

    senders = FACILITATORS
    boards = NOTES | CONTROL
    redraws = True

    kind: Literal["cluster.undo"]


class ClusterAdd(Op):
    senders = FACILITATORS
    boards = CONTROL

    kind: Literal["cluster.add"]
    cluster: Id
    station: Id
    title: Title = ""
    # R60: the corner (instrument id) it was made at; none: made over all four corners.
    corner: Id | None = None


class ClusterRename(Op):
    senders = FACILITATORS
    boards = CONTROL

    kind: Literal["cluster.rename"]
    cluster: Id
    title: Title


class ClusterMerge(Op):
    """``cluster``'s notes count as ``into``'s from now on (undo splits them again)."""

    senders = FACILITATORS
    boards = CONTROL

    kind: Literal["cluster.merge"]
    cluster: Id
    into: Id


class ClusterRemove(Op):
    """The cluster goes; its notes stay, unclustered."""

    senders = FACILITATORS
    boards = CONTROL

    kind: Literal["cluster.remove"]
    cluster: Id


class VoteOpen(Op):
    """Dot voting on one board or one station (or both): ``budget`` dots per participant, at
    most ``cap`` of them on one note."""

    senders = FACILITATORS
    boards = CONTROL

    kind: Literal["vote.open"]
    vote: Id
    board: Id | None = None
    station: Id | None = None
    budget: Annotated[int, Field(ge=1, le=MAX_BUDGET)] = 5
    cap: Annotated[int, Field(ge=1, le=MAX_BUDGET)] = 2
    anonymous: bool = True


class VoteClose(Op):
    senders = FACILITATORS
    boards = CONTROL

    kind: Literal["vote.close"]
    vote: Id


class VoteDismiss(Op):
    """R59: the vote's result comes off every board and screen (an open vote closes too)."""

    senders = FACILITATORS
    boards = CONTROL

    kind: Literal["vote.dismiss"]
    vote: Id


class VoteCast(Op):
    """A participant puts a dot on a note (``delta`` 1) or takes one back (-1)."""

    boards = CONTROL

    kind: Literal["vote.cast"]
    vote: Id
    board: Id
    note: Id
    delta: Literal[1, -1] = 1


# --- the tweede ontwerpslag: decisions on feedback (R51) ---------------------------------------

DECISIONS: frozenset[str] = frozenset({"decisions"})
# A note (``<session>/<note>``) or a cluster (``<session>/cluster/<cluster>``) of the day.
Target = Annotated[str, StringConstraints(min_length=3, max_length=160,
                                          pattern=r"^[A-Za-z0-9_.:@\-]+(/[A-Za-z0-9_.:@\-]+){1,2}$")]
Choice = Literal["overnemen", "aanpassen", "niet-overnemen", "nader-onderzoeken"]


class DecisionSet(Op):
    """What the design team does with a piece of feedback, and why (``None`` clears it)."""

    senders = FACILITATORS
    boards = DECISIONS

    kind: Literal["decision.set"]
    target: Target
    decision: Choice | None
    rationale: Annotated[str, StringConstraints(max_length=500, pattern=NO_CONTROLS)] = ""


class DecisionUndo(Op):
    """Take back the sender's last decision change."""

    senders = FACILITATORS
    boards = DECISIONS
    redraws = True

    kind: Literal["decision.undo"]


# --- the session's control board: groups, rotation plan, round timer (R19-R23) ---------------

# Group names are shown and typed by people ("Groep 1", "Online"), so they are not ids.
GroupName = Annotated[str, StringConstraints(
    min_length=1, max_length=40, strip_whitespace=True,
    pattern="^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069<>]+$")]
MAX_GROUPS = 12
MAX_ROUNDS = 24
MAX_ANNOUNCEMENT = 280


class GroupsSet(Op):
    """Facilitator: the groups of the day, in order."""

    senders = FACILITATORS
    boards = CONTROL

    kind: Literal["groups.set"]
    groups: Annotated[list[GroupName], Field(min_length=1, max_length=MAX_GROUPS)]


class GroupJoin(Op):
    """A participant picks their own group ("" leaves it)."""

    boards = CONTROL

    kind: Literal["group.join"]
    group: GroupName | Literal[""]


class GroupAssign(Op):
    """Facilitator: puts one participant in a group ("" takes them out)."""

    senders = FACILITATORS
    boards = CONTROL

    kind: Literal["group.assign"]
    participant: Id
    group: GroupName | Literal[""]


class PlanSet(Op):
    """Facilitator: the rotation plan, one ``{group: corner}`` per round; ``free`` groups visit
    corners as they like (an "Online" group, for example). An empty plan means round-robin."""

    senders = FACILITATORS
    boards = CONTROL

    kind: Literal["plan.set"]
    plan: Annotated[list[dict[GroupName, Id]], Field(max_length=MAX_ROUNDS)]
    free: Annotated[list[GroupName], Field(max_length=MAX_GROUPS)] | None = None


class TimerStart(Op):
    senders = FACILITATORS
    boards = CONTROL

    kind: Literal["timer.start"]


class TimerPause(Op):
    senders = FACILITATORS
    boards = CONTROL

    kind: Literal["timer.pause"]


class TimerAdd(Op):
    """Add (or with a negative number take off) seconds of the running round."""

    senders = FACILITATORS
    boards = CONTROL

    kind: Literal["timer.add"]
    seconds: Annotated[int, Field(ge=-3600, le=3600)]


class TimerSet(Op):
    """The length of a round (R55). A running clock keeps running with what it had left and
    the new length counts from the next round; a paused clock is set to it (still paused)."""

    senders = FACILITATORS
    boards = CONTROL

    kind: Literal["timer.set"]
    seconds: Annotated[int, Field(ge=0, le=86400)]


class TimerChime(Op):
    senders = FACILITATORS
    boards = CONTROL

    kind: Literal["timer.chime"]
    on: bool


class RoundNext(Op):
    """Next round: groups move on, the clock resets and (by default) starts."""

    senders = FACILITATORS
    boards = CONTROL

    kind: Literal["round.next"]
    start: bool = True


class RoundSet(Op):
    senders = FACILITATORS
    boards = CONTROL

    kind: Literal["round.set"]
    round: Annotated[int, Field(ge=1, le=MAX_ROUNDS)]
    start: bool = False


class Announce(Op):
    """A short banner for everyone; an empty text takes it down. With ``seconds`` it ends by
    itself that long after it was stored (R56)."""

    senders = FACILITATORS
    boards = CONTROL

    kind: Literal["announce"]
    text: Annotated[str, StringConstraints(max_length=MAX_ANNOUNCEMENT, strip_whitespace=True,
                                           pattern=ONE_LINE)]
    seconds: Annotated[int, Field(ge=1, le=86400)] | None = None


class Summon(Op):
    """Everyone to one corner (by instrument id); ``None`` ends the summons."""

    senders = FACILITATORS
    boards = CONTROL

    kind: Literal["summon"]
    corner: Id | None = None


class ParticipantRemove(Op):
    """Facilitator: take someone out of the session (a participant, or a co-facilitator's
    link): their link stops at once, their connections close; ``hide_notes`` hides what they
    wrote (R33)."""

    senders = FACILITATORS
    boards = CONTROL

    kind: Literal["participant.remove"]
    participant: Id
    hide_notes: bool = False


class SessionClose(Op):
    """Facilitator: close the session (boards become read-only, a snapshot is taken) or reopen."""

    senders = FACILITATORS
    boards = CONTROL

    kind: Literal["session.close"]
    closed: bool = True


class MaterialSet(Op):
    """The server's record that a corner's concept material changed (R50): uploaded (its
    ``version`` and ``pages``) or removed (``pages: 0``). Nobody sends it: the server stores it
    on the control board after an upload, so every open page fetches the material again. It
    changes no board state; the files and their listing are the material's."""

    senders: ClassVar[frozenset[str]] = frozenset()
    boards = CONTROL

    kind: Literal["material.set"]
    corner: Id
    version: Annotated[int, Field(ge=0, le=10**15)] = 0
    pages: Annotated[int, Field(ge=0, le=100)] = 0


ControlOp = (GroupsSet | GroupJoin | GroupAssign | PlanSet | TimerStart | TimerPause | TimerAdd
             | TimerSet | TimerChime | RoundNext | RoundSet | Announce | Summon | SessionClose
             | ParticipantRemove | ClusterAdd | ClusterRename | ClusterMerge | ClusterRemove
             | VoteOpen | VoteClose | VoteDismiss | VoteCast)

BoardOp = Annotated[
    NoteAdd | NoteEdit | NoteColor | NoteMove | NotePin | NoteDelete | ColumnAdd | ColumnRename
    | ColumnMove | ColumnRemove | PartnerName | FlagSet | ReflectionAdd | ScoreSet | NoteCluster
    | NoteHide | NoteRestore | BoardModeSet | BoardEditing | ClusterUndo | DecisionSet
    | DecisionUndo | MaterialSet | ControlOp,
    Field(discriminator="kind"),
]
OPS: dict[str, type[Op]] = {
    m.model_fields["kind"].annotation.__args__[0]: m for m in BoardOp.__origin__.__args__  # type: ignore[attr-defined]
}
CONTROL_KINDS: frozenset[str] = frozenset(k for k, m in OPS.items() if "control" in m.boards)


# --- client -> server ---------------------------------------------------------------------------


class Hello(Frame):
    """First frame of a connection: who I am (R1)."""

    type: Literal["hello"]
    v: int
    token: Annotated[str, StringConstraints(min_length=1, max_length=512)]
    name: Name = ""
    group: Name = ""
    # R54: the client reads ``batch`` frames.
    batch: bool = False


class Subscribe(Frame):
    """Follow one board; ``epoch``/``seq`` say what the client already has (R8)."""

    type: Literal["subscribe"]
    board: Id
    epoch: Annotated[str, StringConstraints(max_length=MAX_ID)] | None = None
    seq: Annotated[int, Field(ge=0)] = 0


class Unsubscribe(Frame):
    type: Literal["unsubscribe"]
    board: Id


class OpFrame(Frame):
    """A board operation with a client-made id (R5, R6)."""

    type: Literal["op"]
    id: Id
    board: Id
    op: BoardOp


class Drag(Frame):
    """A note being dragged: presence, not log (R9)."""

    type: Literal["drag"]
    board: Id
    note: Id
    x: Coord
    y: Coord


class Ping(Frame):
    type: Literal["ping"]
    t: float = 0.0


ClientFrame = Annotated[
    Hello | Subscribe | Unsubscribe | OpFrame | Drag | Ping,
    Field(discriminator="type"),
]
CLIENT_FRAME: TypeAdapter[Any] = TypeAdapter(ClientFrame)
BOARD_OP: TypeAdapter[Any] = TypeAdapter(BoardOp)


# --- server -> client ---------------------------------------------------------------------------


ErrorCode = Literal[
    "bad_json",
    "bad_frame",
    "unknown_type",
    "bad_version",
    "not_joined",
    "bad_token",
    "forbidden",
    "unknown_board",
    "unknown_note",
    "unknown_zone",
    "unknown_anchor",
    "wrong_layout",
    "score_out_of_range",
    "unknown_group",
    "unknown_corner",
    "bad_plan",
    "no_such_round",
    "session_closed",
    "unknown_cluster",
    "nothing_to_undo",
    "unknown_vote",
    "vote_closed",
    "over_budget",
    "over_cap",
    "no_dot",
    "board_locked",
    "not_yours",
    "unknown_part",
    "note_hidden",
    "removed",
    "quota_exceeded",
    "duplicate_note",
    "text_too_long",
    "rate_limited",
    "store_unavailable",
    "server_error",
]


class Error(Frame):
    type: Literal["error"] = "error"
    code: ErrorCode
    message: str
    ref: str | None = None  # the client op id or frame type it answers
    detail: list[dict[str, Any]] | None = None


class Welcome(Frame):
    type: Literal["welcome"] = "welcome"
    v: int = PROTOCOL_VERSION
    session: dict[str, Any]
    me: dict[str, Any]
    server_time: float


class Ack(Frame):
    """Sent only after the store has the op durably (R6)."""

    type: Literal["ack"] = "ack"
    id: str
    board: str
    epoch: str
    seq: int
    result: Literal["applied", "noop"]
    reason: str | None = None


class Event(Frame):
    """One entry of a board's log, in order (R7)."""

    type: Literal["event"] = "event"
    board: str
    epoch: str
    seq: int
    id: str
    actor: dict[str, Any]
    ts: float
    round: int
    op: dict[str, Any]
    result: Literal["applied", "noop"]
    reason: str | None = None
    # Control board only: the session's control state after this op (R20).
    after: dict[str, Any] | None = None
    # Control board, an applied vote.cast only (instead of ``after``): that vote's public
    # record after the dot, as in ``state.control.votes`` (R27).
    vote: dict[str, Any] | None = None
    # The note's text was withheld from this receiver (R28).
    redacted: bool | None = None


class State(Frame):
    """The whole board at one seq (R8: on join, on an epoch change, or when the gap is long)."""

    type: Literal["state"] = "state"
    board: str
    epoch: str
    seq: int
    state: dict[str, Any]


class Replay(Frame):
    """Marks the end of a replay after a resume (R8)."""

    type: Literal["caught_up"] = "caught_up"
    board: str
    epoch: str
    seq: int


class DragMoves(Frame):
    """Coalesced drag positions of one board for one tick (R9)."""

    type: Literal["drag"] = "drag"
    board: str
    moves: list[dict[str, Any]]


class Pong(Frame):
    type: Literal["pong"] = "pong"
    t: float
    server_time: float


class Status(Frame):
    """The board is writable or not (store down, read-only) (R13)."""

    type: Literal["status"] = "status"
    writable: bool
    reason: str | None = None


class Presence(Frame):
    """Facilitators only: who is on which board, counted per group and per corner (R23)."""

    type: Literal["presence"] = "presence"
    session: str
    boards: dict[str, dict[str, Any]]
    people: list[dict[str, Any]]


OneFrame = Annotated[
    Error | Welcome | Ack | Event | State | Replay | DragMoves | Pong | Status | Presence,
    Field(discriminator="type"),
]


class Batch(Frame):
    """R54: several frames of one tick in one websocket message, for a client that said
    ``batch`` in its hello; read as if they had come one by one, in this order."""

    type: Literal["batch"] = "batch"
    frames: list[OneFrame]


ServerFrame = Annotated[OneFrame | Batch, Field(discriminator="type")]
SERVER_FRAME: TypeAdapter[Any] = TypeAdapter(ServerFrame)


def json_schema() -> dict[str, Any]:
    """The protocol's JSON Schema, served at /api/protocol.schema.json."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "vierhoeken websocket protocol",
        "version": PROTOCOL_VERSION,
        "client": CLIENT_FRAME.json_schema(),
        "server": SERVER_FRAME.json_schema(),
        # Each op's rules as declared on its class: the browser reads them from here.
        "ops": {kind: op.declaration() for kind, op in sorted(OPS.items())},
    }


def parse_client(text: str | bytes) -> Any:
    """Parse one client frame, or return the typed ``Error`` that names the problem (R11)."""
    from pydantic import ValidationError

    try:
        return CLIENT_FRAME.validate_json(text)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        first = errors[0]
        kind, loc = first["type"], first["loc"]
        code: ErrorCode = "bad_frame"
        if kind == "json_invalid" or kind == "json_type":
            code = "bad_json"
        elif kind in ("union_tag_invalid", "union_tag_not_found") and len(loc) == 0:
            code = "unknown_type"
        elif kind == "string_too_long" and loc and loc[-1] == "text":
            code = "text_too_long"
        where = ".".join(str(p) for p in loc) or "frame"
        detail = [{"loc": [str(p) for p in e["loc"]], "type": e["type"]} for e in errors[:5]]
        return Error(code=code, message=f"{where}: {first['msg']}", detail=detail,
                     ref=_op_id_of(text) if code != "bad_json" else None)


def _op_id_of(text: str | bytes) -> str | None:
    """The id of a malformed op frame, so the error names the op it answers (R11)."""
    import json

    try:
        data = json.loads(text)
    except ValueError:
        return None
    if isinstance(data, dict) and data.get("type") == "op":
        op_id = data.get("id")
        if isinstance(op_id, str) and 0 < len(op_id) <= MAX_ID:
            return op_id
    return None
