"""How long Ctrl-C takes to stop a large save or load: the time from SIGINT to the
KeyboardInterrupt in the saving/loading process, over several runs.

    python bench/interrupt_latency.py [--gib 2] [--runs 5] [--dir DIR]

A child process saves (or loads) one float32 array of --gib GiB; the parent sends SIGINT
once the child is well into the transfer (the temporary file has 256 MiB, or the child has
read 256 MiB) and the child prints the monotonic time at which KeyboardInterrupt arrived."""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

CHILD = """
    import sys, time, numpy as np, jaxon
    mode, path, gib = sys.argv[1], sys.argv[2], float(sys.argv[3])
    x = np.ones(int(gib * (1 << 30)) // 4, np.float32) if mode == "save" else None
    print("ready", flush=True)
    try:
        jaxon.save(path, {"x": x}) if mode == "save" else jaxon.load(path)
        print("finished", flush=True)
    except KeyboardInterrupt:
        print("interrupted", time.monotonic(), flush=True)
"""


def _progress(mode: str, pid: int, directory: str) -> int:
    if mode == "load":
        with open(f"/proc/{pid}/io") as f:
            return int(next(line for line in f if line.startswith("rchar")).split()[1])
    sizes = [os.path.getsize(os.path.join(directory, n))
             for n in os.listdir(directory) if ".jaxon-tmp-" in n]
    return max(sizes, default=0)


def one_run(mode: str, path: str, gib: float) -> float:
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(CHILD), mode, path, str(gib)],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    base = _progress(mode, child.pid, os.path.dirname(path)) if mode == "load" else 0
    while _progress(mode, child.pid, os.path.dirname(path)) - base < 256 << 20:
        if child.poll() is not None:
            raise RuntimeError("the child finished before it could be interrupted")
        time.sleep(0.001)
    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    out = child.communicate()[0].split()
    if not out or out[0] != "interrupted":
        raise RuntimeError(f"not interrupted: {out}")
    return float(out[1]) - sent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gib", type=float, default=2.0)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--dir", default=None)
    a = ap.parse_args()
    import numpy as np

    import jaxon

    with tempfile.TemporaryDirectory(dir=a.dir) as d:
        path = os.path.join(d, "big.h5")
        for mode in ("save", "load"):
            if mode == "load":
                jaxon.save(path, {"x": np.ones(int(a.gib * (1 << 30)) // 4, np.float32)})
            lat = [one_run(mode, path, a.gib) for _ in range(a.runs)]
            print(f"{mode} of {a.gib:g} GiB: SIGINT -> KeyboardInterrupt median "
                  f"{statistics.median(lat) * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms "
                  f"({a.runs} runs)")


if __name__ == "__main__":
    main()
