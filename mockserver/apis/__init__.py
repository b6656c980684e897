"""Per-API behaviour: one module per API, each exporting `BEHAVIOUR`."""

from __future__ import annotations

from collections.abc import Mapping

from mockserver.apis import jourvex, odyssey, yofi
from mockserver.exchange import ApiBehaviour

BEHAVIOURS: Mapping[str, ApiBehaviour] = {
    behaviour.name: behaviour for behaviour in (jourvex.BEHAVIOUR, odyssey.BEHAVIOUR, yofi.BEHAVIOUR)
}
