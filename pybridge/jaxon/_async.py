"""save_async: the pytree walk and the host copies in the caller's thread, the data writes
and the durable replace in a background thread (the C extension's SaveJob)."""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future
from typing import Any, Optional

from . import _jaxon


class SaveFuture(Future):
    """The handle of a save_async: a concurrent.futures.Future (done(), result(timeout),
    exception(timeout), add_done_callback) with wait(timeout) and the target path."""

    path: str

    def wait(self, timeout: Optional[float] = None) -> None:
        """Blocks until the file is in place; raises what the save raised (the exception
        carries the target path as .jaxon_path and in a note). TimeoutError if timeout
        seconds pass first (the save goes on)."""
        self.result(timeout)


def _annotate(exc: BaseException, path: str) -> BaseException:
    try:
        exc.jaxon_path = path  # type: ignore[attr-defined]
        exc.add_note(f"while saving {path!r} with jaxon.save_async")
    except (AttributeError, TypeError):  # exceptions without __dict__ or add_note
        pass
    return exc


def save_async(path: Any, pytree: Any, **kwargs: Any) -> SaveFuture:
    """Save like jaxon.save(path, pytree, **kwargs) without waiting for the disk.

    Before returning, in the caller's thread: the pytree is walked, the file's structure is
    created, and the data of every array stored in a dataset is copied to host memory that
    the save owns (jax arrays are transferred; NumPy arrays, bytearrays and memoryviews are
    copied, so the caller may change them right away). Then a background thread writes that
    data with the GIL released, fsyncs and renames the file over path (the same atomic
    replace as save: until then path keeps its previous file; after a failure too).
    Containers (dicts, lists, dataclass objects) are read during the call only.

    Returns a SaveFuture: wait() raises the save's exception (an unsupported object, a full
    disk ...), which carries the path. Keywords: those of save, progress included (called
    from the background thread). Only paths: file objects need save().
    """
    fut = SaveFuture()
    try:
        fut.path = os.fsdecode(os.fspath(path))
    except TypeError:
        fut.path = repr(path)
    try:
        job = _jaxon.save(path, pytree, _begin=True, **kwargs)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # noqa: BLE001 - delivered through the future
        fut.set_running_or_notify_cancel()
        fut.set_exception(_annotate(e, fut.path))
        return fut
    fut.set_running_or_notify_cancel()

    def run() -> None:
        try:
            job.run()
        except BaseException as e:  # noqa: BLE001 - delivered through the future
            fut.set_exception(_annotate(e, fut.path))
        else:
            fut.set_result(None)

    # not a daemon: an interpreter that exits waits for the file to be complete
    threading.Thread(target=run, name=f"jaxon.save_async({fut.path})").start()
    return fut
