"""The C loader on files in the Jaxon v1.2.0 layout, written by the h5py reference writer
(v1_writer.py) so that loading is tested independently of the C saver.

Malformed files go through the jaxon connector, which validates the layout at open and may
refuse a file with its own message before the loader runs; those tests accept
JaxonFormatError either way and check the loader's location/rule text only when the message
is the loader's own (it then starts with "group /").
"""

from __future__ import annotations

import io
import json
import math
import os
import pickle
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest
from h5py import h5t

import jaxon
from conftest import assert_same

sys.path.insert(0, os.path.dirname(__file__))
import v1_writer  # noqa: E402
from v1_writer import new_file, text_attr, typed_attr  # noqa: E402


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "v1.h5")


def write_and_load(path, tree, load_kwargs=None, **save_kwargs):
    v1_writer.save(path, tree, **save_kwargs)
    return jaxon.load(path, **(load_kwargs or {}))


# The connector refuses malformed files at open (validate=strict); with validate=off the
# loader itself sees them. HDF5 reads HDF5_VOL_CONNECTOR once, so that runs in a subprocess.
_UNVALIDATED_ENV = dict(os.environ,
                        HDF5_VOL_CONNECTOR="jaxon validate=off;under_vol=0;under_info={}")
_LOAD_SNIPPET = """
import json, pickle, sys
import jaxon
kw = pickle.loads(bytes.fromhex(sys.argv[2]))
try:
    out = {"value": pickle.dumps(jaxon.load(sys.argv[1], **kw)).hex()}
except Exception as e:
    out = {"type": type(e).__name__, "msg": str(e), "rule": getattr(e, "rule", None)}
print(json.dumps(out))
"""


