/* The walk both readers share (v1.2.0 in load.c, v2 in load_v2.c): a child behind the
 * load_filter, the items of a list-like container, the entries of a dict. Each layout version
 * gives a small table of operations (JxReader: load a node, turn a simple slot into its key);
 * the names of a group were checked before (jx_ld_check_names), so the walk only reads. */
#include "load_internal.h"

#include "jxv_internal.h"

#include <string.h>

PyObject *jx_ld_child(const JxReader *R, hid_t gid, const char *name, PyObject *elem)
{
    Loader *L = R->L;
    if (!L->path || L->in_key)
        return R->load_node(R->ctx, gid, name);
    int ok = jx_ld_filter_enter(L, elem);
    if (ok < 0)
        return NULL;
    PyObject *r = NULL;
    if (ok > 0) {
        r = R->load_node(R->ctx, gid, name);
    } else if (R->record_skipped) {
        /* v1: a reference to a skipped node loads it out of place later (load.c) */
        PyObject *k = jx_ld_key(L, name, strlen(name));
        if (k && PySet_Add(L->skipped, k) == 0)
            r = jx_ld_not_loaded(L);
        Py_XDECREF(k);
    } else {
        r = jx_ld_not_loaded(L);
    }
    if (jx_ld_filter_leave(L) < 0)
        Py_CLEAR(r);
    return r;
}

/* The slot of an attribute name by the layout's split (v2: stripped). */
static void slot_of(const JxReader *R, const char *name, const char **slot, size_t *sl)
{
    const char *hint;
    size_t hl;
    jxv__split_attr_name(R->v2 ? JXV_LAYOUT_V2 : JXV_LAYOUT_V1, name, strlen(name), slot, sl,
                         &hint, &hl);
}

/* Python 3.12 made slices hashable; a file with a slice key cannot load on 3.11, which jaxon
 * supports, so both the validator (unhashable-key) and this reader refuse it everywhere.
 * 1 if o is, or a tuple/frozenset holds, a slice; depth-bounded like the tree itself. */
static int holds_slice(PyObject *o, int depth)
{
    if (PySlice_Check(o))
        return 1;
    if (depth > JXV_MAX_NESTING)
        return 0;
    if (PyTuple_CheckExact(o)) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(o); i++)
            if (holds_slice(PyTuple_GET_ITEM(o, i), depth + 1))
                return 1;
    } else if (PyFrozenSet_CheckExact(o)) {
        PyObject *it = PyObject_GetIter(o), *e;
        int found = 0;
        while (it && !found && (e = PyIter_Next(it))) {
            found = holds_slice(e, depth + 1);
            Py_DECREF(e);
        }
        Py_XDECREF(it);
        PyErr_Clear(); /* iterating a frozenset cannot fail but for memory */
        return found;
    }
    return 0;
}

/* PyObject_Hash for a dict key or set element: -1 with an exception if it cannot be one. */
static Py_hash_t key_hash(PyObject *o)
{
    Py_hash_t h = PyObject_Hash(o);
    if (h != -1 && holds_slice(o, 0)) {
        PyErr_SetString(PyExc_TypeError, "unhashable type: 'slice' (before Python 3.12)");
        return -1;
    }
    return h;
}

int jx_ld_dict_entries(const JxReader *R, hid_t gid, const JxNames *nl, PyObject *d)
{
    Loader *L = R->L;
    PyObject *key = NULL, *value = NULL;
    for (size_t i = 0; i < nl->n; i++) {
        const char *name = jx_names_at(nl, i), *slot;
        size_t sl;
        slot_of(R, name, &slot, &sl);
        /* the names were checked: key(i) is followed by value(i), i counting the entries */
        if (sl > 4 && memcmp(slot, "key(", 4) == 0) {
            L->in_key++;
            key = R->load_node(R->ctx, gid, name);
            L->in_key--;
            if (!key)
                goto error;
            if (key_hash(key) == -1) {
                jx_ld_rewrap(L, name, "unhashable-key", "the dict key cannot be used as a key");
                goto error;
            }
            continue;
        }
        if (!(sl > 6 && memcmp(slot, "value(", 6) == 0)) {
            int r = R->slot_key(L, name, slot, sl, &key);
            if (r <= 0) {
                if (r == 0)
                    jx_ld_format_error(L, name, "slot-name", "the slot is not a simple atom, "
                                       "key(i) or value(i)");
                goto error;
            }
        } else if (!key) {
            jx_ld_format_error(L, name, "key-value", "value(i) without its key(i)");
            goto error;
        }
        value = jx_ld_child(R, gid, name, key);
        if (!value)
            goto error;
        Py_ssize_t before = PyDict_GET_SIZE(d);
        if (PyDict_SetItem(d, key, value) < 0) {
            jx_ld_rewrap(L, name, "unhashable-key", "the dict key cannot be used as a key");
            goto error;
        }
        if (PyDict_GET_SIZE(d) == before) {
            jx_ld_dup_key(L, name, key);
            goto error;
        }
        Py_CLEAR(key);
        Py_CLEAR(value);
    }
    if (key) {
        jx_ld_format_error(L, NULL, "key-value", "the last key(i) is not followed by value(i)");
        goto error;
    }
    return 0;
error:
    Py_XDECREF(key);
    Py_XDECREF(value);
    return -1;
}

PyObject *jx_ld_items(const JxReader *R, hid_t gid, const JxNames *nl, int ctag)
{
    Loader *L = R->L;
    PyObject *c = NULL, *item = NULL;
    Py_ssize_t n = (Py_ssize_t)nl->n;
    switch (ctag) {
    case JXV_TAG_DICT:
        c = PyDict_New();
        if (c && jx_ld_dict_entries(R, gid, nl, c) < 0)
            Py_CLEAR(c);
        return c;
    case JXV_TAG_LIST:
        c = PyList_New(n);
        break;
    case JXV_TAG_TUPLE:
        c = PyTuple_New(n);
        break;
    case JXV_TAG_SET:
        c = PySet_New(NULL);
        break;
    case JXV_TAG_FROZENSET:
        c = PyFrozenSet_New(NULL); /* filled before anyone else sees it, as the API allows */
        break;
    default:
        PyErr_SetString(PyExc_SystemError, "jx_ld_items: not a container tag");
        return NULL;
    }
    if (!c)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        const char *name = jx_names_at(nl, (size_t)i);
        if (L->path && !L->in_key) {
            PyObject *pos = PyLong_FromSsize_t(i);
            item = pos ? jx_ld_child(R, gid, name, pos) : NULL;
            Py_XDECREF(pos);
        } else {
            item = R->load_node(R->ctx, gid, name);
        }
        if (!item)
            goto error;
        if (ctag == JXV_TAG_LIST) {
            PyList_SET_ITEM(c, i, item);
        } else if (ctag == JXV_TAG_TUPLE) {
            PyTuple_SET_ITEM(c, i, item);
        } else {
            int rc = key_hash(item) == -1 ? -1 : PySet_Add(c, item);
            Py_DECREF(item);
            if (rc < 0) {
                item = NULL;
                jx_ld_rewrap(L, name, "unhashable-key", "the set element cannot be hashed");
                goto error;
            }
        }
        item = NULL;
    }
    return c;
error:
    Py_XDECREF(item);
    Py_DECREF(c);
    return NULL;
}
