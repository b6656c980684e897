"""Recordings of proxied exchanges as HAR 1.2: written by `journeymock proxy --record DIR`, one file per API per
day (`DIR/<api>/<YYYY-MM-DD>.har`, indented, so a recording is reviewable and diffs well), appended to by a
writer thread off the event loop.

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
import logging
import os
import re
import secrets
import textwrap
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, quote, quote_plus

import orjson

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
#: Secrets whose placeholders a recorder remembers at most (forgotten all at once past it; recomputed alike).
_KNOWN_SECRETS: Final = 4096
#: Reason phrases by status (`HTTPStatus(status)` costs an enum lookup per exchange).
_REASONS: Final = {status.value: status.phrase for status in HTTPStatus}
CREATOR: Final = {"name": "journeymock", "version": __version__}
#: Response headers about the connection an answer came over, not the answer: neither forwarded by the proxy nor
#: replayed (the connection to the client sets its own).
CONNECTION_HEADERS: Final = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "trailer", "upgrade", "content-length"}
)


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
        self._forms: dict[str, tuple[tuple[str, str], ...]] = {}

    def of(self, value: str) -> str:
        digest = hmac.new(self._key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:16]
        return PLACEHOLDER_PREFIX + digest

    def replacements(self, secret: str) -> tuple[tuple[str, str], ...]:
        """Each form `secret` may take in a JSON document (raw, JSON-escaped, percent-encoded) with its placeholder;
        remembered, because a session sends the same few secrets on every exchange."""
        known = self._forms.get(secret)
        if known is None:
            if len(self._forms) >= _KNOWN_SECRETS:
                self._forms.clear()
            placeholder = self.of(secret)
            forms = {secret, json.dumps(secret)[1:-1], quote(secret, safe=""), quote_plus(secret)}
            known = self._forms[secret] = tuple((form, placeholder) for form in sorted(forms, key=len, reverse=True))
        return known


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
        for form, placeholder in placeholders.replacements(secret):
            if form in text:
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
    reason = _REASONS.get(status, "")
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


#: A recording file ends with this once it holds an entry (the layout `json.dumps(document, indent=2)` gives):
#: the writer appends an entry by writing over it, then writing it again.
_TAIL: Final = b"\n    ]\n  }\n}\n"
#: An entry's indentation inside `log.entries`.
_ENTRY_INDENT: Final = " " * 6
#: How often the writer thread writes what is waiting, and how many waiting entries wake it sooner.
FLUSH_INTERVAL_S: Final = 0.2
FLUSH_AT: Final = 2048

_log = logging.getLogger("journeymock")


class HarRecorder:
    """Appends entries to `DIR/<api>/<day>.har`; the files are written by one writer thread.

    `write` serializes the entry and replaces its secrets on the caller's thread (tens of microseconds: orjson and
    string replacements), then adds it to a list the writer takes every `FLUSH_INTERVAL_S` (or as soon as
    `FLUSH_AT` entries wait). So the event loop neither touches a file nor wakes a thread per exchange, and the
    writer runs almost no Python: a writer woken per exchange, or building entries itself, held the GIL and made
    the event loop wait for it on every exchange. The writer appends each file's waiting entries in one write:
    the cost per exchange is bounded by the entry's size, never the file's (the file is neither read nor
    rewritten). Between writes every file is a complete HAR 1.2 document; a file that does not end as this writer
    leaves its files (edited by hand, or with no entry) is rewritten whole once. `close` writes everything still
    waiting.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.placeholders = Placeholders(directory)
        self._pending: list[tuple[Path, bytes]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="journeymock-har-writer", daemon=True)
        self._thread.start()

    def write(self, entry: dict[str, Any], secrets_found: Iterable[str]) -> None:
        """Queue one entry, its secrets replaced, for its file."""
        day = str(entry["startedDateTime"])[:10]
        path = self.directory / str(entry["_journeymock"]["api"]) / f"{day}.har"
        text = scrub(orjson.dumps(entry, option=orjson.OPT_INDENT_2).decode("utf-8"), secrets_found, self.placeholders)
        # JSON text has no raw line break inside a string: indenting every line is indenting the entry.
        indented = (_ENTRY_INDENT + text.replace("\n", "\n" + _ENTRY_INDENT)).encode("utf-8")
        with self._lock:
            if self._closed:
                raise RuntimeError("the recorder is closed")
            self._pending.append((path, indented))
            if len(self._pending) == FLUSH_AT:
                self._wake.set()

    def close(self) -> None:
        """Write everything waiting, then stop the writer (idempotent)."""
        with self._lock:
            self._closed = True
        self._wake.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self._wake.wait(FLUSH_INTERVAL_S)
            self._wake.clear()
            with self._lock:
                batch, self._pending = self._pending, []
                closing = self._closed
            files: dict[Path, list[bytes]] = {}
            for path, text in batch:
                files.setdefault(path, []).append(text)
            for path, entries in files.items():
                try:
                    _append(path, entries)
                except Exception:
                    # A recording that cannot be written must not stop the proxy; the log says what was lost.
                    _log.exception("could not write %d recorded exchange(s) to %s", len(entries), path)
            if closing:
                return


def _append(path: Path, entries: Sequence[bytes]) -> None:
    """`entries` (indented JSON texts) appended to the HAR file at `path`, made when missing."""
    added = b",\n".join(entries)
    if path.exists():
        with path.open("r+b") as file:
            size = file.seek(0, os.SEEK_END)
            if size > len(_TAIL):
                file.seek(size - len(_TAIL))
                if file.read(len(_TAIL)) == _TAIL:
                    file.seek(size - len(_TAIL))
                    file.write(b",\n" + added + _TAIL)
                    return
        document = json.loads(path.read_text(encoding="utf-8"))
        # Entries last in `log`, so that the file ends as appending expects from now on.
        log = document["log"]
        document["log"] = {**{key: value for key, value in log.items() if key != "entries"}, "entries": log["entries"]}
        kept = [
            textwrap.indent(json.dumps(entry, ensure_ascii=False, indent=2), _ENTRY_INDENT).encode("utf-8")
            for entry in document["log"]["entries"]
        ]
        document["log"]["entries"] = []
        _create(path, document, [*kept, *entries])
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    _create(path, {"log": {"version": HAR_VERSION, "creator": dict(CREATOR), "entries": []}}, entries)


def _create(path: Path, document: dict[str, Any], entries: Sequence[bytes]) -> None:
    """`document` with `entries` in its `log.entries`, written whole (to a scratch file first: the file at `path`
    is always complete)."""
    text = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    empty = b'"entries": []'
    head, _, rest = text.rpartition(empty)
    if entries:
        text = head + b'"entries": [\n' + b",\n".join(entries) + b"\n    ]" + rest
    scratch = path.with_suffix(".har.tmp")
    scratch.write_bytes(text + b"\n")
    scratch.replace(path)


def query_pairs(query: bytes) -> list[tuple[str, str]]:
    return parse_qsl(query.decode("latin-1"), keep_blank_values=True)
