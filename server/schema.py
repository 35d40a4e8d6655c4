"""The shapes of what the server keeps and exports: a board's full state and the JSON export
document, as Pydantic models with the wire's limits (R35).

An import is held to these before anything of it is believed: every text is bounded like the
frame that could have made it, every id has the id pattern, every count its ceiling, every
number is finite and in range. The first field that does not fit is named in the refusal. The
same models give the document's JSON Schema (``/api/export.schema.json``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

from .protocol import (
    MAX_ANNOUNCEMENT,
    MAX_BUDGET,
    MAX_GROUPS,
    MAX_ROUNDS,
    MAX_SESSION_TITLE,
    NO_CONTROLS,
    ONE_LINE,
    Color,
    Coord,
    GroupName,
    Id,
    Name,
    NoteText,
    Title,
)

# Ceilings of a document: a little above what the live limits let a session reach.
MAX_NOTES = 20_000
MAX_ZONES = 400
MAX_SCORES = 20_000
MAX_CLUSTERS = 200
MAX_VOTES = 50
MAX_ROUND_CHANGES = 1_000
MAX_PEOPLE = 20_000
UNDO_DEPTH = 50
TIME = Annotated[float, Field(ge=0, le=1e11, allow_inf_nan=False)]
Seq = Annotated[int, Field(ge=0, le=10**12)]
Who = Annotated[str, StringConstraints(max_length=64, pattern=r"^[A-Za-z0-9_.:@\-]*$")]
VoteKey = Annotated[str, StringConstraints(max_length=130, pattern=r"^[A-Za-z0-9_.:@\-/]+$")]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoteShape(_Shape):
    id: Id
    zone: Id
    text: NoteText
    color: Color
    x: Coord
    y: Coord
    author: Who
    author_name: Name
    group: Annotated[str, StringConstraints(max_length=40, pattern=ONE_LINE)]
    round: Annotated[int, Field(ge=0, le=MAX_ROUNDS)]
    created_seq: Seq
    updated_seq: Seq
    created_ts: TIME
    updated_ts: TIME
    cluster: Id | None = None
    hidden: bool = False
    edited_by: Who = ""
    edited_by_name: Name = ""
    part: Id | None = None


class Column(_Shape):
    id: Id
    title: Title


class Reflection(_Shape):
    id: Id
    title: Title
    ts: TIME | None = None  # when it was started (the first one: with the board)


class FlagShape(_Shape):
    flag: Id
    level: Id


class ScoreShape(_Shape):
    reflection: Id
    participant: Who
    name: Name
    aspect: Id
    score: Annotated[int, Field(ge=-100, le=100)]
    partner: Literal["partner-a", "partner-b", ""]
    note: Annotated[str, StringConstraints(max_length=500, pattern=NO_CONTROLS)]
    seq: Seq


class Timer(_Shape):
    running: bool
    ends_at: TIME | None
    remaining: Annotated[float, Field(ge=0, le=10 * 86400, allow_inf_nan=False)]
    chime: bool


class Announcement(_Shape):
    text: Annotated[str, StringConstraints(max_length=MAX_ANNOUNCEMENT, pattern=ONE_LINE)]
    ts: TIME
    seq: Seq


class SummonShape(_Shape):
    corner: Id
    ts: TIME
    seq: Seq


class RoundChange(_Shape):
    from_: Annotated[int, Field(ge=0, le=MAX_ROUNDS, alias="from")]
    to: Annotated[int, Field(ge=0, le=MAX_ROUNDS)]
    ts: TIME
    seq: Seq


class Cluster(_Shape):
    station: Id
    title: Title
    into: Id | None
    removed: bool
    corner: Id | None = None  # R60


class Vote(_Shape):
    board: Id | None
    station: Id | None
    budget: Annotated[int, Field(ge=1, le=MAX_BUDGET)]
    cap: Annotated[int, Field(ge=1, le=MAX_BUDGET)]
    anonymous: bool
    open: bool
    shown: bool = True  # R59
    casts: Annotated[dict[Who, Annotated[dict[VoteKey, Annotated[int, Field(ge=0, le=MAX_BUDGET)]],
                                        Field(max_length=MAX_BUDGET)]],
                     Field(max_length=MAX_PEOPLE)]


UndoStep = tuple[Id, Annotated[str, StringConstraints(max_length=16)], Any]


class ControlShape(_Shape):
    corners: Annotated[list[Id], Field(max_length=12)]
    groups: Annotated[list[GroupName], Field(min_length=1, max_length=MAX_GROUPS)]
    plan: Annotated[list[dict[GroupName, Id]], Field(max_length=MAX_ROUNDS)]
    free: Annotated[list[GroupName], Field(max_length=MAX_GROUPS)] = []
    round: Annotated[int, Field(ge=1, le=MAX_ROUNDS)]
    rounds_planned: Annotated[int, Field(ge=0, le=MAX_ROUNDS)] = 0
    round_s: Annotated[int, Field(ge=0, le=86400)]
    timer: Timer
    announcement: Announcement | None = None
    summon: SummonShape | None = None
    closed: bool = False
    rounds: Annotated[list[RoundChange], Field(max_length=MAX_ROUND_CHANGES)] = []
    clusters: Annotated[dict[Id, Cluster], Field(max_length=MAX_CLUSTERS)] = {}
    votes: Annotated[dict[Id, Vote], Field(max_length=MAX_VOTES)] = {}
    members: Annotated[dict[Who, GroupName], Field(max_length=MAX_PEOPLE)] = {}
    cluster_undo: Annotated[dict[Who, Annotated[list[UndoStep], Field(max_length=UNDO_DEPTH)]],
                            Field(max_length=MAX_PEOPLE)] = {}
    removed: Annotated[list[Who], Field(max_length=MAX_PEOPLE)] = []
    removed_at: Annotated[dict[Who, Seq], Field(max_length=MAX_PEOPLE)] = {}


class BoardStateShape(_Shape):
    """A board's full state, as the store compacts it and the export carries it."""

    board: Annotated[str, StringConstraints(max_length=160)]
    zones: Annotated[list[Id], Field(max_length=MAX_ZONES)]
    seq: Seq
    notes: Annotated[list[NoteShape], Field(max_length=MAX_NOTES)]
    deleted: Annotated[list[Id], Field(max_length=MAX_NOTES)] = []
    noops: Annotated[list[tuple[Seq, Annotated[str, StringConstraints(max_length=40)]]],
                     Field(max_length=2000)] = []
    layout: Literal["stations", "praatplaat", "matrix", "achtje", "reflectietool", "generic",
                    "control", "decisions"]
    mode: Literal["open", "hidden", "locked"] = "open"
    editing: Literal["own", "shared"] = "own"
    columns: Annotated[list[Column], Field(max_length=50)] = []
    partners: dict[Literal["partner-a", "partner-b"], Name] = {}
    flags: Annotated[list[FlagShape], Field(max_length=200)] = []
    reflections: Annotated[list[Reflection], Field(min_length=1, max_length=20)] = [
        Reflection(id="r1", title="Reflectie 1")]
    scores: Annotated[list[ScoreShape], Field(max_length=MAX_SCORES)] = []
    control: ControlShape | None = None
    trash: Annotated[list[NoteShape], Field(max_length=MAX_NOTES)] = []
    undo: Annotated[dict[Who, Annotated[list[tuple[Id, Id | None]], Field(max_length=UNDO_DEPTH)]],
                    Field(max_length=MAX_PEOPLE)] = {}
    added_by: Annotated[dict[Who, Annotated[int, Field(ge=0, le=MAX_NOTES)]],
                        Field(max_length=MAX_PEOPLE)] = {}
    decisions: dict[str, Any] | None = None  # the workspace's boards only; never imported
    decision_undo: dict[str, Any] | None = None


