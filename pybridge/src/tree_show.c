/* How tree nodes read as text (tree.c's presentation half): Python-style text of atoms and
 * keys, NumPy names of HDF5 datatypes, shapes, and the values of numeric scalars. */
#include "tree_show.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define SCALAR_READ_MAX 64 /* numeric scalar attributes are at most this big */

/* ---- text shown ------------------------------------------------------------------------ */

/* Python-style repr of UTF-8 text, at most max code points (then "…" before the quote):
 * backslash, the quote and control characters escaped so the terminal shows what is there. */
static void repr_text(jxv_buf *b, const char *s, size_t n, size_t max)
{
    char q = memchr(s, '\'', n) && !memchr(s, '"', n) ? '"' : '\'';
    jxv__buf_add(b, &q, 1);
    size_t cp = 0, i = 0;
    while (i < n) {
        if (cp == max) {
            jxv__buf_adds(b, "\xE2\x80\xA6");
            break;
        }
        unsigned char c = (unsigned char)s[i];
        size_t clen = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        if (i + clen > n)
            clen = n - i;
        char esc[8];
        if (c == '\\' || c == (unsigned char)q) {
            esc[0] = '\\';
            esc[1] = (char)c;
            jxv__buf_add(b, esc, 2);
        } else if (c == '\n') {
            jxv__buf_adds(b, "\\n");
        } else if (c == '\t') {
            jxv__buf_adds(b, "\\t");
        } else if (c == '\r') {
            jxv__buf_adds(b, "\\r");
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02x", c);
            jxv__buf_adds(b, esc);
        } else {
            jxv__buf_add(b, s + i, clen);
        }
        i += clen;
        cp++;
    }
    jxv__buf_add(b, &q, 1);
}

/* "a,b,c" -> "a, b, c" (range/slice members as Python shows them). */
static void spaced_members(jxv_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        jxv__buf_add(b, s + i, 1);
        if (s[i] == ',' && (i + 1 >= n || s[i + 1] != ' '))
            jxv__buf_add(b, " ", 1);
    }
}

/* Complex text as Python shows it: with parentheses when it has a real part. */
static void complex_text(jxv_buf *b, const char *s, size_t n)
{
    int has_real = 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] == '+' || s[i] == '-') && s[i - 1] != 'e' && s[i - 1] != 'E')
            has_real = 1;
    if (n && s[0] == '(')
        has_real = 0; /* already parenthesised */
    if (has_real)
        jxv__buf_add(b, "(", 1);
    jxv__buf_add(b, s, n);
    if (has_real)
        jxv__buf_add(b, ")", 1);
}

/* The Python value of a text atom the validator accepted, as Python would show it, and its
 * type name; *str_len gets the code points of a string. max bounds string previews. */
const char *jx_tr_atom_display(jxv_layout layout, const char *text, size_t len, jxv_buf *b,
                                size_t max, size_t *str_len)
{
    const char *t = text;
    size_t l = len;
    *str_len = 0;
    if (layout == JXV_LAYOUT_V2)
        jxv__strip(&t, &l);
    if (jxv__eq(t, l, "None")) {
        jxv__buf_adds(b, "None");
        return "None";
    }
    if (jxv__eq(t, l, "Ellipsis")) {
        jxv__buf_adds(b, "Ellipsis");
        return "ellipsis";
    }
    if (l >= 2 && t[0] == '\'') {
        const char *in = t + 1;
        size_t n = l - 2;
        if (layout == JXV_LAYOUT_V1) {
            repr_text(b, in, n, max);
            *str_len = jxv__utf8_count(in, n);
            return "str";
        }
        jxv_buf raw = {0}; /* v2 escapes: \\ and \' */
        for (size_t i = 0; i < n; i++) {
            if (in[i] == '\\' && i + 1 < n && (in[i + 1] == '\\' || in[i + 1] == '\''))
                i++;
            jxv__buf_add(&raw, in + i, 1);
        }
        repr_text(b, raw.data ? raw.data : "", raw.len, max);
        *str_len = jxv__utf8_count(raw.data ? raw.data : "", raw.len);
        jxv__buf_free(&raw);
        return "str";
    }
    if (jxv__starts(t, l, "range(") || jxv__starts(t, l, "slice(")) {
        spaced_members(b, t, l);
        return t[0] == 'r' ? "range" : "slice";
    }
    if (layout == JXV_LAYOUT_V1) {
        static const char *const words[] = {"int", "float", "bool", "complex"};
        for (size_t w = 0; w < 4; w++) {
            size_t wl = strlen(words[w]);
            if (l > wl + 1 && jxv__starts(t, l, words[w]) && t[wl] == '(') {
                const char *in = t + wl + 1;
                size_t n = l - wl - 2;
                if (w == 3)
                    complex_text(b, in, n);
                else
                    jxv__buf_add(b, in, n);
                return words[w];
            }
        }
        jxv__buf_add(b, t, l);
        return "?";
    }
    if (jxv__eq(t, l, "True") || jxv__eq(t, l, "False")) {
        jxv__buf_add(b, t, l);
        return "bool";
    }
    int is_int = l > 0;
    for (size_t i = 0; i < l; i++)
        if (!((t[i] >= '0' && t[i] <= '9') || (i == 0 && t[i] == '-' && l > 1)))
            is_int = 0;
    if (is_int) {
        jxv__buf_add(b, t, l);
        return "int";
    }
    if (l && t[l - 1] == 'j') {
        complex_text(b, t, l);
        return "complex";
    }
    jxv__buf_add(b, t, l);
    return "float";
}

