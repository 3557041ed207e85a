/* Lazy loads (load(lazy=True)) and placement on load (load(sharding=...)).
 *
 * A lazy load keeps the HDF5 file open in a LazyFile object shared by every proxy of that
 * load; the file closes when the last proxy (or memory-mapped array) of the load dies. The
 * file is kept open rather than reopened by path per access because jaxon.save replaces a
 * path by renaming a new file over it: a reopen would read the new file's bytes through an
 * old proxy, while the open descriptor keeps reading the old inode (its data stays valid
 * until the last proxy dies, whatever happens to the path).
 *
 * Array leaves held in contiguous, allocated, unfiltered datasets whose file datatype is
 * the NumPy dtype's layout become read-only ndarrays over one read-only mmap of the whole
 * file (zero copy); every other dataset leaf becomes a jaxon.LazyArray (jaxon/_lazy.py)
 * that reads hyperslabs through LazyFile.read. jax.Array leaves always become LazyArrays
 * (their .load() gives the jax array), or, with a placer, are placed on their devices by
 * reading each device's slice (the placer lives in jaxon/_lazy.py). */
#include "load_internal.h"

#include <string.h>

#include "h5util.h"
#include "integrity.h"
#include "load_types.h"

#include <sys/stat.h>

/* A file some live lazy load has open, by device and inode, with the number of loads. */
struct JxLazyInode {
    unsigned long long dev, ino;
    size_t loads;
};

typedef struct LazyFile {
    PyObject_HEAD
    hid_t fid;       /* open read-only; closed in dealloc */
    int registered;  /* counted in the state's lazy_inodes under dev/ino */
    unsigned long long dev, ino;
    PyObject *mm;    /* read-only mmap.mmap of the whole file, or NULL when not mappable */
    hsize_t base;    /* file offset of HDF5 address 0 (the user block size) */
    PyObject *shown; /* the path as given, for messages */
    int verify;      /* integrity: whole reads are checked (load's verify=True) */
} LazyFile;

/* ---- the LazyFile type ------------------------------------------------------------------ */

static struct JxLazyInode *find_inode(JxState *st, unsigned long long dev,
                                      unsigned long long ino)
{
    for (size_t i = 0; i < st->n_lazy_inodes; i++)
        if (st->lazy_inodes[i].dev == dev && st->lazy_inodes[i].ino == ino)
            return &st->lazy_inodes[i];
    return NULL;
}

int jx_lazy_file_busy(JxState *st, unsigned long long dev, unsigned long long ino)
{
    struct JxLazyInode *e = find_inode(st, dev, ino);
    return e && e->loads > 0;
}

static void register_inode(JxState *st, LazyFile *self, int fd)
{
    struct stat sb;
    if (fstat(fd, &sb) < 0)
        return;
    self->dev = (unsigned long long)sb.st_dev;
    self->ino = (unsigned long long)sb.st_ino;
    struct JxLazyInode *e = find_inode(st, self->dev, self->ino);
    if (!e) {
        if (st->n_lazy_inodes == st->cap_lazy_inodes) {
            size_t cap = st->cap_lazy_inodes ? st->cap_lazy_inodes * 2 : 8;
            struct JxLazyInode *n = PyMem_RawRealloc(st->lazy_inodes, cap * sizeof *n);
            if (!n)
                return; /* not registered: only the in-place save check is lost */
            st->lazy_inodes = n;
            st->cap_lazy_inodes = cap;
        }
        e = &st->lazy_inodes[st->n_lazy_inodes++];
        e->dev = self->dev;
        e->ino = self->ino;
        e->loads = 0;
    }
    e->loads++;
    self->registered = 1;
}

