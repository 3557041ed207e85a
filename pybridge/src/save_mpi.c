/* Collective saves: many MPI processes, one HDF5 file (save_mpi.h; docs/many-processes.md).
 *
 * Parallel HDF5 asks two things of its callers. Every call that changes metadata (create a
 * group, an attribute, a dataset; close; flush) is collective: every process makes it, with
 * the same arguments, in the same order; attribute values must be the same everywhere.
 * Dataset data may differ: each process selects the part it writes. The save walk
 * (save.c) is deterministic, so processes holding equal pytrees make equal calls; phase 1
 * checks that before phase 2 touches the shared file, because a difference found inside
 * phase 2 would leave the other processes waiting in a collective call for ever.
 *
 * Phase 2's collective agreement points (MPI calls made by every process whatever happened
 * locally, so that an error becomes an exception everywhere instead of a hang): after the
 * temporary name is chosen, after the file is created, and after it is closed. */
#include "ext.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5util.h"
#include "replace.h"
#include "save_internal.h"
#include "save_mpi.h"

#ifdef H5_HAVE_PARALLEL

#include <mpi.h>

struct JxMpiSave {
    int phase;     /* JX_MPI_PLAN or JX_MPI_WRITE */
    MPI_Comm comm; /* the caller's communicator (mpi4py's; not duplicated, not freed) */
    int rank, size;
    hid_t dxpl;    /* collective transfers (phase 2), else -1 */
};

int jx_mpi_phase(const JxMpiSave *m)
{
    return m->phase;
}

/* ---- agreement ------------------------------------------------------------------------- */

/* Every process calls this with its own ok; 1 when all were ok. Otherwise the processes
 * that were ok raise JaxonError with the message of the first process that failed (which
 * keeps its own exception), and every process returns 0. Fixed-size messages and no
 * allocation: every process must make the same MPI calls whatever went wrong locally.
 * what: the operation, for the message. */
static int agree(JxState *st, JxMpiSave *m, int ok, const char *what)
{
    int all_ok = 0, mine = ok ? m->size : m->rank, first = 0;
    char msg[512] = "";
    if (MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, m->comm) != MPI_SUCCESS) {
        if (ok)
            PyErr_Format(st->JaxonError, "%s: MPI_Allreduce failed", what);
        return 0;
    }
    if (all_ok)
        return 1;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, m->comm);
    if (m->rank == first && PyErr_Occurred()) {
        /* the exception object cannot travel: its type name and text */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        PyObject *text = value ? PyObject_Str(value) : NULL;
        const char *u = text ? PyUnicode_AsUTF8(text) : NULL;
        snprintf(msg, sizeof msg, "%s: %s", ((PyTypeObject *)type)->tp_name, u ? u : "?");
        Py_XDECREF(text);
        PyErr_Clear();
        PyErr_Restore(type, value, tb);
    }
    MPI_Bcast(msg, (int)sizeof msg, MPI_CHAR, first, m->comm);
    msg[sizeof msg - 1] = '\0';
    if (ok)
        PyErr_Format(st->JaxonError, "%s failed in process %d of %d: %s", what, first,
                     m->size, msg);
    else if (!PyErr_Occurred())
        PyErr_Format(st->JaxonError, "%s failed", what);
    return 0;
}

/* ---- data ------------------------------------------------------------------------------ */

/* One collective H5Dwrite of box (start, count) of the dataset from buf; nd 0 = the
 * scalar; buf NULL = this process writes nothing in this round. */
static herr_t write_box(JxMpiSave *m, hid_t dset, hid_t memtype, hid_t fspace, int nd,
                        const hsize_t *start, const hsize_t *count, const void *buf)
{
    static const char nothing = 0; /* HDF5 wants a buffer even for an empty selection */
    hid_t mspace = -1;
    herr_t rc = -1;
    hsize_t one = 1;
    if (buf) {
        mspace = nd ? H5Screate_simple(nd, count, NULL) : H5Screate(H5S_SCALAR);
        if (mspace < 0 || (nd ? H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL,
                                                     count, NULL)
                              : H5Sselect_all(fspace)) < 0)
            goto done;
    } else {
        mspace = H5Screate_simple(1, &one, NULL);
        if (mspace < 0 || H5Sselect_none(mspace) < 0 || H5Sselect_none(fspace) < 0)
            goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    rc = H5Dwrite(dset, memtype, mspace, fspace, m->dxpl, buf ? buf : &nothing);
    Py_END_ALLOW_THREADS
done:
    if (mspace >= 0)
        H5Sclose(mspace);
    return rc;
}

