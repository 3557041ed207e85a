/* Targets of save/load: paths (atomic replace) and binary file objects (in-memory images).
 *
 * A save to a path writes a temporary file in the same directory, flushes and fsyncs it and
 * renames it over the target, so a failed or interrupted save never damages the previous
 * file. A save to a file object writes a private temporary file and copies it into the
 * object only once it is complete; a load from a file object opens its bytes in memory
 * (core driver with a file image). */
#include "ext.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "h5util.h"
#include "integrity.h"
#include "replace.h"

/* os.fspath(x) as filesystem bytes (new ref), or NULL without error if x is no path. */
static PyObject *as_path_bytes(JxState *st, PyObject *x)
{
    if (!PyUnicode_Check(x) && !PyBytes_Check(x) && !PyObject_HasAttrString(x, "__fspath__"))
        return NULL;
    PyObject *p = PyObject_CallOneArg(st->os_fspath, x), *b = NULL;
    if (!p)
        return NULL;
    if (!PyUnicode_FSConverter(p, &b))
        b = NULL;
    Py_DECREF(p);
    return b;
}

/* Phase 1: creates the HDF5 file at path (must not exist) and writes the pytree into it;
 * with opts->pending the data of datasets is left pending. *fid is the open file (also on
 * failure, when it could be created). shown: the name used in error messages. */
static int new_file_begin(JxState *st, const char *path, const char *shown, PyObject *pytree,
                          const JxSaveOptions *opts, hid_t *fid_out)
{
    hid_t fapl = -1, fcpl = -1, fid = -1;
    int status = -1;
    fapl = jx_make_fapl(st, 0, 0, NULL, 0);
    if (fapl < 0)
        goto done;
    fcpl = jx_make_fcpl();
    if (fcpl < 0) {
        jx_raise_h5(st->JaxonError, "cannot set up the file creation properties");
        goto done;
    }
    fid = H5Fcreate(path, H5F_ACC_EXCL, fcpl, fapl);
    if (fid < 0) {
        jx_raise_h5(PyExc_OSError, "cannot create a temporary file beside %s", shown);
        goto done;
    }
    if (jx_save_tree(st, fid, pytree, opts) < 0)
        goto done;
    status = 0;
done:
    *fid_out = fid;
    if (fcpl >= 0)
        H5Pclose(fcpl);
    if (fapl >= 0)
        H5Pclose(fapl);
    return status;
}

/* Phase 2: the pending data (if any; progress reported), flush, close. status: phase 1's. */
static int new_file_end(JxState *st, hid_t fid, const char *shown, JxPending *pending,
                        PyObject *progress, int status)
{
    if (status == 0 && pending && jx_pending_write(pending, progress, shown) < 0)
        status = -1;
    if (pending)
        jx_pending_clear(pending); /* closes what is left open after a failure */
    if (fid < 0)
        return status;
    herr_t flushed = 0, closed;
    /* The connector checks the whole tree at the root attribute write and the flush
     * (strict refusals fail those calls); close itself always succeeds. */
    Py_BEGIN_ALLOW_THREADS
    if (status == 0)
        flushed = H5Fflush(fid, H5F_SCOPE_GLOBAL);
    closed = H5Fclose(fid);
    Py_END_ALLOW_THREADS
    if (status == 0 && flushed < 0) {
        jx_raise_h5(st->JaxonError, "cannot flush the new file for %s", shown);
        status = -1;
    } else if (status == 0 && closed < 0) {
        jx_raise_h5(st->JaxonError, "the new file for %s did not close cleanly", shown);
        status = -1;
    }
    return status;
}

/* Writes the pytree into a new HDF5 file at path, in two phases when progress is asked. */
static int save_to_new_file(JxState *st, const char *path, const char *shown,
                            PyObject *pytree, const JxSaveOptions *opts)
{
    JxPending pending = {0};
    JxSaveOptions o = *opts;
    int two_phase = opts->progress && opts->progress != Py_None && opts->progress != Py_False;
    if (two_phase)
        o.pending = &pending;
    hid_t fid = -1;
    int status = new_file_begin(st, path, shown, pytree, &o, &fid);
    return new_file_end(st, fid, shown, two_phase ? &pending : NULL, opts->progress, status);
}

