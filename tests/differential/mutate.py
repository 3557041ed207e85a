"""HDF5-level mutations of valid Jaxon files (docs/differential.md), with h5py.

mutate(src, dst, seed) copies src to dst and applies ONE mutation chosen by random.Random(seed)
(the runner derives the seed from (run seed, file index)); the same src and seed always give
the same file. Returns a short description ("kind: detail") or raises NotApplicable when no
mutation of the drawn kind fits the file (the runner then draws again with another seed).

The mutations (KINDS) are name-level (renamed attributes: leading zeros, gaps, reordering,
unknown and misspelled tags, root names), value-level (atom texts, datatypes and dataspaces
of attributes), references (dangling, cyclic, forward, outside the tree, malformed) and
structural (links, stray objects, groups without creation-order tracking, deleted halves of
key/value pairs, nesting at and over the depth limit). Many of them produce valid files on
purpose (a different index typed validly, a retargeted reference, a deleted dict entry): the
test compares two verdicts, it does not expect a refusal.
"""

from __future__ import annotations

import random
import re
import shutil

import h5py
import numpy as np
from h5py import h5, h5a, h5g, h5p, h5s, h5t

CONTAINERS = ("dict", "list", "tuple", "set", "frozenset")
LISTLIKE = ("list", "tuple", "set", "frozenset")
V1_DATA_HINTS = ("numpy.ndarray", "jax.Array", "bytes", "bytearray", "memoryview")
V2_DATA_HEADS = ("numpy.ndarray", "numpy.str_", "numpy.bytes_", "numpy.void", "bytes",
                 "bytearray", "jax.Array")
ORDER = h5p.CRT_ORDER_TRACKED | h5p.CRT_ORDER_INDEXED
DEPTH_LIMIT = 1000  # the loader's nesting limit (docs/validation.md, depth-limit)


class NotApplicable(Exception):
    pass


# ---- reading the tree ---------------------------------------------------------------------

def split_name(name: str, v2: bool):
    """(slot, typehint) the way the readers split (spec §3.3, §4.3)."""
    if v2:
        for i in range(len(name) - 1, -1, -1):
            if name[i] == "'":
                return name, None
            if name[i] == ":":
                return name[:i], name[i + 1:]
        return name, None
    if name.endswith("'"):
        return name, None
    i = name.rfind(":")
    return (name, None) if i < 0 else (name[:i], name[i + 1:])


def tracked(obj) -> bool:
    return bool(obj.id.get_create_plist().get_attr_creation_order() & h5p.CRT_ORDER_TRACKED)


def attr_names(obj) -> list[str]:
    """Attribute names in the order every reader uses (creation order if tracked)."""
    names = []
    idx = h5.INDEX_CRT_ORDER if tracked(obj) else h5.INDEX_NAME
    h5a.iterate(obj.id, lambda n, *_: names.append(n), index_type=idx)
    return [n.decode("utf-8", "surrogateescape") for n in names]


def bname(name: str) -> bytes:
    return name.encode("utf-8", "surrogateescape")


def read_text(obj, name: str):
    """The text of a fixed-length string attribute (trailing NULs dropped), else None."""
    aid = h5a.open(obj.id, bname(name))
    tid = aid.get_type()
    if tid.get_class() != h5t.STRING or tid.is_variable_str():
        return None
    if aid.get_space().get_simple_extent_type() != h5s.SCALAR:
        return None
    buf = np.empty((), dtype=f"S{tid.get_size()}")
    aid.read(buf, mtype=tid)
    return bytes(buf.item()).decode("utf-8", "replace")


class Node:
    """One attribute of a Jaxon group: the node it stores and what it owns."""

    def __init__(self, gpath, hpath, name, pos, v2, text):
        self.gpath, self.hpath, self.name, self.pos = gpath, hpath, name, pos
        self.slot, self.hint = split_name(name, v2)
        self.text = text
        head = (self.hint or "").split("#")[0].split("[")[0].strip()
        if v2:
            self.tag = head if head in CONTAINERS else None
            self.dataset = head in V2_DATA_HEADS
            self.ref = self.hint is None and text is not None and text.strip().startswith("/")
        else:
            vhead = (text or "").split("#")[0]
            self.tag = vhead if self.hint is None and vhead in CONTAINERS else None
            self.dataset = self.hint is None and text is not None and (
                text in V1_DATA_HINTS or text.startswith("!"))
            self.ref = self.hint == "ref"
        self.owns = self.tag is not None or self.dataset  # a group or dataset named slot
        self.leaf = not self.owns and not self.ref
        self.group = None  # the Group of a container node


