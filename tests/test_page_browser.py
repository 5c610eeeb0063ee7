"""The reading page in a real browser: Debian's chromium driven by Selenium, against the service
under uvicorn with arXiv on loopback.

At 1280 and 390 px, light and dark: the document is never wider than the viewport, the first
paper shows above the fold on a desktop, dark mode is dark; the script runs under the page's
CSP with no error. The builder works without JavaScript (a plain form, driven from the
keyboard) and with it (the category filter, the live URL, the preview). Screenshots go to
``$PAGE_SCREENSHOTS`` when set (else the test's temporary folder). Without chromium,
chromedriver or selenium these tests are skipped, except under CI (env ``CI`` set), where that
is a failure (``make browsers-and-readers``).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest

from tests.arxiv_server import ARXIV_DATA, ArxivServer, UvicornProcess

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROME_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--window-size=1280,900",
]  # fmt: skip
CATEGORIES = ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]


def need_browser() -> tuple[str, str]:
    """chromium and chromedriver (and selenium), or skip (fail under CI)."""
    chromium = shutil.which("chromium")
    driver = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").is_file() else None
    )
    try:
        import selenium  # noqa: F401
    except ImportError:
        driver = None
    if chromium is None or driver is None:
        message = "chromium, chromium-driver or selenium is missing (make browsers-and-readers)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: CI must provide them")
        pytest.skip(f"{message}: the page is not tested in a browser")
    return chromium, driver


@pytest.fixture(scope="module")
def live_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The service under uvicorn, arXiv on loopback; yields its base URL."""
    config = tmp_path_factory.mktemp("web") / "config.json"
    config.write_text(json.dumps({"categories": CATEGORIES}))
    pair = (ARXIV_DATA / "cs.DC-2026-01-06.xml").read_bytes()  # no recorded cs.DC+cs.LG
    with ArxivServer({"cs.DC+cs.LG": pair}, day="2026-01-06") as upstream_url:
        env = {
            "ARXIV_RSS_URL": upstream_url,
            "ARXIV_SOURCE": "live",
            "ARXIV_FEEDS_MIN_REQUEST_INTERVAL": "0",
            "ARXIV_FEEDS_CONFIG": str(config),
        }
        with UvicornProcess("app.main:app", env=env, startup_timeout=30) as proc:
            yield proc.url


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("PAGE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def start_browser(tmp_path: Path, javascript: bool = True) -> Any:
    chromium, driver_path = need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in [*CHROME_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    return driver


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    driver = start_browser(tmp_path)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser_without_js(tmp_path: Path) -> Iterator[Any]:
    driver = start_browser(tmp_path, javascript=False)
    try:
        yield driver
    finally:
        driver.quit()


def emulate(driver: Any, width: int, height: int, scheme: str = "light") -> None:
    """A viewport of ``width`` x ``height`` CSS px (a phone below 600) and a colour scheme."""
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    feature = {"name": "prefers-color-scheme", "value": scheme}
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [feature]})


def screenshot(driver: Any, path: Path, full: bool = False) -> None:
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": full}
    )
    path.write_bytes(base64.b64decode(shot["data"]))


