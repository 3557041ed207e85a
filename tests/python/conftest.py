"""Shared fixtures and the strict, type- and identity-aware comparison used by the tests."""

from __future__ import annotations

import math
import os
import subprocess

import numpy as np
import pytest

import jaxon


def _float_bits_equal(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def assert_same(a, b, path: str = "root") -> None:
    """a and b are equal with exactly the same types at every level (nan == nan, -0.0 != 0.0)."""
    assert type(a) is type(b), f"{path}: type {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, dict):
        assert list(a.keys()) == list(b.keys()), f"{path}: keys {list(a)} != {list(b)}"
        for (ka, va), kb in zip(a.items(), b.keys()):
            assert_same(ka, kb, f"{path} key {ka!r}")
            assert_same(va, b[kb], f"{path}[{ka!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, (set, frozenset)):
        assert a == b, f"{path}: {a!r} != {b!r}"
        assert sorted(map(repr, a)) == sorted(map(repr, b)), f"{path}: element types differ"
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype, f"{path}: dtype {a.dtype} != {b.dtype}"
        assert a.shape == b.shape, f"{path}: shape {a.shape} != {b.shape}"
        assert a.tobytes() == b.tobytes(), f"{path}: data differs"
    elif isinstance(a, np.generic):
        assert a.dtype == b.dtype, f"{path}: dtype {a.dtype} != {b.dtype}"
        assert a.tobytes() == b.tobytes(), f"{path}: {a!r} != {b!r}"
    elif isinstance(a, float):
        assert _float_bits_equal(a, b), f"{path}: {a!r} != {b!r}"
    elif isinstance(a, complex):
        assert _float_bits_equal(a.real, b.real) and _float_bits_equal(a.imag, b.imag), (
            f"{path}: {a!r} != {b!r}")
    elif type(a).__module__.startswith("jax"):
        assert a.dtype == b.dtype and a.shape == b.shape, f"{path}: {a.dtype}{a.shape}"
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes(), f"{path}: data differs"
    elif isinstance(a, memoryview):
        assert a.format == b.format and a.shape == b.shape and a.tobytes() == b.tobytes()
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


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
