"""Hostile HTTP against the served mock, over raw loopback sockets (nothing normalises the requests).

Every hostile request gets a clear 4xx — in the API's own error shape when the mock answers (`{"error": ...}` for
/api/..., JSON:API `{"errors": [...]}` for /data-api/...), or uvicorn's own 400 when the request is not HTTP it
can parse — and the server keeps serving: a good request to each API afterwards is answered 200.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator

import pytest
from support import FIXED_NOW, ServedMock, served_mock

from mockserver.pipeline import MAX_HEADER_BYTES, MAX_TARGET_BYTES

from ._support import (
    JOURVEX,
    MIB,
    ODYSSEY,
    YOFI,
    RawResponse,
    assert_json_api_error,
    assert_simple_error,
    assert_still_serving,
    call,
    connect,
    exchange,
    http_request,
    read_response,
)

JSON = {"Content-Type": "application/json"}
INVALID_JOURNEY_DATA = "Invalid journey data: "
SLUG_MESSAGE = "Invalid journey data: slug must contain only lowercase letters, numbers, and hyphens"


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedMock]:
    arguments = ["--now", FIXED_NOW, "--validate-responses", "--log-level", "warning"]
    with served_mock(arguments, tmp_path_factory.mktemp("hostile")) as served:
        yield served


@pytest.fixture(scope="module")
def state_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedMock]:
    directory = tmp_path_factory.mktemp("hostile-state")
    arguments = ["--now", FIXED_NOW, "--validate-responses", "--log-level", "warning"]
    with served_mock([*arguments, "--state", str(directory / "state.sqlite")], directory) as served:
        yield served


@pytest.fixture(autouse=True)
def fresh_journal(mock: ServedMock) -> Iterator[None]:
    """Each test starts with an empty journal (one test's leftovers must not decide another's outcome)."""
    call(mock.base_url, "DELETE", "/__admin/requests")
    yield
    call(mock.base_url, "DELETE", "/__admin/requests")


@pytest.fixture
def target(mock: ServedMock) -> str:
    """A journey of its own for each test, so a wrongly accepted write cannot spoil the next test."""
    slug = f"target-{uuid.uuid4().hex[:12]}"
    body = {"slug": slug, "displayName": "Target", "allowedOrigins": ["https://a.example"]}
    created = call(mock.base_url, "POST", "/api/journeys/create", ODYSSEY, body)
    assert created.status == 201, created.body
    return slug


def unchanged(base_url: str, slug: str) -> bool:
    body = call(base_url, "GET", f"/api/journeys/{slug}", ODYSSEY).json()
    return bool(body["displayName"] == "Target" and body["allowedOrigins"] == ["https://a.example"])


def odyssey_write(base_url: str, slug: str | None, body: bytes, headers: dict[str, str] | None = None) -> RawResponse:
    """A create (`slug` None) or an update of the journey `slug`, with exactly these body bytes."""
    method, path = ("POST", "/api/journeys/create") if slug is None else ("PUT", f"/api/journeys/{slug}")
    return exchange(base_url, http_request(method, path, {**ODYSSEY, **(JSON if headers is None else headers)}, body))


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# --- bodies ----------------------------------------------------------------------------------------------------

MALFORMED_JSON = {
    "truncated": b'{"slug": "truncated", "displayName": ',
    "not-json": b"{nope",
    "trailing-garbage": b'{"slug": "trailing", "displayName": "x"} and more',
    "single-quotes": b"{'slug': 'single', 'displayName': 'x'}",
    "trailing-comma": b'{"slug": "comma", "displayName": "x",}',
    "comment": b'{"slug": "comment", /* hi */ "displayName": "x"}',
    "unclosed-string": b'{"slug": "unclosed, "displayName": "x"}',
    "bare-word": b"journey",
    "null": b"null",
    "array": b'[{"slug": "array", "displayName": "x"}]',
    # Not JSON (RFC 8259 has no NaN or Infinity), though Python's json module reads them.
    "nan": b'{"slug": "nan", "displayName": "x", "sourceSystem": "custom", "note": NaN}',
    "infinity": b'{"slug": "infinity", "displayName": "x", "note": -Infinity}',
    # Valid JSON nested deeper than any parser's recursion limit: refused, not a crash.
    "deep-nesting": b'{"slug": "deep", "displayName": "x", "note": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
}


@pytest.mark.parametrize("kind", ["create", "update"])
@pytest.mark.parametrize("case", list(MALFORMED_JSON))
def test_malformed_json_is_refused_in_the_odyssey_shape(mock, target, case, kind):
    response = odyssey_write(mock.base_url, target if kind == "update" else None, MALFORMED_JSON[case])
    message = assert_simple_error(response, 400)
    assert message.startswith(INVALID_JOURNEY_DATA), message
    assert unchanged(mock.base_url, target)
    assert_still_serving(mock.base_url)


WRONG_CONTENT_TYPES = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/xml",
    "application/jsonx",
    "text/json",
    "",
    None,
]


@pytest.mark.parametrize("kind", ["create", "update"])
@pytest.mark.parametrize("content_type", WRONG_CONTENT_TYPES, ids=repr)
def test_bodies_sent_with_a_wrong_content_type_are_refused(mock, target, content_type, kind):
    slug = unique("content-type")
    body = json.dumps({"slug": slug, "displayName": "Changed"}).encode()
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = odyssey_write(mock.base_url, target if kind == "update" else None, body, headers)
    message = assert_simple_error(response, 400)
    assert "application/json" in message, message
    assert unchanged(mock.base_url, target)
    assert call(mock.base_url, "GET", f"/api/journeys/{slug}", ODYSSEY).status == 404
    assert_still_serving(mock.base_url)


@pytest.mark.parametrize(
    "body",
    [
        b'{"slug": "utf8-\xff\xfe", "displayName": "x"}',
        b'{"slug": "utf8-ok", "displayName": "\xc3\x28"}',  # a broken two-byte sequence
        b'{"slug": "utf8-ok", "displayName": "\xed\xa0\x80"}',  # an encoded surrogate (CESU-8, not UTF-8)
        '{"slug": "utf16", "displayName": "x"}'.encode("utf-16"),
    ],
    ids=["invalid-byte", "broken-sequence", "encoded-surrogate", "utf-16"],
)
def test_bodies_that_are_not_utf8_are_refused(mock, body):
    response = odyssey_write(mock.base_url, None, body)
    message = assert_simple_error(response, 400)
    assert message.startswith(INVALID_JOURNEY_DATA), message
    assert call(mock.base_url, "GET", "/api/journeys/utf8-ok", ODYSSEY).status == 404
    assert_still_serving(mock.base_url)


# --- sizes -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["create", "update"])
def test_a_declared_body_over_one_mebibyte_is_refused_before_it_is_sent(mock, target, kind):
    method, path = ("POST", "/api/journeys/create") if kind == "create" else ("PUT", f"/api/journeys/{target}")
    headers = {**ODYSSEY, **JSON, "Content-Length": str(MIB + MIB // 10)}
    with connect(mock.base_url) as sock:
        # Only the head: the 413 must come without the server waiting for (or reading) the body.
        sock.sendall(http_request(method, path, headers, None, close=False))
        response = read_response(sock, timeout=5)
    assert "1048576" in assert_simple_error(response, 413)
    assert unchanged(mock.base_url, target)
    assert_still_serving(mock.base_url)


def test_a_chunked_body_over_one_mebibyte_is_refused_while_it_streams(mock):
    headers = {**ODYSSEY, **JSON, "Transfer-Encoding": "chunked"}
    chunk = b"[" * 65536
    with connect(mock.base_url) as sock:
        sock.sendall(http_request("POST", "/api/journeys/create", headers, None, close=False))
        for _ in range(17):  # 1 MiB + 64 KiB, and never the final empty chunk
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        response = read_response(sock, timeout=5)
    assert_simple_error(response, 413)
    assert_still_serving(mock.base_url)


def test_a_body_of_exactly_one_mebibyte_is_accepted(mock):
    document = b'{"slug": "one-mebibyte", "displayName": "Big"}'
    body = document + b" " * (MIB - len(document))
    response = odyssey_write(mock.base_url, None, body)
    assert response.status == 201, response.body[:300]
    assert response.json()["slug"] == "one-mebibyte"


# --- the size of the request head ------------------------------------------------------------------------------

#: Each API: where its journey paths begin and end, its credentials, and the assertion of its error shape.
API_PATHS = {
    "jourvex": ("/api/journey/", "", JOURVEX, assert_simple_error),
    "odyssey": ("/api/journeys/", "", ODYSSEY, assert_simple_error),
    "yofi": ("/data-api/v3/journeys/", "/predictions", YOFI, assert_json_api_error),
}
KIB = 1024


def test_the_documented_limits():
    assert (MAX_TARGET_BYTES, MAX_HEADER_BYTES) == (8 * KIB, 16 * KIB)


def journey_path(api: str, size: int) -> str:
    """A path to one of `api`'s journeys that is exactly `size` bytes long."""
    prefix, suffix, _, _ = API_PATHS[api]
    return prefix + "p" * (size - len(prefix) - len(suffix)) + suffix


