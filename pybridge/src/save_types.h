/* NumPy dtype -> HDF5 datatype, following h5py's mapping (spec section 2.5). */
#ifndef JX_SAVE_TYPES_H
#define JX_SAVE_TYPES_H

#include "ext.h"
#include "npy.h"

/* A new HDF5 datatype for descr (caller closes it), or -1 with TypeError set when the
 * dtype has no HDF5 form (unicode, object, datetime, …). what names the node for errors. */
hid_t jx_h5type_from_descr(PyArray_Descr *descr);

/* HDF5 type of a JAX dtype outside NumPy (bfloat16, float8_*, float4/6, int4, int2, …) with
 * its exact bit layout; *name_out gets the dtype name to record. -1 with TypeError if the
 * dtype is unknown. */
hid_t jx_h5type_exact(PyArray_Descr *descr, const char **name_out);

/* The 16 NumPy numeric scalar types of the layout: 1 if obj is one of them (exact type). */
int jx_is_numeric_scalar(PyObject *obj);

#endif /* JX_SAVE_TYPES_H */
