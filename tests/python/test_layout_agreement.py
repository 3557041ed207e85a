"""The loader and the validator agree (issue 14): files the validator refuses fail to load
with the validator's rule in JaxonFormatError.rule, and the trees save writes load.

Each case below is a disagreement that existed before the readers shared the layout
library's rules (layout/jxv_names.c, jxv_split_ref_path, jxv_limits.h); they are the
regression cases of tests/differential/ in readable form.
"""

from __future__ import annotations

import os
import subprocess

import h5py
import numpy as np
import pytest

import jaxon
from v1_writer import new_file, text_attr, typed_attr

VALIDATE = os.environ.get("JAXON_VALIDATE")


def validator_rules(path):
    """The rules jaxon-validate reports for path (empty when valid)."""
    r = subprocess.run([VALIDATE, path], capture_output=True, text=True, timeout=120)
    assert r.returncode in (0, 1), r.stdout + r.stderr
    return {line.split("[", 1)[1].split("]", 1)[0] for line in r.stdout.splitlines()
            if ": [" in line}


def assert_both_refuse(path, rule, **load_kwargs):
    with pytest.raises(jaxon.JaxonFormatError) as e:
        jaxon.load(path, **load_kwargs)
    assert e.value.rule == rule, str(e.value)
    assert e.value.path.startswith("group /"), e.value.path
    assert rule in validator_rules(path)


def v1(path, root_tag, attrs, track=True, extra=None):
    with new_file(path) as f:
        g = f.create_group("JAXON_ROOT", track_order=track)
        for name, text in attrs:
            text_attr(g, name, text)
        if extra:
            extra(f, g)
        text_attr(f, "JAXON_ROOT", root_tag)


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "f.h5")


def test_key_value_slots_with_leading_zeros(path):
    v1(path, "dict", [("key(00)", "int(1)"), ("value(00)", "int(2)")])
    assert_both_refuse(path, "slot-name")


def test_list_children_not_named_0_1_2(path):
    v1(path, "list", [("5", "int(1)"), ("'zz'", "int(2)")])
    assert_both_refuse(path, "index-order")


def test_list_without_creation_order_is_not_read_in_name_order(path):
    # name order would be 0, 1, 10, 11, 2, …: a permuted list, silently
    v1(path, "list", [(str(i), f"int({i})") for i in range(12)], track=False)
    assert_both_refuse(path, "index-order")


@pytest.mark.parametrize("second", ["int(01)", "int(+1)"])
def test_non_canonical_int_key(path, second):
    v1(path, "dict", [("int(1)", "int(0)"), (second, "int(1)")])
    assert_both_refuse(path, "slot-name")


@pytest.mark.parametrize("second", ["float(1.0)", "bool(True)"])
def test_keys_that_are_one_python_key_are_not_merged(path, second):
    v1(path, "dict", [("int(1)", "int(0)"), (second, "int(1)")])
    assert_both_refuse(path, "duplicate-slot")


def test_two_root_attributes(path):
    v1(path, "list", [("0", "int(1)")])
    with h5py.File(path, "a") as f:  # after the real one: it used to win
        text_attr(f, "JAXON_ROOT:list", "x")
    assert_both_refuse(path, "root")


def test_soft_link_out_of_the_tree(path):
    def extra(f, g):
        outside = f.create_group("outside", track_order=True)
        text_attr(outside, "0", "int(9)")
        g["'a'"] = h5py.SoftLink("/outside")
    v1(path, "dict", [("'a'", "list")], extra=extra)
    assert_both_refuse(path, "stray-object")


def test_stray_group(path):
    v1(path, "dict", [("'a'", "int(1)")],
       extra=lambda f, g: g.create_group("'b'", track_order=True))
    assert_both_refuse(path, "stray-object")


def test_v1_reference_escaping_the_tree_with_a_filter(path):
    # '\/etc' is one element that HDF5 would take as the absolute path /etc
    def extra(f, g):
        f.create_group("etc", track_order=True)
        sub = g.create_group("'a'", track_order=True)
        text_attr(sub, "0", "int(1)")
    v1(path, "dict", [("'b':ref", "/JAXON_ROOT/'a'/\\/etc")], extra=extra)
    with pytest.raises(jaxon.JaxonFormatError) as e:
        jaxon.load(path, load_filter=lambda p: p != ("a",))
    assert e.value.rule in ("ref-target", "stray-object"), str(e.value)
    assert validator_rules(path)


