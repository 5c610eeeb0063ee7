"""A profile's reading page in a real browser (chromium under Selenium, the service under
uvicorn, arXiv on loopback): its "Less like this" button records the feedback and the paper
leaves the page; its owner's form saves keywords with the profile's token, and says why not
with a wrong one; the page's script runs under the CSP with no error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.profiles.tokens import profile_token
from tests.arxiv_server import ArxivServer, UvicornProcess
from tests.test_page_browser import browser, severe  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
SECRET = "a-feedback-secret-for-the-browser"
ADMIN = "admin-token-for-the-browser"


@pytest.fixture(scope="module")
def profile_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("profile-page")
    config = folder / "config.json"
    profiles = {"ml": {"categories": ["cs.LG"], "keywords": ["learning"], "max_papers": 10}}
    config.write_text(json.dumps({"categories": ["cs.LG"], "profiles": profiles}))
    with ArxivServer(day="2026-01-06") as upstream_url:
        env = {
            "ARXIV_RSS_URL": upstream_url,
            "ARXIV_SOURCE": "live",
            "ARXIV_FEEDS_MIN_REQUEST_INTERVAL": "0",
            "ARXIV_FEEDS_CONFIG": str(config),
            "ARXIV_FEEDS_SQLITE_PATH": str(folder / "store.sqlite3"),
            "FEEDBACK_SECRET": SECRET,
            "ADMIN_TOKEN": ADMIN,
        }
        with UvicornProcess("app.main:app", env=env, startup_timeout=30) as proc:
            yield proc.url


def first_paper(driver: Any) -> str:
    return str(driver.execute_script("return document.querySelector('ol.papers > li').id"))


def test_less_like_this_and_the_owners_form(profile_service: str, browser: Any) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.expected_conditions import staleness_of
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(profile_service + "/p/ml/")
    gone = first_paper(browser)
    less = browser.find_element(By.CSS_SELECTOR, "ol.papers > li form.fb:nth-of-type(2) button")
    assert less.text == "Less like this"
    less.click()  # posts the signed link; 303 back to the page, loaded anew
    WebDriverWait(browser, 10).until(staleness_of(less))
    assert browser.current_url.startswith(profile_service + "/p/ml/")
    assert gone not in browser.execute_script(
        "return [...document.querySelectorAll('ol.papers > li')].map(li => li.id)"
    )

    def save(token: str, keywords: str) -> str:
        form = browser.find_element(By.ID, "owner-form")
        form.find_element(By.NAME, "token").clear()
        form.find_element(By.NAME, "token").send_keys(token)
        form.find_element(By.NAME, "keywords").clear()
        form.find_element(By.NAME, "keywords").send_keys(keywords)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        out = browser.find_element(By.ID, "owner-out")
        WebDriverWait(browser, 10).until(lambda d: out.text.strip() != "")
        text = str(out.text)
        browser.execute_script("document.getElementById('owner-out').textContent = ''")
        return text

    assert save("not-the-token", "transformers").startswith("Not saved")
    token = profile_token(SECRET.encode(), "ml")
    assert token is not None
    assert save(token, "transformers\ndiffusion").startswith("Saved")
    shown = httpx.get(
        f"{profile_service}/api/profiles/ml", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert shown["keywords"] == ["transformers", "diffusion"]
    assert [j["choice"] for j in shown["feedback"]] == ["less"]
    # the script ran under the CSP without an error (the wrong token's 401 is the one expected)
    assert [e for e in severe(browser) if "status of 401" not in e["message"]] == []


def test_the_script_parses(tmp_path: Path) -> None:
    """Without a browser: the page's script holds no raw line break inside a string literal
    (a Python escape such as '\\n' must reach JavaScript escaped)."""
    from app.render.page_assets import SCRIPT

    for line in SCRIPT.splitlines():
        assert line.count("'") % 2 == 0, line
