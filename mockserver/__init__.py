"""journeymock's mock server: the Jourvex, Odyssey and Yofi journey APIs served from their OpenAPI specs."""

from __future__ import annotations

__version__ = "0.1.0"
