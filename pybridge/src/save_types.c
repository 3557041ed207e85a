/* NumPy dtype -> HDF5 datatype for writing (spec section 2.5, h5py's conventions): the bool
 * enum, little/big-endian integers and floats, the platform long double, r/i complex
 * compounds, fixed bytes strings, opaque voids, structured compounds and sub-arrays. */
#include "save_types.h"

static hid_t bool_enum(void)
{
    hid_t t = H5Tenum_create(H5T_NATIVE_INT8);
    signed char v = 0;
    if (t < 0 || H5Tenum_insert(t, "FALSE", &v) < 0)
        goto error;
    v = 1;
    if (H5Tenum_insert(t, "TRUE", &v) < 0)
        goto error;
    return t;
error:
    if (t >= 0)
        H5Tclose(t);
    return -1;
}

static int is_big_endian(PyArray_Descr *d)
{
    char bo = d->byteorder;
    if (bo == '=')
        return PY_BIG_ENDIAN;
    return bo == '>';
}

/* A float type for itemsize bytes in the descr's byte order. */
static hid_t float_type(PyArray_Descr *d, size_t size)
{
    int be = is_big_endian(d);
    switch (size) {
    case 2: return H5Tcopy(be ? H5T_IEEE_F16BE : H5T_IEEE_F16LE);
    case 4: return H5Tcopy(be ? H5T_IEEE_F32BE : H5T_IEEE_F32LE);
    case 8: return H5Tcopy(be ? H5T_IEEE_F64BE : H5T_IEEE_F64LE);
    default:
        if (size == sizeof(long double) && !be)
            return H5Tcopy(H5T_NATIVE_LDOUBLE);
        PyErr_Format(PyExc_TypeError, "no HDF5 type for a %zu-byte float of this byte order", size);
        return -1;
    }
}

static hid_t complex_type(PyArray_Descr *d)
{
    size_t half = (size_t)PyDataType_ELSIZE(d) / 2;
    hid_t part = float_type(d, half), t = -1;
    if (part < 0)
        return -1;
    t = H5Tcreate(H5T_COMPOUND, 2 * half);
    if (t < 0 || H5Tinsert(t, "r", 0, part) < 0 || H5Tinsert(t, "i", half, part) < 0) {
        if (t >= 0)
            H5Tclose(t);
        t = -1;
    }
    H5Tclose(part);
    return t;
}

static hid_t struct_type(PyArray_Descr *d)
{
    PyObject *names = PyDataType_NAMES(d), *fields = PyDataType_FIELDS(d);
    hid_t t = H5Tcreate(H5T_COMPOUND, (size_t)PyDataType_ELSIZE(d));
    if (t < 0)
        return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(names);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *name = PyTuple_GET_ITEM(names, i);
        PyObject *info = PyDict_GetItemWithError(fields, name); /* (dtype, offset[, title]) */
        const char *cname = PyUnicode_AsUTF8(name);
        if (!info || !cname)
            goto error;
        PyArray_Descr *fd = (PyArray_Descr *)PyTuple_GET_ITEM(info, 0);
        Py_ssize_t off = PyLong_AsSsize_t(PyTuple_GET_ITEM(info, 1));
        if (off < 0 && PyErr_Occurred())
            goto error;
        hid_t ft = jx_h5type_from_descr(fd);
        if (ft < 0)
            goto error;
        herr_t rc = H5Tinsert(t, cname, (size_t)off, ft);
        H5Tclose(ft);
        if (rc < 0) {
            PyErr_Format(PyExc_TypeError, "HDF5 cannot describe the structured field %R", name);
            goto error;
        }
    }
    return t;
error:
    H5Tclose(t);
    return -1;
}

static hid_t subarray_type(PyArray_Descr *d)
{
    PyArray_ArrayDescr *sub = PyDataType_SUBARRAY(d);
    PyObject *shape = sub->shape;
    hsize_t dims[32];
    int rank;
    if (PyTuple_Check(shape)) {
        rank = (int)PyTuple_GET_SIZE(shape);
        if (rank > 32) {
            PyErr_SetString(PyExc_TypeError, "sub-array dtypes of more than 32 dimensions");
            return -1;
        }
        for (int i = 0; i < rank; i++)
            dims[i] = (hsize_t)PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(shape, i));
    } else {
        rank = 1;
        dims[0] = (hsize_t)PyLong_AsUnsignedLongLong(shape);
    }
    if (PyErr_Occurred())
        return -1;
    hid_t base = jx_h5type_from_descr(sub->base);
    if (base < 0)
        return -1;
    hid_t t = H5Tarray_create2(base, (unsigned)rank, dims);
    H5Tclose(base);
    return t;
}

