"""The loopback HTTP server Browser loads kgcrm's guide, style and favourites from.

Browser fetches a remote guide with a cross-origin request from the page (with
``pragma``/``cache-control`` headers, so the browser sends a CORS preflight first): the
server answers ``OPTIONS`` and sends ``Access-Control-Allow-Origin``. What it serves is
static and holds no tenant's data (the graph model and the queries), rendered once when
the server starts. It binds a loopback address only: anything else is refused.

``kgcrm browser guide --serve`` runs it in the foreground; ``--start`` runs it detached
(``python -m kgcrm.graph.browser.guide_server``, a pid file under ``<data_dir>/browser``), the
way ``kgcrm neo4j start`` runs Neo4j, so that it is still there when ``make demo`` ends.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import sys
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar

from kgcrm.core.errors import ConfigurationError, GuideServerError
from kgcrm.core.network import is_loopback
from kgcrm.core.settings import Settings
from kgcrm.graph.browser.guide import FAVORITES_PATH, GUIDE_PATH, STYLE_PATH, guide_html
from kgcrm.graph.browser.queries import favorites_zip
from kgcrm.graph.browser.style import grass
from kgcrm.graph.server.process import (
    Wait,
    launch_detached,
    running_pid,
    socket_family,
    tail_file,
    terminate,
    url_host,
    wait_until_ready,
    write_pid,
)

log = logging.getLogger(__name__)

MODULE = "kgcrm.graph.browser.guide_server"
_HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,64}")
PID_FILE = "guide.pid"
LOG_FILE = "guide.log"


@dataclass(frozen=True)
class Content:
    content_type: str
    body: bytes


def guide_routes(base_url: str) -> Mapping[str, Content]:
    """Path → what the server answers; ``base_url`` is the server's own URL (ending in ``/``)."""
    page = Content("text/html; charset=utf-8", guide_html(base_url).encode())
    return MappingProxyType(
        {
            "/": page,
            f"/{GUIDE_PATH}": page,
            f"/{STYLE_PATH}": Content("text/plain; charset=utf-8", grass().encode()),
            f"/{FAVORITES_PATH}": Content("application/zip", favorites_zip()),
        }
    )


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[Mapping[str, Content]] = MappingProxyType({})
    server_version = "kgcrm-guide"
    sys_version = ""

    def _cors(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")  # static, public content: no credentials
        self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
        # Browser sends pragma and cache-control, and sentry-trace/baggage while its telemetry
        # is on: allow whatever header names the preflight asks for (the content is public).
        asked = self.headers.get("Access-Control-Request-Headers", "")
        allowed = ", ".join(h.strip() for h in asked.split(",") if _HEADER_NAME.fullmatch(h.strip()))
        self.send_header("Access-Control-Allow-Headers", allowed or "pragma, cache-control")
        self.send_header("Access-Control-Max-Age", "600")

    def do_OPTIONS(self) -> None:
        self.send_response(204)
        self._cors()
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _answer(self, *, body: bool) -> None:
        content = self.routes.get(self.path.split("?", 1)[0].split("#", 1)[0])
        if content is None:
            self.send_response(404)
            self._cors()
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self._cors()
        self.send_header("Content-Type", content.content_type)
        self.send_header("Content-Length", str(len(content.body)))
        self.send_header("Cache-Control", "no-cache")
        if content.content_type == "application/zip":
            self.send_header("Content-Disposition", f'attachment; filename="{FAVORITES_PATH}"')
        self.end_headers()
        if body:
            self.wfile.write(content.body)

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("guide server: " + format, *args)


@dataclass(frozen=True)
class GuideServer:
    """The guide server of ``settings`` (``browser_guide_host``/``browser_guide_port``).

    The constructor does no I/O. :meth:`bind` makes a server object (port 0: any free port)
    for :meth:`serve_forever`, tests and ``--serve``; :meth:`start`/:meth:`stop` run it
    as a detached process with a pid file.
    """

    settings: Settings

    @property
    def host(self) -> str:
        return self.settings.browser_guide_host

    @property
    def port(self) -> int:
        return self.settings.browser_guide_port

    @property
    def base_url(self) -> str:
        """The URL Browser is given. ``localhost`` for the IPv4 loopback: Browser's default
        allow-list has ``localhost``, so the guide also plays before Browser has read the
        server's settings (a ``?cmd=play`` link), and from a server kgcrm did not configure."""
        host = "localhost" if self.host in ("127.0.0.1", "localhost") else self.host
        return f"http://{url_host(host)}:{self.port}/"

    @property
    def guide_url(self) -> str:
        return self.base_url + GUIDE_PATH

    @property
    def style_url(self) -> str:
        return self.base_url + STYLE_PATH

    @property
    def favorites_url(self) -> str:
        return self.base_url + FAVORITES_PATH

    @property
    def state_dir(self) -> Path:
        return self.settings.data_dir / "browser"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / PID_FILE

    @property
    def log_file(self) -> Path:
        return self.state_dir / LOG_FILE

    def check_host(self) -> None:
        if not is_loopback(self.host):
            raise ConfigurationError(
                f"browser_guide_host: {self.host} is not a loopback address; the guide server binds loopback only"
            )

    # --- in this process -------------------------------------------------------------------
    def bind(self) -> ThreadingHTTPServer:
        """A bound server (not serving yet); its routes are rendered for the port it really got."""
        self.check_host()
        family_host = self.host.strip("[]")

        class GuideHandler(_Handler):  # a class per server: the routes below are this server's
            pass

        class GuideHTTPServer(ThreadingHTTPServer):
            address_family = socket_family(family_host)
            daemon_threads = True

        try:
            httpd = GuideHTTPServer((family_host, self.port), GuideHandler)
        except OSError as exc:
            raise GuideServerError(f"the guide server cannot listen on {self.host}:{self.port}: {exc}") from exc
        port = httpd.server_address[1]
        bound = GuideServer(self.settings.model_copy(update={"browser_guide_port": port}))
        GuideHandler.routes = guide_routes(bound.base_url)
        return httpd

    def serve_forever(self) -> None:
        httpd = self.bind()
        with httpd:
            log.info("serving the kgcrm Browser guide at %s", self.guide_url)
            httpd.serve_forever()

    # --- detached ----------------------------------------------------------------------------
    def running_pid(self) -> int | None:
        return running_pid(self.pid_file, lambda cmdline: MODULE in cmdline)  # a reused pid is not our server

    def is_running(self) -> bool:
        return self.running_pid() is not None

    def answers(self, timeout_s: float = 2.0) -> bool:
        try:
            with urllib.request.urlopen(self.guide_url, timeout=timeout_s) as response:  # noqa: S310 (our URL)
                status: int = response.status  # urlopen's result is untyped (Any)
                return status == 200
        except OSError:
            return False

    def start(self, timeout_s: float = 15.0) -> int:
        """Run the server detached (a no-op when it already runs); return its pid."""
        self.check_host()
        pid = self.running_pid()
        if pid is not None:
            return pid
        self.state_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env["KGCRM_BROWSER_GUIDE_HOST"] = self.host
        env["KGCRM_BROWSER_GUIDE_PORT"] = str(self.port)
        env["KGCRM_DATA_DIR"] = str(self.settings.data_dir)
        # The packages this process imports, first on the child's path (a work tree, not an install).
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        pid = launch_detached(
            [sys.executable, "-m", MODULE],
            log_file=self.log_file,
            env=env,
            timeout_s=30,
            what="the guide server",
            error=GuideServerError,
        )
        write_pid(self.pid_file, pid)
        if (
            wait_until_ready(self.answers, running=self.is_running, timeout_s=timeout_s, interval_s=0.2)
            is not Wait.READY
        ):
            self.stop()
            raise GuideServerError(f"the guide server did not answer at {self.guide_url}:\n{self._log_tail()}")
        return pid

    def stop(self, timeout_s: float = 10.0) -> bool:
        """Stop the detached server; return whether one was running."""
        pid = self.running_pid()
        self.pid_file.unlink(missing_ok=True)
        if pid is None:
            return False
        terminate(pid, timeout_s, name="the guide server")
        return True

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return tail_file(self.log_file, lines)
        except OSError:
            return "(no log)"


def main() -> None:  # pragma: no cover (run as a detached process by GuideServer.start)
    from kgcrm.core.settings import load_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    GuideServer(load_settings()).serve_forever()


if __name__ == "__main__":
    main()
