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
                          "callable-refused", "dill-refused", "class-mismatch"})

# Loader messages without a rule that are policy as well: the tag names a class that exists
# but is no dataclass / has no from_jaxon, or a custom tag no unmarshaler of this program takes.
POLICY_MESSAGES = ("cannot load the custom object", "no suitable unmarshaler found for the tag")


def is_policy(a: dict) -> bool:
    """A loader refusal that depends on the loading program, not on the layout."""
    return a.get("rule") in POLICY_RULES or any(m in a.get("msg", "") for m in POLICY_MESSAGES)


# (name, direction, predicate). Empty on purpose: see leniencies.md for the candidates that
# were considered and why none of them is a leniency yet.
LENIENCIES: list = []


# Open disagreements: NOT leniencies but known bugs, each described in docs/differential.md
# ("Open disagreements") with what fixing it takes. They are counted and reported by every
# run ("open: …" lines of the summary) without failing the CTest sample; a finding that
# matches none of them (or of LENIENCIES) fails it. Remove an entry when its fix lands.
A_ONLY = "load accepts, validator refuses"
V_ONLY = "load refuses, validator accepts"

OPEN: list = []


def lenient(finding, rec):
    """The name of the leniency (or "open: <name>" of the open disagreement) that covers this
    finding, or None."""
    direction, _detail = finding
    for name, d, pred in LENIENCIES:
        if d == direction and pred(finding, rec):
            return name
    for name, d, pred in OPEN:
        if d == direction and pred(finding, rec):
            return "open: " + name
    return None
