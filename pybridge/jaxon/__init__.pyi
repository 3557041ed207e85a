import os
from concurrent.futures import Future
from typing import IO, Any, Callable, Dict, Iterable, Iterator, Optional, Tuple, Type, Union

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
    compression: Any
    compression_opts: Any
    chunks: Optional[Tuple[int, ...]]
    shuffle: bool
    def __init__(
        self,
        store_in_dataset: bool = True,
        compression: Any = None,
        compression_opts: Any = None,
        chunks: Optional[Tuple[int, ...]] = None,
        shuffle: bool = False,
    ) -> None: ...

Progress = Union[None, bool, Callable[[int, int], Any]]

class SaveFuture(Future[None]):
    path: str
    def wait(self, timeout: Optional[float] = None) -> None: ...

class JaxonError(Exception): ...
class JaxonFormatError(JaxonError, ValueError):
    # set on errors raised with a stable rule name (docs/validation.md, docs/security.md),
    # e.g. "depth-limit", "ref-chain", "declared-size"; absent on other errors
    rule: str
    path: str  # where in the file: "group /JAXON_ROOT/'a', attribute '0'"

class JaxonSecurityError(JaxonFormatError):
    """load refused to import a module (rule "import-refused") or to return a callable
    (rule "callable-refused") that the file names; see docs/security.md."""

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
    compression: Any = None,
    progress: Progress = None,
    checksums: bool = True,
    *,
    comm: Any = None,  # mpi4py.MPI.Comm
) -> None:
    """Save a pytree to an HDF5 file in the Jaxon layout (help(jaxon.save) has examples).

    path_or_file: a path, replaced atomically (a failed or interrupted save keeps the
        previous file; a symlink keeps pointing at the replaced file), or a binary file
        object that receives the whole file from offset 0.
    exact_python_numeric_types=True: False stores int/float/bool/complex as np.int64,
        np.float64, np.bool_, np.complex128 (they load as those).
    downcast_to_base_types=None: subclasses of supported types stored as their base type,
        e.g. [OrderedDict].
    py_to_np_types=None: the conversion above for these Python types only, e.g. [float].
    allow_dill=False: store unsupported objects as dill blobs.
    dill_kwargs=None: keywords for dill.dumps.
    storage_hints=None: (obj, JaxonStorageHints(...)) pairs, matched by identity: dataset or
        attribute, compression, chunks, shuffle. Without a hint, data of 64 KiB or more goes
        to a dataset.
    custom_marshalers=(): f(obj) -> None | (qualified_name, pytree), tried in order.
    compression=None: a compressor ("gzip", "zstd", "lz4", "blosc", an hdf5plugin filter or
        a JaxonStorageHints) for all data of 64 KiB or more without a hint of its own.
    progress=None: f(bytes_done, bytes_total), or True for a tqdm bar.
    checksums=True: record a CRC-32C of every group's attributes and every dataset's data in
        its object comment, which load checks (docs/spec.md §12); False records none.
    comm=None: an mpi4py communicator: every process of it calls save with the same tree and
        path, and writes its shards of global jax.Arrays into the one file (parallel build,
        docs/many-processes.md).
    """

