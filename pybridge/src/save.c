/* The save walk: Python pytree -> HDF5 objects in the Jaxon v1.2.0 layout (spec section 3).
 *
 * One depth-first pass writes as it goes (the file is a temporary or in-memory file, so a
 * failure leaves nothing behind). Dispatch is on the exact type, most frequent first; atoms
 * (None, numbers, range, slice) are never memoised; strings, arrays, buffers and containers
 * are, with the rules documented in memo.h. Order of HDF5 operations follows spec 3.11:
 * containers create their group, write their children, then their own attribute. */
#include "ext.h"

#include <string.h>

#include "h5util.h"
#include "save_mpi.h"
#include "save_internal.h"
#include "save_types.h"


/* ---- pytree paths for error messages --------------------------------------------------- */

static int push_frame(Saver *s, FrameKind kind, PyObject *key, Py_ssize_t index)
{
    if (s->nframes == s->frames_cap) {
        Py_ssize_t cap = s->frames_cap ? s->frames_cap * 2 : 64;
        Frame *f = PyMem_Realloc(s->frames, (size_t)cap * sizeof(Frame));
        if (!f) {
            PyErr_NoMemory();
            return -1;
        }
        s->frames = f;
        s->frames_cap = cap;
    }
    s->frames[s->nframes++] = (Frame){kind, key, index};
    return 0;
}

/* "root['model'][3]" for the node being saved (new str). */
PyObject *jx_sv_pytree_path(Saver *s)
{
    PyObject *acc = PyUnicode_FromString("root"), *part = NULL;
    for (Py_ssize_t i = 0; acc && i < s->nframes; i++) {
        Frame *f = &s->frames[i];
        switch (f->kind) {
        case FRAME_INDEX: part = PyUnicode_FromFormat("[%zd]", f->index); break;
        case FRAME_SET_ITEM: part = PyUnicode_FromFormat("{element %zd}", f->index); break;
        case FRAME_DICT_VALUE: part = PyUnicode_FromFormat("[%R]", f->key); break;
        case FRAME_DICT_KEY: part = PyUnicode_FromFormat("{key of entry %zd}", f->index); break;
        }
        if (!part) {
            Py_CLEAR(acc);
            break;
        }
        PyUnicode_Append(&acc, part);
        Py_CLEAR(part);
    }
    return acc;
}

/* Attaches "while saving <path>" to the pending exception, once (innermost node). */
static int note_path(Saver *s)
{
    if (s->noted || !PyErr_Occurred())
        return -1;
    s->noted = 1;
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    PyObject *path = jx_sv_pytree_path(s);
    if (path && value) {
        PyObject *note = PyUnicode_FromFormat("while saving %U", path);
        if (note) {
            PyObject *r = PyObject_CallMethod(value, "add_note", "O", note);
            Py_XDECREF(r);
            Py_DECREF(note);
        }
    }
    Py_XDECREF(path);
    PyErr_Clear();
    PyErr_Restore(type, value, tb);
    return -1;
}

int jx_sv_fail_type(Saver *s, PyObject *obj, const char *why)
{
    PyObject *path = jx_sv_pytree_path(s);
    if (path) {
        PyErr_Format(PyExc_TypeError, "cannot save %U: objects of type %.200s %s", path,
                     Py_TYPE(obj)->tp_name, why);
        Py_DECREF(path);
    }
    s->noted = 1;
    return -1;
}

/* Rewrites a pending TypeError as "cannot save <path>: <message>". */
static void prefix_type_error(Saver *s)
{
    if (s->noted || !PyErr_ExceptionMatches(PyExc_TypeError))
        return;
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyObject *path = jx_sv_pytree_path(s);
    if (path) {
        PyErr_Format(PyExc_TypeError, "cannot save %U: %S", path, value ? value : Py_None);
        Py_DECREF(path);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
    } else {
        PyErr_Restore(type, value, tb);
    }
    s->noted = 1;
}

/* ---- HDF5 helpers ------------------------------------------------------------------------ */

/* Raises the HDF5 failure with the pytree location. */
static int fail_h5(Saver *s, const char *what, const char *name)
{
    PyObject *path = jx_sv_pytree_path(s);
    if (path) {
        jx_raise_h5(s->st->JaxonError, "cannot save %U: %s %s", path, what, name);
        Py_DECREF(path);
    }
    s->noted = 1;
    return -1;
}

/* Fixed-length UTF-8 string type of n bytes (NULLPAD), cached for small n. The caller
 * closes it only if n >= JX_STR_TYPE_CACHE. */
static hid_t fls_type(Saver *s, size_t n)
{
    if (n < JX_STR_TYPE_CACHE && s->str_types[n] >= 0)
        return s->str_types[n];
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0 || H5Tset_size(t, n) < 0 || H5Tset_strpad(t, H5T_STR_NULLPAD) < 0 ||
        H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        if (t >= 0)
            H5Tclose(t);
        return -1;
    }
    if (n < JX_STR_TYPE_CACHE)
        s->str_types[n] = t;
    return t;
}

static int write_attr(Saver *s, hid_t g, const char *name, hid_t type, hid_t space,
                      const void *data)
{
    hid_t a = H5Acreate2(g, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0)
        return fail_h5(s, "cannot create attribute", name);
    if (data && H5Awrite(a, type, data) < 0) {
        /* raise before closing: H5Aclose, like every API call, clears the error stack */
        fail_h5(s, "cannot write attribute", name);
        H5Aclose(a);
        return -1;
    }
    if (H5Aclose(a) < 0)
        return fail_h5(s, "cannot close attribute", name);
    return 0;
}

static int write_text(Saver *s, hid_t g, const char *name, const char *text, size_t len)
{
    hid_t t = fls_type(s, len);
    if (t < 0)
        return fail_h5(s, "cannot make a string type for", name);
    int rc = write_attr(s, g, name, t, s->scalar_space, text);
    if (len >= JX_STR_TYPE_CACHE)
        H5Tclose(t);
    if (rc == 0)
        jx_seal_text(s->seal, g, name, text, len); /* integrity hook */
    return rc;
}

/* Appends esc(elem) ("\" -> "\\", "/" -> "\/") to a buffer. */
static int add_escaped(Buf *b, const char *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((e[i] == '\\' || e[i] == '/') && buf_add(b, "\\", 1) < 0)
            return -1;
        if (buf_add(b, &e[i], 1) < 0)
            return -1;
    }
    return 0;
}

