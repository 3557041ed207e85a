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


# Filters by name: HDF5 filter id, whether it comes from the hdf5plugin package, the
# default compression_opts. gzip is built into HDF5; the others are registered filter ids
# (https://github.com/HDFGroup/hdf5_plugins/blob/master/docs/RegisteredFilterPlugins.md).
_FILTERS = {
    "gzip": (1, False, 4),
    "zstd": (32015, True, 3),
    "lz4": (32004, True, 0),
    "blosc": (32001, True, (5, 1, "lz4")),
}
_BLOSC_CODECS = {"blosclz": 0, "lz4": 1, "lz4hc": 2, "snappy": 3, "zlib": 4, "zstd": 5}
_H5Z_FLAG_OPTIONAL = 1


def _filter_available(filter_id: int, name: str) -> None:
    """Makes a plugin filter usable by jaxon's libhdf5, or raises ValueError saying why."""
    if _jaxon._filter_available(filter_id):
        return
    try:
        import hdf5plugin  # registers its filters with h5py's libhdf5 (ours, when shared)
    except ImportError:
        raise ValueError(
            f"compression={name!r} needs the hdf5plugin package (pip install hdf5plugin)"
        ) from None
    if not _jaxon._filter_available(filter_id):
        # h5py brought its own libhdf5: load the plugin directory into ours
        _jaxon._add_filter_plugins(hdf5plugin.PLUGIN_PATH)
    if not _jaxon._filter_available(filter_id):
        raise ValueError(f"compression={name!r}: hdf5plugin's filter {filter_id} cannot be "
                         "loaded into jaxon's HDF5 library")


def _filter_spec(compression, opts, shuffle: bool) -> tuple:
    """((filter_id, flags, cd_values), ...) in pipeline order for the C saver."""
    filters = []
    if shuffle:
        filters.append((2, _H5Z_FLAG_OPTIONAL, ()))  # H5Z_FILTER_SHUFFLE
    if compression is None:
        if opts is not None:
            raise ValueError("compression_opts needs a compression")
        return tuple(filters)
    if isinstance(compression, str):
        if compression not in _FILTERS:
            raise ValueError(f"unknown compression {compression!r}; use one of "
                             f"{', '.join(map(repr, _FILTERS))} or an hdf5plugin filter object")
        fid, plugin, default = _FILTERS[compression]
        opts = default if opts is None else opts
        if compression == "gzip":
            if not isinstance(opts, int) or not 0 <= opts <= 9:
                raise ValueError(f"gzip compression_opts must be a level 0-9, not {opts!r}")
            cd = (opts,)
        elif compression == "zstd":
            if not isinstance(opts, int) or not 1 <= opts <= 22:
                raise ValueError(f"zstd compression_opts must be a level 1-22, not {opts!r}")
            cd = (opts,)
        elif compression == "lz4":
            if not isinstance(opts, int) or opts < 0:
                raise ValueError("lz4 compression_opts must be a block size in bytes "
                                 f"(0: the default), not {opts!r}")
            cd = (opts,)
        else:
            if (not isinstance(opts, tuple) or len(opts) != 3 or opts[2] not in _BLOSC_CODECS
                    or not 0 <= opts[0] <= 9 or opts[1] not in (0, 1, 2)):
                raise ValueError("blosc compression_opts must be (level 0-9, shuffle 0/1/2, "
                                 f"codec in {sorted(_BLOSC_CODECS)}), not {opts!r}")
            # the first four values are filled in by the filter (version, type size, chunk)
            cd = (0, 0, 0, 0, opts[0], opts[1], _BLOSC_CODECS[opts[2]])
        if plugin:
            _filter_available(fid, compression)
    elif hasattr(compression, "filter_id") and hasattr(compression, "filter_options"):
        # an hdf5plugin filter object, e.g. hdf5plugin.Zstd(clevel=9)
        if opts is not None:
            raise ValueError("compression_opts goes with a compression name; an hdf5plugin "
                             "filter object carries its own options")
        fid, cd = int(compression.filter_id), tuple(int(v) for v in compression.filter_options)
        _filter_available(fid, type(compression).__name__)
    else:
        raise TypeError("compression must be a name (str), an hdf5plugin filter object or "
                        f"None, not {type(compression).__name__}")
    filters.append((fid, 0, cd))  # mandatory: a write the filter cannot do fails
    return tuple(filters)


@dataclass(frozen=True)
class JaxonStorageHints:
    """How one object is stored; pass (obj, hints) pairs as save(storage_hints=...), or one
    JaxonStorageHints as save(compression=...) for every array stored in a dataset.

    store_in_dataset=True puts the object's data in an HDF5 dataset (readable partially,
    compressible); False keeps it in an attribute even when it is large.

    compression: None (the default: contiguous, uncompressed), "gzip" (built into HDF5),
    "zstd", "lz4" or "blosc" (filters of the hdf5plugin package, loaded on first use), or an
    hdf5plugin filter object such as hdf5plugin.Zstd(clevel=9).
    compression_opts: gzip level 0-9 (default 4), zstd level 1-22 (3), lz4 block size in
    bytes (0 = the filter's default), blosc (level, shuffle 0/1/2, codec) ((5, 1, "lz4")).
    chunks: the chunk shape (a tuple as long as the array's shape); None picks chunks of
    about 1 MiB along the leading axes when a filter is used, else the data is contiguous.
    shuffle: the HDF5 byte-shuffle filter before compression (helps floats and integers).
    0-d and empty arrays are always stored contiguous and uncompressed (HDF5 cannot chunk
    them).
    """

    store_in_dataset: bool = True
    compression: Any = None
    compression_opts: Any = None
    chunks: Optional[Tuple[int, ...]] = None
    shuffle: bool = False

    def __post_init__(self) -> None:
        if self.chunks is not None:
            if (not isinstance(self.chunks, tuple)
                    or not all(isinstance(c, int) and c > 0 for c in self.chunks)):
                raise ValueError(f"chunks must be a tuple of positive ints, not {self.chunks!r}")
        if not self.store_in_dataset and (self.compression is not None or self.chunks
                                          or self.shuffle):
            raise ValueError("compression, chunks and shuffle need store_in_dataset=True "
                             "(attributes cannot be chunked or compressed)")
        if self.compression is None and self.compression_opts is not None:
            raise ValueError("compression_opts needs a compression")
        # checked now (names, options, filter availability), not in the middle of a save
        object.__setattr__(self, "_spec", None if (self.compression is None and
                                                   self.chunks is None and not self.shuffle)
                           else (self.chunks, _filter_spec(self.compression,
                                                           self.compression_opts,
                                                           self.shuffle)))

    def _jaxon_spec(self):
        """None for plain storage, else (chunks or None, filters) for the C saver."""
        return self._spec


class _TqdmProgress:
    """save(progress=True): a tqdm bar in bytes, closed when the save's data is written."""

    def __init__(self, total: int, tqdm) -> None:
        self.bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                        desc="jaxon.save")

    def __call__(self, done: int, total: int) -> None:
        self.bar.update(done - self.bar.n)
        if done >= total:
            self.bar.close()


def _tqdm_progress(total: int):
    """The progress=True callback, or None when tqdm is not installed (no bar, no error:
    a missing progress display must not fail a save)."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return _TqdmProgress(total, tqdm)


def has_common_prefix(prefix: tuple, path: tuple) -> bool:
    """True when one of the two paths is a prefix of the other (for load filters)."""
    n = min(len(prefix), len(path))
    return tuple(prefix[:n]) == tuple(path[:n])


_jaxon._configure(not_loaded=JAXON_NOT_LOADED, plugin_dir=_paths.plugin_dir())