static void lf_dealloc(LazyFile *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    if (self->registered) {
        JxState *st = PyType_GetModuleState(tp);
        struct JxLazyInode *e = st ? find_inode(st, self->dev, self->ino) : NULL;
        if (e && e->loads > 0 && --e->loads == 0)
            *e = st->lazy_inodes[--st->n_lazy_inodes];
    }
    if (self->fid >= 0) {
        /* may run in any thread, also after HDF5 shut down at exit: never print */
        H5E_BEGIN_TRY
        {
            H5Fclose(self->fid);
        }
        H5E_END_TRY
    }
    Py_XDECREF(self->mm);
    Py_XDECREF(self->shown);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static int tuple_dims(PyObject *t, int rank, hsize_t *out, const char *what)
{
    if (PyTuple_GET_SIZE(t) != rank) {
        PyErr_Format(PyExc_ValueError, "%s has %zd entries for a dataset of rank %d", what,
                     PyTuple_GET_SIZE(t), rank);
        return -1;
    }
    for (int i = 0; i < rank; i++) {
        unsigned long long v = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(t, i));
        if (v == (unsigned long long)-1 && PyErr_Occurred())
            return -1;
        out[i] = (hsize_t)v;
    }
    return 0;
}

/* read(token, raw_dtype, start, count, step) -> ndarray of shape count: the hyperslab of
 * the dataset with that object token. raw_dtype None reads with the dtype the eager loader
 * gives; a dtype reads the bytes unconverted into it (jax dtypes such as bfloat16). */
/* The dataset of an object token passed from Python (LazyArray keeps it as bytes), opened
 * with HDF5's error printing off; -1 with ValueError for bytes that are no token, or -1
 * with nothing raised when HDF5 cannot open it (the caller says what it was doing). */
static hid_t open_token(LazyFile *self, const Py_buffer *tok)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (tok->len != (Py_ssize_t)sizeof(H5O_token_t)) {
        PyErr_SetString(PyExc_ValueError, "not an HDF5 object token");
        return -1;
    }
    H5O_token_t token;
    memcpy(&token, tok->buf, sizeof token);
    return H5Oopen_by_token(self->fid, token);
}

static PyObject *lf_read(LazyFile *self, PyObject *args)
{
    JxState *st = PyType_GetModuleState(Py_TYPE(self));
    Py_buffer tok = {0};
    PyObject *raw, *start_t, *count_t, *step_t, *arr = NULL;
    hsize_t dims[H5S_MAX_RANK], start[H5S_MAX_RANK], count[H5S_MAX_RANK], step[H5S_MAX_RANK];
    npy_intp npdims[H5S_MAX_RANK];
    JxReadType rt = {NULL, -1, 0, 0, 0};
    hid_t did = -1, ftype = -1, fspace = -1, mspace = -1;
    if (!PyArg_ParseTuple(args, "y*OO!O!O!:read", &tok, &raw, &PyTuple_Type, &start_t,
                          &PyTuple_Type, &count_t, &PyTuple_Type, &step_t))
        return NULL;
    did = open_token(self, &tok);
    if (did < 0 && PyErr_Occurred())
        goto done;
    ftype = did >= 0 ? H5Dget_type(did) : -1;
    fspace = ftype >= 0 ? H5Dget_space(did) : -1;
    if (fspace < 0) {
        jx_raise_h5(st->JaxonError, "cannot open the dataset of a lazy load of %R", self->shown);
        goto done;
    }
    int rank = H5Sget_simple_extent_ndims(fspace);
    if (rank < 0 || rank > H5S_MAX_RANK || H5Sget_simple_extent_dims(fspace, dims, NULL) < 0) {
        jx_raise_h5(st->JaxonError, "cannot read the dataspace in %R", self->shown);
        goto done;
    }
    if (tuple_dims(start_t, rank, start, "start") < 0 ||
        tuple_dims(count_t, rank, count, "count") < 0 ||
        tuple_dims(step_t, rank, step, "step") < 0)
        goto done;
    hsize_t nelem = 1;
    int full = 1;
    for (int i = 0; i < rank; i++) {
        if (step[i] < 1 || (count[i] > 0 && (start[i] >= dims[i] ||
                                             (count[i] - 1) > (dims[i] - 1 - start[i]) / step[i]))) {
            PyErr_Format(PyExc_IndexError, "selection outside the dataset's axis %d of length "
                         "%llu", i, (unsigned long long)dims[i]);
            goto done;
        }
        full = full && start[i] == 0 && count[i] == dims[i] && (step[i] == 1 || count[i] <= 1);
        nelem *= count[i];
        npdims[i] = (npy_intp)count[i];
    }
    if (raw != Py_None) {
        if (!PyArray_DescrConverter(raw, &rt.descr))
            goto done;
        rt.memtype = H5Tcopy(ftype);
        if (rt.memtype < 0 || H5Tget_size(ftype) != (size_t)PyDataType_ELSIZE(rt.descr)) {
            PyErr_Format(PyExc_ValueError, "the datatype does not have the item size of %R",
                         rt.descr);
            goto done;
        }
    } else if (jx_read_type_from_h5(ftype, &rt) < 0) {
        goto done;
    }
    arr = PyArray_NewFromDescr(&PyArray_Type, rt.descr, rank, npdims, NULL, NULL, 0, NULL);
    rt.descr = NULL; /* stolen */
    if (!arr || nelem == 0)
        goto done;
    void *buf = PyArray_DATA((PyArrayObject *)arr);
    hsize_t nbytes = (hsize_t)PyArray_NBYTES((PyArrayObject *)arr);
    herr_t rc;
    if (full) {
        rc = jx_dataset_io(did, rt.memtype, buf, nbytes, 0);
    } else {
        mspace = H5Screate_simple(rank, count, NULL);
        rc = mspace < 0 ? -1
                        : H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, step, count, NULL);
        if (rc >= 0) {
            Py_BEGIN_ALLOW_THREADS
            rc = H5Dread(did, rt.memtype, mspace, fspace, H5P_DEFAULT, buf);
            Py_END_ALLOW_THREADS
        }
    }
    if (rc < 0) {
        Py_CLEAR(arr);
        jx_raise_h5(st->JaxonError, "cannot read a lazily loaded dataset of %R", self->shown);
        goto done;
    }
    /* integrity hook: a whole read is checked (slices cannot be, spec §12) */
    if (full && self->verify &&
        jx_verify_dataset_standalone(st->JaxonFormatError, did, self->shown, buf,
                                     (size_t)nbytes) < 0) {
        Py_CLEAR(arr);
        goto done;
    }
    if (rt.is_bool) {
        char *b = buf;
        for (hsize_t i = 0; i < nelem; i++)
            b[i] = b[i] != 0;
    }
