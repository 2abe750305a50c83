"""``kgcrm serve --workers N`` (``kgcrm.api.workers``): every worker accepts on a socket of its own
(``SO_REUSEPORT``), so that connections opened together spread over the workers (with uvicorn's shared
socket, the first worker awake took all of them). Real processes: the supervisor in a subprocess, its
workers serving ``tests/support/pid_app.py`` (each answer says which process served it).
"""

from __future__ import annotations

import http.client
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench.outage import free_port
from kgcrm.api.workers import balanced_workers_supported, listening_socket, run_workers
from kgcrm.core.errors import ConfigurationError

pytestmark = pytest.mark.skipif(not balanced_workers_supported(), reason="no SO_REUSEPORT on this platform")

ROOT = Path(__file__).resolve().parents[2]
PID_APP = "tests.support.pid_app:pid_app"
SUPERVISOR = (
    "import sys\n"
    "from kgcrm.api.workers import run_workers\n"
    "raise SystemExit(run_workers(sys.argv[1], host='127.0.0.1', port=int(sys.argv[2]), workers=int(sys.argv[3]),"
    " options={'log_level': 'warning'}))"
)


@contextmanager
def supervisor(app: str, port: int, workers: int) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR, app, str(port), str(workers)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()  # waits, and closes its output pipe


def served_by(connection: http.client.HTTPConnection) -> int:
    connection.request("GET", "/")
    answer = connection.getresponse()
    assert answer.status == 200
    return int(answer.read())


def wait_for_workers(port: int, process: subprocess.Popen[str], workers: int, timeout_s: float = 120) -> None:
    """Until new connections have met every worker (each binds its socket once its app is loaded)."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout_s
    while len(seen) < workers:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        assert time.monotonic() < deadline, f"only {len(seen)} of {workers} workers answered"
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            seen.add(served_by(connection))
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()


def test_connections_opened_together_spread_over_the_workers_and_stay_with_theirs():
    port = free_port()
    with supervisor(PID_APP, port, workers=2) as process:
        wait_for_workers(port, process, workers=2)
        connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(40)]
        for connection in connections:  # all 40 connected before the first request
            connection.connect()

        first = [served_by(c) for c in connections]
        second = [served_by(c) for c in connections]  # kept alive: the same worker again

        counts = Counter(first)
        assert len(counts) == 2 and min(counts.values()) >= 5, counts  # one worker taking all 40 was the defect
        assert second == first
        for connection in connections:
            connection.close()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    with pytest.raises(OSError):  # and no worker is left listening
        served_by(http.client.HTTPConnection("127.0.0.1", port, timeout=5))


def test_an_address_in_use_is_refused_before_any_worker_starts():
    with listening_socket("127.0.0.1", 0, reuse_port=False) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(ConfigurationError, match=f"cannot listen on 127.0.0.1:{port}"):
            run_workers(PID_APP, host="127.0.0.1", port=port, workers=2, options={})


def test_a_worker_that_fails_at_its_start_stops_them_all_with_its_exit_code():
    with supervisor("tests.support.pid_app:no_such_factory", free_port(), workers=2) as process:
        said, _ = process.communicate(timeout=120)
        code = process.returncode

    assert code != 0
    assert "exited at its start" in said


@pytest.mark.parametrize("workers, port, problem", [(0, 8000, "workers must be at least 1"), (2, 0, "port 0")])
def test_a_worker_count_or_port_that_cannot_work_is_refused(workers, port, problem):
    with pytest.raises(ValueError, match=problem):
        run_workers(PID_APP, host="127.0.0.1", port=port, workers=workers, options={})
