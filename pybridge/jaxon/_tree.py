"""jaxon.tree(): what a Jaxon file holds, described from its metadata without loading it.

The walk is C (``_jaxon._tree``, pybridge/src/tree.c, on the layout validator's grammar);
this module holds the node class it fills, the PATH selection and the two renderings (text
for people, JSON for machines). Nothing here imports a module that the file names: class
tags are shown as the text stored in the file.
"""

from __future__ import annotations

import os
from typing import IO, Any, Dict, Iterator, List, Optional, Tuple, Union

from . import _jaxon

__all__ = ["TreeNode", "tree", "render_text", "to_json_dict"]

# Node kinds: the five containers, "atom" (a value stored as text: None, str, int, ...),
# "scalar" (a NumPy scalar stored as a number), "data" (arrays, bytes, dill blobs, NumPy
# str_/bytes_/void), "ref" (a later occurrence of a shared object) and "invalid" (a node
# that breaks a layout rule; error says which, location where).
CONTAINER_KINDS = ("dict", "list", "tuple", "set", "frozenset")


class TreeNode:
    """One node of a file's pytree, as stored (nothing is loaded or imported).

    kind: "dict", "list", "tuple", "set", "frozenset", "atom", "scalar", "data", "ref" or
      "invalid".
    type: the Python type the loader returns ("str", "int", "numpy.float32",
      "numpy.ndarray", "jax.Array", "bytes", ...); for containers the container kind.
    key: the key in the parent dict as Python shows it ("'a'", "3"), the index (int) in a
      list, tuple or set, None for the root. A dict key that is not a simple atom (a tuple,
      a long string in layout v2 ...) is stored as its own node: key_node.
    path: where the node is in the pytree, "root['a'][0]".
    location: where its attribute is in the HDF5 file, "<group>@<attribute name>".
    classes: class tags of dataclasses and custom types as the file stores them, innermost
      first: ("mymodule.Model",) in layout v1.2.0, ("dclass[mymodule.Model]",) in v2.
    dtype, shape, nbytes, storage: for data, the dtype the loader returns (exact dtypes
      such as bfloat16 by name), the shape (() for 0-d, None for a NULL dataspace), the
      size of the data in bytes, and "attribute" or "dataset". stored_dtype is the HDF5
      storage type when it differs from dtype (bfloat16 kept in float32 by layout v2).
      Containers have storage "group".
    value: a short text of an atom's or a scalar's value (strings abbreviated).
    length: number of children of a container, code points of a string.
    children: the child nodes in stored order (dict values; their keys in key / key_node).
    shared_with: paths of the references to this node (empty when it is not shared);
      shared_id numbers shared nodes 1, 2, ... in printing order, and a reference carries
      the id of its target. same_as: a reference's target path.
    error: "[rule] message: «text»" when the node breaks a layout rule: for kind "invalid"
      its content could not be read; other kinds are readable but misplaced (e.g. list
      items out of order, a key(i) without its value(i)).
    layout: the file's layout version ("1.2.0", "2.1.0") on the node tree() returned (the
      root, or the node PATH selected), else None.
    """

    __slots__ = (
        "kind", "type", "key", "key_node", "path", "location", "classes", "dtype",
        "stored_dtype", "shape", "nbytes", "storage", "value", "length", "children",
        "shared_with", "same_as", "shared_id", "error", "layout",
    )

    kind: str
    type: Optional[str]
    key: Union[str, int, None]
    key_node: Optional["TreeNode"]
    path: str
    location: Optional[str]
    classes: Tuple[str, ...]
    dtype: Optional[str]
    stored_dtype: Optional[str]
    shape: Optional[Tuple[int, ...]]
    nbytes: Optional[int]
    storage: Optional[str]
    value: Optional[str]
    length: Optional[int]
    children: Tuple["TreeNode", ...]
    shared_with: Tuple[str, ...]
    same_as: Optional[str]
    shared_id: Optional[int]
    error: Optional[str]
    layout: Optional[str]

    def __repr__(self) -> str:
        return f"<TreeNode {self.path}: {describe(self)}>"

    def __iter__(self) -> Iterator["TreeNode"]:
        return iter(self.children)

    def __len__(self) -> int:
        return len(self.children)

    def __getitem__(self, key: Union[int, str]) -> "TreeNode":
        """Child by list index, or by dict key as shown ("'a'", "3") or plain str ("a")."""
        if isinstance(key, int) and self.kind != "dict":
            return self.children[key]
        shown = key if isinstance(key, str) else repr(key)
        for c in self.children:
            if c.key == shown or (isinstance(key, str) and c.key == repr(key)):
                return c
        raise KeyError(key)

    def walk(self) -> Iterator["TreeNode"]:
        """This node and every node below it, depth first (dict keys before values)."""
        stack = [self]
        while stack:
            n = stack.pop()
            yield n
            kids = []
            for c in n.children:
                if c.key_node is not None:
                    kids.append(c.key_node)
                kids.append(c)
            stack.extend(reversed(kids))

    def to_dict(self) -> Dict[str, Any]:
        """The node and its subtree as JSON-ready dicts (what `jaxon tree --json` prints)."""
        return to_json_dict(self)


