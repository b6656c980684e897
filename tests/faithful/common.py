"""What the three faithful implementations share: a tiny router, bearer auth and JSON answers."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response

Handler = Callable[[Request, dict[str, str]], Awaitable[Response]]
ErrorBody = Callable[[int, str], Any]


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{datetime.now(UTC).microsecond // 1000:03d}Z"


def answer(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON answer with the extra header every faithful server sends (the documents do not mention it)."""
    extra = {"X-Request-Id": str(uuid.uuid4()), **(headers or {})}
    return Response(json.dumps(body), status_code=status, media_type="application/json", headers=extra)


@dataclass
class Route:
    template: str
    handlers: dict[str, Handler]

    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template) + "$")


class App:
    """Routes by path, then method: a known path with another method is 405 with `Allow`."""

    def __init__(self, routes: list[Route], error_body: ErrorBody, tokens: Callable[[], set[str]]) -> None:
        self.routes = [(route.pattern(), route) for route in routes]
        self.error_body = error_body
        self.tokens = tokens

    def error(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
        return answer(status, self.error_body(status, message), headers)

    def authorised(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or token.strip() not in self.tokens():
            return self.error(401, "A valid bearer token is required.", {"WWW-Authenticate": "Bearer"})
        return None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        response = await self.dispatch(request)
        await response(scope, receive, send)

    async def dispatch(self, request: Request) -> Response:
        # Routed on the raw path, each segment decoded after: an encoded slash stays inside its id.
        path = (request.scope.get("raw_path") or request.scope["path"].encode()).decode("latin-1").split("?")[0]
        for pattern, route in self.routes:
            match = pattern.match(path)
            if match is None:
                continue
            handler = route.handlers.get(request.method)
            if handler is None:
                allowed = ", ".join(sorted(route.handlers))
                return self.error(405, "Method not allowed.", {"Allow": allowed})
            refused = self.authorised(request)
            if refused is not None:
                return refused
            return await handler(request, {name: unquote(value) for name, value in match.groupdict().items()})
        return self.error(404, "No such resource.")
