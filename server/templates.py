"""Board templates: the data files in boards/, validated by one Pydantic model.

Two kinds share the model: an ``instrument`` (one of the four concept instruments, with the parts a
note can be anchored to) and a ``session`` (the four-corners format: which instruments stand in
the corners, the three feedback stations with their prompts, the default groups).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, model_validator

BOARDS_DIR = Path(__file__).resolve().parent.parent / "boards"

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9\-]{0,31}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=400)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TitleEn(_Strict):
    title: Text


class ItemEn(_Strict):
    title: Text
    prompt: str = ""


class Item(_Strict):
    """One anchorable part of an instrument: a domain, a matrix row, a level, an aspect."""

    id: Slug
    title: Text
    prompt: str = ""
    en: ItemEn
    #: Where the figure shows it, when that is not its own row (an 8-tje failure mode: on a
    #: level, or "tussen-niveaus" between them).
    at: Slug | None = None


class Section(_Strict):
    """A named group of items: the praatplaat's domains, the 8-tje's levels, ..."""

    id: Slug
    title: Text
    en: TitleEn
    items: list[Item] = Field(min_length=1)
    #: Whether feedback on a corner board may point at these items (R49): the matrix's
    #: questions yes, the 8-tje's partner lanes no.
    part: bool = True


class Scale(_Strict):
    min: int
    max: int
    labels: dict[str, str] = Field(default_factory=dict)
    labels_en: dict[str, str] = Field(default_factory=dict)


class Station(_Strict):
    """A feedback station at a corner: Relevantie, Toepasbaarheid, Tips."""

    id: Slug
    title: Text
    prompt: Text
    en: ItemEn


class InstrumentEn(_Strict):
    title: Text
    need: Text
    question: Text
    challenge: str = ""
    source: str = ""


class SessionEn(_Strict):
    title: Text
    description: str = ""


class InstrumentTemplate(_Strict):
    kind: Literal["instrument"]
    id: Slug
    number: int = Field(ge=1, le=99)
    title: Text
    need: Text  # "Behoefte aan…": what the instrument is for
    question: Text
    challenge: str = ""
    source: str = ""
    layout: Literal["praatplaat", "matrix", "achtje", "reflectietool", "generic"]
    sections: list[Section] = Field(min_length=1)
    scale: Scale | None = None
    #: The same texts in English: templates carry both languages.
    en: InstrumentEn

    def parts(self) -> list[str]:
        """The items a note on this instrument's corner board may point at (R49)."""
        return [i.id for s in self.sections if s.part for i in s.items]

    @model_validator(mode="after")
    def _unique_ids(self) -> InstrumentTemplate:
        ids = [s.id for s in self.sections] + [i.id for s in self.sections for i in s.items]
        if len(ids) != len(set(ids)):
            raise ValueError("section and item ids must be unique within a template")
        return self


class SessionTemplate(_Strict):
    kind: Literal["session"]
    id: Slug
    title: Text
    description: str = ""
    corners: list[Slug] = Field(min_length=1, max_length=8)
    stations: list[Station] = Field(min_length=1, max_length=8)
    groups: list[Annotated[str, StringConstraints(min_length=1, max_length=40)]] = Field(
        min_length=1
    )
    round_minutes: int = Field(default=15, ge=1, le=240)
    en: SessionEn


Template = Annotated[InstrumentTemplate | SessionTemplate, Field(discriminator="kind")]
TEMPLATE: TypeAdapter[Any] = TypeAdapter(Template)


class Catalog:
    """All templates of a folder, checked together (corners must name known instruments)."""

    def __init__(self, instruments: dict[str, InstrumentTemplate],
                 sessions: dict[str, SessionTemplate]) -> None:
        self.instruments = instruments
        self.sessions = sessions
        for session in sessions.values():
            for corner in session.corners:
                if corner not in instruments:
                    raise ValueError(f"session {session.id!r} names unknown instrument {corner!r}")

    @classmethod
    def load(cls, folder: Path = BOARDS_DIR) -> Catalog:
        instruments: dict[str, InstrumentTemplate] = {}
        sessions: dict[str, SessionTemplate] = {}
        for path in sorted(folder.glob("*.json")):
            template = load_file(path)
            if path.stem != template.id:
                raise ValueError(f"{path.name}: id {template.id!r} must match the file name")
            if isinstance(template, InstrumentTemplate):
                instruments[template.id] = template
            else:
                sessions[template.id] = template
        return cls(instruments, sessions)

    def public(self) -> dict[str, Any]:
        return {
            "instruments": [t.model_dump() for t in self.instruments.values()],
            "sessions": [t.model_dump() for t in self.sessions.values()],
        }


def load_file(path: Path) -> InstrumentTemplate | SessionTemplate:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path.name}: not valid JSON ({exc})") from exc
    template: InstrumentTemplate | SessionTemplate = TEMPLATE.validate_python(data)
    return template


@cache
def catalog() -> Catalog:
    return Catalog.load()


def json_schema() -> dict[str, Any]:
    schema: dict[str, Any] = TEMPLATE.json_schema()
    schema["title"] = "vierhoeken board template"
    return schema