class Group:
    def __init__(self, path, hpath, node, names, is_tracked):
        self.path, self.hpath, self.node, self.names, self.tracked = (path, hpath, node, names,
                                                                      is_tracked)
        self.children: list[Node] = []

    @property
    def tag(self):
        return self.node.tag if self.node else None


class Tree:
    def __init__(self, f: h5py.File):
        self.f = f
        self.v2 = "JAXON_VERSION" in f.attrs
        self.nodes: list[Node] = []
        self.groups: list[Group] = []
        self.counter = 0
        root = Group("/", (), None, attr_names(f), tracked(f))
        self.groups.append(root)
        self._scan(root)

    def _scan(self, g: Group):
        obj = self.f[g.path]
        for pos, name in enumerate(g.names):
            if g.path == "/" and name == "JAXON_VERSION":
                continue
            n = Node(g.path, g.hpath, name, pos, self.v2, read_text(obj, name))
            self.nodes.append(n)
            g.children.append(n)
            n.done = 0
            if n.tag and n.slot in obj and isinstance(obj.get(n.slot, getlink=True),
                                                      h5py.HardLink):
                sub = obj[n.slot]
                if isinstance(sub, h5py.Group) and len(self.groups) < 5000:
                    path = sub.name
                    cg = Group(path, g.hpath + (n.slot,), n, attr_names(sub), tracked(sub))
                    n.group = cg
                    self.groups.append(cg)
                    self._scan(cg)
            n.done = self.counter  # the writers register a node when its attribute is
            self.counter += 1      # written: a container after its children

    def obj(self, node_or_path):
        return self.f[node_or_path if isinstance(node_or_path, str) else node_or_path.gpath]

    def ref_path(self, target: Node) -> str:
        if self.v2:
            return "/" + "/".join(target.hpath + (target.slot,))
        esc = lambda e: e.replace("\\", "\\\\").replace("/", "\\/")  # noqa: E731
        return "/" + "/".join(esc(e) for e in target.hpath + (target.name,))


# ---- rewriting attributes in place --------------------------------------------------------

class Attr:
    """A raw copy of an attribute: name, file datatype, dataspace, bytes."""

    def __init__(self, obj, name):
        aid = h5a.open(obj.id, bname(name))
        self.name, self.tid, self.sid = name, aid.get_type(), aid.get_space()
        self.buf = None
        if self.sid.get_simple_extent_type() != h5s.NULL:
            self.buf = np.empty(self.sid.shape, dtype=f"V{self.tid.get_size()}")
            aid.read(self.buf, mtype=self.tid)

    def create(self, obj):
        aid = h5a.create(obj.id, bname(self.name), self.tid, self.sid)
        if self.buf is not None:
            aid.write(self.buf, mtype=self.tid)


def text_spec(text: str | bytes, cset=h5t.CSET_UTF8, pad=h5t.STR_NULLPAD, vlen=False,
              extra=0, shape=None):
    data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
    data += b"\0" * extra
    if vlen:
        tid = h5t.C_S1.copy()
        tid.set_size(h5t.VARIABLE)
        tid.set_cset(cset)
        return tid, np.array(data, dtype=h5py.string_dtype("utf-8" if cset else "ascii")), shape
    tid = h5t.C_S1.copy()
    tid.set_size(max(len(data), 1))
    tid.set_strpad(pad)
    tid.set_cset(cset)
    return tid, np.array(data, dtype=f"S{max(len(data), 1)}"), shape


class NewAttr:
    """An attribute to create: text (FLS by default) or any NumPy data written by h5py."""

    def __init__(self, name, text=None, data=None, **kw):
        self.name, self.text, self.data, self.kw = name, text, data, kw

    def create(self, obj):
        if self.text is None:
            obj.attrs.create(self.name, self.data)
            return
        tid, arr, shape = text_spec(self.text, **self.kw)
        sid = h5s.create(h5s.SCALAR) if shape is None else h5s.create_simple(shape)
        aid = h5a.create(obj.id, bname(self.name), tid, sid)
        if tid.is_variable_str():
            aid.write(np.broadcast_to(arr.astype(object), shape or ()).copy(), mtype=tid)
        else:
            aid.write(np.broadcast_to(arr, shape or ()).copy(), mtype=tid)


