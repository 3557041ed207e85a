"""Equinox models and optax states round trip without dill: modules are dataclasses
(dict#module.Class), activations are stored by name (tuple#jaxon-import), optax states are
namedtuples (tuple#module.Class). Loaded models give bit-identical outputs."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
eqx = pytest.importorskip("equinox")
optax = pytest.importorskip("optax")
import jax.numpy as jnp  # noqa: E402

import jaxon  # noqa: E402
from conftest import validate  # noqa: E402


def same_leaves(a, b):
    la, ta = jax.tree_util.tree_flatten(a)
    lb, tb = jax.tree_util.tree_flatten(b)
    assert ta == tb, f"{ta} != {tb}"
    for x, y in zip(la, lb):
        assert type(x) is type(y)
        if isinstance(x, jax.Array):
            assert x.dtype == y.dtype and x.shape == y.shape
            assert np.asarray(x).tobytes() == np.asarray(y).tobytes()
        else:
            assert x == y


def save_load(path, tree, **kw):
    jaxon.save(path, tree, **kw.pop("save_kwargs", {}))
    validate(path)
    return jaxon.load(path, **kw)


class ConvNet(eqx.Module):
    conv: eqx.nn.Conv2d
    head: eqx.nn.MLP
    # a static field set in __init__: a class-level default that __init__ does not assign
    # stays out of the instance __dict__, which equinox's flattening records (the loaded
    # instance has the value in __dict__: same values, a different treedef)
    scale: float = eqx.field(static=True)

    def __init__(self, key):
        self.scale = 0.5
        k1, k2 = jax.random.split(key)
        self.conv = eqx.nn.Conv2d(1, 4, kernel_size=3, key=k1)
        self.head = eqx.nn.MLP(4 * 6 * 6, 3, 16, 1, activation=jax.nn.gelu,
                               final_activation=jax.nn.identity, key=k2)

    def __call__(self, x):
        y = jax.nn.relu(self.conv(x))
        return self.head(y.reshape(-1)) * self.scale


def _mlp_identity():
    from equinox.nn import _mlp

    return _mlp._identity


class TestModules:
    def test_linear(self, h5path):
        lin = eqx.nn.Linear(5, 3, key=jax.random.PRNGKey(1))
        out = save_load(h5path, lin)
        assert type(out) is eqx.nn.Linear
        same_leaves(lin, out)
        x = jnp.linspace(-1.0, 1.0, 5)
        assert np.asarray(lin(x)).tobytes() == np.asarray(out(x)).tobytes()

    def test_mlp_default_activations(self, h5path):
        # final_activation is equinox's module-level lambda _identity: stored by its name
        mlp = eqx.nn.MLP(4, 2, 32, 2, key=jax.random.PRNGKey(2))
        out = save_load(h5path, mlp)
        assert type(out) is eqx.nn.MLP and out.activation is jax.nn.relu
        assert out.final_activation is _mlp_identity()
        same_leaves(mlp, out)
        x = jnp.arange(4.0)
        assert np.asarray(mlp(x)).tobytes() == np.asarray(out(x)).tobytes()

    def test_mlp_named_activations(self, h5path):
        mlp = eqx.nn.MLP(4, 2, 32, 2, activation=jax.nn.tanh, final_activation=jax.nn.sigmoid,
                         key=jax.random.PRNGKey(3))
        out = save_load(h5path, mlp)
        same_leaves(mlp, out)
        x = jnp.arange(4.0)
        assert np.asarray(eqx.filter_jit(mlp)(x)).tobytes() == np.asarray(eqx.filter_jit(out)(x)).tobytes()

    def test_conv_net(self, h5path):
        net = ConvNet(jax.random.PRNGKey(4))
        out = save_load(h5path, net)
        assert type(out) is ConvNet and type(out.conv) is eqx.nn.Conv2d and out.scale == 0.5
        same_leaves(net, out)
        x = jax.random.normal(jax.random.PRNGKey(5), (1, 8, 8))
        assert np.asarray(net(x)).tobytes() == np.asarray(out(x)).tobytes()

    def test_partial_load_of_one_layer(self, h5path):
        net = ConvNet(jax.random.PRNGKey(6))
        jaxon.save(h5path, net)
        out = jaxon.load(h5path, load_filter=lambda p: jaxon.has_common_prefix(("conv",), p))
        assert out.head is jaxon.JAXON_NOT_LOADED
        same_leaves(net.conv, out.conv)


def scaled_tanh(x):
    return 2.0 * jnp.tanh(x)


class TestLoadingPolicy:
    """Models load with no argument when their activations are on the default list
    (docs/security.md); a function of the program's own module needs allowed_modules."""

    def test_default_activations_need_no_argument(self, h5path):
        mlp = eqx.nn.MLP(4, 2, 8, 2, activation=jax.nn.softplus,
                         final_activation=jnp.tanh, key=jax.random.PRNGKey(8))
        jaxon.save(h5path, mlp)
        out = jaxon.load(h5path)
        assert out.activation is jax.nn.softplus and out.final_activation is jnp.tanh

    def test_own_activation_is_refused_unless_allowed(self, h5path):
        mlp = eqx.nn.MLP(4, 2, 8, 2, activation=scaled_tanh, key=jax.random.PRNGKey(9))
        jaxon.save(h5path, mlp)
        with pytest.raises(jaxon.JaxonSecurityError, match=rf"allowed_modules=\['{__name__}'\]") as e:
            jaxon.load(h5path)
        assert e.value.rule == "callable-refused"
        out = jaxon.load(h5path, allowed_modules=[__name__])
        assert out.activation is scaled_tanh
        x = jnp.arange(4.0)
        assert np.asarray(mlp(x)).tobytes() == np.asarray(out(x)).tobytes()


class TestOptax:
    def test_adam_state(self, h5path):
        model = ConvNet(jax.random.PRNGKey(7))
        params = eqx.filter(model, eqx.is_array)
        opt = optax.adam(1e-3)
        state = opt.init(params)
        # one update so the moments are non-trivial
        grads = jax.tree_util.tree_map(lambda p: jnp.ones_like(p) * 0.1, params)
        _, state = opt.update(grads, state, params)
        tree = {"model": model, "opt_state": state}
        out = save_load(h5path, tree)
        loaded = out["opt_state"]
        assert type(loaded) is tuple and type(loaded[0]) is optax.ScaleByAdamState
        assert type(loaded[1]) is type(state[1])
        same_leaves(state, loaded)
        # training continues identically
        u1, _ = opt.update(grads, state, params)
        u2, _ = opt.update(grads, loaded, eqx.filter(out["model"], eqx.is_array))
        same_leaves(u1, u2)


def test_loaded_modules_are_frozen_and_freed(h5path):
    # a module made by Module.__new__ alone stays in Equinox's record of modules being
    # initialised: mutable, and never freed (with its arrays) in the life of the process
    import gc

    jaxon.save(h5path, eqx.nn.Linear(3, 4, key=jax.random.PRNGKey(0)))
    gc.collect()
    before = len(jax.live_arrays())
    out = jaxon.load(h5path)
    assert len(jax.live_arrays()) == before + 2
    with pytest.raises(Exception, match="cannot assign|frozen"):
        out.weight = None
    del out
    gc.collect()
    assert len(jax.live_arrays()) == before

