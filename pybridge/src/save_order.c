/* The canonical order of set elements: files do not depend on the hash seed, and every
 * process of a collective save writes a set's elements in the same order. */
#include "save_internal.h"

#include <stdlib.h>
#include <string.h>

/* Appends a key that orders set elements the same way in every process (no hashes, no
 * addresses for the supported types): type name, then the value's own bytes or atom text,
 * recursing into tuples and frozensets (whose elements are sorted first). */
static int canon_key(Saver *s, PyObject *x, Buf *b, int depth);

typedef struct CanonItem {
    Buf key;
    PyObject *item; /* borrowed from the set snapshot */
} CanonItem;

static int canon_cmp(const void *pa, const void *pb)
{
    const CanonItem *a = pa, *b = pb;
    size_t n = a->key.len < b->key.len ? a->key.len : b->key.len;
    int c = memcmp(a->key.p, b->key.p, n);
    return c ? c : (a->key.len > b->key.len) - (a->key.len < b->key.len);
}

/* A tuple of the set's elements in canonical order (new ref). */
PyObject *jx_sv_canonical_order(Saver *s, PyObject *set)
{
    PyObject *snap = PySequence_Tuple(set), *out = NULL;
    if (!snap)
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(snap);
    CanonItem *items = PyMem_Calloc((size_t)(n ? n : 1), sizeof(CanonItem));
    if (!items) {
        Py_DECREF(snap);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        buf_init(&items[i].key);
        items[i].item = PyTuple_GET_ITEM(snap, i);
    }
    Py_ssize_t done = 0;
    for (; done < n; done++) {
        if (canon_key(s, items[done].item, &items[done].key, 0) < 0)
            goto error;
        /* the inline buffer moves with qsort: give every key its own heap copy */
        if (items[done].key.p == items[done].key.inline_) {
            char *p = PyMem_Malloc(items[done].key.len + 1);
            if (!p) {
                PyErr_NoMemory();
                goto error;
            }
            memcpy(p, items[done].key.p, items[done].key.len);
            items[done].key.p = p;
            items[done].key.cap = items[done].key.len + 1;
        }
    }
    qsort(items, (size_t)n, sizeof(CanonItem), canon_cmp);
    out = PyTuple_New(n);
    for (Py_ssize_t i = 0; out && i < n; i++)
        PyTuple_SET_ITEM(out, i, Py_NewRef(items[i].item));
error:
    for (Py_ssize_t i = 0; i < n; i++)
        if (items[i].key.p != items[i].key.inline_)
            PyMem_Free(items[i].key.p);
    PyMem_Free(items);
    Py_DECREF(snap);
    return out;
}

static int canon_key(Saver *s, PyObject *x, Buf *b, int depth)
{
    PyTypeObject *t = Py_TYPE(x);
    if (depth > 100) {
        PyErr_SetString(PyExc_RecursionError, "set element nested too deeply");
        return -1;
    }
    if (buf_adds(b, t->tp_name) < 0 || buf_add(b, "\x1f", 1) < 0)
        return -1;
    if (t == &PyBytes_Type)
        return buf_add(b, PyBytes_AS_STRING(x), (size_t)PyBytes_GET_SIZE(x));
    if (t == &PyTuple_Type) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(x); i++)
            if (canon_key(s, PyTuple_GET_ITEM(x, i), b, depth + 1) < 0 || buf_add(b, "\x1e", 1) < 0)
                return -1;
        return 0;
    }
    if (t == &PyFrozenSet_Type) {
        PyObject *sorted = jx_sv_canonical_order(s, x);
        if (!sorted)
            return -1;
        int rc = 0;
        for (Py_ssize_t i = 0; rc == 0 && i < PyTuple_GET_SIZE(sorted); i++)
            rc = canon_key(s, PyTuple_GET_ITEM(sorted, i), b, depth + 1) < 0 ||
                 buf_add(b, "\x1e", 1) < 0 ? -1 : 0;
        Py_DECREF(sorted);
        return rc;
    }
    if (PyArray_IsScalar(x, Generic)) {
        PyArray_Descr *d = PyArray_DescrFromScalar(x);
        _Alignas(16) char data[64];
        if (!d)
            return -1;
        int rc = -1;
        if ((size_t)PyDataType_ELSIZE(d) <= sizeof data) {
            PyArray_ScalarAsCtype(x, data);
            rc = buf_add(b, &d->kind, 1) < 0 ||
                 buf_add(b, data, (size_t)PyDataType_ELSIZE(d)) < 0 ? -1 : 0;
        }
        Py_DECREF(d);
        if (rc == 0 || PyErr_Occurred())
            return rc;
    }
    int r = jx_sv_atom_text(s, x, b);
    if (r != 0)
        return r < 0 ? -1 : 0;
    PyObject *repr = PyObject_Repr(x); /* other hashables: their repr */
    if (!repr)
        return -1;
    Py_ssize_t n;
    const char *u = PyUnicode_AsUTF8AndSize(repr, &n);
    int rc = u ? buf_add(b, u, (size_t)n) : -1;
    Py_DECREF(repr);
    return rc;
}
