"""Loading hostile files (docs/security.md, issue 15 items 4-5): load runs no code the file
chose and its resources stay bounded. Every file of tests/hostile/ (written by
tests/hostile/make_corpus.py) loads to the error its MANIFEST.json names."""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import subprocess  # noqa: F401  (imported: subprocess.Popen resolves, and is refused)
import sys
import time

import numpy as np
import pytest

import jaxon
from conftest import validate

HOSTILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hostile")
MANIFEST = json.load(open(os.path.join(HOSTILE, "MANIFEST.json")))
NESTING = 1000  # JX_MAX_NESTING: the limit shared by save and load


def _write_v1(path, build):
    import h5py

    with h5py.File(path, "w", track_order=True) as f:
        build(f)


def _text(obj, name, value):
    import h5py

    b = value.encode()
    obj.attrs.create(name, data=np.bytes_(b), dtype=h5py.string_dtype("utf-8", len(b)))


# ---- the corpus ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(n for n, e in MANIFEST.items() if e["error"]))
def test_hostile_file_loads_to_its_error(name):
    exp = MANIFEST[name]
    cls = getattr(jaxon, exp["error"])
    before = set(sys.modules)
    t = time.process_time()
    with pytest.raises(cls) as e:
        jaxon.load(os.path.join(HOSTILE, name))
    assert time.process_time() - t < 5
    assert getattr(e.value, "rule", None) == exp["rule"]
    if exp["rule"]:
        assert f"[{exp['rule']}]" in str(e.value) and e.value.path.startswith("group ")
    assert "antigravity" not in sys.modules
    assert set(sys.modules) - before == set(), "loading imported a module"


def test_16000_forward_references_load_in_linear_time():
    t = time.process_time()
    out = jaxon.load(os.path.join(HOSTILE, "v2_forward_refs_16000.h5"))
    elapsed = time.process_time() - t
    assert out["r"] == list(range(16000)) == out["t"]
    # CPU time (robust on a shared machine): 0.5 s here; before one name table per group: minutes
    assert elapsed < 5, elapsed


def test_reference_chain_fails_fast():
    t = time.process_time()
    with pytest.raises(jaxon.JaxonFormatError) as e:
        jaxon.load(os.path.join(HOSTILE, "v2_ref_chain_10000.h5"))
    assert e.value.rule == "ref-chain" and time.process_time() - t < 2


def test_chain_at_the_limit_loads(h5path):
    sys.path.insert(0, HOSTILE)
    try:
        import make_corpus
    finally:
        sys.path.remove(HOSTILE)
    # a reference to a reference is refused (ref-target, as the validator does): a valid
    # chain of on-demand loads goes through containers
    make_corpus.v2_container_chain(h5path, NESTING - 1)
    out = jaxon.load(h5path)
    node = out["r"]
    for _ in range(NESTING - 2):
        node = node[0]
    assert node == [0] and out["r"] is out["c1"]
    make_corpus.v2_ref_chain(h5path, 3)
    with pytest.raises(jaxon.JaxonFormatError) as e:
        jaxon.load(h5path)
    assert e.value.rule == "ref-target"


def test_deepest_reference_to_the_deepest_node_loads(h5path):
    sys.path.insert(0, HOSTILE)
    try:
        import make_corpus
    finally:
        sys.path.remove(HOSTILE)
    make_corpus.v2_deep_forward_ref(h5path)
    out = jaxon.load(h5path)
    a, b = out["a"], out["b"]
    while isinstance(a, list):
        a, b = a[0], b[0]
    assert a == b == "deep"


# ---- modules and names the file chooses -------------------------------------------------