def rewrite(obj, edit):
    """Deletes every attribute of obj and creates them again in reader order after
    edit(list of Attr) changed the list (rename, replace, drop, insert, reorder)."""
    attrs = [Attr(obj, n) for n in attr_names(obj)]
    attrs = edit(attrs)
    for n in attr_names(obj):
        h5a.delete(obj.id, bname(n))
    for a in attrs:
        a.create(obj)


def rename_attr(obj, old, new):
    def edit(attrs):
        for a in attrs:
            if a.name == old:
                a.name = new
        return attrs
    rewrite(obj, edit)


def replace_attr(obj, old, new_attr):
    rewrite(obj, lambda attrs: [new_attr if a.name == old else a for a in attrs])


def rename_node(t: Tree, n: Node, new_slot: str, new_hint="same"):
    hint = n.hint if new_hint == "same" else new_hint
    new = new_slot if hint is None else f"{new_slot}:{hint}"
    obj = t.obj(n)
    if new in obj.attrs and new != n.name:
        raise NotApplicable("name taken")
    if n.owns and n.slot != new_slot:
        if n.slot not in obj or new_slot in obj or "/" in n.slot + new_slot or not new_slot:
            raise NotApplicable("owned object cannot move")
        obj.move(n.slot, new_slot)
    rename_attr(obj, n.name, new)
    return new


def delete_owned(t: Tree, n: Node):
    obj = t.obj(n)
    if n.owns and n.slot in obj:
        del obj[n.slot]


# ---- text variants ------------------------------------------------------------------------

def text_variants(text: str, v2: bool) -> list[str]:
    """Edits of an atom text: non-canonical spellings of the same value, misspellings,
    broken syntax, whitespace, NULs."""
    out = [text + " ", " " + text, text + "\0x", text[:-1], text[1:], text.upper(),
           text + text[-1:], ""]
    if not v2:
        head, _, inner = text.partition("(")
        inner = inner[:-1] if inner.endswith(")") else inner
        if text.startswith("int("):
            out += [f"int(0{inner})", f"int(+{inner})", f"int( {inner})", f"int({inner}.0)",
                    f"int({inner}_0)", "int()", f"int({inner}", f"Int({inner})",
                    f"float({inner}.0)",
                    f"bool({bool(int(inner)) if inner.lstrip('-').isdigit() else True})"]
        elif text.startswith("float("):
            out += [f"float({inner}0)", f"float(0{inner})", f"float(+{inner})",
                    f"float({inner.upper()})", "float(NaN)", "float(infinity)", "float(-nan)",
                    "float(1.00)", "float(1e0)", "float(1.)", f"float({inner})x"]
        elif text.startswith("bool("):
            out += ["bool(true)", "bool(1)", "bool()", "bool(False )", "int(1)", "float(1.0)"]
        elif text.startswith("complex("):
            out += [f"complex(({inner}))", "complex()", "complex(2)", f"complex({inner.upper()})",
                    f"complex({inner}+0j)"]
        elif text.startswith("range("):
            out += [text.replace(",", ", "), text[:-1] + ",1)", "range(0)", "range(a,b)",
                    "range(1,2,0)"]
        elif text.startswith("slice("):
            out += [text.replace(",", ", "), "slice(None,2)", "slice(1.5,None,None)"]
        elif text.startswith("'"):
            out += ["'" + text, text[:-1] + "\\'", "'", "''" + text[1:], text.replace("'", '"')]
        elif text in ("None", "Ellipsis"):
            out += [text.lower(), "...", "'None'"]
        elif head in CONTAINERS or text in V1_DATA_HINTS:
            out += [text + "t", text.capitalize(), text + "#", text + "##x.Y", text + "#",
                    "dict", "list", "tuple", "frozenset", "numpy.ndarray", "bytes",
                    text + "#builtins.object"]
    else:
        out += ["0" + text, "+" + text, text + "_0", text.lower(), "'" + text, text + "'",
                text.replace("'", "\\'"), "True", "5", "1.0", "1+0j", "(1+2j)", "1e16",
                "1e+16", "nan", "-nan", "range(0,2)", "range(0, 2)", "'\\'", "'a\\'b'"]
    return [o for o in out if o != text]


# ---- mutations ----------------------------------------------------------------------------
# Each takes (t: Tree, r: Random) and returns a description, or raises NotApplicable.

def _pick(r, seq, what="target"):
    seq = list(seq)
    if not seq:
        raise NotApplicable(f"no {what}")
    return r.choice(seq)


