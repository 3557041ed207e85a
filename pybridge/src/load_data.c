/* The loader's data nodes (spec §3.9): numpy arrays, jax arrays, bytes, bytearray,
 * memoryview and dill blobs, read from the node's attribute or storage-hint dataset straight
 * into the final buffer. Sizes are checked against what the file stores before anything is
 * allocated, and data stored outside the file (external/virtual datasets) is refused. */
#include "load_internal.h"

#include <stdlib.h>
#include <string.h>

#include "h5util.h"
#include "jxv_internal.h"
#include "integrity.h"
#include "load_types.h"

/* Dataset bytes we accept beyond the stored bytes: unwritten contiguous storage reads as
 * fill values, and filters compress; beyond this a tiny file could demand huge memory.
 * The ratio bounds only chunked datasets with unwritten chunks (see chunks_all_written). */
#define JX_FILL_SLACK ((hsize_t)16 << 20)
#define JX_MAX_COMPRESSION 1100

static hid_t src_type(Src *s)
{
    return s->is_dataset ? H5Dget_type(s->id) : H5Aget_type(s->id);
}

static hid_t src_space(Src *s)
{
    return s->is_dataset ? H5Dget_space(s->id) : H5Aget_space(s->id);
}

/* 0, or -1 with an HDF5 error on the stack or a Python exception set (Ctrl-C). */
static int src_read(Src *s, hid_t memtype, void *buf, hsize_t nbytes)
{
    if (!s->is_dataset)
        return H5Aread(s->id, memtype, buf) < 0 ? -1 : 0;
    return jx_dataset_io(s->id, memtype, buf, nbytes, 0);
}

/* Whether every chunk of a chunked dataset is allocated in the file. Then each byte the
 * dataset claims is the output of the filter pipeline on a chunk the file stores, so no
 * ratio bound applies: zstd, lz4 and blosc legitimately exceed JX_MAX_COMPRESSION (a
 * 1 MiB chunk of zeros is a few dozen bytes in zstd), and save(compression=...) writes
 * such files. Unwritten chunks cost no storage at all and read as fill values: only
 * those are what a small hostile file could claim without bound. */
static int chunks_all_written(hid_t dset, hid_t dcpl)
{
    hsize_t dims[H5S_MAX_RANK], chunk[H5S_MAX_RANK], expected = 1, have = 0;
    hid_t space = H5Dget_space(dset);
    int nd = space >= 0 ? H5Sget_simple_extent_dims(space, dims, NULL) : -1;
    if (space >= 0)
        H5Sclose(space);
    if (nd <= 0 || H5Pget_chunk(dcpl, nd, chunk) != nd)
        return 0;
    for (int i = 0; i < nd; i++) {
        if (chunk[i] == 0)
            return 0;
        expected *= (dims[i] + chunk[i] - 1) / chunk[i];
    }
    if (H5Dget_num_chunks(dset, H5S_ALL, &have) < 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
    }
    return have >= expected;
}

/* Refuses data a hostile file could use to make us allocate far more than it stores, and
 * datasets whose bytes live outside the file (external storage, virtual datasets). */
