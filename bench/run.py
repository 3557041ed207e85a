"""Benchmarks jaxon against the anchors, all in one run on this machine.

    python bench/run.py [--quick] [--runs N] [--workloads a,b] [--out bench/results.md]

Every (contender, workload, phase) runs in a fresh process (bench/worker.py) so peak RSS is
per phase. Times are medians of N runs with min-max; ratios are computed run by run
(contender_i / jaxon_i) and their median reported. The bare C floor (jaxon-floor) replays
the HDF5 calls of jaxon's own file for that workload, with the durable replace jaxon.save
promises (temporary file, fsync, rename, directory fsync) and no connector. --quick shrinks every workload for a
smoke test (registered in CTest as bench.quick); its numbers mean nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.environ.get("JAXON_BUILD_DIR", os.path.join(ROOT, "build"))
COMPAT = os.path.join(ROOT, ".compat")

CONTENDERS = {
    # name: (PYTHONPATH, workloads it can represent)
    "jaxon": (os.path.join(BUILD, "python"), None),
    "jaxon-1.2.0 (Python)": (os.path.join(COMPAT, "jaxon-1.2.0"), None),
    "jaxon-2.1.0 (Python)": (os.path.join(COMPAT, "jaxon-2.1.0"), None),
    "pickle": ("", None),
    "h5py (hand-written)": ("", {"big_array", "many_arrays"}),
    "orbax-checkpoint": ("", {"mlp_adam"}),
    "equinox tree_serialise_leaves": ("", {"mlp_adam"}),
    "safetensors": ("", {"big_array", "many_arrays"}),
    "np.save": ("", {"big_array"}),
    "raw write/read": ("", {"big_array"}),
    "raw write+fsync/read": ("", {"big_array"}),
}
# What a contender cannot represent, said instead of forcing it (listed in results.md).
CANNOT = {
    "h5py (hand-written)": "nesting, Python scalars and strings (arrays only)",
    "orbax-checkpoint": "non-array leaves need a template; used for the model workload only",
    "equinox tree_serialise_leaves": "needs a template tree of the same structure; model workload only",
    "safetensors": "nesting and non-array leaves (flat dict of arrays only)",
    "np.save": "anything but one array",
    "raw write/read": "anything but one array's bytes (the physical limit)",
    "raw write+fsync/read": "anything but one array's bytes (the physical limit of a durable "
                            "save: jaxon.save fsyncs before its atomic rename)",
}
OPTIONAL = {"orbax-checkpoint": "orbax.checkpoint", "equinox tree_serialise_leaves": "equinox",
            "safetensors": "safetensors", "np.save": "numpy"}
WORKER_NAME = {"jaxon": "jaxon", "jaxon-1.2.0 (Python)": "jaxon12", "jaxon-2.1.0 (Python)":
               "jaxon21", "pickle": "pickle", "h5py (hand-written)": "h5py",
               "orbax-checkpoint": "orbax", "equinox tree_serialise_leaves": "eqx",
               "safetensors": "safetensors", "np.save": "npsave", "raw write/read": "raw",
               "raw write+fsync/read": "rawsync"}
FLOOR = "bare C floor (same HDF5 calls)"


def env_for(pythonpath):
    env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONDONTWRITEBYTECODE="1")
    env.pop("HDF5_VOL_CONNECTOR", None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    env["HDF5_PLUGIN_PATH"] = os.path.join(BUILD, "python", "jaxon", "_plugins")
    return env


def run_worker(contender, workload, scale, runs, outdir, phase):
    pythonpath, _ = CONTENDERS[contender]
    cmd = [sys.executable, os.path.join(HERE, "worker.py"), WORKER_NAME[contender], workload,
           str(scale), str(runs), outdir, "--phase", phase]
    r = subprocess.run(cmd, env=env_for(pythonpath), capture_output=True, text=True)
    if r.returncode != 0:
        return {"error": (r.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def run_floor(h5file, runs, outdir):
    exe = os.path.join(BUILD, "bin", "jaxon-floor")
    r = subprocess.run([exe, h5file, os.path.join(outdir, "floor.h5"), str(runs)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return {"error": r.stderr.strip()}
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    return {"save": [x["save"] for x in rows], "load": [x["load"] for x in rows],
            "size": os.path.getsize(os.path.join(outdir, "floor.h5"))}


def clear_dir(d):
    for name in os.listdir(d):
        p = os.path.join(d, name)
        shutil.rmtree(p) if os.path.isdir(p) else os.unlink(p)


def import_time(runs):
    """Median wall time of `import jaxon` in a fresh interpreter, minus an empty one."""
    def timed(code, pythonpath):
        out = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], env=env_for(pythonpath), check=True)
            out.append(time.perf_counter() - t0)
        return statistics.median(out)

    base = timed("pass", "")
    code = ("import jaxon, sys; bad = {'jax', 'h5py', 'dill'} & set(sys.modules); "
            "assert not bad, bad")
    res = {"jaxon": timed(code, CONTENDERS["jaxon"][0]) - base}
    for c in ("jaxon-1.2.0 (Python)", "jaxon-2.1.0 (Python)"):
        res[c] = timed("import jaxon", CONTENDERS[c][0]) - base
    res["numpy (for reference)"] = timed("import numpy", "") - base
    return res


def fmt_s(xs):
    if not xs:
        return "–"
    return f"{statistics.median(xs):.4f} ({min(xs):.4f}–{max(xs):.4f})"


def ratio(xs, ref):
    if not xs or not ref:
        return None
    return statistics.median([x / r for x, r in zip(xs, ref)])


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--workloads",
                    default="config_dict,random_tree,many_arrays,mlp_adam,big_array")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    scale = 0.01 if args.quick else 1.0
    runs = args.runs or (1 if args.quick else 5)
    out_md = args.out or (os.path.join(tempfile.gettempdir(), "jaxon-bench-quick.md")
                          if args.quick else os.path.join(HERE, "results.md"))
    results = {}
    with tempfile.TemporaryDirectory(prefix="jaxon-bench-", dir=os.environ.get("JAXON_BENCH_DIR")) as tmp:
        for wl in args.workloads.split(","):
            results[wl] = {}
            for c, (_, only) in CONTENDERS.items():
                if only is not None and wl not in only:
                    continue
                if c != "jaxon" and not os.path.isdir(CONTENDERS[c][0] or "/"):
                    results[wl][c] = {"error": "not installed (scripts/setup-compat.sh)"}
                    continue
                if c in OPTIONAL and importlib.util.find_spec(OPTIONAL[c].split(".")[0]) is None:
                    results[wl][c] = {"error": "not installed (scripts/setup-bench.sh)"}
                    continue
                s = run_worker(c, wl, scale, runs, tmp, "save")
                l = run_worker(c, wl, scale, runs, tmp, "load") if "error" not in s else s
                res = {**s, "load": l.get("load", []), "rss_load": l.get("rss_load")}
                if "error" in l:
                    res["error"] = l["error"]
                results[wl][c] = res
                print(f"{wl:12} {c:24} save {fmt_s(res.get('save'))} load {fmt_s(res.get('load'))}"
                      f"{'  ERROR ' + res['error'] if 'error' in res else ''}", flush=True)
                if c == "jaxon" and "error" not in res:
                    results[wl][FLOOR] = run_floor(os.path.join(tmp, f"jaxon-{wl}.h5"), runs, tmp)
                    f = results[wl][FLOOR]
                    print(f"{wl:12} {FLOOR:24} save {fmt_s(f.get('save'))} load {fmt_s(f.get('load'))}",
                          flush=True)
                clear_dir(tmp)  # one file at a time: 1 GiB workloads fill /tmp otherwise
    imports = import_time(3 if args.quick else 9)
    write_report(out_md, results, imports, runs, args.quick)
    plot(os.path.splitext(out_md)[0] + ".png", results, imports)
    with open(os.path.splitext(out_md)[0] + ".json", "w") as f:
        json.dump({"results": results, "imports": imports, "runs": runs}, f, indent=1)
    print(f"wrote {out_md}")
    return 0


def write_report(path, results, imports, runs, quick):
    lines = [f"# Benchmark results{' (QUICK SMOKE RUN — sizes shrunk, numbers meaningless)' if quick else ''}",
             "",
             f"Command: `python bench/run.py{' --quick' if quick else ''}` on this machine "
             f"({os.cpu_count()} cores). Median of {runs} runs (min–max); ratio = contender ÷ jaxon, "
             "computed run by run (> 1 means jaxon is faster). Each phase runs in a fresh process.",
             ""]
    for wl, rows in results.items():
        ours = rows.get("jaxon", {})
        lines += [f"## {wl}", "",
                  "| contender | save s | load s | save ratio | load ratio | file MB | peak RSS save MB | peak RSS load MB |",
                  "|---|---|---|---|---|---|---|---|"]
        for c, r in rows.items():
            if "error" in r:
                lines.append(f"| {c} | error: {r['error']} | | | | | | |")
                continue
            rs, rl = ratio(r.get("save"), ours.get("save")), ratio(r.get("load"), ours.get("load"))
            mb = lambda x: f"{x / 2**20:.1f}" if x else "–"  # noqa: E731
            lines.append(f"| {c} | {fmt_s(r.get('save'))} | {fmt_s(r.get('load'))} | "
                         f"{rs:.2f} | {rl:.2f} | {mb(r.get('size'))} | {mb(r.get('rss_save'))} | "
                         f"{mb(r.get('rss_load'))} |" if rs is not None and rl is not None else
                         f"| {c} | {fmt_s(r.get('save'))} | {fmt_s(r.get('load'))} | – | – | "
                         f"{mb(r.get('size'))} | {mb(r.get('rss_save'))} | {mb(r.get('rss_load'))} |")
        lines.append("")
    lines += ["## What contenders cannot represent", ""]
    lines += [f"- **{c}**: {why}" for c, why in CANNOT.items()]
    lines += ["", "## import time", "", "| module | seconds (median, minus an empty interpreter) |", "|---|---|"]
    lines += [f"| {k} | {v:.4f} |" for k, v in imports.items()]
    lines += ["", "## Targets", "", "| target | measured | met |", "|---|---|---|"]
    for row in targets(results, imports):
        lines.append("| " + " | ".join(row) + " |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def plot(path, results, imports):
    """Save/load time per workload (log scale), file size and peak RSS, one row per workload."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot (scripts/setup-bench.sh)")
        return
    wls = [w for w in results if any("save" in r and r["save"] for r in results[w].values())]
    fig, axes = plt.subplots(len(wls), 3, figsize=(18, 3.2 * len(wls)), squeeze=False)
    for row, wl in zip(axes, wls):
        rows = {c: r for c, r in results[wl].items() if r.get("save")}
        names = list(rows)
        colors = ["tab:red" if n == "jaxon" else "tab:gray" if "floor" in n or "raw" in n
                  else "tab:blue" for n in names]
        y = range(len(names))
        for ax, key, title in ((row[0], "save", "save s"), (row[1], "load", "load s")):
            ax.barh(y, [statistics.median(rows[n][key]) if rows[n].get(key) else 0 for n in names],
                    color=colors)
            ax.set_xscale("log")
            ax.set_title(f"{wl}: {title} (median, log scale)")
            ax.set_yticks(list(y), names, fontsize=8)
            ax.invert_yaxis()
        ax = row[2]
        ax.barh(y, [(rows[n].get("size") or 0) / 2**20 for n in names], color=colors)
        ax.set_title(f"{wl}: file MB")
        ax.set_yticks(list(y), names, fontsize=8)
        ax.invert_yaxis()
    fig.suptitle("jaxon (red) vs contenders; grey = physical/C floor; lower is better")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    print(f"wrote {path}")


