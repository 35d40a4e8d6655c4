"""The day on the screens, in the core without sockets: setting the round length never stops a
running round (R55), announcements that end by themselves (R56), and files named after the
session (R57)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from server.archive_http import attachment
from server.board import Actor, Entry, apply, check
from server.boardstate import BoardState
from server.control import Control
from server.protocol import BOARD_OP
from server.session import new_session
from server.templates import catalog


def control_board() -> BoardState:
    rec = new_session(catalog(), "vier-hoeken")
    info = rec.control()
    return BoardState(info.id, tuple(info.zones), spec=info.spec())


class Log:
    """Ops through check + apply, as the room does, with server timestamps."""

    def __init__(self) -> None:
        self.state = control_board()

    def __call__(self, op: dict[str, Any], ts: float = 0.0) -> str:
        parsed = BOARD_OP.validate_python(op)
        error = check(self.state, parsed)
        if error:
            return error[0]
        seq = self.state.seq + 1
        return apply(self.state, Entry(seq, f"o{seq}", ts, Actor("fac"), 1, parsed)).result

    @property
    def ctl(self) -> Control:
        assert self.state.control is not None
        return self.state.control


def test_R55_setting_the_length_keeps_a_running_round_running() -> None:
    log = Log()
    assert log({"kind": "timer.start"}, ts=1000.0) == "applied"
    assert log.ctl.ends_at == 1900.0
    # Twenty minutes instead of fifteen, five minutes into the round: the round runs on.
    assert log({"kind": "timer.set", "seconds": 1200}, ts=1300.0) == "applied"
    assert log.ctl.running and log.ctl.ends_at == 1900.0
    assert log.ctl.remaining_at(1300.0) == 600.0
    assert log.ctl.round_s == 1200
    public = log.ctl.public()
    assert public["round_s"] == 1200 and public["timer"]["running"] is True
    # The next round gets the new length.
    assert log({"kind": "round.next"}, ts=1500.0) == "applied"
    assert log.ctl.running and log.ctl.ends_at == 1500.0 + 1200


def test_R55_setting_the_length_sets_a_paused_clock() -> None:
    log = Log()
    assert log({"kind": "timer.set", "seconds": 1200}, ts=10.0) == "applied"
    assert not log.ctl.running and log.ctl.remaining == 1200.0  # before the day starts
    log({"kind": "timer.start"}, ts=100.0)
    log({"kind": "timer.pause"}, ts=400.0)
    assert log.ctl.remaining == 900.0
    assert log({"kind": "timer.set", "seconds": 600}, ts=500.0) == "applied"
    assert not log.ctl.running and log.ctl.remaining == 600.0 and log.ctl.ends_at is None


def test_R55_the_same_log_gives_the_same_clock_after_a_reload() -> None:
    log = Log()
    log({"kind": "timer.start"}, ts=50.0)
    log({"kind": "timer.set", "seconds": 300}, ts=60.0)
    again = BoardState.from_dict(log.state.to_dict(), log.state.spec)
    assert again.control is not None and again.control.to_dict() == log.ctl.to_dict()
    assert again.control.ends_at == 950.0 and again.control.round_s == 300


def test_R56_an_announcement_with_seconds_ends_by_itself() -> None:
    log = Log()
    assert log({"kind": "announce", "text": "Koffie tot 11 uur", "seconds": 600},
               ts=1000.0) == "applied"
    shown = log.ctl.public()["announcement"]
    assert shown == {"text": "Koffie tot 11 uur", "ts": 1000.0, "seq": 1, "until": 1600.0}
    # Without seconds it stays until it is taken down (as before).
    assert log({"kind": "announce", "text": "Welkom"}, ts=2000.0) == "applied"
    assert log.ctl.announcement == {"text": "Welkom", "ts": 2000.0, "seq": 2}
    assert log({"kind": "announce", "text": ""}, ts=2100.0) == "applied"
    assert log.ctl.announcement is None
    # Bounds: at least a second, at most a day.
    for bad in (0, -5, 86401, 1.5):
        try:
            BOARD_OP.validate_python({"kind": "announce", "text": "x", "seconds": bad})
        except ValueError:
            continue
        raise AssertionError(f"seconds={bad!r} was accepted")
    # The empty text ends it even with seconds.
    assert log({"kind": "announce", "text": "", "seconds": 60}, ts=2200.0) == "applied"
    assert log.ctl.announcement is None


def _names(header: str) -> tuple[str, str]:
    plain = header.split('filename="', 1)[1].split('"', 1)[0]
    star = header.split("filename*=UTF-8''", 1)[1]
    return plain, unquote(star)


def test_R57_a_download_is_named_after_the_session() -> None:
    header = attachment("Regio Utrecht, 12 maart - Einde ronde 2", "csv")
    assert header.startswith("attachment; ")
    assert _names(header) == ("Regio Utrecht, 12 maart - Einde ronde 2.csv",
                              "Regio Utrecht, 12 maart - Einde ronde 2.csv")
    # Accents stay in filename*; the ASCII name drops them.
    assert _names(attachment("Zuid-Holland 3 mèi", "xlsx")) == ("Zuid-Holland 3 mei.xlsx",
                                                                "Zuid-Holland 3 mèi.xlsx")


def test_R57_a_name_cannot_break_out_of_the_header_or_the_folder() -> None:
    nasty = 'a"; filename=evil.exe\r\nSet-Cookie: x=1 \u202eexe.csv/../..\\x'
    header = attachment(nasty, "csv")
    assert "\r" not in header and "\n" not in header and "\u202e" not in header
    plain, star = _names(header)
    assert header.count('"') == 2  # only the quotes around the ASCII name
    for name in (plain, star):
        assert "/" not in name and "\\" not in name and '"' not in name and ";" not in name
        assert name.endswith(".csv")
    assert all(32 <= ord(c) < 127 for c in plain)
    assert _names(attachment("", "md")) == ("export.md", "export.md")
    assert _names(attachment("🙂", "md")) == ("export.md", "🙂.md")
    long = attachment("x" * 500, "json")
    assert len(_names(long)[0]) == 120 + len(".json")
