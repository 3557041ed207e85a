/* Saving a sharded jax.Array without gathering it.
 *
 * numpy.asarray(x) of a jax.Array with several shards allocates a full host array, copies
 * every shard into it, and caches it on x (Array._npy_value): one extra full copy that
 * outlives the save. Instead, the dataset of such an array is written shard by shard as
 * hyperslabs (the shards with replica_id 0, one per distinct slice), each read through
 * numpy.asarray(shard.data), which on CPU devices is the device buffer itself. jx_sv_array
 * then receives an uninitialised array of the global shape and dtype as a template (its
 * pages are never touched on the dataset path, so it costs address space, not memory). */
#include "ext.h"

#include <string.h>

#include "h5util.h"
#include "save_internal.h"

static PyObject *attr(PyObject *o, const char *name)
{
    return PyObject_GetAttrString(o, name);
}

/* 1 if obj is a fully addressable jax.Array with more than one shard that is not fully
 * replicated (then *tmpl is the template array and *shards the list of (index, data) of
 * the replica-0 shards); 0 if the ordinary np.asarray path applies; -1 on error.
 * collective: every jax.Array returns 1, and one that is not fully addressable (spread over
 * processes) sets *global, its template zeroed (jx_mpi_fill ors the shards into it). */
int jx_sv_shards_prepare(PyObject *obj, int collective, PyArrayObject **tmpl, PyObject **shards,
                         int *global)
{
    PyObject *v = NULL, *all = NULL, *list = NULL, *shape = NULL, *dtype = NULL;
    PyArray_Descr *descr = NULL;
    npy_intp dims[NPY_MAXDIMS];
    int rc = -1;
    *tmpl = NULL;
    *shards = NULL;
    *global = 0;
    v = attr(obj, "is_fully_addressable");
    if (!v) {
        PyErr_Clear(); /* not a jax.Array of this API: the ordinary path decides */
        return 0;
    }
    int fa = PyObject_IsTrue(v);
    Py_SETREF(v, fa > 0 ? attr(obj, "is_fully_replicated") : NULL);
    int fr = v ? PyObject_IsTrue(v) : -1;
    if (fa == 0 && !collective) {
        /* np.asarray would fail with jax's own error, which does not mention the remedy */
        PyErr_SetString(PyExc_ValueError,
                        "this jax.Array is spread over several processes (not fully "
                        "addressable): pass comm= (an mpi4py communicator of those processes) "
                        "so that every process writes its shards into the one file, or gather "
                        "it to one process first (docs/many-processes.md)");
        goto done;
    }
    if (fa < 0 || (fa > 0 && fr < 0))
        goto done;
    if (!collective && fr != 0) {
        rc = 0;
        goto done;
    }
    all = attr(obj, "addressable_shards");
    if (!all || !PyList_Check(all)) {
        if (all)
            PyErr_SetString(PyExc_TypeError, "jax.Array.addressable_shards is not a list");
        goto done;
    }
    if (!collective && PyList_GET_SIZE(all) < 2) {
        rc = 0;
        goto done;
    }
    *global = fa == 0;
    list = PyList_New(0);
    if (!list)
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(all); i++) {
        PyObject *sh = PyList_GET_ITEM(all, i);
        PyObject *rid = attr(sh, "replica_id");
        long r = rid ? PyLong_AsLong(rid) : -1;
        Py_XDECREF(rid);
        if (r == -1 && PyErr_Occurred())
            goto done;
        if (r != 0)
            continue;
        PyObject *idx = attr(sh, "index"), *data = idx ? attr(sh, "data") : NULL;
        PyObject *pair = data ? PyTuple_Pack(2, idx, data) : NULL;
        Py_XDECREF(idx);
        Py_XDECREF(data);
        if (!pair || PyList_Append(list, pair) < 0) {
            Py_XDECREF(pair);
            goto done;
        }
        Py_DECREF(pair);
    }
    shape = attr(obj, "shape");
    dtype = shape ? attr(obj, "dtype") : NULL;
    if (!dtype || !PyTuple_Check(shape) || PyTuple_GET_SIZE(shape) > NPY_MAXDIMS) {
        if (dtype)
            PyErr_SetString(PyExc_TypeError, "unexpected jax.Array shape");
        goto done;
    }
    int nd = (int)PyTuple_GET_SIZE(shape);
    for (int i = 0; i < nd; i++) {
        dims[i] = PyLong_AsSsize_t(PyTuple_GET_ITEM(shape, i));
        if (dims[i] < 0) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "negative jax.Array dimension");
            goto done;
        }
    }
    if (!PyArray_DescrConverter(dtype, &descr))
        goto done;
    /* a global array's template is zeroed (calloc: untouched pages stay unallocated) */
    *tmpl = (PyArrayObject *)(*global ? PyArray_Zeros(nd, dims, descr, 0)
                                      : PyArray_Empty(nd, dims, descr, 0)); /* steal descr */
    if (!*tmpl)
        goto done;
    *shards = Py_NewRef(list);
    rc = 1;
