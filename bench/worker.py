"""Runs one contender on one workload in a fresh process and prints one JSON line:
{"save": [s...], "load": [s...], "size": bytes, "rss_save": bytes, "rss_load": bytes}.

python worker.py CONTENDER WORKLOAD SCALE RUNS DIR [--phase save|load]

Peak RSS is measured per phase in its own process (getrusage ru_maxrss), so the save's
peak does not hide the load's. Timing covers only the library call."""

from __future__ import annotations

import json
import os
import pickle
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads  # noqa: E402


def contender(name):
    if name.startswith("jaxon"):  # ours, or a Python jaxon release on PYTHONPATH
        import jaxon
        if name == "jaxon":
            return jaxon.save, jaxon.load, ".h5"
        # the Python package stores functions (jax.nn.relu in an MLP) only with dill
        return ((lambda p, t: jaxon.save(p, t, allow_dill=True)),
                (lambda p: jaxon.load(p, allow_dill=True)), ".h5")
    if name == "pickle":
        def save(p, t):
            with open(p, "wb") as f:
                pickle.dump(t, f, protocol=5)

        def load(p):
            with open(p, "rb") as f:
                return pickle.load(f)
        return save, load, ".pkl"
    if name == "h5py":
        import h5py
        import numpy as np

        def save(p, t):
            with h5py.File(p, "w") as f:
                items = t if isinstance(t, list) else [t]
                for i, a in enumerate(items):
                    f.create_dataset(str(i), data=a)

        def load(p):
            with h5py.File(p, "r") as f:
                out = [f[str(i)][()] for i in range(len(f))]
            return out if len(out) != 1 else out[0]
        return save, load, ".h5"
    if name == "orbax":
        # what a JAX user does: checkpoint the array leaves, restore into the same structure
        import equinox as eqx
        import orbax.checkpoint as ocp

        ckpt = ocp.StandardCheckpointer()

        def save(p, t):
            import shutil
            shutil.rmtree(p, ignore_errors=True)
            ckpt.save(os.path.abspath(p), eqx.filter(t, eqx.is_array))
            ckpt.wait_until_finished()

        def load(p):
            like = eqx.filter(workloads.WORKLOADS[sys.argv[2]](float(sys.argv[3])), eqx.is_array)
            return ckpt.restore(os.path.abspath(p), like)
        return save, load, ".orbax"
    if name == "eqx":
        import equinox as eqx

        def save(p, t):
            eqx.tree_serialise_leaves(p, t)

        def load(p):
            like = workloads.WORKLOADS[sys.argv[2]](float(sys.argv[3]))
            return eqx.tree_deserialise_leaves(p, like)
        return save, load, ".eqx"
    if name == "safetensors":
        from safetensors.numpy import load_file, save_file

        def save(p, t):
            items = t if isinstance(t, list) else [t]
            save_file({str(i): a for i, a in enumerate(items)}, p)

        def load(p):
            d = load_file(p)
            out = [d[str(i)] for i in range(len(d))]
            return out if len(out) != 1 else out[0]
        return save, load, ".safetensors"
    if name == "npsave":
        import numpy as np
        return (lambda p, a: np.save(p, a)), (lambda p: np.load(p)), ".npy"
    if name in ("raw", "rawsync"):
        import numpy as np

        def save(p, a):
            with open(p, "wb") as f:
                f.write(memoryview(a).cast("B"))
                if name == "rawsync":  # what an atomic save must also pay before its rename
                    f.flush()
                    os.fsync(f.fileno())

        def load(p):
            size = os.path.getsize(p)
            a = np.empty(size // 4, dtype=np.float32)
            with open(p, "rb", buffering=0) as f:
                f.readinto(memoryview(a).cast("B"))
            return a
        return save, load, ".raw"
    raise SystemExit(f"unknown contender {name}")


def path_size(path):
    """Bytes of a file, or of every file under a directory (orbax writes a directory)."""
    if not os.path.isdir(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path)
               for f in files)


def main():
    name, wl, scale, runs, outdir = sys.argv[1:6]
    phase = sys.argv[7] if len(sys.argv) > 7 else "both"
    scale, runs = float(scale), int(runs)
    save, load, ext = contender(name)
    path = os.path.join(outdir, f"{name}-{wl}{ext}")
    result = {"save": [], "load": []}
    if phase in ("save", "both"):
        tree = workloads.WORKLOADS[wl](scale)
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for _ in range(runs):
            t0 = time.perf_counter()
            save(path, tree)
            result["save"].append(time.perf_counter() - t0)
        result["rss_save"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        result["rss_base"] = base * 1024
        result["size"] = path_size(path)
        del tree
    if phase in ("load", "both"):
        for _ in range(runs):
            t0 = time.perf_counter()
            out = load(path)
            result["load"].append(time.perf_counter() - t0)
            del out
        result["rss_load"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
