"""Deterministic random pytrees for the differential test (docs/differential.md).

gen_tree(seed, writer) -> (tree, storage_hint_objects) builds the same tree in every process
(random.Random and numpy's default_rng seeded with the integer seed; no hash-order
dependence). `writer` says who saves it, because the writers cover different types:

  "ours"  our jaxon.save (v1.2.0 layout + our extensions: 0-d arrays, ml_dtypes jax arrays,
          complex numbers with a zero real part, very deep nesting)
  "py1"   Python jaxon 1.2.0 (no zero-real complex numbers, B1-1; no 0-d arrays, B1-4)
  "py2"   Python jaxon 2.1.0 (no slice / memoryview; NumPy str_/bytes_/void)

This module imports neither jaxon: it runs inside the Python-jaxon subprocesses too
(save_python.py). Storage hints name objects that the writer puts in a dataset (v1 only).
"""

from __future__ import annotations

import random

import numpy as np

WRITERS = ("ours", "py1", "py2")

_CHARS = "abcxyz019 _-.,;:#[](){}=+*!?'\"\\/@$%&|~^`<>éü中Ω😀\u2028\xa0\t"
_KEY_CHARS = "abcxyz019_-.:#'\\ éΩ中()"
_FLOATS = (0.0, -0.0, 1.0, 1.5, -2.25, float("nan"), float("inf"), float("-inf"), 1e-05,
           1e16, 1.5e300, 5e-324, 0.1, 123456789.125, -1e-310, 1e22)
_INTS = (0, 1, -1, 7, 10, 255, -128, 2 ** 31, 2 ** 63 - 1, -2 ** 63, 2 ** 64, 10 ** 30,
         -(2 ** 100))
_NP_SCALARS = (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
               np.uint32, np.uint64, np.float16, np.float32, np.float64, np.longdouble,
               np.complex64, np.complex128, np.clongdouble)
_ARRAY_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                 "float16", "float32", "float64", "longdouble", "complex64", "complex128",
                 "bool", "S3", "V2", "structured")
_JAX_DTYPES = ("float32", "int32", "bool", "float16", "int8", "uint8", "bfloat16")
# Nesting depths around the loader's limit (1000 levels, docs/validation.md "depth-limit");
# only our writer is asked to write them (the Python writers recurse in Python).
DEEP = (998, 999, 1000, 1001)


