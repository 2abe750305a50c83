"""A scratch local Neo4j for the tests and the benchmarks: never the user's graph.

It has its own data directory (``<user cache>/kgcrm/test-neo4j-data/<version>``, stable so that a
server left running is reused: starting one costs ~10 s), its own ports (17687/17474 unless
``KGCRM_TEST_NEO4J_BOLT_PORT``/``KGCRM_TEST_NEO4J_HTTP_PORT`` move it, so that several checkouts on
one machine each have their own) and little memory. The jars are shared with the user's server.
"""

from __future__ import annotations

import os

from kgcrm.core.settings import Settings, default_cache_dir

DEFAULT_BOLT_PORT = 17687
DEFAULT_HTTP_PORT = 17474


def scratch_ports() -> tuple[int, int]:
    """The scratch server's (bolt, http) ports."""
    return (
        int(os.environ.get("KGCRM_TEST_NEO4J_BOLT_PORT", str(DEFAULT_BOLT_PORT))),
        int(os.environ.get("KGCRM_TEST_NEO4J_HTTP_PORT", str(DEFAULT_HTTP_PORT))),
    )


def scratch_server_settings(**overrides: object) -> Settings:
    """Settings of the scratch server; ``overrides`` replace any value (``data_dir`` included).

    The Neo4j, APOC and Browser versions are kgcrm's defaults (or KGCRM_NEO4J_VERSION …, as for a
    real run). The data dir is per Neo4j version (a newer Neo4j upgrades a store in place and an
    older one cannot open it again) and per port when the ports were moved.
    """
    bolt, http = scratch_ports()
    values: dict[str, object] = {
        "environment": "test",
        "neo4j_uri": None,
        "neo4j_host": "127.0.0.1",
        "neo4j_bolt_port": bolt,
        "neo4j_http_port": http,
        "neo4j_heap": "512m",
        "neo4j_pagecache": "128m",
    }
    values.update(overrides)
    settings = Settings(**values)  # type: ignore[arg-type]
    if "data_dir" in overrides:
        return settings
    data_dir = default_cache_dir() / "test-neo4j-data" / settings.neo4j_version
    if bolt != DEFAULT_BOLT_PORT:
        data_dir = data_dir.with_name(f"{data_dir.name}-{bolt}")
    return settings.model_copy(update={"data_dir": data_dir})
