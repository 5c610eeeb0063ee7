"""app.config: defaults, the legacy config.json, environment overrides and readable errors.

Each test runs in an empty temporary folder with the service's environment variables removed,
so nothing from the machine (a ./config.json, ARXIV_FEEDS_*) leaks in.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest

from app import __version__
from app.config import (
    DEFAULT_CATEGORIES,
    DEFAULT_KEYWORDS,
    MIN_ARXIV_INTERVAL,
    Settings,
    load_settings,
)
from app.errors import ConfigError

OTHER_NAMES = {"ARXIV_RSS_URL", "ARXIV_SOURCE", "STORE_URL", "REDIS_URL", "KV_URL", "CRON_SECRET"}
LOOPBACK = "http://127.0.0.1:9/rss"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith("ARXIV_FEEDS_") or name.upper() in OTHER_NAMES:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def write_config(tmp_path: Path, data: Any, name: str = "config.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_defaults_from_an_empty_file(tmp_path: Path) -> None:
    settings = load_settings(config_file=write_config(tmp_path, {}))
    assert settings.categories == DEFAULT_CATEGORIES
    assert settings.keywords == DEFAULT_KEYWORDS
    assert settings.exclude_keywords == []
    assert settings.max_papers == 30
    assert settings.days_back == 1
    assert settings.min_score == 0.0
    assert settings.enable_deduplication is True
    assert settings.ai_summary.enabled is False
    assert settings.arxiv_rss_url == "https://rss.arxiv.org/rss"
    assert settings.arxiv_source == "auto"
    assert settings.min_request_interval == MIN_ARXIV_INTERVAL


def test_defaults_when_there_is_no_file_at_all(tmp_path: Path) -> None:
    assert not (tmp_path / "config.json").exists()
    settings = load_settings()
    assert settings.categories == DEFAULT_CATEGORIES
    assert settings.max_papers == 30


def test_an_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "config.json"
    with pytest.raises(ConfigError, match="does not exist") as info:
        load_settings(config_file=missing)
    assert str(missing) in info.value.message


def test_a_missing_file_named_by_the_environment_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARXIV_FEEDS_CONFIG", str(tmp_path / "gone.json"))
    with pytest.raises(ConfigError, match=r"gone\.json"):
        load_settings()


def test_the_legacy_config_loads(tmp_path: Path) -> None:
    prompt = tmp_path / "prompt.md"
    prompt.write_text("Summarize {title}", encoding="utf-8")
    legacy = {
        "categories": ["cs.LG", "cs.DC"],
        "keywords": ["MoE", "Speculative Decoding"],
        "exclude_keywords": ["survey"],
        "max_papers": 12,
        "days_back": 3,
        "min_score": 1.5,
        "enable_deduplication": False,
        "ai_summary": {
            "enabled": True,
            "api_key_env": "MY_LLM_KEY",
            "base_url": "https://llm.example.org/v1",
            "model": "some-model",
            "prompt_file": str(prompt),
            "max_papers_to_summarize": 4,
            "max_workers": 2,
        },
    }
    settings = load_settings(config_file=write_config(tmp_path, legacy))
    assert settings.categories == ["cs.LG", "cs.DC"]
    assert settings.keywords == ["MoE", "Speculative Decoding"]
    assert settings.exclude_keywords == ["survey"]
    assert settings.max_papers == 12
    assert settings.days_back == 3
    assert settings.min_score == 1.5
    assert settings.enable_deduplication is False
    ai = settings.ai_summary
    assert ai.enabled is True
    assert ai.api_key_env == "MY_LLM_KEY"
    assert ai.base_url == "https://llm.example.org/v1"
    assert ai.model == "some-model"
    assert ai.prompt_file == prompt
    assert ai.max_papers_to_summarize == 4
    assert ai.max_workers == 2


def test_the_file_is_found_through_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(tmp_path, {"max_papers": 9}, name="elsewhere.json")
    monkeypatch.setenv("ARXIV_FEEDS_CONFIG", str(path))
    assert load_settings().max_papers == 9


def test_unknown_keys_only_warn(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data = {
        "max_papers": 5,
        "colour": "blue",
        "ai_summary": {"enabled": False, "temperature": 0.2},
    }
    with caplog.at_level(logging.WARNING, logger="app.config"):
        settings = load_settings(config_file=write_config(tmp_path, data))
    assert settings.max_papers == 5
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("'colour'" in w for w in warnings)
    assert any("'ai_summary.temperature'" in w for w in warnings)
    assert len(warnings) == 2


def test_an_unknown_key_close_to_a_known_one_is_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = {"keyword": ["LLM"], "max_paper": 5, "ai_summary": {"enable": True}}
    with caplog.at_level(logging.WARNING, logger="app.config"):
        load_settings(config_file=write_config(tmp_path, data))
    warnings = sorted(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert [w.split(": ", 1)[1] for w in warnings] == [
        "ignoring unknown key 'ai_summary.enable' (did you mean 'enabled'?)",
        "ignoring unknown key 'keyword' (did you mean 'keywords'?)",
        "ignoring unknown key 'max_paper' (did you mean 'max_papers'?)",
    ]


@pytest.mark.parametrize(
    ("data", "field", "shown"),
    [
        ({"max_papers": "many"}, "max_papers", "many"),
        ({"max_papers": 0}, "max_papers", "0"),
        ({"categories": ["cs.XX"]}, "categories", "cs.XX"),
        ({"categories": []}, "categories", "[]"),
        ({"days_back": 365}, "days_back", "365"),
        ({"enable_deduplication": "perhaps"}, "enable_deduplication", "perhaps"),
        ({"ai_summary": {"max_workers": 0}}, "ai_summary.max_workers", "0"),
        ({"ai_summary": {"base_url": "ftp://x"}}, "ai_summary.base_url", "an http(s) URL"),
        ({"ai_summary": {"prompt_file": "/no/such/prompt.md"}}, "ai_summary", "prompt.md"),
    ],
)
def test_a_bad_value_names_the_field(
    tmp_path: Path, data: dict[str, Any], field: str, shown: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(config_file=write_config(tmp_path, data))
    message = info.value.message
    assert message.startswith("invalid configuration")
    assert f"  {field}:" in message
    assert shown in message


def test_an_unknown_category_suggests_close_names(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cs\.LG") as info:
        load_settings(config_file=write_config(tmp_path, {"categories": ["cs.LGG"]}))
    assert "did you mean" in info.value.message


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = write_config(tmp_path, '{\n  "max_papers": 5,\n}\n')
    with pytest.raises(ConfigError) as info:
        load_settings(config_file=path)
    assert "not valid JSON" in info.value.message
    assert "line 3, column 1" in info.value.message
    assert str(path) in info.value.message


def test_a_json_array_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must hold a JSON object"):
        load_settings(config_file=write_config(tmp_path, ["cs.AI"]))


def test_duplicate_keywords_count_once(tmp_path: Path) -> None:
    data = {
        "keywords": ["LLM", "llm", "  LLM ", "Sparse  Attention", "sparse attention", "", "MoE"],
        "exclude_keywords": ["Survey", "SURVEY", "survey"],
        "categories": ["cs.AI", "cs.AI", "cs.LG"],
    }
    settings = load_settings(config_file=write_config(tmp_path, data))
    assert settings.keywords == ["LLM", "Sparse Attention", "MoE"]
    assert settings.exclude_keywords == ["Survey"]
    assert settings.categories == ["cs.AI", "cs.LG"]


def test_the_environment_overrides_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(
        tmp_path,
        {"max_papers": 3, "arxiv_rss_url": "http://127.0.0.1:1/file", "arxiv_source": "sample"},
    )
    file_only = load_settings(config_file=path, min_request_interval=0)
    assert (file_only.max_papers, file_only.arxiv_source) == (3, "sample")
    assert file_only.arxiv_rss_url == "http://127.0.0.1:1/file"

    monkeypatch.setenv("ARXIV_FEEDS_MAX_PAPERS", "7")
    monkeypatch.setenv("ARXIV_RSS_URL", "http://127.0.0.1:2/env/")
    monkeypatch.setenv("ARXIV_SOURCE", "live")
    settings = load_settings(config_file=path, min_request_interval=0)
    assert settings.max_papers == 7
    assert settings.arxiv_rss_url == "http://127.0.0.1:2/env"  # trailing slash dropped
    assert settings.arxiv_source == "live"

    explicit = load_settings(config_file=path, min_request_interval=0, max_papers=11)
    assert explicit.max_papers == 11  # keyword arguments beat the environment


def test_a_bad_environment_value_names_the_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARXIV_FEEDS_MAX_PAPERS", "lots")
    with pytest.raises(ConfigError, match="max_papers"):
        load_settings(config_file=write_config(tmp_path, {}))


@pytest.mark.parametrize(
    "url",
    [
        "https://rss.arxiv.org/rss",
        "http://10.0.0.1/rss",
        "http://example.org:8080/rss",
        "http://127.0.0.1.nip.io/rss",  # looks like loopback, is a public name
    ],
)
def test_a_short_interval_is_refused_for_a_real_host(tmp_path: Path, url: str) -> None:
    path = write_config(tmp_path, {})
    with pytest.raises(ConfigError, match="min_request_interval"):
        load_settings(config_file=path, arxiv_rss_url=url, min_request_interval=1)
    polite = load_settings(config_file=path, arxiv_rss_url=url, min_request_interval=3)
    assert polite.min_request_interval == MIN_ARXIV_INTERVAL


@pytest.mark.parametrize(
    "url", [LOOPBACK, "http://localhost:8000/rss", "http://[::1]:9/rss", "http://127.0.0.2/"]
)
def test_a_short_interval_is_allowed_on_loopback(tmp_path: Path, url: str) -> None:
    settings = load_settings(
        config_file=write_config(tmp_path, {}), arxiv_rss_url=url, min_request_interval=0
    )
    assert settings.min_request_interval == 0


@pytest.mark.parametrize("url", ["ftp://rss.arxiv.org/rss", "rss.arxiv.org/rss", "http://"])
def test_the_arxiv_url_must_be_http(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match="arxiv_rss_url"):
        load_settings(config_file=write_config(tmp_path, {}), arxiv_rss_url=url)


def test_user_agent_names_the_project_and_the_contact(tmp_path: Path) -> None:
    path = write_config(tmp_path, {})
    anonymous = load_settings(config_file=path).user_agent
    assert anonymous.startswith(f"arxiv-feeds/{__version__} ")
    assert "contact" not in anonymous
    with_contact = load_settings(config_file=path, contact="ops@example.org").user_agent
    assert with_contact.startswith(anonymous)
    assert with_contact.endswith("ops@example.org")


def test_settings_is_what_load_settings_returns(tmp_path: Path) -> None:
    settings = load_settings(config_file=write_config(tmp_path, {"max_papers": 4}))
    assert isinstance(settings, Settings)
    assert settings.config_file == tmp_path / "config.json"


def test_a_bad_setting_answers_every_request_and_keeps_the_app_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Serverless platforms see only a dead process when start-up fails: answer instead."""
    from starlette.testclient import TestClient

    from app.config import get_settings
    from app.main import create_app

    secret = "cron-secret-that-must-not-show"
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    monkeypatch.setenv("ARXIV_FEEDS_CONFIG", str(tmp_path / "config.json"))
    monkeypatch.setenv("ARXIV_FEEDS_MAX_PAPERS", "0")
    monkeypatch.setenv("CRON_SECRET", secret)
    monkeypatch.setenv("ARXIV_FEEDS_AI_SUMMARY__API_KEY", "sk-" + "x" * 40)
    get_settings.cache_clear()
    caplog.set_level(logging.ERROR)
    try:
        with TestClient(create_app()) as client:  # runs lifespan: start-up must not fail
            answers = [client.get(path) for path in ("/rss", "/health", "/rss", "/api/papers")]
    finally:
        get_settings.cache_clear()
    for answer in answers:
        assert answer.status_code == 500
        error = answer.json()["error"]
        assert error["code"] == "config_error"
        assert "max_papers" in error["message"]
        assert secret not in answer.text
        assert "sk-xxx" not in answer.text
    logged = [r for r in caplog.records if "max_papers" in r.getMessage()]
    assert len(logged) == 1
    assert secret not in caplog.text


