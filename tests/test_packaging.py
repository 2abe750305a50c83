"""The distribution: one wheel whose only top-level package is ``kgcrm``, runnable from anywhere."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYER_FOLDERS = ("crm", "graph", "sync", "ingest", "retrieval", "api", "eval", "cypher")

pytestmark = pytest.mark.slow


def tracked_files() -> list[str]:
    return subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True).stdout.split()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the tracked files: never from a build/ left in the checkout."""
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    for path in tracked_files():
        if (ROOT / path).is_file():
            (source / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / path, source / path)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("kgcrm-*.whl")
    return built


def test_the_wheel_installs_only_the_kgcrm_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names}
    assert {name for name in top_level if not name.endswith(".dist-info")} == {"kgcrm"}


def test_every_file_of_the_layer_folders_is_in_the_wheel(wheel: Path) -> None:
    """Modules, Cypher, data files (the question bank, SQL, styles …): all but the folders' READMEs."""
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = [path for path in tracked_files() if path.split("/")[0] in {*LAYER_FOLDERS, "kgcrm"}]
    expected = {path if path.startswith("kgcrm/") else f"kgcrm/{path}" for path in tracked if not path.endswith(".md")}
    assert expected - names == set()
    assert "kgcrm/py.typed" in names


def test_the_installed_wheel_runs_from_outside_the_repository(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # The dependencies come from this venv's site-packages, added as a plain path: its .pth files
    # (and so the editable install of this checkout) are not read.
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    clean_env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    where = subprocess.run(
        [str(python), "-c", "import kgcrm.graph, kgcrm.api.app; print(kgcrm.graph.__file__)"],
        cwd=tmp_path,
        env=clean_env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert where.startswith(str(site)), where
    assert not (site / "graph").exists() and not (site / "api").exists()
    cli = subprocess.run(
        [str(env_dir / "bin" / "kgcrm"), "--help"], cwd=tmp_path, env=clean_env, capture_output=True, text=True
    )
    assert cli.returncode == 0, cli.stderr
    assert "sync" in cli.stdout and "ask" in cli.stdout