def tree(path_or_file: Union[str, "os.PathLike[str]", IO[bytes]],
         path: Optional[str] = None) -> TreeNode:
    """Describe the pytree stored in a Jaxon file without loading it.

    Reads only metadata (names, datatypes, shapes, small text and number values); array
    data is never read, and no module named by the file is imported. path selects a
    subtree by its pytree path as printed, e.g. "root['model'][0]" (the leading "root" may
    be left out). Layout violations become nodes of kind "invalid"; a file that is not
    HDF5 or holds no Jaxon tree raises JaxonFormatError.
    """
    root, version = _jaxon._tree(path_or_file, TreeNode)
    root.layout = version
    if not path:
        return root
    node = _select(root, path)
    node.layout = version
    return node


def _normalise(path: str) -> str:
    p = path.strip()
    if not p.startswith("root"):
        p = "root" + p
    return p


def _select(root: TreeNode, path: str) -> TreeNode:
    want = _normalise(path)
    node = root
    while node.path != want:
        nxt = None
        # an exact match first: a key text may be a prefix of another one's
        for exact in (True, False):
            for c in node.children:
                cands = [(c, c.path)]
                if c.key_node is not None:
                    cands.append((c.key_node, c.key_node.path))
                    pretty = _pretty_key(c.key_node)
                    if pretty is not None:  # the key as the text output shows it
                        alt = f"{node.path}[{pretty}]"
                        if want == alt or want.startswith((alt + "[", alt + "<")):
                            want = c.path + want[len(alt):]
                for cand, p in cands:
                    if want == p or (not exact and want.startswith((p + "[", p + "<"))):
                        nxt = cand
                        break
                if nxt is not None:
                    break
            if nxt is not None:
                break
        if nxt is None:
            raise KeyError(f"no node at {path!r} (paths look like root['a'][0])")
        node = nxt
    return node


# ---- rendering ---------------------------------------------------------------------------

def human_bytes(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        n /= 1024.0
        if n < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}"
    return f"{n} B"  # pragma: no cover


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _class_name(tag: str) -> Tuple[str, str]:
    """("dataclass"|"custom"|..., qualname) of one class tag."""
    for prefix, what in (("dclass[", "dataclass"), ("jaxon[", "custom")):
        if tag.startswith(prefix) and tag.endswith("]"):
            return what, tag[len(prefix):-1]
    if tag == "dill":
        return "dill", ""
    # layout v1.2.0 (and v2 custom marshaler tags) do not say which mechanism made it
    return "class", tag


def describe(n: TreeNode) -> str:
    """The one-line description of a node (without key and sharing marks)."""
    if n.kind == "invalid":
        return f"INVALID {n.error}"
    if n.kind == "ref":
        mark = f"#{n.shared_id} " if n.shared_id else ""
        return f"-> {mark}same as {n.same_as}"
    if n.kind in CONTAINER_KINDS:
        count = n.length or 0
        size = (_plural(count, "entry", "entries") if n.kind == "dict"
                else _plural(count, "item", "items"))
        if n.classes == ("jaxon-import",) and n.kind == "tuple" and len(n.children) == 2:
            # our writer's functions/classes/enum members by name (docs/layout.md)
            parts = [c.value[1:-1] for c in n.children
                     if c.type == "str" and c.value and c.value[0] in "'\"" and "…" not in c.value]
            if len(parts) == 2:
                return f"object {parts[0]}.{parts[1]}, stored by name (tuple#jaxon-import)"
        if n.classes:
            what, name = _class_name(n.classes[-1])
            chain = " <- ".join(reversed(n.classes[:-1]))
            fields = (_plural(count, "field", "fields") if n.kind == "dict"
                      and what == "dataclass" else size)
            extra = f", via {chain}" if chain else ""
            return f"{what} {name} ({n.kind}, {fields}{extra})"
        return f"{n.kind}, {size}"
    if n.kind == "atom":
        if n.type in ("None", "ellipsis", "range", "slice"):
            return n.value or n.type
        if n.value is None:  # a text too large to read
            return f"{n.type} ({human_bytes(n.nbytes or 0)}, not read)"
        text = f"{n.type} {n.value}"
        if n.type == "str" and n.length is not None and n.length > 60:
            text += f" ({n.length:,} chars)"
        return text
    if n.kind == "scalar":
        return f"{n.type} {n.value}" if n.value is not None else str(n.type)
    # data
    parts = [n.type or "data"]
    if n.classes:
        what, name = _class_name(n.classes[-1])
        parts[0] = f"{what} {name} ({n.type})" if name else f"{n.type} ({what})"
    if n.type in ("numpy.ndarray", "jax.Array", "memoryview", "numpy.void"):
        parts.append(str(n.dtype))
        if n.stored_dtype:
            parts[-1] += f" (stored as {n.stored_dtype})"
        if n.shape is not None:
            parts.append("(" + ", ".join(str(d) for d in n.shape)
                         + ("," if len(n.shape) == 1 else "") + ")")
    if n.nbytes is not None:
        parts.append(human_bytes(n.nbytes))
    if n.storage == "dataset":
        parts.append("[dataset]")
    return " ".join(parts)