def load_unvalidated(path, **load_kwargs):
    """(value, None) or (None, {"type": exception class name, "msg": message})."""
    r = subprocess.run([sys.executable, "-c", _LOAD_SNIPPET, path,
                        pickle.dumps(load_kwargs).hex()],
                       env=_UNVALIDATED_ENV, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    if "value" in out:
        return pickle.loads(bytes.fromhex(out["value"])), None
    return None, out


def format_error(path, *parts, exc=None, rule=None, **load_kwargs):
    """path must fail to load with JaxonFormatError (or exc) whether or not the connector
    validates it; the loader's own message (validation off) names the location (group path
    and attribute) and contains every one of parts, and its .rule is rule (the validator's
    rule name, docs/validation.md) when given. Returns that message."""
    exc = exc or jaxon.JaxonFormatError
    with pytest.raises((jaxon.JaxonFormatError, exc)):
        jaxon.load(path, **load_kwargs)
    value, err = load_unvalidated(path, **load_kwargs)
    assert err is not None, f"loaded {value!r}"
    assert err["type"] == exc.__name__, err
    assert err["msg"].startswith("group /"), err["msg"]
    for part in parts:
        assert part in err["msg"], f"{part!r} not in {err['msg']!r}"
    if rule is not None:
        assert err["rule"] == rule, err
    return err["msg"]


def craft(path, build):
    """A file whose JAXON_ROOT group is filled by build(root_group); root typehint dict."""
    with new_file(path) as f:
        g = f.create_group("JAXON_ROOT", track_order=True)
        build(g)
        text_attr(f, "JAXON_ROOT", "dict")


# ---- atoms ---------------------------------------------------------------------------------

ATOMS = [
    None, ..., True, False, 0, -1, 7, 2**64, -(10**300), 0.0, -0.0, 1.5, 1e-05, 1.5e16,
    float("inf"), float("-inf"), 1 + 2j, -1.5 - 0.5j, complex(-0.0, -1.0), 2j, 12j, 0j,
    complex(float("nan"), float("inf")), range(3), range(2, 20, 3), range(-5, 5, -1),
    slice(1, None), slice(None, None, None), slice(-1, 2, 3), "", "x", "it's a/b\\c:d",
    "héllo ☃", "tab\tnew\nline", "emb\0ed", "trail\0\0", "'", "''quoted''",
]


class TestAtoms:
    @pytest.mark.parametrize("value", ATOMS, ids=repr)
    def test_load_atom_as_root(self, path, value):
        assert_same(write_and_load(path, value), value)

    def test_load_atoms_in_list(self, path):
        assert_same(write_and_load(path, ATOMS), ATOMS)

    def test_load_nan(self, path):
        r = write_and_load(path, [float("nan"), complex(float("nan"), 1)])
        assert math.isnan(r[0]) and math.isnan(r[1].real) and r[1].imag == 1

    @pytest.mark.parametrize("text,value", [
        ("int( 5 )", 5), ("int(1_000)", 1000), ("int(+3)", 3), ("int(-0)", 0),
        ("float(Infinity)", float("inf")), ("float( 2.5 )", 2.5), ("float(1_0.5)", 10.5),
        ("complex(5+1j)", 5 + 1j), ("complex(2j)", 2j), ("complex(-0-1j)", complex(-0.0, -1)),
        ("complex((1+2j))", 1 + 2j), ("complex(3)", 3 + 0j),
        ("range(0,5)", range(5)), ("range(1,9,2)", range(1, 9, 2)),
        ("slice(None,2,None)", slice(None, 2)), ("slice(1,None,-1)", slice(1, None, -1)),
    ])
    def test_non_canonical_text_is_refused_as_the_validator_does(self, path, text, value):
        # Python's constructors would take every one of these; the layout takes the
        # canonical repr only, and the loader agrees with the validator on each (issue 14)
        with new_file(path) as f:
            text_attr(f, "JAXON_ROOT", text)
        r, err = load_unvalidated(path)
        v = subprocess.run([os.environ["JAXON_VALIDATE"], path], capture_output=True, text=True)
        assert (err is None) == (v.returncode == 0), (err, v.stdout)
        if err is None:
            assert_same(r, value)
        else:
            assert err["rule"] == "atom-text" and "[atom-text]" in v.stdout, (err, v.stdout)

    def test_load_long_string(self, path):
        s = "ab" * 500_000
        assert write_and_load(path, [s])[0] == s

    def test_load_huge_int(self, path):
        n = 7 ** 3000
        assert write_and_load(path, n) == n


# ---- containers ----------------------------------------------------------------------------

class TestContainers:
    def test_load_nested_containers(self, path):
        tree = {"l": [1, [2, (3, {4})]], "t": (), "e": {}, "s": set(), "f": frozenset({1, "a"}),
                "d": {"x": {"y": {"z": []}}}}
        assert_same(write_and_load(path, tree), tree)

    def test_keep_dict_order(self, path):
        tree = {f"k{i}": i for i in range(30, 0, -1)}
        assert list(write_and_load(path, tree)) == list(tree)

    def test_keep_list_order_beyond_ten(self, path):
        tree = list(range(25))
        assert write_and_load(path, tree) == tree

    def test_load_set_contents(self, path):
        tree = {1, 2.5, "a", None, (1, 2), frozenset({3})}
        assert_same(write_and_load(path, tree), tree)

    def test_load_simple_keys_of_every_atom_kind(self, path):
        tree = {None: 1, ...: 2, True: 3, 4: 4, 2.5: 5, 1 + 2j: 6, range(2): 7,
                "s": 9, "": 10, "a:b": 11, "q'uote": 12}
        if sys.version_info >= (3, 12):  # slices are hashable from 3.12 on
            tree[slice(1, None)] = 8
        r = write_and_load(path, tree)
        assert list(r.items()) == list(tree.items())
        assert type(list(r)[2]) is bool

    def test_load_key_value_pairs(self, path):
        tree = {1: "one", (1, 2): [3], "k\0": None, 2.5: b"x", frozenset({1}): "f",
                np.int32(3): "np", (): ()}
        r = write_and_load(path, tree)
        assert_same(r, tree)

    def test_load_keys_with_slash(self, path):
        tree = {"x/y": {"z": 1}, "q": [7], "a/b/c": [1], "a/d": b"\1", "s/": "v"}
        assert_same(write_and_load(path, tree), tree)

    def test_load_container_as_root_of_each_kind(self, path):
        for tree in ([], (), set(), frozenset(), {}, [[]], ({},)):
            assert_same(write_and_load(path, tree), tree)

    def test_load_wide_group(self, path):
        tree = {f"k{i}": [i] for i in range(2000)}
        assert_same(write_and_load(path, tree), tree)


# ---- numpy ---------------------------------------------------------------------------------

SCALARS = [t(1) for t in v1_writer.NP_NUMERIC] + [
    np.float16(-0.0), np.longdouble("1.1"), np.clongdouble(1.1 + 2.2j), np.True_, np.False_,
    np.int64(-(2**63)), np.uint64(2**64 - 1), np.float64("nan")]


class TestNumpy:
    @pytest.mark.parametrize("value", SCALARS, ids=lambda v: f"{type(v).__name__}({v})")
    def test_load_scalar_of_exact_type(self, path, value):
        r = write_and_load(path, {"v": value})["v"]
        assert type(r) is type(value)
        if isinstance(value, (np.longdouble, np.clongdouble)):
            assert r == value  # x86-64 long doubles carry 6 undefined padding bytes
        else:
            assert r.tobytes() == value.tobytes()

    def test_load_big_endian_scalars_as_native_scalars(self, path):
        def build(g):
            typed_attr(g, "'i'", np.array(5, dtype=">i4"))
            typed_attr(g, "'f'", np.array(2.5, dtype=">f8"))
            typed_attr(g, "'c'", np.array(1 + 2j, dtype=">c16"))
        craft(path, build)
        assert_same(jaxon.load(path), {"i": np.int32(5), "f": np.float64(2.5),
                                       "c": np.complex128(1 + 2j)})

    def test_load_python_numerics_converted_to_numpy(self, path):
        tree = {"i": 3, "f": 0.5, "b": False, "c": 1j}
        r = write_and_load(path, tree, exact_python_numeric_types=False)
        assert_same(r, {"i": np.int64(3), "f": np.float64(0.5), "b": np.False_,
                        "c": np.complex128(1j)})

    @pytest.mark.parametrize("dtype", [
        "i1", "u1", ">i2", "<u2", ">i4", "i8", ">u8", "f2", ">f2", "f4", ">f4", "f8", ">f8",
        "g", "c8", ">c8", "c16", ">c16", "G", "?", "S3", "V4",
        [("a", "<i4"), ("b", ">f8"), ("c", "S2")],
        [("pos", "<f4", (3,)), ("flag", "?"), ("inner", [("x", "<i2"), ("z", "c8")])],
        ("<i4", (2, 3)),
    ], ids=str)
    def test_load_array_dtype(self, path, dtype):
        dt = np.dtype(dtype)
        base = np.arange(6 * dt.itemsize, dtype=np.uint8) % 7
        a = base.view(dt) if dt.subdtype is None else np.zeros(2, dtype=dt)
        if dt.kind == "b":
            a = np.array([True, False, True, True])
        if dt.kind == "f" or dt.kind == "c":
            a = np.linspace(-3, 3, 6).astype(dt)
        r = write_and_load(path, [a])[0]
        expected = a if dt.subdtype is None else a.reshape(a.shape)
        assert r.dtype == expected.dtype, (r.dtype, expected.dtype)
        assert r.shape == expected.shape
        assert r.tobytes() == expected.tobytes()

    @pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (1,), (2, 3, 4)])
    def test_keep_shape(self, path, shape):
        a = np.ones(shape, dtype=np.float32)
        r = write_and_load(path, a)
        assert type(r) is np.ndarray and r.shape == shape and r.dtype == a.dtype

    def test_return_zero_dim_array_not_scalar(self, path):
        r = write_and_load(path, {"z": np.array(7)})["z"]
        assert type(r) is np.ndarray and r.shape == () and r == 7

    def test_load_storage_hint_datasets(self, path):
        a, b, ba, mv = np.arange(10.0), b"blob", bytearray(b"ba"), memoryview(b"mv")
        tree = {"a": a, "b": b, "ba": ba, "a2": a, "mv": mv, "0d": np.array(3, np.int8),
                "e": np.zeros((0, 2))}
        hints = [(a, True), (b, True), (ba, True), (mv, True), (tree["0d"], True),
                 (tree["e"], True)]
        r = write_and_load(path, tree, storage_hints=hints)
        assert_same(r, tree)
        assert r["a"] is r["a2"]
        with h5py.File(path) as f:
            assert isinstance(f["JAXON_ROOT/'a'"], h5py.Dataset)

    def test_load_large_dataset(self, path):
        a = np.random.default_rng(0).random((600, 600))
        r = write_and_load(path, {"a": a}, storage_hints=[(a, True)])
        assert np.array_equal(r["a"], a)

    def test_load_large_attribute(self, path):
        a = np.arange(300_000, dtype=np.int64)
        assert np.array_equal(write_and_load(path, a), a)


