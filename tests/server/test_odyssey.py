"""Odyssey: create / retrieve / update with the documented rules, messages, scopes and organisations."""

from __future__ import annotations

import re

import pytest
from support import ODYSSEY_AUTH

from mockserver.specs import load_specs

# The vendor's own create request, as the spec carries it.
DOCUMENTED_CREATE = load_specs()["odyssey"].operation("createJourney").request_examples["documented"]


def test_create_retrieve_update_round_trip(client):
    created = client.post("/api/journeys/create", json=DOCUMENTED_CREATE, headers=ODYSSEY_AUTH)
    assert created.status_code == 201
    body = created.json()
    assert body["slug"] == "small-business-grant"
    assert body["environment"] == "production"
    assert [step["stepKey"] for step in body["steps"]] == ["eligibility", "business-info"]
    assert all(step["journeyId"] == body["id"] for step in body["steps"])

    retrieved = client.get("/api/journeys/small-business-grant", headers=ODYSSEY_AUTH)
    assert retrieved.status_code == 200
    detail = retrieved.json()
    for key in ("id", "orgId", "slug", "displayName", "sourceSystem", "environment", "allowedOrigins", "createdAt"):
        assert detail[key] == body[key], key
    assert detail["healthMetrics"]["hasSteps"] is True
    assert {"behaviorMetrics", "eventCountsLast24h", "unmappedStepIds"} <= detail.keys()

    update = {
        "displayName": "SBA Small Business Grant",
        "allowedOrigins": ["https://grants.example.com", "https://apply.example.com"],
    }
    updated = client.put("/api/journeys/small-business-grant", json=update, headers=ODYSSEY_AUTH)
    assert updated.status_code == 200
    assert updated.json()["displayName"] == "SBA Small Business Grant"
    assert updated.json()["updatedAt"] > body["updatedAt"]
    again = client.get("/api/journeys/small-business-grant", headers=ODYSSEY_AUTH).json()
    assert again["displayName"] == "SBA Small Business Grant"
    assert again["allowedOrigins"] == update["allowedOrigins"]


def test_defaults_apply_when_optional_attributes_are_absent(client):
    created = client.post("/api/journeys/create", json={"slug": "bare", "displayName": "Bare"}, headers=ODYSSEY_AUTH)
    assert created.status_code == 201
    body = created.json()
    assert body["sourceSystem"] == "unknown"
    assert body["environment"] == "production"
    assert body["allowedOrigins"] == []
    assert body["steps"] == []
    detail = client.get("/api/journeys/bare", headers=ODYSSEY_AUTH).json()
    assert detail["healthMetrics"]["hasSteps"] is False
    assert detail["behaviorMetrics"]["topDropoffStep"] is None


def test_duplicate_slug_gets_the_documented_409(client):
    assert client.post("/api/journeys/create", json=DOCUMENTED_CREATE, headers=ODYSSEY_AUTH).status_code == 201
    duplicate = client.post("/api/journeys/create", json=DOCUMENTED_CREATE, headers=ODYSSEY_AUTH)
    assert duplicate.status_code == 409
    assert duplicate.json() == {"error": 'Journey with slug "small-business-grant" already exists in this organization'}


def test_invalid_slug_gets_the_documented_400(client):
    response = client.post("/api/journeys/create", json={"slug": "Not Valid", "displayName": "x"}, headers=ODYSSEY_AUTH)
    assert response.status_code == 400
    assert response.json() == {
        "error": "Invalid journey data: slug must contain only lowercase letters, numbers, and hyphens"
    }


def test_other_invalid_data_is_worded_the_same_way(client):
    too_long = client.post("/api/journeys/create", json={"slug": "ok", "displayName": "x" * 256}, headers=ODYSSEY_AUTH)
    assert too_long.status_code == 400
    assert too_long.json()["error"].startswith("Invalid journey data: displayName")
    bad_step = client.post(
        "/api/journeys/create",
        json={"slug": "ok", "displayName": "x", "steps": [{"stepKey": "a", "index": "0"}]},
        headers=ODYSSEY_AUTH,
    )
    assert bad_step.status_code == 400
    assert "steps[0].index" in bad_step.json()["error"]
    bad_env = client.put("/api/journeys/ok", json={"environment": "qa"}, headers=ODYSSEY_AUTH)
    assert bad_env.status_code == 400


