/* Dataset storage on save: chunking and filters from storage hints (JaxonStorageHints with
 * compression/chunks/shuffle, or save(compression=...) for every dataset without its own
 * hint), and the filter plugins of the hdf5plugin package loaded into our libhdf5.
 *
 * The Python layer (jaxon/_api.py) checks the hint and turns it into a spec
 * (chunks or None, ((filter_id, flags, (cd_values...)), ...)); this file only applies it.
 * Without a spec a dataset stays contiguous: the fastest layout to write and to read, and
 * the one HDF5 can map or read partially without decompressing. */
#include "save_internal.h"

#include <dirent.h>
#include <dlfcn.h>
#include <string.h>

#include "h5util.h"

/* Chunks of about this many bytes when the hint gives filters but no chunk shape: large
 * enough for the compressors' windows and few chunk-index entries (1,024 per GiB). */
#define JX_DEFAULT_CHUNK_BYTES ((hsize_t)1 << 20)

int jx_sv_storage(Saver *s, PyObject *orig, Py_ssize_t nbytes, PyObject **spec)
{
    *spec = NULL;
    if (s->o->storage_hints) {
        PyObject *k = PyLong_FromVoidPtr(orig);
        if (!k)
            return -1;
        PyObject *v = PyDict_GetItemWithError(s->o->storage_hints, k);
        Py_DECREF(k);
        if (v) {
            if (PyTuple_Check(v)) { /* (store_in_dataset, chunks, filters) */
                *spec = v;
                return PyTuple_GET_ITEM(v, 0) == Py_True;
            }
            return v == Py_True;
        }
        if (PyErr_Occurred())
            return -1;
    }
    if (nbytes >= s->o->dataset_threshold) {
        if (s->o->default_spec)
            *spec = s->o->default_spec;
        return 1;
    }
    return 0;
}

/* Chunk shape of about JX_DEFAULT_CHUNK_BYTES: whole inner axes, a part of the next one. */
static void default_chunks(int nd, const hsize_t *dims, size_t itemsize, hsize_t *chunk)
{
    hsize_t room = JX_DEFAULT_CHUNK_BYTES / (itemsize ? itemsize : 1);
    if (room == 0)
        room = 1;
    for (int i = nd - 1; i >= 0; i--) {
        if (room >= dims[i]) {
            chunk[i] = dims[i];
            room /= dims[i];
        } else {
            chunk[i] = room ? room : 1;
            room = 1;
        }
    }
}

static int spec_error(Saver *s, const char *slot, const char *msg)
{
    PyObject *path = jx_sv_pytree_path(s);
    if (path) {
        PyErr_Format(PyExc_ValueError, "cannot save %U (%s): %s", path, slot, msg);
        Py_DECREF(path);
    }
    s->noted = 1;
    return -1;
}

