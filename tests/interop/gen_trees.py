"""Deterministic pytree generator for the interoperability harness.

gen_tree(seed, profile) builds the same tree in any process (random.Random(seed) and
numpy's default_rng(seed); no hash-order dependence). Profiles say which writer/reader
pair the tree must survive; what each one leaves out, and why, is in docs/compatibility.md:

  "py1w"  Python jaxon 1.2.0 writes, our loader reads
  "py2w"  Python jaxon 2.1.0 writes, our loader reads
  "ourw"  our saver writes (v1.2.0 layout), Python jaxon 1.2.0 / 2.1.0 read
"""

from __future__ import annotations

import random

import numpy as np

from interop_types import Custom, FrozenBox, Node, Point

PROFILES = ("py1w", "py2w", "ourw")

_CHARS = ("abcxyzABZ019 _-.,;:#[](){}=+*!?'\"\\@$%&|~^`<>" "éü中文ΩЖ😀\u2028\xa0\t")
_KEY_CHARS = "abcxyz019_-.:#'\\ éΩ中"  # no '/': keys with '/' are in the hand corpus
_FLOATS = (0.0, -0.0, 1.5, -2.25, float("nan"), float("inf"), float("-inf"), 1e-05, 1e16,
           1.5e300, 5e-324, 2.0 ** -24, 0.1, 123456789.125, -1e-310)
_INTS = (0, 1, -1, 7, 255, -128, 2 ** 31, 2 ** 63 - 1, -2 ** 63, 2 ** 64, 10 ** 30,
         -(2 ** 100), 12345678901234567890123)
_NP_SCALARS = (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
               np.uint32, np.uint64, np.float16, np.float32, np.float64, np.complex64,
               np.complex128)
_ARRAY_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                 "float16", "float32", "float64", "complex64", "complex128", "bool", "S3")


