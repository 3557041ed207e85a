"""save(comm=...) / load(comm=...) with N MPI processes (JAXON_MPI_NP, default 2).

Each test starts `mpirun -np N worker.py SCENARIO OUTDIR` (real multi-process JAX on CPU,
one device per process) with a timeout, so a hang fails the test instead of stalling the
suite, and checks what every process reported plus the files left behind. Run through
CTest as py.mpi.np2 / py.mpi.np4 (run.sh), in the parallel variant's .venv-mpi. The checks
with h5py and Python jaxon 1.2.0 run in the serial .venv (a plain, serial HDF5 reader).
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

import jaxon

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
WORKER = HERE / "worker.py"
NP = int(os.environ.get("JAXON_MPI_NP", "2"))
SERIAL_PY = REPO / ".venv" / "bin" / "python"
COMPAT_120 = REPO / ".compat" / "jaxon-1.2.0"
TIMEOUT = 300  # seconds for one mpirun: a hang ends here, as a failure


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def mpirun(scenario: str, outdir: pathlib.Path) -> subprocess.CompletedProcess:
    cmd = ["mpirun", "-np", str(NP), "--oversubscribe"]
    if os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    cmd += [sys.executable, str(WORKER), scenario, str(outdir)]
    env = dict(os.environ, JAXON_TEST_JAX_PORT=str(free_port()), JAX_PLATFORMS="cpu",
               TF_CPP_MIN_LOG_LEVEL="3")
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, start_new_session=True)
    t0 = time.monotonic()
    try:
        out, _ = p.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        pytest.fail(f"{scenario} with {NP} processes did not finish in {TIMEOUT} s (a hang?):\n"
                    f"{out[-4000:]}")
    return subprocess.CompletedProcess(cmd, p.returncode, out + f"\n[{time.monotonic() - t0:.1f} s]",
                                       None)


def reports(outdir: pathlib.Path, run) -> list:
    got = []
    for r in range(NP):
        f = outdir / f"rank{r}.json"
        assert f.exists(), f"process {r} wrote no report:\n{run.stdout[-4000:]}"
        got.append(json.loads(f.read_text()))
    bad = [(r, g["error"]) for r, g in enumerate(got) if not g["ok"]]
    assert not bad, f"{bad}\n{run.stdout[-3000:]}"
    assert run.returncode == 0, run.stdout[-4000:]
    return got


def serial(code: str, *args: str, extra_path: str = "") -> str:
    """Runs code in the serial .venv (its own libhdf5, no MPI), returns stdout."""
    if not SERIAL_PY.exists():
        pytest.skip(f"the serial environment {SERIAL_PY} is not set up (scripts/setup.sh)")
    env = {k: v for k, v in os.environ.items()
           if k not in ("HDF5_VOL_CONNECTOR", "HDF5_PLUGIN_PATH", "PYTHONPATH")}
    env["JAX_PLATFORMS"] = "cpu"
    if extra_path:
        env["PYTHONPATH"] = extra_path
    if subprocess.run([str(SERIAL_PY), "-c", "import h5py"], env=env,
                      capture_output=True).returncode:
        pytest.skip(f"h5py is not installed in {SERIAL_PY} yet (scripts/setup.sh)")
    r = subprocess.run([str(SERIAL_PY), "-c", code, *args], env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout


def h5dump(path: pathlib.Path) -> str:
    from jaxon import _paths

    out = subprocess.run([_paths.hdf5_bin("h5dump"), str(path)], capture_output=True,
                         text=True, check=True).stdout
    return out.split("\n", 1)[1]  # the first line names the file


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    out = tmp_path_factory.mktemp(f"save{NP}")
    run = mpirun("sharded_save", out)
    return out, reports(out, run)


class TestShardedSave:
    def test_every_process_loads_the_values_serially(self, saved):
        pass  # the worker asserted it in every process (check_equal); reports() checked

    def test_same_tree_and_data_as_a_single_process_save(self, saved):
        out, _ = saved
        many, one = out / "many.h5", out / "one.h5"
        from jaxon._tree import render_text

        assert render_text(jaxon.tree(many)) == render_text(jaxon.tree(one))
        assert h5dump(many) == h5dump(one)  # every group, attribute, comment and value

    def test_h5py_reads_it_as_plain_arrays(self, saved):
        out, _ = saved
        code = ("import h5py, sys, hashlib\n"
                "def walk(name, obj):\n"
                "    if isinstance(obj, h5py.Dataset):\n"
                "        print(name, obj.dtype, obj.shape, hashlib.sha256(obj[()].tobytes()).hexdigest())\n"
                "for p in sys.argv[1:]:\n"
                "    with h5py.File(p, 'r') as f: f.visititems(walk)\n"
                "    print('--')\n")
        lines = serial(code, str(out / "many.h5"), str(out / "one.h5")).split("--\n")
        assert lines[0] == lines[1] and lines[0].count("\n") == 3  # w, bf16, rep

    def test_python_jaxon_1_2_0_loads_it(self, saved):
        out, _ = saved
        if not (COMPAT_120 / "jaxon" / "__init__.py").exists():
            pytest.skip(f"Python jaxon 1.2.0 is not installed in {COMPAT_120} (scripts/setup-compat.sh)")
        code = ("import sys, numpy as np, jaxon\n"
                "t = jaxon.load(sys.argv[1])\n"
                "v = np.load(sys.argv[2])\n"
                "p = t['params']\n"
                "assert np.array_equal(np.asarray(p['w']), v['w'])\n"
                "assert np.array_equal(np.asarray(p['small']), v['small'])\n"
                "assert np.array_equal(np.asarray(p['cols']), v['cols'])\n"
                "assert np.array_equal(np.asarray(t['rep']), v['rep'])\n"
                "assert t['step'] == 1200 and t['opt'] == {'lr': 0.001, 'name': 'adam'}\n"
                "print('ok')\n")
        assert serial(code, str(out / "many.h5"), str(out / "values.npz"),
                      extra_path=str(COMPAT_120)).strip().endswith("ok")

    def test_written_through_the_connector(self, saved):
        out, _ = saved
        assert 'COMMENT "Jaxon layout v1.2.0 (written through the jaxon VOL connector)"' \
            in h5dump(out / "many.h5")


def test_serial_save_then_sharded_load(tmp_path):
    got = reports(tmp_path, mpirun("sharded_load", tmp_path))
    for r, g in enumerate(got):
        # each process reads its rows (1/N of the array) plus metadata and module files
        assert g["read"] < g["array_bytes"] * (1 / NP + 0.25), (r, g)


def test_mismatched_trees_raise_in_every_process(tmp_path):
    t0 = time.monotonic()
    got = reports(tmp_path, mpirun("mismatch", tmp_path))
    assert time.monotonic() - t0 < TIMEOUT
    last = NP - 1
    for r, g in enumerate(got):
        e = g["errors"]
        assert all(e.values()), (r, e)  # every case raised in every process
        assert "root['step']" in e["leaf"] and "1200" in e["leaf"] and "1201" in e["leaf"], e
        assert f"process {last} has" in e["leaf"], e
        assert "root['opt']" in e["key"], e
        assert "root['np']" in e["small_numpy"], e
        if r == last:
            assert e["unsupported"].startswith("TypeError: cannot save root['step']"), e
        else:
            assert e["unsupported"].startswith("JaxonError") and f"process {last} of {NP}" in \
                e["unsupported"] and "root['step']" in e["unsupported"], e


def test_a_process_dying_mid_save_leaves_the_previous_file(tmp_path):
    run = mpirun("die", tmp_path)
    assert run.returncode != 0, run.stdout[-3000:]
    assert jaxon.load(tmp_path / "prev.h5") == {"old": 1}
    # the dead save's temporary file (named after process 0's pid) is removed by the next
    # save to the same target, once that process is gone (mpirun may return a little before
    # its processes are reaped)
    left = [n for n in os.listdir(tmp_path) if ".jaxon-tmp-" in n]
    for name in left:
        pid = int(name.rsplit("-", 2)[1])
        for _ in range(300):  # (a zombie still counts as alive for kill(pid, 0))
            if not os.path.exists(f"/proc/{pid}"):
                break
            time.sleep(0.1)
    jaxon.save(tmp_path / "prev.h5", {"new": 2})
    assert not [n for n in os.listdir(tmp_path) if ".jaxon-tmp-" in n]
    assert jaxon.load(tmp_path / "prev.h5") == {"new": 2}


def test_comm_must_be_an_mpi4py_communicator():
    with pytest.raises(TypeError, match="mpi4py communicator"):
        jaxon.save("/nonexistent/x.h5", {}, comm=object())
