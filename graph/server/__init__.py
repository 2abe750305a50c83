"""The local Neo4j server kgcrm runs for itself when no ``NEO4J_URI`` is given.

- :mod:`kgcrm.graph.server.server`: :class:`LocalNeo4jServer` (install, configure, start, stop)
  and :func:`neo4j_credentials`, the Neo4j kgcrm should talk to;
- :mod:`kgcrm.graph.server.credentials`: the ``neo4j`` user's generated password, stored mode 0600;
- :mod:`kgcrm.graph.server.java`: which JDK runs Neo4j;
- :mod:`kgcrm.graph.server.process`: pid files, detached launch, readiness, stop, loopback hosts
  (shared with the Browser guide server).

:class:`~kgcrm.graph.credentials.Neo4jCredentials` lives in :mod:`kgcrm.graph.credentials`, so that the
gateway needs none of this.
"""

from kgcrm.graph.credentials import Neo4jCredentials
from kgcrm.graph.server.credentials import USER, write_private
from kgcrm.graph.server.java import JavaRequirement, find_java_home, java_major_version, java_requirement
from kgcrm.graph.server.server import (
    ADMIN_TOOL,
    BROWSER_ALLOWLIST_SETTING,
    CONSOLE_LOG,
    ENTRY_POINTS,
    INSTALL_MARKER,
    JVM_OPTIONS,
    PID_FILE,
    POM_PATH,
    LocalNeo4jServer,
    ServerStatus,
    neo4j_credentials,
)

__all__ = [
    "ADMIN_TOOL",
    "BROWSER_ALLOWLIST_SETTING",
    "CONSOLE_LOG",
    "ENTRY_POINTS",
    "INSTALL_MARKER",
    "JVM_OPTIONS",
    "PID_FILE",
    "POM_PATH",
    "USER",
    "JavaRequirement",
    "LocalNeo4jServer",
    "Neo4jCredentials",
    "ServerStatus",
    "find_java_home",
    "java_major_version",
    "java_requirement",
    "neo4j_credentials",
    "write_private",
]
