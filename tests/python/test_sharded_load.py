"""load(..., sharding=...) and saving sharded jax arrays, on 4 host devices (issue 16, item 4).

Each case runs in its own interpreter (tests/python/sharded_cases.py) because
XLA_FLAGS=--xla_force_host_platform_device_count=4 must be set before jax starts.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import UNDER_ASAN

if UNDER_ASAN:
    pytest.skip("jaxlib cannot be imported with libasan preloaded", allow_module_level=True)
pytest.importorskip("jax")

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = ["named_2d", "replicated_reads_once", "chunked_file", "pytree_of_shardings",
         "callable", "misfit_names_the_path", "exact_dtypes_and_scalars",
         "lazy_and_sharding", "sharded_save"]


@pytest.mark.parametrize("case", CASES)
def test_sharded(case, tmp_path):
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    r = subprocess.run([sys.executable, os.path.join(HERE, "sharded_cases.py"), case,
                        str(tmp_path)], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    assert f"OK {case}" in r.stdout
    assert r.stderr.strip() == "" or "jaxon" not in r.stderr, r.stderr[-2000:]


def test_every_case_is_run():
    sys.path.insert(0, HERE)
    src = open(os.path.join(HERE, "sharded_cases.py")).read()
    defined = {line[9:].split("(")[0] for line in src.splitlines() if line.startswith("def case_")}
    assert defined == set(CASES)
