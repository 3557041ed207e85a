"""Interoperability with the real Python jaxon packages (1.2.0 and 2.1.0) in .compat/.

For each version, both directions:
  their save -> our load   (strict type-aware equality with conftest.assert_same, identity of
                            shared objects checked with `is`)
  our save   -> their load (their loader runs in a subprocess and compares there)
over GENERATED deterministic trees (tests/interop/gen_trees.py) plus the hand corpus. Files
written by both Python packages are also checked with jaxon-validate and with h5dump through
the connector in strict mode. Exclusions per direction: docs/compatibility.md.
"""

from __future__ import annotations

import json
import os
import pickle
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import jaxon
from jaxon import _paths
from conftest import UNDER_ASAN, assert_same

if UNDER_ASAN:  # Python jaxon imports jax at import, which aborts with libasan preloaded
    pytest.skip("Python jaxon cannot run with libasan preloaded", allow_module_level=True)

REPO = pathlib.Path(__file__).resolve().parents[2]
COMPAT = REPO / ".compat"
INTEROP = REPO / "tests" / "interop"
RUNNER = INTEROP / "run_python_jaxon.py"
# The CLI, h5dump and plugin bundled with the jaxon under test.
VALIDATE = pathlib.Path(_paths.hdf5_bin("jaxon-validate"))
H5DUMP = pathlib.Path(_paths.hdf5_bin("h5dump"))
PLUGINS = pathlib.Path(_paths.plugin_dir())
VERSIONS = ("1.2.0", "2.1.0")
N_TREES = int(os.environ.get("JAXON_INTEROP_TREES", "500"))

sys.path.insert(0, str(INTEROP))
from compare import assert_identity, custom_fields, filtered_load  # noqa: E402
from interop_types import CUSTOM_TYPES  # noqa: E402
from gen_trees import gen_tree, hand_corpus  # noqa: E402


def compat_dir(version: str) -> pathlib.Path:
    d = COMPAT / f"jaxon-{version}"
    if not (d / "jaxon" / "__init__.py").exists():
        pytest.skip(f"Python jaxon {version} is not installed in {d} "
                    "(pip install --target .compat/jaxon-<version> jaxon==<version>)")
    return d


def their_env(version: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("HDF5_VOL_CONNECTOR", "HDF5_PLUGIN_PATH", "PYTHONPATH")}
    env["PYTHONPATH"] = str(compat_dir(version))
    env["JAX_PLATFORMS"] = "cpu"
    return env


