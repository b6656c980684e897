"""Running the app under uvicorn, in one process or several workers sharing `--state`."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import uvicorn

from mockserver.app import JourneymockApp, create_app
from mockserver.config import CONFIG_ENV, ServerConfig
from mockserver.store import StoreError, open_store


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    log_level: str = "info"


def app_from_environment() -> JourneymockApp:
    """uvicorn's factory in worker processes: the configuration travels in an environment variable."""
    text = os.environ.get(CONFIG_ENV)
    return create_app(ServerConfig.from_json(text) if text else ServerConfig())


def _opened(config: ServerConfig, workers: int) -> JourneymockApp | None:
    """The app of a single process (None with workers), with its store opened — and migrated — before serving
    starts: a store that cannot be opened is one line on stderr and exit status 2, not a traceback per worker."""
    try:
        if workers == 1:
            return create_app(config)
        open_store(config.state_path).close()
    except StoreError as error:
        print(f"journeymock serve: error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    return None


def serve(config: ServerConfig, options: ServeOptions) -> None:
    # Per-request access logging halves throughput; the request journal keeps the record instead.
    access_log = options.log_level == "debug"
    app = _opened(config, options.workers)
    if app is None:
        os.environ[CONFIG_ENV] = config.to_json()
        uvicorn.run(
            "mockserver.server:app_from_environment",
            factory=True,
            workers=options.workers,
            host=options.host,
            port=options.port,
            log_level=options.log_level,
            access_log=access_log,
            server_header=False,
        )
    else:
        uvicorn.run(
            app,
            host=options.host,
            port=options.port,
            log_level=options.log_level,
            access_log=access_log,
            server_header=False,
        )
