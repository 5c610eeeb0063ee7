"""``python -m app`` as a user runs it: a subprocess on the bundled samples, the LLM a loopback
stub (or a closed port), checking what it prints and how it exits.

It says what it does with summaries off, names the missing key's variable once, keeps log lines
off the progress bar on a terminal (a pty), folds repeated warnings, ends with a final line,
does not count LLM calls that never reached the provider, refuses a directory as ``-o`` before
any work, and exits with the codes ``--help`` lists (0, 2, 3, 4, 5).
"""

from __future__ import annotations

import json
import os
import pty
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import legacy
from tests.openai_stub import OpenAIStub

ROOT = Path(__file__).resolve().parent.parent
ALL4 = "cs.AI+cs.CL+cs.DC+cs.LG"


def env_for(tmp_path: Path, config: dict[str, Any], **extra: str) -> dict[str, str]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(legacy(config)), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARXIV_", "OPENAI_", "CI"))}
    return env | {
        "ARXIV_FEEDS_CONFIG": str(path),
        "ARXIV_SOURCE": "sample",
        "STORE_URL": "memory://",
        "ARXIV_FEEDS_SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        **extra,
    }


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_help_is_plain_text_with_exit_codes() -> None:
    for args in [("--help",), ("refresh", "--help"), ("digest", "--help"), ("deliver", "--help")]:
        done = cli(dict(os.environ), *args)
        assert done.returncode == 0
        assert "``" not in done.stdout
        assert "exit codes:" in done.stdout
        for code in ["0  done", "2  a bad configuration", "3  done, but", "4  arXiv could not"]:
            assert code in done.stdout


def test_refresh_without_summaries_says_what_it_does(tmp_path: Path) -> None:
    done = cli(env_for(tmp_path, {}), "refresh")
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0] == f"refreshing {ALL4}: fetching the listing, then ranking"
    assert lines[1] == "summaries: off (ai_summary.enabled is false in the configuration)"
    assert re.fullmatch(
        r"done in \d+\.\d s: 2026-01-06 \(bundled sample data: arXiv was not reached\), "
        r"50 papers listed, 30 in the feed, 0 summarized",
        lines[-1],
    ), lines[-1]
    report = json.loads(done.stdout)
    assert report["sample"] is True
    assert report["stale"] is False


def test_the_missing_key_is_named_once(tmp_path: Path) -> None:
    summary = {"enabled": True, "base_url": "https://llm.example/v1"}
    done = cli(env_for(tmp_path, {"ai_summary": summary}), "refresh")
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("$OPENAI_API_KEY") == 2  # the warning, then the summary line
    assert "no API key in $OPENAI_API_KEY\n" in done.stderr
    assert "summaries: off (no API key: set $OPENAI_API_KEY)" in done.stderr
    named = {"enabled": True, "base_url": "https://llm.example/v1", "api_key_env": "MY_KEY"}
    done = cli(env_for(tmp_path, {"ai_summary": named}), "refresh")
    assert "no API key in $MY_KEY or $OPENAI_API_KEY\n" in done.stderr


def test_an_unreachable_llm_folds_warnings_and_exits_3(tmp_path: Path) -> None:
    port = closed_port()
    summary = {
        "enabled": True, "base_url": f"http://127.0.0.1:{port}/v1", "max_papers_to_summarize": 15,
        "retry_after": 0,
    }  # fmt: skip
    done = cli(env_for(tmp_path, {"ai_summary": summary}), "refresh")
    assert done.returncode == 3, done.stderr
    failures = [
        ln for ln in done.stderr.splitlines() if ln.startswith("WARNING") and "summary" in ln
    ]
    assert len(failures) == 2, done.stderr
    assert f"cannot be reached at 127.0.0.1:{port} (base_url)" in failures[0]
    assert "... and 13 more warnings like 'summary of'" in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-2].endswith("0 summarized; 15 top papers still lack a summary")
    assert lines[-1] == "exit 3: run again to add the missing summaries"
    report = json.loads(done.stdout)
    assert report["pending"] == 15
    assert report["llm_calls_today"] == 0  # none reached the provider


def test_exit_3_says_when_running_again_helps(tmp_path: Path) -> None:
    """The advice agrees with the 'next try in 900s' of the warnings above it."""
    summary = {"enabled": True, "base_url": f"http://127.0.0.1:{closed_port()}/v1",
               "max_papers_to_summarize": 2, "retry_after": 900}  # fmt: skip
    done = cli(env_for(tmp_path, {"ai_summary": summary}), "refresh")
    assert done.returncode == 3, done.stderr
    assert "next try in 900s" in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "exit 3: run again in 900 s or later to add the missing summaries "
        "(ai_summary.retry_after: a failed paper is not tried sooner)"
    )