@pytest.mark.parametrize("api", list(API_PATHS))
@pytest.mark.parametrize("size", [8 * KIB + 1, 16 * KIB, 64 * KIB, 70 * KIB, MIB], ids=lambda size: f"{size}B")
def test_a_request_target_over_8_kib_gets_414_in_the_apis_shape(mock, api, size):
    """Past 64 KiB too, where uvicorn's URL parser would give up with a plain-text 400."""
    _, _, headers, assert_error = API_PATHS[api]
    response = exchange(mock.base_url, http_request("GET", journey_path(api, size), headers))
    message = assert_error(response, 414)
    assert str(MAX_TARGET_BYTES) in message, message
    assert_still_serving(mock.base_url)


@pytest.mark.parametrize("size", [8 * KIB, 70 * KIB])
def test_the_query_string_counts_towards_the_target(mock, size):
    path = "/data-api/v3/journeys/j1"
    query = "?fields%5Bjourneys%5D=" + "q" * (size - len(path) - len("?fields%5Bjourneys%5D="))
    response = exchange(mock.base_url, http_request("GET", path + query, YOFI))
    if size <= MAX_TARGET_BYTES:
        assert_json_api_error(response, 400)  # an unknown fields value: the target itself was accepted
    else:
        assert_json_api_error(response, 414)


