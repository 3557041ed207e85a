"""End-to-end integrity (spec §12, issue 15 item 3): save records a CRC-32C of every group's
attributes and every dataset's data in its object comment; load checks them by default, so a
damaged byte is an error naming the damaged place (JaxonFormatError, rule "checksum"), never
different data. Files without records still load; load(verify=False) and
save(checksums=False) opt out; jaxon-validate reports damaged paths."""

from __future__ import annotations

import os
import random
import subprocess
import sys

import h5py
import numpy as np
import pytest

import jaxon
from conftest import UNDER_ASAN, assert_same

VALIDATE = os.environ.get("JAXON_VALIDATE")
H5DUMP = os.environ.get("JAXON_H5DUMP")
COMPAT = os.path.join(os.path.dirname(__file__), "..", "..", ".compat")


def damaged(path, offset, mask=0x01):
    """A copy of path beside it with the byte at offset XORed with mask."""
    data = bytearray(open(path, "rb").read())
    data[offset] ^= mask
    out = path + f".{offset}.damaged"
    with open(out, "wb") as f:
        f.write(data)
    return out


def find(path, needle, start=0):
    data = open(path, "rb").read()
    i = data.find(needle, start)
    assert i >= 0, f"{needle[:20]!r} not in {path}"
    return i


def comments(path):
    """{HDF5 path: comment} of every group and dataset, read natively with h5py."""
    out = {}
    with h5py.File(path, "r") as f:
        out["/"] = f["/"].id.get_comment(b".").decode()

        def visit(name, obj):
            parent = obj.parent
            out["/" + name] = parent.id.get_comment(name.rsplit("/", 1)[-1].encode()).decode()

        f.visititems(visit)
    return out


def tree_sample():
    """Every place a value can live: a dataset, compact attributes of a small group, a
    group in dense attribute storage (more than 8 children) with a huge (> 4 KiB) string
    and an attribute array (both outside HDF5's own heap checksums), numbers, references."""
    shared = "a shared string"
    return {
        "data": np.arange(30000, dtype=np.float32),
        "small": {"x": 1, "s": "hi", "v": np.arange(4, dtype=np.int16)},
        "big": "z" * 9000,
        "arr": np.arange(2000, dtype=np.int32),
        "refs": [shared, shared],
        **{f"k{i}": i * 0.5 for i in range(10)},
    }


@pytest.fixture
def sample(tmp_path):
    path = str(tmp_path / "sample.h5")
    tree = tree_sample()
    jaxon.save(path, tree)
    return path, tree


class TestRecords:
    def test_every_group_and_dataset_carries_a_record(self, sample):
        path, _ = sample
        found = comments(path)
        assert found["/"].startswith("jaxon-crc32c=")
        for name, text in found.items():
            assert text.startswith("jaxon-crc32c="), (name, text)
            assert len(text) == 21 or text[21:23] == "; ", (name, text)

    def test_the_connector_keeps_its_annotations_after_the_record(self, sample):
        path, _ = sample
        found = comments(path)
        assert found["/"].endswith("Jaxon layout v1.2.0 (written through the jaxon VOL "
                                   "connector)"), found["/"]
        assert found["/JAXON_ROOT"].endswith("; dict, 15 entries"), found["/JAXON_ROOT"]
        assert found["/JAXON_ROOT/'data'"].endswith("; numpy.ndarray data")

    def test_checksums_false_writes_no_records(self, tmp_path):
        path = str(tmp_path / "plain.h5")
        jaxon.save(path, tree_sample(), checksums=False)
        assert not any(t.startswith("jaxon-crc32c=") for t in comments(path).values())
        assert_same(jaxon.load(path), tree_sample())

    def test_records_are_deterministic(self, tmp_path):
        a, b = str(tmp_path / "a.h5"), str(tmp_path / "b.h5")
        jaxon.save(a, tree_sample())
        jaxon.save(b, tree_sample())
        assert open(a, "rb").read() == open(b, "rb").read()


