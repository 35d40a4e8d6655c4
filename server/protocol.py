"""Every message that crosses the websocket, as Pydantic models.

Client frames are one discriminated union on ``type``; board operations are a second union on
``kind`` inside an ``op`` frame. Both are parsed by one ``TypeAdapter`` built once at import.
The rule IDs (R1, R2, ...) refer to docs/PROTOCOL.md.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

PROTOCOL_VERSION = 1

# R3: a frame over this many bytes (after decompression) is closed with 1009.
MAX_FRAME_BYTES = 64 * 1024
# R11: note texts are bounded; a sticky note is short by nature, 1000 characters is a lot.
MAX_NOTE_TEXT = 1000
MAX_NAME = 60
# R5: ids made by clients are short printable tokens.
MAX_ID = 64
# Board coordinates are relative to a station, in "note units"; the client lays them out.
MAX_COORD = 10_000.0

Id = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_ID, pattern=r"^[A-Za-z0-9_.:@\-]+$")
]
NoteText = Annotated[str, StringConstraints(max_length=MAX_NOTE_TEXT)]
Name = Annotated[str, StringConstraints(max_length=MAX_NAME, strip_whitespace=True)]
Coord = Annotated[float, Field(ge=-MAX_COORD, le=MAX_COORD, allow_inf_nan=False)]
Color = Literal["yellow", "pink", "blue", "green", "orange", "purple"]
COLORS: tuple[str, ...] = ("yellow", "pink", "blue", "green", "orange", "purple")


class Frame(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- board operations (logged, ordered, durable) ------------------------------------------------


class NoteAdd(Frame):
    kind: Literal["note.add"]
    note: Id
    zone: Id
    text: NoteText = ""
    color: Color = "yellow"
    x: Coord = 0.0
    y: Coord = 0.0


class NoteEdit(Frame):
    kind: Literal["note.edit"]
    note: Id
    text: NoteText


class NoteColor(Frame):
    kind: Literal["note.color"]
    note: Id
    color: Color


class NoteMove(Frame):
    kind: Literal["note.move"]
    note: Id
    x: Coord
    y: Coord
    zone: Id | None = None


class NoteDelete(Frame):
    kind: Literal["note.delete"]
    note: Id


Title = Annotated[str, StringConstraints(max_length=80, strip_whitespace=True)]
Partner = Literal["partner-a", "partner-b"]


class ColumnAdd(Frame):
    """Matrix: a new activity column (at ``index``, or at the end)."""

    kind: Literal["column.add"]
    column: Id
    title: Title = ""
    index: Annotated[int, Field(ge=0, le=1000)] | None = None


class ColumnRename(Frame):
    kind: Literal["column.rename"]
    column: Id
    title: Title


class ColumnMove(Frame):
    kind: Literal["column.move"]
    column: Id
    index: Annotated[int, Field(ge=0, le=1000)]


class PartnerName(Frame):
    """Het 8-tje: the name a group gives partner A or B."""

    kind: Literal["partner.name"]
    partner: Partner
    name: Name


class FlagSet(Frame):
    """Het 8-tje: raise or lower a known failure mode on a level."""

    kind: Literal["flag.set"]
    flag: Id
    level: Id
    on: bool


class ReflectionAdd(Frame):
    """Reflectietool: a later reflection of the same group, to compare with earlier ones."""

    kind: Literal["reflection.add"]
    reflection: Id
    title: Title = ""


class ScoreSet(Frame):
    """Reflectietool: the sender's score for one aspect; a second one replaces the first."""

    kind: Literal["score.set"]
    reflection: Id = "r1"
    aspect: Id
    score: Annotated[int, Field(ge=-100, le=100)]
    partner: Partner | Literal[""] = ""
    note: Annotated[str, StringConstraints(max_length=500)] = ""


# --- clustering, voting, moderation (R26-R29) ------------------------------------------------

BoardMode = Literal["open", "hidden", "locked"]
MAX_BUDGET = 50


class NoteCluster(Frame):
    """Facilitator: put a note in a cluster of the session, or (``None``) take it out."""

    kind: Literal["note.cluster"]
    note: Id
    cluster: Id | None = None


class NoteHide(Frame):
    """Facilitator: hide a note from participants (moderation), or show it again."""

    kind: Literal["note.hide"]
    note: Id
    hidden: bool = True


class NoteRestore(Frame):
    """Facilitator: bring back a deleted note as it was."""

    kind: Literal["note.restore"]
    note: Id


class BoardModeSet(Frame):
    """Facilitator: open, hidden until reveal (others' texts are not sent), or locked."""

    kind: Literal["board.mode"]
    mode: BoardMode


class ClusterUndo(Frame):
    """Undo the sender's last cluster edit: on a board its last note.cluster, on the control
    board its last cluster.add/rename/merge/remove."""

    kind: Literal["cluster.undo"]


class ClusterAdd(Frame):
    kind: Literal["cluster.add"]
    cluster: Id
    station: Id
    title: Title = ""


class ClusterRename(Frame):
    kind: Literal["cluster.rename"]
    cluster: Id
    title: Title


class ClusterMerge(Frame):
    """``cluster``'s notes count as ``into``'s from now on (undo splits them again)."""

    kind: Literal["cluster.merge"]
    cluster: Id
    into: Id


class ClusterRemove(Frame):
    """The cluster goes; its notes stay, unclustered."""

    kind: Literal["cluster.remove"]
    cluster: Id


