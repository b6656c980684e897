"""Serving the two read-only APIs: journeys from the simulation, auth, Yofi's header and query rules."""

from __future__ import annotations

import pytest
from support import JOURVEX_AUTH, YOFI_HEADERS

from mockserver.apis.jourvex import KEY_PREFIXES
from mockserver.simulation import ARCHETYPES


def test_jourvex_journey_is_served_for_any_id(client):
    response = client.get("/api/journey/cluster_8f2ab", headers=JOURVEX_AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["journey_id"] == "cluster_8f2ab"


def test_same_id_same_seed_gives_identical_bytes_and_seed_changes_them(client, make_client):
    first = client.get("/api/journey/cluster_1", headers=JOURVEX_AUTH).content
    again = client.get("/api/journey/cluster_1", headers=JOURVEX_AUTH).content
    other_process = make_client().get("/api/journey/cluster_1", headers=JOURVEX_AUTH).content
    reseeded = client.get("/api/journey/cluster_1", headers={**JOURVEX_AUTH, "Prefer": "seed=99"}).content
    assert first == again == other_process
    assert reseeded != first


def test_ids_starting_with_missing_are_not_found(client):
    response = client.get("/api/journey/missing-42", headers=JOURVEX_AUTH)
    assert response.status_code == 404
    assert "missing-42" in response.json()["error"]
    yofi = client.get("/data-api/v3/journeys/missing-1", headers=YOFI_HEADERS)
    assert yofi.status_code == 404
    assert yofi.json()["errors"][0]["status"] == "404"


def test_jourvex_requires_a_key_of_the_documented_shape(client):
    missing = client.get("/api/journey/abc")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert client.get("/api/journey/abc", headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get("/api/journey/abc", headers={"Authorization": "Bearer sk_live_123"}).status_code == 401
    assert client.get("/api/journey/abc", headers={"Authorization": "Bearer jvx_live_"}).status_code == 401
    assert client.get("/api/journey/abc", headers={"Authorization": "Bearer jvx_live_abc"}).status_code == 200


def test_tokens_that_say_they_are_bad_are_rejected(client):
    for token in ("jvx_live_EXPIRED", "jvx_test_revoked_1", "jvx_live_invalid", "SCHEMATHESIS-INVALID-VALUE"):
        response = client.get("/api/journey/abc", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
        assert "error" in response.json()


def test_explicit_tokens_switch_to_an_allow_list(make_client):
    from mockserver.config import parse_token

    client = make_client(tokens=(parse_token("jourvex=jvx_live_known"),))
    assert client.get("/api/journey/a", headers={"Authorization": "Bearer jvx_live_known"}).status_code == 200
    assert client.get("/api/journey/a", headers={"Authorization": "Bearer jvx_live_other"}).status_code == 401


def test_yofi_needs_the_partner_header(client):
    response = client.get("/data-api/v3/journeys/jid-1", headers={"Authorization": "Bearer t"})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["status"] == "400"
    assert "x-scope-partner-id" in error["detail"]


def test_yofi_auth_comes_before_the_header_check(client):
    response = client.get("/data-api/v3/journeys/jid-1")
    assert response.status_code == 401
    assert response.json()["errors"][0]["title"] == "Unauthorized"


def test_yofi_predictions_only_when_asked_for(client):
    plain = client.get("/data-api/v3/journeys/jid-7", headers=YOFI_HEADERS).json()
    asked = client.get(
        "/data-api/v3/journeys/jid-7", params={"fields[journeys]": "predictions"}, headers=YOFI_HEADERS
    ).json()
    assert "predictions" not in plain["data"][0]["attributes"]
    assert asked["data"][0]["attributes"]["predictions"]
    assert asked["data"][0]["attributes"]["journey_id"] == "jid-7"
    bad = client.get("/data-api/v3/journeys/jid-7", params={"fields[journeys]": "users"}, headers=YOFI_HEADERS)
    assert bad.status_code == 400


def test_yofi_is_force_is_a_boolean_and_keeps_the_prediction_id(client):
    url = "/data-api/v3/journeys/jid-9/predictions"
    normal = client.get(url, headers=YOFI_HEADERS).json()["data"][0]["attributes"]
    forced = client.get(url, params={"isForce": "true"}, headers=YOFI_HEADERS).json()["data"][0]["attributes"]
    assert normal["prediction_id"] == forced["prediction_id"]
    assert client.get(url, params={"isForce": "maybe"}, headers=YOFI_HEADERS).status_code == 400


def test_duplicate_query_keys_are_refused(client):
    response = client.get("/data-api/v3/journeys/jid-9/predictions?isForce=true&isForce=false", headers=YOFI_HEADERS)
    assert response.status_code == 400
    assert "more than once" in response.json()["errors"][0]["detail"]


def test_archetype_preference_picks_the_kind_of_journey(client):
    for archetype in ARCHETYPES:
        response = client.get("/api/journey/j-arch", headers={**JOURVEX_AUTH, "Prefer": f"archetype={archetype}"})
        assert response.status_code == 200, archetype
    bot = client.get(
        "/data-api/v3/journeys/j-bot/predictions", headers={**YOFI_HEADERS, "Prefer": "archetype=bot"}
    ).json()
    prediction = bot["data"][0]["attributes"]
    assert prediction["prediction_category"] == "bot"
    assert prediction["severity"] == "high"
    converted = client.get("/api/journey/j-conv", headers={**JOURVEX_AUTH, "Prefer": "archetype=converted"}).json()
    assert converted["converted"] is True


@pytest.mark.parametrize("prefix", KEY_PREFIXES)
def test_a_bare_key_prefix_is_told_that_the_key_is_missing(client, prefix):
    """`jvx_live_` does start with `jvx_live_`: what is wrong is that no key follows it."""
    response = client.get("/api/journey/abc", headers={"Authorization": f"Bearer {prefix}"})
    assert response.status_code == 401
    message = response.json()["error"]
    assert f"nothing after {prefix}" in message, message
    assert "start with" not in message
    wrong = client.get("/api/journey/abc", headers={"Authorization": "Bearer sk_live_123"})
    assert "start with jvx_live_ or jvx_test_" in wrong.json()["error"]


def test_a_huge_query_value_is_quoted_by_a_short_prefix_only(client):
    value = "t" * 7_000
    response = client.get("/data-api/v3/journeys/jid-9/predictions", params={"isForce": value}, headers=YOFI_HEADERS)
    assert response.status_code == 400
    detail = response.json()["errors"][0]["detail"]
    assert detail.startswith("isForce: 'tttt"), detail[:100]
    assert "7000 characters" in detail
    assert len(detail) < 200, len(detail)


def test_a_huge_prefer_value_is_quoted_by_a_short_prefix_only(client):
    response = client.get("/api/journey/abc", headers={**JOURVEX_AUTH, "Prefer": "archetype=" + "a" * 7_000})
    assert response.status_code == 400
    message = response.json()["error"]
    assert "converted, high-intent" in message  # still says what is allowed
    assert "7000 characters" in message
    assert len(message) < 300, len(message)
