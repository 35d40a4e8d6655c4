"""Who is where: ephemeral, counted from open connections, never logged (R23).

A person is a participant id (two tabs of one phone count once) with the boards they follow.
Facilitators see every person; the counts per corner board and per group are over the
participants only (facilitators and screens watch, they do not visit a corner).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import orjson

from .bus import BusUnavailable
from .connection import Connection, encode
from .protocol import Presence

if TYPE_CHECKING:
    from .registry import Registry

log = logging.getLogger("vierhoeken.presence")

# R23: presence is counted and sent to facilitators this often (only when it changed).
PRESENCE_TICK_S = 1.0
# With a shared store, a process's published presence counts this long without an update.
PRESENCE_TTL_S = 5.0

Person = dict[str, Any]


def person(participant: str, name: str, group: str, role: str, boards: Iterable[str]) -> Person:
    return {"participant": participant, "name": name, "group": group, "role": role,
            "boards": sorted(boards)}


def merge(people: Iterable[Person]) -> list[Person]:
    """One entry per participant; the boards of their connections together."""
    out: dict[str, Person] = {}
    for p in people:
        seen = out.get(p["participant"])
        if seen is None:
            out[p["participant"]] = dict(p, boards=sorted(set(p["boards"])))
        else:
            seen["boards"] = sorted(set(seen["boards"]) | set(p["boards"]))
    return sorted(out.values(), key=lambda p: (p["role"], p["group"], p["name"], p["participant"]))


def counts(people: Iterable[Person]) -> dict[str, dict[str, Any]]:
    """Per board: how many participants follow it, in total and per group ("" = no group)."""
    boards: dict[str, dict[str, Any]] = {}
    for p in people:
        if p["role"] != "participant":
            continue
        for board_id in p["boards"]:
            entry = boards.setdefault(board_id, {"total": 0, "groups": {}})
            entry["total"] += 1
            entry["groups"][p["group"]] = entry["groups"].get(p["group"], 0) + 1
    return boards


class Tracker:
    """Counts this process's people once a tick and tells facilitators what changed (R23).

    With a shared store each process publishes its own people for ``PRESENCE_TTL_S`` and
    merges the other processes' into what it sends.
    """

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(PRESENCE_TICK_S)
            try:
                await self.tick()
            except BusUnavailable:
                pass
            except Exception:  # presence must never take the server down
                log.exception("presence tick failed")

    def _local(self) -> tuple[dict[str, list[Person]], dict[str, list[Connection]]]:
        people: dict[str, list[Person]] = {}
        watchers: dict[str, list[Connection]] = {}
        registry = self.registry
        for conn in registry.connections:
            grant, actor = conn.grant, conn.actor
            if grant is None or actor is None or conn.cut_reason is not None:
                continue
            control_id = f"{grant.session}.control"
            if grant.role == "facilitator" and control_id in conn.boards:
                watchers.setdefault(grant.session, []).append(conn)
            ctl = registry.control_of(grant.session)
            group = (ctl.group_of(actor.participant) if ctl else None) or (
                actor.group if ctl is None or actor.group in ctl.groups else "")
            people.setdefault(grant.session, []).append(person(
                actor.participant, actor.name, group, grant.role,
                (b for b in conn.boards if b != control_id)))
        return people, watchers

    async def tick(self) -> None:
        people, watchers = self._local()
        bus, node = self.registry.bus, self.registry.node
        if bus.shared:
            for sid, local in people.items():
                await bus.put_presence(sid, node, orjson.dumps(local).decode(),
                                         PRESENCE_TTL_S)
        for sid, conns in watchers.items():
            everyone = list(people.get(sid, ()))
            if bus.shared:
                for other, data in (await bus.get_presence(sid)).items():
                    if other != node:
                        everyone.extend(orjson.loads(data))
            merged = merge(everyone)
            text = encode(Presence(session=sid, boards=counts(merged), people=merged))
            for conn in conns:
                if conn.presence_sent != text:
                    conn.presence_sent = text
                    conn.send(text)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
