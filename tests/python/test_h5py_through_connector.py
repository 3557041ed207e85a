"""h5py (built against the project's HDF5) with HDF5_VOL_CONNECTOR naming jaxon: a malformed
Jaxon layout is refused with our explanation, a valid one is written, and the tree of an
existing file is not changed behind the validator's back. HDF5 reads HDF5_VOL_CONNECTOR once
per process, so each case runs in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import jaxon

h5py = pytest.importorskip("h5py")

_ENV = dict(os.environ, HDF5_VOL_CONNECTOR="jaxon under_vol=0;under_info={}")

# Helpers shared by every snippet: text attributes as the v1.2.0 writer makes them, groups
# tracking attribute creation order, and each step's outcome as {"ok": ...} or {"error": ...}.
_PRELUDE = textwrap.dedent("""
    import json, sys
    import h5py, numpy as np

    def text(obj, name, value, cset="utf-8"):
        data = value.encode()
        obj.attrs.create(name, np.array(data, dtype=h5py.string_dtype(cset, len(data))))

    def group(parent, name):
        return parent.create_group(name, track_order=True)

    out = {}
    def step(key, fn):
        try:
            fn()
            out[key] = {"ok": True}
        except Exception as e:
            out[key] = {"error": str(e)}
""")


def run(body: str, *args) -> dict:
    code = _PRELUDE + textwrap.dedent(body) + "\nprint(json.dumps(out))\n"
    p = subprocess.run([sys.executable, "-c", code, *map(str, args)], env=_ENV,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    return {"out": json.loads(p.stdout.strip().splitlines()[-1]), "stderr": p.stderr}


class TestH5pyWrites:
    def test_a_malformed_layout_is_refused_with_our_explanation(self, h5path):
        r = run("""
            with h5py.File(sys.argv[1], "w", track_order=True) as f:
                g = group(f, "JAXON_ROOT")
                step("ascii", lambda: text(g, "0", "int(1)", cset="ascii"))
                step("bad_atom", lambda: text(g, "0", "int(1.5)"))
                step("missing", lambda: out.setdefault("exists", "0" in g.attrs))
                # h5py deleted the refused attribute again; the writer can go on
                step("retry", lambda: text(g, "0", "int(1)"))
                step("root", lambda: text(f, "JAXON_ROOT", "list"))
        """, h5path)
        ascii_err = r["out"]["ascii"]["error"]
        assert 'Jaxon layout violation at "/JAXON_ROOT@0" (rule value-type)' in ascii_err
        assert "UTF-8" in ascii_err
        atom_err = r["out"]["bad_atom"]["error"]
        assert "(rule atom-text)" in atom_err and 'offending text: "int(1.5)"' in atom_err
        # refused before it reached the file (the text), or taken back by h5py (the attribute)
        assert r["out"]["exists"] is False
        assert r["out"]["retry"] == {"ok": True} and r["out"]["root"] == {"ok": True}, r
        assert jaxon.load(h5path) == [1]

    def test_a_valid_layout_is_written_and_loads(self, h5path):
        r = run("""
            with h5py.File(sys.argv[1], "w", track_order=True) as f:
                def write():
                    g = group(f, "JAXON_ROOT")
                    text(g, "'a'", "int(1)")
                    lst = group(g, "'b'")
                    text(lst, "0", "'x'")
                    text(lst, "1", "float(2.5)")
                    text(g, "'b'", "list")
                    text(f, "JAXON_ROOT", "dict")
                step("write", write)
        """, h5path)
        assert r["out"]["write"] == {"ok": True}, r
        assert "jaxon:" not in r["stderr"]
        assert jaxon.load(h5path) == {"a": 1, "b": ["x", 2.5]}

    def test_the_tree_of_an_existing_file_cannot_be_changed(self, h5path):
        jaxon.save(h5path, {"a": 1, "b": [1, 2]})
        r = run("""
            with h5py.File(sys.argv[1], "r+") as f:
                g = f["JAXON_ROOT"]
                step("add_attr", lambda: text(g, "'c'", "int(3)"))
                step("add_group", lambda: g.create_group("'d'"))
                step("rewrite", lambda: g.attrs.modify("'a'", np.array(
                    b"int(2)", dtype=h5py.string_dtype("utf-8", 6))))
        """, h5path)
        for key in ("add_attr", "add_group", "rewrite"):
            err = r["out"][key]["error"]
            assert "(rule complete-tree)" in err and "opened for writing" in err, (key, err)
        # nothing reached the file, and closing it found nothing to complain about
        assert "jaxon:" not in r["stderr"], r["stderr"]
        assert jaxon.load(h5path) == {"a": 1, "b": [1, 2]}

    @pytest.mark.parametrize("open_check", ["on", "off"])
    def test_a_v2_tree_is_sealed_too(self, h5path, open_check):
        """A file of the v2.x layout (written natively here, as Python jaxon 2.x would) is
        recognised by JAXON_VERSION, with or without the whole-file check at open."""
        with h5py.File(h5path, "w", track_order=True) as f:
            def fls(obj, name, text):
                data = text.encode()
                obj.attrs.create(name, np.array(data, dtype=f"S{len(data)}"),
                                 dtype=h5py.string_dtype("utf-8", len(data)))
            fls(f, "JAXON_VERSION", "2.1.0")
            g = f.create_group("JAXON_ROOT", track_order=True)
            fls(g, "'a'", "1")
            f.attrs.create("JAXON_ROOT:dict", np.empty((0,), dtype=np.float64))
        env = dict(_ENV, HDF5_VOL_CONNECTOR=f"jaxon open_check={open_check};under_vol=0;"
                                            "under_info={}")
        code = _PRELUDE + textwrap.dedent("""
            with h5py.File(sys.argv[1], "r+") as f:
                step("add", lambda: text(f["JAXON_ROOT"], "'b'", "2"))
                step("version", lambda: f.attrs.modify("JAXON_VERSION", np.array(
                    b"2.2.0", dtype=h5py.string_dtype("utf-8", 5))))
            print(json.dumps(out))
        """)
        p = subprocess.run([sys.executable, "-c", code, h5path], env=env, capture_output=True,
                           text=True, timeout=300)
        assert p.returncode == 0, p.stderr[-3000:]
        out = json.loads(p.stdout.strip().splitlines()[-1])
        for key in ("add", "version"):
            assert "(rule complete-tree)" in out[key]["error"], (key, out[key])
        assert jaxon.load(h5path) == {"a": 1}
