/* The presentation half of jaxon.tree() (tree_show.c): text of atoms and dtypes, shapes,
 * numeric scalar values. No layout rules here: the walk (tree.c) has classified the node
 * with the validator's grammar before any of these is called. */
#ifndef JX_TREE_SHOW_H
#define JX_TREE_SHOW_H

#include "ext.h"

#include "jxv_internal.h"

/* Appends the Python value of a text atom the validator accepted, as Python shows it
 * (strings as repr, at most max code points then "…"), to b; returns its type name ("str",
 * "int", "None", "range" …) and puts the code points of a string in *str_len. */
const char *jx_tr_atom_display(jxv_layout layout, const char *text, size_t len, jxv_buf *b,
                               size_t max, size_t *str_len);
/* Appends the NumPy name of an HDF5 datatype (int32, bool, complex128, S5, V2, {a: int32},
 * int32[2,3]; unusual float layouts by their fields, "float16 e8m7"). depth: 0. */
void jx_tr_dtype_name(hid_t t, jxv_buf *b, int depth);
/* The shape of a dataspace as a tuple (() scalar, None for NULL) and its element count. */
PyObject *jx_tr_space_shape(hid_t sp, unsigned long long *npoints);
/* The value of a numeric scalar attribute as Python shows it ("3", "0.1", "True",
 * "(1+2j)"), None if it cannot be read. */
PyObject *jx_tr_numeric_text(hid_t aid, hid_t ft);

#endif /* JX_TREE_SHOW_H */
