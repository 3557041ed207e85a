"""One process of a many-process scenario, run by test_many_processes.py under mpirun.

  mpirun -np N python worker.py SCENARIO OUTDIR

Every process starts JAX's multi-process runtime on localhost (one CPU device each; the
coordinator port comes from JAXON_TEST_JAX_PORT), builds real global jax.Arrays sharded
over the processes, runs SCENARIO, and writes OUTDIR/rank<R>.json: {"ok": bool, "error":
str or None, ...facts}. Assertions fail the process (non-zero exit) with the traceback on
stderr, which the driver shows.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

from mpi4py import MPI

COMM = MPI.COMM_WORLD
RANK, SIZE = COMM.Get_rank(), COMM.Get_size()

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402

jax.distributed.initialize(coordinator_address=f"localhost:{os.environ['JAXON_TEST_JAX_PORT']}",
                           num_processes=SIZE, process_id=RANK)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P  # noqa: E402

import jaxon  # noqa: E402

MESH = Mesh(np.array(jax.devices()), ("x",))
ROWS = NamedSharding(MESH, P("x"))
REPLICATED = NamedSharding(MESH, P())


def global_values(seed: int = 0) -> dict:
    """The full values of the global arrays (every process can compute them; each one
    places only its own slice)."""
    rng = np.random.default_rng(seed)
    n = 4 * SIZE
    return {
        "w": rng.standard_normal((n * 64, 300)).astype(np.float32),   # dataset, ~1.2 MiB x N
        "small": np.arange(n, dtype=np.int32) * 7,                    # attribute (< 64 KiB)
        "bf16": rng.standard_normal((n, 5)).astype(jnp.bfloat16),     # exact dtype: dataset
        "cols": rng.integers(0, 1000, (3, n * 8)).astype(np.int32),   # sharded on axis 1
        "rep": np.linspace(0, 1, 30000).astype(np.float32),           # replicated everywhere
    }


def global_tree(v: dict) -> dict:
    def put(x, sharding):
        return jax.make_array_from_callback(x.shape, sharding, lambda idx: x[idx])

    shared = {"lr": 0.001, "name": "adam"}
    return {
        "params": {"w": put(v["w"], ROWS), "small": put(v["small"], ROWS),
                   "bf16": put(v["bf16"], ROWS),
                   "cols": put(v["cols"], NamedSharding(MESH, P(None, "x")))},
        "rep": put(v["rep"], REPLICATED),
        "np": np.arange(20000, dtype=np.int16),
        "step": 1200, "tags": ("a", b"b", 3.5, None), "opt": shared, "opt_again": shared,
        "set": {1, 2, "three"},
    }


def gathered_tree(v: dict) -> dict:
    """The same pytree as one process holds it after gathering: process-local arrays."""
    t = global_tree(v)
    t["params"] = {k: jnp.asarray(v[k]) for k in ("w", "small", "bf16", "cols")}
    t["rep"] = jnp.asarray(v["rep"])
    return t


def report(outdir: str, **facts) -> None:
    with open(os.path.join(outdir, f"rank{RANK}.json"), "w") as f:
        json.dump(facts, f)


def io_read_bytes() -> int:
    with open("/proc/self/io") as f:
        for line in f:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    return -1


def check_equal(loaded: dict, v: dict) -> None:
    for k in ("w", "small", "bf16", "cols"):
        got = loaded["params"][k]
        assert isinstance(got, jax.Array), (k, type(got))
        assert got.dtype == v[k].dtype and np.array_equal(np.asarray(got), v[k]), k
    assert np.array_equal(np.asarray(loaded["rep"]), v["rep"])
    assert loaded["step"] == 1200 and loaded["tags"] == ("a", b"b", 3.5, None)
    assert loaded["opt"] is loaded["opt_again"] and loaded["set"] == {1, 2, "three"}


# ---- scenarios ---------------------------------------------------------------------------

def sharded_save(outdir: str) -> dict:
    """Collective save of global arrays; serial load in every process equals the values; a
    single-process save of the gathered tree (process 0) for the driver to compare."""
    v = global_values()
    target = os.path.join(outdir, "many.h5")
    before = io_read_bytes()
    jaxon.save(target, global_tree(v), comm=COMM)
    read_in_save = io_read_bytes() - before
    COMM.Barrier()
    check_equal(jaxon.load(target), v)
    if RANK == 0:
        # a collective save writes no integrity records yet (docs/many-processes.md): compare
        # with a single-process save without them
        jaxon.save(os.path.join(outdir, "one.h5"), gathered_tree(v), checksums=False)
        np.savez(os.path.join(outdir, "values.npz"), **{k: np.asarray(x).view(np.uint8)
                                                        if x.dtype == jnp.bfloat16 else x
                                                        for k, x in v.items()})
    leftovers = [n for n in os.listdir(outdir) if n.startswith(".many.h5.jaxon-tmp-")]
    assert not leftovers, leftovers
    return {"read_in_save": read_in_save}


def sharded_load(outdir: str) -> dict:
    """A serial save by process 0, then load(comm=, sharding=) in every process: each
    process holds its rows only and has read far less than the whole array."""
    v = global_values(1)
    target = os.path.join(outdir, "serial.h5")
    if RANK == 0:
        jaxon.save(target, {"w": jnp.asarray(v["w"]), "meta": {"step": 3}})
    COMM.Barrier()
    before = io_read_bytes()
    t = jaxon.load(target, comm=COMM, sharding={"w": ROWS})
    read = io_read_bytes() - before
    w = t["w"]
    assert isinstance(w, jax.Array) and w.shape == v["w"].shape and not w.is_fully_addressable
    for shard in w.addressable_shards:
        assert np.array_equal(np.asarray(shard.data), v["w"][shard.index]), shard.index
    assert t["meta"] == {"step": 3}
    # a collective save of what was loaded gives the same data back
    again = os.path.join(outdir, "again.h5")
    jaxon.save(again, t, comm=COMM)
    assert np.array_equal(jaxon.load(again)["w"], v["w"])
    return {"read": read, "array_bytes": int(v["w"].nbytes)}


def mismatch(outdir: str) -> dict:
    """Trees that differ between processes: every process raises, naming the path; the
    previous file stays."""
    target = os.path.join(outdir, "prev.h5")
    if RANK == 0:
        jaxon.save(target, {"old": 1})
    COMM.Barrier()
    v = global_values()
    errors = {}
    cases = {
        "leaf": lambda t: t.update(step=1200 + (RANK == SIZE - 1)),
        "key": lambda t: t["opt"].update({f"extra{RANK % 2}": 1} if RANK == SIZE - 1 else {}),
        "small_numpy": lambda t: t.update(np=np.arange(3) + (RANK == SIZE - 1)),
        "unsupported": lambda t: t.update(step=object() if RANK == SIZE - 1 else 1200),
    }
    for name, change in cases.items():
        if os.environ.get("JAXON_TEST_DEBUG"):
            print(RANK, "case", name, flush=True)
        t = global_tree(v)
        change(t)
        try:
            jaxon.save(target, t, comm=COMM)
        except Exception as e:
            errors[name] = f"{type(e).__name__}: {e}"
        else:
            errors[name] = None
    assert jaxon.load(target) == {"old": 1}
    return {"errors": errors}


class _Die:
    pass


def die(outdir: str) -> dict:
    """The last process kills itself in the middle of the collective write (its second
    marshaler call: the first is the plan's)."""
    import signal

    target = os.path.join(outdir, "prev.h5")
    if RANK == 0:
        jaxon.save(target, {"old": 1})
    COMM.Barrier()
    calls = []

    def marshal(obj):
        if not isinstance(obj, _Die):
            return None
        calls.append(1)
        if len(calls) == 2 and RANK == SIZE - 1:
            os.kill(os.getpid(), signal.SIGKILL)
        return ("tests.Die", [])

    t = global_tree(global_values())
    t["zzz_die"] = _Die()
    jaxon.save(target, t, comm=COMM, custom_marshalers=[marshal])
    return {}


SCENARIOS = {f.__name__: f for f in (sharded_save, sharded_load, mismatch, die)}


def main() -> None:
    scenario, outdir = sys.argv[1], sys.argv[2]
    try:
        facts = SCENARIOS[scenario](outdir)
        report(outdir, ok=True, error=None, **facts)
    except BaseException:
        report(outdir, ok=False, error=traceback.format_exc())
        raise
    finally:
        sys.stdout.flush()


if __name__ == "__main__":
    main()