def test_on_a_terminal_log_lines_keep_off_the_bar(tmp_path: Path, stub: OpenAIStub) -> None:
    summary = {"enabled": True, "base_url": stub.base_url, "max_papers_to_summarize": 6,
               "max_workers": 1, "retry_after": 0}  # fmt: skip
    stub.failures = ["html", "html", "empty", "empty"]  # the 3rd and 4th fail: warnings mid-bar
    env = env_for(tmp_path, {"ai_summary": summary})
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "refresh"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(follower)
    out = b""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=30)
    os.close(leader)
    text = out.decode()
    assert "summaries [" in text
    assert "WARNING" in text
    for match in re.finditer("WARNING", text):
        before = text[: match.start()]
        assert before.endswith(("\n", "\r\x1b[K")), repr(before[-60:])  # at a line's start
    last = text.replace("\r\n", "\n").rstrip("\n").rsplit("\n", 1)[-1]
    assert last.startswith("done in ") or last.startswith("exit 3"), repr(last)


def test_digest_refuses_a_directory_before_any_work(tmp_path: Path) -> None:
    start = time.monotonic()
    done = cli(env_for(tmp_path, {}), "digest", "-o", str(tmp_path))
    assert done.returncode == 2
    assert "it is a directory" in done.stderr
    assert "building the digest" not in done.stderr  # nothing fetched
    assert time.monotonic() - start < 30


def test_unreachable_arxiv_exits_4(tmp_path: Path) -> None:
    env = env_for(
        tmp_path, {}, ARXIV_SOURCE="live",
        ARXIV_RSS_URL=f"http://127.0.0.1:{closed_port()}/rss",
        ARXIV_FEEDS_FETCH_RETRIES="0", ARXIV_FEEDS_MIN_REQUEST_INTERVAL="0",
    )  # fmt: skip
    done = cli(env, "refresh")
    assert done.returncode == 4, done.stderr
    assert "error: arXiv could not be reached" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("bad", ['{"max_papers": "many"}'])
def test_a_bad_config_exits_2(tmp_path: Path, bad: str) -> None:
    (tmp_path / "config.json").write_text(bad, encoding="utf-8")
    env = env_for(tmp_path, {})
    (tmp_path / "config.json").write_text(bad, encoding="utf-8")
    done = cli(env, "refresh")
    assert done.returncode == 2
    assert "max_papers" in done.stderr


def test_a_failing_profile_is_named_and_exits_5_after_refreshing_the_others(
    tmp_path: Path,
) -> None:
    from tests.arxiv_server import ArxivServer

    profiles = {"a-broken": {"categories": ["cs.IR"]}, "b-fine": {"categories": ["cs.DC"]}}
    with ArxivServer() as url:  # no cs.IR listing: arXiv answers 404
        env = env_for(
            tmp_path, {"profiles": profiles}, ARXIV_SOURCE="live", ARXIV_RSS_URL=url,
            ARXIV_FEEDS_FETCH_RETRIES="0", ARXIV_FEEDS_MIN_REQUEST_INTERVAL="0",
        )  # fmt: skip
        done = cli(env, "refresh")
    assert done.returncode == 5, done.stderr
    report = json.loads(done.stdout)
    assert report["failed"] == ["a-broken"]
    assert [p["error"] is None for p in report["profiles"]] == [False, True]
    assert report["profiles"][1]["items"] > 0
    assert "error: feed a-broken: " in done.stderr
    assert done.stderr.rstrip().endswith("exit 5: some feeds failed; the others were refreshed")
    assert "Traceback" not in done.stderr


def test_deliver_goes_on_past_a_feed_that_cannot_be_built(tmp_path: Path) -> None:
    from tests.arxiv_server import ArxivServer

    hook = {"webhooks": [{"kind": "generic", "url": "https://hooks.example.org/x"}]}
    profiles = {
        "a-broken": {"categories": ["cs.IR"], "delivery": hook},
        "b-fine": {"categories": ["cs.DC"], "delivery": hook},
    }
    config = {"public_url": "https://feeds.example.org", "profiles": profiles}
    with ArxivServer() as url:  # no cs.IR listing: arXiv answers 404
        env = env_for(
            tmp_path, config, ARXIV_SOURCE="live", ARXIV_RSS_URL=url,
            ARXIV_FEEDS_FETCH_RETRIES="0", ARXIV_FEEDS_MIN_REQUEST_INTERVAL="0",
        )  # fmt: skip
        done = cli(env, "deliver", "--dry-run")
    assert done.returncode == 3, done.stderr
    assert "error: feed a-broken: " in done.stderr
    assert "===== b-fine generic" in done.stdout
    assert "Traceback" not in done.stderr


def test_check_says_what_is_wrong_before_the_server_starts(tmp_path: Path) -> None:
    """``make run`` runs ``check`` first: a bad value stops it with the message."""
    done = cli(env_for(tmp_path, {"max_papers": 0, "categories": ["cs.LG"]}), "check")
    assert done.returncode == 2
    assert "max_papers: Input should be greater than or equal to 1" in done.stderr
    done = cli(env_for(tmp_path, {"categories": ["cs.LG"], "profiles": {"me": {}}}), "check")
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("configuration ok (")
    assert "cs.LG; profiles: me" in done.stderr
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert run.index("-m app check") < run.index("uvicorn")