/* ---- HDF5 types ----------------------------------------------------------------------- */

/* The NumPy name of an HDF5 datatype as h5py maps it (spec §2.5): int32, float64, bool,
 * complex128, S5, V2, structured {a: int32, b: float64}, sub-arrays int32[2,3]; floats of a
 * layout NumPy has no name for show their fields (float16 e8m7 is bfloat16's layout). */
void jx_tr_dtype_name(hid_t t, jxv_buf *b, int depth)
{
    char tmp[96];
    H5T_class_t cls = H5Tget_class(t);
    size_t size = H5Tget_size(t);
    H5T_order_t order = cls == H5T_INTEGER || cls == H5T_FLOAT ? H5Tget_order(t) : H5T_ORDER_NONE;
    if (depth > 8) {
        jxv__buf_adds(b, "…");
        return;
    }
    switch (cls) {
    case H5T_INTEGER: {
        size_t prec = H5Tget_precision(t);
        snprintf(tmp, sizeof tmp, "%sint%zu", H5Tget_sign(t) == H5T_SGN_NONE ? "u" : "", size * 8);
        jxv__buf_adds(b, tmp);
        if (prec && prec < size * 8) {
            snprintf(tmp, sizeof tmp, " (%zu-bit precision)", prec);
            jxv__buf_adds(b, tmp);
        }
        break;
    }
    case H5T_FLOAT: {
        size_t spos, epos, esize, mpos, msize;
        if (H5Tget_fields(t, &spos, &epos, &esize, &mpos, &msize) < 0) {
            jxv__buf_adds(b, "float");
            break;
        }
        size_t bits = size * 8;
        int ieee = (bits == 16 && esize == 5 && msize == 10) ||
                   (bits == 32 && esize == 8 && msize == 23) ||
                   (bits == 64 && esize == 11 && msize == 52);
        if (ieee)
            snprintf(tmp, sizeof tmp, "float%zu", bits);
        else if (esize == 15 && msize == 64)
            snprintf(tmp, sizeof tmp, "longdouble");
        else
            snprintf(tmp, sizeof tmp, "float%zu e%zum%zu", bits, esize, msize);
        jxv__buf_adds(b, tmp);
        break;
    }
    case H5T_ENUM: {
        int n = H5Tget_nmembers(t);
        char *m0 = n == 2 ? H5Tget_member_name(t, 0) : NULL;
        char *m1 = n == 2 ? H5Tget_member_name(t, 1) : NULL;
        int is_bool = size == 1 && m0 && m1 && strcmp(m0, "FALSE") == 0 && strcmp(m1, "TRUE") == 0;
        H5free_memory(m0);
        H5free_memory(m1);
        if (is_bool) {
            jxv__buf_adds(b, "bool");
        } else {
            jxv__buf_adds(b, "enum ");
            hid_t base = H5Tget_super(t);
            if (base >= 0) {
                jx_tr_dtype_name(base, b, depth + 1);
                H5Tclose(base);
            }
        }
        return;
    }
    case H5T_COMPOUND: {
        int n = H5Tget_nmembers(t);
        if (n == 2) {
            char *m0 = H5Tget_member_name(t, 0), *m1 = H5Tget_member_name(t, 1);
            int ri = m0 && m1 && strcmp(m0, "r") == 0 && strcmp(m1, "i") == 0 &&
                     H5Tget_member_class(t, 0) == H5T_FLOAT &&
                     H5Tget_member_class(t, 1) == H5T_FLOAT;
            H5free_memory(m0);
            H5free_memory(m1);
            if (ri) {
                snprintf(tmp, sizeof tmp, "complex%zu", size * 8);
                jxv__buf_adds(b, size == 32 ? "clongdouble" : tmp);
                return;
            }
        }
        jxv__buf_adds(b, "{");
        for (int i = 0; i < n && i < 32; i++) {
            char *m = H5Tget_member_name(t, (unsigned)i);
            hid_t mt = H5Tget_member_type(t, (unsigned)i);
            if (i)
                jxv__buf_adds(b, ", ");
            jxv__buf_adds(b, m ? m : "?");
            jxv__buf_adds(b, ": ");
            if (mt >= 0) {
                jx_tr_dtype_name(mt, b, depth + 1);
                H5Tclose(mt);
            }
            H5free_memory(m);
        }
        jxv__buf_adds(b, n > 32 ? ", …}" : "}");
        return;
    }
    case H5T_STRING:
        if (H5Tis_variable_str(t) > 0) {
            jxv__buf_adds(b, "variable-length string");
        } else {
            snprintf(tmp, sizeof tmp, "S%zu%s", size,
                     H5Tget_cset(t) == H5T_CSET_UTF8 ? " (UTF-8)" : "");
            jxv__buf_adds(b, tmp);
        }
        return;
    case H5T_OPAQUE:
        snprintf(tmp, sizeof tmp, "V%zu", size);
        jxv__buf_adds(b, tmp);
        return;
    case H5T_ARRAY: {
        hid_t base = H5Tget_super(t);
        int nd = H5Tget_array_ndims(t);
        hsize_t dims[H5S_MAX_RANK];
        if (base >= 0) {
            jx_tr_dtype_name(base, b, depth + 1);
            H5Tclose(base);
        }
        if (nd > 0 && nd <= H5S_MAX_RANK && H5Tget_array_dims2(t, dims) >= 0) {
            jxv__buf_adds(b, "[");
            for (int i = 0; i < nd; i++) {
                snprintf(tmp, sizeof tmp, i ? ",%llu" : "%llu", (unsigned long long)dims[i]);
                jxv__buf_adds(b, tmp);
            }
            jxv__buf_adds(b, "]");
        }
        return;
    }
    default:
        snprintf(tmp, sizeof tmp, "HDF5 class %d (%zu bytes)", (int)cls, size);
        jxv__buf_adds(b, tmp);
        return;
    }
    if (order == H5T_ORDER_BE && size > 1)
        jxv__buf_adds(b, " (big-endian)");
}