def test_unknown_slug_gets_the_documented_404(client):
    response = client.get("/api/journeys/nonexistent-journey", headers=ODYSSEY_AUTH)
    assert response.status_code == 404
    assert response.json() == {"error": 'Journey with slug "nonexistent-journey" not found'}
    update = client.put("/api/journeys/nonexistent-journey", json={"displayName": "x"}, headers=ODYSSEY_AUTH)
    assert update.status_code == 404


def test_read_only_tokens_get_the_documented_403(client):
    readonly = {"Authorization": "Bearer readonly-team-a"}
    response = client.post("/api/journeys/create", json=DOCUMENTED_CREATE, headers=readonly)
    assert response.status_code == 403
    assert response.json() == {"error": "API key does not have required scope: journeys:write"}
    assert client.get("/api/journeys/anything", headers=readonly).status_code == 404


def test_explicit_token_scopes_and_organisations(make_client):
    from mockserver.config import parse_token

    client = make_client(
        tokens=(
            parse_token("odyssey=writer:journeys:read,journeys:write@org_shared"),
            parse_token("odyssey=reader:journeys:read@org_shared"),
        )
    )
    writer, reader = {"Authorization": "Bearer writer"}, {"Authorization": "Bearer reader"}
    created = client.post("/api/journeys/create", json={"slug": "shared", "displayName": "S"}, headers=writer)
    assert created.json()["orgId"] == "org_shared"
    assert client.get("/api/journeys/shared", headers=reader).status_code == 200
    assert client.put("/api/journeys/shared", json={"displayName": "T"}, headers=reader).status_code == 403
    assert client.get("/api/journeys/shared", headers={"Authorization": "Bearer stranger"}).status_code == 401


def test_one_organisation_never_sees_another(client):
    team_b = {"Authorization": "Bearer odyssey-team-b"}
    assert client.post("/api/journeys/create", json=DOCUMENTED_CREATE, headers=ODYSSEY_AUTH).status_code == 201
    assert client.get("/api/journeys/small-business-grant", headers=team_b).status_code == 404
    assert (
        client.put("/api/journeys/small-business-grant", json={"displayName": "x"}, headers=team_b).status_code == 404
    )
    # The same slug is free in the other organisation.
    assert client.post("/api/journeys/create", json=DOCUMENTED_CREATE, headers=team_b).status_code == 201
    mine = client.get("/api/journeys/small-business-grant", headers=ODYSSEY_AUTH).json()
    theirs = client.get("/api/journeys/small-business-grant", headers=team_b).json()
    assert mine["orgId"] != theirs["orgId"]