# ---- buffers, jax, dill ----------------------------------------------------------------------

class TestBuffers:
    def test_load_bytes_kinds(self, path):
        tree = (b"ab\0", bytearray(b""), memoryview(b"z"), b"", bytearray(b"\xff" * 1000))
        r = write_and_load(path, tree)
        assert_same(r, tree)

    def test_load_memoryview_with_shape(self, path):
        mv = memoryview(np.arange(6, dtype=np.int16).reshape(2, 3))
        r = write_and_load(path, [mv])[0]
        assert type(r) is memoryview and r.format == "h" and r.shape == (2, 3)
        assert r.tobytes() == mv.tobytes()


# jaxlib aborts under a preloaded AddressSanitizer runtime (its C++ exception interceptor
# finds no __cxa_throw), so the sanitizer run skips the test that really imports jax.
UNDER_ASAN = "libasan" in os.environ.get("LD_PRELOAD", "")


class TestJax:
    @pytest.mark.skipif(UNDER_ASAN, reason="jaxlib cannot run with libasan preloaded")
    def test_load_jax_array(self, path):
        jnp = pytest.importorskip("jax.numpy")
        import jax
        x = jnp.array([1.0, 2.0])
        r = write_and_load(path, {"x": x, "y": x})
        assert isinstance(r["x"], jax.Array)
        assert np.array_equal(np.asarray(r["x"]), [1.0, 2.0])
        assert r["x"] is r["y"]

    @pytest.mark.skipif(UNDER_ASAN, reason="jaxlib cannot run with libasan preloaded")
    def test_load_exact_jax_dtype_from_dataset(self, path):
        ml_dtypes = pytest.importorskip("ml_dtypes")
        bits = np.array([1.5, -2.0, 3e30], dtype=ml_dtypes.bfloat16).view("<u2")

        def build(g):
            text_attr(g, "'x'", "jax.Array")
            ds = g.create_dataset("'x'", data=bits)
            text_attr(ds, "JAXON_DTYPE", "bfloat16")
        craft(path, build)
        r, err = load_unvalidated(path)
        assert err is None, err
        assert str(r["x"].dtype) == "bfloat16"
        assert np.asarray(r["x"]).view("<u2").tobytes() == bits.tobytes()

    def test_reject_unknown_jax_dtype_name(self, path):
        def build(g):
            text_attr(g, "'x'", "jax.Array")
            ds = g.create_dataset("'x'", data=np.zeros(2, "<u2"))
            text_attr(ds, "JAXON_DTYPE", "os.system")
        craft(path, build)
        format_error(path, "'x'", "JAXON_DTYPE")

    def test_import_does_not_import_jax(self, path):
        v1_writer.save(path, {"a": np.arange(2)})
        code = ("import sys, jaxon; jaxon.load(sys.argv[1]); "
                "assert 'jax' not in sys.modules and 'dill' not in sys.modules")
        subprocess.run([sys.executable, "-c", code, path], check=True)


