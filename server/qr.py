"""QR codes for the join link of a session and of each corner, for posters and the projector.

Made with segno (pure Python, no image library needed for SVG or PNG). The codes only carry the
public join link, never a facilitator or viewer token.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Literal

import segno

Format = Literal["svg", "png"]
MEDIA_TYPE: dict[Format, str] = {"svg": "image/svg+xml", "png": "image/png"}


@lru_cache(maxsize=256)
def render(url: str, fmt: Format) -> bytes:
    """The QR code of ``url``; medium error correction survives a crumpled poster."""
    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    if fmt == "svg":
        code.save(out, kind="svg", scale=8, border=2, xmldecl=False, svgns=True,
                  title="QR", dark="#000", light="#fff")
    else:
        code.save(out, kind="png", scale=10, border=2)
    return out.getvalue()
