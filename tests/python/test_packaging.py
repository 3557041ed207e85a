"""The jaxon under test is the installed package, and its optional dependencies fail clearly.

Without JAX (or dill), a file that needs it raises ModuleNotFoundError naming the node's
place in the file and the pip extra that installs it. Each case runs in a subprocess whose
import of that module is blocked (sys.modules[name] = None).
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import sysconfig

import numpy as np
import pytest

import jaxon
from jaxon import _paths
from conftest import UNDER_ASAN

DIST = "jaxon-c"


@pytest.mark.skipif(UNDER_ASAN, reason="the sanitizer build tests its build tree (PYTHONPATH)")
def test_the_suite_imports_the_package_installed_in_the_environment():
    assert "PYTHONPATH" not in os.environ
    site = os.path.realpath(sysconfig.get_paths()["platlib"])
    assert os.path.realpath(jaxon.__file__) == os.path.join(site, "jaxon", "__init__.py")
    assert importlib.metadata.version(DIST) == jaxon.__version__
    assert _paths.package_dir() == os.path.join(site, "jaxon")


def test_bundled_plugin_and_tools_are_where_paths_says():
    assert os.path.isfile(os.path.join(_paths.plugin_dir(), "libjaxon_vol.so"))
    for tool in ("h5dump", "h5ls", "h5stat", "jaxon-validate"):
        assert os.access(_paths.hdf5_bin(tool), os.X_OK)
    with pytest.raises(FileNotFoundError, match="h5nothing is not bundled"):
        _paths.hdf5_bin("h5nothing")


def load_without(blocked: list[str], path: str, **kwargs) -> subprocess.CompletedProcess:
    code = ("import sys\n"
            f"for m in {blocked!r}: sys.modules[m] = None\n"
            "import jaxon\n"
            f"jaxon.load(sys.argv[1], **{kwargs!r})\n")
    return subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True)


def last_error(p: subprocess.CompletedProcess) -> str:
    """The exception's line of the traceback (notes such as "while saving root[...]" follow)."""
    assert p.returncode != 0, p.stdout
    return [line for line in p.stderr.splitlines() if line.startswith("ModuleNotFoundError")][-1]


def test_a_jax_array_without_jax(h5path):
    jnp = pytest.importorskip("jax.numpy")
    jaxon.save(h5path, {"model": [jnp.arange(3)]})
    err = last_error(load_without(["jax", "jax.numpy"], h5path))
    assert err.startswith("ModuleNotFoundError: group /JAXON_ROOT/'model', attribute "), err
    assert f"a jax.Array needs jax, which is not installed" in err
    assert err.endswith(f"install it with: pip install '{DIST}[jax]'"), err


def test_an_array_of_a_jax_dtype_without_ml_dtypes(h5path):
    ml_dtypes = pytest.importorskip("ml_dtypes")
    jaxon.save(h5path, {"w": np.ones(4, dtype=ml_dtypes.bfloat16)})
    err = last_error(load_without(["ml_dtypes"], h5path))
    assert "group /JAXON_ROOT" in err and "'w'" in err, err
    assert err.endswith(f"pip install '{DIST}[jax]'"), err


def test_a_dill_blob_without_dill(h5path):
    pytest.importorskip("dill")
    jaxon.save(h5path, {"f": lambda x: x + 1}, allow_dill=True)
    err = last_error(load_without(["dill"], h5path, allow_dill=True))
    assert err.startswith("ModuleNotFoundError: group /JAXON_ROOT, attribute \"'f'"), err
    assert err.endswith(f"pip install '{DIST}[dill]'"), err


def test_saving_with_dill_without_dill(h5path):
    code = ("import sys; sys.modules['dill'] = None\n"
            "import jaxon\n"
            "jaxon.save(sys.argv[1], {'f': lambda x: x}, allow_dill=True)\n")
    p = subprocess.run([sys.executable, "-c", code, h5path], capture_output=True, text=True)
    err = last_error(p)
    assert err.startswith("ModuleNotFoundError: saving with allow_dill=True needs dill"), err
    assert err.endswith(f"pip install '{DIST}[dill]'"), err
    assert "while saving root['f']" in p.stderr
