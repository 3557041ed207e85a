"""A reference writer for the Jaxon v1.2.0 layout, built on h5py (spec §2, §3.2, §3.11).

It writes exactly what the spec describes, in the spec's order of HDF5 operations, so the
C loader can be tested without the C saver:

* the file and every group track and index attribute and link creation order
  (``track_order=True``);
* text values are FLS: fixed-length, NULLPAD, UTF-8 scalar strings of exactly the UTF-8 bytes;
* atoms are ``None``, ``Ellipsis``, ``'text'`` (raw), ``int(..)``, ``float(..)``,
  ``bool(..)``, ``complex(..)`` (parentheses stripped only when present: the B1-1 fix the
  spec recommends), ``range(..)`` and ``slice(..)`` without spaces;
* numpy scalars, arrays, bools (enum), complex numbers (r/i compounds) are written by h5py;
* containers own a group and get their FLS typehint attribute *after* their children;
* dict entries use the key's atom text as slot name when the key is simple, else
  ``key(i)``/``value(i)``;
* later occurrences of referenceable objects are ``N:ref`` attributes whose value is the
  target's path with ``\\`` and ``/`` escaped in every element;
* arrays / jax arrays / bytes / bytearray / memoryview / dill blobs are ``N:<typehint>``
  attributes, or, with a storage hint, an FLS typehint attribute ``N`` plus a dataset ``N``.

The low-level helpers (:func:`new_file`, :func:`text_attr`, :func:`typed_attr`) are public so
tests can craft malformed files.
"""

from __future__ import annotations

import io
from typing import Any, Callable, Iterable, Optional, Tuple

import h5py
import numpy as np
from h5py import h5a, h5s, h5t

NP_NUMERIC = (
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
    np.uint64, np.float16, np.float32, np.float64, np.longdouble, np.complex64,
    np.complex128, np.clongdouble,
)
CONTAINERS = {dict: "dict", list: "list", tuple: "tuple", set: "set", frozenset: "frozenset"}


class CircularPyTree(ValueError):
    pass


# ---- low-level helpers ---------------------------------------------------------------------

def new_file(target, mode: str = "w") -> h5py.File:
    """An h5py file with attribute/link creation order tracked and indexed (spec §2.1)."""
    return h5py.File(target, mode, track_order=True)


def text_attr(group, name: str | bytes, text: str | bytes, cset=h5t.CSET_UTF8,
              strpad=h5t.STR_NULLPAD) -> None:
    """Attribute `name` = FLS(text): fixed-length string of exactly the UTF-8 bytes, scalar."""
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    bname = name.encode("utf-8") if isinstance(name, str) else name
    tid = h5t.C_S1.copy()
    tid.set_size(max(len(data), 1))
    tid.set_strpad(strpad)
    tid.set_cset(cset)
    aid = h5a.create(group.id, bname, tid, h5s.create(h5s.SCALAR))
    try:
        aid.write(np.array(data, dtype=f"S{max(len(data), 1)}"), mtype=tid)
    finally:
        aid.close()


def typed_attr(group, name: str, data) -> None:
    """Attribute `name` holding data as h5py writes it (scalars, arrays, enums, compounds)."""
    group.attrs.create(name, data)


def escape(element: str) -> str:
    """A reference-path element (spec §3.7): backslash first, then slash."""
    return element.replace("\\", "\\\\").replace("/", "\\/")


# ---- atoms ---------------------------------------------------------------------------------

def complex_text(z: complex) -> str:
    r = repr(z)
    if r.startswith("(") and r.endswith(")"):
        r = r[1:-1]
    return f"complex({r})"


def atom_text(x) -> Optional[str]:
    """The v1.2.0 atom text of x when x is a text atom (rows 1-2, 5-11), else None."""
    t = type(x)
    if x is None:
        return "None"
    if x is Ellipsis:
        return "Ellipsis"
    if t is bool:
        return f"bool({x!r})"
    if t is int:
        return f"int({x!r})"
    if t is float:
        return f"float({x!r})"
    if t is complex:
        return complex_text(x)
    if t is range or t is slice:
        return repr(x).replace(" ", "")
    if t is str:
        return "'" + x + "'"
    return None


