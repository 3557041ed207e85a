"""Lazy leaves (load(lazy=True)) and placement on load (load(sharding=...)).

The C loader (pybridge/src/load_lazy.c) creates LazyArray proxies for dataset leaves and
calls the placer made here for jax leaves; reading is LazyFile.read in C (an HDF5
hyperslab). Index arithmetic lives here: it runs once per slice, not per element.
"""

from __future__ import annotations

import gc
import operator
from typing import Any, Callable, Optional, Tuple

import numpy as np

__all__ = ["LazyArray"]


def _basic_index(key: Any, shape: Tuple[int, ...]):
    """(start, count, step, post) for a basic index, or None for anything else (fancy).

    start/count/step describe a hyperslab with positive steps; post is the index that turns
    the hyperslab (an array of shape count) into numpy's result: it reverses negative
    steps, drops integer-indexed axes and inserts new axes.
    """
    if not isinstance(key, tuple):
        key = (key,)
    n_ellipsis = sum(1 for k in key if k is Ellipsis)
    if n_ellipsis > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = 0
    for k in key:
        if k is None or k is Ellipsis:
            continue
        if isinstance(k, slice):
            used += 1
            continue
        if isinstance(k, (bool, np.bool_)):
            return None
        try:
            operator.index(k)
        except TypeError:
            return None  # arrays, lists, LazyArrays...: fancy indexing
        used += 1
    if used > len(shape):
        raise IndexError(
            f"too many indices for array: array is {len(shape)}-dimensional, "
            f"but {used} were indexed")
    expanded = []
    for k in key:
        if k is Ellipsis:
            expanded.extend([slice(None)] * (len(shape) - used))
        else:
            expanded.append(k)
    if n_ellipsis == 0:
        expanded.extend([slice(None)] * (len(shape) - used))
    start, count, step, post = [], [], [], []
    axis = 0
    for k in expanded:
        if k is None:
            post.append(None)
            continue
        n = shape[axis]
        if isinstance(k, slice):
            a, b, s = k.indices(n)
            c = len(range(a, b, s))
            if s < 0 and c > 0:  # read ascending, reverse afterwards
                a, s = a + (c - 1) * s, -s
                post.append(slice(None, None, -1))
            else:
                post.append(slice(None))
            start.append(a if c > 0 else 0)
            count.append(c)
            step.append(s if s > 0 else 1)
        else:
            i = operator.index(k)
            if not -n <= i < n:
                raise IndexError(
                    f"index {i} is out of bounds for axis {axis} with size {n}")
            start.append(i % n)
            count.append(1)
            step.append(1)
            post.append(0)
        axis += 1
    if n_ellipsis:  # numpy gives an array, never a scalar, when an ellipsis is present
        post.append(Ellipsis)
    return tuple(start), tuple(count), tuple(step), tuple(post)


class LazyArray:
    """An array leaf of jaxon.load(..., lazy=True) that reads on demand.

    ``x[...]`` with basic indices (ints, slices with steps, Ellipsis, None) reads only the
    selected elements from the file (an HDF5 hyperslab); other indices (integer arrays,
    boolean masks) read the whole array and index it in memory. ``np.asarray(x)`` reads
    everything. ``x.load()`` gives what an eager load gives: a numpy array, or a jax.Array
    for a jax leaf (``x.is_jax``). Slicing a jax leaf gives numpy arrays.

    The proxy keeps the file open (shared by all proxies of one load) until the last proxy
    or memory-mapped array of the load is gone; replacing the path with jaxon.save does not
    change what the proxy reads.
    """

    __slots__ = ("_file", "_token", "shape", "dtype", "_file_dtype", "_raw", "is_jax",
                 "_jax_dtype", "_mapped", "__weakref__")

    def __init__(self, file, token: bytes, shape: Tuple[int, ...], dtype, raw: bool,
                 is_jax: bool, jax_dtype: Optional[str], mapped: Optional[np.ndarray]):
        self._file = file
        self._token = token
        self.shape = tuple(shape)
        self._file_dtype = np.dtype(dtype)  # what the file's bytes read as
        self.dtype = self._file_dtype
        if jax_dtype is not None:  # a v2 jax leaf records its jax dtype: reads convert
            import jax.numpy as jnp

            self.dtype = jnp.dtype(jax_dtype)
        self._raw = raw
        self.is_jax = is_jax
        self._jax_dtype = jax_dtype
        # a read-only map of the bytes when they lie contiguously in the file (jax leaves)
        self._mapped = mapped

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __repr__(self) -> str:
        kind = "jax.Array" if self.is_jax else "numpy.ndarray"
        return f"LazyArray(shape={self.shape}, dtype={self.dtype}, {kind})"

    def _read(self, start, count, step, use_map=True) -> np.ndarray:
        if self._mapped is not None and use_map:
            sel = tuple(slice(a, a + (c - 1) * s + 1, s) if c else slice(0, 0)
                        for a, c, s in zip(start, count, step))
            out = np.array(self._mapped[sel])
            if tuple(count) == self.shape and not any(start) and self.size:
                # a whole read: checked against the dataset's checksum (spec §12), as
                # LazyFile.read checks its whole reads; slices cannot be
                self._file.check(self._token, out.reshape(-1).view(np.uint8))
        else:
            out = self._file.read(self._token, self._file_dtype if self._raw else None, start,
                                  count, step)
        return out if out.dtype == self.dtype else out.astype(self.dtype)

    def __getitem__(self, key) -> np.ndarray:
        return self._get(key, True)

    def _get(self, key, use_map: bool) -> np.ndarray:
        # use_map=False reads through HDF5 into a new buffer even when the bytes are mapped:
        # placement copies slices to devices, and touching the map would add the file's
        # pages to the process's resident set on top of the device copies
        basic = _basic_index(key, self.shape)
        if basic is None:
            return np.asarray(self)[key]
        start, count, step, post = basic
        return self._read(start, count, step, use_map)[post]

    def __array__(self, dtype=None, copy=None):
        out = self._read((0,) * self.ndim, self.shape, (1,) * self.ndim)
        if dtype is not None and np.dtype(dtype) != out.dtype:
            out = out.astype(dtype)
        return out

    def load(self):
        """The whole array, as an eager load gives it (a jax.Array for jax leaves)."""
        arr = np.asarray(self)
        if not self.is_jax:
            return arr
        import jax.numpy as jnp

        return jnp.asarray(arr)