def run_theirs(version: str, *args) -> list[dict]:
    p = subprocess.run([sys.executable, str(RUNNER), *map(str, args)], env=their_env(version),
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    return [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]


def expected(path: str, profile: str):
    base = os.path.basename(path)[:-3]
    if base.startswith("t"):
        return gen_tree(int(base[1:]), profile)
    return hand_corpus(profile)[base[2:]]


def plain(x):
    """Custom objects as ("<custom>", qualname, {field: value}) so that conftest.assert_same
    (which compares unknown objects with ==) checks their fields strictly as well."""
    if isinstance(x, CUSTOM_TYPES):
        return ("<custom>", type(x).__qualname__, {n: plain(v) for n, v in custom_fields(x)})
    if type(x) is dict:
        return {k: plain(v) for k, v in x.items()}
    if type(x) in (list, tuple):
        return type(x)(plain(v) for v in x)
    return x


def same(exp, got):
    assert_same(plain(exp), plain(got))


def profile_of(version: str) -> str:
    return "py1w" if version == "1.2.0" else "py2w"


@pytest.fixture(scope="module", params=VERSIONS)
def their_files(request, tmp_path_factory):
    """Files written by Python jaxon <version>: N_TREES generated trees + the hand corpus."""
    version = request.param
    out = tmp_path_factory.mktemp(f"their-{version}")
    prof = profile_of(version)
    res = run_theirs(version, "save", out, prof, f"0-{N_TREES}")
    res += run_theirs(version, "save-corpus", out, prof)
    bad = [r for r in res if not r["ok"]]
    assert not bad, f"Python jaxon {version} could not save: {bad[:3]}"
    return version, [r["file"] for r in res]


def test_their_save_our_load(their_files):
    version, files = their_files
    prof = profile_of(version)
    min_str = 15 if version.startswith("2") else 0
    failures = []
    for f in files:
        try:
            exp = expected(f, prof)
            got = jaxon.load(f)
            same(exp, got)
            assert_identity(exp, got, min_str)
        except Exception as e:  # collect, report all at once
            failures.append(f"{os.path.basename(f)}: {type(e).__name__}: {e}"[:500])
    n_gen = sum(os.path.basename(f).startswith("t") for f in files)
    assert n_gen >= N_TREES
    assert not failures, f"{len(failures)}/{len(files)} failed:\n" + "\n".join(failures[:10])


@pytest.mark.parametrize("version", VERSIONS)
def test_our_save_their_load(version, tmp_path):
    compat_dir(version)
    files = []
    for seed in range(100_000, 100_000 + N_TREES):
        p = str(tmp_path / f"t{seed}.h5")
        jaxon.save(p, gen_tree(seed, "ourw"))
        files.append(p)
    for name, tree in hand_corpus("ourw").items():
        p = str(tmp_path / f"c_{name}.h5")
        jaxon.save(p, tree)
        files.append(p)
    res = run_theirs(version, "load", "ourw", *files)
    assert len(res) == len(files)
    bad = [f"{os.path.basename(r['file'])}: {r['error']}" for r in res if not r["ok"]]
    assert not bad, f"{len(bad)}/{len(files)} failed in jaxon {version}:\n" + "\n".join(bad[:10])


@pytest.mark.parametrize("version", VERSIONS)
def test_their_writer_through_our_connector_is_accepted(version, tmp_path):
    """Python jaxon's own saver (h5py) with our connector stacked in validate=strict: every
    create and write is checked as it happens, so a false refusal of a reference writer's
    order or text fails its save here, and a close-time complaint shows on stderr."""
    if not PLUGINS.exists():
        pytest.skip(f"{PLUGINS} not built")
    env = dict(their_env(version), HDF5_PLUGIN_PATH=str(PLUGINS),
               HDF5_VOL_CONNECTOR="jaxon validate=strict;under_vol=0;under_info={}")
    prof = profile_of(version)
    out = tmp_path / "through"
    out.mkdir()
    res = []
    for args in (("save", out, prof, f"0-{min(N_TREES, 150)}"), ("save-corpus", out, prof)):
        p = subprocess.run([sys.executable, str(RUNNER), *map(str, args)], env=env,
                           capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, p.stderr[-3000:]
        assert "jaxon:" not in p.stderr, p.stderr[-3000:]
        res += [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
    bad = [f"{os.path.basename(r['file'])}: {r['error']}" for r in res if not r["ok"]]
    assert res and not bad, f"{len(bad)}/{len(res)} refused:\n" + "\n".join(bad[:5])
    # and what went through is what their saver writes without us
    got = jaxon.load(res[0]["file"])
    same(expected(res[0]["file"], prof), got)


def test_filtered_load_matches_theirs(their_files):
    """load_filter (spec §5.1) on Python jaxon 2.1.0's files: our v2 loader and theirs, given
    the same filter (it refuses about a quarter of the paths, by a hash), are asked about the
    same paths and return the same tree with the same nodes left out. (1.2.0's own loader
    differs from the saved tree on its own files in documented ways, docs/compatibility.md,
    so our v1 filter is tested against the saved tree in test_load_filter.py instead.)"""
    version, files = their_files
    if version != "2.1.0":
        pytest.skip("compared with 2.1.0's loader only")
    # B2-1: 2.x cannot read its own dict keys containing "/" (docs/compatibility.md)
    sample = [f for f in _sample(files) if os.path.basename(f) != "c_slash_keys.h5"]
    for salt in ("a", "b", "c"):
        theirs = {r["file"]: r for r in run_theirs(version, "load-filtered", salt, *sample)}
        bad = []
        for f in sample:
            t = theirs.get(f)
            if t is None or not t["ok"]:
                bad.append(f"{os.path.basename(f)}: theirs failed: {t and t['error']}")
                continue
            try:
                got, seen = filtered_load(jaxon.load, f, salt)
                assert seen == t["paths"], "the filter was asked about other paths"
                same(pickle.loads(bytes.fromhex(t["result"])), got)
            except AssertionError as e:
                bad.append(f"{os.path.basename(f)} (salt {salt}): {e}"[:600])
        assert not bad, f"{len(bad)}/{len(sample)} differ:\n" + "\n".join(bad[:5])


def _sample(files):
    corpus = [f for f in files if os.path.basename(f).startswith("c_")]
    gen = [f for f in files if os.path.basename(f).startswith("t")]
    return corpus + gen[:: max(1, len(gen) // 40)]


def test_their_files_validate(their_files):
    if not VALIDATE.exists():
        pytest.skip(f"{VALIDATE} not built")
    version, files = their_files
    p = subprocess.run([str(VALIDATE), *_sample(files)], capture_output=True, text=True,
                       timeout=300)
    bad = [line for line in p.stdout.splitlines() if not line.endswith(")") or ": ok (" not in line]
    assert p.returncode == 0 and not bad, "\n".join(bad[:20]) + p.stderr[-2000:]


def test_their_files_h5dump_strict(their_files):
    if not H5DUMP.exists():
        pytest.skip(f"{H5DUMP} not present")
    version, files = their_files
    env = dict(os.environ, HDF5_PLUGIN_PATH=str(PLUGINS),
               HDF5_VOL_CONNECTOR="jaxon under_vol=0;under_info={}")
    bad = []
    for f in _sample(files)[:30]:
        p = subprocess.run([str(H5DUMP), "-H", f], env=env, capture_output=True, text=True,
                           timeout=120)
        if p.returncode != 0:
            bad.append(f"{os.path.basename(f)}: {(p.stderr or p.stdout)[-800:]}")
    assert not bad, "\n".join(bad[:5])


# ---- the documented exceptions (docs/compatibility.md), each checked by running it --------

@pytest.mark.parametrize("version", VERSIONS)
def test_known_exceptions_our_save(version, tmp_path):
    """Each case docs/compatibility.md lists for our writer -> their reader, run for real:
    the result records whether their reader fails or returns something different."""
    import jax
    import jax.numpy as jnp
    from interop_types import Pair

    cases = {
        "arr0d": np.array(7),
        "bfloat16": jnp.asarray([1.0, 2.0], dtype=jnp.bfloat16),
        "jaxon_import": np.add,
        "namedtuple": Pair(1, 2),
        "zero_real": [2j, 0j, 1.5j],
        "big_list": list(range(70_000)),
        "big_dict": {f"k{i}": i for i in range(100_000)} | {7: None, 1.5: b"x"},
        "prng_key": jax.random.key(0),
        "gzip": {"z": np.zeros((300, 300))},  # compressed: readable, not an exception
    }
    files = []
    for name, tree in cases.items():
        p = str(tmp_path / f"k_{name}.h5")
        jaxon.save(p, tree, compression="gzip" if name == "gzip" else None)
        files.append(p)
    code = ("import sys, jaxon, json, numpy as np\n"
            "for f in sys.argv[1:]:\n"
            "    try:\n"
            "        r = jaxon.load(f); out = repr(r)\n"
            "        if isinstance(r, list) and len(r) > 1000:\n"
            "            out = 'ordered' if r == list(range(70_000)) else 'WRONG'\n"
            "        if isinstance(r, dict) and len(r) > 1000:\n"
            "            want = {f'k{i}': i for i in range(100_000)} | {7: None, 1.5: b'x'}\n"
            "            out = 'equal' if r == want else 'WRONG'\n"
            "    except Exception as e:\n"
            "        out = 'ERROR ' + type(e).__name__\n"
            "    print(json.dumps([f, out]))\n")
    env = their_env(version)
    env["PYTHONPATH"] += os.pathsep + str(INTEROP)
    p = subprocess.run([sys.executable, "-c", code, *files], env=env,
                       capture_output=True, text=True, timeout=300)
    got = {os.path.basename(json.loads(l)[0])[2:-3]: json.loads(l)[1]
           for l in p.stdout.splitlines() if l.startswith("[")}
    # 0-d arrays: a NumPy scalar comes back (B1-4)
    assert got["arr0d"] in ("np.int64(7)", "7"), got["arr0d"]
    # ml_dtypes jax arrays (JAXON_DTYPE extension) and jaxon-import: not readable as such
    assert "dtype=float32" in got["bfloat16"], got["bfloat16"]  # data kept, dtype lost
    assert got["jaxon_import"].startswith("ERROR"), got["jaxon_import"]
    assert got["namedtuple"].startswith("ERROR"), got["namedtuple"]
    assert got["prng_key"].startswith("ERROR ValueError"), got["prng_key"]
    assert got["gzip"].startswith("{'z': array([[0., 0., 0., ..., 0., 0., 0.],"), got["gzip"]
    # > 65,535 items: zero-padded names without creation order; h5py iterates by name
    assert got["big_list"] == "ordered", got["big_list"]
    # > 65,535 entries: simple-atom slots without creation order, read in name order
    assert got["big_dict"] == "equal", got["big_dict"]
    # complex with zero real part: we write complex(2j), which 1.2.0's reader parses
    assert got["zero_real"] == "[2j, 0j, 1.5j]", got["zero_real"]
