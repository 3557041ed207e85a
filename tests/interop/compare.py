"""The strict comparison of the tests (tests/python/conftest.py re-exports assert_same) and the
identity check. Imports neither jaxon, so it also runs inside the Python-jaxon subprocesses."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from interop_types import CUSTOM_TYPES


def _fbits(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def custom_fields(obj):
    if dataclasses.is_dataclass(obj):
        return [(f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj)]
    return sorted(vars(obj).items())


def assert_same(a, b, path="root"):
    """a and b are equal with exactly the same types at every level (nan == nan, -0.0 != 0.0)."""
    assert type(a) is type(b), f"{path}: type {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, dict):
        assert list(a.keys()) == list(b.keys()), f"{path}: keys {list(a)!r} != {list(b)!r}"
        for (ka, va), kb in zip(a.items(), b.keys()):
            assert_same(ka, kb, f"{path} key {ka!r}")
            assert_same(va, b[kb], f"{path}[{ka!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, (set, frozenset)):
        assert a == b, f"{path}: {a!r} != {b!r}"
        assert sorted(map(repr, a)) == sorted(map(repr, b)), f"{path}: element types differ"
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype, f"{path}: dtype {a.dtype} != {b.dtype}"
        assert a.shape == b.shape, f"{path}: shape {a.shape} != {b.shape}"
        assert a.tobytes() == b.tobytes(), f"{path}: data differs"
    elif isinstance(a, np.generic):
        assert a.dtype == b.dtype, f"{path}: dtype {a.dtype} != {b.dtype}"
        assert a.tobytes() == b.tobytes(), f"{path}: {a!r} != {b!r}"
    elif isinstance(a, float):
        assert _fbits(a, b), f"{path}: {a!r} != {b!r}"
    elif isinstance(a, complex):
        assert _fbits(a.real, b.real) and _fbits(a.imag, b.imag), f"{path}: {a!r} != {b!r}"
    elif type(a).__module__.startswith("jax"):
        assert a.dtype == b.dtype and a.shape == b.shape, f"{path}: {a.dtype}{a.shape}"
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes(), f"{path}: data differs"
    elif isinstance(a, memoryview):
        assert a.format == b.format and a.shape == b.shape and a.tobytes() == b.tobytes()
    elif isinstance(a, CUSTOM_TYPES):
        fa, fb = custom_fields(a), custom_fields(b)
        assert [n for n, _ in fa] == [n for n, _ in fb], f"{path}: fields differ"
        for (n, x), (_, y) in zip(fa, fb):
            assert_same(x, y, f"{path}.{n}")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


_MUTABLE = (list, dict, set, bytearray, np.ndarray) + CUSTOM_TYPES


def assert_identity(expected, loaded, min_str=0):
    """Every object shared in `expected` (by identity) is shared in `loaded`, and mutable
    objects distinct in `expected` are distinct in `loaded`. Strings shorter than min_str
    are not referenceable (v2 copies them) and are skipped."""
    fwd, back = {}, {}

    def walk(e, l, path):
        referenceable = isinstance(e, (list, dict, set, frozenset, tuple, bytes, bytearray,
                                       np.ndarray, memoryview) + CUSTOM_TYPES) or (
            type(e) is str and len(e) >= max(min_str, 1)) or type(e).__module__.startswith("jax")
        if referenceable:
            if id(e) in fwd:
                assert fwd[id(e)] is l, f"{path}: shared object loaded as a copy"
                return
            fwd[id(e)] = l
            if isinstance(e, _MUTABLE):
                assert id(l) not in back or back[id(l)] is e, (
                    f"{path}: distinct objects loaded as one")
                back[id(l)] = e
        if isinstance(e, dict):
            for (ke, ve), (kl, vl) in zip(e.items(), l.items()):
                walk(ke, kl, f"{path} key")
                walk(ve, vl, f"{path}[{ke!r}]")
        elif isinstance(e, (list, tuple)):
            for i, (x, y) in enumerate(zip(e, l)):
                walk(x, y, f"{path}[{i}]")
        elif isinstance(e, CUSTOM_TYPES):
            for (n, x), (_, y) in zip(custom_fields(e), custom_fields(l)):
                walk(x, y, f"{path}.{n}")

    walk(expected, loaded, "root")


def replace_not_loaded(obj, is_placeholder, sentinel="<NOT_LOADED>"):
    """obj with every load_filter placeholder replaced by sentinel, in place where it can be
    (containers are rebuilt, custom objects get their fields set). Each jaxon version has its
    own placeholder (1.2.0 a singleton, 2.x a new unequal instance each time, ours a
    singleton), so filtered loads are compared through this."""
    if is_placeholder(obj):
        return sentinel
    t = type(obj)
    if t is dict:
        return {k: replace_not_loaded(v, is_placeholder, sentinel) for k, v in obj.items()}
    if t in (list, tuple):
        return t(replace_not_loaded(v, is_placeholder, sentinel) for v in obj)
    if t in (set, frozenset):
        return t(replace_not_loaded(v, is_placeholder, sentinel) for v in obj)
    if t is memoryview:  # cannot be pickled across processes
        return ("<memoryview>", obj.format, obj.shape, obj.tobytes())
    if isinstance(obj, CUSTOM_TYPES):
        for name, value in custom_fields(obj):
            object.__setattr__(obj, name, replace_not_loaded(value, is_placeholder, sentinel))
    return obj


def filtered_load(load, path, salt):
    """load(path, load_filter=f) with a filter that refuses about a quarter of the paths,
    chosen by a hash of the salt and the path's repr (the same choice in every process and
    jaxon version). Returns (result with placeholders replaced, sorted reprs of the distinct
    paths the filter was asked about)."""
    import zlib

    seen = set()

    def f(p):
        r = repr(tuple(p))
        seen.add(r)
        return not p or zlib.crc32(f"{salt}:{r}".encode()) % 4 != 0

    got = load(path, load_filter=f)
    names = ("JaxonNotLoaded", "_JaxonNotLoadedType")
    return replace_not_loaded(got, lambda x: type(x).__name__ in names), sorted(seen)
