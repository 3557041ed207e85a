"""Quick start: save a pytree with jaxon, load it back, and check types and identity."""

import sys

import jax.numpy as jnp
import numpy as np

import jaxon

path = sys.argv[1] if len(sys.argv) > 1 else "quickstart.h5"

pytree = {
    "mylist": ["foo", "bar", 42],
    "myset": {"a", "b", "z", (42, b"blob")},
    "numpy_array": np.arange(3),
    "jax_array": jnp.arange(3),
}
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
assert (np.asarray(loaded["jax_array"]) == np.asarray(pytree["jax_array"])).all()
print("round trip ok:", path)
