"""kgcrm's local Neo4j server: assembled from Maven Central, private, loopback-only, with APOC.

The tests marked ``neo4j`` talk to the real session server (tests/conftest.py); the
others check what needs no server (settings, JDK choice, the external-Neo4j path).
"""

from __future__ import annotations

import ipaddress
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import neo4j
import pytest
from neo4j.exceptions import AuthError
from pydantic import SecretStr
from typer.testing import CliRunner

from kgcrm.cli.graph import neo4j_app
from kgcrm.core.errors import ConfigurationError, Neo4jServerError
from kgcrm.core.settings import Settings
from kgcrm.graph.server import (
    JavaRequirement,
    LocalNeo4jServer,
    Neo4jCredentials,
    find_java_home,
    java_requirement,
    neo4j_credentials,
)

if TYPE_CHECKING:
    from tests.conftest import Neo4jTestServer

runner = CliRunner()


def _tmp_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "neo4j_uri": None,
        "data_dir": tmp_path / "data",
        "cache_dir": tmp_path / "cache",
        "neo4j_bolt_port": 27687,
        "neo4j_http_port": 27474,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


# --- the running server ---------------------------------------------------------------


@pytest.mark.neo4j
def test_server_answers_with_apoc(neo4j_driver: neo4j.Driver) -> None:
    records, _, _ = neo4j_driver.execute_query("RETURN apoc.version() AS version")

    assert isinstance(records[0]["version"], str)
    assert records[0]["version"]


@pytest.mark.neo4j
def test_browser_is_served(neo4j_test_server: Neo4jTestServer) -> None:
    if neo4j_test_server.http_url is None:
        pytest.skip("no HTTP URL known for this Neo4j (set NEO4J_HTTP_URL)")

    response = httpx.get(neo4j_test_server.http_url + "browser/", timeout=10)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Neo4j Browser" in response.text


@pytest.mark.neo4j
def test_wrong_password_is_refused(neo4j_credentials: Neo4jCredentials) -> None:
    # One attempt only: Neo4j locks the user out for a few seconds after three.
    wrong = (neo4j_credentials.user, neo4j_credentials.password.get_secret_value() + "-wrong")
    with neo4j.GraphDatabase.driver(neo4j_credentials.uri, auth=wrong) as driver, pytest.raises(AuthError):
        driver.verify_connectivity()


@pytest.mark.neo4j
def test_vector_and_fulltext_indexes_work(neo4j_driver: neo4j.Driver, clean_graph: None) -> None:
    run = neo4j_driver.execute_query
    run(
        "CREATE VECTOR INDEX test_server_vec IF NOT EXISTS FOR (n:TestServerDoc) ON n.embedding "
        "OPTIONS {indexConfig: {`vector.dimensions`: 3, `vector.similarity_function`: 'cosine'}}"
    )
    run("CREATE FULLTEXT INDEX test_server_ft IF NOT EXISTS FOR (n:TestServerDoc) ON EACH [n.text]")
    try:
        run("CALL db.awaitIndexes(60)")
        run(
            "UNWIND $rows AS row CREATE (:TestServerDoc {text: row.text, embedding: row.embedding})",
            rows=[
                {"text": "acme renewal call", "embedding": [1.0, 0.0, 0.0]},
                {"text": "globex invoice", "embedding": [0.0, 1.0, 0.0]},
            ],
        )

        vector_query = "CALL db.index.vector.queryNodes('test_server_vec', 1, $embedding)"
        fulltext_query = "CALL db.index.fulltext.queryNodes('test_server_ft', 'invoice')"
        nearest, _, _ = run(vector_query + " YIELD node RETURN node.text AS text", embedding=[0.9, 0.1, 0.0])
        found, _, _ = run(fulltext_query + " YIELD node RETURN node.text AS text")

        assert [r["text"] for r in nearest] == ["acme renewal call"]
        assert [r["text"] for r in found] == ["globex invoice"]
    finally:
        run("DROP INDEX test_server_vec IF EXISTS")
        run("DROP INDEX test_server_ft IF EXISTS")


# --- kgcrm's own local server -----------------------------------------------------------


@pytest.mark.neo4j
def test_password_file_is_private(local_neo4j_server: LocalNeo4jServer) -> None:
    password_file = local_neo4j_server.password_file

    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(password_file.parent.stat().st_mode) == 0o700


@pytest.mark.neo4j
def test_password_is_in_no_log_or_config(local_neo4j_server: LocalNeo4jServer) -> None:
    secret = local_neo4j_server.password().encode()
    files = [p for d in (local_neo4j_server.logs_dir, local_neo4j_server.conf_dir) for p in d.rglob("*")]

    assert [p for p in files if p.is_file() and secret in p.read_bytes()] == []


