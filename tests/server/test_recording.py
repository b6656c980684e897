"""The HAR recorder's writer: entries appended in place, off the caller's thread, every file a complete HAR 1.2
document, nothing lost when it closes, secrets replaced by the directory's stable placeholders."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mockserver.recording import PLACEHOLDER_PREFIX, HarRecorder, har_entry

DAY = datetime(2026, 5, 21, 16, 30, tzinfo=UTC)


def entry(index: int, token: str = "tok-S3CRET-1") -> dict[str, Any]:
    return har_entry(
        api="jourvex",
        operation_id="getJourney",
        method="GET",
        url=f"http://127.0.0.1:1/api/journey/j{index}",
        request_headers=[("authorization", f"Bearer {token}")],
        query=[],
        request_body=b"",
        status=200,
        response_headers=[("content-type", "application/json")],
        response_body=json.dumps({"journey_id": f"j{index}", "echo": token, "text": 'é\n"q"'}).encode(),
        duration_ms=1.5,
        started=DAY,
    )


def har_file(directory: Path) -> Path:
    return directory / "jourvex" / "2026-05-21.har"


def read(directory: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(har_file(directory).read_text(encoding="utf-8"))
    return document


def test_entries_from_many_threads_are_all_written_in_order_per_thread_and_close_flushes(tmp_path):
    recorder = HarRecorder(tmp_path)
    callers = []
    for worker in range(4):

        def submit(worker: int = worker) -> None:
            for index in range(50):
                recorder.write(entry(worker * 1000 + index), ["tok-S3CRET-1"])

        callers.append(threading.Thread(target=submit))
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    recorder.close()
    document = read(tmp_path)
    assert document["log"]["version"] == "1.2" and document["log"]["creator"]["name"] == "journeymock"
    ids = [json.loads(item["response"]["content"]["text"])["journey_id"] for item in document["log"]["entries"]]
    assert len(ids) == 200
    for worker in range(4):
        mine = [int(name[1:]) for name in ids if int(name[1:]) // 1000 == worker]
        assert mine == sorted(mine) and len(mine) == 50
    text = har_file(tmp_path).read_text(encoding="utf-8")
    assert "tok-S3CRET-1" not in text and PLACEHOLDER_PREFIX in text
    # Indented as `json.dumps(document, indent=2)` would write it, so recordings review and diff alike.
    assert text == json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def test_a_second_recorder_appends_in_place_with_the_same_placeholders(tmp_path):
    first = HarRecorder(tmp_path)
    first.write(entry(1), ["tok-S3CRET-1"])
    first.close()
    before = har_file(tmp_path).read_bytes()
    second = HarRecorder(tmp_path)
    second.write(entry(2), ["tok-S3CRET-1"])
    second.close()
    after = har_file(tmp_path).read_bytes()
    # Appended: what was there is still there byte for byte, up to the closing brackets the append rewrote.
    assert after.startswith(before[: -len(b"\n    ]\n  }\n}\n")])
    entries = read(tmp_path)["log"]["entries"]
    authorizations = [item["request"]["headers"][0]["value"] for item in entries]
    assert len(entries) == 2 and authorizations[0] == authorizations[1]
    assert authorizations[0].startswith("Bearer " + PLACEHOLDER_PREFIX)


def test_a_file_in_another_layout_is_rewritten_once_and_keeps_its_entries(tmp_path):
    path = har_file(tmp_path)
    path.parent.mkdir(parents=True)
    foreign = {"log": {"entries": [{"kept": True}], "version": "1.2", "creator": {"name": "x", "version": "1"}}}
    path.write_text(json.dumps(foreign), encoding="utf-8")
    recorder = HarRecorder(tmp_path)
    recorder.write(entry(1), [])
    recorder.close()
    rewritten = path.read_bytes()
    recorder = HarRecorder(tmp_path)
    recorder.write(entry(2), [])
    recorder.close()
    document = read(tmp_path)
    assert document["log"]["creator"] == {"name": "x", "version": "1"}
    assert [item.get("kept") for item in document["log"]["entries"]] == [True, None, None]
    assert path.read_bytes().startswith(rewritten[: -len(b"\n    ]\n  }\n}\n")])


def test_a_closed_recorder_refuses_more_and_closing_twice_is_harmless(tmp_path):
    recorder = HarRecorder(tmp_path)
    recorder.close()
    recorder.close()
    with pytest.raises(RuntimeError, match="closed"):
        recorder.write(entry(1), [])
    assert not har_file(tmp_path).exists()