def test_bodies_that_are_not_json_are_refused_in_the_api_shape(client):
    not_json = client.post(
        "/api/journeys/create", content=b"{nope", headers={**ODYSSEY_AUTH, "Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
    assert not_json.json()["error"].startswith("Invalid journey data: ")
    wrong_type = client.post(
        "/api/journeys/create", content=b"slug=a", headers={**ODYSSEY_AUTH, "Content-Type": "text/plain"}
    )
    assert wrong_type.status_code == 400
    bad_utf8 = client.post(
        "/api/journeys/create",
        content=b'{"slug": "\xff\xfe"}',
        headers={**ODYSSEY_AUTH, "Content-Type": "application/json"},
    )
    assert bad_utf8.status_code == 400
    empty = client.post("/api/journeys/create", headers=ODYSSEY_AUTH)
    assert empty.status_code == 400


def test_bodies_over_one_mebibyte_get_413(client):
    big = b'{"slug": "' + b"a" * (1024 * 1024) + b'"}'
    response = client.post(
        "/api/journeys/create", content=big, headers={**ODYSSEY_AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert "error" in response.json()


def test_not_found_messages_keep_their_documented_shape_for_any_slug(client):
    # A slug with a newline still gets the documented message, and the response still passes its own spec
    # (the client validates every response).
    response = client.get("/api/journeys/a%0Ab", headers=ODYSSEY_AUTH)
    assert response.status_code == 404
    assert response.json() == {"error": 'Journey with slug "a\nb" not found'}


ODYSSEY_SPEC = load_specs()["odyssey"]
CREATE = ODYSSEY_SPEC.operation("createJourney")
#: The documented 400 for a bad slug, and the shape every 400 message has.
DOCUMENTED_SLUG_ERROR = CREATE.responses["400"].examples["invalidSlug"]
INVALID_DATA_PATTERN = CREATE.responses["400"].schema["properties"]["error"]["pattern"]


def test_an_empty_slug_gets_the_documented_message_once(client):
    """Both `minLength` and `pattern` fail for "", and both carry the vendor's wording: it is said once."""
    response = client.post("/api/journeys/create", json={"slug": "", "displayName": "x"}, headers=ODYSSEY_AUTH)
    assert response.status_code == 400
    assert response.json() == DOCUMENTED_SLUG_ERROR


def test_the_slug_create_is_reserved_because_it_could_never_be_read(client):
    slug_rules = CREATE.request_schema["properties"]["slug"]["allOf"]
    (reserved,) = [rule for rule in slug_rules if rule.get("not") == {"const": "create"}]
    assert reserved["x-journeymock-inferred"]
    response = client.post("/api/journeys/create", json={"slug": "create", "displayName": "x"}, headers=ODYSSEY_AUTH)
    assert response.status_code == 400
    message = response.json()["error"]
    assert re.match(INVALID_DATA_PATTERN, message), message
    assert message == "Invalid journey data: " + reserved["x-journeymock-invalid-message"]
    # Nothing was created, and slugs that merely contain the word are ordinary slugs.
    assert client.put("/api/journeys/create", json={"displayName": "y"}, headers=ODYSSEY_AUTH).status_code == 405
    for slug in ("create-account", "recreate", "created"):
        created = client.post("/api/journeys/create", json={"slug": slug, "displayName": "x"}, headers=ODYSSEY_AUTH)
        assert created.status_code == 201, created.text
        assert client.get(f"/api/journeys/{slug}", headers=ODYSSEY_AUTH).status_code == 200


@pytest.mark.parametrize(
    ("attribute", "limit"),
    [
        ("displayName", "is longer than 255 characters"),
        ("sourceSystem", "is not one of"),
        ("environment", "is not one of"),
    ],
)
def test_a_huge_offending_value_is_quoted_by_a_short_prefix_only(client, attribute, limit):
    value = "x" * 900_000
    response = client.post(
        "/api/journeys/create", json={"slug": "huge", "displayName": "x", attribute: value}, headers=ODYSSEY_AUTH
    )
    assert response.status_code == 400
    message = response.json()["error"]
    assert message.startswith(f"Invalid journey data: {attribute}: "), message[:200]
    assert limit in message
    assert "900000 characters" in message  # says how long the value was
    assert len(response.content) < 400, len(response.content)


def test_prefer_archetype_is_refused_on_odyssey_which_has_none(client):
    created = client.post("/api/journeys/create", json={"slug": "a", "displayName": "A"}, headers=ODYSSEY_AUTH)
    assert created.status_code == 201
    requests = [
        ("POST", "/api/journeys/create", {"slug": "b", "displayName": "B"}),
        ("GET", "/api/journeys/a", None),
        ("PUT", "/api/journeys/a", {"displayName": "Changed"}),
    ]
    for method, path, body in requests:
        for how in ({"headers": {**ODYSSEY_AUTH, "Prefer": "archetype=converted"}}, {"params": {"__archetype": "bot"}}):
            kwargs = {"headers": ODYSSEY_AUTH, **how}
            response = client.request(method, path, json=body, **kwargs)
            assert response.status_code == 400, (method, response.text)
            message = response.json()["error"]
            assert "no archetypes" in message, message
            assert "high-intent" not in message  # the visitor archetypes are not Odyssey's to offer
    # Nothing changed: no journey b, journey a as created.
    assert client.get("/api/journeys/b", headers=ODYSSEY_AUTH).status_code == 404
    assert client.get("/api/journeys/a", headers=ODYSSEY_AUTH).json()["displayName"] == "A"
