"""The package as a user installs it: the wheel pip builds from this repository, installed into
a fresh virtual environment and imported from another directory without PYTHONPATH; the
bundled plugin, libhdf5 and tools used from there, also with the HDF5 build and this
repository hidden; an editable install; the sdist's contents.

Run by CTest (label "install") after scripts/install-package.sh (fixture py.install), whose
wheel in $JAXON_WHEEL_DIR is the one .venv has installed. Environment, set by CMake:
JAXON_WHEEL_DIR, JAXON_REPO, JAXON_INSTALL_TEST_DIR (persistent: the wheelhouse of NumPy and
scikit-build-core, the editable install), JAXON_HIDE (directories the installed package must
not need), JAXON_OTHER_PYTHON (only for the opt-in test of another interpreter).
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

import pytest

REPO = pathlib.Path(os.environ.get("JAXON_REPO", pathlib.Path(__file__).resolve().parents[2]))
WHEEL_DIR = pathlib.Path(os.environ.get("JAXON_WHEEL_DIR", REPO / "build" / "pip" / "dist"))
WORK = pathlib.Path(os.environ.get("JAXON_INSTALL_TEST_DIR", REPO / "build" / "install-test"))
HIDE = [p for p in os.environ.get("JAXON_HIDE", "").split(os.pathsep) if p]
DIST = "jaxon-c"
# Libraries a bundled ELF may take from the system: glibc's and zlib.
SYSTEM_LIBS = re.compile(r"^(libc|libm|libz|libpthread|libdl|librt|ld-linux[-\w]*)\.so(\.\d+)*$")

# Runs inside the installed environment, from a directory of its own: everything a user does
# first, reported as JSON.
CHECK = r'''
import json, os, subprocess, sys
import numpy as np
import jaxon
from jaxon import _paths

path = sys.argv[1]
tree = {"mylist": ["foo", "bar", 42], "myset": {"a", "b", (42, b"blob")},
        "numpy_array": np.arange(3), "shared": [1.5] * 2}
tree["again"] = tree["mylist"]
jaxon.save(path, tree)
back = jaxon.load(path)
ok = (back["mylist"] == tree["mylist"] and back["myset"] == tree["myset"]
      and (back["numpy_array"] == tree["numpy_array"]).all() and back["again"] is back["mylist"])
env = dict(os.environ, HDF5_PLUGIN_PATH=_paths.plugin_dir(),
           HDF5_VOL_CONNECTOR="jaxon under_vol=0;under_info={}")
tools = {}
for name, args, e in (("h5dump", ["-A", path], env), ("h5ls", ["-r", path], None),
                      ("h5stat", [path], None), ("h5diff", [path, path], None),
                      ("jaxon-validate", [path], None)):
    r = subprocess.run([_paths.hdf5_bin(name), *args], env=e, capture_output=True, text=True)
    tools[name] = [r.returncode, r.stdout, r.stderr]
with open("/proc/self/maps") as f:
    mapped = sorted({l.split()[-1] for l in f if "libhdf5" in l or "libjaxon_vol" in l})
print(json.dumps({"jaxon": jaxon.__file__, "ext": jaxon._jaxon.__file__,
                  "package_dir": _paths.package_dir(), "version": jaxon.__version__,
                  "roundtrip": bool(ok), "tools": tools, "mapped": mapped,
                  "sys_path": sys.path}))
'''


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "HDF5_PLUGIN_PATH", "HDF5_VOL_CONNECTOR", "JAXON_H5DUMP",
                        "JAXON_VALIDATE", "LD_LIBRARY_PATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(extra)
    return env


def run(cmd, **kw):
    kw.setdefault("env", clean_env())
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert p.returncode == 0, f"{cmd}\nstdout:\n{p.stdout[-4000:]}\nstderr:\n{p.stderr[-4000:]}"
    return p


def pinned(name: str) -> str:
    for line in (REPO / "requirements.txt").read_text().splitlines():
        if re.match(rf"^{re.escape(name)}==", line):
            return line.strip()
    raise AssertionError(f"{name} is not pinned in requirements.txt")


@pytest.fixture(scope="session")
def wheel() -> pathlib.Path:
    wheels = sorted(WHEEL_DIR.glob("jaxon_c-*.whl"))
    assert len(wheels) == 1, f"expected one wheel in {WHEEL_DIR} (scripts/install-package.sh)"
    return wheels[0]


@pytest.fixture(scope="session")
def wheelhouse() -> pathlib.Path:
    """NumPy and scikit-build-core wheels (the pinned versions), downloaded once per build
    directory, so the fresh environments install with --no-index."""
    house = WORK / "wheelhouse"
    stamp = house / ".complete"
    want = f"{pinned('numpy')} {pinned('scikit-build-core')} {sys.version_info[:2]}"
    if not stamp.exists() or stamp.read_text() != want:
        shutil.rmtree(house, ignore_errors=True)
        house.mkdir(parents=True)
        run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check",
             "--only-binary=:all:", "-d", house, pinned("numpy"), pinned("scikit-build-core")])
        stamp.write_text(want)
    return house


def new_venv(path: pathlib.Path, python: str | None = None) -> pathlib.Path:
    """A fresh virtual environment (with its own pip) of python, by default the interpreter
    .venv was made from. Returns its python."""
    shutil.rmtree(path, ignore_errors=True)
    base = python or getattr(sys, "_base_executable", sys.executable)
    run([base, "-m", "venv", path])
    return path / "bin" / "python"


def check(python: pathlib.Path, cwd: pathlib.Path, h5: pathlib.Path, wrap=()) -> dict:
    script = cwd / "check_installed.py"
    script.write_text(CHECK)
    p = run([*wrap, python, script, h5], cwd=cwd)
    return json.loads(p.stdout.strip().splitlines()[-1])


def assert_works_from(report: dict, package_dir: pathlib.Path) -> None:
    pkg = str(package_dir)
    assert report["roundtrip"]
    assert report["package_dir"] == pkg and report["ext"].startswith(pkg + os.sep)
    for name, (rc, out, err) in report["tools"].items():
        assert rc == 0, f"{name} failed:\n{out}\n{err}"
    assert "Jaxon layout v1.2.0 (written through the jaxon VOL connector)" in report["tools"]["h5dump"][1]
    assert ": ok (layout v1.2.0" in report["tools"]["jaxon-validate"][1]
    # libhdf5 and the plugin are the package's own copies
    assert report["mapped"], "libhdf5 is not mapped"
    assert all(m.startswith(pkg + os.sep) for m in report["mapped"]), report["mapped"]


@pytest.fixture(scope="session")
def fresh(wheel, wheelhouse, tmp_path_factory):
    """The wheel pip-installed into a fresh venv, as pip install <repo> does it."""
    root = tmp_path_factory.mktemp("fresh")
    py = new_venv(root / "venv")
    run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-index",
         "--find-links", wheelhouse, "--find-links", wheel.parent, DIST])
    site = run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['platlib'])"]).stdout.strip()
    return py, pathlib.Path(site) / "jaxon", root


def test_every_elf_in_the_wheel_finds_its_libraries_inside_the_package(wheel, tmp_path):
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        elves = [n for n in names if z.read(n)[:4] == b"\x7fELF"]
        bundled = {n.rsplit("/", 1)[-1] for n in names}
        for n in elves:
            out = tmp_path / n.replace("/", "_")
            out.write_bytes(z.read(n))
            dyn = run(["readelf", "-d", out]).stdout
            paths = re.findall(r"\((?:RUNPATH|RPATH)\)\s+Library r(?:un)?path: \[(.*)\]", dyn)
            for entry in ":".join(paths).split(":"):
                assert not entry or entry.startswith("$ORIGIN"), f"{n}: run path {entry}"
            for lib in re.findall(r"\(NEEDED\)\s+Shared library: \[(.*)\]", dyn):
                assert lib in bundled or SYSTEM_LIBS.match(lib), f"{n} needs {lib}"
    layout = {"jaxon/_plugins/libjaxon_vol.so", "jaxon/_hdf5/lib/libhdf5.so.310",
              "jaxon/_hdf5/lib/libhdf5_tools.so.310", "jaxon/_hdf5/bin/h5dump",
              "jaxon/_hdf5/bin/h5ls", "jaxon/_hdf5/bin/h5stat", "jaxon/_hdf5/bin/h5diff",
              "jaxon/_hdf5/bin/jaxon-validate",
              "jaxon/__init__.py", "jaxon/_paths.py"}
    assert layout <= set(names), layout - set(names)
    assert any(re.fullmatch(r"jaxon/_jaxon\.cpython-[^/]+\.so", n) for n in names)
    print(f"{wheel.name}: {wheel.stat().st_size / 1e6:.2f} MB, {len(elves)} ELF files")


def test_fresh_venv_imports_the_installed_package_from_another_directory(fresh, tmp_path):
    py, pkg, _ = fresh
    report = check(py, tmp_path, tmp_path / "t.h5")
    assert report["jaxon"] == str(pkg / "__init__.py")
    assert not any(str(REPO) in p for p in report["sys_path"] if p)
    assert_works_from(report, pkg)
    meta = run([py, "-c", f"import importlib.metadata as m; print(m.version('{DIST}'))"])
    assert meta.stdout.strip() == report["version"]


def test_installed_package_works_with_the_build_cache_and_the_repository_hidden(fresh, tmp_path):
    """HDF5's build in ~/.cache/jaxon, the build tree and this repository are covered by empty
    tmpfs mounts in a private mount namespace (the real ones stay untouched for builds that
    run at the same time); the installed package must not notice."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare (util-linux)")
    if subprocess.run(["unshare", "--mount", "true"], capture_output=True).returncode != 0:
        pytest.skip("unshare --mount is not permitted here")
    hide = sorted({os.path.realpath(p) for p in [*HIDE, str(REPO)] if os.path.isdir(p)})
    hide = [p for p in hide if not any(p.startswith(q + os.sep) for q in hide if q != p)]
    mounts = " && ".join(f'mount -t tmpfs jaxon-hidden "{p}"' for p in hide)
    py, pkg, _ = fresh
    report = check(py, tmp_path, tmp_path / "t.h5",
                   wrap=["unshare", "--mount", "--propagation", "private", "sh", "-c",
                         f'{mounts} && exec "$0" "$@"'])
    assert_works_from(report, pkg)


