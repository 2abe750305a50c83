"""Chat models: optional, pluggable, and never called by the tests.

kgcrm needs an LLM only for text-to-Cypher (``retrieval/text2cypher.py``). A model
is anything with ``complete(system, user) -> str`` (:class:`ChatModel`):

- :class:`OpenAICompatible`: a plain HTTP ``POST /v1/chat/completions``; serves
  OpenAI, Ollama's OpenAI-compatible endpoint and llama.cpp's ``llama-server``.
- :class:`ScriptedChatModel`: a test double that returns scripted answers and
  records what it was asked.
- :class:`LlamaIndexChatModel`: any LlamaIndex ``LLM`` as a :class:`ChatModel`;
  :class:`ChatModelLLM` the other way round (a :class:`ChatModel` as a LlamaIndex
  ``CustomLLM``).

:func:`chat_model_from_settings` builds the configured one, or returns ``None``
when no LLM is configured (``KGCRM_LLM_BASE_URL`` and ``KGCRM_LLM_MODEL`` unset).
The API key is a ``SecretStr``: it is sent in the ``Authorization`` header and
never logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

import httpx
from llama_index.core.base.llms.types import (
    ChatMessage,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms import LLM, CustomLLM
from llama_index.core.llms.callbacks import llm_completion_callback
from pydantic import Field, SecretStr

from kgcrm.core.errors import ConfigurationError, KgcrmError, ServiceError
from kgcrm.core.settings import Settings

log = logging.getLogger(__name__)


class LLMError(ServiceError):
    """The chat model could not be reached, refused the request, or answered nothing usable."""


@runtime_checkable
class ChatModel(Protocol):
    """One system prompt and one user message in, the model's text out."""

    def complete(self, system: str, user: str) -> str: ...


def chat_model_from_settings(settings: Settings) -> ChatModel | None:
    """The configured chat model, or ``None`` when no LLM is configured.

    ``KGCRM_LLM_BASE_URL`` and ``KGCRM_LLM_MODEL`` (both or neither), ``KGCRM_LLM_API_KEY``.
    """
    base_url, model = settings.llm_base_url, settings.llm_model
    if not base_url and not model:
        return None
    if not base_url or not model:
        missing = "KGCRM_LLM_BASE_URL" if not base_url else "KGCRM_LLM_MODEL"
        raise ConfigurationError(
            f"LLM: {missing} is not set (set both KGCRM_LLM_BASE_URL and KGCRM_LLM_MODEL, or neither)"
        )
    return OpenAICompatible(base_url, model, settings.llm_api_key, timeout_s=settings.llm_timeout_s)


# --- an OpenAI-compatible HTTP endpoint ------------------------------------------------------


class OpenAICompatible:
    """``POST {base_url}/v1/chat/completions`` with temperature 0.

    ``base_url`` may end in ``/v1`` or not (``http://127.0.0.1:11434`` and
    ``http://127.0.0.1:11434/v1`` are the same). ``client`` is an optional shared
    ``httpx.Client`` (the caller closes it); without one, each call opens its own
    connection.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: SecretStr | str | None = None,
        *,
        timeout_s: float = 60.0,
        max_tokens: int = 1024,
        client: httpx.Client | None = None,
    ) -> None:
        root = base_url.rstrip("/")
        root = root.removesuffix("/v1")
        self.url = f"{root}/v1/chat/completions"
        self.model = model
        self._api_key = SecretStr(api_key) if isinstance(api_key, str) else api_key
        self.timeout_s = timeout_s
        self.max_tokens = max_tokens
        self._client = client

    def __repr__(self) -> str:  # never the key
        return f"OpenAICompatible(url={self.url!r}, model={self.model!r})"

    def complete(self, system: str, user: str) -> str:
        headers = {"Content-Type": "application/json"}
        if self._api_key is not None and self._api_key.get_secret_value():
            headers["Authorization"] = f"Bearer {self._api_key.get_secret_value()}"
        body = {
            "model": self.model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "temperature": 0,
            "max_tokens": self.max_tokens,
            "stream": False,
        }
        started = time.perf_counter()
        try:
            if self._client is not None:
                response = self._client.post(self.url, json=body, headers=headers, timeout=self.timeout_s)
            else:
                response = httpx.post(self.url, json=body, headers=headers, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise LLMError(f"LLM {self.model} at {self.url} is unavailable: {type(exc).__name__}: {exc}") from exc
        finally:
            log.debug("llm %s took %.0f ms", self.model, (time.perf_counter() - started) * 1e3)
        if response.status_code != 200:
            raise LLMError(
                f"LLM {self.model} at {self.url} answered HTTP {response.status_code}: {response.text[:300]}"
            )
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LLMError(f"LLM {self.model} at {self.url}: unexpected response: {response.text[:300]}") from exc
        if not isinstance(content, str) or not content.strip():
            raise LLMError(f"LLM {self.model} at {self.url} answered no text")
        return content


# --- the test double ---------------------------------------------------------------------------


class ScriptedChatModel:
    """Returns ``responses`` in order, one per call, and records each ``(system, user)``.

    For tests (and demos without an LLM): the scripted answers stand in for a model.
    """

    def __init__(self, responses: Iterable[str]) -> None:
        self._responses = list(responses)
        self.calls: list[tuple[str, str]] = []

    def complete(self, system: str, user: str) -> str:
        self.calls.append((system, user))
        if len(self.calls) > len(self._responses):
            raise LLMError(f"scripted chat model: no response left for call {len(self.calls)}")
        return self._responses[len(self.calls) - 1]


# --- LlamaIndex adapters -------------------------------------------------------------------------


class LlamaIndexChatModel:
    """Any LlamaIndex ``LLM`` as a :class:`ChatModel` (a system and a user message)."""

    def __init__(self, llm: LLM) -> None:
        self.llm = llm

    def complete(self, system: str, user: str) -> str:
        messages = [
            ChatMessage(role=MessageRole.SYSTEM, content=system),
            ChatMessage(role=MessageRole.USER, content=user),
        ]
        try:
            response = self.llm.chat(messages)
        except KgcrmError:
            raise
        except Exception as exc:  # a LlamaIndex integration may raise anything
            raise LLMError(f"LlamaIndex LLM {type(self.llm).__name__} failed: {exc}") from exc
        return response.message.content or ""


class ChatModelLLM(CustomLLM):
    """A :class:`ChatModel` as a LlamaIndex ``CustomLLM`` (completion only, one chunk when streaming)."""

    chat_model: Any = Field(description="the kgcrm ChatModel")
    system_prompt_text: str = Field(default="", description="the system prompt sent with every completion")
    model_name: str = Field(default="kgcrm-chat-model")

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name=self.model_name, is_chat_model=False)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=self.chat_model.complete(self.system_prompt_text, prompt))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        text = self.chat_model.complete(self.system_prompt_text, prompt)
        yield CompletionResponse(text=text, delta=text)


__all__: Sequence[str] = (
    "ChatModel",
    "ChatModelLLM",
    "LLMError",
    "LlamaIndexChatModel",
    "OpenAICompatible",
    "ScriptedChatModel",
    "chat_model_from_settings",
)
