"""A real headless Chromium (Debian's `chromium` and `chromium-driver`, driven by Selenium) against a mock served
on a free loopback port: one browser and one server per module.

The browser is started so that it makes no connection of its own (no background networking, component updates,
sync or first-run pages), and with its performance log on, so a test can read the URL of every request the page
made. Tests skip, saying why, only where no Chromium or chromedriver can be found.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import REPO_ROOT

from journeymock.fixtures.server import MockServer
from journeymock.fixtures.settings import plugin_settings

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

#: Where the tests write a screenshot of each view: `JOURNEYMOCK_SCREENSHOTS=docs/screenshots` refreshes the
#: README's pictures; otherwise a temporary folder (the pictures are still taken and checked).
SCREENSHOTS_ENV = "JOURNEYMOCK_SCREENSHOTS"
BROWSER_ENV = "JOURNEYMOCK_CHROMIUM"
DRIVER_ENV = "JOURNEYMOCK_CHROMEDRIVER"


def _find(variable: str, names: tuple[str, ...]) -> str | None:
    given = os.environ.get(variable)
    if given:
        return given if Path(given).exists() else None
    return next((found for name in names if (found := shutil.which(name))), None)


def chromium_paths() -> tuple[str, str]:
    browser = _find(BROWSER_ENV, ("chromium", "chromium-browser", "google-chrome", "chrome"))
    driver = _find(DRIVER_ENV, ("chromedriver",))
    if browser is None or driver is None:
        missing = " and ".join(name for name, path in (("Chromium", browser), ("chromedriver", driver)) if path is None)
        pytest.skip(
            f"browser tests need {missing}: apt-get install chromium chromium-driver "
            f"(or set {BROWSER_ENV} / {DRIVER_ENV})"
        )
    return browser, driver


class Browser:
    """The driver, plus every URL the page has requested so far (read from Chromium's performance log)."""

    def __init__(self, driver: Any, base_url: str, screenshots: Path) -> None:
        self.driver = driver
        self.base_url = base_url
        self.screenshots = screenshots
        self.requested: list[str] = []

    def collect_network_log(self) -> list[str]:
        for record in self.driver.get_log("performance"):
            message = json.loads(record["message"])["message"]
            params = message.get("params", {})
            if message.get("method") == "Network.requestWillBeSent":
                self.requested.append(params["request"]["url"])
            elif message.get("method") == "Network.webSocketCreated":
                self.requested.append(params["url"])
        return self.requested

    def wait(self, timeout: float = 5.0) -> WebDriverWait[Any]:
        return WebDriverWait(self.driver, timeout, poll_frequency=0.05)

    def screenshot(self, name: str) -> Path:
        path = self.screenshots / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def script(self, code: str, *arguments: Any) -> Any:
        return self.driver.execute_script(code, *arguments)


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(plugin_settings()) as served:
        yield served


@pytest.fixture(scope="module")
def browser(server: MockServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    binary, driver_path = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,900",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--no-first-run",
        "--no-default-browser-check",
        "--metrics-recording-only",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    service = Service(driver_path, log_output=os.devnull)
    driver = webdriver.Chrome(service=service, options=options)
    screenshots = Path(os.environ[SCREENSHOTS_ENV]) if os.environ.get(SCREENSHOTS_ENV) else None
    if screenshots is not None and not screenshots.is_absolute():
        screenshots = REPO_ROOT / screenshots
    folder = screenshots or tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    try:
        yield Browser(driver, server.base_url, folder)
    finally:
        driver.quit()


@pytest.fixture(autouse=True)
def _network_log(request: pytest.FixtureRequest) -> Iterator[None]:
    """Drain the performance log after each test, so the module's last test sees every URL of the session."""
    yield
    if "browser" in request.fixturenames:
        request.getfixturevalue("browser").collect_network_log()