def _listlike(t):
    return [g for g in t.groups if g.tag in LISTLIKE and g.children]


def _dicts(t):
    return [g for g in t.groups if g.tag == "dict" and g.children]


def m_index_rename(t, r):
    g = _pick(r, _listlike(t), "list group")
    n = _pick(r, g.children)
    i = n.slot
    new = r.choice(["0" + i, str(int(i) + len(g.children)) if i.isdigit() else i + "0",
                    "'zz'", "int(%s)" % i, "-" + i, "+" + i, " " + i, i + " ", i + ".0",
                    "0x" + i, "1_0", "\u0661", "None", "key(%s)" % i, "5", "99999"])
    return "index-rename: %r -> %r" % (n.name, rename_node(t, n, new))


def m_index_reorder(t, r):
    g = _pick(r, [g for g in _listlike(t) if len(g.children) >= 2], "list group")
    i, j = sorted(r.sample(range(len(g.names)), 2))
    if r.random() < 0.5:
        def edit(a):  # swap creation order, names unchanged
            a[i], a[j] = a[j], a[i]
            return a
        how = "order"
    else:
        def edit(a):  # swap the names, order unchanged (values stay in place)
            a[i].name, a[j].name = a[j].name, a[i].name
            return a
        how = "names"
        if g.children[i].owns or g.children[j].owns:
            raise NotApplicable("owned objects")
    rewrite(t.obj(g.path), edit)
    return f"index-reorder ({how}): {g.names[i]!r} <-> {g.names[j]!r} in {g.path}"


def m_pair_slot(t, r):
    g = _pick(r, [g for g in _dicts(t) if any(c.slot.startswith("key(") for c in g.children)],
              "dict with key(i)")
    k = _pick(r, [c for c in g.children if c.slot.startswith("key(")])
    i = k.slot[4:-1]
    v = next((c for c in g.children if c.slot == f"value({i})"), None)
    choice = r.randrange(6)
    if choice == 0:
        new = (f"key(0{i})", f"value(0{i})")
    elif choice == 1:
        new = (f"key({int(i) + 1})", f"value({int(i) + 1})")
    elif choice == 2:
        new = (f"key(0{i})", f"value({i})")
    elif choice == 3:
        new = (f"key({i})", f"value({int(i) + 1})")
    elif choice == 4:
        w = r.choice([f"key( {i})", f"key(+{i})", f"key({i}", f"Key({i})", f"keys({i})",
                      f"key({i})x", "key()", "key(x)", f"key[{i}]"])
        new = (w, f"value({i})")
    else:
        w = r.choice([f"value( {i})", f"value({i}", f"val({i})", f"value(+{i})"])
        new = (f"key({i})", w)
    done = [rename_node(t, k, new[0])]
    if v is not None:
        done.append(rename_node(t, v, new[1]))
    return f"pair-slot: {k.slot}/value({i}) -> {done}"


def m_pair_truncate(t, r):
    g = _pick(r, [g for g in _dicts(t) if any(c.slot.startswith(("key(", "value("))
                                             for c in g.children)], "dict with key(i)")
    n = _pick(r, [c for c in g.children if c.slot.startswith(("key(", "value("))])
    obj = t.obj(n)
    if r.random() < 0.5 or n.slot.startswith("key("):
        delete_owned(t, n)
        del obj.attrs[n.name]
        return f"pair-truncate: deleted {n.name!r}"
    # value(i) created before key(i)
    i = n.slot[6:-1]
    names = attr_names(obj)
    kname = next((x for x in names if split_name(x, t.v2)[0] == f"key({i})"), None)
    if kname is None:
        raise NotApplicable("no key")

    def edit(a):
        ki = [x.name for x in a].index(kname)
        vi = [x.name for x in a].index(n.name)
        a[ki], a[vi] = a[vi], a[ki]
        return a
    rewrite(obj, edit)
    return f"pair-swap: {n.name!r} before {kname!r}"


def m_key_atom(t, r):
    g = _pick(r, _dicts(t), "dict")
    n = _pick(r, [c for c in g.children if not c.slot.startswith(("key(", "value("))],
              "simple key")
    new = _pick(r, text_variants(n.slot, t.v2) + ["key(0)", "value(0)", "0", "JAXON_ROOT"])
    return "key-atom: %r -> %r" % (n.name, rename_node(t, n, new))