class Opaque:
    def __init__(self, v):
        self.v = v

    def __eq__(self, other):
        return type(other) is Opaque and other.v == self.v


class TestDill:
    def test_refuse_dill_without_allow_dill(self, path):
        v1_writer.save(path, {"o": Opaque(1)}, allow_dill=True)
        # a refusal of code from the file: JaxonSecurityError (a JaxonFormatError) that
        # shows the blob's typehint (the message once printed a literal %.*s)
        msg = format_error(path, "allow_dill=True", "dill blob", "(!",
                           exc=jaxon.JaxonSecurityError)
        assert "%" not in msg and "[dill-refused]" in msg

    def test_load_dill_with_allow_dill(self, path):
        o = Opaque([1, 2])
        r = write_and_load(path, {"o": o, "p": o}, {"allow_dill": True}, allow_dill=True)
        assert r["o"] == o and r["o"] is r["p"]

    def test_load_dill_from_dataset(self, path):
        o = Opaque(3)
        r = write_and_load(path, [o], {"allow_dill": True}, allow_dill=True,
                           storage_hints=[(o, True)])
        assert r == [o]

    def test_pass_dill_kwargs(self, path):
        v1_writer.save(path, [Opaque(1)], allow_dill=True)
        # dill's own TypeError, reported as a blob that cannot be unpickled
        with pytest.raises((TypeError, jaxon.JaxonFormatError), match="no_such_option"):
            jaxon.load(path, allow_dill=True, dill_kwargs={"no_such_option": 1})

    def test_report_garbage_blob(self, path):
        craft(path, lambda g: typed_attr(g, "'o':!m.K", np.frombuffer(b"junk", np.uint8)))
        format_error(path, "'o':!m.K", "unpickle", allow_dill=True)


# ---- references --------------------------------------------------------------------------

