"""Custom types on save and load (spec §3.8, docs/layout.md "Custom types"): dataclasses,
to_jaxon/from_jaxon, custom (un)marshalers, namedtuples, objects stored by name, dill."""

from __future__ import annotations

import collections
import dataclasses
import enum
import sys
import warnings
from typing import NamedTuple

import numpy as np
import pytest

import jaxon
from conftest import assert_same, validate

THIS = sys.modules[__name__]


# ---- module-level types (qualnames must be importable) ----------------------------------


@dataclasses.dataclass
class Point:
    x: int
    y: float


@dataclasses.dataclass(frozen=True)
class Frozen:
    name: str
    values: tuple


@dataclasses.dataclass
class WithDefaults:
    a: int
    b: list = dataclasses.field(default_factory=lambda: [1, 2])
    c: str = "dflt"

    def __post_init__(self):  # must not run on load
        raise AssertionError("__post_init__ ran")


@dataclasses.dataclass
class Nested:
    inner: Point
    items: list


@dataclasses.dataclass
class Evolving:
    keep: int
    old: int


class Outer:
    @dataclasses.dataclass
    class Inner:
        v: int

        @dataclasses.dataclass
        class Deeper:
            w: str


class Celsius:
    """to_jaxon/from_jaxon (from_jaxon is an instance method called on cls.__new__(cls))."""

    def __init__(self, t):
        self.t = t

    def to_jaxon(self):
        return {"t": self.t}

    def from_jaxon(self, d):
        self.t = d["t"]

    def __eq__(self, other):
        return type(other) is Celsius and other.t == self.t


class Wrapper:
    """to_jaxon returns another custom object: a chain Wrapper -> Celsius -> dict."""

    def __init__(self, c):
        self.c = c

    def to_jaxon(self):
        return self.c

    def from_jaxon(self, c):
        assert type(c) is Celsius
        self.c = c


class Opaque:
    def __init__(self, v):
        self.v = v


class Pair(NamedTuple):
    left: int
    right: str


Coord = collections.namedtuple("Coord", "x y")


class Color(enum.Enum):
    RED = 1
    GREEN = 2


# ---- dataclasses ------------------------------------------------------------------------


class TestDataclasses:
    def test_plain(self, roundtrip):
        out = roundtrip({"p": Point(1, 2.5)})
        assert type(out["p"]) is Point and out["p"] == Point(1, 2.5)

    def test_frozen(self, roundtrip):
        out = roundtrip(Frozen("n", (1, "two")))
        assert type(out) is Frozen and out == Frozen("n", (1, "two"))
        with pytest.raises(dataclasses.FrozenInstanceError):
            out.name = "x"

    def test_nested(self, roundtrip):
        tree = Nested(Point(1, 2.0), [Point(3, 4.0), Frozen("f", ())])
        out = roundtrip(tree)
        assert out == tree and type(out.items[1]) is Frozen

    def test_post_init_is_not_run(self, roundtrip):
        obj = WithDefaults.__new__(WithDefaults)
        object.__setattr__(obj, "a", 1)
        object.__setattr__(obj, "b", [7])
        object.__setattr__(obj, "c", "z")
        out = roundtrip(obj)
        assert (out.a, out.b, out.c) == (1, [7], "z")

    def test_numpy_fields(self, roundtrip):
        out = roundtrip(Point(np.arange(5), np.float32(1.5)))
        assert_same(out.x, np.arange(5))
        assert_same(out.y, np.float32(1.5))

    def test_shared_instance_loads_as_one_object(self, roundtrip):
        p = Point(1, 2.0)
        out = roundtrip({"a": p, "b": p, "c": [p]})
        assert out["a"] is out["b"] and out["c"][0] is out["a"]

    def test_shared_frozen_as_dict_key(self, roundtrip):
        f = Frozen("k", (1,))
        out = roundtrip({f: "v", "again": f})
        (k,) = [k for k in out if k != "again"]
        assert k is out["again"] and out[k] == "v"


