"""``kgcrm serve --workers N``: N uvicorn processes, each accepting connections on a listening socket of its own.

Why not ``uvicorn --workers N``: its workers share one listening socket, and when it becomes readable
asyncio accepts every pending connection at once (up to the backlog), so a burst of new keep-alive
clients lands on whichever worker woke first. Measured with 50 clients connecting together: all 50 on
one worker in most runs of 2 and 3 workers (``bench/RESULTS.md``, ``resolve_load_s8``), the other workers
idle while it served at one process's speed, for as long as the connections lived.

Here every worker binds the address itself with ``SO_REUSEPORT``, and Linux spreads new connections over
the sockets by a hash of their addresses: about evenly, whichever worker is awake. Linux lets only
processes of the same user join such a group, and :func:`run_workers` first checks with a plain bind
that nothing else listens on the address (a second ``kgcrm serve`` would otherwise share it silently).

The supervisor is small: it starts the workers (``spawn``: each builds its own app and services from the
environment), stops them on SIGINT/SIGTERM (uvicorn's graceful shutdown in each), and restarts one that
died after it had run a while; a worker that dies within :data:`MIN_UPTIME_S` of its start (bad
settings, say) stops them all, with its exit code.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import time
from collections.abc import Mapping
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

from kgcrm.core.errors import ConfigurationError

log = logging.getLogger(__name__)

#: A worker that exits sooner than this after its start is not restarted: the others are stopped too.
MIN_UPTIME_S = 10.0
#: How long the workers get to finish their requests once asked to stop.
STOP_TIMEOUT_S = 30.0
BACKLOG = 2048  # uvicorn's default


def balanced_workers_supported() -> bool:
    """Whether this platform has ``SO_REUSEPORT`` (Linux and the BSDs; Linux balances by hash)."""
    return hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    """A TCP socket bound to ``host:port`` and listening, as uvicorn binds one (``SO_REUSEADDR``), and with
    ``SO_REUSEPORT`` when asked. Raises :class:`ConfigurationError` naming the address when it is taken."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.set_inheritable(True)
    return sock


def run_workers(app: str, *, host: str, port: int, workers: int, options: Mapping[str, Any]) -> int:
    """Serve the ASGI app factory ``app`` (``"module:function"``) with ``workers`` processes until
    SIGINT or SIGTERM; the exit code (0, or a worker's that failed at its start)."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if port == 0:
        raise ValueError("port 0 would give every worker a port of its own: name one")
    listening_socket(host, port, reuse_port=False).close()  # nothing else listens there (clear error if so)
    context = multiprocessing.get_context("spawn")
    arguments = (app, host, port, dict(options))
    started: dict[int, float] = {}
    processes: dict[int, BaseProcess] = {}
    stopping = False

    def start(slot: int) -> None:
        process = context.Process(target=_serve, args=arguments, name=f"kgcrm-worker-{slot}")
        process.start()
        processes[slot], started[slot] = process, time.monotonic()

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    code = 0
    try:
        for slot in range(workers):
            start(slot)
        while not stopping:
            time.sleep(0.2)
            for slot, process in list(processes.items()):
                if process.is_alive() or stopping:
                    continue
                if time.monotonic() - started[slot] < MIN_UPTIME_S:
                    log.error("worker %s exited at its start (code %s): stopping", process.name, process.exitcode)
                    code, stopping = (process.exitcode or 1), True
                    break
                log.warning("worker %s exited (code %s): starting another", process.name, process.exitcode)
                start(slot)
    finally:
        _stop_all(list(processes.values()))
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code


def _stop_all(processes: list[BaseProcess]) -> None:
    for process in processes:
        if process.is_alive():
            process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()


def _serve(app: str, host: str, port: int, options: dict[str, Any]) -> None:  # pragma: no cover (a child)
    """One worker: its own socket in the ``SO_REUSEPORT`` group, and uvicorn serving the app on it."""
    import uvicorn

    sock = listening_socket(host, port, reuse_port=True)
    config = uvicorn.Config(app, factory=True, host=host, port=port, **options)
    uvicorn.Server(config).run(sockets=[sock])