_EQUAL_KEYS_V1 = (("int(1)", "float(1.0)", "bool(True)", "int(01)", "int(+1)", "complex(1+0j)"),
                  ("int(0)", "float(0.0)", "bool(False)", "float(-0.0)", "int(-0)"),
                  ("'a'", "'a' ", " 'a'"))
_EQUAL_KEYS_V2 = (("1", "1.0", "True", "01", "+1", "1+0j", " 1"),
                  ("0", "0.0", "False", "-0.0", "-0"), ("'a'", " 'a'", "'a' "))


def m_key_merge(t, r):
    """Two slots of one dict whose keys are equal values written differently."""
    g = _pick(r, [g for g in _dicts(t)
                  if len([c for c in g.children if c.leaf and not c.slot.startswith(
                      ("key(", "value("))]) >= 2], "dict with two simple leaf entries")
    a, b = r.sample([c for c in g.children if c.leaf and not c.slot.startswith(
        ("key(", "value("))], 2)
    family = r.choice(_EQUAL_KEYS_V2 if t.v2 else _EQUAL_KEYS_V1)
    s1, s2 = r.sample(family, 2)
    tmp = rename_node(t, a, s1 + "\x01tmp")  # avoid clashes while renaming
    a.name, a.slot = tmp, s1 + "\x01tmp"
    n2 = rename_node(t, b, s2)
    n1 = rename_node(t, a, s1)
    return f"key-merge: {n1!r} and {n2!r} in {g.path}"


def m_hint(t, r):
    """Renames a node's typehint: misspelled, swapped, removed, or added."""
    n = _pick(r, [c for c in t.nodes if c.hint or c.leaf])
    if t.v2:
        choices = ["dictt", "Dict", "list#", "#", "dict#dclass[]", "dict#unknown_tag",
                   "jax.Array[float33]", "jax.Array", "numpy.ndarray[x]", "list[", "tuple",
                   "set", "bytes", "numpy.str_", "dict ", " dict", "#jaxon[a.b]",
                   (n.hint or "") + "#", (n.hint or "") + "x"]
    else:
        choices = ["numpy.ndarrayy", "Jax.Array", "ref ", "bytes", "bytearray", "memoryview",
                   "numpy.ndarray", "jax.Array", "!", "!x", "!builtins.int", "ref", "dict",
                   "", (n.hint or "") + "x", None]
    h = r.choice(choices)
    if h == n.hint:
        raise NotApplicable("same hint")
    return "hint: %r -> %r" % (n.name, rename_node(t, n, n.slot, h))


def m_value_text(t, r):
    n = _pick(r, [c for c in t.nodes if c.text is not None and not c.ref])
    new = _pick(r, text_variants(n.text, t.v2))
    replace_attr(t.obj(n), n.name, NewAttr(n.name, new))
    return f"value-text: {n.name!r} {n.text[:40]!r} -> {new[:40]!r}"


def m_text_type(t, r):
    """Same text, other HDF5 datatype or dataspace."""
    n = _pick(r, [c for c in t.nodes if c.text is not None])
    k = r.randrange(8)
    spec = [dict(cset=h5t.CSET_ASCII), dict(vlen=True), dict(vlen=True, cset=h5t.CSET_ASCII),
            dict(pad=h5t.STR_NULLTERM), dict(pad=h5t.STR_SPACEPAD), dict(extra=2),
            dict(shape=(1,)), dict(shape=(2,))][k]
    replace_attr(t.obj(n), n.name, NewAttr(n.name, n.text, **spec))
    return f"text-type: {n.name!r} {spec}"


