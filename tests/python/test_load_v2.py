"""The C loader on files in the Jaxon v2.x layout (spec §4, §8, §9.2), crafted with h5py so
that the reader is tested independently of any writer (tests/python/test_interop.py runs
the real Python jaxon 2.1.0 writer). Malformed files must give JaxonFormatError (or
CircularPyTreeException) with a location, never a crash or a hang."""

from __future__ import annotations

import dataclasses
import math
import os
import pickle
import sys

import h5py
import numpy as np
import pytest
from h5py import h5t

import jaxon
from conftest import assert_same


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "v2.h5")


def put(obj, name, value):
    """Attribute: str -> FLS UTF-8 text, None -> the E placeholder, else the numpy value."""
    if value is None:
        obj.attrs.create(name, np.empty((0,), dtype=np.float64))
    elif isinstance(value, str):
        data = value.encode()
        n = max(len(data), 1)
        obj.attrs.create(name, np.array(data, dtype=f"S{n}"), dtype=h5py.string_dtype("utf-8", n))
    else:
        obj.attrs.create(name, value)


def new(path, root_name="JAXON_ROOT", root_value=None, version="2.0.0"):
    f = h5py.File(path, "w", track_order=True)
    if version is not None:
        put(f, "JAXON_VERSION", version)
    return f


def group(parent, name):
    return parent.create_group(name, track_order=True)


def load(path, **kw):
    return jaxon.load(path, **kw)


# ---- worked examples (spec §8) ----------------------------------------------------------

def test_e1_dict(path):
    with new(path) as f:
        g = group(f, "JAXON_ROOT")
        put(g, "'a'", "1")
        put(g, "'b'", "'x'")
        put(f, "JAXON_ROOT:dict", None)
    assert_same(load(path), {"a": 1, "b": "x"})


def test_e2_atoms(path):
    vals = ["None", "Ellipsis", "True", "2.5", "1+2j", "2j", "range(0,3)", "nan", "-0.0",
            "100000000000000000000", "1e-05", "-inf", "False", "-0-1j", "range(1,9,2)", "5"]
    with new(path) as f:
        g = group(f, "JAXON_ROOT")
        for i, v in enumerate(vals):
            put(g, str(i), v)
        put(f, "JAXON_ROOT:list", None)
    got = load(path)
    assert_same(got, [None, ..., True, 2.5, 1 + 2j, 2j, range(0, 3), float("nan"), -0.0,
                      10 ** 20, 1e-05, float("-inf"), False, complex(-0.0, -1), range(1, 9, 2),
                      5])


def test_e3_numeric_scalars(path):
    with new(path) as f:
        g = group(f, "JAXON_ROOT")
        g.attrs.create("'i'", np.int64(3))
        g.attrs.create("'f'", np.float64(0.5))
        g.attrs.create("'b'", np.bool_(False))
        g.attrs.create("'c'", np.complex128(1j))
        g.attrs.create("'h'", np.float16(1.5))
        put(g, "'big'", "1180591620717411303424")
        put(f, "JAXON_ROOT:dict", None)
    assert_same(load(path), {"i": np.int64(3), "f": np.float64(0.5), "b": np.bool_(False),
                             "c": np.complex128(1j), "h": np.float16(1.5), "big": 2 ** 70})


def _str_ds(g, name, data: bytes, cset):
    t = h5t.C_S1.copy()
    t.set_size(max(len(data), 1))
    t.set_strpad(h5t.STR_NULLPAD)
    t.set_cset(cset)
    if data:
        sid = h5py.h5s.create(h5py.h5s.SCALAR)
        ds = h5py.h5d.create(g.id, name.encode(), t, sid)
        ds.write(h5py.h5s.ALL, h5py.h5s.ALL, np.array(data, dtype=f"S{len(data)}"), mtype=t)
    else:
        h5py.h5d.create(g.id, name.encode(), t, h5py.h5s.create(h5py.h5s.NULL))


