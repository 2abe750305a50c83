"""The process helpers shared by the local Neo4j and the Browser guide server: real processes, no mocks."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from kgcrm.core.errors import Neo4jServerError
from kgcrm.graph.server.process import (
    Wait,
    alive,
    launch_detached,
    running_pid,
    terminate,
    url_host,
    wait_until_ready,
    write_pid,
)


def test_url_host_brackets_ipv6_once() -> None:
    assert [url_host(h) for h in ("127.0.0.1", "::1", "[::1]", "localhost")] == [
        "127.0.0.1",
        "[::1]",
        "[::1]",
        "localhost",
    ]


def test_a_detached_process_is_found_by_its_pid_file_and_stopped(tmp_path: Path) -> None:
    pid_file = tmp_path / "sleeper.pid"
    marker = f"import time; time.sleep(60)  # {tmp_path}"
    pid = launch_detached(
        [sys.executable, "-c", marker],
        log_file=tmp_path / "sleeper.log",
        env=os.environ,
        what="a sleeper",
        error=Neo4jServerError,
    )
    write_pid(pid_file, pid)
    try:
        assert running_pid(pid_file, lambda cmdline: str(tmp_path) in cmdline) == pid
        assert running_pid(pid_file, lambda cmdline: False) is None  # a reused pid is not ours
    finally:
        assert terminate(pid, 10, name="a sleeper")

    assert not alive(pid)
    assert running_pid(pid_file, lambda cmdline: True) is None


def test_a_failed_launch_raises_the_callers_error(tmp_path: Path) -> None:
    with pytest.raises(Neo4jServerError, match="could not launch a sleeper"):
        launch_detached(
            ["true"],
            log_file=tmp_path / "x.log",
            env=os.environ,
            cwd=tmp_path / "missing",
            what="a sleeper",
            error=Neo4jServerError,
        )


def test_wait_until_ready_reports_how_it_ended() -> None:
    answers = iter([False, False, True])

    assert wait_until_ready(lambda: next(answers), running=lambda: True, timeout_s=5, interval_s=0) is Wait.READY
    assert wait_until_ready(lambda: True, running=lambda: False, timeout_s=5, interval_s=0) is Wait.STOPPED
    assert wait_until_ready(lambda: False, running=lambda: True, timeout_s=0, interval_s=0) is Wait.TIMED_OUT
