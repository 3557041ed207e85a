"""Regression cases of the differential test: tests/differential/cases/*.h5 + MANIFEST.json.

Each entry says what the file is and the verdict both sides must give:
  "accept"          jaxon.load loads it and jaxon-validate reports no violation
  "refuse:<rule>"   jaxon.load raises (no crash) and jaxon-validate reports <rule>
  "refuse"          both refuse, the validator with any rule (the rule is still to be named)
  "agree"           the two verdicts are equal, whichever it is (behaviour still to be
                    decided, spec §10.5)
"found" records what both sides said when the case was added.

make_known() writes the hand-made cases of issue 14 (python -m tests.differential make-known);
add_from_keep() adds the smallest example of each bucket of a run (`run --keep DIR`).
"""

from __future__ import annotations

import json
import os
import shutil
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "cases")
MANIFEST = os.path.join(CASES, "MANIFEST.json")
sys.path.insert(0, HERE)


def read_manifest() -> list[dict]:
    if not os.path.exists(MANIFEST):
        return []
    with open(MANIFEST) as f:
        return json.load(f)


def write_manifest(entries):
    entries = sorted(entries, key=lambda e: e["file"])
    with open(MANIFEST, "w") as f:
        json.dump(entries, f, indent=1, ensure_ascii=False)
        f.write("\n")


# ---- hand-made cases (issue 14's known disagreements) ------------------------------------

def _v1(path):
    import h5py
    return h5py.File(path, "w", track_order=True)


def _text(obj, name, text):
    from mutate import NewAttr
    NewAttr(name, text).create(obj)


def _dict_file(path, slots, tag="dict"):
    with _v1(path) as f:
        g = f.create_group("JAXON_ROOT", track_order=True)
        for name, text in slots:
            _text(g, name, text)
        _text(f, "JAXON_ROOT", tag)


def make_known() -> list[dict]:
    import h5py
    from h5py import h5g, h5p
    os.makedirs(CASES, exist_ok=True)
    made = []

    def case(name, what, expect):
        made.append({"file": name, "what": what, "expect": expect})
        return os.path.join(CASES, name)

    _dict_file(case("known_v1_key00.h5", "v1 dict slots key(00)/value(00) (leading zeros)",
                    "refuse:slot-name"), [("key(00)", "int(1)"), ("value(00)", "int(2)")])
    _dict_file(case("known_v1_list_5_zz.h5", "v1 list group whose children are named 5 and "
                    "'zz'", "refuse:index-order"), [("5", "int(1)"), ("'zz'", "int(2)")],
               tag="list")
    _dict_file(case("known_v1_keys_merge.h5", "v1 dict keys int(1), int(01), int(+1), "
                    "float(1.0), bool(True): equal values, distinct slots",
                    "refuse:slot-name"),
               [("int(1)", "int(1)"), ("int(01)", "int(2)"), ("int(+1)", "int(3)"),
                ("float(1.0)", "int(4)"), ("bool(True)", "int(5)")])
    _dict_file(case("known_v1_keys_merge_canonical.h5", "v1 dict keys int(1), float(1.0), "
                    "bool(True): canonical texts of equal keys; a dict keeps one entry, so "
                    "loading loses two (no writer makes this file)", "refuse"),
               [("int(1)", "int(1)"), ("float(1.0)", "int(4)"), ("bool(True)", "int(5)")])
    # a list group without attribute creation-order tracking: name order != creation order
    with _v1(case("known_v1_list_untracked.h5", "v1 list of 12 items in a group without "
                  "attribute creation-order tracking", "refuse:index-order")) as f:
        gid = h5g.create(f.id, b"JAXON_ROOT", gcpl=h5p.create(h5p.GROUP_CREATE))
        g = h5py.Group(gid)
        for i in range(12):
            _text(g, str(i), f"int({i})")
        _text(f, "JAXON_ROOT", "list")
    with _v1(case("known_two_roots.h5", "two root attributes on /", "refuse:root")) as f:
        _text(f, "JAXON_ROOT", "int(1)")
        f.attrs.create("JAXON_ROOT:numpy.ndarray", np.arange(3))
    with _v1(case("known_v1_soft_link_outside.h5", "a container's group is a soft link to a "
                  "group outside JAXON_ROOT", "refuse:stray-object")) as f:
        out = f.create_group("outside", track_order=True)
        _text(out, "0", "int(7)")
        g = f.create_group("JAXON_ROOT", track_order=True)
        g["'a'"] = h5py.SoftLink("/outside")
        _text(g, "'a'", "list")
        _text(f, "JAXON_ROOT", "dict")
    with h5py.File(case("known_v2_ref_outside.h5", "v2 reference /etc/passwd to an attribute "
                        "outside JAXON_ROOT", "refuse:ref-target"), "w", track_order=True) as f:
        _text(f, "JAXON_VERSION", "2.1.0")
        etc = f.create_group("etc", track_order=True)
        _text(etc, "passwd", "'secret'")
        g = f.create_group("JAXON_ROOT", track_order=True)
        _text(g, "'r'", "/etc/passwd")
        f.attrs.create("JAXON_ROOT:dict", np.zeros(0))
    _dict_file(case("known_v1_forward_ref.h5", "v1 reference to a node created later in "
                    "its group (spec §10.5: validator accepts, loader refuses)", "agree"),
               [("'a':ref", "/JAXON_ROOT/'b'"), ("'b'", "'target'")])
    for depth, expect in ((1000, "accept"), (1001, "refuse:container-group")):
        with _v1(case(f"known_v1_nested_{depth}.h5", f"v1 lists nested {depth} deep",
                      expect)) as f:
            chain = [f.create_group("JAXON_ROOT", track_order=True)]
            for _ in range(depth - 1):
                chain.append(chain[-1].create_group("0", track_order=True))
            _text(chain[-1], "0", "None")
            for parent in reversed(chain[:-1]):
                _text(parent, "0", "list")
            _text(f, "JAXON_ROOT", "list")
    return made


