"""Sessions: one workshop (or one region's working board), made from a template.

A four-corners session has one board per corner, each with the three feedback stations as its
zones. Board ids are ``<session>.<instrument>`` so a board always names its session (R12).
"""

from __future__ import annotations

import secrets
import time

from pydantic import BaseModel, ConfigDict

from .boardstate import Spec
from .templates import Catalog, InstrumentTemplate, Station

# No 0/O, 1/I/L: codes are read aloud in a noisy room and typed on phones.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
# R34: 31^8 ≈ 8.5e11 codes. At 10 misses a minute per address, hitting one of 1,000 live
# sessions takes one address 8.5e8 guesses on average: about 160 years.
CODE_LENGTH = 8


class BoardInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    instrument: str
    title: str
    corner: int
    zones: list[str]
    layout: str = "stations"
    rows: list[str] = []
    levels: list[str] = []
    flags: list[str] = []
    aspects: list[str] = []
    scale: tuple[int, int] = (1, 5)
    #: A corner board: the parts of its instrument a note may point at (R49).
    parts: list[str] = []
    # The control board only: corners, starting groups and round length of its session.
    corners: list[str] = []
    groups: list[str] = []
    round_s: int = 900

    def spec(self) -> Spec:
        return Spec(layout=self.layout, rows=tuple(self.rows), levels=tuple(self.levels),
                    flags=tuple(self.flags), aspects=tuple(self.aspects), scale=self.scale,
                    corners=tuple(self.corners), groups=tuple(self.groups),
                    round_s=self.round_s, parts=tuple(self.parts))


class SessionRecord(BaseModel):
    id: str
    code: str
    title: str
    template: str
    created: float
    boards: list[BoardInfo]
    stations: list[Station]
    groups: list[str]
    round_minutes: int = 15
    #: The organiser who made it (R31); "" for sessions from before organisers.
    owner: str = ""
    #: Random per session, carried by its tokens: a token of another (or a deleted) session
    #: never opens this one (R33).
    key: str = ""

    @property
    def control_id(self) -> str:
        return f"{self.id}.control"

    def control(self) -> BoardInfo:
        """The session's control board: groups, rotation plan and timer, as a log (R19)."""
        return BoardInfo(
            id=self.control_id, instrument="control", title=self.title, corner=0, zones=[],
            layout="control", corners=[b.instrument for b in self.boards],
            groups=list(self.groups), round_s=self.round_minutes * 60,
        )

    def board(self, board_id: str) -> BoardInfo | None:
        if board_id == self.control_id:
            return self.control()
        return next((b for b in self.boards if b.id == board_id), None)

    def board_of_corner(self, corner: str) -> BoardInfo | None:
        return next((b for b in self.boards if b.instrument == corner), None)

    def public(self) -> dict[str, object]:
        """What people of the session see: not its key, not who owns it."""
        return self.model_dump(mode="json", exclude={"key", "owner"})


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_id() -> str:
    return secrets.token_hex(8)


def new_key() -> str:
    return secrets.token_hex(8)


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def new_session(catalog: Catalog, template_id: str, title: str = "", owner: str = ""
                ) -> SessionRecord:
    """A session from the four-corners template, or from one instrument alone."""
    sid = new_id()
    if template_id in catalog.sessions:
        tpl = catalog.sessions[template_id]
        stations = list(tpl.stations)
        zones = [s.id for s in stations]
        boards = [
            BoardInfo(
                id=f"{sid}.{inst}",
                instrument=inst,
                title=catalog.instruments[inst].title,
                corner=i + 1,
                zones=zones,
                parts=catalog.instruments[inst].parts(),
            )
            for i, inst in enumerate(tpl.corners)
        ]
        return SessionRecord(
            id=sid, code=new_code(), title=title or tpl.title, template=tpl.id,
            created=time.time(), boards=boards, stations=stations, groups=list(tpl.groups),
            round_minutes=tpl.round_minutes, owner=owner, key=new_key(),
        )
    if template_id in catalog.instruments:
        inst = catalog.instruments[template_id]
        board = working_board(f"{sid}.{inst.id}", inst)
        return SessionRecord(
            id=sid, code=new_code(), title=title or inst.title, template=inst.id,
            created=time.time(), boards=[board], stations=[], groups=["Groep 1"],
            owner=owner, key=new_key(),
        )
    raise KeyError(template_id)


def _items(inst: InstrumentTemplate, section: str) -> list[str]:
    return [i.id for s in inst.sections if s.id == section for i in s.items]


def working_board(board_id: str, inst: InstrumentTemplate) -> BoardInfo:
    """An instrument as a board of its own: the anchors its notes and scores may carry."""
    base = BoardInfo(id=board_id, instrument=inst.id, title=inst.title, corner=1,
                     layout=inst.layout, zones=[i.id for s in inst.sections for i in s.items])
    if inst.layout == "matrix":
        rows = [i.id for i in inst.sections[0].items]
        return base.model_copy(update={"zones": rows, "rows": rows})
    if inst.layout == "achtje":
        levels = _items(inst, "niveaus")
        lanes = _items(inst, "partners")
        return base.model_copy(update={
            "zones": [f"{lv}@{ln}" for lv in levels for ln in lanes],
            "levels": levels, "flags": _items(inst, "valkuilen")})
    if inst.layout == "reflectietool":
        aspects = [i.id for i in inst.sections[0].items]
        scale = (inst.scale.min, inst.scale.max) if inst.scale else (1, 5)
        return base.model_copy(update={"zones": aspects, "aspects": aspects, "scale": scale})
    return base