def m_data_type(t, r):
    """A non-text attribute (number, array, bytes) gets another type/shape, or a text node
    gets a number."""
    obj_nodes = [c for c in t.nodes if c.text is None]
    if obj_nodes and r.random() < 0.7:
        n = r.choice(obj_nodes)
        a = Attr(t.obj(n), n.name)
        arr = t.obj(n).attrs[n.name]
        arr = np.asarray(arr)
        k = r.randrange(8)
        if k == 0:
            data = arr.reshape(-1)[:1].reshape(1) if arr.size else np.zeros(1, arr.dtype)
        elif k == 1:
            data = arr.reshape(()) if arr.size == 1 else (arr.reshape(-1)[0] if arr.size else
                                                          np.float64(0))
        elif k == 2:
            data = arr.astype(np.int8) if arr.dtype.kind in "biuf" else np.int8(1)
        elif k == 3:
            data = np.array(arr).astype(arr.dtype.newbyteorder(">")) if arr.dtype.kind in "iuf" \
                else np.uint16(3)
        elif k == 4:
            data = np.zeros((2, 2), dtype=np.uint8)
        elif k == 5:
            data = h5py.Empty(arr.dtype if arr.dtype.kind != "V" else np.float64)
        elif k == 6:
            data = np.array(1.5, dtype=np.float64)
        else:
            e = h5py.enum_dtype({"FALSE": 0, "TRUE": 1, "MAYBE": 2}, basetype=np.int8)
            data = np.array(1, dtype=e)
        del a
        replace_attr(t.obj(n), n.name, NewAttr(n.name, data=data))
        return f"data-type: {n.name!r} {arr.dtype}{arr.shape} -> variant {k}"
    n = _pick(r, [c for c in t.nodes if c.text is not None])
    data = r.choice([np.int64(1), np.float32(2.5), np.array([1, 2], dtype=np.uint8),
                     np.bool_(True), np.complex64(1j), np.array([], dtype=np.float64)])
    replace_attr(t.obj(n), n.name, NewAttr(n.name, data=data))
    return f"data-type: text {n.name!r} -> {type(data).__name__}"


def _make_ref(t, n, path):
    """Node n becomes a reference with this path text."""
    delete_owned(t, n)
    if t.v2:
        new_name = n.slot
    else:
        new_name = f"{n.slot}:ref"
    obj = t.obj(n)
    if new_name in obj.attrs and new_name != n.name:
        raise NotApplicable("name taken")
    replace_attr(obj, n.name, NewAttr(new_name, path))
    return new_name


def _referenceable(t, c):
    if c.ref:
        return False
    if t.v2:
        return c.owns or (c.text is not None and c.text.startswith("'") and len(c.text) >= 17)
    return c.owns or c.hint in V1_DATA_HINTS or (c.text is not None and c.text.startswith("'"))


def m_ref(t, r):
    k = r.randrange(9)
    nonroot = [c for c in t.nodes if c.hpath]
    n = _pick(r, [c for c in nonroot if c.ref] if k == 0 else nonroot, "node")
    if k == 0:  # edit an existing reference's path text
        new = _pick(r, [n.text + "x", n.text + "/", n.text[1:], n.text.replace("/", "//", 1),
                        n.text + "\\", n.text.rsplit(":", 1)[0], n.text.replace("\\/", "/")])
        replace_attr(t.obj(n), n.name, NewAttr(n.name, new))
        return f"ref-edit: {n.name!r} {n.text!r} -> {new!r}"
    if k == 1:  # to an enclosing container: a cycle
        anc = [g.node for g in t.groups if g.node and g.hpath and
               g.hpath == n.hpath[:len(g.hpath)]]
        target = _pick(r, anc, "ancestor")
        path = t.ref_path(target)
    elif k == 2:  # forward: a node completed later (not an ancestor)
        path = t.ref_path(_pick(r, [c for c in t.nodes if c.done > n.done and c.hpath and
                                    _referenceable(t, c) and not _encloses(c, n)],
                                "later node"))
    elif k == 3:  # outside the tree, or nowhere
        path = r.choice(["/etc/passwd", "/", "/JAXON_VERSION", "/JAXON_ROOT", "/x", "//",
                         "/JAXON_ROOT/'nope'", "JAXON_ROOT", "/JAXON_ROOT/", "/elsewhere"])
        if path == "/elsewhere":
            t.f.create_group("elsewhere", track_order=True)
            t.f["elsewhere"].attrs["'a'"] = np.bytes_(b"'x'")
            path = "/elsewhere/'a'"
    elif k == 4:  # to a reference
        path = t.ref_path(_pick(r, [c for c in t.nodes if c.ref and c is not n], "reference"))
    elif k == 5:  # to a copied value (number, None, range ...)
        path = t.ref_path(_pick(r, [c for c in t.nodes if c.leaf and c is not n and c.hpath
                                    and not _referenceable(t, c)], "copied value"))
    else:  # to an earlier referenceable node: a valid file (most of the time)
        target = _pick(r, [c for c in t.nodes if c.done < n.done and c.hpath and
                           _referenceable(t, c) and not _encloses(n, c)], "earlier node")
        path = t.ref_path(target)
        if k == 8:  # the v1 target without its typehint, the v2 one with a typeinfo
            path = path.rsplit(":", 1)[0] if not t.v2 else path + ":x"
    new = _make_ref(t, n, path)
    return f"ref-{k}: {n.name!r} -> {new!r} = {path!r}"


