"""Writes the hostile-file corpus of tests/hostile/ (docs/security.md): one small file per
attack on jaxon.load, in both layouts where the attack applies, and MANIFEST.json with the
error each must load to (exception class and rule). Run from the repository root:

    .venv/bin/python tests/hostile/make_corpus.py

The files are written with h5py directly, the way the v1.2.0 and v2.x writers lay out their
nodes (fixed-length UTF-8 text attributes, groups tracking creation order; v2 containers
hold an empty float64 array). tests/python/test_load_safety.py loads every file.
"""

from __future__ import annotations

import json
import os
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
NESTING = 1000  # JX_MAX_NESTING (pybridge/src/ext.h)


def text(obj, name: str, value: str) -> None:
    b = value.encode("utf-8")
    obj.attrs.create(name, data=np.bytes_(b), dtype=h5py.string_dtype("utf-8", len(b)))


def group(parent, name: str):
    return parent.create_group(name, track_order=True)


def v1_file(path):
    return h5py.File(path, "w", track_order=True)


def v2_file(path):
    f = h5py.File(path, "w", track_order=True)
    text(f, "JAXON_VERSION", "2.1.0")
    return f


def v2_container(parent, slot: str, typeinfo: str):
    parent.attrs[f"{slot}:{typeinfo}"] = np.array([])
    return group(parent, slot)


# ---- code named by the file ------------------------------------------------------------


def v1_class_tag(path, tag):
    with v1_file(path) as f:
        text(f, "JAXON_ROOT", f"dict#{tag}")
        group(f, "JAXON_ROOT")


def v1_by_name(path, module, qualname):
    with v1_file(path) as f:
        text(f, "JAXON_ROOT", "dict")
        root = group(f, "JAXON_ROOT")
        text(root, "'act'", "tuple#jaxon-import")
        g = group(root, "'act'")
        text(g, "0", f"'{module}'")
        text(g, "1", f"'{qualname}'")


def v2_class_tag(path, kind, cls):
    with v2_file(path) as f:
        v2_container(f, "JAXON_ROOT", f"dict#{kind}[{cls}]")


# ---- resources -------------------------------------------------------------------------


def v1_nested(path, levels):
    with v1_file(path) as f:
        text(f, "JAXON_ROOT", "list")
        g = group(f, "JAXON_ROOT")
        for _ in range(levels - 1):
            text(g, "0", "list")
            g = group(g, "0")


def v2_nested(path, levels):
    with v2_file(path) as f:
        g = v2_container(f, "JAXON_ROOT", "list")
        for _ in range(levels - 1):
            g = v2_container(g, "0", "list")


def v2_forward_refs(path, n):
    """{'r': [ref to t[0], ..., ref to t[n-1]], 't': [0, ..., n-1]}: every reference is
    loaded before its target, which is then loaded on demand (Python jaxon 2.1.0: 0.8 s
    for 8,000)."""
    with v2_file(path) as f:
        root = v2_container(f, "JAXON_ROOT", "dict")
        r = v2_container(root, "'r'", "list")
        for i in range(n):
            text(r, str(i), f"/JAXON_ROOT/'t'/{i}")
        t = v2_container(root, "'t'", "list")
        for i in range(n):
            text(t, str(i), str(i))


def v2_deep_forward_ref(path, levels=NESTING):
    """Two subtrees nested `levels` deep; the deepest node of the first is a reference to
    the deepest node of the second, loaded on demand: the most C stack a valid file needs."""
    with v2_file(path) as f:
        root = v2_container(f, "JAXON_ROOT", "dict")
        deep = []
        for slot in ("'a'", "'b'"):
            g, elems = v2_container(root, slot, "list"), [slot]
            for _ in range(levels - 2):
                g = v2_container(g, "0", "list")
                elems.append("0")
            deep.append((g, elems))
        (ga, _), (gb, eb) = deep
        text(ga, "0", "/JAXON_ROOT/" + "/".join(eb) + "/0")
        text(gb, "0", "'deep'")


def v1_forward_ref(path):
    with v1_file(path) as f:
        text(f, "JAXON_ROOT", "dict")
        root = group(f, "JAXON_ROOT")
        text(root, "'r':ref", "/JAXON_ROOT/'t'")
        text(root, "'t'", "'target'")


def v2_ref_chain(path, n):
    """'r0' -> 'r1' -> ... -> 'r{n-1}' -> 0: each target loaded on demand by the previous."""
    with v2_file(path) as f:
        root = v2_container(f, "JAXON_ROOT", "dict")
        for i in range(n - 1):
            text(root, f"'r{i}'", f"/JAXON_ROOT/'r{i + 1}'")
        text(root, f"'r{n - 1}'", "0")


def v2_container_chain(path, n):
    """'r' -> list 'c1', whose item references list 'c2' -> ... -> 'c{n}' = [0]: n valid
    forward references (each target a container, never a reference), each target loaded
    on demand inside the previous one."""
    with v2_file(path) as f:
        root = v2_container(f, "JAXON_ROOT", "dict")
        text(root, "'r'", "/JAXON_ROOT/'c1'")
        for i in range(1, n + 1):
            c = v2_container(root, f"'c{i}'", "list")
            text(c, "0", f"/JAXON_ROOT/'c{i + 1}'" if i < n else "0")


