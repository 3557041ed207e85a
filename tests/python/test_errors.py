"""Bad input gets a clear error naming the path in the pytree or the file."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest

import jaxon


class Unsupported:
    pass


class TestUnsupportedObjects:
    def test_type_error_names_type_and_path(self, h5path):
        with pytest.raises(TypeError, match=r"root\['model'\]\[1\]\[3\].*Unsupported"):
            jaxon.save(h5path, {"model": [0, [0, 1, 2, Unsupported()]]})

    def test_unsupported_dict_key(self, h5path):
        with pytest.raises(TypeError, match="Unsupported"):
            jaxon.save(h5path, {(1, Unsupported()): 1})

    def test_lone_surrogate_fails_with_path_note(self, h5path):
        with pytest.raises(UnicodeEncodeError) as info:
            jaxon.save(h5path, {"s": "\udc80"})
        assert any("root['s']" in n for n in getattr(info.value, "__notes__", []))

    def test_slice_with_non_int_members_is_refused(self, h5path):
        with pytest.raises(TypeError, match="slice"):
            jaxon.save(h5path, slice("a", 2))

    def test_deep_nesting_is_refused_with_the_path(self, h5path):
        # the nesting limit shared with load (docs/security.md): a JaxonError naming the
        # pytree path, not the interpreter's RecursionError
        tree = []
        for _ in range(100_000):
            tree = [tree]
        with pytest.raises(jaxon.JaxonError, match=r"cannot save root\[0\]\[0\].*more than 1000"):
            jaxon.save(h5path, tree)

    def test_bad_arguments(self, h5path):
        with pytest.raises(TypeError):
            jaxon.save(12345, [1])
        with pytest.raises(TypeError):
            jaxon.save(h5path, [1], py_to_np_types=5)
        with pytest.raises(TypeError):
            jaxon.load(h5path, load_filter=3)


class TestBadFiles:
    def test_missing_file(self, tmp_path):
        with pytest.raises(FileNotFoundError):
            jaxon.load(str(tmp_path / "missing.h5"))

    def test_not_hdf5(self, tmp_path):
        p = tmp_path / "text.h5"
        p.write_bytes(b"this is not an HDF5 file" * 100)
        with pytest.raises(jaxon.JaxonFormatError, match="text.h5"):
            jaxon.load(str(p))

    def test_truncated_file(self, h5path):
        jaxon.save(h5path, {"a": list(range(100))})
        data = open(h5path, "rb").read()
        with open(h5path, "wb") as f:
            f.write(data[: len(data) // 2])
        with pytest.raises(jaxon.JaxonError):
            jaxon.load(h5path)

    def test_hdf5_without_jaxon_root(self, h5path):
        import h5py
        with h5py.File(h5path, "w") as f:
            f.attrs["something"] = 1
        with pytest.raises(jaxon.JaxonFormatError, match="root attribute") as e:
            jaxon.load(h5path)
        assert e.value.rule == "stray-object"

    def test_empty_file_object(self):
        with pytest.raises(jaxon.JaxonFormatError):
            jaxon.load(io.BytesIO())

    @pytest.mark.parametrize("seed", range(20))
    def test_random_corruption_never_crashes(self, h5path, seed):
        jaxon.save(h5path, {"a": [1, "two", np.arange(5)], "b": {"c": (1.5, None)}})
        data = bytearray(open(h5path, "rb").read())
        rng = np.random.default_rng(seed)
        for pos in rng.integers(0, len(data), size=8):
            data[pos] = int(rng.integers(0, 256))
        with open(h5path, "wb") as f:
            f.write(data)
        try:
            jaxon.load(h5path)
        except (jaxon.JaxonError, ValueError, TypeError, OSError, RecursionError):
            pass