/* Shape (tuple; () for a scalar, None for a NULL dataspace) and element count. */
PyObject *jx_tr_space_shape(hid_t sp, unsigned long long *npoints)
{
    *npoints = 0;
    H5S_class_t c = H5Sget_simple_extent_type(sp);
    if (c == H5S_NULL)
        return Py_NewRef(Py_None);
    if (c == H5S_SCALAR) {
        *npoints = 1;
        return PyTuple_New(0);
    }
    int nd = H5Sget_simple_extent_ndims(sp);
    hsize_t dims[H5S_MAX_RANK];
    if (c != H5S_SIMPLE || nd < 0 || nd > H5S_MAX_RANK ||
        H5Sget_simple_extent_dims(sp, dims, NULL) < 0)
        return Py_NewRef(Py_None);
    PyObject *tup = PyTuple_New(nd);
    unsigned long long n = 1;
    for (int i = 0; tup && i < nd; i++) {
        PyObject *d = PyLong_FromUnsignedLongLong((unsigned long long)dims[i]);
        if (!d) {
            Py_CLEAR(tup);
            break;
        }
        PyTuple_SET_ITEM(tup, i, d);
        n = dims[i] && n > ULLONG_MAX / dims[i] ? ULLONG_MAX : n * dims[i];
    }
    *npoints = n;
    return tup;
}

