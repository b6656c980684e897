"""Settings from options and environment, and what the runner does to requests before a live server sees them."""

from __future__ import annotations

import pytest

from journeymock.contracts.redaction import redact
from journeymock.contracts.runner import ApiRunner
from journeymock.contracts.session import ContractRun
from journeymock.contracts.settings import (
    DEFAULT_LIVE_RATE,
    DEFAULT_MAX_EXAMPLES,
    MOCK_TOKENS,
    ConfigurationError,
    build_settings,
    schemathesis_rate_limit,
)
from mockserver.invariants.suite import same_numbers

LIVE_ENV = {
    "JOURVEX_API_KEY": "jvx_live_abcdef",
    "ODYSSEY_API_TOKEN": "ody-token-123456",
    "YOFI_API_TOKEN": "yofi-token-123456",
    "YOFI_PARTNER_ID": "partner-7890",
}


def settings(environ=None, **options):
    values = {
        "apis": None,
        "target": "mock",
        "base_url": None,
        "max_examples": None,
        "seed": None,
        "allow_writes": False,
        "lenient_invariants": False,
        "rate": None,
    }
    values.update(options)
    return build_settings(**values, environ=LIVE_ENV if environ is None else environ)


def test_the_mock_target_needs_no_environment():
    chosen = settings(environ={})
    assert chosen.apis == ("jourvex", "odyssey", "yofi")
    assert chosen.credentials["jourvex"].token == MOCK_TOKENS["jourvex"]
    assert chosen.base_urls == {}
    assert chosen.max_examples == DEFAULT_MAX_EXAMPLES
    assert chosen.rate is None
    assert chosen.writes_allowed
    assert chosen.secrets() == ()  # the mock's credentials are public constants
    assert not chosen.seed_given and chosen.seed >= 0


def test_a_live_target_reads_base_urls_credentials_and_ids_from_the_environment():
    environ = {
        **LIVE_ENV,
        "YOFI_BASE_URL": "http://127.0.0.1:9000/",
        "YOFI_JOURNEY_IDS": " jid-1, jid-2,,jid-1 ",
    }
    chosen = settings(environ, target="live", apis=["yofi", "jourvex"])
    assert chosen.apis == ("jourvex", "yofi")
    assert chosen.base_urls == {"jourvex": "https://api.jourvex.com", "yofi": "http://127.0.0.1:9000"}
    assert chosen.credentials["yofi"].partner_id == "partner-7890"
    assert chosen.known_ids == {"jourvex": (), "yofi": ("jid-1", "jid-2")}
    assert chosen.rate == DEFAULT_LIVE_RATE
    assert not chosen.writes_allowed
    assert chosen.secrets() == ("yofi-token-123456", "jvx_live_abcdef", "partner-7890")


def test_lenient_invariants_soften_only_a_live_target():
    assert not settings(lenient_invariants=True).invariants_are_warnings
    assert settings(target="live", lenient_invariants=True).invariants_are_warnings


def test_the_replay_command_repeats_the_run_without_secrets():
    chosen = settings(target="live", apis=["odyssey"], base_url="http://h:1", seed=9, allow_writes=True, rate="5/s")
    arguments = chosen.replay_arguments()
    assert arguments == [
        "--api", "odyssey", "--target", "live", "--base-url", "http://h:1",
        "--max-examples", str(DEFAULT_MAX_EXAMPLES), "--seed", "9", "--allow-writes", "--rate", "5/s",
    ]  # fmt: skip
    assert not set(arguments) & set(LIVE_ENV.values())


