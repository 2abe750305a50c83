"""`make test` runs what CI runs: the system packages installed first, no test skipped for a missing service.

``.ci/test-packages.sh`` runs here with a ``PATH`` of stubs (``apt-get``, ``sudo``, ``id``, and
the commands that are "installed"), so what it would install, and how it fails, is seen
without touching the machine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / ".ci" / "test-packages.sh"
BASH = shutil.which("bash") or "/bin/bash"


def needed() -> dict[str, str]:
    """command → Debian package, as the script lists them."""
    text = SCRIPT.read_text(encoding="utf-8")
    listed = re.search(r"^NEEDED=\((.*)\)$", text, re.M)
    assert listed is not None
    return dict(pair.split(":") for pair in listed.group(1).split())


def stub(directory: Path, name: str, body: str = "exit 0") -> None:
    path = directory / name
    path.write_text(f"#!{BASH}\n{body}\n", encoding="utf-8")
    path.chmod(0o755)


def run(tmp_path: Path, *, present: set[str], uid: int = 0, apt: str | None = "exit 0", sudo: bool = True):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    for command in present:
        stub(bin_dir, command)
    stub(bin_dir, "id", f"echo {uid}")
    if apt is not None:
        stub(bin_dir, "apt-get", f'echo "apt-get $*" >> {log}\n{apt}')
    if sudo:
        stub(bin_dir, "sudo", f'echo "sudo $*" >> {log}\nexec "$@"')
    done = subprocess.run(
        [BASH, str(SCRIPT)], env={"PATH": str(bin_dir)}, capture_output=True, text=True, timeout=60, check=False
    )
    calls = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return done, calls


def test_nothing_is_installed_when_everything_is_there(tmp_path):
    done, calls = run(tmp_path, present=set(needed()))
    assert done.returncode == 0, done.stderr
    assert calls == []


def test_a_missing_chromium_is_installed_with_apt_get_as_root(tmp_path):
    done, calls = run(tmp_path, present=set(needed()) - {"chromium"})
    assert done.returncode == 0, done.stderr
    assert calls == ["apt-get update -qq", "apt-get install -y -qq chromium"]


def test_every_missing_package_is_installed_through_sudo_when_not_root(tmp_path):
    done, calls = run(tmp_path, present=set(), uid=1000)
    assert done.returncode == 0, done.stderr
    install = f"sudo apt-get install -y -qq {' '.join(needed().values())}"
    assert calls[0] == "sudo apt-get update -qq" and install in calls


@pytest.mark.parametrize(
    ("apt", "sudo", "uid"),
    [(None, True, 0), ("exit 100", True, 0), ("exit 0", False, 1000)],
    ids=["no apt-get", "apt-get fails", "neither root nor sudo"],
)
def test_when_it_cannot_install_it_names_the_step_and_fails(tmp_path, apt, sudo, uid):
    done, _ = run(tmp_path, present={"mvn", "java"}, apt=apt, sudo=sudo, uid=uid)
    assert done.returncode == 1
    assert "apt-get install chromium" in done.stderr


def test_ci_installs_the_same_packages():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for command, package in needed().items():
        assert f"{command}:{package}" in ci, (command, package)


def test_make_test_installs_first_and_requires_every_service():
    if shutil.which("make") is None:
        pytest.fail("make is needed (apt-get install make)")
    env = {k: v for k, v in os.environ.items() if k != "KGCRM_REQUIRE_SERVICES"}
    plan = subprocess.run(
        ["make", "-n", "test"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    ).stdout
    packages = plan.index("bash .ci/test-packages.sh")
    pytest_run = plan.index("-m pytest")
    assert packages < plan.index(".ci/start-postgres.sh") < pytest_run
    assert "KGCRM_REQUIRE_SERVICES=${KGCRM_REQUIRE_SERVICES:-1}" in plan
