"""Cases of test_sharded_load.py, run in a subprocess with 4 host devices.

  python sharded_cases.py CASE DIR     runs case CASE with files in DIR; prints "OK CASE"

XLA_FLAGS=--xla_force_host_platform_device_count=4 must be set before jax is imported,
which is why these run in their own interpreter (the test process may have imported jax).
"""

from __future__ import annotations

import dataclasses
import os
import sys

os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                           " --xla_force_host_platform_device_count=4").strip()
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P, SingleDeviceSharding  # noqa: E402

import jaxon  # noqa: E402
from jaxon import _lazy  # noqa: E402

assert len(jax.devices()) == 4, jax.devices()
MESH = Mesh(np.array(jax.devices()).reshape(2, 2), ("x", "y"))


def named(*spec):
    return NamedSharding(MESH, P(*spec))


def check_placed(got, want, sharding):
    assert isinstance(got, jax.Array), type(got)
    assert got.sharding == sharding, (got.sharding, sharding)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    for shard in got.addressable_shards:  # each device holds exactly its slice
        np.testing.assert_array_equal(np.asarray(shard.data), np.asarray(want)[shard.index])


class ReadLog:
    """Records the hyperslabs LazyArray reads (start, count, step)."""

    def __init__(self):
        self.calls = []
        self._orig = _lazy.LazyArray._read

    def __enter__(self):
        log = self

        def spy(proxy, start, count, step, *rest):
            log.calls.append((tuple(start), tuple(count), tuple(step)))
            return log._orig(proxy, start, count, step, *rest)

        _lazy.LazyArray._read = spy
        return self

    def __exit__(self, *exc):
        _lazy.LazyArray._read = self._orig


def case_named_2d(d):
    w = jnp.arange(256 * 128, dtype=jnp.float32).reshape(256, 128)  # 128 KiB: a dataset
    p = os.path.join(d, "a.h5")
    jaxon.save(p, {"w": w})
    sh = named("x", "y")
    with ReadLog() as log:
        got = jaxon.load(p, sharding=sh)["w"]
    check_placed(got, w, sh)
    # four devices, four distinct quarter slices: each read is one quarter
    assert sorted(log.calls) == sorted(((a, b), (128, 64), (1, 1))
                                       for a in (0, 128) for b in (0, 64)), log.calls


def case_replicated_reads_once(d):
    w = jnp.arange(256 * 128, dtype=jnp.int32).reshape(256, 128)
    p = os.path.join(d, "a.h5")
    jaxon.save(p, {"w": w})
    sh = named("x")  # halves along x, replicated along y
    with ReadLog() as log:
        got = jaxon.load(p, sharding=sh)["w"]
    check_placed(got, w, sh)
    assert sorted(log.calls) == [((0, 0), (128, 128), (1, 1)), ((128, 0), (128, 128), (1, 1))]
    full = named()
    with ReadLog() as log:
        got = jaxon.load(p, sharding=full)["w"]
    check_placed(got, w, full)
    assert len(log.calls) == 1


def case_chunked_file(d):
    """Placement from a proxy that is not memory-mapped (a chunked, compressed dataset)."""
    w = jnp.arange(256 * 128, dtype=jnp.float32).reshape(256, 128)
    q = os.path.join(d, "gz.h5")
    jaxon.save(q, {"w": w}, compression="gzip")
    z = jaxon.load(q, lazy=True)["w"]
    assert isinstance(z, jaxon.LazyArray) and z._mapped is None
    del z
    sh = named("y", "x")
    check_placed(jaxon.load(q, sharding=sh)["w"], w, sh)


@dataclasses.dataclass
class Layer:
    kernel: jax.Array
    bias: jax.Array


def case_pytree_of_shardings(d):
    tree = {"params": {"dense": Layer(jnp.ones((8, 4)), jnp.arange(8.0)),
                       "emb": jnp.arange(32.0).reshape(8, 4)},
            "opt": [jnp.zeros((8, 4)), np.arange(6)],
            "step": jnp.array(3)}
    p = os.path.join(d, "a.h5")
    hints = [(x, jaxon.JaxonStorageHints(True)) for x in
             (tree["params"]["emb"], tree["opt"][0], tree["step"])]
    jaxon.save(p, tree, storage_hints=hints)
    rows, cols = named("x"), named(None, "y")
    # a prefix: one Sharding for everything under "params"; "opt" partially: its list's
    # first leaf only; leaves under no entry stay on the default device
    got = jaxon.load(p, sharding={"params": rows, "opt": [cols, None]})
    check_placed(got["params"]["dense"].kernel, tree["params"]["dense"].kernel, rows)
    check_placed(got["params"]["dense"].bias, tree["params"]["dense"].bias, rows)
    check_placed(got["params"]["emb"], tree["params"]["emb"], rows)
    check_placed(got["opt"][0], tree["opt"][0], cols)
    assert type(got["opt"][1]) is np.ndarray  # numpy leaves are never placed
    assert isinstance(got["step"].sharding, SingleDeviceSharding)
    # a sharding tree with other leaves is refused, naming the entry
    try:
        jaxon.load(p, sharding={"params": "rows"})
    except TypeError as e:
        assert "('params',)" in str(e) and "Sharding" in str(e), e
    else:
        raise AssertionError("a str in the sharding tree was accepted")