hid_t jx_h5type_from_descr(PyArray_Descr *d)
{
    hid_t t = -1;
    size_t size = (size_t)PyDataType_ELSIZE(d);
    int be = is_big_endian(d);
    if (PyDataType_HASSUBARRAY(d))
        return subarray_type(d);
    if (PyDataType_HASFIELDS(d))
        return struct_type(d);
    switch (d->type_num) {
    case NPY_BOOL: t = bool_enum(); break;
    case NPY_BYTE: case NPY_SHORT: case NPY_INT: case NPY_LONG: case NPY_LONGLONG:
        t = H5Tcopy(size == 1 ? H5T_STD_I8LE : size == 2 ? (be ? H5T_STD_I16BE : H5T_STD_I16LE)
                    : size == 4 ? (be ? H5T_STD_I32BE : H5T_STD_I32LE)
                                : (be ? H5T_STD_I64BE : H5T_STD_I64LE));
        break;
    case NPY_UBYTE: case NPY_USHORT: case NPY_UINT: case NPY_ULONG: case NPY_ULONGLONG:
        t = H5Tcopy(size == 1 ? H5T_STD_U8LE : size == 2 ? (be ? H5T_STD_U16BE : H5T_STD_U16LE)
                    : size == 4 ? (be ? H5T_STD_U32BE : H5T_STD_U32LE)
                                : (be ? H5T_STD_U64BE : H5T_STD_U64LE));
        break;
    case NPY_HALF: case NPY_FLOAT: case NPY_DOUBLE: case NPY_LONGDOUBLE:
        return float_type(d, size);
    case NPY_CFLOAT: case NPY_CDOUBLE: case NPY_CLONGDOUBLE:
        t = complex_type(d);
        break;
    case NPY_STRING:
        if (size == 0) {
            PyErr_SetString(PyExc_TypeError, "zero-length bytes dtype 'S0' cannot be stored");
            return -1;
        }
        t = H5Tcopy(H5T_C_S1);
        if (t >= 0 && (H5Tset_size(t, size) < 0 || H5Tset_strpad(t, H5T_STR_NULLPAD) < 0)) {
            H5Tclose(t);
            t = -1;
        }
        break;
    case NPY_VOID:
        if (size == 0) {
            PyErr_SetString(PyExc_TypeError, "zero-length void dtype 'V0' cannot be stored");
            return -1;
        }
        t = H5Tcreate(H5T_OPAQUE, size);
        break;
    default:
        PyErr_Format(PyExc_TypeError, "arrays of dtype %R cannot be stored in HDF5 "
                     "(unicode, object and datetime dtypes have no HDF5 form)", (PyObject *)d);
        return -1;
    }
    if (t < 0 && !PyErr_Occurred())
        PyErr_Format(PyExc_TypeError, "HDF5 could not describe dtype %R", (PyObject *)d);
    return t;
}

int jx_is_numeric_scalar(PyObject *obj)
{
    PyTypeObject *t = Py_TYPE(obj);
    return t == &PyFloat64ArrType_Type || t == &PyInt64ArrType_Type ||
           t == &PyFloat32ArrType_Type || t == &PyInt32ArrType_Type ||
           t == &PyBoolArrType_Type || t == &PyUInt8ArrType_Type ||
           t == &PyInt8ArrType_Type || t == &PyInt16ArrType_Type ||
           t == &PyUInt16ArrType_Type || t == &PyUInt32ArrType_Type ||
           t == &PyUInt64ArrType_Type || t == &PyHalfArrType_Type ||
           t == &PyLongDoubleArrType_Type || t == &PyComplex64ArrType_Type ||
           t == &PyComplex128ArrType_Type || t == &PyCLongDoubleArrType_Type ||
           t == &PyLongLongArrType_Type || t == &PyULongLongArrType_Type ||
           t == &PyIntArrType_Type || t == &PyUIntArrType_Type;
}