def _encloses(a: Node, b: Node) -> bool:
    """a is a container enclosing b (or b itself)."""
    return a is b or (a.tag is not None and b.hpath[:len(a.hpath) + 1] == a.hpath + (a.slot,))


def m_link(t, r):
    """A container's group replaced by a soft, hard or external link, or a stray link."""
    cs = [c for c in t.nodes if c.tag and c.group is not None and "/" not in c.slot]
    k = r.randrange(6)
    if k == 5:
        g = _pick(r, [g for g in t.groups if g.path != "/"] or t.groups)
        name = r.choice(["'stray'", "9", "link"])
        t.f[g.path][name] = h5py.SoftLink(r.choice(["/", "/JAXON_ROOT", "/nowhere"]))
        return f"stray-soft-link {g.path}/{name}"
    n = _pick(r, cs, "container")
    parent = t.obj(n)
    gpath = parent[n.slot].name
    if k == 0:  # moved outside the tree, soft link in its place
        t.f.move(gpath, "/outside")
        parent[n.slot] = h5py.SoftLink("/outside")
        return f"soft-link-outside {gpath}"
    if k == 1:  # soft link to another group of the same kind (or an ancestor)
        others = [c.group.path for c in cs if c is not n and c.tag == n.tag]
        target = _pick(r, others + ["/JAXON_ROOT"] if n.gpath != "/" else others)
        del parent[n.slot]
        parent[n.slot] = h5py.SoftLink(target)
        return f"soft-link {gpath} -> {target}"
    if k == 2:  # hard link to another container's group
        others = [c.group.path for c in cs if c is not n and c.tag == n.tag]
        target = _pick(r, others, "same-kind group")
        del parent[n.slot]
        parent[n.slot] = t.f[target]
        return f"hard-link {gpath} -> {target}"
    if k == 3:  # external link (to this very file's tree, or to a missing file)
        del parent[n.slot]
        parent[n.slot] = h5py.ExternalLink(r.choice(["missing.h5", t.f.filename]), gpath)
        return f"external-link {gpath}"
    # moved outside, soft link with a relative path
    t.f.move(gpath, "/outside")
    parent[n.slot] = h5py.SoftLink("../outside" if n.gpath != "/" else "outside")
    return f"soft-link-relative {gpath}"


def m_stray(t, r):
    k = r.randrange(7)
    g = _pick(r, t.groups)
    obj = t.f[g.path]
    if k == 0:
        obj.create_group("stray", track_order=True)
        return f"stray-group {g.path}"
    if k == 1:
        obj.create_dataset("'stray'", data=np.arange(3))
        return f"stray-dataset {g.path}"
    if k == 2:
        ds = [c for c in t.nodes if c.dataset and c.slot in t.obj(c)]
        n = _pick(r, ds, "dataset")
        t.obj(n)[n.slot].attrs[r.choice(["x", "JAXON_DTYPE", "'a'"])] = np.bytes_(b"float32")
        return f"dataset-attr {n.name!r}"
    if k == 3:  # a second root attribute
        name = r.choice(["JAXON_ROOT:ref", "JAXON_ROOT2", "JAXON_ROOT ", "JAXON_ROOT:dict",
                         " JAXON_ROOT", "JAXON_ROOTS"])
        if name in t.f.attrs:
            raise NotApplicable("exists")
        NewAttr(name, r.choice(["None", "int(1)", "/JAXON_ROOT", "dict", "1"])).create(t.f)
        return f"second-root {name!r}"
    if k == 4:  # the root renamed or deleted
        root = _pick(r, [c for c in t.nodes if not c.hpath and c.slot.strip() == "JAXON_ROOT"])
        new = r.choice(["JAXON_ROOTX", " JAXON_ROOT", "jaxon_root", "JAXON_ROOT:", None])
        if new is None:
            del t.f.attrs[root.name]
            return "root-deleted"
        rename_attr(t.f, root.name, new if ":" in new else
                    (new if root.hint is None else f"{new}:{root.hint}"))
        return f"root-renamed {new!r}"
    if k == 5:  # version marker added or removed
        if t.v2:
            del t.f.attrs["JAXON_VERSION"]
            return "version-removed"
        NewAttr("JAXON_VERSION", r.choice(["2.1.0", "1.2.0", ""])).create(t.f)
        rewrite(t.f, lambda a: sorted(a, key=lambda x: x.name != "JAXON_VERSION"))
        return "version-added"
    name = r.choice(["foo", "'extra'", "0", "key(99)"])
    if name in obj.attrs:
        raise NotApplicable("exists")
    obj.attrs[name] = np.int64(1)
    return f"stray-attr {g.path}@{name}"


