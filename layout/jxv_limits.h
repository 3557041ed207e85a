/* The limits of the Jaxon layout: one definition shared by the writer (jaxon.save), both
 * readers (v1.2.0 and v2), jaxon.tree, the write-time tracker and the whole-file checker.
 * A tree at a limit saves, validates and loads; past it, save refuses before the file
 * replaces anything and the readers and the validator refuse with the same rule
 * (docs/spec.md §11, docs/security.md). */
#ifndef JXV_LIMITS_H
#define JXV_LIMITS_H

#include <stddef.h>

/* Containers nested inside one another, the root container being level 1. Deeper trees
 * would need a deeper C stack in every reader; CPython's own default recursion limit is
 * 1,000 too, so a Python program rarely builds deeper data by accident. Rule depth-limit. */
#define JXV_MAX_NESTING 1000

/* Attributes of one object whose creation order HDF5 can track: the attribute info message
 * stores the maximum creation index in 16 bits. Containers with more children are written
 * without creation-order tracking and with names whose order is the children's (§11). */
#define JXV_MAX_TRACKED 65535

/* Bytes of one text attribute that readers read and the checker checks (256 MiB): a
 * hostile file cannot make a reader allocate more for one value. */
#define JXV_MAX_TEXT ((size_t)1 << 28)

/* Digits of an int(…) atom: CPython's int/str conversion limit (sys.int_info
 * .default_max_str_digits), so every valid int atom can be parsed by Python readers. */
#define JXV_MAX_INT_DIGITS 4300

/* Bytes of a dict key written as the attribute name itself (a simple atom slot). HDF5
 * limits attribute names to 65,535 bytes with the typehint; longer keys are written as
 * key(i)/value(i) pairs. */
#define JXV_MAX_SIMPLE_KEY 60000

#endif /* JXV_LIMITS_H */
