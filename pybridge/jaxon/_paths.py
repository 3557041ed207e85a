"""Where the package keeps its built parts, for code that runs them.

Next to the extension ``_jaxon`` (an installed package and the CMake build tree,
build/python/jaxon/, have the same layout)::

    _jaxon.<soabi>.so
    _plugins/libjaxon_vol.so     the VOL connector (a directory for HDF5_PLUGIN_PATH)
    _hdf5/lib/                   libhdf5 and libhdf5_tools
    _hdf5/bin/                   h5dump, h5ls, h5stat, h5diff, jaxon-validate

Paths come from the extension's location, not from this file's: an editable install keeps
the .py files in the source tree and the built files in site-packages.
"""

from __future__ import annotations

import os

from . import _jaxon


def package_dir() -> str:
    """The directory holding the extension and the bundled plugin, libraries and tools."""
    return os.path.dirname(os.path.abspath(_jaxon.__file__))


def plugin_dir() -> str:
    """The directory of the jaxon VOL connector plugin (a value for HDF5_PLUGIN_PATH)."""
    return os.path.join(package_dir(), "_plugins")


def hdf5_bin(name: str) -> str:
    """The path of a bundled tool: "h5dump", "h5ls", "h5stat", "h5diff" or
    "jaxon-validate".

    Raises FileNotFoundError when this build of jaxon does not bundle it.
    """
    path = os.path.join(package_dir(), "_hdf5", "bin", name)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{name} is not bundled with jaxon (looked for {path})")
    return path
