"""Shared fixtures, and the strict comparison (tests/interop/compare.py) used by the tests."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import jaxon
from jaxon import _paths

# The plugin and tools of the jaxon under test (the installed package; the build tree in the
# sanitizer build), for the tests and the programs they start (h5dump, h5py subprocesses).
os.environ["HDF5_PLUGIN_PATH"] = _paths.plugin_dir()
os.environ["JAXON_H5DUMP"] = _paths.hdf5_bin("h5dump")
os.environ["JAXON_VALIDATE"] = _paths.hdf5_bin("jaxon-validate")

# The strict, type-aware comparison (nan == nan, -0.0 != 0.0, exact types at every level)
# lives beside the interoperability runner, which runs it inside the Python-jaxon processes
# where this file (it imports our jaxon) cannot be imported.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
from compare import assert_same  # noqa: E402,F401


# The sanitizer build (-DJAXON_SANITIZE=ON) runs this suite with libasan preloaded, and
# jaxlib and ml_dtypes abort the interpreter at import there. Under it, importing them
# skips the test (or the module) that needs them instead of killing the whole run.
UNDER_ASAN = "libasan" in os.environ.get("LD_PRELOAD", "")


class _SkipUnsanitizable:
    NAMES = ("jax", "jaxlib", "ml_dtypes", "equinox", "orbax")

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.NAMES:
            raise pytest.skip.Exception(f"{name} cannot be imported with libasan preloaded",
                                        allow_module_level=True)
        return None


if UNDER_ASAN:
    sys.meta_path.insert(0, _SkipUnsanitizable())


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


# A private 1 MiB tmpfs for full-disk tests: root and unshare(1) are needed to mount one.
needs_tiny_disk = pytest.mark.skipif(
    os.geteuid() != 0 or not os.path.exists("/usr/bin/unshare"),
    reason="needs root and unshare to mount a private 1 MiB tmpfs")


def run_on_tiny_disk(tmp_path, code: str) -> subprocess.CompletedProcess:
    """Runs code (dedented) in a new interpreter whose argv[1] is a 1 MiB tmpfs mounted in
    a private mount namespace (nothing outside the process sees it)."""
    import textwrap

    script = tmp_path / "full_disk.py"
    script.write_text(textwrap.dedent(code))
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    return subprocess.run(
        ["unshare", "--mount", "sh", "-c",
         'mount -t tmpfs -o size=1m tmpfs "$1" && exec "$2" "$3" "$1"', "sh",
         str(mnt), sys.executable, str(script)],
        capture_output=True, text=True, timeout=300)
