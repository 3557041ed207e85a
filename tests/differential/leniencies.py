"""The documented exceptions to "load accepts <=> the validator accepts" (leniencies.md).

POLICY_RULES: loader refusals that are not about the layout (docs/validation.md, "Rules of the
loader"): whether a class or module the file names can be used depends on the loading
program, which the validator cannot know. Such files are counted ("not compared (loader
policy)") but are no disagreement.

LENIENCIES: deliberate leniencies of the loader toward files that the Python jaxon packages
write. Each entry is (name, direction, predicate(finding, record) -> bool) and must be
described in leniencies.md; a finding matching none of them fails the test.
"""

from __future__ import annotations

POLICY_RULES = frozenset({"import-refused", "import-failed", "name-not-found",
                          "callable-refused", "dill-refused"})

# (name, direction, predicate). Empty on purpose: see leniencies.md for the candidates that
# were considered and why none of them is a leniency yet.
LENIENCIES: list = []


def lenient(finding, rec):
    """The name of the leniency that covers this finding, or None."""
    direction, _detail = finding
    for name, d, pred in LENIENCIES:
        if d == direction and pred(finding, rec):
            return name
    return None