static int check_storage(Loader *L, Src *s, const char *name, hsize_t need)
{
    if (!s->is_dataset) {
        hsize_t have = H5Aget_storage_size(s->id);
        if (need > have) {
            jx_ld_rule_error(L, NULL, name, "declared-size", "the attribute claims %llu bytes "
                             "of data but stores %llu", (unsigned long long)need,
                             (unsigned long long)have);
            return -1;
        }
        return 0;
    }
    hid_t dcpl = H5Dget_create_plist(s->id);
    if (dcpl < 0) {
        jx_ld_h5_error(L, name, "cannot read the dataset's creation properties");
        return -1;
    }
    H5D_layout_t layout = H5Pget_layout(dcpl);
    int external = H5Pget_external_count(dcpl);
    int filtered = layout == H5D_CHUNKED && H5Pget_nfilters(dcpl) > 0;
    int all_written = layout == H5D_CHUNKED && chunks_all_written(s->id, dcpl);
    H5Pclose(dcpl);
    if (layout == H5D_VIRTUAL || external != 0) {
        jx_ld_format_error(L, name, "dataset", "datasets stored outside the file (virtual or external "
                              "storage) are not supported");
        return -1;
    }
    /* what the stored bytes can hold: all that is claimed when every chunk is stored (the
     * filters' real output, see chunks_all_written), else themselves, or expanded by a filter
     * (deflate's worst case is ~1032:1); the rest of the dataset would be fill values (never-written
     * contiguous storage, unallocated chunks), which the whole load may read at most
     * JX_FILL_SLACK bytes of: a per-dataset allowance would let a file of many empty
     * datasets demand memory in proportion to their number */
    hsize_t have = H5Dget_storage_size(s->id);
    hsize_t ratio = filtered ? JX_MAX_COMPRESSION : 1;
    hsize_t held = have > (hsize_t)-1 / ratio ? (hsize_t)-1 : have * ratio;
    if (all_written) /* every byte claimed is a stored chunk's filter output */
        held = need;
    if (need > held) {
        hsize_t fill = need - held;
        if (fill > L->fill_budget) {
            jx_ld_rule_error(L, NULL, name, "declared-size", "the dataset claims %llu bytes "
                             "of data but stores %llu%s; the rest would be fill values, of "
                             "which a load reads at most %llu bytes in all (%llu left; "
                             "docs/security.md)", (unsigned long long)need,
                             (unsigned long long)have,
                             filtered ? " (filtered chunks expand at most 1100 times)" : "",
                             (unsigned long long)JX_FILL_SLACK,
                             (unsigned long long)L->fill_budget);
            return -1;
        }
        L->fill_budget -= fill;
    }
    return 0;
}

/* The host buffer of an eagerly loaded jax leaf. XLA's CPU client adopts a NumPy array's
 * memory without copying when it is aligned to JX_JAX_ALIGN bytes and jax.device_put is
 * given it (jnp.asarray copies, whatever the alignment); NumPy's allocator aligns to 16.
 * The array owns the memory through a capsule base, and the jax array keeps the NumPy array
 * alive while it uses the memory; nothing else sees the NumPy array, so nobody writes to a
 * buffer jax treats as immutable. */
#define JX_JAX_ALIGN 64

static void free_aligned(PyObject *capsule)
{
    free(PyCapsule_GetPointer(capsule, "jaxon.host_buffer"));
}

/* A new C-contiguous ndarray (descr stolen) over a JX_JAX_ALIGN-aligned buffer. */
static PyObject *new_aligned_array(PyArray_Descr *descr, int nd, npy_intp *dims,
                                   size_t nbytes)
{
    void *p = NULL;
    if (posix_memalign(&p, JX_JAX_ALIGN, nbytes ? nbytes : 1) != 0) {
        Py_DECREF(descr);
        return PyErr_NoMemory();
    }
    PyObject *cap = PyCapsule_New(p, "jaxon.host_buffer", free_aligned);
    if (!cap) {
        free(p);
        Py_DECREF(descr);
        return NULL;
    }
    PyObject *arr = PyArray_NewFromDescr(&PyArray_Type, descr, nd, dims, NULL, p,
                                         NPY_ARRAY_CARRAY, NULL);
    if (!arr || PyArray_SetBaseObject((PyArrayObject *)arr, cap) < 0) { /* steals cap */
        if (!arr)
            Py_DECREF(cap);
        Py_XDECREF(arr);
        return NULL;
    }
    return arr;
}

/* Reads the data of src into a new ndarray of the file's shape and dtype, straight into
 * the array's buffer. A scalar dataspace gives a 0-d array. With raw (stolen), the bytes
 * are read unconverted into an array of that dtype, whose item size must be the file's. */