/* Records obj as written at <group path>/esc(attr_name). */
static int register_path(Saver *s, PyObject *key, const char *attr_name, size_t n)
{
    Buf b;
    buf_init(&b);
    int rc = buf_add(&b, s->path, s->path_len) < 0 || buf_add(&b, "/", 1) < 0 ||
                     add_escaped(&b, attr_name, n) < 0
                 ? -1
                 : jx_memo_done(&s->memo, key, b.p, b.len);
    buf_free(&b);
    return rc;
}

static int path_push(Saver *s, const char *slot, size_t n, size_t *saved)
{
    Buf b = {.p = s->path, .len = s->path_len, .cap = s->path_cap};
    *saved = s->path_len;
    if (buf_add(&b, "/", 1) < 0 || add_escaped(&b, slot, n) < 0)
        return -1;
    s->path = b.p;
    s->path_len = b.len;
    s->path_cap = b.cap;
    return 0;
}

static int is_ascii(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] >= 0x80)
            return 0;
    return 1;
}

/* ---- atoms ------------------------------------------------------------------------------- */

/* Decimal digits of v, zero-padded to width, at out (room for 24 + width bytes); returns
 * the length. snprintf costs ~1,000 instructions a call, and every list item's name and
 * every int needs one. */
static size_t format_decimal(char *out, unsigned long long v, int width)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    size_t len = 0;
    for (int pad = width - (int)n; pad > 0; pad--)
        out[len++] = '0';
    while (n)
        out[len++] = tmp[--n];
    out[len] = '\0';
    return len;
}

/* Appends the text atom of an atom-typed obj (None, Ellipsis, bool, int, float, complex,
 * range, slice, str). Returns 1 if obj is an atom, 0 if not, -1 on error. */