class _Gen:
    def __init__(self, seed: int, profile: str):
        assert profile in PROFILES
        self.r = random.Random(seed)
        self.np = np.random.default_rng(seed)
        self.p = profile
        self.v2 = profile == "py2w"
        self.shared: list = []  # referenceable objects that may be reused
        self.budget = 60

    # ---- leaves ------------------------------------------------------------------------
    def text(self, lo=0, hi=12, chars=_CHARS):
        n = self.r.randint(lo, hi)
        return "".join(self.r.choice(chars) for _ in range(n))

    def complex_(self):
        re_, im = self.r.choice(_FLOATS[:6]), self.r.choice(_FLOATS)
        c = complex(re_, im)
        if c.real == 0.0 and not np.signbit(c.real):
            # zero real part: 1.2.0's writer corrupts it (B1-1); keep it for v2 and ours->py
            if self.p == "py1w":
                c = complex(1.0, im)
        return c

    def py_number(self):
        k = self.r.randrange(4)
        if k == 0:
            return self.r.choice(_INTS)
        if k == 1:
            return self.r.choice(_FLOATS)
        if k == 2:
            return self.r.choice((True, False))
        return self.complex_()

    def np_scalar(self):
        t = self.r.choice(_NP_SCALARS)
        if t is np.bool_:
            return np.bool_(self.r.random() < 0.5)
        if issubclass(t, np.integer):
            info = np.iinfo(t)
            return t(self.r.choice((0, 1, info.max, info.min, 42 % (info.max + 1))))
        if issubclass(t, np.complexfloating):
            return t(complex(self.r.choice(_FLOATS[:7]), self.r.choice(_FLOATS[:7])))
        return t(self.r.choice(_FLOATS[:9]))

    def array(self):
        dt = self.r.choice(_ARRAY_DTYPES)
        nd = self.r.choice((1, 1, 2, 0)) if self.p != "ourw" else self.r.choice((1, 1, 2))
        shape = tuple(self.r.choice((0, 1, 3, 5)) for _ in range(nd))
        if dt == "S3":
            a = self.np.integers(97, 123, size=shape + (3,), dtype=np.uint8)
            return np.frombuffer(a.tobytes(), dtype="S3").reshape(shape).copy()
        if dt == "bool":
            return self.np.integers(0, 2, size=shape).astype(bool)
        raw = self.np.integers(0, 256, size=int(np.prod(shape)) * np.dtype(dt).itemsize,
                               dtype=np.uint8)
        return np.frombuffer(raw.tobytes(), dtype=dt).reshape(shape).copy()

    def jax_array(self):
        import jax.numpy as jnp
        dts = ["float32", "int32", "bool", "float16", "int8", "uint8"]
        if self.v2:
            dts += ["bfloat16"]  # 2.x records the dtype (jax.Array[bfloat16])
        dt = self.r.choice(dts)
        n = self.r.choice((0, 1, 4))
        return jnp.asarray(self.np.integers(0, 5, size=(n,)), dtype=dt)

    def leaf(self):
        k = self.r.randrange(16)
        if k == 0:
            return None
        if k == 1:
            return Ellipsis
        if k in (2, 3, 4):
            return self.py_number()
        if k in (5, 6):
            s = self.text()
            self.shared.append(s)
            return s
        if k == 7:
            return self.np_scalar()
        if k == 8:
            a = self.array()
            self.shared.append(a)
            return a
        if k == 9:
            b = bytes(self.np.integers(0, 256, size=self.r.choice((0, 1, 5, 17)),
                                       dtype=np.uint8))
            b = b if self.r.random() < 0.6 else bytearray(b)
            self.shared.append(b)
            return b
        if k == 10:
            start = self.r.randint(-5, 5)
            return range(start, start + self.r.randint(0, 20), self.r.choice((1, 2, -1)))
        if k == 11 and self.r.random() < 0.3:
            a = self.jax_array()
            self.shared.append(a)
            return a
        if k == 12 and self.v2:
            return self.r.choice((np.str_(self.text(0, 8).rstrip("\0")),
                                  np.bytes_(self.text(0, 8, "abc019 ").encode()),
                                  np.void(bytes(self.np.integers(0, 256, size=3,
                                                                 dtype=np.uint8)))))
        if k == 12 and not self.v2 and self.r.random() < 0.5:
            return slice(self.r.choice((None, 1, -3)), self.r.choice((None, 10)),
                         self.r.choice((None, 2)))
        if k == 13 and self.r.random() < 0.05:
            s = self.text(100_000, 100_000)  # big string
            self.shared.append(s)
            return s
        if k == 14 and self.r.random() < 0.05:
            a = self.np.standard_normal((300, 300)).astype(np.float32)  # 360 KB
            self.shared.append(a)
            return a
        if k == 15 and self.shared:
            return self.r.choice(self.shared)  # a shared reference
        return self.r.choice(_INTS)

    # ---- keys --------------------------------------------------------------------------
    def key(self):
        k = self.r.randrange(9)
        if k < 4:
            return self.text(0, 20, _KEY_CHARS)
        if k == 4:
            return self.r.choice(_INTS)
        if k == 5:
            return self.r.choice((None, Ellipsis, True, 2.5, -0.0, 1e16, 3j + 1))
        if k == 6:
            return (self.r.choice(_INTS), self.text(0, 4, _KEY_CHARS))
        if k == 7:
            return frozenset({self.r.randint(0, 9), self.r.randint(0, 9)})
        return self.text(15, 30, _KEY_CHARS)  # long (non-simple in v2)

    # ---- containers --------------------------------------------------------------------
    def node(self, depth):
        self.budget -= 1
        if depth > 4 or self.budget <= 0 or self.r.random() < 0.45:
            return self.leaf()
        k = self.r.randrange(10)
        n = self.r.randint(0, 5)
        if k in (0, 1):
            return self.remember([self.node(depth + 1) for _ in range(n)])
        if k == 2:
            return self.remember(tuple(self.node(depth + 1) for _ in range(n)))
        if k in (3, 4, 5):
            d = {}
            for _ in range(n):
                key = self.key()
                if key in d:
                    continue
                d[key] = self.node(depth + 1)
            return self.remember(d)
        if k == 6:
            elems = {self.r.choice(_INTS), self.text(0, 5), self.r.choice(_FLOATS[:4]), None,
                     (1, self.text(0, 3))}
            return frozenset(elems) if self.r.random() < 0.5 else set(elems)
        if k == 7:
            return self.remember(Point(self.node(depth + 1), self.node(depth + 1)))
        if k == 8:
            if self.r.random() < 0.5:
                return self.remember(FrozenBox(self.node(depth + 1)))
            return self.remember(Node(self.text(0, 6), [self.node(depth + 1) for _ in range(2)],
                                      Point(1, self.leaf())))
        return self.remember(Custom(self.node(depth + 1), [self.leaf(), Point(0, None)]))

    def remember(self, obj):
        if self.r.random() < 0.3:
            self.shared.append(obj)
        return obj


