"""Generated pytrees (hypothesis) round-trip exactly, keep their sharing, and validate."""

from __future__ import annotations

import os
import tempfile

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jaxon
from conftest import assert_same, validate

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
atoms = st.one_of(
    st.none(), st.just(Ellipsis), st.booleans(), st.integers(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.complex_numbers(allow_nan=True),
    text, st.binary(max_size=20), st.builds(bytearray, st.binary(max_size=8)),
    st.builds(range, st.integers(-5, 5), st.integers(-5, 5)),
    st.builds(slice, st.none() | st.integers(), st.none() | st.integers()),
    st.sampled_from([np.int8(-3), np.uint16(7), np.float32(1.5), np.complex64(1j),
                     np.bool_(False), np.float16(-0.0)]),
    st.builds(lambda shape, seed: np.random.default_rng(seed).standard_normal(shape),
              st.lists(st.integers(0, 3), max_size=3).map(tuple), st.integers(0, 9)),
)
hashable = st.one_of(st.none(), st.booleans(), st.integers(), text,
                     st.floats(allow_nan=False), st.tuples(st.integers(), text))


def containers(children):
    return st.one_of(
        st.lists(children, max_size=5),
        st.lists(children, max_size=5).map(tuple),
        st.dictionaries(hashable, children, max_size=5),
        st.frozensets(hashable, max_size=5),
        st.sets(hashable, max_size=5),
    )


trees = st.recursive(atoms, containers, max_leaves=40)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees)
def test_generated_tree_roundtrips_and_validates(tree):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "t.h5")
        jaxon.save(p, tree)
        validate(p)
        assert_same(jaxon.load(p), tree)


@settings(max_examples=60, deadline=None)
@given(trees=st.lists(trees, min_size=1, max_size=4), picks=st.lists(st.integers(0, 3), max_size=8))
def test_generated_sharing_is_preserved(trees, picks):
    shared = [[t] for t in trees]  # lists are always referenceable
    tree = {"shared": shared, "again": [shared[i % len(shared)] for i in picks]}
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "t.h5")
        jaxon.save(p, tree)
        validate(p)
        out = jaxon.load(p)
        for i, j in zip(picks, range(len(picks))):
            assert out["again"][j] is out["shared"][i % len(shared)]