class TestSchemaEvolution:
    def _save_old(self, h5path):
        jaxon.save(h5path, {"e": Evolving(1, 2)})

    def _swap(self, monkeypatch, cls):
        monkeypatch.setattr(THIS, "Evolving", cls)

    def test_field_in_file_not_in_class_is_an_error(self, h5path, monkeypatch):
        self._save_old(h5path)

        @dataclasses.dataclass
        class Smaller:
            keep: int

        self._swap(monkeypatch, Smaller)
        with pytest.raises(jaxon.JaxonFormatError, match=r"'old'.*allow_missing_fields=True"):
            jaxon.load(h5path)

    def test_allow_missing_fields_warns_and_drops(self, h5path, monkeypatch):
        self._save_old(h5path)

        @dataclasses.dataclass
        class Smaller:
            keep: int

        self._swap(monkeypatch, Smaller)
        with pytest.warns(jaxon.JaxonFormatWarning, match="'old'"):
            out = jaxon.load(h5path, allow_missing_fields=True)
        assert type(out["e"]) is Smaller and out["e"].keep == 1
        assert not hasattr(out["e"], "old")

    def test_class_field_not_in_file_is_an_error(self, h5path, monkeypatch):
        self._save_old(h5path)

        @dataclasses.dataclass
        class Bigger:
            keep: int
            old: int
            extra: int = 5

        self._swap(monkeypatch, Bigger)
        with pytest.raises(jaxon.JaxonFormatError, match=r"'extra'.*allow_unknown_fields=True"):
            jaxon.load(h5path)

    def test_allow_unknown_fields_uses_factory_default_placeholder(self, h5path, monkeypatch):
        self._save_old(h5path)

        @dataclasses.dataclass
        class Bigger:
            keep: int
            bare: int
            old: int
            fac: list = dataclasses.field(default_factory=lambda: ["made"])
            dflt: str = "d"

        self._swap(monkeypatch, Bigger)
        with pytest.warns(jaxon.JaxonFormatWarning, match="'bare', 'fac', 'dflt'"):
            out = jaxon.load(h5path, allow_unknown_fields=True)
        e = out["e"]
        assert (e.keep, e.old, e.fac, e.dflt) == (1, 2, ["made"], "d")
        assert e.bare is jaxon.JAXON_NOT_LOADED

    def test_both_flags(self, h5path, monkeypatch):
        self._save_old(h5path)

        @dataclasses.dataclass
        class Other:
            keep: int
            fresh: int = 9

        self._swap(monkeypatch, Other)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out = jaxon.load(h5path, allow_missing_fields=True, allow_unknown_fields=True)
        assert (out["e"].keep, out["e"].fresh) == (1, 9)
        assert len([x for x in w if issubclass(x.category, jaxon.JaxonFormatWarning)]) == 2

    def test_dataclass_stored_as_non_dict_is_an_error(self, h5path):
        # craft: a list tagged with a dataclass qualname via a marshaler
        jaxon.save(h5path, Opaque(1), custom_marshalers=[
            lambda o: (f"{__name__}.Point", [o.v]) if type(o) is Opaque else None])
        with pytest.raises(jaxon.JaxonFormatError, match="must be stored as a dict"):
            jaxon.load(h5path)


class TestNestedClasses:
    def test_outer_inner(self, roundtrip):
        out = roundtrip({"i": Outer.Inner(3)})
        assert type(out["i"]) is Outer.Inner and out["i"].v == 3

    def test_three_levels(self, roundtrip):
        out = roundtrip(Outer.Inner.Deeper("w"))
        assert type(out) is Outer.Inner.Deeper and out.w == "w"


class TestToFromJaxon:
    def test_round_trip(self, roundtrip):
        out = roundtrip([Celsius(21.5), Celsius(-3.0)])
        assert out == [Celsius(21.5), Celsius(-3.0)]

    def test_chain(self, h5path, roundtrip):
        out = roundtrip({"w": Wrapper(Celsius(1.0))})
        assert type(out["w"]) is Wrapper and out["w"].c == Celsius(1.0)
        import h5py

        with h5py.File(h5path) as f:
            th = f["JAXON_ROOT"].attrs["'w'"].decode()
        assert th == f"dict#{__name__}.Celsius#{__name__}.Wrapper"

    def test_shared_to_jaxon_object(self, roundtrip):
        c = Celsius(5.0)
        out = roundtrip((c, c, {"k": c}))
        assert out[0] is out[1] is out[2]["k"]