int jx_sv_atom_text(Saver *s, PyObject *obj, Buf *b)
{
    PyTypeObject *t = Py_TYPE(obj);
    if (t == &PyUnicode_Type) {
        Py_ssize_t n;
        const char *u = PyUnicode_AsUTF8AndSize(obj, &n);
        if (!u)
            return -1;
        return buf_add(b, "'", 1) < 0 || buf_add(b, u, (size_t)n) < 0 || buf_add(b, "'", 1) < 0
                   ? -1 : 1;
    }
    if (t == &PyLong_Type) {
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
        if (!overflow) {
            char tmp[40] = "int(";
            size_t k = 4;
            if (v < 0)
                tmp[k++] = '-';
            k += format_decimal(tmp + k, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v, 0);
            tmp[k++] = ')';
            return buf_add(b, tmp, k) < 0 ? -1 : 1;
        }
        PyObject *r = PyObject_Repr(obj); /* > 4300 digits raise ValueError here */
        if (!r)
            return -1;
        Py_ssize_t n;
        const char *u = PyUnicode_AsUTF8AndSize(r, &n);
        int rc = !u || buf_adds(b, "int(") < 0 || buf_add(b, u, (size_t)n) < 0 ||
                         buf_adds(b, ")") < 0 ? -1 : 1;
        Py_DECREF(r);
        return rc;
    }
    if (t == &PyFloat_Type) {
        /* exactly float.__repr__ */
        char *r = PyOS_double_to_string(PyFloat_AS_DOUBLE(obj), 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
        if (!r)
            return -1;
        int rc = buf_adds(b, "float(") < 0 || buf_adds(b, r) < 0 || buf_adds(b, ")") < 0 ? -1 : 1;
        PyMem_Free(r);
        return rc;
    }
    if (t == &PyBool_Type)
        return buf_adds(b, obj == Py_True ? "bool(True)" : "bool(False)") < 0 ? -1 : 1;
    if (obj == Py_None)
        return buf_adds(b, "None") < 0 ? -1 : 1;
    if (obj == Py_Ellipsis)
        return buf_adds(b, "Ellipsis") < 0 ? -1 : 1;
    if (t == &PyComplex_Type || t == &PyRange_Type || t == &PySlice_Type) {
        if (t == &PySlice_Type) {
            PySliceObject *sl = (PySliceObject *)obj;
            PyObject *parts[3] = {sl->start, sl->stop, sl->step};
            for (int i = 0; i < 3; i++) {
                if (parts[i] != Py_None && Py_TYPE(parts[i]) != &PyLong_Type) {
                    PyErr_Format(PyExc_TypeError,
                                 "slice members must be None or int to be stored, not %.100s",
                                 Py_TYPE(parts[i])->tp_name);
                    return -1;
                }
            }
        }
        PyObject *r = PyObject_Repr(obj);
        if (!r)
            return -1;
        Py_ssize_t n;
        const char *u = PyUnicode_AsUTF8AndSize(r, &n);
        int rc = 1;
        if (!u) {
            rc = -1;
        } else if (t == &PyComplex_Type) {
            /* strip the parentheses only where repr has them: "(5+1j)" but "2j" (fixes the
             * v1.2.0 writer's corruption of complex numbers with a zero real part) */
            if (n >= 2 && u[0] == '(') {
                u++;
                n -= 2;
            }
            rc = buf_adds(b, "complex(") < 0 || buf_add(b, u, (size_t)n) < 0 ||
                         buf_adds(b, ")") < 0 ? -1 : 1;
        } else {
            for (Py_ssize_t i = 0; i < n && rc == 1; i++)
                if (u[i] != ' ' && buf_add(b, &u[i], 1) < 0)
                    rc = -1;
        }
        Py_DECREF(r);
        return rc;
    }
    return 0;
}

/* ---- nodes ------------------------------------------------------------------------------- */

/* Builds "slot" or "slot:hint" into b. */
static int attr_name(Buf *b, const char *slot, size_t slot_len, const char *hint)
{
    b->len = 0;
    if (buf_add(b, slot, slot_len) < 0)
        return -1;
    if (hint && (buf_add(b, ":", 1) < 0 || buf_adds(b, hint) < 0))
        return -1;
    return 0;
}

static int save_reference(Saver *s, hid_t g, const char *slot, size_t slot_len, JxMemoEntry *e)
{
    Buf name;
    buf_init(&name);
    e->refs++;
    Py_ssize_t off = e->path_off, len = e->path_len;
    int rc = attr_name(&name, slot, slot_len, JXV_NAME_REF) < 0
                 ? -1
                 : write_text(s, g, name.p, s->memo.arena + off, (size_t)len);
    buf_free(&name);
    return rc;
}

/* The HDF5 type of d: from the save's cache for plain numeric dtypes (*owned 0), else a
 * new type the caller closes (*owned 1). -1 with an exception set on failure. */
static hid_t numeric_type(Saver *s, PyArray_Descr *d, int *owned)
{
    int tn = d->type_num;
    *owned = 0;
    if (tn >= 0 && (tn <= NPY_CLONGDOUBLE || tn == NPY_HALF)) {
        int big = d->byteorder == '>' || (d->byteorder == '=' && PY_BIG_ENDIAN);
        size_t k = (size_t)tn * 2 + (size_t)big;
        if (s->num_types[k] < 0)
            s->num_types[k] = jx_h5type_from_descr(d);
        return s->num_types[k];
    }
    *owned = 1;
    return jx_h5type_from_descr(d);
}

/* The dataspace for an array of nd dimensions: the save's scalar space or its last simple
 * space when the shape repeats; never closed by the caller. -1 if HDF5 fails. */
static hid_t array_space(Saver *s, int nd, const npy_intp *shape)
{
    if (nd == 0)
        return s->scalar_space;
    hsize_t dims[NPY_MAXDIMS];
    for (int i = 0; i < nd; i++)
        dims[i] = (hsize_t)shape[i];
    if (s->shape_space >= 0 && s->shape_nd == nd &&
        memcmp(s->shape_dims, dims, (size_t)nd * sizeof dims[0]) == 0)
        return s->shape_space;
    hid_t sp = H5Screate_simple(nd, dims, NULL);
    if (sp < 0)
        return -1;
    if (s->shape_space >= 0)
        H5Sclose(s->shape_space);
    s->shape_space = sp;
    s->shape_nd = nd;
    memcpy(s->shape_dims, dims, (size_t)nd * sizeof dims[0]);
    return sp;
}

static int save_numeric_scalar(Saver *s, hid_t g, const char *slot, PyObject *obj)
{
    PyArray_Descr *d = PyArray_DescrFromScalar(obj);
    if (!d)
        return -1;
    _Alignas(16) char data[64];
    int rc = -1;
    hid_t t = -1;
    if ((size_t)PyDataType_ELSIZE(d) > sizeof data) {
        PyErr_SetString(PyExc_TypeError, "numpy scalar too large");
        goto done;
    }
    PyArray_ScalarAsCtype(obj, data);
    int owned;
    t = numeric_type(s, d, &owned);
    if (t < 0)
        goto done;
    rc = write_attr(s, g, slot, t, s->scalar_space, data);
    if (rc == 0) /* integrity hook */
        jx_seal_data(s->seal, g, slot, d, t, 0, NULL, data, (size_t)PyDataType_ELSIZE(d));
    if (!owned)
        t = -1;
done:
    if (t >= 0)
        H5Tclose(t);
    Py_DECREF(d);
    return rc;
}

/* An array-like node: attribute "slot:hint" holding the data, or attribute "slot" = hint
 * plus dataset "slot" (storage hint or large data). key is the memo key (original object). */
int jx_sv_array(Saver *s, hid_t g, const char *slot, size_t slot_len, const char *hint,
                      PyObject *key, PyArrayObject *arr)
{
    PyArrayObject *c = NULL;
    hid_t t = -1, t_cached = -1, space = -1, d = -1, dcpl = -1;
    JxCrcPieces pieces; /* integrity: the CRC of a sharded write */
    Buf name;
    int rc = -1;
    buf_init(&name);
    if (!PyArray_IS_C_CONTIGUOUS(arr) || !PyArray_ISALIGNED(arr)) {
        c = (PyArrayObject *)PyArray_NewCopy(arr, NPY_CORDER);
        if (!c)
            goto done;
        arr = c;
    }
    const char *exact = NULL;
    int t_owned = 1;
    t = PyArray_DESCR(arr)->type_num >= NPY_USERDEF ? jx_h5type_exact(PyArray_DESCR(arr), &exact)
                                                     : numeric_type(s, PyArray_DESCR(arr), &t_owned);
    if (t < 0) {
        prefix_type_error(s);
        goto done;
    }
    if (!t_owned)
        t_cached = t;
    space = array_space(s, PyArray_NDIM(arr), PyArray_DIMS(arr));
    if (space < 0) {
        fail_h5(s, "cannot describe the shape of", slot);
        goto done;
    }
    Py_ssize_t nbytes = PyArray_NBYTES(arr);
    jx_crc_pieces_init(&pieces, (uint64_t)nbytes);
    /* exact dtypes always live in datasets, with their name on the dataset (readers of the
     * plain layout never look at dataset attributes) */
    PyObject *spec = NULL;
    int to_ds = jx_sv_storage(s, key, nbytes, &spec);
    if (to_ds < 0)
        goto done;
    to_ds |= exact != NULL;
    if (to_ds) {
        if (attr_name(&name, slot, slot_len, NULL) < 0 ||
            write_text(s, g, name.p, hint, strlen(hint)) < 0 ||
            register_path(s, key, slot, slot_len) < 0)
            goto done;
        dcpl = jx_sv_dcpl(s, spec, PyArray_NDIM(arr), PyArray_DIMS(arr),
                          (size_t)PyArray_ITEMSIZE(arr), name.p);
        if (dcpl < 0)
            goto done;
        d = H5Dcreate2(g, name.p, t, space, s->lcpl_ascii, dcpl, H5P_DEFAULT);
        if (d < 0) {
            fail_h5(s, "cannot create dataset", name.p);
            goto done;
        }
        if (exact && write_text(s, d, "JAXON_DTYPE", exact, strlen(exact)) < 0)
            goto done;
        if (nbytes > 0 && s->o->pending && !s->shards) {
            /* written after the walk (save_job.c); the pending list owns the dataset. A
             * sharded array is written here, shard by shard, in either mode. */
            if (jx_pending_add(s->o->pending, d, t, (PyObject *)arr, key, s->o->copy_arrays) < 0)
                goto done;
            d = -1;
        } else if (nbytes > 0 && s->o->mpi) {
            /* a collective save: every process calls this for every dataset (save_mpi.c) */
            if (jx_mpi_write(s->o->mpi, d, t, arr, s->shards, s->shards_global) < 0) {
                if (!PyErr_Occurred())
                    fail_h5(s, "cannot write dataset", name.p);
                goto done;
            }
        } else {
            /* integrity hook: the CRC is computed on a helper thread while the data is
             * written (sharded writes hash each shard as it goes) */
            JxHashJob *job = s->shards ? NULL : jx_hash_start(s->seal != NULL, PyArray_DATA(arr),
                                                              (size_t)nbytes);
            int w = nbytes > 0 ? (s->shards ? jx_sv_write_shards(d, t, arr, s->shards, &pieces)
                                            : jx_dataset_io(d, t, PyArray_DATA(arr),
                                                            (hsize_t)nbytes, 1))
                               : 0;
            int sealed = s->shards ? (w == 0 ? jx_seal_dataset_pieces(s->seal != NULL, d, &pieces) : 0)
                                   : jx_seal_dataset_finish(s->seal != NULL, job, d,
                                                            PyArray_DATA(arr), (size_t)nbytes,
                                                            w == 0);
            if (w < 0) {
                if (!PyErr_Occurred())
                    fail_h5(s, "cannot write dataset", name.p);
                goto done;
            }
            if (sealed < 0) {
                fail_h5(s, "cannot record the checksum of dataset", name.p);
                goto done;
            }
        }
    } else {
        if ((s->shards && (s->o->mpi ? jx_mpi_fill(s->o->mpi, arr, s->shards, s->shards_global)
                                     : jx_sv_fill_shards(arr, s->shards)) < 0) ||
            attr_name(&name, slot, slot_len, hint) < 0 ||
            write_attr(s, g, name.p, t, space, nbytes > 0 ? PyArray_DATA(arr) : NULL) < 0 ||
            register_path(s, key, name.p, name.len) < 0)
            goto done;
        jx_seal_data(s->seal, g, name.p, PyArray_DESCR(arr), t, PyArray_NDIM(arr),
                     PyArray_DIMS(arr), PyArray_DATA(arr), (size_t)nbytes); /* integrity */
    }
    rc = 0;
done:
    if (d >= 0 && H5Dclose(d) < 0 && rc == 0)
        rc = fail_h5(s, "cannot close dataset", name.p);
    if (dcpl >= 0 && dcpl != s->dcpl)
        H5Pclose(dcpl);
    if (t >= 0 && t != t_cached) /* the space always belongs to the save (array_space) */
        H5Tclose(t);
    Py_XDECREF(c);
    buf_free(&name);
    return rc;
}

static int save_bytes_like(Saver *s, hid_t g, const char *slot, size_t slot_len, PyObject *obj,
                           const char *hint)
{
    PyArrayObject *arr = NULL;
    if (PyBytes_CheckExact(obj) || PyByteArray_CheckExact(obj)) {
        npy_intp n = PyBytes_CheckExact(obj) ? PyBytes_GET_SIZE(obj) : PyByteArray_GET_SIZE(obj);
        void *p = PyBytes_CheckExact(obj) ? (void *)PyBytes_AS_STRING(obj)
                                          : (void *)PyByteArray_AS_STRING(obj);
        /* a read-only view of the bytes, no copy */
        arr = (PyArrayObject *)PyArray_New(&PyArray_Type, 1, &n, NPY_UINT8, NULL, p, 0,
                                           NPY_ARRAY_C_CONTIGUOUS, NULL);
    } else {
        arr = (PyArrayObject *)PyArray_FromAny(obj, NULL, 0, 0, 0, NULL); /* memoryview */
    }
    if (!arr)
        return -1;
    int rc = jx_sv_array(s, g, slot, slot_len, hint, obj, arr);
    Py_DECREF(arr);
    return rc;
}

/* Number of decimal digits of n-1 (for zero-padded names of very large containers). */
static int index_width(Py_ssize_t n)
{
    int w = 1;
    for (Py_ssize_t v = n > 0 ? n - 1 : 0; v >= 10; v /= 10)
        w++;
    return w;
}

/* Text of a simple dict key into b: 1 simple, 0 not simple, -1 error. Strings with NUL or
 * '/' are not simple: NUL cannot be in an HDF5 name, and '/' would nest groups (the v1.2.0
 * and v2.x writers' bugs B1-2/B2-1); key(i)/value(i) pairs hold any key. */
static int simple_key_text(Saver *s, PyObject *key, Buf *b)
{
    PyTypeObject *t = Py_TYPE(key);
    if (t == &PyUnicode_Type) {
        Py_ssize_t n;
        const char *u = PyUnicode_AsUTF8AndSize(key, &n);
        if (!u)
            return -1;
        if (n > JXV_MAX_SIMPLE_KEY || memchr(u, '\0', (size_t)n) || memchr(u, '/', (size_t)n))
            return 0;
    } else if (t == &PyLong_Type || t == &PyFloat_Type || t == &PyBool_Type ||
               t == &PyComplex_Type) {
        if (s->o->py_to_np_types) {
            int conv = PyObject_IsInstance(key, s->o->py_to_np_types);
            if (conv)
                return conv < 0 ? -1 : 0;
        }
    } else if (!(key == Py_None || key == Py_Ellipsis || t == &PyRange_Type ||
                 t == &PySlice_Type)) {
        return 0;
    }
    int r = jx_sv_atom_text(s, key, b);
    if (r == 1 && (b->len > JXV_MAX_SIMPLE_KEY || memchr(b->p, '/', b->len)))
        return 0; /* e.g. float(1e-05) has no '/', but be safe for every atom */
    return r;
}

int jx_sv_container(Saver *s, hid_t g, const char *slot, size_t slot_len, PyObject *obj,
                    PyObject *key, const char *tag)
{
    hid_t child = -1;
    PyObject *iter = NULL, *item = NULL, *seq = NULL, *ordered = NULL, *sorted_dict = NULL;
    Buf name, key_text;
    size_t saved_path = 0;
    int rc = -1, pushed = 0;
    buf_init(&name);
    buf_init(&key_text);
    Py_ssize_t n = PyObject_Length(obj);
    if (n < 0)
        goto done;
    PyTypeObject *t = Py_TYPE(obj);
    int is_dict = t == &PyDict_Type;
    int tracked = n <= JXV_MAX_TRACKED;
    if (s->nframes >= JXV_MAX_NESTING) {
        /* the loader's limit too (ext.h): a file it would refuse is not written */
        PyObject *path = jx_sv_pytree_path(s);
        if (path)
            PyErr_Format(s->st->JaxonError,
                         "cannot save %U: containers nest more than %d levels deep there "
                         "(the limit shared by save and load, docs/security.md)", path,
                         JXV_MAX_NESTING);
        Py_XDECREF(path);
        s->noted = 1;
        goto done;
    }
    if (!tracked && is_dict) {
        /* HDF5 cannot track the creation order of more than 65,535 attributes: readers take
         * the entries of such a dict in name order, which only simple-atom slots allow (a
         * key(i)/value(i) pair would not stay together); checked before anything is written */
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        /* the entries in name order (the order readers take them in, and the order the
         * group's integrity record is computed in): a sorted list of (slot text, key, value) */
        ordered = PyList_New(0);
        if (!ordered)
            goto done;
        while (PyDict_Next(obj, &pos, &k, &v)) {
            key_text.len = 0;
            int simple = simple_key_text(s, k, &key_text);
            if (simple < 0)
                goto done;
            if (simple) {
                PyObject *e = Py_BuildValue("(y#OO)", key_text.p, (Py_ssize_t)key_text.len, k, v);
                int rc_add = e ? PyList_Append(ordered, e) : -1;
                Py_XDECREF(e);
                if (rc_add < 0)
                    goto done;
            }
            if (!simple) {
                PyObject *path = jx_sv_pytree_path(s);
                if (path)
                    PyErr_Format(PyExc_ValueError,
                                 "cannot save %U: a dict of more than 65,535 entries (%zd) is "
                                 "stored in name order, so its keys must be strings, numbers, "
                                 "None or other simple atoms; the key %.200R is not",
                                 path, n, k);
                Py_XDECREF(path);
                s->noted = 1;
                goto done;
            }
        }
    }
    if (!jx_memo_put(&s->memo, key))
        goto done;
    if (attr_name(&name, slot, slot_len, NULL) < 0)
        goto done;
    child = H5Gcreate2(g, name.p, is_ascii(slot, slot_len) ? s->lcpl_ascii : s->lcpl_utf8,
                       tracked ? s->gcpl : s->gcpl_untracked, H5P_DEFAULT);
    if (child < 0) {
        fail_h5(s, "cannot create group", name.p);
        goto done;
    }
    if (jx_seal_push(s->seal, child) < 0) /* integrity hook */
        goto done;
    if (path_push(s, slot, slot_len, &saved_path) < 0)
        goto done;
    pushed = 1;
    char num[48];
    /* Beyond 65,535 items creation order cannot be tracked; zero-padded index names keep
     * the order for readers that then iterate by name (spec section 11). */
    int width = tracked ? 0 : index_width(n);
    if (is_dict) {
        Py_ssize_t pos = 0, i = 0;
        PyObject *k, *v, *src = obj;
        if (ordered) { /* beyond 65,535 entries: written in name order (see above) */
            if (PyList_Sort(ordered) < 0 || !(src = sorted_dict = PyDict_New()))
                goto done;
            for (Py_ssize_t j = 0; j < PyList_GET_SIZE(ordered); j++) {
                PyObject *e = PyList_GET_ITEM(ordered, j);
                if (PyDict_SetItem(sorted_dict, PyTuple_GET_ITEM(e, 1), PyTuple_GET_ITEM(e, 2)) < 0)
                    goto done;
            }
        }
        while (PyDict_Next(src, &pos, &k, &v)) {
            Py_INCREF(k);
            Py_INCREF(v);
            key_text.len = 0;
            int simple = simple_key_text(s, k, &key_text);
            int r = 0;
            if (simple < 0) {
                r = -1;
            } else if (simple) {
                r = push_frame(s, FRAME_DICT_VALUE, k, i) < 0 ||
                    jx_sv_node(s, child, key_text.p, key_text.len, v) < 0 ? note_path(s) : 0;
                s->nframes--;
            } else {
                memcpy(num, "key(", 4);
                int kn = 4 + (int)format_decimal(num + 4, (unsigned long long)i, 0);
                num[kn++] = ')';
                num[kn] = '\0';
                r = push_frame(s, FRAME_DICT_KEY, k, i) < 0 ||
                    jx_sv_node(s, child, num, (size_t)kn, k) < 0 ? note_path(s) : 0;
                s->nframes--;
                if (r == 0) {
                    memcpy(num, "value(", 6);
                    kn = 6 + (int)format_decimal(num + 6, (unsigned long long)i, 0);
                    num[kn++] = ')';
                    num[kn] = '\0';
                    r = push_frame(s, FRAME_DICT_VALUE, k, i) < 0 ||
                        jx_sv_node(s, child, num, (size_t)kn, v) < 0 ? note_path(s) : 0;
                    s->nframes--;
                }
            }
            Py_DECREF(k);
            Py_DECREF(v);
            if (r < 0)
                goto done;
            if (PyDict_GET_SIZE(obj) != n) {
                PyErr_SetString(PyExc_RuntimeError, "dictionary changed size during save");
                goto done;
            }
            i++;
        }
    } else {
        int is_set = t == &PySet_Type || t == &PyFrozenSet_Type;
        FrameKind fk = is_set ? FRAME_SET_ITEM : FRAME_INDEX;
        /* lists may change while a marshaler runs: walk a snapshot that owns its items;
         * sets are written in a canonical order so files do not depend on the hash seed */
        seq = t == &PyTuple_Type ? Py_NewRef(obj) : is_set ? jx_sv_canonical_order(s, obj)
                                                           : PySequence_Tuple(obj);
        if (!seq)
            goto done;
        Py_ssize_t m = PyTuple_GET_SIZE(seq);
        for (Py_ssize_t i = 0; i < m; i++) {
            int kn = (int)format_decimal(num, (unsigned long long)i, width);
            if (push_frame(s, fk, NULL, i) < 0)
                goto done;
            int r = jx_sv_node(s, child, num, (size_t)kn, PyTuple_GET_ITEM(seq, i));
            if (r < 0)
                note_path(s);
            s->nframes--;
            if (r < 0)
                goto done;
        }
    }
    s->path_len = saved_path;
    pushed = 0;
    if (jx_seal_pop(s->seal, child) < 0) { /* integrity hook: the group's record */
        fail_h5(s, "cannot record the checksum of group", name.p);
        goto done;
    }
    herr_t cr = H5Gclose(child);
    child = -1;
    if (cr < 0) {
        fail_h5(s, "cannot close group", name.p);
        goto done;
    }
    if (write_text(s, g, name.p, tag, strlen(tag)) < 0 ||
        register_path(s, key, slot, slot_len) < 0)
        goto done;
    rc = 0;
done:
    if (pushed)
        s->path_len = saved_path;
    if (child >= 0)
        H5Gclose(child);
    Py_XDECREF(iter);
    Py_XDECREF(item);
    Py_XDECREF(seq);
    Py_XDECREF(ordered);
    Py_XDECREF(sorted_dict);
    buf_free(&name);
    buf_free(&key_text);
    return rc;
}

static PyObject *scalar_of(int type_num, void *data)
{
    PyArray_Descr *d = PyArray_DescrFromType(type_num);
    if (!d)
        return NULL;
    PyObject *r = PyArray_Scalar(data, d, NULL);
    Py_DECREF(d);
    return r;
}

/* Python numbers converted by py_to_np_types -> numpy scalars (spec §3.2 row 4). */
static int save_as_numpy_scalar(Saver *s, hid_t g, const char *slot, PyObject *obj)
{
    PyObject *np_obj = NULL;
    PyTypeObject *t = Py_TYPE(obj);
    if (PyBool_Check(obj)) {
        np_obj = scalar_of(NPY_BOOL, &(npy_bool){obj == Py_True});
    } else if (PyLong_Check(obj)) {
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
        if (!overflow) {
            npy_int64 x = v;
            np_obj = scalar_of(NPY_INT64, &x);
        } else {
            unsigned long long u = PyLong_AsUnsignedLongLong(obj);
            if (u == (unsigned long long)-1 && PyErr_Occurred()) {
                PyErr_Format(PyExc_OverflowError,
                             "the int %R does not fit int64 or uint64 (py_to_np_types)", obj);
                return -1;
            }
            npy_uint64 x = u;
            np_obj = scalar_of(NPY_UINT64, &x);
        }
    } else if (PyFloat_Check(obj)) {
        double x = PyFloat_AsDouble(obj);
        np_obj = scalar_of(NPY_DOUBLE, &x);
    } else if (PyComplex_Check(obj)) {
        double x[2] = {PyComplex_RealAsDouble(obj), PyComplex_ImagAsDouble(obj)};
        np_obj = scalar_of(NPY_CDOUBLE, &x);
    } else {
        PyErr_Format(PyExc_TypeError, "cannot convert %.100s to a numpy scalar", t->tp_name);
        return -1;
    }
    if (!np_obj)
        return -1;
    int rc = save_numeric_scalar(s, g, slot, np_obj);
    Py_DECREF(np_obj);
    return rc;
}

/* jax.Array, if jax has been imported by the program (we never import it ourselves). */
static int is_jax_array(Saver *s, PyObject *obj)
{
    JxState *st = s->st;
    if (!st->jax_array_type) {
        PyObject *name = PyUnicode_FromString("jax");
        PyObject *jax = name ? PyImport_GetModule(name) : NULL;
        Py_XDECREF(name);
        if (!jax)
            return PyErr_Occurred() ? -1 : 0;
        st->jax_array_type = PyObject_GetAttrString(jax, "Array");
        Py_DECREF(jax);
        if (!st->jax_array_type)
            return -1;
    }
    return PyObject_IsInstance(obj, st->jax_array_type);
}

PyObject *jx_sv_qualname(PyObject *t)
{
    PyObject *mod = PyObject_GetAttrString(t, "__module__");
    PyObject *qn = mod ? PyObject_GetAttrString(t, "__qualname__") : NULL;
    PyObject *r = qn ? PyUnicode_FromFormat("%S.%S", mod, qn) : NULL;
    Py_XDECREF(mod);
    Py_XDECREF(qn);
    return r;
}

/* The first base type of the layout obj is an instance of, for downcast_to_base_types. */
static PyObject *downcast(Saver *s, PyObject *obj)
{
    PyTypeObject *bases[] = {&PyLong_Type, &PyFloat_Type, &PyBool_Type, &PyComplex_Type,
                             &PyRange_Type, &PySlice_Type, &PyUnicode_Type, &PyBytes_Type,
                             &PyByteArray_Type, &PyMemoryView_Type, &PyList_Type,
                             &PyTuple_Type, &PyDict_Type, &PySet_Type, &PyFrozenSet_Type};
    if (PyArray_Check(obj))
        return PyArray_View((PyArrayObject *)obj, NULL, &PyArray_Type);
    if (PyArray_IsScalar(obj, Generic)) {
        PyArray_Descr *d = PyArray_DescrFromScalar(obj);
        if (!d)
            return NULL;
        if (PyDataType_ISFLEXIBLE(d)) {
            /* np.str_/np.bytes_ subclasses: ScalarAsCtype hands out a pointer for flexible
             * types, not the data; they are str/bytes subclasses too, stored as those
             * (as the Python jaxon 1.2.0 writer does) */
            Py_DECREF(d);
            goto python_bases;
        }
        _Alignas(16) char data[64];
        PyObject *r = NULL;
        if ((size_t)PyDataType_ELSIZE(d) <= sizeof data) {
            PyArray_ScalarAsCtype(obj, data);
            r = PyArray_Scalar(data, d, NULL);
        } else {
            r = Py_NewRef(Py_None);
        }
        Py_DECREF(d);
        return r;
    }
python_bases:
    /* bool before int would be wrong: bool cannot be subclassed, so int first is safe */
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        if (PyObject_TypeCheck(obj, bases[i]))
            return PyObject_CallOneArg((PyObject *)bases[i], obj);
    }
    Py_RETURN_NONE;
}

