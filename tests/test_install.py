"""`pip install .` (not editable) gives a working iopctl with its schemas and templates."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A non-editable install into its own folder; dependencies come from the test environment."""
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(ROOT)],
        check=True, cwd=build, env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    return target


def run(installed, *args, cwd):
    # Only the installed copy and the test environment's dependencies are importable: not the checkout.
    env = {**os.environ, "PYTHONPATH": str(installed), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "iopctl", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=120)


def test_installed_package_carries_its_data(installed, tmp_path):
    assert (installed / "iopctl" / "cli.py").exists()
    assert (installed / "iopctl" / "_schemas" / "participant.schema.json").exists()
    assert (installed / "iopctl" / "_templates").is_dir()
    probe = subprocess.run(
        [sys.executable, "-c", "import iopctl, iopctl.resources as r; print(iopctl.__file__); "
                               "print(r.data_dir('schemas'))"],
        capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(installed)},
    )
    assert probe.stdout.splitlines()[0].startswith(str(installed))
    assert str(installed) in probe.stdout.splitlines()[1]


def test_installed_iopctl_validates_the_sample(installed, tmp_path):
    result = run(installed, "validate", "--records", str(ROOT / "sample_records"), "--as-of", "2026-11-23",
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].endswith("0 errors, 42 warnings")
    version = run(installed, "--version", cwd=tmp_path)
    assert version.stdout.startswith("iopctl, version ")