def unallocated(path, layout, elements=300_000_000):
    """A chunked float64 dataset of `elements` items whose chunks were never written: a few
    KB of file declaring 2.4 GB."""
    open_file = v1_file if layout == 1 else v2_file
    with open_file(path) as f:
        if layout == 1:
            text(f, "JAXON_ROOT", "dict")
            root = group(f, "JAXON_ROOT")
            text(root, "'a'", "numpy.ndarray")
        else:
            root = v2_container(f, "JAXON_ROOT", "dict")
            root.attrs["'a':numpy.ndarray"] = np.array([])
        root.create_dataset("'a'", shape=(elements,), dtype="f8", chunks=(1 << 20,))


def sparse_deflate(path):
    """1 GiB of uint8 declared, one 1 MiB chunk of zeros written with deflate (~1 KB stored):
    the rest would be fill values."""
    with v1_file(path) as f:
        text(f, "JAXON_ROOT", "dict")
        root = group(f, "JAXON_ROOT")
        text(root, "'a'", "numpy.ndarray")
        d = root.create_dataset("'a'", shape=(1 << 30,), dtype="u1", chunks=(1 << 20,),
                                compression="gzip", compression_opts=9)
        d[: 1 << 20] = 0


def many_unallocated(path, count=100):
    """`count` chunked datasets of 8 MiB whose chunks were never written (~100 KB of file):
    each alone is within the fill-value allowance, all together 800 MiB."""
    with v1_file(path) as f:
        text(f, "JAXON_ROOT", "list")
        root = group(f, "JAXON_ROOT")
        for i in range(count):
            text(root, str(i), "numpy.ndarray")
            root.create_dataset(str(i), shape=(1 << 20,), dtype="f8", chunks=(1 << 16,))


def sparse_unfiltered(path):
    """64 MiB declared, one unfiltered 64 KiB chunk written: chunks without a filter hold
    exactly their bytes, the rest would be fill values (once accepted as if compressed)."""
    with v1_file(path) as f:
        text(f, "JAXON_ROOT", "dict")
        root = group(f, "JAXON_ROOT")
        text(root, "'a'", "numpy.ndarray")
        d = root.create_dataset("'a'", shape=(1 << 26,), dtype="u1", chunks=(1 << 16,))
        d[: 1 << 16] = 1


SEC = "JaxonSecurityError"
FMT = "JaxonFormatError"

CORPUS = [
    # name, writer, expected exception class, rule
    ("v1_class_tag_antigravity", lambda p: v1_class_tag(p, "antigravity.Cls"), SEC,
     "import-refused"),
    ("v1_class_tag_missing_module", lambda p: v1_class_tag(p, "jaxon_hostile_absent.sub.Cls"),
     SEC, "import-refused"),
    ("v2_dclass_antigravity", lambda p: v2_class_tag(p, "dclass", "antigravity.Cls"), SEC,
     "import-refused"),
    ("v2_jaxon_antigravity", lambda p: v2_class_tag(p, "jaxon", "antigravity.Cls"), SEC,
     "import-refused"),
    ("v1_import_node_antigravity", lambda p: v1_by_name(p, "antigravity", "fly"), SEC,
     "import-refused"),
    ("v1_import_node_os_system", lambda p: v1_by_name(p, "os", "system"), SEC,
     "callable-refused"),
    ("v1_import_node_eval", lambda p: v1_by_name(p, "builtins", "eval"), SEC,
     "callable-refused"),
    ("v1_import_node_dunder_import", lambda p: v1_by_name(p, "builtins", "__import__"), SEC,
     "callable-refused"),
    ("v1_import_node_popen", lambda p: v1_by_name(p, "subprocess", "Popen"), SEC,
     "callable-refused"),
    ("v1_import_node_numpy_load", lambda p: v1_by_name(p, "numpy", "load"), SEC,
     "callable-refused"),
    # a module is never walked into: numpy's os is not found (nothing is returned)
    ("v1_import_node_numpy_os_system", lambda p: v1_by_name(p, "numpy", "os.system"), FMT,
     "name-not-found"),
    ("v1_nested_1001", lambda p: v1_nested(p, NESTING + 1), FMT, "depth-limit"),
    ("v2_nested_1001", lambda p: v2_nested(p, NESTING + 1), FMT, "depth-limit"),
    ("v2_ref_chain_10000", lambda p: v2_ref_chain(p, 10_000), FMT, "ref-chain"),
    ("v1_forward_ref", v1_forward_ref, None, None),  # loads, as in Python 1.2.0 (spec §10.5)
    ("v1_unallocated_2g", lambda p: unallocated(p, 1), FMT, "declared-size"),
    ("v2_unallocated_2g", lambda p: unallocated(p, 2), FMT, "declared-size"),
    ("v1_sparse_deflate_1g", sparse_deflate, FMT, "declared-size"),
    ("v1_sparse_unfiltered_64m", sparse_unfiltered, FMT, "declared-size"),
    ("v1_many_unallocated_800m", many_unallocated, FMT, "declared-size"),
    # loads (timing tests): None = no error expected
    ("v2_forward_refs_16000", lambda p: v2_forward_refs(p, 16_000), None, None),
]


def main(out=HERE):
    manifest = {}
    for name, write, exc, rule in CORPUS:
        path = os.path.join(out, name + ".h5")
        write(path)
        manifest[name + ".h5"] = {"error": exc, "rule": rule}
    with open(os.path.join(out, "MANIFEST.json"), "w") as fh:
        json.dump(manifest, fh, indent=1, sort_keys=True)
        fh.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