static PyObject *read_array(Loader *L, Src *s, const char *name, PyArray_Descr *raw)
{
    hsize_t dims[H5S_MAX_RANK];
    npy_intp npdims[H5S_MAX_RANK];
    JxReadType rt = {NULL, -1, 0, 0, 0};
    hid_t ftype = -1, space = -1;
    PyObject *arr = NULL;
    int nd = 0, lz = s->is_dataset ? L->lazy_next : 0, is_raw = raw != NULL;
    int for_jax = L->jax_next;
    L->lazy_next = L->jax_next = 0; /* for this read only */
    ftype = src_type(s);
    space = src_space(s);
    if (ftype < 0 || space < 0) {
        jx_ld_h5_error(L, name, "cannot inspect the data");
        goto done;
    }
    /* the dataspace is described from the shape read here, the datatype by the layout
     * library once, for both the layout check and the conversion (each is a library call) */
    jxv_type ty;
    memset(&ty, 0, sizeof ty);
    H5S_class_t sclass = H5Sget_simple_extent_type(space);
    switch (sclass) {
    case H5S_SCALAR:
        ty.space = JXV_S_SCALAR;
        ty.npoints = 1;
        break;
    case H5S_SIMPLE:
        nd = H5Sget_simple_extent_dims(space, dims, NULL);
        if (nd < 0 || nd > H5S_MAX_RANK) {
            jx_ld_h5_error(L, name, "cannot read the data's shape");
            goto done;
        }
        ty.space = JXV_S_SIMPLE;
        ty.rank = nd;
        ty.npoints = 1;
        for (int i = 0; i < nd; i++) /* saturating: only "empty or not" matters here */
            ty.npoints = dims[i] && ty.npoints > UINT64_MAX / dims[i] ? UINT64_MAX
                                                                       : ty.npoints * dims[i];
        break;
    case H5S_NULL:
        ty.space = JXV_S_NULL;
        break;
    default:
        jx_ld_h5_error(L, name, "cannot read the data's dataspace");
        goto done;
    }
    /* described only for a check: a plain read needs less of the datatype */
    int described = L->data_check && jxv__describe_type(ftype, &ty) == 0;
    if (L->data_check) { /* jx_ld_load_data's check of a v1 array leaf */
        int hint = L->data_check - 1;
        L->data_check = 0;
        if (!described) {
            H5Eclear2(H5E_DEFAULT);
            jx_ld_h5_error(L, name, "cannot describe the data's datatype");
            goto done;
        }
        if (jx_ld_check_described(L, 0, name, hint, NULL, 0, s->id, s->is_dataset, &ty) < 0)
            goto done;
    }
    if (sclass == H5S_NULL) {
        jx_ld_format_error(L, name, "value-type", "the data has a NULL dataspace (no value)");
        goto done;
    }
    if (raw) {
        rt.descr = raw;
        raw = NULL;
        rt.file_size = H5Tget_size(ftype);
        rt.memtype = H5Tcopy(ftype);
        if (rt.memtype < 0 || rt.file_size != (size_t)PyDataType_ELSIZE(rt.descr)) {
            jx_ld_format_error(L, name, "value-type", "the datatype does not have the item size of %R", rt.descr);
            goto done;
        }
    } else if (jx_read_type_described(ftype, described ? &ty : NULL, &rt) < 0) {
        jx_ld_rewrap(L, name, "value-type", "unsupported datatype");
        goto done;
    }
    hsize_t nelem = 1;
    for (int i = 0; i < nd; i++) {
        if (dims[i] != 0 && nelem > (hsize_t)NPY_MAX_INTP / dims[i]) {
            jx_ld_format_error(L, name, "declared-size", "the data's shape is too large");
            goto done;
        }
        nelem *= dims[i];
        npdims[i] = (npy_intp)dims[i];
    }
    size_t elsize = (size_t)PyDataType_ELSIZE(rt.descr);
    if ((elsize && nelem > (hsize_t)NPY_MAX_INTP / elsize) ||
        (rt.file_size && nelem > (hsize_t)-1 / rt.file_size)) {
        jx_ld_format_error(L, name, "declared-size", "the data is too large");
        goto done;
    }
    if (check_storage(L, s, name, nelem * rt.file_size) < 0)
        goto done;
    if (lz && nelem > 0) { /* load_lazy.c: a mapped array, a proxy or a placed jax array */
        arr = jx_ld_lazy_leaf(L, s, name, lz, nd, npdims, rt.descr, ftype, rt.memtype,
                              is_raw, rt.is_bool, nelem * rt.file_size);
        rt.descr = NULL; /* stolen */
        goto done;
    }
    arr = for_jax ? new_aligned_array(rt.descr, nd, npdims, (size_t)(nelem * elsize))
                  : PyArray_NewFromDescr(&PyArray_Type, rt.descr, nd, npdims, NULL, NULL, 0,
                                         NULL);
    rt.descr = NULL; /* stolen, even on failure */
    if (!arr) {
        jx_ld_rewrap(L, name, "value-type", "cannot create the array");
        goto done;
    }
    /* integrity hook: a dataset is read and checked by jx_verify_read */
    if ((s->is_dataset ? jx_verify_read(L, s->id, name, rt.memtype,
                                        PyArray_DATA((PyArrayObject *)arr),
                                        (size_t)(nelem * elsize))
         : nelem > 0   ? src_read(s, rt.memtype, PyArray_DATA((PyArrayObject *)arr),
                                  nelem * elsize)
                       : 0) < 0) {
        Py_CLEAR(arr);
        jx_ld_h5_error(L, name, "cannot read the data");
        goto done;
    }
    if (!s->is_dataset) /* integrity hook: the bytes as stored, before bools are normalised */
        jx_verify_attr(L, name, PyArray_DESCR((PyArrayObject *)arr), ftype, rt.file_size, nd,
                       dims, PyArray_DATA((PyArrayObject *)arr), (size_t)(nelem * elsize));
    if (nelem > 0) {
        if (rt.is_bool) {
            char *b = PyArray_DATA((PyArrayObject *)arr);
            for (hsize_t i = 0; i < nelem; i++)
                b[i] = b[i] != 0;
        }
    }
done:
    Py_XDECREF(raw);
    jx_read_type_clear(&rt);
    if (space >= 0)
        H5Sclose(space);
    if (ftype >= 0)
        H5Tclose(ftype);
    return arr;
}