def test_e4_numpy_text_scalars(path):
    with new(path) as f:
        g = group(f, "JAXON_ROOT")
        g.attrs.create("'x'", np.float32(1.5))
        _str_ds(g, "'s'", "hé".encode(), h5t.CSET_UTF8)
        put(g, "'s':numpy.str_", None)
        _str_ds(g, "'by'", b"ab", h5t.CSET_ASCII)
        put(g, "'by':numpy.bytes_", None)
        g.create_dataset("'v'", data=np.void(b"\x01\x02"))
        put(g, "'v':numpy.void", None)
        _str_ds(g, "'e'", b"", h5t.CSET_UTF8)
        put(g, "'e':numpy.str_", None)
        _str_ds(g, "'eb'", b"", h5t.CSET_ASCII)
        put(g, "'eb':numpy.bytes_", None)
        g.create_dataset("'ev'", data=h5py.Empty("f8"))
        put(g, "'ev':numpy.void", None)
        put(f, "JAXON_ROOT:dict", None)
    assert_same(load(path), {"x": np.float32(1.5), "s": np.str_("hé"), "by": np.bytes_(b"ab"),
                             "v": np.void(b"\x01\x02"), "e": np.str_(""), "eb": np.bytes_(b""),
                             "ev": np.void(b"")})


# jaxlib aborts at import with libasan preloaded (the sanitizer build of the suite)
UNDER_ASAN = "libasan" in os.environ.get("LD_PRELOAD", "")


@pytest.mark.skipif(UNDER_ASAN, reason="jaxlib cannot run with libasan preloaded")
def test_e5_bytes_jax_0d(path):
    jnp = pytest.importorskip("jax.numpy")
    with new(path) as f:
        g = group(f, "JAXON_ROOT")
        g.create_dataset("0", data=np.void(b"ab\0"))
        put(g, "0:bytes", None)
        g.create_dataset("1", data=h5py.Empty("f8"))  # B2-9
        put(g, "1:bytearray", None)
        g.create_dataset("2", data=np.array([1.0, 2.0], dtype=np.float32))
        put(g, "2:jax.Array[bfloat16]", None)
        g.create_dataset("3", data=np.array(7))
        put(g, "3:numpy.ndarray", None)
        g.create_dataset("4", data=h5py.Empty("f8"))
        put(g, "4:bytes", None)
        put(f, "JAXON_ROOT:tuple", None)
    got = load(path)
    assert_same(got[:2], (b"ab\0", bytearray()))
    assert got[2].dtype == jnp.bfloat16 and list(np.asarray(got[2], np.float32)) == [1.0, 2.0]
    assert_same(got[3], np.array(7))
    assert_same(got[4], b"")


def test_e6_e10_references_identity(path):
    with new(path) as f:
        g = group(f, "JAXON_ROOT")
        g.create_dataset("'a'", data=np.arange(2))
        put(g, "'a':numpy.ndarray", None)
        b = group(g, "'it\\'s'")
        put(b, "0", "/JAXON_ROOT/'a'")
        put(b, "1", "'it\\'s a/b\\\\c and long'")
        put(b, "2", "/JAXON_ROOT/'it\\'s'/1")
        put(g, "'it\\'s':list", None)
        put(g, "'k/1'", "/JAXON_ROOT/'it\\'s'/1")
        put(g, "'c'", "/ JAXON_ROOT / 'it\\'s' / 1 ")  # elements are stripped
        put(f, "JAXON_ROOT:dict", None)
    t = load(path)
    s = "it's a/b\\c and long"
    assert_same(t["it's"][1], s)
    assert t["it's"][0] is t["a"]
    assert t["it's"][1] is t["it's"][2] is t["k/1"] is t["c"]


def test_forward_reference_loads_on_demand(path):
    with new(path) as f:
        g = group(f, "JAXON_ROOT")
        put(g, "0", "/JAXON_ROOT/1")
        sub = group(g, "1")
        put(sub, "0", "5")
        put(g, "1:list", None)
        put(f, "JAXON_ROOT:list", None)
    t = load(path)
    assert t == [[5], [5]] and t[0] is t[1]


