"""The differential test's run: make files, take both verdicts, bucket the disagreements.

File i of a run with seed S (docs/differential.md):
  base b = i // PER_BASE, written by WRITERS[b % 3] (ours / Python jaxon 1.2.0 / 2.1.0) from
  trees.gen_tree(S * 1_000_003 + b, writer);
  i % PER_BASE == 0: the base itself, unmutated; else mutate.mutate(base, f"{S}:{i}:{try}").
Every file gets A = jaxon.load accepts it, V = jaxon-validate accepts it. Unmutated files
must load equal to their tree, mutants must have A == V, and nothing may crash or hang.
"""

from __future__ import annotations

import collections
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import leniencies  # noqa: E402
import verdicts  # noqa: E402

PER_BASE = 10
WRITERS = ("ours", "py1", "py2")
VERSION = {"py1": "1.2.0", "py2": "2.1.0"}
A_ONLY = "load accepts, validator refuses"
V_ONLY = "load refuses, validator accepts"


def compat_dir(writer):
    d = os.path.join(os.environ.get("JAXON_COMPAT_DIR", os.path.join(REPO, ".compat")),
                     f"jaxon-{VERSION[writer]}")
    return d if os.path.exists(os.path.join(d, "jaxon", "__init__.py")) else None


def tree_seed(run_seed, b):
    return run_seed * 1_000_003 + b


def writer_of(b, writers):
    return writers[b % len(writers)]


# ---- making files -------------------------------------------------------------------------

def _save_ours(job):
    out, seed = job
    os.nice(10) if os.nice(0) < 10 else None
    import jaxon
    from trees import gen_tree
    path = os.path.join(out, f"b{seed}.ours.h5")
    try:
        tree, hints = gen_tree(seed, "ours")
        kw = {}
        if hints:
            kw["storage_hints"] = [(o, jaxon.JaxonStorageHints(True)) for o in hints]
        jaxon.save(path, tree, **kw)
        return seed, path, None
    except Exception as e:  # noqa: BLE001
        return seed, path, f"{type(e).__name__}: {e}"[:500]


def _save_theirs(writer, out, seeds):
    env = {k: v for k, v in os.environ.items()
           if k not in ("HDF5_VOL_CONNECTOR", "HDF5_PLUGIN_PATH", "PYTHONPATH")}
    env.update(PYTHONPATH=compat_dir(writer), JAX_PLATFORMS="cpu", PYTHONHASHSEED="0")
    p = subprocess.run(["nice", "-n", "10", sys.executable, os.path.join(HERE, "save_python.py"),
                        out, writer, *map(str, seeds)], env=env, capture_output=True,
                       text=True, timeout=3600)
    res = {}
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            d = json.loads(line)
            res[d["seed"]] = (d["file"], None if d["ok"] else d["error"])
    for s in seeds:
        res.setdefault(s, (None, f"Python jaxon {VERSION[writer]} died: {p.stderr[-300:]}"))
    return res


def _mutate(job):
    base, dst, run_seed, i = job
    sys.setrecursionlimit(20_000)  # Tree walks nest as deep as the file (1,000+ levels)
    os.nice(10) if os.nice(0) < 10 else None
    from mutate import NotApplicable, mutate
    last = None
    for attempt in range(12):
        try:
            return i, dst, mutate(base, dst, f"{run_seed}:{i}:{attempt}")
        except NotApplicable as e:
            last = e
        except Exception as e:  # noqa: BLE001 (h5py refused the edit: draw again)
            last = e
    return i, None, f"no mutation applied ({type(last).__name__}: {last})"


# ---- buckets ------------------------------------------------------------------------------

_NUM = re.compile(r"\d+")
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|«.*?»")


def strip_location(msg: str) -> str:
    """The loader's message without its "group <path>[, attribute <repr>]: " prefix."""
    if not msg.startswith("group "):
        return msg
    j = msg.find(", attribute ")
    if j < 0:
        k = msg.find(": ")
        return msg[k + 2:] if k >= 0 else msg
    i = j + len(", attribute ")
    q = msg[i:i + 1]
    if q not in ("'", '"'):
        return msg
    i += 1
    while i < len(msg) and msg[i] != q:
        i += 2 if msg[i] == "\\" else 1
    rest = msg[i + 1:]
    if rest.startswith("..."):
        rest = rest[3:]
    return rest[2:] if rest.startswith(": ") else rest