/* bytes / bytearray from the data of src (v1.2.0: a rank-1 uint8 array, read directly
 * into the new object; any other array gives its raw buffer, like bytes(ndarray)). */
static PyObject *read_buffer(Loader *L, Src *s, const char *name, int bytearray)
{
    hid_t ftype = src_type(s), space = src_space(s);
    PyObject *r = NULL, *arr = NULL;
    if (ftype < 0 || space < 0) {
        jx_ld_h5_error(L, name, "cannot inspect the data");
        goto done;
    }
    H5S_class_t sc = H5Sget_simple_extent_type(space);
    if (H5Tget_class(ftype) == H5T_INTEGER && H5Tget_size(ftype) == 1 &&
        (sc == H5S_SCALAR || (sc == H5S_SIMPLE && H5Sget_simple_extent_ndims(space) == 1))) {
        hssize_t n = H5Sget_simple_extent_npoints(space);
        if (n < 0 || (hsize_t)n > (hsize_t)PY_SSIZE_T_MAX) {
            jx_ld_h5_error(L, name, "cannot read the data's shape");
            goto done;
        }
        if (check_storage(L, s, name, (hsize_t)n) < 0)
            goto done;
        r = bytearray ? PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)n)
                      : PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n);
        if (!r)
            goto done;
        char *p = bytearray ? PyByteArray_AS_STRING(r) : PyBytes_AS_STRING(r);
        /* integrity hook: a dataset is read and checked by jx_verify_read */
        if ((s->is_dataset ? jx_verify_read(L, s->id, name, H5T_NATIVE_UINT8, p, (size_t)n)
             : n > 0       ? src_read(s, H5T_NATIVE_UINT8, p, (hsize_t)n)
                           : 0) < 0) {
            Py_CLEAR(r);
            jx_ld_h5_error(L, name, "cannot read the data");
            goto done;
        }
        hsize_t len = (hsize_t)n; /* integrity hook: a rank-0 or rank-1 uint8 attribute */
        PyArray_Descr *u8 = s->is_dataset ? NULL : PyArray_DescrFromType(NPY_UINT8);
        if (u8)
            jx_verify_attr(L, name, u8, ftype, 1, sc == H5S_SCALAR ? 0 : 1, &len, p, (size_t)n);
        Py_XDECREF(u8);
        goto done;
    }
    arr = read_array(L, s, name, NULL);
    if (!arr)
        goto done;
    r = bytearray ? PyByteArray_FromObject(arr) : PyBytes_FromObject(arr);
    if (!r)
        jx_ld_rewrap(L, name, "value-type", "cannot turn the data into bytes");
done:
    Py_XDECREF(arr);
    if (space >= 0)
        H5Sclose(space);
    if (ftype >= 0)
        H5Tclose(ftype);
    return r;
}

/* jax.device_put, imported on first use (importing jaxon never imports jax): on the
 * default device, uncommitted and with jax's dtype canonicalisation, as jnp.asarray gives,
 * but adopting an aligned host buffer instead of copying it (new_aligned_array). */
static PyObject *jax_device_put(Loader *L, const char *name)
{
    if (!L->st->jax_device_put) {
        PyObject *jax = jx_ld_import(L, name, "jax", "jax", "a jax.Array");
        if (!jax)
            return NULL;
        L->st->jax_device_put = PyObject_GetAttrString(jax, "device_put");
        Py_DECREF(jax);
    }
    return L->st->jax_device_put;
}

