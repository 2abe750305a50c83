"""Debian's Chromium, driven headless with Python's playwright (its own browser download is never used).

Shared by the browser tests (Neo4j Browser in ``tests/graph/test_browser_ui.py``, the API docs in
``tests/api/test_api_docs.py``). Missing Chromium or playwright skips a test, except in CI
(``KGCRM_REQUIRE_SERVICES=1``, which ``.ci/run`` sets), where it fails.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 30_000


def unavailable(reason: str) -> None:
    if os.environ.get("KGCRM_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (KGCRM_REQUIRE_SERVICES=1: the browser test must run)")
    pytest.skip(reason)


def artifacts_dir() -> Path:
    path = Path(os.environ.get("KGCRM_TEST_ARTIFACTS") or REPO / "test-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def chromium_path() -> str | None:
    for candidate in (os.environ.get("KGCRM_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None