done:
    PyBuffer_Release(&tok);
    jx_read_type_clear(&rt);
    if (mspace >= 0)
        H5Sclose(mspace);
    if (fspace >= 0)
        H5Sclose(fspace);
    if (ftype >= 0)
        H5Tclose(ftype);
    if (did >= 0)
        H5Dclose(did);
    return arr;
}

static PyObject *lf_repr(LazyFile *self)
{
    return PyUnicode_FromFormat("<jaxon LazyFile %R%s>", self->shown,
                                self->mm ? " (memory-mapped)" : "");
}

static PyObject *lf_get_mapped(LazyFile *self, void *closure)
{
    (void)closure;
    return PyBool_FromLong(self->mm != NULL);
}

/* check(token, array): the integrity check of a whole array read from the memory map
 * (whose bytes are the file's); no-op when the load had verify=False. */
static PyObject *lf_check(LazyFile *self, PyObject *args)
{
    JxState *st = PyType_GetModuleState(Py_TYPE(self));
    Py_buffer tok = {0}, data = {0};
    PyObject *r = NULL;
    if (!PyArg_ParseTuple(args, "y*y*:check", &tok, &data))
        return NULL;
    if (!self->verify) {
        r = Py_NewRef(Py_None);
        goto done;
    }
    hid_t did = open_token(self, &tok);
    if (did < 0 && PyErr_Occurred())
        goto done;
    if (did < 0) {
        jx_raise_h5(st->JaxonError, "cannot open the dataset of a lazy load of %R", self->shown);
        goto done;
    }
    int rc = jx_verify_dataset_standalone(st->JaxonFormatError, did, self->shown, data.buf,
                                          (size_t)data.len);
    H5Dclose(did);
    if (rc == 0)
        r = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&tok);
    PyBuffer_Release(&data);
    return r;
}