hid_t jx_sv_dcpl(Saver *s, PyObject *spec, int nd, const npy_intp *npdims, size_t itemsize,
                 const char *slot)
{
    hsize_t dims[NPY_MAXDIMS], chunk[NPY_MAXDIMS], total = 1;
    if (!spec)
        return s->dcpl;
    PyObject *chunks = PyTuple_GET_ITEM(spec, 1), *filters = PyTuple_GET_ITEM(spec, 2);
    for (int i = 0; i < nd; i++) {
        dims[i] = (hsize_t)npdims[i];
        total *= dims[i];
    }
    /* HDF5 chunks neither scalars nor empty extents: those stay contiguous (documented) */
    if (nd == 0 || total == 0)
        return s->dcpl;
    if (chunks != Py_None) {
        if (!PyTuple_Check(chunks) || PyTuple_GET_SIZE(chunks) != nd) {
            spec_error(s, slot, "the chunks of its storage hint do not have one entry per "
                                "axis of the array");
            return -1;
        }
        hsize_t bytes = itemsize;
        for (int i = 0; i < nd; i++) {
            unsigned long long c = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(chunks, i));
            if (c == (unsigned long long)-1 && PyErr_Occurred())
                return -1;
            /* a chunk longer than a fixed axis is not allowed by HDF5: clip it */
            chunk[i] = c < dims[i] ? (hsize_t)c : dims[i];
            bytes *= chunk[i];
        }
        if (bytes >= ((hsize_t)4 << 30)) {
            spec_error(s, slot, "a chunk must hold less than 4 GiB");
            return -1;
        }
    } else {
        default_chunks(nd, dims, itemsize, chunk);
    }
    hid_t dcpl = H5Pcopy(s->dcpl);
    if (dcpl < 0 || H5Pset_chunk(dcpl, nd, chunk) < 0) {
        if (dcpl >= 0)
            H5Pclose(dcpl);
        jx_raise_h5(s->st->JaxonError, "cannot set up the chunks of %s", slot);
        return -1;
    }
    /* every chunk is written right away: no fill values written first */
    H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
    for (Py_ssize_t f = 0; f < PyTuple_GET_SIZE(filters); f++) {
        PyObject *one = PyTuple_GET_ITEM(filters, f), *cdv = PyTuple_GET_ITEM(one, 2);
        unsigned cd[32];
        Py_ssize_t ncd = PyTuple_GET_SIZE(cdv);
        if (ncd > 32) {
            H5Pclose(dcpl);
            spec_error(s, slot, "a filter takes at most 32 options");
            return -1;
        }
        for (Py_ssize_t i = 0; i < ncd; i++)
            cd[i] = (unsigned)PyLong_AsUnsignedLong(PyTuple_GET_ITEM(cdv, i));
        long id = PyLong_AsLong(PyTuple_GET_ITEM(one, 0));
        long flags = PyLong_AsLong(PyTuple_GET_ITEM(one, 1));
        if (PyErr_Occurred()) {
            H5Pclose(dcpl);
            return -1;
        }
        if (H5Pset_filter(dcpl, (H5Z_filter_t)id, (unsigned)flags, (size_t)ncd, cd) < 0) {
            H5Pclose(dcpl);
            jx_raise_h5(s->st->JaxonError, "cannot set HDF5 filter %ld on %s", id, slot);
            return -1;
        }
    }
    return dcpl;
}

/* ---- filter plugins (module functions) ----------------------------------------------- */

PyObject *jx_filter_available(PyObject *module, PyObject *arg)
{
    (void)module;
    long id = PyLong_AsLong(arg);
    if (id == -1 && PyErr_Occurred())
        return NULL;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    /* H5Zfilter_avail also searches the plugin path and loads the filter from there */
    htri_t r = H5Zfilter_avail((H5Z_filter_t)id);
    H5Eclear2(H5E_DEFAULT);
    return PyBool_FromLong(r > 0);
}

/* Adds dir to our libhdf5's plugin search path. hdf5plugin builds some filters (blosc,
 * blosc2, bitshuffle) so that they call HDF5 through pointers which its init_filter(lib)
 * fills by dlopen-ing the library it is given: h5py's, when hdf5plugin registers them
 * itself. For ours, each such plugin is loaded here once and initialised with the path of
 * the libhdf5 this extension is linked to; HDF5's own dlopen of the same file later gets
 * this very instance. The filters without init_filter (zstd, lz4) call no HDF5 function. */
PyObject *jx_add_filter_plugins(PyObject *module, PyObject *arg)
{
    (void)module;
    PyObject *bytes = NULL;
    if (!PyUnicode_FSConverter(arg, &bytes))
        return NULL;
    const char *dir = PyBytes_AS_STRING(bytes);
    Dl_info info;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (H5PLappend(dir) < 0 || !dladdr((void *)H5open, &info) || !info.dli_fname) {
        Py_DECREF(bytes);
        return jx_raise_h5(PyExc_OSError, "cannot add %R to HDF5's plugin path", arg);
    }
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 4 || strcmp(e->d_name + n - 3, ".so") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        /* kept loaded for the life of the process, as HDF5 keeps its plugins */
        void *h = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
        if (!h)
            continue;
        int (*init)(const char *) = (int (*)(const char *))dlsym(h, "init_filter");
        if (init)
            init(info.dli_fname);
    }
    if (d)
        closedir(d);
    Py_DECREF(bytes);
    Py_RETURN_NONE;
}