def _pretty_key(k: TreeNode) -> Optional[str]:
    """A dict key stored as its own node, as Python shows it when it is short: a value, or
    a tuple or frozenset of a few values. None otherwise (the key is then printed as its own
    subtree)."""
    if k.kind in ("atom", "scalar"):
        return k.value
    if (k.kind in ("tuple", "frozenset") and len(k.children) <= 8
            and all(c.kind in ("atom", "scalar") and c.value is not None for c in k.children)):
        inner = ", ".join(str(c.value) for c in k.children)
        if k.kind == "tuple":
            return f"({inner}{',' if len(k.children) == 1 else ''})"
        return f"frozenset({{{inner}}})" if k.children else "frozenset()"
    return None


def _label(n: TreeNode, is_key: bool, top: bool = False) -> str:
    if n.key is None or top:
        return n.path
    if isinstance(n.key, int):
        return f"[{n.key}]"
    if is_key:
        return f"key {n.key}"
    if n.key_node is not None:
        pretty = _pretty_key(n.key_node)
        if pretty is not None:
            return pretty
    return str(n.key)


def render_text(root: TreeNode, indent: str = "  ") -> str:
    """The tree as indented text, one line per node. A dict key stored as its own node is
    shown as Python would show it when it is short ((0, 'fold')), else as its own subtree,
    "key <key i>", before its value "<key i>"."""
    out: List[str] = []
    stack: List[Tuple[TreeNode, int, bool]] = [(root, 0, False)]
    while stack:
        n, depth, is_key = stack.pop()
        line = f"{indent * depth}{_label(n, is_key, n is root)}: {describe(n)}"
        if n.error and n.kind != "invalid":
            line += f"  INVALID {n.error}"
        if n.shared_with:
            where = ", ".join(n.shared_with[:3])
            more = f" and {len(n.shared_with) - 3} more" if len(n.shared_with) > 3 else ""
            line += f"  [shared #{n.shared_id}, also at {where}{more}]"
        out.append(line)
        kids: List[Tuple[TreeNode, int, bool]] = []
        for c in n.children:
            if c.key_node is not None and _pretty_key(c.key_node) is None:
                kids.append((c.key_node, depth + 1, True))
            kids.append((c, depth + 1, False))
        stack.extend(reversed(kids))
    return "\n".join(out)


_FIELDS = ("kind", "type", "key", "path", "location", "classes", "dtype", "stored_dtype",
           "shape", "nbytes", "storage", "value", "length", "shared_with", "same_as",
           "shared_id", "error", "layout")


def to_json_dict(node: TreeNode) -> Dict[str, Any]:
    """node and its subtree as plain dicts: the node fields, key_node and children."""
    def one(n: TreeNode) -> Dict[str, Any]:
        d: Dict[str, Any] = {}
        for f in _FIELDS:
            v = getattr(n, f)
            if isinstance(v, tuple):
                v = list(v)
            d[f] = v
        d["key_node"] = None
        d["children"] = []
        return d

    top = one(node)
    stack = [(node, top)]
    while stack:
        n, d = stack.pop()
        if n.key_node is not None:
            kd = one(n.key_node)
            d["key_node"] = kd
            stack.append((n.key_node, kd))
        for c in n.children:
            cd = one(c)
            d["children"].append(cd)
            stack.append((c, cd))
    return top
