"""Error bodies in each API's own shape, and the exception that carries one through the pipeline.

Errors are data: an `ApiError` holds the status, the message and any headers, and the API's `ErrorStyle`
decides how it looks on the wire. Nothing here knows which API is which; `apis/<api>.py` picks the style.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any


class ErrorStyle(enum.Enum):
    """How an API spells an error body."""

    #: `{"error": "<message>"}` — Jourvex and Odyssey.
    SIMPLE = "simple"
    #: `{"errors": [{"status": "404", "title": "Not Found", "detail": "<message>"}]}` — Yofi (JSON:API).
    JSON_API = "json_api"

    def body(self, status: int, message: str) -> dict[str, Any]:
        if self is ErrorStyle.SIMPLE:
            return {"error": message}
        return {"errors": [{"status": str(status), "title": reason_phrase(status), "detail": message}]}


#: How much of an offending value an error message quotes: enough to recognise it, and a value of any size
#: (a 900 KB string, an 8 KiB query parameter) never makes the answer large.
QUOTED_PREFIX_LENGTH = 40


def quoted(value: str) -> str:
    """`repr(value)` for an error message; a long value as its first characters and its length."""
    if len(value) <= QUOTED_PREFIX_LENGTH:
        return repr(value)
    return f"{value[:QUOTED_PREFIX_LENGTH]!r}… ({len(value)} characters)"


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


@dataclass
class ApiError(Exception):
    """An HTTP error answer, raised anywhere in the pipeline and rendered in the API's style."""

    status: int
    message: str
    headers: Mapping[str, str] = field(default_factory=dict)
    #: True for answers about the mock itself (bad `Prefer` values, unknown routes): not part of any operation.
    control: bool = False

    def __post_init__(self) -> None:
        super().__init__(f"{self.status} {self.message}")
