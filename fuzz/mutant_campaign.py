"""Runs one fixed, reproducible set of HDF5 mutants against jaxon.load and jaxon-validate.

    PYTHONPATH=build/python .venv/bin/python fuzz/mutant_campaign.py \\
        --lib build/fuzz/libh5mutate.so --validate build/bin/jaxon-validate \\
        --count 20000 --rng 15 --poison --save /tmp/finds --json /tmp/campaign.json

Mutant i is seed file i mod N of the corpus (sorted by name) mutated by h5m_mutate with the
seed (rng << 32) + i, so the same arguments give the same mutants on every machine and HDF5
build: that is what makes the crash rates of two HDF5 versions comparable. Every mutant runs in
its own forked child with a timeout (an alarm, so a hang is SIGALRM) and is classified:

  ok          loaded / validated
  error       a clean error: an exception of the documented kinds, exit status 1 or 2
  unexpected  (load) an exception of another type (SystemError, MemoryError, RecursionError...)
  poisoned    (load, --poison) the mutant failed cleanly, then a valid file failed or crashed
              in the same process: the library kept broken state from the failure
  leaked      (load) the load returned or failed but left HDF5 objects open (H5Fget_obj_count)
  crash       killed by a signal other than the alarm
  hang        killed by the alarm (--timeout seconds)

Files of the last four classes are copied to --save with their class and number in the name.
`triage FILE...` prints the innermost library frame of each crashing file (gdb backtrace).
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BAD = ("unexpected", "poisoned", "leaked", "crash", "hang")


def load_mutator(lib_path: str):
    lib = ctypes.CDLL(lib_path)
    lib.h5m_mutate.restype = ctypes.c_size_t
    lib.h5m_mutate.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_size_t,
                               ctypes.c_uint64, ctypes.c_uint]
    return lib


def make_mutant(lib, seed_bytes: bytes, seed: int, flags: int) -> bytes:
    cap = len(seed_bytes) + 4096
    buf = ctypes.create_string_buffer(seed_bytes, cap)
    n = lib.h5m_mutate(buf, len(seed_bytes), cap, seed & (2**64 - 1), flags)
    return buf.raw[:n]


def open_hdf5_objects() -> int:
    """Identifiers of HDF5 files, groups, datasets, datatypes and attributes still open."""
    import jaxon._jaxon as ext

    lib = ctypes.CDLL(ext.__file__)  # resolves H5Fget_obj_count in the libhdf5 it links
    lib.H5Fget_obj_count.restype = ctypes.c_ssize_t
    lib.H5Fget_obj_count.argtypes = [ctypes.c_int64, ctypes.c_uint]
    return lib.H5Fget_obj_count(0x1F, 0x1F)  # H5F_OBJ_ALL for any file, every kind


def child_load(path: str, valid: str | None) -> int:
    """In the forked child: 0 ok, 1 clean error, 3 unexpected exception, 4 poisoned, 6 leaked."""
    import jaxon

    clean = (jaxon.JaxonError, OSError, ValueError, TypeError, LookupError, OverflowError)
    keep = [lambda name, data: ("custom", name, data)]
    try:
        jaxon.load(path, custom_unmarshalers=keep)
        code = 0
    except clean:
        code = 1
    except BaseException:  # noqa: BLE001 - the point is to catch every other kind
        return 3
    if open_hdf5_objects() != 0:
        return 6
    if code == 0:
        return 0
    if valid is not None:
        try:
            jaxon.load(valid, custom_unmarshalers=keep)
        except BaseException:  # noqa: BLE001
            return 4
    return code


def spawn(target: str, path: str, valid: str | None, timeout: int, validate: str) -> int:
    pid = os.fork()
    if pid:
        return pid
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.alarm(timeout)
        if target == "validate":
            os.execv(validate, [validate, "--quiet", path])
        os._exit(child_load(path, valid))
    finally:
        os._exit(5)


def classify(target: str, status: int) -> str:
    if os.WIFSIGNALED(status):
        return "hang" if os.WTERMSIG(status) == signal.SIGALRM else "crash"
    code = os.WEXITSTATUS(status)
    if target == "validate":
        return {0: "ok", 1: "error", 2: "error"}.get(code, "unexpected")
    return {0: "ok", 1: "error", 3: "unexpected", 4: "poisoned", 6: "leaked"}.get(code,
                                                                             "unexpected")


def campaign(args) -> dict:
    lib = load_mutator(args.lib)
    import jaxon  # noqa: F401  (imported once in the parent: children start warm)
    import numpy  # noqa: F401

    seeds = sorted(pathlib.Path(args.corpus).glob("*.h5"))
    if not seeds:
        sys.exit(f"no *.h5 seeds in {args.corpus}")
    seed_bytes = [s.read_bytes() for s in seeds]
    targets = args.targets.split(",")
    flags = {"fields": 1, "raw": 2, "all": 3}[args.kinds]
    work = pathlib.Path(tempfile.mkdtemp(prefix="jx-campaign-", dir=args.tmp))
    save = pathlib.Path(args.save) if args.save else None
    if save:
        save.mkdir(parents=True, exist_ok=True)
    counts = {t: collections.Counter() for t in targets}
    done_count = 0
    finds = []
    running: dict[int, tuple[int, str]] = {}
    pending_files: dict[int, int] = {}
    t0 = time.monotonic()

    def reap(block: bool) -> None:
        pid, status = os.waitpid(-1, 0 if block else os.WNOHANG)
        if pid == 0:
            return
        i, target = running.pop(pid)
        cls = classify(target, status)
        counts[target][cls] += 1
        path = work / f"m{i}.h5"
        if cls in BAD:
            sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
            finds.append({"mutant": i, "seed": seeds[i % len(seeds)].name, "target": target,
                          "class": cls, "signal": signal.Signals(sig).name if sig else None})
            if save:
                shutil.copy(path, save / f"{target}-{cls}-{i}.h5")
        pending_files[i] -= 1
        if pending_files[i] == 0:
            del pending_files[i]
            path.unlink()

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # a stopped run still reports what it ran
    try:
        try:
            for i in range(args.start, args.start + args.count):
                if args.deadline and time.time() > args.deadline:
                    break
                done_count = i - args.start + 1
                k = i % len(seeds)
                data = make_mutant(lib, seed_bytes[k], (args.rng << 32) + i, flags)
                path = work / f"m{i}.h5"
                path.write_bytes(data)
                pending_files[i] = len(targets)
                for target in targets:
                    while len(running) >= args.jobs:
                        reap(True)
                    valid = str(seeds[k]) if args.poison else None
                    pid = spawn(target, str(path), valid, args.timeout, args.validate)
                    running[pid] = (i, target)
                if args.progress and (i - args.start + 1) % args.progress == 0:
                    el = time.monotonic() - t0
                    print(f"{i - args.start + 1} mutants, {el:.0f} s, "
                          + "; ".join(f"{t}: {dict(c)}" for t, c in counts.items()),
                          file=sys.stderr, flush=True)
        except KeyboardInterrupt:
            print("stopped: reporting the mutants run so far", file=sys.stderr)
        while running:
            reap(True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    elapsed = time.monotonic() - t0
    return {"corpus": str(args.corpus), "seeds": len(seeds), "count": done_count,
            "start": args.start, "rng": args.rng, "kinds": args.kinds,
            "poison": args.poison, "timeout": args.timeout, "elapsed_s": round(elapsed, 1),
            "mutants_per_s": round(done_count / elapsed, 1) if elapsed else None,
            "hdf5": hdf5_version(),
            "counts": {t: dict(c) for t, c in counts.items()}, "finds": finds}


def hdf5_version() -> str:
    import jaxon._jaxon as ext

    lib = ctypes.CDLL(ext.__file__)
    maj, mnr, rel = ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint()
    lib.H5get_libversion(ctypes.byref(maj), ctypes.byref(mnr), ctypes.byref(rel))
    return f"{maj.value}.{mnr.value}.{rel.value}"


FRAME = re.compile(r"^#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(.*?\)(?: (?:at|from) (\S+))?")


def triage(args) -> None:
    """Innermost frame of libhdf5 (or of our code) for each crashing file, under gdb."""
    sites = collections.Counter()
    for f in args.files:
        if "validate" in os.path.basename(f):
            cmd = [args.validate, "--quiet", f]
        else:
            cmd = [sys.executable, "-c", "import sys, jaxon; jaxon.load(sys.argv[1], "
                   "custom_unmarshalers=[lambda n, d: 0])", f]
        p = subprocess.run(["gdb", "-q", "-batch", "-ex", "run", "-ex", "bt 30", "--args", *cmd],
                           capture_output=True, text=True, timeout=120)
        frames = [m.groups() for line in p.stdout.splitlines() if (m := FRAME.match(line))]
        sig = re.search(r"received signal (\w+)", p.stdout)
        site = next((fn for fn, where in frames if where and "hdf5" in where), None) or next(
            (fn for fn, _ in frames if fn.startswith(("H5", "jx", "jxv"))), "?")
        key = f"{sig.group(1) if sig else 'no-signal'} {site}"
        sites[key] += 1
        print(f"{f}: {key}", flush=True)
    print(json.dumps(sites.most_common(), indent=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd")
    tr = sub.add_parser("triage")
    tr.add_argument("files", nargs="+")
    tr.add_argument("--validate", default="build/bin/jaxon-validate")
    ap.add_argument("--corpus", default=str(pathlib.Path(__file__).parent / "corpus"))
    ap.add_argument("--lib", default="build/fuzz/libh5mutate.so")
    ap.add_argument("--validate", default="build/bin/jaxon-validate")
    ap.add_argument("--targets", default="load,validate")
    ap.add_argument("--kinds", choices=("fields", "raw", "all"), default="fields")
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--rng", type=int, default=15)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=10)
    ap.add_argument("--poison", action="store_true",
                    help="after a clean load error, load the valid seed in the same process")
    ap.add_argument("--tmp", default="/dev/shm" if os.path.isdir("/dev/shm") else None)
    ap.add_argument("--save", help="directory for the files of bad outcomes")
    ap.add_argument("--json", help="write the summary here")
    ap.add_argument("--progress", type=int, default=0, help="report every N mutants")
    ap.add_argument("--deadline", type=float, default=0,
                    help="start no mutant after this time (seconds since the epoch)")
    ap.add_argument("--skip", default="", help="print this reason and exit 77 (CTest: skipped)")
    ap.add_argument("--fail-on-bad", action="store_true",
                    help="exit 1 if any mutant crashed, hung, poisoned or raised unexpectedly")
    args = ap.parse_args()
    if args.cmd == "triage":
        return triage(args)
    if args.skip:
        print(f"SKIPPED: {args.skip}")
        sys.exit(77)
    result = campaign(args)
    text = json.dumps(result, indent=1)
    if args.json:
        pathlib.Path(args.json).write_text(text)
    summary = {k: v for k, v in result.items() if k != "finds"}
    print(json.dumps(summary, indent=1))
    bad = sum(n for c in result["counts"].values() for k, n in c.items() if k in BAD)
    if args.fail_on_bad and bad:
        print(f"{bad} bad outcomes: " + json.dumps(result["finds"][:20]), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
