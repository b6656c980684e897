"""Running the app under uvicorn, in one process or several workers sharing `--state`."""

from __future__ import annotations

import os

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mockserver.app import JourneymockApp, create_app
from mockserver.config import CONFIG_ENV, ServeOptions, ServerConfig
from mockserver.pipeline import MAX_TARGET_BYTES
from mockserver.store import open_store


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, keeping no more of a request target than one byte past what the mock serves.

    httptools cannot split a URL of 64 KiB or more (its offsets are 16-bit) and uvicorn then answers a plain-text
    400. Kept to `MAX_TARGET_BYTES + 1` bytes, the target still parses, and the pipeline refuses it with a 414
    in the API's own shape; since every target that long is refused, the bytes dropped are never served.
    """

    def on_url(self, url: bytes) -> None:
        room = MAX_TARGET_BYTES + 1 - len(self.url)
        if room > 0:
            super().on_url(url[:room])


def app_from_environment() -> JourneymockApp:
    """uvicorn's factory in worker processes: the configuration travels in an environment variable."""
    text = os.environ.get(CONFIG_ENV)
    return create_app(ServerConfig.from_json(text) if text else ServerConfig())


def _opened(config: ServerConfig, workers: int) -> JourneymockApp | None:
    """The app of a single process (None with workers), with its store opened — and migrated — before serving
    starts: a store that cannot be opened raises `StoreError` here, which the command line reports in one line
    with exit status 2, instead of a traceback per worker."""
    if workers == 1:
        return create_app(config)
    open_store(config.state_path).close()
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
            http=BoundedHttpToolsProtocol,
        )
    else:
        run_app(app, options)


def run_app(app: JourneymockApp, options: ServeOptions, *, date_header: bool = True) -> None:
    """Serve one process's app (the proxy passes the upstream's Date through, so it adds none of its own)."""
    uvicorn.run(
        app,
        host=options.host,
        port=options.port,
        log_level=options.log_level,
        access_log=options.log_level == "debug",
        server_header=False,
        date_header=date_header,
        http=BoundedHttpToolsProtocol,
    )