int jx_sv_dill(Saver *s, hid_t g, const char *slot, size_t slot_len, PyObject *obj)
{
    PyObject *dill = NULL, *dumps = NULL, *args = NULL, *blob = NULL, *qn = NULL;
    PyArrayObject *arr = NULL;
    Buf hint;
    int rc = -1;
    buf_init(&hint);
    dill = jx_import_optional("dill", "dill", "saving with allow_dill=True");
    if (!dill)
        goto done;
    dumps = PyObject_GetAttrString(dill, "dumps");
    args = PyTuple_Pack(1, obj);
    if (!dumps || !args)
        goto done;
    blob = PyObject_Call(dumps, args, s->o->dill_kwargs);
    if (!blob)
        goto done;
    if (!PyBytes_Check(blob)) {
        PyErr_SetString(PyExc_TypeError, "dill.dumps did not return bytes");
        goto done;
    }
    qn = jx_sv_qualname((PyObject *)Py_TYPE(obj));
    if (!qn)
        goto done;
    Py_ssize_t qlen;
    const char *q = PyUnicode_AsUTF8AndSize(qn, &qlen);
    if (!q || buf_add(&hint, "!", 1) < 0 || buf_add(&hint, q, (size_t)qlen) < 0)
        goto done;
    npy_intp n = PyBytes_GET_SIZE(blob);
    arr = (PyArrayObject *)PyArray_New(&PyArray_Type, 1, &n, NPY_UINT8, NULL,
                                       PyBytes_AS_STRING(blob), 0, NPY_ARRAY_C_CONTIGUOUS, NULL);
    if (!arr)
        goto done;
    rc = jx_sv_array(s, g, slot, slot_len, hint.p, obj, arr);
done:
    Py_XDECREF(dill);
    Py_XDECREF(dumps);
    Py_XDECREF(args);
    Py_XDECREF(blob);
    Py_XDECREF(qn);
    Py_XDECREF(arr);
    buf_free(&hint);
    return rc;
}

