"""Every file in boards/ loads and validates against the one template model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.session import new_session
from server.templates import BOARDS_DIR, Catalog, catalog, load_file

FILES = sorted(BOARDS_DIR.glob("*.json"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_template_file_validates(path: Path) -> None:
    template = load_file(path)
    assert template.id == path.stem


def test_catalog_has_the_four_instruments_and_the_session() -> None:
    cat = Catalog.load()
    assert set(cat.instruments) == {"praatplaat", "matrix", "achtje", "reflectietool"}
    corners = cat.sessions["vier-hoeken"]
    assert corners.corners == ["praatplaat", "matrix", "achtje", "reflectietool"]
    assert [s.title for s in corners.stations] == [
        "1. Relevantie", "2. Toepasbaarheid", "3. Tips, feedback!"]
    assert corners.stations[0].prompt == (
        "In hoeverre beantwoordt dit instrument aan een (latente) behoefte?")
    matrix = cat.instruments["matrix"].sections[0].items
    assert len(matrix) == 7 and matrix[0].title.startswith("Welke impact")


def test_bad_template_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text(json.dumps({"kind": "session", "id": "x", "title": "X",
                                                 "corners": ["nope"], "stations": [
                                                     {"id": "a", "title": "A", "prompt": "?",
                                                      "en": {"title": "A", "prompt": "?"}}],
                                                 "groups": ["G"], "en": {"title": "X"}}))
    with pytest.raises(ValueError, match="unknown instrument"):
        Catalog.load(tmp_path)


def test_session_from_four_corners_and_from_one_instrument() -> None:
    cat = Catalog.load()
    four = new_session(cat, "vier-hoeken")
    assert [b.instrument for b in four.boards] == ["praatplaat", "matrix", "achtje",
                                                    "reflectietool"]
    assert all(b.id.startswith(four.id + ".") for b in four.boards)
    assert four.boards[0].zones == ["relevantie", "toepasbaarheid", "tips"]
    one = new_session(cat, "matrix")
    assert len(one.boards) == 1 and "impact" in one.boards[0].zones


def test_every_text_of_every_template_has_its_english() -> None:
    """Templates carry both languages (Dutch first, English complete): the browser shows an
    instrument's texts in the language the person chose."""
    cat = catalog()
    for inst in cat.instruments.values():
        assert inst.en.title and inst.en.need and inst.en.question
        assert bool(inst.challenge) == bool(inst.en.challenge), inst.id
        assert bool(inst.source) == bool(inst.en.source), inst.id
        for section in inst.sections:
            assert section.en.title, (inst.id, section.id)
            for item in section.items:
                assert item.en.title and bool(item.prompt) == bool(item.en.prompt), item.id
        if inst.scale:
            assert set(inst.scale.labels) == set(inst.scale.labels_en), inst.id
    for session in cat.sessions.values():
        assert session.en.title and bool(session.description) == bool(session.en.description)
        for station in session.stations:
            assert station.en.title and station.en.prompt, station.id