def make_keys_equal_by_value() -> list[dict]:
    """Hand-made cases of the open list's "keys equal by value through a reference" (session
    8): a dict key(i) that is a reference whose target equals another key of the dict. Both
    refuse with duplicate-slot; the NaN case loads (a NaN is no other NaN's key)."""
    import h5py
    made = []

    def case(name, what, expect="refuse:duplicate-slot"):
        made.append({"file": name, "what": what, "expect": expect})
        return os.path.join(CASES, name)

    def v2_dict(path, items):
        with h5py.File(path, "w", track_order=True) as f:
            _text(f, "JAXON_VERSION", "2.1.0")
            g = f.create_group("JAXON_ROOT", track_order=True)
            for name, value in items:
                if isinstance(value, str):
                    _text(g, name, value)
                elif isinstance(value, tuple):  # (data, dtype): the node's dataset
                    g.create_dataset(name.split(":")[0], data=value[0], dtype=value[1])
                    g.attrs.create(name, np.zeros(0))
                else:
                    g.attrs.create(name, value)
            f.attrs.create("JAXON_ROOT:dict", np.zeros(0))

    ref = "/JAXON_ROOT/'t'"
    v2_dict(case("found_s8_ref-np-int32-vs-int.h5", "hand-made (session 8): v2 key(2) is a "
                 "reference to np.int32(3), another key is the int 3"),
            [("'t'", np.int32(3)), ("3", "None"), ("key(2)", ref), ("value(2)", "None")])
    v2_dict(case("found_s8_ref-np-longdouble-vs-longdouble.h5", "hand-made (session 8): v2 "
                 "key(2) and key(3) are references to two np.longdouble(2**63 + 1) nodes "
                 "(one dict key: NumPy hashes both as the double 2**63)"),
            [("'t'", np.longdouble(2**63) + 1), ("'u'", np.longdouble(2**63) + 1),
             ("key(2)", ref), ("value(2)", "None"), ("key(3)", "/JAXON_ROOT/'u'"),
             ("value(3)", "None")])
    v2_dict(case("found_s8_ref-np-longdouble-vs-int.h5", "hand-made (session 8): v2 key(2) "
                 "is a reference to np.longdouble(2**63 + 1), another key the int 2**63 + 1: "
                 "equal values, but NumPy hashes the long double as the double 2**63, so the "
                 "dict keeps both", "accept"),
            [("'t'", np.longdouble(2**63) + 1), (str(2**63 + 1), "None"), ("key(2)", ref),
             ("value(2)", "None")])
    v2_dict(case("found_s8_ref-np-complex128-vs-float.h5", "hand-made (session 8): v2 key(2) "
                 "is a reference to np.complex128(-2.5+0j), another key the float -2.5"),
            [("'t'", np.complex128(-2.5)), ("-2.5", "None"), ("key(2)", ref),
             ("value(2)", "None")])
    v2_dict(case("found_s8_ref-np-float64-nan.h5", "hand-made (session 8): v2 key(2) is a "
                 "reference to np.float64(nan), another key the float nan: two NaN objects, "
                 "two keys", "accept"),
            [("'t'", np.float64("nan")), ("nan", "None"), ("key(2)", ref),
             ("value(2)", "None")])
    v2_dict(case("found_s8_ref-bytes-vs-np-bytes.h5", "hand-made (session 8): v2 key(2) is a "
                 "reference to bytes b'ab', key(1) is np.bytes_(b'ab')"),
            [("'t':bytes", (np.void(b"ab"), None)),
             ("key(1):numpy.bytes_", (np.bytes_(b"ab"), None)), ("value(1)", "None"),
             ("key(2)", ref), ("value(2)", "None")])
    with _v1(case("found_s8_ref-tuple-vs-tuple.h5", "hand-made (session 8): v1 key(2):ref is "
                  "a reference to the tuple (1, 'a'), key(1) the tuple (True, 'a')")) as f:
        g = f.create_group("JAXON_ROOT", track_order=True)
        for slot, first in (("'t'", "int(1)"), ("key(1)", "bool(True)")):
            t = g.create_group(slot, track_order=True)
            _text(t, "0", first)
            _text(t, "1", "'a'")
            _text(g, slot, "tuple")
            if slot == "key(1)":
                _text(g, "value(1)", "None")
        _text(g, "key(2):ref", ref)
        _text(g, "value(2)", "None")
        _text(f, "JAXON_ROOT", "dict")
    return made


