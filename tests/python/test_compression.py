"""Compression and chunking through storage hints and save(compression=...): round trips,
the files' HDF5 storage as h5py (+ hdf5plugin) sees and reads it, the default staying
contiguous, clear errors, and the loader's bound on what chunked datasets may claim."""

from __future__ import annotations

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

import jaxon  # noqa: E402
from jaxon import JaxonStorageHints as H  # noqa: E402
from conftest import validate  # noqa: E402
from test_load_v1 import craft, format_error, text_attr  # noqa: E402

GZIP, SHUFFLE, ZSTD, LZ4, BLOSC = 1, 2, 32015, 32004, 32001


def filters_of(path, name):
    with h5py.File(path, "r") as f:
        d = f["JAXON_ROOT"][name]
        plist = d.id.get_create_plist()
        return (d.chunks, [plist.get_filter(i)[0] for i in range(plist.get_nfilters())],
                d.id.get_storage_size())


def checkpoint():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((512, 300)).astype(np.float32)
    return {"w": w, "m": np.zeros_like(w), "v": np.zeros((300,), np.float64) + 1e-3,
            "step": np.int64(3), "small": np.arange(10), "empty": np.zeros((0, 4)),
            "scalar": np.array(2.5)}


def test_default_is_contiguous_and_uncompressed(h5path):
    jaxon.save(h5path, checkpoint())
    chunks, filters, _ = filters_of(h5path, "'w'")
    assert chunks is None and filters == []


def test_gzip_hint_round_trip_readable_by_h5py(h5path):
    tree = checkpoint()
    jaxon.save(h5path, tree, storage_hints=[(tree["m"], H(compression="gzip", shuffle=True))])
    validate(h5path)
    chunks, filters, size = filters_of(h5path, "'m'")
    assert filters == [SHUFFLE, GZIP] and chunks is not None
    assert size < tree["m"].nbytes / 100
    assert filters_of(h5path, "'w'")[1] == []  # only the hinted array
    r = jaxon.load(h5path)
    for k in ("w", "m", "v"):
        assert r[k].dtype == tree[k].dtype and np.array_equal(r[k], tree[k])
    with h5py.File(h5path, "r") as f:
        assert np.array_equal(f["JAXON_ROOT"]["'m'"][...], tree["m"])


def test_save_compression_applies_to_every_dataset_only(h5path):
    tree = checkpoint()
    jaxon.save(h5path, tree, compression=H(compression="gzip", compression_opts=1))
    validate(h5path)
    for k in ("'w'", "'m'"):
        chunks, filters, _ = filters_of(h5path, k)
        assert filters == [GZIP] and chunks is not None
    with h5py.File(h5path, "r") as f:
        # small data stays in attributes; 0-d and empty arrays cannot be chunked
        assert "'small':numpy.ndarray" in f["JAXON_ROOT"].attrs
        assert f["JAXON_ROOT"]["'m'"].compression_opts == 1
    r = jaxon.load(h5path)
    for k, v in tree.items():
        assert np.array_equal(r[k], v)


def test_zero_d_and_empty_arrays_stay_contiguous(h5path):
    s, e = np.array(1.0), np.zeros((0, 3))
    jaxon.save(h5path, {"s": s, "e": e},
               storage_hints=[(s, H(compression="gzip")), (e, H(compression="gzip"))])
    assert filters_of(h5path, "'s'")[:2] == (None, [])
    assert filters_of(h5path, "'e'")[:2] == (None, [])
    r = jaxon.load(h5path)
    assert r["s"].shape == () and r["e"].shape == (0, 3)


def test_explicit_chunks(h5path):
    a = np.arange(100 * 70, dtype=np.int32).reshape(100, 70)
    jaxon.save(h5path, {"a": a}, storage_hints=[(a, H(chunks=(10, 100)))])
    assert filters_of(h5path, "'a'")[:2] == ((10, 70), [])  # clipped to the axis
    assert np.array_equal(jaxon.load(h5path)["a"], a)


def test_bytes_compressed(h5path):
    b = bytes(200_000)
    jaxon.save(h5path, {"b": b}, compression="gzip")
    assert filters_of(h5path, "'b'")[1] == [GZIP]
    assert jaxon.load(h5path)["b"] == b