def test_v2_reference_outside_the_tree(path):
    with new_file(path) as f:
        text_attr(f, "JAXON_VERSION", "2.0.0")
        text_attr(f.create_group("etc", track_order=True), "passwd", "'secret'")
        text_attr(f, "JAXON_ROOT", "/etc/passwd")
    with pytest.raises(jaxon.JaxonFormatError) as e:
        jaxon.load(path)
    assert e.value.rule in ("ref-target", "stray-object"), str(e.value)
    assert validator_rules(path)


def test_nesting_at_the_limit_saves_and_loads_and_past_it_save_refuses(path):
    deep = []
    for _ in range(999):  # the root list is level 1: 1,000 levels
        deep = [deep]
    def depth(x):
        n = 0
        while isinstance(x, list):
            x, n = (x[0] if x else None), n + 1
        return n
    jaxon.save(path, deep)
    assert not validator_rules(path)
    assert depth(jaxon.load(path)) == 1000
    with pytest.raises(jaxon.JaxonError, match="1000 levels"):
        jaxon.save(path, [deep])
    assert depth(jaxon.load(path)) == 1000  # the previous file is untouched


def test_every_value_rule_refusal_carries_rule_and_path(path):
    v1(path, "dict", [("'a'", "int(007)")])
    assert_both_refuse(path, "atom-text")


def test_h5py_numeric_root_is_refused_alike(path):
    with h5py.File(path, "w") as f:
        f.attrs["JAXON_ROOT"] = np.int64(3)
        f.attrs["stray"] = 1
    assert_both_refuse(path, "stray-object")


