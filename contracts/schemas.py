"""schemathesis schemas built from the loaded spec documents (`mockserver.specs`): nothing here restates a
schema, a parameter or a status. What the configuration adds is how to reach the target, whose credentials to
send, which ids exist, and how to make a seed replay the same requests.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import schemathesis
from schemathesis.config._output import DEFAULT_KEYS_TO_SANITIZE, DEFAULT_SENSITIVE_MARKERS

from mockserver.routing import compile_template
from mockserver.specs import ApiSpec, load_spec, load_specs

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiSchema

    from journeymock.contracts.settings import ContractSettings
    from journeymock.contracts.targets import Target

#: Yofi's documented partner header: sent with the configured partner id, masked in every report.
PARTNER_HEADER: Final = "x-scope-partner-id"
#: The path parameter that names a journey in the APIs whose ids come from the environment.
JOURNEY_ID_PARAMETER: Final = "journey_id"
KNOWN_IDS_DICTIONARY: Final = "known_journey_ids"
#: How often a generated request uses a known id instead of a generated one: half, so both kinds are tried.
KNOWN_ID_PROBABILITY: Final = 0.5
SAFE_PROBE_METHODS: Final = ("OPTIONS", "TRACE", "QUERY")
PROBE_METHODS: Final = (*SAFE_PROBE_METHODS, "POST", "PUT", "PATCH", "DELETE")
#: Seconds before a live request counts as failed; vendors are slow at night, hung connections are not.
REQUEST_TIMEOUT: Final = 30.0


def contract_spec(api: str, settings: ContractSettings) -> ApiSpec:
    """The document the run holds `api` to: the shipped one, or `--spec-dir`'s (a reviewed patch, say)."""
    if settings.options.spec_dir is None:
        return load_specs(settings.apis)[api]
    return _spec_in(api, settings.options.spec_dir.resolve())


@functools.cache
def _spec_in(api: str, directory: Path) -> ApiSpec:
    # Once per process and directory, like the shipped documents: every runner of a run reads the same one.
    return load_spec(api, directory)


def build_schema(api: str, settings: ContractSettings, target: Target) -> OpenApiSchema:
    spec = contract_spec(api, settings)
    config = schemathesis.Config.from_dict(schemathesis_config(spec, settings, target))
    # schemathesis normalises the dictionary it is given in place; the loaded document is shared with the
    # in-process mock, so it gets its own copy of the same text.
    schema = schemathesis.openapi.from_dict(copy.deepcopy(spec.document), config=config)
    target.attach(schema, api)
    return schema


def schemathesis_config(spec: ApiSpec, settings: ContractSettings, target: Target) -> dict[str, Any]:
    credentials = settings.credentials[spec.name]
    config: dict[str, Any] = {
        "seed": settings.seed,
        # No example database (it would make a run depend on earlier runs) and the seed above: a run is
        # replayed exactly by its seed.
        "generation": {"database": "none", "max-examples": settings.max_examples, "mode": "all"},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            # Only the documented links: inferred ones join unrelated resources.
            "stateful": {"enabled": True, "inference": {"algorithms": []}},
        },
        "auth": {"openapi": _bearer_auth(spec.document, credentials.token)},
        "output": {
            "sanitization": {
                "keys-to-sanitize": sorted({*DEFAULT_KEYS_TO_SANITIZE, PARTNER_HEADER}),
                # Not "key": it would mask Odyssey's `stepKey` and make the printed request unreproducible;
                # the key-named credentials are in keys-to-sanitize by name.
                "sensitive-markers": [marker for marker in DEFAULT_SENSITIVE_MARKERS if marker != "key"],
            },
        },
        "request-timeout": REQUEST_TIMEOUT,
    }
    if settings.live:
        # The unsupported-method probes send every undocumented method to each URL: against a live server,
        # write methods only when writes are allowed (and then to `contract-` resources: see the runner).
        config["phases"]["coverage"]["unexpected-methods"] = list(
            PROBE_METHODS if settings.options.allow_writes else SAFE_PROBE_METHODS
        )
    parameters: dict[str, Any] = {}
    if credentials.partner_id is not None and _has_parameter(spec, PARTNER_HEADER, "header"):
        parameters[f"header.{PARTNER_HEADER}"] = credentials.partner_id
    known_ids = settings.known_ids.get(spec.name, ())
    if known_ids and _has_parameter(spec, JOURNEY_ID_PARAMETER, "path"):
        config["dictionaries"] = {KNOWN_IDS_DICTIONARY: {"values": list(known_ids)}}
        parameters[f"path.{JOURNEY_ID_PARAMETER}"] = {
            "dictionary": KNOWN_IDS_DICTIONARY,
            "probability": KNOWN_ID_PROBABILITY,
        }
    if parameters:
        config["parameters"] = parameters
    overlapping = _overlapping_operations(spec)
    if overlapping:
        # `Allow` is about a URL, and these operations' URLs also match another template of the same API
        # (Odyssey's /api/journeys/create is also /api/journeys/{slug} with slug "create", where GET and PUT
        # are documented): schemathesis would flag the server for advertising them.
        config["operations"] = [
            {"include-operation-id": operation_id, "checks": {"allow_header_conformance": {"enabled": False}}}
            for operation_id in overlapping
        ]
    if settings.rate is not None:
        from journeymock.contracts.settings import schemathesis_rate_limit

        config["rate-limit"] = schemathesis_rate_limit(settings.rate)
    return config


def _bearer_auth(document: Mapping[str, Any], token: str) -> dict[str, Any]:
    """The token for every bearer scheme the document declares (each of our APIs declares one)."""
    schemes = document.get("components", {}).get("securitySchemes", {})
    return {
        name: {"bearer": token}
        for name, scheme in schemes.items()
        if scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer"
    }


def _has_parameter(spec: ApiSpec, name: str, location: str) -> bool:
    return any(
        parameter.name == name and parameter.location == location
        for operation in spec.operations
        for parameter in operation.parameters
    )


def _overlapping_operations(spec: ApiSpec) -> list[str]:
    """Operations whose literal path is also matched by another path template of the API."""
    templates = {operation.path for operation in spec.operations}
    # The mock's own route compiler: a template means here exactly what it means when the mock routes.
    patterns = {template: compile_template(template) for template in templates}
    return sorted(
        {
            operation.operation_id
            for operation in spec.operations
            if "{" not in operation.path
            and any(other != operation.path and patterns[other].match(operation.path) for other in templates)
        }
    )