def gen_tree(seed: int, profile: str):
    g = _Gen(seed, profile)
    root = g.node(0)
    if g.r.random() < 0.8 and not isinstance(root, (dict, list)):
        root = [root, g.node(1)]
    return root


def hand_corpus(profile: str) -> dict:
    """Named hand-written trees: the worked examples of the spec and sharp edges."""
    c = {}
    s_long = "a fairly long string"
    a = np.arange(4)
    c["scalars"] = [None, ..., True, False, 0, -1, 2.5, -0.0, float("nan"), float("inf"),
                    10 ** 20, 2 ** 64, 1e-05, 1e16, 1 + 2j, complex(-0.0, -1), range(3),
                    range(-2, 9, 3)]
    c["strings"] = ["", "x", "it's", "a\\b'c", "é中😀", "a/b", "c:d#e", " padded ", "\t",
                    "q'''", "\\", "\\'", "'"]
    c["shared"] = {"a": a, "b": [a, s_long, s_long, "short", "short"], "c": s_long}
    c["keys"] = {1: "one", (1, 2): [3], 2.5: b"x", "a very long key string": 0,
                 range(2): 1, None: None, ...: 2, True: 3, "": 4, "it's": 5, "a\\b": 6,
                 frozenset({1}): 7, -0.0: 8, 1j + 1: 9}
    c["slash_keys"] = {"x/y": [1], "k/1": s_long, "r": s_long, "a/b": {"c/d": 2}}
    c["big"] = {"s": "é" * 100_000, "arr": np.arange(100_000, dtype=np.int64), "b": bytes(70_000)}
    c["nested"] = [[[[[[[[[[1]]]]]]]]]]
    c["empty"] = [[], (), {}, set(), frozenset(), b"", bytearray(), np.zeros((0, 3))]
    c["custom"] = {"p": Point(1, [2]), "n": Node("n", [Custom(5, [1]), FrozenBox(2)]),
                   "c": Custom({"k": "v"}, (1, 2))}
    shared_p = Point(a, s_long)
    c["custom_shared"] = [shared_p, shared_p, {"again": shared_p}]
    c["np_scalars"] = [np.float32(1.5), np.int8(-3), np.uint64(2 ** 64 - 1), np.bool_(True),
                       np.complex64(1 - 2j), np.float16(0.5), np.float64(-0.0)]
    if profile != "ourw":
        c["arr0d"] = [np.array(7), np.array(1.5, dtype=np.float32)]
    else:
        c["arr2d"] = [np.ones((2, 3)), np.arange(6, dtype=np.uint16).reshape(3, 2)]
    if profile == "py2w":
        c["np_text"] = {"s": np.str_("hé"), "by": np.bytes_(b"ab"), "v": np.void(b"\x01\x02"),
                        "e": np.str_(""), "eb": np.bytes_(b""), "ev": np.void(b"")}
        c["zero_real"] = [2j, 0j, 1.5j, complex(0, -1), complex(0, float("inf"))]
    if profile != "py2w":
        c["slices"] = [slice(1, 2, None), slice(None, None, None), slice(-1, 5, 2)]
        c["memoryview"] = memoryview(b"abc")
    if profile == "ourw":
        c["zero_real"] = [2j, 0j, 1.5j, complex(0, -1), complex(0, float("inf"))]
    return c