def case_callable(d):
    tree = {"a": [jnp.ones((8, 8)), jnp.arange(4.0)], "b": np.ones(3), "c": jnp.ones((4, 4))}
    p = os.path.join(d, "a.h5")
    jaxon.save(p, tree, storage_hints=[(tree["c"], jaxon.JaxonStorageHints(True))])
    asked = []

    def where(path, shape, dtype):
        asked.append((path, shape, str(dtype)))
        return named("x", "y") if len(shape) == 2 and path[0] == "a" else None

    got = jaxon.load(p, sharding=where)
    assert sorted(asked) == sorted([(("a", 0), (8, 8), "float32"), (("a", 1), (4,), "float32"),
                                    (("c",), (4, 4), "float32")]), asked
    check_placed(got["a"][0], tree["a"][0], named("x", "y"))
    assert isinstance(got["a"][1].sharding, SingleDeviceSharding)
    assert isinstance(got["c"].sharding, SingleDeviceSharding)
    assert type(got["b"]) is np.ndarray
    try:
        jaxon.load(p, sharding=lambda path, shape, dtype: "everywhere")
    except TypeError as e:
        assert "('a', 0)" in str(e), e
    else:
        raise AssertionError("a callable returning a str was accepted")


def case_misfit_names_the_path(d):
    p = os.path.join(d, "a.h5")
    jaxon.save(p, {"v": jnp.arange(6.0)})
    try:
        jaxon.load(p, sharding=named("x", "y"))  # rank 2 spec for a rank 1 array
    except ValueError as e:
        assert "('v',)" in str(e) and "(6,)" in str(e), e
    else:
        raise AssertionError("a misfit sharding was accepted")
    check_placed(jaxon.load(p, sharding=named("x"))["v"], jnp.arange(6.0), named("x"))


def case_exact_dtypes_and_scalars(d):
    b = jnp.arange(64 * 8, dtype=jnp.bfloat16).reshape(64, 8)
    i4 = jnp.arange(16, dtype=jnp.int4).reshape(4, 4) if hasattr(jnp, "int4") else None
    s = jnp.array(2.5)
    tree = {"b": b, "s": s, "i4": i4}
    p = os.path.join(d, "a.h5")
    jaxon.save(p, tree, storage_hints=[(s, jaxon.JaxonStorageHints(True))])
    got = jaxon.load(p, sharding=lambda path, shape, dtype: named("x") if shape else named())
    check_placed(got["b"], b, named("x"))
    check_placed(got["s"], s, named())
    if i4 is not None:
        check_placed(got["i4"], i4, named("x"))


def case_lazy_and_sharding(d):
    tree = {"w": jnp.ones((16, 8)), "n": np.arange(100_000.0)}
    p = os.path.join(d, "a.h5")
    jaxon.save(p, tree)
    got = jaxon.load(p, lazy=True, sharding=named("x"))
    check_placed(got["w"], tree["w"], named("x"))  # placed, not a proxy
    assert type(got["n"]) is np.ndarray and not got["n"].flags.writeable  # mapped


def case_sharded_save(d):
    for spec in (("x", "y"), ("x",), (None, "y"), ("y", "x"), ()):  # () replicated: old path
        sh = named(*spec)
        for dtype in (jnp.float32, jnp.bfloat16, jnp.int8):
            big = jax.device_put(jnp.arange(256 * 128).astype(dtype).reshape(256, 128), sh)
            small = jax.device_put(jnp.arange(8 * 4).astype(dtype).reshape(8, 4), sh)
            p = os.path.join(d, "s.h5")
            jaxon.save(p, {"big": big, "small": small, "again": big})
            # written shard by shard: no gathered host copy was made (jax caches it on the
            # array when np.asarray gathers)
            assert big._npy_value is None and small._npy_value is None, spec
            got = jaxon.load(p)
            assert got["big"] is got["again"]
            for k, want in (("big", big), ("small", small)):
                assert got[k].dtype == want.dtype, (spec, dtype, k)
                np.testing.assert_array_equal(np.asarray(got[k]), np.asarray(want))
            check_placed(jaxon.load(p, sharding=sh)["big"], big, sh)


CASES = {name[5:]: f for name, f in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    name, d = sys.argv[1], sys.argv[2]
    CASES[name](d)
    print("OK", name)