@pytest.fixture
def planted_module(tmp_path, monkeypatch):
    """A module on sys.path that records being imported (as the current directory would)."""
    marker = tmp_path / "imported.txt"
    (tmp_path / "jaxon_planted.py").write_text(
        f"open({str(marker)!r}, 'w').write('imported')\n"
        "import dataclasses\n"
        "@dataclasses.dataclass\n"
        "class Cls:\n"
        "    x: int = 0\n"
        "def fn(x):\n"
        "    return x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("jaxon_planted", None)
    yield marker
    sys.modules.pop("jaxon_planted", None)


@pytest.mark.parametrize("tag", ["jaxon_planted.Cls", "jaxon_planted.Absent"])
def test_module_on_sys_path_is_not_imported_v1(h5path, planted_module, tag):
    def build(f):
        _text(f, "JAXON_ROOT", f"dict#{tag}")
        f.create_group("JAXON_ROOT", track_order=True)

    _write_v1(h5path, build)
    with pytest.raises(jaxon.JaxonSecurityError, match=r"allowed_modules=\['jaxon_planted'\]") as e:
        jaxon.load(h5path)
    assert e.value.rule == "import-refused" and "'JAXON_ROOT'" in e.value.path
    assert not planted_module.exists() and "jaxon_planted" not in sys.modules


def test_allowed_modules_imports_the_module(h5path, planted_module):
    def build(f):
        _text(f, "JAXON_ROOT", "dict#jaxon_planted.Cls")
        g = f.create_group("JAXON_ROOT", track_order=True)
        _text(g, "'x'", "int(5)")

    _write_v1(h5path, build)
    out = jaxon.load(h5path, allowed_modules=["jaxon_planted"])
    assert planted_module.exists() and type(out).__name__ == "Cls" and out.x == 5


def test_trusted_imports_and_returns_functions(h5path, planted_module):
    def build(f):
        _text(f, "JAXON_ROOT", "tuple#jaxon-import")
        g = f.create_group("JAXON_ROOT", track_order=True)
        _text(g, "0", "'jaxon_planted'")
        _text(g, "1", "'fn'")

    _write_v1(h5path, build)
    with pytest.raises(jaxon.JaxonSecurityError):
        jaxon.load(h5path)
    assert not planted_module.exists()
    out = jaxon.load(h5path, trusted=True)
    assert planted_module.exists() and out(3) == 3


def test_v2_module_on_sys_path_is_not_imported(h5path, planted_module):
    def build(f):
        _text(f, "JAXON_VERSION", "2.1.0")
        f.attrs["JAXON_ROOT:dict#dclass[jaxon_planted.Cls]"] = np.array([])
        g = f.create_group("JAXON_ROOT", track_order=True)
        _text(g, "'x'", "7")

    _write_v1(h5path, build)
    with pytest.raises(jaxon.JaxonSecurityError) as e:
        jaxon.load(h5path)
    assert e.value.rule == "import-refused" and not planted_module.exists()
    out = jaxon.load(h5path, allowed_modules=["jaxon_planted"])
    assert planted_module.exists() and type(out).__name__ == "Cls" and out.x == 7


def test_allowed_modules_validation():
    with pytest.raises(TypeError, match="not a single str"):
        jaxon.load("x.h5", allowed_modules="numpy")
    with pytest.raises(TypeError):  # keyword-only after load_filter
        jaxon.load("x.h5", False, None, (), False, False, None, ["numpy"])


class Meta(type):
    calls: list = []

    def __getattr__(cls, name):
        Meta.calls.append(name)
        raise AttributeError(name)


class Hooked(metaclass=Meta):
    def __init__(self, x=0):
        self.x = x


@dataclasses.dataclass
class Guarded:
    a: int
    news = []

    def __new__(cls, *args, **kwargs):
        Guarded.news.append(cls)
        return super().__new__(cls)


def test_metaclass_getattr_is_not_called(h5path):
    def build(f):
        _text(f, "JAXON_ROOT", f"dict#{__name__}.Hooked")
        f.create_group("JAXON_ROOT", track_order=True)

    _write_v1(h5path, build)
    Meta.calls.clear()
    with pytest.raises(jaxon.JaxonFormatError, match="neither a dataclass nor a namedtuple"):
        jaxon.load(h5path)
    assert Meta.calls == []


@pytest.mark.parametrize("layout", [1, 2])
def test_dataclass_fields_are_checked_before_new(h5path, layout):
    def build(f):
        if layout == 1:
            _text(f, "JAXON_ROOT", f"dict#{__name__}.Guarded")
            g = f.create_group("JAXON_ROOT", track_order=True)
            _text(g, "'zzz'", "int(1)")
        else:
            _text(f, "JAXON_VERSION", "2.1.0")
            f.attrs[f"JAXON_ROOT:dict#dclass[{__name__}.Guarded]"] = np.array([])
            g = f.create_group("JAXON_ROOT", track_order=True)
            _text(g, "'zzz'", "1")

    _write_v1(h5path, build)
    Guarded.news.clear()
    with pytest.raises(jaxon.JaxonFormatError):
        jaxon.load(h5path)
    assert Guarded.news == []


class Color(enum.Enum):
    RED = 1


def test_enum_members_and_default_functions_load(roundtrip):
    out = roundtrip({"c": Color.RED, "f": [np.tanh, np.sum, len, float]})
    assert out["c"] is Color.RED and out["f"] == [np.tanh, np.sum, len, float]


def test_refused_callable_names_module_path_and_fix(h5path):
    jaxon.save(h5path, {"f": os.path.join})
    with pytest.raises(jaxon.JaxonSecurityError) as e:
        jaxon.load(h5path)
    msg = str(e.value)
    assert e.value.rule == "callable-refused" and "'f'" in e.value.path
    assert "allowed_modules=['posixpath']" in msg and "trusted=True" in msg
    assert jaxon.load(h5path, allowed_modules=["posixpath"])["f"] is os.path.join


def test_dill_refusal_names_the_typehint(h5path):
    pytest.importorskip("dill")
    jaxon.save(h5path, {"f": lambda x: x}, allow_dill=True)
    with pytest.raises(jaxon.JaxonSecurityError, match="allow_dill=True") as e:
        jaxon.load(h5path)
    assert "%" not in str(e.value) and "(!" in str(e.value) and e.value.rule == "dill-refused"


# ---- nesting: one limit for save and load ---------------------------------------------


def nested(levels):
    x = []
    for _ in range(levels - 1):
        x = [x]
    return x


def depth(x):
    d = 0
    while isinstance(x, list):
        d, x = d + 1, (x[0] if x else None)
    return d


def test_tree_at_the_limit_saves_and_loads(h5path):
    jaxon.save(h5path, nested(NESTING))
    validate(h5path)
    assert depth(jaxon.load(h5path)) == NESTING


def test_tree_past_the_limit_is_refused_by_save_before_writing(tmp_path):
    target = tmp_path / "deep.h5"
    with pytest.raises(jaxon.JaxonError, match=r"cannot save root\[0\]\[0\].*more than 1000 levels") as e:
        jaxon.save(str(target), nested(NESTING + 1))
    assert not isinstance(e.value, RecursionError)
    assert not target.exists() and os.listdir(tmp_path) == []


def test_tree_at_the_limit_from_a_deep_caller(h5path):
    # the interpreter's recursion limit plays no part: a caller 500 frames deep still works
    jaxon.save(h5path, nested(NESTING))

    def recurse(n):
        return recurse(n - 1) if n else jaxon.load(h5path)

    assert depth(recurse(500)) == NESTING


# ---- Equinox and optax with no extra argument ------------------------------------------


def test_equinox_mlp_and_optax_state_load_by_default(h5path):
    jax = pytest.importorskip("jax")
    eqx = pytest.importorskip("equinox")
    optax = pytest.importorskip("optax")
    mlp = eqx.nn.MLP(3, 2, 8, 2, key=jax.random.PRNGKey(0))
    params = eqx.filter(mlp, eqx.is_array)
    state = optax.adam(1e-3).init(params)
    jaxon.save(h5path, {"m": mlp, "s": state})
    out = jaxon.load(h5path)
    assert out["m"].activation is jax.nn.relu
    assert type(out["s"][0]) is optax.ScaleByAdamState
    x = jax.numpy.arange(3.0)
    assert np.asarray(out["m"](x)).tobytes() == np.asarray(mlp(x)).tobytes()


# ---- jaxon-validate output ----------------------------------------------------------------


def test_validate_escapes_invalid_utf8_and_control_characters(h5path):
    import subprocess as sp

    cli = os.environ.get("JAXON_VALIDATE")
    if not cli or not os.path.exists(cli):
        pytest.skip("jaxon-validate not built")

    def build(f):
        import h5py

        _text(f, "JAXON_ROOT", "dict")
        g = f.create_group("JAXON_ROOT", track_order=True)
        g.attrs.create(b"\xff\x1b[31mred", data=np.bytes_(b"int(1)"),
                       dtype=h5py.string_dtype("utf-8", 6))

    _write_v1(h5path, build)
    r = sp.run([cli, h5path], capture_output=True)
    assert r.returncode == 1
    out = r.stdout.decode("utf-8")  # the whole line is valid UTF-8
    assert "\x1b" not in out and "@\\xFF\\x1B[31mred: [slot-name]" in out
