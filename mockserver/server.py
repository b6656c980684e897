"""Running the app under uvicorn, in one process or several workers sharing `--state`."""

from __future__ import annotations

import os

import uvicorn

from mockserver.app import JourneymockApp, create_app
from mockserver.config import CONFIG_ENV, ServeOptions, ServerConfig


def app_from_environment() -> JourneymockApp:
    """uvicorn's factory in worker processes: the configuration travels in an environment variable."""
    text = os.environ.get(CONFIG_ENV)
    return create_app(ServerConfig.from_json(text) if text else ServerConfig())


def serve(config: ServerConfig, options: ServeOptions) -> None:
    # Per-request access logging halves throughput; the request journal keeps the record instead.
    access_log = options.log_level == "debug"
    if options.workers > 1:
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
            create_app(config),
            host=options.host,
            port=options.port,
            log_level=options.log_level,
            access_log=access_log,
            server_header=False,
        )