# ---- regression cases from a run -----------------------------------------------------------

def add_from_keep(keep: str):
    """Copies the example of each bucket that a `run --keep KEEP` recorded into cases/."""
    from runner import A_ONLY
    entries = {e["file"]: e for e in read_manifest()}
    with open(os.path.join(keep, "buckets.json")) as f:
        buckets = json.load(f)
    for b in buckets:
        if b["direction"].startswith("not compared"):
            continue
        for e in b["by_kind"].values():  # the smallest file per bucket and mutation kind
            if not e.get("keep") or (e["size"] > 64 * 1024 and
                                     e["keep"] != b["example"]["keep"]):
                continue
            name = "found_" + os.path.basename(e["keep"])
            shutil.copyfile(e["keep"], os.path.join(CASES, name))
            rules = e["V"]["rules"]
            expect = f"refuse:{rules[0]}" if b["direction"] == A_ONLY and rules else "agree"
            entries[name] = {"file": name, "expect": expect,
                             "what": f"{b['direction']}: {b['detail']}; {e['writer']} file, "
                                     f"{e['desc'][:200]}",
                             "found": _found(e["A"], e["V"])}
    write_manifest(list(entries.values()))


def _found(a, v):
    load = "loads" if a["ok"] else (a.get("crash") or
                                    f"{a.get('exc')}: {a.get('msg', '')[:200]}")
    val = "ok" if v["ok"] else "; ".join(sorted(set(v["rules"]))) or v.get("error")
    return {"load": load, "validator": val}


def _open(e, a, v) -> bool:
    """Whether the case's disagreement is one of leniencies.OPEN."""
    import leniencies
    import runner
    what = e.get("what", "")
    writer = next((w for w in ("ours", "py1", "py2") if f"{w} file" in what), "")
    rec = {"A": a, "V": v, "kind": "mutant", "writer": writer, "desc": what}
    c = runner.classify(rec)
    return bool(c) and (leniencies.lenient(c, rec) or "").startswith("open: ")


def check_all(verbose=False) -> list[str]:
    """Checks every case against its expected verdict; returns the failures."""
    import verdicts
    entries = read_manifest()
    cli = os.environ.get("JAXON_VALIDATE")
    if not cli:
        from jaxon import _paths
        cli = _paths.hdf5_bin("jaxon-validate")
    paths = [os.path.join(CASES, e["file"]) for e in entries]
    vres = verdicts.validate_many(cli, paths) if paths else {}
    w = verdicts.LoadWorker()
    bad = []
    try:
        for e, p in zip(entries, paths):
            a, v = w.load(p), vres[p]
            exp = e["expect"]
            if a.get("crash"):
                ok = False
            elif exp == "accept":
                ok = a["ok"] and v["ok"]
            elif exp == "agree":
                ok = a["ok"] == v["ok"]
            elif exp == "refuse":
                ok = not a["ok"] and not v["ok"]
            else:
                ok = not a["ok"] and exp.split(":", 1)[1] in v["rules"]
            if not ok and _open(e, a, v):
                ok = True  # a known open disagreement (leniencies.OPEN), reported by runs
            if not ok:
                bad.append(f"{e['file']}: expected {exp}; load: {_found(a, v)['load']}; "
                           f"validator: {_found(a, v)['validator']}  ({e['what']})")
    finally:
        w.close()
    if verbose:
        print(f"{len(entries) - len(bad)}/{len(entries)} regression cases as expected")
        for b in bad:
            print("  " + b)
    return bad


if __name__ == "__main__":
    entries = {e["file"]: e for e in read_manifest()}
    for e in make_known() + make_keys_equal_by_value():
        entries[e["file"]] = {**entries.get(e["file"], {}), **e}
    write_manifest(list(entries.values()))
    print(f"{len(entries)} cases in {MANIFEST}")
