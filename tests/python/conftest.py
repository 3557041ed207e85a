"""Shared fixtures, and the strict comparison (tests/interop/compare.py) used by the tests."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import jaxon

# The strict, type-aware comparison (nan == nan, -0.0 != 0.0, exact types at every level)
# lives beside the interoperability runner, which runs it inside the Python-jaxon processes
# where this file (it imports our jaxon) cannot be imported.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
from compare import assert_same  # noqa: E402,F401


@pytest.fixture
def h5path(tmp_path):
    return str(tmp_path / "tree.h5")


@pytest.fixture
def roundtrip(h5path):
    """roundtrip(tree, **save_kwargs) -> loaded tree; the file is validated as well."""

    def run(tree, load_kwargs=None, **save_kwargs):
        jaxon.save(h5path, tree, **save_kwargs)
        validate(h5path)
        return jaxon.load(h5path, **(load_kwargs or {}))

    return run


def validate(path: str) -> None:
    """Runs the jaxon-validate CLI on path (skipped when the CLI is not built)."""
    cli = os.environ.get("JAXON_VALIDATE")
    if not cli or not os.path.exists(cli):
        return
    r = subprocess.run([cli, path], capture_output=True, text=True)
    assert r.returncode == 0, f"jaxon-validate {path}:\n{r.stdout}{r.stderr}"