/* Types outside the fast path: jax arrays, downcasts, dill, or a TypeError. */
static int save_uncommon(Saver *s, hid_t g, const char *slot, size_t slot_len, PyObject *obj)
{
    int j = is_jax_array(s, obj);
    if (j < 0)
        return -1;
    if (j) {
        /* JAX's extended dtypes (typed PRNG keys) are no NumPy dtype: no array conversion */
        PyObject *dt = PyObject_GetAttrString(obj, "dtype");
        if (!dt)
            return -1;
        int numpy_dtype = PyArray_DescrCheck(dt);
        Py_DECREF(dt);
        if (!numpy_dtype)
            return jx_sv_prng_key(s, g, slot, slot_len, obj);
        /* a sharded array is written shard by shard (save_shards.c), never gathered */
        PyArrayObject *arr = NULL;
        PyObject *shards = NULL;
        int global = 0;
        int sh = jx_sv_shards_prepare(obj, s->o->mpi != NULL, &arr, &shards, &global);
        if (sh < 0)
            return -1;
        if (!sh)
            arr = (PyArrayObject *)PyArray_FromAny(obj, NULL, 0, 0, 0, NULL);
        if (!arr)
            return -1;
        s->shards = shards;
        s->shards_global = global;
        int rc = jx_sv_array(s, g, slot, slot_len, JXV_NAME_JAX, obj, arr);
        s->shards = NULL;
        s->shards_global = 0;
        Py_XDECREF(shards);
        Py_DECREF(arr);
        return rc;
    }
    if (s->o->downcast_to_base_types) {
        int listed = PySequence_Contains(s->o->downcast_to_base_types, (PyObject *)Py_TYPE(obj));
        if (listed < 0)
            return -1;
        if (listed) {
            PyObject *base = downcast(s, obj);
            if (!base)
                return -1;
            if (base != Py_None) {
                int rc = jx_sv_node(s, g, slot, slot_len, base);
                JxMemoEntry *e = rc == 0 ? jx_memo_get(&s->memo, base) : NULL;
                /* later occurrences of the original become references to the stored base */
                if (e && e->path_off >= 0) {
                    Py_ssize_t off = e->path_off, len = e->path_len;
                    Buf copy;
                    buf_init(&copy);
                    rc = buf_add(&copy, s->memo.arena + off, (size_t)len) < 0 ||
                         jx_memo_done(&s->memo, obj, copy.p, copy.len) < 0 ? -1 : 0;
                    buf_free(&copy);
                }
                Py_DECREF(base);
                return rc;
            }
            Py_DECREF(base);
        }
    }
    int c = jx_sv_custom(s, g, slot, slot_len, obj);
    if (c != 0)
        return c < 0 ? -1 : 0;
    if (s->o->allow_dill)
        return jx_sv_dill(s, g, slot, slot_len, obj);
    if (PyFunction_Check(obj))
        return jx_sv_fail_type(s, obj, "defined as lambdas or inside other functions cannot be "
                                       "stored by name (pass allow_dill=True to store them "
                                       "with dill)");
    return jx_sv_fail_type(s, obj, "are not supported (pass allow_dill=True to store them with "
                                   "dill, or give them to_jaxon/from_jaxon or a custom marshaler)");
}

