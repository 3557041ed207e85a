"""load(..., load_filter=f): partial loading (spec §5.1, issue #5).

f(path) is called with a tuple for every node but dict keys: () for the root, then the dict
key object, the list/tuple/set position or the dataclass field name of each level. A refused
node is JAXON_NOT_LOADED and none of its data is read. A reference from a loaded location to
a refused node still loads it (spec bug B1-6 fixed).

Sets: the filter sees set elements by position (file order); refused elements all become the
one JAXON_NOT_LOADED, so a set with refused elements holds the placeholder once (B1-13: the
number of refused elements is not recoverable from the result)."""

from __future__ import annotations

import dataclasses
import os
import time

import numpy as np
import pytest

import jaxon
from jaxon import JAXON_NOT_LOADED, has_common_prefix
from conftest import assert_same


@dataclasses.dataclass
class Layer:
    weight: object
    bias: object


def save(path, tree, **kw):
    jaxon.save(path, tree, **kw)
    return path


def load_recording(path, accept=lambda p: True, **kw):
    seen = []

    def f(p):
        assert type(p) is tuple
        seen.append(p)
        return accept(p)

    return jaxon.load(path, load_filter=f, **kw), seen


class TestPathsSeen:
    def test_nested_containers(self, h5path):
        save(h5path, {"a": [1, (2, 3)], "b": {"c": None}, 5: "five"})
        out, seen = load_recording(h5path)
        assert out == {"a": [1, (2, 3)], "b": {"c": None}, 5: "five"}
        assert seen == [(), ("a",), ("a", 0), ("a", 1), ("a", 1, 0), ("a", 1, 1), ("b",),
                        ("b", "c"), (5,)]

    def test_dataclass_fields_are_path_elements(self, h5path):
        save(h5path, {"layers": [Layer(np.ones(2), np.zeros(2))]})
        out, seen = load_recording(h5path)
        assert ("layers", 0, "weight") in seen and ("layers", 0, "bias") in seen
        assert type(out["layers"][0]) is Layer

    def test_dict_keys_are_loaded_objects_and_never_filtered(self, h5path):
        key = (1, "k")  # a tuple key: stored as key(0)/value(0), a subtree of its own
        save(h5path, {key: [10], "s": 1})
        out, seen = load_recording(h5path, lambda p: True)
        assert seen == [(), ((1, "k"),), ((1, "k"), 0), ("s",)]
        out, _ = load_recording(h5path, lambda p: p == () )
        assert out == {key: JAXON_NOT_LOADED, "s": JAXON_NOT_LOADED}

    def test_objects_stored_by_name_are_not_filtered_inside(self, h5path):
        save(h5path, {"f": np.sum})
        out, seen = load_recording(h5path, lambda p: len(p) < 2)
        assert out["f"] is np.sum and seen == [(), ("f",)]

    def test_filter_exception_propagates(self, h5path):
        save(h5path, {"a": 1})

        def boom(p):
            if p:
                raise RuntimeError("no")
            return True

        with pytest.raises(RuntimeError, match="no"):
            jaxon.load(h5path, load_filter=boom)

    def test_non_callable_filter(self, h5path):
        save(h5path, 1)
        with pytest.raises(TypeError, match="callable"):
            jaxon.load(h5path, load_filter=3)


class TestSkipping:
    def test_skipped_nodes_are_placeholders(self, h5path):
        save(h5path, {"a": np.arange(3), "b": [1, 2], "c": "text"})
        out = jaxon.load(h5path, load_filter=lambda p: p != ("b",))
        assert out["b"] is JAXON_NOT_LOADED
        assert_same(out["a"], np.arange(3))
        assert out["c"] == "text"

    def test_skipped_children_are_not_asked(self, h5path):
        save(h5path, {"a": {"deep": [1, 2, 3]}, "b": 1})
        out, seen = load_recording(h5path, lambda p: p[:1] != ("a",))
        assert seen == [(), ("a",), ("b",)]

    def test_root_skipped(self, h5path):
        save(h5path, {"a": 1})
        assert jaxon.load(h5path, load_filter=lambda p: False) is JAXON_NOT_LOADED

    def test_has_common_prefix_selects_one_subtree(self, h5path):
        tree = {"model": {"layers": [Layer(np.ones(3), np.zeros(3)), Layer(np.ones(2), 0.5)]},
                "opt": {"mu": np.ones(4)}, "step": 7}
        save(h5path, tree)
        want = ("model", "layers", 1)
        out = jaxon.load(h5path, load_filter=lambda p: has_common_prefix(want, p))
        assert out["opt"] is JAXON_NOT_LOADED and out["step"] is JAXON_NOT_LOADED
        assert out["model"]["layers"][0] is JAXON_NOT_LOADED
        layer = out["model"]["layers"][1]
        assert type(layer) is Layer and layer.bias == 0.5
        assert_same(layer.weight, np.ones(2))

    def test_skipped_dataclass_field(self, h5path):
        save(h5path, Layer(np.ones(3), np.zeros(3)))
        out = jaxon.load(h5path, load_filter=lambda p: p != ("weight",))
        assert type(out) is Layer and out.weight is JAXON_NOT_LOADED
        assert_same(out.bias, np.zeros(3))

    def test_set_elements_collapse_into_one_placeholder(self, h5path):
        save(h5path, {"s": {1, 2, 3}, "f": frozenset({"x"})})
        out = jaxon.load(h5path, load_filter=lambda p: p[:1] != ("s",) or len(p) < 2)
        assert out["s"] == {JAXON_NOT_LOADED}
        assert out["f"] == frozenset({"x"})

    def test_placeholder_is_not_cached_for_a_second_full_load(self, h5path):
        save(h5path, {"a": [1]})
        assert jaxon.load(h5path, load_filter=lambda p: False) is JAXON_NOT_LOADED
        assert jaxon.load(h5path) == {"a": [1]}


