"""Quick start: save a pytree with jaxon, load it back, and check types and identity.

The jax array is left out when JAX is not installed (pip install 'jaxon-c[jax]' adds it).
"""

import sys

import numpy as np

import jaxon

try:
    import jax.numpy as jnp
except ImportError:
    jnp = None

path = sys.argv[1] if len(sys.argv) > 1 else "quickstart.h5"

pytree = {
    "mylist": ["foo", "bar", 42],
    "myset": {"a", "b", "z", (42, b"blob")},
    "numpy_array": np.arange(3),
}
if jnp is not None:
    pytree["jax_array"] = jnp.arange(3)
else:
    print("(JAX is not installed: no jax array in this pytree; pip install 'jaxon-c[jax]' adds it)")
jaxon.save(path, pytree)
loaded = jaxon.load(path)

print("saved :", pytree)
print("loaded:", loaded)
for key, value in loaded.items():
    print(f"  {key!r:15} -> {type(value).__module__}.{type(value).__qualname__}")
assert loaded.keys() == pytree.keys()
assert loaded["mylist"] == pytree["mylist"] and loaded["myset"] == pytree["myset"]
assert type(loaded["numpy_array"]) is np.ndarray
assert (loaded["numpy_array"] == pytree["numpy_array"]).all()
if jnp is not None:
    assert (np.asarray(loaded["jax_array"]) == np.asarray(pytree["jax_array"])).all()
print("round trip ok:", path)
