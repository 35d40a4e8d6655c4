"""Settings: a value that cannot be right stops the start with one line, before anyone uses
it (a wrong time zone used to fail the first export with a 500)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from server.config import Settings


def test_a_wrong_time_zone_is_refused_when_the_settings_are_read() -> None:
    assert Settings.from_env({"TIMEZONE": "America/Sao_Paulo"}).timezone == "America/Sao_Paulo"
    assert Settings.from_env({}).timezone == "Europe/Amsterdam"
    for wrong in ("Mars/Base", "../../etc/passwd", "Europe/"):
        with pytest.raises(ValueError, match="TIMEZONE"):
            Settings.from_env({"TIMEZONE": wrong})


def test_a_wrong_number_is_refused_when_the_settings_are_read() -> None:
    with pytest.raises(ValueError, match="UPLOAD_MAX_MB"):
        Settings.from_env({"UPLOAD_MAX_MB": "veel"})


def test_the_server_does_not_start_with_a_wrong_setting_and_says_why_in_one_line() -> None:
    done = subprocess.run([sys.executable, "-m", "server", "serve"], capture_output=True,
                          text=True, timeout=60, env={"TIMEZONE": "Mars/Base", "PATH": ""})
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "vierhoeken: TIMEZONE='Mars/Base': not a time zone (e.g. Europe/Amsterdam)"]
