"""Runs one fuzz target for a bounded time (CTest smoke runs and scripts/fuzz.sh's long mode).

    smoke.py libfuzzer BUILD/fuzz/libfuzzer/fuzz_validate --seconds 20 --work DIR
    smoke.py atheris PYTHON --seconds 20 --work DIR

The target starts from the seed corpus (fuzz/corpus, read-only) plus DIR/corpus, where it keeps
the inputs that found new coverage; crashing inputs go to DIR/artifacts/ and the run fails,
printing the command that reproduces it. Exit status 77 (CTest: skipped) with a message when the
toolchain is absent (--skip REASON, or a missing binary / atheris module).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys
import time

FUZZ = pathlib.Path(__file__).resolve().parent
SKIP = 77


def skip(reason: str) -> None:
    print(f"SKIPPED: {reason}")
    sys.exit(SKIP)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=("libfuzzer", "atheris"))
    ap.add_argument("runner", help="fuzz_validate binary, or the Python that has atheris")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--work", required=True)
    ap.add_argument("--skip", default="")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--keep-going", action="store_true",
                    help="long mode: libFuzzer's fork mode, which records a crash and goes on")
    args, extra = ap.parse_known_args()
    if args.skip:
        skip(args.skip)
    work = pathlib.Path(args.work)
    corpus, artifacts = work / "corpus", work / "artifacts"
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    # -timeout: an input taking longer is a hang; -rss_limit_mb: HDF5 asked to allocate far
    # more than any seed needs is a finding too (it was the "hang" class of issue 15).
    opts = [f"-max_total_time={args.seconds}", "-timeout=10", "-rss_limit_mb=2048",
            f"-dict={FUZZ / 'jaxon.dict'}", f"-artifact_prefix={artifacts}/",
            "-print_final_stats=1"]
    # atheris' children cannot re-run the target script, so its long runs restart after a
    # finding instead of using fork mode
    fork = args.kind == "libfuzzer" and (args.jobs > 1 or args.keep_going)
    if fork:
        opts += [f"-fork={args.jobs}", "-ignore_crashes=1", "-ignore_timeouts=1",
                 "-ignore_ooms=1"]
    if args.kind == "libfuzzer":
        if not os.access(args.runner, os.X_OK):
            skip(f"{args.runner} was not built (clang with libFuzzer missing at configure)")
        cmd = [args.runner]
    else:
        probe = subprocess.run([args.runner, "-c", "import atheris"], capture_output=True)
        if probe.returncode != 0:
            skip(f"atheris is not installed for {args.runner} "
                 "(scripts/setup-fuzz.sh installs requirements-fuzz.txt)")
        cmd = [args.runner, str(FUZZ / "fuzz_load.py")]
    cmd += extra + [str(corpus), str(FUZZ / "corpus")]
    # a request for more memory than exists gets NULL, as malloc gives it outside ASan; HDF5
    # then reports an error, which is the behaviour under test (memory actually used above
    # -rss_limit_mb is still a finding)
    env = dict(os.environ)
    # Leaks: libhdf5 leaks a few kilobytes on some error paths of malformed files (76 blocks,
    # 7 KB after 1,559 inputs, reported at exit); a DoS-relevant leak shows up in -rss_limit_mb.
    env["ASAN_OPTIONS"] = ("allocator_may_return_null=1:detect_leaks=0:"
                           + env.get("ASAN_OPTIONS", ""))
    deadline = time.monotonic() + args.seconds
    rc = 0
    while True:
        left = int(deadline - time.monotonic())
        run = cmd[:1 if args.kind == "libfuzzer" else 2] + [f"-max_total_time={max(left, 1)}"] + \
            opts[1:] + cmd[1 if args.kind == "libfuzzer" else 2:]
        print(" ".join(run), flush=True)
        r = subprocess.run(run, env=env).returncode
        rc = rc or r
        if not (args.keep_going and not fork and r != 0 and deadline - time.monotonic() > 5):
            break
    found = sorted(artifacts.iterdir())
    if rc != 0 or found:
        print(f"FAILED (exit {rc}); inputs kept in {artifacts}:", *found, sep="\n  ")
        if found:
            print("reproduce:", " ".join(cmd[:2 if args.kind == "atheris" else 1]), found[-1])
        sys.exit(1)


if __name__ == "__main__":
    main()