def test_loading_a_jax_array_without_jax_names_the_extra(fresh, tmp_path):
    jnp = pytest.importorskip("jax.numpy")
    import jaxon

    path = tmp_path / "jax.h5"
    jaxon.save(str(path), {"params": {"w": jnp.arange(3)}})
    py, _, _ = fresh
    p = subprocess.run([str(py), "-c", "import sys, jaxon; jaxon.load(sys.argv[1])", str(path)],
                       capture_output=True, text=True, cwd=tmp_path, env=clean_env())
    assert p.returncode != 0
    last = p.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError:"), p.stderr
    assert "'params'" in last and "jax.Array" in last, last
    assert f"pip install '{DIST}[jax]'" in last, last


def test_editable_install(wheelhouse, tmp_path):
    """pip install -e: the .py files stay in the source tree, the built files go into
    site-packages, and jaxon._paths finds them there. The venv and its CMake build persist in
    the build directory, so that later runs rebuild only what changed."""
    env_dir = WORK / "editable"
    py = env_dir / "venv" / "bin" / "python"
    stamp = env_dir / "venv" / ".jaxon-base"
    if not stamp.exists() or stamp.read_text() != wheelhouse.joinpath(".complete").read_text():
        py = new_venv(env_dir / "venv")
        run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-index",
             "--find-links", wheelhouse, pinned("numpy"), pinned("scikit-build-core")])
        stamp.write_text(wheelhouse.joinpath(".complete").read_text())
    run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-index",
         "--no-build-isolation", "--no-deps", f"-Cbuild-dir={env_dir / 'build'}", "-e", REPO])
    site = run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['platlib'])"]).stdout.strip()
    report = check(py, tmp_path, tmp_path / "t.h5")
    assert report["jaxon"] == str(REPO / "pybridge" / "jaxon" / "__init__.py")
    assert_works_from(report, pathlib.Path(site) / "jaxon")