class TestReferences:
    def test_keep_identity_of_shared_objects(self, path):
        a, s, l, b = np.arange(2), "shared", [1], b"by"
        tree = {"a": a, "b": [a, s, s, l, b], "c": s, "l": l, "bb": b, "t": (l, l)}
        r = write_and_load(path, tree)
        assert r["a"] is r["b"][0]
        assert r["b"][1] is r["b"][2] is r["c"]
        assert r["b"][3] is r["l"] is r["t"][0] is r["t"][1]
        assert r["b"][4] is r["bb"]

    def test_resolve_escaped_paths(self, path):
        s = "it's a/b\\c"
        tree = {"k/1": {"x": s}, "r": s, "back\\slash": {"y": s}}
        r = write_and_load(path, tree)
        assert r["r"] is r["k/1"]["x"] is r["back\\slash"]["y"]

    def test_resolve_reference_as_dict_key(self, path):
        t = (1, 2)
        tree = {t: "a", "x": [t], (t,): t}
        r = write_and_load(path, tree)
        k = list(r)[0]
        assert r["x"][0] is k and list(r)[2][0] is k and r[(k,)] is k

    def test_share_containers_across_depth(self, path):
        inner = {"deep": [1, 2]}
        tree = [inner, [[inner]], {"z": inner}]
        r = write_and_load(path, tree)
        assert r[0] is r[1][0][0] is r[2]["z"]

    def test_reject_dangling_reference(self, path):
        craft(path, lambda g: text_attr(g, "'a':ref", "/JAXON_ROOT/'nope'"))
        format_error(path, rule="ref-target")

    def test_load_forward_reference_with_identity(self, path):
        # no writer makes one; Python 1.2.0 and the validator take it (spec §10.5)
        def build(g):
            text_attr(g, "'a':ref", "/JAXON_ROOT/'b'")
            sub = g.create_group("'b'", track_order=True)
            text_attr(sub, "0", "'later'")
            text_attr(g, "'b'", "list")
        craft(path, build)
        r, err = load_unvalidated(path)
        assert err is None and r == {"a": ["later"], "b": ["later"]}, err
        r = jaxon.load(path)
        assert r["a"] is r["b"]

    def test_reject_reference_to_ancestor(self, path):
        def build(g):
            sub = g.create_group("'d'", track_order=True)
            text_attr(sub, "0:ref", "/JAXON_ROOT/'d'")
            text_attr(g, "'d'", "list")
        craft(path, build)
        format_error(path, "0:ref", "cycle", exc=jaxon.CircularPyTreeException)

    def test_reject_reference_to_itself(self, path):
        craft(path, lambda g: text_attr(g, "'a':ref", "/JAXON_ROOT/'a':ref"))
        format_error(path, "'a':ref")

    def test_reject_relative_reference(self, path):
        craft(path, lambda g: text_attr(g, "'a':ref", "JAXON_ROOT/'x'"))
        format_error(path, "'a':ref", "starts with /", rule="ref-path")


# ---- marshaler tags ------------------------------------------------------------------------

class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


def marshal_point(obj):
    return ("pt", {"x": obj.x, "y": obj.y}) if type(obj) is Point else None


class TestTags:
    def test_apply_custom_unmarshaler(self, path):
        v1_writer.save(path, [Point(1, 2)], custom_marshalers=[marshal_point])

        def unmarshal(tag, obj):
            return Point(obj["x"], obj["y"]) if tag == "pt" else None

        r = jaxon.load(path, custom_unmarshalers=[lambda t, o: None, unmarshal])
        assert type(r[0]) is Point and (r[0].x, r[0].y) == (1, 2)

    def test_apply_tags_left_to_right(self, path):
        craft(path, lambda g: (g.create_group("'c'", track_order=True),
                               text_attr(g, "'c'", "list#inner#outer")))
        seen = []

        def unm(tag, obj):
            seen.append(tag)
            return (tag, obj)

        r = jaxon.load(path, custom_unmarshalers=[unm])
        assert seen == ["inner", "outer"] and r["c"] == ("outer", ("inner", []))

    def test_reject_unclaimed_tag(self, path):
        v1_writer.save(path, [Point(1, 2)], custom_marshalers=[marshal_point])
        format_error(path, "'pt'", "custom_unmarshaler")


# ---- layout versions, options, sources -----------------------------------------------------

class TestEntry:
    def test_dispatch_on_jaxon_version_reads_v2_atoms(self, path):
        # a JAXON_VERSION attribute selects the v2.x reader, where atoms are bare reprs
        with new_file(path) as f:
            text_attr(f, "JAXON_VERSION", "2.0.0")
            text_attr(f, "JAXON_ROOT", "42")
        assert jaxon.load(path) == 42

    def test_load_filter_skipping_everything_below_the_root(self, path):
        v1_writer.save(path, [1, [2]])
        out = jaxon.load(path, load_filter=lambda p: len(p) < 1)
        assert out == [jaxon.JAXON_NOT_LOADED, jaxon.JAXON_NOT_LOADED]

    def test_load_from_file_object(self, path):
        tree = {"a": [1, "x", np.arange(3)], "b": b"z"}
        r = jaxon.load(io.BytesIO(v1_writer.save_bytes(tree)))
        assert_same(r, tree)

    def test_load_from_pathlike(self, tmp_path):
        p = tmp_path / "p.h5"
        v1_writer.save(str(p), {"a": 1})
        assert jaxon.load(p) == {"a": 1}

    def test_keep_creation_order_when_storage_order_differs(self, path):
        # deleting and adding compact attributes reuses header slots: HDF5's native order
        # is then 4, 1, 3, 5 while the creation order is 1, 3, 4, 5 (a dict: its keys may
        # be any atoms in any order, the entries come back in creation order)
        with new_file(path) as f:
            g = f.create_group("JAXON_ROOT", track_order=True)
            for i in range(4):
                text_attr(g, f"int({i})", f"int({i})")
            del g.attrs["int(0)"], g.attrs["int(2)"]
            text_attr(g, "int(4)", "int(4)")
            text_attr(g, "int(5)", "int(5)")
            text_attr(f, "JAXON_ROOT", "dict")
        loaded, error = load_unvalidated(path)
        assert error is None and list(loaded.items()) == [(1, 1), (3, 3), (4, 4), (5, 5)]

    def test_read_groups_without_creation_order_by_name(self, path):
        with h5py.File(path, "w") as f:
            g = f.create_group("JAXON_ROOT")
            text_attr(g, "b", "int(2)")
            text_attr(g, "a", "int(1)")
            text_attr(f, "JAXON_ROOT", "list")
        try:
            r = jaxon.load(path)
        except jaxon.JaxonFormatError:
            return  # the connector may insist on creation order
        assert r == [1, 2]


