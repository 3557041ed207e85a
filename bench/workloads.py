"""The benchmark workloads, built deterministically from a seed. `scale` shrinks them for
--quick runs (the smoke test in the test suite)."""

from __future__ import annotations

import random

import numpy as np


def config_dict(scale: float = 1.0):
    """(1) A config-like dict of 50,000 mixed Python scalars and short strings."""
    n = max(10, int(50_000 * scale))
    rng = random.Random(1)
    out = {}
    for i in range(n):
        kind = i % 6
        out[f"param_{i}"] = (rng.randint(-10**6, 10**6), rng.random(), f"value-{i}",
                             bool(i & 1), None, rng.random() * 1e-9)[kind]
    return out


def random_tree(scale: float = 1.0):
    """(2) A random nested tree of 50,000 nodes, with shared references."""
    n = max(50, int(50_000 * scale))
    rng = random.Random(2)
    shared = [[1, 2, 3], "a shared string that is long", {"shared": True}, (4, 5)]
    count = 0

    def build(depth):
        nonlocal count
        kind = rng.random()
        if depth > 6 or count >= n or kind < 0.55:
            count += 1
            leaf = rng.random()
            if leaf < 0.1:
                return shared[rng.randrange(len(shared))]
            if leaf < 0.4:
                return rng.randint(0, 1000)
            if leaf < 0.7:
                return f"s{rng.randrange(10**6)}"
            if leaf < 0.85:
                return rng.random()
            return None
        count += 1
        width = rng.randint(1, 12)
        if kind < 0.75:
            return {f"k{j}": build(depth + 1) for j in range(width)}
        if kind < 0.92:
            return [build(depth + 1) for _ in range(width)]
        return tuple(build(depth + 1) for _ in range(width))

    root = []
    while count < n:
        root.append(build(0))
    return root


def big_array(scale: float = 1.0):
    """(4) One 1 GiB float32 array."""
    n = max(1024, int((1 << 28) * scale))
    return np.arange(n, dtype=np.float32)


def many_arrays(scale: float = 1.0):
    """(5) 10,000 arrays of 1 KiB each."""
    n = max(10, int(10_000 * scale))
    rng = np.random.default_rng(5)
    return [rng.standard_normal(256).astype(np.float32) for _ in range(n)]


def mlp_adam(scale: float = 1.0):
    """(3) An Equinox MLP of about 64 MB with an optax Adam state."""
    import equinox as eqx
    import jax
    import optax

    width = max(16, int(2048 * scale ** 0.5))
    model = eqx.nn.MLP(in_size=width // 2, out_size=width // 2, width_size=width, depth=4,
                       key=jax.random.PRNGKey(3))
    params = eqx.filter(model, eqx.is_array)
    opt_state = optax.adam(1e-3).init(params)
    return {"model": model, "opt_state": opt_state, "step": 1000}


def transformer_adam(scale: float = 1.0):
    """(6) A transformer-like stack with its Adam state, over 1 GB in all: 24 layers of
    width 512 (attention, MLP, layer norms) and a 32,000-token embedding, about 92 M float32
    parameters (368 MB) in 390 leaves, and optax Adam moments (two more copies, zeros as
    right after init): about 1.1 GB in about 1,170 arrays. Plain dicts and lists of jax
    arrays (what an optax training loop holds), so every array contender can store it."""
    import jax.numpy as jnp
    import optax

    d = max(16, int(512 * scale ** 0.5))
    layers, vocab = (24, 32_000) if scale >= 1 else (2, 256)
    rng = np.random.default_rng(6)

    def w(*shape):
        return jnp.asarray(rng.standard_normal(shape, dtype=np.float32) * 0.02)

    def layer():
        return {"ln1": {"scale": jnp.ones(d), "bias": jnp.zeros(d)},
                "attn": {"q": w(d, d), "k": w(d, d), "v": w(d, d), "o": w(d, d),
                         "q_bias": jnp.zeros(d), "k_bias": jnp.zeros(d),
                         "v_bias": jnp.zeros(d), "o_bias": jnp.zeros(d)},
                "ln2": {"scale": jnp.ones(d), "bias": jnp.zeros(d)},
                "mlp": {"up": w(d, 4 * d), "up_bias": jnp.zeros(4 * d),
                        "down": w(4 * d, d), "down_bias": jnp.zeros(d)}}

    params = {"embed": w(vocab, d), "layers": [layer() for _ in range(layers)],
              "final_ln": {"scale": jnp.ones(d), "bias": jnp.zeros(d)}}
    opt_state = optax.adam(1e-3).init(params)
    return {"params": params, "opt_state": opt_state, "step": 1000}


WORKLOADS = {
    "config_dict": config_dict,
    "random_tree": random_tree,
    "big_array": big_array,
    "mlp_adam": mlp_adam,
    "many_arrays": many_arrays,
    "transformer_adam": transformer_adam,
}
