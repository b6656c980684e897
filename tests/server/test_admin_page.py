"""The admin endpoints the web page uses, called directly as a script would: a journal entry with its answer and
operation, `since=` polling, faults and the clock changed at run time, the journey explorer, and the page's files
with their Content-Security-Policy."""

from __future__ import annotations

import hashlib
import json
import zipfile
from typing import Any

import pytest
from support import FIXED_NOW, JOURVEX_AUTH, ODYSSEY_AUTH, REPO_ROOT, YOFI_HEADERS

from mockserver.journal import JournalRecord, RequestJournal
from mockserver.simulation import ARCHETYPES
from mockserver.webui import CONTENT_SECURITY_POLICY, ui_files


def test_a_journal_entry_holds_the_answer_and_names_its_operation(client):
    sent = client.get("/api/journey/visitor_1", headers=JOURVEX_AUTH)
    (listed,) = client.get("/__admin/requests").json()["requests"]
    entry = client.get(f"/__admin/requests/{listed['id']}").json()
    assert entry["response_body"] == sent.json()
    assert entry["response_headers"]["content-type"] == "application/json"
    assert entry["headers"]["authorization"] == "[redacted]"
    assert entry["operation"]["operationId"] == "getJourney"
    assert entry["operation"]["path"] == "/api/journey/{journey_id}"
    assert "200" in entry["operation"]["statuses"]


def test_an_error_answer_is_journalled_with_its_headers(client):
    client.get("/api/journey/visitor_1", headers={**JOURVEX_AUTH, "Prefer": "code=429"})
    (entry,) = client.get("/__admin/requests").json()["requests"]
    assert entry["status"] == 429
    assert entry["response_headers"]["retry-after"] == "1"
    assert "error" in entry["response_body"]


def test_an_unrouted_request_has_no_operation_and_unknown_ids_are_404(client):
    client.get("/nowhere")
    (listed,) = client.get("/__admin/requests").json()["requests"]
    assert client.get(f"/__admin/requests/{listed['id']}").json()["operation"] is None
    assert client.get("/__admin/requests/999").status_code == 404
    assert client.get("/__admin/requests/abc").status_code == 400


def test_since_returns_only_newer_entries_and_oldest_tells_what_was_dropped(client):
    for n in range(3):
        client.get(f"/api/journey/v{n}", headers=JOURVEX_AUTH)
    everything = client.get("/__admin/requests").json()
    first, second, third = (entry["id"] for entry in everything["requests"])
    newer = client.get("/__admin/requests", params={"since": first}).json()
    assert [entry["id"] for entry in newer["requests"]] == [second, third]
    assert newer["oldest"] == first
    client.delete("/__admin/requests")
    assert client.get("/__admin/requests", params={"since": third}).json() == {
        "requests": [],
        "total": 0,
        "oldest": None,
    }
    assert client.get("/__admin/requests", params={"since": "-1"}).status_code == 400


def _request(path: str) -> dict[str, Any]:
    """A GET of `path` answered 200, as the pipeline would record it."""
    return {
        "method": "GET",
        "path": path,
        "query": b"",
        "headers": [],
        "api": None,
        "operation_id": None,
        "status": 200,
        "duration_ms": 1.0,
    }


def test_the_journal_keeps_large_answers_by_size_only():
    journal = RequestJournal(2)
    journal.record(JournalRecord(**_request("/x"), response_payload=b'"' + b"a" * 70_000 + b'"'))
    journal.record(JournalRecord(**_request("/y"), response_payload=b'{"small": 1}'))
    large, small = journal.entries()
    assert large.response_body == "<70002 bytes, not kept in the journal>"
    assert small.response_body == {"small": 1}
    assert journal.oldest_id() == 1
    journal.record(JournalRecord(**_request("/z")))
    assert journal.oldest_id() == 2


def test_faults_are_read_and_changed_at_run_time_and_take_effect(client):
    assert client.get("/__admin/faults").json() == {"latency": None, "error_rate": 0.0, "rate_limit": None}
    changed = client.post("/__admin/faults", json={"error_rate": 1, "latency": "0-1"}).json()
    assert changed == {"latency": [0.0, 1.0], "error_rate": 1.0, "rate_limit": None}
    assert client.get("/api/journey/v", headers=JOURVEX_AUTH).status_code == 503
    client.post("/__admin/faults", json={"error_rate": None, "rate_limit": "1/s"})
    statuses = [client.get("/api/journey/v", headers=JOURVEX_AUTH).status_code for _ in range(3)]
    assert statuses[0] == 200 and 429 in statuses
    assert client.post("/__admin/faults", json={"rate_limit": None, "latency": None}).json() == {
        "latency": None,
        "error_rate": 0.0,
        "rate_limit": None,
    }
    assert client.get("/api/journey/v", headers=JOURVEX_AUTH).status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"error_rate": 2}, "error rate must be a probability between 0 and 1"),
        ({"latency": "fast"}, "latency must be MS or MIN-MAX"),
        ({"rate_limit": "0/s"}, "rate must be N/s with N > 0"),
        ({"errors": 1}, "Unknown fault 'errors'; faults: latency, error_rate, rate_limit"),
        ([1], "The body must be a JSON object"),
    ],
)
def test_a_bad_fault_change_is_a_400_saying_why_and_changes_nothing(client, body, message):
    answer = client.post("/__admin/faults", json=body)
    assert answer.status_code == 400
    assert message in answer.json()["error"]
    assert client.get("/__admin/faults").json()["error_rate"] == 0.0