def test_sdist_has_what_a_build_needs(tmp_path):
    """The sdist builds on a machine without HDF5: CMake's sources and the HDF5 build script."""
    pytest.importorskip("scikit_build_core")
    p = run([sys.executable, "-c", "import sys; from scikit_build_core.build import build_sdist; "
             "print(build_sdist(sys.argv[1]))", tmp_path], cwd=REPO)
    import tarfile

    with tarfile.open(tmp_path / p.stdout.strip().splitlines()[-1]) as t:
        names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    need = {"pyproject.toml", "CMakeLists.txt", "README.md", "cmake/JaxonHDF5.cmake",
            "scripts/build-hdf5.sh", "scripts/common.sh", "pybridge/src/module.c",
            "pybridge/jaxon/__init__.py", "vol/CMakeLists.txt", "include/jaxon/vol.h"}
    assert need <= names, need - names
    assert not [n for n in names if n.split("/")[0] in (".venv", ".compat", "build")
                or n.startswith("build-")]


@pytest.mark.skipif(not os.environ.get("JAXON_OTHER_PYTHON"),
                    reason="opt-in: configure with -DJAXON_TEST_PYTHONS=<interpreters>")
def test_pip_install_repo_with_another_python(tmp_path):
    """pip install <repo> as it is (build isolation: scikit-build-core and NumPy from the
    package index) with another interpreter; then the same checks from another directory."""
    py = new_venv(tmp_path / "venv", os.environ["JAXON_OTHER_PYTHON"])
    run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", REPO], timeout=1800)
    site = run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['platlib'])"]).stdout.strip()
    work = tmp_path / "elsewhere"
    work.mkdir()
    assert_works_from(check(py, work, work / "t.h5"), pathlib.Path(site) / "jaxon")