@pytest.mark.parametrize("bad, match", [
    (dict(compression="brotli"), "unknown compression 'brotli'"),
    (dict(compression="gzip", compression_opts=12), "gzip compression_opts"),
    (dict(store_in_dataset=False, compression="gzip"), "store_in_dataset=True"),
    (dict(chunks=(0, 3)), "chunks must be a tuple of positive ints"),
    (dict(compression_opts=3), "compression_opts needs a compression"),
])
def test_bad_hints_fail_when_made(bad, match):
    with pytest.raises(ValueError, match=match):
        H(**bad)


def test_chunks_of_the_wrong_rank_name_the_path(h5path):
    a = np.zeros((300, 300))
    with pytest.raises(ValueError, match=r"root\['x'\]\[0\].*one entry per axis"):
        jaxon.save(h5path, {"x": [a]}, storage_hints=[(a, H(chunks=(10,)))])


def test_loader_still_bounds_unwritten_chunks(tmp_path):
    path = str(tmp_path / "bomb.h5")

    def build(g):
        text_attr(g, "'a'", "numpy.ndarray")
        d = g.create_dataset("'a'", shape=(10**6, 10**5), dtype="f8", chunks=(1000, 1000),
                             compression="gzip")
        d[:1000, :1000] = 0.0  # one chunk of 10^5 written: the rest reads as fill
    craft(path, build)
    format_error(path, "'a'", "claims")


# ---- hdf5plugin filters ------------------------------------------------------------------


@pytest.mark.parametrize("name, opts, fid", [("zstd", None, ZSTD), ("lz4", None, LZ4),
                                             ("blosc", None, BLOSC),
                                             ("blosc", (9, 1, "zstd"), BLOSC)])
def test_plugin_filters_round_trip_beyond_any_ratio_bound(h5path, name, opts, fid):
    hdf5plugin = pytest.importorskip("hdf5plugin")
    zeros = np.zeros((2048, 4096), np.float32)  # 32 MiB: compresses far beyond 1100:1
    w = np.random.default_rng(1).standard_normal((700, 300))
    jaxon.save(h5path, {"zeros": zeros, "w": w},
               compression=H(compression=name, compression_opts=opts))
    validate(h5path)
    chunks, filters, size = filters_of(h5path, "'zeros'")
    assert filters == [fid]
    print(name, opts, "ratio on zeros", zeros.nbytes / size)
    if name == "zstd" or opts:  # lz4 (also inside blosc) cannot go beyond 255:1
        assert zeros.nbytes / size > 1100
    r = jaxon.load(h5path)
    assert np.array_equal(r["zeros"], zeros) and np.array_equal(r["w"], w)
    with h5py.File(h5path, "r") as f:  # readable by h5py with hdf5plugin imported
        assert hdf5plugin is not None
        assert np.array_equal(f["JAXON_ROOT"]["'w'"][...], w)


def test_hdf5plugin_filter_objects(h5path):
    hdf5plugin = pytest.importorskip("hdf5plugin")
    a = np.tile(np.arange(1000, dtype=np.float64), 100)
    jaxon.save(h5path, {"a": a}, storage_hints=[(a, H(compression=hdf5plugin.Zstd(clevel=9)))])
    assert filters_of(h5path, "'a'")[1] == [ZSTD]
    assert np.array_equal(jaxon.load(h5path)["a"], a)


def test_plugins_load_into_our_libhdf5_without_h5py(tmp_path):
    """The fallback for an h5py with its own libhdf5: hdf5plugin's directory added to ours,
    blosc initialised against our library; checked in a process that never imports h5py."""
    import importlib.util
    import os
    import subprocess
    import sys

    spec = importlib.util.find_spec("hdf5plugin")
    if spec is None:
        pytest.skip("hdf5plugin is not installed")
    plugins = os.path.join(list(spec.submodule_search_locations)[0], "plugins")
    code = f"""
import sys, numpy as np, jaxon
from jaxon import _jaxon
assert not _jaxon._filter_available(32001)
_jaxon._add_filter_plugins({plugins!r})
a = np.zeros((512, 1024))
for c in ("blosc", "zstd", "lz4"):
    jaxon.save({str(tmp_path / 'p.h5')!r}, {{"a": a}}, compression=c)
    assert np.array_equal(jaxon.load({str(tmp_path / 'p.h5')!r})["a"], a)
assert "h5py" not in sys.modules and "hdf5plugin" not in sys.modules
print("ok")
"""
    env = dict(os.environ)
    env.pop("HDF5_PLUGIN_PATH", None)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and r.stdout == "ok\n" and r.stderr == "", r.stdout + r.stderr
