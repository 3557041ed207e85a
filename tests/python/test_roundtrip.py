"""Every supported type comes back with its exact type and value."""

from __future__ import annotations

import math

import numpy as np
import pytest

import jaxon
from conftest import assert_same

ATOMS = [
    None, Ellipsis, True, False, 0, 1, -1, 2**63, -(2**200), 10**4000,
    0.0, -0.0, 1.5, 1e-05, 1.5e16, float("inf"), float("-inf"), float("nan"),
    complex(1, 2), 2j, 12j, 1.5j, complex(0, -1), complex(-0.0, -1.0), complex(float("nan"), float("inf")),
    range(5), range(2, 20, 3), range(-3), slice(None, 2, None), slice(1, 5, 2), slice(None),
]

STRINGS = ["", "a", "quote ' inside", "'", "''", "back\\slash", "sl/ash", "co:lon", "nul\x00mid",
           "trailing nul\x00\x00", "\x00", "ünïcødé ✓ 𝄞", "x" * 100_000, "None", "int(5)", " "]


class TestAtoms:
    @pytest.mark.parametrize("value", ATOMS, ids=repr)
    def test_roundtrip_atom(self, roundtrip, value):
        assert_same(roundtrip(value), value)

    @pytest.mark.parametrize("value", ATOMS, ids=repr)
    def test_roundtrip_atom_inside_list(self, roundtrip, value):
        assert_same(roundtrip([value, value]), [value, value])

    @pytest.mark.parametrize("value", STRINGS, ids=lambda s: repr(s[:20]))
    def test_roundtrip_string(self, roundtrip, value):
        assert_same(roundtrip({"s": value}), {"s": value})

    def test_zero_real_complex_is_not_corrupted(self, roundtrip):
        # the Python jaxon 1.2.0 writer stores 12j as complex(2)
        assert_same(roundtrip([12j, 2j, 0j]), [12j, 2j, 0j])


class TestContainers:
    def test_roundtrip_nested_containers(self, roundtrip):
        tree = {"a": [1, (2, 3), {4, 5}, frozenset({6})], "b": {"c": {"d": []}}, "e": (), "f": {}}
        assert_same(roundtrip(tree), tree)

    def test_keeps_dict_order(self, roundtrip):
        tree = {str(i): i for i in range(100, 0, -1)}
        assert list(roundtrip(tree)) == list(tree)

    def test_roundtrip_non_string_keys(self, roundtrip):
        tree = {1: "int", 1.5: "float", None: "none", True: "bool", (1, 2): "tuple",
                frozenset({1}): "frozenset", 2j: "complex", range(3): "range",
                "a/b": "slash", "nul\x00": "nul", b"bytes": "bytes", ...: "ellipsis",
                np.int32(7): "numpy key"}
        assert_same(roundtrip(tree), tree)

    def test_roundtrip_keys_with_slashes_that_collide_as_paths(self, roundtrip):
        tree = {"a/b": [1], "a//b": [2], "a/./b": [3], "a": {"b": [4]}}
        assert_same(roundtrip(tree), tree)

    def test_roundtrip_root_containers(self, roundtrip):
        for tree in ([], (), set(), frozenset(), {}, [[[]]]):
            assert_same(roundtrip(tree), tree)

    def test_roundtrip_list_longer_than_hdf5_creation_index(self, roundtrip):
        tree = list(range(70_000))
        assert_same(roundtrip(tree), tree)

    def test_roundtrip_dict_longer_than_hdf5_creation_index(self, roundtrip):
        # beyond 65,535 entries the entries come back in name order (spec §11)
        tree = {f"k{i}": [i] for i in range(100_000)} | {3: None, 2.5: b"x", None: "n"}
        back = roundtrip(tree)
        assert back == tree and len(back) == len(tree)
        assert list(back) == sorted(tree, key=lambda k: jaxon_slot_text(k))

    def test_big_dict_with_a_key_that_is_no_simple_atom_fails_before_writing(self, h5path):
        jaxon.save(h5path, [1, 2])
        with pytest.raises(ValueError, match=r"65,535 entries .*\(1, 2\)"):
            jaxon.save(h5path, {i: i for i in range(70_000)} | {(1, 2): 0})
        assert jaxon.load(h5path) == [1, 2]  # the previous file is untouched


def jaxon_slot_text(key):
    """The v1.2.0 attribute name of a simple dict key (spec §3.3), for name order."""
    if isinstance(key, str):
        return "'" + key + "'"
    if key is None:
        return "None"
    return f"{type(key).__name__}({key!r})".encode().decode()


NUMPY_SCALARS = [np.bool_(True), np.int8(-8), np.int16(-16), np.int32(-32), np.int64(-64),
                 np.uint8(8), np.uint16(16), np.uint32(32), np.uint64(2**64 - 1),
                 np.float16(1.5), np.float32(-2.5), np.float64(np.pi), np.longdouble(1) / 3,
                 np.complex64(1 + 2j), np.complex128(3 - 4j), np.clongdouble(1 + 1j) / 3]


