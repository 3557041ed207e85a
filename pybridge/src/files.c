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

/* Writes the pytree into a new HDF5 file at path (must not exist); shown: the name used in
 * error messages. */
static int save_to_new_file(JxState *st, const char *path, const char *shown,
                            PyObject *pytree, const JxSaveOptions *opts)
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
    if (H5Fflush(fid, H5F_SCOPE_GLOBAL) < 0) {
        jx_raise_h5(st->JaxonError, "cannot flush the new file for %s", shown);
        goto done;
    }
    status = 0;
done:
    if (fid >= 0) {
        /* The connector checks the whole tree at the root attribute write and the flush above
         * (strict refusals fail those calls); close itself always succeeds. */
        if (H5Fclose(fid) < 0 && status == 0) {
            jx_raise_h5(st->JaxonError, "the new file for %s did not close cleanly", shown);
            status = -1;
        }
    }
    if (fcpl >= 0)
        H5Pclose(fcpl);
    if (fapl >= 0)
        H5Pclose(fapl);
    return status;
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
