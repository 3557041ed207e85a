/* Internals of the saver shared by save.c (the walk) and save_custom.c (custom types). */
#ifndef JX_SAVE_INTERNAL_H
#define JX_SAVE_INTERNAL_H

#include "ext.h"

#include <string.h>

#include "jxv_tags.h" /* the tag names the layout library spells (layout/jxv_tags.h) */
#include "integrity.h"
#include "memo.h"
#include "npy.h"

#define JX_STR_TYPE_CACHE 256      /* fixed-length string types cached by size */

typedef enum FrameKind { FRAME_INDEX, FRAME_SET_ITEM, FRAME_DICT_VALUE, FRAME_DICT_KEY } FrameKind;

typedef struct Frame {
    FrameKind kind;
    PyObject *key;    /* borrowed: the dict key (FRAME_DICT_VALUE) */
    Py_ssize_t index; /* list/tuple/set position or dict entry number */
} Frame;

/* type numbers NPY_BOOL .. NPY_CLONGDOUBLE and NPY_HALF, in two byte orders */
#define JX_NUM_TYPE_SLOTS ((NPY_HALF + 1) * 2)

typedef struct Saver {
    JxState *st;
    const JxSaveOptions *o;
    JxMemo memo;
    hid_t gcpl, gcpl_untracked, lcpl_ascii, lcpl_utf8, dcpl, scalar_space;
    hid_t str_types[JX_STR_TYPE_CACHE];
    /* Plain numeric dtypes map to one HDF5 type per (type number, byte order): made once per
     * save rather than an H5Tcopy + H5Tclose per array or numpy scalar (two public calls,
     * and the connector then recognises the id from its memo). */
    hid_t num_types[JX_NUM_TYPE_SLOTS];
    /* The dataspace of the last array with dimensions, reused by the next of that shape. */
    hid_t shape_space;
    int shape_nd;
    hsize_t shape_dims[NPY_MAXDIMS];
    /* escaped reference path of the group being written ("" for "/") */
    char *path;
    size_t path_len, path_cap;
    Frame *frames;
    Py_ssize_t nframes, frames_cap;
    int noted; /* the pytree path was already attached to the pending exception */
    /* save_shards.c: the (index, data) shards of the sharded jax.Array jx_sv_array is
     * writing (its arr is then an untouched template), else NULL */
    PyObject *shards;
    int shards_global; /* collective save: those shards are this process's share of an
                          array spread over processes (save_mpi.c) */
    JxSeal *seal; /* integrity.c: checksums of groups (NULL: save(checksums=False)) */
} Saver;

/* ---- small buffers ---------------------------------------------------------------------- */

typedef struct Buf {
    char *p;
    size_t len, cap;
    char inline_[192];
} Buf;

static inline void buf_init(Buf *b)
{
    b->p = b->inline_;
    b->len = 0;
    b->cap = sizeof b->inline_;
}

static inline void buf_free(Buf *b)
{
    if (b->p != b->inline_)
        PyMem_Free(b->p);
    buf_init(b);
}

static inline int buf_reserve(Buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap * 2 : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = b->p == b->inline_ ? PyMem_Malloc(cap) : PyMem_Realloc(b->p, cap);
    if (!p) {
        PyErr_NoMemory();
        return -1;
    }
    if (b->p == b->inline_)
        memcpy(p, b->inline_, b->len);
    b->p = p;
    b->cap = cap;
    return 0;
}

