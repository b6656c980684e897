"""The web page at /__admin/ui in a real headless Chromium: the live journal table, filters, a request's detail,
clear and reset, the clock, faults, the journey explorer for every archetype, the specs — and nothing that a
client sent runs as code, and nothing leaves loopback."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select
from support import FIXED_NOW, JOURVEX_AUTH, ODYSSEY_AUTH, YOFI_HEADERS

from mockserver.journal import MOCK_SOURCE, UPSTREAM_SOURCE, JournalNote, JournalRecord
from mockserver.simulation import ARCHETYPES

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
#: Schemes the browser answers itself, without a connection (`chrome:` is the new-tab page a driver opens on).
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "chrome-untrusted", "devtools"}


@pytest.fixture(scope="module")
def api(server):
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def page(browser, server):
    """The page, loaded once for the module (each test leaves it on the Requests view)."""
    browser.driver.get(f"{server.base_url}/__admin/ui")
    browser.wait(10).until(lambda driver: driver.execute_script("return document.body.dataset.ready === 'true'"))
    return browser


@pytest.fixture(autouse=True)
def _fresh(request, api):
    """Each test starts from an empty journal, the fixed clock, no faults, on the Requests view."""
    api.post("/__admin/reset")  # the clock too: back where the settings put it
    api.post("/__admin/faults", json={"latency": None, "error_rate": None, "rate_limit": None})
    if "page" in request.fixturenames:
        browser = request.getfixturevalue("page")
        browser.script("document.getElementById('message').textContent = ''")
        tab(browser, "requests")
        browser.wait().until(lambda driver: not rows(browser))
    yield


def tab(browser, name):
    browser.driver.find_element(By.ID, f"tab-{name}").click()
    browser.wait().until(lambda driver: driver.execute_script("return document.body.dataset.view") == name)


def rows(browser):
    return browser.driver.find_elements(By.CSS_SELECTOR, "#requests-body tr")


def row_paths(browser):
    return [row.find_element(By.CSS_SELECTOR, ".path").text for row in rows(browser)]


def wait_for_rows(browser, count, timeout=5.0):
    browser.wait(timeout).until(lambda driver: len(rows(browser)) == count)
    return rows(browser)


def test_requests_made_by_a_client_appear_within_a_second(page, api):
    assert api.get("/api/journey/visitor_1", headers=JOURVEX_AUTH).status_code == 200
    answered = time.monotonic()
    (row,) = wait_for_rows(page, 1, timeout=1.0)
    assert time.monotonic() - answered < 1.0
    cells = [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
    assert cells[2:7] == ["GET", "/api/journey/visitor_1", "jourvex", "getJourney", "200"]
    api.get("/data-api/v3/journeys/j1", headers=YOFI_HEADERS)
    wait_for_rows(page, 2, timeout=1.0)
    assert row_paths(page)[0] == "/data-api/v3/journeys/j1"  # newest first
    page.screenshot("requests")


def test_filters_by_api_operation_status_and_text(page, api):
    api.get("/api/journey/visitor_1", headers=JOURVEX_AUTH)
    api.get("/api/journey/visitor_2")  # no token: 401
    api.get("/data-api/v3/journeys/j1", headers=YOFI_HEADERS)
    api.get("/data-api/v3/journeys/j1/predictions", headers=YOFI_HEADERS)
    wait_for_rows(page, 4)
    driver = page.driver
    Select(driver.find_element(By.ID, "filter-api")).select_by_value("yofi")
    assert sorted(row_paths(page)) == ["/data-api/v3/journeys/j1", "/data-api/v3/journeys/j1/predictions"]
    Select(driver.find_element(By.ID, "filter-operation")).select_by_value("getJourneyPredictions")
    assert row_paths(page) == ["/data-api/v3/journeys/j1/predictions"]
    Select(driver.find_element(By.ID, "filter-api")).select_by_value("")
    Select(driver.find_element(By.ID, "filter-operation")).select_by_value("")
    status = driver.find_element(By.ID, "filter-status")
    status.send_keys("4xx")
    assert row_paths(page) == ["/api/journey/visitor_2"]
    status.clear()
    status.send_keys(Keys.BACKSPACE)  # clear() sends no input event
    driver.find_element(By.ID, "filter-text").send_keys("VISITOR_1")
    assert row_paths(page) == ["/api/journey/visitor_1"]
    assert driver.find_element(By.ID, "request-count").text == "1 of 4"
    driver.find_element(By.ID, "filter-text").clear()
    driver.find_element(By.ID, "filter-text").send_keys(Keys.BACKSPACE)
    assert len(rows(page)) == 4


def test_the_detail_shows_request_response_operation_and_curl_and_works_from_the_keyboard(page, api):
    sent = api.get("/api/journey/visitor_1", headers={**JOURVEX_AUTH, "X-Trace": "abc-123"})
    (row,) = wait_for_rows(page, 1)
    row.send_keys(Keys.ENTER)
    detail = page.driver.find_element(By.ID, "detail")
    page.wait().until(lambda driver: detail.is_displayed() and "getJourney" in detail.text)
    text = detail.text
    assert "GET /api/journey/visitor_1" in text
    assert "x-trace" in text and "abc-123" in text
    assert "[redacted]" in text and JOURVEX_AUTH["Authorization"] not in text
    assert "Fetch a visitor's journey" in text  # the spec's summary of the operation
    assert "No violation recorded." in text
    assert sent.json()["journey_id"] in text and '"metrics"' in text  # the response body
    curl = detail.find_element(By.CSS_SELECTOR, "pre.curl").text
    assert curl.startswith(f"curl -sg '{page.base_url}/api/journey/visitor_1'")
    assert "-H 'x-trace: abc-123'" in curl
    page.screenshot("request-detail")
    detail.send_keys(Keys.ESCAPE)
    page.wait().until(lambda driver: not detail.is_displayed())


def test_the_keyboard_keeps_its_row_while_new_requests_arrive(page, api):
    for number in range(3):
        api.get(f"/api/journey/visitor_{number}", headers=JOURVEX_AUTH)
    newest = wait_for_rows(page, 3)[0]
    newest.send_keys(Keys.ARROW_DOWN)
    assert page.driver.switch_to.active_element.text.split()[3] == "/api/journey/visitor_1"
    api.get("/api/journey/visitor_3", headers=JOURVEX_AUTH)
    wait_for_rows(page, 4)
    focused = page.driver.switch_to.active_element
    assert focused.tag_name == "tr" and "/api/journey/visitor_1" in focused.text
    focused.send_keys(Keys.ENTER)
    detail = page.driver.find_element(By.ID, "detail")
    page.wait().until(lambda driver: "/api/journey/visitor_1" in detail.text)
    focused.send_keys(Keys.ESCAPE)
    page.wait().until(lambda driver: not detail.is_displayed())


@pytest.mark.parametrize(
    ("path", "headers", "reason"),
    [
        ("/api/journey/visitor_1", {}, "Authorization"),  # Jourvex: {"error": ...}
        ("/data-api/v3/journeys/j1", {"Authorization": "Bearer t"}, "x-scope-partner-id"),  # Yofi: JSON:API errors
    ],
)
def test_the_detail_says_why_a_request_was_refused(page, api, path, headers, reason):
    refused = api.get(path, headers=headers)
    assert refused.status_code in (400, 401)
    (row,) = wait_for_rows(page, 1)
    row.click()
    detail = page.driver.find_element(By.ID, "detail")
    page.wait().until(lambda driver: f"Answered {refused.status_code}:" in detail.text)
    listed = detail.find_element(By.CSS_SELECTOR, ".rejection-list").text
    assert reason in listed
    if reason == "Authorization":
        page.screenshot("request-refused")


def record_get(
    server: Any,
    path: str,
    *,
    status: int = 200,
    duration_ms: float = 1.0,
    problems: tuple[Any, ...] = (),
    note: JournalNote | None = None,
) -> None:
    """Journal a Jourvex GET of `path` as the pipeline, the proxy or a replay would."""
    server.mock.journal.record(
        JournalRecord(
            method="GET",
            path=path,
            query=b"",
            headers=[(b"host", b"127.0.0.1")],
            api="jourvex",
            operation_id="getJourney",
            status=status,
            duration_ms=duration_ms,
            problems=problems,
            response_payload=b"{}",
            note=note,
        )
    )


def test_violations_are_listed_with_their_tier_when_an_entry_carries_one(page, server):
    # What --validate-responses records when the mock's own answer breaks its spec: a message per violation. A
    # verdict with a tier ({"tier", "message"}) is shown with its tier.
    untiered = "response body: 'journey_id' is a required property"
    tiered = {"tier": "violation", "message": "status 200 is not documented"}
    record_get(server, "/api/journey/a", status=500, problems=(untiered,))
    record_get(server, "/api/journey/b", status=500, problems=(tiered,))
    newest, oldest = wait_for_rows(page, 2)
    assert newest.find_element(By.CSS_SELECTOR, ".problems").text == "1"
    detail = page.driver.find_element(By.ID, "detail")
    oldest.click()
    page.wait().until(lambda driver: untiered in detail.text)
    newest.click()
    page.wait().until(lambda driver: "status 200 is not documented" in detail.text)
    assert detail.find_element(By.CSS_SELECTOR, ".problem-list .tier").text == "violation"


def test_the_source_column_and_the_upstreams_part_appear_for_proxied_and_replayed_entries(page, api, server):
    # A plain simulation's entries leave the source column hidden.
    api.get("/api/journey/visitor_1", headers=JOURVEX_AUTH)
    (plain,) = wait_for_rows(page, 1)
    assert not plain.find_element(By.CSS_SELECTOR, ".source").is_displayed()
    # What journey proxy and serve --replay record (mockserver.proxy, mockserver.replay).
    upstream = {"url": "http://127.0.0.1:9/vendor", "status": 200, "duration_ms": 12.5, "violations": 1}
    failed = {"url": "http://127.0.0.1:9/vendor", "error": "The jourvex upstream did not answer within 2 s"}
    record_get(server, "/api/journey/up", duration_ms=14.0, note=JournalNote(UPSTREAM_SOURCE, upstream))
    record_get(
        server, "/api/journey/down", duration_ms=2003.0, note=JournalNote(MOCK_SOURCE, {**failed, "fallback": True})
    )
    record_get(server, "/api/journey/again", note=JournalNote("replay"))
    wait_for_rows(page, 4)
    sources = {
        row.find_element(By.CSS_SELECTOR, ".path").text: row.find_element(By.CSS_SELECTOR, ".source")
        for row in rows(page)
    }
    assert all(cell.is_displayed() for cell in sources.values())
    assert {path: cell.text for path, cell in sources.items()} == {
        "/api/journey/up": "upstream 200",
        "/api/journey/down": "mock (fallback)",
        "/api/journey/again": "replay",
        "/api/journey/visitor_1": "mock",
    }
    detail = page.driver.find_element(By.ID, "detail")
    rows(page)[2].click()  # /api/journey/up
    page.wait().until(lambda driver: "upstream status" in detail.text)
    facts = detail.find_element(By.CSS_SELECTOR, ".upstream-facts").text
    assert "http://127.0.0.1:9/vendor" in facts and "12.5 ms" in facts and "violations\n1" in facts
    rows(page)[1].click()  # /api/journey/down
    page.wait().until(lambda driver: "the simulation answered instead" in detail.text)
    assert failed["error"] in detail.find_element(By.CSS_SELECTOR, ".upstream-facts").text
    page.screenshot("request-proxied")


def test_a_script_in_a_path_or_header_is_shown_as_text_and_never_runs(page, api):
    injected_path = "/api/journey/<script>window.__injected = 1</script>"
    injected_header = '<img src=x onerror="window.__injected = 2">'
    img_path = "/api/journey/<img src=x onerror=window.__injected=3>"
    api.get(injected_path, headers={"X-Note": injected_header})
    api.get(img_path, headers=JOURVEX_AUTH)
    wait_for_rows(page, 2)
    assert row_paths(page) == [img_path, injected_path]
    rows(page)[1].click()
    detail = page.driver.find_element(By.ID, "detail")
    page.wait().until(lambda driver: injected_header in detail.text)
    assert injected_path in detail.text
    assert page.script("return window.__injected") is None
    assert page.script("return document.querySelectorAll('main script, main img').length") == 0
    page.screenshot("injected-markup")


def test_clear_and_reset_buttons_act_on_the_mock(page, api):
    api.get("/api/journey/visitor_1", headers=JOURVEX_AUTH)
    wait_for_rows(page, 1)
    page.driver.find_element(By.ID, "clear-journal").click()
    wait_for_rows(page, 0)
    assert api.get("/__admin/requests").json()["total"] == 0
    created = api.post("/api/journeys/create", headers=ODYSSEY_AUTH, json={"slug": "grant", "displayName": "Grant"})
    assert created.status_code == 201
    wait_for_rows(page, 1)
    page.driver.find_element(By.ID, "reset-mock").click()
    wait_for_rows(page, 0)
    assert api.get("/api/journeys/grant", headers=ODYSSEY_AUTH).status_code == 404


def test_the_clock_advances_from_the_page_and_the_api_follows(page, api):
    before = api.get("/api/journey/visitor_1", headers=JOURVEX_AUTH).json()["last_seen"]
    page.driver.find_element(By.CSS_SELECTOR, '[data-advance="P1D"]').click()
    page.wait().until(lambda driver: driver.find_element(By.ID, "clock-now").text == "2026-05-22T16:30:00.000Z")
    clock = api.get("/__admin/clock").json()
    assert (clock["now"], clock["running"]) == ("2026-05-22T16:30:00.000Z", False)
    after = api.get("/api/journey/visitor_1", headers=JOURVEX_AUTH).json()["last_seen"]
    assert after > before
    tab(page, "controls")
    advance = page.driver.find_element(By.ID, "clock-advance")
    advance.send_keys("PT2H")
    page.driver.find_element(By.ID, "clock-advance-button").click()
    page.wait().until(lambda driver: driver.find_element(By.ID, "clock-now").text == "2026-05-22T18:30:00.000Z")
    page.screenshot("clock-and-faults")
    advance.clear()
    advance.send_keys("soon")
    page.driver.find_element(By.ID, "clock-advance-button").click()
    page.wait().until(lambda driver: "ISO 8601 duration" in driver.find_element(By.ID, "message").text)


def test_fault_toggles_take_effect_on_the_api(page, api):
    tab(page, "controls")
    driver = page.driver
    driver.find_element(By.ID, "fault-error-rate").send_keys("1")
    driver.find_element(By.ID, "fault-latency").send_keys("5-10")
    driver.find_element(By.CSS_SELECTOR, "#faults-form button[type=submit]").click()
    page.wait().until(lambda driver: "error rate 1" in driver.find_element(By.ID, "faults-now").text)
    assert api.get("/__admin/faults").json() == {"latency": [5.0, 10.0], "error_rate": 1.0, "rate_limit": None}
    assert api.get("/api/journey/visitor_1", headers=JOURVEX_AUTH).status_code == 503
    driver.find_element(By.ID, "faults-off").click()
    page.wait().until(lambda driver: driver.find_element(By.ID, "faults-now").text == "none")
    assert api.get("/api/journey/visitor_1", headers=JOURVEX_AUTH).status_code == 200
    driver.find_element(By.ID, "fault-rate-limit").send_keys("1")
    driver.find_element(By.CSS_SELECTOR, "#faults-form button[type=submit]").click()
    page.wait().until(lambda driver: "rate limit 1/s" in driver.find_element(By.ID, "faults-now").text)
    statuses = [api.get("/api/journey/v", headers=JOURVEX_AUTH).status_code for _ in range(3)]
    assert 429 in statuses


def explored(page):
    return page.script(
        "const svg = document.querySelector('#timeline svg');"
        "return svg && {sessions: svg.querySelectorAll('g.session').length,"
        " bots: svg.querySelectorAll('g.session.bot').length,"
        " views: svg.querySelectorAll('rect.page-view').length,"
        " conversions: svg.querySelectorAll('polygon.conversion').length,"
        " now: document.getElementById('timeline').dataset.now,"
        " body: document.getElementById('journey-body').textContent}"
    )


@pytest.mark.parametrize("api_name", ["jourvex", "yofi"])
def test_the_timeline_renders_for_every_archetype(page, api, api_name):
    tab(page, "journeys")
    driver = page.driver
    Select(driver.find_element(By.ID, "journey-api")).select_by_value(api_name)
    for archetype in ARCHETYPES:
        Select(driver.find_element(By.ID, "journey-archetype")).select_by_value(archetype)
        page.wait().until(
            lambda driver, archetype=archetype: (
                f"archetype{archetype}" in driver.find_element(By.ID, "journey-summary").text.replace("\n", "")
            )
        )
        shown = explored(page)
        expected = api.get(f"/__admin/journeys/{api_name}/cluster_8f2ab", params={"archetype": archetype}).json()
        sessions = expected["timeline"]["sessions"]
        assert shown["sessions"] == len(sessions) > 0
        assert shown["bots"] == sum(session["botd"] for session in sessions)
        assert shown["views"] == sum(min(len(session["pages"]), 14) for session in sessions)
        assert shown["conversions"] == sum(len(session["conversions"]) for session in sessions)
        if archetype == "bot":
            assert shown["bots"] > 0
        if archetype == "converted":
            assert shown["conversions"] > 0
        assert expected["journey_id"] in shown["body"]
        if api_name == "jourvex" and archetype in ("converted", "bot"):
            page.screenshot(f"journey-{archetype}")


def test_moving_the_clock_redraws_the_timeline(page):
    tab(page, "journeys")
    driver = page.driver
    page.wait().until(lambda driver: explored(page) and explored(page)["now"] == FIXED_NOW)
    driver.find_element(By.CSS_SELECTOR, '[data-advance="P7D"]').click()
    page.wait().until(lambda driver: explored(page)["now"] == "2026-05-28T16:30:00Z")
    assert "2026-05-28 16:30" in driver.find_element(By.CSS_SELECTOR, "#timeline svg").text


def test_the_specs_are_rendered_as_reference_docs_by_swagger_ui(page, server):
    tab(page, "specs")
    select = Select(page.driver.find_element(By.ID, "spec-api"))
    spec_doc = page.driver.find_element(By.ID, "spec-doc")
    for api_name, operation, path in (
        ("jourvex", "getJourney", "/api/journey/{journey_id}"),
        ("odyssey", "createJourney", "/api/journeys/create"),
        ("yofi", "getJourneyPredictions", "/data-api/v3/journeys/{journey_id}/predictions"),
    ):
        select.select_by_value(api_name)
        page.wait(10).until(lambda driver, api_name=api_name: spec_doc.get_attribute("data-api") == api_name)
        blocks = page.driver.find_elements(By.CSS_SELECTOR, f"#spec-doc [id$='-{operation}']")
        assert blocks, f"no operation block for {operation}"
        assert path in blocks[0].text
        title = page.driver.find_element(By.CSS_SELECTOR, "#spec-doc .info .title").text
        assert server.mock.specs[api_name].title in title
        if api_name == "jourvex":
            page.screenshot("specs")
    # A reference, not a client: no "Try it out" that would send requests to the vendors' hosts.
    assert not page.driver.find_elements(By.CSS_SELECTOR, "#spec-doc .try-out__btn")


def test_keyboard_moves_between_tabs(page):
    first = page.driver.find_element(By.ID, "tab-requests")
    first.click()
    first.send_keys(Keys.ARROW_RIGHT)
    page.wait().until(lambda driver: driver.execute_script("return document.body.dataset.view") == "journeys")
    assert page.driver.switch_to.active_element.get_attribute("id") == "tab-journeys"


def test_the_screenshots_were_written(page):
    names = {path.stem for path in page.screenshots.glob("*.png")}
    views = {"requests", "request-detail", "request-refused", "clock-and-faults", "journey-bot", "journey-converted"}
    assert views | {"specs", "injected-markup"} <= names
    assert all(path.stat().st_size > 10_000 for path in page.screenshots.glob("*.png"))


def test_no_request_left_loopback(page):
    """Last in the module: every URL the page requested, read from Chromium's own network log."""
    requested = page.collect_network_log()
    assert any(url.endswith("/__admin/ui/app.js") for url in requested)
    assert any("/__admin/requests?since=" in url for url in requested)
    networked = [url for url in requested if urlsplit(url).scheme not in LOCAL_SCHEMES]
    assert {urlsplit(url).scheme for url in networked} == {"http"}
    assert {urlsplit(url).hostname for url in networked} <= LOOPBACK_HOSTS
    errors = [entry for entry in page.driver.get_log("browser") if "Content Security Policy" in entry["message"]]
    assert errors == []
