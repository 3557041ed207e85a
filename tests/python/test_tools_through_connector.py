"""The connector inside real HDF5 programs: h5dump, h5ls and h5stat run the way the README
shows (HDF5_PLUGIN_PATH + HDF5_VOL_CONNECTOR), the h5py wheel from PyPI (its own libhdf5,
HDF5 2.x), and the Python bridge, which must stay silent.

The tools hide HDF5's error stack and, after a refused open, retry the file with the native
connector, so the connector says what it finds on stderr: every violation of a file, as
jaxon-validate prints it behind "jaxon: ". The tools' directory comes from JAXON_HDF5_BIN
(CTest sets it), else from beside JAXON_H5DUMP, else from the package (jaxon/_hdf5/bin)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import jaxon

h5py = pytest.importorskip("h5py")

TOOLS = ("h5dump", "h5ls", "h5stat")
README_CONNECTOR = "jaxon under_vol=0;under_info={}"


def _our_hdf5_version() -> str:
    """The HDF5 version the package bundles (and the plugin is built for), from its h5dump."""
    from jaxon import _paths

    r = subprocess.run([_paths.hdf5_bin("h5dump"), "--version"], capture_output=True, text=True)
    return r.stdout.split()[-1]


OUR_HDF5_VERSION = _our_hdf5_version()


@pytest.fixture(scope="module")
def hdf5_bin():
    """Directory holding h5dump, h5ls and h5stat: the one place to repoint."""
    candidates = [os.environ.get("JAXON_HDF5_BIN", "")]
    if os.environ.get("JAXON_H5DUMP"):
        candidates.append(os.path.dirname(os.environ["JAXON_H5DUMP"]))
    candidates.append(os.path.join(os.path.dirname(jaxon.__file__), "_hdf5", "bin"))
    for d in candidates:
        if d and all(os.access(os.path.join(d, t), os.X_OK) for t in TOOLS):
            return d
    pytest.skip("no directory with h5dump, h5ls and h5stat (set JAXON_HDF5_BIN)")


def plugin_dir() -> str:
    return os.path.join(os.path.dirname(jaxon.__file__), "_plugins")


def tool_env(connector: str | None = README_CONNECTOR) -> dict:
    env = dict(os.environ, HDF5_PLUGIN_PATH=plugin_dir())
    env.pop("HDF5_VOL_CONNECTOR", None)
    if connector is not None:
        env["HDF5_VOL_CONNECTOR"] = connector
    return env


def run_tool(hdf5_bin, tool, path, *args, connector=README_CONNECTOR):
    """Runs the tool on path, from path's directory with its base name (as a person would,
    and as jaxon-validate is run below, so that the lines compare equal)."""
    argv = [os.path.join(hdf5_bin, tool), *args, os.path.basename(path)]
    if tool == "h5ls":
        argv.insert(1, "-r")
    return subprocess.run(argv, env=tool_env(connector), capture_output=True, text=True,
                          timeout=120, cwd=os.path.dirname(path))


# ---- one broken file per rule that a file on disk can break ----------------------------------

def text(loc, name, t):
    """A text attribute as the v1.2.0 writer makes it (fixed-length UTF-8)."""
    b = t.encode()
    loc.attrs.create(name, np.array(b, dtype=f"S{len(b)}"),
                     dtype=h5py.string_dtype("utf-8", len(b)))


# Each edit of the valid file {"a": 1, "b": [1, 2], "t": "txt"} breaks exactly one rule
# (jaxon-validate confirms it in every test). complete-tree is not here: it is a rule of
# writes to an existing tree, never a property of a file.
BREAKS = {
    "root": lambda f: text(f, "JAXON_ROOT:x", "dict"),
    "slot-name": lambda f: text(f["JAXON_ROOT"], "abc", "None"),
    "type-tag": lambda f: text(f["JAXON_ROOT"], "'c'", "dictt"),
    "value-type": lambda f: f["JAXON_ROOT"].attrs.__setitem__("'c'", "int(1)"),  # vlen str
    "atom-text": lambda f: text(f["JAXON_ROOT"], "'c'", "complex()"),
    "key-value": lambda f: text(f["JAXON_ROOT"], "key(0)", "'k'"),
    "index-order": lambda f: text(f["JAXON_ROOT/'b'"], "3", "int(3)"),
    "ref-path": lambda f: text(f["JAXON_ROOT"], "'c':ref", "JAXON_ROOT/'a'"),
    "ref-target": lambda f: text(f["JAXON_ROOT"], "'c':ref", "/JAXON_ROOT/'zz'"),
    "container-group": lambda f: text(f["JAXON_ROOT"], "'c'", "list"),
    "dataset": lambda f: text(f["JAXON_ROOT"], "'c'", "numpy.ndarray"),
    "stray-object": lambda f: f.create_group("JAXON_ROOT/'zz'"),
    "duplicate-slot": lambda f: text(f["JAXON_ROOT"], "'a':ref", "/JAXON_ROOT/'t'"),
}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("kinds")
    valid = str(d / "valid.h5")
    # without integrity records: each edit below would also break the edited group's
    # checksum (rule checksum, spec §12), and each file is to break exactly one rule
    jaxon.save(valid, {"a": 1, "b": [1, 2], "t": "txt"}, checksums=False)
    out = {"valid": valid}
    for rule, edit in BREAKS.items():
        path = str(d / f"{rule}.h5")
        shutil.copy(valid, path)
        with h5py.File(path, "a") as f:  # plain h5py: no connector in this process
            edit(f)
        out[rule] = path
    return out


def validator_lines(path):
    """jaxon-validate's violation lines for path (relative name, as the tools get it)."""
    cli = os.environ.get("JAXON_VALIDATE")
    if not cli or not os.path.exists(cli):
        pytest.skip("jaxon-validate is not built")
    r = subprocess.run([cli, os.path.basename(path)], capture_output=True, text=True,
                       cwd=os.path.dirname(path))
    assert r.returncode == 1, r.stdout + r.stderr
    return r.stdout.splitlines()


