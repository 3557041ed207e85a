"""Shared objects stay shared after loading; cycles are refused before the target is touched."""

from __future__ import annotations

import os

import numpy as np
import pytest

import jaxon


class TestSharedObjects:
    def test_shared_list_loads_as_one_object(self, roundtrip):
        shared = [1, 2]
        out = roundtrip({"x": shared, "y": shared, "z": [shared]})
        assert out["x"] is out["y"] is out["z"][0]

    def test_shared_string_array_bytes_dict(self, roundtrip):
        s, a, b, d = "a string", np.arange(4), b"blob", {"k": 1}
        out = roundtrip([s, a, b, d, s, a, b, d])
        for i in range(4):
            assert out[i] is out[i + 4]

    def test_shared_tuple_and_set(self, roundtrip):
        t, fs = (1, 2), frozenset({3})
        out = roundtrip({"a": t, "b": t, "c": fs, "d": fs})
        assert out["a"] is out["b"] and out["c"] is out["d"]

    def test_equal_but_distinct_objects_stay_distinct(self, roundtrip):
        out = roundtrip([[1], [1]])
        assert out[0] == out[1] and out[0] is not out[1]

    def test_shared_object_as_dict_key_and_value(self, roundtrip):
        t = (1, 2)
        out = roundtrip({t: t})
        (k, v), = out.items()
        assert k is v

    def test_temporary_objects_do_not_alias(self, roundtrip):
        # objects created during the save (jax -> numpy copies) must not be confused by address
        tree = [np.arange(3) + i for i in range(50)]
        out = roundtrip(tree)
        assert all((o == t).all() for o, t in zip(out, tree))
        assert len({id(o) for o in out}) == 50


class TestCycles:
    def test_self_containing_list_raises(self, h5path):
        a = []
        a.append(a)
        with pytest.raises(jaxon.CircularPyTreeException, match=r"root\[0\]"):
            jaxon.save(h5path, a)

    def test_cycle_through_dict_names_the_path(self, h5path):
        d = {"inner": {"list": []}}
        d["inner"]["list"].append(d)
        with pytest.raises(jaxon.CircularPyTreeException, match=r"root\['inner'\]\['list'\]\[0\]"):
            jaxon.save(h5path, d)

    def test_cycle_leaves_previous_file_untouched(self, h5path):
        jaxon.save(h5path, {"old": 1})
        before = open(h5path, "rb").read()
        a = [1]
        a.append(a)
        with pytest.raises(jaxon.CircularPyTreeException):
            jaxon.save(h5path, a)
        assert open(h5path, "rb").read() == before
        assert os.listdir(os.path.dirname(h5path)) == [os.path.basename(h5path)]
