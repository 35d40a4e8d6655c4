"""Who may do what: every op is checked against the sender's role on every frame (R2, R19).

The facilitator (secret link) may do everything; a participant (join code) writes notes and the
instrument parts, picks their own group and votes; a viewer (a screen's link) only watches.
Each op class declares its senders (``protocol.Op.senders``); this table is read from there.
"""

from __future__ import annotations

from .auth import ROLES, Role
from .protocol import OPS

ALLOWED: dict[Role, frozenset[str]] = {
    role: frozenset(kind for kind, op in OPS.items() if role in op.senders) for role in ROLES
}
PARTICIPANT_KINDS = ALLOWED["participant"]
FACILITATOR_KINDS = ALLOWED["facilitator"]


def may(role: Role, kind: str) -> bool:
    return kind in ALLOWED.get(role, frozenset())
