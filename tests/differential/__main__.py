"""The differential test of the loader against the validator (docs/differential.md).

From the repository root, with the project's virtual environment:

  python -m tests.differential run --seed 1 --count 100000 --summary tests/differential/results.md
  python -m tests.differential run --seed 7 --count 2000 --keep /tmp/diff-cases
  python -m tests.differential one SEED INDEX OUT.h5      # re-make file INDEX of run SEED
  python -m tests.differential cases                      # check cases/MANIFEST.json
  python -m tests.differential add-cases KEEP_DIR         # smallest bucket examples -> cases/

`run` exits 1 when a disagreement that leniencies.py does not list was found.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import runner  # noqa: E402


def _progress(done, total, secs, res):
    n = sum(b["n"] for b in res.buckets.values())
    print(f"  {done}/{total} files, {secs:.0f} s, {n} disagreements in {len(res.buckets)} "
          f"buckets", file=sys.stderr, flush=True)


def summary_markdown(res, seed, count, start, done=None) -> str:
    done = count if done is None else done
    state = "" if done == count else f" — IN PROGRESS: the first {done} of {count} files"
    out = [f"# Differential test results (seed {seed}, files {start}..{start + count - 1}){state}",
           "", f"{done} files ({res.counts['base']} unmutated saves, {res.counts['mutant']} "
           f"mutants), writers {', '.join(res.writers)}: "
           + ", ".join(f"{res.counts['written by ' + w]} from {w}" for w in res.writers)
           + f"; {getattr(res, 'seconds', 0):.0f} s ("
           + ", ".join(f"{k} {v:.0f} s" for k, v in res.timing.items()) + ").", "",
           "Verdicts (A = jaxon.load accepts, V = jaxon-validate accepts): "
           + ", ".join(f"A={'y' if a else 'n'} V={'y' if v else 'n'}: {n}"
                       for (a, v), n in sorted(res.verdicts.items(), key=lambda kv: -kv[1]))
           + ".", ""]
    policy = [(k, b) for k, b in res.failures() if k[0] == "not compared (loader policy)"]
    fails = [(k, b) for k, b in res.failures() if k[0] != "not compared (loader policy)"]
    out += [f"## Disagreements: {sum(b['n'] for _, b in fails)} files in {len(fails)} buckets",
            "", "| # | direction | validator rule / loader error | files | mutations | writers |",
            "|---|---|---|---|---|---|"]
    for k, ((d, detail), b) in enumerate(fails, 1):
        kinds = ", ".join(f"{m} {n}" for m, n in b["kinds"].most_common(4))
        ws = ", ".join(f"{w} {n}" for w, n in b["writers"].most_common())
        out.append(f"| {k} | {d} | `{detail}` | {b['n']} | {kinds} | {ws} |")
    out += ["", "Examples (the smallest file of each bucket; re-make it with "
            "`python -m tests.differential one SEED INDEX OUT.h5`):", ""]
    for k, ((d, detail), b) in enumerate(fails, 1):
        e = b["example"]
        a = e["A"]
        loader = "loads" if a["ok"] else (a.get("crash") or f"{a.get('exc')}: {a.get('msg')}")
        val = "ok" if e["V"]["ok"] else (e["V"]["msgs"][:1] or [e["V"]["error"]])[0]
        out += [f"{k}. file {e['index']} ({e['writer']}, {e['size']} bytes): {e['desc'][:200]}",
                f"   - load: {str(loader)[:300]}", f"   - validator: {str(val)[:300]}"]
        if a.get("diff"):
            out.append(f"   - loaded tree differs: {a['diff'][:300]}")
    if res.lenient:
        out += ["", "## Documented leniencies (leniencies.md)", ""]
        out += [f"- {why}: {n} ({d}, `{detail}`)" for (d, detail, why), n in
                res.lenient.most_common()]
    if res.skipped or policy:
        out += ["", "## Not compared", ""]
        out += [f"- refused for a loader policy (leniencies.md): `{detail}`: {b['n']}"
                for (_, detail), b in policy]
        out += [f"- {a}: {b}: {n}" for (a, b), n in res.skipped.most_common()]
    return "\n".join(out) + "\n"


def cmd_run(args):
    keep = args.keep
    if keep:
        os.makedirs(keep, exist_ok=True)

    def write_outputs(res, done):
        text = summary_markdown(res, args.seed, args.count, args.start, done)
        if args.summary:
            with open(args.summary, "w") as f:
                f.write(text)
        if keep:
            with open(os.path.join(keep, "buckets.json"), "w") as f:
                json.dump([{"direction": d, "detail": detail, "n": b["n"],
                            "example": b["example"], "kinds": dict(b["kinds"]),
                            "by_kind": b["by_kind"]} for (d, detail), b in res.failures()],
                          f, indent=1, default=str)
        return text
    def progress(done, total, secs, res):
        _progress(done, total, secs, res)
        if done < total:  # the summary so far, rewritten after each chunk
            res.seconds = secs
            write_outputs(res, done)
    res = runner.run(args.seed, args.count, start=args.start, workers=args.workers,
                     keep_dir=keep, chunk=args.chunk, progress=progress)
    print(write_outputs(res, args.count))
    real = [k for k in res.buckets if k[0] != "not compared (loader policy)"]
    return 1 if real else 0


def cmd_one(args):
    """Re-makes file INDEX of run SEED (and says how it was made)."""
    import tempfile
    b = args.index // runner.PER_BASE
    writers = tuple(w for w in runner.WRITERS if w == "ours" or runner.compat_dir(w))
    w = runner.writer_of(b, writers)
    s = runner.tree_seed(args.seed, b)
    with tempfile.TemporaryDirectory() as d:
        if w == "ours":
            _, path, err = runner._save_ours((d, s))
        else:
            path, err = runner._save_theirs(w, d, [s])[s]
        if err:
            raise SystemExit(f"base {b} ({w}) could not be saved: {err}")
        if args.index % runner.PER_BASE == 0:
            shutil.copyfile(path, args.out)
            print(f"base {b} written by {w}, unmutated")
        else:
            _, dst, desc = runner._mutate((path, args.out, args.seed, args.index))
            print(f"base {b} written by {w}; {desc}")
    return 0


def cmd_cases(args):
    import cases
    bad = cases.check_all(verbose=True)
    return 1 if bad else 0


def cmd_add_cases(args):
    import cases
    cases.add_from_keep(args.keep)
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tests.differential", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--count", type=int, default=1000)
    r.add_argument("--start", type=int, default=0)
    r.add_argument("--workers", type=int, default=2)
    r.add_argument("--chunk", type=int, default=600)
    r.add_argument("--keep", help="directory for the smallest example of each bucket")
    r.add_argument("--summary", help="write the markdown summary here")
    o = sub.add_parser("one")
    o.add_argument("seed", type=int)
    o.add_argument("index", type=int)
    o.add_argument("out")
    sub.add_parser("cases")
    a = sub.add_parser("add-cases")
    a.add_argument("keep")
    args = p.parse_args(argv)
    t = time.monotonic()
    rc = {"run": cmd_run, "one": cmd_one, "cases": cmd_cases, "add-cases": cmd_add_cases}[
        args.cmd](args)
    print(f"({time.monotonic() - t:.0f} s)", file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