@pytest.mark.parametrize("api", list(API_PATHS))
def test_a_target_of_exactly_8_kib_is_served(mock, api):
    path = journey_path(api, MAX_TARGET_BYTES)
    _, _, headers, assert_error = API_PATHS[api]
    response = exchange(mock.base_url, http_request("GET", path, headers))
    if api == "odyssey":
        assert_error(response, 404)  # no such journey: but the request was read and routed
    else:
        assert response.status == 200, response.body[:300]
        assert len(response.body) > MAX_TARGET_BYTES  # the id, whole, is in the answer


OVERSIZED_HEADERS = {
    "17-KiB-value": {"X-Padding": "h" * (17 * KIB)},
    "64-KiB-value": {"X-Padding": "h" * (64 * KIB)},
    "1-MiB-value": {"X-Padding": "h" * MIB},
    "2000-headers": {f"X-Header-{index}": "v" * 32 for index in range(2_000)},
    "long-prefer": {"Prefer": ",".join(["seed=1"] * 20_000)},
    "64-KiB-token": {"Authorization": "Bearer jvx_test_" + "t" * (64 * KIB)},
}


@pytest.mark.parametrize("api", list(API_PATHS))
@pytest.mark.parametrize("case", list(OVERSIZED_HEADERS))
def test_a_header_block_over_16_kib_gets_431_in_the_apis_shape(mock, api, case):
    _, _, headers, assert_error = API_PATHS[api]
    path = journey_path(api, 40)
    response = exchange(mock.base_url, http_request("GET", path, {**headers, **OVERSIZED_HEADERS[case]}))
    message = assert_error(response, 431)
    assert str(MAX_HEADER_BYTES) in message, message
    assert_still_serving(mock.base_url)


def test_a_header_block_just_under_16_kib_is_served(mock):
    padding = {"X-Padding": "h" * (15 * KIB)}
    response = exchange(mock.base_url, http_request("GET", "/api/journey/padded", {**JOURVEX, **padding}))
    assert response.status == 200, response.body[:300]
    assert response.json()["journey_id"] == "padded"


def test_an_oversized_admin_request_is_refused_not_cut_short(mock):
    """The server keeps only the first 8 KiB of a long target: what it refuses must never be served cut."""
    response = exchange(mock.base_url, http_request("GET", "/__admin/requests?api=jourvex&x=" + "q" * (70 * KIB)))
    assert "8192" in assert_simple_error(response, 414)
    headers = exchange(mock.base_url, http_request("GET", "/__admin/health", {"X-Padding": "h" * (17 * KIB)}))
    assert_simple_error(headers, 431)


