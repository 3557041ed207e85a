"""Totals of a long fuzzing run (scripts/fuzz.sh): prints one JSON object.

    python fuzz/summarize.py OUT_DIR

campaign: mutants run and outcome counts per target, summed over OUT_DIR/campaign-*.json;
validate / load: executions (libFuzzer's last "#N" status line or its final stats) and the
crash / timeout / out-of-memory inputs kept in OUT_DIR/<target>/artifacts.
"""

from __future__ import annotations

import collections
import json
import pathlib
import re
import sys


def libfuzzer(out: pathlib.Path, name: str) -> dict | None:
    log = out / f"{name}.log"
    if not log.exists():
        return None
    text = log.read_text(errors="replace")
    # one final-stats line per run (atheris restarts after a finding); fork mode prints none,
    # its last "#N:" status line holds the total
    execs = [int(n) for n in re.findall(r"stat::number_of_executed_units:\s*(\d+)", text)]
    if not execs:
        execs = [int(n) for n in re.findall(r"^#(\d+)[:\s]", text, re.M)[-1:]]
    art = out / name / "artifacts"
    kinds = collections.Counter(f.name.split("-")[0] for f in art.iterdir()) if art.exists() else {}
    return {"executions": sum(execs), "artifacts": dict(kinds),
            "skipped": "SKIPPED" in text}


def main() -> None:
    out = pathlib.Path(sys.argv[1])
    mutants, counts, finds = 0, collections.defaultdict(collections.Counter), []
    for f in sorted(out.glob("campaign-*.json")):
        r = json.loads(f.read_text())
        mutants += r["count"]
        for target, c in r["counts"].items():
            counts[target].update(c)
        finds += r["finds"]
    summary = {"campaign": {"mutants": mutants, "runs": mutants * len(counts),
                            "counts": {t: dict(c) for t, c in counts.items()},
                            "finds": len(finds)},
               "validate": libfuzzer(out, "validate"), "load": libfuzzer(out, "load")}
    total = summary["campaign"]["runs"] + sum(
        (summary[k] or {}).get("executions", 0) for k in ("validate", "load"))
    summary["total_executions"] = total
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
