"""load(..., lazy=True): memory-mapped and proxied array leaves (issue 16, item 1).

Lazy loads are compared with eager loads of the same files: our own saves (v1.2.0 layout,
datasets of many dtypes), files of the Python jaxon 1.2.0 writer with storage hints, the
generated interop corpus of Python jaxon 2.1.0 (v2 layout: every array in a dataset) and
1.2.0, and files h5repack compressed (chunked datasets, which cannot be mapped). Slices of
proxies and maps must equal the same slices of the eager arrays; the file must stay
readable while leaves live, also after jaxon.save replaced the path.
"""

from __future__ import annotations

import gc
import io
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import jaxon
from conftest import UNDER_ASAN, assert_same

REPO = pathlib.Path(__file__).resolve().parents[2]
# h5repack of the HDF5 build (CTest sets JAXON_HDF5_PREFIX; scripts/hdf5-prefix.sh otherwise)
H5REPACK = pathlib.Path(os.environ.get("JAXON_HDF5_PREFIX") or subprocess.run(
    ["bash", str(REPO / "scripts" / "hdf5-prefix.sh")], capture_output=True, text=True
).stdout.strip()) / "bin" / "h5repack"


def is_obj(x):
    """A custom object (dataclass, to_jaxon class) rather than an array or a scalar."""
    return (hasattr(x, "__dict__") and not isinstance(x, type) and not callable(x)
            and not hasattr(x, "dtype"))


def materialize(x):
    """The lazy tree as the eager loader gives it: proxies loaded, maps copied."""
    if isinstance(x, jaxon.LazyArray):
        return x.load()
    if type(x) is np.ndarray:
        return np.array(x) if not x.flags.writeable else x
    if type(x) is dict:
        return {k: materialize(v) for k, v in x.items()}
    if type(x) in (list, tuple):
        return type(x)(materialize(v) for v in x)
    if is_obj(x):
        # custom objects (dataclasses, to_jaxon classes): compare field by field
        return ("<obj>", type(x).__qualname__,
                {k: materialize(v) for k, v in sorted(vars(x).items())})
    return x


def plain_eager(x):
    if type(x) is dict:
        return {k: plain_eager(v) for k, v in x.items()}
    if type(x) in (list, tuple):
        return type(x)(plain_eager(v) for v in x)
    if is_obj(x):
        return ("<obj>", type(x).__qualname__,
                {k: plain_eager(v) for k, v in sorted(vars(x).items())})
    return x


def leaves(x, out=None):
    out = [] if out is None else out
    if type(x) is dict:
        for v in x.values():
            leaves(v, out)
    elif type(x) in (list, tuple):
        for v in x:
            leaves(v, out)
    elif is_obj(x):
        for v in vars(x).values():
            leaves(v, out)
    else:
        out.append(x)
    return out


def basic_indices(shape):
    """A spread of basic indices for an array of this shape."""
    idx = [(), Ellipsis]
    if not shape:
        return idx + [None, (Ellipsis, None)]
    n = shape[0]
    idx += [0, -1, slice(None), slice(1, None), slice(None, None, 2), slice(None, None, -1),
            slice(n - 1, 0, -3), slice(n, n + 3), slice(-2, None), (Ellipsis, 0),
            (None, slice(0, 2)), slice(5, 1)]
    if len(shape) >= 2:
        m = shape[1]
        idx += [(slice(None), 0), (0, slice(None, None, 3)), (slice(1, 3), slice(m - 1, None, -2)),
                (Ellipsis, slice(1, 2)), (-1, -1)]
    return [i for i in idx if _valid(i, shape)]


def _valid(i, shape):
    try:
        np.empty(shape, dtype=np.int8)[i]
        return True
    except IndexError:
        return False


