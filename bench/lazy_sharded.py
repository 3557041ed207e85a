"""Lazy loads and sharded save/restore of a large array: time, bytes read, peak RSS.

  PYTHONPATH=build/python .venv/bin/python bench/lazy_sharded.py [--gib 1] [--dir DIR]

Every measurement runs in a fresh interpreter (peak RSS is per process; the high-water mark
is reset through /proc/self/clear_refs just before the measured operation). Sharded cases
use 4 host devices (XLA_FLAGS=--xla_force_host_platform_device_count=4). Prints a Markdown
table. The file is written in DIR (default: the current directory; use a real disk, not
tmpfs, whose pages count as the reader's memory).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

CHILD = r"""
import json, os, sys, time
MiB = 1 << 20
def status(key):
    with open("/proc/self/status") as f:
        return int(next(l for l in f if l.startswith(key)).split()[1]) * 1024
def io(key):
    with open("/proc/self/io") as f:
        return int(next(l for l in f if l.startswith(key)).split()[1])
def reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
case, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
if case.startswith("sharded"):
    os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"
os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np, jaxon
out = {}
if case.startswith("sharded"):
    import jax, jax.numpy as jnp
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
    mesh = Mesh(np.array(jax.devices()).reshape(2, 2), ("x", "y"))
    sh = NamedSharding(mesh, P("x", "y"))
rows = n // 4 // 4096
if case == "write":
    jaxon.save(path, {"w": np.ones((rows, 4096), np.float32)})
elif case == "lazy_load":
    r0, m0 = io("rchar"), status("VmRSS"); reset_peak()
    t = time.perf_counter(); tree = jaxon.load(path, lazy=True); dt = time.perf_counter() - t
    out = dict(time_s=dt, rss_added=status("VmRSS") - m0, peak_added=status("VmHWM") - m0,
               rchar=io("rchar") - r0, kind=type(tree["w"]).__name__)
elif case == "lazy_slice":
    tree = jaxon.load(path, lazy=True)
    r0, m0 = io("rchar"), status("VmRSS")
    t = time.perf_counter(); s = np.array(tree["w"][1000:1064]); dt = time.perf_counter() - t
    out = dict(time_s=dt, slice_bytes=s.nbytes, rss_added=status("VmRSS") - m0,
               rchar=io("rchar") - r0, kind=type(tree["w"]).__name__)
elif case == "eager_load":
    m0 = status("VmRSS"); reset_peak()
    t = time.perf_counter(); tree = jaxon.load(path); dt = time.perf_counter() - t
    out = dict(time_s=dt, peak_added=status("VmHWM") - m0)
elif case == "sharded_save":
    # built shard by shard: no full-size temporary whose freed pages a later gather reuses
    x = jax.make_array_from_callback(
        (rows, 4096), sh, lambda idx: np.ones((rows, 4096), np.float32)[idx].copy())
    x.block_until_ready()
    m0 = status("VmRSS"); reset_peak()
    t = time.perf_counter(); jaxon.save(path, {"w": x}); dt = time.perf_counter() - t
    out = dict(time_s=dt, peak_added=status("VmHWM") - m0, rss_after=status("VmRSS") - m0)
elif case == "sharded_load":
    m0 = status("VmRSS"); reset_peak()
    t = time.perf_counter(); tree = jaxon.load(path, sharding=sh); dt = time.perf_counter() - t
    tree["w"].block_until_ready()
    assert tree["w"].sharding == sh
    out = dict(time_s=dt, peak_added=status("VmHWM") - m0, rss_after=status("VmRSS") - m0)
elif case == "sharded_load_then_put":  # the way without sharding=: load, then device_put
    m0 = status("VmRSS"); reset_peak()
    t = time.perf_counter(); tree = jaxon.load(path); y = jax.device_put(tree["w"], sh)
    y.block_until_ready(); del tree; dt = time.perf_counter() - t
    out = dict(time_s=dt, peak_added=status("VmHWM") - m0, rss_after=status("VmRSS") - m0)
print(json.dumps(out))
"""


def run(case, path, n, extra_env=None):
    env = dict(os.environ, **(extra_env or {}))
    r = subprocess.run([sys.executable, "-c", CHILD, case, path, str(n)], env=env,
                       capture_output=True, text=True, timeout=1800)
    if r.returncode:
        raise SystemExit(f"{case} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gib", type=float, default=1.0)
    ap.add_argument("--dir", default=".")
    prefix = subprocess.run(["bash", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "scripts", "hdf5-prefix.sh")],
                            capture_output=True, text=True).stdout.strip()
    ap.add_argument("--h5repack", default=os.path.join(prefix, "bin", "h5repack"))
    a = ap.parse_args()
    n = int(a.gib * (1 << 30))
    MiB = 1 << 20
    path = os.path.join(a.dir, "bench_lazy.h5")
    chunked = os.path.join(a.dir, "bench_lazy_chunked.h5")
    run("write", path, n)
    env = {k: v for k, v in os.environ.items() if k != "HDF5_VOL_CONNECTOR"}
    subprocess.run([a.h5repack, "-l", "CHUNK=256x4096", path, chunked], check=True, env=env)
    rows = []

    def row(what, r):
        rows.append((what, r))
        print(f"{what}: {r}", file=sys.stderr)

    row("lazy load, contiguous (mmap)", run("lazy_load", path, n))
    row("lazy load, chunked (proxy)", run("lazy_load", chunked, n))
    row("1 MiB slice, contiguous (mmap)", run("lazy_slice", path, n))
    row("1 MiB slice, chunked (proxy)", run("lazy_slice", chunked, n))
    row("eager load", run("eager_load", path, n))
    row("sharded save (4 devices)", run("sharded_save", path, n))
    row("load(sharding=NamedSharding 2x2)", run("sharded_load", path, n))
    row("load() then device_put", run("sharded_load_then_put", path, n))
    for p in (path, chunked):
        os.unlink(p)
    print(f"\nArray: {n / MiB:.0f} MiB float32 (one leaf); jax {jax_version()}\n")
    print("| operation | time | RSS added: peak / after | bytes read (rchar) |")
    print("|---|---|---|---|")
    for what, r in rows:
        peak = r.get("peak_added", r.get("rss_added", 0))
        after = r.get("rss_after", r.get("rss_added"))
        rch = r.get("rchar")
        print(f"| {what} | {r['time_s'] * 1000:.1f} ms | {peak / MiB:.1f} MiB "
              f"({peak / n:.2f}×)"
              f"{'' if after is None else f' / {after / MiB:.1f} MiB ({after / n:.2f}×)'} | "
              f"{'' if rch is None else f'{rch / MiB:.2f} MiB'} |")


def jax_version():
    r = subprocess.run([sys.executable, "-c", "import jax; print(jax.__version__)"],
                       capture_output=True, text=True)
    return r.stdout.strip()


if __name__ == "__main__":
    main()
