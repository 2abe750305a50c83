"""The composition root (``kgcrm.services``) builds what the settings say, for commands and servers alike.

No server is needed: building connects to nothing (the settings point at a closed port).
"""

from __future__ import annotations

import socket

from pydantic import SecretStr

from kgcrm.core.settings import Settings
from kgcrm.services import build_services, graph_driver, graph_gateway


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def settings(tmp_path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "data_dir": tmp_path,
        "database_url": f"sqlite:///{tmp_path / 'crm.sqlite3'}",
        "neo4j_uri": f"bolt://127.0.0.1:{closed_port()}",
        "neo4j_password": SecretStr("not-a-real-password"),
        "neo4j_database": "crm",
        "neo4j_query_timeout_s": 12.5,
        "neo4j_retry_s": 7.0,
        "api_neo4j_retry_s": 2.0,
        "api_cache_entries": 16,
        "api_cache_max_age_s": 3.0,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


def retry_time(driver) -> float:
    # The driver has no public view of its configuration.
    return float(driver._default_workspace_config.max_transaction_retry_time)


def test_a_command_waits_neo4j_retry_s_and_a_server_api_neo4j_retry_s(tmp_path):
    configured = settings(tmp_path)
    command, server = graph_driver(configured), graph_driver(configured, server=True)
    try:
        assert (retry_time(command), retry_time(server)) == (7.0, 2.0)
    finally:
        command.close()
        server.close()


def test_a_commands_gateway_has_the_settings_database_and_timeout(tmp_path):
    with graph_gateway(settings(tmp_path)) as gateway:
        assert (gateway.database, gateway.timeout_s, retry_time(gateway.driver)) == ("crm", 12.5, 7.0)


def test_a_servers_services_honour_the_settings(tmp_path):
    services = build_services(settings(tmp_path), load_embeddings=False, chat_from_settings=False)
    try:
        gateway = services.gateway
        assert (gateway.database, gateway.timeout_s, retry_time(gateway.driver)) == ("crm", 12.5, 2.0)
        assert services.cache is not None
        assert (services.cache.max_entries, services.cache.max_age_s) == (16, 3.0)
        assert services.engine.url.database == str(tmp_path / "crm.sqlite3")
        assert services.stack.search.embed is None and services.embedding_model is None
    finally:
        services.close()


def test_no_cache_when_the_settings_turn_it_off(tmp_path):
    services = build_services(settings(tmp_path, api_cache_entries=0), load_embeddings=False, chat_from_settings=False)
    try:
        assert services.cache is None
    finally:
        services.close()
