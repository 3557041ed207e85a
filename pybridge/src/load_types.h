/* HDF5 file datatypes -> NumPy dtypes for reading (spec §2.5, §10.2.4). */
#ifndef JX_LOAD_TYPES_H
#define JX_LOAD_TYPES_H

#include "ext.h"

#include "jxv.h"
#include "npy.h"

/* What a file datatype reads as. */
typedef struct JxReadType {
    PyArray_Descr *descr; /* the dtype of the result (file byte order kept, like h5py) */
    hid_t memtype;        /* HDF5 memory type whose layout equals descr's; read with it */
    int is_bool;          /* top level is the {FALSE, TRUE} enum: normalise bytes to 0/1 */
    int is_numeric;       /* integer, float, enum or r/i complex: a numpy scalar type */
    size_t file_size;     /* element size in the file, for storage-size plausibility */
} JxReadType;

/* Fills *rt for the file datatype ftype. Returns 0, or -1 with a ValueError that names the
 * unsupported type (variable-length data, references, odd sizes, too deep nesting...);
 * the caller adds the location. On success the caller owns rt (jx_read_type_clear). */
int jx_read_type_from_h5(hid_t ftype, JxReadType *rt);
/* The same for a datatype the layout library described (jxv_describe*): its class and size
 * are taken from the description instead of asked for again. ty may be NULL. */
int jx_read_type_described(hid_t ftype, const jxv_type *ty, JxReadType *rt);
void jx_read_type_clear(JxReadType *rt);

#endif /* JX_LOAD_TYPES_H */
