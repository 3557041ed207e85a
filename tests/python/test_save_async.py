"""save_async (host copies before returning, writes in a background thread, the atomic
replace) and progress reporting for save and save_async."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import jaxon
from conftest import needs_tiny_disk, run_on_tiny_disk, UNDER_ASAN, assert_same, validate


def tree_of(n_mib=8):
    rng = np.random.default_rng(0)
    return {"w": rng.standard_normal((n_mib * 1024, 128)),  # n_mib MiB of float64
            "opt": {"m": np.zeros((n_mib * 1024, 128)), "step": 3},
            "b": bytearray(b"x" * 100_000), "names": ["a", "b"], "small": np.arange(5)}


def test_round_trip_and_future_api(tmp_path):
    p = tmp_path / "a.h5"
    tree = tree_of()
    fut = jaxon.save_async(p, tree)
    assert isinstance(fut, jaxon.SaveFuture) and fut.path == str(p)
    assert fut.wait(timeout=120) is None
    assert fut.done() and fut.exception() is None and fut.result() is None
    validate(str(p))
    assert_same(jaxon.load(p), tree)


def test_caller_may_change_its_arrays_right_after_the_call(tmp_path):
    p = tmp_path / "a.h5"
    tree = tree_of()
    expect = {"w": tree["w"].copy(), "b": bytes(tree["b"])}
    fut = jaxon.save_async(p, tree)
    tree["w"][:] = -1.0  # before the background thread can have written it
    tree["b"][:] = b"y" * len(tree["b"])
    fut.wait()
    r = jaxon.load(p)
    assert np.array_equal(r["w"], expect["w"]) and bytes(r["b"]) == expect["b"]


def test_jax_arrays(tmp_path):
    jax = pytest.importorskip("jax")
    p = tmp_path / "j.h5"
    x = jax.numpy.arange(300_000, dtype=jax.numpy.float32).reshape(600, 500)
    tree = {"x": x, "k": jax.random.key(3)}
    jaxon.save_async(p, tree).wait()
    r = jaxon.load(p)
    assert isinstance(r["x"], jax.Array) and np.array_equal(np.asarray(r["x"]), np.asarray(x))


def test_a_failure_deep_in_the_tree_keeps_the_previous_file(tmp_path):
    p = tmp_path / "t.h5"
    jaxon.save(p, {"previous": 1})
    fut = jaxon.save_async(p, {"ok": np.zeros(100_000), "deep": [{"x": [object()]}]})
    with pytest.raises(TypeError, match=r"root\['deep'\]\[0\]\['x'\]\[0\]") as info:
        fut.wait()
    assert info.value.jaxon_path == str(p)
    assert any(str(p) in note for note in info.value.__notes__)
    assert fut.exception() is info.value
    assert jaxon.load(p) == {"previous": 1}
    assert sorted(os.listdir(tmp_path)) == ["t.h5"]


def test_file_objects_are_refused_through_the_future(tmp_path):
    import io

    fut = jaxon.save_async(io.BytesIO(), {"a": 1})
    with pytest.raises(TypeError, match="save_async.. needs a path"):
        fut.wait()


FULL_DISK = """
    import errno, os, sys, numpy as np, jaxon
    target = os.path.join(sys.argv[1], "x.h5")
    jaxon.save(target, {"previous": 1})
    fut = jaxon.save_async(target, {"big": np.ones(400_000)})  # 3.2 MB > the 1 MiB disk
    try:
        fut.wait()
    except OSError as e:  # (errno is not set for data writes, as with save)
        print("raised", isinstance(e, OSError), e.jaxon_path == target,
              jaxon.load(target), sorted(os.listdir(sys.argv[1])))