/* ---- exact dtypes of JAX (ml_dtypes) --------------------------------------------------- */

/* Bit layouts of the small float and int types JAX uses. Floats become HDF5 float types with
 * these fields (h5dump prints their values; readers that do not know the extension convert
 * them to the nearest standard float); ints become 8-bit integers of reduced precision. */
typedef struct ExactDtype {
    const char *name;
    int is_int, is_signed;
    size_t precision;
    size_t spos, epos, esize, mpos, msize, ebias;
} ExactDtype;

static const ExactDtype exact_dtypes[] = {
    {"bfloat16", 0, 1, 16, 15, 7, 8, 0, 7, 127},
    {"float8_e4m3fn", 0, 1, 8, 7, 3, 4, 0, 3, 7},
    {"float8_e4m3fnuz", 0, 1, 8, 7, 3, 4, 0, 3, 8},
    {"float8_e4m3b11fnuz", 0, 1, 8, 7, 3, 4, 0, 3, 11},
    {"float8_e4m3", 0, 1, 8, 7, 3, 4, 0, 3, 7},
    {"float8_e5m2", 0, 1, 8, 7, 2, 5, 0, 2, 15},
    {"float8_e5m2fnuz", 0, 1, 8, 7, 2, 5, 0, 2, 16},
    {"float8_e3m4", 0, 1, 8, 7, 4, 3, 0, 4, 3},
    {"float6_e2m3fn", 0, 1, 6, 5, 3, 2, 0, 3, 1},
    {"float6_e3m2fn", 0, 1, 6, 5, 2, 3, 0, 2, 3},
    {"float4_e2m1fn", 0, 1, 4, 3, 1, 2, 0, 1, 1},
    /* no sign bit and no mantissa: HDF5 floats need both, so it is stored as its raw byte */
    {"float8_e8m0fnu", 1, 0, 8, 0, 0, 0, 0, 0, 0},
    {"int4", 1, 1, 4, 0, 0, 0, 0, 0, 0},
    {"uint4", 1, 0, 4, 0, 0, 0, 0, 0, 0},
    {"int2", 1, 1, 2, 0, 0, 0, 0, 0, 0},
    {"uint2", 1, 0, 2, 0, 0, 0, 0, 0, 0},
};

hid_t jx_h5type_exact(PyArray_Descr *d, const char **name_out)
{
    PyObject *name = PyObject_GetAttrString((PyObject *)d, "name");
    const char *n = name ? PyUnicode_AsUTF8(name) : NULL;
    hid_t t = -1;
    if (!n) {
        Py_XDECREF(name);
        return -1;
    }
    for (size_t i = 0; i < sizeof exact_dtypes / sizeof exact_dtypes[0]; i++) {
        const ExactDtype *e = &exact_dtypes[i];
        if (strcmp(n, e->name) != 0)
            continue;
        if ((size_t)PyDataType_ELSIZE(d) * 8 < e->precision)
            break;
        *name_out = e->name;
        if (e->is_int) {
            t = H5Tcopy(e->is_signed ? H5T_STD_I8LE : H5T_STD_U8LE);
            if (t >= 0 && e->precision < 8 && H5Tset_precision(t, e->precision) < 0) {
                H5Tclose(t);
                t = -1;
            }
        } else {
            t = H5Tcopy(H5T_IEEE_F32LE);
            if (t >= 0 && (H5Tset_fields(t, e->spos, e->epos, e->esize, e->mpos, e->msize) < 0 ||
                           H5Tset_ebias(t, e->ebias) < 0 ||
                           H5Tset_precision(t, e->precision) < 0 ||
                           H5Tset_size(t, (size_t)PyDataType_ELSIZE(d)) < 0)) {
                H5Tclose(t);
                t = -1;
            }
        }
        if (t < 0)
            PyErr_Format(PyExc_TypeError, "HDF5 could not describe dtype %s", n);
        Py_DECREF(name);
        return t;
    }
    PyErr_Format(PyExc_TypeError, "arrays of dtype %s cannot be stored (no HDF5 form known)", n);
    Py_DECREF(name);
    return -1;
}