def _path_elem(k) -> Any:
    """A jax key-path entry as the element of a jaxon path (dict key, position, field)."""
    for attr in ("key", "idx", "name"):
        if hasattr(k, attr):
            return getattr(k, attr)
    raise TypeError(f"unsupported key path entry {k!r} in the sharding tree")


def _make_placer(spec) -> Callable:
    """load(sharding=spec) -> placer(src, path, jax_dtype) giving the placed jax.Array.

    spec: one Sharding for every jax leaf; a callable f(path, shape, dtype) -> Sharding |
    None; or a pytree whose leaves are Shardings or None, matched against the loaded tree
    by path: the entry at the longest prefix of a leaf's path applies (so a Sharding at
    ``{"params": s}`` covers everything under "params"), and leaves under no entry (or
    under None) stay on the default device.
    """
    import jax
    from jax.sharding import Sharding

    if isinstance(spec, Sharding):
        def resolve(path, shape, dtype):
            return spec
    elif callable(spec):
        resolve = spec
    else:
        flat, _ = jax.tree_util.tree_flatten_with_path(
            spec, is_leaf=lambda x: x is None or isinstance(x, Sharding))
        table = {}
        for kp, leaf in flat:
            path = tuple(_path_elem(k) for k in kp)
            if leaf is not None and not isinstance(leaf, Sharding):
                raise TypeError(
                    f"sharding: the entry at {path} is {type(leaf).__name__}, not a "
                    "jax.sharding.Sharding or None")
            table[path] = leaf
        if not table:
            raise TypeError("sharding: the pytree holds no Sharding")
        lengths = sorted({len(p) for p in table}, reverse=True)

        def resolve(path, shape, dtype):
            for n in lengths:
                if n <= len(path):
                    hit = table.get(tuple(path[:n]), _MISS)
                    if hit is not _MISS:
                        return hit
            return None

    def place(src, path, jax_dtype):
        import jax.numpy as jnp

        dtype = jnp.dtype(jax_dtype) if jax_dtype is not None else src.dtype
        shape = tuple(src.shape)
        sharding = resolve(path, shape, dtype)
        if sharding is None:
            host = np.asarray(src)
            return jnp.asarray(host, dtype=dtype)
        if not isinstance(sharding, Sharding):
            raise TypeError(f"load(sharding=...): the sharding for the jax array at {path} "
                            f"is {type(sharding).__name__}, not a jax.sharding.Sharding")
        try:
            index_map = sharding.addressable_devices_indices_map(shape)
        except Exception as e:
            raise ValueError(f"load(sharding=...): {sharding} does not fit the jax array at "
                             f"{path} (shape {shape}, dtype {dtype}): {e}") from e
        # each device reads its own slice; replicas of one slice share one host read, kept
        # only until its last replica is placed (peak host memory: about one slice)
        def key_of(index):
            return tuple((s.start, s.stop, s.step) if isinstance(s, slice) else s
                         for s in index)

        uses = {}
        for index in index_map.values():
            uses[key_of(index)] = uses.get(key_of(index), 0) + 1
        host_slices = {}
        pieces = []
        for device, index in index_map.items():
            key = key_of(index)
            host = host_slices.get(key)
            if host is None:
                host = src._get(index, False) if isinstance(src, LazyArray) else src[index]
                host = np.asarray(host)
                if host.dtype != dtype:
                    host = host.astype(dtype)
            uses[key] -= 1
            if uses[key]:
                host_slices[key] = host
            else:
                host_slices.pop(key, None)
            piece = jax.device_put(host, device)
            # the copy is asynchronous and keeps host alive until done: wait, so that host
            # memory holds one slice at a time rather than all of them
            piece.block_until_ready()
            pieces.append(piece)
            del host, piece
        out = jax.make_array_from_single_device_arrays(shape, sharding, pieces)
        if src.nbytes >= _RELEASE_BYTES:
            # XLA keeps the last host buffer it copied from until its garbage collection,
            # which jax runs from a Python gc callback: a young-generation collection hands
            # the slice back now instead of at some later collection
            gc.collect(0)
        return out

    return place


_MISS = object()
_RELEASE_BYTES = 16 << 20
