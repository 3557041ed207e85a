"""jaxon: HDF5 serialization of JAX and NumPy pytrees with full type fidelity and identity.

The work happens in C (``jaxon._jaxon``): the pytree walk, the identity memo, the type
dispatch and every HDF5 call. Files go through the ``jaxon`` HDF5 VOL connector, which
validates the layout as it is written. Importing jaxon imports neither jax, h5py nor dill.
"""

from ._api import (
    JAXON_CONTAINER_TYPES,
    JAXON_DICT_KEY,
    JAXON_DICT_VALUE,
    JAXON_NOT_LOADED,
    JAXON_PY_NUMERIC_TYPES,
    JAXON_ROOT_GROUP_KEY,
    JaxonNotLoaded,
    JaxonStorageHints,
    LoadFilter,
    Marshaler,
    PyTree,
    Unmarshaler,
    has_common_prefix,
)
from ._async import SaveFuture, save_async
from ._jaxon import (
    CircularPyTreeException,
    JaxonError,
    JaxonFormatError,
    JaxonFormatWarning,
    JaxonSecurityError,
    load,
    save,
)
from ._tree import TreeNode, tree
from ._jaxon import __version__  # CMake's project version, compiled into the extension


def __getattr__(name: str):
    if name == "JAXON_NP_NUMERIC_TYPES":  # imports NumPy on first use
        from . import _api

        return _api.JAXON_NP_NUMERIC_TYPES
    if name == "LazyArray":  # the proxies of load(lazy=True); imports NumPy
        from ._lazy import LazyArray

        return LazyArray
    raise AttributeError(f"module 'jaxon' has no attribute {name!r}")

__all__ = [
    "JAXON_CONTAINER_TYPES",
    "JAXON_DICT_KEY",
    "JAXON_DICT_VALUE",
    "JAXON_NOT_LOADED",
    "JAXON_NP_NUMERIC_TYPES",
    "JAXON_PY_NUMERIC_TYPES",
    "JAXON_ROOT_GROUP_KEY",
    "CircularPyTreeException",
    "JaxonError",
    "JaxonFormatError",
    "JaxonFormatWarning",
    "JaxonSecurityError",
    "JaxonNotLoaded",
    "JaxonStorageHints",
    "LazyArray",
    "LoadFilter",
    "Marshaler",
    "PyTree",
    "Unmarshaler",
    "has_common_prefix",
    "load",
    "save",
    "TreeNode",
    "tree",
    "save_async",
    "SaveFuture",
]