static PyMethodDef lf_methods[] = {
    {"read", (PyCFunction)lf_read, METH_VARARGS,
     "read(token, raw_dtype, start, count, step): one hyperslab of a dataset as a new array."},
    {"check", (PyCFunction)lf_check, METH_VARARGS,
     "check(token, data): integrity check of a whole dataset's bytes (spec §12)."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef lf_getset[] = {
    {"mapped", (getter)lf_get_mapped, NULL, "Whether the file is memory-mapped.", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyType_Slot lf_slots[] = {
    {Py_tp_dealloc, lf_dealloc},
    {Py_tp_repr, lf_repr},
    {Py_tp_methods, lf_methods},
    {Py_tp_getset, lf_getset},
    {Py_tp_doc, "The open file behind the proxies of one lazy load (closed with the last)."},
    {0, NULL}};

static PyType_Spec lf_spec = {
    .name = "jaxon._jaxon.LazyFile",
    .basicsize = sizeof(LazyFile),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = lf_slots,
};

int jx_lazy_init(PyObject *module, JxState *st)
{
    st->lazy_file_type = PyType_FromModuleAndSpec(module, &lf_spec, NULL);
    return st->lazy_file_type ? 0 : -1;
}

/* A read-only mmap of the file behind fid when it is a plain file of the sec2 driver (the
 * default); NULL without an exception when it cannot be mapped (proxies then read). */
static PyObject *map_file(hid_t fid, hsize_t *base, int *fd)
{
    PyObject *mod = NULL, *mm = NULL;
    if (!jx_sec2_fd(fid, fd, base))
        return NULL;
    mod = PyImport_ImportModule("mmap");
    PyObject *fn = mod ? PyObject_GetAttrString(mod, "mmap") : NULL;
    PyObject *access = mod ? PyObject_GetAttrString(mod, "ACCESS_READ") : NULL;
    PyObject *a = access ? Py_BuildValue("(ii)", *fd, 0) : NULL;
    PyObject *kw = a ? Py_BuildValue("{sO}", "access", access) : NULL;
    /* mmap.mmap dups the descriptor: the map outlives HDF5's own descriptor */
    mm = fn && kw ? PyObject_Call(fn, a, kw) : NULL;
    Py_XDECREF(fn);
    Py_XDECREF(access);
    Py_XDECREF(a);
    Py_XDECREF(kw);
    if (!mm)
        PyErr_Clear(); /* e.g. an empty or special file: proxies read instead */
    Py_XDECREF(mod);
    return mm;
}

PyObject *jx_lazy_file_new(JxState *st, hid_t fid, PyObject *shown)
{
    PyTypeObject *tp = (PyTypeObject *)st->lazy_file_type;
    LazyFile *self = (LazyFile *)tp->tp_alloc(tp, 0);
    if (!self)
        return NULL;
    self->fid = -1;
    self->shown = Py_NewRef(shown);
    int fd = -1;
    self->mm = map_file(fid, &self->base, &fd);
    if (fd >= 0)
        register_inode(st, self, fd);
    self->fid = fid; /* owned from here on */
    return (PyObject *)self;
}

/* ---- leaves ----------------------------------------------------------------------------- */

/* jaxon._lazy.LazyArray, imported on first use. */
static PyObject *lazy_array_cls(JxState *st)
{
    if (!st->lazy_array_cls) {
        PyObject *m = PyImport_ImportModule("jaxon._lazy");
        if (!m)
            return NULL;
        st->lazy_array_cls = PyObject_GetAttrString(m, "LazyArray");
        Py_DECREF(m);
    }
    return st->lazy_array_cls;
}

/* The read-only ndarray over the file's bytes of dataset s, or NULL without an exception
 * when they cannot be used as they are: not contiguous in the file (chunked, filtered,
 * external, not allocated), a conversion needed (datatype not the dtype's layout, HDF5
 * booleans normalised to 0/1), or outside the mapped length. */
static PyObject *map_dataset(LazyFile *lf, hid_t dset, int nd, npy_intp *dims,
                             PyArray_Descr *descr, hid_t ftype, hid_t memtype, int raw,
                             int is_bool, hsize_t nbytes)
{
    if (!lf->mm || is_bool || (!raw && H5Tequal(ftype, memtype) <= 0))
        return NULL;
    hid_t dcpl = H5Dget_create_plist(dset);
    if (dcpl < 0)
        return NULL;
    int ok = H5Pget_layout(dcpl) == H5D_CONTIGUOUS && H5Pget_nfilters(dcpl) == 0 &&
             H5Pget_external_count(dcpl) == 0;
    H5Pclose(dcpl);
    haddr_t off = ok ? H5Dget_offset(dset) : HADDR_UNDEF;
    if (off == HADDR_UNDEF || H5Dget_storage_size(dset) != nbytes)
        return NULL;
    PyObject *mv = PyMemoryView_FromObject(lf->mm);
    if (!mv)
        return NULL;
    Py_buffer *view = PyMemoryView_GET_BUFFER(mv);
    if (off > (hsize_t)view->len || lf->base > (hsize_t)view->len - off ||
        nbytes > (hsize_t)view->len - off - lf->base) {
        Py_DECREF(mv);
        return NULL;
    }
    Py_INCREF(descr);
    /* flags 0: not writeable (the map is read-only); numpy works out contiguity/alignment */
    PyObject *arr = PyArray_NewFromDescr(&PyArray_Type, descr, nd, dims, NULL,
                                         (char *)view->buf + lf->base + off, 0, NULL);
    if (!arr || PyArray_SetBaseObject((PyArrayObject *)arr, mv) < 0) { /* steals mv */
        if (!arr)
            Py_DECREF(mv);
        Py_XDECREF(arr);
        return NULL;
    }
    return arr;
}

PyObject *jx_ld_place(Loader *L, PyObject *src, PyObject *jax_dtype)
{
    PyObject *path = L->path ? PyList_AsTuple(L->path) : PyTuple_New(0);
    if (!path)
        return NULL;
    PyObject *r = PyObject_CallFunctionObjArgs(L->opts->placer, src, path,
                                               jax_dtype ? jax_dtype : Py_None, NULL);
    Py_DECREF(path); /* the placer's errors name the path already */
    return r;
}

PyObject *jx_ld_lazy_leaf(Loader *L, Src *s, const char *name, int lz, int nd,
                          npy_intp *dims, PyArray_Descr *descr, hid_t ftype,
                          hid_t memtype, int raw, int is_bool, hsize_t nbytes)
{
    LazyFile *lf = (LazyFile *)L->opts->lazy_file;
    PyObject *mapped = NULL, *shape = NULL, *tok = NULL, *proxy = NULL;
    PyObject *cls = lazy_array_cls(L->st);
    H5O_info2_t info;
    lf->verify = L->verify != NULL; /* integrity hook: the load's verify= */
    if (!cls)
        goto done;
    mapped = map_dataset(lf, s->id, nd, dims, descr, ftype, memtype, raw, is_bool, nbytes);
    if (PyErr_Occurred())
        goto done;
    if (lz == 1 && mapped) {
        proxy = Py_NewRef(mapped);
        goto done;
    }
    if (H5Oget_info3(s->id, &info, H5O_INFO_BASIC) < 0) {
        jx_ld_h5_error(L, name, "cannot identify the dataset");
        goto done;
    }
    tok = PyBytes_FromStringAndSize((const char *)&info.token, sizeof info.token);
    shape = PyTuple_New(nd);
    if (!tok || !shape)
        goto done;
    for (int i = 0; i < nd; i++) {
        PyObject *d = PyLong_FromSsize_t(dims[i]);
        if (!d)
            goto done;
        PyTuple_SET_ITEM(shape, i, d);
    }
    PyObject *jd = lz == 2 && L->lazy_jax_dtype ? L->lazy_jax_dtype : Py_None;
    proxy = PyObject_CallFunction(cls, "OOOOOOOO", (PyObject *)lf, tok, shape, descr,
                                  raw ? Py_True : Py_False, lz == 2 ? Py_True : Py_False,
                                  jd, mapped ? mapped : Py_None);
    if (proxy && lz == 2 && L->opts->placer)
        Py_SETREF(proxy, jx_ld_place(L, proxy, jd == Py_None ? NULL : jd));
done:
    Py_XDECREF(mapped);
    Py_XDECREF(shape);
    Py_XDECREF(tok);
    Py_DECREF(descr);
    return proxy;
}
