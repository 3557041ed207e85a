import os
from typing import IO, Any, Callable, Iterable, Optional, Tuple, Type, Union

import numpy as np

PyTree = Any
Marshaler = Callable[[Any], Optional[Tuple[str, Any]]]
Unmarshaler = Callable[[str, Any], Optional[Any]]
LoadFilter = Callable[[Tuple[Any, ...]], bool]

__version__: str

JAXON_ROOT_GROUP_KEY: str
JAXON_DICT_KEY: str
JAXON_DICT_VALUE: str
JAXON_NP_NUMERIC_TYPES: Tuple[Type[np.generic], ...]
JAXON_PY_NUMERIC_TYPES: Tuple[type, ...]
JAXON_CONTAINER_TYPES: Tuple[type, ...]

class JaxonNotLoaded: ...

JAXON_NOT_LOADED: JaxonNotLoaded

class JaxonStorageHints:
    store_in_dataset: bool
    def __init__(self, store_in_dataset: bool) -> None: ...

class JaxonError(Exception): ...
class JaxonFormatError(JaxonError, ValueError): ...
class CircularPyTreeException(JaxonError, ValueError): ...
class JaxonFormatWarning(UserWarning): ...

def has_common_prefix(prefix: Tuple[Any, ...], path: Tuple[Any, ...]) -> bool: ...
def save(
    path_or_file: Union[str, os.PathLike[str], IO[bytes]],
    pytree: PyTree,
    exact_python_numeric_types: bool = True,
    downcast_to_base_types: Optional[Iterable[type]] = None,
    py_to_np_types: Optional[Iterable[type]] = None,
    allow_dill: bool = False,
    dill_kwargs: Optional[dict] = None,
    storage_hints: Optional[Iterable[Tuple[Any, JaxonStorageHints]]] = None,
    custom_marshalers: Iterable[Marshaler] = (),
) -> None: ...
def load(
    path_or_file: Union[str, os.PathLike[str], IO[bytes]],
    allow_dill: bool = False,
    dill_kwargs: Optional[dict] = None,
    custom_unmarshalers: Iterable[Unmarshaler] = (),
    allow_missing_fields: bool = False,
    allow_unknown_fields: bool = False,
    load_filter: Optional[LoadFilter] = None,
) -> PyTree: ...
