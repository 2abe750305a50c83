"""Which JDK runs Neo4j: the Java majors a Neo4j version supports, and finding one on this machine."""

from __future__ import annotations

import contextlib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kgcrm.core.errors import ConfigurationError, Neo4jServerError


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
