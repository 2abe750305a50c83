"""Running a server as a detached process: pid files, launch, readiness, stop, locks, loopback hosts.

Shared by kgcrm's local Neo4j (:class:`kgcrm.graph.server.LocalNeo4jServer`) and the Browser guide
server (:class:`kgcrm.graph.browser.guide_server.GuideServer`): both start a process that outlives
the command that started it, find it again through a pid file, and stop it with SIGTERM.
"""

from __future__ import annotations

import contextlib
import enum
import fcntl
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from kgcrm.core.errors import KgcrmError

log = logging.getLogger(__name__)

# A shell starts the command as a background job and prints its pid: see launch_detached.
_DETACH_SCRIPT = 'log="$1"; shift; "$@" </dev/null >>"$log" 2>&1 & echo $!'


# --- hosts --------------------------------------------------------------------------------


def url_host(host: str) -> str:
    """``host`` as it goes into a URL: an IPv6 address in brackets (once)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def socket_family(host: str) -> socket.AddressFamily:
    """The address family of a numeric ``host`` (IPv6 when it has a colon)."""
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def port_in_use(host: str, port: int) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    with socket.socket(socket_family(host), socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        return probe.connect_ex((host, port)) == 0


# --- processes ----------------------------------------------------------------------------


def alive(pid: int) -> bool:
    """True when ``pid`` is a live process (a zombie is dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        # "pid (comm) S ...": the state follows the last ')'
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def cmdline(pid: int) -> str | None:
    """The command line of ``pid``, arguments separated by spaces; None when it cannot be read."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None


def read_pid(pid_file: Path) -> int | None:
    """The pid written in ``pid_file``, or None (no file, or not a number)."""
    try:
        return int(pid_file.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def write_pid(pid_file: Path, pid: int) -> None:
    pid_file.write_text(f"{pid}\n", encoding="utf-8")


def running_pid(pid_file: Path, ours: Callable[[str], bool]) -> int | None:
    """The pid of ``pid_file`` when that process lives and is ours; None otherwise.

    ``ours`` is asked about the process's command line, so a pid the system reused for
    another process is not taken for the server; a live process whose command line cannot
    be read counts as ours (so that it can still be stopped).
    """
    pid = read_pid(pid_file)
    if pid is None or not alive(pid):
        return None
    command = cmdline(pid)
    if command is not None and not ours(command):
        return None  # the pid was reused by another process
    return pid


def launch_detached(
    command: Sequence[str],
    *,
    log_file: Path,
    env: Mapping[str, str],
    cwd: Path | None = None,
    timeout_s: float = 60.0,
    what: str,
    error: type[KgcrmError],
) -> int:
    """Run ``command`` in the background, detached from this process; return its pid.

    A shell starts it as a background job (output appended to ``log_file``) and exits at
    once, so the process is nobody's child here: it outlives this process (the CLI returns,
    a test session leaves a shared server running) without a zombie or a dangling ``Popen``.
    The new session keeps Ctrl-C in the starting terminal away from it. Raises ``error``
    ("could not launch <what>: …") when the shell fails.
    """
    try:
        result = subprocess.run(
            ["/bin/sh", "-c", _DETACH_SCRIPT, "sh", str(log_file), *command],
            cwd=cwd,
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=True,
            start_new_session=True,
        )
        return int(result.stdout.strip())
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        raise error(f"could not launch {what}: {exc}") from exc


class Wait(enum.Enum):
    """How :func:`wait_until_ready` ended."""

    READY = "ready"
    STOPPED = "stopped"  # the process died first
    TIMED_OUT = "timed out"


def wait_until_ready(
    ready: Callable[[], bool], *, running: Callable[[], bool], timeout_s: float, interval_s: float
) -> Wait:
    """Poll ``ready`` every ``interval_s`` until it is true, the process stops, or time runs out.

    Each round first checks that the process still runs, then asks ``ready``, then the clock.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        if not running():
            return Wait.STOPPED
        if ready():
            return Wait.READY
        if time.monotonic() > deadline:
            return Wait.TIMED_OUT
        time.sleep(interval_s)


def wait_exit(pid: int, timeout_s: float) -> bool:
    """Wait until ``pid`` is dead; False when it still lives after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return False


def terminate(pid: int, timeout_s: float, *, name: str) -> bool:
    """Stop ``pid``: SIGTERM, then SIGKILL as a last resort after ``timeout_s``.

    Returns False when the process survived SIGKILL for 30 s more.
    """
    log.info("stopping %s (pid %d)", name, pid)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if wait_exit(pid, timeout_s):
        return True
    log.warning("%s (pid %d) did not stop within %.0f s: killing it", name, pid, timeout_s)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return wait_exit(pid, 30)


# --- files --------------------------------------------------------------------------------


@contextlib.contextmanager
def flock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if needed)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def tail_file(path: Path, lines: int) -> str:
    """The last ``lines`` lines of ``path`` (read from its last 64 KiB)."""
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - 64 * 1024))
        return tail_text(handle.read().decode(errors="replace"), lines)


def tail_text(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