def _is_jax_array(x) -> bool:
    mod = type(x).__module__
    if not (mod.startswith("jax") or mod.startswith("jaxlib")):
        return False
    import jax
    return isinstance(x, jax.Array)


# ---- writer --------------------------------------------------------------------------------

class _Writer:
    def __init__(self, py_to_np_types, allow_dill, dill_kwargs, storage_hints,
                 custom_marshalers):
        self.py_to_np = tuple(py_to_np_types or ())
        self.allow_dill = allow_dill
        self.dill_kwargs = dill_kwargs or {}
        self.hints = {id(o): bool(flag) for o, flag in storage_hints}
        self.marshalers = list(custom_marshalers)
        self.memo: dict[int, Tuple[Any, str]] = {}  # id -> (obj kept alive, path)
        self.in_progress: set[int] = set()

    def register(self, obj, path: str) -> None:
        self.memo[id(obj)] = (obj, path)

    def simple_key_text(self, k) -> Optional[str]:
        if self.py_to_np and isinstance(k, self.py_to_np) and type(k) in (int, float, bool,
                                                                           complex):
            return None
        text = atom_text(k)
        if text is None or "\0" in text:
            return None
        return text

    def store(self, G, obj, N: str, gpath: str) -> None:
        t = type(obj)
        referenceable = not (obj is None or obj is Ellipsis or t in (int, float, bool, complex,
                                                                     range, slice)
                             or isinstance(obj, np.generic))
        if referenceable and id(obj) in self.memo:
            text_attr(G, N + ":ref", self.memo[id(obj)][1])
            return
        if isinstance(obj, np.generic) and t in NP_NUMERIC:
            typed_attr(G, N, obj)
            return
        if self.py_to_np and isinstance(obj, self.py_to_np) and t in (int, float, bool, complex):
            typed_attr(G, N, np.asarray(obj)[()])
            return
        text = atom_text(obj)
        if text is not None:
            text_attr(G, N, text)
            if t is str:
                self.register(obj, gpath + escape(N))
            return
        if _is_jax_array(obj):
            self.store_data(G, obj, N, gpath, "jax.Array", np.array(obj))
        elif t is np.ndarray:
            self.store_data(G, obj, N, gpath, "numpy.ndarray", obj)
        elif t in (bytes, bytearray, memoryview):
            self.store_data(G, obj, N, gpath, t.__name__, np.asarray(memoryview(obj)))
        elif t in CONTAINERS:
            self.store_container(G, obj, obj, N, gpath, CONTAINERS[t])
        else:
            self.store_custom(G, obj, N, gpath)

    def store_data(self, G, orig, N, gpath, typehint, data) -> None:
        if self.hints.get(id(orig)):
            text_attr(G, N, typehint)
            self.register(orig, gpath + escape(N))
            G.create_dataset(N, data=data)
        else:
            typed_attr(G, N + ":" + typehint, data)
            self.register(orig, gpath + escape(N + ":" + typehint))

    def store_container(self, G, orig, obj, N, gpath, typehint) -> None:
        if id(orig) in self.in_progress:
            raise CircularPyTree(f"{orig!r} contains itself")
        self.in_progress.add(id(orig))
        sub = G.create_group(N, track_order=True)
        sp = gpath + escape(N) + "/"
        if isinstance(obj, dict):
            for i, (k, v) in enumerate(obj.items()):
                slot = self.simple_key_text(k)
                if slot is not None:
                    self.store(sub, v, slot, sp)
                else:
                    self.store(sub, k, f"key({i})", sp)
                    self.store(sub, v, f"value({i})", sp)
        else:
            for i, item in enumerate(obj):
                self.store(sub, item, str(i), sp)
        self.in_progress.discard(id(orig))
        text_attr(G, N, typehint)
        self.register(orig, gpath + escape(N))

    def store_custom(self, G, obj, N, gpath) -> None:
        tags = []
        cur = obj
        while type(cur) not in CONTAINERS:
            for m in self.marshalers:
                res = m(cur)
                if res is not None:
                    tag, cur = res
                    tags.append(tag)
                    break
            else:
                break
        if type(cur) in CONTAINERS:
            typehint = CONTAINERS[type(cur)] + "".join("#" + tag for tag in reversed(tags))
            self.store_container(G, obj, cur, N, gpath, typehint)
            return
        if not self.allow_dill:
            raise TypeError(f"cannot store {type(obj).__qualname__}")
        import dill
        blob = np.frombuffer(dill.dumps(obj, **self.dill_kwargs), dtype=np.uint8)
        qual = f"!{type(obj).__module__}.{type(obj).__qualname__}"
        self.store_data(G, obj, N, gpath, qual, blob)