def said_lines(stderr):
    """The connector's lines on a tool's stderr, without the "jaxon: " prefix."""
    return [line[len("jaxon: "):] for line in stderr.splitlines() if line.startswith("jaxon: ")]


@pytest.mark.parametrize("rule", sorted(BREAKS))
@pytest.mark.parametrize("tool", TOOLS)
def test_each_tool_prints_every_violation_of_the_file(hdf5_bin, files, tool, rule):
    path = files[rule]
    name = os.path.basename(path)
    expected = validator_lines(path)
    assert len(expected) == 1 and f": [{rule}] " in expected[0], expected
    r = run_tool(hdf5_bin, tool, path)
    assert said_lines(r.stderr) == expected + [
        f"{name}: not a valid Jaxon file (layout v1.2.0, 1 violation(s)); refused by "
        "validate=strict"], r.stderr
    # Measured behaviour of the 1.14.5 tools: after the refusal they open the file with the
    # native connector and show it, exit status 0.
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip(), "the tool showed nothing"


@pytest.mark.parametrize("tool", TOOLS)
def test_validate_warn_shows_the_file_through_the_connector(hdf5_bin, files, tool):
    path = files["atom-text"]
    r = run_tool(hdf5_bin, tool, path, connector="jaxon validate=warn")
    lines = said_lines(r.stderr)
    assert lines == validator_lines(path) + [
        "atom-text.h5: not a valid Jaxon file (layout v1.2.0, 1 violation(s)); opened anyway "
        "(validate=warn)"], r.stderr
    assert r.returncode == 0 and r.stdout.strip()


@pytest.mark.parametrize("tool", ["h5dump", "h5ls"])  # h5stat 1.14.5 has no --vol-name
def test_a_tool_told_to_use_the_connector_fails_after_saying_why(hdf5_bin, files, tool):
    path = files["stray-object"]
    r = run_tool(hdf5_bin, tool, path, "--vol-name=jaxon", connector=None)
    assert said_lines(r.stderr)[:-1] == validator_lines(path), r.stderr
    assert r.returncode == 1 and "unable to open file" in r.stderr, r.stderr


