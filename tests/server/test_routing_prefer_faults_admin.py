"""The shared machinery: routing from the specs, Prefer, faults, the admin API and the journal."""

from __future__ import annotations

import time

import pytest
from support import JOURVEX_AUTH, ODYSSEY_AUTH, YOFI_HEADERS

from mockserver.apis import BEHAVIOURS
from mockserver.app import create_app
from mockserver.config import LatencyRange, ServerConfig
from mockserver.exchange import ApiBehaviour
from mockserver.pipeline import MAX_HEADER_BYTES, MAX_TARGET_BYTES, ApiPipeline, oversized_head


def test_huge_integers_and_lone_surrogates_do_not_break_the_server(client):
    body = b'{"slug": "big", "displayName": "\\ud800", "steps": [{"stepKey": "a", "index": 36893488147419103231}]}'
    response = client.post(
        "/api/journeys/create", content=body, headers={**ODYSSEY_AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 201
    assert response.json()["steps"][0]["index"] == 36893488147419103231


def test_unknown_paths_get_404_in_the_nearest_apis_shape(client):
    yofi = client.get("/data-api/v3/nothing-here", headers=YOFI_HEADERS)
    assert yofi.status_code == 404
    assert yofi.json()["errors"][0]["status"] == "404"
    other = client.get("/nowhere")
    assert other.status_code == 404
    assert "error" in other.json()


def test_wrong_methods_get_405_with_allow(client):
    response = client.delete("/api/journey/abc", headers=JOURVEX_AUTH)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    odyssey = client.delete("/api/journeys/some-slug", headers=ODYSSEY_AUTH)
    assert odyssey.status_code == 405
    assert odyssey.headers["allow"] == "GET, PUT"


def test_concrete_paths_win_over_templates(client):
    # /api/journeys/create is the create resource: POST only, never the journey with slug "create".
    assert (
        client.post("/api/journeys/create", json={"slug": "lit", "displayName": "L"}, headers=ODYSSEY_AUTH).status_code
        == 201
    )
    response = client.get("/api/journeys/create", headers=ODYSSEY_AUTH)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_encoded_slashes_and_dot_segments_name_no_journey(client):
    assert client.get("/api/journeys/a%2Fb", headers=ODYSSEY_AUTH).status_code == 404
    assert client.get("/api/journeys/..", headers=ODYSSEY_AUTH).status_code in (404, 405)


def test_prefer_code_answers_a_documented_status(client):
    response = client.get("/api/journey/abc", headers={**JOURVEX_AUTH, "Prefer": "code=404"})
    assert response.status_code == 404
    limited = client.get("/api/journey/abc", headers={**JOURVEX_AUTH, "Prefer": "code=429"})
    assert limited.status_code == 429
    assert limited.headers["retry-after"]
    fallback = client.get("/api/journey/abc?__code=404", headers=JOURVEX_AUTH)
    assert fallback.status_code == 404


def test_prefer_values_that_cannot_be_honoured_say_what_is_allowed(client):
    response = client.get("/api/journey/abc", headers={**JOURVEX_AUTH, "Prefer": "code=418"})
    assert response.status_code == 400
    assert "200, 401, 404, 429" in response.json()["error"]
    archetype = client.get("/api/journey/abc", headers={**JOURVEX_AUTH, "Prefer": "archetype=alien"})
    assert archetype.status_code == 400
    assert "converted" in archetype.json()["error"]
    example = client.get("/api/journey/abc", headers={**JOURVEX_AUTH, "Prefer": "example=nope"})
    assert example.status_code == 400
    assert "documented" in example.json()["error"]
    seed = client.get("/api/journey/abc", headers={**JOURVEX_AUTH, "Prefer": "seed=x"})
    assert seed.status_code == 400


def test_prefer_example_and_static_mode_return_the_vendors_example(client):
    from mockserver.specs import load_specs

    documented = load_specs()["jourvex"].operation("getJourney").responses["200"].examples["documented"]
    by_name = client.get("/api/journey/abc", headers={**JOURVEX_AUTH, "Prefer": "example=documented"})
    static = client.get("/api/journey/abc", headers={**JOURVEX_AUTH, "Prefer": "dynamic=false"})
    combined = client.get("/api/journey/abc", headers={**JOURVEX_AUTH, "Prefer": "code=200, dynamic=false"})
    assert by_name.json() == static.json() == combined.json() == documented
    odyssey_409 = client.post(
        "/api/journeys/create",
        json={"slug": "x", "displayName": "x"},
        headers={**ODYSSEY_AUTH, "Prefer": "example=slugAlreadyExists"},
    )
    assert odyssey_409.status_code == 409


def test_rate_limit_answers_429_with_headers(make_client):
    client = make_client(rate_limit=2.0)
    statuses = [client.get("/api/journey/a", headers=JOURVEX_AUTH) for _ in range(5)]
    limited = [response for response in statuses if response.status_code == 429]
    assert limited, [response.status_code for response in statuses]
    assert int(limited[0].headers["retry-after"]) >= 1
    assert limited[0].headers["x-ratelimit-limit"] == "2"
    assert limited[0].headers["x-ratelimit-remaining"] == "0"


def test_error_rate_answers_a_documented_error(make_client):
    client = make_client(error_rate=1.0)
    response = client.get("/api/journey/a", headers=JOURVEX_AUTH)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert "error" in response.json()
    yofi = client.get("/data-api/v3/journeys/a", headers=YOFI_HEADERS)
    assert yofi.json()["errors"][0]["status"] == "503"


def test_latency_is_added(make_client):
    client = make_client(latency=LatencyRange(80, 80))
    started = time.perf_counter()
    client.get("/api/journey/a", headers=JOURVEX_AUTH)
    assert time.perf_counter() - started >= 0.075
    plain = make_client()
    started = time.perf_counter()
    plain.get("/api/journey/a", headers={**JOURVEX_AUTH, "Prefer": "latency=60"})
    assert time.perf_counter() - started >= 0.055


def test_admin_health_journal_and_reset(client):
    health = client.get("/__admin/health").json()
    assert health["status"] == "ok"
    assert health["apis"] == ["jourvex", "odyssey", "yofi"]
    client.get("/api/journey/abc", headers=JOURVEX_AUTH)
    client.get("/data-api/v3/journeys/abc", headers=YOFI_HEADERS)
    client.post("/api/journeys/create", json={"slug": "kept", "displayName": "K"}, headers=ODYSSEY_AUTH)
    journal = client.get("/__admin/requests").json()
    assert journal["total"] == 3
    first = journal["requests"][0]
    assert first["operation_id"] == "getJourney"
    assert first["status"] == 200
    assert first["headers"]["authorization"] == "[redacted]"
    assert journal["requests"][1]["headers"]["x-scope-partner-id"] == "[redacted]"
    assert journal["requests"][2]["body"] == {"slug": "kept", "displayName": "K"}
    assert "jvx_test_local" not in str(journal)
    assert client.get("/__admin/requests", params={"api": "yofi"}).json()["total"] == 1
    assert client.delete("/__admin/requests").status_code == 204
    assert client.get("/__admin/requests").json()["total"] == 0
    assert client.get("/api/journeys/kept", headers=ODYSSEY_AUTH).status_code == 200
    assert client.post("/__admin/reset").status_code == 204
    assert client.get("/api/journeys/kept", headers=ODYSSEY_AUTH).status_code == 404


def test_admin_serves_the_specs(client):
    spec = client.get("/__admin/specs/odyssey").json()
    assert spec["info"]["title"] == "Odyssey Journeys API"
    assert client.get("/__admin/specs/nope").status_code == 404


def test_admin_refuses_non_loopback_clients_without_a_token(make_client):
    remote = make_client(client_host="10.1.2.3")
    assert remote.get("/__admin/health").status_code == 403
    with_token = make_client(client_host="10.1.2.3", admin_token="s3cret")
    assert with_token.get("/__admin/health").status_code == 403
    assert with_token.get("/__admin/health", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_no_admin_removes_the_admin_api(make_client):
    client = make_client(admin=False)
    assert client.get("/__admin/health").status_code == 404


def test_journal_is_bounded(make_client):
    client = make_client(journal_size=5)
    for index in range(12):
        client.get(f"/api/journey/j{index}", headers=JOURVEX_AUTH)
    paths = [entry["path"] for entry in client.get("/__admin/requests").json()["requests"]]
    assert paths == [f"/api/journey/j{index}" for index in range(7, 12)]


def test_an_operation_without_a_handler_is_a_start_up_error():
    from dataclasses import replace

    from mockserver.core import Mock

    incomplete = dict(BEHAVIOURS)
    odyssey: ApiBehaviour = incomplete["odyssey"]
    incomplete["odyssey"] = replace(
        odyssey, handlers={k: v for k, v in odyssey.handlers.items() if k != "updateJourney"}
    )
    pipeline = Mock(ServerConfig()).pipeline
    with pytest.raises(ValueError, match="updateJourney"):
        ApiPipeline(
            config=pipeline.config,
            specs={"odyssey": __import__("mockserver.specs").specs.load_specs()["odyssey"]},
            behaviours=incomplete,
            clock=pipeline.clock,
            epoch=pipeline.epoch,
            store=pipeline.store,
            journal=pipeline.journal,
            faults=pipeline.faults,
        )


def test_a_subset_of_apis_serves_only_those(make_client):
    client = make_client(apis=("yofi",))
    assert client.get("/api/journey/a", headers=JOURVEX_AUTH).status_code == 404
    assert client.get("/data-api/v3/journeys/a", headers=YOFI_HEADERS).status_code == 200


def test_create_app_loads_once_and_serves_everything():
    app = create_app(ServerConfig())
    pipeline = app.mock.pipeline
    assert {route.template for route in pipeline.table.routes} == {
        "/api/journey/{journey_id}",
        "/api/journeys/create",
        "/api/journeys/{slug}",
        "/data-api/v3/journeys/{journey_id}",
        "/data-api/v3/journeys/{journey_id}/predictions",
    }


def test_admin_refuses_browser_pages_and_rebound_host_names(client):
    # A web page of another origin (cross-site form, fetch) must not reset or read the mock.
    evil = client.post("/__admin/reset", headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403
    assert "another origin" in evil.json()["error"]
    # DNS rebinding: the page's own host name resolves to 127.0.0.1, so the Host header gives it away.
    rebound = client.get("/__admin/requests", headers={"Host": "evil.example"})
    assert rebound.status_code == 403
    local_page = client.get("/__admin/health", headers={"Origin": "http://localhost:3000"})
    assert local_page.status_code == 200


def _scope(path: bytes, query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, object]:
    return {"path": path.decode(), "raw_path": path, "query_string": query, "headers": headers or []}


def test_the_head_limits_are_exact():

    path = b"/api/journey/" + b"p" * (MAX_TARGET_BYTES - 13)
    assert oversized_head(_scope(path)) is None
    assert oversized_head(_scope(path + b"p")).status == 414
    # The query and its "?" count towards the target.
    assert oversized_head(_scope(path[:-3], b"a=")) is None
    assert oversized_head(_scope(path[:-3], b"a=b")).status == 414
    # A header line counts as `name: value` and its line end.
    exact = [(b"x-padding", b"h" * (MAX_HEADER_BYTES - len(b"x-padding: \r\n")))]
    assert oversized_head(_scope(b"/", headers=exact)) is None
    assert oversized_head(_scope(b"/", headers=[(b"x-padding", exact[0][1] + b"h")])).status == 431


def test_oversized_requests_are_refused_in_process_too(client):
    long_path = "/data-api/v3/journeys/" + "p" * 9000
    response = client.get(long_path, headers=YOFI_HEADERS)
    assert response.status_code == 414
    assert response.json()["errors"][0]["title"] == "Request-URI Too Long"  # http.HTTPStatus(414).phrase
    padded = client.get("/api/journey/a", headers={**JOURVEX_AUTH, "X-Padding": "h" * 17_000})
    assert padded.status_code == 431
    assert set(padded.json()) == {"error"}
    admin = client.get("/__admin/requests", params={"status": "2" * 9000})
    assert admin.status_code == 414
    assert set(admin.json()) == {"error"}