def test_e7_nonsimple_keys(path):
    with new(path) as f:
        g = group(f, "JAXON_ROOT")
        put(g, "1", "'one'")
        k = group(g, "key(1)")
        put(k, "0", "1")
        put(k, "1", "2")
        put(g, "key(1):tuple", None)
        v = group(g, "value(1)")
        put(v, "0", "3")
        put(g, "value(1):list", None)
        put(g, "key(2)", "'k\0'")
        put(g, "value(2)", "None")
        g.create_dataset("2.5", data=np.void(b"x"))
        put(g, "2.5:bytes", None)
        put(g, "key(4)", "'a very long key string'")
        put(g, "value(4)", "0")
        put(g, "key(5)", "range(0,2)")
        put(g, "value(5)", "1")
        put(f, "JAXON_ROOT:dict", None)
    assert_same(load(path), {1: "one", (1, 2): [3], "k\0": None, 2.5: b"x",
                             "a very long key string": 0, range(2): 1})


def test_e9_escaping_and_e11_nested_slash(path):
    with new(path) as f:
        g = group(f, "JAXON_ROOT")
        put(g, "'it\\'s'", "'a\\\\b\\'c'")
        d = group(g, "'d'")
        put(d, "'x/y'", "1")
        put(g, "'d':dict", None)
        n = g.create_group("'x/y'", track_order=True)  # nests: 'x -> y' (B2-1)
        put(n, "0", "1")
        put(g, "'x/y':list", None)
        g.create_dataset("'p/q'", data=np.arange(3))
        put(g, "'p/q':numpy.ndarray", None)
        put(g, "'r'", "/JAXON_ROOT/'x/y'")
        put(f, "JAXON_ROOT:dict", None)
    t = load(path)
    assert_same(t, {"it's": "a\\b'c", "d": {"x/y": 1}, "x/y": [1], "p/q": np.arange(3),
                    "r": [1]})
    assert t["r"] is t["x/y"]


@pytest.mark.parametrize("kind,value", [("set", set()), ("frozenset", frozenset()),
                                        ("dict", {}), ("list", []), ("tuple", ())])
def test_e12_empty_container_roots(path, kind, value):
    with new(path) as f:
        group(f, "JAXON_ROOT")
        put(f, f"JAXON_ROOT:{kind}", None)
    assert_same(load(path), value)


def test_e12_atom_root_and_str_root(path):
    with new(path) as f:
        put(f, "JAXON_ROOT", "42")
    assert_same(load(path), 42)
    with new(path) as f:
        _str_ds(f, "JAXON_ROOT", b"", h5t.CSET_UTF8)
        put(f, "JAXON_ROOT:numpy.str_", None)
    assert_same(load(path), np.str_(""))


def test_whitespace_is_stripped(path):
    with new(path) as f:
        g = group(f, " JAXON_ROOT ")
        put(g, " 'a' ", "  5\t")
        sub = group(g, " 'l' ")
        put(sub, "0", " 'x y' ")
        put(g, " 'l' : list ", None)
        put(g, "'r'", " /JAXON_ROOT/'l' ")
        put(f, " JAXON_ROOT : dict ", None)
    t = load(path)
    assert_same(t, {"a": 5, "l": ["x y"], "r": ["x y"]})
    assert t["r"] is t["l"]


def test_big_string_and_unicode(path):
    s = "é中😀'\\" * 30_000
    esc = "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"
    with new(path) as f:
        put(f, "JAXON_ROOT", esc)
    assert_same(load(path), s)


# ---- tags -----------------------------------------------------------------------------------

@dataclasses.dataclass
class DC:
    x: int
    y: list = dataclasses.field(default_factory=list)


class FromJ:
    def from_jaxon(self, d):
        self.d = d


def _tagged(path, tag, value="5", kind="dict"):
    with new(path) as f:
        g = group(f, "JAXON_ROOT")
        put(g, "'x'", value)
        put(f, f"JAXON_ROOT:{kind}#{tag}", None)


