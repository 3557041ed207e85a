"""Concurrent save/load from several Python threads on different files."""

from __future__ import annotations

import threading

import numpy as np

import jaxon
from conftest import assert_same


class TestThreads:
    def test_concurrent_saves_and_loads(self, tmp_path):
        errors = []

        def work(i):
            try:
                tree = {"i": i, "data": np.arange(300_000) * i, "items": [str(j) for j in range(200)]}
                p = tmp_path / f"t{i}.h5"
                for _ in range(3):
                    jaxon.save(p, tree)
                    assert_same(jaxon.load(p), tree)
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