@pytest.mark.parametrize("tool", TOOLS)
def test_a_valid_file_gets_no_word_from_the_connector(hdf5_bin, files, tool):
    r = run_tool(hdf5_bin, tool, files["valid"])
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert r.stdout.strip()


def test_each_violation_is_said_once_per_process_when_a_tool_opens_a_file_twice(hdf5_bin, files):
    path = files["slot-name"]
    r = subprocess.run([os.path.join(hdf5_bin, "h5diff"), path, path], env=tool_env(),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("[slot-name]") == 1, r.stderr
    assert r.stderr.count("not a valid Jaxon file") == 1, r.stderr


# ---- an info string that cannot be parsed ---------------------------------------------------

BAD_LINE = ("jaxon: bad info string 'valdate=strict': unknown key 'valdate' (expected validate, "
            "open_check, report, under_vol, under_info) (at offset 0)")


@pytest.mark.parametrize("tool", TOOLS)
def test_a_bad_info_string_in_the_environment_is_named_by_every_tool(hdf5_bin, files, tool):
    r = run_tool(hdf5_bin, tool, files["valid"], connector="jaxon valdate=strict")
    said = [l for l in r.stderr.splitlines() if l.startswith("jaxon: ")]
    assert said == [BAD_LINE + "; no file can be opened through the jaxon connector"], r.stderr
    # the library keeps the connector (no "library initialization failed" trace)
    assert "HDF5-DIAG" not in r.stderr, r.stderr


@pytest.mark.parametrize("tool", ["h5dump", "h5ls"])
def test_a_bad_vol_info_option_is_named_and_fails(hdf5_bin, files, tool):
    r = run_tool(hdf5_bin, tool, files["valid"], "--vol-name=jaxon", "--vol-info=valdate=strict",
                 connector=None)
    assert BAD_LINE in r.stderr.splitlines(), r.stderr
    assert r.returncode == 1


def test_a_bad_info_string_refuses_every_file_in_an_application(files, tmp_path):
    """h5py built against our HDF5: without the connector's stand-in, HDF5 would have fallen
    back to native and read and written files unvalidated."""
    code = textwrap.dedent("""
        import sys, h5py
        for name, mode in ((sys.argv[1], "r"), (sys.argv[2], "w")):
            try:
                h5py.File(name, mode).close()
                print("opened", mode)
            except OSError as e:
                print("refused", mode, e)
    """)
    r = subprocess.run([sys.executable, "-c", code, files["slot-name"], str(tmp_path / "n.h5")],
                       env=tool_env("jaxon valdate=strict"), capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert [l.split()[0] for l in out] == ["refused", "refused"], r.stdout
    assert all("unknown key 'valdate'" in l for l in out), r.stdout
    assert [l for l in r.stderr.splitlines() if l.startswith("jaxon: ")] == [
        BAD_LINE + "; no file can be opened through the jaxon connector"], r.stderr


# ---- the Python bridge is silent --------------------------------------------------------------

SILENT_SAVE = textwrap.dedent("""
    import os, sys, jaxon
    path = sys.argv[1]
    results = []
    try:
        jaxon.save(path, {"a": 1, "b": object()})
    except TypeError as e:
        results.append("TypeError")
    try:
        jaxon.load(sys.argv[2])
    except Exception as e:
        results.append(type(e).__name__)
    jaxon.save(path, {"a": 1})
    results.append(repr(jaxon.load(path)))
    # what is left behind: no temporary file of the failed save
    results.append(",".join(sorted(os.listdir(os.path.dirname(path)))))
    os.write(1, ("|".join(results) + "\\n").encode())
""")


@pytest.mark.parametrize("connector", [None, README_CONNECTOR, "jaxon validate=warn", "jaxon"])
def test_a_failed_save_raises_once_and_prints_nothing(files, tmp_path, connector):
    """fd 2 of the whole process is captured: the connector writes there directly."""
    d = tmp_path / "out"
    d.mkdir()
    r = subprocess.run([sys.executable, "-c", SILENT_SAVE, str(d / "x.h5"), files["slot-name"]],
                       env=tool_env(connector), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stderr == "", r.stderr
    assert r.stdout.strip() == "TypeError|JaxonFormatError|{'a': 1}|x.h5", r.stdout


# ---- the h5py wheel: another libhdf5 in the process -----------------------------------------

WHEEL_H5PY = "h5py==3.16.0"

WHEEL_SCRIPT = textwrap.dedent("""
    import sys, h5py, numpy as np
    print("hdf5", h5py.version.hdf5_version)
    for name, mode in ((sys.argv[1], "r"), (sys.argv[2], "w"), (sys.argv[3], "r")):
        try:
            with h5py.File(name, mode) as f:
                if mode == "w":
                    f["x"] = np.arange(3)
                print("ok", mode, sorted(f.keys()))
        except Exception as e:
            print("error", mode, type(e).__name__, e)
""")


@pytest.fixture(scope="module")
def wheel_python():
    """A venv with the binary h5py wheel (bundling its own libhdf5) under the build dir."""
    build = os.environ.get("JAXON_BUILD_DIR")
    if not build:
        pytest.skip("JAXON_BUILD_DIR not set (CTest sets it)")
    venv = os.path.join(build, "h5py-wheel-venv")
    py = os.path.join(venv, "bin", "python")
    marker = os.path.join(venv, ".h5py-wheel")
    if not os.path.exists(marker):
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", "--clear", venv], check=True, timeout=300)
        p = subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                            "--only-binary", ":all:", WHEEL_H5PY], capture_output=True, text=True,
                           timeout=600)
        if p.returncode != 0:
            pytest.skip(f"cannot install the {WHEEL_H5PY} wheel: {p.stderr[-500:]}")
        open(marker, "w").close()
    return py


def run_wheel(py, files, tmp_path, connector):
    r = subprocess.run([py, "-c", WHEEL_SCRIPT, files["valid"], str(tmp_path / "w.h5"),
                        str(tmp_path / "missing.h5")],
                       env=tool_env(connector), capture_output=True, text=True, timeout=300)
    lines = r.stdout.splitlines()
    return r, lines[0].split()[1], lines[1:]


@pytest.mark.parametrize("connector", [README_CONNECTOR, "jaxon"])
def test_the_h5py_wheel_refuses_cleanly_with_one_line(wheel_python, files, tmp_path, connector):
    r, wheel_hdf5, out = run_wheel(wheel_python, files, tmp_path, connector)
    assert r.returncode == 0, f"the process died: {r.returncode}\n{r.stderr[-2000:]}"
    ours = OUR_HDF5_VERSION
    assert wheel_hdf5 != ours
    # every file fails like a file HDF5 cannot open, nothing crashes
    assert [l.split()[:3] for l in out] == [["error", "r", "OSError"], ["error", "w", "OSError"],
                                            ["error", "r", "OSError"]], out
    said = [l for l in r.stderr.splitlines() if l.startswith("jaxon: ")]
    assert len(said) == 1, r.stderr
    assert f"built for HDF5 {ours}" in said[0] and f"uses HDF5 {wheel_hdf5} " in said[0], said
    # our libhdf5 never ran: it would have printed its own error stacks ("HDF5 (1.14.x)")
    assert f"({ours})" not in r.stderr, r.stderr


def test_the_h5py_wheel_is_untouched_when_only_the_plugin_path_names_us(wheel_python, files,
                                                                          tmp_path):
    """HDF5 probes every plugin on the path after a failed open: the missing file must still
    be reported as missing, and nothing said."""
    r, _, out = run_wheel(wheel_python, files, tmp_path, None)
    assert r.returncode == 0, r.stderr[-2000:]
    assert out[0] == "ok r ['JAXON_ROOT']" and out[1] == "ok w ['x']", out
    assert out[2].startswith("error r FileNotFoundError"), out
    assert "jaxon:" not in r.stderr and OUR_HDF5_VERSION not in r.stderr, r.stderr