def test_a_very_long_token_is_neither_a_crash_nor_a_leak(mock, target):
    token = "odyssey-long-" + "t" * 15_000  # a header block just under the limit
    response = exchange(
        mock.base_url, http_request("GET", f"/api/journeys/{target}", {"Authorization": f"Bearer {token}"})
    )
    assert_simple_error(response, 404)  # a valid token, of another organisation
    journal = call(mock.base_url, "GET", "/__admin/requests?operationId=getJourney")
    assert journal.status == 200
    assert journal.json()["total"] == 1
    assert b"t" * 100 not in journal.body
    assert_still_serving(mock.base_url)


# --- paths -----------------------------------------------------------------------------------------------------

INVALID_UTF8_PATHS = [
    ("jourvex", "/api/journey/%ff", JOURVEX),
    ("jourvex", "/api/journey/a%c3%28b", JOURVEX),
    ("yofi", "/data-api/v3/journeys/%ff", YOFI),
    ("yofi", "/data-api/v3/journeys/%fe%ff/predictions", YOFI),
    ("odyssey", "/api/journeys/%ff", ODYSSEY),
]


@pytest.mark.parametrize(("api", "target", "headers"), INVALID_UTF8_PATHS, ids=[t for _, t, _ in INVALID_UTF8_PATHS])
def test_a_path_that_is_not_utf8_is_refused_in_the_apis_shape(mock, api, target, headers):
    """`%ff` names no journey: answering for U+FFFD instead would silently serve an id nobody asked for."""
    response = exchange(mock.base_url, http_request("GET", target, headers))
    if api == "yofi":
        assert_json_api_error(response, range(400, 500))
    else:
        assert_simple_error(response, range(400, 500))
    assert_still_serving(mock.base_url)


def test_dot_segments_and_encoded_slashes_name_no_journey(mock, target):
    for path in ("/api/journeys/a%2Fb", "/api/journeys/..", "/api/journeys/%2e%2e", "/api/journeys/.%2F.."):
        assert_simple_error(exchange(mock.base_url, http_request("GET", path, ODYSSEY)), 404)
    # None of these reaches the target journey, by traversal or by an encoded separator.
    body = json.dumps({"displayName": "Hijacked"}).encode()
    for path in (
        f"/api/journeys/..%2F{target}",
        f"/api/journeys/x/..%2F{target}",
        f"/api/journeys/{target}%2F..",
        f"/api/journeys/{target}%2F",
        f"/api/journeys/%2E%2E/journeys/{target}",
    ):
        response = exchange(mock.base_url, http_request("PUT", path, {**ODYSSEY, **JSON}, body))
        assert_simple_error(response, range(400, 500))
    assert unchanged(mock.base_url, target)
    journal = exchange(mock.base_url, http_request("GET", "/api/journey/..%2F..%2F__admin%2Frequests", JOURVEX))
    if journal.status == 200:
        assert journal.json()["journey_id"] == "../../__admin/requests"
    else:
        assert_simple_error(journal, 404)
    assert_still_serving(mock.base_url)


@pytest.mark.parametrize("slug", ["..", "../x", "a/b", "a%2Fb", "%2e%2e", "a\\b", "a\u0000b", " a", "a\n"])
def test_slugs_with_separators_or_dot_segments_cannot_be_created(mock, slug):
    body = json.dumps({"slug": slug, "displayName": "x"}).encode()
    response = odyssey_write(mock.base_url, None, body)
    assert assert_simple_error(response, 400) == SLUG_MESSAGE
    assert_still_serving(mock.base_url)


def test_an_encoded_slash_does_not_reach_the_create_operation(mock):
    """`journeys%2Fcreate` is one path segment: no operation has it, so no journey may be created through it."""
    body = json.dumps({"slug": "via-encoded-slash", "displayName": "x"}).encode()
    response = exchange(mock.base_url, http_request("POST", "/api/journeys%2Fcreate", {**ODYSSEY, **JSON}, body))
    assert_simple_error(response, range(400, 500))
    assert call(mock.base_url, "GET", "/api/journeys/via-encoded-slash", ODYSSEY).status == 404