# ---- malformed files -----------------------------------------------------------------------

class TestMalformed:
    def test_reject_non_hdf5(self, path):
        with open(path, "wb") as f:
            f.write(b"this is not HDF5" * 100)
        with pytest.raises(jaxon.JaxonFormatError):
            jaxon.load(path)

    def test_reject_non_hdf5_file_object(self):
        with pytest.raises(jaxon.JaxonFormatError):
            jaxon.load(io.BytesIO(b"\x89HDF\r\n junk"))

    def test_reject_missing_root(self, path):
        with new_file(path) as f:
            text_attr(f, "something", "'x'")
        format_error(path, "'something'", rule="stray-object")

    def test_reject_bad_root_name(self, path):
        with new_file(path) as f:
            text_attr(f, "JAXON_ROOTS", "int(1)")
        format_error(path, "JAXON_ROOT")

    @pytest.mark.parametrize("text", [
        "int(x)", "int(1", "int", "intx(1)", "float(abc)", "bool(yes)", "complex(1+)",
        "range(1)", "range(1,2,3,4)", "range(0,5,0)", "slice(1,2)", "slice(a,None,None)",
        "'unterminated", "'", "int(" + "9" * 5000 + ")", "float(1\x002)"])
    def test_reject_bad_atom_text(self, path, text):
        craft(path, lambda g: text_attr(g, "'k'", text))
        format_error(path, "group /JAXON_ROOT, attribute \"'k'\"", rule="atom-text")

    @pytest.mark.parametrize("text", ["Dict", "dictionary", "ref", "", "list x"])
    def test_reject_bad_value_typehint(self, path, text):
        craft(path, lambda g: (g.create_group("'k'"), text_attr(g, "'k'", text or "\0")))
        format_error(path, "'k'")

    def test_reject_bad_name_typehint(self, path):
        craft(path, lambda g: typed_attr(g, "'k':numpy.array", np.arange(2)))
        format_error(path, "numpy.array", rule="type-tag")

    def test_reject_invalid_utf8(self, path):
        craft(path, lambda g: text_attr(g, "'k'", b"'\xff\xfe'"))
        format_error(path, "'k'", rule="atom-text")

    def test_reject_ascii_text(self, path):
        craft(path, lambda g: text_attr(g, "'k'", "'x'", cset=h5t.CSET_ASCII))
        format_error(path, "'k'", "UTF-8")

    def test_reject_variable_length_text(self, path):
        craft(path, lambda g: g.attrs.create("'k'", "'x'", dtype=h5py.string_dtype()))
        format_error(path, "'k'", "variable-length")

    def test_reject_array_without_typehint(self, path):
        craft(path, lambda g: typed_attr(g, "'k'", np.arange(3)))
        format_error(path, "'k'", "unexpected attribute type")

    def test_reject_structured_scalar_without_typehint(self, path):
        craft(path, lambda g: typed_attr(g, "'k'", np.zeros((), dtype=[("a", "i4")])))
        format_error(path, "'k'", "unexpected attribute type")

    def test_reject_key_without_value(self, path):
        craft(path, lambda g: text_attr(g, "key(0)", "int(1)"))
        format_error(path, rule="key-value")

    def test_reject_key_followed_by_other_key(self, path):
        def build(g):
            text_attr(g, "key(0)", "int(1)")
            text_attr(g, "'x'", "int(2)")
        craft(path, build)
        format_error(path, "'x'", rule="key-value")

    def test_reject_value_without_key(self, path):
        craft(path, lambda g: text_attr(g, "value(0)", "int(1)"))
        format_error(path, "value(0)", rule="key-value")

    def test_reject_wrong_pair_index(self, path):
        def build(g):
            text_attr(g, "'a'", "int(1)")
            text_attr(g, "key(0)", "int(1)")
            text_attr(g, "value(0)", "int(1)")
        craft(path, build)
        format_error(path, "key(0)", rule="key-value")

    def test_reject_non_simple_dict_slot(self, path):
        craft(path, lambda g: text_attr(g, "whatever", "int(1)"))
        format_error(path, "whatever", rule="slot-name")

    def test_reject_unhashable_key(self, path):
        def build(g):
            g.create_group("key(0)", track_order=True)
            text_attr(g, "key(0)", "list")
            text_attr(g, "value(0)", "None")
        craft(path, build)
        format_error(path, "key(0)", "cannot be used as a key")

    def test_reject_name_with_closing_quote_only(self, path):
        craft(path, lambda g: text_attr(g, "abc'", "int(1)"))
        format_error(path, "abc'", rule="slot-name")

    def test_reject_missing_group(self, path):
        craft(path, lambda g: text_attr(g, "'k'", "list"))
        format_error(path, "'k'", "cannot open the group")

    def test_reject_missing_dataset(self, path):
        craft(path, lambda g: text_attr(g, "'k'", "numpy.ndarray"))
        format_error(path, "'k'", "dataset")

    def test_reject_hard_link_cycle(self, path):
        def build(g):
            g["'me'"] = g
            text_attr(g, "'me'", "dict")
        craft(path, build)
        format_error(path, "'me'", "cycle", exc=jaxon.CircularPyTreeException)

    def test_reject_group_shared_by_two_links(self, path):
        def build(g):
            sub = g.create_group("'a'", track_order=True)
            text_attr(sub, "0", "int(1)")
            g["'b'"] = sub
            text_attr(g, "'a'", "list")
            text_attr(g, "'b'", "list")
        craft(path, build)
        format_error(path, "'b'", "already loaded")

    def test_reject_dot_group_name(self, path):
        with new_file(path) as f:
            g = f.create_group("JAXON_ROOT", track_order=True)
            text_attr(g, ".", "list")
            text_attr(f, "JAXON_ROOT", "list")
        # "." is no slot (it would name the group itself: a cycle)
        format_error(path, "'.'", rule="slot-name")

    def test_reject_absolute_group_name(self, path):
        with new_file(path) as f:
            g = f.create_group("JAXON_ROOT", track_order=True)
            text_attr(g, "/", "list")
            text_attr(f, "JAXON_ROOT", "list")
        format_error(path, "'/'", rule="slot-name")

    def test_reject_external_link(self, path, tmp_path):
        other = str(tmp_path / "other.h5")
        with new_file(other) as f:
            f.create_group("G", track_order=True)
        def build(g):
            g["'x'"] = h5py.ExternalLink(other, "/G")
            text_attr(g, "'x'", "list")
        craft(path, build)
        format_error(path, "'x'")

    def test_reject_claimed_size_beyond_storage(self, path):
        def build(g):
            text_attr(g, "'a'", "numpy.ndarray")
            g.create_dataset("'a'", shape=(10**7, 10**6), dtype="f8")  # never written
        craft(path, build)
        format_error(path, "'a'", "claims")

    def test_reject_unsupported_array_type(self, path):
        craft(path, lambda g: g.attrs.create("'a':numpy.ndarray", ["x", "y"],
                                             dtype=h5py.string_dtype()))
        format_error(path, "'a':numpy.ndarray", rule="value-type")

    def test_reject_deep_nesting(self, path):
        with new_file(path) as f:
            groups = [f.create_group("JAXON_ROOT", track_order=True)]
            for _ in range(1500):
                groups.append(groups[-1].create_group("0", track_order=True))
            for parent in reversed(groups[:-1]):
                text_attr(parent, "0", "list")
            text_attr(f, "JAXON_ROOT", "list")
        # the nesting limit (1000, shared with save) with rule and path, never RecursionError
        with pytest.raises(jaxon.JaxonFormatError):
            jaxon.load(path)
        _, err = load_unvalidated(path)
        assert err["type"] == "JaxonFormatError" and "[depth-limit]" in err["msg"], err

    def test_load_moderate_nesting(self, path):
        tree = []
        for _ in range(150):
            tree = [tree]
        assert write_and_load(path, tree) == tree