class TestReferencesToSkippedNodes:
    def test_reference_loads_a_skipped_target(self, h5path):
        shared = [1, 2]
        save(h5path, {"a": shared, "b": shared, "c": shared})
        out = jaxon.load(h5path, load_filter=lambda p: p[:1] != ("a",))
        assert out["a"] is JAXON_NOT_LOADED
        assert out["b"] == [1, 2] and out["b"] is out["c"]

    def test_filter_sees_the_referencing_location_below_the_target(self, h5path):
        shared = {"x": 1, "y": 2}
        save(h5path, {"a": shared, "b": shared})
        out, seen = load_recording(h5path, lambda p: p[:1] != ("a",) and p != ("b", "y"))
        assert out["b"] == {"x": 1, "y": JAXON_NOT_LOADED}
        assert ("b", "x") in seen and not any(p[:1] == ("a",) and len(p) > 1 for p in seen)

    def test_reference_into_a_skipped_subtree_then_to_its_root(self, h5path):
        x = [1, 2]
        d = {"inner": x}
        save(h5path, {"a": d, "b": x, "c": d})
        out = jaxon.load(h5path, load_filter=lambda p: p[:1] != ("a",))
        assert out["b"] == [1, 2] and out["c"] == {"inner": [1, 2]}
        assert out["c"]["inner"] is out["b"]

    def test_shared_dataclass_skipped_at_first_location(self, h5path):
        layer = Layer(np.ones(2), np.zeros(2))
        save(h5path, {"first": layer, "second": layer})
        out = jaxon.load(h5path, load_filter=lambda p: p[:1] != ("first",))
        assert type(out["second"]) is Layer
        assert_same(out["second"].weight, np.ones(2))

    def test_reference_from_a_skipped_location_is_not_followed(self, h5path):
        shared = [1]
        save(h5path, {"a": shared, "b": shared})
        out = jaxon.load(h5path, load_filter=lambda p: p[:1] != ("b",))
        assert out == {"a": [1], "b": JAXON_NOT_LOADED}


def _big_dataset_offset(path, name):
    h5py = pytest.importorskip("h5py")
    with h5py.File(path, "r") as f:
        d = f["JAXON_ROOT"][name]
        return d.id.get_offset(), d.id.get_storage_size()


class TestDataOfSkippedNodesIsNotRead:
    def test_corrupted_skipped_dataset_does_not_matter(self, h5path):
        big = np.arange(1 << 20, dtype=np.float64)  # 8 MiB: a dataset
        save(h5path, {"big": big, "small": np.int32(7)})
        off, size = _big_dataset_offset(h5path, "'big'")
        assert off is not None and size == big.nbytes
        with open(h5path, "r+b") as fh:  # overwrite the raw data
            fh.seek(off)
            fh.write(b"\xff" * size)
        out = jaxon.load(h5path, load_filter=lambda p: p in ((), ("small",)))
        assert out["big"] is JAXON_NOT_LOADED and out["small"] == np.int32(7)
        # the full load does read the bytes: their checksum (spec §12) no longer matches
        with pytest.raises(jaxon.JaxonFormatError, match=r"\[checksum\]"):
            jaxon.load(h5path)
        full = jaxon.load(h5path, verify=False)
        assert not np.array_equal(full["big"], big)

    @pytest.mark.skipif(not os.path.exists("/proc/self/io"), reason="needs /proc/self/io")
    def test_bytes_read_by_a_filtered_load(self, h5path):
        arrays = {f"a{i}": np.full(1 << 20, i, dtype=np.float64) for i in range(8)}  # 64 MiB
        save(h5path, {"arrays": arrays, "leaf": "small"})

        def rchar():
            with open("/proc/self/io") as f:
                return int(next(l for l in f if l.startswith("rchar")).split()[1])

        before = rchar()
        out = jaxon.load(h5path, load_filter=lambda p: has_common_prefix(("leaf",), p))
        filtered = rchar() - before
        assert out["leaf"] == "small" and out["arrays"] is JAXON_NOT_LOADED
        before = rchar()
        t0 = time.perf_counter()
        full = jaxon.load(h5path)
        elapsed = time.perf_counter() - t0
        read_full = rchar() - before
        assert_same(full["arrays"]["a3"], arrays["a3"])
        assert filtered < 1 << 20, f"filtered load read {filtered} bytes"
        assert read_full >= 64 << 20, (read_full, elapsed)