static int save_text_atom(Saver *s, hid_t g, const char *slot, size_t slot_len, PyObject *obj)
{
    Buf text;
    buf_init(&text);
    int r = jx_sv_atom_text(s, obj, &text);
    int rc = r == 1 ? write_text(s, g, slot, text.p, text.len) : -1;
    buf_free(&text);
    return rc;
}

int jx_sv_node(Saver *s, hid_t g, const char *slot, size_t slot_len, PyObject *obj)
{
    PyTypeObject *t = Py_TYPE(obj);
    /* atoms: never memoised, always copied */
    if (t == &PyLong_Type || t == &PyFloat_Type || t == &PyBool_Type || t == &PyComplex_Type) {
        if (s->o->py_to_np_types) {
            int conv = PyObject_IsInstance(obj, s->o->py_to_np_types);
            if (conv < 0)
                return -1;
            if (conv)
                return save_as_numpy_scalar(s, g, slot, obj);
        }
        return save_text_atom(s, g, slot, slot_len, obj);
    }
    if (obj == Py_None || obj == Py_Ellipsis || t == &PyRange_Type || t == &PySlice_Type)
        return save_text_atom(s, g, slot, slot_len, obj);
    if (jx_is_numeric_scalar(obj))
        return save_numeric_scalar(s, g, slot, obj);

    /* referenceable nodes */
    JxMemoEntry *e = jx_memo_get(&s->memo, obj);
    if (e) {
        if (e->path_off >= 0)
            return save_reference(s, g, slot, slot_len, e);
        PyObject *path = jx_sv_pytree_path(s);
        if (path) {
            PyErr_Format(s->st->CircularPyTreeException,
                         "the pytree contains a cycle: %U is one of its own containers", path);
            Py_DECREF(path);
        }
        s->noted = 1;
        return -1;
    }
    if (t == &PyUnicode_Type) {
        if (save_text_atom(s, g, slot, slot_len, obj) < 0)
            return -1;
        return register_path(s, obj, slot, slot_len);
    }
    const char *tag = t == &PyDict_Type ? JXV_NAME_DICT : t == &PyList_Type ? JXV_NAME_LIST
                      : t == &PyTuple_Type ? JXV_NAME_TUPLE : t == &PySet_Type ? JXV_NAME_SET
                      : t == &PyFrozenSet_Type ? JXV_NAME_FROZENSET : NULL;
    if (tag) {
        /* Ctrl-C is honoured between containers, not only after the whole walk; depth is
         * bounded by jx_sv_container (JXV_MAX_NESTING), not by the interpreter's recursion
         * limit, which would refuse trees the loader reads */
        if (PyErr_CheckSignals() < 0)
            return -1;
        return jx_sv_container(s, g, slot, slot_len, obj, obj, tag);
    }
    if (t == &PyArray_Type)
        return jx_sv_array(s, g, slot, slot_len, JXV_NAME_NDARRAY, obj, (PyArrayObject *)obj);
    if (t == &PyBytes_Type)
        return save_bytes_like(s, g, slot, slot_len, obj, JXV_NAME_BYTES);
    if (t == &PyByteArray_Type)
        return save_bytes_like(s, g, slot, slot_len, obj, JXV_NAME_BYTEARRAY);
    if (t == &PyMemoryView_Type)
        return save_bytes_like(s, g, slot, slot_len, obj, JXV_NAME_MEMORYVIEW);
    return save_uncommon(s, g, slot, slot_len, obj);
}