def loader_pattern(a: dict) -> str:
    if a.get("crash"):
        return a["crash"]
    msg = strip_location(a.get("msg", ""))
    rule = a.get("rule")
    if rule and f"[{rule}]" not in msg:
        msg = f"[{rule}] {msg}"
    msg = _NUM.sub("N", _QUOTED.sub("Q", msg))[:100]
    return f"{a.get('exc')}: {msg}"


def classify(rec) -> tuple[str, str] | None:
    """(direction, detail) of a finding, or None when the file is fine."""
    a, v = rec["A"], rec["V"]
    if a.get("crash"):
        return ("loader crash/hang", a["crash"])
    if v.get("error"):
        return ("validator could not check", _NUM.sub("N", _QUOTED.sub("Q", v["error"]))[:90])
    if rec["kind"] == "base":
        if not rec.get("saved", True):
            return None
        if not a["ok"]:
            return (f"{rec['writer']} save -> load refuses", loader_pattern(a))
        if a.get("equal") is False:
            return (f"{rec['writer']} save -> load differs",
                    _NUM.sub("N", a.get("diff", "").split(":")[0])[:60])
        if not v["ok"]:
            return (f"{rec['writer']} save -> validator refuses", "+".join(sorted(set(v["rules"]))))
        return None
    if a["ok"] and not v["ok"]:
        return (A_ONLY, "+".join(sorted(set(v["rules"]))))
    if v["ok"] and not a["ok"]:
        if leniencies.is_policy(a):
            return ("not compared (loader policy)", loader_pattern(a))
        return (V_ONLY, loader_pattern(a))
    return None


class Results:
    def __init__(self, keep_dir):
        self.keep_dir = keep_dir
        self.counts = collections.Counter()  # kind of file -> n
        self.verdicts = collections.Counter()  # (A, V) -> n
        self.buckets: dict = {}
        self.lenient = collections.Counter()
        self.skipped = collections.Counter()
        self.timing = collections.Counter()
        self.lock = threading.Lock()

    def add(self, rec):
        with self.lock:
            self._add(rec)

    def _add(self, rec):
        self.counts[rec["kind"] if rec["kind"] == "base" else "mutant"] += 1
        self.counts[f"written by {rec['writer']}"] += 1
        self.verdicts[(rec["A"]["ok"], rec["V"]["ok"])] += 1
        c = classify(rec)
        if c is None:
            return
        why = leniencies.lenient(c, rec)
        if why:
            self.lenient[(c[0], c[1], why)] += 1
            return
        b = self.buckets.setdefault(c, {"n": 0, "kinds": collections.Counter(),
                                        "writers": collections.Counter(), "example": None,
                                        "by_kind": {}, "id": len(self.buckets) + 1})
        kind = rec["desc"].split(":")[0]
        b["n"] += 1
        b["kinds"][kind] += 1
        b["writers"][rec["writer"]] += 1
        size = os.path.getsize(rec["path"])
        ex = b["by_kind"].get(kind)
        if ex is None or size < ex["size"]:
            keep = None
            if self.keep_dir:
                keep = os.path.join(self.keep_dir, f"b{b['id']:02d}_{kind.replace('/', '-')}.h5")
                shutil.copyfile(rec["path"], keep)
            ex = {"size": size, "index": rec["i"], "writer": rec["writer"], "kind": kind,
                  "desc": rec["desc"], "A": rec["A"], "V": rec["V"], "keep": keep}
            b["by_kind"][kind] = ex
            if b["example"] is None or size <= b["example"]["size"]:
                b["example"] = ex

    def failures(self):
        return sorted(self.buckets.items(), key=lambda kv: -kv[1]["n"])


# ---- the run ------------------------------------------------------------------------------

