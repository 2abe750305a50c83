"""The local Neo4j server that kgcrm runs for itself when no ``NEO4J_URI`` is given.

Why this exists: kgcrm must run on a machine with neither Docker nor a way to
download the Neo4j tarball, but with Maven Central. Neo4j Community, APOC and the
Neo4j Browser are all published there as plain jars, so ``graph/neo4j-server/pom.xml``
lays them out as a Neo4j home (``lib/`` and ``plugins/``) and this module runs the
server's Java entry point itself, the way Neo4j's own launcher would.

Layout (nothing here lives in the work tree)::

    <cache_dir>/neo4j-<version>/          the jars: disposable, shared by every data dir
        lib/  plugins/  kgcrm-install.json
    <data_dir>/neo4j/         (mode 0700) everything that must survive a cache wipe
        password              (mode 0600) the generated password of the ``neo4j`` user
        conf/neo4j.conf       rewritten by every start (kgcrm owns it)
        data/ logs/ run/ import/

The password is set with Neo4j's own ``dbms set-initial-password`` admin command
(class ``org.neo4j.cli.AdminTool``, run from the same jars), before the very first
start; it reads the password from a picocli ``@file`` so it never shows on a
command line. Nothing here logs the password.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from kgcrm.core.errors import ConfigurationError, Neo4jServerError
from kgcrm.core.settings import Settings

log = logging.getLogger(__name__)

POM_PATH = Path(__file__).with_name("neo4j-server") / "pom.xml"
"""The pom whose dependencies are the server, APOC and the Browser (see its comments)."""

INSTALL_MARKER = "kgcrm-install.json"
PID_FILE = "kgcrm-neo4j.pid"
CONSOLE_LOG = "console.log"
USER = "neo4j"

# The JVM options of Neo4j's own launcher (the ``server.jvm.additional`` lines of the
# neo4j.conf shipped in the tarball). Neo4j needs the --add-opens to reach NIO
# internals: without them, for instance, native vector index population stalls.
# -XX:+AlwaysPreTouch is left out on purpose: it makes start-up slower for a small
# development heap and buys nothing here.
JVM_OPTIONS: tuple[str, ...] = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "-XX:FlightRecorderOptions=stackdepth=256",
    "-XX:+UnlockDiagnosticVMOptions",
    "-XX:+DebugNonSafepoints",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
)

# Entry points: 5.x has CommunityEntryPoint, the calendar line (2025.01+) Neo4jCommunity.
# Both live in the org.neo4j:neo4j jar; start() checks which one the jar really holds.
ENTRY_POINTS = ("org.neo4j.server.Neo4jCommunity", "org.neo4j.server.CommunityEntryPoint")
ADMIN_TOOL = "org.neo4j.cli.AdminTool"

BROWSER_ALLOWLIST_SETTING = "browser.remote_content_hostname_whitelist"

_BOLT_SHUTDOWN_WAIT = ("internal.server.bolt.thread_pool_shutdown_wait_time", "1s")

_PASSWORD_ALPHABET = string.ascii_letters + string.digits
_PASSWORD_LENGTH = 32  # about 190 bits; letters and digits only, so no @file quoting is needed


# --------------------------------------------------------------------------------------
# credentials
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Neo4jCredentials:
    """Where kgcrm's Neo4j is and how to log in; the password never shows in a repr."""

    uri: str
    user: str
    password: SecretStr

    @property
    def auth(self) -> tuple[str, str]:
        """``(user, password)`` as the neo4j driver wants it."""
        return (self.user, self.password.get_secret_value())


def neo4j_credentials(settings: Settings, *, ensure_running: bool = False) -> Neo4jCredentials:
    """The Neo4j kgcrm should talk to.

    With ``NEO4J_URI`` set, that server and ``NEO4J_USER``/``NEO4J_PASSWORD``: nothing
    is installed or started. Otherwise the local server's Bolt URI and its stored
    password; with ``ensure_running`` the local server is installed and started first
    (a no-op when it already runs), without it this only reads the password file.
    """
    if settings.neo4j_uri:
        if settings.neo4j_password is None:
            raise ConfigurationError("NEO4J_PASSWORD: required when NEO4J_URI is set")
        return Neo4jCredentials(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password)
    server = LocalNeo4jServer(settings)
    if ensure_running:
        server.start()
    return Neo4jCredentials(server.bolt_uri, USER, SecretStr(server.password()))


