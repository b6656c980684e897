"""The web page at `/__admin/ui`: the request journal, journeys, the clock and faults, the specs.

The page is three kinds of static file in the package (`mockserver/ui/`): HTML, JavaScript modules and CSS, with
no build step and nothing loaded from anywhere else. Its one library, Swagger UI for the specs, is vendored
unchanged under `ui/vendor/` with its licence and the digests it was taken with (`VENDORED.json`). The script
reads everything through the admin API, so the files hold no data and are served without the admin API's
loopback check; every call they make is checked.

A strict Content-Security-Policy goes with every file: scripts and styles only from the mock itself, no inline
script or style, no requests to other hosts. The script puts what clients sent into the page as text only, so
a request whose path or headers hold markup is shown, never run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Final

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

Endpoint = Callable[[Request], Awaitable[Response]]

#: Where the page is, under the admin prefix.
UI_PATH: Final = "/ui"
CONTENT_SECURITY_POLICY: Final = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # The page and its files change only with the package; a browser asks again rather than guess.
    "Cache-Control": "no-cache",
}
_MEDIA_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
INDEX: Final = "index.html"


@cache
def ui_files() -> Mapping[str, tuple[bytes, str]]:
    """Every file of the page by its path under `mockserver/ui/` (vendored libraries included), with its media
    type; read once from the installed package."""
    found: dict[str, tuple[bytes, str]] = {}
    pending: list[tuple[str, Traversable]] = [("", resources.files("mockserver").joinpath("ui"))]
    while pending:
        prefix, folder = pending.pop()
        for item in folder.iterdir():
            if item.is_dir():
                pending.append((f"{prefix}{item.name}/", item))
                continue
            suffix = "." + item.name.rsplit(".", 1)[-1] if "." in item.name else ""
            if suffix in _MEDIA_TYPES:
                found[prefix + item.name] = (item.read_bytes(), _MEDIA_TYPES[suffix])
    return found


def _file_response(name: str) -> Response | None:
    found = ui_files().get(name)
    if found is None:
        return None
    content, media_type = found
    return Response(content, media_type=media_type, headers=SECURITY_HEADERS)


def wants_html(request: Request) -> bool:
    """A browser navigating (its `Accept` names HTML), not a script asking for JSON."""
    return "text/html" in request.headers.get("accept", "")


def ui_routes(*, fallback: Endpoint) -> list[Route]:
    """`/__admin/ui` and its files; `/__admin/` sends browsers to the page and anything else to `fallback`."""

    async def root(request: Request) -> Response:
        if wants_html(request):
            return RedirectResponse(request.url.path.rstrip("/") + UI_PATH, status_code=302)
        return await fallback(request)

    async def page(_request: Request) -> Response:
        response = _file_response(INDEX)
        if response is None:  # a broken installation: say so rather than serve an empty page
            raise RuntimeError(f"mockserver/ui/{INDEX} is missing from the installed package")
        return response

    async def asset(request: Request) -> Response:
        response = _file_response(request.path_params["name"])
        return response if response is not None else await fallback(request)

    return [
        Route("/", root, methods=["GET"]),
        Route(UI_PATH, page, methods=["GET"]),
        Route(UI_PATH + "/{name:path}", asset, methods=["GET"]),
    ]