class TestNumpy:
    @pytest.mark.parametrize("value", NUMPY_SCALARS, ids=lambda v: type(v).__name__)
    def test_roundtrip_numpy_scalar(self, roundtrip, value):
        assert_same(roundtrip(value), value)

    @pytest.mark.parametrize("dtype", ["bool", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8",
                                       "f2", "f4", "f8", "g", "c8", "c16", "G", ">i4", ">f8",
                                       "S5", "V3"])
    @pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3), (2, 0, 4)])
    def test_roundtrip_array(self, roundtrip, dtype, shape):
        rng = np.random.default_rng(0)
        a = np.frombuffer(rng.bytes(int(np.prod(shape)) * np.dtype(dtype).itemsize),
                          dtype=dtype).reshape(shape).copy()
        if a.dtype == bool:
            a = a.view(np.uint8) % 2 == 1
        assert_same(roundtrip({"a": a}), {"a": a})

    def test_roundtrip_structured_array(self, roundtrip):
        a = np.zeros(4, dtype=[("x", "f4"), ("y", "i8", (2,)), ("z", [("w", "u1")])])
        a["x"] = [1, 2, 3, 4]
        assert_same(roundtrip(a), a)

    def test_roundtrip_non_contiguous_array(self, roundtrip):
        a = np.arange(20).reshape(4, 5)[:, ::2]
        assert_same(roundtrip(a), np.ascontiguousarray(a))

    def test_large_array_goes_to_a_dataset(self, roundtrip, h5path):
        import h5py
        a = np.arange(1 << 20, dtype=np.float32)
        assert_same(roundtrip({"big": a, "small": a[:4].copy()}), {"big": a, "small": a[:4]})
        with h5py.File(h5path, "r") as f:
            assert isinstance(f["JAXON_ROOT/'big'"], h5py.Dataset)
            assert "'small':numpy.ndarray" in f["JAXON_ROOT"].attrs

    def test_storage_hint_overrides_size(self, roundtrip, h5path):
        import h5py
        small, big = np.arange(3), np.arange(1 << 18)
        hints = [(small, jaxon.JaxonStorageHints(True)), (big, jaxon.JaxonStorageHints(False))]
        assert_same(roundtrip([small, big], storage_hints=hints), [small, big])
        with h5py.File(h5path, "r") as f:
            assert isinstance(f["JAXON_ROOT/0"], h5py.Dataset)
            assert "1:numpy.ndarray" in f["JAXON_ROOT"].attrs

    def test_unicode_array_is_rejected_with_path(self, h5path):
        with pytest.raises(TypeError, match=r"root\['u'\]"):
            jaxon.save(h5path, {"u": np.array(["x"])})


class TestBytesAndJax:
    def test_roundtrip_bytes_types(self, roundtrip):
        tree = [b"", b"abc\x00", bytearray(b"xyz"), bytearray()]
        assert_same(roundtrip(tree), tree)

    def test_roundtrip_memoryview(self, roundtrip):
        mv = memoryview(np.arange(6, dtype=np.int16).reshape(2, 3))
        out = roundtrip(mv)
        assert isinstance(out, memoryview)
        assert out.tobytes() == mv.tobytes()

    def test_roundtrip_jax_array(self, roundtrip):
        import jax.numpy as jnp
        for x in (jnp.arange(3), jnp.ones((2, 2), jnp.float32), jnp.array(1.5)):
            out = roundtrip(x)
            assert_same(out, x)


class TestNumericOptions:
    def test_inexact_python_numbers_become_numpy_scalars(self, roundtrip):
        out = roundtrip([1, 1.5, True, 1j], exact_python_numeric_types=False)
        assert_same(out, [np.int64(1), np.float64(1.5), np.bool_(True), np.complex128(1j)])

    def test_py_to_np_types_converts_only_listed_types(self, roundtrip):
        out = roundtrip([1, 1.5, 2**63], py_to_np_types=[float, int])
        assert_same(out, [np.int64(1), np.float64(1.5), np.uint64(2**63)])

    def test_downcast_to_base_types(self, roundtrip):
        class MyList(list):
            pass

        class MyStr(str):
            pass

        out = roundtrip({"l": MyList([1, 2]), "s": MyStr("x")},
                        downcast_to_base_types=[MyList, MyStr])
        assert_same(out, {"l": [1, 2], "s": "x"})

    def test_downcast_numpy_string_subclasses_to_str_and_bytes(self, roundtrip):
        # flexible NumPy scalars were rebuilt from a pointer instead of their data
        # (SystemError: invalid maximum character); 1.2.0 stores them as str/bytes
        class S(np.str_):
            pass

        class B(np.bytes_):
            pass

        out = roundtrip([S("text"), B(b"raw")], downcast_to_base_types=[S, B])
        assert_same(out, ["text", b"raw"])


class TestRootStorage:
    def test_large_array_as_root_goes_to_a_dataset(self, roundtrip):
        a = np.arange(1 << 18, dtype=np.float32)
        assert_same(roundtrip(a), a)

    def test_large_bytes_as_root(self, roundtrip):
        b = bytes(range(256)) * 1000
        assert_same(roundtrip(b), b)


class TestExactDtypes:
    NAMES = ["bfloat16", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz",
             "float8_e4m3b11fnuz", "float4_e2m1fn", "float8_e8m0fnu", "int4", "uint4", "int2",
             "uint2"]

    def test_jax_arrays_keep_exact_dtype_and_bits(self, roundtrip):
        import jax.numpy as jnp
        for name in self.NAMES:
            x = jnp.arange(-2, 4).astype(name) if "u" not in name[:2] else jnp.arange(4).astype(name)
            out = roundtrip({"x": x})["x"]
            assert str(out.dtype) == name
            assert np.asarray(out).tobytes() == np.asarray(x).tobytes(), name

    def test_numpy_ml_dtypes_arrays(self, roundtrip):
        import ml_dtypes
        a = np.arange(6).astype(ml_dtypes.bfloat16)
        assert_same(roundtrip([a]), [a])

    def test_stored_itemsize_is_not_widened(self, h5path):
        import h5py
        import jax.numpy as jnp
        jaxon.save(h5path, {"b": jnp.zeros(1000, "bfloat16"), "f8": jnp.zeros(1000, "float8_e4m3fn")})
        with h5py.File(h5path, "r") as f:
            assert f["JAXON_ROOT/'b'"].id.get_storage_size() == 2000
            assert f["JAXON_ROOT/'f8'"].id.get_storage_size() == 1000
