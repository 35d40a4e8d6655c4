"""Small pieces every HTTP route uses: the error shape, a JSON body, the caller's address and
the bearer token."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse


def error(code: str, message: str, status: int, headers: dict[str, str] | None = None
          ) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status, headers=headers)


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object ({} when there is no body); ``ValueError`` otherwise. The
    size was bounded before the body was read (R43)."""
    raw = await request.body()
    if not raw:
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError("body: not JSON") from exc
    if not isinstance(body, dict):
        raise ValueError("body: expected an object")
    return body


def client_host(request: Request) -> str | None:
    return request.client.host if request.client is not None else None


def bearer(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth[:7].lower() == "bearer " else ""
