"""Recordings of proxied exchanges as HAR 1.2: written by `journeymock proxy --record DIR`, one file per API per
day (`DIR/<api>/<YYYY-MM-DD>.har`, indented, so a recording is reviewable and diffs well).

No credential is ever written. `Authorization`, `Proxy-Authorization`, `x-scope-partner-id`, cookies (both
ways) and query parameters named like a secret are replaced by placeholders, and every other occurrence of those
values anywhere in the entry (an upstream that echoes a token) is replaced too. A placeholder is an HMAC of the
value under a key kept in the recording directory, so the same secret always maps to the same placeholder there
and recordings stay comparable, while the placeholder says nothing about the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, quote, quote_plus

from mockserver import __version__
from mockserver.journal import SECRET_HEADERS

HAR_VERSION: Final = "1.2"
#: Headers whose whole value is a secret; `set-cookie` answers carry them the other way.
SECRET_HEADER_NAMES: Final = SECRET_HEADERS | {"set-cookie"}
#: A query parameter whose name says it holds a secret.
SECRET_PARAMETER: Final = re.compile(r"(?i)(token|key|secret|passw|auth|signature|sig$|credential|session)")
#: The file in a recording directory holding the placeholders' key (random, made once per directory).
KEY_FILE: Final = ".placeholder-key"
PLACEHOLDER_PREFIX: Final = "journeymock-secret-"
CREATOR: Final = {"name": "journeymock", "version": __version__}


class Placeholders:
    """Stable placeholders for the secrets of one recording directory."""

    def __init__(self, directory: Path) -> None:
        path = directory / KEY_FILE
        if not path.exists():
            directory.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="ascii") as file:
                file.write(secrets.token_hex(32))
        self._key = bytes.fromhex(path.read_text(encoding="ascii").strip())

    def of(self, value: str) -> str:
        digest = hmac.new(self._key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:16]
        return PLACEHOLDER_PREFIX + digest


def secret_values(headers: Iterable[tuple[str, str]], query: Iterable[tuple[str, str]]) -> list[str]:
    """The secrets of an exchange: the token after an authorization scheme (`Bearer <token>` keeps its scheme),
    each cookie's value, any other secret header's whole value, and the values of secret-named query parameters;
    longest first, so a secret that contains another is replaced whole."""
    found: set[str] = set()
    for name, value in headers:
        lowered = name.lower()
        if lowered not in SECRET_HEADER_NAMES or not value.strip():
            continue
        scheme, _, token = value.partition(" ")
        if lowered in ("cookie", "set-cookie"):
            # A Cookie header holds pairs; a Set-Cookie one pair, then attributes (Path=/...) that are no secret.
            pairs = value.split(";") if lowered == "cookie" else value.split(";")[:1]
            cookies = [pair.partition("=")[2].strip() for pair in pairs if "=" in pair]
            found.update(cookie for cookie in cookies if cookie)
        elif token.strip() and scheme.isalpha():
            found.add(token.strip())
        else:
            found.add(value.strip())
    for name, value in query:
        if SECRET_PARAMETER.search(name) and value:
            found.add(value)
    return sorted(found, key=len, reverse=True)


def scrub(text: str, secrets_found: Iterable[str], placeholders: Placeholders) -> str:
    """`text` (a JSON document) with every secret, raw or as JSON escapes it, replaced by its placeholder."""
    for secret in secrets_found:
        placeholder = placeholders.of(secret)
        for form in {secret, json.dumps(secret)[1:-1], quote(secret, safe=""), quote_plus(secret)}:
            text = text.replace(form, placeholder)
    return text


def _pairs(items: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in items]


def _content(body: bytes, mime_type: str) -> dict[str, Any]:
    try:
        return {"size": len(body), "mimeType": mime_type, "text": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"size": len(body), "mimeType": mime_type, "text": base64.b64encode(body).decode(), "encoding": "base64"}


def content_bytes(content: Mapping[str, Any]) -> bytes:
    """A HAR `content` or `postData` object's bytes."""
    text = str(content.get("text", ""))
    return base64.b64decode(text) if content.get("encoding") == "base64" else text.encode("utf-8")


def har_entry(
    *,
    api: str,
    operation_id: str,
    method: str,
    url: str,
    request_headers: Iterable[tuple[str, str]],
    query: list[tuple[str, str]],
    request_body: bytes,
    status: int,
    response_headers: Iterable[tuple[str, str]],
    response_body: bytes,
    duration_ms: float,
    started: datetime,
) -> dict[str, Any]:
    """One HAR 1.2 entry, before its secrets are replaced."""
    request_headers = list(request_headers)
    response_headers = list(response_headers)
    request_type = next((value for name, value in request_headers if name.lower() == "content-type"), "")
    response_type = next((value for name, value in response_headers if name.lower() == "content-type"), "")
    request: dict[str, Any] = {
        "method": method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _pairs(request_headers),
        "queryString": _pairs(query),
        "headersSize": -1,
        "bodySize": len(request_body),
    }
    if request_body:
        posted = _content(request_body, request_type)
        request["postData"] = {key: value for key, value in posted.items() if key != "size"}
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    return {
        "startedDateTime": started.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "time": duration_ms,
        "request": request,
        "response": {
            "status": status,
            "statusText": reason,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": _pairs(response_headers),
            "content": _content(response_body, response_type),
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": len(response_body),
        },
        "cache": {},
        "timings": {"send": 0, "wait": duration_ms, "receive": 0},
        "_journeymock": {"api": api, "operationId": operation_id},
    }


class HarRecorder:
    """Appends entries to `DIR/<api>/<day>.har` (each write replaces the file whole, so it is always valid)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.placeholders = Placeholders(directory)
        self._lock = threading.Lock()

    def write(self, entry: dict[str, Any], secrets_found: Iterable[str]) -> Path:
        api = str(entry["_journeymock"]["api"])
        day = str(entry["startedDateTime"])[:10]
        path = self.directory / api / f"{day}.har"
        text = scrub(json.dumps(entry, ensure_ascii=False), secrets_found, self.placeholders)
        clean = json.loads(text)
        with self._lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            document: dict[str, Any] = (
                json.loads(path.read_text(encoding="utf-8"))
                if path.exists()
                else {"log": {"version": HAR_VERSION, "creator": dict(CREATOR), "entries": []}}
            )
            document["log"]["entries"].append(clean)
            scratch = path.with_suffix(".har.tmp")
            scratch.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            scratch.replace(path)
        return path


def query_pairs(query: bytes) -> list[tuple[str, str]]:
    return parse_qsl(query.decode("latin-1"), keep_blank_values=True)