@pytest.mark.parametrize(
    ("environ", "options", "message"),
    [
        ({}, {"target": "live", "apis": ["odyssey"]}, "ODYSSEY_API_TOKEN is not set"),
        ({"YOFI_API_TOKEN": "t"}, {"target": "live", "apis": ["yofi"]}, "YOFI_PARTNER_ID is not set"),
        ({}, {"target": "live", "apis": ["jourvex", "yofi"]}, "JOURVEX_API_KEY and YOFI_API_TOKEN and YOFI_PARTNER_ID"),
        (LIVE_ENV, {"target": "live", "base_url": "http://h"}, "--base-url needs exactly one --api"),
        (LIVE_ENV, {"base_url": "http://h", "apis": ["yofi"]}, "--target live only"),
        (LIVE_ENV, {"apis": ["shopify"]}, "unknown API"),
        (LIVE_ENV, {"rate": "0/s"}, "--rate"),
        (LIVE_ENV, {"seed": -1}, "--seed"),
    ],
)
def test_configuration_errors_name_what_to_change(environ, options, message):
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(")):
        settings(environ, **options)


@pytest.mark.parametrize(("rate", "expected"), [(10, "10/s"), (2.5, "150/m"), (0.1, "6/m"), (0.001, "3/h")])
def test_rates_become_whole_requests_per_unit(rate, expected):
    assert schemathesis_rate_limit(rate) == expected


def test_numbers_compare_as_json_means_them():
    assert same_numbers({"a": [150.0, 2.5, True, 2**60]}) == {"a": [150, 2.5, True, float(2**60)]}


def test_redaction_masks_every_occurrence_of_long_secrets_only():
    assert redact("Bearer abcd1234 and abcd1234", ["abcd1234"]) == "Bearer [Filtered] and [Filtered]"
    assert redact("id 42", ["42"]) == "id 42"


@pytest.fixture
def live_odyssey():
    run = ContractRun(settings(target="live", apis=["odyssey"], base_url="http://127.0.0.1:9", allow_writes=True))
    return run.runner("odyssey")


def test_live_creates_get_fresh_contract_slugs_and_the_staging_environment(live_odyssey: ApiRunner):
    valid = live_odyssey.request("createJourney", body={"slug": "small-business-grant", "displayName": "x"})
    assert valid.body["slug"].startswith("contract-") and valid.body["slug"] != "contract-small-business-grant"
    assert valid.body["environment"] == "staging"
    production = live_odyssey.request(
        "createJourney", body={"slug": "a", "displayName": "x", "environment": "production"}
    )
    assert production.body["environment"] == "staging"
    again = live_odyssey.request("createJourney", body=dict(valid.body))
    assert again.body == valid.body  # idempotent: a second create of the same slug stays a duplicate


def test_live_safety_keeps_invalid_requests_invalid(live_odyssey: ApiRunner):
    bad_slug = live_odyssey.request("createJourney", body={"slug": "Not Valid!", "displayName": "x"})
    assert bad_slug.body["slug"] == "contract-Not Valid!"
    empty = live_odyssey.request("createJourney", body={"slug": "", "displayName": "x", "environment": "moon"})
    assert empty.body["slug"] == ""
    assert empty.body["environment"] == "moon"
    # `create` fits the pattern but is reserved: `contract-create` would be valid, so the pattern breaks too.
    reserved = live_odyssey.request("createJourney", body={"slug": "create", "displayName": "x"})
    assert reserved.body["slug"] == "contract-create_"


def test_live_updates_and_write_method_probes_only_touch_contract_resources(live_odyssey: ApiRunner):
    update = live_odyssey.request("updateJourney", path_parameters={"slug": "small-business-grant"}, body={})
    assert update.path_parameters["slug"] == "contract-small-business-grant"
    probe = live_odyssey.request("getJourney", path_parameters={"slug": "small-business-grant"})
    probe.method = "DELETE"
    live_odyssey.make_safe(probe)
    assert probe.path_parameters["slug"] == "contract-small-business-grant"
    read = live_odyssey.request("getJourney", path_parameters={"slug": "small-business-grant"})
    assert read.path_parameters["slug"] == "small-business-grant"


def test_writes_are_refused_on_a_live_target_without_allow_writes():
    run = ContractRun(settings(target="live", apis=["odyssey"], base_url="http://127.0.0.1:9"))
    with pytest.raises(RuntimeError, match="--allow-writes"):
        run.runner("odyssey").request("createJourney", body={"slug": "a", "displayName": "x"})


def test_the_mock_keeps_the_environment_it_is_sent():
    run = ContractRun(settings(apis=["odyssey"], seed=1))
    case = run.runner("odyssey").request("createJourney", body={"slug": "a", "displayName": "x"})
    assert "environment" not in case.body
    assert case.body["slug"].startswith("contract-")