/* ---- entry point ------------------------------------------------------------------------- */

static int saver_open(Saver *s)
{
    s->gcpl = jx_make_gcpl();
    s->gcpl_untracked = H5Pcreate(H5P_GROUP_CREATE);
    s->lcpl_ascii = H5Pcreate(H5P_LINK_CREATE);
    s->lcpl_utf8 = H5Pcreate(H5P_LINK_CREATE);
    s->dcpl = H5Pcreate(H5P_DATASET_CREATE);
    s->scalar_space = H5Screate(H5S_SCALAR);
    if (s->gcpl < 0 || s->gcpl_untracked < 0 || s->lcpl_ascii < 0 || s->lcpl_utf8 < 0 ||
        s->dcpl < 0 || s->scalar_space < 0 ||
        H5Pset_obj_track_times(s->gcpl_untracked, 0) < 0 ||
        H5Pset_create_intermediate_group(s->lcpl_ascii, 1) < 0 ||
        H5Pset_create_intermediate_group(s->lcpl_utf8, 1) < 0 ||
        H5Pset_char_encoding(s->lcpl_utf8, H5T_CSET_UTF8) < 0 ||
        H5Pset_obj_track_times(s->dcpl, 0) < 0 || H5Pset_layout(s->dcpl, H5D_CONTIGUOUS) < 0) {
        jx_raise_h5(s->st->JaxonError, "cannot set up the HDF5 property lists");
        return -1;
    }
    return jx_memo_init(&s->memo);
}

