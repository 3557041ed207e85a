"""Runs inside a Python-jaxon process (PYTHONPATH=.compat/jaxon-<version>):

    save_python.py OUTDIR WRITER SEED...     write gen_tree(SEED, WRITER) to OUTDIR/<name>

One JSON line per seed on stdout: {"seed", "file", "ok", "error"}. The file name is the one
runner.base_path() gives (b<seed>.<writer>.h5). Imports nothing of our jaxon.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.setrecursionlimit(10_000)

import jaxon  # noqa: E402  (the Python package of the PYTHONPATH)

from trees import gen_tree  # noqa: E402


def main(argv):
    warnings.simplefilter("ignore")
    out, writer = argv[1], argv[2]
    for seed in map(int, argv[3:]):
        path = os.path.join(out, f"b{seed}.{writer}.h5")
        try:
            tree, hints = gen_tree(seed, writer)
            kw = {}
            if hints and writer == "py1":
                kw["storage_hints"] = [(o, jaxon.JaxonStorageHints(True)) for o in hints]
            jaxon.save(path, tree, **kw)
            print(json.dumps({"seed": seed, "file": path, "ok": True}), flush=True)
        except Exception:
            print(json.dumps({"seed": seed, "file": path, "ok": False,
                              "error": traceback.format_exc(limit=2)[-1500:]}), flush=True)


if __name__ == "__main__":
    main(sys.argv)