# --------------------------------------------------------------------------------------
# Java
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JavaRequirement:
    """The JDK majors a Neo4j version runs on: at least ``minimum``, best up to ``newest``."""

    minimum: int
    newest: int


def java_requirement(neo4j_version: str) -> JavaRequirement:
    """Neo4j 5.x runs on Java 17 and 21; the calendar line (2025.01+) on 21 and later."""
    try:
        major = int(neo4j_version.split(".", 1)[0])
    except ValueError as exc:
        raise ConfigurationError(f"neo4j_version: not a Neo4j version: {neo4j_version!r}") from exc
    if major >= 2025:
        return JavaRequirement(minimum=21, newest=25)
    if major == 5:
        return JavaRequirement(minimum=17, newest=21)
    raise ConfigurationError(f"neo4j_version: {neo4j_version} is not supported (5.x or 2025.x and later)")


_VERSION_RE = re.compile(r'version "?(\d+)(?:\.(\d+))?')


def java_major_version(java_home: Path) -> int | None:
    """The major version of the JDK at ``java_home``, or None when it is not a JDK.

    Reads the ``release`` file every JDK ships; asks ``java -version`` only without it.
    """
    java = java_home / "bin" / "java"
    if not java.is_file():
        return None
    release = java_home / "release"
    text = ""
    if release.is_file():
        with contextlib.suppress(OSError):
            text = release.read_text(encoding="utf-8", errors="replace")
    match = re.search(r'^JAVA_VERSION="?([0-9][^"\s]*)', text, re.MULTILINE)
    if match:
        parts = match.group(1).split(".")
    else:
        try:
            out = subprocess.run(
                [str(java), "-version"], capture_output=True, text=True, timeout=30, check=False
            ).stderr
        except (OSError, subprocess.TimeoutExpired):
            return None
        found = _VERSION_RE.search(out)
        if not found:
            return None
        parts = [found.group(1), found.group(2) or "0"]
    try:
        first = int(re.sub(r"\D.*", "", parts[0]))
        # "1.8.0_402" is Java 8.
        return int(re.sub(r"\D.*", "", parts[1])) if first == 1 and len(parts) > 1 else first
    except (ValueError, IndexError):
        return None


def find_java_home(
    requirement: JavaRequirement,
    *,
    configured: Path | None = None,
    java_home_env: str | None = None,
    jvm_dir: Path = Path("/usr/lib/jvm"),
) -> Path:
    """Choose the JDK to run Neo4j with.

    ``configured`` (settings.neo4j_java_home) wins, and must be new enough. Then
    ``JAVA_HOME`` when its major is within what the Neo4j version supports. Then the
    newest JDK under ``jvm_dir`` within that range and, failing that, the newest one
    that is at least the minimum (a newer Java than Neo4j names usually works).
    """
    if configured is not None:
        major = java_major_version(configured)
        if major is None:
            raise ConfigurationError(f"neo4j_java_home: {configured} is not a JDK (no bin/java)")
        if major < requirement.minimum:
            raise ConfigurationError(
                f"neo4j_java_home: {configured} is Java {major}; this Neo4j needs Java {requirement.minimum}+"
            )
        return configured
    if java_home_env:
        env_home = Path(java_home_env)
        major = java_major_version(env_home)
        if major is not None and requirement.minimum <= major <= requirement.newest:
            return env_home
    found: dict[Path, int] = {}
    if jvm_dir.is_dir():
        for candidate in sorted(jvm_dir.iterdir()):
            real = candidate.resolve()
            if real in found or not real.is_dir():
                continue
            major = java_major_version(real)
            if major is not None:
                found[real] = major
    in_range = [(m, p) for p, m in found.items() if requirement.minimum <= m <= requirement.newest]
    newer = [(m, p) for p, m in found.items() if m >= requirement.minimum]
    for pool in (in_range, newer):
        if pool:
            return max(pool, key=lambda mp: (mp[0], str(mp[1])))[1]
    seen = ", ".join(f"{p} (Java {m})" for p, m in sorted(found.items())) or "none"
    raise Neo4jServerError(
        f"no JDK {requirement.minimum}+ found for Neo4j (looked at JAVA_HOME and {jvm_dir}: {seen}); "
        f"install one (e.g. apt-get install openjdk-{requirement.minimum}-jdk-headless) "
        "or set KGCRM_NEO4J_JAVA_HOME"
    )