static inline int buf_add(Buf *b, const char *s, size_t n)
{
    if (buf_reserve(b, n) < 0)
        return -1;
    if (n) /* s may be NULL for nothing (an empty str's UTF-8): memcpy forbids that */
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static inline int buf_adds(Buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

/* ---- shared entry points ---------------------------------------------------------------- */

/* Writes obj as the node named slot in group g (dispatch on the exact type). */
int jx_sv_node(Saver *s, hid_t g, const char *slot, size_t slot_len, PyObject *obj);
/* Writes a container node: group slot with the items of obj, then attribute slot = typehint.
 * key is the object whose identity the node stands for (obj itself, or the original object
 * a marshaler converted into obj). */
int jx_sv_container(Saver *s, hid_t g, const char *slot, size_t slot_len, PyObject *obj,
                    PyObject *key, const char *typehint);
/* Writes an array-like node from arr (attribute or dataset), remembered under key. */
int jx_sv_array(Saver *s, hid_t g, const char *slot, size_t slot_len, const char *hint,
                PyObject *key, PyArrayObject *arr);
/* Stores obj with dill as "slot:!module.qualname". */
/* save_shards.c: a sharded jax.Array written shard by shard (see there). prepare: 1 with
 * *tmpl (uninitialised array of the global shape/dtype) and *shards set, 0 when obj takes
 * the ordinary np.asarray path, -1 on error. collective (a save with comm=): every jax.Array
 * takes the shard path, one spread over processes too (*global = 1, *tmpl zeroed).
 * write: the shards into dataset dset (memory type memtype), each also hashed into crc
 * unless it is NULL (integrity.c); -1 with an exception or an HDF5 error. fill: the shards
 * into tmpl. */
int jx_sv_shards_prepare(PyObject *obj, int collective, PyArrayObject **tmpl, PyObject **shards,
                         int *global);
/* The host data of one shard as a C-contiguous array of like's dtype (CPU: no copy), and
 * the start/count of a shard's index in like's shape (save_mpi.c uses them too). */
PyArrayObject *jx_sv_shard_host(PyObject *data, PyArrayObject *like);
int jx_sv_shard_box(PyObject *index, PyArrayObject *like, hsize_t *start, hsize_t *count);
int jx_sv_write_shards(hid_t dset, hid_t memtype, PyArrayObject *like, PyObject *shards,
                       JxCrcPieces *crc);
int jx_sv_fill_shards(PyArrayObject *tmpl, PyObject *shards);

int jx_sv_dill(Saver *s, hid_t g, const char *slot, size_t slot_len, PyObject *obj);
/* Custom types (save_custom.c): marshalers, to_jaxon, dataclasses, namedtuples, objects
 * importable by name. Returns 1 if written, 0 if no conversion applies, -1 on error. */
int jx_sv_custom(Saver *s, hid_t g, const char *slot, size_t slot_len, PyObject *obj);
/* save_storage.c: whether the data of orig (nbytes) goes to a dataset (1/0, -1 error), and
 * the storage spec (borrowed, NULL: contiguous) from its hint or save(compression=...). */
int jx_sv_storage(Saver *s, PyObject *orig, Py_ssize_t nbytes, PyObject **spec);
/* The dataset creation property list for spec and this shape: s->dcpl itself when nothing
 * changes, else a new list the caller closes. -1 with an exception. */
hid_t jx_sv_dcpl(Saver *s, PyObject *spec, int nd, const npy_intp *dims, size_t itemsize,
                 const char *slot);
/* A typed PRNG key array as "tuple#jaxon-prng-key" = (impl name, key data). */
int jx_sv_prng_key(Saver *s, hid_t g, const char *slot, size_t slot_len, PyObject *obj);
/* "root['a'][3]" for the node being written (new str). */
PyObject *jx_sv_pytree_path(Saver *s);
/* Raises TypeError "cannot save <path>: objects of type T <why>". Returns -1. */
int jx_sv_fail_type(Saver *s, PyObject *obj, const char *why);
/* "module.qualname" of a type (new str). */
PyObject *jx_sv_qualname(PyObject *type);

/* The atom text of obj (None, 'str', int(…) …) appended to b: 1, 0 if obj is no atom,
 * -1 with an exception (save.c). */
int jx_sv_atom_text(Saver *s, PyObject *obj, Buf *b);
/* A tuple of the elements of a set or frozenset in canonical order (save_order.c). */
PyObject *jx_sv_canonical_order(Saver *s, PyObject *set);

#endif /* JX_SAVE_INTERNAL_H */
