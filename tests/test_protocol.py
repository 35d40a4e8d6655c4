"""The Pydantic protocol models (R11) and their JSON Schema."""

from __future__ import annotations

import json

import pytest

from server.protocol import (
    MAX_NOTE_TEXT,
    PROTOCOL_VERSION,
    Error,
    OpFrame,
    json_schema,
    parse_client,
)


def test_R11_valid_op_frame_parses() -> None:
    frame = parse_client(json.dumps({
        "type": "op", "id": "c1.1", "board": "abc.matrix",
        "op": {"kind": "note.add", "note": "n-1", "zone": "tips", "text": "Goed idee"},
    }))
    assert isinstance(frame, OpFrame)
    assert frame.op.kind == "note.add"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "bad_json"),
        ("[]", "bad_frame"),
        (json.dumps({"type": "teleport"}), "unknown_type"),
        (json.dumps({"kind": "note.add"}), "unknown_type"),
        (json.dumps({"type": "subscribe", "board": 5}), "bad_frame"),
        (json.dumps({"type": "subscribe", "board": "a b"}), "bad_frame"),
        (json.dumps({"type": "subscribe", "board": "b", "seq": -1}), "bad_frame"),
        (json.dumps({"type": "op", "id": "x", "board": "b",
                     "op": {"kind": "note.add", "note": "n", "zone": "z",
                            "text": "x" * (MAX_NOTE_TEXT + 1)}}), "text_too_long"),
        (json.dumps({"type": "op", "id": "x", "board": "b",
                     "op": {"kind": "note.move", "note": "n", "x": "far", "y": 0}}), "bad_frame"),
        (json.dumps({"type": "op", "id": "x", "board": "b",
                     "op": {"kind": "note.color", "note": "n", "color": "red; x"}}), "bad_frame"),
        (json.dumps({"type": "ping", "t": 1, "extra": True}), "bad_frame"),
    ],
)
def test_R11_bad_frames_give_typed_errors(raw: str, code: str) -> None:
    err = parse_client(raw)
    assert isinstance(err, Error)
    assert err.code == code
    assert err.message


def test_R11_nan_coordinates_refused() -> None:
    err = parse_client('{"type":"drag","board":"b","note":"n","x":NaN,"y":0}')
    assert isinstance(err, Error)


def test_schema_covers_every_frame_type() -> None:
    schema = json_schema()
    assert schema["version"] == PROTOCOL_VERSION
    text = json.dumps(schema)
    for name in ("hello", "subscribe", "op", "drag", "note.add", "note.delete", "caught_up",
                 "ack", "event", "state", "status"):
        assert f'"{name}"' in text
