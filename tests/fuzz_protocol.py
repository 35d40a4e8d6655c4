"""atheris fuzz target: bytes -> decode -> validate -> check -> apply, on every kind of board.

Run by tests/test_reliability_input.py (short in `make test`, long in `make soak`), or by hand:
``.venv/bin/python tests/fuzz_protocol.py -atheris_runs=200000``. A crash is any exception
that escapes; the protocol must turn every input into a frame or a typed error, and ``apply``
must be total.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    import orjson

    from server import protocol
    from server.board import Actor, Entry, apply, check
    from server.boardstate import BoardState
    from server.protocol import Error, OpFrame
    from server.session import new_session
    from server.templates import catalog

SEEDS = [
    b'{"type":"op","id":"o1","board":"b","op":{"kind":"note.add","note":"n1","zone":"tips"}}',
    b'{"type":"op","id":"o2","board":"b","op":{"kind":"note.cluster","note":"n1","cluster":"c"}}',
    b'{"type":"op","id":"o3","board":"b","op":{"kind":"vote.cast","vote":"v","board":"b",'
    b'"note":"n1"}}',
    b'{"type":"hello","v":1,"token":"x"}',
    b'{"type":"subscribe","board":"b","seq":3}',
]


def boards() -> list[BoardState]:
    out = []
    for template in ("vier-hoeken", "matrix", "achtje", "reflectietool"):
        rec = new_session(catalog(), template)
        for info in [*rec.boards[:1], rec.control()]:
            out.append(BoardState(info.id, tuple(info.zones), spec=info.spec()))
    return out


BOARDS = boards()
ACTORS = [Actor("p1", "Ans", "Groep 1"), Actor("f1", "Leiding", "", "facilitator")]


def one_input(data: bytes) -> None:
    frame = protocol.parse_client(data)
    if isinstance(frame, Error):
        orjson.dumps(frame.model_dump(mode="json"))  # the error must be encodable
        return
    if not isinstance(frame, OpFrame):
        return
    for i, state in enumerate(BOARDS):
        actor = ACTORS[i % 2]
        check(state, frame.op, actor)  # may refuse, must not raise
        seq = state.seq + 1
        outcome = apply(state, Entry(seq, frame.id, float(seq), actor, 1, frame.op))
        assert outcome.result in ("applied", "noop")
        assert state.seq == seq


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