/* ---- numeric scalar values ------------------------------------------------------------ */

/* Shortest text of a float that reads back as the same float of `bits` bits. */
static PyObject *float_text(double d, size_t bits)
{
    char *s = NULL;
    if (bits >= 64 || !isfinite(d)) {
        s = PyOS_double_to_string(d, 'r', 0, 0, NULL);
    } else {
        int maxp = bits <= 16 ? 5 : 9;
        for (int p = 1; p <= maxp; p++) {
            PyMem_Free(s);
            s = PyOS_double_to_string(d, 'g', p, 0, NULL);
            if (!s)
                break;
            double back = PyOS_string_to_double(s, NULL, NULL);
            if (PyErr_Occurred()) {
                PyErr_Clear();
                continue;
            }
            if (bits == 32 ? (float)back == (float)d : fabs(back - d) <= fabs(d) * 1e-3)
                break;
        }
    }
    if (!s)
        return PyErr_NoMemory();
    PyObject *r = PyUnicode_FromString(s);
    PyMem_Free(s);
    return r;
}

/* The value of a numeric scalar attribute (already classified JXV_N_NUMERIC) as text. */
PyObject *jx_tr_numeric_text(hid_t aid, hid_t ft)
{
    H5T_class_t cls = H5Tget_class(ft);
    size_t size = H5Tget_size(ft);
    if (size == 0 || size > SCALAR_READ_MAX)
        return Py_NewRef(Py_None);
    if (cls == H5T_INTEGER) {
        if (H5Tget_sign(ft) == H5T_SGN_NONE) {
            unsigned long long v;
            if (H5Aread(aid, H5T_NATIVE_ULLONG, &v) < 0)
                return Py_NewRef(Py_None);
            return PyUnicode_FromFormat("%llu", v);
        }
        long long v;
        if (H5Aread(aid, H5T_NATIVE_LLONG, &v) < 0)
            return Py_NewRef(Py_None);
        return PyUnicode_FromFormat("%lld", v);
    }
    if (cls == H5T_FLOAT) {
        double v;
        if (H5Aread(aid, H5T_NATIVE_DOUBLE, &v) < 0)
            return Py_NewRef(Py_None);
        return float_text(v, size * 8);
    }
    if (cls == H5T_ENUM) {
        unsigned char raw[SCALAR_READ_MAX];
        char name[64];
        if (H5Aread(aid, ft, raw) < 0 || H5Tenum_nameof(ft, raw, name, sizeof name) < 0)
            return Py_NewRef(Py_None);
        if (strcmp(name, "TRUE") == 0)
            return PyUnicode_FromString("True");
        if (strcmp(name, "FALSE") == 0)
            return PyUnicode_FromString("False");
        return PyUnicode_FromString(name);
    }
    if (cls == H5T_COMPOUND) { /* the r/i complex the validator accepted */
        double v[2];
        hid_t mt = H5Tcreate(H5T_COMPOUND, sizeof v);
        if (mt < 0)
            return Py_NewRef(Py_None);
        int ok = H5Tinsert(mt, "r", 0, H5T_NATIVE_DOUBLE) >= 0 &&
                 H5Tinsert(mt, "i", sizeof(double), H5T_NATIVE_DOUBLE) >= 0 &&
                 H5Aread(aid, mt, v) >= 0;
        H5Tclose(mt);
        if (!ok)
            return Py_NewRef(Py_None);
        size_t bits = size * 4;
        PyObject *re = float_text(v[0], bits), *im = float_text(v[1], bits), *r = NULL;
        if (re && im) {
            const char *is = PyUnicode_AsUTF8(im);
            r = is ? PyUnicode_FromFormat("(%U%s%Uj)", re, is[0] == '-' ? "" : "+", im) : NULL;
        }
        Py_XDECREF(re);
        Py_XDECREF(im);
        return r;
    }
    return Py_NewRef(Py_None);
}