# ---- random malformed files -----------------------------------------------------------------

PIECES = ["int(", "float(", "complex(", "range(", "slice(", "bool(", "'", ")", ",", "None",
          "Ellipsis", "True", "1", "-", "j", "e", "nan", "dict", "list", "tuple", "set",
          "frozenset", "#", "#tag", ":", ":ref", ":bytes", ":numpy.ndarray", ":!m.K",
          "/JAXON_ROOT/", "/", "\\", "key(", "value(", "0", "0)", "'a'", " ", "\0", "é",
          "numpy.ndarray", "bytes", "memoryview"]


def random_file(target, rng):
    """A root dict/list/set whose attributes have random names and values made of pieces
    of the v1.2.0 grammar (text, numbers, arrays, groups)."""
    def rs(k):
        return "".join(rng.choice(PIECES) for _ in range(rng.randint(1, k)))
    with new_file(target) as f:
        g = f.create_group("JAXON_ROOT", track_order=True)
        for _ in range(rng.randint(1, 6)):
            name = rs(4).replace("\0", "")
            if not name or name == "." or name in g.attrs:
                continue
            try:
                r = rng.random()
                if r < 0.6:
                    text_attr(g, name, rs(6))
                elif r < 0.75:
                    dtype = rng.choice(["u1", "f4", "i8"])
                    typed_attr(g, name, np.arange(rng.randint(0, 3), dtype=dtype))
                elif r < 0.85:
                    typed_attr(g, name, np.float32(1))
                else:
                    sub = g.require_group(name)
                    text_attr(g, name, rng.choice(["list", "dict", "set", "tuple#x"]))
                    text_attr(sub, rs(3).replace("\0", "") or "0", rs(5))
            except (ValueError, KeyError, TypeError, OSError, RuntimeError):
                pass  # h5py refused the name: fine, the file is random anyway
        text_attr(f, "JAXON_ROOT", rng.choice(["dict", "list", "set"]))