class PublicControl(ControlShape):
    """The control state as every client gets it (R20): no members, no undo, vote totals."""

    members: dict[str, str] = {}
    votes: dict[str, Any] = {}  # public totals, see R27


class StateFrameState(BaseModel):
    """The ``state`` of a ``state`` frame (R8), per layout: every board has notes, mode and
    editing; working boards add their parts (columns, partners and flags, reflections and
    scores with ``aggregates``); the control board adds ``control``; a workspace board adds
    ``decisions``. The trash is sent to facilitators only (R28); withheld texts are ``""`` with
    ``redacted: true``."""

    model_config = ConfigDict(extra="forbid")

    board: str
    zones: list[str]
    seq: Seq
    notes: list[dict[str, Any]]
    layout: str
    mode: Literal["open", "hidden", "locked"]
    editing: Literal["own", "shared"]
    columns: list[Column]
    partners: dict[str, str]
    flags: list[FlagShape]
    reflections: list[Reflection]
    scores: list[ScoreShape]
    control: PublicControl | None = None
    decisions: dict[str, Any] | None = None
    trash: list[dict[str, Any]]
    aggregates: dict[str, Any]


STATE: TypeAdapter[StateFrameState] = TypeAdapter(StateFrameState)


class BoardEntry(_Shape):
    id: Annotated[str, StringConstraints(max_length=160)]
    seq: Seq
    state: BoardStateShape


