"""journeymock's mock server: the Jourvex, Odyssey and Yofi journey APIs served from their OpenAPI specs."""

from __future__ import annotations

from mockserver import compiled

# Before any submodule is imported: keeps compiled modules from shadowing sources edited since the build.
compiled.install()

__version__ = "0.1.0"