int jx_mpi_write(JxMpiSave *m, hid_t dset, hid_t memtype, PyArrayObject *arr,
                 PyObject *shards, int global)
{
    if (m->phase == JX_MPI_PLAN)
        return 0; /* the plan compares metadata only; its datasets stay unallocated */
    int nd = PyArray_NDIM(arr);
    /* boxes this process writes: its share of a global array; process 0 writes the
     * rest (numpy arrays, process-local jax arrays: the same in every process) */
    int mine = global ? (int)PyList_GET_SIZE(shards)
                      : m->rank == 0 ? (shards ? (int)PyList_GET_SIZE(shards) : 1) : 0;
    int rounds = mine;
    if ((global || shards) &&
        MPI_Allreduce(&mine, &rounds, 1, MPI_INT, MPI_MAX, m->comm) != MPI_SUCCESS) {
        PyErr_SetString(PyExc_RuntimeError, "MPI_Allreduce failed");
        return -1;
    }
    if (!global && !shards)
        rounds = 1; /* every process knows: process 0 writes the one box */
    hid_t fspace = H5Dget_space(dset);
    if (fspace < 0)
        return -1;
    hsize_t start[NPY_MAXDIMS] = {0}, count[NPY_MAXDIMS];
    int rc = 0;
    /* A process that fails to prepare its box still takes part in every round (writing
     * nothing): the others are in the same collective call. */
    for (int r = 0; r < rounds; r++) {
        PyArrayObject *h = NULL;
        const void *buf = NULL;
        if (r < mine && rc == 0) {
            if (shards) {
                PyObject *pair = PyList_GET_ITEM(shards, r);
                if (jx_sv_shard_box(PyTuple_GET_ITEM(pair, 0), arr, start, count) < 0 ||
                    !(h = jx_sv_shard_host(PyTuple_GET_ITEM(pair, 1), arr)))
                    rc = -1;
                else
                    buf = PyArray_DATA(h);
            } else {
                for (int k = 0; k < nd; k++)
                    count[k] = (hsize_t)PyArray_DIM(arr, k);
                buf = PyArray_DATA(arr);
            }
            hsize_t n = 1;
            for (int k = 0; k < nd; k++)
                n *= count[k];
            if (buf && n == 0)
                buf = NULL;
            if (h && (npy_intp)n != PyArray_SIZE(h)) {
                PyErr_SetString(PyExc_ValueError, "a jax shard's data does not match its index");
                rc = -1;
                buf = NULL;
            }
        }
        if (write_box(m, dset, memtype, fspace, nd, start, count, buf) < 0 && rc == 0) {
            if (!PyErr_Occurred())
                jx_raise_h5(PyExc_OSError, "cannot write a dataset collectively");
            rc = -1;
        }
        Py_XDECREF(h);
    }
    H5Sclose(fspace);
    return rc;
}

int jx_mpi_fill(JxMpiSave *m, PyArrayObject *tmpl, PyObject *shards, int global)
{
    if (!global)
        return jx_sv_fill_shards(tmpl, shards);
    if (m->phase == JX_MPI_PLAN)
        return 0;
    int rc = jx_sv_fill_shards(tmpl, shards);
    /* made even after a local failure (then with zeros): the others are in this call */
    npy_intp nbytes = PyArray_NBYTES(tmpl);
    if (nbytes > INT_MAX) {
        /* unreachable through save(): an attribute this large cannot be stored */
        PyErr_SetString(PyExc_ValueError, "an attribute of more than 2 GiB");
        return -1;
    }
    if (MPI_Allreduce(MPI_IN_PLACE, PyArray_DATA(tmpl), (int)nbytes, MPI_BYTE, MPI_BOR,
                      m->comm) != MPI_SUCCESS && rc == 0) {
        PyErr_SetString(PyExc_RuntimeError, "MPI_Allreduce failed");
        rc = -1;
    }
    return rc;
}

/* ---- phase 1: the plan ----------------------------------------------------------------- */

/* The whole of a closed file, or NULL with an exception. */
static PyObject *read_whole(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
    PyObject *b = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        rewind(f);
        b = n >= 0 ? PyBytes_FromStringAndSize(NULL, n) : NULL;
        if (b && fread(PyBytes_AS_STRING(b), 1, (size_t)n, f) != (size_t)n) {
            Py_CLEAR(b);
            PyErr_Format(PyExc_OSError, "cannot read back %s", path);
        }
    }
    if (!b && !PyErr_Occurred())
        PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
    fclose(f);
    return b;
}

/* The tree saved, without array data, into a private file in memory that is written out
 * once closed (an image taken from a file still open for writing does not open again; the
 * mismatch diagnosis in jaxon/_mpi.py opens it): its bytes. */