/* The data of a jax.Array node. Our saver keeps jax dtypes NumPy cannot name (bfloat16,
 * float8_*, int4 ...) in a storage-hint dataset whose HDF5 type has the dtype's bit layout
 * and names the dtype in the dataset attribute JAXON_DTYPE (docs/validation.md); those bytes
 * are read unconverted into that dtype. Without the attribute: the plain v1.2.0 reading.
 * The same holds for numpy.ndarray nodes of those dtypes (our saver writes them alike); the
 * dtype is then looked up in ml_dtypes (imported on first need) instead of jax.numpy. */
static PyObject *read_exact_data(Loader *L, Src *s, const char *name, const char *dtype_module)
{
    static const char *const known[] = {"bfloat16", "float8_", "float6_", "float4_",
                                        "int4", "uint4", "int2", "uint2"};
    Text t;
    PyObject *jnp = NULL, *scalar_type = NULL, *r = NULL;
    PyArray_Descr *descr = NULL;
    char dtype_name[64];
    htri_t has = s->is_dataset ? H5Aexists(s->id, "JAXON_DTYPE") : 0;
    if (has < 0)
        return jx_ld_h5_error(L, name, "cannot inspect the dataset's attributes");
    if (!has)
        return read_array(L, s, name, NULL);
    if (jx_ld_read_text_attr(L, s->id, "JAXON_DTYPE", &t) < 0)
        return NULL;
    int ok = t.n > 0 && t.n < sizeof dtype_name && memchr(t.p, '\0', t.n) == NULL;
    if (ok) {
        memcpy(dtype_name, t.p, t.n);
        dtype_name[t.n] = '\0';
        ok = 0;
        for (size_t i = 0; i < sizeof known / sizeof known[0] && !ok; i++)
            ok = strncmp(dtype_name, known[i], strlen(known[i])) == 0;
        for (size_t i = 0; ok && i < t.n; i++)
            ok = (dtype_name[i] >= 'a' && dtype_name[i] <= 'z') ||
                 (dtype_name[i] >= '0' && dtype_name[i] <= '9') || dtype_name[i] == '_';
    }
    jx_ld_text_free(&t);
    if (!ok)
        return jx_ld_format_error(L, name, "dataset", "the dataset's JAXON_DTYPE is not a jax dtype name");
    jnp = jx_ld_import(L, name, dtype_module, "jax", "an array of a JAX dtype");
    scalar_type = jnp ? PyObject_GetAttrString(jnp, dtype_name) : NULL;
    if (!scalar_type) {
        if (jnp && PyErr_ExceptionMatches(PyExc_AttributeError)) {
            PyErr_Clear();
            jx_ld_format_error(L, name, "dataset", "%s has no dtype %s (JAXON_DTYPE)", dtype_module,
                               dtype_name);
        }
        goto done;
    }
    if (!PyArray_DescrConverter(scalar_type, &descr)) {
        jx_ld_rewrap(L, name, "dataset", "JAXON_DTYPE does not name a dtype");
        goto done;
    }
    r = read_array(L, s, name, descr); /* steals descr */
done:
    Py_XDECREF(jnp);
    Py_XDECREF(scalar_type);
    return r;
}

static PyObject *load_dill(Loader *L, Src *s, const char *name, const char *th, size_t th_len)
{
    PyObject *blob = NULL, *dill = NULL, *loads = NULL, *args = NULL, *r = NULL;
    PyObject *kw = L->opts->dill_kwargs;
    if (!L->opts->allow_dill)
    {
        /* PyUnicode_FromFormat has no %.*s: the typehint is passed as a str */
        PyObject *shown = jx_ld_shown(th, th_len);
        if (shown)
            jx_ld_rule_error(L, L->st->JaxonSecurityError, name, "dill-refused",
                             "the file contains a dill blob (%U); unpickling runs code from "
                             "the file, so pass allow_dill=True to load it (trusted files "
                             "only)", shown);
        Py_XDECREF(shown);
        return NULL;
    }
    if (kw && !PyDict_Check(kw)) {
        PyErr_Format(PyExc_TypeError, "dill_kwargs must be a dict, not %.100s",
                     Py_TYPE(kw)->tp_name);
        return NULL;
    }
    blob = read_buffer(L, s, name, 0);
    if (!blob)
        return NULL;
    dill = jx_ld_import(L, name, "dill", "dill", "a dill blob");
    if (!dill)
        goto done;
    loads = PyObject_GetAttrString(dill, "loads");
    args = loads ? PyTuple_Pack(1, blob) : NULL;
    if (!args)
        goto done;
    r = PyObject_Call(loads, args, kw);
    if (!r && PyErr_ExceptionMatches(PyExc_Exception) &&
        !PyErr_ExceptionMatches(PyExc_MemoryError) &&
        !PyErr_ExceptionMatches(PyExc_RecursionError)) {
        /* make any unpickling failure a format error that says where the blob is */
        PyObject *t, *v, *tb;
        PyErr_Fetch(&t, &v, &tb);
        PyErr_NormalizeException(&t, &v, &tb);
        jx_ld_format_error(L, name, "unmarshal-failed", "cannot unpickle the dill blob: %S", v);
        jx_ld_set_cause(v, tb);
        Py_XDECREF(t);
        Py_XDECREF(tb);
    }
done:
    Py_XDECREF(blob);
    Py_XDECREF(dill);
    Py_XDECREF(loads);
    Py_XDECREF(args);
    return r;
}