def luminance(css: str) -> float:
    """0 (black) to 1 (white) for ``rgb(r, g, b)``."""
    r, g, b = (int(v) for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def severe(driver: Any) -> list[dict[str, Any]]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_page_fits_and_reads(
    live_service: str, browser: Any, shots: Path, width: int, height: int, scheme: str
) -> None:
    emulate(browser, width, height, scheme)
    browser.get(live_service + "/")
    js: Callable[[str], Any] = browser.execute_script
    assert js("return window.innerWidth") == width
    assert js("return document.documentElement.scrollWidth") <= width  # no sideways scroll
    widest = js(
        "return Math.max(...[...document.querySelectorAll('body *')]"
        ".filter(e => e.offsetParent !== null).map(e => e.getBoundingClientRect().right))"
    )
    assert widest <= width + 0.5
    first = js("return document.querySelector('ol.papers > li').getBoundingClientRect().toJSON()")
    if width >= 1000:
        assert first["bottom"] <= height  # the whole first paper above the fold
    else:
        assert first["top"] < height  # it starts on the first screen
    background = js("return getComputedStyle(document.body).backgroundColor")
    text = js("return getComputedStyle(document.body).color")
    if scheme == "dark":
        assert luminance(background) < 0.2 < 0.7 < luminance(text)
    else:
        assert luminance(text) < 0.2 < 0.7 < luminance(background)
    assert js("return document.querySelectorAll('button[data-copy]:not([hidden])').length") == 3
    screenshot(browser, shots / f"page-{width}-{scheme}.png")
    if scheme == "light":
        screenshot(browser, shots / f"page-{width}-full.png", full=True)
    assert severe(browser) == []  # no CSP violation, no script error, the favicon is there


def test_builder_without_javascript(
    live_service: str, browser_without_js: Any, shots: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser_without_js
    emulate(driver, 390, 844)
    driver.get(live_service + "/#build")
    assert not driver.find_element(By.ID, "cat-filter").is_displayed()  # needs the script
    assert not driver.find_elements(By.CSS_SELECTOR, "button[data-copy]:not([hidden])")
    for cat in ["cs.AI", "cs.CL"]:  # unticked from the keyboard
        box = driver.find_element(By.CSS_SELECTOR, f"input[value='{cat}']")
        box.send_keys(Keys.SPACE)
        assert not box.is_selected()
    stat = driver.find_element(By.XPATH, "//summary[starts-with(., 'stat ')]")
    stat.send_keys(Keys.ENTER)  # opens the closed archive
    ml = driver.find_element(By.CSS_SELECTOR, "input[value='stat.ML']")
    assert ml.is_displayed()
    ml.send_keys(Keys.SPACE)
    driver.find_element(By.NAME, "keywords").send_keys("Inference")
    screenshot(driver, shots / "builder-no-js-390.png")
    driver.find_element(By.NAME, "keywords").send_keys(Keys.ENTER)  # submits the form
    want = f"{live_service}/rss/cs.DC+cs.LG+stat.ML?keywords=Inference"
    assert driver.current_url == want


def test_builder_with_javascript(live_service: str, browser: Any, shots: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 15)
    emulate(browser, 1280, 900)
    browser.get(live_service + "/")
    assert browser.title == "arXiv papers"
    built = browser.find_element(By.ID, "built")
    assert built.text == f"{live_service}/rss/cs.AI+cs.CL+cs.DC+cs.LG"
    assert browser.find_element(By.ID, "picked").text == "Chosen: cs.AI, cs.CL, cs.DC, cs.LG"
    for cat in CATEGORIES:
        browser.find_element(By.CSS_SELECTOR, f"input[value='{cat}']").click()
    assert built.text == f"{live_service}/rss"

    search = browser.find_element(By.ID, "cat-filter")
    search.send_keys("distributed")
    shown = [
        e.get_attribute("value")
        for e in browser.find_elements(By.CSS_SELECTOR, "#cat-list input")
        if e.is_displayed()
    ]
    assert shown == ["cs.DC"]
    search.send_keys(Keys.ENTER)  # does not submit the form
    assert browser.current_url == live_service + "/"
    browser.find_element(By.CSS_SELECTOR, "input[value='cs.DC']").click()
    search.clear()
    search.send_keys("machine learn")
    shown = [
        e.get_attribute("value")
        for e in browser.find_elements(By.CSS_SELECTOR, "#cat-list input")
        if e.is_displayed()
    ]
    assert shown == ["cs.LG", "stat.ML"]
    browser.find_element(By.CSS_SELECTOR, "input[value='cs.LG']").click()
    screenshot(browser, shots / "builder-filter-1280.png")

    browser.find_element(By.NAME, "keywords").send_keys("Inference, distributed training")
    browser.find_element(By.NAME, "authors").send_keys("Jane Doe")
    want = f"{live_service}/rss/cs.DC+cs.LG?keywords=Inference,distributed%20training"
    wait.until(lambda d: built.text == want + "&authors=Jane%20Doe")
    browser.find_element(By.NAME, "authors").clear()
    wait.until(lambda d: built.text == want)

    browser.find_element(By.ID, "preview-button").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#preview li"))
    previewed = browser.find_elements(By.CSS_SELECTOR, "#preview li a")
    assert previewed
    assert all(a.get_attribute("href").startswith("https://arxiv.org/abs/") for a in previewed)
    assert severe(browser) == []  # no CSP violation, no script error

    browser.find_element(By.CSS_SELECTOR, "#builder button[type=submit]").click()
    wait.until(lambda d: "/build" not in d.current_url and d.current_url != live_service + "/")
    assert browser.current_url == want
    parsed = feedparser.parse(httpx.get(browser.current_url, timeout=15).content)
    assert parsed.bozo == 0
    assert len(parsed.entries) > 0
    assert parsed.feed.title == "arXiv papers: cs.DC+cs.LG"