static PyObject *save_to_path(JxState *st, PyObject *path_bytes, PyObject *pytree,
                              const JxSaveOptions *opts)
{
    const char *path = PyBytes_AS_STRING(path_bytes);
    JxReplace r;
    PyObject *result = NULL;
    jx_replace_init(&r);
    if (jx_replace_begin(&r, st, path) < 0)
        goto done;
    if (save_to_new_file(st, r.named, path, pytree, opts) < 0)
        goto done;
    if (jx_replace_commit(&r) < 0)
        goto done;
    result = Py_NewRef(Py_None);
done:
    jx_replace_finish(&r);
    return result;
}

/* Reads a whole file into a new bytes object. */
static PyObject *slurp(const char *path)
{
    int fd = open(path, O_RDONLY);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) < 0) {
        if (fd >= 0)
            close(fd);
        return PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
    }
    PyObject *b = PyBytes_FromStringAndSize(NULL, sb.st_size);
    char *p = b ? PyBytes_AS_STRING(b) : NULL;
    for (off_t done = 0; b && done < sb.st_size;) {
        ssize_t n = read(fd, p + done, (size_t)(sb.st_size - done));
        if (n <= 0) {
            Py_CLEAR(b);
            if (n < 0)
                PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
            else
                PyErr_Format(PyExc_OSError, "%s shrank while being read", path);
        }
        done += n > 0 ? n : 0;
    }
    close(fd);
    return b;
}

/* A file object gets a complete, closed HDF5 file: the save goes to a private temporary
 * file that is read back and written to the object only once it succeeded. (An image of a
 * still-open file is not consistent: superblock version 2 records the open state.) */
static PyObject *save_to_fileobj(JxState *st, PyObject *f, PyObject *pytree,
                                 const JxSaveOptions *opts)
{
    PyObject *image = NULL, *r = NULL;
    for (const char *m = "write\0seek\0truncate\0"; *m; m += strlen(m) + 1) {
        if (!PyObject_HasAttrString(f, m)) {
            PyErr_Format(PyExc_TypeError,
                         "save() needs a path (str or os.PathLike) or a binary file object "
                         "with write/seek/truncate, not %.100s", Py_TYPE(f)->tp_name);
            return NULL;
        }
    }
    /* A file a live lazy load has open and mapped would be rewritten (and truncated) in
     * place under its maps: reading them could then crash the process with SIGBUS. */
    PyObject *fno = PyObject_HasAttrString(f, "fileno") ? PyObject_CallMethod(f, "fileno", NULL)
                                                        : NULL;
    if (!fno) {
        PyErr_Clear(); /* BytesIO and friends: no descriptor, no lazy load of them */
    } else {
        long v = PyLong_AsLong(fno);
        int fdn = v < 0 || v > INT_MAX ? -1 : (int)v;
        struct stat sb;
        Py_DECREF(fno);
        PyErr_Clear();
        if (fdn >= 0 && fstat(fdn, &sb) == 0 &&
            jx_lazy_file_busy(st, (unsigned long long)sb.st_dev, (unsigned long long)sb.st_ino)) {
            PyErr_SetString(PyExc_ValueError,
                            "save() into this file object would rewrite, in place, a file that "
                            "a live jaxon.load(..., lazy=True) has open and memory-mapped; save "
                            "to its path instead (a new file is renamed over it, and the lazy "
                            "load keeps reading the old one)");
            return NULL;
        }
    }
    const char *dir = getenv("TMPDIR");
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/jaxon-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(tmp);
    if (fd < 0)
        return PyErr_SetFromErrnoWithFilename(PyExc_OSError, tmp);
    close(fd);
    unlink(tmp); /* H5Fcreate(EXCL) makes it again, only for us (the name is unique) */
    int rc = save_to_new_file(st, tmp, tmp, pytree, opts);
    if (rc == 0)
        image = slurp(tmp);
    unlink(tmp);
    if (!image)
        return NULL;
    r = PyObject_CallMethod(f, "seek", "i", 0);
    if (!r)
        goto done;
    Py_DECREF(r);
    r = PyObject_CallMethod(f, "write", "O", image);
    if (!r)
        goto done;
    Py_DECREF(r);
    r = PyObject_CallMethod(f, "truncate", NULL);
    if (!r)
        goto done;
    Py_DECREF(r);
    if (PyObject_HasAttrString(f, "flush")) {
        r = PyObject_CallMethod(f, "flush", NULL);
        if (!r)
            goto done;
        Py_DECREF(r);
    }
    r = Py_NewRef(Py_None);
done:
    Py_DECREF(image);
    return r;
}

