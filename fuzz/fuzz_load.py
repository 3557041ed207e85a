"""atheris target: jaxon.load on one file image (a BytesIO: the in-memory core driver).

    python fuzz/fuzz_load.py [libFuzzer options] CORPUS_DIR... (see scripts/fuzz.sh)

A clean failure is an exception of the documented kinds (JaxonError and its subclasses,
OSError, ValueError, TypeError, LookupError, OverflowError): anything else escaping load
(SystemError, MemoryError, RecursionError, AssertionError...) is a finding, which atheris
reports with the input that caused it, as it does a crash. The custom mutator mutates HDF5
objects (fuzz/h5mutate.c through ctypes, path in JAXON_H5MUTATE) three times out of four.

Coverage: atheris sees the Python code it instruments, not the C extension or libhdf5, so
libFuzzer's corpus would shrink to the one input that "covers" the thin Python layer. The
mutator therefore starts from a random seed of fuzz/corpus half of the time: the run stays a
structure-aware mutation of real Jaxon files of both layouts even without C coverage.
"""

from __future__ import annotations

import ctypes
import io
import os
import pathlib
import random
import sys

import atheris

with atheris.instrument_imports():
    import jaxon

CLEAN = (jaxon.JaxonError, OSError, ValueError, TypeError, LookupError, OverflowError)
KEEP = [lambda name, data: ("custom", name, data)]

_lib = ctypes.CDLL(os.environ.get("JAXON_H5MUTATE", "build/fuzz/libh5mutate.so"))
_lib.h5m_mutate.restype = ctypes.c_size_t
_lib.h5m_mutate.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_uint64,
                            ctypes.c_uint]

SEEDS = [f.read_bytes() for f in sorted((pathlib.Path(__file__).parent / "corpus").glob("*.h5"))]


def test_one_input(data: bytes) -> None:
    try:
        jaxon.load(io.BytesIO(data), custom_unmarshalers=KEEP)
    except CLEAN:
        pass


def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
    if SEEDS and (seed % 2 == 0 or len(data) < 64):
        data = random.Random(seed).choice(SEEDS)
    if seed % 4 == 3 or not data:
        return atheris.Mutate(data, max_size)
    cap = max(max_size, len(data))
    buf = ctypes.create_string_buffer(bytes(data), cap)
    n = _lib.h5m_mutate(buf, len(data), cap, seed, 3)
    return buf.raw[:n]


def main() -> None:
    atheris.Setup(sys.argv, test_one_input, custom_mutator=custom_mutator)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