def test_connector_refusal_carries_the_rule_and_path_of_its_error_frames(path):
    # validate=strict: the connector refuses the file at open; its error frames are
    # selected by the connector's error class and carry the rule as their message id
    import sys
    from jaxon import _paths
    v1(path, "list", [("5", "int(1)"), ("'zz'", "int(2)")])
    code = ("import sys, jaxon\n"
            "try:\n"
            "    jaxon.load(sys.argv[1])\n"
            "except jaxon.JaxonFormatError as e:\n"
            "    print(e.rule, e.path)\n")
    env = dict(os.environ, HDF5_PLUGIN_PATH=str(_paths.plugin_dir()),
               HDF5_VOL_CONNECTOR="jaxon validate=strict;under_vol=0;under_info={}")
    r = subprocess.run([sys.executable, "-c", code, path], env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.stdout.split() == ["index-order", "/JAXON_ROOT@5"], r.stdout + r.stderr


# ---- the open disagreements of session 6, closed (docs/differential.md) ------------------

def v2_put(obj, name, value):
    """A v2 attribute: str -> FLS UTF-8 text, None -> the E placeholder of a container."""
    if value is None:
        obj.attrs.create(name, np.empty((0,), dtype=np.float64))
    else:
        data = value.encode()
        obj.attrs.create(name, np.array(data, dtype=f"S{max(len(data), 1)}"),
                         dtype=h5py.string_dtype("utf-8", max(len(data), 1)))


def v2(path, root_tag, attrs, extra=None):
    with h5py.File(path, "w", track_order=True) as f:
        v2_put(f, "JAXON_VERSION", "2.0.0")
        g = f.create_group("JAXON_ROOT", track_order=True)
        for name, value in attrs:
            v2_put(g, name, value)
        if extra:
            extra(f, g)
        v2_put(f, f"JAXON_ROOT:{root_tag}", None)


LONG = "'" + "a long shared string" * 2 + "'"  # >= 15 code points: referenceable in v2


@pytest.mark.parametrize("order", ["target loaded before", "target loaded on demand"])
def test_v2_reference_to_a_reference(path, order):
    if order == "target loaded before":
        attrs = [("0", LONG), ("1", "/JAXON_ROOT/0"), ("2", "/JAXON_ROOT/1")]
    else:
        attrs = [("0", "/JAXON_ROOT/1"), ("1", "/JAXON_ROOT/2"), ("2", LONG)]
    v2(path, "list", attrs)
    assert_both_refuse(path, "ref-target")


def test_v2_link_name_with_whitespace_is_found_like_the_reader_does(path):
    # spec §4.4: v2 readers strip group names; the slot '0' owns the group ' 0'
    def extra(f, g):
        sub = g.create_group(" 0", track_order=True)
        v2_put(sub, "0", "1")
    v2(path, "list", [("0:list", None)], extra=extra)
    assert jaxon.load(path) == [[1]]
    assert validator_rules(path) == set()


def test_v2_second_link_stripping_to_the_same_slot_is_stray(path):
    def extra(f, g):
        for name in (" 0", "0 "):
            v2_put(g.create_group(name, track_order=True), "0", "1")
    v2(path, "list", [("0:list", None)], extra=extra)
    assert_both_refuse(path, "stray-object")


def test_dict_key_that_is_a_reference_to_another_key(path):
    # key(1) names the very tuple key(0) is: one dict key twice
    def extra(f, g):
        text_attr(g.create_group("key(0)", track_order=True), "0", "int(1)")
    v1(path, "dict", [("key(0)", "tuple"), ("value(0)", "int(1)"),
                      ("key(1):ref", "/JAXON_ROOT/key(0)"), ("value(1)", "int(2)")],
       extra=extra)
    assert_both_refuse(path, "duplicate-slot")


@pytest.mark.parametrize("how", ["a list", "a reference to a list", "a tuple holding a list"])
def test_unhashable_dict_key(path, how):
    def extra(f, g):
        text_attr(g.create_group("'l'", track_order=True), "0", "int(1)")
        if how == "a list":
            text_attr(g.create_group("key(1)", track_order=True), "0", "int(1)")
        elif how == "a tuple holding a list":
            text_attr(g.create_group("key(1)", track_order=True), "0:ref", "/JAXON_ROOT/'l'")
    key = {"a list": ("key(1)", "list"),
           "a reference to a list": ("key(1):ref", "/JAXON_ROOT/'l'"),
           "a tuple holding a list": ("key(1)", "tuple")}[how]
    v1(path, "dict", [("'l'", "list"), key, ("value(1)", "int(1)")], extra=extra)
    assert_both_refuse(path, "unhashable-key")


def test_unhashable_set_element(path):
    def extra(f, g):
        text_attr(g.create_group("0", track_order=True), "0", "int(1)")
    v1(path, "set", [("0", "list")], extra=extra)
    assert_both_refuse(path, "unhashable-key")


def test_hashable_keys_through_references_load(path):
    # a tuple key, and a set holding a reference to it: both hash, nothing to refuse
    def extra(f, g):
        text_attr(g.create_group("key(0)", track_order=True), "0", "int(1)")
        text_attr(g.create_group("value(0)", track_order=True), "0:ref", "/JAXON_ROOT/key(0)")
    v1(path, "dict", [("key(0)", "tuple"), ("value(0)", "set")], extra=extra)
    assert jaxon.load(path) == {(1,): {(1,)}}
    assert validator_rules(path) == set()


def test_v2_file_with_an_integrity_record_is_read_as_v2(path):
    # records belong to v1 files (spec §12.2): neither the v2 reader nor the check reads one
    jaxon.save(path, {"a": 1})
    with h5py.File(path, "a") as f:
        v2_put(f, "JAXON_VERSION", "2.0.0")
    assert "checksum" not in validator_rules(path)


@pytest.mark.parametrize("dtype", [">i4", ">f8", "f16"])
def test_jax_array_data_of_a_dtype_jax_lacks(path, dtype):
    # jax has no big-endian arrays and no long double: refused by both, not loaded by one
    if dtype == "f16" and np.dtype(np.longdouble).itemsize != 16:
        pytest.skip("no 16-byte long double here")
    data = np.arange(4).astype(np.longdouble if dtype == "f16" else dtype)
    v1(path, "dict", [("'x'", "jax.Array")],
       extra=lambda f, g: g.create_dataset("'x'", data=data))
    with pytest.raises(jaxon.JaxonFormatError) as e:
        jaxon.load(path)
    assert e.value.rule == "dataset", str(e.value)
    assert "dataset" in validator_rules(path)


def test_numpy_array_data_may_be_big_endian(path):
    data = np.arange(4, dtype=">i4")
    v1(path, "dict", [("'x'", "numpy.ndarray")],
       extra=lambda f, g: g.create_dataset("'x'", data=data))
    out = jaxon.load(path)["x"]
    assert out.dtype == np.dtype(">i4") and out.tolist() == [0, 1, 2, 3]
    assert validator_rules(path) == set()


def test_big_endian_long_double_is_refused(path):
    # NumPy and the integrity records know one long double, the little-endian one
    if np.dtype(np.longdouble).itemsize != 16:
        pytest.skip("no 16-byte long double here")
    v1(path, "dict", [("'x'", "numpy.ndarray")],
       extra=lambda f, g: g.create_dataset("'x'", data=np.arange(3, dtype=">f16")))
    with pytest.raises(jaxon.JaxonFormatError) as e:
        jaxon.load(path)
    assert e.value.rule == "dataset", str(e.value)
    assert "dataset" in validator_rules(path)


# ---- keys equal by value, through a reference or a key(i) node (closed in session 8) -------
# A Python dict takes 1, 1.0, True, 1+0j and np.int64(1) for one key, 'a' and np.str_('a'),
# b'a' and np.bytes_(b'a'), equal tuples, set-equal frozensets: the loader refuses the entry
# that does not grow the dict and the validator compares the keys' values (layout/jxv_keys.c).

def dict_file(path, version, items):
    """A dict at the root: items are (name, value), value a str (text; None: the v2 E) or
    NumPy data written as h5py writes it; ("dataset", data, v1 text[, dtype]) adds a dataset
    named like the slot, (tag, [(name, text)…]) a container group."""
    put_text = text_attr if version == 1 else v2_put
    with h5py.File(path, "w", track_order=True) as f:
        if version == 2:
            v2_put(f, "JAXON_VERSION", "2.0.0")
        g = f.create_group("JAXON_ROOT", track_order=True)
        for name, value in items:
            slot = name.split(":")[0]
            if isinstance(value, tuple) and value[0] == "dataset":
                g.create_dataset(slot, data=value[1], dtype=value[3] if len(value) > 3 else None)
                put_text(g, name, None if version == 2 else value[2])
            elif isinstance(value, tuple):
                sub = g.create_group(slot, track_order=True)
                for n, t in value[1]:
                    put_text(sub, n, t)
                put_text(g, name, None if version == 2 else value[0])
            elif value is None or isinstance(value, str):
                put_text(g, name, value)
            else:
                typed_attr(g, name, value)
        if version == 1:
            text_attr(f, "JAXON_ROOT", "dict")
        else:
            v2_put(f, "JAXON_ROOT:dict", None)


LONG_DOUBLE = np.dtype(np.longdouble).itemsize == 16
BIG = np.longdouble(2**63) + np.longdouble(1)  # no double: NumPy hashes it as 2.0**63

EQUAL_KEYS = {
    "np.int64 key(i) and int slot": (1, [("int(1)", "None"), ("key(1)", np.int64(1)),
                                         ("value(1)", "None")]),
    "np.bool_ key(i) and float slot": (1, [("float(1.0)", "None"), ("key(1)", np.bool_(True)),
                                           ("value(1)", "None")]),
    "np.float16 key(i) and float slot": (1, [("float(0.5)", "None"),
                                             ("key(1)", np.float16(0.5)), ("value(1)", "None")]),
    "np.complex64 with zero imaginary part": (1, [("int(-2)", "None"),
                                                  ("key(1)", np.complex64(-2)),
                                                  ("value(1)", "None")]),
    "float key(i) and int slot": (1, [("int(1180591620717411303424)", "None"),
                                      ("key(1)", "float(1.1805916207174113e+21)"),
                                      ("value(1)", "None")]),
    "reference to a string": (1, [("'t'", "'a'"), ("'a'", "None"),
                                  ("key(2):ref", "/JAXON_ROOT/'t'"), ("value(2)", "None")]),
    "equal tuples": (1, [("key(0)", ("tuple", [("0", "int(1)"), ("1", "'a'")])),
                         ("value(0)", "None"),
                         ("key(1)", ("tuple", [("0", "bool(True)"), ("1", "'a'")])),
                         ("value(1)", "None")]),
    "set-equal frozensets": (1, [("key(0)", ("frozenset", [("0", "int(1)"), ("1", "int(2)")])),
                                 ("value(0)", "None"),
                                 ("key(1)", ("frozenset", [("0", "int(2)"),
                                                           ("1", "float(1.0)")])),
                                 ("value(1)", "None")]),
    "equal bytes": (1, [("key(0):bytes", np.frombuffer(b"ab", np.uint8)), ("value(0)", "None"),
                        ("key(1)", ("dataset", np.frombuffer(b"ab", np.uint8), "bytes")),
                        ("value(1)", "None")]),
    "empty ranges": (1, [("range(0,0)", "None"), ("key(1)", "range(5,3)"),
                         ("value(1)", "None")]),
    "float and complex slots": (1, [("float(0.5)", "None"), ("complex(0.5+0j)", "None")]),
    "v2 reference to a np.float64": (2, [("'t'", np.float64(-0.0)), ("0", "None"),
                                         ("key(2)", "/JAXON_ROOT/'t'"), ("value(2)", "None")]),
    "v2 reference to a np.uint64": (2, [("'t'", np.uint64(2**64 - 1)),
                                        (str(2**64 - 1), "None"),
                                        ("key(2)", "/JAXON_ROOT/'t'"), ("value(2)", "None")]),
    "v2 references to one NaN node": (2, [("'t'", np.float64("nan")),
                                          ("key(1)", "/JAXON_ROOT/'t'"), ("value(1)", "None"),
                                          ("key(2)", "/JAXON_ROOT/'t'"), ("value(2)", "None")]),
    "v2 long doubles of one value": (2, [("'t'", BIG), ("'u'", BIG),
                                         ("key(2)", "/JAXON_ROOT/'t'"), ("value(2)", "None"),
                                         ("key(3)", "/JAXON_ROOT/'u'"), ("value(3)", "None")]),
    "v2 np.str_ and str": (2, [("'zz'", "None"),
                               ("key(1):numpy.str_", ("dataset", np.bytes_(b"zz"), None,
                                                      h5py.string_dtype("utf-8", 2))),
                               ("value(1)", "None")]),
}

DISTINCT_KEYS = {
    "np.float32(0.1) and 0.1": (2, [("'t'", np.float32(0.1)), ("0.1", "None"),
                                    ("key(2)", "/JAXON_ROOT/'t'"), ("value(2)", "None")]),
    "float(2**53) and 2**53 + 1": (1, [(f"int({2**53 + 1})", "None"),
                                       ("key(1)", np.float64(2**53)), ("value(1)", "None")]),
    "NaN nodes": (2, [("'t'", np.float64("nan")), ("nan", "None"),
                      ("key(2)", "/JAXON_ROOT/'t'"), ("value(2)", "None")]),
    "long double and the int of its value": (2, [("'t'", BIG), (str(2**63 + 1), "None"),
                                                 ("key(2)", "/JAXON_ROOT/'t'"),
                                                 ("value(2)", "None")]),
    "complex with an imaginary part": (2, [("'t'", np.complex128(1 + 1e-300j)), ("1", "None"),
                                           ("key(2)", "/JAXON_ROOT/'t'"), ("value(2)", "None")]),
    "bytes and str": (1, [("'ab'", "None"), ("key(1):bytes", np.frombuffer(b"ab", np.uint8)),
                          ("value(1)", "None")]),
    "tuple and frozenset": (1, [("key(0)", ("tuple", [("0", "int(1)")])), ("value(0)", "None"),
                                ("key(1)", ("frozenset", [("0", "int(1)")])),
                                ("value(1)", "None")]),
}


@pytest.mark.parametrize("case", EQUAL_KEYS)
def test_dict_keys_equal_by_value_are_one_key(path, case):
    version, items = EQUAL_KEYS[case]
    if "long double" in case and not LONG_DOUBLE:
        pytest.skip("no 16-byte long double here")
    dict_file(path, version, items)
    assert_both_refuse(path, "duplicate-slot")


@pytest.mark.parametrize("case", DISTINCT_KEYS)
def test_dict_keys_python_keeps_apart_load(path, case):
    version, items = DISTINCT_KEYS[case]
    if "long double" in case and not LONG_DOUBLE:
        pytest.skip("no 16-byte long double here")
    dict_file(path, version, items)
    jaxon.load(path)
    assert validator_rules(path) == set()


@pytest.mark.parametrize("case", ["datetime64", "timedelta64", "numpy.void",
                                  "reference to a numpy.void"])
def test_numpy_kinds_whose_equality_surprises_are_no_dict_keys(path, case):
    # NumPy's datetime64/timedelta64 compare with ints in their own way, but no Jaxon file
    # holds one as a key: h5py's tagged opaque is no numeric scalar for either side
    # (value-type); numpy.void never hashes (unhashable-key), through a reference too
    if case in ("datetime64", "timedelta64"):
        x = np.array(np.datetime64(1, "D") if case == "datetime64" else np.timedelta64(1, "s"))
        dict_file(path, 1, [("int(1)", "None"), ("key(1)", x.view(h5py.opaque_dtype(x.dtype))),
                            ("value(1)", "None")])
        rule = "value-type"
    else:
        void = ("dataset", np.void(b"\x01\x00"), None)
        items = ([("key(0):numpy.void", void), ("value(0)", "None")] if case == "numpy.void"
                 else [("'t':numpy.void", void), ("key(1)", "/JAXON_ROOT/'t'"),
                       ("value(1)", "None")])
        dict_file(path, 2, items)
        rule = "unhashable-key"
    assert_both_refuse(path, rule)