class _Gen:
    def __init__(self, seed: int, writer: str):
        assert writer in WRITERS, writer
        self.r = random.Random(seed)
        self.np = np.random.default_rng(seed)
        self.w = writer
        self.v2 = writer == "py2"
        self.shared: list = []
        self.hints: list = []
        self.budget = self.r.choice((6, 12, 25, 25, 40, 80))

    # ---- leaves ------------------------------------------------------------------------
    def text(self, lo=0, hi=10, chars=_CHARS):
        return "".join(self.r.choice(chars) for _ in range(self.r.randint(lo, hi)))

    def py_number(self):
        k = self.r.randrange(4)
        if k == 0:
            return self.r.choice(_INTS)
        if k == 1:
            return self.r.choice(_FLOATS)
        if k == 2:
            return self.r.random() < 0.5
        c = complex(self.r.choice(_FLOATS[:8]), self.r.choice(_FLOATS))
        if c.real == 0.0 and not np.signbit(c.real) and self.w == "py1":
            c = complex(1.0, c.imag)  # 1.2.0 corrupts a zero real part (B1-1)
        return c

    def np_scalar(self, key=False):
        t = self.r.choice(_NP_SCALARS)
        fl = _FLOATS[:5] if key else _FLOATS[:10]  # no nan keys: nan != nan
        if t is np.bool_:
            return np.bool_(self.r.random() < 0.5)
        if issubclass(t, np.integer):
            info = np.iinfo(t)
            return t(self.r.choice((0, 1, info.max, info.min)))
        if issubclass(t, np.complexfloating):
            return t(complex(self.r.choice(fl[:8]), self.r.choice(fl[:8])))
        return t(self.r.choice(fl))

    def array(self):
        dt = self.r.choice(_ARRAY_DTYPES)
        nd = self.r.choice((1, 1, 2, 0, 3)) if self.w == "ours" else self.r.choice((1, 1, 2, 3))
        shape = tuple(self.r.choice((0, 1, 2, 3, 5)) for _ in range(nd))
        n = int(np.prod(shape))
        if dt == "structured":
            dtype = np.dtype([("a", "<i4"), ("b", "<f8", (2,))])
        elif dt == "bool":
            return self.np.integers(0, 2, size=shape).astype(bool)
        else:
            dtype = np.dtype(dt)
        raw = self.np.integers(0, 256, size=n * dtype.itemsize, dtype=np.uint8)
        if dt in ("S3",):
            raw = raw % 26 + 97
        return np.frombuffer(raw.tobytes(), dtype=dtype).reshape(shape).copy()

    def jax_array(self):
        import jax.numpy as jnp
        dt = self.r.choice(_JAX_DTYPES if self.w != "py1" else _JAX_DTYPES[:-1])
        n = self.r.choice((0, 1, 4))
        return jnp.asarray(self.np.integers(0, 5, size=(n,)), dtype=dt)

    def referenceable(self, obj, hint_ok=True):
        self.shared.append(obj)
        if hint_ok and not self.v2 and self.r.random() < 0.2:
            self.hints.append(obj)  # the dataset form (v1 storage hint)
        return obj

    def leaf(self):
        k = self.r.randrange(17)
        if k == 0:
            return None
        if k == 1:
            return Ellipsis
        if k in (2, 3, 4):
            return self.py_number()
        if k in (5, 6):
            return self.referenceable(self.text(), hint_ok=False)
        if k == 7:
            return self.np_scalar()
        if k == 8:
            return self.referenceable(self.array())
        if k == 9:
            b = bytes(self.np.integers(0, 256, size=self.r.choice((0, 1, 5, 17)), dtype=np.uint8))
            return self.referenceable(b if self.r.random() < 0.6 else bytearray(b))
        if k == 10:
            start = self.r.randint(-5, 5)
            return range(start, start + self.r.randint(0, 20), self.r.choice((1, 2, -1)))
        if k == 11 and self.r.random() < 0.3:
            return self.referenceable(self.jax_array())
        if k == 12 and self.v2:
            return self.r.choice((np.str_(self.text(0, 8).rstrip("\0")),
                                  np.bytes_(self.text(0, 8, "abc019 ").encode()),
                                  np.void(bytes(self.np.integers(0, 256, size=3,
                                                                 dtype=np.uint8)))))
        if k == 12:
            return slice(self.r.choice((None, 1, -3)), self.r.choice((None, 10)),
                         self.r.choice((None, 2)))
        if k == 13 and not self.v2 and self.r.random() < 0.3:
            return self.referenceable(memoryview(bytes(self.text(0, 6, "abc").encode())))
        if k == 14:
            return self.referenceable(self.text(15, 40))  # referenceable in v2 too
        if k == 15 and self.shared:
            return self.r.choice(self.shared)  # a later occurrence: a reference
        return self.r.choice(_INTS)

    # ---- keys: every kind of dict key ----------------------------------------------------
    def key(self):
        k = self.r.randrange(14)
        if k < 4:
            return self.text(0, 12, _KEY_CHARS)
        if k == 4:
            return self.r.choice(_INTS)
        if k == 5:
            return self.r.choice((None, Ellipsis, True, False, 2.5, -0.0, 1e16, 1e-05,
                                  float("inf"), 1 + 3j, complex(-0.0, -1)))
        if k == 6:
            return (self.r.choice(_INTS), self.text(0, 4, _KEY_CHARS))
        if k == 7:
            return frozenset({self.r.randint(0, 9), self.r.randint(0, 9)})
        if k == 8:
            return self.text(15, 30, _KEY_CHARS)  # long: key(i)/value(i) in v2
        if k == 9:
            if self.w != "ours":
                return "q"
            return self.r.choice(("a/b", "/", "x//y", "k\0z", ""))
        if k == 10:
            return range(self.r.randint(0, 3), 5)
        if k == 11:
            if self.r.random() < 0.5:
                return self.np_scalar(key=True)
            return np.int64(self.r.randint(0, 9))
        if k == 12:
            return bytes(self.text(0, 4, "ab").encode())
        return self.r.randint(-3, 30)

    # ---- containers ----------------------------------------------------------------------
    def node(self, depth):
        self.budget -= 1
        if depth > 6 or self.budget <= 0 or self.r.random() < 0.4:
            return self.leaf()
        k = self.r.randrange(12)
        n = self.r.choice((0, 1, 2, 3, 4, 5, 8, 12))
        if k == 11 and self.r.random() < 0.15:
            n = self.r.choice((100, 300, 1200))  # a big container of leaves
            if self.r.random() < 0.5:
                return self.remember([self.r.choice(_INTS) for _ in range(n)])
            return self.remember({f"k{i}" if i % 2 else i: self.r.choice(_INTS)
                                  for i in range(n)})
        if k in (0, 1):
            return self.remember([self.node(depth + 1) for _ in range(n)])
        if k == 2:
            return self.remember(tuple(self.node(depth + 1) for _ in range(n)))
        if k in (3, 4, 5, 6):
            d = {}
            for _ in range(n):
                key = self.key()
                if key in d:
                    continue
                d[key] = self.node(depth + 1)
            return self.remember(d)
        if k in (7, 8):
            elems = {self.r.choice(_INTS), self.text(0, 5), self.r.choice(_FLOATS[:5]), None,
                     (1, self.text(0, 3)), frozenset({self.r.randint(0, 3)})}
            elems = set(self.r.sample(sorted(elems, key=repr), self.r.randint(0, len(elems))))
            return self.remember(frozenset(elems) if self.r.random() < 0.5 else elems)
        if k == 9 and self.w == "ours" and self.r.random() < 0.05:
            d = self.r.choice(DEEP)  # total depth: this chain plus where it starts
            x = self.leaf()
            for _ in range(max(d - depth, 1)):
                x = [x]
            return x
        return self.remember([self.node(depth + 1) for _ in range(n)])

    def remember(self, obj):
        if self.r.random() < 0.25:
            self.shared.append(obj)
        return obj


def gen_tree(seed: int, writer: str):
    """(tree, objects to store in the dataset form) for this seed and writer."""
    g = _Gen(seed, writer)
    root = g.node(0)
    if g.r.random() < 0.7 and not isinstance(root, (dict, list)):
        root = [root, g.node(1)]
    return root, g.hints