def test_an_encoded_slash_in_a_journey_id_does_not_switch_operations(mock):
    """Journey data for the id `j1/predictions` is not the predictions of journey `j1`."""
    response = exchange(mock.base_url, http_request("GET", "/data-api/v3/journeys/j1%2Fpredictions", YOFI))
    if response.status == 200:
        document = response.json()["data"][0]
        assert document["type"] == "journey", document["type"]
        assert document["attributes"]["journey_id"] == "j1/predictions"
    else:
        assert_json_api_error(response, range(400, 500))
    assert_still_serving(mock.base_url)


# --- query -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "isForce=true&isForce=true",
        "isForce=true&isForce=false",
        "isForce=true&is%46orce=false",
        "isForce=&isForce=true",
    ],
)
def test_duplicate_query_keys_are_refused(mock, query):
    response = exchange(mock.base_url, http_request("GET", f"/data-api/v3/journeys/j1/predictions?{query}", YOFI))
    assert "more than once" in assert_json_api_error(response, 400)
    fields = exchange(
        mock.base_url,
        http_request("GET", "/data-api/v3/journeys/j1?fields[journeys]=predictions&fields%5Bjourneys%5D=x", YOFI),
    )
    assert_json_api_error(fields, 400)
    assert_still_serving(mock.base_url)


def test_a_query_that_is_not_utf8_is_refused(mock):
    for query in ("isForce=%ff", "isForce=tr%00ue", "fields%5Bjourneys%5D=%ff"):
        target = "/data-api/v3/journeys/j1/predictions" if "isForce" in query else "/data-api/v3/journeys/j1"
        response = exchange(mock.base_url, http_request("GET", f"{target}?{query}", YOFI))
        assert_json_api_error(response, 400)
    assert_still_serving(mock.base_url)


# --- NUL bytes and garbage -------------------------------------------------------------------------------------


def test_nul_bytes_are_refused_or_kept_exactly(mock):
    # Raw NUL in the request line or a header is not HTTP: uvicorn's own 400.
    assert 400 <= exchange(mock.base_url, b"GET /api/journey/a\x00b HTTP/1.1\r\nHost: x\r\n\r\n").status < 500
    raw_header = b"GET /api/journey/a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer jvx_test_a\x00b\r\n\r\n"
    assert 400 <= exchange(mock.base_url, raw_header).status < 500
    # A raw NUL inside a JSON string is not JSON.
    raw_body = odyssey_write(mock.base_url, None, b'{"slug": "nul", "displayName": "a\x00b"}')
    assert assert_simple_error(raw_body, 400).startswith(INVALID_JOURNEY_DATA)
    # An escaped NUL is JSON, but no slug may hold it.
    escaped = odyssey_write(mock.base_url, None, b'{"slug": "n\\u0000l", "displayName": "x"}')
    assert assert_simple_error(escaped, 400) == SLUG_MESSAGE
    assert_simple_error(exchange(mock.base_url, http_request("GET", "/api/journeys/a%00b", ODYSSEY)), 404)
    # A percent-encoded NUL in an id: refused, or (any non-empty string being an id) kept exactly.
    jourvex = exchange(mock.base_url, http_request("GET", "/api/journey/a%00b", JOURVEX))
    if jourvex.status == 200:
        assert jourvex.json()["journey_id"] == "a\x00b"
    else:
        assert_simple_error(jourvex, range(400, 500))
    assert_still_serving(mock.base_url)


GARBAGE = {
    "tls-client-hello": bytes.fromhex("16030100a5010000a10303") + bytes(random.Random(1).randbytes(160)),
    "method-only": b"GET\r\n\r\n",
    "four-words": b"FOO BAR BAZ QUX\r\nHost: x\r\n\r\n",
    "unknown-version": b"GET /api/journey/a HTTP/9.9\r\nHost: x\r\n\r\n",
    "nul-in-method": b"G\x00T /api/journey/a HTTP/1.1\r\nHost: x\r\n\r\n",
    "space-in-target": b"GET /api/journey/a b HTTP/1.1\r\nHost: x\r\n\r\n",
    "header-without-colon": b"GET /api/journey/a HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
    "obsolete-line-folding": b"GET /api/journey/a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer\r\n jvx_test_a\r\n\r\n",
    "bad-content-length": b"POST /api/journeys/create HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n",
    "negative-content-length": b"POST /api/journeys/create HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    "content-length-and-chunked": b"POST /api/journeys/create HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "http2-preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "random-bytes": random.Random(2).randbytes(4096),
}