def test_a_bad_secret_is_named_but_never_echoed(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(config_file=tmp_path / "config.json", cron_secret=["hunter2-secret"])
    assert "cron_secret" in err.value.message
    assert "hunter2" not in err.value.message


def test_the_default_keywords_are_a_specific_example() -> None:
    """The built-in list is an example (LLM systems) of specific words: a traffic-analytics
    paper that says "Scalable Framework" and "Parallel" is not in its feed, as it was with the
    older bot's generic words; LLM systems papers are."""
    from datetime import UTC, datetime

    from app.arxiv.parse import parse_listing
    from app.models import FeedQuery
    from app.ranking.rank import rank
    from tests.conftest import ALL4, LEGACY_KEYWORDS, listing

    day = parse_listing(listing(f"{ALL4}-2026-01-06"), ALL4.split("+"), datetime.now(UTC))
    titles = {
        name: [
            i.paper.title
            for i in rank(
                day.papers, FeedQuery(categories=tuple(ALL4.split("+")), keywords=tuple(words))
            )
        ]
        for name, words in (("default", DEFAULT_KEYWORDS), ("legacy", LEGACY_KEYWORDS))
    }
    assert any("BigSUMO" in t for t in titles["legacy"])
    assert not any("BigSUMO" in t for t in titles["default"])
    assert len(titles["default"]) >= 5  # still a feed worth reading on the sample day
    assert not {"Framework", "Network", "Fast"} & set(DEFAULT_KEYWORDS)
