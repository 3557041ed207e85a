"""Runs inside a Python-jaxon process (PYTHONPATH=.compat/jaxon-<version>).

  run_python_jaxon.py save OUTDIR PROFILE SEED...      write gen_tree(SEED) to OUTDIR/t<SEED>.h5
  run_python_jaxon.py save-corpus OUTDIR PROFILE        write the hand corpus, OUTDIR/c_<name>.h5
  run_python_jaxon.py load PROFILE FILE...             load files (t<SEED>.h5 / c_<name>.h5),
                                                       compare with the regenerated tree
  run_python_jaxon.py load-filtered SALT FILE...       load files with compare.filtered_load;
                                                       {"file", "ok", "paths", "result"} lines
Seed ranges may be given as A-B. Prints one JSON object per line: {"file", "ok", "error"}.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import traceback
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import jaxon  # noqa: E402  (the Python package under test)

from compare import assert_identity, assert_same, filtered_load  # noqa: E402
from gen_trees import gen_tree, hand_corpus  # noqa: E402


def seeds(args):
    for a in args:
        if "-" in a:
            lo, hi = a.split("-")
            yield from range(int(lo), int(hi))
        else:
            yield int(a)


def report(file, ok, error=None):
    print(json.dumps({"file": file, "ok": ok, "error": error}), flush=True)


def expected_for(path, profile):
    base = os.path.basename(path)[:-3]
    if base.startswith("t"):
        return gen_tree(int(base[1:]), profile)
    return hand_corpus(profile)[base[2:]]


def main(argv):
    warnings.simplefilter("ignore")
    cmd = argv[1]
    if cmd == "save":
        out, profile = argv[2], argv[3]
        for seed in seeds(argv[4:]):
            path = os.path.join(out, f"t{seed}.h5")
            try:
                jaxon.save(path, gen_tree(seed, profile))
                report(path, True)
            except Exception:
                report(path, False, traceback.format_exc(limit=3))
    elif cmd == "save-corpus":
        out, profile = argv[2], argv[3]
        for name, tree in hand_corpus(profile).items():
            path = os.path.join(out, f"c_{name}.h5")
            try:
                jaxon.save(path, tree)
                report(path, True)
            except Exception:
                report(path, False, traceback.format_exc(limit=3))
    elif cmd == "load":
        profile = argv[2]
        min_str = 0
        for path in argv[3:]:
            try:
                exp = expected_for(path, profile)
                got = jaxon.load(path)
                assert_same(exp, got)
                assert_identity(exp, got, min_str)
                report(path, True)
            except Exception as e:
                report(path, False, f"{type(e).__name__}: {e}"[:2000])
    elif cmd == "load-filtered":
        salt = argv[2]
        for path in argv[3:]:
            try:
                result, seen = filtered_load(jaxon.load, path, salt)
                print(json.dumps({"file": path, "ok": True, "paths": seen,
                                  "result": pickle.dumps(result).hex()}), flush=True)
            except Exception as e:
                report(path, False, f"{type(e).__name__}: {e}"[:2000])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
