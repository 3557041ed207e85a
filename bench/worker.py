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


MODELS = {"mlp_adam", "transformer_adam"}  # pytrees of jax arrays (and a few static leaves)
LIKE = LIKE_FLAT = None  # a model's restore template (main, before the timed loads)


def array_leaves(tree):
    """The array leaves of a model workload in jax's flattening order, with their paths."""
    import equinox as eqx
    import jax
    return jax.tree_util.tree_flatten_with_path(eqx.filter(tree, eqx.is_array))


def template():
    """The structure a restore fills in, built untimed the way a training script has it."""
    return workloads.WORKLOADS[sys.argv[2]](float(sys.argv[3]))


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
            return ckpt.restore(os.path.abspath(p), LIKE)
        return save, load, ".orbax"
    if name == "eqx":
        import equinox as eqx

        def save(p, t):
            eqx.tree_serialise_leaves(p, t)

        def load(p):
            return eqx.tree_deserialise_leaves(p, LIKE)
        return save, load, ".eqx"
    if name == "safetensors" and sys.argv[2] in MODELS:
        # a flat dict of the array leaves, keyed by their pytree paths; restored into the
        # template's structure as jax arrays (what a JAX user of safetensors writes)
        import jax
        import numpy as np
        from safetensors.numpy import load_file, save_file

        def save(p, t):
            flat, _ = array_leaves(t)
            save_file({jax.tree_util.keystr(k): np.asarray(a) for k, a in flat}, p)

        def load(p):
            d = load_file(p)
            flat, treedef = LIKE_FLAT
            return jax.tree_util.tree_unflatten(
                treedef, [jax.device_put(d[jax.tree_util.keystr(k)]) for k, _ in flat])
        return save, load, ".safetensors"
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
    if name in ("raw", "rawsync") and sys.argv[2] in MODELS:
        # every array leaf's bytes one after the other: the physical floor of the model,
        # with and without the fsync a durable save needs
        import numpy as np

        def save(p, t):
            flat, _ = array_leaves(t)
            with open(p, "wb", buffering=0) as f:
                for _, a in flat:
                    f.write(memoryview(np.asarray(a)).cast("B"))
                if name == "rawsync":
                    os.fsync(f.fileno())

        def load(p):
            buf = np.empty(os.path.getsize(p), dtype=np.uint8)
            with open(p, "rb", buffering=0) as f:
                f.readinto(memoryview(buf))
            return buf
        return save, load, ".raw"
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


def block_until_ready(tree):
    """Waits for jax arrays still being filled (an asynchronous copy), so loads are timed
    to the usable value; a no-op without jax."""
    if "jax" in sys.modules:
        import jax
        jax.block_until_ready(tree)


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
        if wl in MODELS:
            # a training script has its model's modules imported (jaxon.load imports none)
            import equinox  # noqa: F401
            import optax  # noqa: F401
        if name in ("orbax", "eqx", "safetensors") and wl in MODELS:
            # the restore template (orbax, Equinox) and the structure to rebuild
            # (safetensors), untimed but part of the load's peak RSS: a training script
            # builds its model and optimizer state before restoring into them
            global LIKE, LIKE_FLAT
            import equinox as eqx
            LIKE = template()
            if name == "orbax":
                LIKE = eqx.filter(LIKE, eqx.is_array)
            LIKE_FLAT = array_leaves(LIKE)
        for _ in range(runs):
            t0 = time.perf_counter()
            out = load(path)
            block_until_ready(out)
            result["load"].append(time.perf_counter() - t0)
            del out
        result["rss_load"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