def test_dclass_and_jaxon_tags(path):
    sys.modules.setdefault("test_load_v2", sys.modules[__name__])
    _tagged(path, "dclass[test_load_v2.DC]")
    with pytest.raises(jaxon.JaxonFormatError, match="allow_unknown_fields"):
        load(path)
    with pytest.warns(jaxon.JaxonFormatWarning):
        r = load(path, allow_unknown_fields=True)
    assert type(r) is DC and r.x == 5 and r.y == []
    _tagged(path, "jaxon[test_load_v2.FromJ]")
    r = load(path)
    assert type(r) is FromJ and r.d == {"x": 5}
    _tagged(path, "jaxon[no_such_module_xyz.C]")
    with pytest.raises(jaxon.JaxonFormatError, match="no_such_module_xyz"):
        load(path)


def test_custom_unmarshaler_first_and_unknown_tag(path):
    _tagged(path, "mytag")
    with pytest.raises(jaxon.JaxonFormatError, match="mytag"):
        load(path)
    got = load(path, custom_unmarshalers=[lambda t, o: ("U", t, o) if t == "mytag" else None])
    assert got == ("U", "mytag", {"x": 5})
    with new(path) as f:
        put(f, "JAXON_ROOT:#mytag", "5")  # a marshaler that returned an atom
    assert load(path, custom_unmarshalers=[lambda t, o: o + 1]) == 6


def test_dill_tag(path):
    dill = pytest.importorskip("dill")
    with new(path) as f:
        f.create_dataset("JAXON_ROOT", data=np.void(dill.dumps({"k": 1})))
        put(f, "JAXON_ROOT:bytes#dill", None)
    with pytest.raises(jaxon.JaxonFormatError, match="allow_dill"):
        load(path)
    assert load(path, allow_dill=True) == {"k": 1}


# ---- malformed files --------------------------------------------------------------------------

def _root_value(path, name, value):
    with new(path) as f:
        put(f, name, value)


@pytest.mark.parametrize("name,value,match", [
    ("JAXON_ROOT", "'abc", r"\[atom-text\] unterminated"),
    ("JAXON_ROOT", "   ", "empty"),
    ("JAXON_ROOT", "hello", r"\[atom-text\] not a simple atom"),
    ("JAXON_ROOT", "range(1)", "range"),
    ("JAXON_ROOT", "range(0,5,0)", "range"),
    ("JAXON_ROOT", "/JAXON_ROOT", "circular"),
    ("JAXON_ROOT", "/nowhere/x", r"\[ref-target\]"),
    ("JAXON_ROOT", "/'unterminated", r"\[ref-path\] unterminated"),
    ("JAXON_ROOT:weird", None, r"\[type-tag\] unknown builtin tag"),
    ("JAXON_ROOT:list[x", None, r"\[type-tag\]"),
    ("JAXON_ROOT:list[x]", None, r"\[type-tag\] this builtin tag takes no"),
    ("JAXON_ROOT:jax.Array", None, "type argument"),
    ("JAXON_ROOT:list", None, "not found"),
    ("JAXON_ROOT:numpy.ndarray", None, "not found"),
    ("JAXON_ROOT:dict#dclass", None, r"\[type-tag\] dclass tags need"),
    ("JAXON_ROOTX", "1", "JAXON_ROOT"),
])
def test_malformed(path, name, value, match):
    _root_value(path, name, value)
    with pytest.raises((jaxon.JaxonFormatError, jaxon.CircularPyTreeException), match=match):
        load(path)