class SessionShape(BaseModel):
    """The session record as exported: only what an import takes from it is checked here;
    the boards are made anew from the template (R35)."""

    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, StringConstraints(max_length=64)]
    title: Annotated[str, StringConstraints(max_length=MAX_SESSION_TITLE, pattern=ONE_LINE)]
    template: Annotated[str, StringConstraints(max_length=64)]
    boards: Annotated[list[dict[str, Any]], Field(max_length=12)]
    groups: Annotated[list[GroupName], Field(min_length=1, max_length=MAX_GROUPS)]
    round_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 15


#: A corner's material in an export, base64: about 24 MiB of file (an import's body is bounded
#: by IMPORT_MAX_MB before it is read, R43).
MAX_MATERIAL_CHARS = 32 * 1024 * 1024


class MaterialShape(_Shape):
    """A corner's concept material (R50) as exported: the original file, base64. Nothing else
    of it is believed on import: its kind, pages and title come from rendering it again."""

    corner: Id
    kind: Literal["pdf", "png", "jpeg", "webp"]
    filename: Annotated[str, StringConstraints(max_length=200, pattern=ONE_LINE)]
    title: Annotated[str, StringConstraints(max_length=200, pattern=ONE_LINE)] = ""
    data: Annotated[str, StringConstraints(max_length=MAX_MATERIAL_CHARS,
                                           pattern=r"^[A-Za-z0-9+/]*={0,2}$")]


MATERIAL: TypeAdapter[list[MaterialShape]] = TypeAdapter(
    Annotated[list[MaterialShape], Field(max_length=12)])


class Document(BaseModel):
    """The JSON export (``format: vierhoeken-export``, version 1): lossless, one session."""

    model_config = ConfigDict(extra="ignore")

    format: Literal["vierhoeken-export"]
    version: Literal[1]
    exported_at: TIME | None = None
    snapshot: dict[str, Any] | None = None
    anonymous: bool = False
    session: SessionShape
    boards: Annotated[list[BoardEntry], Field(min_length=1, max_length=13)]
    #: The corners' material (R50): in a JSON export, not in snapshots.
    material: Annotated[list[MaterialShape], Field(max_length=12)] = []


DOCUMENT: TypeAdapter[Document] = TypeAdapter(Document)


def json_schema() -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "vierhoeken export document", **DOCUMENT.json_schema()}


def state_schema() -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "vierhoeken board state (the state of a state frame)",
            **STATE.json_schema()}