# --------------------------------------------------------------------------------------
# the server
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerStatus:
    """What ``kgcrm neo4j status`` shows."""

    installed: bool
    running: bool
    pid: int | None
    version: str
    bolt_uri: str
    browser_url: str


@dataclass(frozen=True)
class LocalNeo4jServer:
    """A Neo4j Community server kgcrm installs from Maven Central and runs itself.

    The constructor does no I/O; :meth:`start` does everything needed (install,
    configure, first password, launch, wait until ready) and is a no-op when the
    server already runs. Start and stop hold a lock file, so two processes (two test
    sessions, a CLI and the API) do not launch two servers on the same data. The
    server's state lives in ``<data_dir>/neo4j`` (the parent of the password file).
    """

    settings: Settings

    # --- paths -------------------------------------------------------------------------
    @property
    def home(self) -> Path:
        return self.settings.neo4j_home

    @property
    def apoc_version(self) -> str:
        return self.settings.apoc_version or self.settings.neo4j_version

    @property
    def state_dir(self) -> Path:
        """``<data_dir>/neo4j``: data, logs, conf and password, kept out of the cache."""
        return self.settings.neo4j_password_file.parent

    @property
    def conf_dir(self) -> Path:
        return self.state_dir / "conf"

    @property
    def conf_file(self) -> Path:
        return self.conf_dir / "neo4j.conf"

    @property
    def logs_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def db_data_dir(self) -> Path:
        return self.state_dir / "data"

    @property
    def run_dir(self) -> Path:
        return self.state_dir / "run"

    @property
    def pid_file(self) -> Path:
        return self.run_dir / PID_FILE

    @property
    def console_log(self) -> Path:
        return self.logs_dir / CONSOLE_LOG

    @property
    def password_file(self) -> Path:
        return self.settings.neo4j_password_file

    @property
    def bolt_uri(self) -> str:
        return f"bolt://{_url_host(self.settings.neo4j_host)}:{self.settings.neo4j_bolt_port}"

    @property
    def browser_url(self) -> str:
        return f"http://{_url_host(self.settings.neo4j_host)}:{self.settings.neo4j_http_port}/browser/"

    # --- install -----------------------------------------------------------------------
    def _wanted_install(self) -> dict[str, str]:
        return {
            "neo4j": self.settings.neo4j_version,
            "apoc": self.apoc_version,
            "browser": self.settings.browser_version,
        }

    def is_installed(self) -> bool:
        """True when the home holds the jars of exactly the configured versions."""
        marker = self.home / INSTALL_MARKER
        try:
            recorded = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return recorded == self._wanted_install() and self._neo4j_jar().is_file()

    def _neo4j_jar(self) -> Path:
        return self.home / "lib" / f"neo4j-{self.settings.neo4j_version}.jar"

    def install(self) -> Path:
        """Lay out the Neo4j home from Maven Central (cached in ~/.m2); skip when done.

        Maven writes into a scratch directory next to the home, which is renamed into
        place only once complete, with a marker naming the versions: an interrupted
        install never looks finished, and a version change triggers a new one.
        """
        if self.is_installed():
            return self.home
        self.home.parent.mkdir(parents=True, exist_ok=True)
        # One install at a time per home: two data dirs (a test session, the CLI) share it.
        with _flock(self.home.parent / f".{self.home.name}.install-lock"):
            if not self.is_installed():
                self._install_now()
        return self.home

    def _install_now(self) -> None:
        mvn = shutil.which("mvn")
        if mvn is None:
            raise Neo4jServerError("Maven ('mvn') is needed to install Neo4j: apt-get install maven")
        wanted = self._wanted_install()
        scratch = Path(tempfile.mkdtemp(prefix=f".{self.home.name}-", dir=self.home.parent))
        command = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(POM_PATH),
            "dependency:copy-dependencies@lib",
            "dependency:copy-dependencies@plugins",
            f"-Dneo4j.home={scratch}",
            f"-Dneo4j.version={wanted['neo4j']}",
            f"-Dapoc.version={wanted['apoc']}",
            f"-Dbrowser.version={wanted['browser']}",
        ]
        log.info("installing Neo4j %s (APOC %s, Browser %s) into %s", *wanted.values(), self.home)
        started = time.monotonic()
        try:
            result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=1800)
            if result.returncode != 0:
                output = [line for line in (result.stdout + result.stderr).splitlines() if _useful_mvn(line)]
                raise Neo4jServerError(
                    f"installing Neo4j {wanted['neo4j']} / APOC {wanted['apoc']} / "
                    f"Browser {wanted['browser']} from Maven Central failed "
                    "(check neo4j_version, apoc_version, browser_version):\n" + "\n".join(output[-20:])
                )
            (scratch / INSTALL_MARKER).write_text(json.dumps(wanted, indent=2) + "\n", encoding="utf-8")
            if self.home.exists():
                shutil.rmtree(self.home)
            scratch.rename(self.home)
        except subprocess.TimeoutExpired as exc:
            raise Neo4jServerError("installing Neo4j from Maven Central timed out") from exc
        finally:
            if scratch.exists():
                shutil.rmtree(scratch, ignore_errors=True)
        if not self._neo4j_jar().is_file():
            raise Neo4jServerError(f"Neo4j install in {self.home} has no {self._neo4j_jar().name}")
        log.info("installed Neo4j in %.1f s", time.monotonic() - started)

    # --- configure ---------------------------------------------------------------------
    def configure(self) -> Path:
        """Write ``neo4j.conf`` (kgcrm owns it: rewritten on every start).

        Listens on ``settings.neo4j_host`` only (loopback by default), HTTPS off, auth
        on, small memory and transaction-log retention for a development machine, and
        APOC's procedures unrestricted (some of them need internal APIs).
        """
        s = self.settings
        self._make_state_dirs()
        host = s.neo4j_host
        bolt = f"{_url_host(host)}:{s.neo4j_bolt_port}"
        http = f"{_url_host(host)}:{s.neo4j_http_port}"
        lines = [
            "# Written by kgcrm (graph/server.py) on every start: edits here are overwritten.",
            f"# Neo4j {s.neo4j_version}, APOC {self.apoc_version}, Browser {s.browser_version}",
            "",
            f"server.directories.data={self.db_data_dir}",
            f"server.directories.logs={self.logs_dir}",
            f"server.directories.run={self.run_dir}",
            f"server.directories.import={self.state_dir / 'import'}",
            f"server.directories.plugins={self.home / 'plugins'}",
            f"server.directories.lib={self.home / 'lib'}",
            "",
            f"server.default_listen_address={host}",
            f"server.default_advertised_address={host}",
            "server.bolt.enabled=true",
            f"server.bolt.listen_address={bolt}",
            f"server.bolt.advertised_address={bolt}",
            "server.http.enabled=true",
            f"server.http.listen_address={http}",
            f"server.http.advertised_address={http}",
            "server.https.enabled=false",
            "",
            "dbms.security.auth_enabled=true",
            "dbms.security.procedures.unrestricted=apoc.*",
            "dbms.usage_report.enabled=false",
            "",
            *self._browser_lines(),
            "",
            f"server.memory.heap.initial_size={s.neo4j_heap}",
            f"server.memory.heap.max_size={s.neo4j_heap}",
            f"server.memory.pagecache.size={s.neo4j_pagecache}",
            "db.tx_log.rotation.size=64M",
            "db.tx_log.rotation.retention_policy=2 files",
            "",
        ]
        if self._declares_setting(_BOLT_SHUTDOWN_WAIT[0]):
            # Neo4j waits 5 s per Bolt connector (two of them) for its idle worker threads
            # on shutdown: 10 s of every stop spent doing nothing.
            lines += ["# stop in ~1 s instead of ~11 s", "=".join(_BOLT_SHUTDOWN_WAIT), ""]
        self.conf_file.write_text("\n".join(lines), encoding="utf-8")
        return self.conf_file

    def _browser_lines(self) -> list[str]:
        """Neo4j Browser: guides only from kgcrm's loopback guide server, no telemetry.

        Browser loads a remote guide (``:play <url>``) or style (``:style <url>``) only from
        a host of this list (host names, no ports or paths). The setting keeps its old name
        in Neo4j 5.26 and 2026.09 (their ServerSettings declare
        ``browser.remote_content_hostname_whitelist``; "allowlist" is only the docs' word).
        """
        hosts = dict.fromkeys([self.settings.browser_guide_host.strip("[]"), "127.0.0.1", "localhost"])
        return [
            f"{BROWSER_ALLOWLIST_SETTING}={','.join(hosts)}",
            "client.allow_telemetry=false",
        ]

    def _declares_setting(self, name: str) -> bool:
        """True when this Neo4j knows the (internal) setting ``name``.

        Strict config validation makes an unknown setting fatal, so an internal
        setting is only written after checking that the installed jars declare it.
        """
        jar = self.home / "lib" / f"neo4j-configuration-{self.settings.neo4j_version}.jar"
        try:
            with zipfile.ZipFile(jar) as archive:
                return any(
                    name.encode() in archive.read(info)
                    for info in archive.infolist()
                    if info.filename.startswith("org/neo4j/configuration/connectors/")
                )
        except (OSError, zipfile.BadZipFile):
            return False

    def _make_state_dirs(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir.chmod(0o700)
        for sub in (self.conf_dir, self.logs_dir, self.db_data_dir, self.run_dir, self.state_dir / "import"):
            sub.mkdir(exist_ok=True)

    # --- password ----------------------------------------------------------------------
    def password(self) -> str:
        """The stored password of the ``neo4j`` user."""
        try:
            value = self.password_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise Neo4jServerError(
                f"the local Neo4j has no password yet ({self.password_file} is missing): "
                + "run `kgcrm neo4j start` first"
            ) from None
        if not value:
            raise Neo4jServerError(f"{self.password_file} is empty")
        return value

    def _ensure_password(self, java: Path) -> None:
        """Give the ``neo4j`` user its password before the very first start.

        Neo4j takes an initial password only while the system database does not exist
        yet; later starts just reuse the stored one. A store without a password file is
        unusable (nobody knows the password), which is reported rather than papered over.
        """
        first_start = not (self.db_data_dir / "databases" / "system").exists()
        if not first_start:
            if not self.password_file.exists():
                raise Neo4jServerError(
                    f"the Neo4j store in {self.db_data_dir} exists but its password file "
                    f"{self.password_file} is missing: restore the file, or remove {self.db_data_dir} "
                    "to start with an empty graph"
                )
            return
        if not self.password_file.exists():
            write_private(self.password_file, _generate_password())
            log.info("generated a password for the local Neo4j in %s", self.password_file)
        self.password_file.chmod(0o600)
        fd, argfile = tempfile.mkstemp(prefix=".initial-password-", dir=self.state_dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(self.password())
            result = subprocess.run(
                [
                    str(java / "bin" / "java"),
                    "-cp",
                    str(self.home / "lib" / "*"),
                    "-Xmx256m",
                    *[opt for opt in JVM_OPTIONS if opt.startswith("--add-opens")],
                    ADMIN_TOOL,
                    "dbms",
                    "set-initial-password",
                    f"@{argfile}",  # picocli reads the argument from the file
                ],
                env=self._child_env(java),
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
        finally:
            Path(argfile).unlink(missing_ok=True)
        if result.returncode != 0:
            raise Neo4jServerError(
                "setting the initial Neo4j password failed:\n" + _tail_text(result.stdout + result.stderr)
            )

    # --- process -----------------------------------------------------------------------
    def _child_env(self, java: Path) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            JAVA_HOME=str(java),
            NEO4J_HOME=str(self.home),
            NEO4J_CONF=str(self.conf_dir),
        )
        # JAVA_OPTS/HEAP_SIZE drive Neo4j's launcher script, which is not used here.
        for name in ("JAVA_OPTS", "HEAP_SIZE", "JAVA_TOOL_OPTIONS"):
            env.pop(name, None)
        return env

    def _read_pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None

    def _running_pid(self) -> int | None:
        """The pid of this server's JVM, or None (a stale pid file is not a server)."""
        pid = self._read_pid()
        if pid is None or not _alive(pid):
            return None
        cmdline = _cmdline(pid)
        ours = cmdline is None or (str(self.conf_dir) in cmdline and any(e in cmdline for e in ENTRY_POINTS))
        if not ours:
            return None  # the pid was reused by another process
        return pid

    def is_running(self) -> bool:
        return self._running_pid() is not None

    def _entry_point(self) -> str:
        try:
            with zipfile.ZipFile(self._neo4j_jar()) as jar:
                names = set(jar.namelist())
        except (OSError, zipfile.BadZipFile) as exc:
            raise Neo4jServerError(f"cannot read {self._neo4j_jar()}: {exc}") from exc
        for entry in ENTRY_POINTS:
            if entry.replace(".", "/") + ".class" in names:
                return entry
        raise Neo4jServerError(
            f"{self._neo4j_jar().name} has no server entry point (looked for {', '.join(ENTRY_POINTS)})"
        )

    def java_home(self) -> Path:
        return find_java_home(
            java_requirement(self.settings.neo4j_version),
            configured=self.settings.neo4j_java_home,
            java_home_env=os.environ.get("JAVA_HOME"),
        )

    def start(self, timeout_s: float = 180.0) -> ServerStatus:
        """Install, configure and launch the server; return once it is ready.

        Ready: Bolt accepts the stored credentials and HTTP (the Browser) answers. A
        no-op (beyond that readiness check) when the server already runs. Raises
        :class:`Neo4jServerError` with the end of the server's log when the JVM dies
        or is not ready within ``timeout_s`` (the JVM is then stopped).
        """
        with self._lock():
            if self.is_running():
                self._wait_until_ready(timeout_s)
                return self.status()
            java = self.java_home()
            self.install()
            self.configure()
            self._check_ports_free()
            self._ensure_password(java)
            entry = self._entry_point()
            home = self.home
            classpath = os.pathsep.join(
                [str(home / "plugins" / "*"), str(self.conf_dir / "*"), str(home / "lib" / "*")]
            )
            command = [
                str(java / "bin" / "java"),
                "-cp",
                classpath,
                *JVM_OPTIONS,
                f"-Xms{self.settings.neo4j_heap}",
                f"-Xmx{self.settings.neo4j_heap}",
                entry,
                f"--home-dir={home}",
                f"--config-dir={self.conf_dir}",
            ]
            log.info("starting Neo4j %s with %s", self.settings.neo4j_version, java)
            with self.console_log.open("a", encoding="utf-8") as console:
                console.write(f"\n--- kgcrm: starting Neo4j at {time.ctime()} ---\n")
            pid = self._launch_detached(command, java)
            self.pid_file.write_text(f"{pid}\n", encoding="utf-8")
            try:
                self._wait_until_ready(timeout_s)
            except Neo4jServerError:
                self._terminate(pid, timeout_s=30)
                raise
            return self.status()

    def _launch_detached(self, command: list[str], java: Path) -> int:
        """Run ``command`` in the background, detached from this process; return its pid.

        A shell starts the JVM as a background job and exits at once, so the JVM is
        nobody's child here: it outlives this process (the CLI returns, a test session
        leaves a shared server running) without a zombie or a dangling ``Popen``. The
        new session keeps Ctrl-C in the starting terminal away from it.
        """
        script = 'log="$1"; shift; "$@" </dev/null >>"$log" 2>&1 & echo $!'
        try:
            result = subprocess.run(
                ["/bin/sh", "-c", script, "sh", str(self.console_log), *command],
                cwd=self.state_dir,
                env=self._child_env(java),
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
                start_new_session=True,
            )
            return int(result.stdout.strip())
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            raise Neo4jServerError(f"could not launch Neo4j: {exc}") from exc

    def _wait_until_ready(self, timeout_s: float) -> None:
        """Poll until Bolt accepts the stored credentials and HTTP answers.

        Bolt comes up a moment before the HTTP connector (and the Browser), and Neo4j
        logs "Started." only after both: waiting for both is what "running" means.
        Raises when the JVM dies or time runs out.
        """
        import neo4j  # local: the driver is only needed here
        from neo4j.exceptions import AuthError, ServiceUnavailable, SessionExpired

        deadline = time.monotonic() + timeout_s
        auth = (USER, self.password())
        bolt_ok = False
        discovery = self.browser_url.removesuffix("browser/")
        while True:
            if not self.is_running():
                self.pid_file.unlink(missing_ok=True)
                raise Neo4jServerError("Neo4j stopped while starting:\n" + self.log_tail())
            try:
                if not bolt_ok:
                    with neo4j.GraphDatabase.driver(self.bolt_uri, auth=auth, connection_timeout=5) as driver:
                        driver.verify_connectivity()
                    bolt_ok = True
                with urllib.request.urlopen(discovery, timeout=5) as response:  # noqa: S310 (our own URL)
                    if response.status == 200:
                        return
            except AuthError as exc:
                raise Neo4jServerError(
                    f"Neo4j refused the password in {self.password_file}: the store in {self.db_data_dir} "
                    "was created with another one"
                ) from exc
            except (ServiceUnavailable, SessionExpired, OSError):  # URLError is an OSError
                pass
            if time.monotonic() > deadline:
                what = "HTTP" if bolt_ok else "Bolt"
                message = f"Neo4j's {what} did not answer within {timeout_s:.0f} s"
                raise Neo4jServerError(f"{message}:\n{self.log_tail()}")
            time.sleep(0.5)

    def _check_ports_free(self) -> None:
        for port, what in ((self.settings.neo4j_bolt_port, "Bolt"), (self.settings.neo4j_http_port, "HTTP")):
            with socket.socket(_family(self.settings.neo4j_host), socket.SOCK_STREAM) as probe:
                probe.settimeout(1.0)
                if probe.connect_ex((self.settings.neo4j_host, port)) == 0:
                    raise Neo4jServerError(
                        f"the {what} port {self.settings.neo4j_host}:{port} is already in use "
                        "(another Neo4j?): stop it or choose another port in the settings"
                    )

    def stop(self, timeout_s: float = 60.0) -> bool:
        """Stop the server: SIGTERM (Neo4j checkpoints and exits), SIGKILL as a last resort.

        Returns whether a server was running.
        """
        with self._lock():
            pid = self._running_pid()
            if pid is None:
                self.pid_file.unlink(missing_ok=True)
                return False
            self._terminate(pid, timeout_s)
            return True

    def _terminate(self, pid: int, timeout_s: float) -> None:
        log.info("stopping Neo4j (pid %d)", pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        if not self._wait_exit(pid, timeout_s):
            log.warning("Neo4j (pid %d) did not stop within %.0f s: killing it", pid, timeout_s)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            if not self._wait_exit(pid, 30):
                raise Neo4jServerError(f"Neo4j (pid {pid}) survived SIGKILL")
        self.pid_file.unlink(missing_ok=True)

    def _wait_exit(self, pid: int, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not _alive(pid):
                return True
            time.sleep(0.2)
        return False

    # --- status ------------------------------------------------------------------------
    def status(self) -> ServerStatus:
        pid = self._running_pid()
        return ServerStatus(
            installed=self.is_installed(),
            running=pid is not None,
            pid=pid,
            version=self.settings.neo4j_version,
            bolt_uri=self.bolt_uri,
            browser_url=self.browser_url,
        )

    def log_tail(self, lines: int = 40) -> str:
        """The end of the console log and of neo4j.log: what to show when a start fails."""
        parts = []
        for path in (self.console_log, self.logs_dir / "neo4j.log"):
            if path.is_file():
                parts.append(f"==> {path} <==\n{_tail_file(path, lines)}")
        return "\n".join(parts) or "(no log written)"

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """Serialise start and stop on this data dir across processes."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir.chmod(0o700)
        with _flock(self.state_dir / ".lock"):
            yield


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


@contextlib.contextmanager
def _flock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if needed)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _generate_password() -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(_PASSWORD_LENGTH))


def write_private(path: Path, content: str) -> None:
    """Write ``content`` to ``path`` with mode 0600 from the first byte on, in a 0700 dir."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _alive(pid: int) -> bool:
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


def _cmdline(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None


_MVN_BOILERPLATE = ("-e switch", "-X switch", "[Help 1]", "For more information about the errors")


def _useful_mvn(line: str) -> bool:
    text = line.removeprefix("[ERROR]").strip()
    return bool(text) and not any(b in text for b in _MVN_BOILERPLATE)


def _tail_file(path: Path, lines: int) -> str:
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - 64 * 1024))
        return _tail_text(handle.read().decode(errors="replace"), lines)


def _tail_text(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
