"""``/docs`` and ``/redoc`` load nothing from elsewhere, under a strict CSP, and work offline."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import httpx
import pytest

from tests.test_page_browser import browser, live_service  # noqa: F401  (fixtures)

URL_ATTR = re.compile(r"""(?:src|href|spec-url)=["']([^"']+)["']""")


def directive(csp: str, name: str) -> list[str]:
    for part in csp.split(";"):
        words = part.split()
        if words and words[0] == name:
            return words[1:]
    return []


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_docs_pages_use_only_local_assets(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    urls = URL_ATTR.findall(r.text)
    assert urls
    assert all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    assert "cdn.jsdelivr" not in r.text
    assert "fonts.googleapis" not in r.text
    csp = r.headers["content-security-policy"]
    scripts = directive(csp, "script-src")
    assert "'unsafe-inline'" not in scripts
    assert "'unsafe-eval'" not in scripts
    assert not [s for s in scripts if ":" in s.strip("'").split("-")[0]]  # no hosts or schemes
    assert directive(csp, "default-src") == ["'none'"]
    for inline in re.findall(r"<script>(.*?)</script>", r.text, re.DOTALL):
        digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in scripts
    for url in urls:
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 1000


@pytest.mark.anyio
async def test_assets_are_the_packaged_bundles(client: httpx.AsyncClient) -> None:
    js = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert js.headers["content-type"].startswith("text/javascript")
    assert b"SwaggerUIBundle" in js.content
    assert (await client.get("/docs/assets/redoc.standalone.js")).status_code == 200
    missing = await client.get("/docs/assets/..%2Fcore.py")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


@pytest.mark.e2e
def test_docs_render_in_a_browser_under_their_csp(live_service: str, browser: Any) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 20)
    browser.get(live_service + "/docs")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".swagger-ui .info .title"))
    assert "arxiv-feeds" in browser.find_element(By.CSS_SELECTOR, ".info .title").text
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock"))
    browser.get(live_service + "/redoc")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "h1"))
    assert "arxiv-feeds" in browser.find_element(By.CSS_SELECTOR, "h1").text
    logged = browser.get_log("browser")
    # ReDoc's sidebar always asks for its maker's logo from a CDN: the policy blocks it (and
    # only it); anything else severe (another violation, a script error) fails the test.
    blocked_logo = "https://cdn.redoc.ly/redoc/logo-mini.svg"
    problems = [
        e
        for e in logged
        if e["level"] == "SEVERE"
        and "favicon.ico" not in e["message"]
        and not (e["source"] == "security" and blocked_logo in e["message"])
    ]
    assert problems == []
