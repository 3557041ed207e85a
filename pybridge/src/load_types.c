/* HDF5 file datatype -> NumPy dtype and HDF5 memory datatype, for reading (spec §2.5).
 *
 * The mapping is h5py's, which is what Jaxon v1.2.0 files were read with: integers and
 * floats keep their byte order (a big-endian file type gives a '>' dtype), the {FALSE, TRUE}
 * int8 enum is bool, other enums read as their base integer, a compound of exactly the float
 * members "r" and "i" is complex, other compounds are structured dtypes, H5T_ARRAY is a
 * sub-array, fixed strings are S<n> and opaque data is V<n>. The memory type always has the
 * dtype's layout, so H5Aread/H5Dread write straight into the NumPy buffer; for non-standard
 * file layouts (odd precisions, bit offsets) HDF5's conversion does the work. */
#include "load_types.h"

#include <stdarg.h>
#include <string.h>

/* Deeper nesting of compounds and arrays than any real dtype: a guard for crafted files. */
#define JX_MAX_TYPE_DEPTH 24
/* NumPy keeps item sizes in a C int in places; stay well below. */
#define JX_MAX_ITEMSIZE ((size_t)1 << 30)

static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    PyObject *msg = PyUnicode_FromFormatV(fmt, ap);
    va_end(ap);
    if (msg) {
        PyErr_SetObject(PyExc_ValueError, msg);
        Py_DECREF(msg);
    }
    return -1;
}

void jx_read_type_clear(JxReadType *rt)
{
    Py_CLEAR(rt->descr);
    if (rt->memtype >= 0)
        H5Tclose(rt->memtype);
    rt->memtype = -1;
}

/* The builtin dtype typenum in the given HDF5 byte order. New reference. */
static PyArray_Descr *descr_in_order(int typenum, H5T_order_t order)
{
    PyArray_Descr *d = PyArray_DescrFromType(typenum);
    if (!d || PyDataType_ELSIZE(d) <= 1)
        return d;
#if NPY_BYTE_ORDER == NPY_BIG_ENDIAN
    int swap = order == H5T_ORDER_LE;
#else
    int swap = order == H5T_ORDER_BE;
#endif
    if (swap) {
        PyArray_Descr *s = PyArray_DescrNewByteorder(d, NPY_SWAP);
        Py_DECREF(d);
        d = s;
    }
    return d;
}

