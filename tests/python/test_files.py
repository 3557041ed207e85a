"""Paths, os.PathLike and binary file objects; atomic replacement of existing files."""

from __future__ import annotations

import io
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import textwrap

import pytest

import jaxon
from conftest import assert_same


class TestTargets:
    def test_pathlike(self, tmp_path):
        p = tmp_path / "t.h5"
        jaxon.save(p, [1, "a"])
        assert_same(jaxon.load(p), [1, "a"])

    def test_temporary_file_object(self):
        # the product's documented example
        with tempfile.TemporaryFile() as f:
            jaxon.save(f, {"a": [1, 2]})
            assert_same(jaxon.load(f), {"a": [1, 2]})

    def test_bytesio_save_truncates_previous_content(self):
        f = io.BytesIO()
        jaxon.save(f, list(range(1000)))
        big = f.getbuffer().nbytes
        jaxon.save(f, [1])
        assert f.getbuffer().nbytes < big
        assert_same(jaxon.load(f), [1])

    def test_file_object_is_not_written_when_save_fails(self):
        f = io.BytesIO(b"previous")
        with pytest.raises(TypeError):
            jaxon.save(f, [object()])
        assert f.getvalue() == b"previous"

    def test_save_overwrites_existing_file(self, h5path):
        jaxon.save(h5path, "first")
        jaxon.save(h5path, "second")
        assert jaxon.load(h5path) == "second"


class TestAtomicSave:
    def test_failed_save_keeps_previous_file_and_leaves_no_temporary(self, h5path):
        jaxon.save(h5path, {"keep": "me"})
        with pytest.raises(TypeError):
            jaxon.save(h5path, {"keep": [1, 2, object()]})
        assert jaxon.load(h5path) == {"keep": "me"}
        assert os.listdir(os.path.dirname(h5path)) == [os.path.basename(h5path)]

    def test_killed_save_keeps_previous_file(self, h5path):
        jaxon.save(h5path, {"keep": "me"})
        script = textwrap.dedent(f"""
            import os, signal, jaxon
            class Bomb:
                pass
            # a huge tree; the process kills itself in the middle of the save via dill
            import dill
            class Killer:
                def __reduce__(self):
                    os.kill(os.getpid(), signal.SIGKILL)
            jaxon.save({h5path!r}, [list(range(2000)) for _ in range(20)] + [Killer()],
                       allow_dill=True)
        """)
        r = subprocess.run([sys.executable, "-c", script], env=os.environ.copy())
        assert r.returncode == -signal.SIGKILL
        assert jaxon.load(h5path) == {"keep": "me"}