class TestCustomMarshalers:
    @staticmethod
    def _marshal(o):
        return ("opaque", {"v": o.v}) if type(o) is Opaque else None

    @staticmethod
    def _unmarshal(tag, obj):
        return Opaque(obj["v"]) if tag == "opaque" else None

    def test_round_trip(self, roundtrip):
        out = roundtrip({"o": Opaque(3)}, load_kwargs={"custom_unmarshalers": [self._unmarshal]},
                        custom_marshalers=[self._marshal])
        assert type(out["o"]) is Opaque and out["o"].v == 3

    def test_first_non_none_wins_in_order(self, roundtrip):
        calls = []

        def none(tag, obj):
            calls.append("none")
            return None

        def first(tag, obj):
            calls.append("first")
            return "FIRST"

        def second(tag, obj):
            calls.append("second")
            return "SECOND"

        out = roundtrip(Opaque(1), load_kwargs={"custom_unmarshalers": [none, first, second]},
                        custom_marshalers=[lambda o: None, self._marshal,
                                           lambda o: ("never", [])])
        assert out == "FIRST" and calls == ["none", "first"]

    def test_unmarshaler_overrides_class_lookup(self, roundtrip):
        out = roundtrip(Point(1, 2.0), load_kwargs={"custom_unmarshalers": [
            lambda tag, obj: ("seen", tag, obj) if tag.endswith(".Point") else None]})
        assert out == ("seen", f"{__name__}.Point", {"x": 1, "y": 2.0})

    def test_unclaimed_custom_tag_is_an_error(self, h5path):
        jaxon.save(h5path, Opaque(1), custom_marshalers=[self._marshal])
        with pytest.raises(jaxon.JaxonFormatError, match="'opaque'.*custom_unmarshaler"):
            jaxon.load(h5path)

    def test_unmarshaler_exception_propagates(self, h5path):
        jaxon.save(h5path, Opaque(1), custom_marshalers=[self._marshal])

        def boom(tag, obj):
            raise KeyError("boom")

        with pytest.raises(KeyError, match="boom"):
            jaxon.load(h5path, custom_unmarshalers=[boom])


class TestNamedTuples:
    def test_typing_namedtuple(self, roundtrip):
        out = roundtrip([Pair(1, "a"), Pair(2, "b")])
        assert out == [Pair(1, "a"), Pair(2, "b")] and type(out[0]) is Pair

    def test_collections_namedtuple(self, roundtrip):
        out = roundtrip({"c": Coord(np.int8(1), [2])})
        assert type(out["c"]) is Coord and out["c"].y == [2]
        assert_same(out["c"].x, np.int8(1))


class TestByName:
    def test_enum_members(self, roundtrip):
        out = roundtrip({"r": Color.RED, "g": [Color.GREEN]})
        assert out["r"] is Color.RED and out["g"][0] is Color.GREEN

    def test_functions_and_builtins(self, roundtrip):
        # np.sum and len are on the default list (docs/security.md); a class and a function
        # of other modules come back only from modules the caller allows
        out = roundtrip([np.sum, len, Point, dataclasses.asdict],
                        load_kwargs={"allowed_modules": [__name__, "dataclasses"]})
        assert out[0] is np.sum and out[1] is len and out[2] is Point
        assert out[3] is dataclasses.asdict

    def test_functions_of_other_modules_are_refused_by_default(self, h5path):
        jaxon.save(h5path, [np.sum, dataclasses.asdict])
        with pytest.raises(jaxon.JaxonSecurityError, match="allowed_modules=.'dataclasses'.") as e:
            jaxon.load(h5path)
        assert e.value.rule == "callable-refused" and "'1'" in e.value.path

    def test_jax_function(self, roundtrip):
        jax = pytest.importorskip("jax")
        out = roundtrip({"act": jax.nn.relu})
        assert out["act"] is jax.nn.relu

    def test_lambda_needs_dill(self, h5path):
        with pytest.raises(TypeError, match="allow_dill"):
            jaxon.save(h5path, {"f": lambda x: x + 1})

    def test_lambda_with_dill(self, h5path):
        pytest.importorskip("dill")
        jaxon.save(h5path, {"f": lambda x: x + 1}, allow_dill=True)
        validate(h5path)
        assert jaxon.load(h5path, allow_dill=True)["f"](1) == 2

    def test_missing_name_is_a_format_error(self, h5path, monkeypatch):
        jaxon.save(h5path, Color.RED)
        monkeypatch.setattr(THIS, "Color", type("Color", (), {}))
        with pytest.raises(jaxon.JaxonFormatError, match="Color.RED"):
            jaxon.load(h5path)


