"""Typed PRNG keys (jax.random.key, dtype key<impl>) save as the extension node
"tuple#jaxon-prng-key" = (impl name, key data) and load back bit-exact with their
implementation; the files validate."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import h5py  # noqa: E402

import jaxon  # noqa: E402
from conftest import validate  # noqa: E402

IMPLS = ["threefry2x32", "rbg", "unsafe_rbg"]


@dataclasses.dataclass
class TrainState:
    key: object
    step: int


def same_key(a, b):
    assert isinstance(b, jax.Array)
    assert jax.dtypes.issubdtype(b.dtype, jax.dtypes.prng_key), b.dtype
    assert str(jax.random.key_impl(b)) == str(jax.random.key_impl(a))
    assert b.shape == a.shape
    da, db = np.asarray(jax.random.key_data(a)), np.asarray(jax.random.key_data(b))
    assert da.dtype == db.dtype and da.tobytes() == db.tobytes()


@pytest.mark.parametrize("impl", IMPLS)
def test_scalar_and_batched_keys_round_trip(h5path, impl):
    k = jax.random.key(42, impl=impl)
    batch = jax.random.split(k, 5)
    grid = jax.random.split(k, (2, 3))
    jaxon.save(h5path, {"k": k, "batch": batch, "grid": grid, "l": [k, 1]})
    validate(h5path)
    r = jaxon.load(h5path)
    same_key(k, r["k"])
    same_key(batch, r["batch"])
    same_key(grid, r["grid"])
    same_key(k, r["l"][0])
    # the loaded key draws the same numbers as the original
    assert np.array_equal(np.asarray(jax.random.normal(r["batch"][3], (4,))),
                          np.asarray(jax.random.normal(batch[3], (4,))))


def test_keys_in_dataclasses_and_shared(h5path):
    k = jax.random.key(7, impl="rbg")
    tree = {"state": TrainState(k, 3), "again": k}
    jaxon.save(h5path, tree)
    validate(h5path)
    r = jaxon.load(h5path)
    assert isinstance(r["state"], TrainState) and r["state"].step == 3
    same_key(k, r["state"].key)
    assert r["again"] is r["state"].key  # one object stored once


def test_layout_is_the_documented_extension(h5path):
    jaxon.save(h5path, {"k": jax.random.key(1)})
    with h5py.File(h5path, "r") as f:
        hint = f["JAXON_ROOT"].attrs["'k'"]
        hint = hint.decode() if isinstance(hint, bytes) else str(hint)
        assert hint == "tuple#jaxon-prng-key"
        assert sorted(f["JAXON_ROOT/'k'"].attrs) == ["0", "1:jax.Array"]


def test_load_filter_is_not_asked_about_the_key_items(h5path):
    jaxon.save(h5path, {"k": jax.random.key(1), "x": 1})
    seen = []
    r = jaxon.load(h5path, load_filter=lambda p: seen.append(p) or True)
    same_key(jax.random.key(1), r["k"])
    assert sorted(seen) == [(), ("k",), ("x",)]


def test_a_broken_key_node_names_its_place(h5path):
    # a node with the extension's tag whose impl name jax does not know
    class Marker:
        pass

    bad = ("no-such-impl", jax.numpy.zeros(2, jax.numpy.uint32))
    jaxon.save(h5path, {"k": Marker()},
               custom_marshalers=[lambda o: ("jaxon-prng-key", bad) if isinstance(o, Marker) else None])
    with pytest.raises(jaxon.JaxonFormatError, match="'k'.*PRNG key.*no-such-impl"):
        jaxon.load(h5path)