DataKind jx_ld_data_kind(const char *th, size_t n)
{
    /* the layout library's tag table; DataKind follows jxv_dhint */
    const jxv_tag *t = jxv_tag_find(1, th, n);
    if (t)
        return (DataKind)t->data;
    if (n >= 1 && th[0] == '!')
        return DK_DILL;
    return DK_NONE;
}

/* The value of a data-typehint node (array, jax array, buffer, dill blob) from src. */
static PyObject *load_data_kind(Loader *L, Src *s, const char *name, DataKind kind,
                                const char *th, size_t th_len);

PyObject *jx_ld_load_data(Loader *L, Src *s, const char *name, DataKind kind, const char *th,
                           size_t th_len)
{
    PyObject *r;
    /* v1 (v2 callers check in load_v2.c, where the jax dtype is known); array leaves are
     * checked by read_array, which every successful read of theirs goes through */
    if (th && (kind == DK_NDARRAY || kind == DK_JAX || kind == DK_MEMORYVIEW))
        L->data_check = (int)kind + 1;
    else if (th && jx_ld_check_data(L, 0, name, (int)kind, NULL, 0, s->id, s->is_dataset, -1,
                                    -1) < 0)
        return NULL;
    r = load_data_kind(L, s, name, kind, th, th_len);
    L->data_check = 0;
    return r;
}

static PyObject *load_data_kind(Loader *L, Src *s, const char *name, DataKind kind,
                                const char *th, size_t th_len)
{
    PyObject *arr = NULL, *r = NULL, *f;
    switch (kind) {
    case DK_BYTES:
        return read_buffer(L, s, name, 0);
    case DK_BYTEARRAY:
        return read_buffer(L, s, name, 1);
    case DK_DILL:
        return load_dill(L, s, name, th, th_len);
    case DK_NDARRAY:
        /* a v1 numpy leaf (th set); v2 callers set lazy_next themselves, since they also
         * read text and void scalars this way */
        if (th)
            L->lazy_next = L->opts->lazy && L->opts->lazy_file ? 1 : 0;
        r = read_exact_data(L, s, name, "ml_dtypes");
        L->lazy_next = 0;
        return r;
    case DK_MEMORYVIEW:
        arr = read_array(L, s, name, NULL);
        r = arr ? PyMemoryView_FromObject(arr) : NULL;
        break;
    case DK_JAX:
        L->lazy_next = L->opts->lazy_file ? 2 : 0;
        L->lazy_jax_dtype = NULL;
        L->jax_next = !L->opts->placer;
        arr = read_exact_data(L, s, name, "jax.numpy");
        L->lazy_next = L->jax_next = 0;
        if (arr && !PyArray_Check(arr)) /* a LazyArray or a placed jax array */
            return arr;
        if (arr && L->opts->placer) {
            r = jx_ld_place(L, arr, NULL);
            break;
        }
        f = arr ? jax_device_put(L, name) : NULL;
        r = f ? PyObject_CallOneArg(f, arr) : NULL;
        if (!r && f) /* a dtype jax does not take: JaxonFormatError, the TypeError chained */
            jx_ld_rewrap(L, name, "value-type", "jax cannot make an array of this data");
        break;
    case DK_NONE:
        break;
    }
    Py_XDECREF(arr);
    return r;
}
