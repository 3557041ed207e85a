"""Files really go through the jaxon VOL connector, and HDF5 tools can read them through it."""

from __future__ import annotations

import os
import subprocess

import pytest

import jaxon
from jaxon import _jaxon


class TestConnector:
    def test_load_opens_files_through_the_jaxon_connector(self, h5path):
        jaxon.save(h5path, {"a": 1})
        assert _jaxon._connector_name(h5path) == "jaxon"

    def test_h5dump_through_the_connector_prints_the_file(self, h5path):
        h5dump = os.environ.get("JAXON_H5DUMP")
        if not h5dump:
            pytest.skip("JAXON_H5DUMP not set")
        jaxon.save(h5path, {"mylist": ["foo", "bar", 42]})
        env = dict(os.environ, HDF5_VOL_CONNECTOR="jaxon under_vol=0;under_info={}")
        r = subprocess.run([h5dump, "--enable-error-stack", h5path], capture_output=True,
                           text=True, env=env)
        assert r.returncode == 0, r.stderr
        assert "JAXON_ROOT" in r.stdout and "'foo'" in r.stdout

    def test_h5py_reads_jaxon_files(self, h5path):
        import h5py
        jaxon.save(h5path, {"x": [1, 2]})
        with h5py.File(h5path, "r") as f:
            assert f.attrs["JAXON_ROOT"] == b"dict"
            assert f["JAXON_ROOT"].attrs["'x'"] == b"list"
