"""Projections: one module per API, shaping the simulation's journeys into that API's JSON bodies.

A projection adds no behaviour of its own: every number comes from the simulation, so the APIs agree with
each other. Bodies are plain dicts and lists of JSON types, ready for `orjson.dumps`.
"""

from __future__ import annotations
