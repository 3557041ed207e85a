"""Python-level pieces of the public API: constants, the not-loaded sentinel, storage hints,
type aliases. Everything that touches a pytree node lives in the C extension."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Tuple, Union

from . import _jaxon, _paths

PyTree = Any
Marshaler = Callable[[Any], Optional[Tuple[str, Any]]]
Unmarshaler = Callable[[str, Any], Optional[Any]]
LoadFilter = Callable[[Tuple[Union[str, int, Any], ...]], bool]

JAXON_ROOT_GROUP_KEY = "JAXON_ROOT"
JAXON_DICT_KEY = "key"
JAXON_DICT_VALUE = "value"


def _np_numeric_types() -> tuple:
    import numpy as np

    return (
        np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
        np.uint64, np.float16, np.float32, np.float64, np.longdouble, np.complex64,
        np.complex128, np.clongdouble,
    )


def __getattr__(name: str):
    # JAXON_NP_NUMERIC_TYPES needs NumPy, which `import jaxon` does not import.
    if name == "JAXON_NP_NUMERIC_TYPES":
        value = _np_numeric_types()
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

JAXON_PY_NUMERIC_TYPES = (int, float, bool, complex)
JAXON_CONTAINER_TYPES = (dict, list, tuple, set, frozenset)


class JaxonNotLoaded:
    """Type of JAXON_NOT_LOADED, the placeholder for nodes a load_filter skipped."""

    _instance: "JaxonNotLoaded | None" = None

    def __new__(cls) -> "JaxonNotLoaded":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "JAXON_NOT_LOADED"

    def __reduce__(self) -> str:
        return "JAXON_NOT_LOADED"


JAXON_NOT_LOADED = JaxonNotLoaded()


@dataclass(frozen=True)
class JaxonStorageHints:
    """How one object is stored; pass (obj, hints) pairs as save(storage_hints=...).

    store_in_dataset=True puts the object's data in an HDF5 dataset (readable partially,
    compressible); False keeps it in an attribute even when it is large.
    """

    store_in_dataset: bool


def has_common_prefix(prefix: tuple, path: tuple) -> bool:
    """True when one of the two paths is a prefix of the other (for load filters)."""
    n = min(len(prefix), len(path))
    return tuple(prefix[:n]) == tuple(path[:n])


_jaxon._configure(not_loaded=JAXON_NOT_LOADED, plugin_dir=_paths.plugin_dir())
