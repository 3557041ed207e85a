"""Files that crashed libhdf5 (issue 15) load to a clean error, and the library stays usable.

tests/hostile/hdf5/ holds one file per crash class found by fuzzing (make_hostile.py writes them,
MANIFEST.json says what each one crashed in unpatched HDF5 and which patch of patches/hdf5/
fixes it). Each is loaded, and validated with jaxon-validate, in a child process, so that a
crash fails one test instead of the run. The poisoning pair checks that after HDF5 reports an
allocation failure the same process still loads valid files.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

HOSTILE = pathlib.Path(__file__).resolve().parent.parent / "hostile" / "hdf5"
MANIFEST = json.loads((HOSTILE / "MANIFEST.json").read_text())
CRASH_FILES = sorted(MANIFEST["files"])
POISON, PARTNER = MANIFEST["poisoning_pair"]
UNDER_ASAN = "libasan" in os.environ.get("LD_PRELOAD", "")
# The poisoning bug needs an allocation to fail; a 3 GiB address-space limit makes the 8 GiB
# one of the poisoning file fail on every machine. (ASan reserves terabytes of address space, so
# its build runs without the limit: the patched library refuses that file before allocating.)
ADDRESS_SPACE = 3 << 30

CHILD = r"""
import json, resource, sys
limit = int(sys.argv[1])
if limit:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
import ctypes
import jaxon, jaxon._jaxon
h5 = ctypes.CDLL(jaxon._jaxon.__file__)  # its libhdf5's symbols
h5.H5Fget_obj_count.restype = ctypes.c_ssize_t
h5.H5Fget_obj_count.argtypes = [ctypes.c_int64, ctypes.c_uint]
for path in sys.argv[2:]:
    try:
        tree = jaxon.load(path)
        r = {"file": path, "ok": True, "keys": len(tree)}
    except Exception as e:
        r = {"file": path, "ok": False, "type": type(e).__name__,
             "bases": [c.__name__ for c in type(e).__mro__], "message": str(e)}
    r["open_hdf5_objects"] = h5.H5Fget_obj_count(0x1F, 0x1F)  # any file, every kind
    print(json.dumps(r), flush=True)