/* A copy of base with the given byte order. */
static hid_t ordered_copy(hid_t base, H5T_order_t order, size_t size)
{
    hid_t t = H5Tcopy(base);
    if (t >= 0 && size > 1 && (order == H5T_ORDER_LE || order == H5T_ORDER_BE) &&
        H5Tset_order(t, order) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

static int integer_type(hid_t ftype, size_t size, JxReadType *rt)
{
    H5T_sign_t sign = H5Tget_sign(ftype);
    H5T_order_t order = H5Tget_order(ftype);
    int typenum;
    hid_t base;
    if (sign < 0 || order < 0)
        return fail("cannot inspect an integer datatype");
    int is_signed = sign == H5T_SGN_2;
    switch (size) {
    case 1:
        typenum = is_signed ? NPY_INT8 : NPY_UINT8;
        base = is_signed ? H5T_NATIVE_INT8 : H5T_NATIVE_UINT8;
        break;
    case 2:
        typenum = is_signed ? NPY_INT16 : NPY_UINT16;
        base = is_signed ? H5T_NATIVE_INT16 : H5T_NATIVE_UINT16;
        break;
    case 4:
        typenum = is_signed ? NPY_INT32 : NPY_UINT32;
        base = is_signed ? H5T_NATIVE_INT32 : H5T_NATIVE_UINT32;
        break;
    case 8:
        typenum = is_signed ? NPY_INT64 : NPY_UINT64;
        base = is_signed ? H5T_NATIVE_INT64 : H5T_NATIVE_UINT64;
        break;
    default:
        return fail("integers of %zu bytes are not supported", size);
    }
    rt->descr = descr_in_order(typenum, order);
    if (!rt->descr)
        return -1;
    rt->memtype = ordered_copy(base, order, size);
    if (rt->memtype < 0)
        return fail("cannot build the memory type of an integer");
    rt->is_numeric = 1;
    return 0;
}

/* The float types NumPy has: half, single, double and (where wider) long double. */
static int float_member(size_t size, H5T_order_t order, int *typenum, hid_t *memtype,
                        int is_complex)
{
    hid_t base;
    switch (size) {
    case 2:
        if (is_complex)
            return fail("complex numbers of 16-bit floats are not supported");
        *typenum = NPY_HALF;
        base = order == H5T_ORDER_BE ? H5T_IEEE_F16BE : H5T_IEEE_F16LE;
        break;
    case 4:
        *typenum = is_complex ? NPY_CFLOAT : NPY_FLOAT;
        base = order == H5T_ORDER_BE ? H5T_IEEE_F32BE : H5T_IEEE_F32LE;
        break;
    case 8:
        *typenum = is_complex ? NPY_CDOUBLE : NPY_DOUBLE;
        base = order == H5T_ORDER_BE ? H5T_IEEE_F64BE : H5T_IEEE_F64LE;
        break;
    default:
        /* x86-64 long double: size 16, precision 80. Any wider float is converted to the
         * native long double by HDF5 (what h5py does too). */
        if (size > 8 && size <= 16 && sizeof(long double) > 8) {
            *typenum = is_complex ? NPY_CLONGDOUBLE : NPY_LONGDOUBLE;
            base = H5T_NATIVE_LDOUBLE;
            break;
        }
        return fail("floats of %zu bytes are not supported", size);
    }
    *memtype = H5Tcopy(base);
    return *memtype < 0 ? fail("cannot copy a float datatype") : 0;
}

static int float_type(hid_t ftype, size_t size, JxReadType *rt)
{
    H5T_order_t order = H5Tget_order(ftype);
    int typenum;
    if (order < 0)
        return fail("cannot inspect a float datatype");
    if (float_member(size, order, &typenum, &rt->memtype, 0) < 0)
        return -1;
    rt->descr = descr_in_order(typenum, typenum == NPY_LONGDOUBLE ? H5T_ORDER_NONE : order);
    rt->is_numeric = 1;
    return rt->descr ? 0 : -1;
}

/* 1 if the member names of a 2-member type are exactly n0, n1 (in order). */
static int member_names_are(hid_t t, const char *n0, const char *n1)
{
    int ok = 1;
    for (unsigned i = 0; i < 2; i++) {
        char *name = H5Tget_member_name(t, i);
        if (!name)
            return -1;
        ok = ok && strcmp(name, i == 0 ? n0 : n1) == 0;
        H5free_memory(name);
    }
    return ok;
}

static int is_bool_enum(hid_t ftype)
{
    if (H5Tget_nmembers(ftype) != 2 || H5Tget_size(ftype) != 1)
        return 0;
    int names = member_names_are(ftype, "FALSE", "TRUE");
    if (names <= 0)
        return names;
    signed char v0 = -1, v1 = -1;
    if (H5Tget_member_value(ftype, 0, &v0) < 0 || H5Tget_member_value(ftype, 1, &v1) < 0)
        return -1;
    return v0 == 0 && v1 == 1;
}

static int enum_type(hid_t ftype, JxReadType *rt)
{
    int b = is_bool_enum(ftype);
    if (b < 0)
        return fail("cannot inspect an enum datatype");
    if (b) {
        rt->descr = PyArray_DescrFromType(NPY_BOOL);
        if (!rt->descr)
            return -1;
        rt->is_bool = 1;
    } else {
        /* other enums read as their base integer, like h5py */
        hid_t super = H5Tget_super(ftype);
        if (super < 0)
            return fail("cannot inspect an enum datatype");
        int r = integer_type(super, H5Tget_size(super), rt);
        H5Tclose(super);
        if (r < 0)
            return -1;
        H5Tclose(rt->memtype);
    }
    /* the enum itself as memory type: same bytes, no value mapping */
    rt->memtype = H5Tcopy(ftype);
    rt->is_numeric = 1;
    return rt->memtype < 0 ? fail("cannot copy an enum datatype") : 0;
}

/* 1 and fills rt if ftype is h5py's complex compound {r, i} of one float type. */
static int complex_type(hid_t ftype, JxReadType *rt)
{
    hid_t m0 = -1, m1 = -1;
    int result = 0;
    if (H5Tget_nmembers(ftype) != 2)
        return 0;
    int names = member_names_are(ftype, "r", "i");
    if (names <= 0)
        return names < 0 ? fail("cannot inspect a compound datatype") : 0;
    m0 = H5Tget_member_type(ftype, 0);
    m1 = H5Tget_member_type(ftype, 1);
    if (m0 < 0 || m1 < 0) {
        result = fail("cannot inspect a compound datatype");
        goto done;
    }
    size_t msize = H5Tget_size(m0);
    if (H5Tget_class(m0) != H5T_FLOAT || H5Tequal(m0, m1) <= 0 ||
        H5Tget_member_offset(ftype, 0) != 0 || H5Tget_member_offset(ftype, 1) != msize ||
        H5Tget_size(ftype) != 2 * msize || (msize != 4 && msize != 8 && msize != 16))
        goto done; /* a structured {r, i} compound */
    int typenum;
    hid_t mmem = -1;
    if (float_member(msize, H5Tget_order(m0), &typenum, &mmem, 1) < 0) {
        result = -1;
        goto done;
    }
    size_t memsize = H5Tget_size(mmem);
    rt->memtype = H5Tcreate(H5T_COMPOUND, 2 * memsize);
    if (rt->memtype < 0 || H5Tinsert(rt->memtype, "r", 0, mmem) < 0 ||
        H5Tinsert(rt->memtype, "i", memsize, mmem) < 0) {
        H5Tclose(mmem);
        result = fail("cannot build the memory type of a complex number");
        goto done;
    }
    H5Tclose(mmem);
    rt->descr = descr_in_order(typenum,
                               typenum == NPY_CLONGDOUBLE ? H5T_ORDER_NONE : H5Tget_order(m0));
    rt->is_numeric = 1;
    result = rt->descr ? 1 : -1;
done:
    if (m0 >= 0)
        H5Tclose(m0);
    if (m1 >= 0)
        H5Tclose(m1);
    return result;
}

static int convert(hid_t ftype, JxReadType *rt, int depth);

static int structured_type(hid_t ftype, JxReadType *rt, int depth)
{
    int n = H5Tget_nmembers(ftype);
    size_t size = H5Tget_size(ftype);
    PyObject *names = NULL, *formats = NULL, *offsets = NULL, *spec = NULL;
    int status = -1;
    if (n <= 0)
        return fail("compound datatypes without members are not supported");
    if (size == 0 || size > JX_MAX_ITEMSIZE)
        return fail("compound datatype of %zu bytes is not supported", size);
    names = PyList_New(0);
    formats = PyList_New(0);
    offsets = PyList_New(0);
    if (!names || !formats || !offsets)
        goto done;
    rt->memtype = H5Tcreate(H5T_COMPOUND, size);
    if (rt->memtype < 0) {
        fail("cannot build a compound memory type");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        JxReadType child = {NULL, -1, 0, 0, 0};
        char *cname = H5Tget_member_name(ftype, (unsigned)i);
        size_t off = H5Tget_member_offset(ftype, (unsigned)i);
        hid_t mtype = H5Tget_member_type(ftype, (unsigned)i);
        PyObject *pyname = NULL, *pyoff = NULL;
        int ok = 0;
        if (!cname || mtype < 0) {
            fail("cannot inspect member %d of a compound datatype", i);
        } else if (convert(mtype, &child, depth + 1) == 0) {
            size_t fsize = H5Tget_size(mtype);
            if (H5Tget_size(child.memtype) != fsize || off > size || fsize > size - off)
                fail("compound member %s has a layout NumPy cannot hold", cname);
            else if (H5Tinsert(rt->memtype, cname, off, child.memtype) < 0)
                fail("cannot build the memory type of compound member %s", cname);
            else if ((pyname = PyUnicode_DecodeUTF8(cname, (Py_ssize_t)strlen(cname),
                                                    "strict")) != NULL &&
                     (pyoff = PyLong_FromSize_t(off)) != NULL &&
                     PyList_Append(names, pyname) == 0 &&
                     PyList_Append(formats, (PyObject *)child.descr) == 0 &&
                     PyList_Append(offsets, pyoff) == 0)
                ok = 1;
        }
        Py_XDECREF(pyname);
        Py_XDECREF(pyoff);
        jx_read_type_clear(&child);
        if (cname)
            H5free_memory(cname);
        if (mtype >= 0)
            H5Tclose(mtype);
        if (!ok)
            goto done;
    }
    spec = Py_BuildValue("{sOsOsOsn}", "names", names, "formats", formats, "offsets", offsets,
                         "itemsize", (Py_ssize_t)size);
    if (!spec)
        goto done;
    if (!PyArray_DescrConverter(spec, &rt->descr))
        goto done;
    status = 0;
done:
    Py_XDECREF(names);
    Py_XDECREF(formats);
    Py_XDECREF(offsets);
    Py_XDECREF(spec);
    return status;
}

static int array_type(hid_t ftype, JxReadType *rt, int depth)
{
    hsize_t dims[H5S_MAX_RANK];
    JxReadType base = {NULL, -1, 0, 0, 0};
    hid_t super = -1;
    PyObject *shape = NULL, *spec = NULL;
    int status = -1;
    int nd = H5Tget_array_ndims(ftype);
    if (nd <= 0 || nd > H5S_MAX_RANK || H5Tget_array_dims2(ftype, dims) != nd)
        return fail("cannot inspect an array datatype");
    super = H5Tget_super(ftype);
    if (super < 0)
        return fail("cannot inspect an array datatype");
    if (convert(super, &base, depth + 1) < 0)
        goto done;
    size_t total = PyDataType_ELSIZE(base.descr) ? (size_t)PyDataType_ELSIZE(base.descr) : 1;
    shape = PyTuple_New(nd);
    if (!shape)
        goto done;
    for (int i = 0; i < nd; i++) {
        if (dims[i] == 0 || dims[i] > JX_MAX_ITEMSIZE || total > JX_MAX_ITEMSIZE / dims[i]) {
            fail("array datatype of shape element %llu is not supported",
                 (unsigned long long)dims[i]);
            goto done;
        }
        total *= (size_t)dims[i];
        PyObject *d = PyLong_FromUnsignedLongLong(dims[i]);
        if (!d)
            goto done;
        PyTuple_SET_ITEM(shape, i, d);
    }
    spec = PyTuple_Pack(2, (PyObject *)base.descr, shape);
    if (!spec || !PyArray_DescrConverter(spec, &rt->descr))
        goto done;
    rt->memtype = H5Tarray_create2(base.memtype, (unsigned)nd, dims);
    if (rt->memtype < 0) {
        fail("cannot build the memory type of an array datatype");
        goto done;
    }
    status = 0;
done:
    jx_read_type_clear(&base);
    if (super >= 0)
        H5Tclose(super);
    Py_XDECREF(shape);
    Py_XDECREF(spec);
    return status;
}

/* "S<n>" / "V<n>" dtypes with a copy of the file type as memory type. */
static int bytes_type(hid_t ftype, char kind, JxReadType *rt)
{
    size_t size = H5Tget_size(ftype);
    if (size == 0 || size > JX_MAX_ITEMSIZE)
        return fail("%s of %zu bytes are not supported",
                    kind == 'S' ? "fixed-length strings" : "opaque values", size);
    PyObject *spec = PyUnicode_FromFormat("%c%zu", kind, size);
    if (!spec)
        return -1;
    int ok = PyArray_DescrConverter(spec, &rt->descr);
    Py_DECREF(spec);
    if (!ok)
        return -1;
    rt->memtype = H5Tcopy(ftype);
    return rt->memtype < 0 ? fail("cannot copy a datatype") : 0;
}

/* convert() for a datatype whose class and size are known (each costs a library call). */
static int convert_known(hid_t ftype, H5T_class_t cls, size_t size, JxReadType *rt, int depth)
{
    int r;
    if (depth > JX_MAX_TYPE_DEPTH)
        return fail("datatype nested deeper than %d levels", JX_MAX_TYPE_DEPTH);
    rt->file_size = size;
    switch (cls) {
    case H5T_INTEGER:
        return integer_type(ftype, size, rt);
    case H5T_FLOAT:
        return float_type(ftype, size, rt);
    case H5T_ENUM:
        return enum_type(ftype, rt);
    case H5T_COMPOUND:
        r = complex_type(ftype, rt);
        if (r != 0)
            return r < 0 ? -1 : 0;
        return structured_type(ftype, rt, depth);
    case H5T_ARRAY:
        return array_type(ftype, rt, depth);
    case H5T_STRING:
        r = H5Tis_variable_str(ftype);
        if (r != 0)
            return fail("variable-length strings are not supported in arrays");
        return bytes_type(ftype, 'S', rt);
    case H5T_OPAQUE:
        return bytes_type(ftype, 'V', rt);
    case H5T_VLEN:
        return fail("variable-length datatypes are not supported");
    case H5T_REFERENCE:
        return fail("HDF5 reference datatypes are not supported");
    case H5T_TIME:
    case H5T_BITFIELD:
    default:
        return fail("HDF5 datatype class %d is not supported", (int)cls);
    }
}

static int convert(hid_t ftype, JxReadType *rt, int depth)
{
    return convert_known(ftype, H5Tget_class(ftype), H5Tget_size(ftype), rt, depth);
}

/* The HDF5 class of a described datatype, or H5T_NO_CLASS when the description does not
 * say (the class is then asked for). */
static H5T_class_t class_of(const jxv_type *ty)
{
    switch (ty->kind) {
    case JXV_T_INTEGER:
        return H5T_INTEGER;
    case JXV_T_FLOAT:
        return H5T_FLOAT;
    case JXV_T_BOOL_ENUM:
    case JXV_T_ENUM:
        return H5T_ENUM;
    case JXV_T_COMPLEX:
    case JXV_T_COMPOUND:
        return H5T_COMPOUND;
    case JXV_T_OPAQUE:
        return H5T_OPAQUE;
    case JXV_T_ARRAY:
        return H5T_ARRAY;
    case JXV_T_FIXED_STRING:
    case JXV_T_VLEN_STRING:
        return H5T_STRING;
    default:
        return H5T_NO_CLASS;
    }
}

int jx_read_type_described(hid_t ftype, const jxv_type *ty, JxReadType *rt)
{
    rt->descr = NULL;
    rt->memtype = -1;
    rt->is_bool = 0;
    rt->is_numeric = 0;
    rt->file_size = 0;
    H5T_class_t cls = ty ? class_of(ty) : H5T_NO_CLASS;
    size_t size = cls != H5T_NO_CLASS ? ty->size : H5Tget_size(ftype);
    if (cls == H5T_NO_CLASS)
        cls = H5Tget_class(ftype);
    if (convert_known(ftype, cls, size, rt, 0) < 0) {
        jx_read_type_clear(rt);
        return -1;
    }
    rt->file_size = size; /* nested members never set it for the top level */
    return 0;
}

int jx_read_type_from_h5(hid_t ftype, JxReadType *rt)
{
    return jx_read_type_described(ftype, NULL, rt);
}