"""


@needs_tiny_disk
def test_a_full_disk_in_the_background_raises_from_wait_and_keeps_the_previous_file(tmp_path):
    r = run_on_tiny_disk(tmp_path, FULL_DISK)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "raised True True {'previous': 1} ['x.h5']", r.stdout + r.stderr


def test_the_background_thread_lets_the_caller_run(tmp_path):
    # the writes release the GIL: the caller's Python code keeps running meanwhile
    p = tmp_path / "a.h5"
    fut = jaxon.save_async(p, tree_of(64))
    ticks = 0
    while not fut.done():
        ticks += 1
        threading.Event().wait(0.001)
    fut.wait()
    # 128 MiB written and fsynced take hundreds of 1 ms ticks; a thread holding the GIL
    # through its C calls would leave the loop one or two
    assert ticks >= 5, ticks
    threading.Event().wait(0.5)
    assert all(not t.name.startswith("jaxon.save_async") for t in threading.enumerate())


# ---- progress ----------------------------------------------------------------------------


def dataset_bytes(tree):
    return tree["w"].nbytes + tree["opt"]["m"].nbytes + len(tree["b"])


@pytest.mark.parametrize("asynchronous", [False, True])
def test_progress_callback(tmp_path, asynchronous):
    p = tmp_path / "p.h5"
    tree = tree_of(100)  # 200 MiB in two datasets
    calls = []
    cb = lambda done, total: calls.append((done, total, threading.current_thread().name))
    if asynchronous:
        jaxon.save_async(p, tree, progress=cb).wait()
    else:
        jaxon.save(p, tree, progress=cb)
    total = dataset_bytes(tree)
    assert calls[0][:2] == (0, total) and calls[-1][:2] == (total, total)
    dones = [c[0] for c in calls]
    assert dones == sorted(dones) and all(c[1] == total for c in calls)
    # every 64 MiB (and at the ends), not per array or node
    assert 4 <= len(calls) <= total // (64 << 20) + 3
    assert all(c[2].startswith("jaxon.save_async") == asynchronous for c in calls)
    assert_same(jaxon.load(p), tree)


def test_progress_callback_exception_fails_the_save(tmp_path):
    p = tmp_path / "p.h5"
    jaxon.save(p, {"previous": 1})

    def cb(done, total):
        if done:
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        jaxon.save(p, tree_of(), progress=cb)
    assert jaxon.load(p) == {"previous": 1}
    assert sorted(os.listdir(tmp_path)) == ["p.h5"]


def test_progress_must_be_callable(tmp_path):
    with pytest.raises(TypeError, match="progress must be None, True or a callable"):
        jaxon.save(tmp_path / "p.h5", {}, progress="yes")


@pytest.mark.skipif(UNDER_ASAN, reason="runs a child interpreter")
def test_progress_true_shows_a_tqdm_bar_or_nothing(tmp_path):
    code = textwrap.dedent("""
        import sys, numpy as np, jaxon
        jaxon.save(sys.argv[1], {"a": np.zeros(10**6)}, progress=True)
        print(jaxon.load(sys.argv[1])["a"].shape)
    """)
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "p.h5")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout == "(1000000,)\n", r.stderr
    try:
        import tqdm  # noqa: F401
    except ImportError:
        assert r.stderr == ""  # no tqdm: no bar and no complaint
    else:
        assert "jaxon.save" in r.stderr and "7.63M" in r.stderr  # 8,000,000 B in KiB units


def test_jax_arrays_are_not_copied_again_and_stay_safe(tmp_path):
    # the host view of a jax array is private to the save (jax arrays are immutable), and
    # jax does not donate a buffer whose view the pending save holds
    jax = pytest.importorskip("jax")
    import tracemalloc

    p = tmp_path / "j.h5"
    x = jax.numpy.ones((2048, 1024), jax.numpy.float32)  # 8 MiB
    tracemalloc.start()
    fut = jaxon.save_async(p, {"x": x})
    copied = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    y = jax.jit(lambda a: a * 0 + 5, donate_argnums=0)(x)  # tries to reuse x's buffer
    fut.wait()
    assert copied < x.nbytes / 2  # NumPy copies are traced by tracemalloc; none of 8 MiB
    assert np.array_equal(np.asarray(jaxon.load(p)["x"]), np.ones((2048, 1024), np.float32))
    assert float(y[0, 0]) == 5.0


def test_numpy_arrays_are_copied(tmp_path):
    import tracemalloc

    a = np.ones((1024, 1024))  # 8 MiB
    tracemalloc.start()
    fut = jaxon.save_async(tmp_path / "n.h5", {"a": a})
    copied = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    fut.wait()
    assert copied >= a.nbytes