"""


def run_loads(*files: pathlib.Path) -> tuple[list[dict], subprocess.CompletedProcess]:
    limit = 0 if UNDER_ASAN else ADDRESS_SPACE
    p = subprocess.run([sys.executable, "-c", CHILD, str(limit), *map(str, files)],
                       capture_output=True, text=True, timeout=120)
    results = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
    return results, p


def assert_alive(p: subprocess.CompletedProcess, results: list[dict], expected: int) -> None:
    assert p.returncode == 0 and len(results) == expected, (
        f"the loading process died (status {p.returncode}) after {len(results)} of {expected} "
        f"files; stderr: {p.stderr[-2000:]}")
    # a load, failed or not, leaves nothing open in HDF5 (a file kept open by a failed close
    # would be reused, stale, by the next open of the same file)
    left = [r for r in results if r["open_hdf5_objects"] != 0]
    assert not left, left


@pytest.mark.parametrize("name", CRASH_FILES)
def test_crash_class_file_loads_to_a_format_error_naming_place_and_cause(name):
    results, p = run_loads(HOSTILE / name)
    assert_alive(p, results, 1)
    r = results[0]
    if MANIFEST["files"][name]["error_names"] is None:
        assert r["ok"], r  # nothing it needs is broken
        return
    assert not r["ok"], f"{name} loaded although its B-tree/heap metadata is corrupt"
    assert "JaxonFormatError" in r["bases"], r
    # the group whose attributes HDF5 could not read, and HDF5's reason (our patch's message)
    assert "group /JAXON_ROOT" in r["message"], r["message"]
    assert MANIFEST["files"][name]["error_names"] in r["message"], r["message"]
    assert p.stderr == "", f"stray stderr output: {p.stderr[-2000:]}"


@pytest.mark.parametrize("name", CRASH_FILES)
def test_validator_reports_crash_class_file_as_unreadable(name):
    validate = os.environ.get("JAXON_VALIDATE")
    if not validate:
        pytest.skip("JAXON_VALIDATE (the jaxon-validate binary) is not set; CTest sets it")
    p = subprocess.run([validate, str(HOSTILE / name)], capture_output=True, text=True,
                       timeout=120)
    expected = (0,) if MANIFEST["files"][name]["error_names"] is None else (1, 2)
    assert p.returncode in expected, f"jaxon-validate exited {p.returncode}: {p.stderr[-2000:]}"
    assert name in p.stderr + p.stdout


def test_valid_files_still_load_after_an_allocation_failure_in_the_same_process():
    # partner, poison, partner, poison, partner: the valid file must load every time with the
    # same content, and the poisoning file must fail cleanly every time
    seq = [HOSTILE / PARTNER, HOSTILE / POISON] * 2 + [HOSTILE / PARTNER]
    results, p = run_loads(*seq)
    assert_alive(p, results, len(seq))
    valid = [r for r in results if r["file"].endswith(PARTNER)]
    bad = [r for r in results if r["file"].endswith(POISON)]
    assert all(r["ok"] and r["keys"] == valid[0]["keys"] for r in valid), valid
    assert all(not r["ok"] and "JaxonFormatError" in r["bases"] for r in bad), bad
    assert p.stderr == "", p.stderr[-2000:]


def test_every_crash_class_in_one_process_leaves_valid_loads_working():
    seq = [HOSTILE / n for n in CRASH_FILES] + [HOSTILE / PARTNER]
    results, p = run_loads(*seq)
    assert_alive(p, results, len(seq))
    assert results[-1]["ok"], results[-1]
    assert all(r["ok"] == (MANIFEST["files"][n]["error_names"] is None)
               for n, r in zip(CRASH_FILES, results)), results


FOUND = sorted((HOSTILE / "found").glob("*.h5"))
CLEAN = ("JaxonError", "OSError", "ValueError", "TypeError", "LookupError", "OverflowError")


def test_every_input_the_fuzzers_found_loads_or_fails_cleanly_in_one_process():
    # found/FOUND.json: each crashed or hung unpatched HDF5; one process loads them all, then a
    # valid file
    assert len(FOUND) >= 20
    results, p = run_loads(*FOUND, HOSTILE / PARTNER)
    assert_alive(p, results, len(FOUND) + 1)
    unclean = [r for r in results[:-1] if not r["ok"] and not set(CLEAN) & set(r["bases"])]
    assert not unclean, unclean
    assert results[-1]["ok"], results[-1]
    assert p.stderr == "", p.stderr[-2000:]


def test_validator_survives_every_input_the_fuzzers_found():
    validate = os.environ.get("JAXON_VALIDATE")
    if not validate:
        pytest.skip("JAXON_VALIDATE (the jaxon-validate binary) is not set; CTest sets it")
    p = subprocess.run([validate, "--quiet", *map(str, FOUND)], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode in (0, 1, 2), f"jaxon-validate exited {p.returncode}: {p.stderr[-2000:]}"


# found/ inputs that crashed a fully patched HDF5 of their time, with the reason the patch that
# fixed them gives (the other found/ inputs need only fail cleanly: see the tests above)
FOUND_REASONS = {
    # atheris, long-mode round 3 on patches 0001-0012: SIGSEGV in H5HF__man_iblock_protect
    "b73027e2f983.h5": "fractal heap object offset beyond the root indirect block",  # 0013
}


@pytest.mark.parametrize("name", sorted(FOUND_REASONS))
def test_found_crash_fails_with_the_reason_of_its_patch(name):
    results, p = run_loads(HOSTILE / "found" / name)
    assert_alive(p, results, 1)
    r = results[0]
    assert not r["ok"] and "JaxonFormatError" in r["bases"], r
    assert "group /JAXON_ROOT" in r["message"], r["message"]
    assert FOUND_REASONS[name] in r["message"], r["message"]
    assert p.stderr == "", f"stray stderr output: {p.stderr[-2000:]}"