class TestErrors:
    def test_class_not_found(self, h5path, monkeypatch):
        jaxon.save(h5path, {"p": Point(1, 2.0)})
        monkeypatch.delattr(THIS, "Point")
        with pytest.raises(jaxon.JaxonFormatError,
                           match=rf"{__name__}\.Point.*custom_unmarshaler"):
            jaxon.load(h5path)

    def test_module_not_found(self, h5path):
        jaxon.save(h5path, Opaque(1), custom_marshalers=[
            lambda o: ("no_such_module_xyz.Cls", [1]) if type(o) is Opaque else None])
        with pytest.raises(jaxon.JaxonFormatError, match="no_such_module_xyz.Cls"):
            jaxon.load(h5path)

    def test_not_a_loadable_class(self, h5path):
        jaxon.save(h5path, Opaque(1), custom_marshalers=[
            lambda o: (f"{__name__}.Opaque", [1]) if type(o) is Opaque else None])
        with pytest.raises(jaxon.JaxonFormatError, match="from_jaxon"):
            jaxon.load(h5path)

    def test_dill_blob_without_allow_dill(self, h5path):
        pytest.importorskip("dill")
        jaxon.save(h5path, {"o": Opaque(1)}, allow_dill=True)
        with pytest.raises(jaxon.JaxonFormatError, match="allow_dill=True"):
            jaxon.load(h5path)
        assert jaxon.load(h5path, allow_dill=True)["o"].v == 1

    def test_local_class_needs_an_unmarshaler(self, h5path):
        @dataclasses.dataclass
        class Local:
            v: int

        jaxon.save(h5path, Local(1))
        with pytest.raises(jaxon.JaxonFormatError, match="custom_unmarshaler"):
            jaxon.load(h5path)
        out = jaxon.load(h5path, custom_unmarshalers=[
            lambda tag, obj: Local(**obj) if tag.endswith("<locals>.Local") else None])
        assert out == Local(1)


class TestExactDtypes:
    """numpy.ndarray datasets carrying JAXON_DTYPE load as NumPy arrays of that ml_dtypes
    dtype. (Our saver writes them like the jax.Array case; the connector's validator does not
    accept JAXON_DTYPE on a numpy.ndarray dataset yet, so the file is made from a jax one.)"""

    def test_numpy_ml_dtypes_array(self, h5path):
        jnp = pytest.importorskip("jax.numpy")
        ml_dtypes = pytest.importorskip("ml_dtypes")
        h5py = pytest.importorskip("h5py")
        # the file is edited below: saved without integrity records, which would (rightly)
        # report the edit as damage
        jaxon.save(h5path, {"a": jnp.arange(6, dtype=jnp.bfloat16).reshape(2, 3),
                            "b": jnp.array([1, -2, 3], dtype=jnp.int4)}, checksums=False)
        with h5py.File(h5path, "r+") as f:
            g = f["JAXON_ROOT"]
            for k in ("'a'", "'b'"):  # same order: the dict keeps its order
                del g.attrs[k]
                g.attrs.create(k, np.array(b"numpy.ndarray", dtype="S13"),
                               dtype=h5py.string_dtype("utf-8", 13))
        out = jaxon.load(h5path)
        assert type(out["a"]) is np.ndarray and out["a"].dtype == ml_dtypes.bfloat16
        assert out["a"].tolist() == [[0, 1, 2], [3, 4, 5]]
        assert out["b"].dtype == ml_dtypes.int4 and out["b"].tolist() == [1, -2, 3]

    def test_jax_ml_dtypes_array(self, roundtrip):
        jnp = pytest.importorskip("jax.numpy")
        x = jnp.arange(4, dtype=jnp.bfloat16)
        out = roundtrip({"x": x, "same": x})
        assert out["x"].dtype == jnp.bfloat16 and out["x"] is out["same"]
        assert_same(out["x"], x)