@pytest.mark.parametrize("case", list(GARBAGE))
def test_garbage_is_refused_and_the_server_keeps_serving(mock, case):
    response = exchange(mock.base_url, GARBAGE[case], timeout=5)
    assert 400 <= response.status < 500, (response.status, response.body[:200])
    assert_still_serving(mock.base_url)


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_body_on_a_get_is_never_read_as_the_next_request(mock, framing):
    """A GET's unexpected body is discarded whole: a request hidden in it is never served (no smuggling)."""
    hidden = http_request("GET", "/api/journey/smuggled", JOURVEX, close=False)
    if framing == "chunked":
        first = http_request("GET", "/api/journey/first", {**JOURVEX, "Transfer-Encoding": "chunked"}, close=False)
        first += b"%x\r\n%s\r\n0\r\n\r\n" % (len(hidden), hidden)
    else:
        first = http_request("GET", "/api/journey/first", JOURVEX, hidden, close=False)
    second = http_request("GET", "/api/journey/second", JOURVEX)
    with connect(mock.base_url) as sock:
        sock.sendall(first + second)
        pending = bytearray()
        answers = [read_response(sock, 5, pending), read_response(sock, 5, pending)]
    assert [answer.json()["journey_id"] for answer in answers] == ["first", "second"]
    paths = [entry["path"] for entry in call(mock.base_url, "GET", "/__admin/requests").json()["requests"]]
    assert "/api/journey/smuggled" not in paths
    assert_still_serving(mock.base_url)


# --- values the stores and the journal must carry ---------------------------------------------------------------

HUGE_INDEX = 36_893_488_147_419_103_231  # 2**65 - 1: valid JSON, an integer, and beyond 64 bits


def test_an_integer_beyond_64_bits_is_stored_with_state(state_mock):
    """The in-memory store keeps it (tests/server); the SQLite store must too, not answer 500."""
    body = b'{"slug": "huge-index", "displayName": "x", "steps": [{"stepKey": "a", "index": %d}]}' % HUGE_INDEX
    response = odyssey_write(state_mock.base_url, None, body)
    assert response.status == 201, response.body[:300]
    stored = call(state_mock.base_url, "GET", "/api/journeys/huge-index", ODYSSEY)
    assert stored.json()["steps"][0]["index"] == HUGE_INDEX
    assert_still_serving(state_mock.base_url)


def test_a_lone_surrogate_escape_is_stored_with_state(state_mock):
    response = odyssey_write(state_mock.base_url, None, b'{"slug": "surrogate", "displayName": "a\\ud800b"}')
    assert response.status == 201, response.body[:300]
    assert response.json()["displayName"] == "a\ud800b"
    assert_still_serving(state_mock.base_url)


def test_a_lone_surrogate_escape_is_answered_as_valid_utf8_json(mock):
    """JSON may carry `\\ud800`; the answer must still be UTF-8 (RFC 8259), so it has to stay escaped."""
    created = odyssey_write(mock.base_url, None, b'{"slug": "surrogate-echo", "displayName": "a\\ud800b"}')
    assert created.status == 201, created.body[:300]
    assert created.json()["displayName"] == "a\ud800b"  # RawResponse.json decodes strictly as UTF-8
    retrieved = exchange(mock.base_url, http_request("GET", "/api/journeys/surrogate-echo", ODYSSEY))
    assert retrieved.json()["displayName"] == "a\ud800b"


def test_the_journal_stays_readable_whatever_bodies_it_holds(mock):
    bodies = [
        b'{"slug": "journal-surrogate", "displayName": "x", "note": "\\udc00"}',
        b'{"slug": "journal-huge", "displayName": "x", "note": %d}' % HUGE_INDEX,
        b'{"slug": "journal-nul", "displayName": "a\\u0000b"}',
        b'{"slug": "journal-float", "displayName": "x", "note": 1e308}',
    ]
    for body in bodies:
        assert odyssey_write(mock.base_url, None, body).status in (201, 400)
        journal = call(mock.base_url, "GET", "/__admin/requests?operationId=createJourney")
        assert journal.status == 200, (body, journal.body[:300])
    assert_still_serving(mock.base_url)