_FUZZ_SNIPPET = """
import sys, jaxon
seen = set()
for p in sys.argv[1:]:
    try:
        jaxon.load(p, custom_unmarshalers=[lambda t, o: None])
        seen.add("ok")
    except (jaxon.JaxonFormatError, jaxon.CircularPyTreeException) as e:
        seen.add(type(e).__name__)
print(sorted(seen))
"""


class TestRandomFiles:
    def test_survive_random_names_and_values(self, tmp_path):
        import random
        rng = random.Random(1234)
        paths = []
        for i in range(150):
            p = str(tmp_path / f"r{i}.h5")
            random_file(p, rng)
            paths.append(p)
        # any other exception (or a crash) fails the subprocess
        r = subprocess.run([sys.executable, "-c", _FUZZ_SNIPPET, *paths], env=_UNVALIDATED_ENV,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr[-3000:]
        assert "JaxonFormatError" in r.stdout


# ---- interoperability with Python jaxon 1.2.0 ------------------------------------------------

COMPAT_120 = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".compat",
                          "jaxon-1.2.0")
needs_jaxon120 = pytest.mark.skipif(
    UNDER_ASAN or not os.path.isfile(os.path.join(COMPAT_120, "jaxon", "__init__.py")),
    reason="Python jaxon 1.2.0 not installed (scripts/setup-compat.sh) or jax under ASan")


def run_jaxon120(code, *args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([COMPAT_120, os.path.dirname(__file__)]),
               JAX_PLATFORMS="cpu")
    env.pop("HDF5_VOL_CONNECTOR", None)
    r = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout


class TestInteropPython120:
    @needs_jaxon120
    def test_load_file_written_by_python_jaxon(self, path):
        run_jaxon120("import sys, jaxon, v1_writer; "
                     "jaxon.save(sys.argv[1], v1_writer.sample_tree())", path)
        r = jaxon.load(path)
        assert_same(r, v1_writer.sample_tree())
        assert r["sh"][0] is r["sh"][3] and r["sh"][1] is r["sh"][4]
        assert r["sh"][2] is r["sh"][5]

    @needs_jaxon120
    def test_python_jaxon_reads_reference_writer_files(self, path):
        v1_writer.save(path, v1_writer.sample_tree(with_memoryview=False))
        out = run_jaxon120("import sys, pickle, jaxon; "
                           "print(pickle.dumps(jaxon.load(sys.argv[1])).hex())", path)
        assert_same(pickle.loads(bytes.fromhex(out.strip().splitlines()[-1])),
                    v1_writer.sample_tree(with_memoryview=False))


# ---- speed -----------------------------------------------------------------------------------

class TestSpeed:
    def test_load_many_small_nodes_quickly(self, path):
        n = 50_000
        tree = {f"k{i}": (i if i % 4 == 0 else f"s{i}" if i % 4 == 1 else i * 0.5
                          if i % 4 == 2 else None) for i in range(n)}
        v1_writer.save(path, tree)
        t0 = time.perf_counter()
        r = jaxon.load(path)
        dt = time.perf_counter() - t0
        assert r == tree
        # generous bound: catches quadratic behaviour, not noise (measured ~5-10 us/node)
        assert dt / n < 100e-6, f"{dt / n * 1e6:.1f} us per node"
