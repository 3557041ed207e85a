"""The same pytree saved in two processes with different hash seeds gives identical bytes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import sys, numpy as np, jaxon
    tree = {"names": {"alpha", "beta", "gamma", "delta", "epsilon", "zeta"},
            "frozen": frozenset({("a", 1), ("b", 2), frozenset({"x", "y"}), 3.5, None}),
            "mixed": {1, "1", b"1", (1,), 2.0, np.int8(3)},
            "nested": [{"k": {"s", "t", "u"}}, np.arange(5), "text", 12j]}
    jaxon.save(sys.argv[1], tree)
""")


def _save_with_seed(path, seed):
    env = dict(os.environ, PYTHONHASHSEED=str(seed))
    subprocess.run([sys.executable, "-c", SCRIPT, path], env=env, check=True)
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class TestDeterministicFiles:
    def test_two_hash_seeds_give_byte_identical_files(self, tmp_path):
        a = _save_with_seed(str(tmp_path / "a.h5"), 1)
        b = _save_with_seed(str(tmp_path / "b.h5"), 987654)
        assert a == b

    def test_set_order_is_the_same_for_load_filter_paths(self, tmp_path):
        import jaxon
        p1, p2 = str(tmp_path / "a.h5"), str(tmp_path / "b.h5")
        _save_with_seed(p1, 3)
        _save_with_seed(p2, 4)
        seen = []
        for p in (p1, p2):
            paths = []
            jaxon.load(p, load_filter=lambda path: paths.append(path) or True)
            seen.append(paths)
        assert seen[0] == seen[1]