done:
    Py_XDECREF(v);
    Py_XDECREF(all);
    Py_XDECREF(list);
    Py_XDECREF(shape);
    Py_XDECREF(dtype);
    return rc;
}

/* The host data of one shard as a C-contiguous array of dtype like (CPU: no copy). */
PyArrayObject *jx_sv_shard_host(PyObject *data, PyArrayObject *like)
{
    PyObject *a = PyArray_FromAny(data, NULL, 0, 0, 0, NULL);
    if (!a)
        return NULL;
    PyArray_Descr *d = PyArray_DESCR(like);
    Py_INCREF(d);
    PyObject *c = PyArray_FromAny(a, d, 0, 0, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED, NULL);
    Py_DECREF(a);
    return (PyArrayObject *)c;
}

/* start/count of a shard's index (a tuple of step-1 slices, one per axis) in shape. */
int jx_sv_shard_box(PyObject *index, PyArrayObject *like, hsize_t *start, hsize_t *count)
{
    int nd = PyArray_NDIM(like);
    if (!PyTuple_Check(index) || PyTuple_GET_SIZE(index) != nd) {
        PyErr_SetString(PyExc_ValueError, "a jax shard index does not match the array's rank");
        return -1;
    }
    for (int i = 0; i < nd; i++) {
        Py_ssize_t a, b, step, len;
        PyObject *sl = PyTuple_GET_ITEM(index, i);
        if (!PySlice_Check(sl) || PySlice_Unpack(sl, &a, &b, &step) < 0) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "a jax shard index is not a slice");
            return -1;
        }
        len = PySlice_AdjustIndices(PyArray_DIM(like, i), &a, &b, step);
        if (step != 1) {
            PyErr_SetString(PyExc_ValueError, "a jax shard index has a step");
            return -1;
        }
        start[i] = (hsize_t)a;
        count[i] = (hsize_t)len;
    }
    return 0;
}

int jx_sv_write_shards(hid_t dset, hid_t memtype, PyArrayObject *like, PyObject *shards,
                       JxCrcPieces *crc)
{
    hsize_t start[NPY_MAXDIMS], count[NPY_MAXDIMS];
    int nd = PyArray_NDIM(like);
    hid_t fspace = H5Dget_space(dset);
    if (fspace < 0)
        return -1;
    int rc = 0;
    for (Py_ssize_t i = 0; rc == 0 && i < PyList_GET_SIZE(shards); i++) {
        PyObject *pair = PyList_GET_ITEM(shards, i);
        if (jx_sv_shard_box(PyTuple_GET_ITEM(pair, 0), like, start, count) < 0) {
            rc = -1;
            break;
        }
        PyArrayObject *h = jx_sv_shard_host(PyTuple_GET_ITEM(pair, 1), like);
        if (!h) {
            rc = -1;
            break;
        }
        hsize_t n = 1;
        for (int k = 0; k < nd; k++)
            n *= count[k];
        if (n != (hsize_t)PyArray_SIZE(h)) {
            PyErr_SetString(PyExc_ValueError, "a jax shard's data does not match its index");
            rc = -1;
        } else if (n > 0) {
            hid_t mspace = nd ? H5Screate_simple(nd, count, NULL) : H5Screate(H5S_SCALAR);
            herr_t w = mspace < 0 || (nd && H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start,
                                                                NULL, count, NULL) < 0)
                           ? -1
                           : 0;
            if (w >= 0) {
                Py_BEGIN_ALLOW_THREADS
                w = H5Dwrite(dset, memtype, mspace, fspace, H5P_DEFAULT, PyArray_DATA(h));
                Py_END_ALLOW_THREADS
            }
            if (mspace >= 0)
                H5Sclose(mspace);
            rc = w < 0 ? -1 : 0;
            if (rc == 0 && crc) /* integrity hook: the shard's bytes where they lie */
                jx_crc_pieces_add_box(crc, PyArray_DATA(h), nd, PyArray_DIMS(like), start, count,
                                      (size_t)PyArray_ITEMSIZE(like));
        }
        Py_DECREF(h);
        /* Ctrl-C between shards, as between the pieces of an unsharded write */
        if (rc == 0 && PyErr_CheckSignals() < 0)
            rc = -1;
    }
    H5Sclose(fspace);
    return rc;
}

int jx_sv_fill_shards(PyArrayObject *tmpl, PyObject *shards)
{
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(shards); i++) {
        PyObject *pair = PyList_GET_ITEM(shards, i);
        PyObject *index = PyTuple_GET_ITEM(pair, 0);
        PyObject *view = PyObject_GetItem((PyObject *)tmpl, index);
        PyArrayObject *h = view ? jx_sv_shard_host(PyTuple_GET_ITEM(pair, 1), tmpl) : NULL;
        int rc = h ? PyArray_CopyInto((PyArrayObject *)view, h) : -1;
        Py_XDECREF(view);
        Py_XDECREF(h);
        if (rc < 0)
            return -1;
    }
    return 0;
}
