"""Packaging: one import namespace, ``kgcrm``, over the repository's architecture folders.

The metadata is in pyproject.toml; this file only maps the folders. The repository keeps one
folder per layer at its root (``graph/``, ``sync/``, ``retrieval/``, ``api/`` …) and each is
installed as a subpackage of ``kgcrm`` (``./graph`` → ``kgcrm.graph``), so only ``kgcrm`` lands in
site-packages. The subpackages are discovered here rather than listed by hand, so a new folder
can never be left out of the wheel.

An editable install resolves this mapping with an import hook, which import-linter and mypy cannot
follow; ``.ci/check-structure.sh`` runs them against a regular install instead.
"""

from setuptools import find_packages, setup

# folder at the repository root → its subpackage of kgcrm
LAYER_FOLDERS = {
    "crm": "kgcrm.crm",
    "graph": "kgcrm.graph",
    "sync": "kgcrm.sync",
    "ingest": "kgcrm.ingest",
    "retrieval": "kgcrm.retrieval",
    "api": "kgcrm.api",
    "eval": "kgcrm.eval",
    "cypher": "kgcrm.cypher",
}


def _packages() -> list[str]:
    packages = find_packages(include=["kgcrm", "kgcrm.*"])
    for folder, package in LAYER_FOLDERS.items():
        packages.append(package)
        packages.extend(f"{package}.{sub}" for sub in find_packages(where=folder))
    return packages


setup(packages=_packages(), package_dir={"kgcrm": "kgcrm", **{p: f for f, p in LAYER_FOLDERS.items()}})