class TestDamage:
    def check_error(self, path, where):
        with pytest.raises(jaxon.JaxonFormatError) as ei:
            jaxon.load(path)
        assert ei.value.rule == "checksum", ei.value
        assert where in ei.value.path, (where, str(ei.value))
        assert "[checksum]" in str(ei.value)
        return ei.value

    def test_dataset_data(self, sample):
        path, _ = sample
        off = find(path, np.float32(12345).tobytes())
        e = self.check_error(damaged(path, off), "attribute \"'data'\"")
        assert "does not match its checksum" in str(e)

    @pytest.mark.parametrize("where", ["first piece", "middle", "last byte"])
    def test_large_contiguous_dataset_read_and_hashed_in_one_pass(self, tmp_path, where):
        # >= 1 MiB contiguous and unfiltered: read with pread and hashed piece by piece
        # (h5io.c, jx_dataset_read_crc); a flip anywhere in it is a checksum error
        path = str(tmp_path / "big.h5")
        arr = np.arange(3 << 20, dtype=np.uint16)  # 6 MiB, not a multiple of the piece
        jaxon.save(path, {"w": arr})
        with h5py.File(path, "r") as f:
            start = f["JAXON_ROOT"]["'w'"].id.get_offset()
        assert_same(jaxon.load(path), {"w": arr})
        at = {"first piece": 17, "middle": arr.nbytes // 2 + 3, "last byte": arr.nbytes - 1}
        e = self.check_error(damaged(path, start + at[where]), "attribute \"'w'\"")
        assert "does not match its checksum" in str(e)

    def test_huge_string_attribute_in_dense_storage(self, sample):
        # HDF5 does not checksum "huge" heap objects: without records this loaded different data
        path, _ = sample
        off = find(path, b"z" * 100) + 4000
        self.check_error(damaged(path, off), "group /JAXON_ROOT")

    def test_array_attribute_in_dense_storage(self, sample):
        path, _ = sample
        off = find(path, np.arange(2000, dtype=np.int32)[1500:1502].tobytes())
        self.check_error(damaged(path, off, 0x10), "group /JAXON_ROOT")

    def test_compact_attribute_value_and_name(self, sample):
        # in the object header: HDF5's own checksum fails first, reported as rule checksum
        path, _ = sample
        self.check_error(damaged(path, find(path, b"'hi'") + 1), "/JAXON_ROOT")
        self.check_error(damaged(path, find(path, b"'v':numpy.ndarray")), "/JAXON_ROOT")

    def test_types_and_shapes_of_huge_attributes_are_covered(self, tmp_path):
        """In dense storage an attribute message above 4 KiB (name, datatype, dataspace and
        value) is a heap object HDF5 does not checksum: every bit of the first 120 bytes
        around each name flipped in turn (the datatype and dataspace follow the name) must
        never load as different data (a sign bit turned an int32 into a uint32, a member
        offset moved a structured field, before the digests covered them)."""
        path = str(tmp_path / "huge.h5")
        tree = {"i4": np.arange(1200, dtype=np.int32), "be": np.arange(1200, dtype=">i4"),
                "st": np.zeros(400, dtype=[("a", "<i4"), ("b", ">f8")]),
                "b": np.arange(5000) % 3 == 0, **{f"k{i}": i for i in range(8)}}
        jaxon.save(path, tree)
        data = open(path, "rb").read()
        for key in ("i4", "be", "st", "b"):
            at = find(path, f"'{key}':numpy.ndarray".encode())
            for off in range(at, at + 120):
                for bit in range(8):
                    p = damaged(path, off, 1 << bit)
                    try:
                        out = jaxon.load(p)
                    except (jaxon.JaxonError, jaxon.CircularPyTreeException):
                        pass
                    else:
                        assert_same(out, tree)
                    os.unlink(p)
        assert open(path, "rb").read() == data

    def test_verify_false_returns_the_damaged_data(self, sample):
        path, tree = sample
        off = find(path, np.float32(12345).tobytes())
        out = jaxon.load(damaged(path, off, 0x80), verify=False)
        assert out["data"][12345] != tree["data"][12345]

    def test_no_byte_of_the_file_changes_the_data_silently(self, sample, capfd):
        """Every 3rd byte of the file outside the dataset's data and every 97th inside it
        flipped in turn (one bit each): each load gives the saved tree exactly or raises a
        JaxonError; never different data, never a crash or a line on stderr. Data bytes
        give rule checksum."""
        path, tree = sample
        size = os.path.getsize(path)
        data_at = find(path, np.arange(30000, dtype=np.float32).tobytes()[:64])
        offsets = [o for o in range(0, size, 3) if not data_at <= o < data_at + 120000]
        offsets += list(range(data_at, data_at + 120000, 97))
        rng = random.Random(15)
        checksum_errors = 0
        for off in offsets:
            p = damaged(path, off, 1 << rng.randrange(8))
            try:
                out = jaxon.load(p)
            except (jaxon.JaxonError, jaxon.CircularPyTreeException) as e:
                checksum_errors += getattr(e, "rule", None) == "checksum"
                if data_at <= off < data_at + 120000:
                    assert getattr(e, "rule", None) == "checksum", (off, e)
            else:
                assert_same(out, tree)
            os.unlink(p)
        assert checksum_errors > len(offsets) // 2, (checksum_errors, len(offsets))
        captured = capfd.readouterr()
        assert captured.err == "", captured.err[-2000:]


class TestWhatLoads:
    def test_python_jaxon_files_load(self, tmp_path):
        if UNDER_ASAN:
            pytest.skip("Python jaxon imports jax")
        for version in ("1.2.0", "2.1.0"):
            d = os.path.join(COMPAT, f"jaxon-{version}")
            if not os.path.exists(os.path.join(d, "jaxon", "__init__.py")):
                pytest.skip(f"Python jaxon {version} is not in .compat")
            path = str(tmp_path / f"py{version}.h5")
            env = {k: v for k, v in os.environ.items()
                   if k not in ("HDF5_VOL_CONNECTOR", "HDF5_PLUGIN_PATH")}
            env.update(PYTHONPATH=d, JAX_PLATFORMS="cpu")
            code = ("import jaxon, numpy as np, sys; jaxon.save(sys.argv[1], {'a': np.arange(5),"
                    " 'b': [1, 'x', {'c': 2.5}]})")
            subprocess.run([sys.executable, "-c", code, path], env=env, check=True,
                           capture_output=True)
            out = jaxon.load(path)
            assert out["b"][2]["c"] == 2.5 and list(out["a"]) == [0, 1, 2, 3, 4]

    def test_file_without_records_loads_and_damage_goes_unseen(self, tmp_path):
        path = str(tmp_path / "plain.h5")
        jaxon.save(path, {"data": np.arange(30000, dtype=np.float32)}, checksums=False)
        off = find(path, np.float32(12345).tobytes())
        out = jaxon.load(damaged(path, off, 0x80))  # what the records are there to prevent
        assert out["data"][12345] != 12345

    def test_a_record_removed_from_a_file_that_has_them_is_an_error(self, sample):
        path, _ = sample
        with h5py.File(path, "r+") as f:
            f["JAXON_ROOT"].id.set_comment(b"'small'", b"")
        with pytest.raises(jaxon.JaxonFormatError, match=r"has none") as ei:
            jaxon.load(path)
        assert ei.value.rule == "checksum" and "'small'" in ei.value.path

    def test_a_file_changed_after_saving_is_an_error(self, sample):
        path, _ = sample
        with h5py.File(path, "r+") as f:
            f["JAXON_ROOT"]["'small'"].attrs["'y'"] = np.array(
                b"'stray'", dtype=h5py.string_dtype("utf-8", 7))
        with pytest.raises(jaxon.JaxonFormatError) as ei:
            jaxon.load(path)
        assert ei.value.rule == "checksum" and "/JAXON_ROOT/'small'" in ei.value.path
        assert jaxon.load(path, verify=False)["small"]["y"] == "stray"

    @pytest.mark.parametrize("store_in_dataset", [False, True])
    def test_every_dtype_and_shape_loads_verified(self, tmp_path, store_in_dataset):
        """No false alarms: the bytes load reads are the bytes save wrote, for every dtype
        (byte orders, bool, long double padding, complex, structured, empty, 0-d)."""
        path = str(tmp_path / "dtypes.h5")
        arrays = [np.arange(6, dtype=t).reshape(2, 3) for t in
                  ("i1", "u2", ">i4", "<i8", ">f8", "f2", "f4", "c8", ">c16", "u8")]
        arrays += [np.array([True, False, True]), np.array(3.5, dtype=np.longdouble),
                   np.zeros((0, 3), "f4"), np.array(7, "i2"), np.array([1 + 2j], np.clongdouble),
                   np.array([(1, 2.0)], dtype=[("a", "i4"), ("b", ">f8")]),
                   np.frombuffer(b"abcdef", "S3"), np.frombuffer(b"\x00\x01\xff\x02", "V2")]
        tree = {"arrays": arrays, "bytes": b"\x00" * 100, "ba": bytearray(b"xy"),
                "mv": memoryview(b"abcd"), "scalars": [np.float16(1.5), np.uint64(2 ** 64 - 1),
                                                       np.longdouble(1) / 3, np.bool_(True),
                                                       np.complex64(1j)]}
        hints = [(a, jaxon.JaxonStorageHints(store_in_dataset)) for a in arrays]
        jaxon.save(path, tree, storage_hints=hints)
        out = jaxon.load(path)
        for a, b in zip(arrays, out["arrays"]):
            assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
        if VALIDATE:
            r = subprocess.run([VALIDATE, path], capture_output=True, text=True)
            assert r.returncode == 0, r.stdout + r.stderr

    def test_jax_exact_dtypes(self, tmp_path):
        if UNDER_ASAN:
            pytest.skip("jaxlib")
        jnp = pytest.importorskip("jax.numpy")
        path = str(tmp_path / "jax.h5")
        tree = {"bf": jnp.arange(1000, dtype=jnp.bfloat16), "i4": jnp.arange(8, dtype=jnp.int4),
                "f8": jnp.ones(100000, dtype=jnp.float8_e4m3fn)}
        jaxon.save(path, tree)
        out = jaxon.load(path)
        assert out["bf"].dtype == jnp.bfloat16 and bool((out["i4"] == tree["i4"]).all())
        data = np.asarray(tree["f8"]).tobytes()
        with pytest.raises(jaxon.JaxonFormatError, match=r"\[checksum\]"):
            jaxon.load(damaged(path, find(path, data[:4096]) + 500, 0x02))

    def test_compressed_and_chunked_datasets(self, tmp_path):
        path = str(tmp_path / "gz.h5")
        a = np.arange(200000, dtype=np.float64)
        jaxon.save(path, {"a": a, "z": np.zeros(100000)}, compression="gzip")
        assert_same(jaxon.load(path), {"a": a, "z": np.zeros(100000)})
        assert comments(path)["/JAXON_ROOT/'a'"].startswith("jaxon-crc32c=")

    def test_progress_and_save_async_record_dataset_checksums(self, tmp_path):
        a = np.arange(300000, dtype=np.float32)
        p1, p2 = str(tmp_path / "progress.h5"), str(tmp_path / "async.h5")
        jaxon.save(p1, {"a": a}, progress=lambda done, total: None)
        jaxon.save_async(p2, {"a": a}).result()
        for p in (p1, p2):
            rec = comments(p)["/JAXON_ROOT/'a'"]
            assert rec.startswith("jaxon-crc32c=") and "none" not in rec, rec
            assert_same(jaxon.load(p), {"a": a})
            with pytest.raises(jaxon.JaxonFormatError, match=r"\[checksum\]"):
                jaxon.load(damaged(p, find(p, np.float32(7777).tobytes())))


class TestPartialLoads:
    def test_a_filter_does_not_skip_the_check_of_the_group_it_reads(self, sample):
        """The filter skips 'big' but loads its siblings: their group is read whole to be
        checked, so damage to the skipped node is still an error (the group is damaged)."""
        path, _ = sample
        off = find(path, b"z" * 100) + 4000
        bad = damaged(path, off)
        flt = lambda p: p[:1] != ("big",)  # noqa: E731
        with pytest.raises(jaxon.JaxonFormatError) as ei:
            jaxon.load(bad, load_filter=flt)
        assert ei.value.rule == "checksum"
        out = jaxon.load(path, load_filter=flt)
        assert out["big"] is jaxon.JAXON_NOT_LOADED and out["small"]["s"] == "hi"

    def test_lazy_whole_reads_are_checked_and_slices_are_not(self, tmp_path):
        """A chunked numpy leaf loads lazily as a LazyArray read through HDF5."""
        path = str(tmp_path / "lazy.h5")
        a = np.arange(100000, dtype=np.float64)
        jaxon.save(path, {"a": a}, storage_hints=[(a, jaxon.JaxonStorageHints(
            True, chunks=(10000,)))])
        bad = damaged(path, find(path, np.float64(54321).tobytes()), 0x01)
        lz = jaxon.load(bad, lazy=True)
        assert isinstance(lz["a"], jaxon.LazyArray)
        assert list(lz["a"][10:13]) == [10.0, 11.0, 12.0]  # a slice: not checkable
        with pytest.raises(jaxon.JaxonFormatError, match=r"\[checksum\]") as ei:
            lz["a"].load()
        assert ei.value.rule == "checksum" and "'a'" in ei.value.path

    def test_lazy_mapped_jax_leaf_whole_read_is_checked(self, tmp_path):
        if UNDER_ASAN:
            pytest.skip("jaxlib")
        jnp = pytest.importorskip("jax.numpy")
        path = str(tmp_path / "lazyjax.h5")
        jaxon.save(path, {"w": jnp.arange(100000, dtype=jnp.float32)})
        bad = damaged(path, find(path, np.float32(5555).tobytes()), 0x04)
        lz = jaxon.load(bad, lazy=True)
        assert float(lz["w"][5556:5557][0]) == 5556.0
        with pytest.raises(jaxon.JaxonFormatError, match=r"\[checksum\]"):
            lz["w"].load()
        assert float(jaxon.load(bad, lazy=True, verify=False)["w"].load()[5555]) != 5555.0


SHARDED = r"""
import os, sys
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"
import jax, jax.numpy as jnp, numpy as np, h5py
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
import jaxon
mesh = Mesh(np.array(jax.devices()).reshape(2, 2), ("x", "y"))
x = jnp.arange(256 * 96, dtype=jnp.float32).reshape(256, 96)  # 96 KiB: a dataset
for i, spec in enumerate([P("x"), P(None, "y"), P("x", "y"), P("y", "x"), P()]):
    path = os.path.join(sys.argv[1], f"s{i}.h5")
    jaxon.save(path, {"w": jax.device_put(x, NamedSharding(mesh, spec))})
    with h5py.File(path, "r") as f:
        rec = f["JAXON_ROOT"].id.get_comment(b"'w'").decode()
    assert rec.startswith("jaxon-crc32c=") and "none" not in rec, (spec, rec)
    np.testing.assert_array_equal(np.asarray(jaxon.load(path)["w"]), np.asarray(x))
    data = open(path, "rb").read()
    k = data.find(np.float32(4321).tobytes())
    bad = bytearray(data); bad[k] ^= 1
    open(path, "wb").write(bad)
    try:
        jaxon.load(path)
        raise SystemExit(f"damage not found with {spec}")
    except jaxon.JaxonFormatError as e:
        assert e.rule == "checksum", e
print("OK")
"""


def test_sharded_saves_record_the_checksum_of_the_whole_array(tmp_path):
    if UNDER_ASAN:
        pytest.skip("jaxlib")
    pytest.importorskip("jax")
    r = subprocess.run([sys.executable, "-c", SHARDED, str(tmp_path)], capture_output=True,
                       text=True, timeout=300, env=dict(os.environ, JAX_PLATFORMS="cpu"))
    assert r.returncode == 0 and "OK" in r.stdout, r.stdout[-2000:] + r.stderr[-3000:]


class TestValidator:
    def test_jaxon_validate_names_damaged_paths(self, sample):
        if not VALIDATE:
            pytest.skip("jaxon-validate not built")
        path, _ = sample
        r = subprocess.run([VALIDATE, path], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout
        bad_data = damaged(path, find(path, np.float32(12345).tobytes()))
        r = subprocess.run([VALIDATE, bad_data], capture_output=True, text=True)
        assert r.returncode == 1
        assert "/JAXON_ROOT/'data': [checksum] the dataset's data does not match" in r.stdout
        bad_str = damaged(path, find(path, b"z" * 100) + 4000)
        r = subprocess.run([VALIDATE, bad_str], capture_output=True, text=True)
        assert r.returncode == 1 and "/JAXON_ROOT: [checksum]" in r.stdout, r.stdout
        r = subprocess.run([VALIDATE, "--no-checksums", bad_str], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout

    def test_h5dump_through_the_connector_shows_record_and_annotation(self, sample):
        if not H5DUMP:
            pytest.skip("no h5dump")
        path, _ = sample
        env = dict(os.environ, HDF5_VOL_CONNECTOR="jaxon under_vol=0;under_info={}")
        r = subprocess.run([H5DUMP, "-H", path], capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr
        assert 'COMMENT "jaxon-crc32c=' in r.stdout and "; dict, 15 entries" in r.stdout
        assert r.stderr == ""
