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
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "h5util.h"

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

static int fsync_path(const char *path, int directory)
{
    int fd = open(path, directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Writes the pytree into a new HDF5 file at path (must not exist). */
static int save_to_new_file(JxState *st, const char *path, PyObject *pytree,
                            const JxSaveOptions *opts)
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
        jx_raise_h5(PyExc_OSError, "cannot create %s", path);
        goto done;
    }
    if (jx_save_tree(st, fid, pytree, opts) < 0)
        goto done;
    if (H5Fflush(fid, H5F_SCOPE_GLOBAL) < 0) {
        jx_raise_h5(st->JaxonError, "cannot flush %s", path);
        goto done;
    }
    status = 0;
done:
    if (fid >= 0) {
        /* The connector checks the whole tree at the root attribute write and the flush above
         * (strict refusals fail those calls); close itself always succeeds. */
        if (H5Fclose(fid) < 0 && status == 0) {
            jx_raise_h5(st->JaxonError, "the file %s did not close cleanly", path);
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
    static unsigned long counter = 0;
    const char *path = PyBytes_AS_STRING(path_bytes);
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) : 0;
    const char *base = slash ? slash + 1 : path;
    size_t cap = strlen(path) + 64;
    char *tmp = PyMem_Malloc(cap), *dir = NULL;
    if (!tmp)
        return PyErr_NoMemory();
    if (*base == '\0') {
        PyErr_Format(PyExc_IsADirectoryError, "cannot save to a directory: %s", path);
        goto error;
    }
    snprintf(tmp, cap, "%.*s%s.%s.jaxon-tmp-%ld-%lu", (int)dirlen, path, slash ? "/" : "", base,
             (long)getpid(), ++counter);
    if (save_to_new_file(st, tmp, pytree, opts) < 0)
        goto error;
    if (fsync_path(tmp, 0) < 0 || rename(tmp, path) < 0) {
        PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
        goto error;
    }
    /* make the rename itself durable */
    dir = PyMem_Malloc(dirlen + 2);
    if (dir) {
        if (dirlen)
            memcpy(dir, path, dirlen);
        else
            dir[dirlen++] = '.';
        dir[dirlen] = '\0';
        (void)fsync_path(dir, 1);
        PyMem_Free(dir);
    }
    PyMem_Free(tmp);
    Py_RETURN_NONE;
error:
    unlink(tmp); /* may not exist: nothing to undo then */
    PyMem_Free(tmp);
    return NULL;
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
    const char *dir = getenv("TMPDIR");
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/jaxon-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(tmp);
    if (fd < 0)
        return PyErr_SetFromErrnoWithFilename(PyExc_OSError, tmp);
    close(fd);
    unlink(tmp); /* H5Fcreate(EXCL) makes it again, only for us (the name is unique) */
    int rc = save_to_new_file(st, tmp, pytree, opts);
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
        jx_raise_h5(st->JaxonFormatError, "%R is not a readable HDF5 file", shown);
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