def save(target, tree, *, exact_python_numeric_types: bool = True,
         py_to_np_types: Optional[Iterable[type]] = None, allow_dill: bool = False,
         dill_kwargs: Optional[dict] = None, storage_hints: Iterable[Tuple[Any, bool]] = (),
         custom_marshalers: Iterable[Callable] = ()) -> None:
    """Writes tree to target (path or binary file object) in the v1.2.0 layout.

    storage_hints: (obj, store_in_dataset) pairs matched by identity.
    custom_marshalers: callables obj -> (tag, converted) or None.
    """
    if py_to_np_types is None and not exact_python_numeric_types:
        py_to_np_types = (int, float, bool, complex)
    w = _Writer(py_to_np_types, allow_dill, dill_kwargs, storage_hints, custom_marshalers)
    with new_file(target) as f:
        w.store(f, tree, "JAXON_ROOT", "/")


def save_bytes(tree, **kw) -> bytes:
    """The v1.2.0 file image of tree, written through a BytesIO."""
    buf = io.BytesIO()
    save(buf, tree, **kw)
    return buf.getvalue()


def sample_tree(with_memoryview: bool = True):
    """A tree exercising most of the v1.2.0 layout that Python jaxon 1.2.0 also handles
    correctly (no B1-1 complex numbers, no 0-d arrays); for the interoperability tests.
    Big-endian arrays are left out: h5py (and so jaxon 1.2.0) reads attributes in native
    byte order, while the C loader keeps the file's order, as the original array had it."""
    shared_s, shared_a, shared_l = "shared", np.arange(3, dtype=np.int16), [1, "x"]
    tree = {
        "a": 1, "big": -(2**100), "b": "x", "e": "", "q": "it's a/b\\c:d", "u": "héllo",
        "c": [1.5, -0.0, float("inf"), None, ..., True, False, 1 + 2j, range(3),
              slice(1, None), range(2, 20, 3)],
        "arr": np.arange(5, dtype=np.int32), "m": np.array([[True, False]]),
        "f": np.linspace(0, 1, 4), "st": np.zeros(2, dtype=[("x", "<i4"),
                                                                         ("y", "c8")]),
        "t": (1, "s", ()), "s": {1, 2, "z"}, "fs": frozenset({"a"}), "bytes": b"ab\0",
        "ba": bytearray(b"q"), 1: "one", (1, 2): [3], "k\0": None, 2.5: b"x", None: "n",
        "f32": np.float32(1.5), "c64": np.complex64(1 + 1j),
        "b8": np.bool_(True), "u64": np.uint64(2**64 - 1), "x/y": {"z": [1]},
        "sh": [shared_s, shared_a, shared_l, shared_s, shared_a, shared_l],
        "nested": {"d": {"e": {"f": [[], {}, set()]}}},
    }
    if with_memoryview:
        tree["mv"] = memoryview(b"zz")
    return tree