def run(seed: int, count: int, start: int = 0, workers: int = 2, keep_dir=None,
        chunk: int = 600, progress=None, writers=WRITERS) -> Results:
    cli = os.environ.get("JAXON_VALIDATE")
    if not cli:
        from jaxon import _paths
        cli = _paths.hdf5_bin("jaxon-validate")
    writers = tuple(w for w in writers if w == "ours" or compat_dir(w))
    res = Results(keep_dir)
    res.writers = writers
    tmp = tempfile.mkdtemp(prefix="jaxon-diff-")
    ctx = multiprocessing.get_context("spawn")
    loaders = [verdicts.LoadWorker() for _ in range(workers)]
    t0 = time.monotonic()
    try:
        with ctx.Pool(workers) as pool:
            for lo in range(start, start + count, chunk):
                hi = min(lo + chunk, start + count)
                _run_chunk(seed, lo, hi, tmp, pool, loaders, cli, res, writers)
                if progress:
                    progress(hi - start, count, time.monotonic() - t0, res)
    finally:
        for w in loaders:
            w.close()
        shutil.rmtree(tmp, ignore_errors=True)
    res.seconds = time.monotonic() - t0
    return res


def _run_chunk(seed, lo, hi, tmp, pool, loaders, cli, res, writers):
    d = tempfile.mkdtemp(dir=tmp)
    t0 = time.monotonic()
    bases = sorted({i // PER_BASE for i in range(lo, hi)})
    by_writer = collections.defaultdict(list)
    for b in bases:
        by_writer[writer_of(b, writers)].append(b)
    made = {}  # b -> (path or None, error)
    threads = []
    for w in ("py1", "py2"):
        if by_writer[w]:
            def job(w=w):
                seeds = [tree_seed(seed, b) for b in by_writer[w]]
                out = _save_theirs(w, d, seeds)
                for b in by_writer[w]:
                    made[b] = out[tree_seed(seed, b)]
            th = threading.Thread(target=job)
            th.start()
            threads.append(th)
    for s, path, err in pool.imap_unordered(_save_ours, [(d, tree_seed(seed, b))
                                                        for b in by_writer["ours"]]):
        made[(s - seed * 1_000_003)] = (path, err)
    for th in threads:
        th.join()
    t1 = time.monotonic()

    recs = []
    jobs = []
    for i in range(lo, hi):
        b = i // PER_BASE
        w = writer_of(b, writers)
        path, err = made[b]
        rec = {"i": i, "writer": w, "base": b}
        if i % PER_BASE == 0:
            rec.update(kind="base", desc="unmutated", saved=err is None, path=path,
                       save_error=err)
            if err is not None:
                res.skipped[(f"{w} could not save", _NUM.sub("N", err.strip().splitlines()[-1])
                             [:100])] += 1
                continue
            recs.append(rec)
        elif err is None:
            rec.update(kind="mutant")
            recs.append(rec)
            jobs.append((path, os.path.join(d, f"m{i}.h5"), seed, i))
    by_i = {r["i"]: r for r in recs}
    for i, dst, desc in pool.imap_unordered(_mutate, jobs, chunksize=8):
        by_i[i]["path"], by_i[i]["desc"] = dst, desc
    recs = [r for r in recs if r.get("path")]
    t2 = time.monotonic()
    for r in list(by_i.values()):
        if not r.get("path"):
            res.skipped[("no mutation applied", r["desc"].split("(")[1][:60])] += 1

    # V: the validator over all files of the chunk, in two halves
    paths = [r["path"] for r in recs]
    half = (len(paths) + 1) // 2
    vres = {}

    def vjob(ps):
        vres.update(verdicts.validate_many(cli, ps))
    vth = [threading.Thread(target=vjob, args=(ps,)) for ps in (paths[:half], paths[half:]) if ps]
    for th in vth:
        th.start()

    # A: the loader, one worker interpreter per thread
    queue = list(recs)
    lock = threading.Lock()

    def ajob(worker):
        while True:
            with lock:
                if not queue:
                    return
                r = queue.pop()
            expect = [tree_seed(seed, r["base"]), r["writer"]] if r["kind"] == "base" else None
            r["A"] = worker.load(r["path"], expect)
    ath = [threading.Thread(target=ajob, args=(w,)) for w in loaders]
    for th in ath + vth:
        th.start() if th in ath else None
    for th in ath + vth:
        th.join()
    t3 = time.monotonic()
    for k, secs in (("save", t1 - t0), ("mutate", t2 - t1), ("verdicts", t3 - t2)):
        res.timing[k] += secs
    for r in recs:
        r["V"] = vres[r["path"]]
        res.add(r)
    shutil.rmtree(d, ignore_errors=True)


