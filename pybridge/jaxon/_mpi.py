"""save(..., comm=...) and load(..., comm=...): one Jaxon file from many MPI processes.

The C side (pybridge/src/save_mpi.c) does the HDF5 work; this module is the choreography
that every process of the communicator runs in the same order (docs/many-processes.md):

save
  1. plan: each process saves its pytree into a private in-memory file without array data
     (``_jaxon.save(..., _mpi=(1, handle))`` returns the file's bytes). Its hash is compared
     with one allreduce. Parallel HDF5 requires every process to make the same metadata
     calls; a difference found later, inside the collective write, would leave the other
     processes waiting for ever, so it is found here and raised in every process, naming
     the first differing path.
  2. write: ``_jaxon.save(..., _mpi=(2, handle))`` creates the shared temporary file through
     the MPI-IO driver, walks the tree again, writes each process's shards of the global
     jax.Arrays collectively and lets process 0 rename the file over the target.
load
  Every process opens the file on its own (read-only, no MPI-IO: reads need no
  coordination) and, with sharding=, reads only the slices of its own devices; comm makes
  a failure in one process an exception in all of them instead of a hang at the caller's
  next collective call.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any, List, Optional, Tuple

from . import _jaxon

_PLAN, _WRITE = 1, 2
_MASK = (1 << 64) - 1


def _check_comm(comm: Any, fn: str) -> None:
    if not (hasattr(comm, "py2f") and hasattr(comm, "Get_rank") and hasattr(comm, "Allreduce")):
        raise TypeError(f"{fn}(comm=...) takes an mpi4py communicator (mpi4py.MPI.Comm, e.g. "
                        f"MPI.COMM_WORLD), not {type(comm).__name__}")


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _raise_agreed(comm, err: Optional[BaseException], what: str) -> None:
    """Collective: if any process has an error, every process raises (the first failing
    process's own exception there, JaxonError naming it elsewhere)."""
    msgs = comm.allgather(None if err is None else _describe(err)[:2000])
    bad = [(r, m) for r, m in enumerate(msgs) if m is not None]
    if not bad:
        return
    if err is not None:
        raise err
    rank, msg = bad[0]
    raise _jaxon.JaxonError(f"{what} failed in process {rank} of {len(msgs)}: {msg}")


def save(path_or_file, pytree, *args, comm=None, **kwargs) -> None:
    """jaxon.save(path, pytree, ..., comm=comm): a collective save (see the module doc)."""
    if comm is None:
        return _jaxon.save(path_or_file, pytree, *args, **kwargs)
    _check_comm(comm, "save")
    if kwargs.get("_begin"):
        raise TypeError("save_async() does not take comm: a collective save writes in the "
                        "calling thread of every process (docs/many-processes.md)")
    if kwargs.get("progress") not in (None, False):
        raise TypeError("save(comm=...) does not report progress (progress=None)")
    if not isinstance(path_or_file, (str, bytes)) and not hasattr(path_or_file, "__fspath__"):
        raise TypeError("save(comm=...) needs a path (str or os.PathLike) that every process "
                        f"reaches, not {type(path_or_file).__name__}")
    handle = comm.py2f()
    image, err = None, None
    try:
        image = _jaxon.save(path_or_file, pytree, *args, _mpi=(_PLAN, handle), **kwargs)
    except Exception as e:  # every process must reach the allreduce below
        err = e
    _agree_plan(comm, image, err, path_or_file)
    _jaxon.save(path_or_file, pytree, *args, _mpi=(_WRITE, handle), **kwargs)


def _agree_plan(comm, image: Optional[bytes], err: Optional[BaseException], target) -> None:
    import numpy as np
    from mpi4py import MPI

    h = 0
    if image is not None:
        h = int.from_bytes(hashlib.blake2b(image, digest_size=8).digest(), "little")
    # one allreduce: any failure, the largest hash and the largest complement (the smallest
    # hash); all equal exactly when max == min
    v = np.array([0 if err is None else 1, h, h ^ _MASK], dtype=np.uint64)
    comm.Allreduce(MPI.IN_PLACE, v, op=MPI.MAX)
    if v[0]:
        _raise_agreed(comm, err, f"save(comm=...) of {target!r}")
    if int(v[1]) == int(v[2]) ^ _MASK:
        return
    # the slow path, only on a mismatch: compare with process 0's plan, node by node
    reference = comm.bcast(image if comm.Get_rank() == 0 else None, root=0)
    diff = None
    if comm.Get_rank() != 0:
        try:
            diff = _first_difference(reference, image)
        except Exception as e:  # the allgather below must be reached in every process
            diff = ("an unknown path", "its tree", f"a tree whose comparison failed ({e})")
    diffs = comm.allgather(diff)
    for rank, d in enumerate(diffs):
        if d is not None:
            path, theirs, mine = d
            raise _jaxon.JaxonError(
                f"save(comm=...) of {target!r}: the pytrees differ between processes at "
                f"{path}: process 0 has {theirs}, process {rank} has {mine}. Every process "
                "must pass the same tree; only the data of jax.Arrays spread over the "
                "processes may differ (docs/many-processes.md)")
    raise _jaxon.JaxonError(
        f"save(comm=...) of {target!r}: the pytrees differ between processes (their "
        "metadata hashes differ, but no differing node was found)")


def _nodes(image: bytes) -> List[Tuple[str, str]]:
    """(path, description) of every node of a plan image, in stored order."""
    from ._tree import tree

    out: List[Tuple[str, str]] = []
    stack = [tree(io.BytesIO(image))]
    while stack:
        n = stack.pop()
        out.append((n.path, _node_text(n)))
        stack.extend(reversed(n.children or ()))
    return out


def _node_text(n) -> str:
    classes = f" ({', '.join(n.classes)})" if n.classes else ""
    if n.kind in ("atom", "scalar"):
        return f"{n.type} {n.value}"
    if n.kind == "data":
        return f"{n.type} {n.dtype} {n.shape} in an {n.storage}"
    if n.kind == "ref":
        return f"a reference to {n.same_as}"
    if n.kind in ("dict", "list", "tuple", "set", "frozenset"):
        return f"a {n.type} of {n.length}{classes}"
    return f"{n.kind} {n.type}{classes}"


def _first_difference(reference: bytes, mine: bytes) -> Optional[Tuple[str, str, str]]:
    """(path, process 0's node, this process's node) of the first node that differs."""
    a, b = _nodes(reference), _nodes(mine)
    for (pa, da), (pb, db) in zip(a, b):
        if pa != pb:
            return (min(pa, pb), f"{pa}: {da}", f"{pb}: {db}")
        if da != db:
            return (pa, da, db)
    if len(a) != len(b):
        longer, which = (a, "0") if len(a) > len(b) else (b, "this")
        p, d = longer[min(len(a), len(b))]
        return (p, d if which == "0" else "nothing", "nothing" if which == "0" else d)
    if reference != mine:
        # same nodes, different bytes: the data of a small array kept in an attribute
        return _first_data_difference(reference, mine)
    return None


def _first_data_difference(reference: bytes, mine: bytes) -> Optional[Tuple[str, str, str]]:
    import numpy as np

    from . import load

    def walk(x, y, path):
        if isinstance(x, dict) and isinstance(y, dict):
            for (kx, vx), (_, vy) in zip(x.items(), y.items()):
                r = walk(vx, vy, f"{path}[{kx!r}]")
                if r:
                    return r
        elif isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
            for i, (vx, vy) in enumerate(zip(x, y)):
                r = walk(vx, vy, f"{path}[{i}]")
                if r:
                    return r
        elif hasattr(x, "shape") and hasattr(y, "shape"):
            ax, ay = np.asarray(x), np.asarray(y)
            if ax.tobytes() != ay.tobytes():
                return (path, f"array data {ax.ravel()[:4]}...", f"array data {ay.ravel()[:4]}...")
        return None

    try:
        return walk(load(io.BytesIO(reference), trusted=True),
                    load(io.BytesIO(mine), trusted=True), "root")
    except Exception:
        return None


def load(path_or_file, *args, comm=None, **kwargs) -> Any:
    """jaxon.load(path, ..., comm=comm, sharding=...): every process loads (with sharding=,
    only its devices' slices); a failure anywhere raises in every process."""
    if comm is None:
        return _jaxon.load(path_or_file, *args, **kwargs)
    _check_comm(comm, "load")
    result, err = None, None
    try:
        result = _jaxon.load(path_or_file, *args, **kwargs)
    except Exception as e:
        err = e
    _raise_agreed(comm, err, f"load(comm=...) of {path_or_file!r}")
    return result