def _recreate_group(t, path, order_flags):
    """The group at path, re-made with these attribute/link creation-order flags; children
    copied, attributes re-created in reader order."""
    old = t.f[path]
    parent = old.parent
    tmp = "__tmp_group__"
    gcpl = h5p.create(h5p.GROUP_CREATE)
    if order_flags:
        gcpl.set_attr_creation_order(order_flags)
        gcpl.set_link_creation_order(order_flags)
    new = h5py.Group(h5g.create(parent.id, tmp.encode(), gcpl=gcpl))
    for name in old:
        old.copy(name, new, name)
    for a in [Attr(old, n) for n in attr_names(old)]:
        a.create(new)
    base = path.rsplit("/", 1)[1]
    del parent[base]
    parent.move(tmp, base)


def m_untracked(t, r):
    g = _pick(r, [g for g in t.groups if g.path != "/" and g.children and "/" not in
                  g.node.slot], "container group")
    flags = r.choice([0, 0, 0, h5p.CRT_ORDER_TRACKED])
    _recreate_group(t, g.path, flags)
    return f"untracked-group ({flags}) {g.path} [{len(g.children)} children]"


def m_delete(t, r):
    n = _pick(r, [c for c in t.nodes if c.hpath])
    obj = t.obj(n)
    k = r.randrange(4)
    if k == 0 and n.owns and n.slot in obj:
        del obj[n.slot]
        return f"deleted-object of {n.name!r}"
    if k == 1 and n.owns:
        del obj.attrs[n.name]
        return f"deleted-attribute, object kept: {n.name!r}"
    delete_owned(t, n)
    del obj.attrs[n.name]
    return f"deleted-node {n.name!r}"


def m_deep(t, r):
    """A leaf of a list-like or dict group replaced by a chain of single-item lists whose
    innermost level is at, just below or just above the depth limit."""
    n = _pick(r, [c for c in t.nodes if c.leaf and c.hpath and c.text is not None
                  and "/" not in c.slot])
    depth = len(n.hpath)  # containers above n (the root container is level 1)
    total = DEPTH_LIMIT + r.choice((-1, 0, 1, 2))
    obj = t.obj(n)
    tag_attr = (lambda g, s: NewAttr(f"{s}:list", data=np.zeros(0))) if t.v2 else \
        (lambda g, s: NewAttr(s, "list"))
    # n becomes a list: n.slot group + chain
    g = obj.create_group(n.slot, track_order=True)
    chain = [g]
    for _ in range(max(total - depth - 1, 0)):
        chain.append(chain[-1].create_group("0", track_order=True))
    NewAttr("0", "None").create(chain[-1])
    for parent, child in zip(reversed(chain[:-1]), reversed(chain[1:])):
        tag_attr(parent, "0").create(parent)
    replace_attr(obj, n.name, tag_attr(obj, n.slot))
    return f"deep: {n.name!r} -> {total} levels"


KINDS = {  # name: (function, weight)
    "index-rename": (m_index_rename, 8), "index-reorder": (m_index_reorder, 5),
    "pair-slot": (m_pair_slot, 6), "pair-truncate": (m_pair_truncate, 4),
    "key-atom": (m_key_atom, 8), "key-merge": (m_key_merge, 5), "hint": (m_hint, 6),
    "value-text": (m_value_text, 12), "text-type": (m_text_type, 6),
    "data-type": (m_data_type, 6), "ref": (m_ref, 10), "link": (m_link, 4),
    "stray": (m_stray, 6), "untracked": (m_untracked, 4), "delete": (m_delete, 4),
    "deep": (m_deep, 1),
}


def mutate(src: str, dst: str, seed) -> str:
    r = random.Random(seed)
    names = list(KINDS)
    kind = r.choices(names, weights=[KINDS[k][1] for k in names])[0]
    shutil.copyfile(src, dst)
    with h5py.File(dst, "r+") as f:
        t = Tree(f)
        desc = KINDS[kind][0](t, r)
    return f"{kind}/{re.split(r'[:( ]', desc, 1)[0]}: {desc}"