class VoteOpen(Frame):
    """Dot voting on one board or one station (or both): ``budget`` dots per participant, at
    most ``cap`` of them on one note."""

    kind: Literal["vote.open"]
    vote: Id
    board: Id | None = None
    station: Id | None = None
    budget: Annotated[int, Field(ge=1, le=MAX_BUDGET)] = 5
    cap: Annotated[int, Field(ge=1, le=MAX_BUDGET)] = 2
    anonymous: bool = True


class VoteClose(Frame):
    kind: Literal["vote.close"]
    vote: Id


class VoteCast(Frame):
    """A participant puts a dot on a note (``delta`` 1) or takes one back (-1)."""

    kind: Literal["vote.cast"]
    vote: Id
    board: Id
    note: Id
    delta: Literal[1, -1] = 1


# --- the session's control board: groups, rotation plan, round timer (R19-R23) ---------------

# Group names are shown and typed by people ("Groep 1", "Online"), so they are not ids.
GroupName = Annotated[str, StringConstraints(min_length=1, max_length=40, strip_whitespace=True,
                                             pattern=r"^[^\x00-\x1f<>]+$")]
MAX_GROUPS = 12
MAX_ROUNDS = 24
MAX_ANNOUNCEMENT = 280


class GroupsSet(Frame):
    """Facilitator: the groups of the day, in order."""

    kind: Literal["groups.set"]
    groups: Annotated[list[GroupName], Field(min_length=1, max_length=MAX_GROUPS)]


class GroupJoin(Frame):
    """A participant picks their own group ("" leaves it)."""

    kind: Literal["group.join"]
    group: GroupName | Literal[""]


class GroupAssign(Frame):
    """Facilitator: puts one participant in a group ("" takes them out)."""

    kind: Literal["group.assign"]
    participant: Id
    group: GroupName | Literal[""]


class PlanSet(Frame):
    """Facilitator: the rotation plan, one ``{group: corner}`` per round; ``free`` groups visit
    corners as they like (an "Online" group, for example). An empty plan means round-robin."""

    kind: Literal["plan.set"]
    plan: Annotated[list[dict[GroupName, Id]], Field(max_length=MAX_ROUNDS)]
    free: Annotated[list[GroupName], Field(max_length=MAX_GROUPS)] | None = None


class TimerStart(Frame):
    kind: Literal["timer.start"]


class TimerPause(Frame):
    kind: Literal["timer.pause"]


class TimerAdd(Frame):
    """Add (or with a negative number take off) seconds of the running round."""

    kind: Literal["timer.add"]
    seconds: Annotated[int, Field(ge=-3600, le=3600)]


class TimerSet(Frame):
    """The length of a round; resets the current round's clock (paused)."""

    kind: Literal["timer.set"]
    seconds: Annotated[int, Field(ge=0, le=86400)]


class TimerChime(Frame):
    kind: Literal["timer.chime"]
    on: bool


class RoundNext(Frame):
    """Next round: groups move on, the clock resets and (by default) starts."""

    kind: Literal["round.next"]
    start: bool = True


class RoundSet(Frame):
    kind: Literal["round.set"]
    round: Annotated[int, Field(ge=1, le=MAX_ROUNDS)]
    start: bool = False


class Announce(Frame):
    """A short banner for everyone; an empty text takes it down."""

    kind: Literal["announce"]
    text: Annotated[str, StringConstraints(max_length=MAX_ANNOUNCEMENT, strip_whitespace=True)]


class Summon(Frame):
    """Everyone to one corner (by instrument id); ``None`` ends the summons."""

    kind: Literal["summon"]
    corner: Id | None = None


class SessionClose(Frame):
    """Facilitator: close the session (boards become read-only, a snapshot is taken) or reopen."""

    kind: Literal["session.close"]
    closed: bool = True


ControlOp = (GroupsSet | GroupJoin | GroupAssign | PlanSet | TimerStart | TimerPause | TimerAdd
             | TimerSet | TimerChime | RoundNext | RoundSet | Announce | Summon | SessionClose
             | ClusterAdd | ClusterRename | ClusterMerge | ClusterRemove | VoteOpen | VoteClose
             | VoteCast)

BoardOp = Annotated[
    NoteAdd | NoteEdit | NoteColor | NoteMove | NoteDelete | ColumnAdd | ColumnRename
    | ColumnMove | PartnerName | FlagSet | ReflectionAdd | ScoreSet | NoteCluster | NoteHide
    | NoteRestore | BoardModeSet | ClusterUndo | ControlOp,
    Field(discriminator="kind"),
]
CONTROL_KINDS: frozenset[str] = frozenset(
    m.model_fields["kind"].annotation.__args__[0]
    for m in ControlOp.__args__
)


# --- client -> server ---------------------------------------------------------------------------


class Hello(Frame):
    """First frame of a connection: who I am (R1)."""

    type: Literal["hello"]
    v: int
    token: Annotated[str, StringConstraints(min_length=1, max_length=512)]
    name: Name = ""
    group: Name = ""


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


ServerFrame = Annotated[
    Error | Welcome | Ack | Event | State | Replay | DragMoves | Pong | Status | Presence,
    Field(discriminator="type"),
]
SERVER_FRAME: TypeAdapter[Any] = TypeAdapter(ServerFrame)


def json_schema() -> dict[str, Any]:
    """The protocol's JSON Schema, served at /api/protocol.schema.json."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "vierhoeken websocket protocol",
        "version": PROTOCOL_VERSION,
        "client": CLIENT_FRAME.json_schema(),
        "server": SERVER_FRAME.json_schema(),
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