def save_async(
    path: Union[str, os.PathLike[str]],
    pytree: PyTree,
    exact_python_numeric_types: bool = True,
    downcast_to_base_types: Optional[Iterable[type]] = None,
    py_to_np_types: Optional[Iterable[type]] = None,
    allow_dill: bool = False,
    dill_kwargs: Optional[dict] = None,
    storage_hints: Optional[Iterable[Tuple[Any, JaxonStorageHints]]] = None,
    custom_marshalers: Iterable[Marshaler] = (),
    compression: Any = None,
    progress: Progress = None,
    checksums: bool = True,
) -> SaveFuture: ...
def load(
    path_or_file: Union[str, os.PathLike[str], IO[bytes]],
    allow_dill: bool = False,
    dill_kwargs: Optional[dict] = None,
    custom_unmarshalers: Iterable[Unmarshaler] = (),
    allow_missing_fields: bool = False,
    allow_unknown_fields: bool = False,
    load_filter: Optional[LoadFilter] = None,
    *,
    allowed_modules: Iterable[str] = (),
    trusted: bool = False,
    lazy: bool = False,
    sharding: Any = None,  # jax.sharding.Sharding | pytree of them | (path, shape, dtype) -> ...
    verify: bool = True,
    comm: Any = None,  # mpi4py.MPI.Comm: a failure in one process raises in all
) -> PyTree:
    """Load the pytree of a Jaxon file (layout v1.2.0 or v2.x) (help(jaxon.load) has examples).

    path_or_file: a path or a binary file object with read/seek.
    allow_dill=False: unpickle dill blobs (runs code the file chose: trusted files only).
    dill_kwargs=None: keywords for dill.loads.
    custom_unmarshalers=(): f(qualified_name, data) -> None | object, tried in order.
    allow_missing_fields=False: drop fields the file stores that the dataclass lacks.
    allow_unknown_fields=False: fields the file lacks get their default_factory(), default
        or JAXON_NOT_LOADED.
    load_filter=None: f(path) -> bool per node; False loads the node as JAXON_NOT_LOADED.

    Loading runs no code the file chose (docs/security.md): modules the file names are
    taken from sys.modules and never imported, class attributes are read from the class
    dicts, and objects stored by name come back only if they are enum members or on the
    default list of array functions (jax.nn, jax.numpy, jax.lax, numpy, math, ...).

    allowed_modules: names of modules (each covering its submodules) that the file may
        name anyway: they are imported when needed and any object of theirs loads by name.
    trusted: behave like the Python jaxon package: import any module and return any
        object the file names. Only for files you trust as much as code.

    Refusals raise JaxonSecurityError (a JaxonFormatError) naming the module or object,
    the place in the file and the argument that allows it.

    lazy: leave array data in the file: contiguous numpy leaves as read-only maps, other
        dataset leaves and jax leaves as LazyArray proxies (docs/lazy-and-sharding.md).
    sharding: a jax Sharding, a pytree of them, or f(path, shape, dtype) -> Sharding | None:
        jax leaves are placed reading each device's slice only.
    verify: check the checksums save recorded (docs/spec.md §12): a damaged group or dataset
        raises JaxonFormatError with rule "checksum"; False skips the checks. Files without
        records load unchecked, and so do mapped or sliced lazy leaves and sharded reads.
    """

class TreeNode:
    """One node of a file's pytree as stored (jaxon.tree); see jaxon._tree.TreeNode."""

    kind: str
    type: Optional[str]
    key: Union[str, int, None]
    key_node: Optional[TreeNode]
    path: str
    location: Optional[str]
    classes: Tuple[str, ...]
    dtype: Optional[str]
    stored_dtype: Optional[str]
    shape: Optional[Tuple[int, ...]]
    nbytes: Optional[int]
    storage: Optional[str]
    value: Optional[str]
    length: Optional[int]
    children: Tuple[TreeNode, ...]
    shared_with: Tuple[str, ...]
    same_as: Optional[str]
    shared_id: Optional[int]
    error: Optional[str]
    layout: Optional[str]
    def __iter__(self) -> Iterator[TreeNode]: ...
    def __len__(self) -> int: ...
    def __getitem__(self, key: Union[int, str]) -> TreeNode: ...
    def walk(self) -> Iterator[TreeNode]: ...
    def to_dict(self) -> Dict[str, Any]: ...

def tree(
    path_or_file: Union[str, os.PathLike[str], IO[bytes]],
    path: Optional[str] = None,
) -> TreeNode: ...

class LazyArray:
    shape: Tuple[int, ...]
    dtype: np.dtype
    is_jax: bool
    @property
    def ndim(self) -> int: ...
    @property
    def size(self) -> int: ...
    @property
    def nbytes(self) -> int: ...
    def __len__(self) -> int: ...
    def __getitem__(self, key: Any) -> np.ndarray: ...
    def __array__(self, dtype: Any = None, copy: Optional[bool] = None) -> np.ndarray: ...
    def load(self) -> Any: ...
