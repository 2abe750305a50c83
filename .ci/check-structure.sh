#!/usr/bin/env bash
# The structure checks (`make check`): the layers contract (import-linter) and the types (mypy).
#
# Both read the package as it is installed, never through the editable install: setuptools maps
# the repository's folders into `kgcrm` with an import hook there, which neither tool follows.
# So the package is installed (no dependencies) into a scratch directory, and the tools run from
# outside the repository with only that directory on the path.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$repo/.venv/bin/python}"
bin="$(cd "$(dirname "$python")" && pwd)"  # absolute: the tools run from a scratch directory
python="$bin/$(basename "$python")"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

# From a copy of the tracked files: a build/ left in the checkout never leaks into what is checked.
mkdir -p "$stage/src"
git -C "$repo" ls-files -z | (cd "$repo" && tar --null -T - -cf -) | tar -xf - -C "$stage/src"
"$python" -m pip install --quiet --no-deps --no-build-isolation --target "$stage/site" "$stage/src" 2>/dev/null \
    || "$python" -m pip install --no-deps --no-build-isolation --target "$stage/site" "$stage/src"
rm -rf "$stage/site/bin"
cd "$stage"

echo "== import-linter (layers)"
PYTHONPATH="$stage/site" "$bin/lint-imports" --config "$repo/pyproject.toml" --no-cache

echo "== mypy"
# Paths in mypy's messages are shown relative to the repository (site/kgcrm/graph/x.py → graph/x.py).
status=0
MYPYPATH="$stage/site" "$bin/mypy" --config-file "$repo/pyproject.toml" --no-incremental -p kgcrm >"$stage/mypy.out" 2>&1 || status=$?
sed -E 's#^site/kgcrm/(crm|graph|sync|ingest|retrieval|api|eval|cypher)/#\1/#; s#^site/kgcrm/#kgcrm/#' "$stage/mypy.out"
exit "$status"