def _listening_addresses(port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Local addresses of the sockets listening on ``port``, read from /proc/net/tcp{,6}."""
    found = []
    for table, width in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 16)):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address_hex, port_hex = fields[1].split(":")
            if fields[3] != "0A" or int(port_hex, 16) != port:  # 0A: LISTEN
                continue
            # the kernel prints each 32-bit word in host (little-endian) order
            raw = bytes.fromhex(address_hex)
            words = b"".join(raw[i : i + 4][::-1] for i in range(0, width, 4))
            found.append(ipaddress.ip_address(words))
    return found


def _is_loopback(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


@pytest.mark.neo4j
def test_listens_on_loopback_only(local_neo4j_server: LocalNeo4jServer) -> None:
    settings = local_neo4j_server.settings
    conf = dict(
        line.split("=", 1)
        for line in local_neo4j_server.conf_file.read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert conf["server.default_listen_address"] == "127.0.0.1"
    assert conf["server.bolt.listen_address"] == f"127.0.0.1:{settings.neo4j_bolt_port}"
    assert conf["server.http.listen_address"] == f"127.0.0.1:{settings.neo4j_http_port}"
    assert conf["server.https.enabled"] == "false"
    assert conf["dbms.security.auth_enabled"] == "true"
    if not Path("/proc/net/tcp").exists():
        pytest.skip("no /proc/net/tcp to read the bound addresses from")
    for port in (settings.neo4j_bolt_port, settings.neo4j_http_port):
        addresses = _listening_addresses(port)
        assert addresses, f"nothing listens on port {port}"
        assert all(_is_loopback(a) for a in addresses), addresses


@pytest.mark.neo4j
def test_status_reports_running(local_neo4j_server: LocalNeo4jServer) -> None:
    status = local_neo4j_server.status()

    assert status.installed
    assert status.running
    assert status.pid is not None and status.pid > 0
    assert status.version == local_neo4j_server.settings.neo4j_version
    assert status.bolt_uri == f"bolt://127.0.0.1:{local_neo4j_server.settings.neo4j_bolt_port}"
    assert status.browser_url == f"http://127.0.0.1:{local_neo4j_server.settings.neo4j_http_port}/browser/"


@pytest.mark.neo4j
def test_start_when_running_changes_nothing(local_neo4j_server: LocalNeo4jServer) -> None:
    before = local_neo4j_server.status().pid

    after = local_neo4j_server.start(timeout_s=30)

    assert after.running and after.pid == before


@pytest.mark.neo4j
def test_http_discovery_advertises_our_bolt_port(local_neo4j_server: LocalNeo4jServer) -> None:
    # Browser connects to what discovery advertises: it must be our port, not 7687.
    discovery = httpx.get(local_neo4j_server.browser_url.removesuffix("browser/"), timeout=10).json()

    assert discovery["bolt_direct"] == local_neo4j_server.bolt_uri


@pytest.mark.neo4j
def test_credentials_of_the_local_server(local_neo4j_server: LocalNeo4jServer) -> None:
    credentials = neo4j_credentials(local_neo4j_server.settings)

    assert credentials.uri == local_neo4j_server.bolt_uri
    assert credentials.user == "neo4j"
    assert credentials.password.get_secret_value() == local_neo4j_server.password()
    assert local_neo4j_server.password() not in repr(credentials)
    with neo4j.GraphDatabase.driver(credentials.uri, auth=credentials.auth) as driver:
        driver.verify_connectivity()


@pytest.mark.neo4j
def test_cli_status_and_browser(local_neo4j_server: LocalNeo4jServer) -> None:
    settings = local_neo4j_server.settings
    secret = local_neo4j_server.password()

    status = runner.invoke(neo4j_app, ["status"], obj=settings)
    hint = runner.invoke(neo4j_app, ["browser"], obj=settings)
    shown = runner.invoke(neo4j_app, ["browser", "--show-password"], obj=settings)

    assert status.exit_code == 0, status.output
    assert local_neo4j_server.bolt_uri in status.output
    assert hint.exit_code == 0, hint.output
    assert local_neo4j_server.browser_url in hint.output
    assert str(settings.neo4j_password_file) in hint.output
    assert secret not in hint.output
    assert shown.exit_code == 0, shown.output
    assert secret in shown.output


# --- no server needed --------------------------------------------------------------------


def test_constructor_and_status_do_not_write(tmp_path: Path) -> None:
    settings = _tmp_settings(tmp_path)

    server = LocalNeo4jServer(settings)
    status = server.status()

    assert not status.installed and not status.running and status.pid is None
    assert list(tmp_path.iterdir()) == []


def test_cli_status_exits_non_zero_when_not_running(tmp_path: Path) -> None:
    result = runner.invoke(neo4j_app, ["status"], obj=_tmp_settings(tmp_path))

    assert result.exit_code == 1


def test_password_before_first_start_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(Neo4jServerError, match="kgcrm neo4j start"):
        LocalNeo4jServer(_tmp_settings(tmp_path)).password()


def test_configure_listens_on_the_configured_host_only(tmp_path: Path) -> None:
    server = LocalNeo4jServer(_tmp_settings(tmp_path, neo4j_heap="300m", neo4j_pagecache="100m"))

    text = server.configure().read_text()

    assert "server.default_listen_address=127.0.0.1\n" in text
    assert "server.bolt.listen_address=127.0.0.1:27687\n" in text
    assert "server.http.listen_address=127.0.0.1:27474\n" in text
    assert "server.https.enabled=false\n" in text
    assert "dbms.security.auth_enabled=true\n" in text
    assert "server.memory.heap.max_size=300m\n" in text
    assert "server.memory.pagecache.size=100m\n" in text
    assert f"server.directories.data={tmp_path / 'data' / 'neo4j' / 'data'}\n" in text
    assert stat.S_IMODE(server.state_dir.stat().st_mode) == 0o700


def test_external_neo4j_credentials_touch_nothing(tmp_path: Path) -> None:
    settings = _tmp_settings(tmp_path, neo4j_uri="bolt://graph.example:7687", neo4j_password="s3cret-value")

    credentials = neo4j_credentials(settings, ensure_running=True)

    assert credentials.uri == "bolt://graph.example:7687"
    assert credentials.auth == ("neo4j", "s3cret-value")
    assert "s3cret-value" not in repr(credentials)
    assert list(tmp_path.iterdir()) == []


def test_external_neo4j_without_password_is_a_configuration_error(tmp_path: Path) -> None:
    settings = _tmp_settings(tmp_path, neo4j_uri="bolt://graph.example:7687", neo4j_password=None)

    with pytest.raises(ConfigurationError, match="NEO4J_PASSWORD"):
        neo4j_credentials(settings)


def test_cli_start_and_stop_leave_an_external_neo4j_alone(tmp_path: Path) -> None:
    settings = _tmp_settings(tmp_path, neo4j_uri="bolt://graph.example:7687", neo4j_password="x" * 12)

    for command in ("start", "stop"):
        result = runner.invoke(neo4j_app, [command], obj=settings)
        assert result.exit_code == 0, result.output
        assert "external Neo4j" in result.output
    assert list(tmp_path.iterdir()) == []


def test_credentials_repr_hides_the_password() -> None:
    credentials = Neo4jCredentials("bolt://x:1", "neo4j", SecretStr("hunter2-hunter2"))

    assert "hunter2" not in repr(credentials)
    assert "hunter2" not in str(credentials)


def _fake_jdk(root: Path, name: str, version: str) -> Path:
    home = root / name
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text("#!/bin/sh\nexit 1\n")
    java.chmod(0o755)
    (home / "release").write_text(f'JAVA_VERSION="{version}"\n')
    return home


def test_java_requirement_by_neo4j_line() -> None:
    assert java_requirement("5.26.31") == JavaRequirement(minimum=17, newest=21)
    assert java_requirement("2026.09.0") == JavaRequirement(minimum=21, newest=25)
    with pytest.raises(ConfigurationError):
        java_requirement("4.4.40")


def test_java_home_choice(tmp_path: Path) -> None:
    jvm = tmp_path / "jvm"
    jdk11 = _fake_jdk(jvm, "jdk-11", "11.0.2")
    jdk17 = _fake_jdk(jvm, "java-17", "17.0.15")
    jdk25 = _fake_jdk(jvm, "temurin-25", "25.0.1")
    os.symlink(jdk17, jvm / "java-1.17.0")  # Debian's alias: the same JDK twice
    five, calendar = java_requirement("5.26.31"), java_requirement("2026.09.0")

    # the newest JDK the line supports; a newer one only when nothing else fits
    assert find_java_home(five, jvm_dir=jvm) == jdk17
    assert find_java_home(calendar, jvm_dir=jvm) == jdk25
    # JAVA_HOME when it fits, else it is passed over
    assert find_java_home(five, java_home_env=str(jdk17), jvm_dir=jvm) == jdk17
    assert find_java_home(calendar, java_home_env=str(jdk17), jvm_dir=jvm) == jdk25
    # an explicit setting wins, but must be new enough
    assert find_java_home(five, configured=jdk25, jvm_dir=jvm) == jdk25
    with pytest.raises(ConfigurationError, match="Java 11"):
        find_java_home(five, configured=jdk11, jvm_dir=jvm)
    with pytest.raises(Neo4jServerError, match="no JDK 21"):
        find_java_home(calendar, jvm_dir=tmp_path / "empty")