def targets(results, imports):
    rows = []

    def med_ratio(wl, c, phase, ref="jaxon"):
        r, o = results.get(wl, {}).get(c, {}), results.get(wl, {}).get(ref, {})
        return ratio(r.get(phase), o.get(phase))

    for wl in ("config_dict", "random_tree", "many_arrays"):
        for c in ("jaxon-1.2.0 (Python)", "jaxon-2.1.0 (Python)"):
            for ph in ("save", "load"):
                x = med_ratio(wl, c, ph)
                if x is not None:
                    rows.append((f"{wl} {ph}: ≥ 20× faster than {c}", f"{x:.1f}×", "yes" if x >= 20 else "no"))
        for ph in ("save", "load"):
            x = med_ratio(wl, FLOOR, ph)
            if x is not None:
                rows.append((f"{wl} {ph}: within 1.3× of the bare C floor", f"jaxon = {1 / x:.2f}× floor",
                             "yes" if 1 / x <= 1.3 else "no"))
    for ph in ("save", "load"):
        x = med_ratio("big_array", "raw write/read", ph)
        if x is not None:
            rows.append((f"big_array {ph}: within 1.25× of raw write()/read()", f"jaxon = {1 / x:.2f}× raw",
                         "yes" if 1 / x <= 1.25 else "no"))
        x = med_ratio("big_array", "raw write+fsync/read", ph)
        if x is not None and ph == "save":
            rows.append((f"big_array {ph}: within 1.25× of raw write()+fsync() (both durable)",
                         f"jaxon = {1 / x:.2f}× raw+fsync", "yes" if 1 / x <= 1.25 else "no"))
    for c in ("orbax-checkpoint", "equinox tree_serialise_leaves"):
        for ph in ("save", "load"):
            x = med_ratio("mlp_adam", c, ph)
            if x is not None:
                rows.append((f"mlp_adam {ph}: faster than {c}", f"{x:.2f}× (contender ÷ jaxon)",
                             "yes" if x > 1 else "no"))
    big = results.get("big_array", {}).get("jaxon", {})
    if big.get("rss_save"):
        arr = 1 << 30
        for ph in ("rss_save", "rss_load"):
            rows.append((f"big_array peak RSS ({ph[4:]}) < 1.2× array size", f"{big[ph] / arr:.2f}×",
                         "yes" if big[ph] < 1.2 * arr else "no"))
    if "jaxon" in imports:
        rows.append(("import jaxon < 50 ms (and no jax/h5py/dill)", f"{imports['jaxon'] * 1000:.0f} ms",
                     "yes" if imports["jaxon"] < 0.05 else "no"))
    return rows


if __name__ == "__main__":
    sys.exit(main())
