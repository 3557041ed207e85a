"""The two verdicts of the differential test (docs/differential.md).

* A (our loader): LoadWorker runs `jaxon.load` in a separate interpreter that reads one job
  per line on stdin and answers one JSON line per job, so that a crash or a hang of the
  loader is a finding about one file (the worker is restarted), not the end of the run.
  Files our `save` or a Python jaxon wrote unmutated are also compared with the tree they
  were made from (strict types, identity of shared objects).
* V (the validator): `jaxon-validate` on many files per invocation; its output lines are
  `FILE: PATH: [rule] message` and `FILE: ok (...)` (docs/validation.md).
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
LOAD_TIMEOUT = float(os.environ.get("JAXON_DIFF_TIMEOUT", "60"))


# ---- A: the loader, in a worker interpreter ----------------------------------------------

def canon(x):
    """x with long-double scalars and arrays replaced by the reprs of their values: their
    padding bytes (6 of 16 on x86-64) are not data, so byte comparison would be wrong."""
    import numpy as np
    t = type(x)
    if t is dict:
        return {canon(k): canon(v) for k, v in x.items()}
    if t in (list, tuple, set, frozenset):
        return t(canon(v) for v in x)
    if isinstance(x, (np.ndarray, np.generic)) and x.dtype in (np.longdouble, np.clongdouble):
        return ("<long double>", str(x.dtype), np.shape(x), [repr(v) for v in np.ravel(x)])
    return x


def worker_main():
    """The worker side: {"path", "expect": [seed, writer] | null} in, verdict out."""
    sys.setrecursionlimit(20_000)
    sys.path[:0] = [HERE, os.path.join(REPO, "tests", "interop")]
    import warnings
    warnings.simplefilter("ignore")
    import jaxon
    from compare import assert_identity, assert_same
    from trees import gen_tree
    try:
        import jax  # noqa: F401  (jax leaves compare as jax arrays)
    except ImportError:
        pass
    for line in sys.stdin:
        job = json.loads(line)
        out = {"ok": False}
        try:
            got = jaxon.load(job["path"])
            out["ok"] = True
            if job.get("expect"):
                seed, writer = job["expect"]
                exp = gen_tree(seed, writer)[0]
                try:
                    assert_same(canon(exp), canon(got))
                    assert_identity(exp, got, 15 if writer == "py2" else 0)
                    out["equal"] = True
                except (AssertionError, RecursionError) as e:
                    out["equal"] = False
                    out["diff"] = f"{type(e).__name__}: {e}"[:500]
        except BaseException as e:  # noqa: BLE001 (every exception is a verdict)
            if isinstance(e, KeyboardInterrupt):
                raise
            out["exc"] = type(e).__name__
            out["rule"] = getattr(e, "rule", None)
            out["msg"] = str(e)[:1000]
        print(json.dumps(out), flush=True)


class LoadWorker:
    """The parent side: one worker interpreter, restarted after a crash or a hang."""

    def __init__(self, nice=True):
        self.nice = nice
        self.proc = None

    def _start(self):
        cmd = [sys.executable, "-c",
               "import sys; sys.path.insert(0, %r); import verdicts; verdicts.worker_main()"
               % HERE]
        env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONDONTWRITEBYTECODE="1")
        env.pop("HDF5_VOL_CONNECTOR", None)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, bufsize=1, env=env,
                                     preexec_fn=(lambda: os.nice(10)) if self.nice else None)

    def load(self, path, expect=None) -> dict:
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        self.proc.stdin.write(json.dumps({"path": path, "expect": expect}) + "\n")
        self.proc.stdin.flush()
        deadline = time.monotonic() + LOAD_TIMEOUT
        while True:
            left = deadline - time.monotonic()
            ready = select.select([self.proc.stdout], [], [], max(left, 0))[0]
            if ready:
                line = self.proc.stdout.readline()
                if line:
                    return json.loads(line)
                rc = self.proc.wait()
                self.proc = None
                name = signal.Signals(-rc).name if rc < 0 else f"exit {rc}"
                return {"ok": False, "crash": name}
            if left <= 0:
                self.proc.kill()
                self.proc.wait()
                self.proc = None
                return {"ok": False, "crash": "hang"}

    def close(self):
        if self.proc is not None:
            self.proc.stdin.close()
            self.proc.wait()
            self.proc = None


# ---- V: the validator ---------------------------------------------------------------------

_RULE = re.compile(r"\[([a-z-]+)\] (.*)")


def validate_many(cli: str, paths: list[str]) -> dict[str, dict]:
    """{path: {"ok": bool, "rules": [...], "msgs": [...], "error": str|None}} from one
    jaxon-validate run over all paths."""
    res = {p: {"ok": None, "rules": [], "msgs": [], "error": None} for p in paths}
    p = subprocess.run(["nice", "-n", "10", cli, *paths], capture_output=True, text=True,
                       errors="replace")
    for line in p.stdout.splitlines():
        for path in _owner(line, res):
            rest = line[len(path) + 2:]
            if rest.startswith("ok ("):
                res[path]["ok"] = True
            else:
                m = _RULE.search(rest)
                res[path]["ok"] = False
                if m:
                    res[path]["rules"].append(m.group(1))
                    res[path]["msgs"].append(rest)
                else:
                    res[path]["error"] = rest[:300]
    for path, v in res.items():
        if v["ok"] is None:  # the file could not be checked (exit status 2)
            v["ok"] = False
            v["error"] = v["error"] or (p.stderr.strip().splitlines() or ["no output"])[-1][:300]
    return res


def _owner(line, res):
    i = line.find(".h5: ")
    if i >= 0 and line[:i + 3] in res:
        return (line[:i + 3],)
    return ()
