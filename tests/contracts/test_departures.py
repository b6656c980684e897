"""The contract runner can fail: each test serves the real mock with ONE planted departure from the contract
and expects `journeymock contracts --target live` to exit 1 naming the check that catches it.

A departure from a documented fact fails a plain live run. A departure from an inferred fact (the variants
with `--strict-inferences`) is only a warning without that option, and a failure with it.

A departure is a small ASGI wrapper around the mock app that rewrites requests before the mock sees them or
responses before the client does; everything else is the faithful mock.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

Exchange = Any  # the conftest's Exchange: one request and its response, editable
RequestHook = Callable[[Any], None]
ResponseHook = Callable[[Any], None]


def _is(exchange: Exchange, method: str, pattern: str, status: int | None = None) -> bool:
    matches = exchange.method == method and re.fullmatch(pattern, exchange.path) is not None
    return matches and (status is None or exchange.status == status)


JOURVEX_JOURNEY = r"/api/journey/[^/]+"
ODYSSEY_CREATE = r"/api/journeys/create"
ODYSSEY_JOURNEY = r"/api/journeys/[^/]+"
YOFI_JOURNEY = r"/data-api/v3/journeys/[^/]+"
YOFI_PREDICTIONS = r"/data-api/v3/journeys/[^/]+/predictions"


def _edit_jourvex_body(edit: Callable[[dict[str, Any]], None]) -> ResponseHook:
    def after(exchange: Exchange) -> None:
        if _is(exchange, "GET", JOURVEX_JOURNEY, 200):
            body = exchange.json()
            edit(body)
            exchange.set_json(body)

    return after


# Response departures: what the server sends is wrong.


def _wrong_type(body: dict[str, Any]) -> None:
    body["metrics"]["total_sessions"] = str(body["metrics"]["total_sessions"])


def _missing_field(body: dict[str, Any]) -> None:
    del body["journey_id"]


def _bad_date_time(body: dict[str, Any]) -> None:
    body["first_seen"] = "21/05/2026 09:14"


def _enum_out_of_range(body: dict[str, Any]) -> None:
    body["intent"]["level"] = "extreme"


def _broken_invariant(body: dict[str, Any]) -> None:
    body["metrics"]["total_sessions"] = len(body["sessions"]) + 1


def _wrong_content_type(exchange: Exchange) -> None:
    if _is(exchange, "GET", JOURVEX_JOURNEY, 200):
        exchange.response_headers["content-type"] = "text/html; charset=utf-8"


def _undocumented_status(exchange: Exchange) -> None:
    # Jourvex documents 401 for a missing or rejected key; this server says 403.
    if exchange.status == 401:
        exchange.status = 403


def _server_error(exchange: Exchange) -> None:
    # A 500 on some inputs: journey ids with characters beyond letters, digits, '-' and '_'.
    if exchange.path.startswith("/api/journey/") and not re.fullmatch(r"/api/journey/[\w-]+", exchange.path):
        exchange.status = 500
        exchange.set_json({"error": "internal error"})


def _html_500_for_long_ids(exchange: Exchange) -> None:
    # A server whose id column holds 24 characters: anything longer ends in its framework's error page.
    if exchange.path.startswith("/api/journey/") and len(exchange.path.rsplit("/", 1)[1]) > 24:
        exchange.status = 500
        exchange.response_headers["content-type"] = "text/html; charset=utf-8"
        exchange.response_body = b"<html><body><h1>500 Internal Server Error</h1></body></html>"


def _crash_on_non_ascii_id(exchange: Exchange) -> None:
    # The id is used as an ASCII key somewhere: a non-ASCII one raises, and the server answers whatever its
    # framework answers to an exception.
    if exchange.path.startswith("/data-api/v3/journeys/"):
        exchange.path.encode("ascii")


def _wrong_error_body(exchange: Exchange) -> None:
    if exchange.status == 404 and exchange.path.startswith("/api/journeys/"):
        exchange.set_json({"message": "not found"})


def _wrong_error_message(exchange: Exchange) -> None:
    if exchange.status == 404 and exchange.path.startswith("/api/journeys/"):
        exchange.set_json({"error": 'Journey with slug "small-business-grant" not found'})


def _predictions_always(exchange: Exchange) -> None:
    # `fields[journeys]` ignored: predictions are sent whether asked for or not.
    if _is(exchange, "GET", YOFI_JOURNEY):
        exchange.query = [
            *[(k, v) for k, v in exchange.query if k != "fields[journeys]"],
            ("fields[journeys]", "predictions"),
        ]


def _is_force_recalculates_differently(exchange: Exchange) -> None:
    if _is(exchange, "GET", YOFI_PREDICTIONS, 200) and ("isForce", "true") in exchange.query:
        body = exchange.json()
        for resource in body["data"]:
            changed = hashlib.sha256(resource["attributes"]["prediction_id"].encode()).hexdigest()
            resource["id"] = resource["attributes"]["prediction_id"] = changed
        exchange.set_json(body)


def _unsupported_method_served(exchange: Exchange) -> None:
    if exchange.method in {"DELETE", "PATCH"} and exchange.path.startswith("/data-api/"):
        exchange.status = 200
        exchange.response_headers.pop("allow", None)
        exchange.set_json({"deleted": True})


# Request departures: what the server accepts is wrong.


def _auth_not_enforced(exchange: Exchange) -> None:
    if exchange.path.startswith("/api/journey/"):
        exchange.headers["authorization"] = "Bearer jvx_test_anyone"


def _partner_header_ignored(exchange: Exchange) -> None:
    exchange.headers.setdefault("x-scope-partner-id", "anyone")


def _invalid_slug_accepted(exchange: Exchange) -> None:
    if _is(exchange, "POST", ODYSSEY_CREATE):
        try:
            body = json.loads(exchange.body)
        except ValueError:
            return
        if isinstance(body, dict) and isinstance(body.get("slug"), str):
            cleaned = re.sub(r"[^a-z0-9-]", "", body["slug"].lower()) or "cleaned"
            if cleaned != body["slug"]:
                body["slug"] = f"{cleaned}-{hashlib.sha256(body['slug'].encode()).hexdigest()[:8]}"
                exchange.body = json.dumps(body).encode()


def _invalid_query_accepted(exchange: Exchange) -> None:
    exchange.query = [
        (key, value)
        for key, value in exchange.query
        if not (key == "fields[journeys]" and value != "predictions")
        and not (key == "isForce" and value not in ("true", "false"))
    ]


# Stateful departures: what the server keeps is wrong.


def _lost_creates(exchange: Exchange) -> None:
    if _is(exchange, "GET", ODYSSEY_JOURNEY) and "/contract-" in exchange.path:
        slug = exchange.path.rsplit("/", 1)[1]
        exchange.path = f"/api/journeys/lost-{slug}"


def _lost_creates_after(exchange: Exchange) -> None:
    if exchange.status == 404 and "/lost-" in exchange.path:
        slug = exchange.path.rsplit("/lost-", 1)[1]
        exchange.set_json({"error": f'Journey with slug "{slug}" not found'})


def _ignored_updates(exchange: Exchange) -> None:
    if _is(exchange, "PUT", ODYSSEY_JOURNEY):
        exchange.method = "GET"
        exchange.body = b""


class _DuplicatesAccepted:
    """Remembers each created journey and answers a second create of its slug 201 again, not 409."""

    def __init__(self) -> None:
        self.created: dict[str, bytes] = {}

    def __call__(self, exchange: Exchange) -> None:
        if not _is(exchange, "POST", ODYSSEY_CREATE):
            return
        if exchange.status == 201:
            self.created[exchange.json()["slug"]] = exchange.response_body
        elif exchange.status == 409:
            slug = json.loads(exchange.body)["slug"]
            if slug in self.created:
                exchange.status = 201
                exchange.response_body = self.created[slug]


#: The option that makes a departure from an inferred fact fail (without it, a warning).
STRICT = "--strict-inferences"


@dataclass(frozen=True)
class Variant:
    name: str
    api: str
    check: str
    before: RequestHook | None = None
    after: Callable[[], ResponseHook] | ResponseHook | None = None
    options: tuple[str, ...] = ()


VARIANTS = [
    Variant("wrong type", "jourvex", "response_schema_conformance", after=_edit_jourvex_body(_wrong_type)),
    Variant(
        "missing documented field", "jourvex", "response_schema_conformance", after=_edit_jourvex_body(_missing_field)
    ),
    Variant("bad date-time", "jourvex", "response_schema_conformance", after=_edit_jourvex_body(_bad_date_time)),
    Variant(
        "enum value out of range",
        "jourvex",
        "response_schema_conformance",
        after=_edit_jourvex_body(_enum_out_of_range),
        options=(STRICT,),
    ),
    Variant("wrong content type", "jourvex", "content_type_conformance", after=_wrong_content_type),
    Variant("undocumented status", "jourvex", "status_code_conformance", after=_undocumented_status),
    Variant("5xx on some inputs", "jourvex", "not_a_server_error", after=_server_error),
    Variant("auth not enforced", "jourvex", "ignored_auth", before=_auth_not_enforced),
    Variant("500 with HTML for ids over 24 characters", "jourvex", "edge_probes", after=_html_500_for_long_ids),
    Variant("crash on a non-ASCII id", "yofi", "edge_probes", before=_crash_on_non_ascii_id),
    Variant(
        "broken invariant",
        "jourvex",
        "semantic_invariants",
        after=_edit_jourvex_body(_broken_invariant),
        options=(STRICT,),
    ),
    Variant("invalid input accepted", "odyssey", "negative_data_rejection", before=_invalid_slug_accepted),
    Variant("wrong error body", "odyssey", "response_schema_conformance", after=_wrong_error_body),
    Variant("wrong error message", "odyssey", "documented_error_message", after=_wrong_error_message),
    Variant("lost creates", "odyssey", "created_journey_retrievable", before=_lost_creates, after=_lost_creates_after),
    Variant("ignored updates", "odyssey", "update_applied", before=_ignored_updates),
    Variant("duplicates accepted", "odyssey", "duplicate_slug_rejected", after=_DuplicatesAccepted),
    Variant("required header ignored", "yofi", "missing_required_header", before=_partner_header_ignored),
    Variant(
        "invalid query accepted", "yofi", "negative_data_rejection", before=_invalid_query_accepted, options=(STRICT,)
    ),
    Variant("fields[journeys] ignored", "yofi", "predictions_field", before=_predictions_always),
    Variant(
        "isForce changes predictions",
        "yofi",
        "is_force_consistent",
        after=_is_force_recalculates_differently,
        options=(STRICT,),
    ),
    Variant("unsupported method served", "yofi", "unsupported_method", after=_unsupported_method_served),
]

#: Few examples keep each run short; the planted departures are found by the coverage phase or within them.
EXAMPLES = ("--max-examples", "8", "--seed", "7", "--rate", "1000/s")


#: Known ids: Yofi's sequences need journeys that exist on a live target.
KNOWN_IDS = {
    "YOFI_JOURNEY_IDS": "jid-e90328e0-1be9-540e-8671-41acd5cc9a5d,jid-0a1b2c3d",
    "JOURVEX_JOURNEY_IDS": "cluster_8f2ab",
}


@pytest.mark.parametrize("variant", VARIANTS, ids=[variant.name for variant in VARIANTS])
def test_departure_is_caught_by_the_right_check(variant, plant, live_env, run_contracts, monkeypatch):
    for name, value in KNOWN_IDS.items():
        monkeypatch.setenv(name, value)
    after = variant.after() if isinstance(variant.after, type) else variant.after
    base_url = plant(variant.api, before=variant.before, after=after)
    outcome = run_contracts(
        "--target", "live", "--api", variant.api, "--base-url", base_url, "--allow-writes", *EXAMPLES, *variant.options
    )
    assert outcome.status == 1, outcome.text
    failed = re.findall(r"^  (\w+)\s+FAILED", outcome.out, flags=re.MULTILINE)
    assert variant.check in failed, f"{variant.check} not among the failed checks {failed}:\n{outcome.text}"
    assert f"[{variant.check}]" in outcome.out
    assert "curl -X" in outcome.out
    assert "--seed 7" in outcome.out


INFERRED_VARIANTS = [variant for variant in VARIANTS if STRICT in variant.options]


@pytest.mark.parametrize("variant", INFERRED_VARIANTS, ids=[variant.name for variant in INFERRED_VARIANTS])
def test_a_departure_from_an_inference_is_a_warning_without_strict_inferences(
    variant, plant, live_env, run_contracts, monkeypatch
):
    for name, value in KNOWN_IDS.items():
        monkeypatch.setenv(name, value)
    after = variant.after() if isinstance(variant.after, type) else variant.after
    base_url = plant(variant.api, before=variant.before, after=after)
    outcome = run_contracts(
        "--target", "live", "--api", variant.api, "--base-url", base_url, "--allow-writes", *EXAMPLES
    )
    assert outcome.status == 0, outcome.text
    summary = outcome.out.split("journeymock contracts summary")[1]
    assert re.search(rf"^  {variant.check}\s+warning", summary, flags=re.MULTILINE), summary
    assert f"inference contradicted [{variant.check}]" in summary
