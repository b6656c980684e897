"""Contract tests of the Jourvex, Odyssey and Yofi APIs: property-based and stateful, built with schemathesis
from the same loaded OpenAPI documents as the mock, against the in-process mock or any live base URL.

`journeymock contracts [options]` and `pytest contracts/ [the same options]` run the same suite
(`contracts/test_contracts.py`). Layers, lowest first: `settings` (options and environment), `targets` (where
requests go), `schemas` (schemathesis schemas and their configuration), `tiers` (whether a violated fact is
documented or inferred, read from the specs), `checks` (what schemas cannot say), `runner` (the one path of a
request: made safe, sent, checked, reported), `stateful` (sequences), `probes` (edge-case requests), `report`
and `reporting` (what is printed and written), `session`, `cli`.
"""

from __future__ import annotations