@pytest.mark.parametrize("api", ["jourvex", "yofi"])
@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_the_explorer_serves_what_the_api_serves_with_a_timeline(client, api, archetype):
    explored = client.get(f"/__admin/journeys/{api}/j-1", params={"archetype": archetype, "seed": "4"}).json()
    # The explorer asks the handlers directly: nothing reaches the journal.
    assert client.get("/__admin/requests").json()["total"] == 0
    assert explored["archetype"] == archetype
    prefer = {"Prefer": f"archetype={archetype}, seed=4"}
    if api == "jourvex":
        served = client.get("/api/journey/j-1", headers={**JOURVEX_AUTH, **prefer}).json()
        assert explored["operations"]["getJourney"] == served
        assert len(explored["timeline"]["sessions"]) == served["metrics"]["total_sessions"]
    else:
        served = client.get("/data-api/v3/journeys/j-1/predictions", headers={**YOFI_HEADERS, **prefer}).json()
        assert explored["operations"]["getJourneyPredictions"] == served
    timeline = explored["timeline"]
    assert timeline["now"] == FIXED_NOW
    assert all(session["start"] < session["end"] <= FIXED_NOW for session in timeline["sessions"])
    assert timeline["bot"] == (archetype == "bot")


def test_the_explorer_lists_archetypes_and_refuses_what_it_cannot_show(client):
    listing = client.get("/__admin/journeys").json()["archetypes"]
    assert listing == {"jourvex": list(ARCHETYPES), "yofi": list(ARCHETYPES)}
    odyssey = client.get("/__admin/journeys/odyssey/x")
    assert odyssey.status_code == 400 and "odyssey journeys are the ones clients create" in odyssey.json()["error"]
    assert client.get("/__admin/journeys/nope/x").status_code == 404
    assert client.get("/__admin/journeys/jourvex/missing-1").status_code == 404
    assert "archetype must be one of" in client.get("/__admin/journeys/jourvex/x?archetype=whale").json()["error"]
    assert "Unknown parameter 'sed'" in client.get("/__admin/journeys/jourvex/x?sed=1").json()["error"]
    assert client.get("/__admin/journeys/jourvex/x?seed=abc").status_code == 400
    assert client.get("/api/journeys/x", headers=ODYSSEY_AUTH).status_code == 404


def test_the_page_is_served_with_a_strict_policy_and_browsers_are_sent_to_it(client):
    page = client.get("/__admin/ui")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "unsafe" not in CONTENT_SECURITY_POLICY
    assert page.headers["x-content-type-options"] == "nosniff"
    script = client.get("/__admin/ui/app.js")
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    redirect = client.get("/__admin/", headers={"Accept": "text/html,application/xhtml+xml"}, follow_redirects=False)
    assert (redirect.status_code, redirect.headers["location"]) == (302, "/__admin/ui")
    assert client.get("/__admin/").status_code == 404  # a script still gets the JSON listing
    assert client.get("/__admin/ui/nope.js").json()["error"].startswith("No admin endpoint")


def test_the_page_has_no_inline_script_or_style_and_loads_nothing_from_elsewhere():
    files = ui_files()
    assert {"index.html", "app.js", "style.css"} <= set(files)
    index = files["index.html"][0].decode()
    assert "<script>" not in index and "style=" not in index and "<style" not in index
    for name, (content, _media_type) in files.items():
        if name.startswith("vendor/"):
            continue  # taken unchanged from its package: the policy keeps it to the mock (test_page.py checks)
        text = content.decode()
        assert "innerHTML" not in text and "outerHTML" not in text and "insertAdjacentHTML" not in text, name
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", ""), name
        assert "https://" not in text, name


def test_the_data_endpoints_refuse_other_hosts_and_the_files_hold_no_data(client):
    for path in ("/__admin/faults", "/__admin/clock", "/__admin/journeys", "/__admin/requests/1"):
        assert client.get(path, headers={"Host": "evil.example"}).status_code == 403, path
    refused = client.post("/__admin/faults", json={"error_rate": 1}, headers={"Origin": "http://evil.example"})
    assert refused.status_code == 403
    assert client.get("/__admin/faults").json()["error_rate"] == 0.0


def test_the_wheel_ships_the_page(wheel_environment):
    with zipfile.ZipFile(wheel_environment.wheel) as archive:
        names = set(archive.namelist())
    assert {f"mockserver/ui/{name}" for name in ui_files()} <= names


def test_the_vendored_library_is_the_pinned_release_unchanged():
    folder = REPO_ROOT / "mockserver" / "ui" / "vendor" / "swagger-ui"
    manifest = json.loads((folder / "VENDORED.json").read_text())
    assert (manifest["package"], manifest["version"]) == ("swagger-ui-dist", "5.35.0")
    shipped = {path.name for path in folder.iterdir()} - {"VENDORED.json"}
    assert shipped == set(manifest["sha256"])
    for name, digest in manifest["sha256"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    assert {"vendor/swagger-ui/swagger-ui-bundle.js", "vendor/swagger-ui/swagger-ui.css"} <= set(ui_files())