def check_same_lazily(path):
    """Lazy load of path == eager load (types, values, slices)."""
    eager = jaxon.load(path)
    lazy = jaxon.load(path, lazy=True)
    assert_same(plain_eager(eager), materialize(lazy))
    for e, z in zip(leaves(eager), leaves(lazy)):
        if isinstance(z, jaxon.LazyArray):
            e_np = np.asarray(e)
            assert z.shape == e_np.shape and z.ndim == e_np.ndim and z.size == e_np.size
            assert z.nbytes == e_np.nbytes and z.dtype == e_np.dtype
            assert z.is_jax == (type(e) is not np.ndarray)
            for i in basic_indices(z.shape):
                got = z[i]
                want = e_np[i]
                assert type(got) is type(want), (i, type(got), type(want))
                np.testing.assert_array_equal(got, want)
                assert np.shape(got) == np.shape(want)
        elif type(z) is np.ndarray and not z.flags.writeable:
            assert type(e) is np.ndarray and e.dtype == z.dtype
            np.testing.assert_array_equal(z, e)
    return eager, lazy


# ---- our own files -------------------------------------------------------------------------

def big(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(-100, 100, size=shape).astype(dtype)


def _ml_dtypes():
    try:
        import ml_dtypes
        return ml_dtypes
    except (ImportError, pytest.skip.Exception):  # not importable under the sanitizers
        return None


@pytest.fixture
def ours(tmp_path):
    ml_dtypes = _ml_dtypes()
    tree = {
        "f32": big((300, 70), np.float32),
        "i64": big((40_000,), np.int64, 1),
        "be": big((100, 90), ">f8", 2),
        "c128": big((80, 60), np.complex128, 3),
        "fortran": np.asfortranarray(big((200, 100), np.float32, 4)),
        "boolds": big((200, 400), np.int8, 5) > 0,
        "bf16": big((128, 300), ml_dtypes.bfloat16 if ml_dtypes else np.float16, 6),
        "struct": np.zeros(10_000, dtype=[("a", "<i4"), ("b", "<f8")]),
        "small": np.arange(5),
        "three_d": big((20, 30, 60), np.uint16, 7),
        "list": [big((100, 100), np.float64, 8), "text", 1.5],
    }
    hinted = [np.arange(3.0), np.array(7.0)]
    tree["hinted"] = hinted
    p = str(tmp_path / "ours.h5")
    jaxon.save(p, tree, storage_hints=[(a, jaxon.JaxonStorageHints(True)) for a in hinted])
    return p, tree


def test_lazy_matches_eager_on_our_files(ours):
    path, tree = ours
    eager, lazy = check_same_lazily(path)
    # contiguous datasets whose bytes are the dtype's layout are read-only maps of the file
    for k in ("f32", "i64", "be", "c128", "fortran", "bf16", "struct", "three_d"):
        assert type(lazy[k]) is np.ndarray and not lazy[k].flags.writeable, k
        assert not lazy[k].flags.owndata
    assert type(lazy["list"][0]) is np.ndarray and not lazy["list"][0].flags.writeable
    # HDF5 booleans are normalised to 0/1 when read: a proxy
    assert isinstance(lazy["boolds"], jaxon.LazyArray)
    # attribute-held leaves are loaded eagerly (small is below the dataset threshold)
    assert type(lazy["small"]) is np.ndarray and lazy["small"].flags.writeable
    assert lazy["hinted"][1].shape == () and float(lazy["hinted"][1]) == 7.0


def test_mapped_leaves_are_read_only(ours):
    path, _ = ours
    lazy = jaxon.load(path, lazy=True)
    with pytest.raises(ValueError, match="read-only"):
        lazy["f32"][0, 0] = 1.0
    with pytest.raises(ValueError):
        lazy["f32"].setflags(write=True)


def test_proxy_api(ours):
    path, tree = ours
    z = jaxon.load(path, lazy=True)["boolds"]
    assert len(z) == 200 and z.shape == (200, 400) and z.ndim == 2 and z.dtype == np.bool_
    assert z.size == 80_000 and z.nbytes == 80_000 and not z.is_jax
    assert "LazyArray" in repr(z) and "(200, 400)" in repr(z)
    np.testing.assert_array_equal(np.asarray(z), tree["boolds"])
    np.testing.assert_array_equal(np.asarray(z, dtype=np.int8), tree["boolds"].astype(np.int8))
    np.testing.assert_array_equal(z.load(), tree["boolds"])
    # fancy indices read everything, then index (documented fallback)
    np.testing.assert_array_equal(z[[3, 1, 3]], tree["boolds"][[3, 1, 3]])
    mask = np.zeros(200, bool)
    mask[::7] = True
    np.testing.assert_array_equal(z[mask], tree["boolds"][mask])
    with pytest.raises(IndexError):
        z[200]
    with pytest.raises(IndexError):
        z[0, 0, 0]
    with pytest.raises(IndexError):
        z[..., ...]


def test_jax_leaves_are_proxies(tmp_path):
    jnp = pytest.importorskip("jax.numpy")
    x = jnp.arange(50_000, dtype=jnp.float32).reshape(500, 100)
    y = jnp.arange(40_000, dtype=jnp.bfloat16)
    s = jnp.arange(3)  # attribute: eager
    p = str(tmp_path / "jax.h5")
    jaxon.save(p, {"x": x, "y": y, "s": s})
    eager, lazy = check_same_lazily(p)
    assert isinstance(lazy["x"], jaxon.LazyArray) and lazy["x"].is_jax
    assert lazy["y"].dtype == y.dtype
    assert type(lazy["s"]) is type(eager["s"])
    got = lazy["x"].load()
    assert type(got) is type(eager["x"]) and got.dtype == x.dtype
    np.testing.assert_array_equal(np.asarray(got), np.asarray(x))
    np.testing.assert_array_equal(lazy["x"][10:20, ::3], np.asarray(x)[10:20, ::3])


def test_compressed_datasets_are_read_by_hyperslab(ours, tmp_path):
    path, tree = ours
    packed = str(tmp_path / "packed.h5")
    jaxon.save(packed, tree, compression="gzip")
    eager, lazy = check_same_lazily(packed)
    for k in ("f32", "i64", "be", "bf16", "three_d"):
        assert isinstance(lazy[k], jaxon.LazyArray), k
    np.testing.assert_array_equal(lazy["three_d"][3:7, ::-2, 5], tree["three_d"][3:7, ::-2, 5])


def test_h5repack_output_is_refused_for_its_lost_order(ours, tmp_path):
    # h5repack does not keep attribute creation order: the order of list items and dict
    # entries is gone, and the validator and the loader refuse the copy alike
    if not H5REPACK.exists():
        pytest.skip("h5repack not built")
    path, _ = ours
    packed = str(tmp_path / "packed.h5")
    subprocess.run([str(H5REPACK), "-f", "GZIP=4", path, packed], check=True,
                   env={k: v for k, v in os.environ.items() if k != "HDF5_VOL_CONNECTOR"})
    for lazy in (False, True):
        with pytest.raises(jaxon.JaxonFormatError) as e:
            jaxon.load(packed, lazy=lazy)
        assert e.value.rule == "index-order"


def test_lazy_with_load_filter(ours):
    path, tree = ours
    lazy = jaxon.load(path, lazy=True, load_filter=lambda p: p[:1] in ((), ("f32",)))
    assert lazy["i64"] is jaxon.JAXON_NOT_LOADED
    np.testing.assert_array_equal(lazy["f32"], tree["f32"])


def test_lazy_needs_a_path(ours):
    path, _ = ours
    with open(path, "rb") as f, pytest.raises(TypeError, match="needs a path"):
        jaxon.load(f, lazy=True)
    with open(path, "rb") as f:  # eager loads of file objects are unchanged
        assert set(jaxon.load(io.BytesIO(f.read()))) == set(jaxon.load(path))


def test_shared_arrays_stay_shared(tmp_path):
    a = np.arange(100_000.0)
    p = str(tmp_path / "shared.h5")
    jaxon.save(p, {"a": a, "b": a, "c": [a]})
    lazy = jaxon.load(p, lazy=True)
    assert lazy["a"] is lazy["b"] is lazy["c"][0]


# ---- lifetime --------------------------------------------------------------------------------

def open_fds_to(path_prefix):
    n = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith(path_prefix):
                n += 1
        except OSError:
            pass
    return n


def mapped_regions_of(path_prefix):
    with open("/proc/self/maps") as f:
        return sum(1 for line in f if path_prefix in line)


def test_replacing_the_file_keeps_old_leaves_valid(ours):
    path, tree = ours
    lazy = jaxon.load(path, lazy=True)
    bools, f32 = lazy["boolds"], lazy["f32"]
    # jaxon.save replaces by rename: the lazy load keeps the old inode open and mapped
    jaxon.save(path, {"f32": np.zeros((2, 2)), "boolds": np.zeros(3, bool)})
    np.testing.assert_array_equal(f32, tree["f32"])
    np.testing.assert_array_equal(bools[5:9], tree["boolds"][5:9])
    np.testing.assert_array_equal(jaxon.load(path)["f32"], np.zeros((2, 2)))
    # unlinking the path does not matter either
    os.unlink(path)
    np.testing.assert_array_equal(bools[::-1, 3], tree["boolds"][::-1, 3])
    assert open_fds_to(path) >= 1  # ".../ours.h5 (deleted)"
    del lazy, bools, f32
    gc.collect()
    # the last leaf gone: the file is closed and unmapped
    assert open_fds_to(path) == 0
    assert mapped_regions_of(path) == 0


def test_saving_in_place_under_a_lazy_load_is_refused(ours):
    """A file-object save rewrites and truncates the file in place: under a live map that
    would crash readers with SIGBUS, so it is refused while a lazy load has the file open."""
    path, tree = ours
    lazy = jaxon.load(path, lazy=True)
    with open(path, "r+b") as f, pytest.raises(ValueError, match="lazy=True"):
        jaxon.save(f, {"x": 1})
    np.testing.assert_array_equal(lazy["f32"], tree["f32"])  # untouched
    del lazy
    gc.collect()
    with open(path, "r+b") as f:  # no lazy load left: allowed again
        jaxon.save(f, {"x": 1})
    assert jaxon.load(path) == {"x": 1}


def test_hdf5_writers_elsewhere_are_locked_out(ours):
    """HDF5 keeps its shared lock while the lazy load is alive: h5py "r+" in another process
    is refused instead of rewriting the mapped bytes."""
    path, _ = ours
    code = "import h5py, sys; h5py.File(sys.argv[1], 'r+').close()"
    env = {k: v for k, v in os.environ.items() if k != "HDF5_VOL_CONNECTOR"}
    lazy = jaxon.load(path, lazy=True)
    r = subprocess.run([sys.executable, "-c", code, path], env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode != 0 and "unable to lock file" in r.stderr, r.stderr[-1000:]
    del lazy
    gc.collect()
    r = subprocess.run([sys.executable, "-c", code, path], env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-1000:]


def test_file_closes_when_last_leaf_dies(ours):
    path, _ = ours
    lazy = jaxon.load(path, lazy=True)
    keep = lazy["f32"]  # a mapped array alone keeps the map, not the HDF5 file
    proxy = lazy["boolds"]
    del lazy
    gc.collect()
    assert mapped_regions_of(path) >= 1
    assert open_fds_to(path) == 2  # HDF5's, and the map's own (mmap.mmap dups it)
    del proxy
    gc.collect()
    assert open_fds_to(path) == 1  # HDF5's descriptor closed with the last proxy
    assert float(keep.sum()) == float(np.array(keep).sum())
    del keep
    gc.collect()
    assert mapped_regions_of(path) == 0


def test_eager_load_is_unchanged_while_a_lazy_load_is_open(ours):
    path, tree = ours
    lazy = jaxon.load(path, lazy=True)
    again = jaxon.load(path)
    np.testing.assert_array_equal(again["f32"], tree["f32"])
    assert again["f32"].flags.writeable
    del lazy


# ---- reading only what is asked ---------------------------------------------------------------

def rchar():
    with open("/proc/self/io") as f:
        return int(next(line for line in f if line.startswith("rchar")).split()[1])


def rss():
    with open("/proc/self/status") as f:
        return int(next(line for line in f if line.startswith("VmRSS")).split()[1]) * 1024


def test_lazy_load_reads_almost_nothing(tmp_path):
    n = 64 << 20  # 64 MiB of arrays (the benchmark script measures 1 GiB)
    a = np.ones(n // 4, np.float32).reshape(-1, 1024)
    b = np.ones(n // 8, np.float64)
    p = str(tmp_path / "big.h5")
    jaxon.save(p, {"a": a, "b": b})
    del a, b
    gc.collect()
    r0, m0 = rchar(), rss()
    lazy = jaxon.load(p, lazy=True)
    r1, m1 = rchar(), rss()
    assert r1 - r0 < (1 << 20), r1 - r0  # metadata only
    assert m1 - m0 < (8 << 20), m1 - m0
    # a 1 MiB slice of a mapped array touches about 1 MiB of the map
    s = np.array(lazy["a"][100:356])
    m2 = rss()
    assert s.nbytes == 1 << 20 and (m2 - m1) < (4 << 20), m2 - m1


def test_proxy_slice_reads_about_the_slice(tmp_path):
    if not H5REPACK.exists():
        pytest.skip("h5repack not built")
    # chunked + compressed: a proxy; chunks of 1 MiB (rows of 4 KiB)
    a = np.arange(16 << 20, dtype=np.float32).reshape(-1, 1024)
    p = str(tmp_path / "big.h5")
    q = str(tmp_path / "chunked.h5")
    jaxon.save(p, {"a": a})
    subprocess.run([str(H5REPACK), "-l", "CHUNK=256x1024", p, q], check=True,
                   env={k: v for k, v in os.environ.items() if k != "HDF5_VOL_CONNECTOR"})
    lazy = jaxon.load(q, lazy=True)
    z = lazy["a"]
    assert isinstance(z, jaxon.LazyArray)
    r0 = rchar()
    s = z[1024:1280]  # 1 MiB, one chunk
    r1 = rchar()
    np.testing.assert_array_equal(s, a[1024:1280])
    assert (1 << 20) <= r1 - r0 < (1 << 20) + (256 << 10), r1 - r0


# ---- the interop corpus (Python jaxon 1.2.0 and 2.1.0) ----------------------------------------

def _their_hinted_file(version, out):
    """A file of Python jaxon <version> with array leaves in datasets (1.2.0: storage hints;
    2.x stores every array in a dataset)."""
    from test_interop import run_theirs  # noqa: F401 (skips when not installed)
    from test_interop import their_env

    script = r"""
import sys, numpy as np, jax.numpy as jnp, jaxon
arrs = {"f": np.arange(6000.0).reshape(60, 100), "i": np.arange(5000, dtype=np.int16),
        "b": np.arange(3000) % 3 == 0, "c": (np.arange(400) * 1j).reshape(20, 20),
        "j": jnp.arange(2000, dtype=jnp.float32).reshape(40, 50), "z": np.zeros((0, 3)),
        "s": np.float64(1.5) * np.ones(()), "u": np.arange(24, dtype=">u4").reshape(2, 3, 4)}
kw = {}
if hasattr(jaxon, "JaxonStorageHints") and "storage_hints" in jaxon.save.__code__.co_varnames:
    kw["storage_hints"] = [(v, jaxon.JaxonStorageHints(True)) for v in arrs.values()]
jaxon.save(sys.argv[1], {"arrs": arrs, "nested": [arrs["f"], {"k": arrs["i"]}]}, **kw)
"""
    p = str(out / f"hinted-{version}.h5")
    r = subprocess.run([sys.executable, "-c", script, p], env=their_env(version),
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return p


@pytest.mark.skipif(UNDER_ASAN, reason="Python jaxon imports jax")
@pytest.mark.parametrize("version", ("1.2.0", "2.1.0"))
def test_lazy_matches_eager_on_their_files(version, tmp_path):
    from test_interop import run_theirs

    prof = "py1w" if version == "1.2.0" else "py2w"
    res = run_theirs(version, "save", tmp_path, prof, "0-120")
    res += run_theirs(version, "save-corpus", tmp_path, prof)
    files = [r["file"] for r in res if r["ok"]]
    assert len(files) >= 120
    files.append(_their_hinted_file(version, tmp_path))
    failures = []
    n_lazy = 0
    for f in files:
        try:
            _, lazy = check_same_lazily(f)
            n_lazy += sum(isinstance(z, jaxon.LazyArray) or
                          (type(z) is np.ndarray and not z.flags.writeable)
                          for z in leaves(lazy))
        except Exception as e:  # collect, report all at once
            failures.append(f"{os.path.basename(f)}: {type(e).__name__}: {e}"[:500])
    assert not failures, f"{len(failures)}/{len(files)} differ:\n" + "\n".join(failures[:10])
    assert n_lazy >= 8  # the corpus did exercise maps and proxies