PyObject *jx_save_entry(JxState *st, PyObject *target, PyObject *pytree,
                        const JxSaveOptions *opts)
{
    /* error stacks are per thread: errors become exceptions, never printed */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    PyObject *path = as_path_bytes(st, target);
    if (path) {
        PyObject *r = save_to_path(st, path, pytree, opts);
        Py_DECREF(path);
        return r;
    }
    if (PyErr_Occurred())
        return NULL;
    return save_to_fileobj(st, target, pytree, opts);
}

/* ---- save_async: the job of the second phase ------------------------------------------ */

typedef struct SaveJob {
    PyObject_HEAD
    JxState *st;
    PyObject *module; /* keeps st alive */
    JxReplace r;
    hid_t fid;
    JxPending pending;
    PyObject *progress;
    PyObject *shown;  /* the target path (str) */
    int state;        /* 0 ready, 1 run started */
} SaveJob;

static void job_discard(SaveJob *j)
{
    if (j->fid >= 0 || j->pending.n) {
        new_file_end(j->st, j->fid, "", &j->pending, NULL, -1);
        j->fid = -1;
    }
    jx_replace_finish(&j->r); /* removes the uncommitted temporary file */
}

static void job_dealloc(SaveJob *j)
{
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    if (j->st)
        job_discard(j);
    PyErr_Restore(et, ev, tb);
    Py_XDECREF(j->progress);
    Py_XDECREF(j->shown);
    Py_XDECREF(j->module);
    PyTypeObject *tp = Py_TYPE(j);
    tp->tp_free((PyObject *)j);
    Py_DECREF(tp);
}

