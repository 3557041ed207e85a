"""The `jaxon` command and jaxon.tree() (issue 13 item 2).

jaxon.tree() is checked against jaxon.load() of the same file: every node's kind, type,
key, value text, shape, dtype and size must describe the object the loader returns at that
path, and every reference must point at the very object it shares. The corpus: files saved
by us and by Python jaxon 1.2.0 and 2.1.0 (tests/interop/gen_trees.py hand corpus), plus
exact jax dtypes and an Equinox module. Then the command line (text, --json, PATH), the
promise of importing nothing the file names, the read volume on a 1 GiB file, hostile
input, and `jaxon validate` / `jaxon dump` against the tools they run.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import pathlib
import random
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import jaxon
from jaxon import _tree

REPO = pathlib.Path(__file__).resolve().parents[2]
INTEROP = REPO / "tests" / "interop"
RUNNER = INTEROP / "run_python_jaxon.py"
COMPAT = REPO / ".compat"

sys.path.insert(0, str(INTEROP))
from gen_trees import hand_corpus  # noqa: E402


def run_cli(*args, env=None, **kw):
    e = dict(os.environ if env is None else env)
    return subprocess.run([sys.executable, "-m", "jaxon", *map(str, args)], env=e,
                          capture_output=True, text=True, timeout=300, **kw)


# ---- the oracle: a tree node describes what load() returns --------------------------------

def check_node(node, obj, seen):
    """Asserts that node describes obj; records path -> obj in seen for the references."""
    seen[node.path] = obj
    assert node.kind != "invalid", f"{node.path}: {node.error}"
    if node.kind == "ref":
        return  # checked once every path is known
    if node.classes:
        tag = node.classes[-1]
        qual = tag[tag.index("[") + 1:-1] if tag.endswith("]") else tag
        assert qual == f"{type(obj).__module__}.{type(obj).__qualname__}", node.path
        if dataclasses.is_dataclass(obj):
            obj = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
        elif hasattr(obj, "to_jaxon"):
            obj = obj.to_jaxon()
        else:
            return
    if node.kind in ("dict", "list", "tuple", "set", "frozenset"):
        assert type(obj).__name__ == node.kind, node.path
        assert node.length == len(obj) == len(node.children), node.path
        if node.kind == "dict":
            for c, (k, v) in zip(node.children, obj.items()):
                if c.key_node is not None:
                    check_node(c.key_node, k, seen)
                else:
                    assert c.key == repr(k), (c.path, c.key, k)
                check_node(c, v, seen)
        elif node.kind in ("list", "tuple"):
            for i, (c, v) in enumerate(zip(node.children, obj)):
                assert c.key == i
                check_node(c, v, seen)
        return
    if node.kind == "atom":
        py_type = {"None": type(None), "ellipsis": type(...)}.get(node.type, node.type)
        assert type(obj).__name__ == getattr(py_type, "__name__", py_type), node.path
        if node.type == "str":
            assert node.length == len(obj)
            if len(obj) <= 60:
                assert node.value == repr(obj), node.path
            else:
                assert node.value.startswith(repr(obj)[:30]), node.path
        else:
            assert node.value == repr(obj), node.path
        return
    if node.kind == "scalar":
        assert node.dtype == np.dtype(type(obj)).name, node.path
        if node.dtype.startswith(("float", "complex")):
            got, want = complex(node.value), complex(obj)
            assert got == want or (math.isnan(got.real) and math.isnan(want.real)), node.path
        elif node.dtype == "bool":
            assert node.value == str(bool(obj))
        else:
            assert int(node.value) == int(obj)
        return
    assert node.kind == "data", node.path
    if node.type in ("numpy.ndarray", "jax.Array"):
        assert tuple(obj.shape) == node.shape, node.path
        assert str(obj.dtype) == node.dtype, node.path
        assert obj.nbytes == node.nbytes, node.path
    elif node.type in ("bytes", "bytearray", "memoryview"):
        assert type(obj).__name__ == node.type
        assert memoryview(obj).nbytes == node.nbytes, node.path
    else:
        assert type(obj).__module__ + "." + type(obj).__name__ == node.type, node.path


def check_file(path, **load_kw):
    root = jaxon.tree(path)
    obj = jaxon.load(path, **load_kw)
    seen = {}
    check_node(root, obj, seen)
    refs = [n for n in root.walk() if n.kind == "ref"]
    for r in refs:
        assert seen[r.path] is seen[r.same_as], f"{r.path} is not {r.same_as}"
        target = next(n for n in root.walk() if n.path == r.same_as)
        assert r.path in target.shared_with and r.shared_id == target.shared_id
    ids = [n.shared_id for n in root.walk() if n.shared_with]
    assert ids == list(range(1, len(ids) + 1))
    return root


# ---- corpus: our files and Python jaxon's -------------------------------------------------

@pytest.mark.parametrize("name", sorted(hand_corpus("ourw")))
def test_tree_describes_what_load_returns_for_our_files(name, tmp_path):
    f = tmp_path / f"{name}.h5"
    jaxon.save(f, hand_corpus("ourw")[name])
    root = check_file(f)
    assert root.layout == "1.2.0"


def their_env(version):
    # Python jaxon imports jax, which aborts with libasan preloaded (the sanitizer build):
    # their process runs uninstrumented; the tree of their files is still ours, under ASan
    env = {k: v for k, v in os.environ.items()
           if k not in ("HDF5_VOL_CONNECTOR", "HDF5_PLUGIN_PATH", "PYTHONPATH", "LD_PRELOAD",
                        "ASAN_OPTIONS")}
    env["PYTHONPATH"] = str(COMPAT / f"jaxon-{version}")
    env["JAX_PLATFORMS"] = "cpu"
    return env


@pytest.fixture(scope="module", params=["1.2.0", "2.1.0"])
def their_corpus(request, tmp_path_factory):
    version = request.param
    if not (COMPAT / f"jaxon-{version}" / "jaxon" / "__init__.py").exists():
        pytest.skip(f"Python jaxon {version} is not installed in .compat/")
    out = tmp_path_factory.mktemp(f"their-{version}")
    prof = "py1w" if version == "1.2.0" else "py2w"
    p = subprocess.run([sys.executable, str(RUNNER), "save-corpus", str(out), prof],
                       env=their_env(version), capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    files = [json.loads(line)["file"] for line in p.stdout.splitlines() if line.startswith("{")]
    assert len(files) >= 12
    return version, files


def test_tree_describes_what_load_returns_for_python_jaxon_files(their_corpus):
    version, files = their_corpus
    for f in files:
        root = check_file(f)
        assert root.layout == ("1.2.0" if version == "1.2.0" else version), f


def test_v2_dataclass_tags_and_shared_objects(their_corpus):
    version, files = their_corpus
    f = next(x for x in files if x.endswith("c_custom_shared.h5"))
    root = jaxon.tree(f)
    first = root.children[0]
    tag = "dclass[interop_types.Point]" if version.startswith("2") else "interop_types.Point"
    assert first.classes == (tag,)
    assert first.shared_with == ("root[1]", "root[2]['again']") and first.shared_id == 1
    assert root.children[1].same_as == "root[0]"
    text = _tree.render_text(root)
    assert "dataclass interop_types.Point" in text if version.startswith("2") else \
        "class interop_types.Point" in text
    assert "[shared #1, also at root[1], root[2]['again']]" in text
    assert "root[1]" in text and "-> #1 same as root[0]" in text


# ---- exact dtypes, Equinox ------------------------------------------------------------------

def test_exact_jax_dtypes_are_named_as_stored(tmp_path):
    jnp = pytest.importorskip("jax.numpy")
    f = tmp_path / "x.h5"
    jaxon.save(f, {"bf": jnp.ones((2, 3), jnp.bfloat16), "i4": jnp.arange(4, dtype=jnp.int4),
                   "f8": jnp.zeros(3, jnp.float8_e4m3fn), "f32": jnp.zeros(2, jnp.float32)})
    root = check_file(f)
    got = {c.key: (c.type, c.dtype, c.stored_dtype, c.shape, c.nbytes) for c in root}
    assert got == {
        "'bf'": ("jax.Array", "bfloat16", "float16 e8m7", (2, 3), 12),
        "'i4'": ("jax.Array", "int4", "int8 (4-bit precision)", (4,), 4),
        "'f8'": ("jax.Array", "float8_e4m3fn", "float8 e4m3", (3,), 3),
        "'f32'": ("jax.Array", "float32", None, (2,), 8),
    }


def test_v2_jax_dtype_argument_is_the_dtype(tmp_path):
    if not (COMPAT / "jaxon-2.1.0" / "jaxon" / "__init__.py").exists():
        pytest.skip("Python jaxon 2.1.0 is not installed in .compat/")
    f = tmp_path / "v2.h5"
    code = ("import sys, jax.numpy as jnp, jaxon; jaxon.save(sys.argv[1], "
            "{'bf': jnp.ones((2, 2), jnp.bfloat16), 'i4': jnp.arange(3, dtype=jnp.int4)})")
    p = subprocess.run([sys.executable, "-c", code, str(f)], env=their_env("2.1.0"),
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0 and "No module named 'jax'" in p.stderr:
        pytest.skip("jax is not importable")
    assert p.returncode == 0, p.stderr[-2000:]
    root = jaxon.tree(f)
    assert (root["bf"].dtype, root["bf"].stored_dtype, root["bf"].nbytes) == \
        ("bfloat16", "float32", 16)
    assert (root["i4"].dtype, root["i4"].stored_dtype) == ("int4", "int8")


def test_equinox_module(tmp_path):
    jax = pytest.importorskip("jax")
    eqx = pytest.importorskip("equinox")
    f = tmp_path / "m.h5"
    jaxon.save(f, {"model": eqx.nn.MLP(4, 2, 8, 2, key=jax.random.PRNGKey(0))})
    root = jaxon.tree(f)
    model = root["model"]
    assert model.classes == ("equinox.nn._mlp.MLP",)
    layer = model["layers"][0]
    assert layer.classes == ("equinox.nn._linear.Linear",)
    assert (layer["weight"].type, layer["weight"].dtype, layer["weight"].shape) == \
        ("jax.Array", "float32", (8, 4))
    text = _tree.render_text(root)
    assert "class equinox.nn._mlp.MLP (dict, 10 entries)" in text
    assert ("'activation': object jax._src.nn.functions.relu, stored by name "
            "(tuple#jaxon-import)") in text


# ---- API details ------------------------------------------------------------------------------

def test_fields_of_a_small_tree(tmp_path):
    f = tmp_path / "t.h5"
    big = np.zeros((300, 300), np.float32)
    jaxon.save(f, {"a": [1, "x" * 100], "n": np.float32(0.1), (1, 2): None, "big": big,
                   "s": {3}})
    root = jaxon.tree(f)
    assert (root.kind, root.path, root.key, root.length, root.location) == \
        ("dict", "root", None, 5, "/@JAXON_ROOT")
    a = root["a"]
    assert a.location == "/JAXON_ROOT@'a'" and a.storage == "group"
    assert a[1].value == repr("x" * 60)[:-1] + "…'" and a[1].length == 100
    assert (root["n"].kind, root["n"].type, root["n"].value) == ("scalar", "numpy.float32", "0.1")
    keyed = root.children[2]
    assert keyed.key_node.kind == "tuple" and keyed.key == "<key 2>"
    assert keyed.path == "root[<key 2>]" and keyed.value == "None"
    b = root["big"]
    assert (b.storage, b.shape, b.nbytes, b.dtype) == ("dataset", (300, 300), 360000, "float32")
    assert jaxon.tree(f, "root['a'][1]").length == 100
    assert jaxon.tree(f, "['a']").path == "root['a']"
    assert jaxon.tree(f, "root[(1, 2)]") is not None  # a composite key as printed
    assert jaxon.tree(f, "root[(1, 2)]").path == "root[<key 2>]"
    with pytest.raises(KeyError):
        jaxon.tree(f, "root['nope']")
    assert jaxon.tree(io.BytesIO(f.read_bytes())).to_dict() == root.to_dict()


# ---- the command line -----------------------------------------------------------------------

def test_cli_text_json_and_path(tmp_path):
    f = tmp_path / "c.h5"
    a = np.arange(3)
    jaxon.save(f, {"a": a, "b": [a, "shared text"], "c": 2.5})
    p = run_cli("tree", f)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == [
        f"{f}: Jaxon layout v1.2.0",
        "root: dict, 3 entries",
        "  'a': numpy.ndarray int64 (3,) 24 B  [shared #1, also at root['b'][0]]",
        "  'b': list, 2 items",
        "    [0]: -> #1 same as root['a']",
        "    [1]: str 'shared text'",
        "  'c': float 2.5",
    ]
    j = run_cli("tree", "--json", f)
    assert j.returncode == 0
    doc = json.loads(j.stdout)
    assert doc["layout"] == "1.2.0"
    assert doc["root"] == json.loads(json.dumps(jaxon.tree(f).to_dict()))
    sub = run_cli("tree", f, "root['b']")
    assert sub.stdout.splitlines()[1:] == [
        "root['b']: list, 2 items",
        "  [0]: -> #1 same as root['a']",
        "  [1]: str 'shared text'",
    ]
    bad = run_cli("tree", f, "root['zz']")
    assert bad.returncode == 2 and "no node at" in bad.stderr


def test_tree_imports_no_module_the_file_names(tmp_path):
    mod = tmp_path / "mods"
    mod.mkdir()
    marker = tmp_path / "imported"
    (mod / "jaxon_tree_probe_mod.py").write_text(textwrap.dedent(f"""
        import dataclasses, pathlib
        pathlib.Path({str(marker)!r}).write_text("imported")
        @dataclasses.dataclass
        class Probe:
            x: int
        """))
    f = tmp_path / "p.h5"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(mod), os.environ.get("PYTHONPATH")) if p))
    save = ("import sys, jaxon, jaxon_tree_probe_mod as m; "
            "jaxon.save(sys.argv[1], {'p': m.Probe(3)})")
    assert subprocess.run([sys.executable, "-c", save, str(f)], env=env).returncode == 0
    marker.unlink()
    check = ("import sys, jaxon; r = jaxon.tree(sys.argv[1]); "
             "print(r['p'].classes[0], 'jaxon_tree_probe_mod' in sys.modules)")
    p = subprocess.run([sys.executable, "-c", check, str(f)], env=env, capture_output=True,
                       text=True)
    assert p.stdout.split() == ["jaxon_tree_probe_mod.Probe", "False"], p.stderr
    cli = run_cli("tree", f, env=env)
    assert "class jaxon_tree_probe_mod.Probe (dict, 1 entry)" in cli.stdout
    assert not marker.exists()
    # the oracle is sound: a trusted load does import it (a default load refuses to)
    subprocess.run([sys.executable, "-c", "import sys, jaxon; jaxon.load(sys.argv[1], trusted=True)",
                    str(f)], env=env, check=True)
    assert marker.exists()


def rchar():
    with open("/proc/self/io") as fh:
        for line in fh:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


def test_tree_reads_under_1mb_of_a_1gib_file(tmp_path):
    f = tmp_path / "big.h5"
    # 8 arrays of 128 MiB each; broadcast views are copied one at a time by save
    arrays = {f"w{i}": np.broadcast_to(np.float32(i + 1), (32 << 20,)) for i in range(8)}
    try:
        jaxon.save(f, arrays)
        assert f.stat().st_size >= 1 << 30
        jaxon.tree(f)  # imports and first-use costs out of the way
        before = rchar()
        root = jaxon.tree(f)
        used = rchar() - before
        assert [c.nbytes for c in root] == [128 << 20] * 8
        assert used < 1 << 20, f"tree() read {used} bytes"
        # the counter sees reads of this file: 2 MiB of data counts as 2 MiB
        before = rchar()
        with open(f, "rb") as fh:
            fh.seek(1 << 29)
            fh.read(2 << 20)
        assert rchar() - before >= 2 << 20
    finally:
        f.unlink(missing_ok=True)


# ---- hostile input ----------------------------------------------------------------------------

def test_not_hdf5_truncated_missing_and_directory_exit_2(tmp_path):
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not an hdf5 file" * 100)
    good = tmp_path / "good.h5"
    jaxon.save(good, {"a": np.arange(100_000), "b": [1, 2]})
    trunc = tmp_path / "trunc.h5"
    data = good.read_bytes()
    for cut in (8, 600, 4000, len(data) // 2, len(data) - 1):
        trunc.write_bytes(data[:cut])
        p = run_cli("tree", trunc)
        assert p.returncode == 2, (cut, p.stdout, p.stderr)
        assert str(trunc) in p.stderr and "Traceback" not in p.stderr
    for bad in (junk, tmp_path / "missing.h5", tmp_path):
        p = run_cli("tree", bad)
        assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
        assert p.stderr.startswith("jaxon tree: error: ") and p.stdout == ""
    with pytest.raises(jaxon.JaxonFormatError, match="not an HDF5 file"):
        jaxon.tree(junk)


def test_plain_hdf5_and_broken_nodes(tmp_path):
    h5py = pytest.importorskip("h5py")
    plain = tmp_path / "plain.h5"
    with h5py.File(plain, "w") as h:
        h["x"] = np.arange(3)
    p = run_cli("tree", plain)
    assert p.returncode == 2 and "[root]" in p.stderr and "Traceback" not in p.stderr
    broken = tmp_path / "broken.h5"
    with h5py.File(broken, "w", track_order=True) as h:
        g = h.create_group("JAXON_ROOT", track_order=True)
        g.attrs["'ok'"] = np.bytes_(b"int(1)")
        g.attrs["'bad"] = np.bytes_(b"int(2)")
        g.attrs["'r':ref"] = np.bytes_(b"/JAXON_ROOT/'nowhere'")
        h.attrs["JAXON_ROOT"] = np.bytes_(b"dict")
    # h5py writes ASCII strings: make them the UTF-8 the layout requires by rewriting
    with h5py.File(broken, "r+") as h:
        for name in list(h["JAXON_ROOT"].attrs):
            v = h["JAXON_ROOT"].attrs[name]
            del h["JAXON_ROOT"].attrs[name]
            h["JAXON_ROOT"].attrs.create(name, v, dtype=h5py.string_dtype("utf-8", len(v)))
        v = h.attrs["JAXON_ROOT"]
        del h.attrs["JAXON_ROOT"]
        h.attrs.create("JAXON_ROOT", v, dtype=h5py.string_dtype("utf-8", len(v)))
    p = run_cli("tree", broken)
    assert p.returncode == 1, p.stderr
    lines = p.stdout.splitlines()
    assert "  'ok': int 1" in lines
    assert any("INVALID [slot-name]" in line for line in lines), lines
    assert any("INVALID [ref-target] no node at this path" in line for line in lines), lines
    root = jaxon.tree(broken)
    bad = [n for n in root.walk() if n.kind == "invalid"]
    assert {n.location for n in bad} == {"/JAXON_ROOT@'bad", "/JAXON_ROOT@'r':ref"}


def test_misplaced_children_are_flagged_in_place(tmp_path):
    h5py = pytest.importorskip("h5py")

    def text(v):
        return np.array(v.encode(), dtype=h5py.string_dtype("utf-8", len(v.encode())))

    f = tmp_path / "order.h5"
    with h5py.File(f, "w", track_order=True) as h:
        g = h.create_group("JAXON_ROOT", track_order=True)
        for name, value in (("0", "int(1)"), ("2", "int(2)"), ("1", "int(3)")):
            g.attrs.create(name, text(value))
        d = h.create_group("JAXON_ROOT/3", track_order=True)
        d.attrs.create("key(0)", text("'k'"))
        g.attrs.create("3", text("dict"))
        h.attrs.create("JAXON_ROOT", text("list"))
    p = run_cli("tree", f)
    assert p.returncode == 1
    lines = p.stdout.splitlines()
    assert lines[2:4] == ["  [0]: int 1", "  [1]: int 2  INVALID [index-order] list-like "
                          "children are numbered 0, 1, 2, … in creation order; expected 1: «2»"]
    assert lines[5].startswith("  [3]: dict, 1 entry")
    assert lines[6] == ("    <key 0>: str 'k'  INVALID [key-value] a key(i) is not followed by its "
                        "value(i)")


def test_deep_nesting_in_text_and_json(tmp_path):
    f = tmp_path / "deep.h5"
    code = ("import sys, jaxon\nx = 1\nfor _ in range(990): x = [x]\n"
            "jaxon.save(sys.argv[1], x)")
    subprocess.run([sys.executable, "-c", code, str(f)], check=True)  # fresh, shallow stack
    p = run_cli("tree", f)
    assert p.returncode == 0 and p.stdout.splitlines()[-1] == "  " * 990 + "[0]: int 1"
    j = run_cli("tree", "--json", f)
    assert j.returncode == 0, j.stderr[-300:]
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(5000)  # json.loads recurses per level as well
    try:
        node = json.loads(j.stdout)["root"]
    finally:
        sys.setrecursionlimit(limit)
    for _ in range(990):
        node = node["children"][0]
    assert node["value"] == "1"


def test_corrupted_files_never_crash(tmp_path):
    src = tmp_path / "src.h5"
    jaxon.save(src, {"a": [1, "two", {"three": np.arange(3)}], "b": (None, 2.5)})
    data = src.read_bytes()
    rng = random.Random(13)
    codes = set()
    for i in range(25):
        b = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            b[rng.randrange(min(len(b), 4096))] = rng.randrange(256)
        f = tmp_path / f"f{i}.h5"
        f.write_bytes(bytes(b))
        p = run_cli("tree", f)
        codes.add(p.returncode)
        assert p.returncode in (0, 1, 2), (i, p.returncode, p.stderr[-500:])
        assert "Traceback" not in p.stderr and "HDF5-DIAG" not in p.stderr, p.stderr[-500:]
    assert codes & {1, 2}  # the corruption was seen


# ---- validate, dump ------------------------------------------------------------------------------

def tool(var):
    path = os.environ.get(var)
    if not path or not os.path.exists(path):
        pytest.skip(f"{var} is not set to a built tool")
    return path


def test_validate_is_jaxon_validate(tmp_path):
    exe = tool("JAXON_VALIDATE")
    good = tmp_path / "good.h5"
    jaxon.save(good, {"a": 1})
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"x" * 100)
    for args in ([good], [good, junk], ["-q", good], [], ["--bogus"]):
        ours = run_cli("validate", *args)
        theirs = subprocess.run([exe, *map(str, args)], capture_output=True, text=True)
        assert (ours.returncode, ours.stdout, ours.stderr) == \
            (theirs.returncode, theirs.stdout, theirs.stderr), args
    assert run_cli("validate", good).returncode == 0
    assert run_cli("validate", good, junk).returncode == 2


def test_dump_runs_h5dump_through_the_connector(tmp_path):
    tool("JAXON_H5DUMP")
    f = tmp_path / "d.h5"
    jaxon.save(f, {"a": [1, 2]})
    p = run_cli("dump", f, "-A")
    assert p.returncode == 0, p.stderr
    # written by the connector (after the integrity record of spec §12), shown by it
    assert re.search(r'COMMENT "jaxon-crc32c=[0-9a-f]{8}; Jaxon layout v1\.2\.0', p.stdout)
    assert 'ATTRIBUTE "JAXON_ROOT"' in p.stdout
    assert p.stderr == ""
    assert run_cli("dump").returncode == 2
    # the connector is really in the way: it reports an invalid file, which is still dumped
    h5py = pytest.importorskip("h5py")
    with h5py.File(f, "r+") as h:
        h["JAXON_ROOT"].create_group("stray")
    p = run_cli("dump", f, "-A")
    assert p.returncode == 0 and 'GROUP "stray"' in p.stdout
    assert "[stray-object]" in p.stderr


def test_usage_errors_exit_2():
    assert run_cli().returncode == 2
    assert run_cli("tree").returncode == 2
    assert run_cli("frobnicate").returncode == 2
    assert run_cli("--help").returncode == 0
