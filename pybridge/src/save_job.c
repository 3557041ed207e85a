/* Saves in two phases: save_async, and save(progress=...).
 *
 * Phase 1 (jx_job_begin, the caller's thread): the pytree walk creates the whole file
 * (groups, attributes, every dataset) but leaves the data of datasets pending, each with a
 * host array that owns its bytes: arrays the caller could change afterwards (its NumPy
 * arrays, views of jax buffers, bytearrays) are copied, as orbax copies. Phase 2
 * (JxSaveJob.run, any thread): the pending data is written in pieces with the GIL released,
 * progress is reported, the file is flushed, closed, fsynced and renamed over the target,
 * the same durable replace as save(). Until then the target keeps its previous file; a
 * failure in either phase removes the temporary file.
 *
 * bytes_total is the data of the pending datasets, known once phase 1 has walked the tree;
 * the callback runs every JX_PROGRESS_STEP bytes and at the end, never per node. */
#include "save_internal.h"

#include "h5util.h"
#include "replace.h"

#define JX_PROGRESS_STEP ((hsize_t)64 << 20)

struct JxPendingWrite {
    hid_t dset, type;
    PyArrayObject *arr; /* owns its data */
    hsize_t nbytes;
};

int jx_pending_add(JxPending *p, hid_t dset, hid_t type, PyObject *arr_obj, PyObject *key,
                   int copy)
{
    PyArrayObject *arr = (PyArrayObject *)arr_obj;
    /* Private to the save, so not copied: a fresh array the walk made (a contiguous copy, a
     * dill blob) and read-only views of immutable objects: bytes, and the host view of a
     * jax array (immutable; jax keeps its buffer alive while the view exists and does not
     * donate it to a computation meanwhile, checked on CPU with donate_argnums). Copied:
     * the caller's NumPy arrays, bytearrays and memoryviews, which it may change. */
    int private_ = (PyObject *)arr != key &&
                   (PyArray_CHKFLAGS(arr, NPY_ARRAY_OWNDATA) ||
                    (!PyArray_ISWRITEABLE(arr) && !PyArray_Check(key) &&
                     !PyByteArray_Check(key) && !PyMemoryView_Check(key)));
    PyArrayObject *own;
    if (copy && !private_) {
        own = (PyArrayObject *)PyArray_NewCopy(arr, NPY_CORDER);
        if (!own)
            return -1;
    } else {
        own = (PyArrayObject *)Py_NewRef(arr);
    }
    hid_t t = H5Tcopy(type);
    if (t < 0) {
        Py_DECREF(own);
        jx_raise_h5(PyExc_RuntimeError, "cannot copy a datatype");
        return -1;
    }
    if (p->n == p->cap) {
        Py_ssize_t cap = p->cap ? p->cap * 2 : 16;
        JxPendingWrite *w = PyMem_Realloc(p->w, (size_t)cap * sizeof *w);
        if (!w) {
            H5Tclose(t);
            Py_DECREF(own);
            PyErr_NoMemory();
            return -1;
        }
        p->w = w;
        p->cap = cap;
    }
    p->w[p->n++] = (JxPendingWrite){dset, t, own, (hsize_t)PyArray_NBYTES(own)};
    p->total += (hsize_t)PyArray_NBYTES(own);
    return 0;
}

void jx_pending_clear(JxPending *p)
{
    for (Py_ssize_t i = 0; i < p->n; i++) {
        if (p->w[i].dset >= 0)
            H5Dclose(p->w[i].dset);
        H5Tclose(p->w[i].type);
        Py_XDECREF(p->w[i].arr);
    }
    PyMem_Free(p->w);
    memset(p, 0, sizeof *p);
}

/* ---- progress --------------------------------------------------------------------------- */

typedef struct Progress {
    PyObject *fn; /* callable(done, total) or NULL */
    hsize_t done, total, reported;
} Progress;

static int report(Progress *pr, int force)
{
    if (!pr->fn || (!force && pr->done - pr->reported < JX_PROGRESS_STEP))
        return 0;
    pr->reported = pr->done;
    PyObject *r = PyObject_CallFunction(pr->fn, "KK", (unsigned long long)pr->done,
                                        (unsigned long long)pr->total);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

static int on_piece(void *ctx, hsize_t bytes)
{
    Progress *pr = ctx;
    pr->done += bytes;
    return report(pr, 0);
}

/* progress=None/False: none; a callable; True: a tqdm bar (jaxon._api._tqdm_progress), or
 * none when tqdm is not installed. New reference or NULL (no error) in *fn. */
static int jx_progress_callable(PyObject *progress, hsize_t total, PyObject **fn)
{
    *fn = NULL;
    if (!progress || progress == Py_None || progress == Py_False)
        return 0;
    if (progress == Py_True) {
        PyObject *api = PyImport_ImportModule("jaxon._api");
        PyObject *r = api ? PyObject_CallMethod(api, "_tqdm_progress", "K",
                                                (unsigned long long)total)
                          : NULL;
        Py_XDECREF(api);
        if (!r)
            return -1;
        if (r == Py_None)
            Py_DECREF(r);
        else
            *fn = r;
        return 0;
    }
    if (!PyCallable_Check(progress)) {
        PyErr_Format(PyExc_TypeError, "progress must be None, True or a callable "
                                      "f(bytes_done, bytes_total), not %.100s",
                     Py_TYPE(progress)->tp_name);
        return -1;
    }
    *fn = Py_NewRef(progress);
    return 0;
}

int jx_pending_write(JxPending *p, PyObject *progress, const char *shown)
{
    Progress pr = {NULL, 0, p->total, 0};
    int rc = -1;
    if (jx_progress_callable(progress, p->total, &pr.fn) < 0)
        return -1;
    if (report(&pr, 1) < 0)
        goto done;
    for (Py_ssize_t i = 0; i < p->n; i++) {
        JxPendingWrite *w = &p->w[i];
        /* integrity hook: the CRC on a helper thread while the data is written */
        JxHashJob *job = jx_hash_start(p->checksums, PyArray_DATA(w->arr), (size_t)w->nbytes);
        int wr = w->nbytes > 0 ? jx_dataset_io_cb(w->dset, w->type, PyArray_DATA(w->arr),
                                                  w->nbytes, 1, on_piece, &pr)
                               : 0;
        int sealed = jx_seal_dataset_finish(p->checksums, job, w->dset, PyArray_DATA(w->arr),
                                            (size_t)w->nbytes, wr == 0);
        if (wr < 0) {
            if (!PyErr_Occurred())
                jx_raise_h5(PyExc_OSError, "cannot write the data of %s", shown);
            goto done;
        }
        if (sealed < 0) {
            jx_raise_h5(PyExc_OSError, "cannot record a dataset checksum in %s", shown);
            goto done;
        }
        herr_t closed;
        Py_BEGIN_ALLOW_THREADS
        closed = H5Dclose(w->dset);
        Py_END_ALLOW_THREADS
        w->dset = -1;
        Py_CLEAR(w->arr); /* the host copy is no longer needed */
        if (closed < 0) {
            jx_raise_h5(PyExc_OSError, "cannot write the data of %s", shown);
            goto done;
        }
    }
    rc = report(&pr, 1);
done:
    Py_XDECREF(pr.fn);
    return rc;
}
