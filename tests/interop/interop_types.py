"""Custom types shared by the interop generator and both jaxon implementations.

Importable as the top-level module ``interop_types`` (tests/interop on sys.path) in our
process and in the Python-jaxon subprocess, so qualnames written by one load in the other.
"""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass
class Point:
    x: Any
    y: Any


@dataclasses.dataclass(frozen=True)
class FrozenBox:
    content: Any
    label: Any = "box"


@dataclasses.dataclass
class Node:
    """A dataclass holding other custom objects (nested custom types)."""
    name: Any
    children: Any
    extra: Any = None


class Custom:
    """to_jaxon/from_jaxon custom type; to_jaxon returns a container (1.2.0 requires one)."""

    def __init__(self, value=None, items=None):
        self.value = value
        self.items = items

    def to_jaxon(self):
        return {"value": self.value, "items": self.items}

    def from_jaxon(self, d):
        self.value = d["value"]
        self.items = d["items"]

    def __eq__(self, other):
        return type(other) is Custom and other.__dict__ == self.__dict__

    __hash__ = None

    def __repr__(self):
        return f"Custom({self.value!r}, {self.items!r})"


CUSTOM_TYPES = (Point, FrozenBox, Node, Custom)


# Only for the documented exception "namedtuples": our writer tags them tuple#<qualname>,
# the Python readers cannot rebuild them (docs/compatibility.md).
import collections  # noqa: E402

Pair = collections.namedtuple("Pair", "a b")