/* run(): writes the pending data, then the durable replace. Once. */
static PyObject *job_run(SaveJob *j, PyObject *unused)
{
    (void)unused;
    if (j->state) {
        PyErr_SetString(PyExc_RuntimeError, "this save job has already run");
        return NULL;
    }
    j->state = 1;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* this thread's error stack: never printed */
    const char *shown = PyUnicode_AsUTF8(j->shown);
    if (!shown)
        return NULL;
    hid_t fid = j->fid;
    j->fid = -1;
    int status = new_file_end(j->st, fid, shown, &j->pending, j->progress, 0);
    if (status == 0)
        status = jx_replace_commit(&j->r);
    jx_replace_finish(&j->r);
    if (status < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *job_total(SaveJob *j, void *unused)
{
    (void)unused;
    return PyLong_FromUnsignedLongLong(j->pending.total);
}

static PyMethodDef job_methods[] = {
    {"run", (PyCFunction)job_run, METH_NOARGS,
     "Write the pending data and replace the target (releases the GIL while writing)."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef job_getset[] = {
    {"bytes_total", (getter)job_total, NULL, "Bytes of dataset data the job writes.", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyType_Slot job_slots[] = {
    {Py_tp_dealloc, job_dealloc},
    {Py_tp_methods, job_methods},
    {Py_tp_getset, job_getset},
    {Py_tp_doc, "The second phase of a jaxon.save_async (internal)."},
    {0, NULL}};

static PyType_Spec job_spec = {"jaxon._jaxon.SaveJob", sizeof(SaveJob), 0,
                               Py_TPFLAGS_DEFAULT, job_slots};

int jx_save_job_type_init(PyObject *module, JxState *st)
{
    st->save_job_type = PyType_FromModuleAndSpec(module, &job_spec, NULL);
    return st->save_job_type ? 0 : -1;
}

PyObject *jx_save_begin(JxState *st, PyObject *target, PyObject *pytree, JxSaveOptions *opts)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    PyObject *path = as_path_bytes(st, target);
    if (!path) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "save_async() needs a path (str, bytes or "
                                          "os.PathLike), not %.100s", Py_TYPE(target)->tp_name);
        return NULL;
    }
    PyTypeObject *tp = (PyTypeObject *)st->save_job_type;
    SaveJob *j = (SaveJob *)tp->tp_alloc(tp, 0);
    if (!j) {
        Py_DECREF(path);
        return NULL;
    }
    jx_replace_init(&j->r);
    j->fid = -1;
    j->shown = PyUnicode_DecodeFSDefault(PyBytes_AS_STRING(path));
    j->progress = opts->progress ? Py_NewRef(opts->progress) : NULL;
    PyObject *mod = PyType_GetModule(tp);
    j->module = mod ? Py_NewRef(mod) : NULL;
    j->st = st;
    opts->pending = &j->pending;
    opts->copy_arrays = 1;
    int ok = j->shown && j->module && jx_replace_begin(&j->r, st, PyBytes_AS_STRING(path)) == 0 &&
             new_file_begin(st, j->r.named, PyBytes_AS_STRING(path), pytree, opts, &j->fid) == 0;
    opts->pending = NULL;
    Py_DECREF(path);
    if (!ok) {
        Py_DECREF(j); /* dealloc discards the file */
        return NULL;
    }
    return (PyObject *)j;
}

/* ---- load ---------------------------------------------------------------------------- */

static PyObject *load_from_file(JxState *st, const char *name, PyObject *shown,
                                const JxLoadOptions *opts, const void *image, size_t image_len)
{
    hid_t fapl = -1, fid = -1;
    PyObject *result = NULL;
    fapl = jx_make_fapl(st, 1, image != NULL, image, image_len);
    if (fapl < 0)
        return NULL;
    fid = H5Fopen(name, H5F_ACC_RDONLY, fapl);
    if (fid < 0) {
        if (!jx_raise_checksum_failure(st->JaxonFormatError, shown, /* integrity hook */
                                       "cannot read the file's superblock"))
            jx_raise_h5(st->JaxonFormatError, "cannot read %R as an HDF5 file", shown);
        goto done;
    }
    if ((opts->lazy || opts->placer) && !image) {
        /* load_lazy.c: the file stays open for the proxies of this load */
        JxLoadOptions lazy_opts = *opts;
        lazy_opts.lazy_file = jx_lazy_file_new(st, fid, shown);
        if (!lazy_opts.lazy_file)
            goto done;
        hid_t owned = fid; /* the LazyFile's now; it lives at least as long as this call */
        fid = -1;
        result = jx_load_tree(st, owned, &lazy_opts);
        Py_DECREF(lazy_opts.lazy_file);
        goto done;
    }
    result = jx_load_tree(st, fid, opts);
done:
    if (fid >= 0)
        H5Fclose(fid);
    H5Pclose(fapl);
    return result;
}

PyObject *jx_load_entry(JxState *st, PyObject *source, const JxLoadOptions *opts)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    PyObject *path = as_path_bytes(st, source), *result = NULL, *data = NULL, *r = NULL;
    if (path) {
        struct stat sb;
        const char *p = PyBytes_AS_STRING(path);
        if (stat(p, &sb) < 0) {
            PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, source);
        } else if (S_ISDIR(sb.st_mode)) {
            errno = EISDIR;
            PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, source);
        } else {
            result = load_from_file(st, p, source, opts, NULL, 0);
        }
        Py_DECREF(path);
        return result;
    }
    if (PyErr_Occurred())
        return NULL;
    if (!PyObject_HasAttrString(source, "read") || !PyObject_HasAttrString(source, "seek")) {
        PyErr_Format(PyExc_TypeError,
                     "load() needs a path (str or os.PathLike) or a binary file object with "
                     "read/seek, not %.100s", Py_TYPE(source)->tp_name);
        return NULL;
    }
    if (opts->lazy) {
        /* the proxies read from the open file; a file object's bytes are a copy in memory */
        PyErr_SetString(PyExc_TypeError, "load(lazy=True) needs a path, not a file object "
                                         "(its bytes would be read into memory anyway)");
        return NULL;
    }
    r = PyObject_CallMethod(source, "seek", "i", 0);
    if (!r)
        return NULL;
    Py_DECREF(r);
    data = PyObject_CallMethod(source, "read", NULL);
    if (!data)
        return NULL;
    if (!PyBytes_Check(data)) {
        PyErr_Format(PyExc_TypeError, "the file object's read() returned %.100s, not bytes",
                     Py_TYPE(data)->tp_name);
        Py_DECREF(data);
        return NULL;
    }
    if (PyBytes_GET_SIZE(data) == 0) {
        PyErr_SetString(st->JaxonFormatError, "the file object is empty: not an HDF5 file");
        Py_DECREF(data);
        return NULL;
    }
    char name[64];
    snprintf(name, sizeof name, "jaxon-image-%p", (void *)data);
    result = load_from_file(st, name, source, opts, PyBytes_AS_STRING(data),
                            (size_t)PyBytes_GET_SIZE(data));
    Py_DECREF(data);
    return result;
}
