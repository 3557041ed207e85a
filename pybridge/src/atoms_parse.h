/* The text atoms of the Jaxon v1.2.0 layout (spec §3.3, §3.12): parsing the strings that
 * stand for None, Ellipsis, str, int, float, bool, complex, range and slice values. */
#ifndef JX_ATOMS_PARSE_H
#define JX_ATOMS_PARSE_H

#include "ext.h"
#include "jxv.h"

/* Parses s[0:n] (not NUL-terminated, may contain NULs) as a v1.2.0 simple atom.
 * Returns 1 with a new reference in *out when s is an atom; 0 when s does not start like an
 * atom (it is then a typehint; *out is left alone); -1 with an exception set (ValueError or
 * UnicodeDecodeError, which callers turn into JaxonFormatError with a location) when s starts
 * like an atom but is malformed: the v1.2.0 reader decides by prefix, so "int(x)" is an
 * error, not a typehint. The numeric insides follow Python's int(), float() and complex()
 * constructors exactly (whitespace, "_" separators, nan/inf, the int digit limit). */
int jx_atom_parse_v1(const char *s, Py_ssize_t n, PyObject **out);

/* The value of the v1 atom s[0:n] that jxv_check_atom_v1 accepted and described in *a:
 * numbers, strings and constants are built from what the check already parsed; complex,
 * range and slice go through jx_atom_parse_v1. New reference, or NULL with an exception. */
PyObject *jx_atom_checked_v1(const jxv_atom *a, const char *s, Py_ssize_t n);

/* Python int(s[0:n]) for base 10, with a fast path for short plain decimals. New ref. */
PyObject *jx_atom_int(const char *s, Py_ssize_t n);

#endif /* JX_ATOMS_PARSE_H */
