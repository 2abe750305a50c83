"""One error tree: every exception class kgcrm defines derives from KgcrmError and is drawn,
under its real parent, in the tree of ``kgcrm/core/errors.py``'s docstring.

Like httpx's ``tests/test_exported_members.py``: the code is the truth, the test keeps
the documentation honest. A new error class fails here until it joins the tree.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest

import kgcrm.core.errors
from kgcrm.core.errors import KgcrmError

#: The packages kgcrm installs (pyproject's ``[tool.setuptools] packages``).
LAYER_FOLDERS = ("crm", "graph", "sync", "retrieval", "api", "cypher", "eval", "ingest")  # mapped by setup.py
PACKAGES = ("kgcrm", *(f"kgcrm.{layer}" for layer in LAYER_FOLDERS))

#: Alembic's environment script: importable only while Alembic runs a migration.
NOT_IMPORTABLE = {"kgcrm.crm.migrations.env", "kgcrm.cli.__main__"}  # run at import: Alembic's env, `python -m`

#: Private signals raised and caught inside one module, never seen by a caller.
#: ``kgcrm.sync.transform._Invalid``: ``transform_row`` turns it into a rejected row at once.
#: ``kgcrm.sync.engine._CheckpointMoved`` / ``_Rehearsed``: raised inside a batch's transaction function to roll it
#: back, caught by ``GraphSync._incremental`` (it reads on from the graph's checkpoint) / ``GraphSync.warm_up``.
INTERNAL = {"kgcrm.sync.transform._Invalid", "kgcrm.sync.engine._CheckpointMoved", "kgcrm.sync.engine._Rehearsed"}

#: A branch of the drawing (indented 4 spaces in the docstring): its depth is in ``indent``.
_BRANCH = re.compile(r"^ {4}(?P<indent>(?:│   | {4})*)[├└]── (?P<name>\w+)")


def exception_classes() -> dict[str, type[BaseException]]:
    """Every exception class defined in a module of kgcrm's packages, by dotted name."""
    found: dict[str, type[BaseException]] = {}
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        modules = [package_name] + [
            info.name for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}.")
        ]
        for module_name in modules:
            if module_name in NOT_IMPORTABLE:
                continue
            module = importlib.import_module(module_name)
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if cls.__module__ == module_name and issubclass(cls, BaseException):
                    found[f"{module_name}.{cls.__qualname__}"] = cls
    return found


def drawn_tree() -> dict[str, str | None]:
    """The docstring's tree: each class name → its parent's name (``None`` for the root)."""
    doc = kgcrm.core.errors.__doc__ or ""
    lines = doc.splitlines()
    root = next(line.strip() for line in lines if line.strip() == "KgcrmError")
    parents: dict[str, str | None] = {root: None}
    path = [root]  # the branch from the root to the last class drawn
    for line in lines:
        match = _BRANCH.match(line)
        if match is None:
            continue
        depth = len(match["indent"]) // 4 + 1
        name = match["name"]
        del path[depth:]
        parents[name] = path[-1]
        path.append(name)
    return parents


@pytest.fixture(scope="module")
def classes() -> dict[str, type[BaseException]]:
    return exception_classes()


def test_the_walk_finds_the_errors_defined_outside_kgcrm_errors(classes):
    expected = {"kgcrm.api.errors.ApiError", "kgcrm.api.mcp_server.ToolFailure", "kgcrm.core.errors.TenantNotFound"}
    assert expected <= set(classes)


def test_every_exception_class_derives_from_kgcrm_error(classes):
    outside = sorted(name for name, cls in classes.items() if not issubclass(cls, KgcrmError) and name not in INTERNAL)
    assert outside == []


def test_every_error_class_is_drawn_in_the_tree(classes):
    drawn = drawn_tree()
    missing = sorted(name for name, cls in classes.items() if name not in INTERNAL and cls.__name__ not in drawn)
    assert missing == []


def test_the_tree_draws_each_class_under_its_real_parent(classes):
    by_name = {cls.__name__: cls for name, cls in classes.items() if name not in INTERNAL}
    drawn = drawn_tree()
    assert set(drawn) == set(by_name), "the tree draws a class that does not exist"
    wrong = {
        name: (parent, by_name[name].__bases__[0].__name__)
        for name, parent in drawn.items()
        if parent is not None and by_name[name].__bases__[0].__name__ != parent
    }
    assert wrong == {}


def test_classes_outside_kgcrm_errors_are_only_the_api_layers(classes):
    elsewhere = sorted(name for name in classes if not name.startswith("kgcrm.core.errors.") and name not in INTERNAL)
    assert elsewhere == ["kgcrm.api.errors.ApiError", "kgcrm.api.mcp_server.ToolFailure"]


def test_the_internal_signals_still_exist(classes):
    """An allowance for a class that is gone must go too."""
    assert set(classes) >= INTERNAL