static PyObject *plan(JxState *st, PyObject *pytree, const JxSaveOptions *opts)
{
    hid_t fapl = -1, fcpl = -1, fid = -1;
    PyObject *image = NULL;
    const char *dir = getenv("TMPDIR");
    char name[4096];
    snprintf(name, sizeof name, "%s/jaxon-plan-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(name);
    if (fd < 0)
        return PyErr_SetFromErrnoWithFilename(PyExc_OSError, name);
    close(fd);
    fapl = jx_make_fapl(st, 0, 1, NULL, 0);
    if (fapl < 0)
        goto done;
    fcpl = jx_make_fcpl();
    if (fcpl < 0 || H5Pset_fapl_core(fapl, 1 << 20, 1) < 0) {
        jx_raise_h5(st->JaxonError, "cannot set up the plan of a collective save");
        goto done;
    }
    fid = H5Fcreate(name, H5F_ACC_TRUNC, fcpl, fapl);
    if (fid < 0) {
        jx_raise_h5(st->JaxonError, "cannot create the plan of a collective save (%s)", name);
        goto done;
    }
    int rc = jx_save_tree(st, fid, pytree, opts);
    herr_t closed = H5Fclose(fid);
    fid = -1;
    if (rc == 0 && closed < 0)
        jx_raise_h5(st->JaxonError, "cannot close the plan of a collective save");
    if (rc == 0 && closed >= 0)
        image = read_whole(name);
done:
    if (fid >= 0)
        H5Fclose(fid);
    if (fcpl >= 0)
        H5Pclose(fcpl);
    if (fapl >= 0)
        H5Pclose(fapl);
    unlink(name);
    return image;
}

/* ---- phase 2: the shared file ---------------------------------------------------------- */

static hid_t parallel_fapl(JxState *st, JxMpiSave *m)
{
    hid_t fapl = jx_make_fapl(st, 0, 0, NULL, 0);
    if (fapl < 0)
        return -1;
    /* metadata is written collectively at flush/close (by aggregating processes) rather
     * than by process 0 alone */
    if (H5Pset_fapl_mpio(fapl, m->comm, MPI_INFO_NULL) < 0 ||
        H5Pset_coll_metadata_write(fapl, 1) < 0) {
        H5Pclose(fapl);
        jx_raise_h5(st->JaxonError, "cannot set up the MPI-IO file driver");
        return -1;
    }
    return fapl;
}

static PyObject *collective_write(JxState *st, const char *path, PyObject *pytree,
                                  const JxSaveOptions *opts, JxMpiSave *m)
{
    JxReplace r;
    hid_t fapl = -1, fcpl = -1, fid = -1;
    char namebuf[8192];
    PyObject *result = NULL;
    jx_replace_init(&r);
    /* process 0 picks the temporary name (and removes dead processes' leftovers) */
    long hdr[2] = {1, 0};
    if (m->rank == 0) {
        if (jx_replace_begin(&r, st, path) < 0)
            hdr[0] = 0;
        else
            hdr[1] = (long)strlen(r.named);
    }
    MPI_Bcast(hdr, 2, MPI_LONG, 0, m->comm);
    if (!hdr[0]) {
        if (m->rank != 0)
            PyErr_Format(st->JaxonError, "collective save to %s failed in process 0 (it could "
                                         "not prepare the temporary file)", path);
        goto done;
    }
    if (hdr[1] >= (long)sizeof namebuf) {
        /* known to every process from hdr: all fail alike */
        PyErr_Format(PyExc_OSError, "collective save: the temporary name beside %s is "
                                    "longer than %zu bytes", path, sizeof namebuf - 1);
        goto done;
    }
    if (m->rank == 0)
        memcpy(namebuf, r.named, (size_t)hdr[1] + 1);
    MPI_Bcast(namebuf, (int)hdr[1] + 1, MPI_CHAR, 0, m->comm);
    fapl = parallel_fapl(st, m);
    fcpl = fapl >= 0 ? jx_make_fcpl() : -1;
    if (fapl >= 0 && fcpl < 0)
        jx_raise_h5(st->JaxonError, "cannot set up the file creation properties");
    int ok = fcpl >= 0;
    if (!agree(st, m, ok, "collective save (set-up)"))
        goto done;
    fid = H5Fcreate(namebuf, H5F_ACC_EXCL, fcpl, fapl);
    if (fid < 0)
        jx_raise_h5(PyExc_OSError, "cannot create a temporary file beside %s", path);
    if (!agree(st, m, fid >= 0, "collective save (creating the file)"))
        goto done;
    ok = jx_save_tree(st, fid, pytree, opts) == 0;
    herr_t flushed = 0, closed;
    Py_BEGIN_ALLOW_THREADS
    if (ok)
        flushed = H5Fflush(fid, H5F_SCOPE_GLOBAL);
    closed = H5Fclose(fid);
    Py_END_ALLOW_THREADS
    fid = -1;
    if (ok && (flushed < 0 || closed < 0)) {
        jx_raise_h5(st->JaxonError, "the new file for %s did not %s cleanly", path,
                    flushed < 0 ? "flush" : "close");
        ok = 0;
    }
    if (!agree(st, m, ok, "collective save"))
        goto done;
    /* every process has closed the file: process 0 makes it durable and renames it */
    int committed = 1;
    if (m->rank == 0)
        committed = jx_replace_commit(&r) == 0;
    MPI_Bcast(&committed, 1, MPI_INT, 0, m->comm);
    if (!committed) {
        if (m->rank != 0)
            PyErr_Format(st->JaxonError, "collective save to %s failed in process 0 (the "
                                         "rename over the target)", path);
        goto done;
    }
    result = Py_NewRef(Py_None);
done:
    if (fid >= 0)
        H5Fclose(fid);
    if (fcpl >= 0)
        H5Pclose(fcpl);
    if (fapl >= 0)
        H5Pclose(fapl);
    jx_replace_finish(&r); /* process 0: removes an uncommitted temporary file */
    return result;
}

PyObject *jx_save_mpi_entry(JxState *st, PyObject *target, PyObject *pytree,
                            JxSaveOptions *opts, PyObject *mpi_arg)
{
    int phase = 0, initialized = 0, finalized = 0;
    long long handle = 0;
    if (!PyArg_ParseTuple(mpi_arg, "iL:_mpi", &phase, &handle))
        return NULL;
    if (phase != JX_MPI_PLAN && phase != JX_MPI_WRITE) {
        PyErr_Format(PyExc_ValueError, "_mpi: unknown phase %d", phase);
        return NULL;
    }
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (!initialized || finalized) {
        PyErr_SetString(st->JaxonError, "save(comm=...): MPI is not initialised (import "
                                        "mpi4py.MPI first) or already finalised");
        return NULL;
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    JxMpiSave m = {phase, MPI_Comm_f2c((MPI_Fint)handle), 0, 1, -1};
    if (MPI_Comm_rank(m.comm, &m.rank) != MPI_SUCCESS ||
        MPI_Comm_size(m.comm, &m.size) != MPI_SUCCESS) {
        PyErr_SetString(PyExc_ValueError, "save(comm=...): not a valid MPI communicator");
        return NULL;
    }
    JxSaveOptions o = *opts;
    o.mpi = &m;
    o.pending = NULL;
    if (phase == JX_MPI_PLAN)
        return plan(st, pytree, &o);
    PyObject *path = NULL, *b = NULL, *result = NULL;
    path = PyOS_FSPath(target);
    if (!path || !PyUnicode_FSConverter(path, &b))
        goto done;
    m.dxpl = H5Pcreate(H5P_DATASET_XFER);
    if (m.dxpl < 0 || H5Pset_dxpl_mpio(m.dxpl, H5FD_MPIO_COLLECTIVE) < 0) {
        /* the same in every process: no agreement needed */
        jx_raise_h5(st->JaxonError, "cannot set up collective transfers");
        goto done;
    }
    result = collective_write(st, PyBytes_AS_STRING(b), pytree, &o, &m);
done:
    if (m.dxpl >= 0)
        H5Pclose(m.dxpl);
    Py_XDECREF(path);
    Py_XDECREF(b);
    return result;
}

#else /* !H5_HAVE_PARALLEL: the serial build */

struct JxMpiSave {
    int phase;
};

int jx_mpi_phase(const JxMpiSave *m)
{
    return m->phase;
}

PyObject *jx_save_mpi_entry(JxState *st, PyObject *target, PyObject *pytree,
                            JxSaveOptions *opts, PyObject *mpi_arg)
{
    (void)target, (void)pytree, (void)opts, (void)mpi_arg;
    PyErr_SetString(st->JaxonError,
                    "save(comm=...) needs jaxon built against parallel HDF5 (MPI-IO); this "
                    "jaxon's libhdf5 is serial. scripts/setup-mpi.sh builds the parallel "
                    "variant into .venv-mpi (docs/many-processes.md)");
    return NULL;
}

int jx_mpi_write(JxMpiSave *m, hid_t dset, hid_t memtype, PyArrayObject *arr,
                 PyObject *shards, int global)
{
    (void)m, (void)dset, (void)memtype, (void)arr, (void)shards, (void)global;
    PyErr_SetString(PyExc_SystemError, "jx_mpi_write without parallel HDF5");
    return -1;
}

int jx_mpi_fill(JxMpiSave *m, PyArrayObject *tmpl, PyObject *shards, int global)
{
    (void)m, (void)tmpl, (void)shards, (void)global;
    PyErr_SetString(PyExc_SystemError, "jx_mpi_fill without parallel HDF5");
    return -1;
}

#endif /* H5_HAVE_PARALLEL */
