"""Writes the fuzzing seed corpus: small Jaxon files of both layouts and three writers.

    PYTHONPATH=build/python .venv/bin/python fuzz/make_seeds.py fuzz/corpus

Writers: this project's jaxon.save (layout v1.2.0), Python jaxon 1.2.0 (v1.2.0) and Python
jaxon 2.1.0 (v2.0.0), the last two run from .compat/ by tests/interop/run_python_jaxon.py, as
the interop tests do. Trees: the interop test generator's random trees and hand corpus (minus
its 100k-element "big" case), plus trees that put HDF5 in the code paths the crashes of issue 15
were in: a group with many attributes (dense attribute storage: fractal heap + v2 B-trees),
datasets (chunked and contiguous), shared references. A seed is kept only if our jaxon.load
reads it; the list of kept files is printed.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tempfile
import warnings

import numpy as np

REPO = pathlib.Path(__file__).resolve().parent.parent
INTEROP = REPO / "tests" / "interop"
sys.path.insert(0, str(INTEROP))

import jaxon  # noqa: E402
from gen_trees import gen_tree, hand_corpus  # noqa: E402
from interop_types import CUSTOM_TYPES  # noqa: E402

MAX_SEED_BYTES = 64 * 1024
TREE_SEEDS = range(0, 6)


def our_trees() -> dict:
    trees = {f"t{s}": gen_tree(s, "ourw") for s in TREE_SEEDS}
    for name, tree in hand_corpus("ourw").items():
        if name != "big":
            trees[f"c_{name}"] = tree
    # 40 keys -> 80+ attributes on one group: dense storage (fractal heap, name + order B-trees)
    trees["dense_attrs"] = {f"key{i}": i for i in range(40)}
    trees["dense_nested"] = {f"k{i}": {f"v{j}": float(j) for j in range(12)} for i in range(4)}
    shared = np.arange(12.0)
    trees["datasets"] = {"a": shared, "b": shared, "c": np.ones((3, 4), np.float32), "s": "x"}
    return trees


def write_ours(out: pathlib.Path) -> None:
    for name, tree in our_trees().items():
        hints = None
        if name == "datasets":
            hints = [(tree["a"], jaxon.JaxonStorageHints(True)),
                     (tree["c"], jaxon.JaxonStorageHints(True))]
        try:
            jaxon.save(out / f"ours_{name}.h5", tree, storage_hints=hints)
        except Exception as e:  # a tree our writer refuses is simply not a seed
            print(f"skip ours_{name}: {type(e).__name__}: {e}", file=sys.stderr)


def write_theirs(out: pathlib.Path, version: str, profile: str) -> None:
    compat = REPO / ".compat" / f"jaxon-{version}"
    if not (compat / "jaxon" / "__init__.py").exists():
        print(f"skip Python jaxon {version}: not installed in {compat}", file=sys.stderr)
        return
    env = {k: v for k, v in os.environ.items()
           if k not in ("HDF5_VOL_CONNECTOR", "HDF5_PLUGIN_PATH", "PYTHONPATH")}
    env.update(PYTHONPATH=str(compat), JAX_PLATFORMS="cpu")
    runner = INTEROP / "run_python_jaxon.py"
    with tempfile.TemporaryDirectory() as tmp:
        for args in (["save-corpus", tmp, profile],
                     ["save", tmp, profile, f"{TREE_SEEDS.start}-{TREE_SEEDS.stop}"]):
            subprocess.run([sys.executable, str(runner), *args], env=env, check=True,
                           capture_output=True)
        for f in sorted(pathlib.Path(tmp).glob("*.h5")):
            if f.name != "c_big.h5":
                (out / f"py{version.replace('.', '')}_{f.name}").write_bytes(f.read_bytes())


def keep_loadable(out: pathlib.Path) -> list[str]:
    kept = []
    for f in sorted(out.glob("*.h5")):
        reason = None
        if f.stat().st_size > MAX_SEED_BYTES:
            reason = f"{f.stat().st_size} bytes"
        else:
            try:
                jaxon.load(f, custom_unmarshalers=[lambda n, d: ("custom", n, d)])
            except Exception as e:
                reason = f"{type(e).__name__}: {e}"
        if reason:
            print(f"drop {f.name}: {reason}", file=sys.stderr)
            f.unlink()
        else:
            kept.append(f.name)
    return kept


def main() -> None:
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "fuzz" / "corpus")
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.h5"):
        old.unlink()
    warnings.simplefilter("ignore")
    write_ours(out)
    write_theirs(out, "1.2.0", "py1w")
    write_theirs(out, "2.1.0", "py2w")
    kept = keep_loadable(out)
    print(f"{len(kept)} seeds in {out}, {sum((out / k).stat().st_size for k in kept)} bytes")
    for k in kept:
        print(" ", k)


if __name__ == "__main__":
    main()
