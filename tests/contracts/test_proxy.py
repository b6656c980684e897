"""`journeymock proxy` in front of stand-in vendors on loopback: the faithful implementations (independent of the
mock), one with planted departures, and upstreams that are down, slow or failing.

The vendors' documented client samples go through the proxy; each answer must be byte for byte what the
upstream sent, and the journal, the violations header and the observations file must show the departures with
the right tier, which `journeymock drift` then reports."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from faithful_support import KNOWN_IDS, faithful_app
from support import REPO_ROOT

from journeymock.contracts.bridge import BridgeJudge
from mockserver.app import create_app
from mockserver.cli import main as journeymock
from mockserver.config import ProxySettings, ServerConfig
from mockserver.proxy import SOURCE_HEADER, VIOLATIONS_HEADER, create_proxy_app
from mockserver.settings import markdown_table
from mockserver.specs import load_specs
from mockserver.vendors import TEST_NOW
from tests.contracts.conftest import Departure, Exchange, _free_port, serve_in_thread

JOURVEX_ID = KNOWN_IDS["JOURVEX_JOURNEY_IDS"]
YOFI_ID = KNOWN_IDS["YOFI_JOURNEY_IDS"]
#: Odyssey's documented samples (the spec's examples, from the vendor document): create, then update, one journey.
_ODYSSEY = load_specs(["odyssey"])["odyssey"]
ODYSSEY_CREATE = _ODYSSEY.operation("createJourney").request_examples["documented"]
ODYSSEY_UPDATE = _ODYSSEY.operation("updateJourney").request_examples["documented"]
REQUIRED_LOCATION = "openapi/jourvex.yaml#/components/schemas/Journey/required"


class Captured:
    """An upstream that keeps every exchange as it sent it (optionally with a departure applied first)."""

    def __init__(self, app: Any, after: Callable[[Exchange], None] | None = None) -> None:
        self.exchanges: list[Exchange] = []

        def keep(exchange: Exchange) -> None:
            if after is not None:
                after(exchange)
            self.exchanges.append(exchange)

        self.app = Departure(app, after=keep)


@pytest.fixture
def stack() -> Iterator[contextlib.ExitStack]:
    with contextlib.ExitStack() as servers:
        yield servers


def proxy_server(
    upstreams: dict[str, str], *, observations: Path | None = None, **settings: Any
) -> contextlib.AbstractContextManager[str]:
    """The proxy served on loopback until the block ends (and its lifespan has shut it down)."""
    apis = tuple(upstreams)
    config = ServerConfig(apis=apis, now=ServerConfig().replace(now=TEST_NOW).now, validate_responses=True)
    proxy_settings = ProxySettings(observations=observations, **settings)
    judge = BridgeJudge(load_specs(apis), observations)
    app = create_proxy_app(config, proxy_settings, upstreams, judge=judge)
    return serve_in_thread(app, lifespan="on")


def start_proxy(
    stack: contextlib.ExitStack, upstreams: dict[str, str], *, observations: Path | None = None, **settings: Any
) -> str:
    return stack.enter_context(proxy_server(upstreams, observations=observations, **settings))


def journal(proxy: str) -> list[dict[str, Any]]:
    return list(httpx.get(f"{proxy}/__admin/requests", timeout=10).json()["requests"])


def test_documented_samples_come_back_byte_for_byte(stack, live_env):
    captured = {api: Captured(faithful_app(api, live_env)) for api in ("jourvex", "odyssey", "yofi")}
    upstreams = {api: stack.enter_context(serve_in_thread(upstream.app)) for api, upstream in captured.items()}
    proxy = start_proxy(stack, upstreams)
    jourvex = {"Authorization": f"Bearer {live_env['JOURVEX_API_KEY']}"}
    odyssey = {"Authorization": f"Bearer {live_env['ODYSSEY_API_TOKEN']}"}
    yofi = {"Authorization": f"Bearer {live_env['YOFI_API_TOKEN']}", "x-scope-partner-id": live_env["YOFI_PARTNER_ID"]}
    samples = [
        ("jourvex", "GET", f"/api/journey/{JOURVEX_ID}", jourvex, None),
        ("odyssey", "POST", "/api/journeys/create", odyssey, ODYSSEY_CREATE),
        ("odyssey", "GET", "/api/journeys/small-business-grant", odyssey, None),
        ("odyssey", "PUT", "/api/journeys/small-business-grant", odyssey, ODYSSEY_UPDATE),
        ("yofi", "GET", f"/data-api/v3/journeys/{YOFI_ID}", yofi, None),
        ("yofi", "GET", f"/data-api/v3/journeys/{YOFI_ID}/predictions", yofi, None),
    ]
    with httpx.Client(base_url=proxy, timeout=10) as client:
        for api, method, path, headers, body in samples:
            response = client.request(method, path, headers=headers, json=body)
            sent = captured[api].exchanges[-1]
            assert (sent.method, sent.path) == (method, path)
            # The client's credentials reach the vendor unchanged; the vendor's own host is asked.
            assert sent.headers["authorization"] == headers["Authorization"]
            assert sent.headers["host"] == upstreams[api].removeprefix("http://")
            assert response.status_code == sent.status, response.text
            assert response.content == sent.response_body
            assert response.headers["x-request-id"] == sent.response_headers["x-request-id"]
            assert response.headers[VIOLATIONS_HEADER].isdigit()
    entries = journal(proxy)
    assert [(entry["method"], entry["path"]) for entry in entries] == [(m, p) for _, m, p, _, _ in samples]
    for entry in entries:
        assert entry["source"] == "upstream"
        assert entry["upstream"]["status"] == entry["status"]
        assert entry["upstream"]["duration_ms"] >= 0
        assert entry["headers"]["authorization"] == "[redacted]"
    # The update reads back updated through the proxy, as the vendor keeps it.
    assert entries[-3]["response_body"]["displayName"] == ODYSSEY_UPDATE["displayName"]


def _plant_jourvex(exchange: Exchange) -> None:
    """A departure from a documented fact (a journey without its id) and from an inferred one (a score above the
    assumed 0-100 range)."""
    if exchange.status == 200:
        body = exchange.json()
        del body["journey_id"]
        body["intent"]["score"] = 150
        exchange.set_json(body)


def test_planted_departures_reach_journal_header_observations_and_drift(stack, live_env, tmp_path, capfd):
    upstream = Captured(faithful_app("jourvex", live_env), after=_plant_jourvex)
    observations = tmp_path / "proxy.jsonl"
    proxy = start_proxy(
        stack, {"jourvex": stack.enter_context(serve_in_thread(upstream.app))}, observations=observations
    )
    with httpx.Client(base_url=proxy, timeout=10) as client:
        good = client.get(
            f"/api/journey/{JOURVEX_ID}", headers={"Authorization": f"Bearer {live_env['JOURVEX_API_KEY']}"}
        )
        refused = client.get(f"/api/journey/{JOURVEX_ID}", headers={"Authorization": "Bearer jvx_test_wrong-key-999"})
    assert good.content == upstream.exchanges[0].response_body
    assert "journey_id" not in good.json()  # transparent: the departure reaches the client as sent
    assert int(good.headers[VIOLATIONS_HEADER]) >= 2
    assert refused.content == upstream.exchanges[1].response_body
    first, second = journal(proxy)
    assert any("documented fact violated" in problem and REQUIRED_LOCATION in problem for problem in first["problems"])
    assert any("inference contradicted" in problem and "150" in problem for problem in first["problems"])
    # The faithful vendor's error body ({"message": ...}) is an object, all the inferred error shape asks for.
    assert refused.headers[VIOLATIONS_HEADER] == "0" and second["problems"] == []

    lines = [json.loads(line) for line in observations.read_text(encoding="utf-8").splitlines()]
    assert [line["target"] for line in lines] == ["proxy", "proxy"]
    verdicts = {(verdict["tier"], verdict["location"]) for verdict in lines[0]["verdicts"]}
    assert ("documented", REQUIRED_LOCATION) in verdicts
    assert any(tier == "inferred" and location.endswith("/score/maximum") for tier, location in verdicts)
    assert lines[1]["verdicts"] == [] and lines[1]["status"] == 401
    text = observations.read_text(encoding="utf-8")
    for secret in (live_env["JOURVEX_API_KEY"], "jvx_test_wrong-key-999"):
        assert secret not in text

    capfd.readouterr()
    status = journeymock(["drift", str(observations), "--format", "json"])
    report = json.loads(capfd.readouterr().out)
    assert status == 1
    assert REQUIRED_LOCATION in {entry["location"] for entry in report["documented_violated"]}
    contradicted = {entry["location"] for entry in report["inferences"] if entry["state"] == "contradicted"}
    assert any(location.endswith("/score") for location in contradicted), contradicted
    assert "schema_version" in json.dumps(report["undocumented"])


def _down_url() -> str:
    return f"http://127.0.0.1:{_free_port()}"


class Slow:
    """An upstream that answers after `delay` seconds."""

    def __init__(self, delay: float) -> None:
        self.delay = delay

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await asyncio.sleep(self.delay)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b"{}"})


async def _failing(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 503, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"sandbox down"})


@pytest.mark.parametrize("failure", ["down", "slow", "5xx"])
def test_a_failing_upstream_is_a_502_504_or_the_simulation_when_asked(stack, failure, live_env):
    if failure == "down":
        upstream = _down_url()
    else:
        upstream = stack.enter_context(serve_in_thread(Slow(2.0) if failure == "slow" else _failing))
    plain = start_proxy(stack, {"yofi": upstream}, upstream_timeout=0.3)
    fallback = start_proxy(stack, {"yofi": upstream}, upstream_timeout=0.3, fallback="mock")
    headers = {"Authorization": "Bearer yofi-journeymock", "x-scope-partner-id": "partner-journeymock"}
    path = f"/data-api/v3/journeys/{YOFI_ID}"

    answered = httpx.get(plain + path, headers=headers, timeout=10)
    if failure == "5xx":
        assert answered.status_code == 503 and answered.content == b"sandbox down"
    else:
        assert answered.status_code == (504 if failure == "slow" else 502)
        error = answered.json()["errors"][0]  # Yofi's own error shape
        assert error["status"] == str(answered.status_code)
        assert "yofi upstream" in error["detail"]
        assert journal(plain)[-1]["upstream"]["error"] == error["detail"]

    simulated = httpx.get(fallback + path, headers=headers, timeout=10)
    assert simulated.status_code == 200
    assert simulated.headers[SOURCE_HEADER] == "mock"
    assert YOFI_ID in simulated.text  # the simulated journey asked for
    entry = journal(fallback)[-1]
    assert entry["source"] == "mock"
    assert entry["upstream"]["fallback"] is True


def test_validate_requests_stops_a_broken_request_before_the_vendor(stack, live_env):
    upstream = Captured(faithful_app("odyssey", live_env))
    proxy = start_proxy(stack, {"odyssey": stack.enter_context(serve_in_thread(upstream.app))}, validate_requests=True)
    broken = {**ODYSSEY_CREATE, "steps": [{"name": "no key, no index"}]}
    answered = httpx.post(
        f"{proxy}/api/journeys/create",
        json=broken,
        headers={"Authorization": f"Bearer {live_env['ODYSSEY_API_TOKEN']}"},
        timeout=10,
    )
    assert answered.status_code == 400
    assert "documented contract" in answered.json()["error"]  # Odyssey's own error shape
    assert upstream.exchanges == []
    assert journal(proxy)[-1]["status"] == 400


def test_a_path_the_spec_does_not_route_is_never_forwarded(stack, live_env):
    upstream = Captured(faithful_app("jourvex", live_env))
    proxy = start_proxy(stack, {"jourvex": stack.enter_context(serve_in_thread(upstream.app))})
    answered = httpx.get(f"{proxy}/api/other", headers={"Host": "evil.example"}, timeout=10)
    assert answered.status_code == 404
    assert upstream.exchanges == []


def test_proxy_options_are_checked(capfd, monkeypatch):
    monkeypatch.setenv("JOURVEX_BASE_URL", "ftp://example.test")
    for arguments, message in (
        (["proxy", "--fallback", "maybe"], "fallback must be one of mock, none"),
        (["proxy", "--upstream-timeout", "0"], "timeout must be"),
        (["proxy", "--workers", "2"], "runs in one process"),
        (["proxy", "--api", "jourvex"], "JOURVEX_BASE_URL must be an absolute http(s) URL"),
    ):
        capfd.readouterr()
        try:
            status = journeymock(arguments)
        except SystemExit as exit_:
            status = exit_.code
        err = capfd.readouterr().err
        assert status == 2, arguments
        assert message in err and len(err.strip().splitlines()) == 1, err


#: Credentials planted in a recorded session: none may appear in any file the recording writes.
PLANTED = {
    "cookie": "cookie-S3CRET-0123456789",
    "query": "query-S3CRET-0123456789",
}


def _every_file_text(directory: Path) -> str:
    return "\n".join(path.read_bytes().decode("utf-8", "replace") for path in directory.rglob("*") if path.is_file())


def test_a_recording_holds_no_credential_and_stable_placeholders(stack, live_env, tmp_path):
    record = tmp_path / "recording"
    upstream = Captured(faithful_app("yofi", live_env))
    headers = {
        "Authorization": f"Bearer {live_env['YOFI_API_TOKEN']}",
        "x-scope-partner-id": live_env["YOFI_PARTNER_ID"],
        "Cookie": f"session={PLANTED['cookie']}",
    }
    path = f"/data-api/v3/journeys/{YOFI_ID}"
    # The recording is read once the proxy has shut down: whatever its writer still held is then written.
    upstreams = {"yofi": stack.enter_context(serve_in_thread(upstream.app))}
    with proxy_server(upstreams, record=record) as proxy, httpx.Client(base_url=proxy, timeout=10) as client:
        for _ in range(2):
            answered = client.get(path, params={"access_token": PLANTED["query"]}, headers=headers)
            assert answered.status_code == 200, answered.text
    # The vendor got the credentials as sent.
    assert upstream.exchanges[0].headers["x-scope-partner-id"] == live_env["YOFI_PARTNER_ID"]
    files = sorted(record.rglob("*.har"))
    assert [file.parent.name for file in files] == ["yofi"]
    written = _every_file_text(record)
    for secret in [*live_env.values(), *PLANTED.values()]:
        assert secret not in written
    entries = json.loads(files[0].read_text(encoding="utf-8"))["log"]["entries"]
    assert json.loads(files[0].read_text(encoding="utf-8"))["log"]["version"] == "1.2"
    assert len(entries) == 2
    first, second = ({h["name"]: h["value"] for h in entry["request"]["headers"]} for entry in entries)
    assert first["authorization"].startswith("Bearer journeymock-secret-")
    assert first["authorization"] == second["authorization"]
    assert first["x-scope-partner-id"] == second["x-scope-partner-id"] != first["authorization"]
    assert entries[0]["request"]["queryString"][0]["value"].startswith("journeymock-secret-")
    assert entries[0]["response"]["content"]["text"].encode() == upstream.exchanges[0].response_body


def test_a_replayed_recording_answers_the_same_bytes_offline(stack, live_env, tmp_path):
    record = tmp_path / "recording"
    captured = {api: Captured(faithful_app(api, live_env)) for api in ("jourvex", "odyssey")}
    upstreams = {api: stack.enter_context(serve_in_thread(upstream.app)) for api, upstream in captured.items()}
    jourvex = {"Authorization": f"Bearer {live_env['JOURVEX_API_KEY']}"}
    odyssey = {"Authorization": f"Bearer {live_env['ODYSSEY_API_TOKEN']}"}
    journey = "/api/journeys/small-business-grant"
    with proxy_server(upstreams, record=record) as proxy, httpx.Client(base_url=proxy, timeout=10) as client:
        recorded_jourvex = client.get(f"/api/journey/{JOURVEX_ID}", headers=jourvex)
        assert client.post("/api/journeys/create", json=ODYSSEY_CREATE, headers=odyssey).status_code == 201
        recorded_journey = client.get(journey, headers=odyssey)
        assert recorded_journey.status_code == 200

    config = ServerConfig(apis=("jourvex", "odyssey"), now=ServerConfig().replace(now=TEST_NOW).now, replay=record)
    offline = stack.enter_context(serve_in_thread(create_app(config), lifespan="on"))
    with httpx.Client(base_url=offline, timeout=10) as client:
        replayed = client.get(f"/api/journey/{JOURVEX_ID}", headers=jourvex)
        assert replayed.content == recorded_jourvex.content
        assert replayed.headers[SOURCE_HEADER] == "replay"
        simulated = client.get("/api/journey/cluster_not_recorded", headers=jourvex)
        assert simulated.status_code == 200 and SOURCE_HEADER not in simulated.headers
        assert simulated.json()["journey_id"] == "cluster_not_recorded"
        assert client.get(journey, headers=odyssey).content == recorded_journey.content
        # An update the recording does not hold: the simulation takes the journey over, and reads it back updated.
        updated = client.put(journey, json=ODYSSEY_UPDATE, headers=odyssey)
        assert updated.status_code == 200, updated.text
        read_back = client.get(journey, headers=odyssey)
        assert read_back.json()["displayName"] == ODYSSEY_UPDATE["displayName"]
        assert SOURCE_HEADER not in read_back.headers
    sources = [entry["source"] for entry in journal(offline)]
    assert sources[:3] == ["replay", "mock", "replay"]


def test_the_readme_table_of_proxy_options_is_generated_from_the_settings():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert markdown_table((ProxySettings,), "serve") in readme