def test_malformed_dicts_and_cycles(path):
    cases = [
        [("value(0)", "1")],
        [("key(0)", "1"), ("'a'", "2")],
        [("key(1)", "1"), ("value(1)", "2")],
        [("key(0)", "1")],
        [("key(x)", "1"), ("value(x)", "2")],
        [("/x", "1")],
    ]
    for attrs in cases:
        with new(path) as f:
            g = group(f, "JAXON_ROOT")
            for n, v in attrs:
                put(g, n, v)
            put(f, "JAXON_ROOT:dict", None)
        with pytest.raises(jaxon.JaxonFormatError, match="JAXON_ROOT"):
            load(path)
    with new(path) as f:  # a child referring to its container
        g = group(f, "JAXON_ROOT")
        put(g, "0", "/JAXON_ROOT")
        put(f, "JAXON_ROOT:list", None)
    with pytest.raises(jaxon.CircularPyTreeException):
        load(path)
    with new(path) as f:  # two references to each other
        g = group(f, "JAXON_ROOT")
        put(g, "0", "/JAXON_ROOT/1")
        put(g, "1", "/JAXON_ROOT/0")
        put(f, "JAXON_ROOT:list", None)
    with pytest.raises(jaxon.CircularPyTreeException):
        load(path)


def test_wrong_attribute_types(path):
    with new(path) as f:
        f.attrs.create("JAXON_ROOT", np.arange(3))
    with pytest.raises(jaxon.JaxonFormatError):
        load(path)
    with new(path) as f:
        f.attrs.create("JAXON_ROOT", b"\xff\xfe", dtype=h5py.string_dtype("utf-8", 2))
    with pytest.raises(jaxon.JaxonFormatError):
        load(path)


def test_hard_link_cycle_does_not_hang(path):
    with new(path) as f:
        g = group(f, "JAXON_ROOT")
        g["0"] = g  # the group contains itself
        put(g, "0:list", None)
        put(f, "JAXON_ROOT:list", None)
    with pytest.raises((jaxon.JaxonFormatError, jaxon.CircularPyTreeException)):
        load(path)


# ---- load_filter (spec §5.1) --------------------------------------------------------------

def test_load_filter_paths_keys_and_refused_nodes(path):
    """The filter sees the root as (), dict entries by their loaded key, list items by
    position, never anything inside a key(i); a refused node is the placeholder and nothing
    of it is opened (its group may even be missing)."""
    with new(path) as f:
        g = group(f, "JAXON_ROOT")
        put(g, "'a'", "1")
        lst = group(g, "'l'")
        put(lst, "0", "'x'")
        put(lst, "1", "2.5")
        put(g, "'l':list", None)
        kg = group(g, "key(2)")
        put(kg, "0", "1")
        put(kg, "1", "2")
        put(g, "key(2):tuple", None)
        put(g, "value(2)", "'pair'")
        put(g, "'gone':list", None)  # its group does not exist: only a refusal saves the load
        put(f, "JAXON_ROOT:dict", None)
    seen = []

    def f(p):
        seen.append(p)
        return p != ("gone",) and p != ("l", 1)

    out = load(path, load_filter=f)
    assert out == {"a": 1, "l": ["x", jaxon.JAXON_NOT_LOADED], (1, 2): "pair",
                   "gone": jaxon.JAXON_NOT_LOADED}
    assert seen == [(), ("a",), ("l",), ("l", 0), ("l", 1), ((1, 2),), ("gone",)]
    assert load(path, load_filter=lambda p: False) is jaxon.JAXON_NOT_LOADED
    with pytest.raises(jaxon.JaxonFormatError):
        load(path)


def test_load_filter_reference_into_a_refused_node_loads_it(path):
    """v2 semantics: a refused node is not cached, so a reference from an accepted location
    loads its target, and the filter sees the referencing location's path below it."""
    with new(path) as f:
        g = group(f, "JAXON_ROOT")
        sub = group(g, "0")
        put(sub, "0", "'deep'")
        put(g, "0:list", None)
        put(g, "1", "/JAXON_ROOT/0")
        put(f, "JAXON_ROOT:list", None)
    seen = []
    out = load(path, load_filter=lambda p: seen.append(p) or p[:1] != (0,))
    assert out == [jaxon.JAXON_NOT_LOADED, ["deep"]]
    assert (1, 0) in seen and (0, 0) not in seen
