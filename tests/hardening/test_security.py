"""Security: secrets stay out of the journal and the log, the admin API guards itself, organisations are sealed
from each other, and browsers get no CORS permission."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test
from starlette.testclient import TestClient
from support import FIXED_NOW, ServedMock, served_mock

from ._support import (
    JOURVEX_TOKEN,
    MIB,
    ODYSSEY_TOKEN,
    YOFI_PARTNER,
    YOFI_TOKEN,
    call,
    exchange,
    http_request,
)

ODYSSEY_READONLY_TOKEN = "odyssey-hardening-S3CRET-readonly-2be0"
UNKNOWN_ODYSSEY_TOKEN = "odyssey-hardening-S3CRET-unknown-c1d9"
ADMIN_TOKEN = "admin-hardening-S3CRET-0f6a"
#: Every value that must never be written down by the mock.
SECRETS = (
    JOURVEX_TOKEN,
    ODYSSEY_TOKEN,
    ODYSSEY_READONLY_TOKEN,
    UNKNOWN_ODYSSEY_TOKEN,
    YOFI_TOKEN,
    YOFI_PARTNER,
    ADMIN_TOKEN,
)
#: uvicorn trusts proxy headers from loopback by default; this makes a loopback request count as remote.
REMOTE = {"X-Forwarded-For": "10.0.0.5"}


def leaked(text: str) -> list[str]:
    """The lines of `text` holding any part of a secret (every secret, and nothing else, contains S3CRET)."""
    assert all("S3CRET" in secret for secret in SECRETS)
    return [line for line in text.splitlines() if "S3CRET" in line]


# --- secrets ---------------------------------------------------------------------------------------------------


def every_kind_of_request(base_url: str) -> None:
    """Successes and each kind of refusal, with the secrets in every header that may carry them."""
    jourvex = {"Authorization": f"Bearer {JOURVEX_TOKEN}"}
    odyssey = {"Authorization": f"Bearer {ODYSSEY_TOKEN}"}
    readonly = {"Authorization": f"Bearer {ODYSSEY_READONLY_TOKEN}"}  # same organisation, read scope only
    yofi = {"Authorization": f"Bearer {YOFI_TOKEN}", "x-scope-partner-id": YOFI_PARTNER}
    expectations: list[tuple[str, str, dict[str, str], Any, int]] = [
        ("GET", "/api/journey/secret-1", jourvex, None, 200),
        ("GET", "/api/journey/secret-1", {"Authorization": f"Bearer {JOURVEX_TOKEN}-revoked"}, None, 401),
        ("GET", "/api/journey/secret-1", {"Authorization": f"Token {JOURVEX_TOKEN}"}, None, 401),
        ("GET", "/api/journey/secret-1", {"Authorization": f"Bearer {JOURVEX_TOKEN} extra"}, None, 401),
        ("GET", "/api/journey/secret-1", {**jourvex, "Prefer": "code=401"}, None, 401),
        ("GET", "/api/journey/missing-1", jourvex, None, 404),
        ("DELETE", "/api/journey/secret-1", jourvex, None, 405),
        ("POST", "/api/journeys/create", odyssey, {"slug": "secret", "displayName": "S"}, 201),
        ("POST", "/api/journeys/create", odyssey, {"slug": "secret", "displayName": "S"}, 409),
        ("POST", "/api/journeys/create", odyssey, {"slug": "Not Valid", "displayName": "S"}, 400),
        ("GET", "/api/journeys/secret", odyssey, None, 200),
        ("PUT", "/api/journeys/secret", odyssey, {"displayName": "T"}, 200),
        ("GET", "/api/journeys/secret", readonly, None, 200),
        ("PUT", "/api/journeys/secret", readonly, {"displayName": "U"}, 403),
        ("GET", "/api/journeys/secret", {"Authorization": f"Bearer {UNKNOWN_ODYSSEY_TOKEN}"}, None, 401),
        ("GET", "/data-api/v3/journeys/secret-2", yofi, None, 200),
        ("GET", "/data-api/v3/journeys/secret-2/predictions?isForce=true", yofi, None, 200),
        ("GET", "/data-api/v3/journeys/secret-2/predictions?isForce=maybe", yofi, None, 400),
        ("GET", "/data-api/v3/journeys/secret-2", {"Authorization": f"Bearer {YOFI_TOKEN}"}, None, 400),
        ("GET", "/data-api/v3/journeys/secret-2", {"x-scope-partner-id": YOFI_PARTNER}, None, 401),
        ("GET", "/data-api/v3/journeys/secret-2", {**yofi, "Authorization": "Bearer expired"}, None, 401),
    ]
    for method, path, headers, body, status in expectations:
        response = call(base_url, method, path, headers, body)
        assert response.status == status, (method, path, response.status, response.body[:200])
    # Header names in any case, a 413, a body that breaks the parser, and a request uvicorn refuses.
    mixed_case = {"AUTHORIZATION": f"Bearer {YOFI_TOKEN}", "X-Scope-Partner-ID": YOFI_PARTNER}
    assert call(base_url, "GET", "/data-api/v3/journeys/secret-3", mixed_case).status == 200
    too_large = http_request("POST", "/api/journeys/create", {**odyssey, "Content-Length": str(2 * MIB)})
    assert exchange(base_url, too_large).status == 413
    json_body = {**odyssey, "Content-Type": "application/json"}
    assert exchange(base_url, http_request("POST", "/api/journeys/create", json_body, b"")).status == 400
    # Whatever the answer to a body that breaks the JSON parser, the log lines it causes hold no secret.
    deep = b'{"slug": "deep", "displayName": "x", "note": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    exchange(base_url, http_request("POST", "/api/journeys/create", json_body, deep))
    broken = b"GET /api/journey/a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + JOURVEX_TOKEN.encode()
    assert exchange(base_url, broken + b"\r\nX-Broken: \x00\r\n\r\n").status == 400
    # An admin call that is refused, offering a token.
    refused = call(base_url, "GET", "/__admin/requests", {**REMOTE, "Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert refused.status == 403


def test_secrets_never_reach_the_journal_or_the_log(tmp_path):
    arguments = [
        "--now", FIXED_NOW, "--validate-responses", "--log-level", "debug",
        "--token", f"odyssey={ODYSSEY_TOKEN}:journeys:read,journeys:write@org_hardening",
        "--token", f"odyssey={ODYSSEY_READONLY_TOKEN}:journeys:read@org_hardening",
    ]  # fmt: skip
    with served_mock(arguments, tmp_path) as served:
        every_kind_of_request(served.base_url)
        journal = httpx.get(f"{served.base_url}/__admin/requests")
        assert journal.status_code == 200
    log = served.log()
    entries = journal.json()["requests"]
    assert len(entries) >= 25
    # The headers were seen, and redacted.
    assert {entry["headers"].get("authorization") for entry in entries} <= {"[redacted]", None}
    assert any(entry["headers"].get("x-scope-partner-id") == "[redacted]" for entry in entries)
    assert not leaked(journal.text), leaked(json.dumps(journal.json(), indent=1))[:5]
    # The log is the debug log (uvicorn's access lines and the mock's own), and holds no secret either.
    assert "GET /api/journey/secret-1" in log
    assert "/api/journeys/create" in log
    assert not leaked(log), leaked(log)[:5]


# --- the admin API ---------------------------------------------------------------------------------------------

ADMIN_CALLS = [
    ("GET", "/__admin/health", 200),
    ("GET", "/__admin/requests", 200),
    ("GET", "/__admin/specs/yofi", 200),
    ("DELETE", "/__admin/requests", 204),
    ("POST", "/__admin/reset", 204),
]


@pytest.fixture(params=[1, 2], ids=["one-worker", "two-workers"])
def admin_token_mock(
    request: pytest.FixtureRequest, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ServedMock]:
    monkeypatch.setenv("JOURNEYMOCK_ADMIN_TOKEN", ADMIN_TOKEN)
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "127.0.0.1")
    arguments = ["--now", FIXED_NOW, "--log-level", "debug", "--workers", str(request.param)]
    with served_mock(arguments, tmp_path) as served:
        yield served


def test_the_admin_token_from_the_environment_guards_remote_clients(admin_token_mock):
    base_url = admin_token_mock.base_url
    for method, path, status in ADMIN_CALLS:
        # Loopback clients need no token.
        assert call(base_url, method, path).status == status, (method, path)
        # Remote ones need the configured token, exactly.
        for offered in (None, "wrong", ADMIN_TOKEN.upper(), ADMIN_TOKEN[:-1], f"{ADMIN_TOKEN}x", ""):
            headers = dict(REMOTE) if offered is None else {**REMOTE, "Authorization": f"Bearer {offered}"}
            refused = call(base_url, method, path, headers)
            assert refused.status == 403, (method, path, offered, refused.status)
            assert refused.json() == {
                "error": "The admin API is open to non-loopback clients only with the admin token"
            }
        allowed = call(base_url, method, path, {**REMOTE, "Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert allowed.status == status, (method, path, allowed.body[:200])
    admin_token_mock.stop()
    assert not leaked(admin_token_mock.log())


@pytest.fixture(scope="module")
def plain_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedMock]:
    with served_mock(["--now", FIXED_NOW, "--log-level", "warning"], tmp_path_factory.mktemp("plain")) as served:
        yield served


def test_without_an_admin_token_remote_clients_are_refused_whatever_they_offer(plain_mock):
    for method, path, _status in ADMIN_CALLS:
        for headers in (REMOTE, {**REMOTE, "Authorization": "Bearer "}, {**REMOTE, "Authorization": "Bearer x"}):
            refused = call(plain_mock.base_url, method, path, headers)
            assert refused.status == 403, (method, path, headers)
            assert "JOURNEYMOCK_ADMIN_TOKEN" in refused.json()["error"]


# --- organisations ---------------------------------------------------------------------------------------------

#: RFC 6750 b64token characters, without the words that make a token rejected or read-only.
TOKENS = st.from_regex(r"[A-Za-z0-9._~+/-]{1,40}=*", fullmatch=True).filter(
    lambda token: not re.search("invalid|expired|revoked|readonly", token, re.IGNORECASE)
)
SLUGS = st.from_regex(r"[a-z0-9-]{1,30}", fullmatch=True)
NAMES = st.text(max_size=40)


class Organisations(RuleBasedStateMachine):
    """Random organisations creating, reading and updating journeys with a small shared pool of slugs.

    The model is what each organisation created; the mock must match it exactly: a slug is found only in the
    organisation that created it, can be changed only there, and is free in every other organisation.
    """

    client: TestClient

    def __init__(self) -> None:
        super().__init__()
        assert self.client.post("/__admin/reset").status_code == 204
        self.model: dict[tuple[str, str], str] = {}
        self.organisations: dict[str, str] = {}
        self.tokens: list[str] = []
        self.slugs: list[str] = []

    @initialize(
        tokens=st.lists(TOKENS, min_size=2, max_size=4, unique=True), slugs=st.lists(SLUGS, min_size=1, max_size=4)
    )
    def choose(self, tokens: list[str], slugs: list[str]) -> None:
        self.tokens, self.slugs = tokens, slugs

    def _pick(self, data: st.DataObject) -> tuple[str, str, dict[str, str]]:
        token = data.draw(st.sampled_from(self.tokens), label="token")
        slug = data.draw(st.sampled_from(self.slugs), label="slug")
        return token, slug, {"Authorization": f"Bearer {token}"}

    def _organisation(self, token: str, body: dict[str, Any]) -> None:
        known = self.organisations.setdefault(token, body["orgId"])
        assert body["orgId"] == known
        others = {org for other, org in self.organisations.items() if other != token}
        assert known not in others, "two tokens share an organisation"

    @rule(data=st.data(), name=NAMES)
    def create(self, data: st.DataObject, name: str) -> None:
        token, slug, auth = self._pick(data)
        response = self.client.post("/api/journeys/create", json={"slug": slug, "displayName": name}, headers=auth)
        if (token, slug) in self.model:
            assert response.status_code == 409, response.text
            return
        assert response.status_code == 201, response.text
        self._organisation(token, response.json())
        assert response.json()["displayName"] == name
        self.model[(token, slug)] = name

    @rule(data=st.data(), name=NAMES)
    def update(self, data: st.DataObject, name: str) -> None:
        token, slug, auth = self._pick(data)
        response = self.client.put(f"/api/journeys/{slug}", json={"displayName": name}, headers=auth)
        if (token, slug) not in self.model:
            assert response.status_code == 404, response.text
            assert response.json() == {"error": f'Journey with slug "{slug}" not found'}
            return
        assert response.status_code == 200, response.text
        self._organisation(token, response.json())
        self.model[(token, slug)] = name

    @rule(data=st.data())
    def retrieve(self, data: st.DataObject) -> None:
        token, slug, auth = self._pick(data)
        response = self.client.get(f"/api/journeys/{slug}", headers=auth)
        if (token, slug) not in self.model:
            assert response.status_code == 404, response.text
            return
        assert response.status_code == 200, response.text
        self._organisation(token, response.json())
        assert response.json()["displayName"] == self.model[(token, slug)]


def test_one_organisation_never_reads_or_changes_anothers_journeys(make_client):
    Organisations.client = make_client()
    run_state_machine_as_test(
        Organisations,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


# --- CORS ------------------------------------------------------------------------------------------------------

CORS_PATHS = [
    ("/api/journey/x", {"Authorization": f"Bearer {JOURVEX_TOKEN}"}),
    ("/api/journeys/x", {"Authorization": f"Bearer {ODYSSEY_TOKEN}"}),
    ("/data-api/v3/journeys/x", {"Authorization": f"Bearer {YOFI_TOKEN}", "x-scope-partner-id": YOFI_PARTNER}),
    ("/__admin/requests", {}),
]


@pytest.mark.parametrize(("path", "auth"), CORS_PATHS, ids=[path for path, _ in CORS_PATHS])
def test_browsers_get_no_cors_permission(plain_mock, path, auth):
    origin = {"Origin": "https://evil.example"}
    preflight = call(
        plain_mock.base_url,
        "OPTIONS",
        path,
        {**origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"},
    )
    assert not [name for name in preflight.headers if name.startswith("access-control-")], preflight.headers
    simple = call(plain_mock.base_url, "GET", path, {**origin, **auth})
    # The APIs answer (without CORS permission, so a browser hides the answer); the admin API refuses a page
    # of another origin outright, so it cannot even be reset by a cross-site form.
    assert simple.status in ((403,) if path.startswith("/__admin") else (200, 404))
    assert not [name for name in simple.headers if name.startswith("access-control-")], simple.headers
    assert json.loads(simple.body)
