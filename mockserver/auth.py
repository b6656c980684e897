"""Bearer authentication shared by the three APIs.

Strict where a vendor documents, lenient where it is silent: any token of the vendor's documented shape is
accepted (a real vendor accepts only tokens it issued, which a local stand-in cannot know), except tokens that
say they are bad, so tests can exercise rejection. `--token` switches an API to an explicit allow-list. What
differs per API (the token shape, the default scopes, the 403 wording) comes in as a `TokenPolicy` from
`apis/<api>.py`.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from mockserver.config import TokenRule
from mockserver.errors import ApiError
from mockserver.specs import Operation

#: Words that make a token rejected, so tests can exercise 401 without configuring anything.
REJECTING_WORDS = re.compile(r"invalid|expired|revoked", re.IGNORECASE)
#: RFC 6750: the header a 401 carries.
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="journeymock"'}
#: Accepted Authorization headers remembered per API; the table starts afresh when it reaches this size.
_KNOWN_LIMIT = 1024


class Principal(NamedTuple):
    """Who is calling: the token, its organisation and its scopes."""

    token: str
    org_id: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class TokenPolicy:
    """The per-API part of authentication."""

    #: Returns why a token does not have the vendor's documented shape, or None when it does.
    shape_problem: Callable[[str], str | None]
    #: Scopes a token has when no `--token` rule says otherwise, given the token and the scopes the spec names.
    default_scopes: Callable[[str, frozenset[str]], frozenset[str]]
    #: The 403 message for a missing scope where the spec documents none.
    missing_scope_message: Callable[[str], str]


class Authenticator:
    def __init__(
        self, api: str, policy: TokenPolicy, rules: Iterable[TokenRule], documented_scopes: frozenset[str]
    ) -> None:
        """`rules`: every `--token` rule; those of `api` make its allow-list."""
        self._policy = policy
        self._documented_scopes = documented_scopes
        self._allow_list: Mapping[str, TokenRule] = {rule.value: rule for rule in rules if rule.api == api}
        # A client sends the same header on every request, and who it names never changes while the server
        # runs (the rules are fixed at start-up), so an accepted header is checked once. Rejections are not
        # remembered: they are rare, and each one is worded afresh.
        self._known: dict[str, Principal] = {}

    def authenticate(self, authorization: str | None, operation: Operation) -> Principal:
        """The caller's principal, or an `ApiError` (401 without credentials, 403 without a scope the operation
        requires, worded as its spec documents)."""
        principal = self._known.get(authorization) if authorization else None
        if principal is None:
            principal = self._principal(authorization)
            if len(self._known) >= _KNOWN_LIMIT:
                self._known.clear()
            self._known[authorization or ""] = principal  # never empty here: _principal refuses that
        scopes = principal.scopes
        for scope in operation.required_scopes:
            if scope not in scopes:
                message = operation.documented_message(403, scope=scope) or self._policy.missing_scope_message(scope)
                raise ApiError(403, message)
        return principal

    def _principal(self, authorization: str | None) -> Principal:
        token = _bearer_token(authorization)
        if self._allow_list:
            rule = self._allow_list.get(token)
            if rule is None:
                raise _unauthorized("The access token is not recognised")
            scopes = (
                frozenset(rule.scopes)
                if rule.scopes is not None
                else self._policy.default_scopes(token, self._documented_scopes)
            )
            org_id = rule.org_id or organisation_of(token)
        else:
            if REJECTING_WORDS.search(token):
                raise _unauthorized("The access token is invalid, expired or revoked")
            problem = self._policy.shape_problem(token)
            if problem is not None:
                raise _unauthorized(problem)
            scopes = self._policy.default_scopes(token, self._documented_scopes)
            org_id = organisation_of(token)
        return Principal(token=token, org_id=org_id, scopes=scopes)


@functools.lru_cache(maxsize=4096)
def organisation_of(token: str) -> str:
    """Each token is its own organisation: a stable id derived from the token, never the token itself."""
    return "org_" + hashlib.blake2b(token.encode(), digest_size=6).hexdigest()


def _bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise _unauthorized("Missing Authorization header; expected 'Authorization: Bearer <token>'")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise _unauthorized("Malformed Authorization header; expected 'Authorization: Bearer <token>'")
    return token


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, message, headers=CHALLENGE)


def any_token(_token: str) -> str | None:
    """A vendor that documents no token shape: every token has it."""
    return None


def prefixed_key(vendor: str, prefixes: tuple[str, ...]) -> Callable[[str], str | None]:
    """A vendor whose keys are one of `prefixes` followed by the key itself; the problem says which part is
    wrong (a bare prefix does start with the prefix: what it lacks is the key)."""

    def shape_problem(token: str) -> str | None:
        for prefix in prefixes:
            if token.startswith(prefix):
                if len(token) > len(prefix):
                    return None
                return f"Invalid API key: there is nothing after {prefix}; a {vendor} key is {prefix}<key>"
        return f"Invalid API key: {vendor} keys start with {' or '.join(prefixes)}"

    return shape_problem
