"""Compression and asynchronous save on the MLP + Adam checkpoint (bench/workloads.py
mlp_adam: the Adam moments are zeros, as after init, so two thirds of the 192 MB are zeros)
against orbax-checkpoint's StandardCheckpointer (its default: async, zstd-less OCDBT).

python bench/checkpoint_features.py DIR [--runs N] [--scale S]

Needs hdf5plugin and orbax-checkpoint (scripts/setup-bench.sh). Prints a Markdown table:
file size and ratio, save time (until the file is durable: jaxon fsyncs and renames; orbax
waits for wait_until_finished), the time the caller is blocked by the asynchronous saves,
and the load time. Medians over N runs, each after a warm-up run."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads  # noqa: E402
from worker import path_size  # noqa: E402


def median_of(fn, runs):
    fn()  # warm-up: imports, plugin loading, page cache
    out = []
    for _ in range(runs):
        out.append(fn())
    return statistics.median([o[0] for o in out]), out[-1][1:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)

    import equinox as eqx
    import jax
    import orbax.checkpoint as ocp

    import jaxon
    from jaxon import JaxonStorageHints as H

    tree = workloads.mlp_adam(a.scale)
    arrays = eqx.filter(tree, eqx.is_array)
    raw = sum(x.nbytes for x in jax.tree_util.tree_leaves(arrays))
    rows = []

    def jaxon_case(label, **kw):
        p = os.path.join(a.dir, f"{label}.h5")

        def save():
            t0 = time.perf_counter()
            jaxon.save(p, tree, **kw)
            return (time.perf_counter() - t0,)

        def save_async():
            t0 = time.perf_counter()
            fut = jaxon.save_async(p, tree, **kw)
            blocked = time.perf_counter() - t0
            fut.wait()
            return (blocked, time.perf_counter() - t0)

        def load():
            t0 = time.perf_counter()
            jaxon.load(p)
            return (time.perf_counter() - t0,)

        s, _ = median_of(save, a.runs)
        b, (total,) = median_of(save_async, a.runs)
        ld, _ = median_of(load, a.runs)
        rows.append((f"jaxon {label}", path_size(p), s, b, ld))

    jaxon_case("uncompressed")
    jaxon_case("gzip-1", compression=H(compression="gzip", compression_opts=1))
    jaxon_case("lz4", compression="lz4")
    jaxon_case("zstd-3", compression="zstd")
    jaxon_case("blosc-zstd", compression=H(compression="blosc", compression_opts=(5, 1, "zstd")))

    ckpt = ocp.StandardCheckpointer()
    op = os.path.abspath(os.path.join(a.dir, "orbax"))

    def o_save():
        shutil.rmtree(op, ignore_errors=True)
        t0 = time.perf_counter()
        ckpt.save(op, arrays)
        blocked = time.perf_counter() - t0
        ckpt.wait_until_finished()
        return (time.perf_counter() - t0, blocked)

    def o_load():
        t0 = time.perf_counter()
        ckpt.restore(op, arrays)
        return (time.perf_counter() - t0,)

    s, (ob,) = median_of(o_save, a.runs)
    blocked = statistics.median([o_save()[1] for _ in range(a.runs)])
    ld, _ = median_of(o_load, a.runs)
    rows.append(("orbax StandardCheckpointer", path_size(op), s, blocked, ld))

    print(f"MLP + Adam checkpoint: {raw / 1e6:.0f} MB of arrays, {a.runs} runs (medians), "
          f"files in {a.dir}\n")
    print("| writer | size (MB) | ratio | save until durable (s) | caller blocked by the "
          "async save (s) | load (s) |")
    print("|---|---|---|---|---|---|")
    for name, size, s, b, ld in rows:
        print(f"| {name} | {size / 1e6:.1f} | {raw / size:.1f} | {s:.3f} | {b:.3f} | {ld:.3f} |")


if __name__ == "__main__":
    main()