static void saver_close(Saver *s)
{
    hid_t *ids[] = {&s->gcpl, &s->gcpl_untracked, &s->lcpl_ascii, &s->lcpl_utf8, &s->dcpl};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (*ids[i] >= 0)
            H5Pclose(*ids[i]);
    if (s->scalar_space >= 0)
        H5Sclose(s->scalar_space);
    if (s->shape_space >= 0)
        H5Sclose(s->shape_space);
    for (size_t i = 0; i < JX_STR_TYPE_CACHE; i++)
        if (s->str_types[i] >= 0)
            H5Tclose(s->str_types[i]);
    for (size_t i = 0; i < JX_NUM_TYPE_SLOTS; i++)
        if (s->num_types[i] >= 0)
            H5Tclose(s->num_types[i]);
    jx_memo_clear(&s->memo);
    PyMem_Free(s->path);
    PyMem_Free(s->frames);
}

int jx_save_tree(JxState *st, hid_t file_id, PyObject *pytree, const JxSaveOptions *opts)
{
    Saver s;
    memset(&s, 0, sizeof s);
    s.st = st;
    s.o = opts;
    s.gcpl = s.gcpl_untracked = s.lcpl_ascii = s.lcpl_utf8 = s.dcpl = s.scalar_space = -1;
    s.shape_space = -1;
    for (size_t i = 0; i < JX_STR_TYPE_CACHE; i++)
        s.str_types[i] = -1;
    for (size_t i = 0; i < JX_NUM_TYPE_SLOTS; i++)
        s.num_types[i] = -1;
    hid_t root = -1;
    int rc = -1;
    if (saver_open(&s) < 0)
        goto done;
    root = H5Gopen2(file_id, "/", H5P_DEFAULT);
    if (root < 0) {
        jx_raise_h5(st->JaxonError, "cannot open the root group");
        goto done;
    }
    /* integrity hooks: "/" is the bottom frame; its record says the file has checksums */
    if (opts->pending)
        opts->pending->checksums = opts->checksums;
    if (opts->checksums && (!(s.seal = jx_seal_new()) || jx_seal_push(s.seal, root) < 0))
        goto done;
    rc = jx_sv_node(&s, root, "JAXON_ROOT", 10, pytree);
    if (rc < 0)
        note_path(&s);
    else if (jx_seal_pop(s.seal, root) < 0)
        rc = jx_raise_h5_int(st->JaxonError, "cannot record the checksum of the root group");
done:
    if (root >= 0)
        H5Gclose(root);
    jx_seal_free(s.seal);
    saver_close(&s);
    return rc;
}
